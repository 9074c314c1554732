/*
 * test_ops_elem.c - CUnit tests of the elementwise, activation and
 * normalisation operators' compile-time hooks (ops/unary.c, binary.c, bn.c,
 * softmax.c, misc.c) on one-node graphs built here: inferred shapes,
 * broadcasting, folded values against naive loops written in this file,
 * and the errors (checked by running the hook in a child process and
 * looking at its exit status: 1 = error, 3 = unsupported).
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ir.h"

const char *c_float(float x); /* ops/elem.c */

static Graph *G;

static void fresh(int64_t opset)
{
	G = graph_new("test.onnx");
	G->opset = opset;
}

static Tensor *input(const char *name, Shape s, bool batched)
{
	Tensor *t = graph_tensor(G, name);
	t->kind = T_INPUT;
	t->dtype = DT_FLOAT;
	t->shape = s;
	t->batched = batched;
	t->has_shape = true;
	return t;
}

/* float constant with values v0 + step * i */
static Tensor *cf(const char *name, Shape s, float v0, float step)
{
	Tensor *t = graph_const(G, name, DT_FLOAT, &s, NULL);
	for (int64_t i = 0; i < shape_numel(&s); i++)
		((float *)t->data)[i] = v0 + step * (float)i;
	return t;
}

static Tensor *ci(const char *name, Shape s, const int64_t *v)
{
	return graph_const(G, name, DT_INT64, &s, v);
}

static Node *node(const char *op, Tensor **in, int nin, int nout)
{
	Node *n = graph_add_node(G, op, op, nin, nout);
	for (int i = 0; i < nin; i++)
		graph_set_input(n, i, in[i]);
	for (int i = 0; i < nout; i++)
		graph_set_output(n, i, graph_tensor(G, xsprintf("%s_out%d_%d", op, i, G->nnodes)));
	n->op = op_lookup("", op);
	CU_ASSERT_FATAL(n->op >= 0);
	n->opset = G->opset;
	return n;
}

static void add_attr(Node *n, Attr a)
{
	n->attrs = xrealloc_arr(n->attrs, (size_t)n->nattrs, (size_t)n->nattrs + 1, sizeof *n->attrs);
	n->attrs[n->nattrs++] = a;
}

static void attr_i(Node *n, const char *name, int64_t v) { add_attr(n, (Attr){ .name = name, .type = AT_INT, .i = v }); }
static void attr_f(Node *n, const char *name, float v) { add_attr(n, (Attr){ .name = name, .type = AT_FLOAT, .f = v }); }

static void parse_infer(Node *n)
{
	op_table[n->op].parse(G, n);
	op_table[n->op].infer(G, n);
}

/* parse + infer + fold; returns the folded output 0 */
static Tensor *fold(Node *n)
{
	parse_infer(n);
	CU_ASSERT_FATAL(op_table[n->op].fold(G, n));
	CU_ASSERT_FATAL(n->out[0]->data != NULL);
	return n->out[0];
}

/* Exit status of parse + infer (+ fold when do_fold) in a child process. */
static int status_of(Node *n, bool do_fold)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (!getenv("ELEM_TEST_VERBOSE"))
			freopen("/dev/null", "w", stderr);
		parse_infer(n);
		if (do_fold)
			op_table[n->op].fold(G, n);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#define S0 ((Shape){ 0, { 0 } })
#define S(...) ((Shape){ sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t), { __VA_ARGS__ } })

/* ---- binary / variadic ------------------------------------------------ */

static void test_broadcast_shapes(void)
{
	fresh(13);
	Node *n = node("Add", (Tensor *[]){ input("a", S(2, 3, 4), false), input("b", S(3, 1), false) }, 2, 1);
	parse_infer(n);
	CU_ASSERT(shape_eq(&n->out[0]->shape, &S(2, 3, 4)));
	CU_ASSERT(n->out[0]->dtype == DT_FLOAT);

	n = node("Mul", (Tensor *[]){ input("c", S(2, 3), false), input("d", S(4), false) }, 2, 1);
	CU_ASSERT_EQUAL(status_of(n, false), 1);
	n = node("Sub", (Tensor *[]){ input("e", S(5, 1, 7), false), input("f", S(1, 6, 1), false) }, 2, 1);
	parse_infer(n);
	CU_ASSERT(shape_eq(&n->out[0]->shape, &S(5, 6, 7)));
}

static void test_int64_shape_arithmetic(void)
{
	fresh(13);
	int64_t a[] = { 2, 3, -7, 8, 10, 12 }, b[] = { 2, -2 };
	Tensor *ta = ci("a", S(3, 2), a), *tb = ci("b", S(2), b);
	static const char *ops[] = { "Add", "Sub", "Mul", "Div" };
	for (int k = 0; k < 4; k++) {
		Tensor *y = fold(node(ops[k], (Tensor *[]){ ta, tb }, 2, 1));
		CU_ASSERT(y->dtype == DT_INT64);
		CU_ASSERT(shape_eq(&y->shape, &S(3, 2)));
		for (int i = 0; i < 6; i++) {
			int64_t x = a[i], z = b[i % 2];
			int64_t want = k == 0 ? x + z : k == 1 ? x - z : k == 2 ? x * z : x / z;
			CU_ASSERT_EQUAL(((int64_t *)y->data)[i], want);
		}
	}
	/* -7 / 2 truncates toward zero, like ONNX Runtime */
	int64_t m7 = -7, two = 2;
	Tensor *y = fold(node("Div", (Tensor *[]){ ci("m7", S(1), &m7), ci("two", S(1), &two) }, 2, 1));
	CU_ASSERT_EQUAL(((int64_t *)y->data)[0], -3);

	/* the run-time batch cannot take part */
	int64_t shp[] = { SYM_BATCH, 64 }, k4 = 4;
	Node *n = node("Mul", (Tensor *[]){ ci("shp", S(2), shp), ci("k4", S(1), &k4) }, 2, 1);
	CU_ASSERT_EQUAL(status_of(n, true), 1);
	int64_t zero = 0;
	n = node("Div", (Tensor *[]){ ci("k4b", S(1), &k4), ci("zero", S(1), &zero) }, 2, 1);
	CU_ASSERT_EQUAL(status_of(n, true), 1);
	/* int64 at run time is refused as unsupported (exit 3) */
	Tensor *ri = input("ri", S(2), false);
	ri->dtype = DT_INT64;
	n = node("Add", (Tensor *[]){ ri, ci("k4c", S(1), &k4) }, 2, 1);
	CU_ASSERT_EQUAL(status_of(n, false), 3);
}

static void test_float_fold_variadic(void)
{
	fresh(13);
	Tensor *a = cf("a", S(2, 3), -1.5f, 0.75f), *b = cf("b", S(3), 2.0f, -1.25f), *c = cf("c", S(2, 1), 0.5f, 1.0f);
	static const char *ops[] = { "Sum", "Max", "Min", "Mean" };
	for (int k = 0; k < 4; k++) {
		Tensor *y = fold(node(ops[k], (Tensor *[]){ a, b, c }, 3, 1));
		CU_ASSERT(shape_eq(&y->shape, &S(2, 3)));
		for (int i = 0; i < 2; i++)
			for (int j = 0; j < 3; j++) {
				float x0 = tensor_f32(a)[i * 3 + j], x1 = tensor_f32(b)[j], x2 = tensor_f32(c)[i];
				float want = k == 0 ? x0 + x1 + x2
				           : k == 1 ? fmaxf(fmaxf(x0, x1), x2)
				           : k == 2 ? fminf(fminf(x0, x1), x2)
				                    : (x0 + x1 + x2) / 3.0f;
				CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[i * 3 + j], want, 1e-6);
			}
	}
	Tensor *y = fold(node("PRelu", (Tensor *[]){ a, cf("slope", S(3), 0.1f, 0.1f) }, 2, 1));
	for (int i = 0; i < 6; i++) {
		float x = tensor_f32(a)[i];
		CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[i], x < 0 ? x * (0.1f + 0.1f * (float)(i % 3)) : x, 1e-6);
	}
	/* PRelu's slope must broadcast to the input, not the other way */
	Node *n = node("PRelu", (Tensor *[]){ input("x", S(3), false), cf("s2", S(2, 3), 0.1f, 0) }, 2, 1);
	CU_ASSERT_EQUAL(status_of(n, false), 1);
}

static void test_batched_broadcast(void)
{
	fresh(13);
	Tensor *x = input("x", S(1, 3, 4), true);
	Node *n = node("Add", (Tensor *[]){ x, cf("bias", S(3, 1), 1, 1) }, 2, 1);
	parse_infer(n);
	CU_ASSERT(n->out[0]->batched);
	CU_ASSERT(shape_eq(&n->out[0]->shape, &S(1, 3, 4)));
	/* a constant with 5 rows on the batch axis pairs with one sample only */
	n = node("Add", (Tensor *[]){ x, cf("big", S(5, 3, 4), 1, 1) }, 2, 1);
	CU_ASSERT_EQUAL(status_of(n, false), 1);
	/* a rank-4 result would put the batch on axis 1 */
	n = node("Mul", (Tensor *[]){ x, cf("r4", S(2, 1, 1, 1), 1, 1) }, 2, 1);
	CU_ASSERT_EQUAL(status_of(n, false), 1);
}

/* ---- unary ------------------------------------------------------------ */

static void test_unary_fold(void)
{
	fresh(13);
	Tensor *x = cf("x", S(2, 5), -2.0f, 0.45f);
	static const char *ops[] = { "Relu", "Sigmoid", "Tanh", "Neg", "Abs", "Exp", "HardSwish", "Elu" };
	for (int k = 0; k < 8; k++) {
		Tensor *y = fold(node(ops[k], (Tensor *[]){ x }, 1, 1));
		for (int i = 0; i < 10; i++) {
			double v = tensor_f32(x)[i];
			double want = k == 0 ? (v > 0 ? v : 0)
			            : k == 1 ? 1 / (1 + exp(-v))
			            : k == 2 ? tanh(v)
			            : k == 3 ? -v
			            : k == 4 ? fabs(v)
			            : k == 5 ? exp(v)
			            : k == 6 ? v * fmax(0, fmin(1, v / 6 + 0.5))
			                     : (v >= 0 ? v : exp(v) - 1);
			CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[i], want, 1e-5);
		}
	}
	Node *n = node("LeakyRelu", (Tensor *[]){ x }, 1, 1);
	attr_f(n, "alpha", 0.3f);
	Tensor *y = fold(n);
	CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[0], -0.6, 1e-6);
	n = node("HardSigmoid", (Tensor *[]){ x }, 1, 1);
	y = fold(n); /* defaults 0.2, 0.5 */
	CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[1], 0.2 * (-2.0 + 0.45) + 0.5, 1e-6);

	/* Neg/Abs fold int64 (shape arithmetic); Sigmoid of an int64 is refused */
	int64_t iv[] = { 3, -4 };
	y = fold(node("Neg", (Tensor *[]){ ci("iv", S(2), iv) }, 1, 1));
	CU_ASSERT(y->dtype == DT_INT64 && ((int64_t *)y->data)[0] == -3 && ((int64_t *)y->data)[1] == 4);
	n = node("Sigmoid", (Tensor *[]){ ci("iv2", S(2), iv) }, 1, 1);
	CU_ASSERT_EQUAL(status_of(n, true), 3);
}

static void test_clip(void)
{
	/* opset 11 on: bounds are optional constant inputs */
	fresh(13);
	Tensor *x = cf("x", S(6), -3.0f, 1.25f);
	Node *n = node("Clip", (Tensor *[]){ x, cf("lo", S0, -1.0f, 0), NULL }, 3, 1);
	Tensor *y = fold(n);
	for (int i = 0; i < 6; i++)
		CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[i], fmax(-1.0, -3.0 + 1.25 * i), 1e-6);
	n = node("Clip", (Tensor *[]){ x, NULL, cf("hi", S0, 0.5f, 0) }, 3, 1);
	y = fold(n);
	for (int i = 0; i < 6; i++)
		CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[i], fmin(0.5, -3.0 + 1.25 * i), 1e-6);
	/* a bound computed at run time cannot be compiled */
	n = node("Clip", (Tensor *[]){ input("xr", S(6), false), input("lor", S0, false) }, 2, 1);
	CU_ASSERT_EQUAL(status_of(n, false), 1);
	/* before opset 11: attributes */
	fresh(9);
	x = cf("x", S(6), -3.0f, 1.25f);
	n = node("Clip", (Tensor *[]){ x }, 1, 1);
	attr_f(n, "min", -2.0f);
	attr_f(n, "max", 1.0f);
	y = fold(n);
	for (int i = 0; i < 6; i++)
		CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[i], fmin(1.0, fmax(-2.0, -3.0 + 1.25 * i)), 1e-6);
}

static void test_act_expr(void)
{
	Act relu = { ACT_RELU, 0, 0 }, clip = { ACT_CLIP, 0.0f, 6.0f }, none = { ACT_NONE, 0, 0 };
	Act open = { ACT_CLIP, -INFINITY, INFINITY };
	CU_ASSERT_STRING_EQUAL(act_c_expr(&relu, "v"), "(v > 0.0f ? v : 0.0f)");
	CU_ASSERT_STRING_EQUAL(act_c_expr(&clip, "v"), "o2c_minf(o2c_maxf(v, 0.0f), 6.0f)");
	CU_ASSERT_STRING_EQUAL(act_c_expr(&open, "v"), "v");
	CU_ASSERT_STRING_EQUAL(act_c_expr(&none, "acc"), "acc");
	CU_ASSERT_STRING_EQUAL(emit_act(&relu, "v"), act_c_expr(&relu, "v"));
	/* literals read back exactly */
	float vals[] = { 0.1f, 1.0f / 6.0f, -2.5f, 3e-38f, 1e30f, 16777217.0f, -0.0f };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		const char *s = c_float(vals[i]);
		char buf[64];
		size_t k = 0;
		for (const char *p = s; *p && k + 1 < sizeof buf; p++)
			if (*p != '(' && *p != ')' && *p != 'f')
				buf[k++] = *p;
		buf[k] = 0;
		CU_ASSERT(strtof(buf, NULL) == vals[i]);
	}
	CU_ASSERT_STRING_EQUAL(c_float(INFINITY), "INFINITY");
	CU_ASSERT_STRING_EQUAL(c_float(2.0f), "2.0f");
}

/* ---- BatchNormalization ------------------------------------------------ */

static Node *bn_node(Tensor *x, int c)
{
	Tensor *in[5] = { x, cf("scale", S(c), 0.5f, 0.25f), cf("B", S(c), -1.0f, 0.5f), cf("mean", S(c), 0.1f, 0.2f),
	                  cf("var", S(c), 0.8f, 0.3f) };
	return node("BatchNormalization", in, 5, 1);
}

static void test_bn(void)
{
	fresh(15);
	Tensor *x = cf("x", S(2, 3, 2, 2), -1.0f, 0.1f);
	Node *n = bn_node(x, 3);
	attr_f(n, "epsilon", 1e-3f);
	Tensor *y = fold(n);
	CU_ASSERT(shape_eq(&y->shape, &x->shape));
	for (int i = 0; i < 24; i++) {
		int c = i / 4 % 3;
		double sc = 0.5 + 0.25 * c, b = -1.0 + 0.5 * c, m = 0.1 + 0.2 * c, v = 0.8 + 0.3 * c;
		double want = (tensor_f32(x)[i] - m) / sqrt(v + 1e-3) * sc + b;
		CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[i], want, 1e-5);
	}
	n = bn_node(input("xr", S(1, 3, 4, 4), true), 3);
	parse_infer(n);
	CU_ASSERT(n->out[0]->batched && shape_eq(&n->out[0]->shape, &S(1, 3, 4, 4)));
	/* wrong statistics length */
	n = bn_node(input("x4", S(1, 4, 2, 2), false), 3);
	CU_ASSERT_EQUAL(status_of(n, false), 1);
	/* training mode is refused as unsupported */
	n = bn_node(input("x5", S(1, 3, 2, 2), false), 3);
	attr_i(n, "training_mode", 1);
	CU_ASSERT_EQUAL(status_of(n, false), 3);
	/* so are run-time statistics */
	n = bn_node(input("x6", S(1, 3, 2, 2), false), 3);
	n->in[3] = input("mean_rt", S(3), false);
	CU_ASSERT_EQUAL(status_of(n, false), 3);
	/* opset 7 spatial=0: one statistic per element of a sample */
	fresh(7);
	x = cf("x", S(2, 2, 3), 0.5f, 0.1f);
	Tensor *in[5] = { x, cf("scale", S(2, 3), 1.0f, 0.1f), cf("B", S(2, 3), 0.0f, 0.1f), cf("mean", S(2, 3), 0.3f, 0.0f),
	                  cf("var", S(2, 3), 1.0f, 0.0f) };
	n = node("BatchNormalization", in, 5, 1);
	attr_i(n, "spatial", 0);
	y = fold(n);
	for (int i = 0; i < 12; i++) {
		int f = i % 6;
		double want = (tensor_f32(x)[i] - 0.3) / sqrt(1.0 + 1e-5) * (1.0 + 0.1 * f) + 0.1 * f;
		CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[i], want, 1e-5);
	}
}

/* ---- Softmax ------------------------------------------------------------- */

/* naive softmax of x[outer][len][inner] along len */
static void ref_softmax(const float *x, double *y, int outer, int len, int inner, bool lg)
{
	for (int o = 0; o < outer; o++)
		for (int j = 0; j < inner; j++) {
			double m = -INFINITY, s = 0;
			for (int k = 0; k < len; k++)
				m = fmax(m, x[(o * len + k) * inner + j]);
			for (int k = 0; k < len; k++)
				s += exp(x[(o * len + k) * inner + j] - m);
			for (int k = 0; k < len; k++) {
				double v = x[(o * len + k) * inner + j] - m;
				y[(o * len + k) * inner + j] = lg ? v - log(s) : exp(v) / s;
			}
		}
}

static void test_softmax(void)
{
	double want[24];
	for (int old = 0; old < 2; old++)
		for (int lg = 0; lg < 2; lg++) {
			fresh(old ? 11 : 13);
			Tensor *x = cf("x", S(2, 3, 4), -3.0f, 0.37f);
			Node *n = node(lg ? "LogSoftmax" : "Softmax", (Tensor *[]){ x }, 1, 1);
			attr_i(n, "axis", 1);
			Tensor *y = fold(n);
			/* opset 11 coerces to [2, 12]; opset 13 runs along axis 1 alone */
			if (old)
				ref_softmax(tensor_f32(x), want, 2, 12, 1, lg);
			else
				ref_softmax(tensor_f32(x), want, 2, 3, 4, lg);
			for (int i = 0; i < 24; i++)
				CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[i], want[i], 1e-6);
		}
	/* large values stay finite (the maximum is subtracted) */
	fresh(13);
	Tensor *x = cf("big", S(1, 3), 1000.0f, 1.0f);
	Tensor *y = fold(node("Softmax", (Tensor *[]){ x }, 1, 1));
	ref_softmax(tensor_f32(x), want, 1, 3, 1, false);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_DOUBLE_EQUAL(tensor_f32(y)[i], want[i], 1e-6);
	/* batched: axis 0 mixes samples; old-style default axis 1 is per sample */
	Node *n = node("Softmax", (Tensor *[]){ input("xb", S(1, 10), true) }, 1, 1);
	attr_i(n, "axis", 0);
	CU_ASSERT_EQUAL(status_of(n, false), 1);
	fresh(11);
	n = node("Softmax", (Tensor *[]){ input("xb", S(1, 10), true) }, 1, 1);
	parse_infer(n);
	CU_ASSERT(n->out[0]->batched);
}

/* ---- Dropout, Identity, Cast -------------------------------------------- */

static void test_misc(void)
{
	fresh(13);
	Tensor *x = input("x", S(1, 4), false);
	Node *n = node("Dropout", (Tensor *[]){ x }, 1, 2);
	parse_infer(n);
	CU_ASSERT(shape_eq(&n->out[0]->shape, &S(1, 4)));
	/* the mask is used by a later node: training semantics, refused */
	Node *m = node("Identity", (Tensor *[]){ n->out[1] }, 1, 1);
	(void)m;
	CU_ASSERT_EQUAL(status_of(n, false), 3);
	/* training_mode = true */
	bool t = true;
	Tensor *tm = graph_const(G, "tm", DT_BOOL, &S0, &t);
	n = node("Dropout", (Tensor *[]){ x, NULL, tm }, 3, 1);
	CU_ASSERT_EQUAL(status_of(n, false), 3);

	/* Identity folds constants of any type */
	int64_t iv[] = { 7, SYM_BATCH };
	Tensor *y = fold(node("Identity", (Tensor *[]){ ci("iv", S(2), iv) }, 1, 1));
	CU_ASSERT(y->dtype == DT_INT64 && ((int64_t *)y->data)[1] == SYM_BATCH);

	/* Cast: constants of any numeric type fold */
	n = node("Cast", (Tensor *[]){ ci("iv2", S(1), iv) }, 1, 1);
	attr_i(n, "to", DT_FLOAT);
	y = fold(n);
	CU_ASSERT(y->dtype == DT_FLOAT && tensor_f32(y)[0] == 7.0f);
	n = node("Cast", (Tensor *[]){ cf("fv", S(3), -1.75f, 1.5f) }, 1, 1);
	attr_i(n, "to", DT_INT32);
	y = fold(n);
	CU_ASSERT(((int32_t *)y->data)[0] == -1 && ((int32_t *)y->data)[1] == 0 && ((int32_t *)y->data)[2] == 1);
	/* the batch cannot become a float */
	n = node("Cast", (Tensor *[]){ ci("iv3", S(2), iv) }, 1, 1);
	attr_i(n, "to", DT_FLOAT);
	CU_ASSERT_EQUAL(status_of(n, true), 1);
	/* run time: float -> float only */
	n = node("Cast", (Tensor *[]){ x }, 1, 1);
	attr_i(n, "to", DT_FLOAT);
	parse_infer(n);
	CU_ASSERT(n->out[0]->dtype == DT_FLOAT);
	n = node("Cast", (Tensor *[]){ x }, 1, 1);
	attr_i(n, "to", DT_INT64);
	CU_ASSERT_EQUAL(status_of(n, false), 3);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("ops_elem", NULL, NULL);
	CU_add_test(s, "broadcast shapes", test_broadcast_shapes);
	CU_add_test(s, "int64 shape arithmetic", test_int64_shape_arithmetic);
	CU_add_test(s, "float fold, variadic, PRelu", test_float_fold_variadic);
	CU_add_test(s, "batched broadcasting", test_batched_broadcast);
	CU_add_test(s, "unary fold", test_unary_fold);
	CU_add_test(s, "Clip", test_clip);
	CU_add_test(s, "activation expressions", test_act_expr);
	CU_add_test(s, "BatchNormalization", test_bn);
	CU_add_test(s, "Softmax/LogSoftmax", test_softmax);
	CU_add_test(s, "Dropout/Identity/Cast", test_misc);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	int failed = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
