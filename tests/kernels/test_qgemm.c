/*
 * test_qgemm.c - templates/int8/qgemm.c and int8/qconv.c against plain
 * integer loops: every microkernel variant compiled in (generic, AVX2,
 * AVX-VNNI, AVX512-VNNI; the native build compiles all the CPU has) through
 * the drivers, and the dispatched o2c_qgemm_u8s8 / o2c_qconv_nhwc.
 *
 * The reference sums (a - x_zp) * (w - w_zp) in int64 from the unpacked
 * weights and the model's own bias, then requantises with o2c_q_requant1,
 * the contract (int8/shared.c); the kernels get the packed weights
 * (compiler/pack/pack.c) and the bias folded as the compiler folds it.
 * u8 outputs must be equal, every one, and the bytes of Y between rows
 * (ldy > N) untouched.  Sizes are awkward (M 1..50, N 1..100, K 1..1000),
 * zero points 0, 3, 128, 255, per-channel mult and w_zp, Relu and Clip
 * clamps, the fused residual, rounding ties, and worst-case sums (A all
 * 255 against B all -128 or 127, K up to 65536): vpmaddubsw's int16
 * saturation would fail those.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.c" /* first, as in a generated model; then each template after what it needs */
#include "blocking.h"
#include "int8/shared.c"
#include "int8/qgemm.c"
#include "int8/qconv.c"
#include "pack.h"
#include "team.h"

typedef struct Variant {
	const char *name;
	o2c_qgemm_ukernel_fn fn;
	int mr, nr;
} Variant;

static const Variant variants[] = {
    {"4x16_generic", o2c_qgemm_ukernel_4x16_generic, 4, 16},
#if defined(__AVX2__)
    {"4x16_avx2", o2c_qgemm_ukernel_4x16_avx2, 4, 16},
#endif
#if defined(__AVXVNNI__) || (defined(__AVX512VNNI__) && defined(__AVX512VL__))
    {"6x16_avxvnni", o2c_qgemm_ukernel_6x16_avxvnni, 6, 16},
#endif
#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__)
    {"8x32_avx512vnni", o2c_qgemm_ukernel_8x32_avx512vnni, 8, 32},
#endif
};
#define NVAR ((int)(sizeof variants / sizeof variants[0]))

static unsigned rng(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* What a case varies beyond its sizes. */
typedef struct Opts {
	int x_zp;
	int per_ch; /* per-column mult (else one for all) */
	int wzp;    /* nonzero per-column weight zero points */
	int clamp;  /* 0 none, 1 Relu (lo = zp), 2 Clip */
	int resid;  /* fused residual */
	int pad;    /* lda > K, ldy > N, ldr > N */
	int fill;   /* 0 random; 1 A 255 and B -128; 2 A 255 and B 127; 3 A {0,255} and B {-128,127} */
	int tie;    /* mult 0.5: every odd sum is a rounding tie */
} Opts;

/* The node's quantisation: mult spread so that the outputs cover the u8
 * range (from the reference sums' rms), the clamps, the residual. */
typedef struct Node {
	O2cQuant q;
	int32_t *bias, *wz;
	float *mult;
	uint8_t *res;
} Node;

static void node_init(Node *nd, const Opts *o, ptrdiff_t N, const int64_t *acc, ptrdiff_t nacc, ptrdiff_t rows,
                      ptrdiff_t ldr, unsigned seed)
{
	memset(nd, 0, sizeof *nd);
	nd->mult = malloc((size_t)N * sizeof *nd->mult);
	double ss = 1; /* the sums' rms: outputs spread about +-45 around zp, the tails saturate */
	for (ptrdiff_t i = 0; i < nacc; i++)
		ss += (double)acc[i] * (double)acc[i];
	const double rms = sqrt(ss / (double)(nacc > 0 ? nacc : 1));
	for (ptrdiff_t n = 0; n < N; n++)
		nd->mult[n] = o->tie ? 0.5f : (float)(45.0 / rms * (o->per_ch ? 0.5 + (n % 7) / 6.0 : 1.0));
	O2cQuant *q = &nd->q;
	q->mult = nd->mult;
	q->zp = o->fill ? 128 : 100 + (int)(rng(&seed) % 50);
	q->lo = 0, q->hi = 255;
	if (o->clamp == 1)
		q->lo = q->zp;
	if (o->clamp == 2)
		q->lo = q->zp - 40, q->hi = q->zp + 60;
	if (o->resid) {
		nd->res = malloc((size_t)(rows * ldr));
		for (ptrdiff_t i = 0; i < rows * ldr; i++)
			nd->res[i] = (uint8_t)(i % 3 == 0 ? 0 : i % 5 == 0 ? 255 : rng(&seed));
		q->res = nd->res, q->ldr = ldr;
		q->add_a = o->tie ? 0.5f : 0.8125f, q->add_b = o->tie ? 1.5f : 0.3f;
		/* y_zp 128 - (add_a * c_zp + add_b * r_zp 128), as ORT folds the zero points (int8/shared.c) */
		q->add_fixed = 128.0f - (q->add_a * (float)q->zp + q->add_b * 128.0f);
		q->add_res_b = o->tie ? 1 : 0;
		q->add_lo = o->clamp ? 128 : 0, q->add_hi = o->clamp == 2 ? 230 : 255;
	}
}

static void node_free(Node *nd)
{
	free(nd->bias), free(nd->wz), free(nd->mult), free(nd->res);
}

/* bias[n] with -x_zp * colsum + K * x_zp * w_zp folded in, as the compiler
 * folds it; w holds element (k, n) at w[k*rs + n*cs]. */
static void fold_bias(Node *nd, const int32_t *bias0, const int32_t *wz, const int8_t *w, ptrdiff_t rs, ptrdiff_t cs,
                      ptrdiff_t K, ptrdiff_t N, int x_zp)
{
	int32_t *cols = malloc((size_t)N * sizeof *cols);
	nd->bias = malloc((size_t)N * sizeof *nd->bias);
	qgemm_colsums(w, rs, cs, K, N, cols);
	for (ptrdiff_t n = 0; n < N; n++)
		nd->bias[n] = bias0[n] - x_zp * cols[n] + (int32_t)K * x_zp * (wz ? wz[n] : 0);
	nd->q.bias = nd->bias;
	if (wz) {
		nd->wz = malloc((size_t)N * sizeof *nd->wz);
		memcpy(nd->wz, wz, (size_t)N * sizeof *wz);
		nd->q.w_zp = nd->wz;
	}
	free(cols);
}

/* A bias as a model's: each column's sums (acc, rows x N, without bias)
 * centred on 0 (so outputs spread both ways around zp), plus a random
 * part; added to acc. */
static void centre_bias(int32_t *bias0, int64_t *acc, ptrdiff_t rows, ptrdiff_t N, unsigned *seed)
{
	for (ptrdiff_t n = 0; n < N; n++) {
		int64_t sum = 0;
		for (ptrdiff_t i = 0; i < rows; i++)
			sum += acc[i * N + n];
		bias0[n] = (int32_t)(-sum / (rows > 0 ? rows : 1) + (int64_t)(rng(seed) % 2001) - 1000);
		for (ptrdiff_t i = 0; i < rows; i++)
			acc[i * N + n] += bias0[n];
	}
}

static int outputs_in_range, outputs_all; /* how many reference outputs fell strictly inside the clamp */

/* y (rows x N, stride ldy, prefilled 0xA5) against the reference. */
static int same(const char *what, const char *var, ptrdiff_t rows, ptrdiff_t N, ptrdiff_t ldy, const uint8_t *y,
                const uint8_t *ref)
{
	for (ptrdiff_t i = 0; i < rows; i++)
		for (ptrdiff_t n = 0; n < ldy; n++) {
			const int want = n < N ? ref[i * N + n] : 0xA5;
			if (y[i * ldy + n] != want) {
				printf("\n%s %s: y[%td][%td] = %d, want %d%s\n", what, var, i, n, y[i * ldy + n], want,
				       n < N ? "" : " (past N: written outside the output)");
				return 0;
			}
		}
	return 1;
}

static void count_range(const O2cQuant *q, const uint8_t *ref, ptrdiff_t n)
{
	const int lo = q->res ? q->add_lo : q->lo, hi = q->res ? q->add_hi : q->hi;
	for (ptrdiff_t i = 0; i < n; i++)
		outputs_in_range += ref[i] > lo && ref[i] < hi;
	outputs_all += (int)n;
}

/* One GEMM case through every variant (on nth threads) and the dispatched
 * o2c_qgemm_u8s8; returns the number of mismatches. */
static int run_gemm(ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, const Opts *o, int nth, unsigned seed)
{
	const ptrdiff_t lda = K + (o->pad ? 5 : 0), ldy = N + (o->pad ? 7 : 0), ldr = N + (o->pad ? 3 : 0);
	const size_t asz = (size_t)((M - 1) * lda + K); /* no byte past the last row: a kernel must not read it */
	uint8_t *a = malloc(asz);
	int8_t *w = malloc((size_t)(K * N));
	int32_t *bias0 = malloc((size_t)N * sizeof *bias0), *wz = malloc((size_t)N * sizeof *wz);
	for (size_t i = 0; i < asz; i++) {
		const unsigned r = rng(&seed);
		a[i] = (uint8_t)(o->fill == 0 ? r : o->fill < 3 ? 255 : (r & 1) * 255);
	}
	for (ptrdiff_t i = 0; i < K * N; i++) {
		const unsigned r = rng(&seed);
		w[i] = (int8_t)(o->fill == 0   ? (int)(r % 256) - 128
		                : o->fill == 1 ? -128
		                : o->fill == 2 ? 127
		                : (r & 2)      ? 127
		                               : -128);
	}
	for (ptrdiff_t n = 0; n < N; n++) {
		wz[n] = o->wzp ? (int32_t)(rng(&seed) % 41) - 20 : 0;
	}
	/* the reference sums, in int64 from the model's terms */
	int64_t *acc = malloc((size_t)(M * N) * sizeof *acc);
	for (ptrdiff_t i = 0; i < M; i++)
		for (ptrdiff_t n = 0; n < N; n++) {
			int64_t s = 0;
			for (ptrdiff_t k = 0; k < K; k++)
				s += (int64_t)(a[i * lda + k] - o->x_zp) * (w[k * N + n] - wz[n]);
			acc[i * N + n] = s;
		}
	if (o->fill || o->tie)
		memset(bias0, 0, (size_t)N * sizeof *bias0);
	else
		centre_bias(bias0, acc, M, N, &seed);
	Node nd;
	node_init(&nd, o, N, acc, M * N, M, ldr, seed);
	fold_bias(&nd, bias0, o->wzp ? wz : NULL, w, N, 1, K, N, o->x_zp);
	uint8_t *ref = malloc((size_t)(M * N));
	int bad = 0;
	for (ptrdiff_t i = 0; i < M; i++)
		for (ptrdiff_t n = 0; n < N; n++) {
			if (acc[i * N + n] != (int32_t)acc[i * N + n]) {
				printf("\ncase M=%td N=%td K=%td: reference sum %lld is past int32\n", M, N, K,
				       (long long)acc[i * N + n]);
				bad++;
			}
			ref[i * N + n] =
			    o2c_q_requant1(&nd.q, n, (int32_t)acc[i * N + n], nd.res ? nd.res[i * ldr + n] : 0);
		}
	count_range(&nd.q, ref, M * N);
	int8_t *bp = malloc((size_t)pack_qgemm_bytes(K, N));
	pack_qgemm(bp, w, N, 1, K, N);
	uint8_t *y = malloc((size_t)(M * ldy)), *yg = malloc((size_t)(M * ldy));
	char what[160];
	snprintf(what, sizeof what,
	         "qgemm M=%td N=%td K=%td x_zp=%d per_ch=%d wzp=%d clamp=%d resid=%d pad=%d fill=%d tie=%d threads=%d",
	         M, N, K, o->x_zp, o->per_ch, o->wzp, o->clamp, o->resid, o->pad, o->fill, o->tie, nth);
	team_threads(nth);
	for (int v = 0; v <= NVAR; v++) {
		uint8_t *out = v == 0 ? yg : y;
		memset(out, 0xA5, (size_t)(M * ldy));
		const Variant *var = &variants[v < NVAR ? v : 0];
		if (v < NVAR)
			TEAM(o2c_qgemm_run(var->fn, var->mr, var->nr, M, N, K, a, lda, bp, &nd.q, out, ldy));
		else
			TEAM(o2c_qgemm_u8s8(M, N, K, a, lda, bp, &nd.q, out, ldy));
		const char *vn = v < NVAR ? var->name : "o2c_qgemm_u8s8";
		bad += !same(what, vn, M, N, ldy, out, ref);
		if (v > 0 && memcmp(y, yg, (size_t)(M * ldy))) { /* and the generic kernel, byte for byte */
			printf("\n%s %s: differs from 4x16_generic\n", what, vn);
			bad++;
		}
	}
	team_threads(0);
	node_free(&nd);
	free(a), free(w), free(bias0), free(wz), free(acc), free(ref), free(bp), free(y), free(yg);
	return bad;
}

/* The size grid, each size with a plain and a full set of options. */
static void test_gemm_grid(void)
{
	static const int Ms[] = {1, 2, 5, 17, 50}, Ns[] = {1, 3, 16, 17, 33, 100}, Ks[] = {1, 3, 4, 5, 27, 300, 1000};
	static const int zps[] = {0, 3, 128, 255};
	int bad = 0, runs = 0, c = 0;
	outputs_in_range = outputs_all = 0;
	for (int mi = 0; mi < 5; mi++)
		for (int ni = 0; ni < 6; ni++)
			for (int ki = 0; ki < 7; ki++, c++) {
				Opts plain = {zps[c % 4], 0, 0, 0, 0, 0, 0, 0};
				Opts full = {zps[(c + 1) % 4], 1, c % 2, 1 + c % 2, c % 3 != 0, c % 2, 0, 0};
				bad += run_gemm(Ms[mi], Ns[ni], Ks[ki], &plain, 1, 11u + (unsigned)c);
				bad += run_gemm(Ms[mi], Ns[ni], Ks[ki], &full, 1 + c % 3, 23u + (unsigned)c);
				runs += 2;
			}
	/* several row blocks (O2C_QGEMM_ABYTES of A each), alone and split by columns too */
	for (int nth = 1; nth <= 3; nth++) {
		Opts o = {128, 1, 1, 1, 1, 1, 0, 0};
		bad += run_gemm(700, 40, 300, &o, nth, 51u + (unsigned)nth);
		bad += run_gemm(75, 70, 4099, &o, nth, 61u + (unsigned)nth);
		runs += 2;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(runs, 5 * 6 * 7 * 2 + 6);
	/* the test means something only if the outputs are not all clamped */
	printf(" [%d of %d outputs inside the clamp] ", outputs_in_range, outputs_all);
	CU_ASSERT(outputs_in_range > outputs_all / 2);
}

/* Worst-case sums: int16 pair saturation (vpmaddubsw) or any int32 slip shows. */
static void test_gemm_extremes(void)
{
	int bad = 0;
	for (int fill = 1; fill <= 3; fill++) {
		Opts o = {0, fill == 3, 0, 0, 0, 0, fill, 0};
		bad += run_gemm(5, 33, 1000, &o, 1, 5u);
		bad += run_gemm(17, 17, 4099, &o, 2, 6u);
		bad += run_gemm(2, 20, 65536, &o, 1, 7u); /* the largest K: 255 * -128 * 65536 fits int32 */
		o.x_zp = 255, o.wzp = 1;
		bad += run_gemm(9, 40, 1001, &o, 2, 8u);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* mult 0.5: sums of both parities, so half the products are exact ties of
 * round-half-even; and a residual whose sum lands on ties too. */
static void test_gemm_ties(void)
{
	int bad = 0;
	for (int K = 1; K <= 5; K += 2) {
		Opts o = {3, 0, 0, 0, 0, 1, 0, 1};
		bad += run_gemm(17, 33, K, &o, 1, 31u + (unsigned)K);
		o.resid = 1, o.clamp = 1;
		bad += run_gemm(17, 33, K, &o, 2, 41u + (unsigned)K);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* pack_qgemm's layout, element by element, its zero padding, pack_qconv's
 * (ky, kx, c) order and the column sums, against the formulas of pack.h. */
static void test_pack(void)
{
	const ptrdiff_t K = 27, N = 17, Kp = 28, C = 3, KH = 3, KW = 3;
	int8_t w[27 * 17], wc[17 * 3 * 3 * 3];
	unsigned seed = 3;
	for (int i = 0; i < 27 * 17; i++)
		w[i] = (int8_t)(rng(&seed) % 255 - 127), wc[i] = (int8_t)(rng(&seed) % 255 - 127);
	const int64_t nb = pack_qgemm_bytes(K, N);
	CU_ASSERT_EQUAL(nb, 2 * Kp * 16);
	CU_ASSERT_EQUAL(pack_qconv_bytes(N, C, KH, KW), nb);
	int8_t *p = malloc((size_t)nb), *pc = malloc((size_t)nb), *pt = malloc((size_t)nb);
	memset(p, 0x55, (size_t)nb);
	pack_qgemm(p, w, 1, K, K, N); /* w read as [N][K]: element (k, j) at w[j*K + k] */
	int bad = 0, set = 0;
	for (ptrdiff_t j = 0; j < 32; j++)
		for (ptrdiff_t k = 0; k < Kp; k++) {
			const int8_t got = p[(j / 16) * Kp * 16 + (k / 4) * 64 + (j % 16) * 4 + k % 4];
			bad += got != (j < N && k < K ? w[j * K + k] : 0);
			set++;
		}
	CU_ASSERT_EQUAL(set, nb);
	/* pack_qconv = pack_qgemm of W reordered to K = (ky, kx, c) */
	int8_t wt[27 * 17];
	for (ptrdiff_t m = 0; m < N; m++)
		for (ptrdiff_t c = 0; c < C; c++)
			for (ptrdiff_t ky = 0; ky < KH; ky++)
				for (ptrdiff_t kx = 0; kx < KW; kx++)
					wt[((ky * KW + kx) * C + c) * N + m] = wc[((m * C + c) * KH + ky) * KW + kx];
	pack_qconv(pc, wc, N, C, KH, KW);
	pack_qgemm(pt, wt, N, 1, K, N);
	bad += memcmp(pc, pt, (size_t)nb) != 0;
	int32_t cs[17];
	qgemm_colsums(w, 1, K, K, N, cs);
	for (ptrdiff_t j = 0; j < N; j++) {
		int32_t s = 0;
		for (ptrdiff_t k = 0; k < K; k++)
			s += w[j * K + k];
		bad += cs[j] != s;
	}
	CU_ASSERT_EQUAL(bad, 0);
	free(p), free(pc), free(pt);
}

/* A conv: batch, image, channels, window, stride, dilation, pads (top,
 * left, bottom, right), and what the case varies. */
typedef struct ConvCase {
	int NB, H, W, C, M, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR;
	int ldx_pad, ldy_pad, y_off; /* X's pixel stride C + ldx_pad; Y's M + ldy_pad, written from channel y_off */
	int x_zp, wzp, clamp, resid;
} ConvCase;

static const ConvCase conv_cases[] = {
    /* 1x1 stride 1: the direct qgemm path, into a slice of a wider output */
    {1, 7, 9, 17, 33, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 11, 5, 3, 0, 1, 0},
    {2, 5, 3, 40, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 3, 0, 0, 128, 1, 0, 1},
    /* 1x1 stride 2: im2col gathers pixels */
    {2, 7, 9, 5, 17, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 255, 0, 1, 0},
    /* 3x3 pad 1 */
    {1, 9, 11, 5, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 4, 2, 3, 1, 2, 1},
    {1, 6, 6, 300, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 128, 0, 1, 0}, /* K = 2700 */
    /* 3x3 stride 2 pad 1, odd image, batch 2, X with a pixel stride > C */
    {2, 13, 7, 17, 33, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, 0, 0, 255, 1, 1, 0},
    /* asymmetric padding (TF SAME, stride 2, even image) */
    {1, 8, 8, 4, 24, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 0, 9, 9, 3, 0, 0, 1},
    /* 7x7 stride 2 pad 3, 3 channels (a stem) */
    {1, 23, 19, 3, 16, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 0, 0, 0, 128, 0, 1, 0},
    {1, 11, 17, 3, 5, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, 3, 0, 0, 1, 2, 1},
    /* 5x1 dilation 2 */
    {1, 15, 9, 6, 5, 5, 1, 1, 1, 2, 1, 4, 0, 4, 0, 0, 0, 0, 255, 1, 1, 0},
    /* 3x3 dilation 2 both ways, pad 2, and a pixel stride > C (the per-tap copy) */
    {1, 10, 11, 8, 20, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2, 1, 1, 3, 0, 1, 1},
    /* a larger image: several row blocks, each with its own im2col */
    {1, 40, 37, 16, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 3, 1, 1, 1},
    {1, 9, 9, 1024, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 128, 0, 0, 0}, /* K = 9216: a few rows per block */
    /* a window larger than the image */
    {1, 3, 2, 5, 9, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 128, 0, 0, 0},
};

/* One conv case through every variant and o2c_qconv_nhwc; mismatches. */
static int run_conv(const ConvCase *cc, unsigned seed)
{
	const int C = cc->C, M = cc->M, KH = cc->KH, KW = cc->KW;
	const int OH = (cc->H + cc->PT + cc->PB - cc->DH * (KH - 1) - 1) / cc->SH + 1;
	const int OW = (cc->W + cc->PL + cc->PR - cc->DW * (KW - 1) - 1) / cc->SW + 1;
	const ptrdiff_t ldx = C + cc->ldx_pad, ldy = M + cc->ldy_pad, P = (ptrdiff_t)cc->NB * OH * OW,
	                K = (ptrdiff_t)KH * KW * C;
	const ptrdiff_t xsz = (ptrdiff_t)cc->NB * cc->H * cc->W * ldx;
	uint8_t *x = malloc((size_t)xsz);
	int8_t *w = malloc((size_t)(M * K));
	int32_t *bias0 = malloc((size_t)M * sizeof *bias0), *wz = malloc((size_t)M * sizeof *wz);
	for (ptrdiff_t i = 0; i < xsz; i++)
		x[i] = (uint8_t)(i % 11 == 0 ? 255 : i % 13 == 0 ? 0 : rng(&seed));
	for (ptrdiff_t i = 0; i < M * K; i++)
		w[i] = (int8_t)(i % 17 == 0 ? -128 : i % 19 == 0 ? 127 : (int)(rng(&seed) % 256) - 128);
	for (int m = 0; m < M; m++)
		wz[m] = cc->wzp ? (int32_t)(rng(&seed) % 41) - 20 : 0;
	/* the direct loop: padding taps contribute nothing */
	int64_t *acc = malloc((size_t)(P * M) * sizeof *acc);
	for (ptrdiff_t p = 0; p < P; p++) {
		const int b = (int)(p / (OH * OW)), oy = (int)(p % (OH * OW) / OW), ox = (int)(p % OW);
		for (int m = 0; m < M; m++) {
			int64_t s = 0;
			for (int ky = 0; ky < KH; ky++)
				for (int kx = 0; kx < KW; kx++) {
					const int iy = oy * cc->SH + ky * cc->DH - cc->PT,
					          ix = ox * cc->SW + kx * cc->DW - cc->PL;
					if (iy < 0 || iy >= cc->H || ix < 0 || ix >= cc->W)
						continue;
					for (int c = 0; c < C; c++)
						s += (int64_t)(x[(((ptrdiff_t)b * cc->H + iy) * cc->W + ix) * ldx + c] -
						               cc->x_zp) *
						     (w[(((ptrdiff_t)m * C + c) * KH + ky) * KW + kx] - wz[m]);
				}
			acc[p * M + m] = s;
		}
	}
	centre_bias(bias0, acc, P, M, &seed);
	Opts o = {cc->x_zp, 1, cc->wzp, cc->clamp, cc->resid, 0, 0, 0};
	Node nd;
	node_init(&nd, &o, M, acc, P * M, P, M + 2, seed);
	fold_bias(&nd, bias0, cc->wzp ? wz : NULL, w, 1, K, K, M, cc->x_zp);
	uint8_t *ref = malloc((size_t)(P * M));
	for (ptrdiff_t p = 0; p < P; p++)
		for (int m = 0; m < M; m++)
			ref[p * M + m] =
			    o2c_q_requant1(&nd.q, m, (int32_t)acc[p * M + m], nd.res ? nd.res[p * (M + 2) + m] : 0);
	count_range(&nd.q, ref, P * M);
	int8_t *wp = malloc((size_t)pack_qconv_bytes(M, C, KH, KW));
	pack_qconv(wp, w, M, C, KH, KW);
	/* Y is [P][ldy]; the conv writes channels [y_off, y_off + M): compare that window, and the rest untouched */
	uint8_t *y = malloc((size_t)(P * ldy)), *yw = malloc((size_t)(P * ldy));
	char what[200];
	snprintf(what, sizeof what,
	         "qconv NB=%d %dx%dx%d -> M=%d %dx%d k=%dx%d s=%d,%d d=%d,%d pads=%d,%d,%d,%d x_zp=%d", cc->NB, cc->H,
	         cc->W, C, M, OH, OW, KH, KW, cc->SH, cc->SW, cc->DH, cc->DW, cc->PT, cc->PL, cc->PB, cc->PR, cc->x_zp);
	int bad = 0;
	for (int v = 0; v <= NVAR; v++) {
		memset(y, 0xA5, (size_t)(P * ldy));
		const Variant *var = &variants[v < NVAR ? v : 0];
		team_threads(1 + (v + (int)seed) % 3);
		if (v < NVAR)
			TEAM(o2c_qconv_nhwc_run(var->fn, var->mr, var->nr, x, ldx, cc->x_zp, wp, &nd.q, y + cc->y_off,
			                        ldy, cc->NB, cc->H, cc->W, C, M, OH, OW, KH, KW, cc->SH, cc->SW, cc->DH,
			                        cc->DW, cc->PT, cc->PL));
		else
			TEAM(o2c_qconv_nhwc(x, ldx, cc->x_zp, wp, &nd.q, y + cc->y_off, ldy, cc->NB, cc->H, cc->W, C, M,
			                    OH, OW, KH, KW, cc->SH, cc->SW, cc->DH, cc->DW, cc->PT, cc->PL));
		for (ptrdiff_t i = 0; i < P * ldy; i++) /* the window shifted back to [P][M] */
			yw[i] = 0xA5;
		for (ptrdiff_t p = 0; p < P; p++)
			for (ptrdiff_t n = 0; n < ldy; n++) {
				const ptrdiff_t c = n - cc->y_off;
				if (c >= 0 && c < M)
					yw[p * M + c] = y[p * ldy + n];
				else if (y[p * ldy + n] != 0xA5) {
					printf("\n%s %s: wrote y[%td][%td], outside its channels\n", what,
					       v < NVAR ? var->name : "o2c_qconv_nhwc", p, n);
					bad++;
				}
			}
		bad += !same(what, v < NVAR ? var->name : "o2c_qconv_nhwc", P, M, M, yw, ref);
	}
	team_threads(0);
	node_free(&nd);
	free(x), free(w), free(bias0), free(wz), free(acc), free(ref), free(wp), free(y), free(yw);
	return bad;
}

static void test_conv(void)
{
	const int n = (int)(sizeof conv_cases / sizeof conv_cases[0]);
	int bad = 0;
	outputs_in_range = outputs_all = 0;
	for (int i = 0; i < n; i++)
		bad += run_conv(&conv_cases[i], 100u + (unsigned)i);
	CU_ASSERT_EQUAL(bad, 0);
	printf(" [%d of %d outputs inside the clamp] ", outputs_in_range, outputs_all);
	CU_ASSERT(outputs_in_range > outputs_all / 3); /* Relu and Clip cases clamp about half */
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("qgemm", NULL, NULL);
	printf("variants:");
	for (int v = 0; v < NVAR; v++)
		printf(" %s", variants[v].name);
	printf("\n");
	CU_add_test(s, "pack layout and column sums", test_pack);
	CU_add_test(s, "qgemm size grid", test_gemm_grid);
	CU_add_test(s, "qgemm worst-case sums", test_gemm_extremes);
	CU_add_test(s, "qgemm rounding ties", test_gemm_ties);
	CU_add_test(s, "qconv against a direct NHWC loop", test_conv);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
