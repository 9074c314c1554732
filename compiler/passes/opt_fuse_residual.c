/*
 * opt_fuse_residual.c - a residual Add (or two-input Sum) folded into the
 * epilogue of the convolution (or Gemm) that produces one operand:
 *   y = conv(x) + shortcut   becomes   conv(x) with res = shortcut
 * The kernels that take a residual have EPI_RES in ops.def (Conv, Gemm).
 * The conv chosen is the operand computed last, so the shortcut is ready
 * when it runs; the conv must have no activation yet (act(conv)+s differs)
 * and no other reader.  opt_fuse_act then adds the following Relu, giving
 * y = relu(conv(x) + b + shortcut) in one pass over memory.
 */
#include "ir.h"

static bool takes_residual(const Node *p, const Tensor *other)
{
	if (!p || p->dead || !(op_epilogue(p) & EPI_RES) || p->act.kind || p->residual)
		return false;
	if (p->out[0]->nuses != 1 || p->out[0]->kind == T_OUTPUT || p->out[0]->alias)
		return false;
	if (!other || tensor_is_const(other) || other->dtype != DT_FLOAT)
		return false;
	if (!shape_eq(&p->out[0]->shape, &other->shape) || p->out[0]->batched != other->batched)
		return false;
	/* the shortcut must exist before the conv runs */
	return !other->producer || other->producer->id < p->id;
}

void opt_fuse_residual(Graph *g)
{
	int fused = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead || !(n->op == OP_Add || (n->op == OP_Sum && n->nin == 2)) || !n->in[0] || !n->in[1])
			continue;
		Node *a = n->in[0]->producer, *b = n->in[1]->producer;
		int pick = -1;
		/* prefer the later producer */
		if (takes_residual(a, n->in[1]) && (!b || !takes_residual(b, n->in[0]) || a->id > b->id))
			pick = 0;
		else if (takes_residual(b, n->in[0]))
			pick = 1;
		if (pick < 0)
			continue;
		Node *k = pick == 0 ? a : b;
		k->residual = n->in[1 - pick];
		node_absorb(k, n);
		fused++;
	}
	graph_recount(g);
	progress("fuse-residual: %d residual adds fused into convolutions", fused);
}
