/*
 * test_pool.c - templates/pool.c and templates/lrn.c against naive window
 * loops: max and average (with and without count_include_pad) at odd sizes,
 * strides, dilations, asymmetric pads and ceil_mode-style extra windows;
 * global pools and LRN at odd channel counts.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.c"
#include "pool.c"
#include "team.h"
#include "lrn.c"

typedef struct PCase {
	int NC, H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, extra; /* extra: ceil_mode adds one window */
} PCase;

static float frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (float)((*s >> 9) & 0xffff) / 32768.0f - 1.0f;
}

static int osz(int in, int k, int s, int d, int pb, int pe, int extra)
{
	return (in + pb + pe - (k - 1) * d - 1) / s + 1 + extra;
}

static int run(const PCase *c, int kind) /* 0 max, 1 avg, 2 avg incl pad */
{
	const int OH = osz(c->H, c->KH, c->SH, c->DH, c->PT, c->PB, c->extra);
	const int OW = osz(c->W, c->KW, c->SW, c->DW, c->PL, c->PR, c->extra);
	const size_t nx = (size_t)c->NC * c->H * c->W, ny = (size_t)c->NC * OH * OW;
	unsigned seed = 99u + (unsigned)nx;
	float *x = malloc(nx * sizeof *x), *y = malloc((ny + 1) * sizeof *y);
	for (size_t i = 0; i < nx; i++) x[i] = frand(&seed);
	y[ny] = 42.0f;
	if (kind == 0)
		TEAM(o2c_maxpool2d(x, y, c->NC, c->H, c->W, OH, OW, c->KH, c->KW, c->SH, c->SW, c->DH, c->DW, c->PT,
		                   c->PL));
	else
		TEAM(o2c_avgpool2d(x, y, c->NC, c->H, c->W, OH, OW, c->KH, c->KW, c->SH, c->SW, c->DH, c->DW, c->PT,
		                   c->PL, c->PB, c->PR, kind == 2));
	int bad = y[ny] != 42.0f;
	for (int nc = 0; nc < c->NC; nc++)
		for (int oy = 0; oy < OH; oy++)
			for (int ox = 0; ox < OW; ox++) {
				double m = -INFINITY, s = 0;
				int cnt = 0;
				for (int ky = 0; ky < c->KH; ky++)
					for (int kx = 0; kx < c->KW; kx++) {
						int iy = oy * c->SH + ky * c->DH - c->PT, ix = ox * c->SW + kx * c->DW - c->PL;
						int inpad = iy >= -c->PT && iy < c->H + c->PB && ix >= -c->PL && ix < c->W + c->PR;
						if (iy < 0 || iy >= c->H || ix < 0 || ix >= c->W) {
							cnt += kind == 2 && inpad;
							continue;
						}
						float v = x[((size_t)nc * c->H + iy) * c->W + ix];
						m = v > m ? v : m;
						s += v;
						cnt++;
					}
				double want = kind == 0 ? m : cnt ? s / cnt : 0.0;
				float got = y[((size_t)nc * OH + oy) * OW + ox];
				if (!(got == want || fabs(got - want) <= 1e-5 * (1 + fabs(want))) && bad++ < 3)
					fprintf(stderr, "kind %d %dx%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d: [%d,%d,%d] %g want %g\n", kind,
					        c->H, c->W, c->KH, c->KW, c->SH, c->SW, c->DH, c->DW, c->PT, c->PL, c->PB, c->PR, nc,
					        oy, ox, got, want);
			}
	free(x);
	free(y);
	return bad;
}

static const PCase cases[] = {
	/* NC H  W  KH KW SH SW DH DW PT PL PB PR extra */
	{ 3, 13, 13, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0 },
	{ 5, 7, 7, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 1 }, /* ceil_mode window past the input */
	{ 2, 1, 17, 1, 4, 1, 3, 1, 1, 0, 2, 0, 1, 0 },
	{ 4, 9, 10, 3, 2, 1, 1, 2, 3, 2, 0, 1, 3, 0 },
	{ 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0 },
	{ 17, 5, 6, 3, 3, 3, 2, 1, 1, 1, 2, 2, 1, 1 },
	/* stride 1, output the size of the input (the separable path): square and
	 * asymmetric pads, windows wider than the image, one row, one column */
	{ 3, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0 },
	{ 2, 9, 11, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0 },
	{ 2, 6, 5, 3, 3, 1, 1, 1, 1, 0, 0, 2, 2, 0 },
	{ 1, 4, 2, 3, 5, 1, 1, 1, 1, 1, 4, 1, 0, 0 },
	{ 2, 1, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0 },
	{ 2, 7, 1, 3, 3, 1, 1, 1, 1, 2, 1, 0, 1, 0 },
	{ 1, 130, 130, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0 }, /* a plane too large for it */
	/* max pooling reduces the window's rows first (rows up to O2C_POOL_ROWMAX):
	 * the ResNet stem pool, and a row too wide for that path */
	{ 2, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0 },
	{ 1, 3, 1030, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0 },
	/* same-size pools over rows of about O2C_POOL_ROWMAX */
	{ 1, 2, 1022, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0 },
	{ 1, 2, 1023, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0 },
	/* same-size pools over at least as many planes as threads (o2c_pool_flat):
	 * 14 planes a chunk, so chunks end mid-range; a plane of exactly one chunk;
	 * 5x5; asymmetric pads with a 4-wide window; one row; one column */
	{ 37, 17, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0 },
	{ 6, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0 },
	{ 9, 8, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0 },
	{ 7, 6, 9, 3, 4, 1, 1, 1, 1, 0, 3, 2, 0, 0 },
	{ 5, 1, 30, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0 },
	{ 4, 30, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0 },
	/* column stride 1 or 2 (o2c_maxpool_rows_avx512): whole planes per thread
	 * and (45x50 outputs) bands of rows; rows ending mid-vector; windows 17
	 * wide (the most it takes: 3 vectors at stride 2) with row dilation and a
	 * ceil_mode window; 18 wide (the row path again) */
	{ 4, 70, 70, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1 },
	{ 3, 90, 100, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0 },
	{ 6, 9, 40, 2, 17, 1, 1, 1, 1, 0, 8, 0, 8, 0 },
	{ 3, 11, 60, 3, 17, 2, 2, 2, 1, 1, 8, 1, 8, 1 },
	{ 2, 5, 40, 3, 18, 1, 2, 2, 1, 1, 0, 1, 0, 0 },
};

/* at 1, 2 and 3 threads: each takes a band of rows (o2c_band_rows), some none */
static void test_windows(void)
{
	int bad = 0;
	for (int nth = 1; nth <= 3 && team_threads(nth); nth++)
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
			for (int kind = 0; kind < 3; kind++)
				bad += run(&cases[i], kind);
	team_threads(0);
	CU_ASSERT_EQUAL(bad, 0);
}

/* the dispatch (SIMD where built) and the reference against a double sum, at plane sizes
 * with every kind of tail (1, 15, 16, 17, 63, 64, 65, 91, 196 pixels) on 1-3 threads */
static void test_global(void)
{
	static const int hws[] = { 1, 15, 16, 17, 63, 64, 65, 91, 196 };
	int bad = 0;
	for (int nth = 1; nth <= 3 && team_threads(nth); nth++)
		for (size_t k = 0; k < sizeof hws / sizeof hws[0]; k++) {
			unsigned seed = 7 + (unsigned)k;
			const int NC = 17, HW = hws[k];
			float *x = malloc((size_t)NC * HW * sizeof *x), ya[17], ym[17], ga[17], gm[17];
			for (int i = 0; i < NC * HW; i++) x[i] = frand(&seed);
			TEAM(o2c_gavgpool(x, ya, NC, HW));
			TEAM(o2c_gmaxpool(x, ym, NC, HW));
			TEAM(o2c_gavgpool_generic(x, ga, NC, HW));
			TEAM(o2c_gmaxpool_generic(x, gm, NC, HW));
			for (int c = 0; c < NC; c++) {
				double s = 0, m = -INFINITY;
				for (int i = 0; i < HW; i++) {
					s += x[c * HW + i];
					m = x[c * HW + i] > m ? x[c * HW + i] : m;
				}
				bad += !(fabs(ya[c] - s / HW) <= 1e-6) + !(fabs(ga[c] - s / HW) <= 1e-6);
				bad += (ym[c] != (float)m) + (gm[c] != (float)m);
				/* each ISA's plane reduction, whichever the dispatch took */
#if defined(__AVX2__)
				bad += !(fabs(o2c_plane_reduce_avx2(x + c * HW, HW, 0) - s) <= 1e-6 * HW);
				bad += o2c_plane_reduce_avx2(x + c * HW, HW, 1) != (float)m;
#endif
#if defined(__AVX512F__)
				bad += !(fabs(o2c_plane_reduce_avx512(x + c * HW, HW, 0) - s) <= 1e-6 * HW);
				bad += o2c_plane_reduce_avx512(x + c * HW, HW, 1) != (float)m;
#endif
			}
			free(x);
		}
	team_threads(0);
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_lrn(void)
{
	unsigned seed = 3;
	const int N = 2, C = 7, HW = 5, size = 4;
	const float alpha = 2e-3f, beta = 0.6f, bias = 1.5f;
	float x[2 * 7 * 5], y[2 * 7 * 5];
	for (int i = 0; i < N * C * HW; i++) x[i] = 3 * frand(&seed);
	TEAM(o2c_lrn(x, y, N, C, HW, size, alpha, beta, bias));
	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++)
			for (int i = 0; i < HW; i++) {
				double s = 0; /* window [c - 1, c + 2] for size 4 */
				for (int j = c - 1; j <= c + 2; j++)
					if (j >= 0 && j < C)
						s += (double)x[(n * C + j) * HW + i] * x[(n * C + j) * HW + i];
				double want = x[(n * C + c) * HW + i] / pow(bias + alpha / size * s, beta);
				CU_ASSERT(fabs(y[(n * C + c) * HW + i] - want) <= 1e-5 * (1 + fabs(want)));
			}
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("pool kernels", NULL, NULL);
	CU_add_test(s, "max/avg windows", test_windows);
	CU_add_test(s, "global pools", test_global);
	CU_add_test(s, "lrn", test_lrn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
