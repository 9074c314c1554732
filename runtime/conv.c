/*
 * conv.c - the training runtime's conv2d forward and backward (stride, pad,
 * dilation, groups), as matrix products over the whole batch (gemm.c).
 *
 * The generated block keeps its activations channel-major ("CN": x[c][n][h][w],
 * all samples of a channel side by side), so that for group grp
 *     out[m][j]  = sum_k W[m][k] . cols[k][j]        (forward)
 *     dW[m][k]  += sum_j dout[m][j] . cols[k][j]     (weights)
 * with k = (c, kh, kw), j = n*P + p, and cols[k][j] the input pixel that weight
 * k meets at output pixel p of sample n (0 in the padding), are row-major
 * products whose rows are whole channels: a conv's output IS the next layer's
 * input, with no layout copy, and the other layers see a channel as one long
 * row (BatchNorm, pools, concat take N = 1).  Where cols live (cols_kind):
 *   DIRECT  a 1x1 stride-1 unpadded conv: cols ARE the input rows;
 *   SAME    a stride-1 conv whose output is as large as its input (the 3x3 pad-1
 *           convs of a residual block): cols[k][j] = x_c[j + dh*W + dw] where
 *           that pixel is inside the plane, else 0: never stored, the packers
 *           read them with masked loads (pack_phased_a/b);
 *   PHASED  a strided conv whose input phases fit the output grid (3x3 stride
 *           2 pad 1, 1x1 stride 2 on even sizes): the input is split once into
 *           phase planes on the output grid (kept for the weight gradient), in
 *           which every tap is again a shifted row, read as for SAME;
 *   IM2COL  anything else: explicit im2col columns, kept likewise.
 * The input gradient of a stride-1 conv is the forward conv of dout with the
 * flipped, transposed kernel (SAME again when the conv is); a strided one goes
 * through W^T . dout and col2im.  The 3x3 stride-1 "same" convs with enough channels run
 * all three products by Winograd F(2x2, 3x3) instead (wino.c, rt_wino_use).
 * rt_conv2d_forward/backward (NCHW) wrap these for callers in the usual layout.
 */
#include <string.h>
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#include "onnx2c_rt.h"
#include "rt_gemm.h"
#include "rt_internal.h"

enum { WS_COL = 0, WS_WFLIP, WS_X, WS_Y, WS_DX, WS_DCOL, WS_DWT };

int rt_out_size(int in, int k, int stride, int pad_begin, int pad_end, int dil)
{
	return (in + pad_begin + pad_end - dil * (k - 1) - 1) / stride + 1;
}

/* One group's image: channel c of sample n is x + c*cs + n*H*W. */
typedef struct {
	const float *x;
	size_t cs;
	int C, N, H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW;
} Image;

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

/* cols[k][n*P + p] of image g, k = (c, kh, kw), rows split over threads (only for the convs
 * cols_kind leaves to IM2COL: the common ones read their columns from the image). */
static void im2col(float *restrict col, const Image *g)
{
	const int T = g->KH * g->KW, P = g->OH * g->OW, HW = g->H * g->W;
	const size_t NP = (size_t)g->N * P;
	RT_OMP(parallel for schedule(static) if((double)g->C * T * NP > 2e5))
	for (int k = 0; k < g->C * T; k++) {
		const int c = k / T, kh = k % T / g->KW, kw = k % g->KW;
		const int dh = kh * g->DH - g->PH, dw = kw * g->DW - g->PW;
		int oh0, oh1, ow0, ow1;
		valid_range(g->OH, g->H, g->SH, dh, &oh0, &oh1);
		valid_range(g->OW, g->W, g->SW, dw, &ow0, &ow1);
		for (int n = 0; n < g->N; n++) {
			float *r = col + (size_t)k * NP + (size_t)n * P;
			const float *x = g->x + (size_t)c * g->cs + (size_t)n * HW;
			memset(r, 0, sizeof(float) * (size_t)oh0 * g->OW);
			memset(r + (size_t)oh1 * g->OW, 0, sizeof(float) * (size_t)(g->OH - oh1) * g->OW);
			for (int oh = oh0; oh < oh1; oh++) {
				float *ro = r + (size_t)oh * g->OW;
				const float *xr = x + (size_t)(oh * g->SH + dh) * g->W + dw;
				for (int ow = 0; ow < ow0; ow++)
					ro[ow] = 0.0f;
				for (int ow = ow0; ow < ow1; ow++)
					ro[ow] = xr[ow * g->SW];
				for (int ow = ow1; ow < g->OW; ow++)
					ro[ow] = 0.0f;
			}
		}
	}
}

/* How a conv finds its columns (see the top of the file). */
enum { DIRECT, SAME, PHASED, IM2COL };

static int floor_mod(int a, int s)
{
	return (a % s + s) % s;
}

/* The phases (offsets mod the stride) that the taps of one axis read, as a bit set. */
static unsigned phases_read(int K, int D, int P, int S)
{
	unsigned m = 0;
	for (int k = 0; k < K; k++)
		m |= 1u << floor_mod(k * D - P, S);
	return m;
}

static int cols_kind(const RtConv *g)
{
	if (g->KH == 1 && g->KW == 1 && g->SH == 1 && g->SW == 1 && g->PH == 0 && g->PW == 0)
		return DIRECT; /* cols ARE the input rows */
	if (g->SH == 1 && g->SW == 1 && g->OH == g->H && g->OW == g->W)
		return SAME; /* cols are shifted input rows */
	/* a strided conv splits its input into phase planes on the output's grid: needs every
	 * phase to fit it (true of the usual k x k stride-s pad-(k-1)/2 convs on even sizes) */
	if (g->SH <= 16 && g->SW <= 16 && (g->H + g->SH - 1) / g->SH <= g->OH && (g->W + g->SW - 1) / g->SW <= g->OW)
		return PHASED;
	return IM2COL;
}

static int popcount(unsigned m)
{
	int n = 0;
	for (; m; m &= m - 1)
		n++;
	return n;
}

size_t rt_conv2d_cols_cn(const RtConv *g)
{
	const size_t NP = (size_t)g->N * g->OH * g->OW;
	switch (cols_kind(g)) {
	case PHASED:
		return (size_t)g->C * popcount(phases_read(g->KH, g->DH, g->PH, g->SH)) *
		       popcount(phases_read(g->KW, g->DW, g->PW, g->SW)) * NP;
	case IM2COL:
		return (size_t)g->C * g->KH * g->KW * NP;
	default:
		return 0;
	}
}

/* ------------------------------------------- implicit cols from phase planes */

/* A conv's cols read from phase planes: plane (c, a, b) holds the input pixels (i*SH + a,
 * j*SW + b) of every sample on the output's grid (OH x OW, so a column j = n*P + p of cols
 * and a pixel of a plane share their index), and tap (kh, kw) of output pixel (oh, ow) is the
 * pixel (oh + q, ow + r) of plane (c, kh*DH - PH mod SH, kw*DW - PW mod SW), q and r the
 * quotients.  A stride-1 "same" conv's planes are its input itself. */
typedef struct {
	const float *x;            /* plane (0, first phase, first phase) of the group */
	size_t cs;                 /* floats between planes */
	int OH, OW, H, W, KH, KW, SH, SW, DH, DW, PH, PW;
	int na, nb;                /* phases read per axis */
	signed char ia[16], ib[16]; /* phase -> its plane index (-1: not read) */
	struct Tap {               /* per tap (kh, kw), when there are at most MAX_TAPS */
		size_t plane;          /* its plane within a channel's, times cs */
		int q, r, H, W;        /* shift on the grid, extent of the phase */
	} tap[64];
} Phased;
enum { MAX_TAPS = 64 };

/* Where tap t (kh*KW + kw) reads. */
static struct Tap tap_of(const Phased *s, int t)
{
	const int dh = t / s->KW * s->DH - s->PH, dw = t % s->KW * s->DW - s->PW;
	const int a = floor_mod(dh, s->SH), b = floor_mod(dw, s->SW);
	return (struct Tap){ ((size_t)s->ia[a] * s->nb + s->ib[b]) * s->cs, (dh - a) / s->SH, (dw - b) / s->SW,
		                 (s->H - a + s->SH - 1) / s->SH, (s->W - b + s->SW - 1) / s->SW };
}

/* Row (h, w) of each column j0 + t of the cols (t < n; rows/columns past n: any). */
static void pixel_rows(int *oh, int *ow, int j0, int n, int H, int W)
{
	int p = j0 % (H * W), h = p / W, w = p % W;
	for (int t = 0; t < n; t++) {
		oh[t] = h;
		ow[t] = w;
		if (++w == W && (w = 0, ++h == H))
			h = 0;
	}
}

/* dst[t] = cols[k][j0 + t] for t < n, 0 for n <= t < nz; oh/ow: pixel_rows of j0 for nz columns.
 * Lanes outside the plane are never read (masked loads, or the portable test). */
static void phased_row(float *restrict dst, const Phased *s, int k, int j0, int n, int nz, const int *oh,
                       const int *ow)
{
	const int T = s->KH * s->KW, c = k / T;
	const struct Tap tp = T <= MAX_TAPS ? s->tap[k - c * T] : tap_of(s, k - c * T);
	/* the phase's extent (its rows/columns of the input), and the plane's pixel j0 shifted by
	 * (q, r): formed as an offset, only lanes inside the phase are dereferenced */
	const int H = tp.H, W = tp.W, q = tp.q, r = tp.r;
	const float *x = s->x + (size_t)c * s->na * s->nb * s->cs + tp.plane;
	const ptrdiff_t o = (ptrdiff_t)j0 + (ptrdiff_t)q * s->OW + r;
	int t = 0;
	if (rt_sgemm_selected() == RT_UKR_GENERIC)
		goto portable;
#if defined(__AVX512F__)
	{
		const __m512i vh = _mm512_set1_epi32(H), vw = _mm512_set1_epi32(W);
		const __m512i dq = _mm512_set1_epi32(q), dr = _mm512_set1_epi32(r);
		for (; t + 16 <= nz; t += 16) {
			const __mmask16 lanes = t + 16 <= n ? 0xFFFF : t < n ? (__mmask16)((1u << (n - t)) - 1) : 0;
			const __mmask16 m =
				_mm512_mask_cmplt_epu32_mask(lanes, _mm512_add_epi32(_mm512_loadu_si512(oh + t), dq), vh) &
				_mm512_cmplt_epu32_mask(_mm512_add_epi32(_mm512_loadu_si512(ow + t), dr), vw);
			_mm512_storeu_ps(dst + t, _mm512_maskz_loadu_ps(m, x + o + t));
		}
	}
#elif defined(__AVX2__) && defined(__FMA__)
	{
		const __m256i vh = _mm256_set1_epi32(H), vw = _mm256_set1_epi32(W), neg = _mm256_set1_epi32(-1);
		const __m256i dq = _mm256_set1_epi32(q), dr = _mm256_set1_epi32(r);
		const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
		for (; t + 8 <= nz; t += 8) {
			const __m256i h = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(oh + t)), dq);
			const __m256i w = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(ow + t)), dr);
			const __m256i live = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - t), lane);
			const __m256i m = _mm256_and_si256(
				_mm256_and_si256(live, _mm256_and_si256(_mm256_cmpgt_epi32(vh, h), _mm256_cmpgt_epi32(h, neg))),
				_mm256_and_si256(_mm256_cmpgt_epi32(vw, w), _mm256_cmpgt_epi32(w, neg)));
			_mm256_storeu_ps(dst + t, _mm256_maskload_ps(x + o + t, m));
		}
	}
#endif
portable:
	for (; t < nz; t++)
		dst[t] = t < n && (unsigned)(oh[t] + q) < (unsigned)H && (unsigned)(ow[t] + r) < (unsigned)W ? x[o + t] : 0.0f;
}

/* RtOperand pack of the cols as B: columns j0.. (pixels), rows p0.. (taps), RT_NR-wide panels. */
static void pack_phased_b(float *restrict dst, const void *ctx, int j0, int nc, int p0, int kc)
{
	const Phased *s = ctx;
	int oh[RT_NR], ow[RT_NR];
	for (int jr = 0; jr < nc; jr += RT_NR, dst += (size_t)RT_NR * kc) {
		const int n = nc - jr < RT_NR ? nc - jr : RT_NR;
		pixel_rows(oh, ow, j0 + jr, RT_NR, s->OH, s->OW);
		for (int k = 0; k < kc; k++)
			phased_row(dst + (size_t)k * RT_NR, s, p0 + k, j0 + jr, n, RT_NR, oh, ow);
	}
}

/* RtOperand pack of the cols as A: rows i0.. (taps), columns p0.. (pixels), RT_MR-row panels:
 * each row is read into a small buffer, then interleaved. */
static void pack_phased_a(float *restrict dst, const void *ctx, int i0, int mc, int p0, int kc)
{
	const Phased *s = ctx;
	enum { MR = RT_MR, KC = RT_KC + 16 };
	int oh[KC], ow[KC];
	float rows[MR][KC];
	pixel_rows(oh, ow, p0, kc, s->OH, s->OW);
	for (int ir = 0; ir < mc; ir += MR, dst += (size_t)MR * kc) {
		for (int i = 0; i < MR; i++) {
			if (ir + i < mc)
				phased_row(rows[i], s, i0 + ir + i, p0, kc, kc, oh, ow);
			else
				memset(rows[i], 0, sizeof(float) * (size_t)kc);
		}
		for (int k = 0; k < kc; k++)
			for (int i = 0; i < MR; i++)
				dst[k * MR + i] = rows[i][k];
	}
}

/* The phase planes of group grp of a conv over x: x itself (SAME), or split into `planes`
 * (kept cols, else a workspace) when make is set.  NULL when a workspace cannot be had. */
static const float *phase_planes(Phased *s, const float *x, const RtConv *g, int grp, float *planes, int make)
{
	const int Cg = g->C / g->G;
	const size_t P = (size_t)g->OH * g->OW, cs = (size_t)g->N * P;
	const unsigned ma = phases_read(g->KH, g->DH, g->PH, g->SH), mb = phases_read(g->KW, g->DW, g->PW, g->SW);
	*s = (Phased){ NULL, cs, g->OH, g->OW, g->H, g->W, g->KH, g->KW, g->SH, g->SW, g->DH, g->DW, g->PH, g->PW, 0, 0,
		           { 0 }, { 0 }, { { 0, 0, 0, 0, 0 } } };
	for (int a = 0; a < 16; a++) {
		s->ia[a] = (signed char)(ma >> a & 1 ? s->na++ : -1);
		s->ib[a] = (signed char)(mb >> a & 1 ? s->nb++ : -1);
	}
	for (int t = 0; t < g->KH * g->KW && t < MAX_TAPS; t++)
		s->tap[t] = tap_of(s, t);
	if (cols_kind(g) == SAME) {
		s->x = x + (size_t)grp * Cg * cs;
		return s->x;
	}
	const size_t group = (size_t)Cg * s->na * s->nb * cs;
	float *pl = planes ? planes : rt_workspace(WS_COL, group * g->G);
	if (!pl)
		return NULL;
	s->x = pl += grp * group;
	if (!make)
		return pl;
	const int HW = g->H * g->W;
	RT_OMP(parallel for schedule(static) if((double)group > 1e5))
	for (int c = 0; c < Cg; c++)
		for (int a = 0; a < g->SH; a++)
			for (int b = 0; b < g->SW; b++) {
				if (s->ia[a] < 0 || s->ib[b] < 0)
					continue;
				const int Hp = (g->H - a + g->SH - 1) / g->SH, Wp = (g->W - b + g->SW - 1) / g->SW;
				float *dst = pl + ((size_t)c * s->na * s->nb + (size_t)s->ia[a] * s->nb + s->ib[b]) * cs;
				const float *src = x + ((size_t)grp * Cg + c) * g->N * HW + (size_t)a * g->W + b;
				for (int n = 0; n < g->N; n++)
					for (int i = 0; i < Hp; i++)
						for (int j = 0; j < Wp; j++)
							dst[(size_t)n * P + (size_t)i * g->OW + j] = src[(size_t)n * HW + (size_t)i * g->SH * g->W +
							                                                 (size_t)j * g->SW];
			}
	return pl;
}

/* Group grp of a conv over x (CN layout). */
static Image image_of(const float *x, const RtConv *g, int grp)
{
	const size_t cs = (size_t)g->N * g->H * g->W;
	const int Cg = g->C / g->G;
	return (Image){ x + (size_t)grp * Cg * cs, cs, Cg, g->N, g->H, g->W, g->OH, g->OW, g->KH, g->KW,
		            g->SH, g->SW, g->PH, g->PW, g->DH, g->DW };
}

/* The cols of group grp: the input itself (direct), the kept buffer, or made into the workspace. */
static const float *cols_of(const float *inp, const RtConv *g, int grp, const float *kept, int make)
{
	const int K = g->C / g->G * g->KH * g->KW;
	const size_t NP = (size_t)g->N * g->OH * g->OW;
	if (cols_kind(g) == DIRECT)
		return inp + (size_t)grp * (g->C / g->G) * NP;
	float *col = kept ? (float *)kept + (size_t)grp * K * NP : rt_workspace(WS_COL, (size_t)K * NP);
	if (col && make) {
		const Image im = image_of(inp, g, grp);
		im2col(col, &im);
	}
	return col;
}

/* The cols of group grp as a B operand (rows k, columns j): in memory (DIRECT, IM2COL) or read
 * from phase planes (ph: its context, which must outlive the product).  -1: no workspace. */
static int cols_operand(RtOperand *op, Phased *ph, const float *x, const RtConv *g, int grp, float *kept, int make)
{
	*op = (RtOperand){ NULL, (ptrdiff_t)g->N * g->OH * g->OW, 1, NULL, NULL };
	const int kind = cols_kind(g);
	if (kind == DIRECT || kind == IM2COL)
		return (op->p = cols_of(x, g, grp, kept, make)) ? 0 : -1;
	op->pack = pack_phased_b;
	op->ctx = ph;
	return phase_planes(ph, x, g, grp, kept, make) ? 0 : -1;
}

int rt_conv2d_forward_cn(float *out, const float *inp, const float *weight, const float *bias, const RtConv *g,
                         float *cols)
{
	/* out[M][N*OH*OW], inp[C][N*H*W], weight[M, C/G, KH, KW], bias[M], cols: NULL or rt_conv2d_cols_cn(g) */
	const int Cg = g->C / g->G, Mg = g->M / g->G, K = Cg * g->KH * g->KW, NP = g->N * g->OH * g->OW;
	if (rt_wino_use(g)) {
		if (rt_wino_forward(out, inp, weight, bias, g, 0, 0))
			return rt_fail(RT_ERR_NOMEM, "conv2d: cannot allocate the Winograd workspaces");
		return RT_OK;
	}
	if (bias) {
		RT_OMP(parallel for schedule(static) if((double)g->M * NP > 1e5))
		for (int m = 0; m < g->M; m++)
			for (int j = 0; j < NP; j++)
				out[(size_t)m * NP + j] = bias[m];
	}
	for (int grp = 0; grp < g->G; grp++) {
		const RtOperand a = { weight + (size_t)grp * Mg * K, K, 1, NULL, NULL };
		RtOperand b;
		Phased ph;
		if (cols_operand(&b, &ph, inp, g, grp, cols, 1))
			return rt_fail(RT_ERR_NOMEM, "conv2d: cannot allocate %d x %d floats of workspace", K, NP);
		if (rt_sgemm_op(Mg, NP, K, &a, &b, out + (size_t)grp * Mg * NP, NP, bias != NULL))
			return rt_fail(RT_ERR_NOMEM, "conv2d: cannot allocate the matrix product's buffers");
	}
	return RT_OK;
}

/* dx[c][n][ih][iw] += dcol[k][n*P + p] over the taps (the adjoint of the im2col), channels split over threads. */
static void col2im_add(float *dx, const float *dcol, const RtConv *g, int Cg)
{
	const int P = g->OH * g->OW, NP = g->N * P, T = g->KH * g->KW;
	RT_OMP(parallel for schedule(static) if((double)Cg * T * NP > 1e5))
	for (int c = 0; c < Cg; c++)
		for (int t = 0; t < T; t++) {
			const int kh = t / g->KW, kw = t % g->KW;
			const float *row = dcol + ((size_t)c * T + t) * NP;
			for (int n = 0; n < g->N; n++) {
				float *xc = dx + ((size_t)c * g->N + n) * g->H * g->W;
				for (int oh = 0; oh < g->OH; oh++) {
					const int ih = oh * g->SH - g->PH + kh * g->DH;
					if ((unsigned)ih >= (unsigned)g->H)
						continue;
					const float *r = row + (size_t)n * P + (size_t)oh * g->OW;
					for (int ow = 0; ow < g->OW; ow++) {
						const int iw = ow * g->SW - g->PW + kw * g->DW;
						if ((unsigned)iw < (unsigned)g->W)
							xc[ih * g->W + iw] += r[ow];
					}
				}
			}
		}
}

int rt_conv2d_backward_cn(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                          const float *weight, const RtConv *g, const float *cols, int acc)
{
	/* dinp[C][N*H*W], dweight[M, C/G, KH, KW], dbias[M], dout[M][N*OH*OW], inp[C][N*H*W],
	 * cols: the forward's (NULL: made again) */
	const int Cg = g->C / g->G, Mg = g->M / g->G, K = Cg * g->KH * g->KW, NP = g->N * g->OH * g->OW;
	const int NHW = g->N * g->H * g->W, T = g->KH * g->KW;
	if (dbias) {
		RT_OMP(parallel for schedule(static) if((double)g->M * NP > 1e5))
		for (int m = 0; m < g->M; m++) {
			const float *dy = dout + (size_t)m * NP;
			float s = 0.0f;
			for (int j = 0; j < NP; j++)
				s += dy[j];
			dbias[m] += s;
		}
	}
	/* dinp of a stride-1 conv: the conv of dout (Mg channels at OH x OW) to Cg channels at H x W
	 * with the flipped kernel, W'[c][m][kh][kw] = W[m][c][KH-1-kh][KW-1-kw], and the pads moved
	 * to the far side; its cols in a workspace */
	const int flip = g->SH == 1 && g->SW == 1;
	const RtConv gt = { g->N, Mg, g->OH, g->OW, Cg, g->H, g->W, g->KH, g->KW, 1, 1,
		                (g->KH - 1) * g->DH - g->PH, (g->KW - 1) * g->DW - g->PW, g->DH, g->DW, 1 };
	float *wt = NULL, *dcol = NULL;
	if (dinp && flip)
		wt = rt_workspace(WS_WFLIP, (size_t)Cg * Mg * T);
	if (dinp && !flip)
		dcol = rt_workspace(WS_DCOL, (size_t)K * NP);
	if (dinp && !wt && !dcol)
		return rt_fail(RT_ERR_NOMEM, "conv2d backward: cannot allocate %d x %d floats of workspace", K, NP);
	if (dinp && !acc && !flip) /* col2im adds */
		memset(dinp, 0, sizeof(float) * (size_t)g->C * NHW);
	if (dweight && rt_wino_use(g)) {
		if (rt_wino_dweight(dweight, dout, inp, g))
			return rt_fail(RT_ERR_NOMEM, "conv2d backward: cannot allocate the Winograd workspaces");
		dweight = NULL;
	}
	for (int grp = 0; grp < g->G; grp++) {
		const float *w = weight + (size_t)grp * Mg * K, *dy = dout + (size_t)grp * Mg * NP;
		float *dx = dinp ? dinp + (size_t)grp * Cg * NHW : NULL;
		int fail = 0;
		float *dw = dweight ? dweight + (size_t)grp * Mg * K : NULL;
		const int kind = cols_kind(g);
		if (dw && (kind == SAME || kind == PHASED)) {
			/* dW^T[k][m] = cols[k][.] . dy[m][.], the cols as A (read along pixels, from the planes) */
			Phased ph;
			const RtOperand a = { NULL, 0, 0, pack_phased_a, &ph }, b = { dy, 1, NP, NULL, NULL };
			float *dwt = rt_workspace(WS_DWT, (size_t)K * Mg);
			fail |= !dwt || !phase_planes(&ph, inp, g, grp, (float *)cols, !cols);
			fail |= fail || rt_sgemm_op(K, Mg, NP, &a, &b, dwt, Mg, 0);
			for (int m = 0; m < Mg && !fail; m++)
				for (int k = 0; k < K; k++)
					dw[(size_t)m * K + k] += dwt[(size_t)k * Mg + m];
		} else if (dw) { /* dW[m][k] += dy[m][.] . cols[k][.] (cols read transposed) */
			const float *col = cols_of(inp, g, grp, cols, !cols);
			fail |= !col || rt_sgemm(Mg, K, NP, dy, NP, 1, col, 1, NP, dw, K, 1);
		}
		if (dx && flip && rt_wino_use(&gt)) { /* flips and transposes w itself */
			fail |= rt_wino_forward(dx, dy, w, NULL, &gt, acc, 1);
		} else if (dx && flip) {
			for (int c = 0; c < Cg; c++)
				for (int m = 0; m < Mg; m++)
					for (int t = 0; t < T; t++)
						wt[((size_t)c * Mg + m) * T + t] = w[((size_t)m * Cg + c) * T + (T - 1 - t)];
			const RtOperand a = { wt, (ptrdiff_t)Mg * T, 1, NULL, NULL };
			RtOperand b;
			Phased ph;
			fail |= cols_operand(&b, &ph, dy, &gt, 0, NULL, 1);
			fail |= fail || rt_sgemm_op(Cg, NHW, Mg * T, &a, &b, dx, NHW, acc);
		} else if (dx) { /* dcol = W^T . dy, then scattered back */
			fail |= rt_sgemm(K, NP, Mg, w, 1, K, dy, NP, 1, dcol, NP, 0);
			if (!fail)
				col2im_add(dx, dcol, g, Cg);
		}
		if (fail)
			return rt_fail(RT_ERR_NOMEM, "conv2d backward: cannot allocate the matrix product's buffers");
	}
	return RT_OK;
}

/* ------------------------------------------------------ layout conversions */

void rt_nc_to_cn(float *out, const float *inp, int N, int C, int HW)
{
	/* out[C][N][HW] = inp[N][C][HW] */
	RT_OMP(parallel for schedule(static) if((double)N * C * HW > 1e5))
	for (int c = 0; c < C; c++)
		for (int n = 0; n < N; n++)
			memcpy(out + ((size_t)c * N + n) * HW, inp + ((size_t)n * C + c) * HW, sizeof(float) * (size_t)HW);
}

void rt_cn_to_nc(float *out, const float *inp, int N, int C, int HW)
{
	/* out[N][C][HW] = inp[C][N][HW] */
	RT_OMP(parallel for schedule(static) if((double)N * C * HW > 1e5))
	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++)
			memcpy(out + ((size_t)n * C + c) * HW, inp + ((size_t)c * N + n) * HW, sizeof(float) * (size_t)HW);
}

/* ------------------------------------------------------- NCHW entry points */

int rt_conv2d_forward(float *out, const float *inp, const float *weight, const float *bias, const RtConv *g)
{
	const int HW = g->H * g->W, P = g->OH * g->OW;
	float *x = rt_workspace(WS_X, (size_t)g->C * g->N * HW), *y = rt_workspace(WS_Y, (size_t)g->M * g->N * P);
	if (!x || !y)
		return rt_fail(RT_ERR_NOMEM, "conv2d: cannot allocate the layout buffers");
	rt_nc_to_cn(x, inp, g->N, g->C, HW);
	const int rc = rt_conv2d_forward_cn(y, x, weight, bias, g, NULL);
	if (rc == RT_OK)
		rt_cn_to_nc(out, y, g->N, g->M, P);
	return rc;
}

int rt_conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                       const float *weight, const RtConv *g)
{
	const int HW = g->H * g->W, P = g->OH * g->OW;
	const size_t nx = (size_t)g->C * g->N * HW;
	float *x = rt_workspace(WS_X, nx), *dy = rt_workspace(WS_Y, (size_t)g->M * g->N * P);
	float *dx = dinp ? rt_workspace(WS_DX, nx) : NULL;
	if (!x || !dy || (dinp && !dx))
		return rt_fail(RT_ERR_NOMEM, "conv2d backward: cannot allocate the layout buffers");
	rt_nc_to_cn(x, inp, g->N, g->C, HW);
	rt_nc_to_cn(dy, dout, g->N, g->M, P);
	const int rc = rt_conv2d_backward_cn(dx, dweight, dbias, dy, x, weight, g, NULL, 0);
	if (rc == RT_OK && dinp)
		for (int n = 0; n < g->N; n++) /* dinp += dx, back in NCHW */
			for (int c = 0; c < g->C; c++) {
				float *d = dinp + ((size_t)n * g->C + c) * HW;
				const float *s = dx + ((size_t)c * g->N + n) * HW;
				for (int i = 0; i < HW; i++)
					d[i] += s[i];
			}
	return rc;
}
