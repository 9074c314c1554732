/*
 * ops/reduce.c - the Reduce family: ReduceMean, ReduceSum, ReduceMax,
 * ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum
 * and ReduceLogSumExp.
 *
 * Axes are an attribute before opset 18 (ReduceSum: before 13) and a
 * constant input after, where noop_with_empty_axes may make the op a copy;
 * keepdims as usual.  Each kind is four pieces: the initial value, a
 * transform of each element (x*x for SumSquare), how two partial results
 * combine (+, max, min, *) and a finalisation of the whole (1/count for
 * Mean, sqrt for L2, log for LogSum).
 *
 * The run-time kernel walks the input once in memory order, combining each
 * element into its output cell (kept dimensions have output strides, reduced
 * ones stride 0); a trailing reduced dimension becomes a local accumulator,
 * so for NCHW means over H,W the inner loop is contiguous.  ReduceLogSumExp
 * is the exception: for each output it takes the maximum first and sums
 * exp(x - max), as ONNX Runtime does, since the plain sum of exp overflows
 * float for x > 88.
 */
#include "elem.h"
#include "move.h"

#include <math.h>
#include <string.h>

typedef enum { R_MEAN, R_SUM, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_SUMSQ, R_LOGSUM, R_LOGSUMEXP } RKind;
typedef enum { C_ADD, C_MAX, C_MIN, C_MUL } Combine;

typedef struct { RKind kind; bool red[MAX_RANK]; bool keep; bool noop; } ReduceP;

static const struct {
	const char *op;
	RKind kind;
	float init;
	Combine comb;
	const char *elem;  /* C transform of element v, or NULL */
	const char *fin;   /* C finalisation of the result y (n: element count), or NULL */
} kinds[] = {
	{ "ReduceMean", R_MEAN, 0.0f, C_ADD, NULL, "y / n" },
	{ "ReduceSum", R_SUM, 0.0f, C_ADD, NULL, NULL },
	{ "ReduceMax", R_MAX, -INFINITY, C_MAX, NULL, NULL },
	{ "ReduceMin", R_MIN, INFINITY, C_MIN, NULL, NULL },
	{ "ReduceProd", R_PROD, 1.0f, C_MUL, NULL, NULL },
	{ "ReduceL1", R_L1, 0.0f, C_ADD, "fabsf(v)", NULL },
	{ "ReduceL2", R_L2, 0.0f, C_ADD, "v * v", "sqrtf(y)" },
	{ "ReduceSumSquare", R_SUMSQ, 0.0f, C_ADD, "v * v", NULL },
	{ "ReduceLogSum", R_LOGSUM, 0.0f, C_ADD, NULL, "logf(y)" },
	{ "ReduceLogSumExp", R_LOGSUMEXP, 0.0f, C_ADD, NULL, NULL }, /* its own kernel */
};

static int kind_index(const Node *n)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(n->op_type, kinds[i].op))
			return (int)i;
	UNREACHABLE();
}

static void reduce_parse(Graph *g, Node *n)
{
	(void)g;
	ReduceP *p = xalloc(sizeof *p);
	p->kind = kinds[kind_index(n)].kind;
	const Tensor *x = n->in[0];
	int r = x->shape.rank;
	int64_t axes[MAX_RANK];
	/* ReduceSum took axes as an input four opsets before the others */
	bool axes_input = n->opset >= (p->kind == R_SUM ? 13 : 18);
	int na = axes_input ? const_ints_input(n, 1, axes, MAX_RANK) : attr_ints(n, "axes", axes, MAX_RANK);
	if (!axes_input && n->nin > 1 && n->in[1])
		fatal_node(n, "has an axes input, which %s takes only from opset %d", n->op_type, p->kind == R_SUM ? 13 : 18);
	p->keep = attr_int(n, "keepdims", 1) != 0;
	if (na <= 0) {
		if (axes_input && attr_int(n, "noop_with_empty_axes", 0))
			p->noop = true;
		else
			for (int d = 0; d < r; d++)
				p->red[d] = true;
	}
	for (int k = 0; k < na; k++) {
		int a = norm_axis(n, axes[k], r, "axis");
		p->red[a] = true;
	}
	if (r > 0 && p->red[0])
		check_batch_axis(n, x, 0, n->op_type);
	n->p = p;
}

static void reduce_infer(Graph *g, Node *n)
{
	(void)g;
	const ReduceP *p = n->p;
	const Tensor *x = n->in[0];
	if (x->dtype != DT_FLOAT) {
		if (!tensor_is_const(x))
			require_float(n, 0);
		fatal_unsupported(n, "%s on a %s constant (float only)", n->op_type, dtype_name(x->dtype));
	}
	Shape o = { 0 };
	for (int d = 0; d < x->shape.rank; d++)
		if (!p->red[d])
			o.d[o.rank++] = x->shape.d[d];
		else if (p->keep)
			o.d[o.rank++] = 1;
	set_out(n, 0, x->dtype, &o, x->batched);
}

/* Output strides seen from the input's dimensions (0 on reduced ones). */
static void red_strides(const Node *n, int64_t *os, int64_t *count)
{
	const ReduceP *p = n->p;
	const Shape *xs = &n->in[0]->shape;
	int64_t s = 1;
	*count = 1;
	for (int d = xs->rank - 1; d >= 0; d--) {
		if (p->red[d]) {
			os[d] = 0;
			*count *= xs->d[d];
		} else {
			os[d] = s;
			s *= xs->d[d];
		}
	}
}

/* The compile-time twin of the kernel, in double. */
static bool reduce_fold(Graph *g, Node *n)
{
	(void)g;
	const ReduceP *p = n->p;
	const Tensor *x = n->in[0];
	float *y = move_alloc(n->out[0]);
	int64_t os[MAX_RANK], count, ist[MAX_RANK];
	int64_t total = move_strides(&x->shape, ist), ny = shape_numel(&n->out[0]->shape);
	const float *xd = tensor_f32(x);
	if (p->noop) {
		memcpy(y, xd, (size_t)total * sizeof *y);
		return true;
	}
	red_strides(n, os, &count);
	int ki = kind_index(n);
	double *acc = xalloc((size_t)(ny ? ny : 1) * sizeof *acc), *mx = xalloc((size_t)(ny ? ny : 1) * sizeof *mx);
	for (int64_t i = 0; i < ny; i++) {
		acc[i] = kinds[ki].init;
		mx[i] = -INFINITY;
	}
	for (int pass = p->kind == R_LOGSUMEXP ? 0 : 1; pass < 2; pass++)
		for (int64_t i = 0; i < total; i++) {
			int64_t o = 0;
			for (int d = 0; d < x->shape.rank; d++)
				o += (i / ist[d]) % x->shape.d[d] * os[d];
			double v = xd[i];
			if (pass == 0) {
				mx[o] = fmax(mx[o], v);
				continue;
			}
			switch (p->kind) {
			case R_MAX: acc[o] = v > acc[o] ? v : acc[o]; break;
			case R_MIN: acc[o] = v < acc[o] ? v : acc[o]; break;
			case R_PROD: acc[o] *= v; break;
			case R_L1: acc[o] += fabs(v); break;
			case R_L2: case R_SUMSQ: acc[o] += v * v; break;
			case R_LOGSUMEXP: acc[o] += isinf(mx[o]) ? exp(v) : exp(v - mx[o]); break;
			default: acc[o] += v; break;
			}
		}
	for (int64_t i = 0; i < ny; i++) {
		double v = acc[i];
		switch (p->kind) {
		case R_MEAN: v = count ? v / (double)count : NAN; break;
		case R_L2: v = sqrt(v); break;
		case R_LOGSUM: v = log(v); break;
		case R_LOGSUMEXP: v = isinf(mx[i]) ? log(v) : mx[i] + log(v); break;
		default: break;
		}
		y[i] = (float)v;
	}
	return true;
}

/* C expression combining a and b. */
static const char *combine(Combine c, const char *a, const char *b)
{
	switch (c) {
	case C_ADD: return xsprintf("%s + %s", a, b);
	case C_MUL: return xsprintf("%s * %s", a, b);
	/* v > a, not fmaxf: a NaN element propagates, as in ONNX Runtime */
	case C_MAX: return xsprintf("(%s > %s || %s != %s) ? %s : %s", b, a, b, b, b, a);
	case C_MIN: return xsprintf("(%s < %s || %s != %s) ? %s : %s", b, a, b, b, b, a);
	}
	UNREACHABLE();
}

static const char TABS[] = "\t\t\t\t\t\t\t\t\t\t\t\t";

/* ReduceLogSumExp: per output cell, max then sum of exp(x - max).  Loops
 * over the kept dimensions (kn, their input strides ks) outside the reduced
 * ones (rn, rs). */
static void emit_logsumexp(Emit *e, const Node *n, const char *src)
{
	const ReduceP *p = n->p;
	const Shape *xs = &n->in[0]->shape;
	int64_t ist[MAX_RANK], kn[MAX_RANK], ks[MAX_RANK], rn[MAX_RANK], rs[MAX_RANK];
	int nk = 0, nr = 0;
	move_strides(xs, ist);
	for (int d = 0; d < xs->rank; d++) {
		if (xs->d[d] == 1)
			continue;
		if (p->red[d]) {
			rn[nr] = xs->d[d];
			rs[nr++] = ist[d];
		} else {
			kn[nk] = xs->d[d];
			ks[nk++] = ist[d];
		}
	}
	emitf(e, "\t{\n\t\tconst float *x = %s;\n\t\tfloat *y = out0;\n", src);
	for (int d = 0; d < nk; d++)
		emitf(e, "\t\t%*sfor (ptrdiff_t k%d = 0; k%d < %lld; k%d++)\n", d, "", d, d, (long long)kn[d], d);
	const char *base = "0";
	for (int d = 0; d < nk; d++)
		base = xsprintf("%s + k%d * %lld", base, d, (long long)ks[d]);
	const char *roff = "0";
	for (int d = 0; d < nr; d++)
		roff = xsprintf("%s + r%d * %lld", roff, d, (long long)rs[d]);
	int in = nk + 2;
	emitf(e, "\t\t%*s{\n", nk, "");
	emitf(e, "%.*sconst float *xb = x + %s;\n", in, TABS, base);
	emitf(e, "%.*sfloat m = -INFINITY, s = 0.0f;\n", in, TABS);
	for (int pass = 0; pass < 2; pass++) {
		for (int d = 0; d < nr; d++)
			emitf(e, "%.*s%*sfor (ptrdiff_t r%d = 0; r%d < %lld; r%d++)\n", in, TABS, d, "",
			      d, d, (long long)rn[d], d);
		if (pass == 0)
			emitf(e, "%.*s%*sm = xb[%s] > m ? xb[%s] : m;\n", in, TABS, nr, "", roff, roff);
		else
			emitf(e, "%.*s%*ss += expf(xb[%s] - m);\n", in, TABS, nr, "", roff);
		if (pass == 0) /* all -inf (or an infinite max): exp(x - m) would be NaN */
			emitf(e, "%.*sif (isinf(m))\n%.*s\tm = 0.0f;\n", in, TABS, in,
			      TABS);
	}
	emitf(e, "%.*s*y++ = m + logf(s);\n", in, TABS);
	emitf(e, "\t\t%*s}\n\t}\n", nk, "");
}

static void reduce_emit(Emit *e, Node *n)
{
	const ReduceP *p = n->p;
	const Tensor *x = n->in[0];
	int ki = kind_index(n);
	int64_t ny = shape_numel(&n->out[0]->shape);
	const char *src = move_input(e, n, 0);
	if (p->noop) {
		emitf(e, "\tmemcpy(out0, %s, %lld * sizeof(float));\n", src, (long long)ny);
		return;
	}
	if (p->kind == R_LOGSUMEXP) {
		emit_logsumexp(e, n, src);
		return;
	}
	int64_t os[MAX_RANK], count;
	red_strides(n, os, &count);
	/* merge neighbouring dimensions that are both kept or both reduced */
	int r = 0;
	int64_t dn[MAX_RANK], dos[MAX_RANK];
	for (int d = 0; d < x->shape.rank; d++) {
		if (x->shape.d[d] == 1)
			continue;
		if (r > 0 && (dos[r - 1] == 0) == (os[d] == 0) && (os[d] == 0 || dos[r - 1] == os[d] * x->shape.d[d])) {
			dn[r - 1] *= x->shape.d[d];
			dos[r - 1] = os[d];
			continue;
		}
		dn[r] = x->shape.d[d];
		dos[r++] = os[d];
	}
	Combine c = kinds[ki].comb;
	const char *init = c_float(kinds[ki].init);
	const char *elem = kinds[ki].elem ? kinds[ki].elem : "v";
	if (count > 0) {
		if (kinds[ki].init == 0.0f)
			emitf(e, "\tmemset(out0, 0, %lld * sizeof(float));\n", (long long)ny);
		else
			emitf(e, "\tfor (ptrdiff_t i = 0; i < %lld; i++)\n\t\tout0[i] = %s;\n", (long long)ny, init);
		/* a trailing reduced dimension becomes a local accumulator */
		bool tail = r > 0 && dos[r - 1] == 0;
		int loops = tail ? r - 1 : r;
		emitf(e, "\t{\n\t\tconst float *x = %s;\n", src);
		for (int d = 0; d < loops; d++)
			emitf(e, "\t\t%*sfor (ptrdiff_t i%d = 0; i%d < %lld; i%d++)\n", d, "", d, d, (long long)dn[d], d);
		char *oexp = xsprintf("0");
		for (int d = 0; d < loops; d++)
			if (dos[d])
				oexp = xsprintf("%s + i%d * %lld", oexp, d, (long long)dos[d]);
		const char *cell = xsprintf("out0[%s]", oexp);
		if (tail) {
			emitf(e, "\t\t%*s{\n", loops, "");
			emitf(e, "\t\t%*s\tfloat s = %s;\n", loops, "", init);
			emitf(e, "\t\t%*s\tfor (ptrdiff_t j = 0; j < %lld; j++) {\n", loops, "", (long long)dn[r - 1]);
			emitf(e, "\t\t%*s\t\tconst float v = x[j];\n", loops, "");
			emitf(e, "\t\t%*s\t\ts = %s;\n", loops, "", combine(c, "s", elem));
			emitf(e, "\t\t%*s\t}\n", loops, "");
			emitf(e, "\t\t%*s\t%s = %s;\n", loops, "", cell, combine(c, cell, "s"));
			emitf(e, "\t\t%*s\tx += %lld;\n", loops, "", (long long)dn[r - 1]);
			emitf(e, "\t\t%*s}\n", loops, "");
		} else {
			emitf(e, "\t\t%*s{\n", loops, "");
			emitf(e, "\t\t%*s\tconst float v = *x++;\n", loops, "");
			emitf(e, "\t\t%*s\t%s = %s;\n", loops, "", cell, combine(c, cell, elem));
			emitf(e, "\t\t%*s}\n", loops, "");
		}
		emitf(e, "\t}\n");
	} else { /* an empty reduction: the initial value, finalised */
		emitf(e, "\tfor (ptrdiff_t i = 0; i < %lld; i++)\n\t\tout0[i] = %s;\n", (long long)ny, init);
	}
	if (kinds[ki].fin) {
		emitf(e, "\tfor (ptrdiff_t i = 0; i < %lld; i++) {\n", (long long)ny);
		emitf(e, "\t\tconst float y = out0[i], n = %s;\n", c_float((float)count));
		emitf(e, "\t\t(void)n;\n\t\tout0[i] = %s;\n\t}\n", kinds[ki].fin);
	}
}

#define REDUCE_HOOKS(pfx)                                                  \
	void pfx##_parse(Graph *g, Node *n) { reduce_parse(g, n); }        \
	void pfx##_infer(Graph *g, Node *n) { reduce_infer(g, n); }        \
	bool pfx##_fold(Graph *g, Node *n) { return reduce_fold(g, n); }   \
	void pfx##_emit(Emit *e, Node *n) { reduce_emit(e, n); }

REDUCE_HOOKS(reducemean)
REDUCE_HOOKS(reducesum)
REDUCE_HOOKS(reducemax)
REDUCE_HOOKS(reducemin)
REDUCE_HOOKS(reduceprod)
REDUCE_HOOKS(reducel1)
REDUCE_HOOKS(reducel2)
REDUCE_HOOKS(reducesumsq)
REDUCE_HOOKS(reducelogsum)
REDUCE_HOOKS(reducelse)
