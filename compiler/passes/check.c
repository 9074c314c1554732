/*
 * check.c - before any shape work: every node's op is one we support (all
 * unsupported ones listed in one run), its input/output counts are in range,
 * and the default-domain opset is one we know.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

/* Opsets 1-6 are accepted where an op's meaning did not change; the one
 * widespread legacy difference, Add/Mul/... with the `broadcast` attribute
 * (axis-aligned broadcasting before opset 7), is refused below. */
#define MIN_OPSET 1
#define MAX_OPSET 21

void check_ops(Graph *g)
{
	if (g->opset && (g->opset < MIN_OPSET || g->opset > MAX_OPSET)) {
		fprintf(stderr, "%s: unsupported: default-domain opset %lld (supported: %d to %d)\n", g->path,
		        (long long)g->opset, MIN_OPSET, MAX_OPSET);
		fatal_exit(EXIT_UNSUPPORTED);
	}
	int unsupported = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		n->op = op_lookup(n->domain, n->op_type);
		if (n->op < 0) {
			fprintf(stderr, "%s: unsupported: node '%s' (%s%s%s): operator not supported\n", g->path, n->name,
			        n->domain && *n->domain ? n->domain : "", n->domain && *n->domain ? "." : "",
			        n->op_type);
			unsupported++;
			continue;
		}
		const OpDef *d = &op_table[n->op];
		int nin = n->nin, nout = n->nout;
		while (nin > 0 && !n->in[nin - 1])
			nin--;
		while (nout > 0 && !n->out[nout - 1])
			nout--;
		if (nin < d->min_in || nin > d->max_in)
			error_node(n, "has %d inputs, %s takes %d to %d", nin, d->name, d->min_in, d->max_in);
		if (nout < d->min_out || nout > d->max_out)
			error_node(n, "has %d outputs, %s takes %d to %d", nout, d->name, d->min_out, d->max_out);
		if (n->opset < 7 && attr_find(n, "broadcast") && attr_int(n, "broadcast", 0))
			fatal_unsupported(n, "legacy broadcasting (opset %lld, attribute broadcast=1) is not supported; "
			                  "convert the model to opset 7 or newer", (long long)n->opset);
		for (int j = 0; j < d->min_in && j < n->nin; j++)
			if (!n->in[j])
				error_node(n, "required input %d is missing", j);
	}
	if (unsupported) {
		fprintf(stderr, "%s: %d node%s with unsupported operators\n", g->path, unsupported,
		        unsupported == 1 ? "" : "s");
		fatal_exit(EXIT_UNSUPPORTED);
	}
	die_if_errors(EXIT_ERROR);
}
