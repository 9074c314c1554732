/*
 * check_ir.c - the IR verifier behind --check-ir: what every pass may assume
 * about the graph, checked after each one, so a pass that breaks it is named
 * at once rather than found later as wrong C or a wrong number.
 *
 * What holds depends on how far the pipeline has got (IrStage): names and
 * links from the load on, the schedule and the producers after topo_sort,
 * valid op indices after check_ops, shapes after inference, the arena after
 * the memory plan.  It checks, never repairs, and costs about O(nodes +
 * tensors): the plan's overlap check compares each arena tensor only with
 * those live when it starts.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

typedef struct Checker {
	const Graph *g;
	IrStage stage;
	int problems;
	char *msg; size_t cap, len;
	const Tensor **sorted;  /* g->tensors by address, for tensor_index */
	int *writer;            /* per tensor index: position of the live node writing it, -1 */
	int *ready;             /* the same, or for a tensor written through its slices (concat in
	                         * place: alias), the last slice's writer */
} Checker;

__attribute__((format(printf, 2, 3))) static void problem(Checker *c, const char *fmt, ...)
{
	c->problems++;
	if (!c->msg || c->problems > 8 || c->len + 1 >= c->cap)
		return;
	if (c->problems > 1)
		c->len += (size_t)snprintf(c->msg + c->len, c->cap - c->len, "; ");
	if (c->len + 1 >= c->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(c->msg + c->len, c->cap - c->len, fmt, ap);
	va_end(ap);
	c->len = k < 0 ? c->len : c->len + (size_t)k < c->cap ? c->len + (size_t)k : c->cap - 1;
}

static const char *node_str(const Node *n)
{
	return xsprintf("node '%s' (%s)", n->name ? n->name : "?", n->op_type ? n->op_type : "?");
}

static int by_address(const void *a, const void *b)
{
	const Tensor *x = *(const Tensor *const *)a, *y = *(const Tensor *const *)b;
	return x < y ? -1 : x > y;
}

/* Position of t in c->sorted, or -1 when t is not one of the graph's tensors. */
static int tensor_index(const Checker *c, const Tensor *t)
{
	const Tensor **hit = bsearch(&t, c->sorted, (size_t)c->g->ntensors, sizeof *c->sorted, by_address);
	return hit ? (int)(hit - c->sorted) : -1;
}

/* A tensor read by a live node: a graph input, a constant, or written earlier by a live node. */
static void check_read(Checker *c, const Node *n, int pos, const Tensor *t, const char *what)
{
	int k = tensor_index(c, t);
	if (k < 0) {
		problem(c, "%s reads %s '%s', which is not in the graph's tensor list", node_str(n), what, t->name);
		return;
	}
	if (c->stage < IR_SORTED || t->kind == T_INPUT || tensor_is_const(t))
		return;
	if (c->ready[k] >= 0 && c->ready[k] < pos)
		return;
	const Node *p = t->producer;
	if (c->ready[k] >= 0)
		problem(c, "%s reads %s '%s', which %s writes later in the schedule", node_str(n), what, t->name,
		        node_str(c->g->nodes[c->ready[k]]));
	else if (p && p->dead)
		problem(c, "%s reads %s '%s', whose producer %s is dead", node_str(n), what, t->name, node_str(p));
	else
		problem(c, "%s reads %s '%s', which no live node writes", node_str(n), what, t->name);
}

static void check_shape(Checker *c, const Node *n, const Tensor *t)
{
	if (!t->has_shape) {
		problem(c, "%s: tensor '%s' has no shape", node_str(n), t->name);
		return;
	}
	if (t->shape.rank < 0 || t->shape.rank > MAX_RANK)
		problem(c, "%s: tensor '%s' has rank %d", node_str(n), t->name, t->shape.rank);
	for (int i = 0; i < t->shape.rank && i < MAX_RANK; i++)
		if (t->shape.d[i] < 0)
			problem(c, "%s: tensor '%s' has shape %s", node_str(n), t->name, shape_str(&t->shape));
	if (t->dtype == DT_UNDEFINED)
		problem(c, "%s: tensor '%s' has no data type", node_str(n), t->name);
}

/* Every live node's outputs: in the graph, written once, not an input or constant. */
static void find_writers(Checker *c)
{
	const Graph *g = c->g;
	for (int pos = 0; pos < g->nnodes; pos++) {
		const Node *n = g->nodes[pos];
		for (int j = 0; n && !n->dead && n->out && j < n->nout; j++) {
			const Tensor *t = n->out[j];
			int k = t ? tensor_index(c, t) : -1;
			if (!t)
				continue;
			if (k < 0) {
				problem(c, "%s writes '%s', which is not in the graph's tensor list", node_str(n), t->name);
				continue;
			}
			if (t->kind == T_INPUT || t->kind == T_CONST)
				problem(c, "%s writes '%s', a graph input or constant", node_str(n), t->name);
			if (c->writer[k] >= 0)
				problem(c, "'%s' has two writers: %s and %s", t->name, node_str(g->nodes[c->writer[k]]),
				        node_str(n));
			c->writer[k] = pos;
			if (c->stage >= IR_SORTED && t->producer != n)
				problem(c, "%s writes '%s', whose producer is %s", node_str(n), t->name,
				        t->producer ? node_str(t->producer) : "NULL");
		}
	}
	for (int k = 0; k < g->ntensors; k++)
		c->ready[k] = c->writer[k];
	/* a tensor nobody writes directly is complete when the last tensor aliased into it is */
	for (int k = 0; k < g->ntensors; k++) {
		const Tensor *t = c->sorted[k];
		for (int steps = 0; c->writer[k] >= 0 && t->alias && steps <= g->ntensors; steps++) {
			t = t->alias;
			int a = tensor_index(c, t);
			if (a >= 0 && c->writer[a] < 0 && c->ready[a] < c->writer[k])
				c->ready[a] = c->writer[k];
		}
	}
}

static void check_node(Checker *c, const Node *n, int pos)
{
	if (!n->name || !n->op_type || n->nin < 0 || n->nout < 0 || (n->nin && !n->in) || (n->nout && !n->out)) {
		problem(c, "node %d is malformed (a NULL name, op type or port list)", pos);
		return;
	}
	if (c->stage >= IR_SORTED && n->id != pos)
		problem(c, "%s has id %d at schedule position %d", node_str(n), n->id, pos);
	if (c->stage >= IR_CHECKED) {
		if (n->op < 0 || n->op >= OP_COUNT) {
			problem(c, "%s has op index %d (the table has %d)", node_str(n), n->op, OP_COUNT);
		} else {
			/* the ONNX port counts hold until the passes: they may add one (opt_pool_conv
			 * gives an AveragePool the bias of the conv moved before it) */
			const OpDef *d = &op_table[n->op];
			if (c->stage == IR_CHECKED && (n->nin > d->max_in || n->nout < d->min_out || n->nout > d->max_out))
				problem(c, "%s has %d inputs and %d outputs; %s takes %d..%d and %d..%d", node_str(n), n->nin,
				        n->nout, d->name, d->min_in, d->max_in, d->min_out, d->max_out);
		}
	}
	for (int j = 0; j < n->nin; j++)
		if (n->in[j])
			check_read(c, n, pos, n->in[j], xsprintf("input %d", j));
	if (n->residual)
		check_read(c, n, pos, n->residual, "its residual");
	for (int i = 0; i < n->ncovers; i++)
		if (!n->covers || !n->covers[i] || !n->covers[i][0])
			problem(c, "%s: covers entry %d is empty", node_str(n), i);
	if ((unsigned)n->act.kind > ACT_LAST)
		problem(c, "%s has activation kind %d", node_str(n), (int)n->act.kind);

	if (c->stage < IR_TYPED)
		return;
	for (int j = 0; j < n->nin; j++)
		if (n->in[j])
			check_shape(c, n, n->in[j]);
	for (int j = 0; j < n->nout; j++)
		if (n->out[j])
			check_shape(c, n, n->out[j]);
	if (n->residual && n->nout && n->out[0] && !shape_eq(&n->residual->shape, &n->out[0]->shape))
		problem(c, "%s: residual '%s' %s does not match its output %s", node_str(n), n->residual->name,
		        shape_str(&n->residual->shape), shape_str(&n->out[0]->shape));
}

/* nuses: the live nodes' inputs reading each tensor, plus one per graph output (graph_recount). */
static void check_uses(Checker *c)
{
	const Graph *g = c->g;
	int *uses = xalloc((size_t)(g->ntensors + 1) * sizeof *uses);
	for (int i = 0; i < g->nnodes; i++) {
		const Node *n = g->nodes[i];
		for (int j = 0; !n->dead && j < n->nin; j++) {
			int k = n->in[j] ? tensor_index(c, n->in[j]) : -1;
			if (k >= 0)
				uses[k]++;
		}
	}
	for (int i = 0; i < g->noutputs; i++) {
		int k = tensor_index(c, g->outputs[i]);
		if (k >= 0)
			uses[k]++;
	}
	for (int k = 0; k < g->ntensors; k++)
		if (c->sorted[k]->nuses != uses[k])
			problem(c, "tensor '%s' has nuses %d but %d readers", c->sorted[k]->name, c->sorted[k]->nuses, uses[k]);
}

static void check_io(Checker *c)
{
	const Graph *g = c->g;
	for (int i = 0; i < g->ninputs; i++) {
		const Tensor *t = g->inputs[i];
		if (tensor_index(c, t) < 0 || t->kind != T_INPUT || t->io_index != i)
			problem(c, "graph input %d '%s' is not a T_INPUT tensor of the graph with io_index %d", i, t->name, i);
	}
	for (int i = 0; i < g->noutputs; i++) {
		const Tensor *t = g->outputs[i];
		int k = tensor_index(c, t);
		if (k < 0) {
			problem(c, "graph output %d '%s' is not in the graph's tensor list", i, t->name);
			continue;
		}
		if (t->kind == T_OUTPUT && t->io_index != i)
			problem(c, "graph output %d '%s' has io_index %d", i, t->name, t->io_index);
		/* computed by a live node, folded to data, or a graph input passed through */
		if (c->stage >= IR_SORTED && c->ready[k] < 0 && !t->data && t->kind != T_INPUT)
			problem(c, "graph output '%s' is written by no live node", t->name);
	}
}

static int by_first_use(const void *a, const void *b)
{
	const Tensor *x = *(const Tensor *const *)a, *y = *(const Tensor *const *)b;
	return (x->first_use > y->first_use) - (x->first_use < y->first_use);
}

/* The memory plan: every runtime tensor a live node touches has a place, inside
 * its root, and no two arena tensors live at once share bytes. */
static void check_plan(Checker *c)
{
	const Graph *g = c->g;
	const Tensor **roots = xalloc((size_t)(g->ntensors + 1) * sizeof *roots);
	bool *seen = xalloc((size_t)(g->ntensors + 1));
	int nroots = 0;
	for (int i = 0; i < g->nnodes; i++) {
		const Node *n = g->nodes[i];
		if (n->dead)
			continue;
		for (int j = 0; j < n->nin + n->nout + 2; j++) {
			const Tensor *t = j < n->nin ? n->in[j] : j < n->nin + n->nout ? n->out[j - n->nin]
			                : j == n->nin + n->nout ? n->residual : n->scratch;
			if (!t || tensor_is_const(t))
				continue;
			int64_t off = 0;
			const Tensor *r = t;
			for (int steps = 0; r->alias; steps++) {
				if (steps > g->ntensors) {
					problem(c, "tensor '%s': its alias chain has a cycle", t->name);
					return;
				}
				off += r->alias_off;
				r = r->alias;
			}
			int64_t bytes = tensor_bytes(t);
			if (off < 0 || off + bytes > tensor_bytes(r))
				problem(c, "tensor '%s' (%lld bytes at %lld) does not fit in '%s' %s", t->name, (long long)bytes,
				        (long long)off, r->name, shape_str(&r->shape));
			if (r->kind != T_TEMP)
				continue;
			if (r->arena_off < 0 || r->arena_off % 64 || r->arena_off + bytes > g->arena_size)
				problem(c, "tensor '%s' has arena offset %lld (arena %lld bytes)", r->name,
				        (long long)r->arena_off, (long long)g->arena_size);
			else if (r->first_use < 0 || r->first_use > i || r->last_use < i)
				problem(c, "tensor '%s' is used at %d outside its lifetime %d..%d", r->name, i, r->first_use,
				        r->last_use);
			int k = tensor_index(c, r);
			if (k >= 0 && !seen[k]) {
				seen[k] = true;
				roots[nroots++] = r;
			}
		}
	}
	/* two lifetimes overlap when one starts while the other is live: a sweep over
	 * start times compares each tensor with those live then, not with all */
	qsort(roots, (size_t)nroots, sizeof *roots, by_first_use);
	const Tensor **live = xalloc((size_t)(nroots + 1) * sizeof *live);
	int nlive = 0;
	for (int a = 0; a < nroots; a++) {
		const Tensor *x = roots[a];
		int k = 0;
		for (int b = 0; b < nlive; b++)
			if (live[b]->last_use >= x->first_use)
				live[k++] = live[b];
		nlive = k;
		int64_t xe = x->arena_off + tensor_bytes(x);
		for (int b = 0; b < nlive; b++) {
			const Tensor *y = live[b];
			int64_t ye = y->arena_off + tensor_bytes(y);
			if (x->arena_off < ye && y->arena_off < xe)
				problem(c, "tensors '%s' and '%s' share arena bytes while both are live", y->name, x->name);
		}
		live[nlive++] = x;
	}
}

int ir_problems(const Graph *g, IrStage stage, char *msg, size_t cap)
{
	Checker c = { .g = g, .stage = stage, .msg = msg, .cap = cap };
	if (msg && cap)
		msg[0] = 0;
	c.sorted = xalloc((size_t)(g->ntensors + 1) * sizeof *c.sorted);
	c.writer = xalloc((size_t)(g->ntensors + 1) * sizeof *c.writer);
	c.ready = xalloc((size_t)(g->ntensors + 1) * sizeof *c.ready);
	CNames *names = cnames_new();
	for (int k = 0; k < g->ntensors; k++) {
		c.sorted[k] = g->tensors[k];
		c.writer[k] = -1;
		if (!g->tensors[k]->name)
			problem(&c, "tensor %d has no name", k);
		else if (!cnames_add(names, g->tensors[k]->name))
			problem(&c, "two tensors are named '%s'", g->tensors[k]->name);
	}
	qsort(c.sorted, (size_t)g->ntensors, sizeof *c.sorted, by_address);
	find_writers(&c);
	for (int i = 0; i < g->nnodes; i++) {
		if (!g->nodes[i])
			problem(&c, "node %d is NULL", i);
		else if (!g->nodes[i]->dead)
			check_node(&c, g->nodes[i], i);
		else if (stage >= IR_SORTED && g->nodes[i]->id != i)
			problem(&c, "dead %s has id %d at schedule position %d", node_str(g->nodes[i]), g->nodes[i]->id, i);
	}
	check_io(&c);
	if (stage >= IR_SORTED)
		check_uses(&c);
	if (stage >= IR_PLANNED && !c.problems)
		check_plan(&c);
	return c.problems;
}

void check_ir(const Graph *g, const char *after, IrStage stage)
{
	char msg[2048];
	int n = ir_problems(g, stage, msg, sizeof msg);
	if (n)
		internal_error(__FILE__, __LINE__, xsprintf("--check-ir: the IR is broken after '%s' (%d problem%s): %s",
		                                            after, n, n == 1 ? "" : "s", msg));
}
