/*
 * plan.c - the static memory plan: every intermediate tensor gets a byte
 * offset in one workspace arena, computed at compile time.
 *
 * 1. Views (Reshape, Flatten, Squeeze, ...) share their input's memory: the
 *    output gets `alias` = input.  When the view's output is a graph output,
 *    the input is placed in the output buffer instead; when neither works
 *    (a graph input reshaped straight into a graph output) the emitter copies.
 *    An op may also have set `alias` beforehand (concat in place); the plan
 *    respects it.
 * 1b. Scratch: a node whose kernel needs working memory while it runs
 *    (op_scratch_floats: a Conv on the channel-vectorised Winograd path)
 *    gets a tensor of its own that lives for that node only.
 * 2. Liveness: each arena tensor lives from its producer's position to its
 *    last reader's, counting readers of every tensor aliased into it.
 * 3. Placement: greedy by size, largest first, each at the lowest 64-byte
 *    aligned offset that does not overlap a placed tensor whose lifetime
 *    overlaps.  Records the lower bound (the largest sum of live sizes at
 *    any step) and the naive sum, for --report.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN 64

static bool in_arena(const Tensor *t)
{
	return t->kind == T_TEMP && !t->alias && !tensor_is_const(t);
}

static int64_t bytes_of(const Tensor *t)
{
	return checked_mul(shape_numel(&t->shape), (int64_t)sizeof(float), "tensor bytes");
}

static void alias_views(Graph *g)
{
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead || !op_table[n->op].view)
			continue;
		Tensor *in = n->in[0], *out = n->out[0];
		if (!in || !out || tensor_is_const(in) || out->alias)
			continue;
		if (out->kind != T_OUTPUT) {
			out->alias = in;
			out->alias_off = 0;
			continue;
		}
		/* out is a graph output: put the input (its whole alias tree) there */
		Tensor *r = tensor_root(in, NULL);
		if (r->kind == T_TEMP && r == in && in->producer) {
			in->alias = out;
			in->alias_off = 0;
		}
		/* else: left unaliased, emitted as a copy */
	}
}

bool node_is_free_view(const Node *n)
{
	if (!op_table[n->op].view || !n->out[0])
		return false;
	/* either the output lives in the input's memory, or (a view that is a
	 * graph output) the input was placed in the output buffer */
	return n->out[0]->alias || tensor_root(n->in[0], NULL) == n->out[0];
}

typedef struct { Tensor *t; int64_t size; } Item;

static int by_size_desc(const void *a, const void *b)
{
	const Item *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->t->first_use - y->t->first_use;
}

static void add_scratch(Graph *g)
{
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		const int64_t floats = n->dead || n->scratch ? 0 : op_scratch_floats(n);
		if (floats <= 0)
			continue;
		char *name = xsprintf("%s:scratch", n->name);
		for (int k = 1; graph_find(g, name); k++)
			name = xsprintf("%s:scratch%d", n->name, k);
		Tensor *t = graph_tensor(g, name);
		t->kind = T_TEMP;
		t->dtype = DT_FLOAT;
		t->shape.rank = 1;
		t->shape.d[0] = floats;
		t->producer = n;
		n->scratch = t;
	}
}

void plan_memory(Graph *g)
{
	alias_views(g);
	add_scratch(g);

	for (int i = 0; i < g->ntensors; i++) {
		g->tensors[i]->first_use = -1;
		g->tensors[i]->last_use = -1;
		g->tensors[i]->arena_off = -1;
	}
	/* liveness on roots */
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead)
			continue;
		for (int j = 0; j <= n->nout; j++) {
			Tensor *t = j < n->nout ? n->out[j] : n->scratch;
			if (!t)
				continue;
			Tensor *r = tensor_root(t, NULL);
			if (r->first_use < 0 || r->first_use > n->id)
				r->first_use = n->id;
			if (r->last_use < n->id)
				r->last_use = n->id;
		}
		for (int j = 0; j <= n->nin; j++) {
			Tensor *t = j < n->nin ? n->in[j] : n->residual;
			if (!t)
				continue;
			Tensor *r = tensor_root(t, NULL);
			if (r->last_use < n->id)
				r->last_use = n->id;
		}
	}

	int nitems = 0;
	Item *items = xalloc((size_t)(g->ntensors ? g->ntensors : 1) * sizeof *items);
	int64_t naive = 0;
	for (int i = 0; i < g->ntensors; i++) {
		Tensor *t = g->tensors[i];
		if (!in_arena(t) || t->first_use < 0)
			continue;
		int64_t sz = (bytes_of(t) + ALIGN - 1) / ALIGN * ALIGN;
		items[nitems++] = (Item){ t, sz };
		naive += sz;
	}
	qsort(items, (size_t)nitems, sizeof *items, by_size_desc);

	int64_t arena = 0;
	Item **placed = xalloc((size_t)(nitems ? nitems : 1) * sizeof *placed);
	int nplaced = 0;
	/* candidate offsets: 0 and the end of every conflicting placed tensor */
	int64_t *cand = xalloc((size_t)(nitems + 1) * sizeof *cand);
	for (int i = 0; i < nitems; i++) {
		Item *it = &items[i];
		int nc = 0;
		cand[nc++] = 0;
		for (int k = 0; k < nplaced; k++) {
			Tensor *o = placed[k]->t;
			if (o->last_use < it->t->first_use || o->first_use > it->t->last_use)
				continue;
			cand[nc++] = o->arena_off + placed[k]->size;
		}
		int64_t best = -1;
		for (int c = 0; c < nc; c++) {
			int64_t lo = cand[c], hi = lo + it->size;
			if (best >= 0 && lo >= best)
				continue;
			bool ok = true;
			for (int k = 0; k < nplaced && ok; k++) {
				Tensor *o = placed[k]->t;
				if (o->last_use < it->t->first_use || o->first_use > it->t->last_use)
					continue;
				if (lo < o->arena_off + placed[k]->size && o->arena_off < hi)
					ok = false;
			}
			if (ok)
				best = lo;
		}
		ASSERT(best >= 0);
		it->t->arena_off = best;
		placed[nplaced++] = it;
		if (best + it->size > arena)
			arena = best + it->size;
	}

	/* lower bound: the largest total of simultaneously live arena tensors */
	int64_t lb = 0;
	for (int s = 0; s < g->nnodes; s++) {
		int64_t live = 0;
		for (int i = 0; i < nitems; i++)
			if (items[i].t->first_use <= s && items[i].t->last_use >= s)
				live += items[i].size;
		if (live > lb)
			lb = live;
	}
	g->arena_size = arena;
	g->arena_lower_bound = lb;
	g->arena_naive = naive;
	progress("memory plan: arena %lld bytes (lower bound %lld, naive sum %lld) for %d tensors",
	         (long long)arena, (long long)lb, (long long)naive, nitems);
}
