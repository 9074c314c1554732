/*
 * ops/ops.h - helpers shared by the operator files (compiler/ops/).
 *
 * Every operator implements the four hooks named in ops.def, and the
 * functions its FACT rows name; these helpers keep the common checks (types,
 * batch axis, broadcasting, constant inputs) in one place so the messages
 * read the same everywhere.
 */
#ifndef ONNX2C_OPS_H
#define ONNX2C_OPS_H

#include "ir.h"

/* Every op's hooks and facts, declared from the table. */
#define OP(name, pfx, a, b, c, d, flags)     \
	void pfx##_parse(Graph *g, Node *n); \
	void pfx##_infer(Graph *g, Node *n); \
	bool pfx##_fold(Graph *g, Node *n);  \
	void pfx##_emit(Emit *e, Node *n);
#define FACT(name, hook, fn) OpFact_##hook fn;
#include "ops.def"

/* No-op hooks, for ops with nothing to parse/fold/emit. */
void parse_none(Graph *g, Node *n);
bool fold_none(Graph *g, Node *n);
void emit_none(Emit *e, Node *n);

/* out[0] takes in[0]'s dtype, shape and batched flag. */
void infer_same(Node *n);
/* Sets out[i]'s dtype, shape and batched flag. */
void set_out(Node *n, int i, DType dt, const Shape *s, bool batched);

/* ops/quant.c: a float constant that DequantizeLinear folded (Tensor.dq), and a Q or DQ
 * node's scale and zero point when they are per tensor (false: per axis, or not Q/DQ). */
typedef struct DqFold {
	const Tensor *q;     /* the quantized constant (s8, u8 or int32) */
	int axis;            /* -1: per tensor */
	int64_t count;       /* scales */
	const float *scale, *zp;
} DqFold;
bool quant_per_tensor(const Node *n, float *scale, int32_t *zp, DType *qtype);
/* ops/qadd.c: a QLinearAdd's parameters (a and b its inputs A and B): y = clamp(nearbyint(fma(a, sa/sy,
 * fma(b, sb/sy, qadd_fixed))), lo, hi) as ORT computes it (int8/shared.c), zero points and clamp in the u8
 * domain (s8 values + 128). */
typedef struct QAddP {
	float sa, sb, sy;
	int32_t za, zb, zy, lo, hi;
	bool ys8;            /* the output is s8 */
} QAddP;
/* The int8 region's nodes, made from DequantizeLinear -> float op [-> Relu|Clip] -> QuantizeLinear when
 * every scale is per tensor (passes/opt_fuse_qops.c); false: nothing changed.  act/a: the activation
 * node between the op and q (NULL) and what it computes. */
bool qadd_build(Graph *g, Node *add, Node *act, const Act *a, Node *q);
/* zy - (sa/sy * za + sb/sy * zb), rounded as ORT's kernel does it: each product, the sum, the difference */
float qadd_fixed(const QAddP *p);
bool qpool_build(Graph *g, Node *pool, Node *q);
bool qpool_from_maxpool(Node *pool); /* a MaxPool of a u8/s8 tensor (no DQ, no Q) */
bool qconcat_build(Graph *g, Node *cat, Node *q);
bool qgemm_build(Graph *g, Node *mm, Node *act, const Act *a, Node *q); /* Gemm or MatMul */
/* ops/qlayout.c: a new Int8Relayout node from -> to (pack: to is q8; else from is), appended to g's nodes. */
Node *int8_relayout_new(Graph *g, Tensor *from, Tensor *to, bool pack);
/* ops/qconv.c: a QLinearConv takes the QLinearAdd that alone reads its output as its residual. */
bool qconv_take_add(Node *conv, Node *add);
/* The int8 clamp [*lo, *hi] (u8 domain) of activation a at output scale ys and zero point yzp (u8 domain);
 * false when a is not Relu, Clip or none. */
bool q_act_clamp(const Act *a, float ys, int32_t yzp, int32_t *lo, int32_t *hi);
/* A DqFold's scale at index m (per tensor: the one scale); whether all its zero points are 0. */
float dq_scale(const DqFold *d, int64_t m);
bool dq_zero_points_zero(const DqFold *d);
/* An int8 node's int32 bias bd (NULL: none) has the scale x_scale * w_scale[m] for each of its n outputs, as
 * ORT's QLinearConv and QGemm take it (a model that says otherwise stays float). */
bool q_bias_at_scale(const DqFold *wd, const DqFold *bd, int64_t n, float xs);
/* Its requantisation (int8/shared.c): bias[m] = bias - x_zp * colsum[m] (colsum: the s8 weights' sum per output)
 * and mult[m] = x_scale * w_scale[m] / y_scale in float, ORT's order; false when a folded bias leaves int32. */
bool q_fold_bias(const DqFold *wd, const DqFold *bd, const int32_t *colsum, int64_t n, float xs, int32_t xzp, float ys,
                 int32_t **bias, float **mult);
/* A u8/s8 tensor of shape s between the graph's form (floats, NCHW) and q8 (u8 NHWC when 4-D, templates/int8/
 * shared.c): to_q8 quantizes in0 into out0, else dequantizes; zp in the u8 domain.  Q and DQ use it with their
 * scales, Int8Relayout with scale 1 (the values are integers already). */
void emit_q8_convert(Emit *e, const Shape *s, bool to_q8, float scale, int zp);
/* An int32 array as floats for the weights blob (the bits, not the values). */
const char *emit_weights_i32(Emit *e, const int32_t *v, int64_t n);
/* Node k becomes int8 node `op` (private data p) reading dq's quantized input, taking over the activation node
 * act (or NULL) and q's output; dq dies when nothing else reads it. */
void q_take(Node *k, Node *dq, Node *act, Node *q, int op, const char *op_type, void *p);
/* The u8-domain zero point of a per-tensor Q or DQ (s8: + 128); false when n is not one. */
bool quant_u8(const Node *n, float *scale, int32_t *zp, DType *qtype);
/* ops/qconv.c: conv (reading DequantizeLinear dqx's output, then act, a Relu or Clip node or
 * NULL, whose activation is a, then QuantizeLinear q) becomes one QLinearConv in integer
 * arithmetic when the int8 kernels take it; false (nothing changed) otherwise. */
bool qconv_build(Graph *g, Node *conv, Node *dqx, Node *act, const Act *a, Node *q);

/* fatal_unsupported (exit 3) unless input j is float ("a non-float tensor where float is needed"). */
void require_float(const Node *n, int j);
/* Normalises a possibly negative axis against rank, fatal when out of range. */
int norm_axis(const Node *n, int64_t axis, int rank, const char *what);
/* fatal_node when t is batched and axis is 0 (the op would mix samples). */
void check_batch_axis(const Node *n, const Tensor *t, int axis, const char *what);
/* Numpy-style broadcast of a and b into out; fatal_node when incompatible. */
void broadcast_shape(const Node *n, const Shape *a, const Shape *b, Shape *out);
/* Reads constant int64 input j (0..max values) into out and returns the count;
 * fatal_node when it is not a compile-time constant.  Returns -1 when the
 * optional input is absent. */
int const_ints_input(const Node *n, int j, int64_t *out, int max);
/* Same for a constant float scalar input (Clip min/max); returns false when absent. */
bool const_float_input(const Node *n, int j, float *out);

/* ops/pad.c: true when a parsed Pad is a zero fill of the spatial axes only
 * (N and C unpadded, no crop) of a 3-D or 4-D tensor; begin/end per spatial
 * axis, nsp = 1 or 2.  opt_fold_pad uses it. */
bool pad_zero_spatial(const Node *n, int64_t begin[2], int64_t end[2], int *nsp);

#endif
