/*
 * ops.c - the operator table built from ops.def, and its lookup.
 */
#include "spatial.h"

#include <string.h>

const OpDef op_table[OP_COUNT] = {
#define OP(name, pfx, a, b, c, d, view) \
	{ #name, a, b, c, d, view, pfx##_parse, pfx##_infer, pfx##_fold, pfx##_emit },
#include "ops.def"
#undef OP
};

int64_t op_scratch_floats(const Node *n)
{
	switch (n->op) {
	case OP_Conv:
		return conv_scratch_floats(n);
	default:
		return 0;
	}
}

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
