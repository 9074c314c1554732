/*
 * test_ops_index.c - CUnit tests of the operators exporters use to compute
 * indices and masks, which onnx2c folds at compile time: Mod (ops/mod.c),
 * Range (ops/range.c), ScatterND (ops/scatternd.c), and Dropout in training
 * mode with a ratio of 0 (ops/misc.c), as torchvision's Swin exports them.
 *
 * Small graphs are built here and run through infer_shapes.  Expected
 * values are ONNX's own node-test data where it has them (Mod's mixed-sign
 * cases, Range's examples, ScatterND's), else worked out by hand; Range's
 * float steps follow ONNX Runtime, measured: for 0.3 to 7 by 0.1 it gives 67
 * values, accumulated in float.  Refusals run in a child process (exit
 * status and message).  The run-time float kernels are checked against the
 * ONNX test data by the conformance tests (test_mod_mixed_sign_float32,
 * test_scatternd*, test_training_dropout_zero_ratio).
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_harness.h"

static Tensor *input(const char *name, Shape s, DType dt)
{
	Tensor *t = graph_tensor(G, name);
	t->kind = T_INPUT;
	t->dtype = dt;
	t->shape = s;
	t->has_shape = true;
	return t;
}

static Tensor *cst(const char *name, DType dt, Shape s, const void *v)
{
	return graph_const(G, name, dt, &s, v);
}

#define CI(name, ...) cst(name, DT_INT64, SH((int64_t)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t))), \
                          (int64_t[]){ __VA_ARGS__ })
#define CF(name, ...) cst(name, DT_FLOAT, SH((int64_t)(sizeof((float[]){ __VA_ARGS__ }) / sizeof(float))), \
                          (float[]){ __VA_ARGS__ })

static void attr_s(Node *n, const char *name, const char *v)
{
	add_attr(n, (Attr){ .name = name, .type = AT_STRING, .s = v });
}

/* t is a folded constant of type dt holding exactly the k values at v (element size dtype_size(dt)). */
static bool data_is(const Tensor *t, DType dt, int64_t k, const void *v)
{
	if (!t->data || t->dtype != dt || shape_numel(&t->shape) != k)
		return false;
	return !memcmp(t->data, v, (size_t)k * dtype_size(dt));
}

#define INTS_ARE(t, ...) data_is(t, DT_INT64, (int64_t)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), \
                                 (int64_t[]){ __VA_ARGS__ })
#define FLOATS_ARE(t, ...) data_is(t, DT_FLOAT, (int64_t)(sizeof((float[]){ __VA_ARGS__ }) / sizeof(float)), \
                                   (float[]){ __VA_ARGS__ })

/* ---- Mod ---------------------------------------------------------------- */

static void test_mod_fold(void)
{
	/* ONNX's test_mod_mixed_sign_* and test_mod_int64_fmod data */
	static const int64_t x[6] = { -4, 7, 5, 4, -7, 8 }, y[6] = { 2, -3, 8, -2, 3, 5 };
	fresh(13);
	Tensor *a = cst("a", DT_INT64, SH(6), x), *b = cst("b", DT_INT64, SH(6), y);
	Node *m = NODE("Mod", 1, a, b);
	Node *f = NODE("Mod", 1, a, b);
	attr_i(f, "fmod", 1);
	int8_t x8[6], y8[6];
	int32_t x32[6], y32[6];
	for (int i = 0; i < 6; i++)
		x8[i] = (int8_t)x[i], y8[i] = (int8_t)y[i], x32[i] = (int32_t)x[i], y32[i] = (int32_t)y[i];
	Node *m8 = NODE("Mod", 1, cst("a8", DT_INT8, SH(6), x8), cst("b8", DT_INT8, SH(6), y8));
	Node *f32 = NODE("Mod", 1, cst("a32", DT_INT32, SH(6), x32), cst("b32", DT_INT32, SH(6), y32));
	attr_i(f32, "fmod", 1);
	/* test_mod_uint8 */
	Node *u8 = NODE("Mod", 1, cst("au", DT_UINT8, SH(3), (uint8_t[]){ 4, 7, 5 }),
	                cst("bu", DT_UINT8, SH(3), (uint8_t[]){ 2, 3, 8 }));
	/* broadcasting a [2,1] by a [3] divisor, and the C overflow case INT64_MIN % -1 */
	Node *bc = NODE("Mod", 1, cst("ab", DT_INT64, SH(2, 1), (int64_t[]){ 10, -10 }), CI("bb", 3, -4, 7));
	Node *mn = NODE("Mod", 1, CI("amin", INT64_MIN, -9), CI("bmin", -1, -1));
	/* float and double: C fmod (test_mod_mixed_sign_float64's inputs) */
	Node *fd = NODE("Mod", 1, cst("ad", DT_DOUBLE, SH(2), (double[]){ -4.3, 7.2 }),
	                cst("bd", DT_DOUBLE, SH(2), (double[]){ 2.1, -3.4 }));
	attr_i(fd, "fmod", 1);
	Node *ff = NODE("Mod", 1, CF("af", -4.3f, 7.2f), CF("bf", 2.1f, -3.4f));
	attr_i(ff, "fmod", 1);
	run();
	CU_ASSERT(m->dead && INTS_ARE(m->out[0], 0, -2, 5, 0, 2, 3));
	CU_ASSERT(INTS_ARE(f->out[0], 0, 1, 5, 0, -1, 3));
	CU_ASSERT(data_is(m8->out[0], DT_INT8, 6, (int8_t[]){ 0, -2, 5, 0, 2, 3 }));
	CU_ASSERT(data_is(f32->out[0], DT_INT32, 6, (int32_t[]){ 0, 1, 5, 0, -1, 3 }));
	CU_ASSERT(data_is(u8->out[0], DT_UINT8, 3, (uint8_t[]){ 0, 1, 5 }));
	CU_ASSERT(shape_is(bc->out[0], SH(2, 3)) && INTS_ARE(bc->out[0], 1, -2, 3, 2, -2, 4));
	CU_ASSERT(INTS_ARE(mn->out[0], 0, 0));
	CU_ASSERT(data_is(fd->out[0], DT_DOUBLE, 2, (double[]){ fmod(-4.3, 2.1), fmod(7.2, -3.4) }));
	CU_ASSERT(FLOATS_ARE(ff->out[0], fmodf(-4.3f, 2.1f), fmodf(7.2f, -3.4f)));
	/* the ONNX test's expected double values, to the last bits fmod gives */
	CU_ASSERT(fd->out[0]->data && ((double *)fd->out[0]->data)[0] == -0.09999999999999964 &&
	          ((double *)fd->out[0]->data)[1] == 0.40000000000000036);
}

static void test_mod_runtime_and_errors(void)
{
	/* float at run time: a kernel, broadcasting a constant divisor */
	fresh(13);
	Tensor *x = input("x", SH(2, 3), DT_FLOAT);
	Node *m = NODE("Mod", 1, x, CF("d", 1.5f));
	attr_i(m, "fmod", 1);
	run();
	CU_ASSERT(!m->dead && shape_is(m->out[0], SH(2, 3)) && m->out[0]->dtype == DT_FLOAT);

	fresh(13);
	NODE("Mod", 1, CI("a", 5, 6), CI("b", 2, 0));
	CU_ASSERT(dies(1, "integer Mod by zero"));
	fresh(13);
	NODE("Mod", 1, input("x", SH(2), DT_FLOAT), CF("d", 2.0f)); /* fmod=0 on float */
	CU_ASSERT(dies(1, "needs fmod=1"));
	fresh(13);
	NODE("Mod", 1, input("x", SH(2), DT_INT64), CI("d", 2));
	CU_ASSERT(dies(3, "Mod on run-time int64 data"));
	fresh(13);
	NODE("Mod", 1, CI("a", 5), CF("d", 2.0f));
	CU_ASSERT(dies(1, "different types"));
}

/* ---- Range -------------------------------------------------------------- */

static void test_range(void)
{
	fresh(11);
	Tensor *s = cst("s", DT_INT64, SCALAR, (int64_t[]){ 3 });
	Node *a = NODE("Range", 1, s, cst("l", DT_INT64, SCALAR, (int64_t[]){ 9 }),
	               cst("d", DT_INT64, SCALAR, (int64_t[]){ 3 }));
	Node *b = NODE("Range", 1, cst("s2", DT_INT64, SCALAR, (int64_t[]){ 10 }),
	               cst("l2", DT_INT64, SCALAR, (int64_t[]){ 4 }), cst("d2", DT_INT64, SCALAR, (int64_t[]){ -2 }));
	Node *e = NODE("Range", 1, s, cst("l3", DT_INT64, SCALAR, (int64_t[]){ 3 }),
	               cst("d3", DT_INT64, SCALAR, (int64_t[]){ 1 }));
	/* test_range_int32_type_negative_delta: 10 to 6 by -3 */
	Node *c = NODE("Range", 1, cst("s4", DT_INT32, SCALAR, (int32_t[]){ 10 }),
	               cst("l4", DT_INT32, SCALAR, (int32_t[]){ 6 }), cst("d4", DT_INT32, SCALAR, (int32_t[]){ -3 }));
	/* the last step would overflow int64: it must not be taken */
	Node *o = NODE("Range", 1, cst("s5", DT_INT64, SCALAR, (int64_t[]){ INT64_MAX - 1 }),
	               cst("l5", DT_INT64, SCALAR, (int64_t[]){ INT64_MAX }), cst("d5", DT_INT64, SCALAR, (int64_t[]){ 5 }));
	/* float: test_range_float_type_positive_delta (1 to 5 by 2), and a step that float cannot hold */
	Node *f = NODE("Range", 1, cst("s6", DT_FLOAT, SCALAR, (float[]){ 1 }), cst("l6", DT_FLOAT, SCALAR, (float[]){ 5 }),
	               cst("d6", DT_FLOAT, SCALAR, (float[]){ 2 }));
	Node *g = NODE("Range", 1, cst("s7", DT_FLOAT, SCALAR, (float[]){ 0.3f }),
	               cst("l7", DT_FLOAT, SCALAR, (float[]){ 7.0f }), cst("d7", DT_FLOAT, SCALAR, (float[]){ 0.1f }));
	run();
	CU_ASSERT(a->dead && shape_is(a->out[0], SH(2)) && INTS_ARE(a->out[0], 3, 6));
	CU_ASSERT(INTS_ARE(b->out[0], 10, 8, 6));
	CU_ASSERT(shape_is(e->out[0], SH(0)));
	CU_ASSERT(data_is(c->out[0], DT_INT32, 2, (int32_t[]){ 10, 7 }));
	CU_ASSERT(INTS_ARE(o->out[0], INT64_MAX - 1));
	CU_ASSERT(FLOATS_ARE(f->out[0], 1, 3));
	/* ONNX Runtime: 67 values, each the previous + 0.1f in float (not 0.3f + i * 0.1f) */
	CU_ASSERT(shape_is(g->out[0], SH(67)));
	if (g->out[0]->data && g->out[0]->shape.d[0] == 67) {
		const float *v = g->out[0]->data;
		float acc = 0.3f;
		bool same = true, differs_from_mul = false;
		for (int i = 0; i < 67; i++, acc += 0.1f) {
			same &= v[i] == acc;
			differs_from_mul |= v[i] != 0.3f + (float)i * 0.1f;
		}
		CU_ASSERT(same);
		CU_ASSERT(differs_from_mul); /* so the check above tells the two apart */
	}
}

static void test_range_errors(void)
{
	fresh(11);
	NODE("Range", 1, cst("s", DT_INT64, SCALAR, (int64_t[]){ 0 }), input("l", SCALAR, DT_INT64),
	     cst("d", DT_INT64, SCALAR, (int64_t[]){ 1 }));
	CU_ASSERT(dies(3, "node 'Range0' (Range): limit 'l' is computed at run time"));
	fresh(11);
	NODE("Range", 1, cst("s", DT_INT64, SCALAR, (int64_t[]){ 0 }), cst("l", DT_INT64, SCALAR, (int64_t[]){ 4 }),
	     cst("d", DT_INT64, SCALAR, (int64_t[]){ 0 }));
	CU_ASSERT(dies(1, "delta is zero"));
	fresh(11);
	NODE("Range", 1, CI("s", 0, 1), CI("l", 4), CI("d", 1));
	CU_ASSERT(dies(1, "start 's' [2] is not a scalar"));
	fresh(11);
	NODE("Range", 1, CI("s", 0), cst("l", DT_INT32, SCALAR, (int32_t[]){ 4 }), CI("d", 1));
	CU_ASSERT(dies(1, "limit 'l' is int32 but start is int64"));
}

/* ---- ScatterND ---------------------------------------------------------- */

static void test_scatternd(void)
{
	fresh(16);
	float data[16];
	for (int i = 0; i < 16; i++)
		data[i] = (float)i;
	Tensor *x = cst("x", DT_FLOAT, SH(4, 4), data);
	/* rows 0 and -1 (= 3) replaced */
	Node *rows = NODE("ScatterND", 1, x, cst("i", DT_INT64, SH(2, 1), (int64_t[]){ 0, -1 }),
	                  cst("u", DT_FLOAT, SH(2, 4), (float[]){ 90, 91, 92, 93, 80, 81, 82, 83 }));
	/* single elements (k = 2); (1,2) twice: the later update wins */
	Node *el = NODE("ScatterND", 1, x, cst("i2", DT_INT64, SH(3, 2), (int64_t[]){ 1, 2, 3, 0, 1, 2 }),
	                CF("u2", -1, -2, -3));
	/* reduction add with a duplicate, mul, max, min */
	Node *add = NODE("ScatterND", 1, x, cst("i3", DT_INT64, SH(2, 2), (int64_t[]){ 0, 1, 0, 1 }), CF("u3", 10, 20));
	attr_s(add, "reduction", "add");
	Node *mul = NODE("ScatterND", 1, x, cst("i4", DT_INT64, SH(1, 1), (int64_t[]){ 2 }), cst("u4", DT_FLOAT, SH(1, 4), (float[]){ 2, 0, -1, 1 }));
	attr_s(mul, "reduction", "mul");
	Node *mx = NODE("ScatterND", 1, x, cst("i5", DT_INT64, SH(1, 1), (int64_t[]){ 1 }), cst("u5", DT_FLOAT, SH(1, 4), (float[]){ 0, 9, 5, 8 }));
	attr_s(mx, "reduction", "max");
	mx->opset = 18;
	Node *mn = NODE("ScatterND", 1, x, cst("i6", DT_INT64, SH(1, 1), (int64_t[]){ 1 }), cst("u6", DT_FLOAT, SH(1, 4), (float[]){ 0, 9, 5, 8 }));
	attr_s(mn, "reduction", "min");
	mn->opset = 18;
	/* int64 data, as shape arithmetic would use it */
	Node *in = NODE("ScatterND", 1, CI("xi", 1, 2, 3), cst("i7", DT_INT64, SH(1, 1), (int64_t[]){ 1 }),
	                CI("ui", -7));
	run();
	CU_ASSERT(rows->dead && shape_is(rows->out[0], SH(4, 4)));
	CU_ASSERT(FLOATS_ARE(rows->out[0], 90, 91, 92, 93, 4, 5, 6, 7, 8, 9, 10, 11, 80, 81, 82, 83));
	CU_ASSERT(FLOATS_ARE(el->out[0], 0, 1, 2, 3, 4, 5, -3, 7, 8, 9, 10, 11, -2, 13, 14, 15));
	CU_ASSERT(FLOATS_ARE(add->out[0], 0, 31, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
	CU_ASSERT(FLOATS_ARE(mul->out[0], 0, 1, 2, 3, 4, 5, 6, 7, 16, 0, -10, 11, 12, 13, 14, 15));
	CU_ASSERT(FLOATS_ARE(mx->out[0], 0, 1, 2, 3, 4, 9, 6, 8, 8, 9, 10, 11, 12, 13, 14, 15));
	CU_ASSERT(FLOATS_ARE(mn->out[0], 0, 1, 2, 3, 0, 5, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15));
	CU_ASSERT(INTS_ARE(in->out[0], 1, -7, 3));

	/* run-time data with constant indices and updates: a kernel */
	fresh(16);
	Node *rt = NODE("ScatterND", 1, input("d", SH(4, 4, 4), DT_FLOAT),
	                cst("i", DT_INT64, SH(2, 1), (int64_t[]){ 0, 2 }), input("u", SH(2, 4, 4), DT_FLOAT));
	run();
	CU_ASSERT(!rt->dead && shape_is(rt->out[0], SH(4, 4, 4)));
}

static void test_scatternd_errors(void)
{
	fresh(16);
	NODE("ScatterND", 1, CF("x", 1, 2, 3), cst("i", DT_INT64, SH(1, 1), (int64_t[]){ 3 }), CF("u", 9));
	CU_ASSERT(dies(1, "index 3 of tuple 0 is out of range for axis 0 of extent 3"));
	fresh(16);
	NODE("ScatterND", 1, input("x", SH(3), DT_FLOAT), input("i", SH(1, 1), DT_INT64), CF("u", 9));
	CU_ASSERT(dies(3, "indices 'i' is computed at run time"));
	fresh(16);
	NODE("ScatterND", 1, CF("x", 1, 2, 3), cst("i", DT_INT64, SH(2, 1), (int64_t[]){ 0, 1 }), CF("u", 9));
	CU_ASSERT(dies(1, "updates 'u' is [1]; data [3] and indices [2,1] need [2]"));
	fresh(16);
	NODE("ScatterND", 1, CF("x", 1, 2, 3), cst("i", DT_INT64, SH(1, 2), (int64_t[]){ 0, 1 }), CF("u", 9));
	CU_ASSERT(dies(1, "address 2 axes of data [3]"));
	fresh(16);
	Node *n = NODE("ScatterND", 1, CF("x", 1, 2, 3), cst("i", DT_INT64, SH(1, 1), (int64_t[]){ 0 }), CF("u", 9));
	attr_s(n, "reduction", "sum");
	CU_ASSERT(dies(1, "reduction='sum' is not one of"));
}

/* ---- Dropout in training mode --------------------------------------------- */

static void test_dropout_zero_ratio(void)
{
	/* torchvision's Swin: Dropout(x, ratio 0, training_mode true) is the identity */
	fresh(13);
	Tensor *x = input("x", SH(2, 3), DT_FLOAT);
	Tensor *t = cst("t", DT_BOOL, SCALAR, (uint8_t[]){ 1 });
	Node *d = NODE("Dropout", 1, x, cst("r", DT_FLOAT, SCALAR, (float[]){ 0 }), t);
	run();
	CU_ASSERT(!d->dead && shape_is(d->out[0], SH(2, 3)));

	fresh(13);
	x = input("x", SH(2, 3), DT_FLOAT);
	NODE("Dropout", 1, x, cst("r", DT_FLOAT, SCALAR, (float[]){ 0.1f }), cst("t", DT_BOOL, SCALAR, (uint8_t[]){ 1 }));
	CU_ASSERT(dies(3, "training_mode is true"));
	fresh(13);
	x = input("x", SH(2, 3), DT_FLOAT);
	NODE("Dropout", 1, x, input("r", SCALAR, DT_FLOAT), cst("t", DT_BOOL, SCALAR, (uint8_t[]){ 1 }));
	CU_ASSERT(dies(3, "training_mode is true"));
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("ops_index", NULL, NULL);
	CU_add_test(s, "Mod folds: signs, fmod, types, broadcasting", test_mod_fold);
	CU_add_test(s, "Mod at run time, and its refusals", test_mod_runtime_and_errors);
	CU_add_test(s, "Range folds: ints, floats as ONNX Runtime", test_range);
	CU_add_test(s, "Range refusals", test_range_errors);
	CU_add_test(s, "ScatterND folds and reductions", test_scatternd);
	CU_add_test(s, "ScatterND refusals", test_scatternd_errors);
	CU_add_test(s, "Dropout in training mode with ratio 0", test_dropout_zero_ratio);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
