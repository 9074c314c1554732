/*
 * ops/concat.c - Concat and Split: each input (output) is one move into
 * (out of) a box of the joined tensor along the axis.  int64 constants fold
 * the same way, so exporters' shape vectors (with SYM_BATCH values) pass
 * through unchanged.  Concat-in-place is the memory planner's business; here
 * it is plain copies.
 */
#include "move.h"


/* The move between part `t` (at offset `off` along `axis`) and the whole
 * `w`: destination strides of the whole, source contiguous - or the
 * reverse when `into_part`. */
static Move part_move(const Tensor *t, const Tensor *w, int axis, int64_t off, bool into_part)
{
	int64_t ws[MAX_RANK];
	move_strides(&w->shape, ws);
	Move m = move_contig(&t->shape);
	for (int d = 0; d < m.rank; d++) {
		if (into_part)
			m.ss[d] = ws[d];
		else
			m.ds[d] = ws[d];
	}
	if (into_part)
		m.src_off = off * ws[axis];
	else
		m.dst_off = off * ws[axis];
	return m;
}

/* ---- Concat ------------------------------------------------------------ */

typedef struct { int axis; } AxisP;

void concat_parse(Graph *g, Node *n)
{
	(void)g;
	AxisP *p = xalloc(sizeof *p);
	const Attr *a = attr_find(n, "axis");
	if (!a)
		fatal_node(n, "attribute 'axis' is missing");
	p->axis = norm_axis(n, attr_int(n, "axis", 0), n->in[0]->shape.rank, "axis");
	n->p = p;
}

void concat_infer(Graph *g, Node *n)
{
	(void)g;
	const AxisP *p = n->p;
	const Tensor *x0 = n->in[0];
	Shape o = x0->shape;
	o.d[p->axis] = 0;
	bool batched = false, all_const = true;
	for (int j = 0; j < n->nin; j++)
		if (n->in[j]) {
			batched |= n->in[j]->batched;
			all_const &= tensor_is_const(n->in[j]);
		}
	for (int j = 0; j < n->nin; j++) {
		const Tensor *t = n->in[j];
		if (!t)
			continue;
		if (t->dtype != x0->dtype)
			fatal_node(n, "input %d is %s but input 0 is %s", j, dtype_name(t->dtype), dtype_name(x0->dtype));
		if (!all_const)
			require_float(n, j);
		if (t->shape.rank != o.rank)
			fatal_node(n, "input %d has rank %d, input 0 has rank %d", j, t->shape.rank, o.rank);
		for (int d = 0; d < o.rank; d++)
			if (d != p->axis && t->shape.d[d] != x0->shape.d[d])
				fatal_node(n, "input %d has shape %s, incompatible with %s outside axis %d", j,
				           shape_str(&t->shape), shape_str(&x0->shape), p->axis);
		if (batched) {
			check_batch_axis(n, t, p->axis, "Concat");
			if (!t->batched)
				fatal_node(n, "input '%s' has no batch dimension but other inputs do; fix the batch with --dim "
				           "to compile this", t->name);
		}
		o.d[p->axis] += t->shape.d[p->axis];
	}
	set_out(n, 0, x0->dtype, &o, batched);
}

bool concat_fold(Graph *g, Node *n)
{
	(void)g;
	const AxisP *p = n->p;
	void *dst = move_alloc(n->out[0]);
	int64_t off = 0;
	for (int j = 0; j < n->nin; j++) {
		const Tensor *t = n->in[j];
		if (!t)
			continue;
		Move m = part_move(t, n->out[0], p->axis, off, false);
		move_run(&m, dst, t->data, dtype_size(t->dtype));
		off += t->shape.d[p->axis];
	}
	return true;
}

void concat_emit(Emit *e, Node *n)
{
	const AxisP *p = n->p;
	int64_t off = 0;
	for (int j = 0; j < n->nin; j++) {
		const Tensor *t = n->in[j];
		if (!t)
			continue;
		Move m = part_move(t, n->out[0], p->axis, off, false);
		move_emit(e, &m, "out0", move_input(e, n, j));
		off += t->shape.d[p->axis];
	}
}

/* ---- Split ------------------------------------------------------------- */

typedef struct { int axis; int64_t size[64]; } SplitP;

void split_parse(Graph *g, Node *n)
{
	(void)g;
	SplitP *p = xalloc(sizeof *p);
	const Tensor *x = n->in[0];
	p->axis = norm_axis(n, attr_int(n, "axis", 0), x->shape.rank, "axis");
	int64_t dim = x->shape.d[p->axis];
	int ns;
	if (n->opset < 13)
		ns = attr_ints(n, "split", p->size, 64);
	else
		ns = const_ints_input(n, 1, p->size, 64);
	if (ns >= 0) {
		if (ns != n->nout)
			fatal_node(n, "split has %d sizes for %d outputs", ns, n->nout);
		int64_t sum = 0;
		for (int i = 0; i < ns; i++) {
			if (p->size[i] < 0)
				fatal_node(n, "split size %lld is negative", (long long)p->size[i]);
			sum += p->size[i];
		}
		if (sum != dim)
			fatal_node(n, "split sizes add up to %lld, the axis has %lld", (long long)sum, (long long)dim);
	} else if (n->opset >= 18 && attr_find(n, "num_outputs")) {
		int64_t k = attr_int(n, "num_outputs", 0);
		if (k != n->nout || k < 1)
			fatal_node(n, "num_outputs is %lld but the node has %d outputs", (long long)k, n->nout);
		int64_t chunk = (dim + k - 1) / k;
		for (int i = 0; i < k; i++) {
			int64_t left = dim - i * chunk;
			p->size[i] = left < 0 ? 0 : left < chunk ? left : chunk;
		}
	} else {
		if (dim % n->nout)
			fatal_node(n, "axis extent %lld does not split evenly into %d outputs", (long long)dim, n->nout);
		for (int i = 0; i < n->nout; i++)
			p->size[i] = dim / n->nout;
	}
	n->p = p;
}

void split_infer(Graph *g, Node *n)
{
	(void)g;
	const SplitP *p = n->p;
	const Tensor *x = n->in[0];
	if (!tensor_is_const(x))
		require_float(n, 0);
	check_batch_axis(n, x, p->axis, "Split");
	for (int i = 0; i < n->nout; i++) {
		Shape o = x->shape;
		o.d[p->axis] = p->size[i];
		set_out(n, i, x->dtype, &o, x->batched);
	}
}

bool split_fold(Graph *g, Node *n)
{
	(void)g;
	const SplitP *p = n->p;
	int64_t off = 0;
	for (int i = 0; i < n->nout; i++) {
		if (n->out[i]) {
			Move m = part_move(n->out[i], n->in[0], p->axis, off, true);
			move_run(&m, move_alloc(n->out[i]), n->in[0]->data, dtype_size(n->in[0]->dtype));
		}
		off += p->size[i];
	}
	return true;
}

void split_emit(Emit *e, Node *n)
{
	const SplitP *p = n->p;
	int64_t off = 0;
	for (int i = 0; i < n->nout; i++) {
		if (n->out[i]) {
			Move m = part_move(n->out[i], n->in[0], p->axis, off, true);
			move_emit(e, &m, xsprintf("out%d", i), move_input(e, n, 0));
		}
		off += p->size[i];
	}
}
