/*
 * ops/spatial.h - window geometry shared by Conv, ConvTranspose and the
 * pools (ops/conv.c, ops/convtr.c, ops/pool.c).
 *
 * Every spatial op is handled as 2D: a 1D op (N,C,W) is stored with H = 1
 * and a 1-tap, stride-1, unpadded H axis, so one kernel serves both.  3D and
 * higher are refused here, once, with the same message for every op.
 */
#ifndef ONNX2C_SPATIAL_H
#define ONNX2C_SPATIAL_H

#include "ops.h"

typedef enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID } AutoPad;

/* Index 0 is H, index 1 is W. */
typedef struct Window {
	int nsp;              /* spatial rank as written in the model: 1 or 2 */
	int64_t k[2];         /* kernel taps */
	int64_t s[2];         /* strides */
	int64_t d[2];         /* dilations */
	int64_t pb[2], pe[2]; /* pads at the beginning / end (final, after auto_pad) */
	int64_t in[2], out[2];
	AutoPad auto_pad;
	bool ceil_mode;
	bool kernel_given;    /* kernel_shape attribute present */
} Window;

/* A MaxPool's or AveragePool's parsed attributes (ops/pool.c; ops/qpool.c reads them). */
typedef struct PoolP {
	Window w;
	bool include_pad;
} PoolP;

/* Checks x's rank (3 or 4; 5+ is fatal_unsupported) and reads kernel_shape,
 * strides, dilations, pads and auto_pad into w.  wk: the kernel taps from the
 * weight tensor (NULL for pools, where kernel_shape is required). */
void window_parse(const Node *n, Window *w, const Shape *x, const Shape *wk, bool allow_ceil, bool allow_dil);
/* Output sizes of a forward window op (Conv, pools) from w->in; resolves
 * auto_pad into pb/pe.  fatal_node when the dilated kernel does not fit the
 * padded input or an output size is not positive. */
void window_forward(const Node *n, Window *w);
/* Output shape [N, M, (OH,) OW] in the model's own rank. */
void window_out_shape(const Window *w, int64_t N, int64_t M, Shape *out);

/* The fused activation as the kernels' clamp [lo, hi] (C literals); returns
 * false when the activation is not a clamp and needs spatial_emit_act_pass
 * after the kernel (lo/hi are then the no-op clamp). */
bool spatial_act_clamp(const Node *n, const char **lo, const char **hi);
/* Floats of arena scratch a Conv's kernel needs (op_scratch_floats). */
int64_t conv_scratch_floats(const Node *n);
/* The O2C_ACT_* name (templates/act.c) of n's activation when act.c has it
 * in SIMD (the conv kernels then apply it per tile), else NULL. */
const char *spatial_act_simd(const Node *n);
/* out0[i] = act(out0[i]) for count floats, a loop the team shares after o2c_sync() (conv, pool, gemm). */
void spatial_emit_act_pass(Emit *e, const Node *n, int64_t count);

#endif
