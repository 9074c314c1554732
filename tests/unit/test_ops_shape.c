/*
 * test_ops_shape.c - CUnit tests of the shape, data-movement and matrix
 * operators' compile-time hooks (ops/shape.c, transpose.c, concat.c,
 * slice.c, pad.c, gather.c, reduce.c, constant.c, gemm.c) on small graphs
 * built here and run through infer_shapes: inferred shapes, folded values
 * against values worked out by hand or naive loops in this file, the
 * exporters' Shape->Gather->Unsqueeze->Concat->Reshape chain on a batched
 * input, and the refusals of batch-mixing ops (run in a child process,
 * checking exit status 1 and the message).
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "ops_harness.h"

static Tensor *input(const char *name, Shape s, bool batched)
{
	Tensor *t = graph_tensor(G, name);
	t->kind = T_INPUT;
	t->dtype = DT_FLOAT;
	t->shape = s;
	t->batched = batched;
	t->has_shape = true;
	if (batched)
		G->batched = true;
	return t;
}

static Tensor *cf(const char *name, Shape s)
{
	Tensor *t = graph_const(G, name, DT_FLOAT, &s, NULL);
	for (int64_t i = 0; i < shape_numel(&s); i++)
		((float *)t->data)[i] = (float)i;
	return t;
}

static Tensor *ci(const char *name, Shape s, const int64_t *v)
{
	return graph_const(G, name, DT_INT64, &s, v);
}

#define CI(name, ...) ci(name, SH((int64_t)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t))), (int64_t[]){ __VA_ARGS__ })

static void attr_is(Node *n, const char *name, int k, const int64_t *v)
{
	int64_t *c = xalloc((size_t)k * sizeof *c);
	memcpy(c, v, (size_t)k * sizeof *c);
	add_attr(n, (Attr){ .name = name, .type = AT_INTS, .ints = c, .nints = k });
}

static bool ints_are(const Tensor *t, int k, const int64_t *v)
{
	if (!t->data || t->dtype != DT_INT64 || shape_numel(&t->shape) != k)
		return false;
	return !memcmp(t->data, v, (size_t)k * sizeof *v);
}

static bool floats_are(const Tensor *t, int k, const float *v)
{
	if (!t->data || t->dtype != DT_FLOAT || shape_numel(&t->shape) != k)
		return false;
	for (int i = 0; i < k; i++)
		if (((const float *)t->data)[i] != v[i])
			return false;
	return true;
}

/* ---- Reshape -------------------------------------------------------- */

static void test_reshape(void)
{
	fresh(14);
	Tensor *x = input("x", SH(2, 3, 4), false);
	Node *a = NODE("Reshape", 1, x, CI("s1", 0, -1));
	Node *b = NODE("Reshape", 1, x, CI("s2", -1, 4));
	Node *c = NODE("Reshape", 1, x, CI("s3", 4, 0, 2)); /* 0 copies d[1] = 3 */
	run();
	CU_ASSERT(shape_is(a->out[0], SH(2, 12)));
	CU_ASSERT(shape_is(b->out[0], SH(6, 4)));
	CU_ASSERT(shape_is(c->out[0], SH(4, 3, 2)));

	/* allowzero: 0 is a real zero; without it, 0 copies and the sizes disagree */
	fresh(14);
	x = input("x", SH(3, 0), false);
	a = NODE("Reshape", 1, x, CI("s", 0, 5));
	attr_i(a, "allowzero", 1);
	run();
	CU_ASSERT(shape_is(a->out[0], SH(0, 5)));
	fresh(14);
	x = input("x", SH(3, 0), false);
	NODE("Reshape", 1, x, CI("s", 0, 5));
	CU_ASSERT(dies(1, "cannot reshape"));

	/* a constant folds, keeping the bytes */
	fresh(7);
	x = cf("w", SH(2, 3));
	Tensor *s = CI("s", 3, 2);
	a = NODE("Reshape", 1, x, s);
	run();
	CU_ASSERT(a->dead && shape_is(a->out[0], SH(3, 2)) && floats_are(a->out[0], 6, (float[]){ 0, 1, 2, 3, 4, 5 }));
}

/* ---- Slice ------------------------------------------------------------ */

static void test_slice(void)
{
	fresh(13);
	Tensor *x = cf("x", SH(5));
	Node *a = NODE("Slice", 1, x, CI("s", -1), CI("e", INT64_MIN), CI("a", 0), CI("st", -2));
	Node *b = NODE("Slice", 1, x, CI("s2", 10), CI("e2", -10), CI("a2", -1), CI("st2", -1));
	Node *c = NODE("Slice", 1, x, CI("s3", 1), CI("e3", 1000));
	Node *d = NODE("Slice", 1, x, CI("s4", 4), CI("e4", 2)); /* empty */
	run();
	CU_ASSERT(a->dead && floats_are(a->out[0], 3, (float[]){ 4, 2, 0 }));
	CU_ASSERT(b->dead && floats_are(b->out[0], 5, (float[]){ 4, 3, 2, 1, 0 }));
	CU_ASSERT(floats_are(c->out[0], 4, (float[]){ 1, 2, 3, 4 }));
	CU_ASSERT(shape_is(d->out[0], SH(0)));

	/* opset 9: attributes; 2-D with a step on the inner axis */
	fresh(9);
	x = cf("x", SH(3, 4));
	a = NODE("Slice", 1, x);
	attr_is(a, "starts", 2, (int64_t[]){ 1, 0 });
	attr_is(a, "ends", 2, (int64_t[]){ 3, -1 });
	run();
	CU_ASSERT(floats_are(a->out[0], 6, (float[]){ 4, 5, 6, 8, 9, 10 }));
}

/* ---- Squeeze / Unsqueeze ------------------------------------------------ */

static void test_squeeze(void)
{
	fresh(13);
	Tensor *x = input("x", SH(2, 1, 3, 1), false);
	Node *a = NODE("Squeeze", 1, x, CI("ax", -1));
	Node *b = NODE("Squeeze", 1, x);
	Node *c = NODE("Unsqueeze", 1, x, CI("ax2", 0, -1));
	run();
	CU_ASSERT(shape_is(a->out[0], SH(2, 1, 3)));
	CU_ASSERT(shape_is(b->out[0], SH(2, 3)));
	CU_ASSERT(shape_is(c->out[0], SH(1, 2, 1, 3, 1, 1)));

	fresh(11); /* attributes before 13; the batch is never squeezed implicitly */
	x = input("x", SH(1, 1, 3), true);
	a = NODE("Squeeze", 1, x);
	b = NODE("Squeeze", 1, x);
	attr_is(b, "axes", 1, (int64_t[]){ 1 });
	run();
	CU_ASSERT(shape_is(a->out[0], SH(1, 3)) && a->out[0]->batched);
	CU_ASSERT(shape_is(b->out[0], SH(1, 3)));

	fresh(11);
	x = input("x", SH(1, 1, 3), true);
	attr_is(NODE("Squeeze", 1, x), "axes", 1, (int64_t[]){ 0 });
	CU_ASSERT(dies(1, "run-time batch"));
	fresh(13);
	x = input("x", SH(2, 3), false);
	NODE("Squeeze", 1, x, CI("ax", 1));
	CU_ASSERT(dies(1, "extent is not 1"));
}

/* ---- the exporters' chain on a batched input ---------------------------- */

static void test_batch_chain(void)
{
	fresh(13);
	Tensor *x = input("x", SH(1, 3, 4, 4), true);
	Node *relu = NODE("Relu", 1, x);
	Node *sh = NODE("Shape", 1, relu->out[0]);
	Node *ga = NODE("Gather", 1, sh->out[0], ci("zero", SCALAR, (int64_t[]){ 0 }));
	Node *un = NODE("Unsqueeze", 1, ga->out[0], CI("ax", 0));
	Node *cc = NODE("Concat", 1, un->out[0], CI("m1", -1));
	attr_i(cc, "axis", 0);
	Node *rs = NODE("Reshape", 1, relu->out[0], cc->out[0]);
	run();
	CU_ASSERT(sh->dead && ga->dead && un->dead && cc->dead);
	CU_ASSERT(ints_are(sh->out[0], 4, (int64_t[]){ SYM_BATCH, 3, 4, 4 }));
	CU_ASSERT(ints_are(cc->out[0], 2, (int64_t[]){ SYM_BATCH, -1 }));
	CU_ASSERT(!rs->dead && shape_is(rs->out[0], SH(1, 48)) && rs->out[0]->batched);
	CU_ASSERT(tensor_is_const(rs->in[1]));

	/* Shape start/end (opset 15) */
	fresh(15);
	x = input("x", SH(1, 3, 4, 5), true);
	Node *s2 = NODE("Shape", 1, x);
	attr_i(s2, "start", -2);
	Node *s3 = NODE("Shape", 1, x);
	attr_i(s3, "end", 2);
	run();
	CU_ASSERT(ints_are(s2->out[0], 2, (int64_t[]){ 4, 5 }));
	CU_ASSERT(ints_are(s3->out[0], 2, (int64_t[]){ SYM_BATCH, 3 }));
}

/* ---- refusals of batch-mixing ops --------------------------------------- */

static void test_batch_errors(void)
{
	Tensor *x;
	fresh(13);
	x = input("x", SH(1, 3, 4), true);
	attr_is(NODE("Transpose", 1, x), "perm", 3, (int64_t[]){ 1, 0, 2 });
	CU_ASSERT(dies(1, "run-time batch"));

	fresh(13);
	x = input("x", SH(1, 3, 4), true);
	attr_i(NODE("Concat", 1, x, x), "axis", 0);
	CU_ASSERT(dies(1, "run-time batch"));

	fresh(13);
	x = input("x", SH(1, 3, 4), true);
	NODE("Reshape", 1, x, CI("s", -1));
	CU_ASSERT(dies(1, "mixes samples"));

	fresh(13);
	x = input("x", SH(1, 3, 4), true);
	NODE("Reshape", 1, x, CI("s", 2, -1));
	CU_ASSERT(dies(1, "mixes samples"));

	fresh(13);
	x = input("x", SH(1, 3, 4), true);
	attr_i(NODE("Flatten", 1, x), "axis", 0);
	CU_ASSERT(dies(1, "merges the batch"));

	fresh(13);
	x = input("x", SH(1, 3, 4), true);
	NODE("Gather", 1, x, CI("i", 0));
	CU_ASSERT(dies(1, "run-time batch"));

	fresh(13);
	x = input("x", SH(1, 3, 4), true);
	NODE("Slice", 1, x, CI("s", 0), CI("e", 1), CI("a", 0));
	CU_ASSERT(dies(1, "run-time batch"));

	fresh(13); /* the whole batch is fine */
	x = input("x", SH(1, 3, 4), true);
	Node *sl = NODE("Slice", 1, x, CI("s", 0, 1), CI("e", INT64_MAX, 3), CI("a", 0, 1));
	run();
	CU_ASSERT(shape_is(sl->out[0], SH(1, 2, 4)) && sl->out[0]->batched);

	fresh(13);
	x = input("x", SH(1, 8), true);
	attr_i(NODE("Gemm", 1, x, cf("w", SH(1, 5))), "transA", 1);
	CU_ASSERT(dies(1, "contracts over the batch"));

	fresh(13);
	x = input("x", SH(1, 8), true);
	NODE("MatMul", 1, cf("w", SH(5, 1)), x);
	CU_ASSERT(dies(1, "mix samples"));

	fresh(13);
	x = input("x", SH(1, 3, 4), true);
	attr_is(NODE("ReduceMean", 1, x), "axes", 1, (int64_t[]){ 0 });
	CU_ASSERT(dies(1, "run-time batch"));

	fresh(13);
	x = input("x", SH(1, 3, 4), true);
	NODE("Pad", 1, x, CI("p", 1, 0, 0, 0, 0, 0));
	CU_ASSERT(dies(1, "run-time batch"));
}

/* ---- folds of the movement ops ------------------------------------------- */

static void test_folds(void)
{
	fresh(13);
	Tensor *w = cf("w", SH(2, 3)); /* 0 1 2 / 3 4 5 */
	Node *t = NODE("Transpose", 1, w);
	Node *pe = NODE("Pad", 1, w, CI("p", 0, 2, 0, 1));
	Node *pr = NODE("Pad", 1, w, CI("p2", 0, 2, 0, 1));
	Node *pc = NODE("Pad", 1, w, CI("p3", 1, -1, 0, 0), cf("v", SCALAR));
	Node *ga = NODE("Gather", 1, w, CI("i", 2, -3));
	attr_i(ga, "axis", 1);
	Node *sp = NODE("Split", 3, cf("s", SH(7)));
	attr_i(sp, "num_outputs", 3);
	Node *co = NODE("ConstantOfShape", 1, CI("shp", 2, 2));
	Node *rm = NODE("ReduceMean", 1, w, CI("ax", 1));
	Node *mm = NODE("MatMul", 1, w, cf("b", SH(3, 2)));
	add_attr(pe, (Attr){ .name = "mode", .type = AT_STRING, .s = "edge" });
	add_attr(pr, (Attr){ .name = "mode", .type = AT_STRING, .s = "reflect" });
	G->opset = 18;
	sp->opset = 18;
	rm->opset = 18;
	run();
	CU_ASSERT(floats_are(t->out[0], 6, (float[]){ 0, 3, 1, 4, 2, 5 }));
	CU_ASSERT(floats_are(pe->out[0], 12, (float[]){ 0, 0, 0, 1, 2, 2, 3, 3, 3, 4, 5, 5 }));
	CU_ASSERT(floats_are(pr->out[0], 12, (float[]){ 2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4 }));
	/* one row of the constant (0) before, the first column cropped */
	CU_ASSERT(floats_are(pc->out[0], 6, (float[]){ 0, 0, 1, 2, 4, 5 }) && shape_is(pc->out[0], SH(3, 2)));
	CU_ASSERT(floats_are(ga->out[0], 4, (float[]){ 2, 0, 5, 3 }) && shape_is(ga->out[0], SH(2, 2)));
	CU_ASSERT(floats_are(sp->out[0], 3, (float[]){ 0, 1, 2 }) && floats_are(sp->out[2], 1, (float[]){ 6 }));
	CU_ASSERT(floats_are(co->out[0], 4, (float[]){ 0, 0, 0, 0 }));
	CU_ASSERT(floats_are(rm->out[0], 2, (float[]){ 1, 4 }) && shape_is(rm->out[0], SH(2, 1)));
	/* [0 1 2; 3 4 5] x [0 1; 2 3; 4 5] */
	CU_ASSERT(floats_are(mm->out[0], 4, (float[]){ 10, 13, 28, 40 }));
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("ops_shape", NULL, NULL);
	CU_add_test(s, "reshape 0/-1/allowzero", test_reshape);
	CU_add_test(s, "slice negative steps and clamping", test_slice);
	CU_add_test(s, "squeeze/unsqueeze axes", test_squeeze);
	CU_add_test(s, "Shape->Gather->Unsqueeze->Concat->Reshape on a batch", test_batch_chain);
	CU_add_test(s, "batch-mixing ops are refused", test_batch_errors);
	CU_add_test(s, "folds", test_folds);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
