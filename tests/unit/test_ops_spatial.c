/*
 * test_ops_spatial.c - CUnit tests of the spatial ops' shape inference
 * (Conv, ConvTranspose, MaxPool, AveragePool, global pools, LRN): output
 * sizes for pads, strides, dilations, auto_pad and ceil_mode worked out by
 * hand from the ONNX formulas, and the exit codes of the refusals (run in a
 * child process, since fatal errors exit).
 */
#include <CUnit/Basic.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ir.h"

static Graph *G;

static Tensor *act(const char *name, Shape s)
{
	Tensor *t = graph_tensor(G, name);
	t->dtype = DT_FLOAT;
	t->shape = s;
	t->has_shape = true;
	t->kind = T_INPUT;
	return t;
}

static Tensor *weight(const char *name, Shape s)
{
	return graph_const(G, name, DT_FLOAT, &s, NULL);
}

static void set_ints(Node *n, const char *name, int cnt, const int64_t *v)
{
	n->attrs = xrealloc_arr(n->attrs, (size_t)n->nattrs, (size_t)n->nattrs + 1, sizeof *n->attrs);
	Attr *a = &n->attrs[n->nattrs++];
	a->name = name;
	a->type = AT_INTS;
	a->ints = xalloc((size_t)cnt * sizeof *a->ints);
	memcpy(a->ints, v, (size_t)cnt * sizeof *v);
	a->nints = cnt;
}

static void set_int(Node *n, const char *name, int64_t v)
{
	n->attrs = xrealloc_arr(n->attrs, (size_t)n->nattrs, (size_t)n->nattrs + 1, sizeof *n->attrs);
	Attr *a = &n->attrs[n->nattrs++];
	a->name = name;
	a->type = AT_INT;
	a->i = v;
}

static void set_str(Node *n, const char *name, const char *v)
{
	n->attrs = xrealloc_arr(n->attrs, (size_t)n->nattrs, (size_t)n->nattrs + 1, sizeof *n->attrs);
	Attr *a = &n->attrs[n->nattrs++];
	a->name = name;
	a->type = AT_STRING;
	a->s = v;
}

static Node *mk(const char *op, Tensor *x, Tensor *w, int nout)
{
	G = G ? G : graph_new("test.onnx");
	Node *n = graph_add_node(G, op, op, w ? 2 : 1, nout);
	graph_set_input(n, 0, x);
	if (w)
		graph_set_input(n, 1, w);
	graph_set_output(n, 0, graph_tensor(G, xsprintf("%s_out%d", op, G->nnodes)));
	if (nout > 1)
		graph_set_output(n, 1, graph_tensor(G, xsprintf("%s_idx%d", op, G->nnodes)));
	n->op = op_lookup("", op);
	n->opset = 19;
	return n;
}

static Shape infer(Node *n)
{
	op_table[n->op].parse(G, n);
	op_table[n->op].infer(G, n);
	return n->out[0]->shape;
}

#define S4(a, b, c, d) ((Shape){ 4, { a, b, c, d } })
#define S3(a, b, c) ((Shape){ 3, { a, b, c } })
#define CHECK_SHAPE(s, e0, e1, e2, e3)                                                                        \
	do {                                                                                              \
		Shape s_ = (s);                                                                           \
		CU_ASSERT(s_.rank == 4 && s_.d[0] == (e0) && s_.d[1] == (e1) && s_.d[2] == (e2) && s_.d[3] == (e3)); \
	} while (0)

static void setup(void) { G = graph_new("test.onnx"); }

static void test_conv_shapes(void)
{
	setup();
	Node *n = mk("Conv", act("x", S4(1, 3, 7, 7)), weight("w", S4(2, 3, 3, 3)), 1);
	set_ints(n, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
	set_ints(n, "strides", 2, (int64_t[]){ 2, 2 });
	CHECK_SHAPE(infer(n), 1, 2, 4, 4);

	/* asymmetric pads, dilation: H: 7+0+2-5 = 4 -> 5; W: 7+1+0-3 = 5 -> /2 -> 3 */
	n = mk("Conv", act("x2", S4(2, 4, 7, 7)), weight("w2", S4(6, 2, 3, 3)), 1);
	set_ints(n, "pads", 4, (int64_t[]){ 0, 1, 2, 0 });
	set_ints(n, "dilations", 2, (int64_t[]){ 2, 1 });
	set_ints(n, "strides", 2, (int64_t[]){ 1, 2 });
	set_int(n, "group", 2);
	CHECK_SHAPE(infer(n), 2, 6, 5, 3);

	/* SAME_LOWER, stride 2 on 8: out 4, total pad (4-1)*2+3-8 = 1, the odd one first */
	n = mk("Conv", act("x3", S4(1, 1, 8, 8)), weight("w3", S4(1, 1, 3, 3)), 1);
	set_str(n, "auto_pad", "SAME_LOWER");
	set_ints(n, "strides", 2, (int64_t[]){ 2, 2 });
	CHECK_SHAPE(infer(n), 1, 1, 4, 4);

	/* 1D */
	n = mk("Conv", act("x4", S3(1, 2, 10)), weight("w4", S3(3, 2, 4)), 1);
	set_str(n, "auto_pad", "VALID");
	Shape s = infer(n);
	CU_ASSERT(s.rank == 3 && s.d[1] == 3 && s.d[2] == 7);
}

static void test_pool_shapes(void)
{
	setup();
	/* ceil_mode: (32-3)/2 = 14.5 -> 15 + 1 */
	Node *n = mk("MaxPool", act("x", S4(1, 3, 32, 31)), NULL, 1);
	set_ints(n, "kernel_shape", 2, (int64_t[]){ 3, 3 });
	set_ints(n, "strides", 2, (int64_t[]){ 2, 2 });
	set_int(n, "ceil_mode", 1);
	CHECK_SHAPE(infer(n), 1, 3, 16, 15);

	/* ceil_mode drops a window that would start in the end pad: W 4, k 2, s 2, end pad 1 -> 2 */
	n = mk("AveragePool", act("x2", S4(1, 1, 5, 4)), NULL, 1);
	set_ints(n, "kernel_shape", 2, (int64_t[]){ 2, 2 });
	set_ints(n, "strides", 2, (int64_t[]){ 2, 2 });
	set_ints(n, "pads", 4, (int64_t[]){ 0, 0, 0, 1 });
	set_int(n, "ceil_mode", 1);
	CHECK_SHAPE(infer(n), 1, 1, 3, 2);

	n = mk("MaxPool", act("x3", S4(1, 2, 5, 5)), NULL, 1);
	set_ints(n, "kernel_shape", 2, (int64_t[]){ 2, 2 });
	set_str(n, "auto_pad", "SAME_UPPER");
	CHECK_SHAPE(infer(n), 1, 2, 5, 5);

	n = mk("GlobalAveragePool", act("x4", S4(1, 7, 5, 3)), NULL, 1);
	CHECK_SHAPE(infer(n), 1, 7, 1, 1);
}

static void test_convtr_shapes(void)
{
	setup();
	/* 3*(3-1) + 1 + 3 - 0 = 10 */
	Node *n = mk("ConvTranspose", act("x", S4(1, 1, 3, 3)), weight("w", S4(1, 2, 3, 3)), 1);
	set_ints(n, "strides", 2, (int64_t[]){ 3, 2 });
	set_ints(n, "output_padding", 2, (int64_t[]){ 1, 1 });
	CHECK_SHAPE(infer(n), 1, 2, 10, 8);

	n = mk("ConvTranspose", act("x2", S4(1, 1, 3, 3)), weight("w2", S4(1, 2, 3, 3)), 1);
	set_ints(n, "strides", 2, (int64_t[]){ 3, 2 });
	set_ints(n, "output_shape", 2, (int64_t[]){ 10, 8 });
	CHECK_SHAPE(infer(n), 1, 2, 10, 8);
}

/* Runs f in a child and returns its exit status. */
static int exit_code(void (*f)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		f();
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void bad_group(void)
{
	setup();
	Node *n = mk("Conv", act("x", S4(1, 4, 7, 7)), weight("w", S4(2, 4, 3, 3)), 1);
	set_int(n, "group", 2);
	infer(n);
}

static void conv_3d(void)
{
	setup();
	infer(mk("Conv", act("x", (Shape){ 5, { 1, 1, 4, 4, 4 } }), weight("w", (Shape){ 5, { 1, 1, 2, 2, 2 } }), 1));
}

static void kernel_too_big(void)
{
	setup();
	infer(mk("Conv", act("x", S4(1, 1, 2, 2)), weight("w", S4(1, 1, 3, 3)), 1));
}

static void runtime_weight(void)
{
	setup();
	infer(mk("Conv", act("x", S4(1, 1, 4, 4)), act("w", S4(1, 1, 3, 3)), 1));
}

static void maxpool_indices(void)
{
	setup();
	Node *n = mk("MaxPool", act("x", S4(1, 1, 4, 4)), NULL, 2);
	set_ints(n, "kernel_shape", 2, (int64_t[]){ 2, 2 });
	infer(n);
}

static void test_refusals(void)
{
	CU_ASSERT_EQUAL(exit_code(bad_group), EXIT_ERROR);
	CU_ASSERT_EQUAL(exit_code(conv_3d), EXIT_UNSUPPORTED);
	CU_ASSERT_EQUAL(exit_code(kernel_too_big), EXIT_ERROR);
	CU_ASSERT_EQUAL(exit_code(runtime_weight), EXIT_UNSUPPORTED);
	CU_ASSERT_EQUAL(exit_code(maxpool_indices), EXIT_UNSUPPORTED);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("spatial ops", NULL, NULL);
	CU_add_test(s, "conv shapes", test_conv_shapes);
	CU_add_test(s, "pool shapes", test_pool_shapes);
	CU_add_test(s, "convtranspose shapes", test_convtr_shapes);
	CU_add_test(s, "refusals", test_refusals);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
