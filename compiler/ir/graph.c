/*
 * graph.c - building and querying the IR: tensors by name, nodes, attributes.
 *
 * Tensors are looked up by name through a small open-addressing hash table;
 * the graph keeps every tensor (constants included) in g->tensors.
 */
#include "ir.h"

#include <string.h>

typedef struct { Graph *g; Tensor **slots; size_t cap, n; } Index;
static Index idx;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void index_put(Tensor *t)
{
	if (2 * (idx.n + 1) > idx.cap) {
		size_t cap = idx.cap ? idx.cap * 2 : 1024;
		Tensor **s = xalloc(cap * sizeof *s);
		for (size_t i = 0; i < idx.cap; i++)
			if (idx.slots[i]) {
				size_t j = hash_str(idx.slots[i]->name) & (cap - 1);
				while (s[j])
					j = (j + 1) & (cap - 1);
				s[j] = idx.slots[i];
			}
		idx.slots = s;
		idx.cap = cap;
	}
	size_t j = hash_str(t->name) & (idx.cap - 1);
	while (idx.slots[j])
		j = (j + 1) & (idx.cap - 1);
	idx.slots[j] = t;
	idx.n++;
}

Graph *graph_new(const char *path)
{
	Graph *g = xalloc(sizeof *g);
	g->path = path ? xstrdup(path) : "";
	idx = (Index){ .g = g };
	return g;
}

Tensor *graph_find(const Graph *g, const char *name)
{
	if (idx.g != g || !idx.cap)
		return NULL;
	size_t j = hash_str(name) & (idx.cap - 1);
	while (idx.slots[j]) {
		if (!strcmp(idx.slots[j]->name, name))
			return idx.slots[j];
		j = (j + 1) & (idx.cap - 1);
	}
	return NULL;
}

static void push_tensor(Graph *g, Tensor *t)
{
	if ((g->ntensors & (g->ntensors - 1)) == 0)
		g->tensors = xrealloc_arr(g->tensors, (size_t)g->ntensors,
		                          g->ntensors ? 2 * (size_t)g->ntensors : 16, sizeof *g->tensors);
	g->tensors[g->ntensors++] = t;
	index_put(t);
}

Tensor *graph_tensor(Graph *g, const char *name)
{
	Tensor *t = graph_find(g, name);
	if (t)
		return t;
	t = xalloc(sizeof *t);
	t->name = xstrdup(name);
	t->arena_off = -1;
	t->weight_off = -1;
	push_tensor(g, t);
	return t;
}

Tensor *graph_const(Graph *g, const char *name, DType dt, const Shape *s, const void *data)
{
	Tensor *t;
	if (!name || graph_find(g, name)) {
		/* make a fresh unique name for compiler-made constants */
		static int counter;
		char *nm;
		do
			nm = xsprintf("%s__c%d", name ? name : "const", counter++);
		while (graph_find(g, nm));
		name = nm;
	}
	t = graph_tensor(g, name);
	t->kind = T_CONST;
	t->dtype = dt;
	t->shape = *s;
	t->has_shape = true;
	size_t bytes = (size_t)shape_numel(s) * dtype_size(dt);
	if ((int64_t)bytes > g_limits.weights) /* a fold's result, before it is allocated */
		check_limit((int64_t)bytes, g_limits.weights, xsprintf("constant '%s'", name), "--max-weights");
	t->data = xalloc(bytes ? bytes : 1);
	if (data && bytes)
		memcpy(t->data, data, bytes);
	return t;
}

Node *graph_add_node(Graph *g, const char *name, const char *op_type, int nin, int nout)
{
	Node *n = xalloc(sizeof *n);
	n->name = xstrdup(name ? name : "");
	n->op_type = xstrdup(op_type);
	n->domain = "";
	n->op = -1;
	n->nin = nin;
	n->nout = nout;
	n->in = xalloc((size_t)(nin ? nin : 1) * sizeof *n->in);
	n->out = xalloc((size_t)(nout ? nout : 1) * sizeof *n->out);
	n->opset = g->opset;
	if ((g->nnodes & (g->nnodes - 1)) == 0)
		g->nodes = xrealloc_arr(g->nodes, (size_t)g->nnodes,
		                        g->nnodes ? 2 * (size_t)g->nnodes : 16, sizeof *g->nodes);
	n->id = g->nnodes;
	g->nodes[g->nnodes++] = n;
	return n;
}

void graph_set_input(Node *n, int i, Tensor *t)
{
	ASSERT(i >= 0 && i < n->nin);
	n->in[i] = t;
}

void graph_set_output(Node *n, int i, Tensor *t)
{
	ASSERT(i >= 0 && i < n->nout);
	n->out[i] = t;
	if (t)
		t->producer = n;
}

Node *graph_sole_reader(const Graph *g, const Tensor *t)
{
	if (!t || t->nuses != 1 || t->kind != T_TEMP || t->alias || !t->producer)
		return NULL;
	for (int i = t->producer->id + 1; i < g->nnodes; i++)
		for (int j = 0; !g->nodes[i]->dead && j < g->nodes[i]->nin; j++)
			if (g->nodes[i]->in[j] == t)
				return g->nodes[i];
	return NULL;
}

Node *live_producer(const Tensor *t)
{
	/* constants keep a producer left over from folding; dead nodes produce nothing */
	return t && !tensor_is_const(t) && t->producer && !t->producer->dead ? t->producer : NULL;
}

Node *once_from(const Tensor *t, int op)
{
	Node *n = live_producer(t);
	if (!n || n->op != op || t->nuses != 1 || t->kind != T_TEMP || t->alias)
		return NULL;
	return n;
}

Tensor *tensor_root(const Tensor *t, int64_t *off)
{
	int64_t o = 0;
	while (t->alias) {
		o += t->alias_off;
		t = t->alias;
	}
	if (off)
		*off = o;
	return (Tensor *)t;
}

void graph_recount(Graph *g)
{
	int k = 0;
	for (int i = 0; i < g->ntensors; i++) {
		g->tensors[i]->nuses = 0;
		if (g->tensors[i]->kind != T_INPUT && g->tensors[i]->kind != T_CONST)
			g->tensors[i]->producer = NULL;
	}
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead)
			continue;
		n->id = k;
		g->nodes[k++] = n;
		for (int j = 0; j < n->nin; j++)
			if (n->in[j])
				n->in[j]->nuses++;
		for (int j = 0; j < n->nout; j++)
			if (n->out[j])
				n->out[j]->producer = n;
	}
	g->nnodes = k;
	for (int i = 0; i < g->noutputs; i++)
		g->outputs[i]->nuses++;
}

void graph_replace_uses(Graph *g, Tensor *from, Tensor *to)
{
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		for (int j = 0; j < n->nin; j++)
			if (n->in[j] == from)
				n->in[j] = to;
		if (n->residual == from)
			n->residual = to;
	}
}

void node_add_cover_text(Node *k, const char *text)
{
	k->covers = xrealloc_arr(k->covers, (size_t)k->ncovers, (size_t)k->ncovers + 1, sizeof *k->covers);
	k->covers[k->ncovers++] = text;
}

void node_add_cover(Node *k, const Node *n)
{
	node_add_cover_text(k, xsprintf("%s '%s'", n->op_type, n->name));
}

int graph_next_reader(const Graph *g, int from, const Tensor *t)
{
	for (int k = from; k < g->nnodes; k++)
		if (!g->nodes[k]->dead && g->nodes[k]->nin > 0 && g->nodes[k]->in[0] == t)
			return k;
	return -1;
}

void node_absorb(Node *k, Node *n)
{
	k->out[0] = n->out[0];
	n->out[0]->producer = k;
	node_add_cover(k, n);
	n->dead = true;
}

void node_set_params(Node *k, Tensor *w, Tensor *b)
{
	if (k->nin < 3) {
		Tensor **in = xalloc(3 * sizeof *in);
		memcpy(in, k->in, (size_t)k->nin * sizeof *in);
		k->in = in;
		k->nin = 3;
	}
	k->in[1] = w;
	k->in[2] = b;
}

bool tensor_is_const(const Tensor *t)
{
	return t && t->kind == T_CONST && t->data;
}

int64_t tensor_bytes(const Tensor *t)
{
	return checked_mul(shape_numel(&t->shape), t->q8 ? 1 : (int64_t)sizeof(float), "tensor bytes");
}

const float *tensor_f32(const Tensor *t)
{
	ASSERT(t->data && t->dtype == DT_FLOAT);
	return t->data;
}

const int64_t *tensor_i64(const Tensor *t)
{
	ASSERT(t->data && t->dtype == DT_INT64);
	return t->data;
}

/* ---- attributes ---------------------------------------------------- */

const Attr *attr_find(const Node *n, const char *name)
{
	for (int i = 0; i < n->nattrs; i++)
		if (!strcmp(n->attrs[i].name, name))
			return &n->attrs[i];
	return NULL;
}

static const Attr *attr_typed(const Node *n, const char *name, AttrType t)
{
	const Attr *a = attr_find(n, name);
	if (a && a->type != t)
		fatal_node(n, "attribute '%s' has the wrong type", name);
	return a;
}

int64_t attr_int(const Node *n, const char *name, int64_t def)
{
	const Attr *a = attr_typed(n, name, AT_INT);
	return a ? a->i : def;
}

float attr_float(const Node *n, const char *name, float def)
{
	const Attr *a = attr_find(n, name);
	if (a && a->type == AT_INT) /* some exporters write integral floats as ints */
		return (float)a->i;
	a = attr_typed(n, name, AT_FLOAT);
	return a ? a->f : def;
}

const char *attr_string(const Node *n, const char *name, const char *def)
{
	const Attr *a = attr_typed(n, name, AT_STRING);
	return a ? a->s : def;
}

int attr_ints(const Node *n, const char *name, int64_t *out, int max)
{
	const Attr *a = attr_typed(n, name, AT_INTS);
	if (!a)
		return -1;
	if (a->nints > max)
		fatal_node(n, "attribute '%s' has %d values, at most %d are supported", name, a->nints, max);
	memcpy(out, a->ints, (size_t)a->nints * sizeof *out);
	return a->nints;
}

int attr_floats(const Node *n, const char *name, float *out, int max)
{
	const Attr *a = attr_typed(n, name, AT_FLOATS);
	if (!a)
		return -1;
	if (a->nfloats > max)
		fatal_node(n, "attribute '%s' has %d values, at most %d are supported", name, a->nfloats, max);
	memcpy(out, a->floats, (size_t)a->nfloats * sizeof *out);
	return a->nfloats;
}

/* ---- debug dump ------------------------------------------------------ */

void graph_dump(const Graph *g, FILE *f)
{
	fprintf(f, "graph %s opset %lld%s\n", g->path, (long long)g->opset, g->batched ? " batched" : "");
	for (int i = 0; i < g->nnodes; i++) {
		const Node *n = g->nodes[i];
		if (n->dead)
			continue;
		fprintf(f, "  %%%d %s '%s' (", n->id, n->op_type, n->name);
		for (int j = 0; j < n->nin; j++)
			fprintf(f, "%s%s", j ? ", " : "", n->in[j] ? n->in[j]->name : "-");
		fprintf(f, ") -> (");
		for (int j = 0; j < n->nout; j++)
			fprintf(f, "%s%s%s%s", j ? ", " : "", n->out[j] ? n->out[j]->name : "-",
			        n->out[j] && n->out[j]->has_shape ? shape_str(&n->out[j]->shape) : "",
			        n->out[j] && n->out[j]->q8 ? " q8" : "");
		fprintf(f, ")");
		if (n->act.kind)
			fprintf(f, " act=%d", (int)n->act.kind);
		if (n->residual)
			fprintf(f, " residual=%s", n->residual->name);
		fputc('\n', f);
	}
}
