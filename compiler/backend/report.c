/*
 * report.c - `--report`: what was emitted, kernel by kernel (the ONNX nodes
 * each covers, shapes, parameters, multiply-accumulates, arena placement),
 * then the totals; and `--dot FILE`: the optimised graph for Graphviz.
 */
#include "ir.h"

static int64_t params_of(const Node *n)
{
	int64_t p = 0;
	for (int j = 0; j < n->nin; j++)
		if (n->in[j] && tensor_is_const(n->in[j]) && n->in[j]->dtype == DT_FLOAT)
			p += shape_numel(&n->in[j]->shape);
	return p;
}

static const char *place(const Tensor *t)
{
	int64_t off;
	const Tensor *r = tensor_root(t, &off);
	switch (r->kind) {
	case T_INPUT: return xsprintf("input %d%s", r->io_index, off ? xsprintf("+%lld", (long long)off) : "");
	case T_OUTPUT: return xsprintf("output %d%s", r->io_index, off ? xsprintf("+%lld", (long long)off) : "");
	case T_CONST: return "const";
	default: return xsprintf("arena@%lld", (long long)(r->arena_off + off));
	}
}

void report(const Graph *g, int nodes_in, FILE *f)
{
	int kernels = 0;
	int64_t macs = 0, params = 0;
	fprintf(f, "%-5s %-18s %-28s %-20s %10s %14s  %s\n", "#", "kernel", "covers", "output", "params", "MACs",
	        "placement");
	for (int i = 0; i < g->nnodes; i++) {
		const Node *n = g->nodes[i];
		if (n->dead)
			continue;
		bool view = node_is_free_view(n);
		int64_t m = node_macs(n), p = params_of(n);
		if (!view)
			kernels++;
		macs += m;
		params += p;
		const char *cov = xsprintf("%s", n->name);
		for (int k = 0; k < n->ncovers; k++)
			cov = xsprintf("%s + %s", cov, n->covers[k]);
		fprintf(f, "%-5d %-18s %-28s %-20s %10lld %14lld  %s, %lld bytes%s\n", n->id,
		        xsprintf("%s%s%s", n->op_type, n->act.kind ? "+act" : "", n->residual ? "+res" : ""), cov,
		        shape_str(&n->out[0]->shape), (long long)p, (long long)m, place(n->out[0]),
		        (long long)tensor_bytes(n->out[0]), view ? " (view, no kernel)" : "");
	}
	fprintf(f, "\ntotals: %d ONNX nodes in, %d kernels out\n", nodes_in, kernels);
	fprintf(f, "        %lld parameters, %.3f GMACs per sample\n", (long long)params, (double)macs / 1e9);
	fprintf(f, "        weights %lld bytes\n", (long long)g->weights_size);
	fprintf(f, "        arena %lld bytes (lower bound %lld, naive sum of intermediates %lld)\n",
	        (long long)g->arena_size, (long long)g->arena_lower_bound, (long long)g->arena_naive);
	int counts[OP_COUNT] = { 0 };
	for (int i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && !node_is_free_view(g->nodes[i]))
			counts[g->nodes[i]->op]++;
	fprintf(f, "        kernels by op:");
	for (int o = 0; o < OP_COUNT; o++)
		if (counts[o])
			fprintf(f, " %s=%d", op_table[o].name, counts[o]);
	fprintf(f, "\n");
}

static void dot_name(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void write_dot(const Graph *g, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fatal("cannot write '%s'", path);
	fprintf(f, "digraph onnx2c {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n");
	for (int i = 0; i < g->ninputs; i++) {
		fprintf(f, "  ");
		dot_name(f, g->inputs[i]->name);
		fprintf(f, " [shape=ellipse];\n");
	}
	for (int i = 0; i < g->nnodes; i++) {
		const Node *n = g->nodes[i];
		if (n->dead)
			continue;
		fprintf(f, "  k%d [label=", n->id);
		char *lab = xsprintf("%s%s%s\\n%s", n->op_type, n->act.kind ? "+act" : "", n->residual ? "+res" : "",
		                     n->out[0] ? shape_str(&n->out[0]->shape) : "");
		fprintf(f, "\"%s\"];\n", lab);
	}
	for (int i = 0; i < g->nnodes; i++) {
		const Node *n = g->nodes[i];
		if (n->dead)
			continue;
		for (int j = 0; j <= n->nin; j++) {
			const Tensor *t = j < n->nin ? n->in[j] : n->residual;
			if (!t || tensor_is_const(t))
				continue;
			if (t->producer && !t->producer->dead)
				fprintf(f, "  k%d -> k%d%s;\n", t->producer->id, n->id, j == n->nin ? " [style=dashed]" : "");
			else if (t->kind == T_INPUT) {
				fprintf(f, "  ");
				dot_name(f, t->name);
				fprintf(f, " -> k%d;\n", n->id);
			} else {
				/* an in-place concat output: link the writers of its slices */
				for (int k = 0; k < g->nnodes; k++) {
					const Node *w = g->nodes[k];
					if (!w->dead && w->out[0] && w->out[0]->alias == t)
						fprintf(f, "  k%d -> k%d [color=blue];\n", w->id, n->id);
				}
			}
		}
	}
	fprintf(f, "}\n");
	if (fclose(f) != 0)
		fatal("error writing '%s'", path);
}
