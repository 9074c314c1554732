/*
 * rt_gemm.h - the runtime's matrix product and its workspaces (private to
 * runtime/, not installed).  gemm.c implements them; conv.c lowers every
 * convolution to rt_sgemm, the 3x3 stride-1 ones through wino.c's Winograd
 * transforms; tests/runtime/test_rt_gemm.c checks each microkernel variant
 * against rt_sgemm_ref, test_rt_conv.c the convs with and without Winograd.
 */
#ifndef RT_GEMM_H
#define RT_GEMM_H

#include <stddef.h>

#include "onnx2c_rt.h" /* RtConv */

/* The microkernel's tile (gemm.c): MR rows of A by NR columns of B.  gemm.c and the packers
 * of conv.c are built with the same flags, so they agree on it. */
#if defined(__AVX512F__)
#define RT_MR 8
#define RT_NR 32
#elif defined(__AVX2__) && defined(__FMA__)
#define RT_MR 6
#define RT_NR 16
#else
#define RT_MR 4
#define RT_NR 16
#endif
#define RT_KC 256 /* the depth of a packed block: pack's kc is at most this */

/* C[M,N] (+)= A[M,K] . B[K,N].  Element (i,k) of A is A[i*rsa + k*csa], (k,j) of B is
 * B[k*rsb + j*csb] (so a transposed operand needs no copy), C is row-major with row stride
 * ldc.  accumulate != 0: C += A.B; 0: C = A.B (C need not be initialised).  Runs on the
 * OpenMP threads when the product is large and no parallel region is active; called inside
 * a parallel region it runs serially on the calling thread (each thread its own share of C).
 * The packing buffers are kept between calls, one set per OpenMP thread number: rt_sgemm must
 * not be called from two unrelated threads at once (one trainer per process).  Returns 0, or
 * -1 when a buffer cannot be allocated (C untouched then). */
int rt_sgemm(int M, int N, int K, const float *A, ptrdiff_t rsa, ptrdiff_t csa, const float *B, ptrdiff_t rsb,
             ptrdiff_t csb, float *C, ptrdiff_t ldc, int accumulate);

/* An operand given by the routine that packs it (an implicit matrix: a convolution's columns
 * read straight from the image), or in memory (pack NULL): element (r, c) at p[r*rs + c*cs].
 * pack(dst, ctx, i0, n, p0, kc) writes the operand's [i0, i0+n) x [p0, p0+kc) part: for A,
 * rows i0.. and columns p0.. as RT_MR-row panels dst[panel][k][i]; for B, COLUMNS i0.. and
 * rows p0.. as RT_NR-column panels dst[panel][k][j]; rows/columns past n zero. */
typedef struct RtOperand {
	const float *p;
	ptrdiff_t rs, cs;
	void (*pack)(float *dst, const void *ctx, int i0, int n, int p0, int kc);
	const void *ctx;
} RtOperand;
int rt_sgemm_op(int M, int N, int K, const RtOperand *A, const RtOperand *B, float *C, ptrdiff_t ldc, int accumulate);

/* Allocates the packing buffers of every OpenMP thread now (before a parallel region whose
 * threads call rt_sgemm), so that nothing fails mid-region.  Returns 0 or -1. */
int rt_sgemm_reserve(void);

/* The naive triple loop with the same contract (single thread, sum over k in order, in
 * double): the reference the tests compare rt_sgemm against. */
void rt_sgemm_ref(int M, int N, int K, const float *A, ptrdiff_t rsa, ptrdiff_t csa, const float *B, ptrdiff_t rsb,
                  ptrdiff_t csb, float *C, ptrdiff_t ldc, int accumulate);

/* Which microkernel rt_sgemm uses: RT_UKR_BEST (the widest SIMD variant compiled in) or
 * RT_UKR_GENERIC (portable C, same tile shape).  Returns the name of the selected variant.
 * For tests; not thread-safe. */
enum { RT_UKR_BEST = 0, RT_UKR_GENERIC = 1 };
const char *rt_sgemm_select(int which);
/* The selection now (conv.c's packers follow it: portable C under RT_UKR_GENERIC). */
int rt_sgemm_selected(void);

/* Workspace number `slot` (0 <= slot < RT_WS_SLOTS) holding at least n floats, 64-byte
 * aligned, kept and grown between calls (contents not preserved on growth); NULL when it
 * cannot be allocated.  Same single-trainer rule as rt_sgemm. */
enum { RT_WS_SLOTS = 12, RT_WS_WINO = 8 /* slots 8..10: wino.c's; 0..7: conv.c's */ };
float *rt_workspace(int slot, size_t n);

/* Winograd F(2x2, 3x3) (wino.c), for 3x3 stride-1 undilated convs whose output is as large as
 * their input ("same"), CN layout, any groups.  rt_wino_use(g): whether conv.c runs g so:
 * under RT_WINO_AUTO (the default) when each group has at least 128 input and 128 output
 * channels and the image is at least 3x3, under RT_WINO_FORCE whenever the shape allows,
 * never under RT_WINO_OFF.
 * rt_wino_select sets the mode (for tests; not thread-safe) and returns the previous one. */
enum { RT_WINO_AUTO = 0, RT_WINO_FORCE = 1, RT_WINO_OFF = 2 };
int rt_wino_select(int mode);
/* The batch runs in chunks of samples whose transforms fit `floats` floats (default 2^22):
 * sets it (for tests: a small one splits a small batch) and returns the previous one. */
long rt_wino_chunk(long floats);
int rt_wino_use(const RtConv *g);
/* out[M][N*OH*OW] (acc: +)= conv(inp, weight) + bias (bias may be NULL); inp [C][N*H*W].
 * flip: weight is [C][M][3][3] and the conv's kernel its flipped transpose (the input gradient of
 * a conv with that weight, conv.c). */
int rt_wino_forward(float *out, const float *inp, const float *weight, const float *bias, const RtConv *g, int acc,
                    int flip);
/* dweight[M, C/G, 3, 3] += the weight gradient from dout [M][N*OH*OW] and inp. */
int rt_wino_dweight(float *dweight, const float *dout, const float *inp, const RtConv *g);
/* Both return 0, or -1 when a workspace or the products' buffers cannot be allocated. */

#endif
