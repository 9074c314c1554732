/*
 * pack.h - the weight packing of the kernel templates, written once: the
 * compiler calls it to lay out a model's constant weights, and the kernel
 * tests call it to feed the kernels they check (tests/kernels).
 *
 * Plain C with no IR: the caller gives the output buffer, sized by the
 * matching *_floats function (*_bytes for the int8 ones; -1 when the size
 * is too large to represent, more than 2^53 elements).  Every element of
 * the output is written, the padding with zeros.  The layouts are those the templates
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

/* int8/qgemm.c: s8 B (K x N, element (k, j) at w[k*b_rs + j*b_cs]) ->
 * panels of O2C_QGEMM_NR = 16 columns, K padded to Kp = ceil(K/4)*4 and
 * each column's 4 consecutive k adjacent (the 4 bytes one vpdpbusd lane
 * multiplies): [ceil(N/16)][Kp/4][16][4], element (k, j) at
 * (j/16)*Kp*16 + (k/4)*64 + (j%16)*4 + k%4, zero past K and past N.  One
 * layout for every ISA. */
int64_t pack_qgemm_bytes(int64_t K, int64_t N);
void pack_qgemm(int8_t *dst, const int8_t *w, int64_t b_rs, int64_t b_cs, int64_t K, int64_t N);

/* int8/qgemm.c, o2c_qconv_nhwc: W [M][C][KH][KW] as pack_qgemm's B with
 * K = KH*KW*C ordered (ky, kx, c), the order of an NHWC im2col row, and
 * N = M. */
int64_t pack_qconv_bytes(int64_t M, int64_t C, int64_t KH, int64_t KW);
void pack_qconv(int8_t *dst, const int8_t *w, int64_t M, int64_t C, int64_t KH, int64_t KW);

/* out[j] = sum_k w[k*rs + j*cs] for j < N: the column sums the compiler
 * folds into an int8 node's bias as -x_zp * colsum (int8/shared.c).  The
 * order of k does not matter, so a conv's W [M][K] is rs = 1, cs = K. */
void qgemm_colsums(const int8_t *w, int64_t rs, int64_t cs, int64_t K, int64_t N, int32_t *out);

/* int8/qdw.c: depthwise s8 W [C][1][KH][KW] with per-channel zero points
 * w_zp[C] (NULL: all 0) -> int32 [KH*KW][Cp], Cp = C rounded up to
 * O2C_QDW_CV, element (t, c) = W[c][t] - w_zp[c] (in [-255, 255]), zero past
 * C.  The zero point is subtracted here, so the kernel needs no run-time
 * correction for it; one layout for every ISA.  Counted in int32s. */
int64_t pack_qdw_ints(int64_t C, int64_t KH, int64_t KW);
void pack_qdw(int32_t *dst, const int8_t *w, const int32_t *w_zp, int64_t C, int64_t KH, int64_t KW);

#endif
