/*
 * opt_fuse_swish.c - x * sigmoid(x) (SiLU: EfficientNet, MnasNet, RegNetY's
 * blocks) and x * hardsigmoid(x) with alpha = 1/6, beta = 1/2 (HardSwish as
 * MobileNetV3 exports before opset 14 write it) become one activation in the
 * epilogue of the kernel that produces x.
 *
 * Exporters write both as two nodes reading x: the Sigmoid (HardSigmoid) and
 * the Mul of x by its result.  Where x's producer takes a fused activation
 * and x has exactly those two readers, the producer applies the activation
 * itself: x is never written, and neither node runs.  Runs before
 * opt_fuse_act (an activation that follows the Mul can then not fuse; none of
 * the CNN families writes one there).  The activation's arithmetic is the
 * one the two nodes did, x * (1 / (1 + exp(-x))) and x * clamp(x / 6 + 1/2).
 */
#include "ir.h"

#include <math.h>

/* The swish that S's activation makes with x, or ACT_NONE. */
static ActKind swish_of(const Node *s)
{
	Act a;
	if (!s || s->dead || !op_act(s, &a))
		return ACT_NONE;
	if (a.kind == ACT_SIGMOID)
		return ACT_SILU;
	if (a.kind == ACT_HARD_SIGMOID && a.a == 1.0f / 6.0f && a.b == 0.5f)
		return ACT_HARD_SWISH;
	return ACT_NONE;
}

void opt_fuse_swish(Graph *g)
{
	int fused = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *m = g->nodes[i];
		if (m->dead || m->op != OP_Mul || !m->in[0] || !m->in[1])
			continue;
		for (int side = 0; side < 2; side++) {
			Tensor *x = m->in[side], *sx = m->in[1 - side];
			Node *s = live_producer(sx), *p = live_producer(x);
			ActKind k = swish_of(s);
			if (!k || s->in[0] != x || !p || p->act.kind || !(op_epilogue(p) & EPI_ACT))
				continue;
			/* x and act(x) feed only this Mul, and x lives in no one else's memory */
			if (sx->nuses != 1 || sx->kind == T_OUTPUT || x->nuses != 2 || x->kind == T_OUTPUT || x->alias ||
			    !shape_eq(&x->shape, &m->out[0]->shape))
				continue;
			p->act = (Act){ k, 0, 0 };
			node_add_cover(p, s);
			s->dead = true;
			node_absorb(p, m);
			fused++;
			break;
		}
	}
	if (fused)
		graph_recount(g);
	progress("swish: %d SiLU/HardSwish folded into their producers", fused);
}
