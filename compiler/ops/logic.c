/*
 * ops/logic.c - comparisons (Equal, Less, Greater, LessOrEqual,
 * GreaterOrEqual), the boolean operators (Not, And, Or, Xor) and Where, all
 * with numpy broadcasting.
 *
 * On constants they fold for every numeric type: exporters build masks and
 * shapes this way (Where(Equal(shape, -1), 1, shape) ahead of an Expand).
 * At run time the data is float: a comparison reads float tensors, and its
 * bool result lives in the float arena as 0.0f or 1.0f, which only Not, And,
 * Or, Xor and Where's condition accept (every other op refuses a bool
 * input, and a bool graph output is refused by the emitter).  Where picks
 * between float tensors with a bool condition that is a constant or such a
 * run-time mask.
 */
#include "elem.h"

#include <string.h>

typedef enum { L_EQ, L_LT, L_GT, L_LE, L_GE, L_NOT, L_AND, L_OR, L_XOR, L_WHERE } LKind;

static LKind kind_of(const Node *n)
{
	static const struct { const char *op; LKind k; } tab[] = {
		{ "Equal", L_EQ }, { "Less", L_LT }, { "Greater", L_GT }, { "LessOrEqual", L_LE },
		{ "GreaterOrEqual", L_GE }, { "Not", L_NOT }, { "And", L_AND }, { "Or", L_OR }, { "Xor", L_XOR },
		{ "Where", L_WHERE },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (!strcmp(n->op_type, tab[i].op))
			return tab[i].k;
	UNREACHABLE();
}

static bool is_compare(LKind k) { return k <= L_GE; }

static bool numeric(DType t)
{
	return t == DT_FLOAT || t == DT_DOUBLE || t == DT_BOOL || t == DT_INT8 || t == DT_INT16 || t == DT_INT32 ||
	       t == DT_INT64 || t == DT_UINT8 || t == DT_UINT16 || t == DT_UINT32 || t == DT_UINT64;
}

static void logic_infer(Graph *g, Node *n)
{
	(void)g;
	LKind k = kind_of(n);
	int nin = k == L_NOT ? 1 : k == L_WHERE ? 3 : 2;
	bool all_const = true;
	for (int j = 0; j < nin; j++) {
		const Tensor *t = n->in[j];
		if (!t)
			fatal_node(n, "input %d is missing", j);
		all_const &= tensor_is_const(t);
		if (!numeric(t->dtype))
			fatal_unsupported(n, "input %d '%s' is %s", j, t->name, dtype_name(t->dtype));
	}
	/* ONNX types: comparisons and Where's x/y share a type; the boolean ops and Where's condition are bool */
	int first = k == L_WHERE ? 1 : 0;
	if (nin - first == 2 && n->in[first]->dtype != n->in[first + 1]->dtype)
		fatal_node(n, "inputs '%s' and '%s' have different types (%s and %s)", n->in[first]->name,
		           n->in[first + 1]->name, dtype_name(n->in[first]->dtype), dtype_name(n->in[first + 1]->dtype));
	for (int j = 0; j < (is_compare(k) ? 0 : k == L_WHERE ? 1 : nin); j++)
		if (n->in[j]->dtype != DT_BOOL)
			fatal_node(n, "input %d '%s' is %s; %s needs bool", j, n->in[j]->name, dtype_name(n->in[j]->dtype),
			           n->op_type);
	if (!all_const) {
		/* at run time: bool masks (0/1 floats) and float data only */
		for (int j = first; j < nin; j++) {
			const Tensor *t = n->in[j];
			bool ok = k <= L_GE || k == L_WHERE ? t->dtype == DT_FLOAT : t->dtype == DT_BOOL;
			if (!ok)
				fatal_unsupported(n, "input %d '%s' is %s at run time; %s runs on %s data only (integer "
				                     "tensors exist only as compile-time constants)", j, t->name,
				                  dtype_name(t->dtype), n->op_type, k == L_WHERE || is_compare(k) ? "float" : "bool");
		}
	}
	Shape s;
	bool batched;
	bcast_batched(n, 0, nin, &s, &batched);
	DType out = k == L_WHERE ? n->in[1]->dtype : DT_BOOL;
	set_out(n, 0, out, &s, batched);
}

static bool eval_bool(LKind k, double a, double b)
{
	switch (k) {
	case L_EQ: return a == b;
	case L_LT: return a < b;
	case L_GT: return a > b;
	case L_LE: return a <= b;
	case L_GE: return a >= b;
	case L_NOT: return a == 0;
	case L_AND: return a != 0 && b != 0;
	case L_OR: return a != 0 || b != 0;
	case L_XOR: return (a != 0) != (b != 0);
	case L_WHERE: break;
	}
	UNREACHABLE();
}

static bool logic_fold(Graph *g, Node *n)
{
	(void)g;
	LKind k = kind_of(n);
	int nin = k == L_NOT ? 1 : k == L_WHERE ? 3 : 2;
	Tensor *y = n->out[0];
	int64_t cnt = shape_numel(&y->shape), st[3][MAX_RANK];
	for (int j = 0; j < nin; j++)
		bcast_strides(&n->in[j]->shape, &y->shape, st[j]);
	size_t es = dtype_size(y->dtype);
	char *d = y->data = xalloc((size_t)cnt * es + 1);
	for (int64_t i = 0; i < cnt; i++) {
		int64_t o[3];
		for (int j = 0; j < nin; j++)
			o[j] = bcast_offset(st[j], &y->shape, i);
		if (k == L_WHERE) {
			/* a byte copy of the chosen element keeps any type exact */
			const Tensor *src = const_elem_d(n, n->in[0], o[0]) != 0 ? n->in[1] : n->in[2];
			memcpy(d + (size_t)i * es, (const char *)src->data + (size_t)o[src == n->in[1] ? 1 : 2] * es, es);
			continue;
		}
		double a = const_elem_d(n, n->in[0], o[0]), b = nin > 1 ? const_elem_d(n, n->in[1], o[1]) : 0;
		d[i] = eval_bool(k, a, b);
	}
	return true;
}

/* Operand j at run time: in<j>, a float constant, or a bool constant turned into 0/1 floats. */
static EltOperand operand(Emit *e, const Node *n, int j)
{
	const Tensor *t = n->in[j];
	if (!tensor_is_const(t) || t->dtype == DT_FLOAT)
		return elt_input(e, n, j);
	ASSERT(t->dtype == DT_BOOL);
	EltOperand o = { .in = -1, .shape = t->shape };
	int64_t cnt = shape_numel(&t->shape);
	float *f = xalloc((size_t)cnt * sizeof *f + 1);
	for (int64_t i = 0; i < cnt; i++)
		f[i] = ((const uint8_t *)t->data)[i] ? 1.0f : 0.0f;
	if (cnt == 1)
		o.scalar = f[0];
	else
		o.ptr = emit_weights(e, f, (size_t)cnt);
	return o;
}

static void logic_emit(Emit *e, Node *n)
{
	static const char *expr[] = {
		[L_EQ] = "x0 == x1", [L_LT] = "x0 < x1", [L_GT] = "x0 > x1", [L_LE] = "x0 <= x1", [L_GE] = "x0 >= x1",
		[L_NOT] = "x0 == 0.0f", [L_AND] = "x0 != 0.0f && x1 != 0.0f", [L_OR] = "x0 != 0.0f || x1 != 0.0f",
		[L_XOR] = "(x0 != 0.0f) != (x1 != 0.0f)",
	};
	LKind k = kind_of(n);
	int nin = k == L_NOT ? 1 : k == L_WHERE ? 3 : 2;
	EltOperand ops[3];
	for (int j = 0; j < nin; j++)
		ops[j] = operand(e, n, j);
	const char *x = k == L_WHERE ? "x0 != 0.0f ? x1 : x2" : xsprintf("(%s) ? 1.0f : 0.0f", expr[k]);
	emit_eltwise(e, n, &n->out[0]->shape, nin, ops, x);
}

#define LOGIC_HOOKS(pfx)                                                   \
	void pfx##_parse(Graph *g, Node *n) { parse_none(g, n); }          \
	void pfx##_infer(Graph *g, Node *n) { logic_infer(g, n); }         \
	bool pfx##_fold(Graph *g, Node *n) { return logic_fold(g, n); }    \
	void pfx##_emit(Emit *e, Node *n) { logic_emit(e, n); }

LOGIC_HOOKS(equal)
LOGIC_HOOKS(less)
LOGIC_HOOKS(greater)
LOGIC_HOOKS(lessequal)
LOGIC_HOOKS(greaterequal)
LOGIC_HOOKS(lognot)
LOGIC_HOOKS(logand)
LOGIC_HOOKS(logor)
LOGIC_HOOKS(logxor)
LOGIC_HOOKS(where)
