/*
 * opt_fold_scale.c - a constant scale on a convolution's output, Mul(conv(x),
 * c) with c a scalar or one value per output channel, folded into the
 * convolution's weights and bias (Inception-ResNet's `x + 0.17 * branch`,
 * a LayerScale):  W'[m] = W[m] * c[m],  b'[m] = b[m] * c[m].
 * Runs before residual fusion, so the Add that follows can then be fused too.
 */
#include "ir.h"

/* The per-channel factor c[m] for m < M when c broadcasts as a scalar or as
 * [M,1,1] / [1,M,1,1] against the conv output [1,M,H,W]; NULL otherwise. */
static const float *channel_scale(const Tensor *c, const Tensor *y, int64_t M, bool *scalar)
{
	if (!tensor_is_const(c) || c->dtype != DT_FLOAT || c->batched)
		return NULL;
	int64_t n = shape_numel(&c->shape);
	if (n == 1) {
		*scalar = true;
		return c->data;
	}
	if (n != M || c->shape.rank > y->shape.rank)
		return NULL;
	/* the one non-1 axis of c must line up with the channel axis (1) of y */
	int off = y->shape.rank - c->shape.rank;
	for (int k = 0; k < c->shape.rank; k++)
		if (c->shape.d[k] != 1 && k + off != 1)
			return NULL;
	*scalar = false;
	return c->data;
}

void opt_fold_scale(Graph *g)
{
	int folded = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *mul = g->nodes[i];
		if (mul->dead || mul->op != OP_Mul || !mul->in[0] || !mul->in[1])
			continue;
		for (int side = 0; side < 2; side++) {
			Tensor *y = mul->in[side], *c = mul->in[1 - side];
			Node *conv = y->producer;
			if (!conv || conv->dead || conv->op != OP_Conv || conv->act.kind || conv->residual)
				continue;
			if (y->nuses != 1 || y->kind == T_OUTPUT || y->alias || !tensor_is_const(conv->in[1]))
				continue;
			if (conv->nin > 2 && conv->in[2] && !tensor_is_const(conv->in[2]))
				continue;
			if (!shape_eq(&mul->out[0]->shape, &y->shape) || y->shape.rank < 2)
				continue;
			const Tensor *W = conv->in[1];
			int64_t M = W->shape.d[0], per = shape_numel(&W->shape) / M;
			bool scalar;
			const float *s = channel_scale(c, y, M, &scalar);
			if (!s)
				continue;
			Tensor *nW = graph_const(g, xsprintf("%s_scaled", W->name), DT_FLOAT, &W->shape, W->data);
			Shape bs = { 1, { M } };
			Tensor *nB = graph_const(g, xsprintf("%s_scaled_bias", conv->name), DT_FLOAT, &bs, NULL);
			const float *b = conv->nin > 2 && conv->in[2] ? tensor_f32(conv->in[2]) : NULL;
			float *w = nW->data, *nb = nB->data;
			for (int64_t m = 0; m < M; m++) {
				float f = s[scalar ? 0 : m];
				for (int64_t k = 0; k < per; k++)
					w[m * per + k] *= f;
				nb[m] = b ? b[m] * f : 0.0f;
			}
			node_set_params(conv, nW, nB);
			node_absorb(conv, mul);
			folded++;
			break;
		}
	}
	graph_recount(g);
	progress("fold-scale: %d constant scales folded into convolutions", folded);
}
