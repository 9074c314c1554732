/*
 * emit_internal.h - between the emitter's files: emit.c (the file, the
 * per-node functions, the header) and emit_entry.c (the entry points and
 * the per-sample schedule).  Op emitters see only ir.h's emit API.
 */
#ifndef ONNX2C_EMIT_INTERNAL_H
#define ONNX2C_EMIT_INTERNAL_H

#include "emit_weights.h"

struct Emit {
	Graph *g;
	FILE *body;            /* function bodies, assembled later */
	char *body_buf; size_t body_len;
	FILE *hook;            /* while an op hook runs: its function body (emit_node), where emitf writes */
	char *hook_buf; size_t hook_len;
	FILE *decl;            /* emit_sample: the named tensors' declarations */
	char *decl_buf; size_t decl_len;
	FILE *entry;           /* the entry points, written before the weights' names */
	char *entry_buf; size_t entry_len;
	const char **in_names, **out_names; /* the graph inputs and outputs in C: in_<name>, out_<name> */
	CNames *names;         /* file-scope identifiers: the weights' names, the entry points */
	WeightName *weights; int nweights;
	unsigned char *blob;   /* weights */
	size_t blob_len, blob_cap;
	const char **templates; int ntemplates;
	const Node *node;      /* node being emitted (for messages) */
	bool team;             /* the node's function is a team function (emit_team) */
	const char *weights_default; /* --weights: the path the runner opens by default */
	int nparts;            /* emit_sample: the parts of PREFIX_sample (node_major) */
	bool node_major;       /* some part is one node that PREFIX_group runs over samples */
};

/* emit.c */
const char *kernel_name(const Node *n);   /* k<id>_<op>: the node's static function */
bool runtime(const Tensor *t);            /* lives in memory at run time (not a constant) */
bool node_is_copy_view(const Node *n);    /* a view the plan could not alias: copied */
/* emit_entry.c */
bool output_folded(const Tensor *t);      /* a graph output computed at compile time (its bytes in the blob) */
/* PREFIX_workspace_size, PREFIX_sample (its parts), PREFIX_group, PREFIX_run_v and PREFIX_run into f */
void emit_entry(Emit *e, FILE *f, const char *P, const char *U);

#endif
