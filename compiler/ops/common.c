/*
 * ops/common.c - the checks and no-op hooks shared by every operator file.
 */
#include "ops.h"

#include <string.h>

void parse_none(Graph *g, Node *n) { (void)g; (void)n; }
bool fold_none(Graph *g, Node *n) { (void)g; (void)n; return false; }
void emit_none(Emit *e, Node *n) { (void)e; (void)n; }

void set_out(Node *n, int i, DType dt, const Shape *s, bool batched)
{
	Tensor *t = n->out[i];
	if (!t)
		return;
	if (t->kind == T_OUTPUT && t->has_shape && t->shape.rank && t->shape.rank != s->rank)
		warn_node(n, "output '%s' is declared with rank %d but computes rank %d; using %d", t->name,
		          t->shape.rank, s->rank, s->rank);
	t->dtype = dt;
	t->shape = *s;
	t->batched = batched;
	t->has_shape = true;
}

void infer_same(Node *n)
{
	set_out(n, 0, n->in[0]->dtype, &n->in[0]->shape, n->in[0]->batched);
}

void require_float(const Node *n, int j)
{
	const Tensor *t = n->in[j];
	/* most ops accept other types in ONNX: a valid model we do not compile */
	if (t && t->dtype != DT_FLOAT)
		fatal_unsupported(n, "input %d '%s' is %s; only float is supported here", j, t->name,
		                  dtype_name(t->dtype));
}

int norm_axis(const Node *n, int64_t axis, int rank, const char *what)
{
	if (axis < -rank || axis >= (rank ? rank : 1))
		fatal_node(n, "%s %lld is out of range for rank %d", what, (long long)axis, rank);
	return (int)(axis < 0 ? axis + rank : axis);
}

void check_batch_axis(const Node *n, const Tensor *t, int axis, const char *what)
{
	if (t->batched && axis == 0)
		fatal_node(n, "%s on axis 0 of '%s', which is the run-time batch; fix the batch with --dim to compile this",
		           what, t->name);
}

void broadcast_shape(const Node *n, const Shape *a_in, const Shape *b_in, Shape *out)
{
	/* copies, so out may be a or b */
	Shape as = *a_in, bs = *b_in;
	const Shape *a = &as, *b = &bs;
	int r = a->rank > b->rank ? a->rank : b->rank;
	out->rank = r;
	for (int i = 0; i < r; i++) {
		int ia = i - (r - a->rank), ib = i - (r - b->rank);
		int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
		if (da != db && da != 1 && db != 1)
			fatal_node(n, "shapes %s and %s cannot be broadcast together", shape_str(a), shape_str(b));
		out->d[i] = da == 1 ? db : da;
	}
}

int const_ints_input(const Node *n, int j, int64_t *out, int max)
{
	if (j >= n->nin || !n->in[j])
		return -1;
	const Tensor *t = n->in[j];
	if (!tensor_is_const(t))
		fatal_node(n, "input %d '%s' must be a compile-time constant (bind it with --bind %s=FILE.pb)", j,
		           t->name, t->name);
	if (t->dtype != DT_INT64 && t->dtype != DT_INT32)
		fatal_node(n, "input %d '%s' is %s; int64 is needed", j, t->name, dtype_name(t->dtype));
	int64_t cnt = shape_numel(&t->shape);
	if (cnt > max)
		fatal_node(n, "input %d '%s' has %lld values, at most %d are supported", j, t->name, (long long)cnt, max);
	for (int64_t i = 0; i < cnt; i++)
		out[i] = t->dtype == DT_INT64 ? ((const int64_t *)t->data)[i] : ((const int32_t *)t->data)[i];
	return (int)cnt;
}

bool const_float_input(const Node *n, int j, float *out)
{
	if (j >= n->nin || !n->in[j])
		return false;
	const Tensor *t = n->in[j];
	if (!tensor_is_const(t))
		fatal_node(n, "input %d '%s' must be a compile-time constant (bind it with --bind %s=FILE.pb)", j,
		           t->name, t->name);
	if (t->dtype != DT_FLOAT || shape_numel(&t->shape) != 1)
		fatal_node(n, "input %d '%s' must be a float scalar", j, t->name);
	*out = ((const float *)t->data)[0];
	return true;
}
