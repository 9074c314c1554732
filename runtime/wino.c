/*
 * wino.c - the training runtime's 3x3 stride-1 convolutions by Winograd
 * F(2x2, 3x3) (Lavin & Gray), on channel-major ("CN") activations: the
 * forward, the input gradient (conv.c calls the forward with the flipped,
 * transposed kernel) and the weight gradient.  Each 2x2 output tile costs 16
 * multiplies per channel pair instead of 36, so the three products of a
 * training step over a 3x3 conv cost 2.25x fewer flops.
 *
 * The forward is the inference kernel family's own (templates/conv/wino.c,
 * included here: its input transform o2c_wino2_in, and o2c_wino2_out, whose
 * products run conv/direct.c's microkernel, then transform back), driven
 * over the whole batch: a group of up to O2C_CONV_NR tiles may span samples,
 * which only the tile map (batch_map) knows, and a CN channel is one plane
 * of N*OH rows to the output side.  The weights are transformed at every
 * call (they change every step) into the layout compiler/pack's
 * pack_conv_wino makes for inference, U[xi][b][c][MR] = (G g G^T)[xi], in
 * float with the separable two-pass form (pack_conv_wino computes each
 * position's 9-term sum in double: right once at compile time, too slow per
 * step).  The transforms:
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   A^T = [1 1 1 0; 0 1 -1 -1]
 *   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 * The weight gradient: the forward is linear in U, so with V[xi][c][t] the
 * input transform of tile t (o2c_wino2_in again) and D[xi][m][t] = (A dy_t
 * A^T)[xi] (dy_t the tile's 2x2 output gradient, zero past the output),
 *   dU[xi][m][c] = sum_t D[xi][m][t] V[xi][c][t]   (16 products, rt_sgemm)
 *   dW[m][c] += G^T dU[m][c] G.
 * Those products run on the runtime's GEMM (gemm.c), not the inference
 * microkernel: their inner dimension is the tiles, and neither operand is
 * laid out as the microkernel reads its panels.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "onnx2c_rt.h"
#include "rt_gemm.h"
#include "rt_internal.h"

/* The inference templates (static functions: no symbol meets the generated trainer's own copies). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "common.c"
/* the products' sums blocked by 128 channels, as conv/direct.c's (O2C_SUM_KB), not by the 32 the
 * inference's F(4x4) needs: a microkernel call then stores its accumulators every 128 FMAs */
#ifndef O2C_WINO_KB
#define O2C_WINO_KB 128
#endif
#include "blocking.h"
#include "act.c" /* conv/ref.c and conv/direct.c apply activations per stored tile */
#include "conv/shared.c"
#include "conv/ref.c"
#include "conv/direct.c"
#include "conv/wino.c"
#pragma GCC diagnostic pop

enum { WS_V = RT_WS_WINO, WS_M, WS_U };
enum { MR = O2C_CONV_MR, TGMAX = O2C_CONV_NR, MAX_THREADS = 64 };

static long g_cap = 1L << 22; /* floats of V or M per chunk of samples (16 MB) */
static int g_wino = RT_WINO_AUTO;

long rt_wino_chunk(long floats)
{
	const long old = g_cap;
	g_cap = floats;
	return old;
}

int rt_wino_select(int mode)
{
	const int old = g_wino;
	g_wino = mode;
	return old;
}

int rt_wino_use(const RtConv *g)
{
	if (g_wino == RT_WINO_OFF || g->KH != 3 || g->KW != 3 || g->SH != 1 || g->SW != 1 || g->DH != 1 || g->DW != 1 ||
	    g->OH != g->H || g->OW != g->W)
		return 0;
	/* Few channels: the transforms and their gathers cost as much as the products save (the
	 * fashion model's 64-channel 7x7 block ran 8.0 -> 9.5 ms a step with Winograd; resnet18's
	 * 256- and 512-channel layer4 at 4x4 gains).  Images below 3x3 (one tile, most of its patch
	 * padding; resnet18's layer4 at 64x64) are left to the GEMM, whose rounding there is
	 * smaller: F(2x2)'s errors scale with a tile's largest values, and the unfrozen test's
	 * resnet18_bn case sits on a tie that moves its 10-step parameters by 3e-2 when the input
	 * gradient of those 2x2 convs moves by 1e-6 of its largest value (noise of that size added
	 * to the GEMM's result does the same): measured, not a Winograd error. */
	return g_wino == RT_WINO_FORCE ||
	       (g->C / g->G >= 128 && g->M / g->G >= 128 && g->H >= 3 && g->W >= 3);
}

/* Samples per chunk: V[16][C][T] and M[16][Mc][T] within g_cap floats (at least one sample). */
static int chunk_samples(const RtConv *g, int tiles)
{
	const int Cg = g->C / g->G, Mg = g->M / g->G, wide = Cg > Mg ? Cg : Mg;
	const long per = 16L * wide * tiles;
	long nn = g_cap / per;
	return nn < 1 ? 1 : nn > g->N ? g->N : (int)nn;
}

/* The map of o2c_wino2_in/out for tiles [t0, t0+nt) of a batch of samples (tile t: sample
 * t / (TH*TW), then raster order), offsets from the channel's sample 0; columns past nt read
 * padding.  Input pixels of a channel are n*H*W + iy*W + ix, outputs n*OH*OW + oy*OW + ox. */
static void batch_map(O2cWino2Map *mp, int t0, int nt, int TG, const RtConv *g)
{
	const int TH = (g->OH + 1) / 2, TW = (g->OW + 1) / 2, TT = TH * TW;
	for (int j = 0; j < TG; j++) {
		const int t = t0 + (j < nt ? j : 0), n = t / TT, ty = t % TT / TW, tx = t % TW;
		for (int e = 0; e < 16; e++) {
			const int iy = 2 * ty - g->PH + e / 4, ix = 2 * tx - g->PW + e % 4;
			mp->ioff[e][j] = j < nt && iy >= 0 && iy < g->H && ix >= 0 && ix < g->W ? (n * g->H + iy) * g->W + ix : -1;
		}
		mp->ooff[j] = (n * g->OH + 2 * ty) * g->OW + 2 * tx;
		mp->oh2[j] = 2 * ty + 1 < g->OH;
		mp->ow2[j] = 2 * tx + 1 < g->OW;
	}
}

/* MR floats as one vector (GCC/clang vector extension: AVX registers when the target has them,
 * pairs of SSE or scalar code otherwise). */
typedef float VecMR __attribute__((vector_size(MR * sizeof(float))));

/* U[xi][b][c][MR] = (G g G^T)[xi] for g = w[b*MR + r][c] (zero past M): pack_conv_wino's layout
 * with mv = O2C_CONV_MR, the one o2c_wino2_out reads.  flip: w is the kernel of the conv whose
 * input gradient this is, [C][M][3][3], and g the flipped, transposed one (g[m][c] is w[c][m]
 * rotated by 180 degrees).  The MR kernels of a block are gathered into vectors over r, so the
 * arithmetic and the stores run MR at a time. */
static void weight_transform(float *U, const float *w, int M, int C, int flip)
{
	const size_t sm = flip ? 9 : (size_t)C * 9, sc = flip ? (size_t)M * 9 : 9; /* strides of g[m][c] */
	const int nb = (M + MR - 1) / MR;
	const size_t us = (size_t)nb * C * MR; /* one position further */
	RT_OMP(parallel for schedule(static) if((double)M * C * 16 > RT_PAR_MIN))
	for (int b = 0; b < nb; b++)
		for (int c = 0; c < C; c++) {
			VecMR g[9], q[4][3];
			for (int k = 0; k < 9; k++)
				for (int r = 0; r < MR; r++) {
					const int m = b * MR + r;
					g[k][r] = m < M ? w[m * sm + c * sc + (flip ? 8 - k : k)] : 0.0f;
				}
			for (int k = 0; k < 3; k++) { /* G g: rows */
				q[0][k] = g[k];
				q[1][k] = 0.5f * (g[k] + g[3 + k] + g[6 + k]);
				q[2][k] = 0.5f * (g[k] - g[3 + k] + g[6 + k]);
				q[3][k] = g[6 + k];
			}
			float *u = U + ((size_t)b * C + c) * MR;
			for (int i = 0; i < 4; i++) { /* (G g) G^T: columns */
				const VecMR v[4] = { q[i][0], 0.5f * (q[i][0] + q[i][1] + q[i][2]),
					                 0.5f * (q[i][0] - q[i][1] + q[i][2]), q[i][2] };
				for (int k = 0; k < 4; k++)
					memcpy(u + (i * 4 + k) * us, &v[k], sizeof v[k]);
			}
		}
}

/* The 16 products P[xi] (+)= A[xi] . B[xi] (P[xi] row-major, row stride ldp), one per position,
 * the positions split over the threads (each product then serial on its thread, on its own
 * packing buffers: 16 products of a few hundred rows and columns keep two threads busy). */
static int products(int M, int N, int K, const float *A, ptrdiff_t rsa, ptrdiff_t csa, size_t as, const float *B,
                    ptrdiff_t rsb, ptrdiff_t csb, size_t bs, float *P, ptrdiff_t ldp, size_t ps, int acc)
{
	if (rt_sgemm_reserve())
		return -1;
	int fail = 0;
	RT_OMP(parallel for schedule(dynamic, 1) reduction(| : fail) if((double)M * N * K * 16 > 1e6))
	for (int xi = 0; xi < 16; xi++)
		fail |= rt_sgemm(M, N, K, A + xi * as, rsa, csa, B + xi * bs, rsb, csb, P + xi * ps, ldp, acc) != 0;
	return fail ? -1 : 0;
}

/* Each thread's transformed input for o2c_wino2_in/out, kept between calls. */
static float *g_v[MAX_THREADS];
static size_t g_v_cap[MAX_THREADS];

static int thread_buffers(int nt, size_t n)
{
	for (int t = 0; t < nt; t++)
		if (g_v_cap[t] < n) {
			free(g_v[t]);
			g_v[t] = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
			g_v_cap[t] = g_v[t] ? n : 0;
			if (!g_v[t])
				return -1;
		}
	return 0;
}

int rt_wino_forward(float *out, const float *inp, const float *weight, const float *bias, const RtConv *g, int acc,
                    int flip)
{
	const int Cg = g->C / g->G, Mg = g->M / g->G, nb = (Mg + MR - 1) / MR;
	const int T = g->N * ((g->OH + 1) / 2) * ((g->OW + 1) / 2);
	const size_t xs = (size_t)g->N * g->H * g->W, ys = (size_t)g->N * g->OH * g->OW; /* channel strides */
	int nthr = 1;
#ifdef _OPENMP
	nthr = omp_in_parallel() ? 1 : omp_get_max_threads();
#endif
	nthr = nthr > MAX_THREADS ? MAX_THREADS : nthr;
	/* groups of up to TGMAX tiles, as many as a multiple of the threads, of equal size (the
	 * microkernel costs the same for 43 tiles as for 48); a group's output channels are split
	 * too when there are too few groups to keep the threads busy (each split repeats the
	 * group's input transform) */
	int ngr = (T + TGMAX - 1) / TGMAX;
	if (ngr >= nthr)
		ngr = (ngr + nthr - 1) / nthr * nthr;
	const int TG = (T + ngr - 1) / ngr;
	ngr = (T + TG - 1) / TG;
	int nmg = ngr >= 2 * nthr ? 1 : (2 * nthr + ngr - 1) / ngr;
	nmg = nmg > nb ? nb : nmg;
	const int bpg = (nb + nmg - 1) / nmg;
	float *U = rt_workspace(WS_U, (size_t)16 * nb * Cg * MR);
	if (!U || thread_buffers(nthr, 16 * o2c_wino_vs(Cg, TG) + O2C_WINO_VPAD(16)))
		return -1;
	for (int grp = 0; grp < g->G; grp++) {
		const float *x = inp + (size_t)grp * Cg * xs, *bg = bias ? bias + (size_t)grp * Mg : NULL;
		float *y = out + (size_t)grp * Mg * ys;
		weight_transform(U, weight + (size_t)grp * Mg * Cg * 9, Mg, Cg, flip);
		RT_OMP(parallel for schedule(dynamic, 1) num_threads(nthr))
		for (int it = 0; it < ngr * nmg; it++) {
			int t = 0;
#ifdef _OPENMP
			t = omp_get_thread_num();
#endif
			const int t0 = it / nmg * TG, nt = T - t0 < TG ? T - t0 : TG;
			const int b0 = it % nmg * bpg, b1 = b0 + bpg < nb ? b0 + bpg : nb;
			if (b0 >= b1)
				continue;
			O2cWino2Map mp;
			batch_map(&mp, t0, nt, TG, g);
			o2c_wino2_in(x, g_v[t], TG, Cg, 0, Cg, (int)xs, TG, &mp);
			/* the output as one plane of N*OH rows per channel; acc: the output is its own residual */
			o2c_wino2_out(g_v[t], U, bg, acc ? y : NULL, y, 0, Cg, Mg, g->N * g->OH, g->OW, TG, nt, &mp, b0, b1,
			              -INFINITY, INFINITY, O2C_CONV_DIRECT_UKERNEL);
		}
	}
	return 0;
}

/* V[xi][c][t] for the T tiles of a chunk of samples (x: its first sample of channel 0; channel c
 * at x + c*cs), rows of T floats, positions o2c_wino_vs(C, T) apart: o2c_wino2_in over groups of
 * TGMAX tiles, the groups split over the threads. */
static void input_flat(float *V, const float *x, int cs, int C, int T, const RtConv *g)
{
	const int ngr = (T + TGMAX - 1) / TGMAX;
	RT_OMP(parallel for schedule(dynamic, 1) if((double)C * T * 16 > RT_PAR_MIN))
	for (int k = 0; k < ngr; k++) {
		const int t0 = k * TGMAX, nt = T - t0 < TGMAX ? T - t0 : TGMAX;
		O2cWino2Map mp;
		batch_map(&mp, t0, nt, nt, g);
		o2c_wino2_in(x, V + t0, T, C, 0, C, cs, nt, &mp);
	}
}

/* D[xi][m][t] = (A dy_t A^T)[xi] for the 2x2 output tiles dy_t of channels m < Mg (zero past the output). */
static void grad_transform(float *D, const float *dy, size_t ms, int Mg, int n0, int nn, const RtConv *g)
{
	const int TH = (g->OH + 1) / 2, TW = (g->OW + 1) / 2, OH = g->OH, OW = g->OW;
	const size_t T = (size_t)nn * TH * TW, ds = (size_t)Mg * T;
	RT_OMP(parallel for schedule(static) if((double)Mg * T * 16 > RT_PAR_MIN))
	for (int m = 0; m < Mg; m++) {
		float *dm = D + (size_t)m * T;
		for (int n = 0; n < nn; n++) {
			const float *y = dy + (size_t)m * ms + (size_t)(n0 + n) * OH * OW;
			for (int ty = 0; ty < TH; ty++)
				for (int tx = 0; tx < TW; tx++) {
					float e[2][2], b[4][2];
					for (int i = 0; i < 2; i++)
						for (int k = 0; k < 2; k++)
							e[i][k] = 2 * ty + i < OH && 2 * tx + k < OW ? y[(2 * ty + i) * OW + 2 * tx + k] : 0.0f;
					for (int k = 0; k < 2; k++) { /* A e: rows */
						b[0][k] = e[0][k];
						b[1][k] = e[0][k] + e[1][k];
						b[2][k] = e[0][k] - e[1][k];
						b[3][k] = -e[1][k];
					}
					const size_t t = ((size_t)n * TH + ty) * TW + tx;
					for (int i = 0; i < 4; i++) { /* (A e) A^T: columns */
						dm[(i * 4 + 0) * ds + t] = b[i][0];
						dm[(i * 4 + 1) * ds + t] = b[i][0] + b[i][1];
						dm[(i * 4 + 2) * ds + t] = b[i][0] - b[i][1];
						dm[(i * 4 + 3) * ds + t] = -b[i][1];
					}
				}
		}
	}
}

/* dw[m][c] += G^T dU[m][c] G for the M x C kernels, dU[xi][m][c]: MR channels c at a time. */
static void weight_grad_out(float *dw, const float *dU, int M, int C)
{
	const size_t us = (size_t)M * C;
	RT_OMP(parallel for schedule(static) if((double)M * C * 16 > RT_PAR_MIN))
	for (int m = 0; m < M; m++)
		for (int c0 = 0; c0 < C; c0 += MR) {
			const int nc = C - c0 < MR ? C - c0 : MR;
			VecMR u[16], h[3][4];
			for (int xi = 0; xi < 16; xi++) {
				memset(&u[xi], 0, sizeof u[xi]);
				memcpy(&u[xi], dU + xi * us + (size_t)m * C + c0, (size_t)nc * sizeof(float));
			}
			for (int k = 0; k < 4; k++) { /* G^T u: rows */
				h[0][k] = u[k] + 0.5f * (u[4 + k] + u[8 + k]);
				h[1][k] = 0.5f * (u[4 + k] - u[8 + k]);
				h[2][k] = 0.5f * (u[4 + k] + u[8 + k]) + u[12 + k];
			}
			VecMR o[9];
			for (int i = 0; i < 3; i++) { /* (G^T u) G: columns */
				o[i * 3 + 0] = h[i][0] + 0.5f * (h[i][1] + h[i][2]);
				o[i * 3 + 1] = 0.5f * (h[i][1] - h[i][2]);
				o[i * 3 + 2] = 0.5f * (h[i][1] + h[i][2]) + h[i][3];
			}
			float *g = dw + ((size_t)m * C + c0) * 9;
			for (int r = 0; r < nc; r++)
				for (int k = 0; k < 9; k++)
					g[r * 9 + k] += o[k][r];
		}
}

int rt_wino_dweight(float *dweight, const float *dout, const float *inp, const RtConv *g)
{
	const int Cg = g->C / g->G, Mg = g->M / g->G, TH = (g->OH + 1) / 2, TW = (g->OW + 1) / 2;
	const int nn = chunk_samples(g, TH * TW);
	const size_t T = (size_t)nn * TH * TW;
	const size_t xs = (size_t)g->N * g->H * g->W, ys = (size_t)g->N * g->OH * g->OW;
	float *dU = rt_workspace(WS_U, (size_t)16 * Mg * Cg), *V = rt_workspace(WS_V, 16 * o2c_wino_vs(Cg, (int)T));
	float *D = rt_workspace(WS_M, 16 * Mg * T);
	if (!dU || !V || !D)
		return -1;
	for (int grp = 0; grp < g->G; grp++) {
		for (int n0 = 0; n0 < g->N; n0 += nn) {
			const int nc = g->N - n0 < nn ? g->N - n0 : nn;
			const size_t Tc = (size_t)nc * TH * TW;
			input_flat(V, inp + (size_t)grp * Cg * xs + (size_t)n0 * g->H * g->W, (int)xs, Cg, (int)Tc, g);
			grad_transform(D, dout + (size_t)grp * Mg * ys, ys, Mg, n0, nc, g);
			/* dU[xi] (Mg x Cg) (+)= D[xi] (Mg x Tc) . V[xi]^T (Tc x Cg) */
			if (products(Mg, Cg, (int)Tc, D, (ptrdiff_t)Tc, 1, (size_t)Mg * Tc, V, 1, (ptrdiff_t)Tc, o2c_wino_vs(Cg, (int)Tc),
			             dU, Cg, (size_t)Mg * Cg, n0 > 0))
				return -1;
		}
		weight_grad_out(dweight + (size_t)grp * Mg * Cg * 9, dU, Mg, Cg);
	}
	return 0;
}
