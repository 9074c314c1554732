/*
 * infer.c - shape inference and constant folding, one node at a time in
 * schedule order: parse attributes, infer output shapes, and when every
 * input is constant and the op can fold, compute the outputs now and drop
 * the node (this is what collapses exporters' Shape->Gather->Concat chains).
 */
#include "ir.h"

#include <string.h>

static bool all_inputs_const(const Node *n)
{
	for (int j = 0; j < n->nin; j++)
		if (n->in[j] && !tensor_is_const(n->in[j]))
			return false;
	return true;
}

void infer_shapes(Graph *g)
{
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead)
			continue;
		const OpDef *d = &op_table[n->op];
		for (int j = 0; j < n->nin; j++)
			if (n->in[j] && !n->in[j]->has_shape)
				fatal_node(n, "input '%s' has no known shape", n->in[j]->name);
		d->parse(g, n);
		d->infer(g, n);
		for (int j = 0; j < n->nout; j++) {
			Tensor *t = n->out[j];
			if (!t)
				continue;
			if (!t->has_shape || t->dtype == DT_UNDEFINED)
				internal_error(__FILE__, __LINE__, xsprintf("%s infer left output %d without a shape",
				               n->op_type, j));
			shape_numel(&t->shape); /* absurd sizes die here, with a message */
		}
		/* Shape depends only on the input's shape, so it folds even at run time */
		bool folds = (all_inputs_const(n) || n->op == OP_Shape) && !n->dead;
		if (folds) /* the folded outputs are constants: within --max-weights before they are allocated */
			for (int j = 0; j < n->nout; j++)
				if (n->out[j] && shape_numel(&n->out[j]->shape) * (int64_t)dtype_size(n->out[j]->dtype) >
				                 g_limits.weights)
					check_limit(shape_numel(&n->out[j]->shape) * (int64_t)dtype_size(n->out[j]->dtype),
					            g_limits.weights, xsprintf("node '%s' (%s): its folded output '%s'", n->name,
					            n->op_type, n->out[j]->name), "--max-weights");
		if (folds && d->fold(g, n)) {
			for (int j = 0; j < n->nout; j++)
				if (n->out[j]) {
					ASSERT(n->out[j]->data);
					n->out[j]->kind = n->out[j]->kind == T_OUTPUT ? T_OUTPUT : T_CONST;
				}
			n->dead = true;
		}
	}
	graph_recount(g);
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i]->data && !g->outputs[i]->producer)
			warn_node(NULL, "graph output '%s' is a constant", g->outputs[i]->name);
}
