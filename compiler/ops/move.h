/*
 * ops/move.h - one engine for the data-movement operators (Transpose, Slice,
 * Pad, Gather, Concat, Split): a "move" copies an n-d box
 *
 *   dst[dst_off + sum_d i_d*ds[d]] = src[src_off + sum_d src_d(i_d)]
 *
 * where src_d(i) is affine (i*ss[d]) or read from a per-dimension table of
 * element offsets (Gather indices, Pad edge/reflect).  The same description
 * folds constants at compile time (move_run, any element size, so int64
 * shape arithmetic and float weights share it) and writes the run-time loops
 * (move_emit: literal bounds, merged dimensions, memcpy for contiguous rows).
 */
#ifndef ONNX2C_MOVE_H
#define ONNX2C_MOVE_H

#include "ops.h"

typedef struct Move {
	int rank;
	int64_t n[MAX_RANK + 1];          /* extents */
	int64_t ds[MAX_RANK + 1];         /* destination strides (elements) */
	int64_t ss[MAX_RANK + 1];         /* source strides, when tab[d] is NULL */
	const int64_t *tab[MAX_RANK + 1]; /* explicit source offsets for dimension d */
	int64_t dst_off, src_off;
} Move;

/* Row-major element strides of s into st; returns the element count. */
int64_t move_strides(const Shape *s, int64_t *st);
/* A move over the whole of shape s, both sides contiguous. */
Move move_contig(const Shape *s);
/* Drops extent-1 dimensions and merges dimensions that are contiguous on both sides. */
void move_simplify(Move *m);
int64_t move_count(const Move *m);
void move_run(const Move *m, void *dst, const void *src, size_t esize);
/* Writes a block copying src (a const float * expression) into dst (float *). */
void move_emit(Emit *e, const Move *m, const char *dst, const char *src);
/* Writes a loop setting count floats of dst to v. */
void move_emit_fill(Emit *e, const char *dst, int64_t count, float v);

/* The C expression for input j in a kernel: in<j>, or the embedded constant. */
const char *move_input(Emit *e, const Node *n, int j);
/* Allocates the data of a folded output (numel * element size bytes). */
void *move_alloc(Tensor *t);

#endif
