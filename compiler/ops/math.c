/*
 * ops/math.c - elementwise functions from libm that exporters emit around
 * CNNs and transformers: Erf, Gelu (opset 20, exact and tanh forms), Log,
 * Reciprocal, and Pow with broadcasting.
 *
 * The generated C calls erff, logf and powf from <math.h> (C99), and Gelu
 * the erfcf or expf of its activation (ops/unary.c); folding uses the same
 * float functions, so a folded constant and a computed tensor agree.  Pow
 * with a constant exponent of 1, 2, 3, 0.5 or -1 (PyTorch's LayerNorm
 * before opset 17 squares with Pow 2; LocalResponseNorm raises to 0.75)
 * becomes plain arithmetic, which is exact where powf is only correctly
 * rounded; other exponents call powf.  An integer exponent constant is read
 * as float, since the result has the base's type.
 */
#include "elem.h"

#include <math.h>
#include <string.h>

/* ---- Erf, Gelu, Log, Reciprocal ----------------------------------------- */

typedef enum { M_ERF, M_GELU, M_GELU_TANH, M_LOG, M_RECIP } MKind;

/* Gelu is an activation (ACT_GELU, ACT_GELU_TANH): ops/unary.c defines its
 * arithmetic once, for this standalone operator and for a Gelu fused into a
 * producer's epilogue (opt_fuse_act, opt_fuse_gelu) alike. */
static Act gelu_of(MKind k)
{
	return (Act){ k == M_GELU ? ACT_GELU : ACT_GELU_TANH, 0, 0 };
}

static const char *math_expr(MKind k, const char *v)
{
	switch (k) {
	case M_ERF: return xsprintf("erff(%s)", v);
	case M_GELU:
	case M_GELU_TANH: {
		const Act a = gelu_of(k);
		return act_c_expr(&a, v);
	}
	case M_LOG: return xsprintf("logf(%s)", v);
	case M_RECIP: return xsprintf("1.0f / %s", v);
	}
	UNREACHABLE();
}

/* The compile-time twin of math_expr, in the same float arithmetic. */
static float math_eval(MKind k, float v)
{
	switch (k) {
	case M_ERF: return erff(v);
	case M_GELU:
	case M_GELU_TANH: {
		const Act a = gelu_of(k);
		return act_eval(&a, v);
	}
	case M_LOG: return logf(v);
	case M_RECIP: return 1.0f / v;
	}
	UNREACHABLE();
}

static void math_set(Node *n, MKind k)
{
	MKind *p = xalloc(sizeof *p);
	*p = k;
	n->p = p;
}

static void math_infer(Graph *g, Node *n)
{
	(void)g;
	require_float(n, 0);
	infer_same(n);
}

static bool math_fold(Graph *g, Node *n)
{
	(void)g;
	const float *x = tensor_f32(n->in[0]);
	Tensor *y = n->out[0];
	int64_t cnt = shape_numel(&y->shape);
	float *d = y->data = xalloc((size_t)cnt * sizeof(float) + 1);
	for (int64_t i = 0; i < cnt; i++)
		d[i] = math_eval(*(const MKind *)n->p, x[i]);
	return true;
}

static void math_emit(Emit *e, Node *n)
{
	EltOperand x = elt_input(e, n, 0);
	emit_eltwise(e, n, &n->out[0]->shape, 1, &x, math_expr(*(const MKind *)n->p, "x0"));
}

void erf_parse(Graph *g, Node *n) { (void)g; math_set(n, M_ERF); }
void log_parse(Graph *g, Node *n) { (void)g; math_set(n, M_LOG); }
void reciprocal_parse(Graph *g, Node *n) { (void)g; math_set(n, M_RECIP); }

void gelu_parse(Graph *g, Node *n)
{
	(void)g;
	const char *a = attr_string(n, "approximate", "none");
	if (strcmp(a, "none") && strcmp(a, "tanh"))
		fatal_node(n, "attribute approximate='%s' is not one of 'none', 'tanh'", a);
	math_set(n, strcmp(a, "tanh") ? M_GELU : M_GELU_TANH);
}

/* Gelu's `act` FACT: fusable on float data, the form its attribute names. */
bool gelu_act(const Node *n, Act *a)
{
	const char *m = attr_string(n, "approximate", "none");
	if (strcmp(m, "none") && strcmp(m, "tanh"))
		return false;
	*a = gelu_of(strcmp(m, "tanh") ? M_GELU : M_GELU_TANH);
	return true;
}

#define MATH_HOOKS(pfx)                                                    \
	void pfx##_infer(Graph *g, Node *n) { math_infer(g, n); }          \
	bool pfx##_fold(Graph *g, Node *n) { return math_fold(g, n); }     \
	void pfx##_emit(Emit *e, Node *n) { math_emit(e, n); }

MATH_HOOKS(erf)
MATH_HOOKS(gelu)
MATH_HOOKS(log)
MATH_HOOKS(reciprocal)

/* ---- Pow ------------------------------------------------------------------ */

static bool is_int_type(DType t)
{
	return t == DT_INT8 || t == DT_INT16 || t == DT_INT32 || t == DT_INT64 || t == DT_UINT8 || t == DT_UINT16 ||
	       t == DT_UINT32 || t == DT_UINT64;
}

/* Element i of an integer or float constant, as float. */
static float const_as_float(const Tensor *t, int64_t i)
{
	const void *d = t->data;
	switch (t->dtype) {
	case DT_FLOAT: return ((const float *)d)[i];
	case DT_INT8: return ((const int8_t *)d)[i];
	case DT_INT16: return ((const int16_t *)d)[i];
	case DT_INT32: return (float)((const int32_t *)d)[i];
	case DT_INT64: return (float)((const int64_t *)d)[i];
	case DT_UINT8: return ((const uint8_t *)d)[i];
	case DT_UINT16: return ((const uint16_t *)d)[i];
	case DT_UINT32: return (float)((const uint32_t *)d)[i];
	case DT_UINT64: return (float)((const uint64_t *)d)[i];
	default: UNREACHABLE();
	}
}

void pow_parse(Graph *g, Node *n) { parse_none(g, n); }

void pow_infer(Graph *g, Node *n)
{
	(void)g;
	const Tensor *y = n->in[1];
	require_float(n, 0);
	/* the exponent may be an integer constant */
	if (y->dtype != DT_FLOAT && (!tensor_is_const(y) || !is_int_type(y->dtype)))
		fatal_unsupported(n, "exponent '%s' is %s%s; float, or an integer constant, is needed", y->name,
		                  tensor_is_const(y) ? "a " : "a run-time ", dtype_name(y->dtype));
	Shape s;
	bool batched;
	bcast_batched(n, 0, 2, &s, &batched);
	set_out(n, 0, DT_FLOAT, &s, batched);
}

bool pow_fold(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0], *y = n->in[1];
	Tensor *z = n->out[0];
	int64_t cnt = shape_numel(&z->shape), sx[MAX_RANK], sy[MAX_RANK];
	bcast_strides(&x->shape, &z->shape, sx);
	bcast_strides(&y->shape, &z->shape, sy);
	float *d = z->data = xalloc((size_t)cnt * sizeof(float) + 1);
	for (int64_t i = 0; i < cnt; i++)
		d[i] = powf(tensor_f32(x)[bcast_offset(sx, &z->shape, i)],
		            const_as_float(y, bcast_offset(sy, &z->shape, i)));
	return true;
}

/* x0 ** e for a known exponent e, without powf where arithmetic is exact. */
static const char *pow_expr(float e)
{
	if (e == 1.0f)
		return "x0";
	if (e == 2.0f)
		return "x0 * x0";
	if (e == 3.0f)
		return "x0 * x0 * x0";
	if (e == 0.5f)
		return "sqrtf(x0)";
	if (e == -1.0f)
		return "1.0f / x0";
	return xsprintf("powf(x0, %s)", c_float(e));
}

void pow_emit(Emit *e, Node *n)
{
	const Tensor *y = n->in[1];
	EltOperand ops[2] = { elt_input(e, n, 0), { .in = -1, .shape = y->shape } };
	if (!tensor_is_const(y)) {
		ops[1].in = 1;
	} else if (shape_numel(&y->shape) == 1) {
		emit_eltwise(e, n, &n->out[0]->shape, 1, ops, pow_expr(const_as_float(y, 0)));
		return;
	} else {
		int64_t cnt = shape_numel(&y->shape);
		float *f = xalloc((size_t)cnt * sizeof *f);
		for (int64_t i = 0; i < cnt; i++)
			f[i] = const_as_float(y, i);
		ops[1].ptr = emit_weights(e, f, (size_t)cnt);
	}
	emit_eltwise(e, n, &n->out[0]->shape, 2, ops, "powf(x0, x1)");
}
