/*
 * test_loader.c - the ONNX loader against small models built here with
 * protobuf-c: initializer decoding (raw and typed fields, external data),
 * graph inputs/outputs, batch detection, --dim and --bind, Constant
 * attributes, and local-function inlining.  The expected IR is written out
 * by hand from the model each test builds.  Error paths exit(): they run in
 * a fork()ed child whose exit status (1 or 3, never a signal) and stderr are
 * checked.
 */
#include "ir.h"
#include "onnx/onnx.pb-c.h"

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *dir; /* scratch folder for the models of this run */

/* ---- building models -------------------------------------------------- */

#define NEW(T, init) memcpy(xalloc(sizeof(T)), &(T)init, sizeof(T))

static char **split(const char *csv, size_t *n)
{
	*n = 0;
	if (!csv || !*csv)
		return NULL;
	char **v = xalloc(16 * sizeof *v);
	const char *p = csv;
	for (;;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		char *s = xalloc(len + 1);
		memcpy(s, p, len);
		v[(*n)++] = s;
		if (!c)
			break;
		p = c + 1;
	}
	return v;
}

static Onnx__TensorProto *tensor(const char *name, int dt, const char *dims)
{
	Onnx__TensorProto *t = NEW(Onnx__TensorProto, ONNX__TENSOR_PROTO__INIT);
	t->name = (char *)name;
	t->has_data_type = 1;
	t->data_type = dt;
	size_t n;
	char **d = split(dims, &n);
	t->n_dims = n;
	t->dims = xalloc((n + 1) * sizeof(int64_t));
	for (size_t i = 0; i < n; i++)
		t->dims[i] = strtoll(d[i], NULL, 10);
	return t;
}

static void raw(Onnx__TensorProto *t, const void *data, size_t len)
{
	t->has_raw_data = 1;
	t->raw_data.len = len;
	t->raw_data.data = xalloc(len + 1);
	memcpy(t->raw_data.data, data, len);
}

static void external(Onnx__TensorProto *t, const char *loc, const char *off, const char *len)
{
	t->has_data_location = 1;
	t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	t->external_data = xalloc(3 * sizeof *t->external_data);
	const char *k[3] = { "location", "offset", "length" }, *v[3] = { loc, off, len };
	for (int i = 0; i < 3; i++)
		if (v[i]) {
			Onnx__StringStringEntryProto *e = NEW(Onnx__StringStringEntryProto,
			                                      ONNX__STRING_STRING_ENTRY_PROTO__INIT);
			e->key = (char *)k[i];
			e->value = (char *)v[i];
			t->external_data[t->n_external_data++] = e;
		}
}

/* dims: "N,3,224" - numbers are fixed, names symbolic, "" unnamed dynamic */
static Onnx__ValueInfoProto *vinfo(const char *name, int dt, const char *dims)
{
	Onnx__ValueInfoProto *v = NEW(Onnx__ValueInfoProto, ONNX__VALUE_INFO_PROTO__INIT);
	v->name = (char *)name;
	Onnx__TypeProto *tp = NEW(Onnx__TypeProto, ONNX__TYPE_PROTO__INIT);
	Onnx__TypeProto__Tensor *tt = NEW(Onnx__TypeProto__Tensor, ONNX__TYPE_PROTO__TENSOR__INIT);
	tt->has_elem_type = 1;
	tt->elem_type = dt;
	if (dims) {
		Onnx__TensorShapeProto *sp = NEW(Onnx__TensorShapeProto, ONNX__TENSOR_SHAPE_PROTO__INIT);
		size_t n;
		char **d = split(dims, &n);
		sp->dim = xalloc((n + 1) * sizeof *sp->dim);
		for (size_t i = 0; i < n; i++) {
			Onnx__TensorShapeProto__Dimension *x = NEW(Onnx__TensorShapeProto__Dimension,
			                                           ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT);
			if (d[i][0] >= '0' && d[i][0] <= '9') {
				x->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
				x->dim_value = strtoll(d[i], NULL, 10);
			} else if (d[i][0]) {
				x->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
				x->dim_param = d[i];
			}
			sp->dim[sp->n_dim++] = x;
		}
		tt->shape = sp;
	}
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	v->type = tp;
	return v;
}

static Onnx__NodeProto *node(const char *op, const char *name, const char *ins, const char *outs)
{
	Onnx__NodeProto *n = NEW(Onnx__NodeProto, ONNX__NODE_PROTO__INIT);
	n->op_type = (char *)op;
	n->name = (char *)name;
	n->input = split(ins, &n->n_input);
	n->output = split(outs, &n->n_output);
	n->attribute = xalloc(8 * sizeof *n->attribute);
	return n;
}

static Onnx__AttributeProto *attr(Onnx__NodeProto *n, const char *name, int type)
{
	Onnx__AttributeProto *a = NEW(Onnx__AttributeProto, ONNX__ATTRIBUTE_PROTO__INIT);
	a->name = (char *)name;
	a->has_type = 1;
	a->type = type;
	n->attribute[n->n_attribute++] = a;
	return a;
}

static Onnx__OperatorSetIdProto *opset(const char *domain, int64_t v)
{
	Onnx__OperatorSetIdProto *o = NEW(Onnx__OperatorSetIdProto, ONNX__OPERATOR_SET_ID_PROTO__INIT);
	o->domain = (char *)domain;
	o->has_version = 1;
	o->version = v;
	return o;
}

#define CAP 32
static Onnx__ModelProto *model(int64_t default_opset)
{
	Onnx__ModelProto *m = NEW(Onnx__ModelProto, ONNX__MODEL_PROTO__INIT);
	m->has_ir_version = 1;
	m->ir_version = 8;
	m->producer_name = "unit";
	m->producer_version = "1.2";
	m->opset_import = xalloc(CAP * sizeof *m->opset_import);
	if (default_opset)
		m->opset_import[m->n_opset_import++] = opset("", default_opset);
	m->functions = xalloc(CAP * sizeof *m->functions);
	Onnx__GraphProto *g = NEW(Onnx__GraphProto, ONNX__GRAPH_PROTO__INIT);
	g->node = xalloc(CAP * sizeof *g->node);
	g->initializer = xalloc(CAP * sizeof *g->initializer);
	g->input = xalloc(CAP * sizeof *g->input);
	g->output = xalloc(CAP * sizeof *g->output);
	m->graph = g;
	return m;
}
#define ADD(arr, n, x) ((arr)[(n)++] = (x))

static const char *save_bytes(const char *file, const void *data, size_t len)
{
	const char *path = xsprintf("%s/%s", dir, file);
	FILE *f = fopen(path, "wb");
	CU_ASSERT_FATAL(f != NULL);
	if (len)
		CU_ASSERT_FATAL(fwrite(data, 1, len, f) == len);
	fclose(f);
	return path;
}

static const char *save(const char *file, const Onnx__ModelProto *m)
{
	size_t len = onnx__model_proto__get_packed_size(m);
	uint8_t *buf = xalloc(len + 1);
	onnx__model_proto__pack(m, buf);
	return save_bytes(file, buf, len);
}

/* The usual frame: X[dims] float -> node(s) -> Y. */
static Onnx__ModelProto *simple(const char *xdims)
{
	Onnx__ModelProto *m = model(13);
	ADD(m->graph->input, m->graph->n_input, vinfo("X", 1, xdims));
	ADD(m->graph->output, m->graph->n_output, vinfo("Y", 1, NULL));
	return m;
}

/* ---- error paths: run in a child ----------------------------------------- */

typedef void (*Body)(const void *arg);

/* Runs body(arg) in a child; passes when it exits 1 or 3 and its stderr
 * contains every needle ("|"-separated). */
static void expect_error(Body body, const void *arg, const char *needles)
{
	const char *errf = xsprintf("%s/stderr.txt", dir);
	fflush(NULL);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		if (!freopen(errf, "w", stderr))
			_exit(99);
		body(arg);
		fflush(NULL);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	char msg[4096] = "";
	FILE *f = fopen(errf, "r");
	if (f) {
		msg[fread(msg, 1, sizeof msg - 1, f)] = 0;
		fclose(f);
	}
	bool exited = WIFEXITED(st) && (WEXITSTATUS(st) == 1 || WEXITSTATUS(st) == 3);
	bool found = true;
	for (const char *p = needles; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		char *needle = xalloc(len + 1);
		memcpy(needle, p, len);
		if (!strstr(msg, needle))
			found = false;
		p += len + (bar ? 1 : 0);
	}
	if (!exited || !found)
		fprintf(stderr, "\n  expected exit 1/3 with '%s'; status %#x, stderr: %s\n", needles, st, msg);
	CU_ASSERT(exited);
	CU_ASSERT(found);
}

static void do_load(const void *path) { onnx_load(path); }
static void do_load_resolve(const void *path) { resolve_dims(onnx_load(path)); }

/* ---- tests ------------------------------------------------------------- */

static void test_initializers(void)
{
	Onnx__ModelProto *m = simple("2");
	Onnx__GraphProto *g = m->graph;
	float fw[2] = { 1.5f, -2.0f };
	Onnx__TensorProto *t = tensor("w_raw", DT_FLOAT, "2");
	raw(t, fw, sizeof fw);
	ADD(g->initializer, g->n_initializer, t);
	t = tensor("w_typed", DT_FLOAT, "1,2");
	t->n_float_data = 2;
	t->float_data = fw;
	ADD(g->initializer, g->n_initializer, t);
	int64_t iv[3] = { 7, -1, 1LL << 40 };
	t = tensor("shape", DT_INT64, "3");
	t->n_int64_data = 3;
	t->int64_data = iv;
	ADD(g->initializer, g->n_initializer, t);
	int32_t i32[3] = { -3, 200, 1 };
	t = tensor("i8", DT_INT8, "3");
	t->n_int32_data = 3;
	t->int32_data = i32;
	ADD(g->initializer, g->n_initializer, t);
	t = tensor("b", DT_BOOL, "3");
	t->n_int32_data = 3;
	t->int32_data = i32;
	ADD(g->initializer, g->n_initializer, t);
	uint16_t h[2] = { 0x3c00, 0xc000 };
	t = tensor("half", DT_FLOAT16, "2");
	raw(t, h, sizeof h);
	ADD(g->initializer, g->n_initializer, t);
	double dv[1] = { 0.25 };
	t = tensor("d", DT_DOUBLE, "");
	t->n_double_data = 1;
	t->double_data = dv;
	ADD(g->initializer, g->n_initializer, t);
	t = tensor("empty", DT_FLOAT, "0,3");
	ADD(g->initializer, g->n_initializer, t);
	/* IR < 4 style: the initializer is also listed as an input */
	ADD(g->input, g->n_input, vinfo("w_raw", 1, "2"));
	ADD(g->node, g->n_node, node("Add", NULL, "X,w_raw", "Y"));

	Graph *G = onnx_load(save("init.onnx", m));
	CU_ASSERT_EQUAL(G->opset, 13);
	CU_ASSERT_EQUAL(G->ir_version, 8);
	CU_ASSERT_STRING_EQUAL(G->producer, "unit 1.2");
	CU_ASSERT_EQUAL(G->ninputs, 1);
	CU_ASSERT_STRING_EQUAL(G->inputs[0]->name, "X");
	CU_ASSERT_EQUAL(G->noutputs, 1);
	CU_ASSERT_EQUAL(G->outputs[0]->kind, T_OUTPUT);

	Tensor *w = graph_find(G, "w_raw");
	CU_ASSERT_EQUAL(w->kind, T_CONST);
	CU_ASSERT_EQUAL(w->dtype, DT_FLOAT);
	CU_ASSERT(w->has_shape && w->shape.rank == 1 && w->shape.d[0] == 2);
	CU_ASSERT(tensor_f32(w)[0] == 1.5f && tensor_f32(w)[1] == -2.0f);
	w = graph_find(G, "w_typed");
	CU_ASSERT(w->shape.rank == 2 && w->shape.d[0] == 1 && w->shape.d[1] == 2);
	CU_ASSERT(tensor_f32(w)[1] == -2.0f);
	w = graph_find(G, "shape");
	CU_ASSERT(tensor_i64(w)[0] == 7 && tensor_i64(w)[1] == -1 && tensor_i64(w)[2] == 1LL << 40);
	w = graph_find(G, "i8");
	CU_ASSERT_EQUAL(w->dtype, DT_INT8);
	CU_ASSERT(((int8_t *)w->data)[0] == -3 && ((int8_t *)w->data)[1] == (int8_t)200);
	w = graph_find(G, "b");
	CU_ASSERT(((uint8_t *)w->data)[0] == 1 && ((uint8_t *)w->data)[2] == 1);
	w = graph_find(G, "half");
	CU_ASSERT_EQUAL(w->dtype, DT_FLOAT16);
	CU_ASSERT(((uint16_t *)w->data)[1] == 0xc000);
	w = graph_find(G, "d");
	CU_ASSERT(w->dtype == DT_DOUBLE && w->shape.rank == 0 && ((double *)w->data)[0] == 0.25);
	w = graph_find(G, "empty");
	CU_ASSERT(w->kind == T_CONST && w->shape.d[0] == 0 && w->data != NULL);

	CU_ASSERT_EQUAL(G->nnodes, 1);
	Node *n = G->nodes[0];
	CU_ASSERT_STRING_EQUAL(n->name, "Add_0"); /* unnamed nodes get <Op>_<index> */
	CU_ASSERT_EQUAL(n->opset, 13);
	CU_ASSERT(n->in[0] == graph_find(G, "X") && n->in[1] == graph_find(G, "w_raw"));
	CU_ASSERT(n->out[0] == G->outputs[0] && G->outputs[0]->producer == n);
}

/* a model with one float initializer 'w' of dims wdims, decoded from t */
static const char *one_init(const char *file, Onnx__TensorProto *t)
{
	Onnx__ModelProto *m = simple("4");
	ADD(m->graph->initializer, m->graph->n_initializer, t);
	ADD(m->graph->node, m->graph->n_node, node("Add", "add", "X,w", "Y"));
	return save(file, m);
}

static void test_bad_data(void)
{
	float f[4] = { 0 };
	Onnx__TensorProto *t = tensor("w", DT_FLOAT, "4");
	raw(t, f, 8);
	expect_error(do_load, one_init("short.onnx", t), "short.onnx: error: initializer 'w' has 8 bytes of data but its dims [4] need 16");
	t = tensor("w", DT_FLOAT, "4");
	t->n_float_data = 3;
	t->float_data = f;
	expect_error(do_load, one_init("count.onnx", t), "initializer 'w' has 3 values in float_data but its dims [4] need 4");
	t = tensor("w", DT_FLOAT, "1099511627776,1099511627776");
	raw(t, f, 16);
	expect_error(do_load, one_init("huge.onnx", t), "initializer 'w' has dims [1099511627776,1099511627776], too large");
	t = tensor("w", DT_FLOAT, "-4");
	raw(t, f, 16);
	expect_error(do_load, one_init("neg.onnx", t), "initializer 'w' has a negative dimension");
	t = tensor("w", DT_STRING, "1");
	expect_error(do_load, one_init("str.onnx", t), "unsupported: initializer 'w' is a string tensor");
	t = tensor("w", 0, "1");
	expect_error(do_load, one_init("nodt.onnx", t), "initializer 'w' has no data type");
}

static void test_external(void)
{
	float f[6] = { 9, 9, 1, 2, 3, 4 };
	save_bytes("w.bin", f, sizeof f);
	Onnx__TensorProto *t = tensor("w", DT_FLOAT, "4");
	external(t, "w.bin", "8", "16");
	Graph *G = onnx_load(one_init("ext.onnx", t));
	const float *w = tensor_f32(graph_find(G, "w"));
	CU_ASSERT(w[0] == 1 && w[3] == 4);

	/* without offset/length: the whole file, which is 24 bytes, not 16 */
	t = tensor("w", DT_FLOAT, "4");
	external(t, "w.bin", NULL, NULL);
	expect_error(do_load, one_init("ext_len.onnx", t), "initializer 'w' has 24 bytes of external data but its dims [4] need 16");
	t = tensor("w", DT_FLOAT, "4");
	external(t, "w.bin", "16", "16");
	expect_error(do_load, one_init("ext_past.onnx", t), "initializer 'w': external data offset 16 + length 16 is beyond the end");
	t = tensor("w", DT_FLOAT, "4");
	external(t, "w.bin", "100", NULL);
	expect_error(do_load, one_init("ext_off.onnx", t), "external data offset 100 is beyond the end");
	t = tensor("w", DT_FLOAT, "4");
	external(t, "nothere.bin", NULL, NULL);
	expect_error(do_load, one_init("ext_missing.onnx", t), "ext_missing.onnx: error: initializer 'w': external data file|nothere.bin' cannot be opened");
	t = tensor("w", DT_FLOAT, "4");
	external(t, "../w.bin", NULL, NULL);
	expect_error(do_load, one_init("ext_up.onnx", t), "external data path '../w.bin' leaves the model's folder");
	t = tensor("w", DT_FLOAT, "4");
	external(t, "/etc/passwd", NULL, NULL);
	expect_error(do_load, one_init("ext_abs.onnx", t), "external data path '/etc/passwd' is absolute");
	/* a symlink inside the folder pointing outside it */
	const char *link = xsprintf("%s/escape.bin", dir);
	unlink(link);
	CU_ASSERT_FATAL(symlink("/etc/hostname", link) == 0);
	t = tensor("w", DT_FLOAT, "4");
	external(t, "escape.bin", NULL, NULL);
	expect_error(do_load, one_init("ext_link.onnx", t), "external data path 'escape.bin' resolves to '/etc/hostname', outside the model's folder");
}

static void test_files(void)
{
	expect_error(do_load, xsprintf("%s/does_not_exist.onnx", dir), "does_not_exist.onnx: error: cannot open model");
	expect_error(do_load, save_bytes("empty.onnx", "", 0), "empty.onnx: error: model '|' is empty");
	expect_error(do_load, save_bytes("garbage.onnx", "\xff\xff\xff\xff\xff\xff\xff\xff", 8),
	             "garbage.onnx: error: not a valid ONNX model (protobuf parse failed");
	Onnx__ModelProto *m = simple("4");
	ADD(m->graph->node, m->graph->n_node, node("Relu", "r", "X", "Y"));
	size_t len = onnx__model_proto__get_packed_size(m);
	uint8_t *buf = xalloc(len);
	onnx__model_proto__pack(m, buf);
	expect_error(do_load, save_bytes("trunc.onnx", buf, len - 3), "trunc.onnx: error: not a valid ONNX model");
	expect_error(do_load, dir, "is not a regular file");
	m->n_opset_import = 0;
	expect_error(do_load, save("noopset.onnx", m), "imports no opset for the default ONNX domain");
}

static void test_outputs(void)
{
	Onnx__ModelProto *m = simple("4");
	ADD(m->graph->node, m->graph->n_node, node("Relu", "r", "X", "Z"));
	expect_error(do_load, save("noprod.onnx", m), "graph output 'Y' is not produced by any node");
	/* an output that is the input itself is allowed */
	m = simple("4");
	m->graph->output[0]->name = "X";
	Graph *G = onnx_load(save("passthru.onnx", m));
	CU_ASSERT(G->noutputs == 1 && G->outputs[0] == G->inputs[0] && G->inputs[0]->kind == T_INPUT);
}

static void test_batch(void)
{
	Onnx__ModelProto *m = simple("N,3,4,4");
	ADD(m->graph->input, m->graph->n_input, vinfo("Z", 1, ",5"));
	ADD(m->graph->input, m->graph->n_input, vinfo("F", 1, "2,5"));
	ADD(m->graph->node, m->graph->n_node, node("Relu", "r", "X", "Y"));
	Graph *G = onnx_load(save("batch.onnx", m));
	CU_ASSERT_EQUAL(G->ninputs, 3);
	CU_ASSERT_STRING_EQUAL(G->inputs[0]->dim_param[0], "N");
	CU_ASSERT_STRING_EQUAL(G->inputs[1]->dim_param[0], "?");
	resolve_dims(G);
	CU_ASSERT(G->batched);
	CU_ASSERT_STRING_EQUAL(G->batch_param, "N");
	Tensor *x = G->inputs[0], *z = G->inputs[1], *f = G->inputs[2];
	CU_ASSERT(x->batched && x->has_shape && x->shape.rank == 4 && x->shape.d[0] == 1 && x->shape.d[3] == 4);
	CU_ASSERT(z->batched && z->shape.d[0] == 1 && z->shape.d[1] == 5);
	CU_ASSERT(!f->batched && f->has_shape && f->shape.d[0] == 2);

	/* fixed batch: not batched */
	m = simple("2,3");
	ADD(m->graph->node, m->graph->n_node, node("Relu", "r", "X", "Y"));
	G = onnx_load(save("fixed.onnx", m));
	resolve_dims(G);
	CU_ASSERT(!G->batched && !G->inputs[0]->batched && G->inputs[0]->shape.d[0] == 2);

	/* two different batch names */
	m = simple("N,3");
	ADD(m->graph->input, m->graph->n_input, vinfo("Z", 1, "B,3"));
	ADD(m->graph->node, m->graph->n_node, node("Add", "a", "X,Z", "Y"));
	expect_error(do_load_resolve, save("twobatch.onnx", m), "graph input 'Z' has symbolic first dimension 'B' but another input's is 'N'");
}

static const char *dims_model;
static void do_fix_h(const void *v)
{
	Graph *G = onnx_load(dims_model);
	fix_dims(G, "H", *(const int64_t *)v);
	resolve_dims(G);
}

static void test_dims(void)
{
	Onnx__ModelProto *m = simple("N,H,W");
	ADD(m->graph->node, m->graph->n_node, node("Relu", "r", "X", "Y"));
	dims_model = save("dims.onnx", m);
	Graph *G = onnx_load(dims_model);
	fix_dims(G, "H", 7);
	fix_dims(G, "W", 9);
	resolve_dims(G);
	CU_ASSERT(G->batched && G->inputs[0]->shape.d[0] == 1 && G->inputs[0]->shape.d[1] == 7 &&
	          G->inputs[0]->shape.d[2] == 9);
	/* --dim on the batch itself: no longer batched */
	G = onnx_load(dims_model);
	fix_dims(G, "N", 4);
	fix_dims(G, "H", 1);
	fix_dims(G, "W", 1);
	resolve_dims(G);
	CU_ASSERT(!G->batched && G->inputs[0]->shape.d[0] == 4);

	expect_error(do_load_resolve, dims_model, "graph input 'X' has symbolic dimension 'H' at axis 1|--dim H=VALUE|'W' at axis 2");
	int64_t v = 3;
	expect_error(do_fix_h, &v, "graph input 'X' has symbolic dimension 'W' at axis 2");
	m = simple("N,");
	ADD(m->graph->node, m->graph->n_node, node("Relu", "r", "X", "Y"));
	expect_error(do_load_resolve, save("unnamed.onnx", m), "graph input 'X' has an unnamed dynamic dimension at axis 1");
	m = simple(NULL);
	ADD(m->graph->node, m->graph->n_node, node("Relu", "r", "X", "Y"));
	expect_error(do_load_resolve, save("noshape.onnx", m), "graph input 'X' has no declared shape");
}

static void do_fix_q(const void *path)
{
	fix_dims(onnx_load(path), "Q", 2);
}

static const char *bind_model, *bind_pb;
static void do_bind(const void *pb)
{
	Graph *G = onnx_load(bind_model);
	bind_input(G, "S", pb);
	resolve_dims(G);
}

static void test_bind(void)
{
	Onnx__ModelProto *m = simple("N,6");
	ADD(m->graph->input, m->graph->n_input, vinfo("S", DT_INT64, "2"));
	ADD(m->graph->node, m->graph->n_node, node("Reshape", "rs", "X,S", "Y"));
	bind_model = save("bind.onnx", m);
	expect_error(do_fix_q, bind_model, "--dim Q: no graph input has a symbolic dimension named 'Q' (symbolic dimensions: 'N')");
	expect_error(do_load_resolve, bind_model, "graph input 'S' is int64|--bind S=FILE.pb");

	int64_t s[2] = { 2, 3 };
	Onnx__TensorProto *t = tensor("S", DT_INT64, "2");
	raw(t, s, sizeof s);
	size_t len = onnx__tensor_proto__get_packed_size(t);
	uint8_t *buf = xalloc(len);
	onnx__tensor_proto__pack(t, buf);
	bind_pb = save_bytes("s.pb", buf, len);
	Graph *G = onnx_load(bind_model);
	bind_input(G, "S", bind_pb);
	resolve_dims(G);
	Tensor *st = graph_find(G, "S");
	CU_ASSERT(st->kind == T_CONST && tensor_i64(st)[1] == 3);
	CU_ASSERT(G->ninputs == 1 && G->inputs[0]->io_index == 0 && G->batched);

	t = tensor("S", DT_FLOAT, "2");
	raw(t, s, 8);
	len = onnx__tensor_proto__get_packed_size(t);
	onnx__tensor_proto__pack(t, buf);
	expect_error(do_bind, save_bytes("sf.pb", buf, len), "--bind S: '|sf.pb' holds float data but the input is declared int64");
	t = tensor("S", DT_INT64, "3");
	int64_t s3[3] = { 1, 2, 3 };
	raw(t, s3, sizeof s3);
	len = onnx__tensor_proto__get_packed_size(t);
	buf = xalloc(len);
	onnx__tensor_proto__pack(t, buf);
	expect_error(do_bind, save_bytes("s3.pb", buf, len), "has shape [3] but the input is declared with a different shape");
	expect_error(do_bind, save_bytes("junk.pb", "\xff\xff\xff", 3), "is not a valid TensorProto");
	expect_error(do_bind, xsprintf("%s/nope.pb", dir), "cannot open --bind S: tensor file");
}

static void test_constant_attrs(void)
{
	Onnx__ModelProto *m = simple("2");
	Onnx__NodeProto *c = node("Constant", "c", NULL, "K");
	Onnx__TensorProto *t = tensor("", DT_FLOAT, "2");
	float kv[2] = { 3, 4 };
	raw(t, kv, sizeof kv);
	attr(c, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t = t;
	ADD(m->graph->node, m->graph->n_node, c);
	Onnx__NodeProto *c2 = node("Constant", NULL, NULL, "K2");
	Onnx__AttributeProto *a = attr(c2, "value_ints", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	int64_t iv[3] = { 1, 2, 3 };
	a->n_ints = 3;
	a->ints = iv;
	a = attr(c2, "value_float", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
	a->has_f = 1;
	a->f = 0.5f;
	a = attr(c2, "mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
	a->has_s = 1;
	a->s.data = (uint8_t *)"edge";
	a->s.len = 4;
	/* type left out, as very old exporters did: taken from the field */
	a = attr(c2, "axis", 0);
	a->has_type = 0;
	a->has_i = 1;
	a->i = -1;
	ADD(m->graph->node, m->graph->n_node, c2);
	ADD(m->graph->node, m->graph->n_node, node("Add", "add", "X,K", "Y"));
	Graph *G = onnx_load(save("const.onnx", m));
	CU_ASSERT_EQUAL(G->nnodes, 3);
	Node *n = G->nodes[0];
	const Attr *v = attr_find(n, "value");
	CU_ASSERT_FATAL(v != NULL);
	CU_ASSERT(v->type == AT_TENSOR && v->t->kind == T_CONST && v->t->dtype == DT_FLOAT);
	CU_ASSERT(v->t->shape.rank == 1 && ((float *)v->t->data)[1] == 4);
	n = G->nodes[1];
	CU_ASSERT_STRING_EQUAL(n->name, "Constant_1");
	int64_t got[4];
	CU_ASSERT(attr_ints(n, "value_ints", got, 4) == 3 && got[2] == 3);
	CU_ASSERT(attr_float(n, "value_float", 0) == 0.5f);
	CU_ASSERT_STRING_EQUAL(attr_string(n, "mode", ""), "edge");
	CU_ASSERT(attr_int(n, "axis", 0) == -1);
	CU_ASSERT(n->nout == 1 && n->nin == 0);
}

/* MyFn(x, b) -> y [alpha]: t = Mul(x, b); y = LeakyRelu(t, alpha=@alpha) */
static Onnx__FunctionProto *my_fn(void)
{
	Onnx__FunctionProto *f = NEW(Onnx__FunctionProto, ONNX__FUNCTION_PROTO__INIT);
	f->name = "MyFn";
	f->domain = "local";
	f->input = split("x,b", &f->n_input);
	f->output = split("y", &f->n_output);
	f->attribute = split("alpha", &f->n_attribute);
	f->node = xalloc(4 * sizeof *f->node);
	f->opset_import = xalloc(2 * sizeof *f->opset_import);
	f->opset_import[f->n_opset_import++] = opset("", 11);
	ADD(f->node, f->n_node, node("Mul", "mul", "x,b", "t"));
	Onnx__NodeProto *lr = node("LeakyRelu", NULL, "t", "y");
	attr(lr, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)->ref_attr_name = "alpha";
	ADD(f->node, f->n_node, lr);
	return f;
}

static void test_functions(void)
{
	Onnx__ModelProto *m = simple("N,4");
	m->opset_import[m->n_opset_import++] = opset("local", 1);
	ADD(m->functions, m->n_functions, my_fn());
	/* Outer(u) -> v: v = MyFn(u, u) with alpha 0.5, named 'inner' */
	Onnx__FunctionProto *o = NEW(Onnx__FunctionProto, ONNX__FUNCTION_PROTO__INIT);
	o->name = "Outer";
	o->domain = "local";
	o->input = split("u", &o->n_input);
	o->output = split("v", &o->n_output);
	o->node = xalloc(2 * sizeof *o->node);
	Onnx__NodeProto *in = node("MyFn", "inner", "u,u", "v");
	in->domain = "local";
	Onnx__AttributeProto *a = attr(in, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
	a->has_f = 1;
	a->f = 0.5f;
	ADD(o->node, o->n_node, in);
	ADD(m->functions, m->n_functions, o);

	Onnx__NodeProto *c1 = node("MyFn", "call1", "X,X", "A");
	c1->domain = "local";
	a = attr(c1, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
	a->has_f = 1;
	a->f = 0.25f;
	ADD(m->graph->node, m->graph->n_node, c1);
	Onnx__NodeProto *c2 = node("MyFn", "call2", "A,", "B"); /* b omitted, alpha absent */
	c2->domain = "local";
	ADD(m->graph->node, m->graph->n_node, c2);
	Onnx__NodeProto *c3 = node("Outer", "outer", "B", "Y");
	c3->domain = "local";
	ADD(m->graph->node, m->graph->n_node, c3);

	Graph *G = onnx_load(save("func.onnx", m));
	CU_ASSERT_EQUAL_FATAL(G->nnodes, 6);
	const char *names[6] = { "call1/mul", "call1/LeakyRelu_1", "call2/mul", "call2/LeakyRelu_1",
		"outer/inner/mul", "outer/inner/LeakyRelu_1" };
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_STRING_EQUAL(G->nodes[i]->name, names[i]);
		CU_ASSERT_EQUAL(G->nodes[i]->opset, 11); /* the function's import, not the model's 13 */
		CU_ASSERT_STRING_EQUAL(G->nodes[i]->domain, "");
	}
	Tensor *X = graph_find(G, "X");
	CU_ASSERT(G->nodes[0]->in[0] == X && G->nodes[0]->in[1] == X);
	CU_ASSERT_STRING_EQUAL(G->nodes[0]->out[0]->name, "call1/t");
	CU_ASSERT(G->nodes[1]->in[0] == G->nodes[0]->out[0]);
	CU_ASSERT(G->nodes[1]->out[0] == graph_find(G, "A"));
	CU_ASSERT(attr_float(G->nodes[1], "alpha", 0) == 0.25f);
	CU_ASSERT(G->nodes[2]->in[0] == graph_find(G, "A") && G->nodes[2]->in[1] == NULL);
	CU_ASSERT(attr_find(G->nodes[3], "alpha") == NULL);
	CU_ASSERT_STRING_EQUAL(G->nodes[4]->out[0]->name, "outer/inner/t");
	CU_ASSERT(G->nodes[4]->in[0] == graph_find(G, "B") && G->nodes[4]->in[1] == graph_find(G, "B"));
	CU_ASSERT(attr_float(G->nodes[5], "alpha", 0) == 0.5f);
	CU_ASSERT(G->nodes[5]->out[0] == graph_find(G, "Y") && G->outputs[0] == graph_find(G, "Y"));

	/* recursion */
	m = simple("4");
	Onnx__FunctionProto *r = NEW(Onnx__FunctionProto, ONNX__FUNCTION_PROTO__INIT);
	r->name = "Rec";
	r->domain = "local";
	r->input = split("a", &r->n_input);
	r->output = split("b", &r->n_output);
	r->node = xalloc(2 * sizeof *r->node);
	Onnx__NodeProto *self = node("Rec", "again", "a", "b");
	self->domain = "local";
	ADD(r->node, r->n_node, self);
	ADD(m->functions, m->n_functions, r);
	Onnx__NodeProto *c = node("Rec", "top", "X", "Y");
	c->domain = "local";
	ADD(m->graph->node, m->graph->n_node, c);
	expect_error(do_load, save("rec.onnx", m), "node 'top/again' (Rec): function 'Rec' calls itself");

	/* ref_attr_name outside a function */
	m = simple("4");
	c = node("LeakyRelu", "lr", "X", "Y");
	attr(c, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)->ref_attr_name = "alpha";
	ADD(m->graph->node, m->graph->n_node, c);
	expect_error(do_load, save("ref.onnx", m), "node 'lr' (LeakyRelu): attribute 'alpha' refers to 'alpha'");
}

int main(void)
{
	const char *base = getenv("ONNX2C_TEST_DIR");
	/* under ctest the build dir is ours alone: one fixed folder, rewritten each run */
	dir = base && *base ? xsprintf("%s/loader_test", base) : xsprintf("/tmp/loader_test_%d", (int)getpid());
	mkdir(dir, 0755);
	g_model_path = "test";
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("loader", NULL, NULL);
	CU_add_test(s, "initializers", test_initializers);
	CU_add_test(s, "bad data", test_bad_data);
	CU_add_test(s, "external data", test_external);
	CU_add_test(s, "files", test_files);
	CU_add_test(s, "outputs", test_outputs);
	CU_add_test(s, "batch", test_batch);
	CU_add_test(s, "dims", test_dims);
	CU_add_test(s, "bind", test_bind);
	CU_add_test(s, "constant attrs", test_constant_attrs);
	CU_add_test(s, "functions", test_functions);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
