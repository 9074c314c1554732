/*
 * test_gemm.c - templates/gemm.c against naive loops: every microkernel
 * variant compiled in (generic, AVX2+FMA, AVX-512F) and both drivers
 * (packed constant B, run-time B), at awkward sizes (M 1,3,17; N 1,15,1000;
 * K 1,7,2048), transposed A and B through strides, alpha/beta, C broadcast
 * and the residual.  The reference accumulates in double; the tolerance
 * scales with sum_k |a||b|, the bound on float32 rounding.  The 8x32 tile
 * kernels (8 rows x 2 panels) against the same loops for every row count and
 * one or two panels; the packed driver also at M 8, 9, 50 (whole and partial
 * row blocks), N 17 and 33 (a lone last panel), with a GELU in the epilogue,
 * and with a small B chunk (O2C_GEMM_BCHUNK, below) so that its chunking of
 * the panels runs too.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* 4 KB chunks of packed B (256 KB in models): several chunks even at these sizes */
#define O2C_GEMM_BCHUNK 4096

#include "common.c"
#include "blocking.h"
#include "act.c"
#include "gemm.c"
#include "pack.h"
#include "team.h"

static float frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *rnd(size_t n, unsigned seed)
{
	float *p = malloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = frand(&seed);
	return p;
}

/* B packed as the compiler packs it (compiler/pack/pack.c). */
static float *pack(const float *b, ptrdiff_t b_rs, ptrdiff_t b_cs, ptrdiff_t K, ptrdiff_t N)
{
	float *p = malloc((size_t)pack_gemm_floats(K, N) * sizeof *p + 1);
	pack_gemm(p, b, b_rs, b_cs, K, N);
	return p;
}

static int check(const char *what, ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, const float *y, const double *ref,
                 const double *mag)
{
	for (ptrdiff_t i = 0; i < M * N; i++) {
		double tol = 1e-6 * mag[i] + 1e-6;
		if (!(fabs(y[i] - ref[i]) <= tol)) {
			printf("\n%s M=%td N=%td K=%td: y[%td] = %.9g, reference %.9g\n", what, M, N, K, i, (double)y[i],
			       ref[i]);
			return 0;
		}
	}
	return 1;
}

typedef void Ukernel(int, ptrdiff_t, const float *, ptrdiff_t, ptrdiff_t, const float *, float[4][16]);
typedef void Gemv(ptrdiff_t, const float *, ptrdiff_t, const float *, float[16]);

static void check_ukernel(const char *name, Ukernel *uk, Gemv *gv)
{
	static const int Ks[] = { 1, 7, 2048 };
	for (int ki = 0; ki < 3; ki++)
		for (int mr = 1; mr <= 4; mr++)
			for (int ta = 0; ta < 2; ta++) {
				ptrdiff_t K = Ks[ki];
				float *a = rnd((size_t)(4 * K), 7u + (unsigned)K), *bp = rnd((size_t)(16 * K), 9u);
				ptrdiff_t a_rs = ta ? 1 : K, a_cs = ta ? 4 : 1;
				float acc[4][16], g[16];
				uk(mr, K, a, a_rs, a_cs, bp, acc);
				if (mr == 1)
					gv(K, a, a_cs, bp, g);
				for (int r = 0; r < mr; r++)
					for (int j = 0; j < 16; j++) {
						double s = 0, m = 0;
						for (ptrdiff_t k = 0; k < K; k++) {
							s += (double)a[r * a_rs + k * a_cs] * bp[k * 16 + j];
							m += fabs((double)a[r * a_rs + k * a_cs] * bp[k * 16 + j]);
						}
						if (fabs(acc[r][j] - s) > 1e-6 * m + 1e-6 || (mr == 1 && fabs(g[j] - s) > 1e-6 * m + 1e-6)) {
							printf("\n%s mr=%d K=%td transA=%d: acc[%d][%d] = %.9g (gemv %.9g), reference %.9g\n",
							       name, mr, K, ta, r, j, (double)acc[r][j], (double)g[j], s);
							CU_FAIL("microkernel differs from the reference");
							free(a), free(bp);
							return;
						}
					}
				free(a);
				free(bp);
			}
	CU_PASS(name);
}

typedef void Tile(int, int, ptrdiff_t, const float *, ptrdiff_t, ptrdiff_t, const float *, ptrdiff_t, float[8][32]);

static void check_tile(const char *name, Tile *tile)
{
	static const int Ks[] = { 1, 7, 128, 300 };
	for (int ki = 0; ki < 4; ki++)
		for (int mr = 1; mr <= 8; mr++)
			for (int np = 1; np <= 2; np++)
				for (int ta = 0; ta < 2; ta++) {
					ptrdiff_t K = Ks[ki], ps = 16 * K + 5; /* the second panel at an odd distance */
					float *a = rnd((size_t)(8 * K), 3u + (unsigned)K), *bp = rnd((size_t)(2 * ps), 5u);
					ptrdiff_t a_rs = ta ? 1 : K, a_cs = ta ? 8 : 1;
					float acc[8][32];
					tile(mr, np, K, a, a_rs, a_cs, bp, ps, acc);
					for (int r = 0; r < mr; r++)
						for (int j = 0; j < 32; j++) {
							double s = 0, m = 0;
							for (ptrdiff_t k = 0; j < 16 * np && k < K; k++) {
								double p = (double)a[r * a_rs + k * a_cs] * bp[(j / 16) * ps + k * 16 + j % 16];
								s += p;
								m += fabs(p);
							}
							if (!(fabs(acc[r][j] - s) <= 1e-6 * m + 1e-6)) {
								printf("\n%s mr=%d np=%d K=%td transA=%d: acc[%d][%d] = %.9g, reference %.9g\n",
								       name, mr, np, K, ta, r, j, (double)acc[r][j], s);
								CU_FAIL("tile kernel differs from the reference");
								free(a), free(bp);
								return;
							}
						}
					free(a);
					free(bp);
				}
	CU_PASS(name);
}

static void test_tile_generic(void)
{
	check_tile("tile generic", o2c_gemm_tile_8x32_generic);
}

#if defined(__AVX2__) && defined(__FMA__)
static void test_tile_avx2(void)
{
	check_tile("tile avx2", o2c_gemm_tile_8x32_avx2);
}
#endif

#if defined(__AVX512F__)
static void test_tile_avx512(void)
{
	check_tile("tile avx512", o2c_gemm_tile_8x32_avx512);
}
#endif

static void test_ukernel_generic(void)
{
	check_ukernel("generic", o2c_gemm_ukernel_4x16_generic, o2c_gemv_ukernel_1x16_generic);
}

#if defined(__AVX2__) && defined(__FMA__)
static void test_ukernel_avx2(void)
{
	check_ukernel("avx2", o2c_gemm_ukernel_4x16_avx2, o2c_gemv_ukernel_1x16_avx2);
}
#endif

#if defined(__AVX512F__)
static void test_ukernel_avx512(void)
{
	check_ukernel("avx512", o2c_gemm_ukernel_4x16_avx512, o2c_gemv_ukernel_1x16_avx512);
}
#endif

/* Both drivers over the size grid, with every stride/epilogue option. */
static void test_drivers(void)
{
	static const int Ms[] = { 1, 3, 17, 8, 9, 50 }, Ns[] = { 1, 15, 1000, 17, 33 }, Ks[] = { 1, 7, 2048 };
	int bad = 0, runs = 0;
	for (int mi = 0; mi < 6; mi++)
		for (int ni = 0; ni < 5; ni++)
			for (int ki = 0; ki < 3; ki++)
				for (int opt = 0; opt < 5; opt++) {
					ptrdiff_t M = Ms[mi], N = Ns[ni], K = Ks[ki];
					int ta = opt < 4 && (opt & 1), tb = opt < 4 && ((opt >> 1) & 1);
					/* opt 0: plain; 1: transA, C per column, alpha/beta; 2: transB, C [M,N] + residual;
					 * 3: both transposed, scalar C; 4: a row bias (ConvNeXt's Linear) and GELU (packed only) */
					float alpha = opt && opt < 4 ? 0.5f : 1.0f, beta = opt == 1 ? -2.0f : 1.5f;
					const int gelu = opt == 4;
					float *a = rnd((size_t)(M * K), 1u + (unsigned)opt), *b = rnd((size_t)(K * N), 2u);
					float *c = rnd((size_t)(M * N), 3u), *res = rnd((size_t)(M * N), 4u);
					float *y1 = malloc((size_t)(M * N) * sizeof *y1), *y2 = malloc((size_t)(M * N) * sizeof *y2);
					double *ref = malloc((size_t)(M * N) * sizeof *ref), *mag = malloc((size_t)(M * N) * sizeof *mag);
					ptrdiff_t a_rs = ta ? 1 : K, a_cs = ta ? M : 1, b_rs = tb ? 1 : N, b_cs = tb ? K : 1;
					const float *cp = opt == 0 ? NULL : c;
					ptrdiff_t c_rs = opt == 2 ? N : 0, c_cs = opt == 3 ? 0 : 1;
					const float *rp = opt == 2 ? res : NULL;
					for (ptrdiff_t i = 0; i < M; i++)
						for (ptrdiff_t j = 0; j < N; j++) {
							double s = 0, m = 0;
							for (ptrdiff_t k = 0; k < K; k++) {
								double p = (double)a[i * a_rs + k * a_cs] * b[k * b_rs + j * b_cs];
								s += p;
								m += fabs(p);
							}
							s *= alpha;
							m *= fabs(alpha);
							if (cp) {
								s += (double)beta * cp[i * c_rs + j * c_cs];
								m += fabs((double)beta * cp[i * c_rs + j * c_cs]);
							}
							if (rp) {
								s += rp[i * N + j];
								m += fabs(rp[i * N + j]);
							}
							if (gelu) { /* |GELU'| < 1.13: the sum's error grows by at most that */
								s = 0.5 * s * erfc(-s / sqrt(2.0));
								m = 1.13 * m + fabs(s);
							}
							ref[i * N + j] = s;
							mag[i * N + j] = m;
						}
					float *bp = pack(b, b_rs, b_cs, K, N);
					TEAM(o2c_gemm_packed(M, N, K, alpha, a, a_rs, a_cs, bp, beta, cp, c_rs, c_cs, rp, y1,
					                     gelu ? O2C_ACT_GELU : O2C_ACT_NONE));
					bad += !check("o2c_gemm_packed", M, N, K, y1, ref, mag);
					/* the run-time-B driver (one running sum over K) on the original grid only: the
					 * added sizes are the packed driver's row blocks and panels */
					const int generic = !gelu && mi < 3 && ni < 3;
					if (generic) {
						TEAM(o2c_gemm_generic(M, N, K, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, cp, c_rs,
						                      c_cs, rp, y2));
						bad += !check("o2c_gemm_generic", M, N, K, y2, ref, mag);
					}
					runs += 1 + generic;
					free(a), free(b), free(c), free(res), free(y1), free(y2), free(ref), free(mag), free(bp);
				}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(runs, 6 * 5 * 3 * 5 + 3 * 3 * 3 * 4);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("gemm", NULL, NULL);
	CU_add_test(s, "microkernel generic", test_ukernel_generic);
#if defined(__AVX2__) && defined(__FMA__)
	CU_add_test(s, "microkernel avx2", test_ukernel_avx2);
#endif
#if defined(__AVX512F__)
	CU_add_test(s, "microkernel avx512", test_ukernel_avx512);
#endif
	CU_add_test(s, "tile generic", test_tile_generic);
#if defined(__AVX2__) && defined(__FMA__)
	CU_add_test(s, "tile avx2", test_tile_avx2);
#endif
#if defined(__AVX512F__)
	CU_add_test(s, "tile avx512", test_tile_avx512);
#endif
	CU_add_test(s, "drivers packed and generic", test_drivers);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
