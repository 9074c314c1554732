/*
 * ops/unary.c - one-input elementwise operators: the activations (Relu,
 * Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish) and Elu, Exp,
 * Sqrt, Neg, Abs.
 *
 * Activations are defined once: read from the node by their `act` FACTs
 * (relu_act, clip_act, ...), computed by act_c_expr (the C expression) and
 * act_eval (its compile-time value).  The same definition serves an
 * activation fused into a Conv/Gemm epilogue and the standalone operator, so
 * the two paths cannot drift apart (GELU too: ops/math.c's Gelu and
 * opt_fuse_gelu's fused form use ACT_GELU and ACT_GELU_TANH from here).  The
 * other unary operators sit in one small table next to them.  Neg, Abs and
 * Relu also fold int64 constants.
 */
#include "elem.h"

#include <float.h>
#include <math.h>

#define GELU_MINUS_INV_SQRT2 "(-0.707106781f)" /* -1/sqrt2 */

typedef enum { U_ACT, U_ELU, U_EXP, U_SQRT, U_NEG, U_ABS } UKind;

typedef struct {
	UKind kind;
	Act act;       /* U_ACT */
	float alpha;   /* U_ELU */
} UnaryP;

const char *act_c_expr(const Act *a, const char *v)
{
	switch (a->kind) {
	case ACT_NONE:
		return v;
	case ACT_RELU:
		return xsprintf("(%s > 0.0f ? %s : 0.0f)", v, v);
	case ACT_CLIP: {
		/* an infinite bound clips nothing */
		const char *s = v;
		if (!isinf(a->a) || a->a > 0)
			s = xsprintf("o2c_maxf(%s, %s)", s, c_float(a->a));
		if (!isinf(a->b) || a->b < 0)
			s = xsprintf("o2c_minf(%s, %s)", s, c_float(a->b));
		return s;
	}
	case ACT_LEAKY_RELU:
		return xsprintf("(%s >= 0.0f ? %s : %s * %s)", v, v, c_float(a->a), v);
	case ACT_SIGMOID:
		return xsprintf("o2c_sigmoidf(%s)", v);
	case ACT_TANH:
		return xsprintf("tanhf(%s)", v);
	case ACT_HARD_SIGMOID:
		return xsprintf("o2c_maxf(0.0f, o2c_minf(1.0f, %s * %s + %s))", c_float(a->a), v, c_float(a->b));
	case ACT_HARD_SWISH:
		/* ONNX: x * max(0, min(1, alpha * x + beta)), alpha = 1/6, beta = 0.5 */
		return xsprintf("(%s * o2c_maxf(0.0f, o2c_minf(1.0f, %s * %s + 0.5f)))", v, c_float(1.0f / 6.0f), v);
	case ACT_SILU:
		/* the Sigmoid and the Mul it replaces (opt_fuse_swish) */
		return xsprintf("(%s * o2c_sigmoidf(%s))", v, v);
	case ACT_GELU:
		/* x (1 + erf(x / sqrt2)) / 2 with 1 + erf(-z) as erfc(z): no cancellation for x < 0 */
		return xsprintf("(0.5f * %s * erfcf(%s * " GELU_MINUS_INV_SQRT2 "))", v, v);
	case ACT_GELU_TANH:
		return xsprintf("o2c_gelu_tanhf(%s)", v); /* templates/common.c */
	}
	UNREACHABLE();
}

const char *emit_act(const Act *a, const char *v)
{
	return act_c_expr(a, v);
}

/* The compile-time twin of act_c_expr, in the same float arithmetic. */
float act_eval(const Act *a, float v)
{
	switch (a->kind) {
	case ACT_NONE: return v;
	case ACT_RELU: return v > 0.0f ? v : 0.0f;
	case ACT_CLIP: return fminf(fmaxf(v, a->a), a->b);
	case ACT_LEAKY_RELU: return v >= 0.0f ? v : a->a * v;
	case ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
	case ACT_TANH: return tanhf(v);
	case ACT_HARD_SIGMOID: return fmaxf(0.0f, fminf(1.0f, a->a * v + a->b));
	case ACT_HARD_SWISH: return v * fmaxf(0.0f, fminf(1.0f, (1.0f / 6.0f) * v + 0.5f));
	case ACT_SILU: return v * (1.0f / (1.0f + expf(-v)));
	case ACT_GELU: return 0.5f * v * erfcf(v * -0.707106781f);
	case ACT_GELU_TANH: {
		/* o2c_gelu_tanhf */
		const float u2 = v * (1.59576912f + 0.0713548162f * v * v), e = expf(-fabsf(u2));
		return (u2 >= 0.0f ? v : v * e) / (1.0f + e);
	}
	}
	UNREACHABLE();
}

static const char *unary_expr(const UnaryP *p, const char *v)
{
	switch (p->kind) {
	case U_ACT: return act_c_expr(&p->act, v);
	case U_ELU: return xsprintf("(%s >= 0.0f ? %s : %s * (expf(%s) - 1.0f))", v, v, c_float(p->alpha), v);
	case U_EXP: return xsprintf("expf(%s)", v);
	case U_SQRT: return xsprintf("sqrtf(%s)", v);
	case U_NEG: return xsprintf("(-%s)", v);
	case U_ABS: return xsprintf("fabsf(%s)", v);
	}
	UNREACHABLE();
}

static float unary_eval(const UnaryP *p, float v)
{
	switch (p->kind) {
	case U_ACT: return act_eval(&p->act, v);
	case U_ELU: return v >= 0.0f ? v : p->alpha * (expf(v) - 1.0f);
	case U_EXP: return expf(v);
	case U_SQRT: return sqrtf(v);
	case U_NEG: return -v;
	case U_ABS: return fabsf(v);
	}
	UNREACHABLE();
}

/* Integer constants (shape arithmetic) fold through these three only. */
static bool unary_int_ok(const UnaryP *p)
{
	return p->kind == U_NEG || p->kind == U_ABS || (p->kind == U_ACT && p->act.kind == ACT_RELU);
}

static UnaryP *unary_new(Node *n, UKind k, ActKind act)
{
	UnaryP *p = xalloc(sizeof *p);
	p->kind = k;
	p->act.kind = act;
	n->p = p;
	return p;
}

static void unary_infer(Graph *g, Node *n)
{
	(void)g;
	const UnaryP *p = n->p;
	const Tensor *x = n->in[0];
	if (x->dtype != DT_FLOAT) {
		if (!tensor_is_const(x))
			require_float(n, 0);
		if (!unary_int_ok(p) || (x->dtype != DT_INT64 && x->dtype != DT_INT32))
			fatal_unsupported(n, "%s on a %s constant", n->op_type, dtype_name(x->dtype));
	}
	infer_same(n);
}

static bool unary_fold(Graph *g, Node *n)
{
	(void)g;
	const UnaryP *p = n->p;
	const Tensor *x = n->in[0];
	Tensor *y = n->out[0];
	int64_t cnt = shape_numel(&x->shape);
	y->data = xalloc((size_t)cnt * dtype_size(x->dtype) + 1);
	if (x->dtype == DT_FLOAT) {
		for (int64_t i = 0; i < cnt; i++)
			((float *)y->data)[i] = unary_eval(p, tensor_f32(x)[i]);
		return true;
	}
	for (int64_t i = 0; i < cnt; i++) {
		int64_t v = x->dtype == DT_INT64 ? ((const int64_t *)x->data)[i] : ((const int32_t *)x->data)[i];
		check_not_batch(n, v);
		int64_t r = p->kind == U_NEG ? -v : p->kind == U_ABS ? (v < 0 ? -v : v) : (v > 0 ? v : 0);
		if (x->dtype == DT_INT64)
			((int64_t *)y->data)[i] = r;
		else
			((int32_t *)y->data)[i] = (int32_t)r;
	}
	return true;
}

static void unary_emit(Emit *e, Node *n)
{
	EltOperand x = elt_input(e, n, 0);
	emit_eltwise(e, n, &n->out[0]->shape, 1, &x, unary_expr(n->p, "x0"));
}

/* The hooks of each unary operator: its own parse, the shared rest. */
#define UNARY_HOOKS(pfx)                                                   \
	void pfx##_infer(Graph *g, Node *n) { unary_infer(g, n); }         \
	bool pfx##_fold(Graph *g, Node *n) { return unary_fold(g, n); }    \
	void pfx##_emit(Emit *e, Node *n) { unary_emit(e, n); }

/* ---- the activations: each one's Act, read from the node itself ------
 * These are the ops' `act` FACTs: the standalone operator (its parse hook
 * below) and opt_fuse_act (fusing it into its producer's epilogue) both take
 * the activation from here, so the two cannot differ.  They read the node's
 * attributes and inputs, not n->p, and report failure instead of exiting. */

bool relu_act(const Node *n, Act *a) { (void)n; *a = (Act){ ACT_RELU, 0, 0 }; return true; }
bool sigmoid_act(const Node *n, Act *a) { (void)n; *a = (Act){ ACT_SIGMOID, 0, 0 }; return true; }
bool tanh_act(const Node *n, Act *a) { (void)n; *a = (Act){ ACT_TANH, 0, 0 }; return true; }
bool hardswish_act(const Node *n, Act *a) { (void)n; *a = (Act){ ACT_HARD_SWISH, 0, 0 }; return true; }

bool leakyrelu_act(const Node *n, Act *a)
{
	*a = (Act){ ACT_LEAKY_RELU, attr_float(n, "alpha", 0.01f), 0 };
	return true;
}

bool hardsigmoid_act(const Node *n, Act *a)
{
	*a = (Act){ ACT_HARD_SIGMOID, attr_float(n, "alpha", 0.2f), attr_float(n, "beta", 0.5f) };
	return true;
}

/* Clip: bounds are attributes before opset 11 and optional constant float
 * scalar inputs from 11.  An absent bound is the float range, as in ONNX
 * Runtime (numeric_limits<float>::lowest() and max()): an infinite input
 * comes out as -FLT_MAX or FLT_MAX, never infinite.  False when a bound is
 * not a constant float scalar (clip_parse then says which). */
bool clip_act(const Node *n, Act *a)
{
	*a = (Act){ ACT_CLIP, -FLT_MAX, FLT_MAX };
	if (n->opset < 11) {
		a->a = attr_float(n, "min", -FLT_MAX);
		a->b = attr_float(n, "max", FLT_MAX);
		return true;
	}
	for (int j = 1; j <= 2 && j < n->nin; j++) {
		const Tensor *t = n->in[j];
		if (!t)
			continue;
		if (!tensor_is_const(t) || t->dtype != DT_FLOAT || shape_numel(&t->shape) != 1)
			return false;
		*(j == 1 ? &a->a : &a->b) = tensor_f32(t)[0];
	}
	return true;
}

/* The parse hook of each activation: its Act, from the FACT above. */
#define ACT_PARSE(pfx)                                          \
	void pfx##_parse(Graph *g, Node *n)                     \
	{                                                       \
		(void)g;                                        \
		pfx##_act(n, &unary_new(n, U_ACT, ACT_NONE)->act); \
	}

ACT_PARSE(relu)
ACT_PARSE(sigmoid)
ACT_PARSE(tanh)
ACT_PARSE(hardswish)
ACT_PARSE(leakyrelu)
ACT_PARSE(hardsigmoid)

void clip_parse(Graph *g, Node *n)
{
	(void)g;
	UnaryP *p = unary_new(n, U_ACT, ACT_CLIP);
	if (n->opset >= 11 && n->in[0]->dtype != DT_FLOAT)
		fatal_unsupported(n, "Clip on %s (only float tensors at run time)", dtype_name(n->in[0]->dtype));
	if (clip_act(n, &p->act))
		return;
	float v; /* a bound that is not a constant float scalar: const_float_input names it */
	const_float_input(n, 1, &v);
	const_float_input(n, 2, &v);
	UNREACHABLE();
}

void exp_parse(Graph *g, Node *n) { (void)g; unary_new(n, U_EXP, ACT_NONE); }
void sqrt_parse(Graph *g, Node *n) { (void)g; unary_new(n, U_SQRT, ACT_NONE); }
void neg_parse(Graph *g, Node *n) { (void)g; unary_new(n, U_NEG, ACT_NONE); }
void abs_parse(Graph *g, Node *n) { (void)g; unary_new(n, U_ABS, ACT_NONE); }

void elu_parse(Graph *g, Node *n)
{
	(void)g;
	unary_new(n, U_ELU, ACT_NONE)->alpha = attr_float(n, "alpha", 1.0f);
}

UNARY_HOOKS(relu)
UNARY_HOOKS(clip)
UNARY_HOOKS(leakyrelu)
UNARY_HOOKS(sigmoid)
UNARY_HOOKS(tanh)
UNARY_HOOKS(hardsigmoid)
UNARY_HOOKS(hardswish)
UNARY_HOOKS(elu)
UNARY_HOOKS(exp)
UNARY_HOOKS(sqrt)
UNARY_HOOKS(neg)
UNARY_HOOKS(abs)
