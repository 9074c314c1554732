/*
 * test_check_ir.c - CUnit tests of the IR verifier (ir/check_ir.c, --check-ir):
 * a small well-formed graph passes at every stage, and each way of breaking
 * it (a read before the write, a dead producer, two writers, stale use
 * counts, a missing shape, a bad op index, two live tensors sharing arena
 * bytes) is reported, naming what is wrong.
 */
#include <CUnit/Basic.h>
#include <string.h>

#include "ir.h"

static Graph *G;
static char msg[2048];

static Tensor *act_tensor(const char *name, int c, int h, int w)
{
	Tensor *t = graph_tensor(G, name);
	t->dtype = DT_FLOAT;
	t->shape = (Shape){ 4, { 1, c, h, w } };
	t->has_shape = true;
	return t;
}

static Node *node(const char *name, const char *op, Tensor *in, Tensor *w, Tensor *out)
{
	Node *n = graph_add_node(G, name, op, w ? 2 : 1, 1);
	graph_set_input(n, 0, in);
	if (w)
		graph_set_input(n, 1, w);
	graph_set_output(n, 0, out);
	n->op = op_lookup("", op);
	return n;
}

static Tensor *weight(const char *name, int m, int c)
{
	Shape s = { 4, { m, c, 1, 1 } };
	Tensor *t = graph_const(G, name, DT_FLOAT, &s, NULL);
	for (int i = 0; i < m * c; i++)
		((float *)t->data)[i] = 0.25f * (float)i;
	return t;
}

/* x -> conv c1 -> a -> relu -> b -> conv c2 -> y, through shape inference. */
static void build(void)
{
	G = graph_new("check.onnx");
	G->opset = 13;
	Tensor *x = act_tensor("x", 2, 4, 4);
	x->kind = T_INPUT;
	G->inputs = xalloc(sizeof *G->inputs);
	G->inputs[G->ninputs++] = x;
	Tensor *a = act_tensor("a", 3, 4, 4), *b = act_tensor("b", 3, 4, 4), *y = act_tensor("y", 2, 4, 4);
	node("c1", "Conv", x, weight("w1", 3, 2), a);
	node("relu", "Relu", a, NULL, b);
	node("c2", "Conv", b, weight("w2", 2, 3), y);
	y->kind = T_OUTPUT;
	G->outputs = xalloc(sizeof *G->outputs);
	G->outputs[G->noutputs++] = y;
	topo_sort(G);
	check_ops(G);
	infer_shapes(G);
}

static int problems(IrStage stage)
{
	return ir_problems(G, stage, msg, sizeof msg);
}

static void test_well_formed(void)
{
	build();
	for (IrStage s = IR_LOADED; s <= IR_TYPED; s++) {
		CU_ASSERT_EQUAL(problems(s), 0);
		CU_ASSERT_STRING_EQUAL(msg, "");
	}
	plan_memory(G);
	CU_ASSERT_EQUAL(problems(IR_PLANNED), 0);
	CU_ASSERT_STRING_EQUAL(msg, "");
}

/* the reader scheduled before its producer: what a bad pass reordering does */
static void test_read_before_write(void)
{
	build();
	Node *c1 = G->nodes[0], *relu = G->nodes[1];
	G->nodes[0] = relu;
	G->nodes[1] = c1;
	relu->id = 0;
	c1->id = 1;
	CU_ASSERT(problems(IR_SORTED) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "node 'relu' (Relu) reads input 0 'a', which node 'c1' (Conv) writes later"));
	CU_ASSERT_EQUAL(problems(IR_LOADED), 0); /* before topo_sort the order is free */
}

static void test_dead_producer(void)
{
	build();
	G->nodes[1]->dead = true; /* relu removed, c2 still reads its output */
	graph_recount(G);
	CU_ASSERT(problems(IR_TYPED) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "node 'c2' (Conv) reads input 0 'b', "));
}

static void test_two_writers(void)
{
	build();
	G->nodes[2]->out[0] = G->nodes[1]->out[0];
	CU_ASSERT(problems(IR_LOADED) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "'b' has two writers: node 'relu' (Relu) and node 'c2' (Conv)"));
}

static void test_stale_uses(void)
{
	build();
	graph_find(G, "a")->nuses++;
	CU_ASSERT_EQUAL(problems(IR_LOADED), 0);
	CU_ASSERT_EQUAL(problems(IR_SORTED), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tensor 'a' has nuses 2 but 1 readers"));
}

static void test_missing_shape(void)
{
	build();
	graph_find(G, "b")->has_shape = false;
	CU_ASSERT_EQUAL(problems(IR_CHECKED), 0);
	CU_ASSERT(problems(IR_TYPED) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tensor 'b' has no shape"));
}

static void test_bad_op(void)
{
	build();
	G->nodes[1]->op = OP_COUNT;
	CU_ASSERT_EQUAL(problems(IR_SORTED), 0);
	CU_ASSERT(problems(IR_CHECKED) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "node 'relu' (Relu) has op index"));
}

static void test_output_unwritten(void)
{
	build();
	G->nodes[2]->dead = true;
	graph_recount(G);
	CU_ASSERT(problems(IR_SORTED) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "graph output 'y' is written by no live node"));
}

/* a and b are both live while relu runs: one place for both is a wrong plan */
static void test_arena_overlap(void)
{
	build();
	plan_memory(G);
	Tensor *a = graph_find(G, "a"), *b = graph_find(G, "b");
	CU_ASSERT_FATAL(a->arena_off >= 0 && b->arena_off >= 0 && a->arena_off != b->arena_off);
	b->arena_off = a->arena_off;
	CU_ASSERT_EQUAL(problems(IR_TYPED), 0);
	CU_ASSERT(problems(IR_PLANNED) > 0);
	CU_ASSERT(strstr(msg, "share arena bytes while both are live") != NULL);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("check_ir", NULL, NULL);
	CU_add_test(s, "a well-formed graph passes", test_well_formed);
	CU_add_test(s, "a read before its write", test_read_before_write);
	CU_add_test(s, "a dead producer", test_dead_producer);
	CU_add_test(s, "two writers", test_two_writers);
	CU_add_test(s, "stale use counts", test_stale_uses);
	CU_add_test(s, "a missing shape", test_missing_shape);
	CU_add_test(s, "a bad op index", test_bad_op);
	CU_add_test(s, "an output nobody writes", test_output_unwritten);
	CU_add_test(s, "two live tensors in the same bytes", test_arena_overlap);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
