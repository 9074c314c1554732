/*
 * ops/lrn.c - LRN (opset 1..13): local response normalisation across
 * channels, for (N, C, spatial...) inputs of any rank.  Calls templates/lrn.c.
 */
#include "spatial.h"

typedef struct LrnP {
	int64_t size;
	float alpha, beta, bias;
} LrnP;

void lrn_parse(Graph *g, Node *n)
{
	(void)g;
	LrnP *p = xalloc(sizeof *p);
	require_float(n, 0);
	if (!attr_find(n, "size"))
		fatal_node(n, "attribute size is required");
	p->size = attr_int(n, "size", 1);
	if (p->size < 1)
		fatal_node(n, "attribute size = %lld; must be at least 1", (long long)p->size);
	p->alpha = attr_float(n, "alpha", 1e-4f);
	p->beta = attr_float(n, "beta", 0.75f);
	p->bias = attr_float(n, "bias", 1.0f);
	n->p = p;
}

void lrn_infer(Graph *g, Node *n)
{
	(void)g;
	if (n->in[0]->shape.rank < 2)
		fatal_node(n, "input '%s' has shape %s; (N, C, ...) expected", n->in[0]->name, shape_str(&n->in[0]->shape));
	infer_same(n);
}

bool lrn_fold(Graph *g, Node *n) { return fold_none(g, n); }

void lrn_emit(Emit *e, Node *n)
{
	const LrnP *p = n->p;
	const Shape *x = &n->in[0]->shape;
	emit_need(e, "lrn.c");
	emitf(e, "\to2c_lrn(in0, out0, /*N*/%lld, /*C*/%lld, /*spatial*/%lld, /*size*/%lld, /*alpha*/%s, /*beta*/%s, /*bias*/%s);\n",
	      (long long)x->d[0], (long long)x->d[1], (long long)(shape_numel(x) / (x->d[0] * x->d[1])),
	      (long long)p->size, c_float(p->alpha), c_float(p->beta), c_float(p->bias));
}
