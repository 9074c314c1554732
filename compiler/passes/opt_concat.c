/*
 * opt_concat.c - Concat in place: when every input of a Concat is written by
 * a kernel of its own and read by nothing else, each input is placed at its
 * slice of the output (tensor alias + byte offset) and the Concat disappears.
 * The slices are contiguous only when every dimension before the axis is 1
 * (per sample: Inception's channel concat of [1,C,H,W] tensors qualifies).
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

void opt_concat_inplace(Graph *g)
{
	int done = 0;
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
	progress("concat-in-place: %d concats removed", done);
}
