/*
 * ops/scatternd.c - ScatterND (opset 11/13/16/18): a copy of data with the
 * slices that indices name replaced by (or, with reduction add/mul/max/min,
 * combined with) slices of updates.
 *
 * indices is [..., k] over the first k axes of data, so each index tuple
 * names a slice of data.shape[k:]; updates is indices.shape[:-1] + that slice
 * shape.  The indices must be compile-time constants (exporters write masks
 * with constant positions: Swin's shifted-window attention mask); they are
 * checked and turned into slice offsets here, negative ones wrapping once.
 * On constants the node folds (any type without a reduction; float and
 * int64 with one).  At run time, data and updates are float: the kernel
 * copies data, then walks the tuples in order, so with duplicate indices the
 * last update wins (ONNX leaves that undefined) and reductions accumulate
 * in order, as ONNX Runtime does.
 */
#include "elem.h"
#include "move.h"

#include <string.h>

typedef enum { R_NONE, R_ADD, R_MUL, R_MAX, R_MIN } Reduction;

typedef struct {
	Reduction red;
	int64_t ntup;   /* index tuples */
	int64_t slice;  /* elements of data per tuple */
	int64_t *off;   /* element offset in data of each tuple's slice */
} ScatterP;

void scatternd_parse(Graph *g, Node *n)
{
	(void)g;
	static const char *const names[] = { "none", "add", "mul", "max", "min" };
	ScatterP *p = xalloc(sizeof *p);
	const char *r = attr_string(n, "reduction", "none");
	int k = 0;
	while (k < 5 && strcmp(r, names[k]))
		k++;
	if (k == 5)
		fatal_node(n, "attribute reduction='%s' is not one of none, add, mul, max, min", r);
	p->red = (Reduction)k;
	n->p = p;
}

void scatternd_infer(Graph *g, Node *n)
{
	(void)g;
	ScatterP *p = n->p;
	const Tensor *x = n->in[0], *it = n->in[1], *u = n->in[2];
	const Shape *xs = &x->shape, *is = &it->shape;
	if (it->dtype != DT_INT64)
		fatal_node(n, "indices '%s' is %s; ONNX requires int64", it->name, dtype_name(it->dtype));
	if (!tensor_is_const(it))
		fatal_unsupported(n, "indices '%s' is computed at run time; ScatterND is compiled only with "
		                     "compile-time constant indices", it->name);
	if (u->dtype != x->dtype)
		fatal_node(n, "updates '%s' is %s but data '%s' is %s", u->name, dtype_name(u->dtype), x->name,
		           dtype_name(x->dtype));
	if (xs->rank < 1 || is->rank < 1)
		fatal_node(n, "data %s and indices %s must both have rank 1 or more", shape_str(xs), shape_str(is));
	int64_t k = is->d[is->rank - 1];
	if (k < 1 || k > xs->rank)
		fatal_node(n, "indices %s address %lld axes of data %s (1 to %d)", shape_str(is), (long long)k,
		           shape_str(xs), xs->rank);
	/* updates = indices.shape[:-1] + data.shape[k:] */
	Shape want = { .rank = is->rank - 1 + xs->rank - (int)k };
	if (want.rank > MAX_RANK)
		fatal_unsupported(n, "updates would have rank %d (at most %d supported)", want.rank, MAX_RANK);
	for (int d = 0; d < is->rank - 1; d++)
		want.d[d] = is->d[d];
	for (int d = (int)k; d < xs->rank; d++)
		want.d[is->rank - 1 + d - (int)k] = xs->d[d];
	if (!shape_eq(&u->shape, &want))
		fatal_node(n, "updates '%s' is %s; data %s and indices %s need %s", u->name, shape_str(&u->shape),
		           shape_str(xs), shape_str(is), shape_str(&want));
	if (x->batched || u->batched)
		fatal_node(n, "ScatterND into the batched tensor '%s' would index the run-time batch on axis 0; fix "
		              "the batch with --dim to compile this", x->batched ? x->name : u->name);
	bool all_const = tensor_is_const(x) && tensor_is_const(u);
	if (!all_const) {
		require_float(n, 0);
		require_float(n, 2);
	} else if (p->red != R_NONE && x->dtype != DT_FLOAT && x->dtype != DT_INT64) {
		fatal_unsupported(n, "ScatterND with a reduction on %s constants (float and int64 fold)",
		                  dtype_name(x->dtype));
	}

	/* the tuples, checked, as slice offsets */
	p->ntup = k ? shape_numel(is) / k : 0;
	p->slice = 1;
	for (int d = (int)k; d < xs->rank; d++)
		p->slice *= xs->d[d];
	p->off = xalloc((size_t)(p->ntup ? p->ntup : 1) * sizeof *p->off);
	const int64_t *iv = tensor_i64(it);
	for (int64_t t = 0; t < p->ntup; t++) {
		int64_t o = 0;
		for (int d = 0; d < k; d++) {
			int64_t v = iv[t * k + d], dim = xs->d[d];
			if (v < -dim || v >= dim)
				fatal_node(n, "index %lld of tuple %lld is out of range for axis %d of extent %lld", (long long)v,
				           (long long)t, d, (long long)dim);
			o = o * dim + (v < 0 ? v + dim : v);
		}
		p->off[t] = o * p->slice;
	}
	set_out(n, 0, x->dtype, xs, false);
}

static float red_f(Reduction r, float o, float u)
{
	switch (r) {
	case R_NONE: return u;
	case R_ADD: return o + u;
	case R_MUL: return o * u;
	case R_MAX: return o < u ? u : o; /* std::max(o, u), as ORT */
	case R_MIN: return u < o ? u : o; /* std::min(o, u) */
	}
	UNREACHABLE();
}

static int64_t red_i(const Node *n, Reduction r, int64_t o, int64_t u)
{
	int64_t v = u;
	check_not_batch(n, o);
	check_not_batch(n, u);
	if ((r == R_ADD && __builtin_add_overflow(o, u, &v)) || (r == R_MUL && __builtin_mul_overflow(o, u, &v)))
		fatal_node(n, "int64 overflow in a constant");
	if (r == R_MAX)
		v = o < u ? u : o;
	if (r == R_MIN)
		v = u < o ? u : o;
	return v;
}

bool scatternd_fold(Graph *g, Node *n)
{
	(void)g;
	const ScatterP *p = n->p;
	const Tensor *x = n->in[0], *u = n->in[2];
	Tensor *y = n->out[0];
	size_t es = dtype_size(y->dtype);
	char *d = move_alloc(y);
	memcpy(d, x->data, (size_t)shape_numel(&y->shape) * es);
	for (int64_t t = 0; t < p->ntup; t++) {
		const char *src = (const char *)u->data + (size_t)(t * p->slice) * es;
		if (p->red == R_NONE) {
			memcpy(d + (size_t)p->off[t] * es, src, (size_t)p->slice * es);
			continue;
		}
		for (int64_t j = 0; j < p->slice; j++) {
			int64_t o = p->off[t] + j;
			if (y->dtype == DT_FLOAT)
				((float *)d)[o] = red_f(p->red, ((float *)d)[o], ((const float *)src)[j]);
			else
				((int64_t *)d)[o] = red_i(n, p->red, ((int64_t *)d)[o], ((const int64_t *)src)[j]);
		}
	}
	return true;
}

void scatternd_emit(Emit *e, Node *n)
{
	const ScatterP *p = n->p;
	static const char *const upd[] = {
		[R_NONE] = "u", [R_ADD] = "o + u", [R_MUL] = "o * u", [R_MAX] = "o < u ? u : o", [R_MIN] = "u < o ? u : o",
	};
	int64_t total = shape_numel(&n->out[0]->shape);
	emitf(e, "\tmemcpy(out0, %s, %lld * sizeof(float));\n", move_input(e, n, 0), (long long)total);
	if (p->ntup == 0 || p->slice == 0)
		return;
	emitf(e, "\tconst float *restrict upd = %s;\n", move_input(e, n, 2));
	/* one table of slice offsets; tuples in order, so later ones win or accumulate last */
	emitf(e, "\tstatic const %s off[%lld] = {", total <= INT32_MAX ? "int32_t" : "int64_t", (long long)p->ntup);
	for (int64_t t = 0; t < p->ntup; t++)
		emitf(e, "%s%lld", t ? (t % 16 ? ", " : ",\n\t\t") : "", (long long)p->off[t]);
	emitf(e, "};\n");
	emitf(e, "\tfor (ptrdiff_t t = 0; t < %lld; t++) {\n", (long long)p->ntup);
	if (p->red == R_NONE) {
		emitf(e, "\t\tmemcpy(out0 + off[t], upd + t * %lld, %lld * sizeof(float));\n", (long long)p->slice,
		      (long long)p->slice);
	} else {
		emitf(e, "\t\tfor (ptrdiff_t j = 0; j < %lld; j++) {\n", (long long)p->slice);
		emitf(e, "\t\t\tconst float o = out0[off[t] + j], u = upd[t * %lld + j];\n", (long long)p->slice);
		emitf(e, "\t\t\tout0[off[t] + j] = %s;\n\t\t}\n", upd[p->red]);
	}
	emitf(e, "\t}\n");
}
