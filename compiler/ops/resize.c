/*
 * ops/resize.c - Resize (opsets 10 to 19) and Upsample (7, 9): nearest and
 * linear interpolation with constant scales or sizes.
 *
 * Each axis maps output index x to a source coordinate by the
 * coordinate_transformation_mode (half_pixel, pytorch_half_pixel,
 * align_corners, asymmetric, tf_half_pixel_for_nn, half_pixel_symmetric);
 * Resize-10 and Upsample are asymmetric.  Nearest rounds that coordinate by
 * nearest_mode (Resize-10 and Upsample floor it) and clamps it, so it is a
 * gather: a move with one offset table per axis (see move.h).  Linear takes
 * the two neighbours floor(c) and floor(c)+1, clamped to the edge, weighted
 * 1-f and f, on at most the last two axes (bilinear over H and W; the axes
 * before them must keep their size).  The tables are computed here and
 * emitted as static arrays, so the kernel does no coordinate arithmetic.
 *
 * Refused, with the node named: cubic mode, tf_crop_and_resize (roi),
 * antialias, keep_aspect_ratio_policy other than stretch, scales or sizes
 * computed at run time, linear over more than the last two axes.
 */
#include "elem.h"
#include "move.h"

#include <math.h>
#include <string.h>

typedef enum { CT_HALF_PIXEL, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS, CT_ASYMMETRIC, CT_TF_HALF_PIXEL_NN,
	CT_HALF_PIXEL_SYM } CoordMode;
typedef enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL } NearestMode;

typedef struct {
	bool linear;
	CoordMode ct;
	NearestMode nm;
	double scale[MAX_RANK];   /* output / input per axis, as the coordinate transform uses it */
	int64_t out[MAX_RANK];
} ResizeP;

static const char *ct_names[] = { "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
	"tf_half_pixel_for_nn", "half_pixel_symmetric" };
static const char *nm_names[] = { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" };

static int pick(const Node *n, const char *attr, const char *val, const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if (!strcmp(val, names[i]))
			return i;
	if (!strcmp(attr, "coordinate_transformation_mode") && !strcmp(val, "tf_crop_and_resize"))
		fatal_unsupported(n, "coordinate_transformation_mode 'tf_crop_and_resize' (a region of interest) is not "
		                     "supported");
	fatal_node(n, "attribute %s='%s' is not a known value", attr, val);
}

/* A constant float input's values (scales); -1 when absent or empty. */
static int const_floats(const Node *n, int j, double *out, int max)
{
	if (j >= n->nin || !n->in[j])
		return -1;
	const Tensor *t = n->in[j];
	if (!tensor_is_const(t))
		fatal_unsupported(n, "input %d '%s' (scales) is computed at run time; it must be a constant", j, t->name);
	if (t->dtype != DT_FLOAT)
		fatal_node(n, "input %d '%s' (scales) is %s; float is needed", j, t->name, dtype_name(t->dtype));
	int64_t cnt = shape_numel(&t->shape);
	if (cnt == 0)
		return -1;
	if (cnt > max)
		fatal_node(n, "input %d '%s' has %lld values; the input has rank %d", j, t->name, (long long)cnt, max);
	for (int64_t i = 0; i < cnt; i++)
		out[i] = tensor_f32(t)[i];
	return (int)cnt;
}

static void resize_common(Node *n, bool upsample)
{
	ResizeP *p = xalloc(sizeof *p);
	const Tensor *x = n->in[0];
	int r = x->shape.rank;
	const char *mode = attr_string(n, "mode", "nearest");
	if (!strcmp(mode, "cubic"))
		fatal_unsupported(n, "mode 'cubic' is not supported (only nearest and linear)");
	if (strcmp(mode, "nearest") && strcmp(mode, "linear") && strcmp(mode, "bilinear"))
		fatal_node(n, "attribute mode='%s' is not nearest, linear or cubic", mode);
	p->linear = strcmp(mode, "nearest") != 0;
	bool v10 = upsample || n->opset < 11;
	p->ct = v10 ? CT_ASYMMETRIC
	            : (CoordMode)pick(n, "coordinate_transformation_mode",
	                              attr_string(n, "coordinate_transformation_mode", "half_pixel"), ct_names, 6);
	p->nm = v10 ? NM_FLOOR : (NearestMode)pick(n, "nearest_mode", attr_string(n, "nearest_mode",
	                                           "round_prefer_floor"), nm_names, 4);
	if (attr_int(n, "antialias", 0))
		fatal_unsupported(n, "antialias=1 is not supported");
	const char *keep = attr_string(n, "keep_aspect_ratio_policy", "stretch");
	/* axes (opset 18): scales and sizes name these axes only */
	int64_t axes[MAX_RANK];
	int na = attr_ints(n, "axes", axes, MAX_RANK);
	if (na < 0) {
		na = r;
		for (int d = 0; d < r; d++)
			axes[d] = d;
	}
	for (int k = 0; k < na; k++)
		axes[k] = norm_axis(n, axes[k], r, "axis");

	double sc[MAX_RANK];
	int64_t sz[MAX_RANK];
	int ns = -1, nz = -1;
	if (upsample && n->opset < 9) {
		float f[MAX_RANK];
		ns = attr_floats(n, "scales", f, MAX_RANK);
		for (int k = 0; k < ns; k++)
			sc[k] = f[k];
	} else if (v10) {
		ns = const_floats(n, 1, sc, MAX_RANK);
	} else {
		ns = const_floats(n, 2, sc, MAX_RANK);
		nz = const_ints_input(n, 3, sz, MAX_RANK);
	}
	if ((ns < 0) == (nz < 0))
		fatal_node(n, "exactly one of scales and sizes must be given");
	if (nz >= 0 && strcmp(keep, "stretch"))
		fatal_unsupported(n, "keep_aspect_ratio_policy '%s' (only stretch)", keep);
	int cnt = ns >= 0 ? ns : nz;
	if (cnt != na)
		fatal_node(n, "%s has %d values for %d axes", ns >= 0 ? "scales" : "sizes", cnt, na);
	for (int d = 0; d < r; d++) {
		p->scale[d] = 1;
		p->out[d] = x->shape.d[d];
	}
	for (int k = 0; k < na; k++) {
		int d = (int)axes[k];
		int64_t in = x->shape.d[d];
		if (ns >= 0) {
			if (!(sc[k] > 0))
				fatal_node(n, "scale %g on axis %d is not positive", sc[k], d);
			p->scale[d] = sc[k];
			/* per sample: the batch axis keeps its (run-time) size */
			p->out[d] = x->batched && d == 0 ? 1 : (int64_t)floor((double)in * sc[k]);
		} else {
			int64_t v = sz[k] == SYM_BATCH && x->batched && d == 0 ? 1 : sz[k];
			if (v <= 0)
				fatal_node(n, "size %lld on axis %d is not positive", (long long)sz[k], d);
			p->out[d] = v;
			p->scale[d] = (double)v / (double)in;
		}
		if (x->batched && d == 0 && p->scale[0] != 1.0)
			fatal_node(n, "resizes axis 0 of '%s', which is the run-time batch; fix the batch with --dim to "
			              "compile this", x->name);
		if (p->out[d] <= 0)
			fatal_node(n, "axis %d of %s would be resized to %lld", d, shape_str(&x->shape), (long long)p->out[d]);
	}
	if (p->linear)
		for (int d = 0; d + 2 < r; d++)
			if (p->out[d] != x->shape.d[d] || p->scale[d] != 1.0)
				fatal_unsupported(n, "linear resize of axis %d: only the last two axes (bilinear) are supported",
				                  d);
	n->p = p;
}

void resize_parse(Graph *g, Node *n) { (void)g; resize_common(n, false); }
void upsample_parse(Graph *g, Node *n) { (void)g; resize_common(n, true); }

void resize_infer(Graph *g, Node *n)
{
	(void)g;
	const ResizeP *p = n->p;
	const Tensor *x = n->in[0];
	if (!tensor_is_const(x) || p->linear) /* nearest folds constants of any type */
		require_float(n, 0);
	Shape o = { .rank = x->shape.rank };
	for (int d = 0; d < o.rank; d++)
		o.d[d] = p->out[d];
	set_out(n, 0, x->dtype, &o, x->batched);
}

void upsample_infer(Graph *g, Node *n) { resize_infer(g, n); }

/* Source coordinate of output index i on an axis of in -> out elements.
 * As in ONNX's reference, the resized length in these formulas is in *
 * scale before flooring (0.6 x 4 = 2.4, not 2, with scales given). */
static double coord(const ResizeP *p, int64_t i, int64_t in, int64_t out, double scale)
{
	double x = (double)i, len = (double)in * scale;
	switch (p->ct) {
	case CT_HALF_PIXEL: return (x + 0.5) / scale - 0.5;
	case CT_PYTORCH_HALF_PIXEL: return len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
	case CT_ALIGN_CORNERS: return len == 1 ? 0.0 : x * (double)(in - 1) / (len - 1);
	case CT_ASYMMETRIC: return x / scale;
	case CT_TF_HALF_PIXEL_NN: return (x + 0.5) / scale;
	case CT_HALF_PIXEL_SYM: {
		double adj = (double)out / (scale * (double)in), center = (double)in / 2;
		return center * (1 - adj) + (x + 0.5) / scale - 0.5;
	}
	}
	UNREACHABLE();
}

static int64_t clampi(int64_t v, int64_t n)
{
	return v < 0 ? 0 : v >= n ? n - 1 : v;
}

static int64_t nearest(const ResizeP *p, double c)
{
	switch (p->nm) {
	case NM_ROUND_PREFER_FLOOR: return c - floor(c) == 0.5 ? (int64_t)floor(c) : (int64_t)llround(c);
	case NM_ROUND_PREFER_CEIL: return c - floor(c) == 0.5 ? (int64_t)ceil(c) : (int64_t)llround(c);
	case NM_FLOOR: return (int64_t)floor(c);
	case NM_CEIL: return (int64_t)ceil(c);
	}
	UNREACHABLE();
}

/* Linear taps of one axis: source indices i0, i1 and the weight f of i1. */
static void linear_taps(const ResizeP *p, int64_t in, int64_t out, double scale, int64_t *i0, int64_t *i1, float *f)
{
	for (int64_t i = 0; i < out; i++) {
		if (in == out && scale == 1.0) { /* a kept axis */
			i0[i] = i1[i] = i;
			f[i] = 0;
			continue;
		}
		double c = coord(p, i, in, out, scale), fl = floor(c);
		i0[i] = clampi((int64_t)fl, in);
		i1[i] = clampi((int64_t)fl + 1, in);
		f[i] = (float)(c - fl);
	}
}

/* Nearest: a gather with one source-offset table per axis. */
static Move nearest_move(const Node *n)
{
	const ResizeP *p = n->p;
	const Shape *xs = &n->in[0]->shape;
	int64_t st[MAX_RANK];
	move_strides(xs, st);
	Move m = move_contig(&n->out[0]->shape);
	for (int d = 0; d < xs->rank; d++) {
		if (p->out[d] == xs->d[d] && p->scale[d] == 1.0) {
			m.ss[d] = st[d];
			continue;
		}
		int64_t *t = xalloc((size_t)p->out[d] * sizeof *t);
		for (int64_t i = 0; i < p->out[d]; i++)
			t[i] = clampi(nearest(p, coord(p, i, xs->d[d], p->out[d], p->scale[d])), xs->d[d]) * st[d];
		m.tab[d] = t;
	}
	return m;
}

/* The input seen as [outer][H][W] with the resized H and W last. */
static void hw_dims(const Node *n, int64_t *outer, int64_t *ih, int64_t *iw, int64_t *oh, int64_t *ow)
{
	const ResizeP *p = n->p;
	const Shape *xs = &n->in[0]->shape;
	int r = xs->rank;
	*outer = 1;
	for (int d = 0; d + 2 < r; d++)
		*outer *= xs->d[d];
	*ih = r >= 2 ? xs->d[r - 2] : 1;
	*oh = r >= 2 ? p->out[r - 2] : 1;
	*iw = r >= 1 ? xs->d[r - 1] : 1;
	*ow = r >= 1 ? p->out[r - 1] : 1;
}

typedef struct { int64_t *h0, *h1, *w0, *w1; float *hf, *wf; } Taps;

static Taps hw_taps(const Node *n)
{
	const ResizeP *p = n->p;
	int r = n->in[0]->shape.rank;
	int64_t outer, ih, iw, oh, ow;
	hw_dims(n, &outer, &ih, &iw, &oh, &ow);
	size_t hi = (size_t)oh * sizeof(int64_t), wi = (size_t)ow * sizeof(int64_t);
	Taps t = { xalloc(hi), xalloc(hi), xalloc(wi), xalloc(wi), xalloc((size_t)oh * sizeof(float)),
		xalloc((size_t)ow * sizeof(float)) };
	linear_taps(p, ih, oh, r >= 2 ? p->scale[r - 2] : 1.0, t.h0, t.h1, t.hf);
	linear_taps(p, iw, ow, p->scale[r - 1], t.w0, t.w1, t.wf);
	return t;
}

bool resize_fold(Graph *g, Node *n)
{
	(void)g;
	const ResizeP *p = n->p;
	if (!p->linear) {
		Move m = nearest_move(n);
		move_run(&m, move_alloc(n->out[0]), n->in[0]->data, dtype_size(n->in[0]->dtype));
		return true;
	}
	int64_t outer, ih, iw, oh, ow;
	hw_dims(n, &outer, &ih, &iw, &oh, &ow);
	Taps t = hw_taps(n);
	const float *x = tensor_f32(n->in[0]);
	float *y = move_alloc(n->out[0]);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t i = 0; i < oh; i++)
			for (int64_t j = 0; j < ow; j++) {
				const float *r0 = x + (o * ih + t.h0[i]) * iw, *r1 = x + (o * ih + t.h1[i]) * iw;
				float a = r0[t.w0[j]] * (1 - t.wf[j]) + r0[t.w1[j]] * t.wf[j];
				float b = r1[t.w0[j]] * (1 - t.wf[j]) + r1[t.w1[j]] * t.wf[j];
				y[(o * oh + i) * ow + j] = a * (1 - t.hf[i]) + b * t.hf[i];
			}
	return true;
}

bool upsample_fold(Graph *g, Node *n) { return resize_fold(g, n); }

static void emit_table_i(Emit *e, const char *name, const int64_t *v, int64_t cnt, int64_t mul)
{
	emitf(e, "\tstatic const int32_t %s[%lld] = {", name, (long long)cnt);
	for (int64_t i = 0; i < cnt; i++)
		emitf(e, "%s%lld", i ? (i % 16 ? ", " : ",\n\t\t") : "", (long long)(v[i] * mul));
	emitf(e, "};\n");
}

static void emit_table_f(Emit *e, const char *name, const float *v, int64_t cnt)
{
	emitf(e, "\tstatic const float %s[%lld] = {", name, (long long)cnt);
	for (int64_t i = 0; i < cnt; i++)
		emitf(e, "%s%s", i ? (i % 8 ? ", " : ",\n\t\t") : "", c_float(v[i]));
	emitf(e, "};\n");
}

void resize_emit(Emit *e, Node *n)
{
	const ResizeP *p = n->p;
	const char *src = move_input(e, n, 0);
	if (!p->linear) {
		Move m = nearest_move(n);
		move_emit(e, &m, "out0", src);
		return;
	}
	int64_t outer, ih, iw, oh, ow;
	hw_dims(n, &outer, &ih, &iw, &oh, &ow);
	Taps t = hw_taps(n);
	/* row offsets (times iw) for H, column indices for W, and the weights of the second tap */
	emit_table_i(e, "h0", t.h0, oh, iw);
	emit_table_i(e, "h1", t.h1, oh, iw);
	emit_table_f(e, "hf", t.hf, oh);
	emit_table_i(e, "w0", t.w0, ow, 1);
	emit_table_i(e, "w1", t.w1, ow, 1);
	emit_table_f(e, "wf", t.wf, ow);
	if (outer * oh * ow >= ELT_PAR_MIN) {
		emit_team(e);
		emitf(e, "\tO2C_OMP(for collapse(2) nowait)\n");
	}
	emitf(e, "\tfor (ptrdiff_t o = 0; o < %lld; o++)\n", (long long)outer);
	emitf(e, "\t\tfor (ptrdiff_t i = 0; i < %lld; i++) {\n", (long long)oh);
	emitf(e, "\t\t\tconst float *r0 = %s + o * %lld + h0[i], *r1 = %s + o * %lld + h1[i];\n", src,
	      (long long)(ih * iw), src, (long long)(ih * iw));
	emitf(e, "\t\t\tfloat *y = out0 + (o * %lld + i) * %lld;\n", (long long)oh, (long long)ow);
	emitf(e, "\t\t\tfor (ptrdiff_t j = 0; j < %lld; j++) {\n", (long long)ow);
	emitf(e, "\t\t\t\tconst float a = r0[w0[j]] * (1.0f - wf[j]) + r0[w1[j]] * wf[j];\n");
	emitf(e, "\t\t\t\tconst float b = r1[w0[j]] * (1.0f - wf[j]) + r1[w1[j]] * wf[j];\n");
	emitf(e, "\t\t\t\ty[j] = a * (1.0f - hf[i]) + b * hf[i];\n");
	emitf(e, "\t\t\t}\n\t\t}\n");
}

void upsample_emit(Emit *e, Node *n) { resize_emit(e, n); }
