/*
 * ops/binary.c - elementwise operators over several inputs with numpy
 * broadcasting: Add, Sub, Mul, Div, the variadic Sum, Max, Min, Mean, and
 * PRelu (whose slope broadcasts one way, to the input's shape).
 *
 * At run time they are float only.  Integer constants fold, because
 * exporters compute shapes with Add/Sub/Mul/Div on int64 tensors; a value
 * holding the run-time batch (SYM_BATCH) cannot take part in that.
 *
 * Batch: an operand that is not batched must not reach axis 0 of a batched
 * result with a size other than 1 (it would pair with one sample only), and
 * a batched operand must have the result's rank (else its batch axis would
 * land on another axis).
 */
#include "elem.h"

#include <string.h>

typedef enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_MEAN, B_PRELU } BKind;

/* Sum is B_ADD over any count; the binary ops are the two-input case. */
static BKind kind_of(const Node *n)
{
	static const struct { const char *op; BKind k; } tab[] = {
		{ "Add", B_ADD }, { "Sub", B_SUB }, { "Mul", B_MUL }, { "Div", B_DIV }, { "Sum", B_ADD },
		{ "Max", B_MAX }, { "Min", B_MIN }, { "Mean", B_MEAN }, { "PRelu", B_PRELU },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (!strcmp(n->op_type, tab[i].op))
			return tab[i].k;
	UNREACHABLE();
}

/* The inputs actually present (Sum etc. are variadic; none are optional). */
static int nargs(const Node *n)
{
	for (int j = 0; j < n->nin; j++)
		if (!n->in[j])
			fatal_node(n, "input %d is missing", j);
	return n->nin;
}

static void nary_infer(Graph *g, Node *n)
{
	(void)g;
	BKind k = kind_of(n);
	int na = nargs(n);
	DType dt = n->in[0]->dtype;
	bool all_const = true, batched = false;
	Shape s = n->in[0]->shape;
	for (int j = 0; j < na; j++) {
		const Tensor *t = n->in[j];
		if (t->dtype != dt)
			fatal_node(n, "inputs have different types (%s and %s)", dtype_name(dt), dtype_name(t->dtype));
		all_const &= tensor_is_const(t);
		batched |= t->batched;
		if (j) {
			Shape prev = s; /* broadcast_shape's output may not alias an input */
			broadcast_shape(n, &prev, &t->shape, &s);
		}
	}
	if (dt != DT_FLOAT) {
		for (int j = 0; j < na; j++)
			if (!tensor_is_const(n->in[j]))
				require_float(n, j);
		if (!all_const || (dt != DT_INT64 && dt != DT_INT32) || k == B_PRELU || k == B_MEAN)
			fatal_unsupported(n, "%s on %s constants", n->op_type, dtype_name(dt));
	}
	if (k == B_PRELU && !shape_eq(&s, &n->in[0]->shape))
		fatal_node(n, "slope %s does not broadcast to the input's shape %s", shape_str(&n->in[1]->shape),
		           shape_str(&n->in[0]->shape));
	if (batched)
		for (int j = 0; j < na; j++) {
			const Tensor *t = n->in[j];
			if (t->batched && t->shape.rank != s.rank)
				fatal_node(n, "batched input '%s' of rank %d broadcasts to rank %d, which moves the run-time "
				              "batch off axis 0; fix the batch with --dim to compile this",
				           t->name, t->shape.rank, s.rank);
			if (!t->batched && t->shape.rank == s.rank && t->shape.d[0] != 1)
				fatal_node(n, "input '%s' %s has %lld entries on axis 0, which is the run-time batch of the "
				              "other input; fix the batch with --dim to compile this",
				           t->name, shape_str(&t->shape), (long long)t->shape.d[0]);
		}
	set_out(n, 0, dt, &s, batched);
}

static float fold_f(BKind k, float a, float b)
{
	switch (k) {
	case B_ADD: case B_MEAN: return a + b;
	case B_SUB: return a - b;
	case B_MUL: return a * b;
	case B_DIV: return a / b;
	case B_MAX: return a > b ? a : b;
	case B_MIN: return a < b ? a : b;
	case B_PRELU: return a < 0.0f ? a * b : a;
	}
	UNREACHABLE();
}

static int64_t fold_i(const Node *n, BKind k, int64_t a, int64_t b)
{
	int64_t r = 0;
	bool ovf = false;
	check_not_batch(n, a);
	check_not_batch(n, b);
	switch (k) {
	case B_ADD: ovf = __builtin_add_overflow(a, b, &r); break;
	case B_SUB: ovf = __builtin_sub_overflow(a, b, &r); break;
	case B_MUL: ovf = __builtin_mul_overflow(a, b, &r); break;
	case B_DIV:
		if (b == 0)
			fatal_node(n, "integer division by zero in a constant");
		ovf = b == -1 && a == INT64_MIN;
		r = ovf ? 0 : a / b; /* C truncates toward zero, as ONNX Runtime does */
		break;
	case B_MAX: r = a > b ? a : b; break;
	case B_MIN: r = a < b ? a : b; break;
	case B_MEAN: case B_PRELU: UNREACHABLE();
	}
	if (ovf)
		fatal_node(n, "integer overflow in a constant (%lld and %lld)", (long long)a, (long long)b);
	return r;
}

static bool nary_fold(Graph *g, Node *n)
{
	(void)g;
	BKind k = kind_of(n);
	int na = nargs(n);
	Tensor *y = n->out[0];
	DType dt = y->dtype;
	int64_t cnt = shape_numel(&y->shape);
	int64_t (*st)[MAX_RANK] = xalloc((size_t)na * sizeof *st);
	for (int j = 0; j < na; j++)
		bcast_strides(&n->in[j]->shape, &y->shape, st[j]);
	y->data = xalloc((size_t)cnt * dtype_size(dt) + 1);
	for (int64_t i = 0; i < cnt; i++) {
		if (dt == DT_FLOAT) {
			float acc = tensor_f32(n->in[0])[bcast_offset(st[0], &y->shape, i)];
			for (int j = 1; j < na; j++)
				acc = fold_f(k, acc, tensor_f32(n->in[j])[bcast_offset(st[j], &y->shape, i)]);
			if (k == B_MEAN)
				acc /= (float)na;
			((float *)y->data)[i] = acc;
			continue;
		}
		int64_t acc = 0;
		for (int j = 0; j < na; j++) {
			int64_t o = bcast_offset(st[j], &y->shape, i);
			const void *d = n->in[j]->data;
			int64_t v = dt == DT_INT64 ? ((const int64_t *)d)[o] : ((const int32_t *)d)[o];
			acc = j ? fold_i(n, k, acc, v) : v;
			if (!j)
				check_not_batch(n, v);
		}
		if (dt == DT_INT64) {
			((int64_t *)y->data)[i] = acc;
		} else {
			if (acc < INT32_MIN || acc > INT32_MAX)
				fatal_node(n, "int32 overflow in a constant");
			((int32_t *)y->data)[i] = (int32_t)acc;
		}
	}
	return true;
}

/* "x0 + x1 + x2", "o2c_maxf(o2c_maxf(x0, x1), x2)", ... */
static const char *nary_expr(BKind k, int na)
{
	static const char *infix[] = { [B_ADD] = "+", [B_SUB] = "-", [B_MUL] = "*", [B_DIV] = "/", [B_MEAN] = "+" };
	if (k == B_PRELU)
		return "(x0 < 0.0f ? x0 * x1 : x0)";
	const char *s = "x0";
	for (int j = 1; j < na; j++) {
		if (k == B_MAX || k == B_MIN)
			s = xsprintf("o2c_%sf(%s, x%d)", k == B_MAX ? "max" : "min", s, j);
		else
			s = xsprintf("%s %s x%d", s, infix[k], j);
	}
	if (k == B_MEAN)
		s = xsprintf("(%s) / %d.0f", s, na);
	return s;
}

static void nary_emit(Emit *e, Node *n)
{
	int na = nargs(n);
	EltOperand *ops = xalloc((size_t)na * sizeof *ops);
	for (int j = 0; j < na; j++)
		ops[j] = elt_input(e, n, j);
	emit_eltwise(e, n, &n->out[0]->shape, na, ops, nary_expr(kind_of(n), na));
}

#define NARY_HOOKS(pfx)                                                    \
	void pfx##_parse(Graph *g, Node *n) { parse_none(g, n); }          \
	void pfx##_infer(Graph *g, Node *n) { nary_infer(g, n); }          \
	bool pfx##_fold(Graph *g, Node *n) { return nary_fold(g, n); }     \
	void pfx##_emit(Emit *e, Node *n) { nary_emit(e, n); }

NARY_HOOKS(add)
NARY_HOOKS(sub)
NARY_HOOKS(mul)
NARY_HOOKS(div)
NARY_HOOKS(sum)
NARY_HOOKS(max)
NARY_HOOKS(min)
NARY_HOOKS(mean)
NARY_HOOKS(prelu)
