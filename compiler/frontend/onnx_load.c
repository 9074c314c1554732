/*
 * onnx_load.c - reads an .onnx file into the IR: model metadata, opsets,
 * initializers (constants), graph inputs and outputs, and the nodes (via
 * onnx_nodes.c).  Also the three steps main runs right after loading, which
 * decide what the run-time inputs look like:
 *   fix_dims      --dim NAME=V   replaces a symbolic dimension everywhere
 *   bind_input    --bind NAME=F  makes a graph input a constant from a .pb
 *   resolve_dims                 detects the batch, refuses anything else
 *                                still symbolic or not float
 *
 * The protobuf is unpacked with protobuf-c, everything needed is copied into
 * the arena, and the protobuf is freed before returning: the IR never points
 * into it.  The file is untrusted; every problem is a message naming the
 * file and what is wrong, never a crash (see tests/bad/).
 */
#define _XOPEN_SOURCE 700
#include "onnx_load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Whole file into a malloc'd buffer (freed by the caller once unpacked). */
static uint8_t *read_whole(const char *path, const char *what, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fatal("cannot open %s '%s': %s", what, path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		fatal("%s '%s' is not a regular file", what, path);
	}
	if (st.st_size == 0) {
		fclose(f);
		fatal("%s '%s' is empty (0 bytes)", what, path);
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n);
	if (!buf) {
		fclose(f);
		fatal("out of memory reading %s '%s' (%zu bytes)", what, path, n);
	}
	if (fread(buf, 1, n, f) != n) {
		free(buf);
		fclose(f);
		fatal("reading %s '%s' failed", what, path);
	}
	fclose(f);
	*len = n;
	return buf;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	char *d = xstrdup(path);
	d[slash - path] = 0;
	return d;
}

/* Declared type and shape of a graph input or output.  An unknown rank is
 * rank -1; a symbolic dim is -1 with its name in dim_param ("?" when the
 * model names none). */
static void read_value_info(const Onnx__ValueInfoProto *vi, const char *what, Tensor *t)
{
	const Onnx__TypeProto *tp = vi->type;
	if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
		fatal_unsupported(NULL, "%s is not a tensor (sequence, map, optional and sparse values are not supported)",
		                  what);
	const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
	t->dtype = onnx_dtype(tt->has_elem_type ? tt->elem_type : 0, what);
	const Onnx__TensorShapeProto *sp = tt->shape;
	if (!sp) {
		t->shape.rank = -1;
		return;
	}
	if (sp->n_dim > MAX_RANK)
		fatal_unsupported(NULL, "%s has rank %zu; at most %d dimensions are supported", what, sp->n_dim, MAX_RANK);
	t->shape.rank = (int)sp->n_dim;
	for (size_t i = 0; i < sp->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
		t->dim_param[i] = NULL;
		if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
			if (d->dim_value < 0)
				fatal("%s has a negative dimension %lld at axis %zu", what, (long long)d->dim_value, i);
			t->shape.d[i] = d->dim_value;
		} else {
			t->shape.d[i] = -1;
			bool named = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
			             d->dim_param && *d->dim_param;
			t->dim_param[i] = named ? xstrdup(d->dim_param) : "?";
		}
	}
}

static void push(Tensor ***arr, int *n, Tensor *t)
{
	*arr = xrealloc_arr(*arr, (size_t)*n, (size_t)*n + 1, sizeof **arr);
	(*arr)[(*n)++] = t;
}

static void free_model(void *m)
{
	protobuf_c_message_free_unpacked(&((Onnx__ModelProto *)m)->base, NULL);
}

static Graph *load_model(const char *path, Onnx__ModelProto *m);

/* What the initializers' dims say they hold, in bytes, before any is decoded (saturating;
 * a tensor with a negative or overflowing dim or a type without a fixed size is left to its
 * decoder, whose message is more precise). */
static int64_t initializer_bytes(const Onnx__GraphProto *gp)
{
	static const int8_t size[] = { 0, 4, 1, 1, 2, 2, 4, 8, 0, 1, 2, 8, 4, 8 };
	int64_t total = 0;
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		int64_t n = tp->data_type > 0 && tp->data_type < (int32_t)sizeof size ? size[tp->data_type] : 0;
		for (size_t k = 0; k < tp->n_dims && n > 0; k++)
			if (tp->dims[k] < 0)
				n = 0;
			else if (__builtin_mul_overflow(n, tp->dims[k], &n))
				n = 0;
		if (__builtin_add_overflow(total, n, &total))
			return INT64_MAX;
	}
	return total;
}

Graph *onnx_load(const char *path)
{
	g_model_path = path;
	size_t len;
	uint8_t *buf = read_whole(path, "model", &len);
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	return load_model(path, m);
}

Graph *onnx_load_buffer(const char *path, const uint8_t *buf, size_t len)
{
	g_model_path = path;
	return load_model(path, onnx__model_proto__unpack(NULL, len, buf));
}

static Graph *load_model(const char *path, Onnx__ModelProto *m)
{
	if (!m)
		fatal("not a valid ONNX model (protobuf parse failed; truncated or corrupt file?)");
	/* a fatal error below leaves m to the cleanup (the command exits; the
	 * fuzz harness releases the arena) */
	Cleanup *cm = on_release(free_model, m);
	if (!m->graph)
		fatal("not a valid ONNX model (it has no graph; is this an ONNX file?)");
	const Onnx__GraphProto *gp = m->graph;

	Graph *g = graph_new(path);
	g->ir_version = m->has_ir_version ? m->ir_version : 0;
	g->producer = xsprintf("%s%s%s", m->producer_name && *m->producer_name ? m->producer_name : "unknown",
	                       m->producer_version && *m->producer_version ? " " : "",
	                       m->producer_version ? m->producer_version : "");
	g->opset = onnx_opset_for(m->opset_import, m->n_opset_import, "");
	if (g->opset < 0)
		fatal("the model imports no opset for the default ONNX domain (opset_import is missing)");
	char *dir = dir_of(path);
	check_limit(initializer_bytes(gp), g_limits.weights, "the model's initializers", "--max-weights");

	if (gp->n_sparse_initializer)
		fatal_unsupported(NULL, "the model has sparse initializers ('%s'), which are not supported",
		                  gp->sparse_initializer[0]->values && gp->sparse_initializer[0]->values->name
		                  ? gp->sparse_initializer[0]->values->name : "?");
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		if (!tp->name || !*tp->name)
			fatal("initializer %zu has no name", i);
		if (graph_find(g, tp->name))
			fatal("initializer '%s' is defined twice", tp->name);
		Tensor *t = graph_tensor(g, tp->name);
		onnx_decode_tensor(tp, xsprintf("initializer '%s'", tp->name), dir, t);
	}

	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		if (!vi->name || !*vi->name)
			fatal("graph input %zu has no name", i);
		Tensor *t = graph_find(g, vi->name);
		/* IR < 4 lists initializers among the inputs too (as overridable
		 * defaults); they stay constants here */
		if (t && t->kind == T_CONST)
			continue;
		if (t)
			fatal("graph input '%s' is listed twice", vi->name);
		t = graph_tensor(g, vi->name);
		t->kind = T_INPUT;
		read_value_info(vi, xsprintf("graph input '%s'", vi->name), t);
		t->io_index = g->ninputs;
		t->file_index = g->ninputs; /* test-data files keep this numbering after --bind */
		push(&g->inputs, &g->ninputs, t);
	}

	onnx_build_nodes(g, m, dir);

	for (size_t i = 0; i < gp->n_output; i++) {
		const Onnx__ValueInfoProto *vi = gp->output[i];
		if (!vi->name || !*vi->name)
			fatal("graph output %zu has no name", i);
		Tensor *t = graph_find(g, vi->name);
		if (!t || (t->kind == T_TEMP && !t->producer) || t->kind == T_OUTPUT)
			fatal(t && t->kind == T_OUTPUT ? "graph output '%s' is listed twice"
			                               : "graph output '%s' is not produced by any node", vi->name);
		push(&g->outputs, &g->noutputs, t);
		if (t->kind == T_INPUT || t->kind == T_CONST) {
			/* An output that is directly a graph input or an initializer
			 * keeps its kind (and an input keeps its io_index among the
			 * inputs): the emitter finds its output position in
			 * g->outputs and writes a copy. */
			continue;
		}
		t->kind = T_OUTPUT;
		t->io_index = (int)i;
		/* the declared type is a hint only: inference overwrites it and
		 * has_shape stays false until then */
		if (vi->type && vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
			Tensor decl = { 0 };
			read_value_info(vi, xsprintf("graph output '%s'", vi->name), &decl);
			t->dtype = decl.dtype;
			t->shape = decl.shape.rank < 0 ? (Shape){ 0 } : decl.shape;
		}
	}
	if (!g->noutputs)
		fatal("the graph has no outputs");

	progress("loaded %s: IR %lld, opset %lld, producer %s, %d nodes, %d tensors", path,
	         (long long)g->ir_version, (long long)g->opset, g->producer, g->nnodes, g->ntensors);
	cleanup_done(cm);
	free_model(m);
	return g;
}

/* ---- run-time inputs: --dim, --bind, batch detection --------------------- */

void fix_dims(Graph *g, const char *name, int64_t value)
{
	int hits = 0;
	for (int i = 0; i < g->ninputs; i++) {
		Tensor *t = g->inputs[i];
		for (int k = 0; k < t->shape.rank; k++)
			if (t->dim_param[k] && !strcmp(t->dim_param[k], name)) {
				t->shape.d[k] = value;
				t->dim_param[k] = NULL;
				hits++;
			}
	}
	if (hits)
		return;
	char *known = xstrdup("");
	for (int i = 0; i < g->ninputs; i++)
		for (int k = 0; k < g->inputs[i]->shape.rank; k++) {
			const char *p = g->inputs[i]->dim_param[k];
			if (p && strcmp(p, "?") && !strstr(known, xsprintf("'%s'", p)))
				known = xsprintf("%s%s'%s'", known, *known ? ", " : "", p);
		}
	fatal("--dim %s: no graph input has a symbolic dimension named '%s' (symbolic dimensions: %s)", name, name,
	      *known ? known : "none");
}

static void free_tensor_proto(void *tp)
{
	protobuf_c_message_free_unpacked(&((Onnx__TensorProto *)tp)->base, NULL);
}

void bind_input(Graph *g, const char *name, const char *pb_path)
{
	Tensor *t = NULL;
	int at = -1;
	for (int i = 0; i < g->ninputs; i++)
		if (!strcmp(g->inputs[i]->name, name)) {
			t = g->inputs[i];
			at = i;
		}
	if (!t) {
		Tensor *c = graph_find(g, name);
		fatal("--bind %s: %s", name, c && c->kind == T_CONST ? "it is already a constant (an initializer)"
		                             : "the model has no graph input with this name");
	}
	const char *what = xsprintf("--bind %s: tensor file", name);
	size_t len;
	uint8_t *buf = read_whole(pb_path, what, &len);
	Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
	free(buf);
	if (!tp)
		fatal("%s '%s' is not a valid TensorProto (protobuf parse failed)", what, pb_path);
	Cleanup *ct = on_release(free_tensor_proto, tp);
	Tensor v = { 0 };
	onnx_decode_tensor(tp, xsprintf("%s '%s'", what, pb_path), dir_of(pb_path), &v);
	cleanup_done(ct);
	free_tensor_proto(tp);

	if (v.dtype != t->dtype)
		fatal("--bind %s: '%s' holds %s data but the input is declared %s", name, pb_path, dtype_name(v.dtype),
		      dtype_name(t->dtype));
	bool ok = t->shape.rank < 0 || t->shape.rank == v.shape.rank;
	for (int k = 0; ok && k < v.shape.rank && t->shape.rank >= 0; k++)
		ok = t->dim_param[k] || t->shape.d[k] == v.shape.d[k];
	if (!ok)
		fatal("--bind %s: '%s' has shape %s but the input is declared with a different shape", name, pb_path,
		      shape_str(&v.shape));

	t->kind = T_CONST;
	t->shape = v.shape;
	t->data = v.data;
	t->has_shape = true;
	t->io_index = 0;
	for (int k = 0; k < MAX_RANK; k++)
		t->dim_param[k] = NULL;
	for (int i = at; i + 1 < g->ninputs; i++) {
		g->inputs[i] = g->inputs[i + 1];
		g->inputs[i]->io_index = i;
	}
	g->ninputs--;
}

void resolve_dims(Graph *g)
{
	/* the batch: a symbolic first dim, one name for all inputs */
	for (int i = 0; i < g->ninputs; i++) {
		Tensor *t = g->inputs[i];
		if (t->shape.rank < 1 || !t->dim_param[0])
			continue;
		const char *p = t->dim_param[0];
		if (!g->batch_param || !strcmp(g->batch_param, "?")) {
			g->batch_param = p;
		} else if (strcmp(p, "?") && strcmp(p, g->batch_param)) {
			error_node(NULL, "graph input '%s' has symbolic first dimension '%s' but another input's is '%s'; "
			           "the batch must be one dimension (fix one with --dim %s=VALUE)", t->name, p,
			           g->batch_param, p);
			continue;
		}
		t->shape.d[0] = 1;
		t->batched = true;
		g->batched = true;
	}
	if (g->batched && !strcmp(g->batch_param, "?"))
		g->batch_param = "N";

	int nonfloat = 0;
	for (int i = 0; i < g->ninputs; i++) {
		Tensor *t = g->inputs[i];
		if (t->shape.rank < 0) {
			error_node(NULL, "graph input '%s' has no declared shape; onnx2c needs the input shapes", t->name);
			continue;
		}
		for (int k = t->batched ? 1 : 0; k < t->shape.rank; k++) {
			if (!t->dim_param[k])
				continue;
			if (!strcmp(t->dim_param[k], "?"))
				error_node(NULL, "graph input '%s' has an unnamed dynamic dimension at axis %d; only the "
				           "first (batch) dimension may be dynamic - re-export the model with a fixed size",
				           t->name, k);
			else
				error_node(NULL, "graph input '%s' has symbolic dimension '%s' at axis %d; only the first "
				           "(batch) dimension may be symbolic - fix it with --dim %s=VALUE", t->name,
				           t->dim_param[k], k, t->dim_param[k]);
		}
		if (t->dtype != DT_FLOAT) {
			/* a valid model we cannot run as it is: "unsupported" (exit 3) */
			fprintf(stderr, "%s: unsupported: graph input '%s' is %s; only float inputs exist at run time - "
			        "make it a constant with --bind %s=FILE.pb\n", g_model_path, t->name,
			        dtype_name(t->dtype), t->name);
			nonfloat++;
		}
		int64_t n = 1;
		bool over = false;
		for (int k = 0; k < t->shape.rank; k++)
			if (t->shape.d[k] >= 0 && __builtin_mul_overflow(n, t->shape.d[k], &n))
				over = true;
		if (over || n > ((int64_t)1 << 40))
			error_node(NULL, "graph input '%s' has shape %s, which is too large", t->name,
			           shape_str(&t->shape));
	}
	die_if_errors(EXIT_ERROR);
	if (nonfloat)
		fatal_exit(EXIT_UNSUPPORTED);
	for (int i = 0; i < g->ninputs; i++)
		g->inputs[i]->has_shape = true;
}
