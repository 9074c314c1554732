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
 *    overlaps.  Those are found through an index on lifetimes, so a 100k-node
 *    chain plans in O(n log n) (tests/pathological/).  Records the lower
 *    bound (the largest sum of live sizes at any step) and the naive sum,
 *    for --report.
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
	return tensor_bytes(t);
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

typedef struct { Tensor *t; int64_t size; int pos; } Item;

/* The placement's index: items by first use (byfirst, pos = an item's index there), and a
 * segment tree over those positions holding the latest last use among placed items (-1:
 * none placed).  overlapping() collects into hits the placed items at positions < ub (they
 * start before the new one ends) that end at or after `from` (when it starts). */
typedef struct { int64_t lo, hi; } Span; /* bytes [lo, hi) of a placed tensor */
typedef struct {
	Item **byfirst; int n, cap;
	int *maxlast;
	Span *hits, *tmp; int nhits;
} Placed;

static void overlapping(Placed *P, int node, int lo, int hi, int ub, int from)
{
	if (lo >= ub || P->maxlast[node] < from)
		return;
	if (hi - lo == 1) {
		const Item *it = P->byfirst[lo];
		P->hits[P->nhits++] = (Span){ it->t->arena_off, it->t->arena_off + it->size };
		return;
	}
	int mid = lo + (hi - lo) / 2;
	overlapping(P, 2 * node, lo, mid, ub, from);
	overlapping(P, 2 * node + 1, mid, hi, ub, from);
}

static int by_first_use(const void *a, const void *b)
{
	const Item *x = *(Item *const *)a, *y = *(Item *const *)b;
	return x->t->first_use - y->t->first_use;
}

static int by_offset(const void *a, const void *b)
{
	const Span *x = a, *y = b;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Sorts spans by lo: qsort when few, else an LSD radix sort on 8-bit digits of lo / ALIGN
 * (a 10k-wide fan-out has 10k tensors live at once, and each placement sorts them). */
static void sort_spans(Span *a, int n, Span *tmp)
{
	if (n < 256) {
		qsort(a, (size_t)n, sizeof *a, by_offset);
		return;
	}
	uint64_t top = 0;
	for (int i = 0; i < n; i++)
		top |= (uint64_t)(a[i].lo / ALIGN);
	for (int shift = 0; shift < 64 && (top >> shift); shift += 8) {
		int count[256] = { 0 };
		for (int i = 0; i < n; i++)
			count[((uint64_t)(a[i].lo / ALIGN) >> shift) & 0xff]++;
		for (int d = 0, sum = 0; d < 256; d++) {
			int c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (int i = 0; i < n; i++)
			tmp[count[((uint64_t)(a[i].lo / ALIGN) >> shift) & 0xff]++] = a[i];
		memcpy(a, tmp, (size_t)n * sizeof *a);
	}
}

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
		items[nitems++] = (Item){ t, sz, 0 };
		naive += sz;
	}
	qsort(items, (size_t)nitems, sizeof *items, by_size_desc);

	int64_t arena = 0;
	/* placed items indexed by first use, with the latest last use of each subtree, so
	 * the placed tensors whose lifetime overlaps come out in O((k + 1) log n) */
	Placed P = { .n = nitems };
	P.byfirst = xalloc((size_t)(nitems ? nitems : 1) * sizeof *P.byfirst);
	for (int i = 0; i < nitems; i++)
		P.byfirst[i] = &items[i];
	qsort(P.byfirst, (size_t)nitems, sizeof *P.byfirst, by_first_use);
	for (int i = 0; i < nitems; i++)
		P.byfirst[i]->pos = i;
	for (P.cap = 1; P.cap < nitems; P.cap *= 2)
		;
	P.maxlast = xalloc(2 * (size_t)P.cap * sizeof *P.maxlast);
	for (int i = 0; i < 2 * P.cap; i++)
		P.maxlast[i] = -1;
	P.hits = xalloc((size_t)(nitems ? nitems : 1) * sizeof *P.hits);
	P.tmp = xalloc((size_t)(nitems ? nitems : 1) * sizeof *P.tmp);
	for (int i = 0; i < nitems; i++) {
		Item *it = &items[i];
		/* the lowest 64-byte aligned offset clear of every overlapping placed tensor:
		 * sweep them by offset (sizes and offsets are multiples of ALIGN) */
		P.nhits = 0;
		int ub = 0; /* items starting no later than this one ends */
		for (int lo = 0, hi = nitems; lo < hi;) {
			int mid = lo + (hi - lo) / 2;
			if (P.byfirst[mid]->t->first_use <= it->t->last_use)
				ub = lo = mid + 1;
			else
				hi = mid;
		}
		overlapping(&P, 1, 0, P.cap, ub, it->t->first_use);
		sort_spans(P.hits, P.nhits, P.tmp);
		int64_t best = 0;
		for (int k = 0; k < P.nhits && P.hits[k].lo < best + it->size; k++)
			if (P.hits[k].hi > best)
				best = P.hits[k].hi;
		it->t->arena_off = best;
		int leaf = P.cap + it->pos;
		P.maxlast[leaf] = it->t->last_use;
		for (leaf /= 2; leaf; leaf /= 2)
			P.maxlast[leaf] = P.maxlast[2 * leaf] > P.maxlast[2 * leaf + 1] ? P.maxlast[2 * leaf]
			                                                                 : P.maxlast[2 * leaf + 1];
		if (best + it->size > arena)
			arena = best + it->size;
	}

	/* lower bound: the largest total of simultaneously live arena tensors (a sweep over steps) */
	int64_t lb = 0, live = 0;
	int64_t *delta = xalloc((size_t)(g->nnodes + 1) * sizeof *delta);
	for (int i = 0; i < nitems; i++) {
		delta[items[i].t->first_use] += items[i].size;
		delta[items[i].t->last_use + 1] -= items[i].size;
	}
	for (int s = 0; s < g->nnodes; s++) {
		live += delta[s];
		if (live > lb)
			lb = live;
	}
	check_limit(arena, g_limits.arena, "the workspace arena (per sample)", "--max-arena");
	g->arena_size = arena;
	g->arena_lower_bound = lb;
	g->arena_naive = naive;
	progress("memory plan: arena %lld bytes (lower bound %lld, naive sum %lld) for %d tensors",
	         (long long)arena, (long long)lb, (long long)naive, nitems);
}
