/*
 * opt_fuse_act.c - an activation (an op with an `act` FACT in ops.def: Relu,
 * Clip, LeakyRelu, ...) folded into the epilogue of the kernel producing its
 * input, when that kernel takes one (EPI_ACT in ops.def: Conv, Gemm, MatMul,
 * BatchNormalization as scale-shift, Add, and an AveragePool that took a
 * conv's bias in opt_pool_conv) and its output has no other reader.  The
 * activation is the one the op's own file reads for the standalone operator
 * (ops/unary.c), so fused and unfused compute the same.
 */
#include "ir.h"

static bool takes_act(const Node *p)
{
	if (!p || p->dead || p->act.kind || !(op_epilogue(p) & EPI_ACT))
		return false;
	return p->out[0]->nuses == 1 && p->out[0]->kind != T_OUTPUT && !p->out[0]->alias;
}

void opt_fuse_act(Graph *g)
{
	int fused = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		Act a;
		if (n->dead || !n->in[0] || !op_act(n, &a))
			continue;
		Node *p = n->in[0]->producer;
		if (!takes_act(p))
			continue;
		p->act = a;
		node_absorb(p, n);
		fused++;
	}
	graph_recount(g);
	progress("fuse-act: %d activations fused into their producers", fused);
}
