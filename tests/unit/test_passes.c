/*
 * test_passes.c - CUnit tests of the graph passes on small graphs built here:
 * each checks the IR before and after one pass (which nodes die, what the
 * surviving kernel covers, the folded numbers, the memory plan's offsets).
 */
#include <CUnit/Basic.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "ir.h"

static Graph *G;

static Tensor *act_tensor(const char *name, int c, int h, int w)
{
	Tensor *t = graph_tensor(G, name);
	t->dtype = DT_FLOAT;
	t->shape = (Shape){ 4, { 1, c, h, w } };
	t->has_shape = true;
	return t;
}

static Tensor *input(const char *name, int c, int h, int w)
{
	Tensor *t = act_tensor(name, c, h, w);
	t->kind = T_INPUT;
	t->io_index = G->ninputs;
	G->inputs = xrealloc_arr(G->inputs, (size_t)G->ninputs, (size_t)G->ninputs + 1, sizeof *G->inputs);
	G->inputs[G->ninputs++] = t;
	return t;
}

static void output(Tensor *t)
{
	t->kind = T_OUTPUT;
	t->io_index = G->noutputs;
	G->outputs = xrealloc_arr(G->outputs, (size_t)G->noutputs, (size_t)G->noutputs + 1, sizeof *G->outputs);
	G->outputs[G->noutputs++] = t;
}

static Tensor *cfill(const char *name, Shape s, float v)
{
	Tensor *t = graph_const(G, name, DT_FLOAT, &s, NULL);
	float *d = t->data;
	for (int64_t i = 0; i < shape_numel(&s); i++)
		d[i] = v + 0.01f * (float)i;
	return t;
}

static Node *node(const char *name, const char *op, Tensor **in, int nin, Tensor *out)
{
	Node *n = graph_add_node(G, name, op, nin, 1);
	for (int i = 0; i < nin; i++)
		graph_set_input(n, i, in[i]);
	graph_set_output(n, 0, out);
	n->op = op_lookup("", op);
	return n;
}

static Node *conv(const char *name, Tensor *x, int m, Tensor *out)
{
	Shape ws = { 4, { m, x->shape.d[1], 1, 1 } };
	Tensor *in[2] = { x, cfill(xsprintf("%s.W", name), ws, 0.5f) };
	return node(name, "Conv", in, 2, out);
}

static void setup(void)
{
	G = graph_new("test.onnx");
	G->opset = 13;
}

static int live(void)
{
	int k = 0;
	for (int i = 0; i < G->nnodes; i++)
		k += !G->nodes[i]->dead;
	return k;
}

/* conv -> BN: BN disappears, weights and bias carry its scale and shift */
static void test_fold_bn(void)
{
	setup();
	Tensor *x = input("x", 2, 4, 4);
	Tensor *c = act_tensor("c", 3, 4, 4), *y = act_tensor("y", 3, 4, 4);
	Node *cv = conv("conv", x, 3, c);
	Shape s3 = { 1, { 3 } };
	Tensor *bin[5] = { c, cfill("gamma", s3, 2.0f), cfill("beta", s3, 1.0f), cfill("mean", s3, 0.5f),
		cfill("var", s3, 3.0f) };
	node("bn", "BatchNormalization", bin, 5, y);
	output(y);
	topo_sort(G);
	opt_fold_bn(G);
	CU_ASSERT_EQUAL(live(), 1);
	CU_ASSERT_PTR_EQUAL(cv->out[0], y);
	CU_ASSERT_EQUAL(cv->nin, 3);
	CU_ASSERT_EQUAL(cv->ncovers, 1);
	const float *w = tensor_f32(cv->in[1]), *b = tensor_f32(cv->in[2]);
	/* channel 1: gamma 2.01, var 3.01, mean 0.51, beta 1.01; W[1][0] = 0.5 + 0.01*2 */
	double s = 2.01 / sqrt(3.01 + 1e-5);
	CU_ASSERT_DOUBLE_EQUAL(w[2], (0.5 + 0.02) * s, 1e-5);
	CU_ASSERT_DOUBLE_EQUAL(b[1], (0.0 - 0.51) * s + 1.01, 1e-5);
}

/* a conv output read twice cannot absorb the BN */
static void test_fold_bn_refuses_shared(void)
{
	setup();
	Tensor *x = input("x", 2, 4, 4);
	Tensor *c = act_tensor("c", 3, 4, 4), *y = act_tensor("y", 3, 4, 4);
	conv("conv", x, 3, c);
	Shape s3 = { 1, { 3 } };
	Tensor *bin[5] = { c, cfill("g", s3, 1), cfill("b", s3, 0), cfill("m", s3, 0), cfill("v", s3, 1) };
	node("bn", "BatchNormalization", bin, 5, y);
	output(y);
	output(c);
	topo_sort(G);
	opt_fold_bn(G);
	CU_ASSERT_EQUAL(live(), 2);
}

/* relu(conv(a) + conv(b)): the later conv takes the residual, then the relu */
static void test_residual_then_act(void)
{
	setup();
	Tensor *x = input("x", 2, 4, 4);
	Tensor *a = act_tensor("a", 3, 4, 4), *b = act_tensor("b", 3, 4, 4);
	Tensor *s = act_tensor("s", 3, 4, 4), *y = act_tensor("y", 3, 4, 4);
	conv("ca", x, 3, a);
	Node *cb = conv("cb", x, 3, b);
	Tensor *ain[2] = { a, b };
	node("add", "Add", ain, 2, s);
	Tensor *rin[1] = { s };
	node("relu", "Relu", rin, 1, y);
	output(y);
	topo_sort(G);
	opt_fuse_residual(G);
	CU_ASSERT_PTR_EQUAL(cb->residual, a);
	CU_ASSERT_EQUAL(live(), 3);
	opt_fuse_act(G);
	CU_ASSERT_EQUAL(live(), 2);
	CU_ASSERT_EQUAL(cb->act.kind, ACT_RELU);
	CU_ASSERT_PTR_EQUAL(cb->out[0], y);
	CU_ASSERT_EQUAL(cb->ncovers, 2);
}

/* What Clip(v) gives for v standing alone: a one-node Clip with the same
 * opset and bound inputs, parsed and folded by its own file (ops/unary.c). */
static float standalone_clip(const Node *like, float v)
{
	Shape s1 = { 1, { 1 } };
	Tensor *x = graph_const(G, xsprintf("sx%d", G->ntensors), DT_FLOAT, &s1, &v);
	Tensor *in[3] = { x, like->nin > 1 ? like->in[1] : NULL, like->nin > 2 ? like->in[2] : NULL };
	Node *n = node(xsprintf("standalone%d", G->nnodes), "Clip", in, like->nin,
	               graph_tensor(G, xsprintf("sy%d", G->ntensors)));
	n->opset = like->opset;
	op_table[n->op].parse(G, n);
	op_table[n->op].infer(G, n);
	CU_ASSERT_FATAL(op_table[n->op].fold(G, n));
	return tensor_f32(n->out[0])[0];
}

/* conv -> Clip with no bounds (before opset 11: no min/max attributes; from
 * 11: no bound inputs; or a min only): fused into the conv, the clamp is the
 * float range, as for the standalone Clip and in ONNX Runtime, so an
 * infinite conv output comes out as -FLT_MAX or FLT_MAX, not infinite */
static void test_fuse_clip_default_bounds(void)
{
	const float lo[3] = { -FLT_MAX, -FLT_MAX, 0.0f };
	for (int v = 0; v < 3; v++) {
		setup();
		Tensor *x = input("x", 2, 4, 4);
		Tensor *c = act_tensor("c", 3, 4, 4), *y = act_tensor("y", 3, 4, 4);
		Node *cv = conv("conv", x, 3, c);
		Tensor *in[2] = { c, v == 2 ? cfill("min", (Shape){ 0, { 0 } }, 0.0f) : NULL };
		Node *clip = node("clip", "Clip", in, v == 2 ? 2 : 1, y);
		clip->opset = v == 0 ? 6 : 13;
		output(y);
		topo_sort(G);
		opt_fuse_act(G);
		CU_ASSERT_EQUAL(live(), 1);
		CU_ASSERT_PTR_EQUAL(cv->out[0], y);
		CU_ASSERT_EQUAL(cv->act.kind, ACT_CLIP);
		CU_ASSERT_EQUAL(cv->act.a, lo[v]);
		CU_ASSERT_EQUAL(cv->act.b, FLT_MAX);
		CU_ASSERT_EQUAL(cv->act.a, standalone_clip(clip, -INFINITY));
		CU_ASSERT_EQUAL(cv->act.b, standalone_clip(clip, INFINITY));
	}
}

/* conv -> Sigmoid -> Mul(x, s): SiLU in the conv's epilogue; conv -> HardSigmoid(1/6, 1/2) -> Mul(hs, x)
 * (the operands the other way round): HardSwish; a HardSigmoid with other constants, a Sigmoid whose
 * output is also read elsewhere, and a Mul of x by the sigmoid of something else stay */
static void test_fuse_swish(void)
{
	for (int v = 0; v < 5; v++) {
		setup();
		Tensor *x = input("x", 2, 4, 4);
		Tensor *c = act_tensor("c", 3, 4, 4), *s = act_tensor("s", 3, 4, 4), *y = act_tensor("y", 3, 4, 4);
		Node *cv = conv("conv", x, 3, c);
		Tensor *other = v == 4 ? input("o", 3, 4, 4) : c;
		Node *act = node("act", v == 1 || v == 2 ? "HardSigmoid" : "Sigmoid", (Tensor *[]){ other }, 1, s);
		static Attr alpha = { .name = "alpha", .type = AT_FLOAT, .f = 1.0f / 6.0f };
		if (v == 1)
			act->attrs = &alpha, act->nattrs = 1;
		Node *mul = node("mul", "Mul", v == 1 ? (Tensor *[]){ s, c } : (Tensor *[]){ c, s }, 2, y);
		output(y);
		if (v == 3) /* the sigmoid is an output too */
			output(s);
		topo_sort(G);
		for (int i = 0; i < G->nnodes; i++)
			op_table[G->nodes[i]->op].parse(G, G->nodes[i]);
		const int covers = cv->ncovers;
		opt_fuse_swish(G);
		if (v <= 1) {
			CU_ASSERT_EQUAL(live(), 1);
			CU_ASSERT_EQUAL(cv->act.kind, v == 0 ? ACT_SILU : ACT_HARD_SWISH);
			CU_ASSERT_PTR_EQUAL(cv->out[0], y);
			CU_ASSERT_EQUAL(cv->ncovers, covers + 2);
			CU_ASSERT(act->dead && mul->dead);
		} else {
			CU_ASSERT_EQUAL(live(), 3);
			CU_ASSERT_EQUAL(cv->act.kind, ACT_NONE);
			CU_ASSERT_PTR_EQUAL(cv->out[0], c);
		}
	}
}

/* The epilogue, activation and MAC facts come from the op table */
static void test_op_facts(void)
{
	setup();
	Tensor *x = input("x", 2, 4, 4);
	Tensor *c = act_tensor("c", 3, 4, 4), *p = act_tensor("p", 3, 4, 4), *r = act_tensor("r", 3, 4, 4);
	Node *cv = conv("conv", x, 3, c);
	Node *mp = node("mp", "MaxPool", (Tensor *[]){ c }, 1, p);
	Node *ap = node("ap", "AveragePool", (Tensor *[]){ c }, 1, p);
	Node *relu = node("relu", "Relu", (Tensor *[]){ p }, 1, r);
	Node *ex = node("exp", "Exp", (Tensor *[]){ p }, 1, r);
	CU_ASSERT_EQUAL(op_epilogue(cv), EPI_ACT | EPI_RES);
	CU_ASSERT_EQUAL(op_epilogue(mp), 0);
	CU_ASSERT_EQUAL(op_epilogue(ap), 0);
	node_set_params(ap, cfill("bias", (Shape){ 1, { 3 } }, 1.0f), NULL);
	CU_ASSERT_EQUAL(op_epilogue(ap), EPI_ACT);
	Act a;
	CU_ASSERT_TRUE(op_act(relu, &a));
	CU_ASSERT_EQUAL(a.kind, ACT_RELU);
	CU_ASSERT_FALSE(op_act(ex, &a));
	CU_ASSERT_FALSE(op_act(cv, &a));
	/* 3 x 4 x 4 outputs, 2 input channels each */
	CU_ASSERT_EQUAL(node_macs(cv), 96);
	CU_ASSERT_EQUAL(node_macs(mp), 0);
}

/* relu(conv) + x: the conv already has an activation, so no residual fusion */
static void test_no_residual_after_act(void)
{
	setup();
	Tensor *x = input("x", 3, 4, 4);
	Tensor *a = act_tensor("a", 3, 4, 4), *r = act_tensor("r", 3, 4, 4), *y = act_tensor("y", 3, 4, 4);
	conv("c", x, 3, a);
	Tensor *rin[1] = { a };
	node("relu", "Relu", rin, 1, r);
	Tensor *ain[2] = { r, x };
	node("add", "Add", ain, 2, y);
	output(y);
	topo_sort(G);
	opt_fuse_act(G);
	opt_fuse_residual(G);
	CU_ASSERT_EQUAL(live(), 2);
}

/* concat of two conv outputs: both placed in the output, concat gone, and the
 * memory plan gives no overlap between what is live together */
static void test_concat_inplace_and_plan(void)
{
	setup();
	Tensor *x = input("x", 2, 4, 4);
	Tensor *a = act_tensor("a", 3, 4, 4), *b = act_tensor("b", 5, 4, 4), *c = act_tensor("c", 8, 4, 4);
	Tensor *y = act_tensor("y", 8, 4, 4);
	conv("ca", x, 3, a);
	conv("cb", x, 5, b);
	Node *cat = node("cat", "Concat", (Tensor *[]){ a, b }, 2, c);
	cat->attrs = xalloc(sizeof(Attr));
	cat->attrs[0] = (Attr){ .name = "axis", .type = AT_INT, .i = 1 };
	cat->nattrs = 1;
	Tensor *rin[1] = { c };
	node("relu", "Relu", rin, 1, y);
	output(y);
	topo_sort(G);
	infer_shapes(G); /* the plan asks each conv for its scratch */
	opt_concat_inplace(G);
	CU_ASSERT(cat->dead);
	CU_ASSERT_PTR_EQUAL(a->alias, c);
	CU_ASSERT_PTR_EQUAL(b->alias, c);
	CU_ASSERT_EQUAL(a->alias_off, 0);
	CU_ASSERT_EQUAL(b->alias_off, 3 * 16 * 4);
	plan_memory(G);
	CU_ASSERT(c->arena_off >= 0);
	CU_ASSERT_EQUAL(G->arena_size, 8 * 16 * 4);
	CU_ASSERT_EQUAL(G->arena_naive, 8 * 16 * 4);
}

static Node *concat1(const char *name, Tensor **in, int nin, Tensor *out)
{
	Node *n = node(name, "Concat", in, nin, out);
	n->attrs = xalloc(sizeof(Attr));
	n->attrs[0] = (Attr){ .name = "axis", .type = AT_INT, .i = 1 };
	n->nattrs = 1;
	return n;
}

/* DenseNet's growing concat: layer k reads Concat(x0, f1, .., fk-1), so x0 and f1 are read by
 * several concats.  The chain lives in the last concat's memory: each input at its slice of
 * the first concat holding it, each concat at offset 0 of the next; the IR stays valid (every
 * concat complete before it is read) and the plan gives the block one buffer. */
static void test_concat_chain(void)
{
	setup();
	Tensor *x = input("x", 2, 4, 4);
	Tensor *x0 = act_tensor("x0", 4, 4, 4), *f1 = act_tensor("f1", 2, 4, 4), *f2 = act_tensor("f2", 2, 4, 4);
	Tensor *c1 = act_tensor("c1", 4, 4, 4), *c2 = act_tensor("c2", 6, 4, 4), *c3 = act_tensor("c3", 8, 4, 4);
	Tensor *r1 = act_tensor("r1", 4, 4, 4), *r2 = act_tensor("r2", 6, 4, 4), *y = act_tensor("y", 8, 4, 4);
	conv("c0", x, 4, x0);
	Node *k1 = concat1("cat1", (Tensor *[]){ x0 }, 1, c1);
	node("relu1", "Relu", (Tensor *[]){ c1 }, 1, r1);
	conv("conv1", r1, 2, f1);
	Node *k2 = concat1("cat2", (Tensor *[]){ x0, f1 }, 2, c2);
	node("relu2", "Relu", (Tensor *[]){ c2 }, 1, r2);
	conv("conv2", r2, 2, f2);
	Node *k3 = concat1("cat3", (Tensor *[]){ x0, f1, f2 }, 3, c3);
	node("relu3", "Relu", (Tensor *[]){ c3 }, 1, y);
	output(y);
	topo_sort(G);
	infer_shapes(G);
	opt_concat_inplace(G);
	CU_ASSERT(k1->dead && k2->dead && k3->dead);
	CU_ASSERT_PTR_EQUAL(x0->alias, c1);
	CU_ASSERT_EQUAL(x0->alias_off, 0);
	CU_ASSERT_PTR_EQUAL(f1->alias, c2);
	CU_ASSERT_EQUAL(f1->alias_off, 4 * 16 * 4);
	CU_ASSERT_PTR_EQUAL(f2->alias, c3);
	CU_ASSERT_EQUAL(f2->alias_off, 6 * 16 * 4);
	CU_ASSERT_PTR_EQUAL(c1->alias, c2);
	CU_ASSERT_PTR_EQUAL(c2->alias, c3);
	CU_ASSERT_EQUAL(c1->alias_off + c2->alias_off, 0);
	CU_ASSERT_EQUAL(ir_problems(G, IR_TYPED, NULL, 0), 0);
	plan_memory(G);
	CU_ASSERT_EQUAL(ir_problems(G, IR_PLANNED, NULL, 0), 0);
	CU_ASSERT(c3->arena_off >= 0);
}

/* the same chain but f1 is also read by another node: f1 cannot live in the block, so the chain stays */
static void test_concat_chain_refused(void)
{
	setup();
	Tensor *x = input("x", 2, 4, 4);
	Tensor *x0 = act_tensor("x0", 4, 4, 4), *f1 = act_tensor("f1", 2, 4, 4), *s = act_tensor("s", 2, 4, 4);
	Tensor *c1 = act_tensor("c1", 4, 4, 4), *c2 = act_tensor("c2", 6, 4, 4), *r1 = act_tensor("r1", 4, 4, 4);
	conv("c0", x, 4, x0);
	Node *k1 = concat1("cat1", (Tensor *[]){ x0 }, 1, c1);
	node("relu1", "Relu", (Tensor *[]){ c1 }, 1, r1);
	conv("conv1", r1, 2, f1);
	node("sig", "Sigmoid", (Tensor *[]){ f1 }, 1, s);
	Node *k2 = concat1("cat2", (Tensor *[]){ x0, f1 }, 2, c2);
	output(c2);
	output(s);
	topo_sort(G);
	infer_shapes(G);
	opt_concat_inplace(G);
	CU_ASSERT(!k2->dead);
	CU_ASSERT_PTR_NULL(f1->alias);
	(void)k1;
}

/* a chain a -> b -> c -> d: the plan reuses memory (two buffers suffice) */
static void test_plan_reuse(void)
{
	setup();
	Tensor *x = input("x", 16, 8, 8);
	Tensor *t[4];
	Tensor *prev = x;
	for (int i = 0; i < 4; i++) {
		t[i] = act_tensor(xsprintf("t%d", i), 16, 8, 8);
		Tensor *in[1] = { prev };
		node(xsprintf("r%d", i), "Relu", in, 1, t[i]);
		prev = t[i];
	}
	output(t[3]);
	topo_sort(G);
	plan_memory(G);
	int64_t sz = 16 * 8 * 8 * 4;
	CU_ASSERT_EQUAL(G->arena_naive, 3 * sz);
	CU_ASSERT_EQUAL(G->arena_lower_bound, 2 * sz);
	CU_ASSERT_EQUAL(G->arena_size, 2 * sz);
	CU_ASSERT_NOT_EQUAL(t[0]->arena_off, t[1]->arena_off);
	CU_ASSERT_NOT_EQUAL(t[1]->arena_off, t[2]->arena_off);
}

/* x -> 3x3 conv (Winograd over 64 output channels, 14x14) -> a -> relu -> y:
 * the plan gives the conv a scratch tensor live only at that node, apart
 * from its input and output, and the arena's lower bound counts it */
static void test_plan_scratch(void)
{
	setup();
	Tensor *x = input("x", 32, 14, 14);
	Tensor *a = act_tensor("a", 64, 14, 14), *y = act_tensor("y", 64, 14, 14);
	Shape ws = { 4, { 64, 32, 3, 3 } };
	Node *c = node("wc", "Conv", (Tensor *[]){ x, cfill("wc.W", ws, 0.5f) }, 2, a);
	c->attrs = xalloc(sizeof(Attr));
	c->attrs[0] = (Attr){ .name = "pads", .type = AT_INTS, .ints = (int64_t[]){ 1, 1, 1, 1 }, .nints = 4 };
	c->nattrs = 1;
	node("relu", "Relu", (Tensor *[]){ a }, 1, y);
	output(y);
	topo_sort(G);
	infer_shapes(G);
	plan_memory(G);
	Tensor *s = c->scratch;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->kind, T_TEMP);
	/* F(2x2): 16 positions x (32 channels + 32 floats of padding) x 49 tiles */
	CU_ASSERT_EQUAL(shape_numel(&s->shape), 16 * (32 + 32) * 49);
	CU_ASSERT_EQUAL(s->first_use, c->id);
	CU_ASSERT_EQUAL(s->last_use, c->id);
	const int64_t so = s->arena_off, se = so + 16 * (32 + 32) * 49 * 4;
	CU_ASSERT(so >= 0);
	CU_ASSERT(a->arena_off >= 0);
	CU_ASSERT(se <= a->arena_off || a->arena_off + 64 * 196 * 4 <= so);
	CU_ASSERT_EQUAL(G->arena_lower_bound, 64 * 196 * 4 + 16 * (32 + 32) * 49 * 4);
	CU_ASSERT_PTR_NULL(G->nodes[1]->scratch);
}

/* dead branches go, live ones stay */
static void test_dce(void)
{
	setup();
	Tensor *x = input("x", 2, 2, 2);
	Tensor *a = act_tensor("a", 2, 2, 2), *b = act_tensor("b", 2, 2, 2), *y = act_tensor("y", 2, 2, 2);
	node("dead1", "Relu", (Tensor *[]){ x }, 1, a);
	node("dead2", "Relu", (Tensor *[]){ a }, 1, b);
	node("live", "Sigmoid", (Tensor *[]){ x }, 1, y);
	output(y);
	topo_sort(G);
	opt_dce(G);
	CU_ASSERT_EQUAL(G->nnodes, 1);
	CU_ASSERT_STRING_EQUAL(G->nodes[0]->name, "live");
}

/* MatMul(x, B) + bias -> Gemm(x, B, bias); then the Relu joins it */
static void test_matmul_bias(void)
{
	setup();
	Tensor *x = graph_tensor(G, "x");
	x->kind = T_INPUT;
	x->dtype = DT_FLOAT;
	x->shape = (Shape){ 2, { 1, 6 } };
	x->has_shape = true;
	x->batched = true;
	G->inputs = xalloc(sizeof *G->inputs);
	G->inputs[G->ninputs++] = x;
	Tensor *m = graph_tensor(G, "m"), *a = graph_tensor(G, "a"), *y = graph_tensor(G, "y");
	Tensor *B = cfill("B", (Shape){ 2, { 6, 4 } }, 0.1f), *c = cfill("c", (Shape){ 1, { 4 } }, 1.0f);
	Node *mm = node("mm", "MatMul", (Tensor *[]){ x, B }, 2, m);
	node("add", "Add", (Tensor *[]){ c, m }, 2, a);
	node("relu", "Relu", (Tensor *[]){ a }, 1, y);
	output(y);
	topo_sort(G);
	infer_shapes(G);
	opt_matmul_bias(G);
	CU_ASSERT_EQUAL(live(), 2);
	CU_ASSERT_EQUAL(mm->op, OP_Gemm);
	CU_ASSERT_PTR_EQUAL(mm->in[2], c);
	CU_ASSERT_PTR_EQUAL(mm->out[0], a);
	CU_ASSERT_EQUAL(mm->out[0]->shape.d[1], 4);
	opt_fuse_act(G);
	CU_ASSERT_EQUAL(live(), 1);
	CU_ASSERT_EQUAL(mm->act.kind, ACT_RELU);
}

/* MatMul of a rank-4 A ([1,2,3,6] x [6,4], ConvNeXt's channels-last Linear)
 * + a [1,1,1,4] bias: the MatMul takes the bias as a [4] third input (Gemm
 * cannot express the rank), then the Relu joins it */
static void test_matmul_bias_rank4(void)
{
	setup();
	Tensor *x = input("x4", 2, 3, 6);
	Tensor *m = graph_tensor(G, "m"), *a = graph_tensor(G, "a"), *y = graph_tensor(G, "y");
	Tensor *B = cfill("B", (Shape){ 2, { 6, 4 } }, 0.1f), *c = cfill("c", (Shape){ 4, { 1, 1, 1, 4 } }, 1.0f);
	Node *mm = node("mm", "MatMul", (Tensor *[]){ x, B }, 2, m);
	node("add", "Add", (Tensor *[]){ m, c }, 2, a);
	node("relu", "Relu", (Tensor *[]){ a }, 1, y);
	output(y);
	topo_sort(G);
	infer_shapes(G);
	opt_matmul_bias(G);
	CU_ASSERT_EQUAL(live(), 2);
	CU_ASSERT_EQUAL(mm->op, OP_MatMul);
	CU_ASSERT_EQUAL_FATAL(mm->nin, 3);
	CU_ASSERT_EQUAL(mm->in[2]->shape.rank, 1);
	CU_ASSERT_EQUAL(mm->in[2]->shape.d[0], 4);
	CU_ASSERT_EQUAL(tensor_f32(mm->in[2])[3], tensor_f32(c)[3]);
	CU_ASSERT_PTR_EQUAL(mm->out[0], a);
	CU_ASSERT_EQUAL(a->shape.rank, 4);
	CU_ASSERT_EQUAL(a->shape.d[3], 4);
	opt_fuse_act(G);
	CU_ASSERT_EQUAL(live(), 1);
	CU_ASSERT_EQUAL(mm->act.kind, ACT_RELU);
}

/* a [2,4] bias (a different row per row of A) is not a row vector: the pass leaves it */
static void test_matmul_bias_refuses_matrix_bias(void)
{
	setup();
	Tensor *x = input("x4", 1, 1, 1);
	x->shape = (Shape){ 2, { 2, 6 } };
	Tensor *m = graph_tensor(G, "m"), *a = graph_tensor(G, "a");
	Tensor *B = cfill("B", (Shape){ 2, { 6, 4 } }, 0.1f), *c = cfill("c", (Shape){ 2, { 2, 4 } }, 1.0f);
	node("mm", "MatMul", (Tensor *[]){ x, B }, 2, m);
	node("add", "Add", (Tensor *[]){ m, c }, 2, a);
	output(a);
	topo_sort(G);
	infer_shapes(G);
	opt_matmul_bias(G);
	CU_ASSERT_EQUAL(live(), 2);
}

/* relu(conv1x1(avgpool(x)) + b), 8 -> 4 channels: the conv runs first on x,
 * without its bias; the pool reads its output, takes the bias, then the relu */
static void test_pool_conv(void)
{
	setup();
	Tensor *x = input("x", 8, 5, 5);
	Tensor *a = act_tensor("a", 8, 5, 5), *c = act_tensor("c", 4, 5, 5), *y = act_tensor("y", 4, 5, 5);
	Tensor *bias = cfill("bias", (Shape){ 1, { 4 } }, 1.0f);
	Node *p = node("pool", "AveragePool", (Tensor *[]){ x }, 1, a);
	Node *k = conv("conv", a, 4, c);
	node_set_params(k, k->in[1], bias);
	node("relu", "Relu", (Tensor *[]){ c }, 1, y);
	output(y);
	topo_sort(G);
	opt_pool_conv(G);
	CU_ASSERT_EQUAL(live(), 3);
	CU_ASSERT_PTR_EQUAL(k->in[0], x);
	CU_ASSERT_EQUAL(k->nin, 2);
	CU_ASSERT_PTR_EQUAL(p->in[0], k->out[0]);
	CU_ASSERT_EQUAL(k->out[0]->shape.d[1], 4);
	CU_ASSERT_EQUAL(k->out[0]->shape.d[2], 5);
	CU_ASSERT_EQUAL(p->nin, 2);
	CU_ASSERT_PTR_EQUAL(p->in[1], bias);
	CU_ASSERT_PTR_EQUAL(p->out[0], c);
	CU_ASSERT_TRUE(k->id < p->id);
	opt_fuse_act(G);
	CU_ASSERT_EQUAL(live(), 2);
	CU_ASSERT_EQUAL(p->act.kind, ACT_RELU);
	CU_ASSERT_PTR_EQUAL(p->out[0], y);
	CU_ASSERT_EQUAL(k->act.kind, ACT_NONE);
}

/* left alone: a conv to as many channels, a pool that shrinks the image, a
 * pool output read twice, a max pool, a strided conv */
static void test_pool_conv_refuses(void)
{
	for (int v = 0; v < 5; v++) {
		setup();
		Tensor *x = input("x", 8, 5, 5);
		Tensor *a = act_tensor("a", 8, v == 1 ? 3 : 5, v == 1 ? 3 : 5);
		Tensor *c = act_tensor("c", v == 0 ? 8 : 4, v == 1 ? 3 : 5, v == 1 ? 3 : 5);
		node("pool", v == 3 ? "MaxPool" : "AveragePool", (Tensor *[]){ x }, 1, a);
		Node *k = conv("conv", a, v == 0 ? 8 : 4, c);
		if (v == 4) {
			static int64_t two[2] = { 2, 2 };
			k->attrs = xalloc(sizeof *k->attrs);
			k->attrs[0] = (Attr){ .name = "strides", .type = AT_INTS, .ints = two, .nints = 2 };
			k->nattrs = 1;
		}
		output(c);
		if (v == 2)
			output(a);
		topo_sort(G);
		opt_pool_conv(G);
		CU_ASSERT_PTR_EQUAL(k->in[0], a);
		CU_ASSERT_PTR_EQUAL(k->out[0], c);
	}
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("passes", NULL, NULL);
	CU_add_test(s, "fold BN into conv", test_fold_bn);
	CU_add_test(s, "BN not folded into a shared conv", test_fold_bn_refuses_shared);
	CU_add_test(s, "residual add then relu into conv", test_residual_then_act);
	CU_add_test(s, "x * sigmoid(x) and x * hardsigmoid(x) into conv", test_fuse_swish);
	CU_add_test(s, "no residual fusion after an activation", test_no_residual_after_act);
	CU_add_test(s, "fused Clip without bounds clamps to the float range", test_fuse_clip_default_bounds);
	CU_add_test(s, "epilogue, activation and MAC facts from the op table", test_op_facts);
	CU_add_test(s, "concat in place + plan", test_concat_inplace_and_plan);
	CU_add_test(s, "DenseNet's concat chain in place", test_concat_chain);
	CU_add_test(s, "concat chain with a shared input stays", test_concat_chain_refused);
	CU_add_test(s, "plan reuses memory", test_plan_reuse);
	CU_add_test(s, "plan gives a Winograd conv its scratch", test_plan_scratch);
	CU_add_test(s, "dead-node elimination", test_dce);
	CU_add_test(s, "MatMul + bias becomes Gemm", test_matmul_bias);
	CU_add_test(s, "MatMul + matrix bias stays", test_matmul_bias_refuses_matrix_bias);
	CU_add_test(s, "rank-4 MatMul + bias: the MatMul takes it", test_matmul_bias_rank4);
	CU_add_test(s, "average pool moved after its 1x1 conv", test_pool_conv);
	CU_add_test(s, "average pool left before other convs", test_pool_conv_refuses);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	unsigned run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return fails || run == 0 ? 1 : 0;
}
