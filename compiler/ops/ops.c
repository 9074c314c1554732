/*
 * ops.c - the operator table built from ops.def, its lookup, and the
 * questions the passes ask it (which epilogue a kernel takes, whether a node
 * is an activation, scratch floats, MACs), so that no pass keeps its own
 * list of op kinds.
 */
#include "spatial.h"

#include <string.h>

/* Every member is named by a designator, so a FACT row fills its hook in
 * the same initializer, and a second row for the same fact is a compile
 * error (-Woverride-init). */
const OpDef op_table[OP_COUNT] = {
#define OP(op, pfx, a, b, c, d, flags)                                                          \
	[OP_##op].name = #op, [OP_##op].min_in = a, [OP_##op].max_in = b, [OP_##op].min_out = c,     \
	[OP_##op].max_out = d, [OP_##op].view = ((flags) & IS_VIEW) != 0,                             \
	[OP_##op].epi = (flags) & (EPI_ACT | EPI_RES), [OP_##op].parse = pfx##_parse,                 \
	[OP_##op].infer = pfx##_infer, [OP_##op].fold = pfx##_fold, [OP_##op].emit = pfx##_emit,
#define FACT(op, hook, fn) [OP_##op].hook = fn,
#include "ops.def"
};

_Static_assert(sizeof op_table / sizeof op_table[0] == OP_COUNT, "op table and ops.def disagree");

int op_lookup(const char *domain, const char *op_type)
{
	if (domain && *domain && strcmp(domain, "ai.onnx"))
		return -1;
	for (int i = 0; i < OP_COUNT; i++)
		if (!strcmp(op_table[i].name, op_type))
			return i;
	return -1;
}

unsigned op_epilogue(const Node *n)
{
	const OpDef *d = &op_table[n->op];
	return d->epilogue ? d->epilogue(n) & d->epi : d->epi;
}

bool op_act(const Node *n, Act *a)
{
	const OpDef *d = &op_table[n->op];
	*a = (Act){ ACT_NONE, 0, 0 };
	return d->act && d->act(n, a) && a->kind != ACT_NONE;
}

int64_t op_scratch_floats(const Node *n)
{
	const OpDef *d = &op_table[n->op];
	return d->scratch ? d->scratch(n) : 0;
}

int64_t node_macs(const Node *n)
{
	const OpDef *d = &op_table[n->op];
	return d->macs && n->out[0] ? d->macs(n) : 0;
}
