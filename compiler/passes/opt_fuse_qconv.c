/*
 * opt_fuse_qconv.c - int8 convs (issue 21): DequantizeLinear -> Conv
 * [-> Relu | Clip] -> QuantizeLinear, the QDQ form of a quantized conv (and
 * what lower_qop.c makes of QLinearConv), becomes one QLinearConv node that
 * runs in integer arithmetic on the int8 kernels (ops/qconv.c says which
 * convs they take; the others stay float between their DQ and Q).
 *
 * The Conv's weight and bias are float constants by now (the DQs on them
 * folded); ops/quant.c kept their quantized source on the tensor (Tensor.dq).
 * The DQ of the input stays while something else reads its output.
 */
#include "ops/ops.h"

static bool fuse(Graph *g, Node *q)
{
	Node *act = NULL, *conv = once_from(q->in[0], OP_Conv);
	Act a = { ACT_NONE, 0, 0 };
	if (!conv) {
		act = once_from(q->in[0], OP_Relu);
		if (!act)
			act = once_from(q->in[0], OP_Clip);
		if (!act || !op_act(act, &a))
			return false;
		conv = once_from(act->in[0], OP_Conv);
	}
	if (!conv || conv->act.kind != ACT_NONE || conv->residual)
		return false;
	Node *dqx = live_producer(conv->in[0]);
	if (!dqx || dqx->op != OP_DequantizeLinear)
		return false;
	return qconv_build(g, conv, dqx, act, &a, q);
}

void opt_fuse_qconv(Graph *g)
{
	bool changed = false;
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (!n->dead && n->op == OP_QuantizeLinear)
			changed |= fuse(g, n);
	}
	if (changed)
		graph_recount(g);
}
