/*
 * ops/transpose.c - Transpose: a move whose source strides are the input's
 * strides permuted (see move.h).  Folds constant weights (exporters
 * transpose FC weights) and emits a plain strided copy at run time.
 */
#include "move.h"

typedef struct { int perm[MAX_RANK]; } TransposeP;

void transpose_parse(Graph *g, Node *n)
{
	(void)g;
	TransposeP *p = xalloc(sizeof *p);
	int r = n->in[0]->shape.rank;
	int64_t perm[MAX_RANK];
	int np = attr_ints(n, "perm", perm, MAX_RANK);
	bool seen[MAX_RANK] = { false };
	for (int i = 0; i < r; i++) {
		int64_t v = np < 0 ? r - 1 - i : perm[i];
		if (np >= 0 && np != r)
			fatal_node(n, "perm has %d values for an input of rank %d", np, r);
		if (v < 0 || v >= r || seen[v])
			fatal_node(n, "perm is not a permutation of 0..%d", r - 1);
		seen[v] = true;
		p->perm[i] = (int)v;
	}
	n->p = p;
}

void transpose_infer(Graph *g, Node *n)
{
	(void)g;
	const TransposeP *p = n->p;
	const Tensor *x = n->in[0];
	if (!tensor_is_const(x))
		require_float(n, 0);
	if (x->batched && x->shape.rank > 0 && p->perm[0] != 0)
		fatal_node(n, "Transpose moves axis 0 of '%s', which is the run-time batch; fix the batch with --dim "
		           "to compile this", x->name);
	Shape o = { .rank = x->shape.rank };
	for (int i = 0; i < o.rank; i++)
		o.d[i] = x->shape.d[p->perm[i]];
	set_out(n, 0, x->dtype, &o, x->batched);
}

static Move transpose_move(const Node *n)
{
	const TransposeP *p = n->p;
	int64_t st[MAX_RANK];
	move_strides(&n->in[0]->shape, st);
	Move m = move_contig(&n->out[0]->shape);
	for (int i = 0; i < m.rank; i++)
		m.ss[i] = st[p->perm[i]];
	return m;
}

bool transpose_fold(Graph *g, Node *n)
{
	(void)g;
	Move m = transpose_move(n);
	move_run(&m, move_alloc(n->out[0]), n->in[0]->data, dtype_size(n->in[0]->dtype));
	return true;
}

void transpose_emit(Emit *e, Node *n)
{
	require_float(n, 0);
	Move m = transpose_move(n);
	move_emit(e, &m, "out0", move_input(e, n, 0));
}
