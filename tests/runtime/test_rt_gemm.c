/*
 * test_rt_gemm.c - runtime/gemm.c's rt_sgemm against the naive triple loop
 * rt_sgemm_ref (double accumulation), for every microkernel variant compiled
 * in (the SIMD one and the portable C one), at awkward sizes: edges smaller
 * than a tile in every dimension, K across the KC block, N across NC, row- and
 * column-major (transposed) operands, C with a row stride wider than N,
 * overwrite and accumulate modes, on one thread and on all of them.
 */
#include "rt_test.h"
#include "rt_gemm.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* One product: A is M x K stored row-major (ta = 0) or as its transpose (ta = 1), likewise B. */
static int check(int M, int N, int K, int ta, int tb, int accumulate, int ldc_pad, RtRng *r)
{
	float *A = rt_test_randn((size_t)M * K, r, 1.0f), *B = rt_test_randn((size_t)K * N, r, 1.0f);
	const ptrdiff_t ldc = N + ldc_pad;
	float *C = rt_test_randn((size_t)M * ldc, r, 1.0f), *W = malloc((size_t)M * ldc * sizeof *W);
	memcpy(W, C, (size_t)M * ldc * sizeof *W);
	const ptrdiff_t rsa = ta ? 1 : K, csa = ta ? M : 1, rsb = tb ? 1 : N, csb = tb ? K : 1;
	rt_sgemm_ref(M, N, K, A, rsa, csa, B, rsb, csb, W, ldc, accumulate);
	int ok = rt_sgemm(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, accumulate) == 0;
	/* sums of K products of numbers in [-1, 1]: absolute tolerance grows with sqrt(K) */
	char what[128];
	snprintf(what, sizeof what, "sgemm %dx%dx%d ta%d tb%d acc%d", M, N, K, ta, tb, accumulate);
	ok = ok && rt_test_close(what, C, W, (size_t)M * ldc, 1e-5, 2e-6 * (sqrt((double)K) + 1.0));
	/* the padding columns of C are never written */
	for (int i = 0; i < M && ok; i++)
		for (ptrdiff_t j = N; j < ldc; j++)
			if (C[i * ldc + j] != W[i * ldc + j]) {
				fprintf(stderr, "\n  %s: padding C[%d][%td] was written\n", what, i, j);
				ok = 0;
				break;
			}
	free(A);
	free(B);
	free(C);
	free(W);
	return ok;
}

static void run_sizes(void)
{
	static const int sizes[][3] = {
		{1, 1, 1},      {3, 5, 7},       {8, 32, 1},      {9, 33, 2},    {17, 50, 31},  {64, 49, 288},
		{64, 300, 257}, {13, 600, 513},  {130, 70, 40},   {200, 17, 9},  {5, 1100, 64}, {64, 576, 300},
		{576, 97, 64},  {31, 31, 0},     {1, 1000, 300},  {1000, 1, 33},
	};
	RtRng r;
	rt_rng_seed(&r, 7);
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
		for (int t = 0; t < 4; t++) {
			const int M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
			CU_ASSERT(check(M, N, K, t & 1, t >> 1, 0, 0, &r));
			CU_ASSERT(check(M, N, K, t & 1, t >> 1, 1, 3, &r));
		}
}

static void test_simd(void)
{
	fprintf(stderr, " [%s]", rt_sgemm_select(RT_UKR_BEST));
	run_sizes();
}

static void test_generic(void)
{
	fprintf(stderr, " [%s]", rt_sgemm_select(RT_UKR_GENERIC));
	run_sizes();
	rt_sgemm_select(RT_UKR_BEST);
}

static void test_one_thread(void)
{
#ifdef _OPENMP
	const int nt = omp_get_max_threads();
	omp_set_num_threads(1);
	run_sizes();
	omp_set_num_threads(nt);
#else
	run_sizes();
#endif
}

/* The reference itself against a hand-computed product, so a broken reference cannot hide a bug. */
static void test_reference(void)
{
	const float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, -1, 0, 2, 3, 0.5f}; /* A 2x3, B 3x2 */
	float C[4] = {10, 10, 10, 10};
	rt_sgemm_ref(2, 2, 3, A, 3, 1, B, 2, 1, C, 2, 1);
	const float want[4] = {10 + 10, 10 + 4.5f, 10 + 22, 10 + 9};
	CU_ASSERT(rt_test_close("reference", C, want, 4, 0, 0));
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("rt_gemm", NULL, NULL);
	CU_add_test(s, "naive reference", test_reference);
	CU_add_test(s, "rt_sgemm, SIMD microkernel", test_simd);
	CU_add_test(s, "rt_sgemm, portable microkernel", test_generic);
	CU_add_test(s, "rt_sgemm, one thread", test_one_thread);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	const unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
