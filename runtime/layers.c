/*
 * layers.c - forward/backward pairs for what a trainable head or an unfrozen
 * ResNet/Inception block needs: linear, frozen BatchNorm, ReLU, residual add,
 * channel concat, max/average/global pooling (conv2d is in conv.c).  NCHW
 * float32, portable C; the generated block calls them on its channel-major
 * activations with N = 1 (a channel of all samples is one plane row).
 *
 * Conventions (llm.c): outputs first, shapes in comments, forward stores what
 * backward needs (maxpool's argmax; ReLU reads its output), backward
 * ACCUMULATES with += so a tensor used twice (a residual branch) gets both
 * contributions; where a backward takes `acc`, 0 makes it overwrite instead
 * (the generated block passes 0 to a gradient's first contribution rather
 * than zeroing the buffer first).  Every parallel loop is split so each thread owns the
 * gradient elements it writes: no atomics, results independent of the thread
 * count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "onnx2c_rt.h"
#include "rt_internal.h"

/* ------------------------------------------------------------------ linear */

void rt_linear_forward(float *out, const float *inp, const float *weight, const float *bias, int B, int C, int OC)
{
	/* out[B,OC], inp[B,C], weight[OC,C], bias[OC] */
	RT_OMP(parallel for collapse(2) schedule(static) if((double)B * C * OC > RT_PAR_MIN))
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
		RT_OMP(parallel for schedule(static) if((double)B * C * OC > RT_PAR_MIN)) /* each thread owns rows b of dinp */
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
		RT_OMP(parallel for schedule(static) if((double)B * C * OC > RT_PAR_MIN)) /* threads own rows o */
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
                           const float *gamma, const float *mean, const float *var, float eps, int N, int C, int HW,
                           int acc)
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
					dx[i] = (acc ? dx[i] : 0.0f) + dy[i] * ga * rstd;
			}
		}
		if (dgamma)
			dgamma[c] += sg;
		if (dbeta)
			dbeta[c] += sb;
	}
}

/* Training BatchNorm: the batch's statistics in the forward and the backward, as PyTorch's
 * model.train().  Sums in double (one channel's M = N*HW values can be a million), each thread
 * owning channels, so results do not depend on the thread count. */
void rt_bn_train_forward(float *out, float *save, float *running_mean, float *running_var, const float *inp,
                         const float *gamma, const float *beta, float eps, float momentum, int N, int C, int HW)
{
	/* out[N,C,HW], save[2C] (means, then 1/sqrt(var + eps)), running_*[C] (may be NULL), inp[N,C,HW],
	 * gamma/beta[C] */
	const double M = (double)N * HW;
	RT_OMP(parallel for schedule(static))
	for (int c = 0; c < C; c++) {
		double s = 0.0, ss = 0.0;
		for (int n = 0; n < N; n++) {
			const float *x = inp + ((size_t)n * C + c) * HW;
			for (int i = 0; i < HW; i++)
				s += x[i];
		}
		const double mu = s / M;
		for (int n = 0; n < N; n++) { /* the variance about the mean: no cancellation */
			const float *x = inp + ((size_t)n * C + c) * HW;
			for (int i = 0; i < HW; i++)
				ss += ((double)x[i] - mu) * ((double)x[i] - mu);
		}
		const double var = ss / M; /* biased: what normalises */
		const float rstd = (float)(1.0 / sqrt(var + (double)eps)), muf = (float)mu, ga = gamma[c], be = beta[c];
		save[c] = muf;
		save[C + c] = rstd;
		if (running_mean)
			running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * muf;
		if (running_var) /* unbiased, as PyTorch keeps it */
			running_var[c] = (1.0f - momentum) * running_var[c] + momentum * (float)(M > 1 ? var * M / (M - 1) : var);
		for (int n = 0; n < N; n++) {
			const float *x = inp + ((size_t)n * C + c) * HW;
			float *y = out + ((size_t)n * C + c) * HW;
			for (int i = 0; i < HW; i++)
				y[i] = (x[i] - muf) * rstd * ga + be;
		}
	}
}

void rt_bn_train_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                          const float *gamma, const float *save, int N, int C, int HW, int acc)
{
	/* dinp[N,C,HW], dgamma/dbeta[C] (may be NULL), dout/inp[N,C,HW], gamma[C], save[2C] from the forward.
	 * The mean and variance depend on every input of the channel:
	 * dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)). */
	const double M = (double)N * HW;
	RT_OMP(parallel for schedule(static))
	for (int c = 0; c < C; c++) {
		const float mu = save[c], rstd = save[C + c];
		double sb = 0.0, sg = 0.0;
		for (int n = 0; n < N; n++) {
			const float *x = inp + ((size_t)n * C + c) * HW, *dy = dout + ((size_t)n * C + c) * HW;
			for (int i = 0; i < HW; i++) {
				sb += dy[i];
				sg += (double)dy[i] * ((x[i] - mu) * rstd);
			}
		}
		if (dgamma)
			dgamma[c] += (float)sg;
		if (dbeta)
			dbeta[c] += (float)sb;
		if (!dinp)
			continue;
		const float k = gamma[c] * rstd, mdy = (float)(sb / M), mg = (float)(sg / M);
		for (int n = 0; n < N; n++) {
			const float *x = inp + ((size_t)n * C + c) * HW, *dy = dout + ((size_t)n * C + c) * HW;
			float *dx = dinp + ((size_t)n * C + c) * HW;
			for (int i = 0; i < HW; i++)
				dx[i] = (acc ? dx[i] : 0.0f) + k * (dy[i] - mdy - (x[i] - mu) * rstd * mg);
		}
	}
}

/* ------------------------------------------------------ relu, add, concat */

void rt_relu_forward(float *out, const float *inp, size_t n)
{
	RT_OMP(parallel for schedule(static) if((double)n > RT_PAR_MIN))
	for (size_t i = 0; i < n; i++)
		out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void rt_relu_backward(float *dinp, const float *dout, const float *out, size_t n, int acc)
{
	RT_OMP(parallel for schedule(static) if((double)n > RT_PAR_MIN))
	for (size_t i = 0; i < n; i++)
		dinp[i] = (acc ? dinp[i] : 0.0f) + (out[i] > 0.0f ? dout[i] : 0.0f);
}

void rt_add_forward(float *out, const float *a, const float *b, size_t n)
{
	RT_OMP(parallel for schedule(static) if((double)n > RT_PAR_MIN))
	for (size_t i = 0; i < n; i++)
		out[i] = a[i] + b[i];
}

void rt_add_backward(float *da, float *db, const float *dout, size_t n, int acc_a, int acc_b)
{
	RT_OMP(parallel for schedule(static) if((double)n > RT_PAR_MIN))
	for (size_t i = 0; i < n; i++) {
		if (da)
			da[i] = (acc_a ? da[i] : 0.0f) + dout[i];
		if (db)
			db[i] = (acc_b ? db[i] : 0.0f) + dout[i];
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

void rt_gap_backward(float *dinp, const float *dout, int N, int C, int HW, int acc)
{
	RT_OMP(parallel for schedule(static))
	for (int nc = 0; nc < N * C; nc++) {
		const float d = dout[nc] / (float)HW;
		float *dx = dinp + (size_t)nc * HW;
		for (int i = 0; i < HW; i++)
			dx[i] = (acc ? dx[i] : 0.0f) + d;
	}
}
