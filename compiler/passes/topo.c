/*
 * topo.c - orders the nodes so every tensor is produced before it is read,
 * and refuses graphs with cycles or with inputs nothing produces.
 *
 * Kahn's algorithm, stable: among ready nodes the one written first in the
 * model goes first, so the generated code follows the model's order.  Ready
 * nodes wait in a min-heap on that position, so a 100k-node model sorts in
 * O(edges log nodes) (tests/pathological/).
 */
#include "ir.h"

#include <string.h>

/* A binary min-heap of node positions. */
static void heap_push(int *h, int *n, int v)
{
	int i = (*n)++;
	for (; i > 0 && h[(i - 1) / 2] > v; i = (i - 1) / 2)
		h[i] = h[(i - 1) / 2];
	h[i] = v;
}

static int heap_pop(int *h, int *n)
{
	int top = h[0], v = h[--*n], i = 0;
	for (;;) {
		int c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (h[c] >= v)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
	return top;
}

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

	/* consumers of each node (one entry per input slot), then Kahn's algorithm with
	 * the ready nodes in a min-heap on original position: O(E log n) */
	int *first = xalloc((size_t)(n + 1) * sizeof *first), *cons;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < g->nodes[i]->nin; j++)
			if (g->nodes[i]->in[j] && g->nodes[i]->in[j]->producer)
				first[g->nodes[i]->in[j]->producer->id + 1]++;
	for (int i = 0; i < n; i++)
		first[i + 1] += first[i];
	cons = xalloc((size_t)(first[n] ? first[n] : 1) * sizeof *cons);
	int *fill = xalloc((size_t)(n ? n : 1) * sizeof *fill);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < g->nodes[i]->nin; j++)
			if (g->nodes[i]->in[j] && g->nodes[i]->in[j]->producer) {
				int p = g->nodes[i]->in[j]->producer->id;
				cons[first[p] + fill[p]++] = i;
			}

	Node **order = xalloc((size_t)(n ? n : 1) * sizeof *order);
	bool *done = xalloc((size_t)(n ? n : 1));
	int *heap = xalloc((size_t)(n ? n : 1) * sizeof *heap), nheap = 0;
	for (int i = 0; i < n; i++)
		if (indeg[i] == 0)
			heap_push(heap, &nheap, i);
	int k = 0;
	while (nheap) {
		int pick = heap_pop(heap, &nheap);
		done[pick] = true;
		order[k++] = g->nodes[pick];
		for (int e = first[pick]; e < first[pick + 1]; e++)
			if (--indeg[cons[e]] == 0)
				heap_push(heap, &nheap, cons[e]);
	}
	if (k < n)
		for (int i = 0; i < n; i++)
			if (!done[i])
				fatal_node(g->nodes[i], "the graph has a cycle through this node");
	memcpy(g->nodes, order, (size_t)n * sizeof *order);
	for (int i = 0; i < n; i++)
		g->nodes[i]->id = i;
	graph_recount(g);
}
