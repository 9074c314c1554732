/*
 * pack.h - the weight packing of the kernel templates, written once: the
 * compiler calls it to lay out a model's constant weights, and the kernel
 * tests call it to feed the kernels they check (tests/kernels).
 *
 * Plain C with no IR: the caller gives the output buffer, sized by the
 * matching *_floats function (which returns -1 when the size is too large
 * to represent, more than 2^53 floats).  Every float of the output is
 * written, the padding with zeros.  The layouts are those the templates
 * document; the block sizes come from templates/blocking.h.
 */
#ifndef ONNX2C_PACK_H
#define ONNX2C_PACK_H

#include <stddef.h>
#include <stdint.h>

/* conv/direct.c (and conv/ref.c): W [M][Cg][KH][KW] (K = Cg*KH*KW taps)
 * -> [G][nb][K][O2C_CONV_MR], nb = ceil((M/G) / MR), zero past each
 * group's M/G channels. */
int64_t pack_conv_direct_floats(int64_t G, int64_t M, int64_t K);
void pack_conv_direct(float *dst, const float *w, int64_t G, int64_t M, int64_t K);

/* conv/wino.c (mv = O2C_CONV_MR) and conv/wcv.c (mv = O2C_CV_MV): 3x3
 * weights W [M][C][3][3] -> U[xi][nb][C][mv] = (G g G^T)[xi] for
 * g = W[b*mv + r][c], zero past M; xi over the (F+2)^2 transform positions
 * of F(FxF,3x3), F = 2 or 4; computed in double, rounded once. */
int64_t pack_conv_wino_floats(int64_t C, int64_t M, int F, int64_t mv);
void pack_conv_wino(float *dst, const float *w, int64_t C, int64_t M, int F, int64_t mv);

/* conv/cv.c: W [M][K] -> [M/O2C_CV_MV][K][O2C_CV_MV]; M a multiple of
 * O2C_CV_MV. */
int64_t pack_conv_cv_floats(int64_t M, int64_t K);
void pack_conv_cv(float *dst, const float *w, int64_t M, int64_t K);

/* gemm.c: B (K x N, element (k, j) at b[k*b_rs + j*b_cs]) -> panels of
 * O2C_GEMM_NR columns, [ceil(N/NR)][K][NR], zero past N. */
int64_t pack_gemm_floats(int64_t K, int64_t N);
void pack_gemm(float *dst, const float *b, int64_t b_rs, int64_t b_cs, int64_t K, int64_t N);

#endif
