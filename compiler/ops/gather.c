/*
 * ops/gather.c - Gather with compile-time indices (negative ones wrap once).
 * The data is seen as [outer, axis, inner]; the output as [outer, nidx,
 * inner]; the index dimension reads its source offset from a table, so the
 * run-time copy is a move and a run of consecutive indices still merges
 * into one memcpy per row.  Exporters' Shape->Gather on int64 constants
 * folds through the same move, SYM_BATCH values included.
 */
#include "move.h"

typedef struct { int axis; int64_t nidx; int64_t *idx; } GatherP;

void gather_parse(Graph *g, Node *n)
{
	(void)g;
	GatherP *p = xalloc(sizeof *p);
	const Tensor *x = n->in[0], *it = n->in[1];
	p->axis = norm_axis(n, attr_int(n, "axis", 0), x->shape.rank, "axis");
	p->nidx = shape_numel(&it->shape);
	p->idx = xalloc((size_t)(p->nidx ? p->nidx : 1) * sizeof *p->idx);
	const_ints_input(n, 1, p->idx, (int)(p->nidx < (1 << 30) ? p->nidx : 1 << 30));
	int64_t dim = x->shape.d[p->axis];
	for (int64_t i = 0; i < p->nidx; i++) {
		int64_t v = p->idx[i];
		if (v < -dim || v >= dim)
			fatal_node(n, "index %lld is out of range for axis %d of extent %lld", (long long)v, p->axis,
			           (long long)dim);
		p->idx[i] = v < 0 ? v + dim : v;
	}
	n->p = p;
}

void gather_infer(Graph *g, Node *n)
{
	(void)g;
	const GatherP *p = n->p;
	const Tensor *x = n->in[0], *it = n->in[1];
	if (!tensor_is_const(x))
		require_float(n, 0);
	check_batch_axis(n, x, p->axis, "Gather");
	Shape o = { .rank = x->shape.rank - 1 + it->shape.rank };
	if (o.rank > MAX_RANK)
		fatal_unsupported(n, "the output would have rank %d (at most %d supported)", o.rank, MAX_RANK);
	int k = 0;
	for (int d = 0; d < p->axis; d++)
		o.d[k++] = x->shape.d[d];
	for (int d = 0; d < it->shape.rank; d++)
		o.d[k++] = it->shape.d[d];
	for (int d = p->axis + 1; d < x->shape.rank; d++)
		o.d[k++] = x->shape.d[d];
	set_out(n, 0, x->dtype, &o, x->batched);
}

static Move gather_move(const Node *n)
{
	const GatherP *p = n->p;
	const Shape *xs = &n->in[0]->shape;
	int64_t outer = 1, inner = 1;
	for (int d = 0; d < p->axis; d++)
		outer *= xs->d[d];
	for (int d = p->axis + 1; d < xs->rank; d++)
		inner *= xs->d[d];
	int64_t *t = xalloc((size_t)(p->nidx ? p->nidx : 1) * sizeof *t);
	bool affine = true;
	for (int64_t i = 0; i < p->nidx; i++) {
		t[i] = p->idx[i] * inner;
		affine &= p->idx[i] == p->idx[0] + i;
	}
	Move m = {
		.rank = 3,
		.n = { outer, p->nidx, inner },
		.ds = { p->nidx * inner, inner, 1 },
		.ss = { xs->d[p->axis] * inner, inner, 1 },
	};
	if (affine && p->nidx > 0) /* a contiguous range: plain strides, so rows merge */
		m.src_off = t[0];
	else
		m.tab[1] = t;
	return m;
}

bool gather_fold(Graph *g, Node *n)
{
	(void)g;
	Move m = gather_move(n);
	move_run(&m, move_alloc(n->out[0]), n->in[0]->data, dtype_size(n->in[0]->dtype));
	return true;
}

void gather_emit(Emit *e, Node *n)
{
	Move m = gather_move(n);
	move_emit(e, &m, "out0", move_input(e, n, 0));
}
