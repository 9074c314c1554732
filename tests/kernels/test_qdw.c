/*
 * test_qdw.c - templates/int8/qdw.c against plain integer loops: every
 * variant compiled in (generic, AVX2, AVX-512) and the dispatch on 1-3
 * threads, at awkward channel counts (1, 3, 17, 64, 100) and images (1x1,
 * 5x7, 13x13), kernels 3x3 stride 1 and 2, 5x5, 7x7, 3x1 with dilation 2,
 * asymmetric padding, input and output pixel strides wider than C (slices),
 * nonzero input and weight zero points, per-channel multipliers (powers of
 * two, so exact .5 ties occur, and arbitrary ones), Relu and Clip clamps,
 * the fused residual, and the worst-case sums (x 0/255 against w -128/127
 * with the weight zero point at the other end).  The reference starts from
 * the raw ONNX operands: acc = b + sum (x - x_zp)(w - w_zp), the padding
 * contributing 0, requantised by int8/shared.c's o2c_q_requant1.  The u8
 * outputs must be equal, and the bytes of the output slice beyond C
 * untouched.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.c"
#include "blocking.h"
#include "int8/shared.c"
#include "int8/qdw.c"
#include "pack.h"
#include "team.h"

typedef struct DCase {
	int N, C, H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR;
} DCase;

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

typedef struct Inst {
	DCase d;
	int OH, OW, mode; /* mode: 0 random, 1 worst case high, 2 worst case low */
	int32_t x_zp;
	ptrdiff_t ldx, ldy;
	uint8_t *x, *res;
	int8_t *w;
	int32_t *w_zp, *b, *bias, *wp;
	float *mult;
	O2cQuant q;
} Inst;

/* Builds the operands: x, W, zero points, bias, multipliers, residual. */
static void make(Inst *t, const DCase *d, int mode, int clamp, int with_res, unsigned seed)
{
	memset(t, 0, sizeof *t);
	t->d = *d;
	t->mode = mode;
	t->OH = (d->H + d->PT + d->PB - (d->KH - 1) * d->DH - 1) / d->SH + 1;
	t->OW = (d->W + d->PL + d->PR - (d->KW - 1) * d->DW - 1) / d->SW + 1;
	const int C = d->C, KK = d->KH * d->KW;
	t->ldx = C + (seed % 3 == 0 ? 5 : 0);
	t->ldy = C + (seed % 2 == 0 ? 3 : 0);
	const size_t nx = (size_t)d->N * d->H * d->W * t->ldx, ny = (size_t)d->N * t->OH * t->OW;
	t->x = malloc(nx);
	t->w = malloc((size_t)C * KK);
	t->w_zp = malloc(C * sizeof(int32_t));
	t->b = malloc(C * sizeof(int32_t));
	t->bias = malloc(C * sizeof(int32_t));
	t->mult = malloc(C * sizeof(float));
	t->x_zp = mode == 1 ? 0 : mode == 2 ? 255 : (int32_t)(rnd(&seed) % 3 == 0 ? 128 : rnd(&seed) % 256);
	for (size_t i = 0; i < nx; i++)
		t->x[i] = mode == 1 ? 255 : mode == 2 ? 0 : (uint8_t)(rnd(&seed) % 4 == 0 ? (rnd(&seed) & 1) * 255 : rnd(&seed));
	for (int c = 0; c < C; c++) {
		/* mode 1: (255 - 0) * (-128 - 127) every tap; mode 2: (0 - 255) * (-128 - 127) */
		t->w_zp[c] = mode ? 127 : c % 3 == 0 ? 0 : (int32_t)(rnd(&seed) % 256) - 128;
		for (int k = 0; k < KK; k++)
			t->w[c * KK + k] = mode ? -128 : (int8_t)((int)(rnd(&seed) % 256) - 128);
		t->b[c] = mode ? 0 : (int32_t)(rnd(&seed) % 20001) - 10000;
		/* |acc| reaches KK*255*255: scale so outputs spread over the range and saturate at the ends */
		const float span = (float)KK * 255.0f * 40.0f;
		t->mult[c] = c % 2 ? ldexpf(1.0f, -(int)(rnd(&seed) % 6) - 6) /* exact .5 ties */
		                   : (0.3f + (float)(rnd(&seed) % 1000) / 500.0f) * 255.0f / span;
		if (mode)
			t->mult[c] = 1.0f / (float)(KK * 255 * 2);
		/* folded as the compiler folds it: bias - x_zp * sum_t (W - w_zp) */
		int32_t s = 0;
		for (int k = 0; k < KK; k++)
			s += t->w[c * KK + k] - t->w_zp[c];
		t->bias[c] = t->b[c] - t->x_zp * s;
	}
	t->wp = malloc((size_t)pack_qdw_ints(C, d->KH, d->KW) * sizeof(int32_t));
	pack_qdw(t->wp, t->w, t->w_zp, C, d->KH, d->KW);
	t->q.bias = t->bias;
	t->q.mult = t->mult;
	t->q.zp = (int32_t)(rnd(&seed) % 256);
	t->q.lo = clamp == 1 ? t->q.zp : clamp == 2 ? 30 : 0;
	t->q.hi = clamp == 2 ? 200 : 255;
	if (with_res) {
		t->q.ldr = C + 2;
		t->res = malloc(ny * t->q.ldr);
		for (size_t i = 0; i < ny * t->q.ldr; i++)
			t->res[i] = (uint8_t)rnd(&seed);
		t->q.res = t->res;
		t->q.add_a = 0.75f;
		t->q.add_b = 0.5f; /* c * 0.75 + r * 0.5 + fixed lands on .25 steps: ties happen */
		/* the zero points folded in as ORT does (int8/shared.c): y_zp - (0.75 * c_zp + 0.5 * r_zp) */
		t->q.add_fixed = (float)(rnd(&seed) % 256) - (0.75f * (float)t->q.zp + 0.5f * (float)(rnd(&seed) % 256));
		t->q.add_res_b = (int)(seed & 1); /* either input of the add may be the residual */
		t->q.add_lo = clamp ? 10 : 0;
		t->q.add_hi = clamp ? 240 : 255;
	}
}

static void drop(Inst *t)
{
	free(t->x), free(t->w), free(t->w_zp), free(t->b), free(t->bias), free(t->mult), free(t->wp), free(t->res);
}

/* The plain loops, from the raw operands. */
static void reference(const Inst *t, uint8_t *y)
{
	const DCase *d = &t->d;
	const int KK = d->KH * d->KW;
	for (int n = 0; n < d->N; n++)
		for (int oy = 0; oy < t->OH; oy++)
			for (int ox = 0; ox < t->OW; ox++) {
				const size_t p = ((size_t)n * t->OH + oy) * t->OW + ox;
				for (int c = 0; c < d->C; c++) {
					int64_t acc = t->b[c];
					for (int ky = 0; ky < d->KH; ky++)
						for (int kx = 0; kx < d->KW; kx++) {
							const int iy = oy * d->SH + ky * d->DH - d->PT, ix = ox * d->SW + kx * d->DW - d->PL;
							if (iy < 0 || iy >= d->H || ix < 0 || ix >= d->W)
								continue; /* the padding: x = x_zp, a zero product */
							const int32_t xv = t->x[((size_t)(n * d->H + iy) * d->W + ix) * t->ldx + c];
							acc += (int64_t)(xv - t->x_zp) * (t->w[c * KK + ky * d->KW + kx] - t->w_zp[c]);
						}
					y[p * t->ldy + c] =
					    o2c_q_requant1(&t->q, c, (int32_t)acc, t->res ? t->res[p * t->q.ldr + c] : 0);
				}
			}
}

typedef void Variant(const Inst *t, uint8_t *y);

static void run_generic(const Inst *t, uint8_t *y)
{
	const DCase *d = &t->d;
	o2c_qdw_generic(t->x, t->wp, &t->q, y, d->N, d->C, d->H, d->W, t->OH, t->OW, d->KH, d->KW, d->SH, d->SW, d->DH,
	                d->DW, d->PT, d->PL, t->x_zp, t->ldx, t->ldy);
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
static void run_avx512(const Inst *t, uint8_t *y)
{
	const DCase *d = &t->d;
	o2c_qdw_driver(o2c_qdw_ukernel_avx512, t->x, t->wp, &t->q, y, d->N, d->C, d->H, d->W, t->OH, t->OW, d->KH, d->KW,
	               d->SH, d->SW, d->DH, d->DW, d->PT, d->PL, t->x_zp, t->ldx, t->ldy);
}
#endif

#if defined(__AVX2__)
static void run_avx2(const Inst *t, uint8_t *y)
{
	const DCase *d = &t->d;
	o2c_qdw_driver(o2c_qdw_ukernel_avx2, t->x, t->wp, &t->q, y, d->N, d->C, d->H, d->W, t->OH, t->OW, d->KH, d->KW,
	               d->SH, d->SW, d->DH, d->DW, d->PT, d->PL, t->x_zp, t->ldx, t->ldy);
}
#endif

/* The dispatch as a model calls it: every thread of a team. */
static void run_dispatch(const Inst *t, uint8_t *y)
{
	const DCase *d = &t->d;
	TEAM(o2c_qdw(t->x, t->wp, &t->q, y, d->N, d->C, d->H, d->W, t->OH, t->OW, d->KH, d->KW, d->SH, d->SW, d->DH,
	             d->DW, d->PT, d->PL, t->x_zp, t->ldx, t->ldy));
}

static int check(const char *name, Variant *v, const Inst *t, const uint8_t *want)
{
	const size_t ny = (size_t)t->d.N * t->OH * t->OW * t->ldy;
	uint8_t *y = malloc(ny);
	memset(y, 0xA5, ny); /* the slice's other channels must keep this */
	v(t, y);
	int bad = 0;
	for (size_t i = 0; i < ny && !bad; i++)
		if (y[i] != want[i]) {
			const DCase *d = &t->d;
			printf("\n%s C=%d %dx%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d mode %d res %d: y[pixel %zu][%zu] = %d, "
			       "reference %d\n",
			       name, d->C, d->H, d->W, d->KH, d->KW, d->SH, d->SW, d->DH, d->DW, d->PT, d->PL, d->PB, d->PR,
			       t->mode, t->res != NULL, i / t->ldy, i % t->ldy, y[i], want[i]);
			bad = 1;
		}
	free(y);
	return bad;
}

static void test_qdw(void)
{
	static const int Cs[] = { 1, 3, 17, 64, 100 };
	static const int HWs[][2] = { { 1, 1 }, { 5, 7 }, { 13, 13 } };
	/* KH KW SH SW DH DW PT PL PB PR */
	static const int Ks[][10] = {
		{ 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 }, { 3, 3, 2, 2, 1, 1, 1, 1, 1, 1 }, { 3, 3, 2, 2, 1, 1, 0, 0, 1, 1 },
		{ 5, 5, 1, 1, 1, 1, 2, 2, 2, 2 }, { 7, 7, 1, 1, 1, 1, 3, 3, 3, 3 }, { 3, 1, 1, 1, 2, 2, 2, 0, 2, 0 },
		{ 3, 3, 1, 2, 2, 1, 2, 0, 1, 3 },
	};
	int bad = 0, cases = 0;
	unsigned seed = 1;
	for (size_t ci = 0; ci < sizeof Cs / sizeof *Cs; ci++)
		for (size_t hi = 0; hi < sizeof HWs / sizeof *HWs; hi++)
			for (size_t ki = 0; ki < sizeof Ks / sizeof *Ks; ki++) {
				const int *k = Ks[ki];
				DCase d = { 1 + (int)(seed % 4 == 0), Cs[ci], HWs[hi][0], HWs[hi][1], k[0], k[1], k[2], k[3],
					    k[4], k[5], k[6], k[7], k[8], k[9] };
				if (d.H + d.PT + d.PB < (d.KH - 1) * d.DH + 1 || d.W + d.PL + d.PR < (d.KW - 1) * d.DW + 1)
					continue; /* no output */
				for (int mode = 0; mode < 3; mode++) {
					if (mode && ki > 1)
						continue;
					Inst t;
					seed++;
					make(&t, &d, mode, (int)(seed % 3), (int)(seed % 2), seed * 7919u);
					const size_t ny = (size_t)d.N * t.OH * t.OW * t.ldy;
					uint8_t *want = malloc(ny);
					memset(want, 0xA5, ny);
					reference(&t, want);
					bad += check("generic", run_generic, &t, want);
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
					bad += check("avx512", run_avx512, &t, want);
#endif
#if defined(__AVX2__)
					bad += check("avx2", run_avx2, &t, want);
#endif
					for (int nth = 1; nth <= 3 && team_threads(nth); nth++)
						bad += check("o2c_qdw", run_dispatch, &t, want);
					team_threads(0);
					free(want);
					drop(&t);
					cases++;
				}
			}
	printf("\n%d cases\n", cases);
	CU_ASSERT_EQUAL(bad, 0);
}

/* The reference itself on a case worked by hand: one channel, 1x1 input
 * 3x3 kernel with padding 1, so only the centre tap is inside. */
static void test_by_hand(void)
{
	const DCase d = { 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 };
	Inst t;
	make(&t, &d, 0, 0, 0, 5u);
	t.x[0] = 200;
	t.x_zp = 10;
	for (int k = 0; k < 9; k++)
		t.w[k] = (int8_t)(k == 4 ? 3 : 100);
	t.w_zp[0] = 1;
	t.b[0] = 7;
	t.mult[0] = 0.25f;
	t.q.zp = 5;
	t.q.lo = 0;
	t.q.hi = 255;
	/* acc = 7 + (200 - 10) * (3 - 1) = 387; 387 * 0.25 = 96.75 -> 97; + 5 */
	uint8_t want[1 + 3] = { 0 }, y[1 + 3];
	t.ldy = 1;
	reference(&t, want);
	CU_ASSERT_EQUAL(want[0], 102);
	int32_t s = 0;
	for (int k = 0; k < 9; k++)
		s += t.w[k] - t.w_zp[0];
	t.bias[0] = t.b[0] - t.x_zp * s;
	pack_qdw(t.wp, t.w, t.w_zp, 1, 3, 3);
	run_dispatch(&t, y);
	CU_ASSERT_EQUAL(y[0], 102);
	drop(&t);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("int8 depthwise", NULL, NULL);
	CU_add_test(s, "by hand", test_by_hand);
	CU_add_test(s, "variants against plain loops", test_qdw);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
