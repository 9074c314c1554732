/*
 * opt_fuse_layernorm.c - LayerNorm as exporters write it before opset 17
 * becomes one LayerNormalization node, and ConvNeXt's LayerNorm over
 * channels (NCHW permuted to NHWC around it) one node reading NCHW.
 *
 *   m = ReduceMean(x, axes=[last], keepdims=1)      d = x - m
 *   v = ReduceMean(d^2, axes=[last], keepdims=1)    (d^2: Pow(d, 2) or d * d)
 *   y = d / Sqrt(v + eps) [* w] [+ b]               -> LayerNormalization(x, w, b, axis=-1, epsilon=eps)
 *
 * w and b constants of the last axis' C values (either operand order); no w
 * is a Scale of ones, a b without a w is left as an Add.  Every intermediate
 * must have one reader (d: the square's and the Div's) and not be a graph
 * output.  Then Transpose(0,2,3,1) -> LayerNormalization(axis -1) ->
 * Transpose(0,3,1,2), with nothing else reading the two middle tensors,
 * becomes the LayerNormalization alone on the NCHW input with the internal
 * attribute onnx2c_per_pixel = 1 (ops/layernorm.c: each pixel normalised
 * over C).  Runs first among the passes, before any of them fuses the
 * pattern's Mul or Add elsewhere.
 */
#include "ir.h"

#include <math.h>
#include <string.h>

/* r is ReduceMean over the last axis of its input only, keeping it. */
static bool mean_over_last(const Node *r)
{
	int64_t axes[MAX_RANK];
	int na;
	const int rank = r->in[0]->shape.rank;
	if (attr_int(r, "keepdims", 1) != 1 || rank < 1)
		return false;
	if (r->opset < 18) {
		na = attr_ints(r, "axes", axes, MAX_RANK);
	} else {
		const Tensor *a = r->nin > 1 ? r->in[1] : NULL;
		if (!tensor_is_const(a) || a->dtype != DT_INT64 || shape_numel(&a->shape) != 1)
			return false;
		na = 1;
		axes[0] = tensor_i64(a)[0];
	}
	return na == 1 && (axes[0] == -1 || axes[0] == rank - 1);
}

/* c is a float constant of C values along the last axis of a rank-`rank` tensor ([C], [1,..,C]). */
static bool last_axis_param(const Tensor *c, int rank, int64_t C)
{
	if (!tensor_is_const(c) || c->dtype != DT_FLOAT || c->batched || c->shape.rank > rank || c->shape.rank < 1)
		return false;
	for (int k = 0; k + 1 < c->shape.rank; k++)
		if (c->shape.d[k] != 1)
			return false;
	return c->shape.d[c->shape.rank - 1] == C;
}

/* n is Mul/Add (commutative) with v on one side and a last-axis parameter on the other: it. */
static Tensor *param_of(const Node *n, const Tensor *v, int rank, int64_t C)
{
	for (int side = 0; n && n->nin == 2 && side < 2; side++)
		if (n->in[side] == v && last_axis_param(n->in[1 - side], rank, C))
			return n->in[1 - side];
	return NULL;
}

static float scalar_f32(const Tensor *t, bool *ok)
{
	*ok = tensor_is_const(t) && t->dtype == DT_FLOAT && shape_numel(&t->shape) == 1;
	return *ok ? tensor_f32(t)[0] : 0.0f;
}

/* The decomposed LayerNorm ending at the Div `dv` (and its Mul, Add): one LayerNormalization
 * node in place of the last, or false. */
static bool fuse_decomposed(Graph *g, Node *dv)
{
	Node *sq, *r2, *ad, *sr, *sub, *r1;
	if (dv->nin != 2 || !(sr = once_from(dv->in[1], OP_Sqrt)) || !(ad = once_from(sr->in[0], OP_Add)))
		return false;
	Tensor *d = dv->in[0];
	sub = live_producer(d);
	if (!sub || sub->op != OP_Sub || d->kind != T_TEMP || d->alias || !(r1 = once_from(sub->in[1], OP_ReduceMean)))
		return false;
	Tensor *x = sub->in[0];
	if (r1->in[0] != x || x->dtype != DT_FLOAT || !mean_over_last(r1))
		return false;
	/* v + eps, either order */
	bool ok;
	float eps = scalar_f32(ad->in[1], &ok);
	const Tensor *v = ad->in[0];
	if (!ok) {
		eps = scalar_f32(ad->in[0], &ok);
		v = ad->in[1];
	}
	if (!ok || !(r2 = once_from(v, OP_ReduceMean)) || !mean_over_last(r2))
		return false;
	/* d^2: Pow(d, 2) or d * d */
	bool two;
	sq = live_producer(r2->in[0]);
	if (!sq || r2->in[0]->nuses != 1 || r2->in[0]->kind != T_TEMP)
		return false;
	if (sq->op == OP_Pow && sq->in[0] == d && scalar_f32(sq->in[1], &two) == 2.0f && two)
		ok = d->nuses == 2;
	else if (sq->op == OP_Mul && sq->in[0] == d && sq->in[1] == d)
		ok = d->nuses == 3;
	else
		ok = false;
	if (!ok)
		return false;
	const int rank = x->shape.rank;
	const int64_t C = x->shape.d[rank - 1];
	/* then * w, + b */
	Node *last = dv, *mw = graph_sole_reader(g, dv->out[0]), *ab = NULL;
	Tensor *w = param_of(mw && mw->op == OP_Mul ? mw : NULL, dv->out[0], rank, C), *b = NULL;
	if (w) {
		last = mw;
		ab = graph_sole_reader(g, mw->out[0]);
		b = param_of(ab && ab->op == OP_Add ? ab : NULL, mw->out[0], rank, C);
		if (b)
			last = ab;
	}
	if (!w) {
		Shape s = { 1, { C } };
		w = graph_const(g, xsprintf("%s_ones", dv->name), DT_FLOAT, &s, NULL);
		for (int64_t c = 0; c < C; c++)
			((float *)w->data)[c] = 1.0f;
	}
	if (!shape_eq(&last->out[0]->shape, &x->shape) || last->out[0]->batched != x->batched)
		return false;
	Shape cs = { 1, { C } }; /* LayerNormalization's Scale and B broadcast to [C] only */
	if (w->shape.rank != 1)
		w = graph_const(g, xsprintf("%s_scale", last->name), DT_FLOAT, &cs, w->data);
	if (b && b->shape.rank != 1)
		b = graph_const(g, xsprintf("%s_bias", last->name), DT_FLOAT, &cs, b->data);
	Node *pat[] = { r1, sub, sq, r2, ad, sr, dv, mw, ab };
	Node *ln = last;
	node_add_cover(ln, ln);
	for (size_t k = 0; k < sizeof pat / sizeof pat[0] && pat[k] != last; k++) {
		node_add_cover(ln, pat[k]);
		pat[k]->dead = true;
	}
	Tensor **in = xalloc(3 * sizeof *in);
	in[0] = x;
	in[1] = w;
	in[2] = b;
	ln->in = in;
	ln->nin = b ? 3 : 2;
	ln->op = OP_LayerNormalization;
	ln->op_type = "LayerNormalization";
	ln->attrs = xalloc(2 * sizeof *ln->attrs);
	ln->attrs[0] = (Attr){ .name = "axis", .type = AT_INT, .i = -1 };
	ln->attrs[1] = (Attr){ .name = "epsilon", .type = AT_FLOAT, .f = eps };
	ln->nattrs = 2;
	op_table[OP_LayerNormalization].parse(g, ln);
	op_table[OP_LayerNormalization].infer(g, ln);
	return true;
}

static bool is_perm(const Node *t, const int64_t *want)
{
	int64_t perm[MAX_RANK];
	return t && t->op == OP_Transpose && attr_ints(t, "perm", perm, MAX_RANK) == 4 &&
	       !memcmp(perm, want, 4 * sizeof *perm);
}

/* Transpose(0,2,3,1) -> LayerNormalization over the last axis -> Transpose(0,3,1,2): the
 * LayerNormalization reads and writes NCHW, per pixel. */
static bool fuse_channels(Graph *g, Node *ln)
{
	static const int64_t to_nhwc[4] = { 0, 2, 3, 1 }, to_nchw[4] = { 0, 3, 1, 2 };
	Node *t1 = once_from(ln->in[0], OP_Transpose), *t2 = graph_sole_reader(g, ln->out[0]);
	if (!is_perm(t1, to_nhwc) || !is_perm(t2, to_nchw) || ln->nout > 1 || attr_find(ln, "onnx2c_per_pixel"))
		return false;
	const int64_t a = attr_int(ln, "axis", -1);
	if (a != -1 && a != 3)
		return false;
	/* Scale and B: C values (ops/layernorm.c has broadcast them to the normalised [C]) */
	for (int j = 1; j < ln->nin; j++)
		if (ln->in[j] && (!tensor_is_const(ln->in[j]) || !last_axis_param(ln->in[j], 4, ln->in[0]->shape.d[3])))
			return false;
	node_add_cover(ln, t1);
	t1->dead = true;
	ln->in[0] = t1->in[0];
	Attr *at = xalloc(((size_t)ln->nattrs + 1) * sizeof *at);
	memcpy(at, ln->attrs, (size_t)ln->nattrs * sizeof *at);
	at[ln->nattrs++] = (Attr){ .name = "onnx2c_per_pixel", .type = AT_INT, .i = 1 };
	ln->attrs = at;
	node_absorb(ln, t2);
	op_table[OP_LayerNormalization].parse(g, ln);
	op_table[OP_LayerNormalization].infer(g, ln);
	return true;
}

void opt_fuse_layernorm(Graph *g)
{
	int decomposed = 0, channels = 0;
	for (int i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && g->nodes[i]->op == OP_Div && fuse_decomposed(g, g->nodes[i]))
			decomposed++;
	graph_recount(g);
	for (int i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && g->nodes[i]->op == OP_LayerNormalization && fuse_channels(g, g->nodes[i]))
			channels++;
	graph_recount(g);
	progress("layernorm: %d decomposed LayerNorms became one node, %d LayerNorms over channels read NCHW",
	         decomposed, channels);
}
