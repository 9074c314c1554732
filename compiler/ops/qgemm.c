/*
 * ops/qgemm.c - a quantized Gemm or MatMul in integer arithmetic (issue 21):
 * what passes/opt_fuse_qops.c makes of DequantizeLinear -> Gemm | MatMul
 * [-> Relu|Clip] -> QuantizeLinear (and of QLinearMatMul, which
 * passes/lower_qop.c lowers into that form): one QLinearGemm node on the
 * int8 GEMM family (int8/qgemm.c), y = requant(x . W + bias) as ORT's
 * QGemm and QLinearMatMul compute it (int8/shared.c).
 *
 * Taken: x a 2-D u8/s8 activation (a classifier's features: M rows, M = 1
 * per sample of a batched model), W a constant s8 of zero point 0 per
 * tensor or per output column (Gemm transB = 1: [N][K], axis 0; transB = 0
 * and MatMul: [K][N], axis 1), an int32 bias of zero point 0 at scale
 * x_scale * w_scale (or none), alpha = beta = 1, no transA, per-tensor
 * activations.  Anything else stays float between its DQ and Q.
 */
#include "ops.h"

#include "pack.h"

typedef struct QGemmP {
	int64_t M, N, K;
	const char *wname;
	float *packed;         /* pack_qgemm's bytes, in floats for the weights blob */
	int64_t packed_floats;
	int32_t *bias;         /* [N] bias - x_zp * colsum(W) */
	float *mult;           /* [N] x_scale * w_scale[n] / y_scale */
	int32_t yzp, lo, hi;   /* u8 domain */
	bool ys8;
} QGemmP;

bool qgemm_build(Graph *g, Node *mm, Node *act, const Act *a, Node *q)
{
	(void)g;
	Node *dqx = live_producer(mm->in[0]);
	float xs, ys;
	int32_t xzp, yzp;
	DType xt, yt;
	if (!dqx || tensor_is_const(dqx->in[0]) || !quant_u8(dqx, &xs, &xzp, &xt) || !quant_u8(q, &ys, &yzp, &yt))
		return false;
	const Tensor *x = dqx->in[0], *W = mm->in[1], *B = mm->nin > 2 ? mm->in[2] : NULL;
	const bool gemm = mm->op == OP_Gemm, tb = gemm && attr_int(mm, "transB", 0);
	if (x->shape.rank != 2 || W->shape.rank != 2 || !W->dq || W->dq->q->dtype != DT_INT8 || !dq_zero_points_zero(W->dq))
		return false;
	if (gemm && (attr_int(mm, "transA", 0) || attr_float(mm, "alpha", 1.0f) != 1.0f ||
	             attr_float(mm, "beta", 1.0f) != 1.0f))
		return false;
	const DqFold *wd = W->dq, *bd = B ? B->dq : NULL;
	const int64_t M = x->shape.d[0], K = x->shape.d[1], N = tb ? W->shape.d[0] : W->shape.d[1];
	if ((tb ? W->shape.d[1] : W->shape.d[0]) != K || K > 65536 || (wd->axis >= 0 && wd->axis != (tb ? 0 : 1)))
		return false;
	if (B && (!bd || bd->q->dtype != DT_INT32 || !dq_zero_points_zero(bd) || shape_numel(&B->shape) != N ||
	          (bd->axis >= 0 && B->shape.rank != 1)))
		return false;
	if (!q_bias_at_scale(wd, bd, N, xs))
		return false;
	QGemmP *p = xalloc(sizeof *p);
	p->M = M, p->N = N, p->K = K;
	p->ys8 = yt == DT_INT8;
	p->yzp = yzp;
	if (!q_act_clamp(a, ys, yzp, &p->lo, &p->hi))
		return false;
	const int8_t *w8 = wd->q->data;
	const int64_t rs = tb ? 1 : N, cs = tb ? K : 1; /* element (k, n) at w8[k*rs + n*cs] */
	p->wname = W->name;
	p->packed_floats = (pack_qgemm_bytes(K, N) + 3) / 4;
	p->packed = xalloc((size_t)p->packed_floats * sizeof(float));
	pack_qgemm((int8_t *)p->packed, w8, rs, cs, K, N);
	int32_t *colsum = xalloc((size_t)N * sizeof *colsum);
	qgemm_colsums(w8, rs, cs, K, N, colsum);
	if (!q_fold_bias(wd, bd, colsum, N, xs, xzp, ys, &p->bias, &p->mult))
		return false;
	q_take(mm, dqx, act, q, OP_QLinearGemm, "QLinearGemm", p);
	return true;
}

void qlineargemm_parse(Graph *g, Node *n)
{
	(void)g;
	if (!n->p) /* only opt_fuse_qops makes these */
		fatal_node(n, "QLinearGemm reached the compiler unlowered (internal)");
}

void qlineargemm_infer(Graph *g, Node *n)
{
	(void)g;
	const QGemmP *p = n->p;
	Shape out = { 2, { p->M, p->N } };
	set_out(n, 0, p->ys8 ? DT_INT8 : DT_UINT8, &out, n->in[0]->batched);
}

bool qlineargemm_fold(Graph *g, Node *n) { return fold_none(g, n); }

int64_t qlineargemm_macs(const Node *n)
{
	const QGemmP *p = n->p;
	return p->M * p->N * p->K;
}

void qlineargemm_emit(Emit *e, Node *n)
{
	const QGemmP *p = n->p;
	ASSERT(n->in[0]->q8 && n->out[0]->q8);
	emit_need(e, "int8/qgemm.c");
	const char *wp = emit_weights(e, p->packed, (size_t)p->packed_floats);
	const char *b = emit_weights_i32(e, p->bias, p->N), *mult = emit_weights(e, p->mult, (size_t)p->N);
	emitf(e, "\t/* s8 weights of '%s' packed for the int8 GEMM; the bias with -x_zp * colsum(W) folded in */\n",
	      c_comment(p->wname));
	emitf(e, "\tconst O2cQuant q = { (const int32_t *)(const void *)%s, %s, %d, %d, %d, NULL, NULL, 0, 0, 0, 0, 0, "
	         "0, 0 };\n", b, mult, (int)p->yzp, (int)p->lo, (int)p->hi);
	emitf(e, "\to2c_qgemm_u8s8(%lld, %lld, %lld, (const uint8_t *)in0, %lld, (const int8_t *)(const void *)%s, &q, "
	         "(uint8_t *)out0, %lld);\n", (long long)p->M, (long long)p->N, (long long)p->K, (long long)p->K, wp,
	      (long long)p->N);
}
