/*
 * ops/elem.h - what the elementwise operator files (unary.c, binary.c, bn.c,
 * softmax.c, misc.c) share: the broadcasting loop emitter, broadcasting
 * index helpers for folding, and C float literals.
 */
#ifndef ONNX2C_ELEM_H
#define ONNX2C_ELEM_H

#include "ops.h"

/* Loops at least this long get an OpenMP parallel for. */
#define ELT_PAR_MIN 65536

/* One operand of an elementwise loop: the kernel parameter in<in> when
 * in >= 0, else the pointer expression ptr (emit_const, emit_weights), else
 * (ptr NULL) the scalar literal.  shape broadcasts (numpy rules) to the
 * loop's shape. */
typedef struct EltOperand {
	int in;
	const char *ptr;
	float scalar;
	Shape shape;
} EltOperand;

/* The operand for ONNX input j of n: `in<j>` when it is computed at run
 * time, the constant's data otherwise (a literal when it has one value). */
EltOperand elt_input(Emit *e, const Node *n, int j);

/* Writes out0[i] = expr over the loop shape `out`; in expr, x0..x<nops-1> are
 * the operands' values at i.  Broadcast axes get stride 0 and contiguous
 * axes are merged so the inner loop is as long as possible.  A fused
 * residual (n->residual, parameter `res`) and activation (n->act) are applied
 * to the result. */
void emit_eltwise(Emit *e, const Node *n, const Shape *out, int nops, const EltOperand *ops,
                  const char *expr);

/* Element strides of a tensor of shape `in` read broadcast to shape `out`
 * (0 on broadcast axes), one per axis of out. */
void bcast_strides(const Shape *in, const Shape *out, int64_t *strides);
/* Offset of output element `linear` in an operand with those strides. */
int64_t bcast_offset(const int64_t *strides, const Shape *out, int64_t linear);

/* True when t is read by a live node or is a graph output. */
bool tensor_used(const Graph *g, const Tensor *t);

/* The numpy broadcast of inputs [first, first+count) into *s, with the batch
 * rules: a batched operand keeps the result's rank (the batch stays on axis
 * 0), an unbatched one has 1 there; *batched when any input is. */
void bcast_batched(const Node *n, int first, int count, Shape *s, bool *batched);

/* Element i of a constant of any numeric type, as double (an int64 that is
 * the run-time batch placeholder is refused, naming n). */
double const_elem_d(const Node *n, const Tensor *t, int64_t i);

/* fatal_node when a folded int64 value is the run-time batch (SYM_BATCH). */
void check_not_batch(const Node *n, int64_t v);
/* ops/unary.c: act(v) at compile time, in the float arithmetic of act_c_expr's C. */
float act_eval(const Act *a, float v);

#endif
