/*
 * test_act.c - templates/act.c: the SIMD exp against libm's expf in ulps over
 * the whole float range that matters (including overflow, underflow to
 * denormals and zero), and every activation variant (AVX-512, AVX2, generic)
 * against the generic reference at awkward lengths (tails of 1..15 floats),
 * in place and not, on 1-3 threads.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.c"
#include "act.c"
#include "team.h"

/* distance in units in the last place between two finite floats of one sign (or both zero) */
static double ulps(float a, float b)
{
	if (a == b)
		return 0;
	if (isinf(a) || isinf(b) || isnan(a) || isnan(b))
		return 1e30;
	int32_t ia, ib;
	memcpy(&ia, &a, 4);
	memcpy(&ib, &b, 4);
	if (ia < 0) ia = (int32_t)0x80000000 - ia;
	if (ib < 0) ib = (int32_t)0x80000000 - ib;
	return fabs((double)ia - (double)ib);
}

typedef void (*ActFn)(float *, const float *, size_t, int);

/* the inputs: a sweep with every float exponent from tiny to past overflow, both signs */
static float *sweep(size_t *n)
{
	size_t cap = 200000, k = 0;
	float *x = malloc(cap * sizeof *x);
	for (float v = -120.0f; v <= 120.0f && k < cap; v += 0.00123f)
		x[k++] = v;
	const float special[] = { 0.0f, -0.0f, 1e-30f, -1e-30f, 0x1p-13f, -0x1p-13f, 88.72f, 88.73f, -87.3f,
	                          -103.9f, -104.5f, 1e4f, -1e4f, INFINITY, -INFINITY };
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
		x[k++] = special[i];
	*n = k;
	return x;
}

static void test_exp(void)
{
	size_t n;
	float *x = sweep(&n);
	double worst512 = 0, worst2 = 0;
	for (size_t i = 0; i + 8 <= n; i += 8) {
		float r[16];
		(void)r;
#if defined(__AVX512F__)
		_mm512_storeu_ps(r, o2c_exp_avx512(_mm512_maskz_loadu_ps(0xff, x + i)));
		for (int j = 0; j < 8; j++) {
			double u = ulps(r[j], expf(x[i + j]));
			/* below FLT_MIN the result is a denormal: absolute error of a denormal ulp or two */
			if (u > worst512 && expf(x[i + j]) >= 0x1p-126f)
				worst512 = u;
			CU_ASSERT(fabsf(r[j] - expf(x[i + j])) <= 2 * 0x1p-149f || u <= 2);
		}
#endif
#if defined(__AVX2__) && defined(__FMA__)
		_mm256_storeu_ps(r, o2c_exp_avx2(_mm256_loadu_ps(x + i)));
		for (int j = 0; j < 8; j++) {
			double u = ulps(r[j], expf(x[i + j]));
			if (u > worst2 && expf(x[i + j]) >= 0x1p-126f)
				worst2 = u;
			CU_ASSERT(fabsf(r[j] - expf(x[i + j])) <= 2 * 0x1p-149f || u <= 2);
		}
#endif
	}
	fprintf(stderr, "\n  exp: worst %.0f ulp (AVX-512), %.0f ulp (AVX2) over %zu inputs\n", worst512, worst2, n);
	free(x);
}

/* fn against the reference for each kind, lengths with every tail, in place and out of place */
static int check(ActFn fn, const char *name)
{
	size_t n;
	float *x = sweep(&n);
	float *y = malloc((n + 1) * sizeof *y), *ref = malloc(n * sizeof *ref);
	int bad = 0;
	for (int kind = O2C_ACT_SIGMOID; kind <= O2C_ACT_HARD_SWISH; kind++)
		for (int nth = 1; nth <= 3 && team_threads(nth); nth++)
			for (size_t len = 1; len <= 40; len += len < 17 ? 1 : 23) {
				/* one short run per length, then the whole sweep */
				size_t m = len == 40 ? n : len;
				for (size_t i = 0; i < m; i++)
					ref[i] = o2c_act_scalar(x[i], kind);
				for (int inplace = 0; inplace < 2; inplace++) {
					y[m] = 42.0f;
					if (inplace)
						memcpy(y, x, m * sizeof *y);
					TEAM(fn(y, inplace ? y : x, m, kind));
					for (size_t i = 0; i < m; i++) {
						if (isnan(ref[i])) /* SiLU(-inf): -inf / inf in the reference */
							continue;
						/* 1 - e and 1 + e round differently from libm's tanhf: a few ulp, and
						 * for sigmoid of large negative x the result is tiny: compare absolutely */
						const double tol = 4e-7 * fabs(ref[i]) + 1e-30;
						if (!(fabs((double)y[i] - ref[i]) <= tol || ulps(y[i], ref[i]) <= 4)) {
							if (bad++ < 5)
								fprintf(stderr, "%s kind %d: x=%.9g y=%.9g want %.9g\n", name, kind, x[i],
								        y[i], ref[i]);
						}
					}
					if (y[m] != 42.0f)
						bad++, fprintf(stderr, "%s wrote past the end\n", name);
				}
			}
	team_threads(0);
	free(x);
	free(y);
	free(ref);
	return bad;
}

static void test_generic(void) { CU_ASSERT_EQUAL(check(o2c_act_f32_generic, "generic"), 0); }
#if defined(__AVX2__) && defined(__FMA__)
static void test_avx2(void) { CU_ASSERT_EQUAL(check(o2c_act_f32_avx2, "avx2"), 0); }
#endif
#if defined(__AVX512F__)
static void test_avx512(void) { CU_ASSERT_EQUAL(check(o2c_act_f32_avx512, "avx512"), 0); }
#endif

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("activation kernels", NULL, NULL);
	CU_add_test(s, "exp against expf", test_exp);
	CU_add_test(s, "generic", test_generic);
#if defined(__AVX2__) && defined(__FMA__)
	CU_add_test(s, "avx2", test_avx2);
#endif
#if defined(__AVX512F__)
	CU_add_test(s, "avx512", test_avx512);
#endif
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
