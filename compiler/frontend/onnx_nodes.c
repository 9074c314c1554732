/*
 * onnx_nodes.c - turns the NodeProtos of the main graph into IR Nodes, with
 * their attributes, and inlines ONNX model-local functions (IR >= 8,
 * ModelProto.functions; torch's export_modules_as_functions writes them).
 *
 * A node whose (domain, op_type) names a local function is replaced by the
 * function's body.  Body tensors get names made unique by the call site
 * ("<call node>/<name>"); the function's formal inputs and outputs stand for
 * the call's actual tensors (an omitted actual input is an omitted optional
 * input, NULL); body attributes written as references (ref_attr_name) take
 * the caller's attribute value, or vanish when the caller did not set it, so
 * the op's default applies.  Body nodes keep the opset the function imports
 * for their domain.  Calls nest; a function reaching itself is refused.
 *
 * Not here: checking that ops exist or that tensors have producers (check.c,
 * topo.c); a subgraph attribute (If/Loop bodies) is recorded as AT_GRAPH
 * without its contents - those ops are refused later by name.
 */
#include "onnx_load.h"

#include <string.h>

/* Where a node's names are resolved: the main graph, or one inlined call. */
/* Inlining recurses once per level (a few hundred bytes of stack each). */
#define MAX_FUNCTION_DEPTH 4096

typedef struct Scope {
	const struct Scope *parent;
	const Onnx__FunctionProto *fn;   /* NULL for the main graph */
	const char *prefix;              /* "" or "<call node>/" */
	Tensor **actual_in;              /* per formal input; NULL = omitted */
	Tensor **actual_out;             /* per formal output */
	const Attr *caller_attrs; int ncaller;
	Onnx__OperatorSetIdProto *const *imports; size_t nimports;
} Scope;

typedef struct Loader {
	Graph *g;
	const Onnx__ModelProto *m;
	const char *dir;
	const char **prefixes; size_t prefix_cap, nprefixes; /* hash set of the call prefixes used so far */
} Loader;

static bool same_domain(const char *a, const char *b)
{
	if (!a || !strcmp(a, "ai.onnx"))
		a = "";
	if (!b || !strcmp(b, "ai.onnx"))
		b = "";
	return !strcmp(a, b);
}

int64_t onnx_opset_for(Onnx__OperatorSetIdProto *const *imports, size_t n, const char *domain)
{
	for (size_t i = 0; i < n; i++)
		if (same_domain(imports[i]->domain, domain))
			return imports[i]->has_version ? imports[i]->version : -1;
	return -1;
}

static const Onnx__FunctionProto *find_function(const Onnx__ModelProto *m, const char *domain, const char *op)
{
	for (size_t i = 0; i < m->n_functions; i++) {
		const Onnx__FunctionProto *f = m->functions[i];
		if (f->name && !strcmp(f->name, op) && same_domain(f->domain, domain))
			return f;
	}
	return NULL;
}

static Tensor *scope_tensor(Loader *L, const Scope *s, const char *name)
{
	if (!name || !*name)
		return NULL;
	if (s->fn) {
		for (size_t i = 0; i < s->fn->n_input; i++)
			if (!strcmp(s->fn->input[i], name))
				return s->actual_in[i];
		for (size_t i = 0; i < s->fn->n_output; i++)
			if (!strcmp(s->fn->output[i], name))
				return s->actual_out[i];
		return graph_tensor(L->g, xsprintf("%s%s", s->prefix, name));
	}
	return graph_tensor(L->g, name);
}

/* ---- attributes --------------------------------------------------------- */

/* ONNX attribute types without a place in Attr keep their ONNX number. */
enum { AT_TENSORS = 9, AT_GRAPHS = 10, AT_SPARSE_TENSOR = 11 };

static int guess_type(const Onnx__AttributeProto *a)
{
	/* IR < 2 models may leave `type` out: go by the field that is set */
	if (a->n_floats) return AT_FLOATS;
	if (a->n_ints) return AT_INTS;
	if (a->n_strings) return AT_STRINGS;
	if (a->t) return AT_TENSOR;
	if (a->g) return AT_GRAPH;
	if (a->has_s) return AT_STRING;
	if (a->has_i) return AT_INT;
	if (a->has_f) return AT_FLOAT;
	return AT_UNDEFINED;
}

/* Converts one attribute of node n (used for messages only).  Returns false
 * when the attribute is a reference the caller did not set (it is dropped). */
static bool convert_attr(Loader *L, const Scope *s, const Node *n, const Onnx__AttributeProto *a, Attr *out)
{
	const char *name = a->name ? a->name : "";
	if (!*name)
		fatal_node(n, "has an attribute without a name");
	if (a->ref_attr_name && *a->ref_attr_name) {
		if (!s->fn)
			fatal_node(n, "attribute '%s' refers to '%s', but the node is not inside a function", name,
			           a->ref_attr_name);
		for (int i = 0; i < s->ncaller; i++)
			if (!strcmp(s->caller_attrs[i].name, a->ref_attr_name)) {
				*out = s->caller_attrs[i];
				out->name = xstrdup(name);
				return true;
			}
		return false;
	}
	memset(out, 0, sizeof *out);
	out->name = xstrdup(name);
	int type = a->has_type && a->type ? (int)a->type : guess_type(a);
	switch (type) {
	case AT_FLOAT:
		out->f = a->f;
		break;
	case AT_INT:
		out->i = a->i;
		break;
	case AT_STRING: {
		char *str = xalloc(a->s.len + 1);
		if (a->s.len)
			memcpy(str, a->s.data, a->s.len);
		out->s = str;
		break;
	}
	case AT_TENSOR: {
		if (!a->t)
			fatal_node(n, "tensor attribute '%s' has no tensor", name);
		/* a T_CONST outside g->tensors: the op that reads it (Constant)
		 * copies it into its output */
		Tensor *t = xalloc(sizeof *t);
		t->name = xsprintf("%s.%s", n->name, name);
		t->arena_off = -1;
		t->weight_off = -1;
		onnx_decode_tensor(a->t, xsprintf("attribute '%s' of node '%s' (%s)", name, n->name, n->op_type),
		                   L->dir, t);
		out->t = t;
		break;
	}
	case AT_FLOATS:
		out->nfloats = (int)a->n_floats;
		out->floats = xalloc((a->n_floats ? a->n_floats : 1) * sizeof(float));
		if (a->n_floats)
			memcpy(out->floats, a->floats, a->n_floats * sizeof(float));
		break;
	case AT_INTS:
		out->nints = (int)a->n_ints;
		out->ints = xalloc((a->n_ints ? a->n_ints : 1) * sizeof(int64_t));
		if (a->n_ints)
			memcpy(out->ints, a->ints, a->n_ints * sizeof(int64_t));
		break;
	case AT_SPARSE_TENSOR:
		fatal_unsupported(n, "attribute '%s' is a sparse tensor; sparse tensors are not supported", name);
	case AT_UNDEFINED:
		fatal_node(n, "attribute '%s' has no type and no value", name);
	default:
		/* graphs (If/Loop bodies), string lists, tensor lists, type
		 * protos: kept by type only; no supported op reads them */
		break;
	}
	out->type = (AttrType)type;
	return true;
}

static void convert_attrs(Loader *L, const Scope *s, Node *n, const Onnx__NodeProto *np)
{
	n->attrs = xalloc((np->n_attribute ? np->n_attribute : 1) * sizeof *n->attrs);
	n->nattrs = 0;
	for (size_t i = 0; i < np->n_attribute; i++) {
		Attr a;
		if (!convert_attr(L, s, n, np->attribute[i], &a))
			continue;
		for (int j = 0; j < n->nattrs; j++)
			if (!strcmp(n->attrs[j].name, a.name))
				fatal_node(n, "attribute '%s' is given twice", a.name);
		n->attrs[n->nattrs++] = a;
	}
}

/* ---- nodes and calls ------------------------------------------------------ */

static void add_node(Loader *L, const Scope *s, const Onnx__NodeProto *np, int index);

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Adds p to the set of call prefixes; false when it is there already. */
static bool prefix_add(Loader *L, const char *p)
{
	if (2 * (L->nprefixes + 1) > L->prefix_cap) {
		size_t cap = L->prefix_cap ? 2 * L->prefix_cap : 64;
		const char **set = xalloc(cap * sizeof *set);
		for (size_t i = 0; i < L->prefix_cap; i++)
			if (L->prefixes[i]) {
				size_t j = hash_str(L->prefixes[i]) & (cap - 1);
				while (set[j])
					j = (j + 1) & (cap - 1);
				set[j] = L->prefixes[i];
			}
		L->prefixes = set;
		L->prefix_cap = cap;
	}
	size_t j = hash_str(p) & (L->prefix_cap - 1);
	for (; L->prefixes[j]; j = (j + 1) & (L->prefix_cap - 1))
		if (!strcmp(L->prefixes[j], p))
			return false;
	L->prefixes[j] = p;
	L->nprefixes++;
	return true;
}

/* A unique "<call>/" prefix for the tensors of one inlined call.  Deeply nested
 * calls would make names grow with the depth (and memory with its square): past
 * 200 characters the middle is elided; the set keeps prefixes unique anyway. */
static const char *call_prefix(Loader *L, const char *call_name)
{
	size_t len = strlen(call_name);
	const char *base = len <= 200 ? call_name : xsprintf("%.64s...%s", call_name, call_name + len - 128);
	const char *p = xsprintf("%s/", base);
	for (int k = 2; !prefix_add(L, p); k++)
		p = xsprintf("%s#%d/", base, k);
	return p;
}

/* call: a Node used for messages and holding the call's resolved attributes
 * (it is not added to the graph). */
static void inline_call(Loader *L, const Scope *s, const Node *call, const Onnx__NodeProto *np,
                        const Onnx__FunctionProto *fn)
{
	int depth = 0;
	for (const Scope *p = s; p; p = p->parent, depth++)
		if (p->fn == fn)
			fatal_node(call, "function '%s' calls itself (directly or through other functions)", fn->name);
	if (depth > MAX_FUNCTION_DEPTH)
		fatal_unsupported(call, "functions nest more than %d deep", MAX_FUNCTION_DEPTH);
	if (np->n_input > fn->n_input)
		fatal_node(call, "passes %zu inputs to function '%s', which takes %zu", np->n_input, fn->name,
		           fn->n_input);
	if (np->n_output > fn->n_output)
		fatal_node(call, "takes %zu outputs from function '%s', which has %zu", np->n_output, fn->name,
		           fn->n_output);

	Scope in = { .parent = s, .fn = fn, .prefix = call_prefix(L, call->name),
		.caller_attrs = call->attrs, .ncaller = call->nattrs,
		.imports = fn->opset_import, .nimports = fn->n_opset_import };
	in.actual_in = xalloc((fn->n_input ? fn->n_input : 1) * sizeof(Tensor *));
	in.actual_out = xalloc((fn->n_output ? fn->n_output : 1) * sizeof(Tensor *));
	for (size_t i = 0; i < np->n_input; i++)
		in.actual_in[i] = scope_tensor(L, s, np->input[i]);
	for (size_t i = 0; i < fn->n_output; i++) {
		in.actual_out[i] = i < np->n_output ? scope_tensor(L, s, np->output[i]) : NULL;
		/* an output the caller ignores is still written by the body */
		if (!in.actual_out[i])
			in.actual_out[i] = graph_tensor(L->g, xsprintf("%s%s", in.prefix, fn->output[i]));
	}
	for (size_t i = 0; i < fn->n_node; i++)
		add_node(L, &in, fn->node[i], (int)i);
}

static void add_node(Loader *L, const Scope *s, const Onnx__NodeProto *np, int index)
{
	const char *op = np->op_type;
	const char *dom = np->domain ? np->domain : "";
	if (!op || !*op)
		fatal("node %d%s%s has no op_type", index, s->fn ? " of function " : "",
		      s->fn ? s->fn->name : "");
	const char *base = np->name && *np->name ? np->name : xsprintf("%s_%d", op, index);
	const char *name = xsprintf("%s%s", s->prefix, base);

	const Onnx__FunctionProto *fn = find_function(L->m, dom, op);
	if (fn) {
		Node call = { .name = name, .op_type = op, .domain = dom };
		convert_attrs(L, s, &call, np);
		inline_call(L, s, &call, np, fn);
		return;
	}

	Node *n = graph_add_node(L->g, name, op, (int)np->n_input, (int)np->n_output);
	n->domain = xstrdup(dom);
	int64_t v = onnx_opset_for(s->imports, s->nimports, dom);
	if (v < 0 && s->fn) /* a function may rely on the model's imports */
		v = onnx_opset_for(L->m->opset_import, L->m->n_opset_import, dom);
	n->opset = v < 0 ? 0 : v;
	convert_attrs(L, s, n, np);
	for (size_t j = 0; j < np->n_input; j++)
		graph_set_input(n, (int)j, scope_tensor(L, s, np->input[j]));
	for (size_t j = 0; j < np->n_output; j++)
		graph_set_output(n, (int)j, scope_tensor(L, s, np->output[j]));
}

void onnx_build_nodes(Graph *g, const Onnx__ModelProto *m, const char *dir)
{
	Loader L = { .g = g, .m = m, .dir = dir };
	Scope top = { .prefix = "", .imports = m->opset_import, .nimports = m->n_opset_import };
	for (size_t i = 0; i < m->graph->n_node; i++)
		add_node(&L, &top, m->graph->node[i], (int)i);
}
