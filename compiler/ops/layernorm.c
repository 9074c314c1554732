/*
 * ops/layernorm.c - LayerNormalization (opset 17): each row of the input,
 * seen as [rows][cols] with cols the product of the dimensions from `axis`
 * on, is normalised by its own mean and variance, then scaled and shifted:
 *
 *   y = (x - mean) / sqrt(var + epsilon) * Scale + B
 *
 * The optional outputs Mean and InvStdDev (shape: the input's with 1 from
 * axis on) are written when the graph has them.  Scale and B broadcast to
 * the normalised shape; constants are expanded to cols values at compile
 * time, a run-time Scale or B must have exactly cols values.  Variance is
 * the mean of squared deviations (two passes over the row), as in ONNX's
 * reference, not E[x^2] - E[x]^2, which cancels badly for large means.
 * stash_type other than float (1) is refused: every computation here is
 * float.
 *
 * Older opsets export LayerNorm decomposed (ReduceMean, Sub, Pow,
 * ReduceMean, Add, Sqrt, Div, Mul, Add): passes/opt_fuse_layernorm.c makes
 * them one node again.  That pass also writes the internal attribute
 * onnx2c_per_pixel = 1 for ConvNeXt's LayerNorm over channels (Transpose to
 * NHWC, LayerNorm, Transpose back): the node then reads NCHW and normalises
 * each pixel over C alone (axis 1, Scale and B of C values), a stride of H*W
 * between a pixel's values; the kernel runs over blocks of pixels, so its
 * inner loops are contiguous and vectorise.  The arithmetic per pixel is
 * the same, in the same order, as a row of the channels-last node.
 */
#include "elem.h"

#include <math.h>

typedef struct {
	int axis;
	float eps;
	bool per_pixel; /* onnx2c_per_pixel: over axis 1 alone, NCHW */
	int64_t outer, cols, inner; /* element (o, c, i) at (o * cols + c) * inner + i; inner = 1 unless per_pixel */
} LayerNormP;

void layernorm_parse(Graph *g, Node *n)
{
	(void)g;
	LayerNormP *p = xalloc(sizeof *p);
	const Tensor *x = n->in[0];
	int r = x->shape.rank;
	if (r == 0)
		fatal_node(n, "input '%s' is a scalar; LayerNormalization needs at least one axis", x->name);
	p->per_pixel = attr_int(n, "onnx2c_per_pixel", 0) != 0;
	p->axis = p->per_pixel ? 1 : norm_axis(n, attr_int(n, "axis", -1), r, "axis");
	p->eps = attr_float(n, "epsilon", 1e-5f);
	int64_t stash = attr_int(n, "stash_type", 1);
	if (stash != 1)
		fatal_unsupported(n, "stash_type %lld (only 1, float, is supported)", (long long)stash);
	if (p->per_pixel && (r < 2 || n->nout > 1))
		fatal_node(n, "onnx2c_per_pixel needs an input of rank 2 or more and no Mean or InvStdDev output");
	check_batch_axis(n, x, p->axis, "LayerNormalization");
	p->outer = p->cols = p->inner = 1;
	for (int d = 0; d < r; d++) {
		if (d < p->axis)
			p->outer *= x->shape.d[d];
		else if (d == p->axis || !p->per_pixel)
			p->cols *= x->shape.d[d];
		else
			p->inner *= x->shape.d[d];
	}
	n->p = p;
}

/* The normalised shape: the input's dimensions from axis on ([C] per pixel). */
static Shape norm_shape(const Node *n)
{
	const LayerNormP *p = n->p;
	const Shape *xs = &n->in[0]->shape;
	if (p->per_pixel)
		return (Shape){ 1, { xs->d[1] } };
	Shape s = { .rank = xs->rank - p->axis };
	for (int d = p->axis; d < xs->rank; d++)
		s.d[d - p->axis] = xs->d[d];
	return s;
}

void layernorm_infer(Graph *g, Node *n)
{
	(void)g;
	const LayerNormP *p = n->p;
	const Tensor *x = n->in[0];
	require_float(n, 0);
	Shape ns = norm_shape(n);
	for (int j = 1; j < 3 && j < n->nin; j++) {
		const Tensor *t = n->in[j];
		if (!t)
			continue;
		require_float(n, j);
		Shape b;
		broadcast_shape(n, &ns, &t->shape, &b);
		if (!shape_eq(&b, &ns))
			fatal_node(n, "%s '%s' %s does not broadcast to the normalised shape %s", j == 1 ? "Scale" : "B",
			           t->name, shape_str(&t->shape), shape_str(&ns));
		if (!tensor_is_const(t) && shape_numel(&t->shape) != p->cols)
			fatal_unsupported(n, "%s '%s' %s is computed at run time and must then have the normalised shape %s",
			                  j == 1 ? "Scale" : "B", t->name, shape_str(&t->shape), shape_str(&ns));
		if (t->batched)
			fatal_unsupported(n, "%s '%s' is batched", j == 1 ? "Scale" : "B", t->name);
	}
	if (n->nin < 2 || !n->in[1])
		fatal_node(n, "input 'Scale' is missing");
	infer_same(n);
	Shape rs = x->shape;
	for (int d = p->axis; d < rs.rank; d++)
		rs.d[d] = 1;
	for (int j = 1; j < n->nout; j++)
		set_out(n, j, DT_FLOAT, &rs, x->batched);
}

/* Scale or B broadcast to the cols values of one row (constants only). */
static float *row_params(const Node *n, int j)
{
	const LayerNormP *p = n->p;
	Shape ns = norm_shape(n);
	int64_t st[MAX_RANK];
	bcast_strides(&n->in[j]->shape, &ns, st);
	float *v = xalloc((size_t)p->cols * sizeof *v);
	for (int64_t i = 0; i < p->cols; i++)
		v[i] = tensor_f32(n->in[j])[bcast_offset(st, &ns, i)];
	return v;
}

bool layernorm_fold(Graph *g, Node *n)
{
	(void)g;
	const LayerNormP *p = n->p;
	const float *x = tensor_f32(n->in[0]);
	const float *w = row_params(n, 1);
	const float *b = n->nin > 2 && n->in[2] ? row_params(n, 2) : NULL;
	const int64_t rows = p->outer * p->inner, st = p->inner;
	float *y = xalloc((size_t)(rows * p->cols) * sizeof *y + 1);
	float *mean = xalloc((size_t)rows * sizeof *mean), *inv = xalloc((size_t)rows * sizeof *inv);
	for (int64_t r = 0; r < rows; r++) {
		const int64_t o = r / st, i = r % st; /* a row: its cols values st apart */
		const float *xr = x + o * p->cols * st + i;
		float *yr = y + o * p->cols * st + i;
		double s = 0, v = 0;
		for (int64_t c = 0; c < p->cols; c++)
			s += xr[c * st];
		double m = s / (double)p->cols;
		for (int64_t c = 0; c < p->cols; c++)
			v += (xr[c * st] - m) * (xr[c * st] - m);
		double is = 1.0 / sqrt(v / (double)p->cols + p->eps);
		for (int64_t c = 0; c < p->cols; c++)
			yr[c * st] = (float)((xr[c * st] - m) * is * w[c] + (b ? b[c] : 0.0f));
		mean[r] = (float)m;
		inv[r] = (float)is;
	}
	n->out[0]->data = y;
	if (n->nout > 1 && n->out[1])
		n->out[1]->data = mean;
	if (n->nout > 2 && n->out[2])
		n->out[2]->data = inv;
	return true;
}

/* The C expression for the row parameters j (Scale, B): NULL when absent. */
static const char *param_ptr(Emit *e, const Node *n, int j)
{
	if (j >= n->nin || !n->in[j])
		return NULL;
	if (!tensor_is_const(n->in[j]))
		return xsprintf("in%d", j);
	return emit_weights(e, row_params(n, j), (size_t)((const LayerNormP *)n->p)->cols);
}

/* Per pixel: blocks of LN_PIX pixels, each pixel's sums in a lane of the block's arrays; the
 * c loops run over contiguous pixels and vectorise. */
#define LN_PIX 32

static void emit_per_pixel(Emit *e, const LayerNormP *p, const char *b)
{
	const long long C = p->cols, HW = p->inner, nblk = (p->inner + LN_PIX - 1) / LN_PIX;
	if (p->outer * nblk > 1 && p->outer * p->cols * p->inner >= ELT_PAR_MIN) {
		emit_team(e);
		emitf(e, "\tO2C_OMP(for nowait)\n");
	}
	emitf(e, "\tfor (ptrdiff_t q = 0; q < %lld; q++) {\n", (long long)p->outer * nblk);
	emitf(e, "\t\tconst ptrdiff_t o = q / %lld, i0 = q %% %lld * %d;\n", nblk, nblk, LN_PIX);
	emitf(e, "\t\tconst ptrdiff_t np = %lld - i0 < %d ? %lld - i0 : %d;\n", HW, LN_PIX, HW, LN_PIX);
	emitf(e, "\t\tconst float *x = in0 + o * %lld + i0;\n\t\tfloat *y = out0 + o * %lld + i0;\n", C * HW, C * HW);
	emitf(e, "\t\tfloat m[%d] = { 0 }, v[%d] = { 0 };\n", LN_PIX, LN_PIX);
	emitf(e, "\t\tfor (ptrdiff_t c = 0; c < %lld; c++)\n", C);
	emitf(e, "\t\t\tfor (ptrdiff_t i = 0; i < np; i++)\n\t\t\t\tm[i] += x[c * %lld + i];\n", HW);
	emitf(e, "\t\tfor (ptrdiff_t i = 0; i < np; i++)\n\t\t\tm[i] /= %s;\n", c_float((float)C));
	emitf(e, "\t\tfor (ptrdiff_t c = 0; c < %lld; c++)\n", C);
	emitf(e, "\t\t\tfor (ptrdiff_t i = 0; i < np; i++)\n");
	emitf(e, "\t\t\t\tv[i] += (x[c * %lld + i] - m[i]) * (x[c * %lld + i] - m[i]);\n", HW, HW);
	emitf(e, "\t\tfor (ptrdiff_t i = 0; i < np; i++)\n\t\t\tv[i] = 1.0f / sqrtf(v[i] / %s + %s);\n",
	      c_float((float)C), c_float(p->eps));
	emitf(e, "\t\tfor (ptrdiff_t c = 0; c < %lld; c++)\n", C);
	emitf(e, "\t\t\tfor (ptrdiff_t i = 0; i < np; i++)\n");
	emitf(e, "\t\t\t\ty[c * %lld + i] = (x[c * %lld + i] - m[i]) * v[i] * w[c]%s;\n", HW, HW,
	      b ? " + b[c]" : "");
	emitf(e, "\t}\n");
}

void layernorm_emit(Emit *e, Node *n)
{
	const LayerNormP *p = n->p;
	const char *w = param_ptr(e, n, 1), *b = param_ptr(e, n, 2);
	bool has_mean = n->nout > 1 && n->out[1], has_inv = n->nout > 2 && n->out[2];
	const char *cols = xsprintf("%lld", (long long)p->cols);
	emitf(e, "\tconst float *restrict w = %s;\n", w);
	if (b)
		emitf(e, "\tconst float *restrict b = %s;\n", b);
	if (p->per_pixel) {
		emit_per_pixel(e, p, b);
		return;
	}
	if (p->outer * p->cols >= ELT_PAR_MIN && p->outer > 1) {
		emit_team(e);
		emitf(e, "\tO2C_OMP(for nowait)\n");
	}
	emitf(e, "\tfor (ptrdiff_t r = 0; r < %lld; r++) {\n", (long long)p->outer);
	emitf(e, "\t\tconst float *x = in0 + r * %s;\n\t\tfloat *y = out0 + r * %s;\n", cols, cols);
	emitf(e, "\t\tfloat s = 0.0f, v = 0.0f;\n");
	emitf(e, "\t\tfor (ptrdiff_t c = 0; c < %s; c++)\n\t\t\ts += x[c];\n", cols);
	emitf(e, "\t\tconst float m = s / %s;\n", c_float((float)p->cols));
	emitf(e, "\t\tfor (ptrdiff_t c = 0; c < %s; c++)\n\t\t\tv += (x[c] - m) * (x[c] - m);\n", cols);
	emitf(e, "\t\tconst float is = 1.0f / sqrtf(v / %s + %s);\n", c_float((float)p->cols), c_float(p->eps));
	emitf(e, "\t\tfor (ptrdiff_t c = 0; c < %s; c++) {\n", cols);
	emitf(e, "\t\t\ty[c] = (x[c] - m) * is * w[c]%s;\n\t\t}\n", b ? " + b[c]" : "");
	if (has_mean)
		emitf(e, "\t\tout1[r] = m;\n");
	if (has_inv)
		emitf(e, "\t\tout2[r] = is;\n");
	emitf(e, "\t}\n");
}
