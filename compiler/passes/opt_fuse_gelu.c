/*
 * opt_fuse_gelu.c - GELU written out in elementary nodes becomes one
 * activation (ACT_GELU, ACT_GELU_TANH): in the epilogue of the kernel that
 * produces x when that kernel takes one (as opt_fuse_act does for Relu), or
 * else one Gelu node in place of the five to ten it replaces.
 *
 * The forms exporters write (torch.nn.GELU before opset 20: ConvNeXt's and
 * the ViTs' MLPs; the tanh form of GPT-style code):
 *
 *   erf:   e = Erf(x / sqrt2)            (or Erf(x * (1/sqrt2)))
 *   tanh:  e = Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))   (x^3: Pow 3 or x*x*x)
 *   then   y = 0.5 * x * (1 + e)         (the 0.5 on x, on (1 + e) or on the product)
 *
 * Binary nodes match with either operand order; constants are scalars
 * within a relative 1e-6 of the value (exporters round sqrt2 and sqrt(2/pi)
 * differently), Pow's exponent may be an integer.  Every intermediate must
 * have exactly one reader and not be a graph output, and x goes into its
 * producer's epilogue only when the pattern's nodes are its only readers.
 * Runs after opt_matmul_bias and opt_fuse_residual, which rewrite the
 * producers an activation fuses into, and before opt_fuse_act, which fuses a
 * Gelu node this pass leaves (or the model had) where it can.
 */
#include "ir.h"

#include <math.h>

#define MAX_PAT 10 /* nodes in one match: the tanh form with x*x*x */

typedef struct {
	Node *n[MAX_PAT];
	int count;
	Tensor *x;
	int x_uses; /* reads of x by the pattern's nodes */
} Match;

static void add(Match *m, Node *n)
{
	ASSERT(m->count < MAX_PAT);
	m->n[m->count++] = n;
}

/* t is a float (or integer) constant scalar within 1e-6 of want. */
static bool is_scalar(const Tensor *t, double want)
{
	if (!tensor_is_const(t) || shape_numel(&t->shape) != 1)
		return false;
	double v;
	if (t->dtype == DT_FLOAT)
		v = ((const float *)t->data)[0];
	else if (t->dtype == DT_INT64)
		v = (double)((const int64_t *)t->data)[0];
	else if (t->dtype == DT_INT32)
		v = ((const int32_t *)t->data)[0];
	else
		return false;
	return fabs(v - want) <= 1e-6 * fabs(want);
}

/* n is the binary op `op` with t as one operand: the other one (NULL: not so, or t twice). */
static Tensor *other(const Node *n, int op, const Tensor *t)
{
	if (!n || n->dead || n->op != op || n->nin != 2 || !n->in[0] || !n->in[1] || n->in[0] == n->in[1])
		return NULL;
	return n->in[0] == t ? n->in[1] : n->in[1] == t ? n->in[0] : NULL;
}

/* n is the commutative op with the scalar want on one side: the other side. */
static Tensor *with_scalar(const Node *n, double want)
{
	for (int side = 0; n && side < 2; side++)
		if (n->nin == 2 && n->in[side] && n->in[1 - side] && is_scalar(n->in[1 - side], want))
			return n->in[side];
	return NULL;
}

/* y = 0.5 * x * (1 + e), from e = the Erf's or Tanh's output: the last node, or NULL. */
static Node *tail(const Graph *g, Match *m, const Tensor *e)
{
	Node *a = graph_sole_reader(g, e);
	Tensor *t = other(a, OP_Add, e);
	if (!t || !is_scalar(t, 1.0))
		return NULL;
	add(m, a);
	Node *r = graph_sole_reader(g, a->out[0]);
	Tensor *o = other(r, OP_Mul, a->out[0]);
	if (!o)
		return NULL;
	add(m, r);
	m->x_uses++;
	if (o == m->x) { /* (x * (1 + e)) * 0.5 */
		Node *h = graph_sole_reader(g, r->out[0]);
		if (!h || h->op != OP_Mul || with_scalar(h, 0.5) != r->out[0])
			return NULL;
		add(m, h);
		return h;
	}
	if (is_scalar(o, 0.5)) { /* x * ((1 + e) * 0.5) */
		Node *xm = graph_sole_reader(g, r->out[0]);
		if (other(xm, OP_Mul, r->out[0]) != m->x)
			return NULL;
		add(m, xm);
		return xm;
	}
	Node *h = once_from(o, OP_Mul); /* (x * 0.5) * (1 + e) */
	if (!h || with_scalar(h, 0.5) != m->x)
		return NULL;
	add(m, h);
	return r;
}

/* Erf(x / sqrt2) or Erf(x * (1/sqrt2)): the last node of the whole GELU, or NULL. */
static Node *match_erf(const Graph *g, Node *erf, Match *m)
{
	const Tensor *d = erf->in[0];
	Node *dv = once_from(d, OP_Div), *ml = once_from(d, OP_Mul);
	if (dv && is_scalar(dv->in[1], sqrt(2.0)) && !tensor_is_const(dv->in[0]))
		m->x = dv->in[0];
	else if (ml && (m->x = with_scalar(ml, sqrt(0.5))) != NULL && !tensor_is_const(m->x))
		dv = ml;
	else
		return NULL;
	add(m, dv);
	add(m, erf);
	m->x_uses = 1;
	return tail(g, m, erf->out[0]);
}

/* x^3 as Pow(x, 3), x * x * x or x * (x * x): true when it is of x (m->x). */
static bool match_cube(Match *m, const Tensor *c)
{
	Node *p = once_from(c, OP_Pow);
	if (p) {
		if (p->in[0] != m->x || !is_scalar(p->in[1], 3.0))
			return false;
		add(m, p);
		m->x_uses++;
		return true;
	}
	Node *outer = once_from(c, OP_Mul);
	if (!outer || outer->in[0] == outer->in[1])
		return false;
	for (int side = 0; side < 2; side++) {
		Node *sq = once_from(outer->in[1 - side], OP_Mul);
		if (outer->in[side] == m->x && sq && sq->in[0] == m->x && sq->in[1] == m->x) {
			add(m, sq);
			add(m, outer);
			m->x_uses += 3;
			return true;
		}
	}
	return false;
}

/* Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)): the last node of the whole GELU, or NULL. */
static Node *match_tanh(const Graph *g, Node *th, Match *m)
{
	Node *k = once_from(th->in[0], OP_Mul), *in, *cm;
	const Tensor *inner = with_scalar(k, 0.79788456080286535588); /* sqrt(2/pi) */
	if (!inner || !(in = once_from(inner, OP_Add)) || in->in[0] == in->in[1])
		return NULL;
	for (int side = 0; side < 2; side++) {
		m->count = 0;
		m->x = in->in[side];
		m->x_uses = 1;
		cm = once_from(in->in[1 - side], OP_Mul);
		const Tensor *cube = with_scalar(cm, 0.044715);
		if (!cube || tensor_is_const(m->x) || !match_cube(m, cube))
			continue;
		add(m, cm);
		add(m, in);
		add(m, k);
		add(m, th);
		return tail(g, m, th->out[0]);
	}
	return NULL;
}

/* The producer of x takes the activation in its epilogue: x is its output, read only here. */
static Node *epilogue_for(const Match *m)
{
	Node *p = live_producer(m->x);
	if (!p || p->act.kind || !(op_epilogue(p) & EPI_ACT) || p->out[0] != m->x)
		return NULL;
	if (m->x->nuses != m->x_uses || m->x->kind != T_TEMP || m->x->alias)
		return NULL;
	return p;
}

void opt_fuse_gelu(Graph *g)
{
	int fused = 0, nodes = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		Match m = { .count = 0 };
		Node *last = NULL;
		if (n->dead || n->nin != 1 || !n->in[0])
			continue;
		if (n->op == OP_Erf)
			last = match_erf(g, n, &m);
		else if (n->op == OP_Tanh)
			last = match_tanh(g, n, &m);
		if (!last || !shape_eq(&last->out[0]->shape, &m.x->shape) || last->out[0]->batched != m.x->batched ||
		    m.x->dtype != DT_FLOAT)
			continue;
		const ActKind kind = n->op == OP_Erf ? ACT_GELU : ACT_GELU_TANH;
		Node *p = epilogue_for(&m);
		if (p) {
			p->act = (Act){ kind, 0, 0 };
			fused++;
		} else {
			/* one Gelu node: the pattern's last node becomes it, reading x */
			p = last;
			Tensor **in = xalloc(sizeof *in);
			in[0] = m.x;
			node_add_cover(p, p);
			p->in = in;
			p->nin = 1;
			p->op = OP_Gelu;
			p->op_type = "Gelu";
			p->nattrs = 0;
			if (kind == ACT_GELU_TANH) {
				p->attrs = xalloc(sizeof *p->attrs);
				p->attrs[0] = (Attr){ .name = "approximate", .type = AT_STRING, .s = "tanh" };
				p->nattrs = 1;
			}
			op_table[OP_Gelu].parse(g, p);
			op_table[OP_Gelu].infer(g, p);
		}
		for (int k = 0; k < m.count; k++)
			if (m.n[k] != last && m.n[k] != p) {
				node_add_cover(p, m.n[k]);
				m.n[k]->dead = true;
			}
		if (last != p)
			node_absorb(p, last);
		nodes++;
	}
	graph_recount(g);
	progress("gelu: %d GELU patterns became one activation (%d of them in their producer's epilogue)", nodes,
	         fused);
}
