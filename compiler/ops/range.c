/*
 * ops/range.c - Range (opset 11): [start, start + delta, ...) up to limit,
 * from three scalars.
 *
 * The output's length depends on the values, so they must be compile-time
 * constants (exporters build Range from shapes: Swin's attention mask, the
 * position indices of transformers) and the node always folds; a Range fed
 * by run-time data is refused.  As ONNX Runtime computes it: the length is
 * max(0, ceil((limit - start) / delta)), exact for integers, and the values
 * accumulate (v += delta) in the input type, which is what float outputs of
 * non-representable steps come out as there.
 */
#include "elem.h"
#include "move.h"

#include <math.h>

void range_parse(Graph *g, Node *n) { parse_none(g, n); }

static const char *const role[3] = { "start", "limit", "delta" };

void range_infer(Graph *g, Node *n)
{
	(void)g;
	DType dt = n->in[0]->dtype;
	for (int j = 0; j < 3; j++) {
		const Tensor *t = n->in[j];
		if (!tensor_is_const(t))
			fatal_unsupported(n, "%s '%s' is computed at run time; the output's length depends on it, so Range "
			                     "is compiled only from compile-time constants", role[j], t->name);
		if (shape_numel(&t->shape) != 1)
			fatal_node(n, "%s '%s' %s is not a scalar", role[j], t->name, shape_str(&t->shape));
		if (t->dtype != dt)
			fatal_node(n, "%s '%s' is %s but start is %s", role[j], t->name, dtype_name(t->dtype),
			           dtype_name(dt));
	}
	int64_t len = 0;
	if (dt == DT_FLOAT || dt == DT_DOUBLE) {
		double span, d; /* limit - start in the input type, as ORT computes it */
		if (dt == DT_FLOAT) {
			const float *f0 = n->in[0]->data, *f1 = n->in[1]->data, *f2 = n->in[2]->data;
			span = (double)(f1[0] - f0[0]), d = f2[0];
		} else {
			const double *d0 = n->in[0]->data, *d1 = n->in[1]->data, *d2 = n->in[2]->data;
			span = d1[0] - d0[0], d = d2[0];
		}
		if (d == 0 || isnan(d) || isnan(span))
			fatal_node(n, "delta is %s, so the output's length is undefined", d == 0 ? "zero" : "NaN");
		double c = ceil(span / d);
		if (c > (double)(INT64_C(1) << 53))
			fatal_node(n, "the output would have %g elements", c);
		len = c > 0 ? (int64_t)c : 0;
	} else if (dt == DT_INT16 || dt == DT_INT32 || dt == DT_INT64) {
		int64_t v[3];
		for (int j = 0; j < 3; j++) {
			const void *p = n->in[j]->data;
			v[j] = dt == DT_INT16 ? ((const int16_t *)p)[0] : dt == DT_INT32 ? ((const int32_t *)p)[0]
			                                                                  : ((const int64_t *)p)[0];
			check_not_batch(n, v[j]);
		}
		if (v[2] == 0)
			fatal_node(n, "delta is zero, so the output's length is undefined");
		int64_t span;
		if (__builtin_sub_overflow(v[1], v[0], &span))
			fatal_node(n, "limit - start overflows int64");
		/* ceil(span / delta) with C's truncating division */
		int64_t q = span / v[2];
		if (q * v[2] != span && (span > 0) == (v[2] > 0))
			q++;
		len = q > 0 ? q : 0;
	} else {
		fatal_unsupported(n, "Range on %s (ONNX allows float, double, int16, int32, int64)", dtype_name(dt));
	}
	Shape o = { .rank = 1, .d = { len } };
	set_out(n, 0, dt, &o, false);
}

bool range_fold(Graph *g, Node *n)
{
	(void)g;
	Tensor *y = n->out[0];
	int64_t len = y->shape.d[0];
	void *out = move_alloc(y);
	const void *ps = n->in[0]->data, *pd = n->in[2]->data;
	switch (y->dtype) {
#define ACC(T)                                                       \
	{                                                            \
		T v = *(const T *)ps, d = *(const T *)pd;            \
		for (int64_t i = 0; i < len; i++) {                  \
			((T *)out)[i] = v;                           \
			if (i + 1 < len) /* no step past the end */  \
				v = (T)(v + d);                      \
		}                                                    \
		break;                                               \
	}
	case DT_FLOAT: ACC(float)
	case DT_DOUBLE: ACC(double)
	case DT_INT16: ACC(int16_t)
	case DT_INT32: ACC(int32_t)
	case DT_INT64: ACC(int64_t)
#undef ACC
	default: UNREACHABLE();
	}
	return true;
}

void range_emit(Emit *e, Node *n)
{
	(void)e;
	fatal_node(n, "internal: Range should have been folded");
}
