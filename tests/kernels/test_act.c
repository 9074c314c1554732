/*
 * test_act.c - templates/act.c: the SIMD exp against libm's expf in ulps over
 * the whole float range that matters (including overflow, underflow to
 * denormals and zero), and every activation variant (AVX-512, AVX2, generic)
 * against the generic reference at awkward lengths (tails of 1..15 floats),
 * in place and not, on 1-3 threads.  GELU (both forms) is held to a double
 * reference instead: its max ulp over a dense sweep and every binade from
 * the smallest denormal to FLT_MAX, both signs.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdbool.h>
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

/* GELU in double: x Phi(x) by erfc (no cancellation), and the tanh form */
static double gelu_ref(float x, int kind)
{
	const double v = x;
	if (kind == O2C_ACT_GELU)
		return 0.5 * v * erfc(-v * 0.70710678118654752440);
	return v / (1.0 + exp(-2.0 * 0.79788456080286535588 * (v + 0.044715 * v * v * v)));
}

/* The ulps a GELU variant may be off gelu_ref.  The SIMD erf form carries z^2 = x^2 / 2 exactly
 * (templates/act.c): 6 ulp everywhere.  Where z or u is a rounded float, e^(-z^2) or e^(-2u) is
 * off by the rounding of its argument, |2u| or 2 z^2 times 2^-24 relative: libm's erfcf of a
 * rounded z (the generic erf form: up to 184 ulp at x = -13), and every tanh form below x = -1
 * (190 ulp at x = -10, where GELU is 1e-37; ONNX Runtime's node-by-node graph is worse there). */
static double gelu_allowed(int kind, float x, bool simd)
{
	const double z2 = (double)x * x / 2, u2 = fabs(1.5957691216 * x * (1 + 0.044715 * x * x));
	if (kind == O2C_ACT_GELU)
		return simd ? 6 : 4 + 2.5 * z2;
	return x >= -1 ? 4 : 4 + 3 * u2;
}

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
static int check(ActFn fn, const char *name, bool simd)
{
	size_t n;
	float *x = sweep(&n);
	float *y = malloc((n + 1) * sizeof *y), *ref = malloc(n * sizeof *ref);
	int bad = 0;
	for (int kind = O2C_ACT_SIGMOID; kind <= O2C_ACT_GELU_TANH; kind++)
		for (int nth = 1; nth <= 3 && team_threads(nth); nth++)
			for (size_t len = 1; len <= 40; len += len < 17 ? 1 : 23) {
				/* one short run per length, then the whole sweep */
				size_t m = len == 40 ? n : len;
				for (size_t i = 0; i < m; i++)
					ref[i] = kind >= O2C_ACT_GELU ? (float)gelu_ref(x[i], kind) : o2c_act_scalar(x[i], kind);
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
						const bool ok = kind >= O2C_ACT_GELU
						                    ? ulps(y[i], ref[i]) <= gelu_allowed(kind, x[i], simd)
						                    : fabs((double)y[i] - ref[i]) <= tol || ulps(y[i], ref[i]) <= 4;
						if (!ok) {
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

static void test_generic(void) { CU_ASSERT_EQUAL(check(o2c_act_f32_generic, "generic", false), 0); }
#if defined(__AVX2__) && defined(__FMA__)
static void test_avx2(void) { CU_ASSERT_EQUAL(check(o2c_act_f32_avx2, "avx2", true), 0); }
#endif
#if defined(__AVX512F__)
static void test_avx512(void) { CU_ASSERT_EQUAL(check(o2c_act_f32_avx512, "avx512", true), 0); }
#endif

/* The sweeps' inputs (at most 300000): x in [-16, 16] by 2^-13, and 1, 1.25, 1.5, 1.75 times every
 * power of two from 2^-149 to 2^127, both signs.  Returns their count. */
static size_t sweep_inputs(float *x)
{
	size_t n = 0;
	for (int i = -16 * 8192; i <= 16 * 8192; i++)
		x[n++] = (float)i / 8192;
	for (int e = -149; e <= 127; e++)
		for (int m = 0; m < 4; m++) {
			const float v = ldexpf(1.0f + 0.25f * (float)m, e);
			x[n++] = v;
			x[n++] = -v;
		}
	return n;
}

/* GELU's max ulp against gelu_ref over sweep_inputs (GELU is 0 in float below -14.9) */
static void gelu_sweep(ActFn fn, const char *name, bool simd)
{
	float *x = malloc(300000 * sizeof *x), *y = malloc(300000 * sizeof *y);
	const size_t n = sweep_inputs(x);
	for (int kind = O2C_ACT_GELU; kind <= O2C_ACT_GELU_TANH; kind++) {
		fn(y, x, n, kind);
		double worst = 0, worst_pos = 0;
		float at = 0;
		int bad = 0;
		for (size_t i = 0; i < n; i++) {
			const double r = gelu_ref(x[i], kind);
			if (isnan(r)) /* -inf: -inf * 0 */
				continue;
			const double u = ulps(y[i], (float)r);
			if (u > worst)
				worst = u, at = x[i];
			if (x[i] >= -1 && u > worst_pos)
				worst_pos = u;
			if (u > gelu_allowed(kind, x[i], simd) && bad++ < 5)
				fprintf(stderr, "%s %s: x=%.9g y=%.9g want %.9g (%.0f ulp)\n", name,
				        kind == O2C_ACT_GELU ? "gelu" : "gelu_tanh", x[i], y[i], r, u);
		}
		fprintf(stderr, "\n  %s %s: worst %.0f ulp (at x = %g), %.0f ulp from x = -1 on, over %zu inputs", name,
		        kind == O2C_ACT_GELU ? "gelu" : "gelu_tanh", worst, at, worst_pos, n);
		CU_ASSERT_EQUAL(bad, 0);
	}
	fprintf(stderr, "\n");
	free(x);
	free(y);
}

static void test_gelu(void)
{
	gelu_sweep(o2c_act_f32_generic, "generic", false);
#if defined(__AVX2__) && defined(__FMA__)
	gelu_sweep(o2c_act_f32_avx2, "avx2", true);
#endif
#if defined(__AVX512F__)
	gelu_sweep(o2c_act_f32_avx512, "avx512", true);
#endif
}

/* Sigmoid and SiLU against double over gelu_sweep's inputs (the dense part
 * over [-16, 16], where the models' values are, and every binade): at most
 * O2C_SIG_ULPS ulp (libm's 2 on [-16, 16]; the SIMD variants' one-FMA range
 * reduction reaches 4 at v = -80, where the value is 1e-33).  Below FLT_MIN
 * (sigmoid of v < -87.3) every variant, libm's included, is held to an
 * absolute FLT_MIN: e^(-v) overflows first. */
#define O2C_SIG_ULPS 4
static void sig_sweep(ActFn fn, const char *name)
{
	float *x = malloc(300000 * sizeof *x), *y = malloc(300000 * sizeof *y);
	const size_t n = sweep_inputs(x);
	for (int kind = O2C_ACT_SIGMOID; kind <= O2C_ACT_SILU; kind++) {
		fn(y, x, n, kind);
		double worst = 0, worst16 = 0;
		float at = 0;
		int bad = 0;
		for (size_t i = 0; i < n; i++) {
			const double v = x[i], r = (kind == O2C_ACT_SILU ? v : 1.0) / (1.0 + exp(-v));
			if (isnan(r)) /* SiLU(-inf) */
				continue;
			const bool tiny = fabs(r) < 0x1p-126;
			const double u = tiny ? 0 : ulps(y[i], (float)r);
			if (u > worst)
				worst = u, at = x[i];
			if (fabsf(x[i]) <= 16 && u > worst16)
				worst16 = u;
			const bool ok = tiny ? fabs(y[i] - r) <= 0x1p-126 : u <= O2C_SIG_ULPS;
			if (!ok && bad++ < 5)
				fprintf(stderr, "%s kind %d: x=%.9g y=%.9g want %.9g (%.0f ulp)\n", name, kind, x[i], y[i],
				        r, u);
		}
		fprintf(stderr, "\n  %s %s: worst %.0f ulp (at x = %g), %.0f ulp on [-16, 16], over %zu inputs", name,
		        kind == O2C_ACT_SILU ? "silu" : "sigmoid", worst, at, worst16, n);
		CU_ASSERT_EQUAL(bad, 0);
	}
	fprintf(stderr, "\n");
	free(x);
	free(y);
}

static void test_sig(void)
{
	sig_sweep(o2c_act_f32_generic, "generic");
#if defined(__AVX2__) && defined(__FMA__)
	sig_sweep(o2c_act_f32_avx2, "avx2");
#endif
#if defined(__AVX512F__)
	sig_sweep(o2c_act_f32_avx512, "avx512");
#endif
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("activation kernels", NULL, NULL);
	CU_add_test(s, "exp against expf", test_exp);
	CU_add_test(s, "generic", test_generic);
	CU_add_test(s, "gelu against double, max ulp", test_gelu);
	CU_add_test(s, "sigmoid and silu against double, max ulp", test_sig);
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
