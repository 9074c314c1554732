/*
 * ops/pad.c - Pad, modes constant/edge/reflect/wrap, pads as an attribute
 * before opset 11 and as constant inputs after (axes from opset 18).
 * Negative pads crop.  Constant mode is a fill plus one move of the
 * interior; the other modes are one move whose padded dimensions read
 * their source index from a table (edge clamps, reflect mirrors, wrap
 * wraps), so fold and run time share the index rules.
 */
#include "move.h"

#include <string.h>

typedef enum { PAD_CONSTANT, PAD_EDGE, PAD_REFLECT, PAD_WRAP } PadMode;

typedef struct {
	PadMode mode;
	int64_t begin[MAX_RANK], end[MAX_RANK];
	double value;
} PadP;

void pad_parse(Graph *g, Node *n)
{
	(void)g;
	PadP *p = xalloc(sizeof *p);
	const Tensor *x = n->in[0];
	int r = x->shape.rank;
	const char *mode = attr_string(n, "mode", "constant");
	if (!strcmp(mode, "constant"))
		p->mode = PAD_CONSTANT;
	else if (!strcmp(mode, "edge"))
		p->mode = PAD_EDGE;
	else if (!strcmp(mode, "reflect"))
		p->mode = PAD_REFLECT;
	else if (!strcmp(mode, "wrap") && n->opset >= 19)
		p->mode = PAD_WRAP;
	else
		fatal_node(n, "unknown mode '%s'", mode);
	int64_t pads[2 * MAX_RANK], axes[MAX_RANK];
	int np, na = -1;
	if (n->opset < 11) {
		np = attr_ints(n, "pads", pads, 2 * MAX_RANK);
		p->value = attr_float(n, "value", 0.0f);
	} else {
		np = const_ints_input(n, 1, pads, 2 * MAX_RANK);
		if (n->nin > 2 && n->in[2]) {
			const Tensor *v = n->in[2];
			float fv;
			int64_t iv;
			if (v->dtype == DT_FLOAT && const_float_input(n, 2, &fv))
				p->value = fv;
			else if (const_ints_input(n, 2, &iv, 1) == 1)
				p->value = (double)iv;
			else
				fatal_node(n, "constant_value must be one value");
		}
		if (n->opset >= 18)
			na = const_ints_input(n, 3, axes, MAX_RANK);
	}
	if (np < 0)
		fatal_node(n, "pads are missing");
	if (na < 0) {
		na = r;
		for (int d = 0; d < r; d++)
			axes[d] = d;
	}
	if (np != 2 * na)
		fatal_node(n, "pads has %d values, %d are needed", np, 2 * na);
	for (int k = 0; k < na; k++) {
		int a = norm_axis(n, axes[k], r, "axis");
		p->begin[a] = pads[k];
		p->end[a] = pads[k + na];
	}
	n->p = p;
}

void pad_infer(Graph *g, Node *n)
{
	(void)g;
	const PadP *p = n->p;
	const Tensor *x = n->in[0];
	if (!tensor_is_const(x))
		require_float(n, 0);
	Shape o = x->shape;
	for (int d = 0; d < o.rank; d++) {
		if (d == 0 && (p->begin[d] || p->end[d]))
			check_batch_axis(n, x, 0, "Pad");
		if (__builtin_add_overflow(x->shape.d[d], p->begin[d], &o.d[d]) ||
		    __builtin_add_overflow(o.d[d], p->end[d], &o.d[d])) /* pads come from the model */
			fatal_node(n, "pads on axis %d (%lld, %lld) are too large", d, (long long)p->begin[d],
			           (long long)p->end[d]);
		if (o.d[d] < 0)
			fatal_node(n, "pads make axis %d negative", d);
		if (p->mode != PAD_CONSTANT && x->shape.d[d] == 0 && o.d[d] > 0)
			fatal_node(n, "mode needs data on axis %d, which is empty", d);
		if (p->mode == PAD_REFLECT && (p->begin[d] >= x->shape.d[d] || p->end[d] >= x->shape.d[d]) &&
		    x->shape.d[d] > 1)
			fatal_node(n, "reflect pads on axis %d must be smaller than its extent %lld", d,
			           (long long)x->shape.d[d]);
	}
	set_out(n, 0, x->dtype, &o, x->batched);
}

/* Source index along one axis for output index o, or -1 (constant). */
static int64_t src_index(PadMode mode, int64_t o, int64_t begin, int64_t dim)
{
	int64_t i = o - begin;
	if (i >= 0 && i < dim)
		return i;
	switch (mode) {
	case PAD_CONSTANT:
		return -1;
	case PAD_EDGE:
		return i < 0 ? 0 : dim - 1;
	case PAD_REFLECT:
		if (dim == 1)
			return 0;
		{
			int64_t period = 2 * (dim - 1), k = ((i % period) + period) % period;
			return k < dim ? k : period - k;
		}
	case PAD_WRAP:
		return ((i % dim) + dim) % dim;
	}
	UNREACHABLE();
}

/* Constant mode: the interior box.  Other modes: the whole output, padded
 * axes through tables. */
static Move pad_move(const Node *n)
{
	const PadP *p = n->p;
	const Shape *xs = &n->in[0]->shape, *os = &n->out[0]->shape;
	int64_t ist[MAX_RANK], ost[MAX_RANK];
	move_strides(xs, ist);
	move_strides(os, ost);
	Move m = { .rank = os->rank };
	for (int d = 0; d < m.rank; d++) {
		m.ds[d] = ost[d];
		if (p->mode == PAD_CONSTANT) {
			/* output indices o with 0 <= o - begin < dim */
			int64_t lo = p->begin[d] > 0 ? p->begin[d] : 0;
			int64_t hi = xs->d[d] + p->begin[d];
			if (hi > os->d[d])
				hi = os->d[d];
			m.n[d] = hi > lo ? hi - lo : 0;
			m.dst_off += lo * ost[d];
			m.src_off += (lo - p->begin[d]) * ist[d];
			m.ss[d] = ist[d];
		} else {
			m.n[d] = os->d[d];
			m.ss[d] = ist[d];
			if (p->begin[d] > 0 || p->end[d] > 0) {
				int64_t *t = xalloc((size_t)(os->d[d] ? os->d[d] : 1) * sizeof *t);
				for (int64_t o = 0; o < os->d[d]; o++)
					t[o] = src_index(p->mode, o, p->begin[d], xs->d[d]) * ist[d];
				m.tab[d] = t;
			} else {
				m.src_off += -p->begin[d] * ist[d]; /* a crop */
			}
		}
	}
	return m;
}

static bool has_fill(const Node *n, const Move *m)
{
	const PadP *p = n->p;
	return p->mode == PAD_CONSTANT && move_count(m) < shape_numel(&n->out[0]->shape);
}

bool pad_fold(Graph *g, Node *n)
{
	(void)g;
	const PadP *p = n->p;
	Tensor *o = n->out[0];
	void *dst = move_alloc(o);
	Move m = pad_move(n);
	if (has_fill(n, &m)) {
		int64_t cnt = shape_numel(&o->shape);
		for (int64_t i = 0; i < cnt; i++) {
			if (o->dtype == DT_FLOAT)
				((float *)dst)[i] = (float)p->value;
			else if (o->dtype == DT_INT64)
				((int64_t *)dst)[i] = (int64_t)p->value;
			else if (o->dtype == DT_INT32)
				((int32_t *)dst)[i] = (int32_t)p->value;
			else
				return false;
		}
	}
	move_run(&m, dst, n->in[0]->data, dtype_size(o->dtype));
	return true;
}

void pad_emit(Emit *e, Node *n)
{
	const PadP *p = n->p;
	Move m = pad_move(n);
	if (has_fill(n, &m))
		move_emit_fill(e, "out0", shape_numel(&n->out[0]->shape), (float)p->value);
	move_emit(e, &m, "out0", move_input(e, n, 0));
}

bool pad_zero_spatial(const Node *n, int64_t begin[2], int64_t end[2], int *nsp)
{
	const PadP *p = n->p;
	int r = n->in[0]->shape.rank;
	if (!p || p->mode != PAD_CONSTANT || p->value != 0.0 || (r != 3 && r != 4))
		return false;
	*nsp = r - 2;
	for (int d = 0; d < r; d++) {
		if (p->begin[d] < 0 || p->end[d] < 0)
			return false;
		if (d < 2 && (p->begin[d] || p->end[d]))
			return false;
		if (d >= 2) {
			begin[d - 2] = p->begin[d];
			end[d - 2] = p->end[d];
		}
	}
	return true;
}
