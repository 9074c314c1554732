/*
 * ops/reduce.c - ReduceMean: axes as an attribute before opset 18, as a
 * constant input from 18 (with noop_with_empty_axes); keepdims.  The
 * run-time kernel walks the input once in memory order, adding each element
 * into its output cell (kept dimensions have output strides, reduced ones
 * stride 0), then scales by 1/count: for NCHW means over H,W the inner loop
 * is a contiguous sum.
 */
#include "move.h"

#include <math.h>
#include <string.h>

typedef struct { bool red[MAX_RANK]; bool keep; bool noop; } ReduceP;

void reducemean_parse(Graph *g, Node *n)
{
	(void)g;
	ReduceP *p = xalloc(sizeof *p);
	const Tensor *x = n->in[0];
	int r = x->shape.rank;
	int64_t axes[MAX_RANK];
	int na = n->opset < 18 ? attr_ints(n, "axes", axes, MAX_RANK) : const_ints_input(n, 1, axes, MAX_RANK);
	p->keep = attr_int(n, "keepdims", 1) != 0;
	if (na <= 0) {
		if (n->opset >= 18 && attr_int(n, "noop_with_empty_axes", 0))
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
		check_batch_axis(n, x, 0, "ReduceMean");
	n->p = p;
}

void reducemean_infer(Graph *g, Node *n)
{
	(void)g;
	const ReduceP *p = n->p;
	const Tensor *x = n->in[0];
	if (!tensor_is_const(x) || x->dtype != DT_FLOAT)
		require_float(n, 0);
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

bool reducemean_fold(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0];
	float *y = move_alloc(n->out[0]);
	int64_t os[MAX_RANK], count, ist[MAX_RANK];
	red_strides(n, os, &count);
	int64_t total = move_strides(&x->shape, ist), ny = shape_numel(&n->out[0]->shape);
	const float *xd = tensor_f32(x);
	for (int64_t i = 0; i < total; i++) {
		int64_t o = 0;
		for (int d = 0; d < x->shape.rank; d++)
			o += (i / ist[d]) % x->shape.d[d] * os[d];
		y[o] += xd[i];
	}
	for (int64_t i = 0; i < ny; i++)
		y[i] /= (float)(count ? count : 1);
	if (!count)
		for (int64_t i = 0; i < ny; i++)
			y[i] = NAN;
	return true;
}

void reducemean_emit(Emit *e, Node *n)
{
	const ReduceP *p = n->p;
	const Tensor *x = n->in[0];
	int64_t ny = shape_numel(&n->out[0]->shape);
	const char *src = move_input(e, n, 0);
	if (p->noop) {
		emitf(e, "\tmemcpy(out0, %s, %lld * sizeof(float));\n", src, (long long)ny);
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
	if (count == 0) {
		emitf(e, "\tfor (ptrdiff_t i = 0; i < %lld; i++)\n\t\tout0[i] = NAN;\n", (long long)ny);
		return;
	}
	emitf(e, "\tmemset(out0, 0, %lld * sizeof(float));\n", (long long)ny);
	/* a trailing reduced dimension becomes a local sum */
	bool tail = r > 0 && dos[r - 1] == 0;
	int loops = tail ? r - 1 : r;
	emitf(e, "\t{\n\t\tconst float *x = %s;\n", src);
	for (int d = 0; d < loops; d++)
		emitf(e, "\t\t%*sfor (ptrdiff_t i%d = 0; i%d < %lld; i%d++)\n", d, "", d, d, (long long)dn[d], d);
	char *oexp = xsprintf("0");
	for (int d = 0; d < loops; d++)
		if (dos[d])
			oexp = xsprintf("%s + i%d * %lld", oexp, d, (long long)dos[d]);
	if (tail) {
		emitf(e, "\t\t%*s{\n", loops, "");
		emitf(e, "\t\t%*s\tfloat s = 0.0f;\n", loops, "");
		emitf(e, "\t\t%*s\tfor (ptrdiff_t j = 0; j < %lld; j++)\n", loops, "", (long long)dn[r - 1]);
		emitf(e, "\t\t%*s\t\ts += x[j];\n", loops, "");
		emitf(e, "\t\t%*s\tout0[%s] += s;\n", loops, "", oexp);
		emitf(e, "\t\t%*s\tx += %lld;\n", loops, "", (long long)dn[r - 1]);
		emitf(e, "\t\t%*s}\n", loops, "");
	} else {
		emitf(e, "\t\t%*sout0[%s] += *x++;\n", loops, "", oexp);
	}
	emitf(e, "\t}\n");
	emitf(e, "\tfor (ptrdiff_t i = 0; i < %lld; i++)\n\t\tout0[i] /= %s;\n", (long long)ny,
	      move_float_lit((float)count));
}
