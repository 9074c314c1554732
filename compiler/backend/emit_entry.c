/*
 * emit_entry.c - the generated file's entry points: PREFIX_workspace_size,
 * PREFIX_run_v and PREFIX_run, and the schedule they run: PREFIX_sample,
 * every node for one sample with each intermediate tensor named at its
 * place in the workspace (t_<ONNX tensor name>), cut into parts, and
 * PREFIX_group, which runs a group of samples part by part so that a
 * weight-heavy node reads its weights once a group (node_major).
 */
#define _GNU_SOURCE /* open_memstream */
#include "emit_internal.h"

#include <stdlib.h>
#include <string.h>

/* A graph output computed entirely at compile time: its bytes are in the blob. */
bool output_folded(const Tensor *t)
{
	return t->data && (!t->producer || t->producer->dead);
}

/* The per-sample function's named tensors: every intermediate tensor a call
 * passes gets a local `float *t_<name>` pointing into the workspace. */
typedef struct Locals {
	CNames *names;
	const Tensor **t; const char **name; size_t cap, n; /* a hash table on the tensor pointer */
	FILE *decl;            /* their declarations, in order of first use (e->decl) */
} Locals;

/* Doubles the table: a 100k-node chain has 100k locals (tests/pathological/). */
static void locals_grow(Locals *l)
{
	size_t cap = l->cap ? 2 * l->cap : 256;
	const Tensor **t = xalloc(cap * sizeof *t);
	const char **name = xalloc(cap * sizeof *name);
	for (size_t i = 0; i < l->cap; i++)
		if (l->t[i]) {
			size_t j = ((uintptr_t)l->t[i] >> 4) & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = l->t[i];
			name[j] = l->name[i];
		}
	l->t = t;
	l->name = name;
	l->cap = cap;
}

/* C expression for where tensor t lives during sample n of the entry loop. */
static const char *tensor_expr(Emit *e, Locals *l, const Tensor *t)
{
	int64_t off;
	const Tensor *r = tensor_root(t, &off);
	const char *base;
	switch (r->kind) {
	case T_INPUT: base = e->in_names[r->io_index]; break;
	case T_OUTPUT: base = e->out_names[r->io_index]; break;
	case T_CONST: base = emit_const(e, r); break;
	default:
		ASSERT(r->arena_off >= 0);
		if (2 * (l->n + 1) > l->cap)
			locals_grow(l);
		size_t j = ((uintptr_t)t >> 4) & (l->cap - 1);
		for (; l->t[j]; j = (j + 1) & (l->cap - 1))
			if (l->t[j] == t)
				return l->name[j];
		l->t[j] = t;
		l->name[j] = cnames_make(l->names, "t_", t->name);
		l->n++;
		fprintf(l->decl, "\tfloat *%s = (float *)(ws + %lld); /* %s '%s' */\n", l->name[j],
		        (long long)(r->arena_off + off), shape_str(&t->shape), c_comment(t->name));
		return l->name[j];
	}
	if (off % (int64_t)sizeof(float)) /* inside a q8 tensor (one byte an element) */
		return xsprintf("((float *)(void *)((unsigned char *)%s + %lld))", base, (long long)off);
	if (off)
		return xsprintf("(%s + %lld)", base, (long long)(off / (int64_t)sizeof(float)));
	return base;
}

/* Whether PREFIX_group runs node n over its samples one after the other (its own part): when its
 * weights outweigh a sample's activations it reads and writes, so that the weights are read from
 * memory once for the group and not once a sample.  Other nodes run sample by sample within a
 * part, where a sample's activations stay in cache from one node to the next. */
static bool node_major(const Node *n)
{
	int64_t w = 0, a = 0;
	for (int j = 0; j < n->nin; j++)
		if (n->in[j])
			*(runtime(n->in[j]) ? &a : &w) += shape_numel(&n->in[j]->shape);
	for (int j = 0; j < n->nout; j++)
		if (n->out[j])
			a += shape_numel(&n->out[j]->shape);
	return w > a;
}

/* PREFIX_sample: every node in order (part < 0), or only those of one part, for one sample, on the
 * threads of the current team.  The nodes are cut into parts (e->nparts) as node_major says. */
static void emit_sample(Emit *e, FILE *f, const char *P)
{
	Graph *g = e->g;
	/* the calls go to e->hook first: the tensors they name are declared above them */
	Locals l = { .names = cnames_new() };
	for (int i = 0; i < g->ninputs; i++)
		cnames_add(l.names, e->in_names[i]);
	for (int i = 0; i < g->noutputs; i++)
		cnames_add(l.names, e->out_names[i]);
	l.decl = e->decl = open_memstream(&e->decl_buf, &e->decl_len);
	e->hook = open_memstream(&e->hook_buf, &e->hook_len);
	if (!e->decl || !e->hook)
		fatal("cannot allocate the output buffer");
	FILE *c = e->hook;
	bool last_nm = true; /* the previous node was a part of its own */
	e->nparts = 0;
	e->node_major = false;
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead)
			continue;
		if (op_table[n->op].view && !node_is_copy_view(n))
			continue;
		const bool nm = node_major(n);
		if (nm || last_nm) { /* a new part */
			fprintf(c, "%s\tif (part < 0 || part == %d) {\n", e->nparts ? "\t}\n" : "", e->nparts);
			e->nparts++;
		}
		e->node_major |= nm;
		last_nm = nm;
		fprintf(c, "\t\tO2C_PROF(%d, O2C_NODE(%d, %s(", n->id, n->team ? 1 : 0, kernel_name(n));
		int np = 0;
		if (node_is_copy_view(n)) {
			fprintf(c, "%s, %s", tensor_expr(e, &l, n->in[0]), tensor_expr(e, &l, n->out[0]));
			np = 2;
		} else {
			for (int j = 0; j < n->nin; j++)
				if (runtime(n->in[j]))
					fprintf(c, "%s%s", np++ ? ", " : "", tensor_expr(e, &l, n->in[j]));
			if (n->residual)
				fprintf(c, "%s%s", np++ ? ", " : "", tensor_expr(e, &l, n->residual));
			for (int j = 0; j < n->nout; j++)
				if (n->out[j])
					fprintf(c, "%s%s", np++ ? ", " : "", tensor_expr(e, &l, n->out[j]));
			if (n->scratch)
				fprintf(c, "%s%s", np++ ? ", " : "", tensor_expr(e, &l, n->scratch));
		}
		fprintf(c, ")));\n");
		for (int j = 0; j < n->nout; j++) {
			const Tensor *t = n->out[j];
			if (t && t->q8) /* the integer values as floats, in the graph's layout (int8/qconvert.c) */
				fprintf(c, "\t\tO2C_DUMP_Q8(%s, %s, n, %s, %lld, %lld, %d);\n", c_string(t->name), c_string(n->name),
				        tensor_expr(e, &l, t), (long long)shape_numel(&t->shape),
				        (long long)(t->shape.rank == 4 ? t->shape.d[1] : 1), t->dtype == DT_INT8);
			else if (t)
				fprintf(c, "\t\tO2C_DUMP(%s, %s, n, %s, %lld);\n", c_string(t->name), c_string(n->name),
				        tensor_expr(e, &l, t), (long long)shape_numel(&t->shape));
		}
	}
	if (e->nparts)
		fprintf(c, "\t}\n");
	/* outputs that no kernel writes: constants and graph inputs passed through
	 * (the planner never aliases a graph output into other memory), in a part of their own */
	bool tail = false;
	for (int i = 0; i < g->noutputs; i++) {
		Tensor *t = g->outputs[i];
		const char *src;
		if (output_folded(t))
			src = emit_const(e, t);
		else if (t->kind == T_INPUT)
			src = e->in_names[t->io_index];
		else
			continue;
		if (!tail)
			fprintf(c, "\tif (part < 0 || part == %d) {\n", e->nparts++);
		tail = true;
		fprintf(c, "\t\tif (o2c_thread0())\n\t\t\tmemcpy(%s, %s, %lld * sizeof(float));\n", e->out_names[i], src,
		        (long long)shape_numel(&t->shape));
	}
	if (tail)
		fprintf(c, "\t}\n");
	fclose(e->decl);
	e->decl = NULL;
	fclose(e->hook);
	e->hook = NULL;
	CNames *used = cnames_new();
	c_idents(used, e->hook_buf, e->hook_len);

	fprintf(f, "static void %s_sample(unsigned char *ws, int n, const float *const *inputs, float *const *outputs, "
	           "int part)\n{\n", P);
	if (!e->nparts)
		fprintf(f, "\t(void)part;\n");
	if (!l.n)
		fprintf(f, "\t(void)ws;\n");
	bool any_batched = false; /* n offsets only the batched inputs and outputs */
	for (int i = 0; i < g->ninputs; i++)
		any_batched |= g->inputs[i]->batched;
	for (int i = 0; i < g->noutputs; i++)
		any_batched |= g->outputs[i]->batched;
	if (!any_batched)
		fprintf(f, "\t(void)n;\n");
	if (!g->ninputs)
		fprintf(f, "\t(void)inputs;\n");
	if (!g->noutputs)
		fprintf(f, "\t(void)outputs;\n");
	for (int i = 0; i < g->ninputs; i++) {
		Tensor *t = g->inputs[i];
		/* an input without the batch axis is one tensor that every sample reads */
		if (t->batched)
			fprintf(f, "\tconst float *%s = inputs[%d] + (size_t)n * %lld; /* '%s' %s */\n", e->in_names[i], i,
			        (long long)shape_numel(&t->shape), c_comment(t->name), shape_str(&t->shape));
		else
			fprintf(f, "\tconst float *%s = inputs[%d]; /* '%s' %s, the same for every sample */\n",
			        e->in_names[i], i, c_comment(t->name), shape_str(&t->shape));
		if (!cnames_has(used, e->in_names[i]))
			fprintf(f, "\t(void)%s;\n", e->in_names[i]);
	}
	for (int i = 0; i < g->noutputs; i++) {
		Tensor *t = g->outputs[i];
		if (t->batched)
			fprintf(f, "\tfloat *%s = outputs[%d] + (size_t)n * %lld; /* '%s' %s */\n", e->out_names[i], i,
			        (long long)shape_numel(&t->shape), c_comment(t->name), shape_str(&t->shape));
		else /* no batch axis: every sample computes (and writes) the same values */
			fprintf(f, "\tfloat *%s = outputs[%d]; /* '%s' %s, the same for every sample */\n",
			        e->out_names[i], i, c_comment(t->name), shape_str(&t->shape));
		if (!cnames_has(used, e->out_names[i]))
			fprintf(f, "\t(void)%s;\n", e->out_names[i]);
	}
	if (l.n)
		fprintf(f, "\t/* the intermediate tensors' places in the workspace (tensors never live at once share bytes) */\n");
	fwrite(e->decl_buf, 1, e->decl_len, f);
	free(e->decl_buf);
	e->decl_buf = NULL;
	fwrite(e->hook_buf, 1, e->hook_len, f);
	free(e->hook_buf);
	e->hook_buf = NULL;
	fprintf(f, "}\n\n");
}

void emit_entry(Emit *e, FILE *f, const char *P, const char *U)
{
	Graph *g = e->g;
	const long long arena = (g->arena_size + 63) / 64 * 64;
	emit_sample(e, f, P);
	/* One arena per sample run side by side (o2c_sample_slots in templates/common.c), or with a
	 * node-major part, up to G a thread: PREFIX_group runs G samples part by part, and a node
	 * whose weights outweigh its activations reads them once for the G samples (resnet18's 4x4
	 * layers at 112x112: 9 MB of weights a layer for 16 pixels a sample).  G keeps a thread's
	 * arenas within 8 MB. */
	long long G = 1;
	if (g->batched && e->node_major) {
		G = arena ? (8 << 20) / arena : 8;
		G = G < 1 ? 1 : G > 8 ? 8 : G;
	}
	fprintf(f, "size_t %s_workspace_size(int batch)\n{\n"
	           "\treturn (size_t)%lld * (size_t)o2c_arenas(batch, %lld) + 64;\n}\n\n", P, arena, G);
	if (G > 1) {
		fprintf(f, "/* Samples n0, n0 + step, ... (count of them) in arenas side by side from ws, part by part. */\n"
		           "static void %s_group(unsigned char *ws, int n0, int step, int count, const float *const *inputs, "
		           "float *const *outputs)\n{\n"
		           "\tfor (int part = 0; part < %d; part++)\n\t\tfor (int i = 0; i < count; i++)\n"
		           "\t\t\t%s_sample(ws + (size_t)i * %lld, n0 + i * step, inputs, outputs, part);\n}\n\n",
		        P, e->nparts, P, arena);
	}

	fprintf(f, "int %s_run_v(void *workspace, int batch, const float *const *inputs, float *const *outputs)\n{\n", P);
	/* a fixed-shape model runs exactly one "sample": the whole tensor */
	fprintf(f, "\tif (batch %s)\n\t\treturn %s_EINVAL;\n", g->batched ? "< 1" : "!= 1", U);
	fprintf(f, "\tif (!workspace%s%s)\n\t\treturn %s_EINVAL;\n", g->ninputs ? " || !inputs" : "",
	        g->noutputs ? " || !outputs" : "", U);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, "\tif (!inputs[%d])\n\t\treturn %s_EINVAL;\n", i, U);
	for (int i = 0; i < g->noutputs; i++)
		fprintf(f, "\tif (!outputs[%d])\n\t\treturn %s_EINVAL;\n", i, U);
	if (g_weights_out)
		fprintf(f, "\tif (!o2c_wt)\n\t\treturn %s_ENOWEIGHTS;\n", U);
	fprintf(f, "\tunsigned char *ws = (unsigned char *)(((uintptr_t)workspace + 63) & ~(uintptr_t)63);\n");
	/* One parallel region per run: team nodes run on every thread, the
	 * others on thread 0, with an o2c_sync() after each (O2C_NODE).  With at
	 * least as many samples as threads, each thread first runs whole samples
	 * alone in an arena of its own (an inner region of one thread, so the
	 * kernels' loops and barriers are its alone): no barrier between layers,
	 * no cross-core traffic; the samples left over run on the whole team.
	 * With G > 1, a thread runs its samples G at a time, part by part. */
	fprintf(f, "\tO2cTeam team = { 0, 0, NULL, 0 };\n\tO2C_OMP(parallel)\n\t{\n");
	fprintf(f, "\t\tO2C_TEAM_BEGIN(team);\n");
	fprintf(f, "\t\tconst int nth = o2c_nthreads(), tid = o2c_tid();\n\t\tint n0 = 0;\n");
	if (G == 1) {
		fprintf(f, "\t\tif (nth > 1 && batch >= nth && nth <= o2c_sample_slots(batch)) {\n"
		           "\t\t\tn0 = batch / nth * nth;\n"
		           "\t\t\tfor (int n = tid; n < n0; n += nth) {\n"
		           "\t\t\t\tO2C_OMP(parallel num_threads(1))\n"
		           "\t\t\t\t%s_sample(ws + (size_t)tid * %lld, n, inputs, outputs, -1);\n"
		           "\t\t\t}\n\t\t\to2c_sync(); /* the team reuses thread 0's arena */\n\t\t}\n", P, arena);
		fprintf(f, "\t\tfor (int n = n0; n < batch; n++)\n\t\t\t%s_sample(ws, n, inputs, outputs, -1);\n", P);
	} else {
		fprintf(f, "\t\tconst int arenas = o2c_arenas(batch, %lld), g1 = arenas < %lld ? arenas : %lld;\n", G, G, G);
		fprintf(f, "\t\tif (nth > 1 && batch >= nth && nth <= o2c_sample_slots(batch)) {\n"
		           "\t\t\tn0 = batch / nth * nth;\n"
		           "\t\t\tconst int per = n0 / nth, g = arenas / nth < %lld ? arenas / nth : %lld;\n"
		           "\t\t\tfor (int i = 0; i < per; i += g) {\n"
		           "\t\t\t\tO2C_OMP(parallel num_threads(1))\n"
		           "\t\t\t\t%s_group(ws + (size_t)tid * g * %lld, tid + i * nth, nth, per - i < g ? per - i : g, "
		           "inputs, outputs);\n"
		           "\t\t\t}\n\t\t\to2c_sync(); /* the team reuses thread 0's arena */\n\t\t}\n",
		        G, G, P, arena);
		fprintf(f, "\t\tif (nth == 1)\n"
		           "\t\t\tfor (int n = n0; n < batch; n += g1)\n"
		           "\t\t\t\t%s_group(ws, n, 1, batch - n < g1 ? batch - n : g1, inputs, outputs);\n"
		           "\t\telse\n"
		           "\t\t\tfor (int n = n0; n < batch; n++)\n\t\t\t\t%s_sample(ws, n, inputs, outputs, -1);\n",
		        P, P);
	}
	fprintf(f, "\t\tO2C_TEAM_END();\n\t}\n\treturn 0;\n}\n\n");

	/* the friendly signature: one argument per graph input and output */
	fprintf(f, "int %s_run(void *workspace, int batch", P);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, ", const float *%s", e->in_names[i]);
	for (int i = 0; i < g->noutputs; i++)
		fprintf(f, ", float *%s", e->out_names[i]);
	fprintf(f, ")\n{\n");
	fprintf(f, "\tconst float *inputs[%d] = {", g->ninputs ? g->ninputs : 1);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, "%s%s", i ? ", " : "", e->in_names[i]);
	if (!g->ninputs)
		fprintf(f, "0");
	fprintf(f, "};\n\tfloat *outputs[%d] = {", g->noutputs ? g->noutputs : 1);
	for (int i = 0; i < g->noutputs; i++)
		fprintf(f, "%s%s", i ? ", " : "", e->out_names[i]);
	if (!g->noutputs)
		fprintf(f, "0");
	fprintf(f, "};\n\treturn %s_run_v(workspace, batch, inputs, outputs);\n}\n\n", P);
}

