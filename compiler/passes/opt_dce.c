/*
 * opt_dce.c - dead-node elimination: a node none of whose outputs is read
 * (by a live node or as a graph output) is removed, repeatedly, so whole
 * dead branches go (e.g. the unused mask output chain of a Dropout).
 */
#include "ir.h"

void opt_dce(Graph *g)
{
	bool changed = true;
	while (changed) {
		changed = false;
		graph_recount(g);
		for (int i = g->nnodes - 1; i >= 0; i--) {
			Node *n = g->nodes[i];
			bool used = false;
			for (int j = 0; j < n->nout && !used; j++)
				used = n->out[j] && n->out[j]->nuses > 0;
			if (!used) {
				n->dead = true;
				for (int j = 0; j < n->nin; j++)
					if (n->in[j])
						n->in[j]->nuses--;
				changed = true;
			}
		}
	}
	graph_recount(g);
}
