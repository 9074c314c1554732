/*
 * emit.c - writes the generated C file and its header.
 *
 * Layout of a generated model.c:
 *   banner (generator, command line, model, producer, opset)
 *   templates/common.c and every kernel template an op asked for
 *   the weights (emit_weights.c): a string literal per weight (fast to
 *     compile: gcc parses a 100 MB literal in seconds, where a float
 *     initializer list of the same size takes minutes and gigabytes) and a
 *     named pointer to each (w_<ONNX tensor name>); or, with --weights FILE,
 *     the names as offsets into the weights the program binds at run time
 *     (PREFIX_bind_weights), and the weights in FILE
 *   one static function per kernel, headed by the ONNX nodes it covers
 *   the -DONNX2C_PROFILE timing (emit_run.c)
 *   the entry points (emit_entry.c): PREFIX_workspace_size, PREFIX_run_v,
 *     PREFIX_run; the per-sample function names every intermediate tensor's
 *     place in the workspace (t_<ONNX tensor name>)
 *   with --main: the I/O table and templates/runner.c (emit_run.c)
 *
 * Op emit hooks write function bodies into a memory stream, so templates
 * and weights they ask for are known before the file is assembled, and so
 * only the parameters a body leaves unused get a (void).  The entry points
 * are written before the file too: they may name weights as well.  Every
 * piece of C text (literals, names, comments) comes from ir/ctext.c.
 */
#define _GNU_SOURCE /* open_memstream */
#include "emit_internal.h"

#include <stdlib.h>
#include <string.h>

const char *g_weights_out;
const char *g_weights_options;
size_t g_weights_options_len;
const WeightsInfo *g_weights_expect;


/* ---- API for op emitters -------------------------------------------- */

void emitf(Emit *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(e->hook ? e->hook : e->body, fmt, ap);
	va_end(ap);
}

void emit_team(Emit *e)
{
	e->team = true;
}

/* Adds template name after the templates its header names on a line
 * " * Needs: a b ..." (in its first comment), each once, so the file pastes
 * them in dependency order.  depth stops a cycle among templates. */
static void need(Emit *e, const char *name, int depth)
{
	for (int i = 0; i < e->ntemplates; i++)
		if (!strcmp(e->templates[i], name))
			return;
	const char *text = template_text(name);
	if (!text)
		internal_error(__FILE__, __LINE__, xsprintf("no template named '%s'", name));
	if (depth > 16)
		internal_error(__FILE__, __LINE__, xsprintf("template '%s': a cycle of Needs: lines", name));
	const char *end = strstr(text, "*/"), *p = strstr(text, "\n * Needs:");
	if (p && end && p < end)
		for (p += strlen("\n * Needs:"); *p && *p != '\n';) {
			size_t n = strcspn(p, " \t\n");
			if (n)
				need(e, xsprintf("%.*s", (int)n, p), depth + 1);
			p += n ? n : 1;
		}
	e->templates = xrealloc_arr(e->templates, (size_t)e->ntemplates, (size_t)e->ntemplates + 1,
	                            sizeof *e->templates);
	e->templates[e->ntemplates++] = name;
}

void emit_need(Emit *e, const char *name)
{
	if (e->node) /* every kernel template shares its loops with the team */
		emit_team(e);
	need(e, name, 0);
}

/* Appends bytes to the blob at a 64-byte boundary; returns the offset. */
static size_t blob_add(Emit *e, const void *data, size_t n)
{
	size_t off = (e->blob_len + 63) & ~(size_t)63;
	check_limit((int64_t)(off + n), g_limits.weights, "the generated code's weights", "--max-weights");
	if (off + n > e->blob_cap) {
		size_t cap = e->blob_cap ? e->blob_cap : 1 << 20;
		while (cap < off + n)
			cap *= 2;
		unsigned char *b = realloc(e->blob, cap);
		if (!b)
			fatal("out of memory for %zu bytes of weights", cap);
		e->blob = b;
		e->blob_cap = cap;
	}
	memset(e->blob + e->blob_len, 0, off - e->blob_len);
	memcpy(e->blob + off, data, n);
	e->blob_len = off + n;
	return off;
}

static const char *weight_name(Emit *e, const Tensor *t, size_t off, size_t count)
{
	for (int i = 0; t && i < e->nweights; i++)
		if (e->weights[i].t == t)
			return e->weights[i].name;
	const char *text = t ? t->name : e->node ? e->node->name : "data";
	e->weights = xrealloc_arr(e->weights, (size_t)e->nweights, (size_t)e->nweights + 1, sizeof *e->weights);
	e->weights[e->nweights] = (WeightName){ t, t ? NULL : e->node, cnames_make(e->names, "w_", text), off, count };
	return e->weights[e->nweights++].name;
}

const char *emit_weights(Emit *e, const float *data, size_t count)
{
	size_t off = blob_add(e, data, count * sizeof(float));
	return weight_name(e, NULL, off / sizeof(float), count);
}

const char *emit_const(Emit *e, const Tensor *t)
{
	if (!t->data)
		internal_error(__FILE__, __LINE__, xsprintf("emit_const on non-constant '%s'", t->name));
	if (t->dtype != DT_FLOAT)
		fatal_node(e->node, "constant '%s' is %s; only float constants reach run time", t->name,
		           dtype_name(t->dtype));
	Tensor *m = (Tensor *)t;
	size_t count = (size_t)shape_numel(&t->shape);
	if (m->weight_off < 0)
		m->weight_off = (int64_t)blob_add(e, t->data, count * sizeof(float));
	return weight_name(e, t, (size_t)m->weight_off / sizeof(float), count);
}

/* ---- naming --------------------------------------------------------- */

const char *kernel_name(const Node *n)
{
	return xsprintf("k%03d_%s", n->id, c_lower(n->op_type));
}

/* A runtime tensor: one that lives in memory at run time (not a constant). */
bool runtime(const Tensor *t)
{
	return t && !tensor_is_const(t);
}

/* ---- per-node functions --------------------------------------------- */

static void attr_comment(FILE *f, const Node *n)
{
	for (int i = 0; i < n->nattrs; i++) {
		const Attr *a = &n->attrs[i];
		fprintf(f, " %s=", a->name);
		switch (a->type) {
		case AT_INT: fprintf(f, "%lld", (long long)a->i); break;
		case AT_FLOAT: fprintf(f, "%g", (double)a->f); break;
		case AT_STRING: fprintf(f, "%s", c_comment(a->s ? a->s : "")); break;
		case AT_INTS:
			for (int j = 0; j < a->nints; j++)
				fprintf(f, "%s%lld", j ? "," : "", (long long)a->ints[j]);
			break;
		case AT_FLOATS:
			for (int j = 0; j < a->nfloats; j++)
				fprintf(f, "%s%g", j ? "," : "", (double)a->floats[j]);
			break;
		case AT_TENSOR: fprintf(f, "<tensor>"); break;
		default: fprintf(f, "?"); break;
		}
	}
}

static const char *act_name(ActKind k)
{
	static const char *names[] = { "none", "Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid",
		"HardSwish", "SiLU", "Gelu", "Gelu(tanh)" };
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static void emit_node(Emit *e, Node *n)
{
	FILE *f = e->body;
	const OpDef *d = &op_table[n->op];
	e->node = n;
	fprintf(f, "/* %s '%s'", n->op_type, c_comment(n->name));
	attr_comment(f, n);
	fprintf(f, "\n");
	for (int i = 0; i < n->ncovers; i++)
		fprintf(f, " *   + %s\n", c_comment(n->covers[i]));
	if (n->act.kind)
		fprintf(f, " *   fused activation: %s\n", act_name(n->act.kind));
	for (int j = 0; j < n->nin; j++)
		if (n->in[j])
			fprintf(f, " *   in%d  %-10s %s%s '%s'\n", j, shape_str(&n->in[j]->shape),
			        dtype_name(n->in[j]->dtype), tensor_is_const(n->in[j]) ? " const" : "",
			        c_comment(n->in[j]->name));
	if (n->residual)
		fprintf(f, " *   res  %-10s '%s'\n", shape_str(&n->residual->shape), c_comment(n->residual->name));
	if (n->scratch)
		fprintf(f, " *   scratch %lld floats of working memory\n", (long long)shape_numel(&n->scratch->shape));
	for (int j = 0; j < n->nout; j++)
		if (n->out[j])
			fprintf(f, " *   out%d %-10s '%s'\n", j, shape_str(&n->out[j]->shape), c_comment(n->out[j]->name));
	fprintf(f, " */\nstatic void %s(", kernel_name(n));
	int np = 0;
	for (int j = 0; j < n->nin; j++)
		if (runtime(n->in[j]))
			fprintf(f, "%sconst float *restrict in%d", np++ ? ", " : "", j);
	if (n->residual)
		fprintf(f, "%sconst float *restrict res", np++ ? ", " : "");
	for (int j = 0; j < n->nout; j++)
		if (n->out[j])
			fprintf(f, "%sfloat *restrict out%d", np++ ? ", " : "", j);
	if (n->scratch)
		fprintf(f, "%sfloat *restrict scratch", np++ ? ", " : "");
	if (!np)
		fprintf(f, "void");
	fprintf(f, ")\n{\n");
	/* the hook writes the body apart, so only the parameters it leaves unused get a (void) */
	e->hook = open_memstream(&e->hook_buf, &e->hook_len);
	if (!e->hook)
		fatal("cannot allocate the output buffer");
	e->team = false;
	d->emit(e, n);
	n->team = e->team;
	fclose(e->hook);
	e->hook = NULL;
	CNames *used = cnames_new();
	c_idents(used, e->hook_buf, e->hook_len);
	for (int j = 0; j < n->nin; j++)
		if (runtime(n->in[j]) && !cnames_has(used, xsprintf("in%d", j)))
			fprintf(f, "\t(void)in%d;\n", j);
	if (n->residual && !cnames_has(used, "res"))
		fprintf(f, "\t(void)res;\n");
	for (int j = 0; j < n->nout; j++)
		if (n->out[j] && !cnames_has(used, xsprintf("out%d", j)))
			fprintf(f, "\t(void)out%d;\n", j);
	if (n->scratch && !cnames_has(used, "scratch"))
		fprintf(f, "\t(void)scratch;\n");
	fwrite(e->hook_buf, 1, e->hook_len, f);
	free(e->hook_buf);
	e->hook_buf = NULL;
	fprintf(f, "}\n\n");
	e->node = NULL;
}

/* A view node needs a kernel (a copy) only when the planner could not alias it. */
bool node_is_copy_view(const Node *n)
{
	return op_table[n->op].view && n->out[0] && !node_is_free_view(n);
}

static void emit_copy_node(Emit *e, Node *n)
{
	FILE *f = e->body;
	fprintf(f, "/* %s '%s' (a view the memory plan could not alias: copied)\n *   out0 %s '%s'\n */\n",
	        n->op_type, c_comment(n->name), shape_str(&n->out[0]->shape), c_comment(n->out[0]->name));
	fprintf(f, "static void %s(const float *restrict in0, float *restrict out0)\n{\n", kernel_name(n));
	fprintf(f, "\tmemcpy(out0, in0, %lld);\n}\n\n", (long long)tensor_bytes(n->out[0]));
}

/* ---- header --------------------------------------------------------- */

static void emit_io_doc(FILE *f, const Graph *g, bool outs)
{
	int n = outs ? g->noutputs : g->ninputs;
	for (int i = 0; i < n; i++) {
		const Tensor *t = outs ? g->outputs[i] : g->inputs[i];
		fprintf(f, " *   %s %d '%s': float [", outs ? "output" : "input ", i, c_comment(t->name));
		for (int k = 0; k < t->shape.rank; k++) {
			if (k == 0 && t->batched)
				fprintf(f, "batch");
			else
				fprintf(f, "%s%lld", k ? "," : "", (long long)t->shape.d[k]);
		}
		fprintf(f, "]\n");
	}
}

static void emit_header(Emit *e, FILE *f, const char *P, const char *U, const char *banner)
{
	Graph *g = e->g;
	fprintf(f, "%s", banner);
	fprintf(f, "#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", U, U);
	fprintf(f, "/*\n * Inputs and outputs (float32, row-major; a batched tensor holds `batch` samples back to back):\n");
	emit_io_doc(f, g, false);
	emit_io_doc(f, g, true);
	fprintf(f, " *\n * Usage:\n *   void *ws = malloc(%s_workspace_size(batch));\n", P);
	fprintf(f, " *   int status = %s_run(ws, batch, <inputs...>, <outputs...>);   (0 on success)\n", P);
	fprintf(f, " * The caller owns the workspace; two workspaces let two threads run at once.\n");
	fprintf(f, " * Threads inside a run: OpenMP (OMP_NUM_THREADS) when built with -fopenmp.\n */\n\n");
	fprintf(f, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n", U, g->ninputs, U, g->noutputs);
	fprintf(f, "#define %s_BATCHED %d /* 1: the first dim of every input and output is the run-time batch */\n",
	        U, g->batched ? 1 : 0);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, "#define %s_INPUT%d_SAMPLE_SIZE %lld /* floats per sample of '%s' */\n", U, i,
		        (long long)shape_numel(&g->inputs[i]->shape), c_comment(g->inputs[i]->name));
	for (int i = 0; i < g->noutputs; i++)
		fprintf(f, "#define %s_OUTPUT%d_SAMPLE_SIZE %lld /* floats per sample of '%s' */\n", U, i,
		        (long long)shape_numel(&g->outputs[i]->shape), c_comment(g->outputs[i]->name));
	fprintf(f, "#define %s_EINVAL 1 /* status: a NULL pointer or a bad batch */\n\n", U);
	if (g_weights_out)
		weights_write_header(f, P, U, e->weights_default);
	fprintf(f, "/* Bytes of workspace for a run of `batch` samples (aligned internally). */\n");
	fprintf(f, "size_t %s_workspace_size(int batch);\n\n", P);
	fprintf(f, "/* Runs the model: inputs[i] and outputs[i] in the order listed above. */\n");
	fprintf(f, "int %s_run_v(void *workspace, int batch, const float *const *inputs, float *const *outputs);\n\n", P);
	fprintf(f, "int %s_run(void *workspace, int batch", P);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, ", const float *%s", e->in_names[i]);
	for (int i = 0; i < g->noutputs; i++)
		fprintf(f, ", float *%s", e->out_names[i]);
	fprintf(f, ");\n\n");
	if (g->train)
		train_head_emit(g, NULL, f, P);
	fprintf(f, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

/* ---- the whole file --------------------------------------------------- */

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* What a fatal error during emission would leak when it does not exit (the
 * fuzz harness): run by arena_release, or at the end of emit_c. */
static void emit_free(void *p)
{
	Emit *e = p;
	FILE *streams[3] = { e->hook, e->decl, e->entry };
	for (int i = 0; i < 3; i++)
		if (streams[i])
			fclose(streams[i]);
	free(e->hook_buf);
	free(e->decl_buf);
	free(e->entry_buf);
	if (e->body)
		fclose(e->body);
	free(e->body_buf);
	free(e->blob);
}

static void close_file(void *f)
{
	fclose(f);
}

/* --weights FILE: the weights file is refused by code whose reading of it
 * differs, so the hash covers that code: the templates, the kernels and the
 * entry points (not the banner: a command line or a path may differ). */
static uint64_t model_hash(const Emit *e)
{
	uint64_t h = WEIGHTS_FNV_SEED;
	for (int i = 0; i < e->ntemplates; i++) {
		const char *t = template_text(e->templates[i]);
		h = weights_fnv(h, t, strlen(t) + 1);
	}
	h = weights_fnv(h, e->body_buf, e->body_len);
	return weights_fnv(h, e->entry_buf, e->entry_len);
}

/* Where the runner looks for the weights by default: FILE as given to onnx2c,
 * without the C file's folder when it is in it (the program is usually built
 * beside its C file, and a relative path is taken from the program's folder). */
static const char *weights_default(const char *c_path, const char *w)
{
	const char *cs = strrchr(c_path, '/'), *ws = strrchr(w, '/');
	size_t cd = cs ? (size_t)(cs - c_path) : 0, wd = ws ? (size_t)(ws - w) : 0;
	if (w[0] != '/' && cd == wd && !strncmp(c_path, w, cd))
		return ws ? ws + 1 : w;
	return w;
}

void emit_c(Graph *g, const char *c_path, const char *h_path, const char *P, bool with_main, const char *cmdline)
{
	/* in the arena, so a fatal error can still free its buffers (emit_free) */
	Emit *e = xalloc(sizeof *e);
	e->g = g;
	if (g_weights_out)
		e->weights_default = weights_default(c_path, g_weights_out);
	Cleanup *ce = on_release(emit_free, e);
	e->body = open_memstream(&e->body_buf, &e->body_len);
	if (!e->body)
		fatal("cannot allocate the output buffer");
	emit_need(e, "common.c");
	const char *U = c_upper(P);
	/* file-scope names: the entry points (and --train-head's), then the weights' */
	e->names = cnames_new();
	static const char *const entry_names[] = { "workspace_size", "sample", "run_v", "run", "profile_report",
		"head_weight", "head_bias", "head_onnx", "block", "block_init", "block_const", "block_params",
		"block_acts_size", "block_forward", "block_backward" };
	for (size_t i = 0; i < sizeof entry_names / sizeof entry_names[0]; i++)
		cnames_add(e->names, xsprintf("%s_%s", P, entry_names[i]));
	CNames *io = cnames_new();
	e->in_names = xalloc((size_t)(g->ninputs + 1) * sizeof *e->in_names);
	e->out_names = xalloc((size_t)(g->noutputs + 1) * sizeof *e->out_names);
	for (int i = 0; i < g->ninputs; i++)
		e->in_names[i] = cnames_make(io, "in_", g->inputs[i]->name);
	for (int i = 0; i < g->noutputs; i++)
		e->out_names[i] = cnames_make(io, "out_", g->outputs[i]->name);

	int kernels = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead)
			continue;
		if (op_table[n->op].view) {
			if (node_is_copy_view(n))
				emit_copy_node(e, n), kernels++;
			continue;
		}
		emit_node(e, n);
		kernels++;
	}
	/* constants that end up as graph outputs get their bytes now */
	for (int i = 0; i < g->noutputs; i++) {
		Tensor *t = g->outputs[i];
		if (t->dtype != DT_FLOAT)
			fatal_unsupported(NULL, "graph output '%s' is %s; only float outputs exist at run time", t->name,
			                  dtype_name(t->dtype));
		if (output_folded(t))
			emit_const(e, t);
	}
	fflush(e->body);
	/* the entry points before the weights: they may name constants too */
	e->entry = open_memstream(&e->entry_buf, &e->entry_len);
	if (!e->entry)
		fatal("cannot allocate the output buffer");
	emit_entry(e, e->entry, P, U);
	fflush(e->entry);
	g->weights_size = (int64_t)e->blob_len;

	char *banner = xsprintf("/*\n * Generated by onnx2c %s. Do not edit.\n * command: %s\n * model:   %s\n"
	                        " * producer: %s, IR version %lld, opset %lld\n */\n",
	                        ONNX2C_VERSION, c_comment(cmdline), c_comment(basename_of(g->path)),
	                        c_comment(g->producer ? g->producer : "unknown"), (long long)g->ir_version,
	                        (long long)g->opset);

	/* the file's size before it is written: the templates, the blob as a string literal
	 * (at most 4 characters a byte, 3 more a 4000-character line), the bodies, and the
	 * entry points (a few KB, plus a line per tensor) */
	int64_t source = (int64_t)strlen(banner) + 4 * (int64_t)e->blob_len + 3 * (int64_t)(e->blob_len / 1000 + 1) +
	                 (int64_t)e->body_len + 65536 + 256 * (int64_t)g->ntensors;
	for (int i = 0; i < e->ntemplates; i++)
		source += (int64_t)strlen(template_text(e->templates[i]));
	check_limit(source, g_limits.source, "the generated C source", "--max-source");

	CNames *used = cnames_new();
	c_idents(used, e->body_buf, e->body_len);
	c_idents(used, e->entry_buf, e->entry_len);
	WeightsOut wo = { .blob = e->blob, .len = e->blob_len, .w = e->weights, .nw = e->nweights, .used = used,
		          .options = g_weights_options, .options_len = g_weights_options_len,
		          .expect = g_weights_expect };
	if (g_weights_out) { /* refused before anything is written when it does not fit (weights only) */
		weights_compact(&wo);
		wo.model_hash = model_hash(e);
		weights_check_fits(&wo, g_weights_out);
	}

	char *tmp = xsprintf("%s.tmp", c_path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		fatal("cannot write '%s'", tmp);
	Cleanup *cf = on_release(close_file, f);
	fputs(banner, f);
	fprintf(f, "#include \"%s\"\n\n", basename_of(h_path));
	for (int i = 0; i < e->ntemplates; i++) {
		fprintf(f, "/* ---- template %s ---- */\n", e->templates[i]);
		fputs(template_text(e->templates[i]), f);
		fputc('\n', f);
	}
	if (g_weights_out) {
		weights_write_external(f, &wo, P, U);
	} else {
		weights_write_embedded(f, &wo);
	}
	fwrite(e->body_buf, 1, e->body_len, f);
	fprintf(f, "/* ---- entry points ---- */\n\n");
	emit_profile(g, f, P);
	bool q8 = false; /* the int8 region's tensors need their own dump (O2C_DUMP_Q8) */
	for (int i = 0; i < g->ntensors && !q8; i++)
		q8 = g->tensors[i]->q8;
	fprintf(f, "#ifdef ONNX2C_DUMP\n/* Debug build: after each kernel, every tensor it wrote is passed to this\n"
	           " * function, which the program linking the model provides (onnx2c verify does). */\n"
	           "void onnx2c_dump(const char *tensor, const char *node, int sample, const float *data, long long numel);\n"
	           "#define O2C_DUMP(t, nd, s, p, n) do { if (o2c_thread0()) onnx2c_dump(t, nd, s, p, n); o2c_sync(); } while (0)\n");
	if (q8)
		fprintf(f, "/* a q8 tensor (int8 region, NHWC u8 with C channels): its integer values, NCHW, as floats */\n"
		           "#include <stdlib.h>\n"
		           "#define O2C_DUMP_Q8(t, nd, s, p, n, C, s8) do { if (o2c_thread0()) o2c_dump_q8(t, nd, s, p, n, C, s8); "
		           "o2c_sync(); } while (0)\n"
		           "static void o2c_dump_q8(const char *t, const char *nd, int s, const void *p, long long n, long long C, "
		           "int s8)\n{\n\tconst unsigned char *q = p;\n\tfloat *f = malloc((size_t)n * sizeof *f);\n"
		           "\tif (!f)\n\t\treturn;\n\tfor (long long i = 0, HW = n / C; i < n; i++)\n"
		           "\t\tf[i %% C * HW + i / C] = (float)((int)q[i] - (s8 ? 128 : 0));\n"
		           "\tonnx2c_dump(t, nd, s, f, n);\n\tfree(f);\n}\n");
	fprintf(f, "#else\n#define O2C_DUMP(t, nd, s, p, n) ((void)0)\n%s#endif\n\n",
	        q8 ? "#define O2C_DUMP_Q8(t, nd, s, p, n, C, s8) ((void)0)\n" : "");
	fwrite(e->entry_buf, 1, e->entry_len, f);
	if (with_main)
		emit_main(f, g, P, e->weights_default);
	if (g->train)
		train_head_emit(g, f, NULL, P);
	cleanup_done(cf);
	if (fclose(f) != 0)
		fatal("error writing '%s'", tmp);
	if (rename(tmp, c_path) != 0)
		fatal("cannot rename '%s' to '%s'", tmp, c_path);

	char *htmp = xsprintf("%s.tmp", h_path);
	FILE *h = fopen(htmp, "w");
	if (!h)
		fatal("cannot write '%s'", htmp);
	emit_header(e, h, P, U, banner);
	if (fclose(h) != 0 || rename(htmp, h_path) != 0)
		fatal("cannot write '%s'", h_path);
	if (g_weights_out)
		weights_write_file(g_weights_out, &wo);

	progress("%d nodes -> %d kernels, weights %.1f MB, workspace %.1f MB", g->nnodes, kernels,
	         (double)e->blob_len / 1e6, (double)g->arena_size / 1e6);
	cleanup_done(ce);
	emit_free(e);
}
