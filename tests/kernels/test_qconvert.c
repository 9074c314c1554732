/*
 * test_qconvert.c - templates/int8/qconvert.c against plain loops: every row
 * variant compiled in (generic, AVX2, AVX-512) at lengths 0..70 and in bulk,
 * the drivers through the dispatch on 1-3 threads.  QuantizeLinear's
 * reference is ONNX's formula written independently: saturate(nearbyint(x /
 * scale) + zp) (rounded, then shifted, then saturated), on values exactly
 * at .5 steps (ties to even), beyond the range (+-1e30, +-inf), and a
 * million arbitrary values over arbitrary scales, among which the test
 * checks that x * (1 / scale) would have rounded differently at least
 * once, so a reciprocal would be caught.  s8 outputs against an s8
 * reference through the ^0x80 rule.  DequantizeLinear: (x - zp) * scale.
 * The NCHW <-> NHWC forms at C 1, 3, 17, 64, 100 and HW 1, 35, 169, with
 * pixel strides wider than C.  No NaN inputs.  Exact equality throughout.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.c"
#include "int8/qconvert.c"
#include "team.h"

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

/* ONNX QuantizeLinear to u8 (s8: lo -128, hi 127) */
static int ref_q(float x, float scale, int zp, int lo, int hi)
{
	const float f = x / scale;
	if (f > 1e9f)
		return hi;
	if (f < -1e9f)
		return lo;
	const long v = (long)nearbyintf(f) + zp;
	return v < lo ? lo : v > hi ? hi : (int)v;
}

typedef struct QRow {
	const char *name;
	o2c_quantize_row_fn q;
	o2c_dequantize_row_fn dq;
} QRow;

static const QRow rows[] = {
	{ "generic", o2c_quantize_row_generic, o2c_dequantize_row_generic },
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
	{ "avx512", o2c_quantize_row_avx512, o2c_dequantize_row_avx512 },
#endif
#if defined(__AVX2__)
	{ "avx2", o2c_quantize_row_avx2, o2c_dequantize_row_avx2 },
#endif
};

/* n values through every row variant, u8 and s8, against the reference */
static int check_q(const float *x, int n, float scale, int zp_u8, long *recip_differs)
{
	uint8_t *y = malloc((size_t)n + 1);
	int bad = 0;
	for (size_t r = 0; r < sizeof rows / sizeof *rows; r++)
		for (int s8 = 0; s8 < 2; s8++) {
			y[n] = 0x33; /* nothing past n */
			rows[r].q(x, y, n, scale, zp_u8, (uint8_t)(s8 ? 0x80 : 0));
			for (int i = 0; i < n && !bad; i++) {
				const int want = s8 ? (uint8_t)(int8_t)ref_q(x[i], scale, zp_u8 - 128, -128, 127)
				                    : ref_q(x[i], scale, zp_u8, 0, 255);
				if (y[i] != want) {
					printf("\nquantize %s%s: x = %.9g scale %.9g zp %d: %d, reference %d\n", rows[r].name,
					       s8 ? " s8" : "", (double)x[i], (double)scale, zp_u8, y[i], want);
					bad = 1;
				}
			}
			bad |= y[n] != 0x33;
		}
	if (recip_differs)
		for (int i = 0; i < n; i++)
			*recip_differs += ref_q(x[i] * (1.0f / scale), 1.0f, zp_u8, 0, 255) != ref_q(x[i], scale, zp_u8, 0, 255);
	free(y);
	return bad;
}

static void test_quantize_values(void)
{
	int bad = 0;
	float x[2048];
	/* exact .5 steps: scale a power of two, x = (k + 0.5) * scale */
	for (int e = -4; e <= 2; e++) {
		const float scale = ldexpf(1.0f, e);
		for (int zp = 0; zp < 256; zp += 51) {
			int n = 0;
			for (int k = -300; k < 300; k++)
				x[n++] = ((float)k + 0.5f) * scale;
			bad += check_q(x, n, scale, zp, NULL);
		}
	}
	/* around the saturation points and beyond the range */
	static const float far[] = { 1e30f, -1e30f, INFINITY, -INFINITY, 3e9f, -3e9f, 0.0f, -0.0f, 1e-30f, -1e-30f };
	for (int zp = 0; zp < 256; zp += 85) {
		int n = 0;
		for (size_t i = 0; i < sizeof far / sizeof *far; i++)
			x[n++] = far[i];
		for (int k = -4; k <= 4; k++) {
			x[n++] = ((float)(0 - zp) + (float)k * 0.25f) * 0.1f; /* around the bottom */
			x[n++] = ((float)(255 - zp) + (float)k * 0.25f) * 0.1f; /* and the top */
		}
		bad += check_q(x, n, 0.1f, zp, NULL);
	}
	/* a worked value: 2.5 / 1 -> 2 (even), + zp 3 -> 5; -2.5 -> -2 + 3 -> 1 */
	uint8_t y[2];
	x[0] = 2.5f, x[1] = -2.5f;
	o2c_quantize(x, y, 2, 1.0f, 3, 0);
	CU_ASSERT(y[0] == 5 && y[1] == 1);
	CU_ASSERT_EQUAL(bad, 0);
}

/* Every length 0..70 (the vector tails), then a million arbitrary values. */
static void test_quantize_bulk(void)
{
	int bad = 0;
	long recip = 0;
	unsigned seed = 3;
	float *x = malloc(4096 * sizeof *x);
	for (int n = 0; n <= 70; n++) {
		for (int i = 0; i < n; i++)
			x[i] = ((float)(rnd(&seed) % 20000) - 10000.0f) * 0.0173f;
		bad += check_q(x, n, 0.37f, (int)(rnd(&seed) % 256), NULL);
	}
	for (int it = 0; it < 256 && !bad; it++) {
		const float scale = 1e-3f + (float)(rnd(&seed) % 100000) * 1e-6f;
		for (int i = 0; i < 4096; i++)
			x[i] = ((float)(int)(rnd(&seed) % 2000000) - 1000000.0f) * 1.7e-6f * scale * 150.0f;
		bad += check_q(x, 4096, scale, (int)(rnd(&seed) % 256), &recip);
	}
	printf("\n(x * (1/scale) would differ on %ld of %d values)\n", recip, 256 * 4096);
	CU_ASSERT(recip > 0); /* else these values could not tell a reciprocal from the division */
	/* the dispatch on threads: flat, more than one piece */
	const size_t n = 3 * O2C_QCV_CHUNK + 5;
	float *xs = malloc(n * sizeof *xs);
	uint8_t *y = malloc(n);
	for (size_t i = 0; i < n; i++)
		xs[i] = ((float)(rnd(&seed) % 20000) - 10000.0f) * 0.01f;
	for (int nth = 1; nth <= 3 && team_threads(nth); nth++) {
		memset(y, 0, n);
		TEAM(o2c_quantize(xs, y, n, 0.3f, 100, 0));
		for (size_t i = 0; i < n; i++)
			bad += y[i] != ref_q(xs[i], 0.3f, 100, 0, 255);
	}
	team_threads(0);
	free(x), free(xs), free(y);
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_dequantize(void)
{
	int bad = 0;
	uint8_t x[300];
	float y[300];
	unsigned seed = 9;
	for (int n = 0; n < 300; n += n < 40 ? 1 : 37)
		for (int zp = 0; zp < 256; zp += 85)
			for (int s8 = 0; s8 < 2; s8++) {
				const float scale = 1e-3f + (float)(rnd(&seed) % 10000) * 1e-5f;
				for (int i = 0; i < n; i++)
					x[i] = (uint8_t)(i < 256 ? (unsigned)i : rnd(&seed));
				for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
					rows[r].dq(x, y, n, scale, zp, (uint8_t)(s8 ? 0x80 : 0));
					for (int i = 0; i < n; i++) {
						/* s8: the byte is an int8_t of zero point zp - 128 */
						const int v = s8 ? (int)(int8_t)x[i] - (zp - 128) : (int)x[i] - zp;
						bad += y[i] != (float)v * scale;
					}
				}
			}
	/* flat dispatch on threads */
	const size_t n = 2 * O2C_QCV_CHUNK + 9;
	uint8_t *xs = malloc(n);
	float *ys = malloc(n * sizeof *ys);
	for (size_t i = 0; i < n; i++)
		xs[i] = (uint8_t)rnd(&seed);
	for (int nth = 1; nth <= 3 && team_threads(nth); nth++) {
		TEAM(o2c_dequantize(xs, ys, n, 0.02f, 131, 0));
		for (size_t i = 0; i < n; i++)
			bad += ys[i] != (float)(xs[i] - 131) * 0.02f;
	}
	team_threads(0);
	free(xs), free(ys);
	CU_ASSERT_EQUAL(bad, 0);
}

/* NCHW <-> NHWC at awkward sizes and strides, each ISA's rows */
static void test_layouts(void)
{
	static const int Cs[] = { 1, 3, 17, 64, 100 }, HWs[] = { 1, 35, 169 };
	int bad = 0, reported = 0;
	unsigned seed = 21;
	for (size_t ci = 0; ci < sizeof Cs / sizeof *Cs; ci++)
		for (size_t hi = 0; hi < sizeof HWs / sizeof *HWs; hi++) {
			const int N = 2, C = Cs[ci], HW = HWs[hi];
			const ptrdiff_t ld = C + (ci % 2 ? 3 : 0);
			const size_t nf = (size_t)N * C * HW, nq = (size_t)N * HW * ld;
			float *x = malloc(nf * sizeof *x), *back = malloc(nf * sizeof *back);
			uint8_t *q = malloc(nq), *u = malloc(nf), *q2 = malloc(nq);
			const float scale = 0.05f;
			const int32_t zp = (int32_t)(rnd(&seed) % 256);
			for (size_t i = 0; i < nf; i++)
				x[i] = ((float)(rnd(&seed) % 8000) - 4000.0f) * 0.003f;
			for (size_t r = 0; r < sizeof rows / sizeof *rows; r++)
				for (int nth = 1; nth <= 3 && team_threads(nth); nth++) {
					const uint8_t flip = (uint8_t)(r % 2 ? 0x80 : 0);
					memset(q, 0xEE, nq);
					TEAM(o2c_quantize_nchw_nhwc_driver(rows[r].q, x, q, N, C, HW, scale, zp, flip, ld));
					TEAM(o2c_dequantize_nhwc_nchw_driver(rows[r].dq, q, back, N, C, HW, scale, zp, flip, ld));
					TEAM(o2c_q_nhwc_nchw(q, u, N, C, HW, flip, ld));
					memset(q2, 0xEE, nq);
					TEAM(o2c_q_nchw_nhwc(u, q2, N, C, HW, flip, ld));
					for (int n = 0; n < N; n++)
						for (int p = 0; p < HW; p++)
							for (int c = 0; c < ld; c++) {
								const size_t iq = ((size_t)n * HW + p) * ld + c, ic = ((size_t)n * C + c) * HW + p;
								if (c >= C) { /* the slice's other bytes stay */
									bad += q[iq] != 0xEE || q2[iq] != 0xEE;
									continue;
								}
								const int want = ref_q(x[ic], scale, zp, 0, 255);
								bad += q[iq] != (want ^ flip);
								bad += back[ic] != (float)(want - zp) * scale;
								bad += u[ic] != want; /* flipped twice: back to the u8 */
								bad += q2[iq] != (want ^ flip);
							}
				}
			team_threads(0);
			if (bad && !reported) {
				printf("\nlayouts C=%d HW=%d: %d mismatches\n", C, HW, bad);
				reported = 1;
			}
			/* the dispatch entry points */
			TEAM(o2c_quantize_nchw_nhwc(x, q, N, C, HW, scale, zp, 0, ld));
			TEAM(o2c_dequantize_nhwc_nchw(q, back, N, C, HW, scale, zp, 0, ld));
			for (int n = 0; n < N; n++)
				for (int p = 0; p < HW; p++)
					for (int c = 0; c < C; c++) {
						const size_t ic = ((size_t)n * C + c) * HW + p;
						const int want = ref_q(x[ic], scale, zp, 0, 255);
						bad += q[((size_t)n * HW + p) * ld + c] != want || back[ic] != (float)(want - zp) * scale;
					}
			free(x), free(back), free(q), free(u), free(q2);
		}
	CU_ASSERT_EQUAL(bad, 0);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("int8 conversions", NULL, NULL);
	CU_add_test(s, "quantize: ties, saturation", test_quantize_values);
	CU_add_test(s, "quantize: tails, bulk, division", test_quantize_bulk);
	CU_add_test(s, "dequantize", test_dequantize);
	CU_add_test(s, "NCHW <-> NHWC", test_layouts);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
