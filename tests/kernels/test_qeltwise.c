/*
 * test_qeltwise.c - templates/int8/qeltwise.c on 1-3 threads.  o2c_qadd
 * against ORT's AVX2 QLinearAdd arithmetic written out plainly, against values worked by
 * hand (ties to even, saturation, the clamp of a fused Relu), and against
 * the residual stage of o2c_q_requant1 (the same add fused into a conv's
 * epilogue must give the same bytes); o2c_qconcat_nhwc against the channel
 * slices it must fill.  Sizes 1, 7, 64, 1000 and 4099; every zero point
 * 0..255 crossed with scales that put many sums on exact half steps.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdlib.h>

#include "common.c"
#include "int8/shared.c"
#include "int8/qeltwise.c"
#include "team.h"

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

/* QLinearAdd as ORT's AVX2 kernel computes it (MLAS qladd_avx2.cpp), written out on its own: the zero
 * points folded into one float, then two fused multiply-adds, B's first, on the raw u8 values */
static uint8_t ref_add(int a, int b, float ra, float rb, int za, int zb, int zy, int lo, int hi)
{
	const float pa = ra * (float)za, pb = rb * (float)zb, fixed = (float)zy - (pa + pb);
	float v = nearbyintf(fmaf((float)a, ra, fmaf((float)b, rb, fixed)));
	v = v < (float)lo ? (float)lo : v > (float)hi ? (float)hi : v;
	return (uint8_t)v;
}

static float fixed_of(float ra, float rb, int za, int zb, int zy)
{
	const float pa = ra * (float)za, pb = rb * (float)zb;
	return (float)zy - (pa + pb);
}

static void test_by_hand(void)
{
	uint8_t a[4] = { 1, 3, 255, 0 }, b[4] = { 0, 0, 255, 0 }, y[4];
	/* zero points 0, y_zp 10 (fixed 10): 10.5 -> 10, 11.5 -> 12 (ties to even), (255 + 255) * 0.5 + 10
	 * saturates, 0 -> 10 */
	TEAM(o2c_qadd(a, b, y, 4, 0.5f, 0.5f, 10.0f, 0, 255));
	CU_ASSERT_EQUAL(y[0], 10);
	CU_ASSERT_EQUAL(y[1], 12);
	CU_ASSERT_EQUAL(y[2], 255);
	CU_ASSERT_EQUAL(y[3], 10);
	/* a fused Relu is the clamp at the output's zero point: a_zp 3, y_zp 20: 0 - 3 + 20 = 17, clamped to 20 */
	a[0] = 0;
	b[0] = 0;
	TEAM(o2c_qadd(a, b, y, 1, 1.0f, 1.0f, fixed_of(1.0f, 1.0f, 3, 0, 20), 20, 255));
	CU_ASSERT_EQUAL(y[0], 20);
}

static void test_random(void)
{
	static const int sizes[] = { 1, 7, 64, 1000, 4099 };
	static const float ratios[][2] = { { 0.5f, 0.25f }, { 0.7311f, 1.913f }, { 3.0f, 0.125f }, { 0.0417f, 0.0381f } };
	unsigned seed = 7;
	int bad = 0, fused_bad = 0;
	for (int nth = 1; nth <= 3 && team_threads(nth); nth++)
		for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
			for (size_t ri = 0; ri < sizeof ratios / sizeof ratios[0]; ri++) {
				const int n = sizes[si];
				uint8_t *a = malloc((size_t)n), *b = malloc((size_t)n), *y = malloc((size_t)n);
				for (int i = 0; i < n; i++)
					a[i] = (uint8_t)rnd(&seed), b[i] = (uint8_t)rnd(&seed);
				const int za = (int)(rnd(&seed) % 256), zb = (int)(rnd(&seed) % 256), zy = (int)(rnd(&seed) % 256);
				const int lo = ri % 2 ? zy : 0, hi = ri == 2 ? 200 : 255;
				const float ra = ratios[ri][0], rb = ratios[ri][1];
				const float fixed = fixed_of(ra, rb, za, zb, zy);
				TEAM(o2c_qadd(a, b, y, n, ra, rb, fixed, lo, hi));
				/* the conv-fused form: c = a is the conv's output (input A) at zero point za (mult 1,
				 * acc = a - za), the residual b is input B */
				const int32_t zero = 0;
				const float one = 1.0f;
				const O2cQuant q = { &zero, &one, za, 0, 255, NULL, b, 1, ra, rb, fixed, 1, lo, hi };
				for (int i = 0; i < n; i++) {
					bad += y[i] != ref_add(a[i], b[i], ra, rb, za, zb, zy, lo, hi);
					fused_bad += y[i] != o2c_q_requant1(&q, 0, (int32_t)a[i] - za, b[i]);
				}
				free(a), free(b), free(y);
			}
	team_threads(0);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(fused_bad, 0);
}

static void test_concat(void)
{
	enum { P = 37, C0 = 5, C1 = 64, C2 = 3, CT = C0 + C1 + C2 };
	uint8_t x0[P * C0], x1[P * C1], x2[P * C2], y[P * CT];
	unsigned seed = 11;
	for (int i = 0; i < P * C0; i++)
		x0[i] = (uint8_t)rnd(&seed);
	for (int i = 0; i < P * C1; i++)
		x1[i] = (uint8_t)rnd(&seed);
	for (int i = 0; i < P * C2; i++)
		x2[i] = (uint8_t)rnd(&seed);
	int bad = 0;
	for (int nth = 1; nth <= 3 && team_threads(nth); nth++) {
		memset(y, 0xA5, sizeof y);
		TEAM(o2c_qconcat_nhwc(x0, P, C0, y, CT, 0));
		TEAM(o2c_qconcat_nhwc(x1, P, C1, y, CT, C0));
		TEAM(o2c_qconcat_nhwc(x2, P, C2, y, CT, C0 + C1));
		for (int p = 0; p < P; p++)
			for (int c = 0; c < CT; c++) {
				const uint8_t want = c < C0 ? x0[p * C0 + c] : c < C0 + C1 ? x1[p * C1 + c - C0] : x2[p * C2 + c - C0 - C1];
				bad += y[p * CT + c] != want;
			}
	}
	team_threads(0);
	CU_ASSERT_EQUAL(bad, 0);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("int8 add and concat", NULL, NULL);
	CU_add_test(s, "by hand", test_by_hand);
	CU_add_test(s, "add: reference and fused form", test_random);
	CU_add_test(s, "concat slices", test_concat);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
