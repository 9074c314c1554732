/*
 * test_eltwise.c - templates/eltwise.c (o2c_softmax_f32, softmax and
 * log-softmax along the middle axis of [outer][len][inner]) against naive
 * double-precision loops, at awkward sizes: one-element rows, inner sizes
 * around the 64-column block, a 1000-class row, large and very negative
 * values that overflow a naive exp.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.c"
#include "eltwise.c"
#include "team.h"

static float frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (float)((*s >> 9) & 0xffff) / 32768.0f - 1.0f;
}

static void ref(const float *x, double *y, int outer, int len, int inner, int lg)
{
	for (int o = 0; o < outer; o++)
		for (int j = 0; j < inner; j++) {
			double m = -INFINITY, s = 0;
			for (int k = 0; k < len; k++)
				m = fmax(m, x[((size_t)o * len + k) * inner + j]);
			for (int k = 0; k < len; k++)
				s += exp(x[((size_t)o * len + k) * inner + j] - m);
			for (int k = 0; k < len; k++) {
				double v = x[((size_t)o * len + k) * inner + j] - m;
				y[((size_t)o * len + k) * inner + j] = lg ? v - log(s) : exp(v) / s;
			}
		}
}

/* Returns the number of elements outside tolerance: relative 1e-5, plus an
 * absolute 1e-7 for probabilities and 1e-6 for log-probabilities (near 0 the
 * float rounding of log(sum) alone is ~1e-7). */
static int run_case(int outer, int len, int inner, float scale, float offset, unsigned seed)
{
	size_t n = (size_t)outer * len * inner;
	float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	double *want = malloc(n * sizeof *want);
	for (size_t i = 0; i < n; i++)
		x[i] = frand(&seed) * scale + offset;
	int bad = 0;
	for (int lg = 0; lg < 2; lg++) {
		for (size_t i = 0; i < n; i++)
			y[i] = NAN;
		TEAM(o2c_softmax_f32(y, x, outer, len, inner, lg));
		ref(x, want, outer, len, inner, lg);
		for (size_t i = 0; i < n; i++)
			if (!(fabs(y[i] - want[i]) <= 1e-5 * fabs(want[i]) + (lg ? 1e-6 : 1e-7))) {
				if (bad++ < 3)
					fprintf(stderr, "\n  [%d,%d,%d] %s i=%zu got %.9g want %.9g", outer, len, inner,
					        lg ? "log" : "softmax", i, y[i], want[i]);
			}
	}
	free(x);
	free(y);
	free(want);
	return bad;
}

static void test_rows(void)
{
	/* inner == 1: rows of a classifier output */
	CU_ASSERT_EQUAL(run_case(1, 1000, 1, 8.0f, 0.0f, 1), 0);
	CU_ASSERT_EQUAL(run_case(3, 7, 1, 4.0f, 0.0f, 2), 0);
	CU_ASSERT_EQUAL(run_case(5, 1, 1, 4.0f, 0.0f, 3), 0); /* one element: softmax 1, log 0 */
}

static void test_columns(void)
{
	/* inner > 1: softmax across channels; block edges at 64 */
	static const int inners[] = { 2, 63, 64, 65, 129, 200 };
	for (size_t i = 0; i < sizeof inners / sizeof inners[0]; i++)
		CU_ASSERT_EQUAL(run_case(2, 5, inners[i], 3.0f, 0.0f, 10u + (unsigned)i), 0);
	CU_ASSERT_EQUAL(run_case(1, 3, 4, 1.0f, 0.0f, 20), 0);
}

static void test_large_values(void)
{
	/* exp(1000) overflows float: only the max-subtracting form gets these right */
	CU_ASSERT_EQUAL(run_case(2, 17, 1, 50.0f, 1000.0f, 30), 0);
	CU_ASSERT_EQUAL(run_case(2, 17, 3, 50.0f, -1000.0f, 31), 0);
}

static void test_parallel_size(void)
{
	/* above the OpenMP threshold */
	CU_ASSERT_EQUAL(run_case(64, 1000, 1, 6.0f, 0.0f, 40), 0);
	CU_ASSERT_EQUAL(run_case(4, 32, 700, 6.0f, 0.0f, 41), 0);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("eltwise", NULL, NULL);
	CU_add_test(s, "softmax rows (inner 1)", test_rows);
	CU_add_test(s, "softmax columns (inner > 1)", test_columns);
	CU_add_test(s, "large values", test_large_values);
	CU_add_test(s, "parallel sizes", test_parallel_size);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	int failed = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
