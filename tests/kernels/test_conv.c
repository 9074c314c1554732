/*
 * test_conv.c - every kernel family of templates/conv/ and every variant of
 * each (ref.c, the plain-loop reference; direct.c with its generic, AVX2 and
 * AVX-512 microkernels; wino.c F(2x2) and F(4x4) with each direct
 * microkernel; cv.c and wcv.c with each of theirs; dw.c) against naive
 * convolution loops on the unpacked weights, at awkward sizes: odd channel
 * counts, 1-pixel and 13-pixel images, strides, dilations, groups,
 * asymmetric pads, residual and clamp epilogues, panels split in K chunks,
 * images spanning several pixel tiles (depthwise: the ring and the AVX-512
 * row path, through the dispatch); the direct, cv and depthwise cases
 * again with each SIMD activation the kernels apply per tile (act.c).  The weights are packed by the
 * compiler's own code (compiler/pack/pack.c).
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.c"
#include "act.c"
/* the families in the order the compiler pastes them (their Needs: lines) */
#include "blocking.h"
#include "conv/shared.c"
#include "conv/ref.c"
#include "conv/direct.c"
#include "conv/wino.c"
#include "conv/cv.c"
#include "conv/wcv.c"
#include "conv/dw.c"
#include "pack.h"
#include "team.h"

typedef struct Case {
	int N, G, C, H, W, M, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR;
	int bias, res;
	float lo, hi;
} Case;

static int out_size(int in, int k, int s, int d, int pb, int pe) { return (in + pb + pe - (k - 1) * d - 1) / s + 1; }

static float frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (float)((*s >> 9) & 0xffff) / 32768.0f - 1.0f;
}

enum { DIRECT, DEPTHWISE, WINOGRAD, WINOGRAD4, CV, WCV2, WCV4 };

/* The weights as the compiler packs them for the kernel of this kind (depthwise: as given). */
static float *pack_for(int kind, const float *w, const Case *c)
{
	const int64_t K = (int64_t)(c->C / c->G) * c->KH * c->KW;
	const int F = kind == WINOGRAD4 || kind == WCV4 ? 4 : 2;
	const int64_t mv = kind == WCV2 || kind == WCV4 ? O2C_CV_MV : O2C_CONV_MR;
	float *p;
	switch (kind) {
	case WINOGRAD:
	case WINOGRAD4:
	case WCV2:
	case WCV4:
		p = malloc((size_t)pack_conv_wino_floats(c->C, c->M, F, mv) * sizeof *p);
		pack_conv_wino(p, w, c->C, c->M, F, mv);
		return p;
	case CV:
		p = malloc((size_t)pack_conv_cv_floats(c->M, K) * sizeof *p);
		pack_conv_cv(p, w, c->M, K);
		return p;
	default:
		p = malloc((size_t)pack_conv_direct_floats(c->G, c->M, K) * sizeof *p);
		pack_conv_direct(p, w, c->G, c->M, K);
		return p;
	}
}

static o2c_conv_direct_ukernel_fn direct_tile; /* the direct cases' microkernel; NULL: conv/ref.c */
static o2c_conv_direct_ukernel_fn wino_tile;   /* the microkernel the Winograd cases run with */
static o2c_conv_cv_ukernel_fn cv_tile;         /* and the channel-vectorised cases */
static o2c_wcv_in_fn wcv_in;                   /* o2c_conv_wcv's input transform */
static int bare_team;                          /* run_case: a plain parallel region, no O2cTeam */
static int case_act;                           /* run_case: the O2C_ACT_* kind of the epilogue (direct, cv, dw) */

/* The activations the kernels apply per tile, in double. */
static double act_ref(double v, int kind)
{
	switch (kind) {
	case O2C_ACT_SILU: return v / (1.0 + exp(-v));
	case O2C_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
	case O2C_ACT_HARD_SWISH: return v * fmin(fmax(v / 6.0 + 0.5, 0.0), 1.0);
	default: return v;
	}
}
static const int act_kinds[] = { O2C_ACT_SILU, O2C_ACT_HARD_SWISH, O2C_ACT_SIGMOID };
/* the depthwise cases' variant: the dispatch o2c_conv_dw, or the ring driver with one ISA's
 * packing and microkernel (dw_v channels a block) */
static o2c_dw_pack_fn dw_pack;
static o2c_dw_ukernel_fn dw_ukernel;
static int dw_v;

static int run_case(const Case *c, const char *name, int kind)
{
	const int depthwise = kind == DEPTHWISE;
	const int OH = out_size(c->H, c->KH, c->SH, c->DH, c->PT, c->PB);
	const int OW = out_size(c->W, c->KW, c->SW, c->DW, c->PL, c->PR);
	const int Cg = c->C / c->G, Mg = c->M / c->G;
	const size_t nx = (size_t)c->N * c->C * c->H * c->W, nw = (size_t)c->M * Cg * c->KH * c->KW;
	const size_t ny = (size_t)c->N * c->M * OH * OW;
	unsigned seed = 12345u + (unsigned)(c->C * 7 + c->H * 13 + c->KW);
	float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *bias = malloc((size_t)c->M * sizeof *bias);
	float *res = malloc(ny * sizeof *res), *ref = malloc(ny * sizeof *ref), *mag = malloc(ny * sizeof *mag);
	float *y = malloc((ny + 1) * sizeof *y);
	for (size_t i = 0; i < nx; i++) x[i] = frand(&seed);
	for (size_t i = 0; i < nw; i++) w[i] = frand(&seed);
	for (int i = 0; i < c->M; i++) bias[i] = frand(&seed);
	for (size_t i = 0; i < ny; i++) res[i] = frand(&seed);
	for (int n = 0; n < c->N; n++)
		for (int m = 0; m < c->M; m++)
			for (int oy = 0; oy < OH; oy++)
				for (int ox = 0; ox < OW; ox++) {
					double acc = 0, a = 0;
					const int g = m / Mg;
					for (int ic = 0; ic < Cg; ic++)
						for (int ky = 0; ky < c->KH; ky++)
							for (int kx = 0; kx < c->KW; kx++) {
								int iy = oy * c->SH + ky * c->DH - c->PT, ix = ox * c->SW + kx * c->DW - c->PL;
								if (iy < 0 || iy >= c->H || ix < 0 || ix >= c->W)
									continue;
								double t = (double)x[(((size_t)n * c->C + g * Cg + ic) * c->H + iy) * c->W + ix] *
								           w[(((size_t)m * Cg + ic) * c->KH + ky) * c->KW + kx];
								acc += t;
								a += fabs(t);
							}
					size_t o = (((size_t)n * c->M + m) * OH + oy) * OW + ox;
					if (c->bias) acc += bias[m], a += fabs(bias[m]);
					if (c->res) acc += res[o], a += fabs(res[o]);
					acc = acc < c->lo ? c->lo : acc;
					acc = acc > c->hi ? c->hi : acc;
					ref[o] = (float)act_ref(acc, case_act);
					/* an error e in the sum is e * act' after the activation: |act'| <= 1.5
					 * (HardSwish at 3; SiLU 1.1, Sigmoid 0.25) */
					mag[o] = (float)(case_act ? 1.5 * a : a);
				}
	float *wp = depthwise ? w : pack_for(kind, w, c);
	/* Winograd adds and subtracts transformed values before multiplying: a few more roundings */
	/* F(4x4) multiplies by up to 8 and 1/24 on the way: more again */
	const float tol = kind == WINOGRAD4 || kind == WCV4 ? 2e-5f : kind == WINOGRAD || kind == WCV2 ? 1e-5f : 2e-6f;
	/* o2c_conv_wcv's scratch: the transformed input of one image */
	const int F = kind == WCV4 ? 4 : 2;
	float *V = kind == WCV2 || kind == WCV4
	               ? malloc((size_t)(F + 2) * (F + 2) * (c->C + O2C_WINO_PADF) * ((OH + F - 1) / F) * ((OW + F - 1) / F) * sizeof *V)
	               : NULL;
	y[ny] = 42.0f; /* guard: kernels must not write past the output */
	/* every thread calls the kernel, as in a generated run (templates/common.c):
	 * in a team with o2c_sync, or (bare_team) in a plain parallel region,
	 * where o2c_sync and o2c_share fall back to OpenMP's barrier and single */
	O2cTeam team = { 0, 0, NULL, 0 };
	(void)team;
	O2C_OMP(parallel)
	{
	if (!bare_team)
		O2C_TEAM_BEGIN(team);
	if (depthwise && dw_pack)
		o2c_conv_dw_ring(dw_pack, dw_ukernel, dw_v, x, w, c->bias ? bias : NULL, c->res ? res : NULL, y, c->N,
		                 c->C, c->H, c->W, OH, OW, c->KH, c->KW, c->SH, c->SW, c->DH, c->DW, c->PT, c->PL, c->lo,
		                 c->hi, case_act);
	else if (depthwise)
		o2c_conv_dw(x, w, c->bias ? bias : NULL, c->res ? res : NULL, y, c->N, c->C, c->H, c->W, OH, OW, c->KH,
		            c->KW, c->SH, c->SW, c->DH, c->DW, c->PT, c->PL, c->lo, c->hi, case_act);
	else if (kind == CV)
		o2c_conv_cv_run(x, wp, c->bias ? bias : NULL, c->res ? res : NULL, y, c->N, c->C, c->H, c->W, c->M, OH,
		                OW, c->KH, c->KW, c->SH, c->SW, c->DH, c->DW, c->PT, c->PL, c->lo, c->hi, case_act,
		                cv_tile);
	else if (kind == WCV2 || kind == WCV4)
		o2c_conv_wcv_run(x, wp, c->bias ? bias : NULL, c->res ? res : NULL, y, V, F, c->N, c->C, c->H, c->W, c->M,
		                 OH, OW, c->PT, c->PL, c->lo, c->hi, cv_tile, wcv_in);
	else if (kind == WINOGRAD4)
		o2c_conv_wino4_run(x, wp, c->bias ? bias : NULL, c->res ? res : NULL, y, c->N, c->C, c->H, c->W, c->M, OH,
		                   OW, c->PT, c->PL, c->lo, c->hi, wino_tile);
	else if (kind == WINOGRAD)
		o2c_conv_wino2_run(x, wp, c->bias ? bias : NULL, c->res ? res : NULL, y, c->N, c->C, c->H, c->W, c->M, OH,
		                   OW, c->PT, c->PL, c->lo, c->hi, wino_tile);
	else if (direct_tile)
		o2c_conv_direct_run(x, wp, c->bias ? bias : NULL, c->res ? res : NULL, y, c->N, c->G, c->C, c->H, c->W,
		                    c->M, OH, OW, c->KH, c->KW, c->SH, c->SW, c->DH, c->DW, c->PT, c->PL, c->lo, c->hi,
		                    case_act, direct_tile);
	else
		o2c_conv_ref(x, wp, c->bias ? bias : NULL, c->res ? res : NULL, y, c->N, c->G, c->C, c->H, c->W, c->M, OH,
		             OW, c->KH, c->KW, c->SH, c->SW, c->DH, c->DW, c->PT, c->PL, c->lo, c->hi, case_act);
	O2C_TEAM_END();
	}
	int bad = 0;
	for (size_t i = 0; i < ny; i++)
		if (!(fabsf(y[i] - ref[i]) <= tol * mag[i] + 1e-6f)) {
			if (bad++ < 3)
				fprintf(stderr, "%s N%d G%d C%d %dx%d M%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d: y[%zu]=%.8g want %.8g\n",
				        name, c->N, c->G, c->C, c->H, c->W, c->M, c->KH, c->KW, c->SH, c->SW, c->DH, c->DW, c->PT,
				        c->PL, c->PB, c->PR, i, y[i], ref[i]);
		}
	if (y[ny] != 42.0f)
		fprintf(stderr, "%s wrote past the output\n", name), bad++;
	if (!depthwise) free(wp);
	free(V);
	free(x); free(w); free(bias); free(res); free(ref); free(mag); free(y);
	return bad;
}

static const Case cases[] = {
	/* N  G  C   H   W   M  KH KW SH SW DH DW PT PL PB PR bias res lo hi */
	{ 1, 1, 3, 13, 13, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -INFINITY, INFINITY },
	{ 2, 1, 5, 7, 7, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 17, 1, 1, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, -INFINITY, INFINITY },
	{ 1, 1, 3, 13, 13, 8, 3, 3, 1, 1, 2, 2, 2, 0, 1, 3, 1, 0, 0.0f, 6.0f },
	{ 1, 1, 4, 1, 37, 7, 1, 5, 1, 3, 1, 2, 0, 4, 0, 1, 1, 1, -INFINITY, INFINITY }, /* 1D */
	{ 1, 3, 6, 9, 11, 9, 3, 2, 2, 1, 1, 1, 0, 1, 2, 0, 1, 0, -INFINITY, INFINITY }, /* groups */
	{ 1, 1, 3, 23, 40, 16, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, 0, 0.0f, INFINITY },   /* stem-like */
	{ 1, 1, 16, 1, 3136, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0.0f, INFINITY }, /* 1x1 flattened */
	{ 1, 1, 8, 14, 14, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 2, 5, 5, 3, 5, 5, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, -INFINITY, INFINITY }, /* 1x1 output */
	{ 1, 1, 2, 4, 20, 3, 1, 17, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, -INFINITY, INFINITY }, /* 17 taps wide */
	{ 1, 1, 1, 3, 40, 2, 3, 17, 1, 1, 1, 1, 1, 8, 1, 8, 1, 0, -INFINITY, INFINITY }, /* KHW > KHWMAX */
	/* K chunks (3x3 with 61 channels = 549 taps > KC; 1x1 with 600), 7x7 and 14x14 images across tiles */
	{ 1, 1, 61, 7, 7, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 600, 1, 49, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, -INFINITY, INFINITY },
	{ 1, 1, 33, 14, 14, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0.0f, INFINITY },
	{ 2, 1, 9, 15, 15, 40, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, -INFINITY, INFINITY }, /* 1x1 stride 2 */
	{ 1, 1, 6, 17, 17, 72, 1, 7, 1, 1, 1, 1, 0, 3, 0, 3, 1, 0, 0.0f, INFINITY },     /* 1x7, many blocks */
	{ 1, 2, 10, 9, 9, 16, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 0, 1, -INFINITY, INFINITY },  /* groups, valid */
	{ 1, 1, 2, 9, 75, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0.0f, INFINITY },      /* stride 2, rows of 38 */
	/* stride-2 columns (o2c_conv_direct_pack_s2): rows split into even/odd columns per segment; rows wider
	 * than a 32-column stretch with both ends inside one, a row narrower than 16 columns, pads past
	 * a whole stretch, 5x5 and 15 taps wide, row stride 1 or 3, row dilation, ragged last tiles */
	{ 1, 1, 3, 9, 229, 10, 7, 7, 2, 2, 1, 1, 3, 3, 2, 4, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 4, 11, 5, 9, 5, 5, 1, 2, 1, 1, 2, 2, 2, 2, 1, 0, -INFINITY, INFINITY },
	{ 1, 1, 2, 6, 70, 8, 3, 15, 3, 2, 2, 1, 1, 20, 0, 18, 0, 1, -INFINITY, INFINITY },
	{ 2, 1, 5, 12, 41, 17, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 1, 1, 0.0f, 6.0f },
	/* a last tile of one or two pixels (o2c_conv_direct_ukernel_8x48_avx512_few): 5x10 = 48 + 2 with an
	 * odd tap count, 97 = 2 x 48 + 1 with an even one, 17x17 = 6 x 48 + 1 over K chunks, 7x7 = 48 + 1 at
	 * stride 2 */
	{ 1, 1, 3, 5, 10, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, 6.0f },
	{ 1, 1, 6, 1, 97, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, -INFINITY, INFINITY },
	{ 1, 1, 80, 17, 17, 9, 1, 7, 1, 1, 1, 1, 0, 3, 0, 3, 1, 0, 0.0f, INFINITY },
	{ 2, 1, 5, 13, 13, 17, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 0, 1, -INFINITY, INFINITY },
	/* few taps over many tiles, batches, a ragged last tile */
	{ 2, 1, 3, 25, 33, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 100, 1, 1000, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, -INFINITY, INFINITY },
	/* bands (O2cBand) at 2 and 3 threads: 2 or 3 full tiles and a partial one shared by blocks, and
	 * bands that end inside a tile */
	{ 1, 1, 5, 1, 101, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, -INFINITY, INFINITY },
	{ 2, 1, 4, 10, 15, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 7, 1, 151, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, -INFINITY, INFINITY },
	/* 1x1 stride 1 read in place (full tiles) beside packed partial ones: a 2D image of 2 full tiles
	 * and 4 pixels over K chunks (700 channels), 4 tiles of an image packed together (tpi) */
	{ 1, 1, 700, 4, 25, 11, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, -INFINITY, INFINITY },
	{ 2, 1, 40, 10, 17, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0.0f, 6.0f },
};
static const Case dw_cases[] = {
	{ 1, 5, 5, 13, 13, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, 6.0f },
	{ 2, 17, 17, 7, 9, 17, 3, 3, 2, 2, 1, 1, 1, 0, 0, 1, 1, 0, -INFINITY, INFINITY },
	{ 1, 3, 3, 1, 1, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, -INFINITY, INFINITY },
	{ 1, 4, 4, 13, 13, 4, 5, 5, 2, 3, 2, 1, 4, 2, 1, 3, 1, 1, -INFINITY, INFINITY },
	/* channel blocks of 16 (AVX-512) and 8 (AVX2) with a partial last block; 7x7 planes */
	{ 1, 33, 33, 7, 7, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, 6.0f },
	{ 2, 20, 20, 16, 17, 20, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1, 0, -INFINITY, INFINITY },
	{ 1, 16, 16, 9, 40, 16, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0, 1, -INFINITY, 0.5f },
	{ 1, 8, 8, 11, 11, 8, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, 1, -INFINITY, INFINITY },
	{ 1, 24, 24, 12, 12, 24, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 0, 0.0f, INFINITY }, /* dilation */
	{ 1, 9, 9, 20, 23, 9, 3, 3, 3, 2, 1, 1, 0, 1, 2, 0, 1, 1, -INFINITY, INFINITY }, /* strides 3, 2 */
	{ 1, 17, 17, 2, 3, 17, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, -INFINITY, INFINITY }, /* pad past the image */
	/* the AVX-512 row path (input rows >= O2C_DW_ROWMIN, left pad K/2): ragged last vectors, 3x3
	 * stride 1 and 2 with odd sizes and top pads 0 and 1, a bottom pad past the image, 5x5 with
	 * asymmetric pads, residuals and clamps, a partial channel block */
	{ 2, 5, 5, 9, 37, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, 6.0f },
	{ 1, 7, 7, 11, 57, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, -INFINITY, INFINITY },
	{ 1, 3, 3, 8, 30, 3, 3, 3, 2, 2, 1, 1, 0, 1, 2, 0, 0, 1, -INFINITY, 0.5f },
	{ 1, 4, 4, 6, 40, 4, 3, 3, 1, 1, 1, 1, 0, 1, 2, 1, 1, 0, 0.0f, INFINITY },
	{ 1, 6, 6, 10, 33, 6, 5, 5, 1, 1, 1, 1, 2, 2, 1, 3, 1, 1, -INFINITY, INFINITY },
	{ 1, 18, 18, 28, 28, 18, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1, 0, 0.0f, 6.0f },
	/* too wide for the ring, and more than O2C_DW_TAPS taps: the dispatch takes the reference */
	{ 1, 3, 3, 3, 1500, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -INFINITY, INFINITY },
	{ 1, 5, 5, 12, 12, 5, 9, 9, 1, 1, 1, 1, 4, 4, 4, 4, 1, 1, -INFINITY, INFINITY },
};

/* 3x3 stride 1 only; pads 0..2 on any side, odd sizes, many channels (small tile groups) */
static const Case wino_cases[] = {
	{ 1, 1, 3, 13, 13, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -INFINITY, INFINITY },
	{ 2, 1, 7, 9, 6, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 5, 8, 11, 8, 3, 3, 1, 1, 1, 1, 0, 2, 1, 0, 0, 1, -INFINITY, 0.5f },
	{ 1, 1, 300, 7, 7, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 64, 30, 17, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 2, 3, 3, 3, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, -INFINITY, INFINITY }, /* one output pixel */
	{ 1, 1, 16, 5, 4, 12, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 1, 0, -INFINITY, INFINITY },
};

/* one group, M a multiple of 64, at most 64 output pixels: K chunks (61
 * channels x 9 taps, 600 1x1 channels), the 1x1 in-place input, stride 2,
 * 1x3 and dilated windows, asymmetric pads, 1 and 64 pixels, batches, taps
 * wholly in the padding, rows of 16 and 2 pixels */
static const Case cv_cases[] = {
	{ 1, 1, 61, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 2, 1, 600, 7, 7, 128, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, -INFINITY, INFINITY },
	{ 1, 1, 9, 14, 14, 64, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 0, 1, -INFINITY, INFINITY },
	{ 1, 1, 5, 8, 8, 192, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0.0f, 6.0f },
	{ 1, 1, 3, 5, 6, 64, 3, 3, 1, 1, 2, 2, 2, 0, 1, 3, 1, 1, -INFINITY, 0.5f },
	{ 1, 1, 7, 1, 1, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, -INFINITY, INFINITY },
	{ 3, 1, 11, 9, 9, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	/* packing rows: taps wholly in the padding (5x5 on 3x3), 16 and 2 pixels wide */
	{ 1, 1, 4, 3, 3, 64, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1, 0, -INFINITY, INFINITY },
	{ 1, 1, 6, 4, 16, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, -INFINITY, INFINITY },
	{ 1, 1, 6, 16, 2, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
};

static int check_cv(const char *name, o2c_conv_cv_ukernel_fn tile)
{
	int bad = 0;
	cv_tile = tile;
	for (int a = 0; a < 2; a++)
		for (size_t i = 0; i < sizeof cv_cases / sizeof cv_cases[0]; i++) {
			case_act = a ? act_kinds[i % 3] : O2C_ACT_NONE; /* then each case with an activation */
			bad += run_case(&cv_cases[i], name, CV);
		}
	case_act = O2C_ACT_NONE;
	return bad;
}

static void test_cv_generic(void) { CU_ASSERT_EQUAL(check_cv("cv generic", o2c_conv_cv_ukernel_7x64_generic), 0); }
#if defined(__AVX2__) && defined(__FMA__)
static void test_cv_avx2(void) { CU_ASSERT_EQUAL(check_cv("cv avx2", o2c_conv_cv_ukernel_7x64_avx2), 0); }
#endif
#if defined(__AVX512F__)
static void test_cv_avx512(void) { CU_ASSERT_EQUAL(check_cv("cv avx512", o2c_conv_cv_ukernel_7x64_avx512), 0); }
#endif

/* F(4x4): the same shapes (partial 4x4 tiles at every edge) plus C at the
 * kernel's limit (256: 16-tile groups) and images of many tile groups */
static const Case wino4_cases[] = {
	{ 1, 1, 256, 14, 14, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 64, 23, 37, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -INFINITY, INFINITY },
	{ 2, 1, 20, 10, 9, 16, 3, 3, 1, 1, 1, 1, 0, 1, 2, 0, 0, 1, -INFINITY, 0.5f },
	/* rows of 18 tiles (vector strips plus tails), and of 50 (a group ends inside a row) */
	{ 1, 1, 8, 9, 70, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 4, 6, 199, 9, 3, 3, 1, 1, 1, 1, 1, 0, 1, 2, 1, 0, -INFINITY, INFINITY },
	/* bands: 101 and 149 tiles in one row (2 and 3 full groups and a partial one shared by blocks) */
	{ 1, 1, 4, 2, 202, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 4, 4, 596, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -INFINITY, INFINITY },
};

/* o2c_conv_wcv: M a multiple of 64, at most 64 tiles of F x F (and
 * (F+2)^2 x tiles x 64 <= O2C_WCV_MB): 49 tiles (two transform calls of 25
 * and 24), partial tiles at the edges, pads 0..2, batches, one output pixel,
 * 3 blocks (uneven shares at 2 threads), C over 256; 1-8 tiles a row (the
 * AVX-512 input transform's) and 10 (its fallback), widths of 2 and 3 vectors */
static const Case wcv2_cases[] = {
	{ 1, 1, 33, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 2, 1, 7, 9, 6, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 5, 8, 11, 192, 3, 3, 1, 1, 1, 1, 0, 2, 1, 0, 0, 1, -INFINITY, 0.5f },
	{ 1, 1, 2, 3, 3, 64, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, -INFINITY, INFINITY },
	{ 1, 1, 16, 5, 4, 64, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 1, 0, -INFINITY, INFINITY },
	{ 1, 1, 300, 16, 16, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 9, 6, 20, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
};
static const Case wcv4_cases[] = {
	{ 1, 1, 20, 28, 28, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 64, 23, 27, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -INFINITY, INFINITY },
	{ 2, 1, 20, 10, 9, 192, 3, 3, 1, 1, 1, 1, 0, 1, 2, 0, 0, 1, -INFINITY, 0.5f },
	{ 1, 1, 3, 5, 5, 64, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 7, 12, 32, 64, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, -INFINITY, INFINITY },
	{ 1, 1, 6, 9, 30, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.0f, INFINITY },
	{ 1, 1, 5, 8, 40, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, -INFINITY, INFINITY },
};

static int check_wcv(const char *name, o2c_conv_cv_ukernel_fn tile, o2c_wcv_in_fn in)
{
	int bad = 0;
	cv_tile = tile;
	wcv_in = in;
	for (int nth = 1; nth <= 3 && team_threads(nth); nth++) {
		bare_team = nth == 3;
		for (size_t i = 0; i < sizeof wcv2_cases / sizeof wcv2_cases[0]; i++)
			bad += run_case(&wcv2_cases[i], name, WCV2);
		for (size_t i = 0; i < sizeof wcv4_cases / sizeof wcv4_cases[0]; i++)
			bad += run_case(&wcv4_cases[i], name, WCV4);
	}
	bare_team = 0;
	team_threads(0);
	return bad;
}

static void test_wcv_generic(void)
{
	CU_ASSERT_EQUAL(check_wcv("wcv generic", o2c_conv_cv_ukernel_7x64_generic, o2c_wcv_in_generic), 0);
}
#if defined(__AVX2__) && defined(__FMA__)
static void test_wcv_avx2(void)
{
	CU_ASSERT_EQUAL(check_wcv("wcv avx2", o2c_conv_cv_ukernel_7x64_avx2, o2c_wcv_in_generic), 0);
}
#endif
#if defined(__AVX512F__)
static void test_wcv_avx512(void)
{
	CU_ASSERT_EQUAL(check_wcv("wcv avx512", o2c_conv_cv_ukernel_7x64_avx512, o2c_wcv_in_avx512), 0);
}
#endif

static int check_wino(const char *name, o2c_conv_direct_ukernel_fn tile)
{
	int bad = 0;
	wino_tile = tile;
	/* one thread, and 2 and 3: few tile groups for several threads take
	 * the paths that share the transformed input and split the blocks */
	for (int nth = 1; nth <= 3 && team_threads(nth); nth++) {
		bare_team = nth == 3;
		for (size_t i = 0; i < sizeof wino_cases / sizeof wino_cases[0]; i++) {
			bad += run_case(&wino_cases[i], name, WINOGRAD);
			if (wino_cases[i].C <= O2C_WINO4_CMAX) /* V holds 16 tiles of at most that many channels */
				bad += run_case(&wino_cases[i], name, WINOGRAD4);
		}
		for (size_t i = 0; i < sizeof wino4_cases / sizeof wino4_cases[0]; i++)
			bad += run_case(&wino4_cases[i], name, WINOGRAD4);
	}
	bare_team = 0;
	team_threads(0);
	return bad;
}

/* at 1, 2 and 3 threads: each thread's band (O2cBand) of the image; tile NULL: the reference */
static void check_variant(const char *name, o2c_conv_direct_ukernel_fn tile)
{
	int bad = 0;
	direct_tile = tile;
	for (int nth = 1; nth <= 3 && team_threads(nth); nth++)
		for (int a = 0; a < 2; a++)
			for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
				case_act = a ? act_kinds[(i + nth) % 3] : O2C_ACT_NONE; /* then with an activation */
				bad += run_case(&cases[i], name, DIRECT);
			}
	case_act = O2C_ACT_NONE;
	team_threads(0);
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_ref(void) { check_variant("reference", NULL); }
static void test_wino_generic(void)
{
	CU_ASSERT_EQUAL(check_wino("winograd generic", o2c_conv_direct_ukernel_8x48_generic), 0);
}
#if defined(__AVX2__) && defined(__FMA__)
static void test_wino_avx2(void) { CU_ASSERT_EQUAL(check_wino("winograd avx2", o2c_conv_direct_ukernel_8x48_avx2), 0); }
#endif
#if defined(__AVX512F__)
static void test_wino_avx512(void)
{
	CU_ASSERT_EQUAL(check_wino("winograd avx512", o2c_conv_direct_ukernel_8x48_avx512), 0);
}
#endif
static void test_generic(void) { check_variant("direct generic", o2c_conv_direct_ukernel_8x48_generic); }
#if defined(__AVX2__) && defined(__FMA__)
static void test_avx2(void) { check_variant("direct avx2", o2c_conv_direct_ukernel_8x48_avx2); }
#endif
#if defined(__AVX512F__)
static void test_avx512(void) { check_variant("direct avx512", o2c_conv_direct_ukernel_8x48_avx512); }
#endif
/* o2c_claim2: two threads of a team take n pieces from both ends; every
 * piece once, thread 0's a prefix and thread 1's the rest; then o2c_sync
 * clears the counts for the next kernel (two claim loops in one team) */
static void test_claim2(void)
{
#if defined(_OPENMP)
	int bad = 0;
	team_threads(2);
	for (int n = 0; n < 40; n += n < 5 ? 1 : 7)
		for (int rep = 0; rep < 50; rep++) {
			int who[2][64];
			for (int i = 0; i < 64; i++)
				who[0][i] = who[1][i] = -1;
			O2cTeam team = { 0, 0, NULL, 0 };
			O2C_OMP(parallel)
			{
				O2C_TEAM_BEGIN(team);
				for (int round = 0; round < 2; round++) {
					if (o2c_claim2_ok())
						for (int k; (k = o2c_claim2(n)) >= 0;) {
							if (k >= n || who[round][k] != -1)
								bad++; /* out of range or taken twice (a race here is a failure too) */
							else
								who[round][k] = omp_get_thread_num();
						}
					o2c_sync();
				}
				O2C_TEAM_END();
			}
			for (int round = 0; round < 2; round++)
				for (int i = 0; i < n; i++)
					bad += who[round][i] < 0 || (i > 0 && who[round][i] < who[round][i - 1]);
		}
	team_threads(0);
	CU_ASSERT_EQUAL(bad, 0);
#endif
}

/* o2c_claim2_tail: with both threads claiming, every piece once; with thread
 * 1 idle, thread 0 takes the front half, then the partial last piece, then
 * the rest in order (and all in order when there is no partial piece) */
static void test_claim2_tail(void)
{
#if defined(_OPENMP)
	int bad = 0;
	team_threads(2);
	for (int n = 0; n < 40; n += n < 6 ? 1 : 7)
		for (int tail = 0; tail < 2; tail++)
			for (int rep = 0; rep < 20; rep++) {
				int who[64], seq[64], ns = 0;
				for (int i = 0; i < 64; i++)
					who[i] = -1;
				O2cTeam team = { 0, 0, NULL, 0 };
				O2C_OMP(parallel)
				{
					O2C_TEAM_BEGIN(team);
					if (o2c_claim2_ok())
						for (int k; (k = o2c_claim2_tail(n, tail)) >= 0;) {
							if (k >= n || who[k] != -1)
								bad++;
							else
								who[k] = omp_get_thread_num();
						}
					o2c_sync();
					if (o2c_claim2_ok() && omp_get_thread_num() == 0)
						for (int k; (k = o2c_claim2_tail(n, tail)) >= 0;)
							seq[ns < 64 ? ns++ : 63] = k;
					o2c_sync();
					O2C_TEAM_END();
				}
				for (int i = 0; i < n; i++)
					bad += who[i] < 0;
				bad += ns != n;
				for (int i = 0; i < ns && i < n; i++) {
					const int mid = tail ? (n - 1) / 2 : n;
					bad += seq[i] != (i < mid ? i : i == mid ? n - 1 : i - 1);
				}
			}
	team_threads(0);
	CU_ASSERT_EQUAL(bad, 0);
#endif
}

/* The dw cases through one variant, on 1-3 threads (NULL pack: the dispatch o2c_conv_dw). */
static int dw_run(o2c_dw_pack_fn pack, o2c_dw_ukernel_fn ukernel, int v, const char *name)
{
	int bad = 0;
	dw_pack = pack, dw_ukernel = ukernel, dw_v = v;
	for (int nth = 1; nth <= 3 && team_threads(nth); nth++)
		for (size_t i = 0; i < sizeof dw_cases / sizeof dw_cases[0]; i++) {
			const Case *c = &dw_cases[i];
			/* the ring variants are called only where their ring fits (the dispatch checks it) */
			const int OW = out_size(c->W, c->KW, c->SW, c->DW, c->PL, c->PR);
			if (pack && !o2c_conv_dw_ring_cols(OW, c->KH, c->KW, c->SW, c->DH, c->DW, c->PL, c->W, v))
				continue;
			bad += run_case(c, name, DEPTHWISE);
			case_act = act_kinds[(i + nth) % 3]; /* and with an activation */
			bad += run_case(c, name, DEPTHWISE);
			case_act = O2C_ACT_NONE;
		}
	team_threads(0);
	dw_pack = NULL;
	return bad;
}

static void test_depthwise(void)
{
	CU_ASSERT_EQUAL(dw_run(NULL, NULL, 0, "dwconv"), 0);
}

#if defined(__AVX2__) && defined(__FMA__)
static void test_depthwise_avx2(void)
{
	CU_ASSERT_EQUAL(dw_run(o2c_conv_dw_pack_row_avx2, o2c_conv_dw_ukernel_8x8_avx2, 8, "dwconv avx2"), 0);
}
#endif
#if defined(__AVX512F__)
static void test_depthwise_avx512(void)
{
	CU_ASSERT_EQUAL(dw_run(o2c_conv_dw_pack_row_avx512, o2c_conv_dw_ukernel_16x16_avx512, 16, "dwconv avx512"), 0);
}
#endif

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("conv kernels", NULL, NULL);
	CU_add_test(s, "reference", test_ref);
	CU_add_test(s, "direct generic", test_generic);
#if defined(__AVX2__) && defined(__FMA__)
	CU_add_test(s, "direct avx2", test_avx2);
#else
	fprintf(stderr, "note: AVX2 variant not built (no -mavx2 -mfma)\n");
#endif
#if defined(__AVX512F__)
	CU_add_test(s, "direct avx512", test_avx512);
#else
	fprintf(stderr, "note: AVX-512 variant not built (no -mavx512f)\n");
#endif
	CU_add_test(s, "depthwise", test_depthwise);
#if defined(__AVX2__) && defined(__FMA__)
	CU_add_test(s, "depthwise avx2", test_depthwise_avx2);
#endif
#if defined(__AVX512F__)
	CU_add_test(s, "depthwise avx512", test_depthwise_avx512);
#endif
	CU_add_test(s, "two threads share pieces from both ends", test_claim2);
	CU_add_test(s, "a partial last piece is claimed last", test_claim2_tail);
	CU_add_test(s, "winograd generic", test_wino_generic);
#if defined(__AVX2__) && defined(__FMA__)
	CU_add_test(s, "winograd avx2", test_wino_avx2);
#endif
#if defined(__AVX512F__)
	CU_add_test(s, "winograd avx512", test_wino_avx512);
#endif
	CU_add_test(s, "small-image generic", test_cv_generic);
#if defined(__AVX2__) && defined(__FMA__)
	CU_add_test(s, "small-image avx2", test_cv_avx2);
#endif
#if defined(__AVX512F__)
	CU_add_test(s, "small-image avx512", test_cv_avx512);
#endif
	CU_add_test(s, "winograd over channels generic", test_wcv_generic);
#if defined(__AVX2__) && defined(__FMA__)
	CU_add_test(s, "winograd over channels avx2", test_wcv_avx2);
#endif
#if defined(__AVX512F__)
	CU_add_test(s, "winograd over channels avx512", test_wcv_avx512);
#endif
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
