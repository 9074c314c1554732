/*
 * emit.c - writes the generated C file and its header.
 *
 * Layout of a generated model.c:
 *   banner (generator, command line, model, producer, opset)
 *   templates/common.c and every kernel template an op asked for
 *   the weights blob: one string literal (fast to compile: gcc parses a
 *     100 MB literal in seconds, where a float initializer list of the same
 *     size takes minutes and gigabytes)
 *   one static function per kernel, headed by the ONNX nodes it covers
 *   the entry points: PREFIX_workspace_size, PREFIX_run_v, PREFIX_run
 *   with --main: the I/O table and templates/runner.c
 *
 * Op emit hooks write function bodies into a memory stream, so templates
 * and weights they ask for are known before the file is assembled.
 */
#define _GNU_SOURCE /* open_memstream */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

struct Emit {
	Graph *g;
	FILE *body;            /* function bodies, assembled later */
	char *body_buf; size_t body_len;
	unsigned char *blob;   /* weights */
	size_t blob_len, blob_cap;
	const char **templates; int ntemplates;
	const Node *node;      /* node being emitted (for messages) */
	bool team;             /* the node's function is a team function (emit_team) */
};

/* ---- API for op emitters -------------------------------------------- */

void emitf(Emit *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(e->body, fmt, ap);
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

const char *emit_weights(Emit *e, const float *data, size_t count)
{
	size_t off = blob_add(e, data, count * sizeof(float));
	return xsprintf("(o2c_W + %zu)", off / sizeof(float));
}

const char *emit_const(Emit *e, const Tensor *t)
{
	if (!t->data)
		internal_error(__FILE__, __LINE__, xsprintf("emit_const on non-constant '%s'", t->name));
	if (t->dtype != DT_FLOAT)
		fatal_node(e->node, "constant '%s' is %s; only float constants reach run time", t->name,
		           dtype_name(t->dtype));
	Tensor *m = (Tensor *)t;
	if (m->weight_off < 0)
		m->weight_off = (int64_t)blob_add(e, t->data, (size_t)shape_numel(&t->shape) * sizeof(float));
	return xsprintf("(o2c_W + %lld)", (long long)(m->weight_off / (int64_t)sizeof(float)));
}

/* ---- naming --------------------------------------------------------- */

static char *c_ident(const char *s)
{
	char *p = xstrdup(*s ? s : "t");
	for (char *q = p; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
			*q = '_';
	return p;
}

/* Node and tensor names go into C comments: keep them from closing the comment. */
static char *comment_safe(const char *s)
{
	char *p = xstrdup(s);
	for (char *q = p; *q; q++)
		if ((q[0] == '*' && q[1] == '/') || (q[0] == '/' && q[1] == '*') || *q == '\n' || *q == '\r')
			q[0] = '_';
	return p;
}

static char *lower(const char *s)
{
	char *p = xstrdup(s);
	for (char *q = p; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	return p;
}

static const char *kernel_name(const Node *n)
{
	return xsprintf("k%03d_%s", n->id, lower(n->op_type));
}

/* A runtime tensor: one that lives in memory at run time (not a constant). */
static bool runtime(const Tensor *t)
{
	return t && !tensor_is_const(t);
}

/* A C string literal for s. */
static char *c_string(const char *s)
{
	size_t n = strlen(s);
	char *p = xalloc(4 * n + 3), *q = p;
	*q++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			*q++ = '\\';
			*q++ = (char)c;
		} else if (c < 0x20 || c > 0x7e || c == '?') {
			q += sprintf(q, "\\%03o", c);
		} else {
			*q++ = (char)c;
		}
	}
	*q++ = '"';
	*q = 0;
	return p;
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
		case AT_STRING: fprintf(f, "%s", comment_safe(a->s ? a->s : "")); break;
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
		"HardSwish" };
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static void emit_node(Emit *e, Node *n)
{
	FILE *f = e->body;
	const OpDef *d = &op_table[n->op];
	e->node = n;
	fprintf(f, "/* %s '%s'", n->op_type, comment_safe(n->name));
	attr_comment(f, n);
	fprintf(f, "\n");
	for (int i = 0; i < n->ncovers; i++)
		fprintf(f, " *   + %s\n", comment_safe(n->covers[i]));
	if (n->act.kind)
		fprintf(f, " *   fused activation: %s\n", act_name(n->act.kind));
	for (int j = 0; j < n->nin; j++)
		if (n->in[j])
			fprintf(f, " *   in%d  %-10s %s%s '%s'\n", j, shape_str(&n->in[j]->shape),
			        dtype_name(n->in[j]->dtype), tensor_is_const(n->in[j]) ? " const" : "",
			        comment_safe(n->in[j]->name));
	if (n->residual)
		fprintf(f, " *   res  %-10s '%s'\n", shape_str(&n->residual->shape), comment_safe(n->residual->name));
	if (n->scratch)
		fprintf(f, " *   scratch %lld floats of working memory\n", (long long)shape_numel(&n->scratch->shape));
	for (int j = 0; j < n->nout; j++)
		if (n->out[j])
			fprintf(f, " *   out%d %-10s '%s'\n", j, shape_str(&n->out[j]->shape), comment_safe(n->out[j]->name));
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
	for (int j = 0; j < n->nin; j++)
		if (runtime(n->in[j]))
			fprintf(f, "\t(void)in%d;\n", j);
	if (n->residual)
		fprintf(f, "\t(void)res;\n");
	for (int j = 0; j < n->nout; j++)
		if (n->out[j])
			fprintf(f, "\t(void)out%d;\n", j);
	if (n->scratch)
		fprintf(f, "\t(void)scratch;\n");
	e->team = false;
	d->emit(e, n);
	n->team = e->team;
	fprintf(f, "}\n\n");
	e->node = NULL;
}

/* A view node needs a kernel (a copy) only when the planner could not alias it. */
static bool node_is_copy_view(const Node *n)
{
	return op_table[n->op].view && n->out[0] && !node_is_free_view(n);
}

static void emit_copy_node(Emit *e, Node *n)
{
	FILE *f = e->body;
	int64_t numel = shape_numel(&n->out[0]->shape);
	fprintf(f, "/* %s '%s' (a view the memory plan could not alias: copied)\n *   out0 %s '%s'\n */\n",
	        n->op_type, comment_safe(n->name), shape_str(&n->out[0]->shape), comment_safe(n->out[0]->name));
	fprintf(f, "static void %s(const float *restrict in0, float *restrict out0)\n{\n", kernel_name(n));
	fprintf(f, "\tmemcpy(out0, in0, %lld * sizeof(float));\n}\n\n", (long long)numel);
}

/* ---- the entry point ------------------------------------------------ */

/* A graph output computed entirely at compile time: its bytes are in the blob. */
static bool output_folded(const Tensor *t)
{
	return t->data && (!t->producer || t->producer->dead);
}

static Tensor *root_of(const Tensor *t, int64_t *off)
{
	*off = 0;
	while (t->alias) {
		*off += t->alias_off;
		t = t->alias;
	}
	return (Tensor *)t;
}

/* C expression for where tensor t lives during sample n of the entry loop. */
static const char *tensor_expr(Emit *e, const Tensor *t)
{
	int64_t off;
	const Tensor *r = root_of(t, &off);
	const char *base;
	switch (r->kind) {
	case T_INPUT: base = xsprintf("x%d", r->io_index); break;
	case T_OUTPUT: base = xsprintf("y%d", r->io_index); break;
	case T_CONST: base = emit_const(e, r); break;
	default:
		ASSERT(r->arena_off >= 0);
		return xsprintf("(float *)(ws + %lld)", (long long)(r->arena_off + off));
	}
	if (off)
		return xsprintf("(%s + %lld)", base, (long long)(off / (int64_t)sizeof(float)));
	return base;
}

static void emit_entry(Emit *e, FILE *f, const char *P)
{
	Graph *g = e->g;
	/* one arena per sample run side by side (o2c_sample_slots in templates/common.c) */
	const long long arena = (g->arena_size + 63) / 64 * 64;
	fprintf(f, "size_t %s_workspace_size(int batch)\n{\n"
	           "\treturn (size_t)%lld * (size_t)o2c_sample_slots(batch) + 64;\n}\n\n", P, arena);

	/* one sample: every node in order, on the threads of the current team */
	fprintf(f, "static void %s_sample(unsigned char *ws, int n, const float *const *inputs, float *const *outputs)\n{\n",
	        P);
	fprintf(f, "\t(void)ws;\n\t(void)n;\n\t(void)inputs;\n\t(void)outputs;\n");
	for (int i = 0; i < g->ninputs; i++) {
		Tensor *t = g->inputs[i];
		fprintf(f, "\tconst float *x%d = inputs[%d] + (size_t)n * %lld; /* '%s' %s */\n", i, i,
		        (long long)shape_numel(&t->shape), comment_safe(t->name), shape_str(&t->shape));
		fprintf(f, "\t(void)x%d;\n", i);
	}
	for (int i = 0; i < g->noutputs; i++) {
		Tensor *t = g->outputs[i];
		fprintf(f, "\tfloat *y%d = outputs[%d] + (size_t)n * %lld; /* '%s' %s */\n", i, i,
		        (long long)shape_numel(&t->shape), comment_safe(t->name), shape_str(&t->shape));
		fprintf(f, "\t(void)y%d;\n", i);
	}
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead)
			continue;
		if (op_table[n->op].view && !node_is_copy_view(n))
			continue;
		fprintf(f, "\tO2C_PROF(%d, O2C_NODE(%d, %s(", n->id, n->team ? 1 : 0, kernel_name(n));
		int np = 0;
		if (node_is_copy_view(n)) {
			fprintf(f, "%s, %s", tensor_expr(e, n->in[0]), tensor_expr(e, n->out[0]));
			np = 2;
		} else {
			for (int j = 0; j < n->nin; j++)
				if (runtime(n->in[j]))
					fprintf(f, "%s%s", np++ ? ", " : "", tensor_expr(e, n->in[j]));
			if (n->residual)
				fprintf(f, "%s%s", np++ ? ", " : "", tensor_expr(e, n->residual));
			for (int j = 0; j < n->nout; j++)
				if (n->out[j])
					fprintf(f, "%s%s", np++ ? ", " : "", tensor_expr(e, n->out[j]));
			if (n->scratch)
				fprintf(f, "%s%s", np++ ? ", " : "", tensor_expr(e, n->scratch));
		}
		fprintf(f, ")));\n");
		for (int j = 0; j < n->nout; j++)
			if (n->out[j])
				fprintf(f, "\tO2C_DUMP(%s, %s, n, %s, %lld);\n", c_string(n->out[j]->name),
				        c_string(n->name), tensor_expr(e, n->out[j]), (long long)shape_numel(&n->out[j]->shape));
	}
	/* outputs that no kernel writes: constants and graph inputs passed through
	 * (the planner never aliases a graph output into other memory) */
	for (int i = 0; i < g->noutputs; i++) {
		Tensor *t = g->outputs[i];
		const char *src;
		if (output_folded(t))
			src = emit_const(e, t);
		else if (t->kind == T_INPUT)
			src = xsprintf("x%d", t->io_index);
		else
			continue;
		fprintf(f, "\tif (o2c_thread0())\n\t\tmemcpy(y%d, %s, %lld * sizeof(float));\n", i, src,
		        (long long)shape_numel(&t->shape));
	}
	fprintf(f, "}\n\n");

	fprintf(f, "int %s_run_v(void *workspace, int batch, const float *const *inputs, float *const *outputs)\n{\n", P);
	/* a fixed-shape model runs exactly one "sample": the whole tensor */
	fprintf(f, "\tif (batch %s)\n\t\treturn %s_EINVAL;\n", g->batched ? "< 1" : "!= 1", P);
	fprintf(f, "\tif (!workspace%s%s)\n\t\treturn %s_EINVAL;\n", g->ninputs ? " || !inputs" : "",
	        g->noutputs ? " || !outputs" : "", P);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, "\tif (!inputs[%d])\n\t\treturn %s_EINVAL;\n", i, P);
	for (int i = 0; i < g->noutputs; i++)
		fprintf(f, "\tif (!outputs[%d])\n\t\treturn %s_EINVAL;\n", i, P);
	fprintf(f, "\tunsigned char *ws = (unsigned char *)(((uintptr_t)workspace + 63) & ~(uintptr_t)63);\n");
	/* One parallel region per run: team nodes run on every thread, the
	 * others on thread 0, with an o2c_sync() after each (O2C_NODE).  With at
	 * least as many samples as threads, each thread first runs whole samples
	 * alone in an arena of its own (an inner region of one thread, so the
	 * kernels' loops and barriers are its alone): no barrier between layers,
	 * no cross-core traffic; the samples left over run on the whole team. */
	fprintf(f, "\tO2cTeam team = { 0, 0, NULL, 0 };\n\t(void)team;\n\tO2C_OMP(parallel)\n\t{\n");
	fprintf(f, "\t\tO2C_TEAM_BEGIN(team);\n");
	fprintf(f, "\t\tconst int nth = o2c_nthreads(), tid = o2c_tid();\n\t\tint n0 = 0;\n");
	fprintf(f, "\t\tif (nth > 1 && batch >= nth && nth <= o2c_sample_slots(batch)) {\n"
	           "\t\t\tn0 = batch / nth * nth;\n"
	           "\t\t\tfor (int n = tid; n < n0; n += nth) {\n"
	           "\t\t\t\tO2C_OMP(parallel num_threads(1))\n"
	           "\t\t\t\t%s_sample(ws + (size_t)tid * %lld, n, inputs, outputs);\n"
	           "\t\t\t}\n\t\t\to2c_sync(); /* the team reuses thread 0's arena */\n\t\t}\n", P, arena);
	fprintf(f, "\t\tfor (int n = n0; n < batch; n++)\n\t\t\t%s_sample(ws, n, inputs, outputs);\n", P);
	fprintf(f, "\t\tO2C_TEAM_END();\n\t}\n\treturn 0;\n}\n\n");

	/* the friendly signature: one argument per graph input and output */
	fprintf(f, "int %s_run(void *workspace, int batch", P);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, ", const float *in_%s", c_ident(g->inputs[i]->name));
	for (int i = 0; i < g->noutputs; i++)
		fprintf(f, ", float *out_%s", c_ident(g->outputs[i]->name));
	fprintf(f, ")\n{\n");
	fprintf(f, "\tconst float *inputs[%d] = {", g->ninputs ? g->ninputs : 1);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, "%sin_%s", i ? ", " : "", c_ident(g->inputs[i]->name));
	if (!g->ninputs)
		fprintf(f, "0");
	fprintf(f, "};\n\tfloat *outputs[%d] = {", g->noutputs ? g->noutputs : 1);
	for (int i = 0; i < g->noutputs; i++)
		fprintf(f, "%sout_%s", i ? ", " : "", c_ident(g->outputs[i]->name));
	if (!g->noutputs)
		fprintf(f, "0");
	fprintf(f, "};\n\treturn %s_run_v(workspace, batch, inputs, outputs);\n}\n\n", P);
}

/* ---- -DONNX2C_PROFILE ------------------------------------------------- */

/* A profiling build times every kernel call and reports milliseconds and
 * GFLOP/s per kernel; the default build compiles the timing away. */
static void emit_profile(Emit *e, FILE *f, const char *P)
{
	Graph *g = e->g;
	int nk = g->nnodes ? g->nnodes : 1;
	fprintf(f, "#ifdef ONNX2C_PROFILE\n#include <stdio.h>\n#include <time.h>\n");
	fprintf(f, "static double o2c_prof_sec[%d];\nstatic long long o2c_prof_calls[%d];\n", nk, nk);
	fprintf(f, "static const char *const o2c_prof_name[%d] = {\n", nk);
	for (int i = 0; i < g->nnodes; i++)
		fprintf(f, "\t%s,\n", c_string(xsprintf("%s %s", g->nodes[i]->op_type, g->nodes[i]->name)));
	if (!g->nnodes)
		fprintf(f, "\t\"\",\n");
	fprintf(f, "};\n/* floating-point operations per sample (2 per multiply-accumulate) */\n");
	fprintf(f, "static const double o2c_prof_flops[%d] = {", nk);
	for (int i = 0; i < g->nnodes; i++)
		fprintf(f, "%s%.0f", i ? ", " : "", 2.0 * (double)node_macs(g->nodes[i]));
	if (!g->nnodes)
		fprintf(f, "0");
	fprintf(f, "};\n");
	fprintf(f, "static double o2c_now(void)\n{\n#ifdef _OPENMP\n\treturn omp_get_wtime();\n#else\n"
	           "\treturn (double)clock() / CLOCKS_PER_SEC; /* CPU time: exact for one thread */\n#endif\n}\n");
	/* the call ends with the team's o2c_sync: thread 0 times the node until every thread is done */
	fprintf(f, "#define O2C_PROF(k, call) do { double t0_ = o2c_now(); call; if (o2c_thread0()) { "
	           "o2c_prof_sec[k] += o2c_now() - t0_; o2c_prof_calls[k]++; } } while (0)\n");
	fprintf(f, "/* Prints the time spent in each kernel since the last reset, then resets (out NULL: reset only). */\n");
	fprintf(f, "void %s_profile_report(FILE *out);\nvoid %s_profile_report(FILE *out)\n{\n", P, P);
	fprintf(f, "\tdouble total = 0, flops = 0;\n\tif (!out) {\n\t\tmemset(o2c_prof_sec, 0, sizeof o2c_prof_sec);\n"
	           "\t\tmemset(o2c_prof_calls, 0, sizeof o2c_prof_calls);\n\t\treturn;\n\t}\n\tfor (int k = 0; k < %d; k++)\n\t\ttotal += o2c_prof_sec[k];\n", nk);
	fprintf(f, "\tfprintf(out, \"%%-4s %%10s %%7s %%9s  %%s\\n\", \"#\", \"ms/call\", \"share\", \"GFLOP/s\", \"kernel\");\n");
	fprintf(f, "\tfor (int k = 0; k < %d; k++) {\n\t\tif (!o2c_prof_calls[k])\n\t\t\tcontinue;\n", nk);
	fprintf(f, "\t\tdouble ms = 1e3 * o2c_prof_sec[k] / (double)o2c_prof_calls[k];\n");
	fprintf(f, "\t\tflops += o2c_prof_flops[k] * (double)o2c_prof_calls[k];\n");
	fprintf(f, "\t\tfprintf(out, \"%%-4d %%10.3f %%6.1f%%%% %%9.1f  %%s\\n\", k, ms, 100.0 * o2c_prof_sec[k] / (total > 0 ? total : 1),\n"
	           "\t\t        o2c_prof_flops[k] > 0 ? o2c_prof_flops[k] / (ms * 1e6) : 0.0, o2c_prof_name[k]);\n\t}\n");
	fprintf(f, "\tfprintf(out, \"total %%.3f ms in kernels, %%.1f GFLOP/s overall\\n\", 1e3 * total, total > 0 ? flops / total / 1e9 : 0.0);\n");
	fprintf(f, "\tmemset(o2c_prof_sec, 0, sizeof o2c_prof_sec);\n\tmemset(o2c_prof_calls, 0, sizeof o2c_prof_calls);\n}\n");
	fprintf(f, "#else\n#define O2C_PROF(k, call) call\n#endif\n\n");
}

/* ---- header --------------------------------------------------------- */

static void emit_io_doc(FILE *f, const Graph *g, bool outs)
{
	int n = outs ? g->noutputs : g->ninputs;
	for (int i = 0; i < n; i++) {
		const Tensor *t = outs ? g->outputs[i] : g->inputs[i];
		fprintf(f, " *   %s %d '%s': float [", outs ? "output" : "input ", i, comment_safe(t->name));
		for (int k = 0; k < t->shape.rank; k++) {
			if (k == 0 && t->batched)
				fprintf(f, "batch");
			else
				fprintf(f, "%s%lld", k ? "," : "", (long long)t->shape.d[k]);
		}
		fprintf(f, "]\n");
	}
}

static void emit_header(Emit *e, FILE *f, const char *P, const char *banner)
{
	Graph *g = e->g;
	char *U = xstrdup(P);
	for (char *q = U; *q; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
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
		        (long long)shape_numel(&g->inputs[i]->shape), comment_safe(g->inputs[i]->name));
	for (int i = 0; i < g->noutputs; i++)
		fprintf(f, "#define %s_OUTPUT%d_SAMPLE_SIZE %lld /* floats per sample of '%s' */\n", U, i,
		        (long long)shape_numel(&g->outputs[i]->shape), comment_safe(g->outputs[i]->name));
	fprintf(f, "#define %s_EINVAL 1 /* status: a NULL pointer or a bad batch */\n\n", P);
	fprintf(f, "/* Bytes of workspace for a run of `batch` samples (aligned internally). */\n");
	fprintf(f, "size_t %s_workspace_size(int batch);\n\n", P);
	fprintf(f, "/* Runs the model: inputs[i] and outputs[i] in the order listed above. */\n");
	fprintf(f, "int %s_run_v(void *workspace, int batch, const float *const *inputs, float *const *outputs);\n\n", P);
	fprintf(f, "int %s_run(void *workspace, int batch", P);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, ", const float *in_%s", c_ident(g->inputs[i]->name));
	for (int i = 0; i < g->noutputs; i++)
		fprintf(f, ", float *out_%s", c_ident(g->outputs[i]->name));
	fprintf(f, ");\n\n");
	if (g->train)
		train_head_emit(g, NULL, f, P);
	fprintf(f, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

/* ---- weights -------------------------------------------------------- */

static void write_blob(FILE *f, const unsigned char *b, size_t n)
{
	fprintf(f, "/* Weights: %zu bytes, little-endian float32, 64-byte aligned tensors. */\n", n);
	fprintf(f, "static const union { unsigned char b[%zu]; float f[%zu]; } o2c_blob O2C_ALIGNED(64) = {\n",
	        n ? n : 1, n ? (n + 3) / 4 : 1);
	if (!n) {
		fprintf(f, "\t{0}\n};\n");
	} else {
		write_c_bytes(f, b, n);
		fprintf(f, "};\n");
	}
	fprintf(f, "O2C_UNUSED static const float *const o2c_W = o2c_blob.f;\n\n");
}

/* ---- --main ---------------------------------------------------------- */

static void emit_io_table(FILE *f, const Graph *g, bool outs)
{
	int n = outs ? g->noutputs : g->ninputs;
	fprintf(f, "static const o2c_io o2c_%s[%d] = {\n", outs ? "outputs" : "inputs", n ? n : 1);
	for (int i = 0; i < n; i++) {
		const Tensor *t = outs ? g->outputs[i] : g->inputs[i];
		fprintf(f, "\t{%s, %d, {", c_string(t->name), t->shape.rank);
		for (int k = 0; k < t->shape.rank; k++)
			fprintf(f, "%s%lld", k ? ", " : "", (long long)t->shape.d[k]);
		if (!t->shape.rank)
			fprintf(f, "0");
		fprintf(f, "}, %d, %lld},\n", t->batched ? 1 : 0, (long long)shape_numel(&t->shape));
	}
	if (!n)
		fprintf(f, "\t{\"\", 0, {0}, 0, 0},\n");
	fprintf(f, "};\n");
}

static void emit_main(FILE *f, const Graph *g, const char *P)
{
	const char *tmpl = template_text("runner.c");
	if (!tmpl)
		fatal("this onnx2c was built without templates/runner.c; --main is unavailable");
	fprintf(f, "/* ---- --main: the test-data runner ---- */\n#include <stdio.h>\n#include <stdlib.h>\n\n");
	fprintf(f, "typedef struct { const char *name; int rank; int64_t dims[8]; int batched; int64_t sample_numel; } o2c_io;\n");
	fprintf(f, "#define O2C_NIN %d\n#define O2C_NOUT %d\n", g->ninputs, g->noutputs);
	emit_io_table(f, g, false);
	emit_io_table(f, g, true);
	/* input k is read from input_<file index>.pb: its position in the model as
	 * written, so ONNX test-data folders work after --bind removed inputs */
	fprintf(f, "static const int o2c_input_file[%d] = {", g->ninputs ? g->ninputs : 1);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, "%s%d", i ? ", " : "", g->inputs[i]->file_index);
	fprintf(f, "%s};\n#define O2C_INPUT_FILE(k) (o2c_input_file[k])\n", g->ninputs ? "" : "0");
	fprintf(f, "#ifdef ONNX2C_PROFILE\n#define O2C_PROFILE_REPORT(f) %s_profile_report(f)\n#endif\n", P);
	fprintf(f, "static size_t o2c_workspace_size(int batch) { return %s_workspace_size(batch); }\n", P);
	fprintf(f, "static int o2c_run(void *ws, int batch, const float *const *in, float *const *out)\n"
	           "{\n\treturn %s_run_v(ws, batch, in, out);\n}\n\n", P);
	fputs(tmpl, f);
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
	if (e->body)
		fclose(e->body);
	free(e->body_buf);
	free(e->blob);
}

static void close_file(void *f)
{
	fclose(f);
}

void emit_c(Graph *g, const char *c_path, const char *h_path, const char *P, bool with_main, const char *cmdline)
{
	/* in the arena, so a fatal error can still free its buffers (emit_free) */
	Emit *e = xalloc(sizeof *e);
	e->g = g;
	Cleanup *ce = on_release(emit_free, e);
	e->body = open_memstream(&e->body_buf, &e->body_len);
	if (!e->body)
		fatal("cannot allocate the output buffer");
	emit_need(e, "common.c");

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
	g->weights_size = (int64_t)e->blob_len;

	char *banner = xsprintf("/*\n * Generated by onnx2c %s. Do not edit.\n * command: %s\n * model:   %s\n"
	                        " * producer: %s, IR version %lld, opset %lld\n */\n",
	                        ONNX2C_VERSION, comment_safe(cmdline), comment_safe(basename_of(g->path)),
	                        comment_safe(g->producer ? g->producer : "unknown"), (long long)g->ir_version,
	                        (long long)g->opset);

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
	write_blob(f, e->blob, e->blob_len);
	fwrite(e->body_buf, 1, e->body_len, f);
	fprintf(f, "/* ---- entry points ---- */\n\n");
	emit_profile(e, f, P);
	fprintf(f, "#ifdef ONNX2C_DUMP\n/* Debug build: after each kernel, every tensor it wrote is passed to this\n"
	           " * function, which the program linking the model provides (onnx2c verify does). */\n"
	           "void onnx2c_dump(const char *tensor, const char *node, int sample, const float *data, long long numel);\n"
	           "#define O2C_DUMP(t, nd, s, p, n) do { if (o2c_thread0()) onnx2c_dump(t, nd, s, p, n); o2c_sync(); } while (0)\n#else\n"
	           "#define O2C_DUMP(t, nd, s, p, n) ((void)0)\n#endif\n\n");
	/* entry emission may add constant outputs already in the blob: only references */
	emit_entry(e, f, P);
	if (with_main)
		emit_main(f, g, P);
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
	emit_header(e, h, P, banner);
	if (fclose(h) != 0 || rename(htmp, h_path) != 0)
		fatal("cannot write '%s'", h_path);

	progress("%d nodes -> %d kernels, weights %.1f MB, workspace %.1f MB", g->nnodes, kernels,
	         (double)e->blob_len / 1e6, (double)g->arena_size / 1e6);
	cleanup_done(ce);
	emit_free(e);
}
