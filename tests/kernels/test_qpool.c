/*
 * test_qpool.c - templates/int8/qpool.c against plain loops: every variant
 * compiled in (generic, AVX2, AVX-512) and the dispatch on 1-3 threads.
 * MaxPool against a window max; AveragePool against ORT's QLinearAveragePool
 * arithmetic written out plainly (dequantize x_scale * (x - x_zp), float sum
 * in window order, / count, nearbyintf(v / y_scale + y_zp), saturate),
 * count_include_pad 0 and 1, and its whole-image window taking the global
 * path; GlobalAveragePool u8 -> u8 against the integer sum requantised as
 * MLAS does, and u8 -> float.  Channels 1, 3, 17, 64, 100, 130; images 1x1,
 * 5x7, 13x13; kernels 3x3 stride 1 and 2, 2x2, 5x5, 7x7, 3x1 dilation 2
 * (max), asymmetric and extra (ceil-mode) padding; pixel strides wider than
 * C; zero points 0, 128, 255 and others; power-of-two scales (exact .5
 * ties) and arbitrary ones.  Exact equality of every output.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.c"
#include "int8/shared.c"
#include "int8/qpool.c"
#include "team.h"

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

typedef struct PCase {
	int N, C, H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR;
} PCase;

typedef struct Inst {
	PCase d;
	int OH, OW, cip;
	ptrdiff_t ldx, ldy;
	float x_scale, y_scale;
	int32_t x_zp, y_zp;
	uint8_t *x;
} Inst;

static void make(Inst *t, const PCase *d, unsigned seed)
{
	t->d = *d;
	t->OH = (d->H + d->PT + d->PB - (d->KH - 1) * d->DH - 1) / d->SH + 1;
	t->OW = (d->W + d->PL + d->PR - (d->KW - 1) * d->DW - 1) / d->SW + 1;
	t->ldx = d->C + (seed % 3 == 0 ? 7 : 0);
	t->ldy = d->C + (seed % 2 == 0 ? 2 : 0);
	t->cip = (int)(seed / 2 % 2);
	const size_t nx = (size_t)d->N * d->H * d->W * t->ldx;
	t->x = malloc(nx);
	for (size_t i = 0; i < nx; i++)
		t->x[i] = (uint8_t)(rnd(&seed) % 5 == 0 ? (rnd(&seed) & 1) * 255 : rnd(&seed));
	static const int32_t zps[] = { 0, 128, 255, 3, 77 };
	t->x_zp = zps[rnd(&seed) % 5];
	t->y_zp = zps[rnd(&seed) % 5];
	if (seed % 4 == 0) { /* powers of two: sums and quotients exact, .5 ties */
		t->x_scale = ldexpf(1.0f, -(int)(rnd(&seed) % 4) - 3);
		t->y_scale = ldexpf(1.0f, -(int)(rnd(&seed) % 4) - 3);
	} else {
		t->x_scale = 0.01f + (float)(rnd(&seed) % 1000) * 1e-4f;
		t->y_scale = t->x_scale * (0.4f + (float)(rnd(&seed) % 1000) * 1.5e-3f);
	}
}

static uint8_t sat(long v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* kind 0 max, 1 avg (ORT's QLinearAveragePool) */
static void reference(const Inst *t, int kind, uint8_t *y)
{
	const PCase *d = &t->d;
	const int global = d->KH == d->H && d->KW == d->W && !d->PT && !d->PL && !d->PB && !d->PR;
	for (int n = 0; n < d->N; n++)
		for (int oy = 0; oy < t->OH; oy++)
			for (int ox = 0; ox < t->OW; ox++)
				for (int c = 0; c < d->C; c++) {
					const size_t o = (((size_t)n * t->OH + oy) * t->OW + ox) * t->ldy + c;
					int m = 0;
					long isum = 0;
					float s = 0.0f;
					for (int ky = 0; ky < d->KH; ky++)
						for (int kx = 0; kx < d->KW; kx++) {
							const int iy = oy * d->SH - d->PT + ky * d->DH, ix = ox * d->SW - d->PL + kx * d->DW;
							if (iy < 0 || iy >= d->H || ix < 0 || ix >= d->W)
								continue;
							const int v = t->x[((size_t)(n * d->H + iy) * d->W + ix) * t->ldx + c];
							m = v > m ? v : m;
							isum += v - t->x_zp;
							s += t->x_scale * (float)(v - t->x_zp);
						}
					if (kind == 0) {
						y[o] = (uint8_t)m;
					} else if (global) { /* ORT: the whole image, no padding: its global average pool */
						const float scale = t->x_scale / (t->y_scale * (float)(d->H * d->W));
						y[o] = sat((long)nearbyintf((float)isum * scale) + t->y_zp);
					} else {
						int hs = oy * d->SH - d->PT, ws = ox * d->SW - d->PL;
						const int he = hs + d->KH < d->H ? hs + d->KH : d->H, we = ws + d->KW < d->W ? ws + d->KW : d->W;
						hs = hs > 0 ? hs : 0;
						ws = ws > 0 ? ws : 0;
						const long count = t->cip ? (long)d->KH * d->KW : (long)(he - hs) * (we - ws);
						s /= (float)count;
						y[o] = sat((long)nearbyintf(s / t->y_scale + (float)t->y_zp));
					}
				}
}

static int compare(const char *name, const Inst *t, int kind, const uint8_t *y, const uint8_t *want, size_t ny)
{
	for (size_t i = 0; i < ny; i++)
		if (y[i] != want[i]) {
			const PCase *d = &t->d;
			printf("\n%s %s C=%d %dx%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d cip %d xs %g ys %g zp %d,%d: y[pixel %zu][%zu]"
			       " = %d, reference %d\n",
			       name, kind ? "avg" : "max", d->C, d->H, d->W, d->KH, d->KW, d->SH, d->SW, d->DH, d->DW, d->PT,
			       d->PL, d->PB, d->PR, t->cip, (double)t->x_scale, (double)t->y_scale, t->x_zp, t->y_zp,
			       i / t->ldy, i % t->ldy, y[i], want[i]);
			return 1;
		}
	return 0;
}

/* One ukernel through the driver, as the dispatch would call it. */
static void run_uk(const Inst *t, int kind, o2c_qpool_ukernel_fn uk, uint8_t *y)
{
	const PCase *d = &t->d;
	const int global = d->KH == d->H && d->KW == d->W && !d->PT && !d->PL && !d->PB && !d->PR;
	float lut[256];
	for (int i = 0; i < 256; i++)
		lut[i] = t->x_scale * (float)(i - t->x_zp);
	const O2cQPoolArgs a = { lut, t->x_scale, t->y_scale, (float)t->y_zp, t->x_zp };
	if (kind && global) /* the global path has its own variants, tested below */
		o2c_qgavgpool(t->x, y, d->N, d->C, d->H * d->W, t->x_scale, t->x_zp, t->y_scale, t->y_zp, t->ldx, t->ldy);
	else
		o2c_qpool_driver(uk, t->x, y, d->N, d->C, d->H, d->W, t->OH, t->OW, d->KH, d->KW, d->SH, d->SW, d->DH,
		                 d->DW, d->PT, d->PL, kind ? t->cip : -1, kind ? &a : NULL, t->ldx, t->ldy);
}

static void test_windows(void)
{
	static const int Cs[] = { 1, 3, 17, 64, 100 };
	static const int HWs[][2] = { { 1, 1 }, { 5, 7 }, { 13, 13 } };
	/* KH KW SH SW DH DW PT PL PB PR; the dilated one is for max only */
	static const int Ks[][10] = {
		{ 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 }, { 3, 3, 2, 2, 1, 1, 1, 1, 1, 1 }, { 3, 3, 2, 2, 1, 1, 0, 0, 2, 2 },
		{ 2, 2, 2, 2, 1, 1, 0, 0, 0, 0 }, { 5, 5, 1, 1, 1, 1, 2, 2, 2, 2 }, { 7, 7, 1, 1, 1, 1, 0, 0, 0, 0 },
		{ 2, 3, 1, 2, 1, 1, 1, 0, 0, 2 }, { 3, 1, 1, 1, 2, 2, 2, 0, 2, 0 },
	};
	int bad = 0, cases = 0;
	unsigned seed = 11;
	for (size_t ci = 0; ci < sizeof Cs / sizeof *Cs; ci++)
		for (size_t hi = 0; hi < sizeof HWs / sizeof *HWs; hi++)
			for (size_t ki = 0; ki < sizeof Ks / sizeof *Ks + 2; ki++)
				for (int kind = 0; kind < 2; kind++) {
					const int H = HWs[hi][0], W = HWs[hi][1];
					int k[10];
					if (ki < sizeof Ks / sizeof *Ks) {
						memcpy(k, Ks[ki], sizeof k);
					} else { /* the whole image, without and with padding */
						const int pad = ki == sizeof Ks / sizeof *Ks + 1;
						const int kk[10] = { H, W, 1, 1, 1, 1, 0, 0, pad, pad };
						memcpy(k, kk, sizeof k);
					}
					if (kind && (k[4] > 1 || k[5] > 1))
						continue;
					if (k[0] > H + k[6] + k[8] || k[1] > W + k[7] + k[9] || k[6] >= k[0] || k[7] >= k[1])
						continue;
					const PCase d = { 1 + (int)(seed % 5 == 0), Cs[ci], H, W, k[0], k[1], k[2], k[3], k[4], k[5],
						          k[6], k[7], k[8], k[9] };
					Inst t;
					make(&t, &d, ++seed * 31u);
					const size_t ny = (size_t)d.N * t.OH * t.OW * t.ldy;
					uint8_t *want = malloc(ny), *y = malloc(ny);
					memset(want, 0x5A, ny);
					reference(&t, kind, want);
					memset(y, 0x5A, ny);
					run_uk(&t, kind, kind ? o2c_qavgpool_ukernel_generic : o2c_qmaxpool_ukernel_generic, y);
					bad += compare("generic", &t, kind, y, want, ny);
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
					memset(y, 0x5A, ny);
					run_uk(&t, kind, kind ? o2c_qavgpool_ukernel_avx512 : o2c_qmaxpool_ukernel_avx512, y);
					bad += compare("avx512", &t, kind, y, want, ny);
#endif
#if defined(__AVX2__)
					memset(y, 0x5A, ny);
					run_uk(&t, kind, kind ? o2c_qavgpool_ukernel_avx2 : o2c_qmaxpool_ukernel_avx2, y);
					bad += compare("avx2", &t, kind, y, want, ny);
#endif
					for (int nth = 1; nth <= 3 && team_threads(nth); nth++) {
						memset(y, 0x5A, ny);
						if (kind)
							TEAM(o2c_qavgpool(t.x, y, d.N, d.C, d.H, d.W, t.OH, t.OW, d.KH, d.KW, d.SH, d.SW, d.PT,
							                  d.PL, d.PB, d.PR, t.cip, t.x_scale, t.x_zp, t.y_scale, t.y_zp, t.ldx,
							                  t.ldy));
						else
							TEAM(o2c_qmaxpool(t.x, y, d.N, d.C, d.H, d.W, t.OH, t.OW, d.KH, d.KW, d.SH, d.SW, d.DH,
							                  d.DW, d.PT, d.PL, t.ldx, t.ldy));
						bad += compare("dispatch", &t, kind, y, want, ny);
					}
					team_threads(0);
					free(want), free(y), free(t.x);
					cases++;
				}
	printf("\n%d cases\n", cases);
	CU_ASSERT_EQUAL(bad, 0);
}

/* Global average pool: every sums variant, u8 and float outputs. */
static void test_global(void)
{
	static const int Cs[] = { 1, 3, 17, 64, 100, 130 };
	static const int HWs[] = { 1, 35, 49, 169 };
	int bad = 0;
	unsigned seed = 5;
	for (size_t ci = 0; ci < sizeof Cs / sizeof *Cs; ci++)
		for (size_t hi = 0; hi < sizeof HWs / sizeof *HWs; hi++) {
			const int C = Cs[ci], HW = HWs[hi];
			const PCase d = { 2, C, HW, 1, HW, 1, 1, 1, 1, 1, 0, 0, 0, 0 };
			Inst t;
			make(&t, &d, ++seed * 17u);
			uint8_t *want = malloc((size_t)2 * t.ldy), *y = malloc((size_t)2 * t.ldy);
			float *wf = malloc((size_t)2 * C * sizeof(float)), *yf = malloc((size_t)2 * C * sizeof(float));
			for (int n = 0; n < 2; n++)
				for (int c = 0; c < C; c++) {
					long s = 0;
					for (int i = 0; i < HW; i++)
						s += t.x[((size_t)n * HW + i) * t.ldx + c] - t.x_zp;
					const float scale = t.x_scale / (t.y_scale * (float)HW);
					want[n * t.ldy + c] = sat((long)nearbyintf((float)s * scale) + t.y_zp);
					wf[n * C + c] = (float)s * t.x_scale / (float)HW;
				}
			o2c_qgap_sums_fn fns[] = {
				o2c_qgap_sums_generic,
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
				o2c_qgap_sums_avx512,
#endif
#if defined(__AVX2__)
				o2c_qgap_sums_avx2,
#endif
			};
			for (size_t f = 0; f < sizeof fns / sizeof *fns; f++)
				for (int nth = 1; nth <= 3 && team_threads(nth); nth++) {
					TEAM(o2c_qgap_driver(fns[f], t.x, y, NULL, 2, C, HW, t.x_scale, t.x_zp, t.y_scale, t.y_zp, t.ldx,
					                     t.ldy));
					TEAM(o2c_qgap_driver(fns[f], t.x, NULL, yf, 2, C, HW, t.x_scale, t.x_zp, 1.0f, 0, t.ldx, C));
					for (int n = 0; n < 2; n++)
						for (int c = 0; c < C; c++)
							if (y[n * t.ldy + c] != want[n * t.ldy + c] || yf[n * C + c] != wf[n * C + c]) {
								printf("\nglobal sums %zu C=%d HW=%d: [%d][%d] = %d / %.9g, reference %d / %.9g\n", f,
								       C, HW, n, c, y[n * t.ldy + c], (double)yf[n * C + c], want[n * t.ldy + c],
								       (double)wf[n * C + c]);
								bad++;
								n = 2;
								break;
							}
				}
			team_threads(0);
			/* the dispatch entry points */
			TEAM(o2c_qgavgpool(t.x, y, 2, C, HW, t.x_scale, t.x_zp, t.y_scale, t.y_zp, t.ldx, t.ldy));
			TEAM(o2c_qgavgpool_f32(t.x, yf, 2, C, HW, t.x_scale, t.x_zp, t.ldx));
			for (int n = 0; n < 2; n++)
				for (int c = 0; c < C; c++)
					bad += y[n * t.ldy + c] != want[n * t.ldy + c] || yf[n * C + c] != wf[n * C + c];
			free(want), free(y), free(wf), free(yf), free(t.x);
		}
	CU_ASSERT_EQUAL(bad, 0);
}

/*
 * Bulk: one float rounding more or less (s / (count * y_scale) for
 * s / count / y_scale, x_scale / HW / y_scale for x_scale / (y_scale * HW))
 * changes about 12 u8 outputs in a million, so the cases above, with a few
 * hundred thousand outputs, could not tell such a formula from ORT's.  Here
 * 2.6 million average-pool outputs (2000 scale pairs, 1x3 and 1x4 windows
 * over a 1x21 image of 61 channels) and 1.3 million global ones (20000
 * scale pairs): a one-rounding change shows up some 25 times.
 */
static void test_bulk(void)
{
	enum { C = 61, W = 21 };
	unsigned seed = 77;
	uint8_t x[9 * W * C], y[W * C], want[W * C];
	int bad = 0;
	for (int it = 0; it < 2000 && !bad; it++) {
		Inst t;
		const PCase d = { 1, C, 1, W, 1, 3 + it % 2, 1, 1, 1, 1, 0, 1, 0, 1 };
		make(&t, &d, ++seed * 101u);
		free(t.x);
		t.x = x;
		t.ldx = t.ldy = C;
		t.x_scale = 0.005f + (float)(rnd(&seed) % 10000) * 1e-5f;
		t.y_scale = t.x_scale * (0.3f + (float)(rnd(&seed) % 10000) * 2e-4f);
		for (int i = 0; i < W * C; i++)
			x[i] = (uint8_t)rnd(&seed);
		reference(&t, 1, want);
		o2c_qpool_ukernel_fn uks[] = {
			o2c_qavgpool_ukernel_generic,
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
			o2c_qavgpool_ukernel_avx512,
#endif
#if defined(__AVX2__)
			o2c_qavgpool_ukernel_avx2,
#endif
		};
		for (size_t u = 0; u < sizeof uks / sizeof *uks; u++) {
			run_uk(&t, 1, uks[u], y);
			bad += compare(u == 0 ? "bulk generic" : "bulk simd", &t, 1, y, want, (size_t)W * C);
		}
	}
	for (int it = 0; it < 20000 && !bad; it++) {
		const int HW = 2 + it % 9;
		const float xs = 0.005f + (float)(rnd(&seed) % 10000) * 1e-5f;
		const float ys = xs * (0.3f + (float)(rnd(&seed) % 10000) * 2e-4f) / (float)HW * 4.0f;
		const int32_t xz = (int32_t)(rnd(&seed) % 256), yz = (int32_t)(rnd(&seed) % 256);
		for (int i = 0; i < HW * C; i++)
			x[i] = (uint8_t)rnd(&seed);
		for (int c = 0; c < C; c++) {
			long s = 0;
			for (int i = 0; i < HW; i++)
				s += x[i * C + c] - xz;
			want[c] = sat((long)nearbyintf((float)s * (xs / (ys * (float)HW))) + yz);
		}
		o2c_qgavgpool(x, y, 1, C, HW, xs, xz, ys, yz, C, C);
		bad += memcmp(y, want, C) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Values worked by hand: ties to even in both paths. */
static void test_by_hand(void)
{
	/* a 1x2 image, one channel, x = {1, 2}, zp 0, scales 1: avg 1.5 -> 2; x = {2, 3}: 2.5 -> 2 */
	uint8_t x[2] = { 1, 2 }, y = 0;
	TEAM(o2c_qavgpool(x, &y, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 0, 0, 0, 0, 0, 1.0f, 0, 1.0f, 0, 1, 1));
	CU_ASSERT_EQUAL(y, 2);
	x[0] = 2, x[1] = 3;
	TEAM(o2c_qavgpool(x, &y, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 0, 0, 0, 0, 0, 1.0f, 0, 1.0f, 0, 1, 1));
	CU_ASSERT_EQUAL(y, 2);
	/* padded window, count_include_pad: (2 + 3 + 0) / 3 = 1.67 -> 2; excluded: 2.5 -> 2 + zp 10 */
	TEAM(o2c_qavgpool(x, &y, 1, 1, 1, 2, 1, 1, 1, 3, 1, 1, 0, 1, 0, 0, 1, 1.0f, 0, 1.0f, 0, 1, 1));
	CU_ASSERT_EQUAL(y, 2);
	TEAM(o2c_qavgpool(x, &y, 1, 1, 1, 2, 1, 1, 1, 3, 1, 1, 0, 1, 0, 0, 0, 1.0f, 0, 1.0f, 10, 1, 1));
	CU_ASSERT_EQUAL(y, 12);
	/* max ignores the padding even where x_zp would be larger */
	x[0] = 0, x[1] = 1;
	TEAM(o2c_qmaxpool(x, &y, 1, 1, 1, 2, 1, 1, 1, 3, 1, 1, 1, 1, 0, 1, 1, 1));
	CU_ASSERT_EQUAL(y, 1);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("int8 pools", NULL, NULL);
	CU_add_test(s, "by hand", test_by_hand);
	CU_add_test(s, "max/avg windows", test_windows);
	CU_add_test(s, "global average", test_global);
	CU_add_test(s, "bulk rounding", test_bulk);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
