/*
 * opt_concat.c - Concat in place: when every input of a Concat is written by
 * a kernel of its own and read by nothing else, each input is placed at its
 * slice of the output (tensor alias + byte offset) and the Concat disappears.
 * The slices are contiguous only when every dimension before the axis is 1
 * (per sample: Inception's channel concat of [1,C,H,W] tensors qualifies).
 *
 * DenseNet's growing concat is a chain: layer k of a dense block reads
 * Concat(x0, f1, .., fk-1), each concat's inputs the previous one's plus one,
 * so every fj is read by several concats.  Each concat of such a chain is a
 * prefix of the next, so all of them live in the last one's memory: fj goes
 * to its slice of the first concat that holds it, and each concat is an
 * alias at offset 0 of the next (the IR checker then finds a concat complete
 * when the last tensor aliased into it is written).  The concats had copied
 * the whole growing block once per layer (8 ms of densenet121 on one thread).
 */
#include "ir.h"

static bool placeable(const Tensor *t, const Node *concat)
{
	if (!t || tensor_is_const(t) || t->kind != T_TEMP || t->alias || t->nuses != 1)
		return false;
	const Node *p = t->producer;
	if (!p || p->dead || op_table[p->op].view)
		return false;
	/* the same tensor twice in one concat cannot sit in two places */
	int seen = 0;
	for (int j = 0; j < concat->nin; j++)
		seen += concat->in[j] == t;
	return seen == 1;
}

/* The axis of a concat whose slices are contiguous (every dimension before it 1), or -1. */
static int flat_axis(const Node *n)
{
	const Tensor *out = n->out[0];
	if (out->alias || out->dtype != DT_FLOAT)
		return -1;
	int rank = out->shape.rank;
	int axis = (int)attr_int(n, "axis", 1);
	if (axis < 0)
		axis += rank;
	if (axis < 0 || axis >= rank)
		return -1;
	for (int k = 0; k < axis; k++)
		if (out->shape.d[k] != 1)
			return -1;
	return axis;
}

/* m continues n's chain: the same axis and trailing extents, n's inputs a proper prefix of m's. */
static bool extends(const Node *n, const Node *m, int axis)
{
	if (m == n || m->dead || m->op != OP_Concat || m->nin <= n->nin || flat_axis(m) != axis)
		return false;
	const Shape *a = &n->out[0]->shape, *b = &m->out[0]->shape;
	if (a->rank != b->rank)
		return false;
	for (int k = axis + 1; k < a->rank; k++)
		if (a->d[k] != b->d[k])
			return false;
	for (int j = 0; j < n->nin; j++)
		if (m->in[j] != n->in[j])
			return false;
	return true;
}

#define MAX_CHAIN 256

/* A chain of at least two concats starting at n (the next one is the nearest extension); its
 * length, 0 if there is none or it cannot be placed: every input written by a kernel of its own,
 * read by the chain's concats only; every concat but the last read by kernels only. */
static int chain_from(Node **cats, int ncats, Node *n, Node **chain)
{
	int axis = flat_axis(n), len = 0;
	if (axis < 0)
		return 0;
	chain[len++] = n;
	for (;;) {
		Node *cur = chain[len - 1], *next = NULL;
		for (int i = 0; i < ncats; i++) {
			Node *m = cats[i];
			if (m->in[0] == n->in[0] && extends(cur, m, axis) && (!next || m->nin < next->nin))
				next = m;
		}
		if (!next || len == MAX_CHAIN)
			break;
		chain[len++] = next;
	}
	if (len < 2)
		return 0;
	const Node *last = chain[len - 1];
	for (int k = 0; k + 1 < len; k++) {
		const Tensor *o = chain[k]->out[0];
		if (o->kind != T_TEMP || o->alias)
			return 0;
	}
	for (int j = 0; j < last->nin; j++) {
		const Tensor *t = last->in[j];
		int readers = 0; /* the chain's concats that hold t */
		for (int k = 0; k < len; k++)
			readers += j < chain[k]->nin;
		if (!t || tensor_is_const(t) || t->kind != T_TEMP || t->alias || t->nuses != readers)
			return 0;
		const Node *p = t->producer;
		if (!p || p->dead || op_table[p->op].view)
			return 0;
		for (int i = 0; i < j; i++)
			if (last->in[i] == t)
				return 0;
	}
	return len;
}

/* Places a chain: each input at its slice of the first concat holding it, each concat at
 * offset 0 of the next; the concats disappear. */
static void place_chain(Node **chain, int len, int axis)
{
	const Node *last = chain[len - 1];
	const Shape *s = &last->out[0]->shape;
	int64_t inner = 1;
	for (int k = axis + 1; k < s->rank; k++)
		inner *= s->d[k];
	int64_t off = 0;
	for (int j = 0, k = 0; j < last->nin; j++) {
		while (j >= chain[k]->nin)
			k++;
		Tensor *t = last->in[j];
		t->alias = chain[k]->out[0];
		t->alias_off = off * (int64_t)sizeof(float);
		off += t->shape.d[axis] * inner;
	}
	for (int k = 0; k < len; k++) {
		if (k + 1 < len) {
			chain[k]->out[0]->alias = chain[k + 1]->out[0];
			chain[k]->out[0]->alias_off = 0;
		}
		chain[k]->dead = true;
	}
}

void opt_concat_inplace(Graph *g)
{
	int done = 0, chained = 0, chains = 0, ncats = 0;
	Node *chain[MAX_CHAIN];
	Node **cats = xalloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *cats);
	for (int i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && g->nodes[i]->op == OP_Concat && g->nodes[i]->nin > 0 && g->nodes[i]->in[0])
			cats[ncats++] = g->nodes[i];
	/* chains first (in schedule order, so a chain is found from its first concat): a chain's
	 * concats share their inputs, which the single case refuses */
	for (int i = 0; i < ncats; i++) {
		if (cats[i]->dead)
			continue;
		int len = chain_from(cats, ncats, cats[i], chain);
		if (!len)
			continue;
		place_chain(chain, len, flat_axis(cats[i]));
		chained += len;
		chains++;
	}
	done = chained;
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead || n->op != OP_Concat)
			continue;
		Tensor *out = n->out[0];
		if (out->alias || out->dtype != DT_FLOAT)
			continue;
		int rank = out->shape.rank;
		int axis = (int)attr_int(n, "axis", 1);
		if (axis < 0)
			axis += rank;
		bool ok = axis >= 0 && axis < rank;
		for (int k = 0; k < axis && ok; k++)
			ok = out->shape.d[k] == 1;
		for (int j = 0; j < n->nin && ok; j++)
			ok = placeable(n->in[j], n);
		if (!ok)
			continue;
		int64_t inner = 1;
		for (int k = axis + 1; k < rank; k++)
			inner *= out->shape.d[k];
		int64_t off = 0;
		for (int j = 0; j < n->nin; j++) {
			Tensor *t = n->in[j];
			t->alias = out;
			t->alias_off = off * (int64_t)sizeof(float);
			off += t->shape.d[axis] * inner;
		}
		n->dead = true;
		done++;
	}
	graph_recount(g);
	progress("concat-in-place: %d concats removed (%d of them in %d chains)", done, chained, chains);
}
