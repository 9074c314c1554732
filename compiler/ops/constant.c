/*
 * ops/constant.c - Constant and ConstantOfShape.  Both always fold: their
 * outputs become compile-time constants (Constant from its attribute,
 * ConstantOfShape from a constant shape input and its one-value tensor).
 */
#include "move.h"

#include <string.h>

/* ---- Constant --------------------------------------------------------- */

typedef struct { DType dt; Shape shape; const void *data; } ConstP;

void constant_parse(Graph *g, Node *n)
{
	(void)g;
	ConstP *p = xalloc(sizeof *p);
	const Attr *a;
	if (attr_find(n, "sparse_value"))
		fatal_unsupported(n, "sparse_value constants are not supported");
	if (attr_find(n, "value_string") || attr_find(n, "value_strings"))
		fatal_unsupported(n, "string constants are not supported");
	if ((a = attr_find(n, "value"))) {
		if (a->type != AT_TENSOR || !a->t || !a->t->data)
			fatal_node(n, "attribute 'value' is not a tensor");
		if (!dtype_size(a->t->dtype))
			fatal_unsupported(n, "constants of type %s are not supported", dtype_name(a->t->dtype));
		*p = (ConstP){ a->t->dtype, a->t->shape, a->t->data };
	} else if ((a = attr_find(n, "value_float"))) {
		float *v = xalloc(sizeof *v);
		*v = attr_float(n, "value_float", 0.0f);
		*p = (ConstP){ DT_FLOAT, { 0 }, v };
	} else if ((a = attr_find(n, "value_int"))) {
		int64_t *v = xalloc(sizeof *v);
		*v = attr_int(n, "value_int", 0);
		*p = (ConstP){ DT_INT64, { 0 }, v };
	} else if ((a = attr_find(n, "value_floats"))) {
		float *v = xalloc((size_t)(a->nfloats + 1) * sizeof *v);
		int k = attr_floats(n, "value_floats", v, a->nfloats);
		*p = (ConstP){ DT_FLOAT, { .rank = 1, .d = { k } }, v };
	} else if ((a = attr_find(n, "value_ints"))) {
		int64_t *v = xalloc((size_t)(a->nints + 1) * sizeof *v);
		int k = attr_ints(n, "value_ints", v, a->nints);
		*p = (ConstP){ DT_INT64, { .rank = 1, .d = { k } }, v };
	} else {
		fatal_node(n, "no value attribute");
	}
	n->p = p;
}

void constant_infer(Graph *g, Node *n)
{
	(void)g;
	const ConstP *p = n->p;
	set_out(n, 0, p->dt, &p->shape, false);
}

bool constant_fold(Graph *g, Node *n)
{
	(void)g;
	const ConstP *p = n->p;
	memcpy(move_alloc(n->out[0]), p->data, (size_t)shape_numel(&p->shape) * dtype_size(p->dt));
	return true;
}

void constant_emit(Emit *e, Node *n)
{
	(void)e;
	fatal_node(n, "internal: Constant should have been folded");
}

/* ---- ConstantOfShape --------------------------------------------------- */

typedef struct { DType dt; unsigned char value[8]; } CosP;

void constofshape_parse(Graph *g, Node *n)
{
	(void)g;
	CosP *p = xalloc(sizeof *p);
	const Attr *a = attr_find(n, "value");
	p->dt = DT_FLOAT; /* value defaults to float 0 */
	if (a) {
		if (a->type != AT_TENSOR || !a->t || !a->t->data || shape_numel(&a->t->shape) != 1)
			fatal_node(n, "attribute 'value' must be a one-element tensor");
		p->dt = a->t->dtype;
		size_t es = dtype_size(p->dt);
		if (!es)
			fatal_unsupported(n, "values of type %s are not supported", dtype_name(p->dt));
		memcpy(p->value, a->t->data, es);
	}
	n->p = p;
}

void constofshape_infer(Graph *g, Node *n)
{
	(void)g;
	const CosP *p = n->p;
	int64_t dims[MAX_RANK];
	int r = const_ints_input(n, 0, dims, MAX_RANK);
	Shape o = { .rank = r };
	for (int i = 0; i < r; i++) {
		if (dims[i] == SYM_BATCH)
			fatal_unsupported(n, "a constant as large as the run-time batch is not supported; fix the batch "
			                  "with --dim to compile this");
		if (dims[i] < 0)
			fatal_node(n, "dimension %lld is negative", (long long)dims[i]);
		o.d[i] = dims[i];
	}
	set_out(n, 0, p->dt, &o, false);
}

bool constofshape_fold(Graph *g, Node *n)
{
	(void)g;
	const CosP *p = n->p;
	Tensor *o = n->out[0];
	unsigned char *d = move_alloc(o);
	size_t es = dtype_size(p->dt);
	int64_t cnt = shape_numel(&o->shape);
	for (int64_t i = 0; i < cnt; i++)
		memcpy(d + (size_t)i * es, p->value, es);
	return true;
}

void constofshape_emit(Emit *e, Node *n)
{
	(void)e;
	fatal_node(n, "internal: ConstantOfShape should have been folded");
}
