/*
 * gemm.c - the training runtime's single-precision matrix product, split the
 * BLIS way into a register-blocked microkernel, the packing routines and a
 * blocking/threading driver; plus the workspaces the convolutions keep
 * between calls.  Not a general BLAS: one routine, C (+)= A.B, with strided
 * operands so the convolution's transposed products need no copies.
 *
 * Microkernel contract: ukr(kc, a, b, c, ldc, mr, nr, acc) computes the
 * MR x NR tile T = a . b, a packed as a[k*MR + i] (MR rows, zero padded) and
 * b as b[k*NR + j] (NR columns, zero padded), then C[i][j] (+)= T[i][j] for
 * i < mr, j < nr.  Per element the sum over k runs in order.  Variants:
 * AVX-512 (8 x 32: 16 zmm accumulators), AVX2+FMA (6 x 16: 12 ymm), and the
 * portable C one (same shape as whichever SIMD variant is compiled in, so the
 * packing is shared and tests can swap kernels).  The SIMD variants use FMA,
 * so they differ from the portable one by rounding only.
 */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#include "rt_gemm.h"
#include "rt_internal.h"

enum { MR = RT_MR, NR = RT_NR };
/* Cache blocking: a KC x NR panel of B (32 KB at KC=256, NR=32) stays in L1 while the
 * MC x KC block of A (128 KB) streams from L2; the KC x NC block of B fits L2. */
enum { KC = RT_KC, MC = MR * 16, NC = NR * 16, MAX_THREADS = 64 };

typedef void (*Ukr)(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int mr, int nr, int acc);

/* Adds (acc) or stores the mr x nr corner of a full tile t[MR][NR] into C. */
static void tile_out(const float *t, float *c, ptrdiff_t ldc, int mr, int nr, int acc)
{
	for (int i = 0; i < mr; i++)
		for (int j = 0; j < nr; j++)
			c[i * ldc + j] = acc ? c[i * ldc + j] + t[i * NR + j] : t[i * NR + j];
}

static void ukr_generic(int kc, const float *restrict a, const float *restrict b, float *restrict c, ptrdiff_t ldc,
                        int mr, int nr, int acc)
{
	float t[MR * NR] = {0.0f};
	for (int k = 0; k < kc; k++)
		for (int i = 0; i < MR; i++) {
			const float ai = a[k * MR + i];
			for (int j = 0; j < NR; j++)
				t[i * NR + j] += ai * b[k * NR + j];
		}
	tile_out(t, c, ldc, mr, nr, acc);
}

#if defined(__AVX512F__)
static void ukr_simd(int kc, const float *restrict a, const float *restrict b, float *restrict c, ptrdiff_t ldc,
                     int mr, int nr, int acc)
{
	__m512 t[MR][2];
	for (int i = 0; i < MR; i++)
		t[i][0] = t[i][1] = _mm512_setzero_ps();
	for (int k = 0; k < kc; k++) {
		const __m512 b0 = _mm512_load_ps(b + k * NR), b1 = _mm512_load_ps(b + k * NR + 16);
		for (int i = 0; i < MR; i++) {
			const __m512 ai = _mm512_set1_ps(a[k * MR + i]);
			t[i][0] = _mm512_fmadd_ps(ai, b0, t[i][0]);
			t[i][1] = _mm512_fmadd_ps(ai, b1, t[i][1]);
		}
	}
	if (mr == MR && nr == NR) {
		for (int i = 0; i < MR; i++) {
			float *ci = c + i * ldc;
			if (acc) {
				t[i][0] = _mm512_add_ps(_mm512_loadu_ps(ci), t[i][0]);
				t[i][1] = _mm512_add_ps(_mm512_loadu_ps(ci + 16), t[i][1]);
			}
			_mm512_storeu_ps(ci, t[i][0]);
			_mm512_storeu_ps(ci + 16, t[i][1]);
		}
		return;
	}
	float buf[MR * NR];
	for (int i = 0; i < MR; i++) {
		_mm512_storeu_ps(buf + i * NR, t[i][0]);
		_mm512_storeu_ps(buf + i * NR + 16, t[i][1]);
	}
	tile_out(buf, c, ldc, mr, nr, acc);
}
#define SIMD_NAME "avx512 8x32"
#elif defined(__AVX2__) && defined(__FMA__)
static void ukr_simd(int kc, const float *restrict a, const float *restrict b, float *restrict c, ptrdiff_t ldc,
                     int mr, int nr, int acc)
{
	__m256 t[MR][2];
	for (int i = 0; i < MR; i++)
		t[i][0] = t[i][1] = _mm256_setzero_ps();
	for (int k = 0; k < kc; k++) {
		const __m256 b0 = _mm256_load_ps(b + k * NR), b1 = _mm256_load_ps(b + k * NR + 8);
		for (int i = 0; i < MR; i++) {
			const __m256 ai = _mm256_broadcast_ss(a + k * MR + i);
			t[i][0] = _mm256_fmadd_ps(ai, b0, t[i][0]);
			t[i][1] = _mm256_fmadd_ps(ai, b1, t[i][1]);
		}
	}
	if (mr == MR && nr == NR) {
		for (int i = 0; i < MR; i++) {
			float *ci = c + i * ldc;
			if (acc) {
				t[i][0] = _mm256_add_ps(_mm256_loadu_ps(ci), t[i][0]);
				t[i][1] = _mm256_add_ps(_mm256_loadu_ps(ci + 8), t[i][1]);
			}
			_mm256_storeu_ps(ci, t[i][0]);
			_mm256_storeu_ps(ci + 8, t[i][1]);
		}
		return;
	}
	float buf[MR * NR];
	for (int i = 0; i < MR; i++) {
		_mm256_storeu_ps(buf + i * NR, t[i][0]);
		_mm256_storeu_ps(buf + i * NR + 8, t[i][1]);
	}
	tile_out(buf, c, ldc, mr, nr, acc);
}
#define SIMD_NAME "avx2 6x16"
#else
#define ukr_simd ukr_generic
#define SIMD_NAME "generic 4x16"
#endif

static Ukr g_ukr = ukr_simd;
static const char *g_ukr_name = SIMD_NAME;
static int g_which = RT_UKR_BEST;

int rt_sgemm_selected(void)
{
	return g_which;
}

const char *rt_sgemm_select(int which)
{
	g_which = which;
	g_ukr = which == RT_UKR_GENERIC ? ukr_generic : ukr_simd;
	g_ukr_name = which == RT_UKR_GENERIC ? "generic" : SIMD_NAME;
	return g_ukr_name;
}

/* ---------------------------------------------------------------- packing */

/* Rows [i0, i0+mc) x columns [p0, p0+kc) of A into MR-row panels: dst[panel][k][i], zero rows past mc. */
static void pack_a(float *restrict dst, const float *A, ptrdiff_t rsa, ptrdiff_t csa, int i0, int mc, int p0, int kc)
{
	for (int ir = 0; ir < mc; ir += MR, dst += (size_t)MR * kc) {
		const int m = mc - ir < MR ? mc - ir : MR;
		const float *a = A + (i0 + ir) * rsa + p0 * csa;
		if (csa == 1 && m == MR) { /* a full panel of contiguous rows: constant MR so it vectorises */
			for (int k = 0; k < kc; k++)
				for (int i = 0; i < MR; i++)
					dst[k * MR + i] = a[i * rsa + k];
		} else if (csa == 1) { /* rows contiguous: read along k */
			for (int i = 0; i < m; i++)
				for (int k = 0; k < kc; k++)
					dst[k * MR + i] = a[i * rsa + k];
		} else {
			for (int k = 0; k < kc; k++)
				for (int i = 0; i < m; i++)
					dst[k * MR + i] = a[i * rsa + k * csa];
		}
		for (int i = m; i < MR; i++)
			for (int k = 0; k < kc; k++)
				dst[k * MR + i] = 0.0f;
	}
}

/* Rows [p0, p0+kc) x columns [j0, j0+nc) of B into NR-column panels: dst[panel][k][j], zero columns past nc. */
static void pack_b(float *restrict dst, const float *B, ptrdiff_t rsb, ptrdiff_t csb, int p0, int kc, int j0, int nc)
{
	for (int jr = 0; jr < nc; jr += NR, dst += (size_t)NR * kc) {
		const int n = nc - jr < NR ? nc - jr : NR;
		const float *b = B + p0 * rsb + (j0 + jr) * csb;
		if (csb == 1) { /* rows contiguous */
			for (int k = 0; k < kc; k++) {
				memcpy(dst + k * NR, b + k * rsb, (size_t)n * sizeof *dst);
				for (int j = n; j < NR; j++)
					dst[k * NR + j] = 0.0f;
			}
		} else if (rsb == 1 && n == NR) { /* a full panel of a transposed operand: 8 columns at a
		                                      * time, a constant-size transpose that vectorises */
			for (int c0 = 0; c0 < NR; c0 += 8)
				for (int k = 0; k < kc; k++)
					for (int j = 0; j < 8; j++)
						dst[k * NR + c0 + j] = b[k + (c0 + j) * csb];
		} else { /* columns contiguous when rsb == 1 (a transposed operand): read along k */
			for (int j = 0; j < n; j++)
				for (int k = 0; k < kc; k++)
					dst[k * NR + j] = b[k * rsb + j * csb];
			for (int k = 0; k < kc; k++)
				for (int j = n; j < NR; j++)
					dst[k * NR + j] = 0.0f;
		}
	}
}

/* ------------------------------------------------------------- workspaces */

static float *g_ws[RT_WS_SLOTS];
static size_t g_ws_cap[RT_WS_SLOTS];

float *rt_workspace(int slot, size_t n)
{
	if (n <= g_ws_cap[slot])
		return g_ws[slot];
	free(g_ws[slot]);
	const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
	g_ws[slot] = aligned_alloc(64, bytes);
	g_ws_cap[slot] = g_ws[slot] ? n : 0;
	return g_ws[slot];
}

/* Each thread's packing buffers: MC*KC floats of A then KC*NC of B. */
static float *g_pack[MAX_THREADS];

static float *pack_buffer(int t)
{
	if (!g_pack[t])
		g_pack[t] = aligned_alloc(64, ((size_t)MC * KC + (size_t)KC * NC) * sizeof(float));
	return g_pack[t];
}

/* ------------------------------------------------------------------ driver */

/* The product restricted to rows [m0, m1) and columns [n0, n1), on one thread. */
static void gemm_block(int m0, int m1, int n0, int n1, int K, const RtOperand *A, const RtOperand *B, float *C,
                       ptrdiff_t ldc, int accumulate, float *buf)
{
	float *ap = buf, *bp = buf + (size_t)MC * KC;
	const Ukr ukr = g_ukr;
	for (int jc = n0; jc < n1; jc += NC) {
		const int nc = n1 - jc < NC ? n1 - jc : NC;
		for (int pc = 0; pc < K; pc += KC) {
			const int kc = K - pc < KC ? K - pc : KC, acc = accumulate || pc > 0;
			if (B->pack)
				B->pack(bp, B->ctx, jc, nc, pc, kc);
			else
				pack_b(bp, B->p, B->rs, B->cs, pc, kc, jc, nc);
			for (int ic = m0; ic < m1; ic += MC) {
				const int mc = m1 - ic < MC ? m1 - ic : MC;
				if (A->pack)
					A->pack(ap, A->ctx, ic, mc, pc, kc);
				else
					pack_a(ap, A->p, A->rs, A->cs, ic, mc, pc, kc);
				for (int jr = 0; jr < nc; jr += NR)
					for (int ir = 0; ir < mc; ir += MR)
						ukr(kc, ap + (size_t)ir * kc, bp + (size_t)jr * kc, C + (ic + ir) * ldc + jc + jr, ldc,
						    mc - ir < MR ? mc - ir : MR, nc - jr < NR ? nc - jr : NR, acc);
			}
		}
	}
}

int rt_sgemm_reserve(void)
{
	int nt = 1;
#ifdef _OPENMP
	nt = omp_get_max_threads();
#endif
	for (int t = 0; t < nt && t < MAX_THREADS; t++)
		if (!pack_buffer(t))
			return -1;
	return 0;
}

int rt_sgemm(int M, int N, int K, const float *A, ptrdiff_t rsa, ptrdiff_t csa, const float *B, ptrdiff_t rsb,
             ptrdiff_t csb, float *C, ptrdiff_t ldc, int accumulate)
{
	const RtOperand a = { A, rsa, csa, NULL, NULL }, b = { B, rsb, csb, NULL, NULL };
	return rt_sgemm_op(M, N, K, &a, &b, C, ldc, accumulate);
}

int rt_sgemm_op(int M, int N, int K, const RtOperand *A, const RtOperand *B, float *C, ptrdiff_t ldc, int accumulate)
{
	if (M <= 0 || N <= 0)
		return 0;
	if (K <= 0) {
		if (!accumulate)
			for (int i = 0; i < M; i++)
				memset(C + i * ldc, 0, (size_t)N * sizeof *C);
		return 0;
	}
	int nt = 1;
#ifdef _OPENMP
	if (omp_in_parallel()) { /* a caller's thread doing its share: serial, on its own buffers */
		const int t = omp_get_thread_num();
		if (t >= MAX_THREADS || !pack_buffer(t))
			return -1;
		gemm_block(0, M, 0, N, K, A, B, C, ldc, accumulate, g_pack[t]);
		return 0;
	}
	if ((double)M * N * K > 5e5) /* threads only for products worth a fork (~1 MFLOP) */
		nt = omp_get_max_threads();
#endif
	/* split the columns when there are enough NR panels, else the rows */
	const int tm = (M + MR - 1) / MR, tn = (N + NR - 1) / NR;
	const int split_n = tn >= 2 * nt || tn >= tm, tiles = split_n ? tn : tm;
	if (nt > tiles)
		nt = tiles;
	if (nt > MAX_THREADS)
		nt = MAX_THREADS;
	for (int t = 0; t < nt; t++) /* allocated before the threads start: nothing fails mid-product */
		if (!pack_buffer(t))
			return -1;
	RT_OMP(parallel num_threads(nt))
	{
		int t = 0;
#ifdef _OPENMP
		t = omp_get_thread_num();
#endif
		const int lo = (int)((long)tiles * t / nt), hi = (int)((long)tiles * (t + 1) / nt);
		if (lo < hi) {
			if (split_n)
				gemm_block(0, M, lo * NR, hi * NR < N ? hi * NR : N, K, A, B, C, ldc, accumulate, g_pack[t]);
			else
				gemm_block(lo * MR, hi * MR < M ? hi * MR : M, 0, N, K, A, B, C, ldc, accumulate, g_pack[t]);
		}
	}
	return 0;
}

void rt_sgemm_ref(int M, int N, int K, const float *A, ptrdiff_t rsa, ptrdiff_t csa, const float *B, ptrdiff_t rsb,
                  ptrdiff_t csb, float *C, ptrdiff_t ldc, int accumulate)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double s = 0.0;
			for (int k = 0; k < K; k++)
				s += (double)A[i * rsa + k * csa] * B[k * rsb + j * csb];
			C[i * ldc + j] = (float)(accumulate ? C[i * ldc + j] + s : s);
		}
}
