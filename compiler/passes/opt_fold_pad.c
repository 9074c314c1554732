/*
 * opt_fold_pad.c - a zero Pad of the spatial axes folded into the Conv or
 * AveragePool that reads it, as that op's own `pads`, so the padded copy is
 * never made.  Exact for Conv (zero padding is what Conv pads with) and for
 * AveragePool when the padded taps are counted (count_include_pad = 1) and
 * ceil_mode is off, which is how exporters write PyTorch's
 * avg_pool2d(padding=p, count_include_pad=True): Inception-v3 has nine.
 * MaxPool pads with -inf, so a zero Pad before it is left alone.
 */
#include "ops/ops.h"

#include <string.h>

static Attr *attr_get_or_add(Node *n, const char *name, AttrType t)
{
	for (int i = 0; i < n->nattrs; i++)
		if (!strcmp(n->attrs[i].name, name))
			return &n->attrs[i];
	n->attrs = xrealloc_arr(n->attrs, (size_t)n->nattrs, (size_t)n->nattrs + 1, sizeof *n->attrs);
	Attr *a = &n->attrs[n->nattrs++];
	memset(a, 0, sizeof *a);
	a->name = name;
	a->type = t;
	return a;
}

static bool can_take(const Node *c)
{
	if (c->dead || strcmp(attr_string(c, "auto_pad", "NOTSET"), "NOTSET"))
		return false;
	if (c->op == OP_Conv)
		return true;
	return c->op == OP_AveragePool && attr_int(c, "ceil_mode", 0) == 0;
}

void opt_fold_pad(Graph *g)
{
	int folded = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *pad = g->nodes[i];
		if (pad->dead || pad->op != OP_Pad)
			continue;
		Tensor *y = pad->out[0];
		if (y->nuses != 1 || y->kind == T_OUTPUT)
			continue;
		int64_t b[2], e[2];
		int nsp;
		if (!pad_zero_spatial(pad, b, e, &nsp))
			continue;
		const int at = graph_next_reader(g, i + 1, y);
		Node *c = at < 0 ? NULL : g->nodes[at];
		if (!c || !can_take(c))
			continue;
		Attr *pads = attr_get_or_add(c, "pads", AT_INTS);
		int64_t *v = xalloc(4 * sizeof *v);
		for (int k = 0; k < 2 * nsp; k++)
			v[k] = k < pads->nints ? pads->ints[k] : 0;
		for (int k = 0; k < nsp; k++) {
			v[k] += b[k];
			v[k + nsp] += e[k];
		}
		pads->ints = v;
		pads->nints = 2 * nsp;
		if (c->op == OP_AveragePool) {
			Attr *cip = attr_get_or_add(c, "count_include_pad", AT_INT);
			cip->i = 1;
		}
		Shape before = c->out[0]->shape;
		c->in[0] = pad->in[0];
		op_table[c->op].parse(g, c);
		op_table[c->op].infer(g, c);
		ASSERT(shape_eq(&before, &c->out[0]->shape));
		node_add_cover(c, pad);
		pad->dead = true;
		folded++;
	}
	graph_recount(g);
	progress("fold-pad: %d zero pads folded into convolutions and average pools", folded);
}
