/*
 * topo.c - orders the nodes so every tensor is produced before it is read,
 * and refuses graphs with cycles or with inputs nothing produces.
 *
 * Kahn's algorithm, stable: among ready nodes the one written first in the
 * model goes first, so the generated code follows the model's order.
 */
#include "ir.h"

#include <string.h>

void topo_sort(Graph *g)
{
	int n = g->nnodes;
	/* producers by tensor: set from out[] (a tensor written twice is an error) */
	for (int i = 0; i < g->ntensors; i++)
		if (g->tensors[i]->kind != T_CONST)
			g->tensors[i]->producer = NULL;
	for (int i = 0; i < n; i++) {
		Node *nd = g->nodes[i];
		for (int j = 0; j < nd->nout; j++) {
			Tensor *t = nd->out[j];
			if (!t)
				continue;
			if (t->kind == T_INPUT || t->kind == T_CONST)
				fatal_node(nd, "output '%s' is also a graph input or initializer", t->name);
			if (t->producer)
				fatal_node(nd, "output '%s' is already produced by node '%s' (%s)", t->name,
				           t->producer->name, t->producer->op_type);
			t->producer = nd;
		}
	}
	int *indeg = xalloc((size_t)(n ? n : 1) * sizeof *indeg);
	for (int i = 0; i < n; i++) {
		Node *nd = g->nodes[i];
		nd->id = i;
		for (int j = 0; j < nd->nin; j++) {
			Tensor *t = nd->in[j];
			if (!t)
				continue;
			if (t->producer)
				indeg[i]++;
			else if (t->kind != T_INPUT && t->kind != T_CONST)
				fatal_node(nd, "input '%s' is not a graph input, an initializer or the output of any node",
				           t->name);
		}
	}
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i]->kind == T_TEMP && !g->outputs[i]->producer)
			fatal("graph output '%s' is not produced by any node", g->outputs[i]->name);

	/* ready nodes in a min-heap on original position would be O(n log n);
	 * models have thousands of nodes at most, so a linear scan is fine */
	Node **order = xalloc((size_t)(n ? n : 1) * sizeof *order);
	bool *done = xalloc((size_t)(n ? n : 1));
	int k = 0, start = 0;
	while (k < n) {
		int pick = -1;
		for (int i = start; i < n; i++)
			if (!done[i] && indeg[i] == 0) {
				pick = i;
				break;
			}
		if (pick < 0) {
			for (int i = 0; i < n; i++)
				if (!done[i])
					fatal_node(g->nodes[i], "the graph has a cycle through this node");
		}
		done[pick] = true;
		order[k++] = g->nodes[pick];
		while (start < n && done[start])
			start++;
		Node *p = g->nodes[pick];
		for (int i = 0; i < n; i++) {
			if (done[i])
				continue;
			Node *q = g->nodes[i];
			for (int j = 0; j < q->nin; j++)
				if (q->in[j] && q->in[j]->producer == p)
					indeg[i]--;
		}
		if (pick < start)
			start = pick;
	}
	memcpy(g->nodes, order, (size_t)n * sizeof *order);
	for (int i = 0; i < n; i++)
		g->nodes[i]->id = i;
	graph_recount(g);
}
