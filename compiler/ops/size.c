/*
 * ops/size.c - Size: the element count of its input, an int64 scalar that
 * is always a compile-time constant (like Shape, it needs only the input's
 * shape).  ONNX's expanded LayerNormalization takes the input's rank this
 * way.  Of a batched tensor it would depend on the run-time batch, which
 * no constant can hold: refused.
 */
#include "move.h"

void size_parse(Graph *g, Node *n) { parse_none(g, n); }

/* Folded right here, as Shape is (infer.c folds only nodes whose inputs are all constant). */
void size_infer(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0];
	if (x->batched)
		fatal_node(n, "Size of the batched tensor '%s' depends on the run-time batch; fix the batch with --dim "
		              "to compile this", x->name);
	Shape o = { .rank = 0 };
	Tensor *t = n->out[0];
	set_out(n, 0, DT_INT64, &o, false);
	*(int64_t *)move_alloc(t) = shape_numel(&x->shape);
	if (t->kind != T_OUTPUT)
		t->kind = T_CONST;
	t->producer = NULL;
	n->dead = true;
}

bool size_fold(Graph *g, Node *n)
{
	(void)g;
	return n->out[0]->data != NULL; /* already done by size_infer */
}

void size_emit(Emit *e, Node *n)
{
	(void)e;
	fatal_node(n, "internal: Size should have been folded");
}
