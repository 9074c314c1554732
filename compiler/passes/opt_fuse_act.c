/*
 * opt_fuse_act.c - an activation (Relu, Clip, LeakyRelu, Sigmoid, Tanh,
 * HardSigmoid, HardSwish) folded into the epilogue of the kernel producing
 * its input, when that kernel supports epilogues (Conv, Gemm, MatMul,
 * BatchNormalization as scale-shift, Add, and an AveragePool that took a
 * conv's bias in opt_pool_conv) and its output has no other reader.
 */
#include "ir.h"

#include <math.h>

static bool takes_act(const Node *p)
{
	if (!p || p->dead || p->act.kind)
		return false;
	if (p->out[0]->nuses != 1 || p->out[0]->kind == T_OUTPUT || p->out[0]->alias)
		return false;
	switch (p->op) {
	case OP_Conv: case OP_Gemm: case OP_MatMul: case OP_BatchNormalization: case OP_Add:
		return true;
	case OP_AveragePool: /* with a conv's bias (opt_pool_conv): bias and activation in one pass */
		return p->nin > 1;
	default:
		return false;
	}
}

/* The activation a node computes, or ACT_NONE when it is not one we fuse. */
static Act act_of(const Node *n)
{
	Act a = { ACT_NONE, 0, 0 };
	switch (n->op) {
	case OP_Relu: a.kind = ACT_RELU; break;
	case OP_Sigmoid: a.kind = ACT_SIGMOID; break;
	case OP_Tanh: a.kind = ACT_TANH; break;
	case OP_HardSwish: a.kind = ACT_HARD_SWISH; break;
	case OP_LeakyRelu: a.kind = ACT_LEAKY_RELU; a.a = attr_float(n, "alpha", 0.01f); break;
	case OP_HardSigmoid:
		a.kind = ACT_HARD_SIGMOID;
		a.a = attr_float(n, "alpha", 0.2f);
		a.b = attr_float(n, "beta", 0.5f);
		break;
	case OP_Clip:
		a.kind = ACT_CLIP;
		a.a = -INFINITY;
		a.b = INFINITY;
		if (n->opset < 11) {
			a.a = attr_float(n, "min", -INFINITY);
			a.b = attr_float(n, "max", INFINITY);
		} else {
			for (int j = 1; j <= 2; j++) {
				if (j >= n->nin || !n->in[j])
					continue;
				if (!tensor_is_const(n->in[j]) || n->in[j]->dtype != DT_FLOAT)
					return (Act){ ACT_NONE, 0, 0 };
				float v = ((const float *)n->in[j]->data)[0];
				if (j == 1)
					a.a = v;
				else
					a.b = v;
			}
		}
		break;
	default: break;
	}
	return a;
}

void opt_fuse_act(Graph *g)
{
	int fused = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead || !n->in[0])
			continue;
		Act a = act_of(n);
		if (!a.kind)
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
