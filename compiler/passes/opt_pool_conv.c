/*
 * opt_pool_conv.c - an average pool that feeds a 1x1 convolution with fewer
 * output than input channels runs after it instead:
 *   y = act(conv1x1(avgpool(x)) + b)   becomes   y = act(avgpool(conv1x1(x)) + b)
 * An average pool is the same linear map of each channel's plane (its
 * divisors depend on the position only, with or without count_include_pad)
 * and a 1x1 conv mixes channels pixel by pixel, so the two commute; the bias
 * is added after the pool, not pooled.  The pool must keep the image's size,
 * so the conv does the same work on its input, and then pools M planes
 * instead of C: the branch_pool of Inception's blocks (AveragePool 3x3 then
 * 1x1 conv, 768 -> 192 or 2048 -> 192 channels).  The conv loses its bias;
 * the pool takes it (AveragePool's in[1]) and, later, the activation
 * (opt_fuse_act), both applied in one pass after the pool.  Runs before
 * residual and activation fusion, so the conv has neither yet.
 */
#include "ir.h"

#include <string.h>

static bool all_eq(const Node *n, const char *attr, int64_t v)
{
	int64_t a[2 * MAX_RANK];
	int k = attr_ints(n, attr, a, 2 * MAX_RANK);
	for (int i = 0; i < k; i++)
		if (a[i] != v)
			return false;
	return true;
}

/* c: a plain 1x1 conv of pool p's output, its only reader, keeping the size */
static bool swappable(const Node *p, const Node *c)
{
	const Tensor *x = p->in[0], *y = p->out[0], *w = c->nin > 1 ? c->in[1] : NULL;
	const Tensor *b = c->nin > 2 ? c->in[2] : NULL;
	if (p->act.kind || p->nin != 1 || x->shape.rank != 4 || y->shape.rank != 4 || x->batched != y->batched)
		return false;
	if (y->shape.d[2] != x->shape.d[2] || y->shape.d[3] != x->shape.d[3])
		return false; /* a pool that shrinks the image: the conv would do more work */
	if (y->nuses != 1 || y->kind == T_OUTPUT || c->op != OP_Conv || c->in[0] != y || c->act.kind || c->residual)
		return false;
	if (!w || !tensor_is_const(w) || w->shape.rank != 4 || w->shape.d[1] != y->shape.d[1] ||
	    w->shape.d[2] != 1 || w->shape.d[3] != 1)
		return false; /* 1x1 and one group */
	if (b && !tensor_is_const(b))
		return false;
	if (attr_int(c, "group", 1) != 1 || !all_eq(c, "strides", 1) || !all_eq(c, "pads", 0))
		return false;
	const char *ap = attr_string(c, "auto_pad", "NOTSET");
	if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
		return false;
	return w->shape.d[0] < y->shape.d[1]; /* fewer planes to pool */
}

void opt_pool_conv(Graph *g)
{
	int swapped = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *p = g->nodes[i];
		if (p->dead || p->op != OP_AveragePool)
			continue;
		const int k = graph_next_reader(g, i + 1, p->out[0]); /* the only reader, if swappable */
		Node *c = k < 0 ? NULL : g->nodes[k];
		if (!c || !swappable(p, c))
			continue;
		Tensor *x = p->in[0], *y = c->out[0], *b = c->nin > 2 ? c->in[2] : NULL;
		/* t = conv(x), the size of y; the pool then reads t and writes y */
		Tensor *t = graph_tensor(g, xsprintf("%s__unpooled", y->name));
		t->dtype = DT_FLOAT;
		t->shape = y->shape;
		t->batched = y->batched;
		t->has_shape = true;
		c->in[0] = x;
		c->nin = 2;
		graph_set_output(c, 0, t);
		Tensor **in = xalloc(2 * sizeof *in);
		in[0] = t;
		in[1] = b;
		p->in = in;
		p->nin = 2;
		graph_set_output(p, 0, y);
		node_add_cover_text(p, xsprintf("pooled after Conv '%s' (1x1, %lld -> %lld channels, run first; "
		                                "its bias added here)",
		                                c->name, (long long)x->shape.d[1], (long long)y->shape.d[1]));
		/* the conv now runs where the pool did (it needs only x), the pool where the conv did */
		g->nodes[i] = c;
		g->nodes[k] = p;
		swapped++;
	}
	graph_recount(g);
	progress("pool-conv: %d average pools moved after the 1x1 conv they fed", swapped);
}
