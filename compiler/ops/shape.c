/*
 * ops/shape.c - the shape-only operators: Reshape, Flatten, Squeeze,
 * Unsqueeze (views: the output is the input's bytes under a new shape, so
 * they emit nothing and the memory planner aliases them) and Shape, which
 * always becomes a compile-time int64 constant.
 *
 * Batch: a batched tensor's IR shape is one sample with d[0] == 1.  These ops
 * must keep the batch on axis 0 of their output; anything that would merge
 * it with another dimension or move it is refused.  Shape of a batched
 * tensor puts SYM_BATCH where the batch size goes.
 */
#include "move.h"

#include <string.h>

/* Views and Shape: folding is a copy of the bytes under the new shape. */
static bool fold_copy(Graph *g, Node *n)
{
	(void)g;
	Tensor *o = n->out[0];
	memcpy(move_alloc(o), n->in[0]->data, (size_t)shape_numel(&o->shape) * dtype_size(o->dtype));
	return true;
}

/* ---- Reshape --------------------------------------------------------- */

void reshape_parse(Graph *g, Node *n) { parse_none(g, n); }

void reshape_infer(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0];
	int64_t s[MAX_RANK];
	int r;
	if (n->opset < 5) {
		r = attr_ints(n, "shape", s, MAX_RANK);
		if (r < 0)
			fatal_node(n, "attribute 'shape' is missing");
	} else {
		if (n->nin < 2 || !n->in[1])
			fatal_node(n, "input 'shape' is missing");
		r = const_ints_input(n, 1, s, MAX_RANK);
	}
	bool allowzero = n->opset >= 14 && attr_int(n, "allowzero", 0);
	Shape o = { .rank = r };
	int infer_at = -1;
	int64_t known = 1;
	for (int i = 0; i < r; i++) {
		int64_t v = s[i];
		if (v == SYM_BATCH) {
			if (i != 0 || !x->batched)
				fatal_node(n, "shape value %d is the run-time batch size, which can only be the first "
				           "dimension of a batched tensor", i);
			v = 1;
		} else if (v == 0 && !allowzero) {
			if (i >= x->shape.rank)
				fatal_node(n, "shape value %d is 0 (copy) but the input has rank %d", i, x->shape.rank);
			v = x->shape.d[i];
		} else if (v == -1) {
			if (infer_at >= 0)
				fatal_node(n, "shape has more than one -1");
			infer_at = i;
			continue;
		} else if (v < 0) {
			fatal_node(n, "shape value %lld is invalid", (long long)v);
		}
		o.d[i] = v;
		known = checked_mul(known, v, "reshape size");
	}
	int64_t total = shape_numel(&x->shape);
	if (infer_at >= 0) {
		Shape req = { .rank = r };
		memcpy(req.d, s, (size_t)r * sizeof *s);
		if (known == 0 || total % known)
			fatal_node(n, "cannot reshape %s (%lld elements) to %s", shape_str(&x->shape), (long long)total,
			           shape_str(&req));
		o.d[infer_at] = total / known;
	} else if (known != total) {
		fatal_node(n, "cannot reshape %s (%lld elements) into %lld elements", shape_str(&x->shape),
		           (long long)total, (long long)known);
	}
	if (x->batched) {
		/* per sample, -1 at position 0 resolves to 1 exactly when the rest
		 * of the shape accounts for one whole sample */
		bool keeps = r > 0 && (s[0] == SYM_BATCH || (s[0] == 0 && !allowzero) || (s[0] == -1 && o.d[0] == 1));
		if (!keeps)
			fatal_node(n, "Reshape of the batched tensor '%s' to a shape whose first dimension is not the "
			           "batch mixes samples; fix the batch with --dim to compile this", x->name);
	}
	set_out(n, 0, x->dtype, &o, x->batched);
}

bool reshape_fold(Graph *g, Node *n) { return fold_copy(g, n); }
void reshape_emit(Emit *e, Node *n) { emit_none(e, n); }

/* ---- Flatten --------------------------------------------------------- */

void flatten_parse(Graph *g, Node *n) { parse_none(g, n); }

void flatten_infer(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0];
	int r = x->shape.rank;
	int64_t axis = attr_int(n, "axis", 1);
	if (axis < -r || axis > r)
		fatal_node(n, "axis %lld is out of range for rank %d", (long long)axis, r);
	if (axis < 0)
		axis += r;
	Shape o = { .rank = 2, .d = { 1, 1 } };
	for (int i = 0; i < r; i++)
		o.d[i >= axis] *= x->shape.d[i];
	if (x->batched && (axis == 0 || o.d[0] != 1))
		fatal_node(n, "Flatten with axis %lld of the batched tensor '%s' merges the batch with other "
		           "dimensions; fix the batch with --dim to compile this", (long long)axis, x->name);
	set_out(n, 0, x->dtype, &o, x->batched);
}

bool flatten_fold(Graph *g, Node *n) { return fold_copy(g, n); }
void flatten_emit(Emit *e, Node *n) { emit_none(e, n); }

/* ---- Squeeze / Unsqueeze -------------------------------------------- */

/* axes: an attribute before opset 13, an input from 13.  -1 when absent. */
static int read_axes(const Node *n, int64_t *axes)
{
	if (n->opset < 13)
		return attr_ints(n, "axes", axes, MAX_RANK);
	return const_ints_input(n, 1, axes, MAX_RANK);
}

void squeeze_parse(Graph *g, Node *n) { parse_none(g, n); }

void squeeze_infer(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0];
	int r = x->shape.rank;
	int64_t axes[MAX_RANK];
	int na = read_axes(n, axes);
	bool drop[MAX_RANK] = { false };
	if (na < 0) {
		/* every extent-1 dimension, except the batch, whose size is not known */
		for (int i = x->batched ? 1 : 0; i < r; i++)
			drop[i] = x->shape.d[i] == 1;
	} else {
		for (int k = 0; k < na; k++) {
			int a = norm_axis(n, axes[k], r, "axis");
			check_batch_axis(n, x, a, "Squeeze");
			if (x->shape.d[a] != 1)
				fatal_node(n, "cannot squeeze axis %d of %s: its extent is not 1", a, shape_str(&x->shape));
			drop[a] = true;
		}
	}
	Shape o = { 0 };
	for (int i = 0; i < r; i++)
		if (!drop[i])
			o.d[o.rank++] = x->shape.d[i];
	set_out(n, 0, x->dtype, &o, x->batched);
}

bool squeeze_fold(Graph *g, Node *n) { return fold_copy(g, n); }
void squeeze_emit(Emit *e, Node *n) { emit_none(e, n); }

void unsqueeze_parse(Graph *g, Node *n) { parse_none(g, n); }

void unsqueeze_infer(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0];
	int64_t axes[MAX_RANK];
	int na = read_axes(n, axes);
	if (na < 0)
		fatal_node(n, "axes are missing");
	int r = x->shape.rank + na;
	if (r > MAX_RANK)
		fatal_unsupported(n, "the output would have rank %d (at most %d supported)", r, MAX_RANK);
	bool ins[MAX_RANK] = { false };
	for (int k = 0; k < na; k++) {
		int a = norm_axis(n, axes[k], r, "axis");
		if (ins[a])
			fatal_node(n, "axis %d is given twice", a);
		ins[a] = true;
	}
	if (x->batched && ins[0])
		fatal_node(n, "Unsqueeze at axis 0 of the batched tensor '%s' moves the batch off axis 0; fix the "
		           "batch with --dim to compile this", x->name);
	Shape o = { .rank = r };
	for (int i = 0, j = 0; i < r; i++)
		o.d[i] = ins[i] ? 1 : x->shape.d[j++];
	set_out(n, 0, x->dtype, &o, x->batched);
}

bool unsqueeze_fold(Graph *g, Node *n) { return fold_copy(g, n); }
void unsqueeze_emit(Emit *e, Node *n) { emit_none(e, n); }

/* ---- Shape ------------------------------------------------------------ */

void shape_parse(Graph *g, Node *n) { parse_none(g, n); }

/* Shape never needs its input's values, so it becomes a constant right here
 * (infer.c only folds nodes whose inputs are all constant).  The batch size
 * is written as SYM_BATCH. */
void shape_infer(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0];
	int r = x->shape.rank;
	int64_t start = 0, end = r;
	if (n->opset >= 15) {
		start = attr_int(n, "start", 0);
		end = attr_int(n, "end", r);
	}
	if (start < 0)
		start += r;
	if (end < 0)
		end += r;
	start = start < 0 ? 0 : start > r ? r : start;
	end = end < 0 ? 0 : end > r ? r : end;
	Shape o = { .rank = 1, .d = { end > start ? end - start : 0 } };
	Tensor *t = n->out[0];
	set_out(n, 0, DT_INT64, &o, false);
	int64_t *v = move_alloc(t);
	for (int64_t i = start; i < end; i++)
		v[i - start] = x->batched && i == 0 ? SYM_BATCH : x->shape.d[i];
	if (t->kind != T_OUTPUT)
		t->kind = T_CONST;
	t->producer = NULL;
	n->dead = true;
}

bool shape_fold(Graph *g, Node *n)
{
	(void)g;
	return n->out[0]->data != NULL; /* already done by shape_infer */
}

void shape_emit(Emit *e, Node *n)
{
	(void)e;
	fatal_node(n, "internal: Shape should have been folded");
}
