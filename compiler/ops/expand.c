/*
 * ops/expand.c - Expand: the input broadcast (numpy rules, both ways) to a
 * constant shape.  A move whose source stride is 0 on every broadcast axis
 * (see move.h), so constants fold for any type and run-time tensors become
 * a strided copy.
 *
 * Batch: a shape taken from a batched tensor has SYM_BATCH first (ViT's
 * class token is Expand(token [1,1,768], Shape(x)[0],1,768)).  The output is
 * then batched, one copy per sample, which needs the input's axis 0 to be 1;
 * such an Expand of a constant does not fold but runs, writing each sample.
 */
#include "move.h"

void expand_parse(Graph *g, Node *n) { parse_none(g, n); }

void expand_infer(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0];
	if (!tensor_is_const(x))
		require_float(n, 0);
	int64_t s[MAX_RANK];
	int r = const_ints_input(n, 1, s, MAX_RANK);
	if (r < 0)
		fatal_node(n, "input 'shape' is missing");
	bool batched = x->batched;
	Shape want = { .rank = r };
	for (int i = 0; i < r; i++) {
		if (s[i] == SYM_BATCH) {
			if (i != 0 || r < x->shape.rank)
				fatal_node(n, "shape value %d is the run-time batch size, which can only be the first dimension "
				              "of the output", i);
			batched = true;
			s[i] = 1;
		} else if (s[i] < 0) {
			fatal_node(n, "shape value %d is %lld; Expand needs sizes >= 0", i, (long long)s[i]);
		}
		want.d[i] = s[i];
	}
	Shape o;
	broadcast_shape(n, &x->shape, &want, &o);
	if (x->batched && o.rank != x->shape.rank)
		fatal_node(n, "Expand of the batched tensor '%s' to rank %d moves the run-time batch off axis 0; fix the "
		              "batch with --dim to compile this", x->name, o.rank);
	if (batched && o.d[0] != 1)
		fatal_node(n, "Expand to %s puts %lld entries on axis 0, which is the run-time batch; fix the batch with "
		              "--dim to compile this", shape_str(&o), (long long)o.d[0]);
	set_out(n, 0, x->dtype, &o, batched);
}

static Move expand_move(const Node *n)
{
	const Shape *xs = &n->in[0]->shape, *os = &n->out[0]->shape;
	int64_t st[MAX_RANK];
	move_strides(xs, st);
	Move m = move_contig(os);
	for (int i = 0; i < os->rank; i++) {
		int k = i - (os->rank - xs->rank);
		m.ss[i] = k < 0 || xs->d[k] == 1 ? 0 : st[k];
	}
	return m;
}

bool expand_fold(Graph *g, Node *n)
{
	(void)g;
	if (n->out[0]->batched) /* a copy per sample, written at run time */
		return false;
	Move m = expand_move(n);
	move_run(&m, move_alloc(n->out[0]), n->in[0]->data, dtype_size(n->in[0]->dtype));
	return true;
}

void expand_emit(Emit *e, Node *n)
{
	require_float(n, 0);
	Move m = expand_move(n);
	move_emit(e, &m, "out0", move_input(e, n, 0));
}
