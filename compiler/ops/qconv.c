/*
 * ops/qconv.c - a quantized Conv in integer arithmetic (issue 21): what
 * passes/opt_fuse_qconv.c makes of DequantizeLinear -> Conv [-> Relu|Clip]
 * -> QuantizeLinear in a QDQ model, and so of QLinearConv too, which
 * passes/lower_qop.c rewrites into that form when the model is loaded.
 *
 * The node reads and writes q8 tensors (u8 NHWC, passes/opt_int8_layout.c
 * gives them and converts at the int8 region's edges) and runs the int8
 * kernels: int8/qconv.c (u8 x s8 products summed in int32 on qgemm) for a
 * dense conv (a grouped one is a dense conv per group, on its channels of
 * each pixel), int8/qdw.c for a depthwise one (group == C == M), then the
 * requantisation ONNX and ORT's MLAS specify: acc * (x_scale * w_scale /
 * y_scale) rounded half to even, plus the zero point, saturated.  So its
 * outputs are ORT's QLinearConv's, not a float conv's rounded once more.
 * A QLinearAdd that alone reads its output may be fused (qconv_take_add, by
 * opt_fuse_qops.c): the kernel then rounds twice as ORT's QLinearConv and
 * QLinearAdd do (int8/shared.c), so the result is the same bits.
 *
 * Taken: 2-D, any group count, s8 weights with zero points 0 (per
 * tensor or per output channel), an int32 bias at scale x_scale * w_scale
 * (or none), per-tensor activations, KH*KW*C/group within O2C_QCONV_BUF.
 * Anything else is left as DQ -> float Conv -> Q, which gives the right
 * answer too.
 */
#include "spatial.h"
#include "blocking.h"
#include "pack.h"

typedef struct QConvP {
	Window w;
	int64_t C, M;
	bool dw;               /* depthwise: int8/qdw.c */
	int64_t G, gbytes;     /* groups (dense per group, not depthwise), each group's packed weights' bytes */
	const char *wname;     /* the weight's name, for the packed weights' comment */
	float *packed;         /* pack_qconv's bytes (pack_qdw's int32s when dw), in floats for the weights blob */
	int64_t packed_floats;
	int32_t *bias;         /* [M] bias - x_zp * colsum(W), u8 domain (int8/shared.c) */
	float *mult;           /* [M] x_scale * w_scale[m] / y_scale */
	int32_t xzp, yzp, lo, hi; /* zero points and the output clamp, u8 domain */
	bool ys8;              /* s8 output (u8 domain = value + 128) */
	QAddP add;             /* a fused QLinearAdd (n->residual set): its parameters, inputs A and B as it has them */
	bool add_res_b;        /* the residual is the add's input B (the conv's output A) */
} QConvP;

bool qconv_build(Graph *g, Node *conv, Node *dqx, Node *act, const Act *a, Node *q)
{
	(void)g;
	float xs, ys;
	int32_t xzp, yzp;
	DType xt, yt;
	if (!quant_per_tensor(dqx, &xs, &xzp, &xt) || !quant_per_tensor(q, &ys, &yzp, &yt))
		return false;
	const Tensor *x = dqx->in[0], *W = conv->in[1], *B = conv->nin > 2 ? conv->in[2] : NULL;
	if (tensor_is_const(x) || (xt != DT_UINT8 && xt != DT_INT8) || x->shape.rank != 4)
		return false;
	const DqFold *wd = W->dq, *bd = B ? B->dq : NULL;
	const int64_t M = W->shape.d[0], C = x->shape.d[1], group = attr_int(conv, "group", 1);
	const bool dw = group == C && M == C && C > 1;
	if (!wd || wd->q->dtype != DT_INT8 || !dq_zero_points_zero(wd) || (wd->axis >= 0 && wd->axis != 0) ||
	    group < 1 || C % group || M % group || W->shape.rank != 4 || W->shape.d[1] != C / group)
		return false;
	const int64_t G = dw ? 1 : group, Cg = C / G, Mg = M / G; /* a grouped conv: one dense conv per group */
	if (B && (!bd || bd->q->dtype != DT_INT32 || !dq_zero_points_zero(bd) || (bd->axis >= 0 && bd->axis != 0)))
		return false;
	QConvP *p = xalloc(sizeof *p);
	window_parse(conv, &p->w, &x->shape, &W->shape, false, true);
	window_forward(conv, &p->w);
	const int64_t KH = p->w.k[0], KW = p->w.k[1], K = KH * KW * (dw ? 1 : Cg);
	if (p->w.nsp != 2 || (!dw && K > O2C_QCONV_BUF))
		return false;
	if (!q_bias_at_scale(wd, bd, M, xs))
		return false;
	p->C = C;
	p->M = M;
	p->dw = dw;
	p->G = G;
	p->ys8 = yt == DT_INT8;
	p->xzp = xzp + (xt == DT_INT8 ? 128 : 0);
	p->yzp = yzp + (p->ys8 ? 128 : 0);
	if (!q_act_clamp(a, ys, p->yzp, &p->lo, &p->hi))
		return false;
	const int8_t *w8 = wd->q->data;
	p->wname = W->name;
	if (dw) { /* int32 [KH*KW][Cp] */
		p->packed_floats = pack_qdw_ints(C, KH, KW);
		p->packed = xalloc((size_t)p->packed_floats * sizeof(float));
		pack_qdw((int32_t *)(void *)p->packed, w8, NULL, C, KH, KW);
	} else { /* each group's W [Mg][Cg][KH][KW] packed on its own, 64-byte aligned */
		p->gbytes = (pack_qconv_bytes(Mg, Cg, KH, KW) + 63) / 64 * 64;
		p->packed_floats = G * p->gbytes / 4;
		p->packed = xalloc((size_t)p->packed_floats * sizeof(float));
		for (int64_t gi = 0; gi < G; gi++)
			pack_qconv((int8_t *)p->packed + gi * p->gbytes, w8 + gi * Mg * K, Mg, Cg, KH, KW);
	}
	int32_t *colsum = xalloc((size_t)M * sizeof *colsum);
	qgemm_colsums(w8, 1, K, K, M, colsum); /* W [M][K]: per output channel, dense, grouped or depthwise */
	if (!q_fold_bias(wd, bd, colsum, M, xs, p->xzp, ys, &p->bias, &p->mult)) /* B [M]: conv_infer checked */
		return false;

	/* the Conv becomes the node: x_q in, y_q out; the DQ, the activation and the Q it covers */
	q_take(conv, dqx, act, q, OP_QLinearConv, "QLinearConv", p);
	return true;
}

bool qconv_take_add(Node *conv, Node *add)
{
	QConvP *p = conv->p;
	const QAddP *a = add->p;
	if (conv->residual || add->in[0] == add->in[1])
		return false;
	const int k = add->in[0] == conv->out[0] ? 0 : 1; /* the conv's output is operand k */
	const Tensor *other = add->in[1 - k];
	if (add->in[k] != conv->out[0] || conv->out[0]->nuses != 1 || conv->out[0]->kind != T_TEMP)
		return false;
	if (other->producer && other->producer->id > conv->id) /* the shortcut must exist before the conv runs */
		return false;
	/* the add's rounding reads the conv's output as ORT's QLinearAdd does: at the conv's scale and zero point */
	p->add = *a;          /* A and B as the add has them: add_fixed folds their zero points in that order */
	p->add_res_b = k == 0; /* the conv's output is A, the residual B */
	p->ys8 = a->ys8;
	conv->residual = add->in[1 - k];
	node_absorb(conv, add);
	return true;
}

void qlinearconv_parse(Graph *g, Node *n)
{
	(void)g;
	if (!n->p) /* only opt_fuse_qconv makes these; lower_qop.c rewrites a model's own */
		fatal_node(n, "QLinearConv reached the compiler unlowered (internal)");
}

void qlinearconv_infer(Graph *g, Node *n)
{
	(void)g;
	const QConvP *p = n->p;
	Shape out;
	window_out_shape(&p->w, n->in[0]->shape.d[0], p->M, &out);
	set_out(n, 0, p->ys8 ? DT_INT8 : DT_UINT8, &out, n->in[0]->batched);
}

bool qlinearconv_fold(Graph *g, Node *n) { return fold_none(g, n); }

int64_t qlinearconv_macs(const Node *n)
{
	const QConvP *p = n->p;
	return shape_numel(&n->out[0]->shape) * (p->dw ? 1 : p->C / p->G) * p->w.k[0] * p->w.k[1];
}

void qlinearconv_emit(Emit *e, Node *n)
{
	const QConvP *p = n->p;
	const Window *w = &p->w;
	const int64_t N = n->in[0]->shape.d[0], C = p->C, M = p->M;
	ASSERT(n->in[0]->q8 && n->out[0]->q8 && (!n->residual || n->residual->q8));
	emit_need(e, p->dw ? "int8/qdw.c" : "int8/qconv.c");
	const char *wp = emit_weights(e, p->packed, (size_t)p->packed_floats);
	const char *bias = emit_weights_i32(e, p->bias, M), *mult = emit_weights(e, p->mult, (size_t)M);
	emitf(e, "\t/* s8 weights of '%s' packed for the int8 %s conv; the bias with -x_zp * colsum(W) folded in */\n",
	      c_comment(p->wname), p->dw ? "depthwise" : "dense");
	if (n->residual) { /* + QLinearAdd(this conv's output, res), ORT's arithmetic (int8/shared.c) */
		const QAddP *a = &p->add;
		const float rc = p->add_res_b ? a->sa / a->sy : a->sb / a->sy, rr = p->add_res_b ? a->sb / a->sy : a->sa / a->sy;
		emitf(e, "\tconst O2cQuant q = { (const int32_t *)(const void *)%s, %s, %d, %d, %d, NULL, (const uint8_t *)res, "
		         "%lld, %s, %s, %s, %d, %d, %d };\n", bias, mult, (int)p->yzp, (int)p->lo, (int)p->hi, (long long)M,
		      c_float(rc), c_float(rr), c_float(qadd_fixed(a)), p->add_res_b ? 1 : 0, (int)a->lo, (int)a->hi);
	} else {
		emitf(e, "\tconst O2cQuant q = { (const int32_t *)(const void *)%s, %s, %d, %d, %d, NULL, NULL, 0, 0, 0, 0, "
		         "0, 0, 0 };\n", bias, mult, (int)p->yzp, (int)p->lo, (int)p->hi);
	}
	if (p->dw)
		emitf(e,
		      "\to2c_qdw((const uint8_t *)in0, (const int32_t *)(const void *)%s, &q, (uint8_t *)out0, /*N*/%lld, "
		      "/*C*/%lld, /*H*/%lld, /*W*/%lld,\n\t        /*OH*/%lld, /*OW*/%lld, /*KH*/%lld, /*KW*/%lld, /*SH*/%lld, "
		      "/*SW*/%lld, /*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld, /*x_zp*/%d, %lld, %lld);\n",
		      wp, (long long)N, (long long)C, (long long)w->in[0], (long long)w->in[1], (long long)w->out[0],
		      (long long)w->out[1], (long long)w->k[0], (long long)w->k[1], (long long)w->s[0], (long long)w->s[1],
		      (long long)w->d[0], (long long)w->d[1], (long long)w->pb[0], (long long)w->pb[1], (int)p->xzp,
		      (long long)C, (long long)M);
	else if (p->G == 1)
		emitf(e,
		      "\to2c_qconv_nhwc((const uint8_t *)in0, %lld, %d, (const int8_t *)(const void *)%s, &q, (uint8_t *)out0, "
		      "%lld, /*NB*/%lld, /*H*/%lld,\n\t               /*W*/%lld, /*C*/%lld, /*M*/%lld, /*OH*/%lld, /*OW*/%lld, "
		      "/*KH*/%lld, /*KW*/%lld, /*SH*/%lld, /*SW*/%lld, /*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld);\n",
		      (long long)C, (int)p->xzp, wp, (long long)M, (long long)N, (long long)w->in[0], (long long)w->in[1],
		      (long long)C, (long long)M, (long long)w->out[0], (long long)w->out[1], (long long)w->k[0],
		      (long long)w->k[1], (long long)w->s[0], (long long)w->s[1], (long long)w->d[0], (long long)w->d[1],
		      (long long)w->pb[0], (long long)w->pb[1]);
	else { /* a dense conv per group: its channels of every pixel, pixel strides C in and M out */
		const long long Cg = C / p->G, Mg = M / p->G;
		emitf(e, "\tfor (int g = 0; g < %lld; g++) { /* the groups write apart and read only the input: no sync */\n"
		         "\t\tO2cQuant qg = q;\n\t\tqg.bias += g * %lld, qg.mult += g * %lld;\n"
		         "\t\tif (qg.res)\n\t\t\tqg.res += g * %lld;\n", (long long)p->G, Mg, Mg, Mg);
		emitf(e,
		      "\t\to2c_qconv_nhwc((const uint8_t *)in0 + g * %lld, %lld, %d, (const int8_t *)(const void *)%s + g * %lld, "
		      "&qg,\n\t\t               (uint8_t *)out0 + g * %lld, %lld, /*NB*/%lld, /*H*/%lld, /*W*/%lld, /*C*/%lld, "
		      "/*M*/%lld, /*OH*/%lld, /*OW*/%lld,\n\t\t               /*KH*/%lld, /*KW*/%lld, /*SH*/%lld, /*SW*/%lld, "
		      "/*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld);\n\t}\n",
		      Cg, (long long)C, (int)p->xzp, wp, (long long)p->gbytes, Mg, (long long)M, (long long)N,
		      (long long)w->in[0], (long long)w->in[1], Cg, Mg, (long long)w->out[0], (long long)w->out[1],
		      (long long)w->k[0], (long long)w->k[1], (long long)w->s[0], (long long)w->s[1], (long long)w->d[0],
		      (long long)w->d[1], (long long)w->pb[0], (long long)w->pb[1]);
	}
}
