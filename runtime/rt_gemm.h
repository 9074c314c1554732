/*
 * rt_gemm.h - the runtime's matrix product and its workspaces (private to
 * runtime/, not installed).  gemm.c implements them; layers.c lowers every
 * convolution to rt_sgemm; tests/runtime/test_rt_gemm.c checks each
 * microkernel variant against rt_sgemm_ref.
 */
#ifndef RT_GEMM_H
#define RT_GEMM_H

#include <stddef.h>

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

/* Workspace number `slot` (0 <= slot < RT_WS_SLOTS) holding at least n floats, 64-byte
 * aligned, kept and grown between calls (contents not preserved on growth); NULL when it
 * cannot be allocated.  Same single-trainer rule as rt_sgemm. */
enum { RT_WS_SLOTS = 4 };
float *rt_workspace(int slot, size_t n);

#endif
