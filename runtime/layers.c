/*
 * layers.c - forward/backward pairs for what a trainable head or an unfrozen
 * ResNet/Inception block needs: linear, conv2d (stride, pad, dilation,
 * groups), frozen BatchNorm, ReLU, residual add, channel concat, max/average/
 * global pooling.  NCHW float32, portable C.
 *
 * Conventions (llm.c): outputs first, shapes in comments, forward stores what
 * backward needs (maxpool's argmax; ReLU reads its output), backward
 * ACCUMULATES with += so a tensor used twice (a residual branch) gets both
 * contributions.  Every parallel loop is split so each thread owns the
 * gradient elements it writes: no atomics, results independent of the thread
 * count.  Convolutions are lowered to matrix products over the whole batch
 * (im2col + rt_sgemm, gemm.c: packed, register-blocked, SIMD where the build
 * allows, portable C otherwise); the other layers are direct loops.
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

/* ------------------------------------------------------------------ linear */

void rt_linear_forward(float *out, const float *inp, const float *weight, const float *bias, int B, int C, int OC)
{
	/* out[B,OC], inp[B,C], weight[OC,C], bias[OC] */
	RT_OMP(parallel for collapse(2) schedule(static))
	for (int b = 0; b < B; b++)
		for (int o = 0; o < OC; o++) {
			const float *x = inp + (size_t)b * C, *w = weight + (size_t)o * C;
			float acc = bias ? bias[o] : 0.0f;
			for (int c = 0; c < C; c++)
				acc += x[c] * w[c];
			out[(size_t)b * OC + o] = acc;
		}
}

void rt_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                        const float *weight, int B, int C, int OC)
{
	/* dinp[B,C], dweight[OC,C], dbias[OC], dout[B,OC], inp[B,C], weight[OC,C] */
	if (dinp) {
		RT_OMP(parallel for schedule(static)) /* each thread owns rows b of dinp */
		for (int b = 0; b < B; b++) {
			float *dx = dinp + (size_t)b * C;
			for (int o = 0; o < OC; o++) {
				const float d = dout[(size_t)b * OC + o], *w = weight + (size_t)o * C;
				for (int c = 0; c < C; c++)
					dx[c] += d * w[c];
			}
		}
	}
	if (dweight || dbias) {
		RT_OMP(parallel for schedule(static)) /* each thread owns rows o of dweight and dbias */
		for (int o = 0; o < OC; o++) {
			for (int b = 0; b < B; b++) {
				const float d = dout[(size_t)b * OC + o];
				if (dweight) {
					float *dw = dweight + (size_t)o * C;
					const float *x = inp + (size_t)b * C;
					for (int c = 0; c < C; c++)
						dw[c] += d * x[c];
				}
				if (dbias)
					dbias[o] += d;
			}
		}
	}
}

/* ------------------------------------------------------------------ conv2d */

int rt_out_size(int in, int k, int stride, int pad_begin, int pad_end, int dil)
{
	return (in + pad_begin + pad_end - dil * (k - 1) - 1) / stride + 1;
}

/* The output positions o in [0, n_out) whose input o*s + off lies in [0, n_in): [*lo, *hi). */
static void valid_range(int n_out, int n_in, int s, int off, int *lo, int *hi)
{
	int a = off >= 0 ? 0 : (-off + s - 1) / s;
	int b = n_in - 1 - off < 0 ? 0 : (n_in - 1 - off) / s + 1;
	*lo = a < n_out ? a : n_out;
	*hi = b < n_out ? b : n_out;
	if (*hi < *lo)
		*hi = *lo;
}

/* The lowering to matrix products, over the whole batch at once: for group grp, col[k][n*P + p]
 * (K = Cg*KH*KW rows, N*P columns) holds the input pixel of sample n that weight k multiplies
 * for output pixel p, 0 in the padding.  Then out = W . col, dW += dout . col^T and
 * dcol = W^T . dout (scattered back to dinp), each ONE product with N*P columns (so the
 * microkernel's tiles are full; per sample there would be only P of them).  dout is first
 * gathered into the same [Mg][N*P] layout.  The buffers are rt_workspace slots kept between
 * calls, so the conv functions are not reentrant (one trainer per process). */
enum { WS_COL, WS_DOUT, WS_Y, WS_DCOL };

/* col[., n*P ...] (row stride ldcol) for sample x: rows c*KH*KW + kh*KW + kw of channels c0.. */
static void im2col(float *col, size_t ldcol, const float *x, const RtConv *g, int c0)
{
	/* col[Cg*KH*KW, ldcol], x[one sample][C,H,W] */
	const int Cg = g->C / g->G;
	for (int c = 0; c < Cg; c++)
		for (int kh = 0; kh < g->KH; kh++)
			for (int kw = 0; kw < g->KW; kw++) {
				float *row = col + (size_t)((c * g->KH + kh) * g->KW + kw) * ldcol;
				const float *xc = x + (size_t)(c0 + c) * g->H * g->W;
				int oh0, oh1, ow0, ow1;
				valid_range(g->OH, g->H, g->SH, kh * g->DH - g->PH, &oh0, &oh1);
				valid_range(g->OW, g->W, g->SW, kw * g->DW - g->PW, &ow0, &ow1);
				for (int oh = 0; oh < g->OH; oh++) {
					float *r = row + (size_t)oh * g->OW;
					if (oh < oh0 || oh >= oh1) {
						memset(r, 0, (size_t)g->OW * sizeof *r);
						continue;
					}
					const float *xr = xc + (size_t)(oh * g->SH + kh * g->DH - g->PH) * g->W + kw * g->DW - g->PW;
					for (int ow = 0; ow < ow0; ow++)
						r[ow] = 0.0f;
					if (g->SW == 1)
						memcpy(r + ow0, xr + ow0, (size_t)(ow1 - ow0) * sizeof *r);
					else
						for (int ow = ow0; ow < ow1; ow++)
							r[ow] = xr[ow * g->SW];
					for (int ow = ow1; ow < g->OW; ow++)
						r[ow] = 0.0f;
				}
			}
}

/* dx[c0 .. c0+Cg planes of one sample] += the columns of dcol (row stride ldcol): the adjoint of im2col. */
static void col2im_add(float *dx, const float *dcol, size_t ldcol, const RtConv *g, int c0)
{
	const int Cg = g->C / g->G;
	for (int c = 0; c < Cg; c++)
		for (int kh = 0; kh < g->KH; kh++)
			for (int kw = 0; kw < g->KW; kw++) {
				const float *row = dcol + (size_t)((c * g->KH + kh) * g->KW + kw) * ldcol;
				float *xc = dx + (size_t)(c0 + c) * g->H * g->W;
				int oh0, oh1, ow0, ow1;
				valid_range(g->OH, g->H, g->SH, kh * g->DH - g->PH, &oh0, &oh1);
				valid_range(g->OW, g->W, g->SW, kw * g->DW - g->PW, &ow0, &ow1);
				for (int oh = oh0; oh < oh1; oh++) {
					float *xr = xc + (size_t)(oh * g->SH + kh * g->DH - g->PH) * g->W + kw * g->DW - g->PW;
					const float *r = row + (size_t)oh * g->OW;
					for (int ow = ow0; ow < ow1; ow++)
						xr[ow * g->SW] += r[ow];
				}
			}
}

/* This thread's share [*lo, *hi) of n items, cut at multiples of `align` (the whole range
 * outside a parallel region).  Shares depend on the thread count, results do not: every
 * output element is computed by the same sequence of operations whichever thread owns it. */
static void thread_share(int n, int align, int *lo, int *hi)
{
	int t = 0, nt = 1;
#ifdef _OPENMP
	t = omp_get_thread_num();
	nt = omp_get_num_threads();
#endif
	const long units = (n + align - 1) / align;
	const long a = units * t / nt * align, b = units * (t + 1) / nt * align;
	*lo = (int)(a < n ? a : n);
	*hi = (int)(b < n ? b : n);
}

/* Threads for a conv only when it is worth a fork: about a million multiply-adds. */
#define CONV_PARALLEL(macs) ((double)(macs) > 1e6)

size_t rt_conv2d_cols(const RtConv *g)
{
	return (size_t)g->C * g->KH * g->KW * (size_t)g->N * g->OH * g->OW;
}

int rt_conv2d_forward(float *out, const float *inp, const float *weight, const float *bias, const RtConv *g)
{
	return rt_conv2d_forward_keep(out, inp, weight, bias, g, NULL);
}

int rt_conv2d_forward_keep(float *out, const float *inp, const float *weight, const float *bias, const RtConv *g,
                           float *cols)
{
	/* out[N,M,OH,OW], inp[N,C,H,W], weight[M,C/G,KH,KW], bias[M]; cols: NULL, or [G][K][N*P] to keep */
	const int Cg = g->C / g->G, Mg = g->M / g->G, K = Cg * g->KH * g->KW, P = g->OH * g->OW, NP = g->N * P;
	float *col0 = cols ? cols : rt_workspace(WS_COL, (size_t)K * NP), *col = col0;
	float *y = rt_workspace(WS_Y, (size_t)Mg * NP);
	if (!col || !y || rt_sgemm_reserve())
		return rt_fail(RT_ERR_NOMEM, "conv2d: cannot allocate %d x %d + %d x %d floats of workspace", K, NP, Mg, NP);
	int fail = 0;
	/* One parallel region, no barrier: each thread owns the samples [n0, n1), i.e. the columns
	 * [n0*P, n1*P) of col and y and its samples' outputs. */
	RT_OMP(parallel if(CONV_PARALLEL((double)NP * K * g->M)) reduction(|:fail))
	{
		int n0, n1;
		thread_share(g->N, 1, &n0, &n1);
		for (int grp = 0; grp < g->G && n0 < n1; grp++) {
			col = cols ? col0 + (size_t)grp * K * NP : col0;
			for (int n = n0; n < n1; n++)
				im2col(col + (size_t)n * P, (size_t)NP, inp + (size_t)n * g->C * g->H * g->W, g, grp * Cg);
			/* y[Mg][own columns] = W_grp . col[K][own columns] */
			fail |= rt_sgemm(Mg, (n1 - n0) * P, K, weight + (size_t)grp * Mg * K, K, 1, col + (size_t)n0 * P, NP, 1,
			                 y + (size_t)n0 * P, NP, 0);
			for (int n = n0; n < n1; n++) /* back to NCHW, plus the bias */
				for (int m = 0; m < Mg; m++) {
					const float b = bias ? bias[grp * Mg + m] : 0.0f, *ym = y + (size_t)m * NP + (size_t)n * P;
					float *o = out + ((size_t)n * g->M + grp * Mg + m) * P;
					for (int p = 0; p < P; p++)
						o[p] = ym[p] + b;
				}
		}
	}
	if (fail)
		return rt_fail(RT_ERR_NOMEM, "conv2d: cannot allocate the matrix product's buffers");
	return RT_OK;
}

int rt_conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                       const float *weight, const RtConv *g)
{
	return rt_conv2d_backward_keep(dinp, dweight, dbias, dout, inp, weight, g, NULL);
}

int rt_conv2d_backward_keep(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                            const float *weight, const RtConv *g, const float *cols)
{
	/* dinp[N,C,H,W], dweight[M,C/G,KH,KW], dbias[M], dout[N,M,OH,OW], inp[N,C,H,W], weight[M,C/G,KH,KW] */
	const int Cg = g->C / g->G, Mg = g->M / g->G, K = Cg * g->KH * g->KW, P = g->OH * g->OW, NP = g->N * P;
	if (dbias) {
		RT_OMP(parallel for schedule(static) if(CONV_PARALLEL((double)g->M * NP))) /* each thread owns channels m */
		for (int m = 0; m < g->M; m++)
			for (int n = 0; n < g->N; n++) {
				const float *dy = dout + ((size_t)n * g->M + m) * P;
				float sum = 0.0f;
				for (int p = 0; p < P; p++)
					sum += dy[p];
				dbias[m] += sum;
			}
	}
	if (!dweight && !dinp)
		return RT_OK;
	float *col = dweight && !cols ? rt_workspace(WS_COL, (size_t)K * NP) : NULL;
	float *dy = rt_workspace(WS_DOUT, (size_t)Mg * NP);
	float *dcol = dinp ? rt_workspace(WS_DCOL, (size_t)K * NP) : NULL;
	if ((dweight && !cols && !col) || !dy || (dinp && !dcol) || rt_sgemm_reserve())
		return rt_fail(RT_ERR_NOMEM, "conv2d backward: cannot allocate %d x %d + %d x %d floats of workspace", K,
		               NP, Mg, NP);
	int fail = 0;
	/* One parallel region.  Each thread first lays out its own samples' columns of dy[Mg][N*P]
	 * (dout of the group, samples side by side) and col; after one barrier, dW is split by
	 * columns k (rows m when K is narrow) and summed over ALL samples by its owner, while dcol
	 * and dinp stay per sample. */
	RT_OMP(parallel if(CONV_PARALLEL((double)NP * K * g->M)) reduction(|:fail))
	{
		int n0, n1;
		thread_share(g->N, 1, &n0, &n1);
		for (int grp = 0; grp < g->G; grp++) {
			const float *w = weight + (size_t)grp * Mg * K;
			const float *colg = cols ? cols + (size_t)grp * K * NP : col; /* the forward's, or made here */
			for (int n = n0; n < n1; n++) {
				for (int m = 0; m < Mg; m++)
					memcpy(dy + (size_t)m * NP + (size_t)n * P, dout + ((size_t)n * g->M + grp * Mg + m) * P,
					       (size_t)P * sizeof *dy);
				if (dweight && !cols)
					im2col(col + (size_t)n * P, (size_t)NP, inp + (size_t)n * g->C * g->H * g->W, g, grp * Cg);
			}
			if (dweight) {
				RT_OMP(barrier) /* dy and col complete */
				float *dw = dweight + (size_t)grp * Mg * K;
				int a, b;
				if (K >= 64) { /* dW[:, a..b) += dy . col[a..b)^T: col read transposed through its strides */
					thread_share(K, 32, &a, &b);
					fail |= rt_sgemm(Mg, b - a, NP, dy, NP, 1, colg + (size_t)a * NP, 1, NP, dw + a, K, 1);
				} else {
					thread_share(Mg, 8, &a, &b);
					fail |= rt_sgemm(b - a, K, NP, dy + (size_t)a * NP, NP, 1, colg, 1, NP, dw + (size_t)a * K, K, 1);
				}
			}
			if (dinp && n0 < n1) {
				/* dcol[K][own columns] = W_grp^T . dy (W read transposed), scattered to own samples */
				fail |= rt_sgemm(K, (n1 - n0) * P, Mg, w, 1, K, dy + (size_t)n0 * P, NP, 1, dcol + (size_t)n0 * P, NP, 0);
				for (int n = n0; n < n1; n++)
					col2im_add(dinp + (size_t)n * g->C * g->H * g->W, dcol + (size_t)n * P, (size_t)NP, g, grp * Cg);
			}
			if (dweight && grp + 1 < g->G) {
				RT_OMP(barrier) /* others may still read dy and col of this group */
			}
		}
	}
	if (fail)
		return rt_fail(RT_ERR_NOMEM, "conv2d backward: cannot allocate the matrix product's buffers");
	return RT_OK;
}

/* ------------------------------------------------------------- batchnorm */

void rt_bn_fold(float *weight, float *bias, const float *gamma, const float *beta, const float *mean,
                const float *var, float eps, int M, int K)
{
	/* weight[M,K], bias[M], gamma/beta/mean/var[M] */
	for (int m = 0; m < M; m++) {
		const float s = gamma[m] / sqrtf(var[m] + eps);
		for (int k = 0; k < K; k++)
			weight[(size_t)m * K + k] *= s;
		bias[m] = (bias[m] - mean[m]) * s + beta[m];
	}
}

void rt_bn_frozen_forward(float *out, const float *inp, const float *gamma, const float *beta, const float *mean,
                          const float *var, float eps, int N, int C, int HW)
{
	/* out[N,C,HW], inp[N,C,HW], gamma/beta/mean/var[C]: the stored statistics, never batch ones */
	RT_OMP(parallel for collapse(2) schedule(static))
	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++) {
			const float rstd = 1.0f / sqrtf(var[c] + eps), mu = mean[c], ga = gamma[c], be = beta[c];
			const float *x = inp + ((size_t)n * C + c) * HW;
			float *y = out + ((size_t)n * C + c) * HW;
			for (int i = 0; i < HW; i++)
				y[i] = (x[i] - mu) * rstd * ga + be;
		}
}

void rt_bn_frozen_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                           const float *gamma, const float *mean, const float *var, float eps, int N, int C, int HW)
{
	/* dinp[N,C,HW], dgamma/dbeta[C], dout[N,C,HW], inp[N,C,HW], gamma/mean/var[C].
	 * The statistics are constants here, so there is no batch-mean term in dinp. */
	RT_OMP(parallel for schedule(static)) /* each thread owns channels c (of dinp, dgamma, dbeta) */
	for (int c = 0; c < C; c++) {
		const float rstd = 1.0f / sqrtf(var[c] + eps), mu = mean[c], ga = gamma[c];
		float sg = 0.0f, sb = 0.0f;
		for (int n = 0; n < N; n++) {
			const float *x = inp + ((size_t)n * C + c) * HW, *dy = dout + ((size_t)n * C + c) * HW;
			float *dx = dinp ? dinp + ((size_t)n * C + c) * HW : NULL;
			for (int i = 0; i < HW; i++) {
				sg += dy[i] * (x[i] - mu) * rstd;
				sb += dy[i];
				if (dx)
					dx[i] += dy[i] * ga * rstd;
			}
		}
		if (dgamma)
			dgamma[c] += sg;
		if (dbeta)
			dbeta[c] += sb;
	}
}

/* ------------------------------------------------------ relu, add, concat */

void rt_relu_forward(float *out, const float *inp, size_t n)
{
	RT_OMP(parallel for schedule(static))
	for (size_t i = 0; i < n; i++)
		out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void rt_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
	RT_OMP(parallel for schedule(static))
	for (size_t i = 0; i < n; i++)
		if (out[i] > 0.0f)
			dinp[i] += dout[i];
}

void rt_add_forward(float *out, const float *a, const float *b, size_t n)
{
	RT_OMP(parallel for schedule(static))
	for (size_t i = 0; i < n; i++)
		out[i] = a[i] + b[i];
}

void rt_add_backward(float *da, float *db, const float *dout, size_t n)
{
	RT_OMP(parallel for schedule(static))
	for (size_t i = 0; i < n; i++) {
		if (da)
			da[i] += dout[i];
		if (db)
			db[i] += dout[i];
	}
}

void rt_concat_forward(float *out, const float *const *ins, const int *Cs, int k, int N, int HW)
{
	/* out[N, sum Cs, HW], ins[i][N, Cs[i], HW] */
	int Ctot = 0;
	for (int i = 0; i < k; i++)
		Ctot += Cs[i];
	for (int n = 0; n < N; n++) {
		size_t off = (size_t)n * Ctot * HW;
		for (int i = 0; i < k; i++) {
			const size_t len = (size_t)Cs[i] * HW;
			memcpy(out + off, ins[i] + (size_t)n * len, len * sizeof(float));
			off += len;
		}
	}
}

void rt_concat_backward(float *const *dins, const float *dout, const int *Cs, int k, int N, int HW)
{
	int Ctot = 0;
	for (int i = 0; i < k; i++)
		Ctot += Cs[i];
	for (int n = 0; n < N; n++) {
		size_t off = (size_t)n * Ctot * HW;
		for (int i = 0; i < k; i++) {
			const size_t len = (size_t)Cs[i] * HW;
			if (dins[i]) {
				float *d = dins[i] + (size_t)n * len;
				for (size_t j = 0; j < len; j++)
					d[j] += dout[off + j];
			}
			off += len;
		}
	}
}

/* ------------------------------------------------------------- pooling */

void rt_maxpool_forward(float *out, int *argmax, const float *inp, const RtConv *g)
{
	/* out[N,C,OH,OW], argmax[N,C,OH,OW], inp[N,C,H,W] */
	RT_OMP(parallel for collapse(2) schedule(static))
	for (int n = 0; n < g->N; n++)
		for (int c = 0; c < g->C; c++) {
			const float *x = inp + ((size_t)n * g->C + c) * g->H * g->W;
			const size_t o = ((size_t)n * g->C + c) * g->OH * g->OW;
			for (int oh = 0; oh < g->OH; oh++)
				for (int ow = 0; ow < g->OW; ow++) {
					float best = -INFINITY;
					int arg = -1;
					for (int kh = 0; kh < g->KH; kh++) {
						const int ih = oh * g->SH - g->PH + kh * g->DH;
						if (ih < 0 || ih >= g->H)
							continue;
						for (int kw = 0; kw < g->KW; kw++) {
							const int iw = ow * g->SW - g->PW + kw * g->DW;
							if (iw < 0 || iw >= g->W)
								continue;
							const float v = x[ih * g->W + iw];
							/* NaN propagates, as in PyTorch */
							if (arg < 0 || v > best || isnan(v)) {
								best = v;
								arg = ih * g->W + iw;
								if (isnan(v))
									goto done;
							}
						}
					}
				done:
					out[o + (size_t)oh * g->OW + ow] = best;
					argmax[o + (size_t)oh * g->OW + ow] = arg;
				}
		}
}

void rt_maxpool_backward(float *dinp, const float *dout, const int *argmax, const RtConv *g)
{
	RT_OMP(parallel for collapse(2) schedule(static)) /* each thread owns input planes */
	for (int n = 0; n < g->N; n++)
		for (int c = 0; c < g->C; c++) {
			float *dx = dinp + ((size_t)n * g->C + c) * g->H * g->W;
			const size_t o = ((size_t)n * g->C + c) * g->OH * g->OW;
			for (size_t i = 0; i < (size_t)g->OH * g->OW; i++)
				if (argmax[o + i] >= 0)
					dx[argmax[o + i]] += dout[o + i];
		}
}

/* Window [h0,h1) x [w0,w1) of output (oh,ow) clipped to the input, and its divisor. */
static float avg_window(const RtConv *g, int oh, int ow, int count_include_pad, int *h0, int *h1, int *w0, int *w1)
{
	const int hs = oh * g->SH - g->PH, ws = ow * g->SW - g->PW;
	const int he = hs + (g->KH - 1) * g->DH + 1, we = ws + (g->KW - 1) * g->DW + 1;
	*h0 = hs < 0 ? 0 : hs;
	*w0 = ws < 0 ? 0 : ws;
	*h1 = he > g->H ? g->H : he;
	*w1 = we > g->W ? g->W : we;
	if (count_include_pad) {
		/* PyTorch: the window clipped to the padded input [-PH, H+PH) (symmetric pads assumed) */
		const int ph1 = he > g->H + g->PH ? g->H + g->PH : he, pw1 = we > g->W + g->PW ? g->W + g->PW : we;
		return (float)((ph1 - hs) * (pw1 - ws));
	}
	return (float)((*h1 - *h0) * (*w1 - *w0));
}

void rt_avgpool_forward(float *out, const float *inp, const RtConv *g, int count_include_pad)
{
	/* out[N,C,OH,OW], inp[N,C,H,W]; dilation 1 expected for averages (DH, DW honoured in the extent only) */
	RT_OMP(parallel for collapse(2) schedule(static))
	for (int n = 0; n < g->N; n++)
		for (int c = 0; c < g->C; c++) {
			const float *x = inp + ((size_t)n * g->C + c) * g->H * g->W;
			float *y = out + ((size_t)n * g->C + c) * g->OH * g->OW;
			for (int oh = 0; oh < g->OH; oh++)
				for (int ow = 0; ow < g->OW; ow++) {
					int h0, h1, w0, w1;
					const float div = avg_window(g, oh, ow, count_include_pad, &h0, &h1, &w0, &w1);
					float s = 0.0f;
					for (int ih = h0; ih < h1; ih++)
						for (int iw = w0; iw < w1; iw++)
							s += x[ih * g->W + iw];
					y[oh * g->OW + ow] = div > 0.0f ? s / div : 0.0f;
				}
		}
}

void rt_avgpool_backward(float *dinp, const float *dout, const RtConv *g, int count_include_pad)
{
	RT_OMP(parallel for collapse(2) schedule(static)) /* each thread owns input planes */
	for (int n = 0; n < g->N; n++)
		for (int c = 0; c < g->C; c++) {
			float *dx = dinp + ((size_t)n * g->C + c) * g->H * g->W;
			const float *dy = dout + ((size_t)n * g->C + c) * g->OH * g->OW;
			for (int oh = 0; oh < g->OH; oh++)
				for (int ow = 0; ow < g->OW; ow++) {
					int h0, h1, w0, w1;
					const float div = avg_window(g, oh, ow, count_include_pad, &h0, &h1, &w0, &w1);
					if (div <= 0.0f)
						continue;
					const float d = dy[oh * g->OW + ow] / div;
					for (int ih = h0; ih < h1; ih++)
						for (int iw = w0; iw < w1; iw++)
							dx[ih * g->W + iw] += d;
				}
		}
}

void rt_gap_forward(float *out, const float *inp, int N, int C, int HW)
{
	/* out[N,C], inp[N,C,HW] */
	RT_OMP(parallel for schedule(static))
	for (int nc = 0; nc < N * C; nc++) {
		const float *x = inp + (size_t)nc * HW;
		float s = 0.0f;
		for (int i = 0; i < HW; i++)
			s += x[i];
		out[nc] = s / (float)HW;
	}
}

void rt_gap_backward(float *dinp, const float *dout, int N, int C, int HW)
{
	RT_OMP(parallel for schedule(static))
	for (int nc = 0; nc < N * C; nc++) {
		const float d = dout[nc] / (float)HW;
		float *dx = dinp + (size_t)nc * HW;
		for (int i = 0; i < HW; i++)
			dx[i] += d;
	}
}
