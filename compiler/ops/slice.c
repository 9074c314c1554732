/*
 * ops/slice.c - Slice (opset 7..21): starts/ends/axes as attributes before
 * opset 10, as constant inputs (with steps) after.  ONNX clamping rules,
 * negative steps included.  A move with source offset start*stride and
 * source stride step*stride per axis.
 */
#include "move.h"

typedef struct { int64_t start[MAX_RANK], step[MAX_RANK]; } SliceP;

/* Ends this large mean "to the end" whatever the run-time batch size is. */
#define HUGE_END ((int64_t)1 << 31)

void slice_parse(Graph *g, Node *n)
{
	(void)g;
	SliceP *p = xalloc(sizeof *p);
	const Tensor *x = n->in[0];
	int r = x->shape.rank;
	int64_t starts[MAX_RANK], ends[MAX_RANK], axes[MAX_RANK], steps[MAX_RANK];
	int ns, ne, na, nst;
	if (n->opset < 10) {
		ns = attr_ints(n, "starts", starts, MAX_RANK);
		ne = attr_ints(n, "ends", ends, MAX_RANK);
		na = attr_ints(n, "axes", axes, MAX_RANK);
		nst = -1;
	} else {
		ns = const_ints_input(n, 1, starts, MAX_RANK);
		ne = const_ints_input(n, 2, ends, MAX_RANK);
		na = const_ints_input(n, 3, axes, MAX_RANK);
		nst = const_ints_input(n, 4, steps, MAX_RANK);
	}
	if (ns < 0 || ne < 0)
		fatal_node(n, "starts and ends are required");
	if (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
		fatal_node(n, "starts, ends, axes and steps have different lengths");
	for (int d = 0; d < r; d++) {
		p->start[d] = 0;
		p->step[d] = 1;
	}
	Shape o = x->shape;
	bool seen[MAX_RANK] = { false };
	for (int k = 0; k < ns; k++) {
		int a = norm_axis(n, na >= 0 ? axes[k] : k, r, "axis");
		if (seen[a])
			fatal_node(n, "axis %d is sliced twice", a);
		seen[a] = true;
		int64_t dim = x->shape.d[a], s = starts[k], e = ends[k], st = nst >= 0 ? steps[k] : 1;
		if (st == 0)
			fatal_node(n, "step 0 on axis %d", a);
		if (x->batched && a == 0) {
			/* only the whole batch, in order, keeps samples apart */
			bool whole = s == 0 && st == 1 && (e == SYM_BATCH || e >= HUGE_END);
			if (!whole)
				fatal_node(n, "Slice on axis 0 of '%s', which is the run-time batch; fix the batch with --dim "
				           "to compile this", x->name);
			continue;
		}
		/* SYM_BATCH is INT64_MIN, which exporters also write as "before the
		 * start" for negative steps; off the batch axis it can only mean that */
		if (s < 0)
			s += dim;
		if (e < 0)
			e += dim;
		if (st > 0) {
			s = s < 0 ? 0 : s > dim ? dim : s;
			e = e < 0 ? 0 : e > dim ? dim : e;
			o.d[a] = e > s ? (e - s + st - 1) / st : 0;
		} else {
			s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
			e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
			o.d[a] = s > e ? (s - e + (-st) - 1) / (-st) : 0;
		}
		p->start[a] = s;
		p->step[a] = st;
	}
	n->p = p;
	set_out(n, 0, x->dtype, &o, x->batched);
}

void slice_infer(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0];
	if (!tensor_is_const(x))
		require_float(n, 0);
	set_out(n, 0, x->dtype, &n->out[0]->shape, x->batched); /* computed with the parameters */
}

static Move slice_move(const Node *n)
{
	const SliceP *p = n->p;
	int64_t st[MAX_RANK];
	move_strides(&n->in[0]->shape, st);
	Move m = move_contig(&n->out[0]->shape);
	for (int d = 0; d < m.rank; d++) {
		m.src_off += p->start[d] * st[d];
		m.ss[d] = p->step[d] * st[d];
	}
	return m;
}

bool slice_fold(Graph *g, Node *n)
{
	(void)g;
	Move m = slice_move(n);
	move_run(&m, move_alloc(n->out[0]), n->in[0]->data, dtype_size(n->in[0]->dtype));
	return true;
}

void slice_emit(Emit *e, Node *n)
{
	Move m = slice_move(n);
	move_emit(e, &m, "out0", move_input(e, n, 0));
}
