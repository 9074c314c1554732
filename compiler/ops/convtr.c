/*
 * ops/convtr.c - ConvTranspose (opset 1..21): output size from pads,
 * output_padding, output_shape and auto_pad as the ONNX docs give them:
 *   out = s*(in-1) + output_padding + (k-1)*d + 1 - pad_begin - pad_end
 * With output_shape (or SAME_*, where output_shape = in*s) the total padding
 * is solved for and split: SAME_UPPER puts the smaller half first, otherwise
 * the larger half goes first.  Emits a call to templates/convtr.c.
 */
#include "spatial.h"

typedef struct ConvTrP {
	Window w;
	int64_t group;
	int64_t opad[2];
} ConvTrP;

void convtr_parse(Graph *g, Node *n)
{
	(void)g;
	ConvTrP *p = xalloc(sizeof *p);
	require_float(n, 0);
	require_float(n, 1);
	require_float(n, 2);
	if (!tensor_is_const(n->in[1]))
		fatal_unsupported(n, "weight '%s' is computed at run time; only constant ConvTranspose weights are supported",
		                  n->in[1]->name);
	window_parse(n, &p->w, &n->in[0]->shape, &n->in[1]->shape, false, true);
	p->group = attr_int(n, "group", 1);
	if (p->group < 1)
		fatal_node(n, "attribute group = %lld; must be at least 1", (long long)p->group);
	int64_t v[MAX_RANK];
	int cnt = attr_ints(n, "output_padding", v, MAX_RANK);
	if (cnt >= 0 && cnt != p->w.nsp)
		fatal_node(n, "attribute output_padding has %d values; %d expected", cnt, p->w.nsp);
	for (int i = 0; i < cnt; i++) {
		if (v[i] < 0)
			fatal_node(n, "attribute output_padding[%d] = %lld is negative", i, (long long)v[i]);
		p->opad[i + 2 - p->w.nsp] = v[i];
	}
	n->p = p;
}

void convtr_infer(Graph *g, Node *n)
{
	(void)g;
	ConvTrP *p = n->p;
	Window *w = &p->w;
	const Shape *x = &n->in[0]->shape, *wt = &n->in[1]->shape;
	int64_t C = x->d[1], G = p->group, M = wt->d[1] * G;
	if (C % G)
		fatal_node(n, "input has %lld channels, not divisible by group %lld", (long long)C, (long long)G);
	if (wt->d[0] != C)
		fatal_node(n, "weight %s expects %lld input channels, but the input %s has %lld", shape_str(wt),
		           (long long)wt->d[0], shape_str(x), (long long)C);
	if (n->nin > 2 && n->in[2]) {
		const Shape *b = &n->in[2]->shape;
		if (b->rank != 1 || b->d[0] != M)
			fatal_node(n, "bias '%s' has shape %s; [%lld] expected", n->in[2]->name, shape_str(b), (long long)M);
	}
	int64_t os[MAX_RANK];
	int nos = attr_ints(n, "output_shape", os, MAX_RANK);
	if (nos >= 0 && nos != w->nsp && nos != w->nsp + 2)
		fatal_node(n, "attribute output_shape has %d values; %d expected", nos, w->nsp);
	for (int i = 0; i < 2; i++) {
		int64_t in = w->in[i], s = w->s[i], dk = (w->k[i] - 1) * w->d[i] + 1, full = s * (in - 1) + p->opad[i] + dk;
		int64_t want = -1;
		if (nos >= 0 && i + w->nsp >= 2)
			want = os[nos - 2 + i];
		else if (w->auto_pad == PAD_SAME_UPPER || w->auto_pad == PAD_SAME_LOWER)
			want = in * s;
		if (w->auto_pad == PAD_VALID)
			w->pb[i] = w->pe[i] = 0;
		if (want >= 0 && !(i == 0 && w->nsp == 1)) {
			/* floor division, as the ONNX reference: a negative total (output_shape
			 * larger than the natural size) extends the end, like output_padding */
			int64_t total = full - want, half = total >= 0 ? total / 2 : -((-total + 1) / 2);
			if (w->auto_pad == PAD_SAME_UPPER) {
				w->pb[i] = half;
				w->pe[i] = total - half;
			} else {
				w->pe[i] = half;
				w->pb[i] = total - half;
			}
		}
		w->out[i] = full - w->pb[i] - w->pe[i];
		if (w->out[i] <= 0)
			fatal_node(n, "output size on axis %d would be %lld", i + w->nsp - 2 + 2, (long long)w->out[i]);
	}
	Shape out;
	window_out_shape(w, x->d[0], M, &out);
	set_out(n, 0, DT_FLOAT, &out, n->in[0]->batched);
}

bool convtr_fold(Graph *g, Node *n) { return fold_none(g, n); }

/* Multiply-accumulates per sample: each input value meets M/group * KH * KW taps (its FACT). */
int64_t convtr_macs(const Node *n)
{
	const Shape *w = &n->in[1]->shape;
	return w->d[0] ? shape_numel(&n->in[0]->shape) * (shape_numel(w) / w->d[0]) : 0;
}

void convtr_emit(Emit *e, Node *n)
{
	const ConvTrP *p = n->p;
	const Window *w = &p->w;
	const Shape *x = &n->in[0]->shape;
	const Tensor *wt = n->in[1], *bt = n->nin > 2 ? n->in[2] : NULL;
	const char *bias = !bt ? "NULL" : tensor_is_const(bt) ? emit_const(e, bt) : "in2";
	const char *lo, *hi;
	bool clamped = spatial_act_clamp(n, &lo, &hi);
	emit_need(e, "convtr.c");
	emitf(e, "\to2c_convtr2d(in0, %s, %s, %s, out0, /*N*/%lld, /*G*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, "
	         "/*M*/%lld, /*OH*/%lld, /*OW*/%lld,\n\t             /*KH*/%lld, /*KW*/%lld, /*SH*/%lld, /*SW*/%lld, "
	         "/*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld, %s, %s);\n",
	      emit_const(e, wt), bias, n->residual ? "res" : "NULL", (long long)x->d[0], (long long)p->group,
	      (long long)x->d[1], (long long)w->in[0], (long long)w->in[1], (long long)n->out[0]->shape.d[1],
	      (long long)w->out[0], (long long)w->out[1], (long long)w->k[0], (long long)w->k[1], (long long)w->s[0],
	      (long long)w->s[1], (long long)w->d[0], (long long)w->d[1], (long long)w->pb[0], (long long)w->pb[1], lo,
	      hi);
	if (!clamped)
		spatial_emit_act_pass(e, n, shape_numel(&n->out[0]->shape));
}
