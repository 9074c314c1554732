/*
 * opt_fold_bn.c - BatchNormalization (inference) folded into the Conv that
 * feeds it, when the conv output has no other reader:
 *   s = gamma / sqrt(var + eps),  W'[m] = W[m] * s[m],  b'[m] = (b[m] - mean[m]) * s[m] + beta[m]
 * This is exact up to float rounding (done in double here).  A BN that does
 * not follow a conv (pre-activation ResNets) stays a BN node: its kernel is a
 * scale-shift and opt_fuse_act gives it the following activation.
 */
#include "ir.h"

#include <math.h>

static bool foldable(const Node *bn, const Node *conv)
{
	if (!conv || conv->dead || conv->op != OP_Conv || conv->act.kind || conv->residual)
		return false;
	if (conv->out[0]->nuses != 1 || conv->out[0]->kind == T_OUTPUT)
		return false;
	if (!tensor_is_const(conv->in[1]) || conv->in[1]->dtype != DT_FLOAT)
		return false;
	if (conv->nin > 2 && conv->in[2] && !tensor_is_const(conv->in[2]))
		return false;
	for (int j = 1; j < 5; j++)
		if (!tensor_is_const(bn->in[j]) || bn->in[j]->dtype != DT_FLOAT)
			return false;
	for (int j = 1; j < bn->nout; j++)
		if (bn->out[j])
			return false;
	return attr_int(bn, "training_mode", 0) == 0;
}

void opt_fold_bn(Graph *g)
{
	int folded = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *bn = g->nodes[i];
		if (bn->dead || bn->op != OP_BatchNormalization)
			continue;
		Node *conv = bn->in[0]->producer;
		if (!foldable(bn, conv))
			continue;
		const Tensor *W = conv->in[1];
		int64_t M = W->shape.d[0];
		int64_t per = shape_numel(&W->shape) / M;
		for (int j = 1; j < 5; j++)
			if (shape_numel(&bn->in[j]->shape) != M)
				goto next;
		{
			float eps = attr_float(bn, "epsilon", 1e-5f);
			const float *gam = tensor_f32(bn->in[1]), *bet = tensor_f32(bn->in[2]);
			const float *mean = tensor_f32(bn->in[3]), *var = tensor_f32(bn->in[4]);
			const float *b = conv->nin > 2 && conv->in[2] ? tensor_f32(conv->in[2]) : NULL;
			Tensor *nW = graph_const(g, xsprintf("%s_bnfold", W->name), DT_FLOAT, &W->shape, W->data);
			Shape bs = { 1, { M } };
			Tensor *nB = graph_const(g, xsprintf("%s_bnfold_bias", conv->name), DT_FLOAT, &bs, NULL);
			float *w = nW->data, *nb = nB->data;
			for (int64_t m = 0; m < M; m++) {
				double s = (double)gam[m] / sqrt((double)var[m] + (double)eps);
				for (int64_t k = 0; k < per; k++)
					w[m * per + k] = (float)((double)w[m * per + k] * s);
				nb[m] = (float)(((b ? (double)b[m] : 0.0) - (double)mean[m]) * s + (double)bet[m]);
			}
			node_set_params(conv, nW, nB);
			node_absorb(conv, bn);
			folded++;
		}
	next:;
	}
	graph_recount(g);
	progress("fold-bn: %d BatchNormalization folded into convolutions", folded);
}
