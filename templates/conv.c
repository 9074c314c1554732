/*
 * Template: conv.c - pasted by onnx2c (compiler/ops/conv.c) into models with
 * a Conv.  Takes no variables: each Conv node's function calls o2c_conv2d()
 * or o2c_dwconv2d() with literal shape arguments.
 *
 * o2c_conv2d: y = clamp(conv(x, w) + bias [+ res], lo, hi) on NCHW, for any
 * group, stride, dilation and padding.  The weights are packed by the
 * compiler into blocks of O2C_CONV_MR output channels:
 *   wp[g][b][ic][ky][kx][r]  = W[g*Mg + b*MR + r][ic][ky][kx]  (0 past Mg)
 * so a microkernel broadcasts MR consecutive floats per tap.  It is an
 * implicit GEMM over a packed input panel (described below), with an
 * AVX-512, an AVX2 and a portable microkernel; o2c_conv2d_generic is the
 * plain-loop reference they are all tested against.  A 1x1, stride-1,
 * unpadded conv is called with H = 1 and W = H*W (one flat row).
 *
 * o2c_conv2d_cv: the same for small images (7x7, 8x8) with vectors over 64
 * output channels (weights packed [M/64][K][64]); o2c_conv2d_wino3 and
 * _wino4: Winograd F(2x2,3x3) and F(4x4,3x3); o2c_conv2d_wcv: Winograd for
 * images of few tiles with the products over 64 output channels.  Each is
 * described where it is defined.
 *
 * o2c_dwconv2d: depthwise (one input channel per group, M == C) with the
 * weights as the model gives them, [C][KH][KW]; rows are accumulated tap by
 * tap over the valid pixel range, which the compiler vectorises.
 */
#define O2C_CONV_MR 8

/* Portable reference of o2c_conv2d (and the fallback off x86). */
O2C_UNUSED static void o2c_conv2d_generic(const float *in, const float *wp, const float *bias, const float *res,
                                          float *out, int N, int G, int C, int H, int W, int M, int OH, int OW, int KH,
                                          int KW, int SH, int SW, int DH, int DW, int PT, int PL, float lo, float hi)
{
	const int Cg = C / G, Mg = M / G, nb = (Mg + O2C_CONV_MR - 1) / O2C_CONV_MR;
	const size_t bstride = (size_t)Cg * KH * KW * O2C_CONV_MR;
	O2C_OMP(for collapse(2) schedule(static) nowait)
	for (int n = 0; n < N; n++)
		for (int oc = 0; oc < M; oc++) {
			const int g = oc / Mg, ocg = oc % Mg;
			const float *wb = wp + ((size_t)g * nb + ocg / O2C_CONV_MR) * bstride + ocg % O2C_CONV_MR;
			const float *x = in + ((size_t)n * C + (size_t)g * Cg) * H * W;
			for (int oy = 0; oy < OH; oy++)
				for (int ox = 0; ox < OW; ox++) {
					float acc = 0.0f;
					for (int ic = 0; ic < Cg; ic++)
						for (int ky = 0; ky < KH; ky++) {
							const int iy = oy * SH + ky * DH - PT;
							if (iy < 0 || iy >= H)
								continue;
							for (int kx = 0; kx < KW; kx++) {
								const int ix = ox * SW + kx * DW - PL;
								if (ix < 0 || ix >= W)
									continue;
								acc += x[((size_t)ic * H + iy) * W + ix] *
								       wb[(((size_t)ic * KH + ky) * KW + kx) *
								          O2C_CONV_MR];
							}
						}
					const size_t o = (((size_t)n * M + oc) * OH + oy) * OW + ox;
					float v = acc + (bias ? bias[oc] : 0.0f);
					if (res)
						v += res[o];
					v = v < lo ? lo : v;
					out[o] = v > hi ? hi : v;
				}
		}
}

/*
 * The fast path is an implicit GEMM, BLIS style: out[M][P] = Wp[M][K] x
 * B[K][P] with K = Cg*KH*KW taps and P = OH*OW output pixels, flattened, so
 * a 7x7 image is one 49-pixel run and not seven short rows.
 *  - driver (o2c_conv2d_packed): splits P into tiles of NR pixels and K
 *    into chunks of whole input channels (<= O2C_CONV_KC taps).  Per tile
 *    and chunk it packs B (the chunk's taps x the tile's pixels, zeros for
 *    padding and past the image) into a contiguous stack panel once, then
 *    runs the microkernel over every block of MR output channels, so the
 *    panel is read from L1/L2 M/MR times and packing costs K*NR per tile.
 *    Strides, dilations and padding live only in the packing.
 *  - microkernel (o2c_conv_tile_<isa>): MR channels x NR pixels of
 *    accumulators in registers over kc taps; reads the packed weights
 *    [kc][MR] and the panel [kc][O2C_CONV_NR]; the first chunk starts from
 *    zero, later ones from the partial sums stored in y; the last applies
 *    bias, residual and clamp and stores only the npix real pixels and the
 *    mleft real channels.  nw (or NULL) is where the weights the thread
 *    reads next start: the SIMD microkernels prefetch on into them, so the
 *    weight stream from memory does not stall at the start of every call.
 * OpenMP splits (image, group, pixel tile, channel-block group); channel
 * blocks are split only when there are too few tiles to feed the threads,
 * since every split repacks the panel.
 */
#define O2C_CONV_NR 48  /* panel width in pixels: 3 AVX-512 vectors */
#define O2C_CONV_KC 512 /* most taps in one panel chunk: 96 KB of stack */
#define O2C_CONV_KHWMAX 256
/* Taps ahead the SIMD microkernels prefetch the packed weights (4 KB): a
 * 7x7 layer's weights are read once per inference, cold from memory, and
 * this takes ~20% off such a layer. */
#define O2C_CONV_PFD 128
#define O2C_CONV_TPI 4 /* most tiles of one small image packed together */
/* Fewest tiles two threads claim from both ends (o2c_claim2); fewer go to
 * the bands (o2c_band), which share a last partial tile by channel blocks:
 * claimed whole, the 4 full tiles and 4 pixels of a 14x14 output left one
 * thread 3 of the full ones (a 3x3 stride-2 128->256 conv at 28x28: 0.52-0.66
 * -> 0.44-0.48 ms on 2 threads in resnet18, profile build). */
#define O2C_CONV_CLAIM_MIN 16

typedef void (*o2c_conv_tile_fn)(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride, int npix,
                                 int mleft, const float *bias, const float *res, int first, int last, float lo,
                                 float hi, const float *nw);

#if defined(__GNUC__) || defined(__clang__)
#define O2C_INLINE static inline __attribute__((always_inline))
#else
#define O2C_INLINE static inline
#endif

/* The epilogue of one output value on a tile's last chunk: its channel's
 * bias b, its residual (res, or NULL) and the clamp. */
O2C_INLINE float o2c_conv_epilogue(float v, float b, const float *res, float lo, float hi)
{
	v += b;
	if (res)
		v += *res;
	v = v < lo ? lo : v;
	return v > hi ? hi : v;
}

/* Portable microkernel, also the reference for the panel contract. */
O2C_UNUSED static void o2c_conv_tile_generic(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride,
                                             int npix, int mleft, const float *bias, const float *res, int first,
                                             int last, float lo, float hi, const float *nw)
{
	float acc[O2C_CONV_MR][O2C_CONV_NR];
	(void)nw;
	for (int r = 0; r < O2C_CONV_MR; r++)
		for (int j = 0; j < npix; j++)
			acc[r][j] = first || r >= mleft ? 0.0f : y[r * ostride + j];
	for (int k = 0; k < kc; k++)
		for (int r = 0; r < O2C_CONV_MR; r++)
			for (int j = 0; j < npix; j++)
				acc[r][j] += w[k * O2C_CONV_MR + r] * bp[k * ldb + j];
	for (int r = 0; r < O2C_CONV_MR && r < mleft; r++)
		for (int j = 0; j < npix; j++)
			y[r * ostride + j] = last ? o2c_conv_epilogue(acc[r][j], bias ? bias[r] : 0.0f,
			                                              res ? res + r * ostride + j : NULL, lo, hi)
			                          : acc[r][j];
}

/* Panel columns a microkernel reads for a tile of npix pixels: whole
 * 16-wide vectors (the padding zeroed, so no garbage enters the FMAs). */
static int o2c_panel_cols(int npix)
{
	const int n = (npix + 15) / 16 * 16;
	return n < O2C_CONV_NR ? n : O2C_CONV_NR;
}

/* Packs taps [k0, k0 + kc) (whole channels from ic0) of the tile into bp.
 * run_* describe, per tap, the runs of consecutive pixels whose inputs are
 * SW apart (one run per output row and tap); the rest of each row's first
 * o2c_panel_cols(npix) columns is zero. */
static void o2c_conv_pack(const float *x, float *bp, int ic0, int nic, int HW, int KHW, int SW, int npix,
                          const int *run_n, const short *run_j, const short *run_len, const int *run_src)
{
	const int nz = o2c_panel_cols(npix);
	for (int ic = 0; ic < nic; ic++) {
		const float *xc = x + (size_t)(ic0 + ic) * HW;
		for (int t = 0; t < KHW; t++) {
			float *dst = bp + ((size_t)ic * KHW + t) * O2C_CONV_NR;
			for (int j = 0; j < nz; j++)
				dst[j] = 0.0f;
			const int base = t * O2C_CONV_NR;
			for (int r = 0; r < run_n[t]; r++) {
				const float *src = xc + run_src[base + r];
				float *d = dst + run_j[base + r];
				const int len = run_len[base + r];
				if (SW == 1) { /* memcpy: gcc's clones of this function do not all vectorise the loop */
					memcpy(d, src, (size_t)len * sizeof *d);
					continue;
				}
				int j0 = 0;
#if defined(__AVX512F__)
				if (SW == 2) { /* 16 even floats from two loads; the second stops at src[2j+30] */
					const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22,
					                                     24, 26, 28, 30);
					for (; j0 + 16 <= len; j0 += 16) {
						const __m512 a = _mm512_loadu_ps(src + 2 * j0);
						const __m512 b = _mm512_maskz_loadu_ps(0x7fff, src + 2 * j0 + 16);
						_mm512_storeu_ps(d + j0, _mm512_permutex2var_ps(a, ev, b));
					}
					if (j0 < len) { /* the tail, masked: reads stop at src[2(len-1)] */
						const int rest = len - j0, na = 2 * rest - 1 < 16 ? 2 * rest - 1 : 16,
						          nb = 2 * rest - 1 - na;
						const __m512 a = _mm512_maskz_loadu_ps((__mmask16)((1u << na) - 1u), src + 2 * j0);
						const __m512 b =
						    _mm512_maskz_loadu_ps((__mmask16)((1u << nb) - 1u), src + 2 * j0 + 16);
						_mm512_mask_storeu_ps(d + j0, (__mmask16)((1u << rest) - 1u),
						                      _mm512_permutex2var_ps(a, ev, b));
						j0 = len;
					}
				}
#endif
				for (int j = j0; j < len; j++)
					d[j] = src[j * SW];
			}
		}
	}
}

/* Packing for stride-2 columns (SW == 2, DW == 1): tap (ky, kx) of output
 * column ox reads input column 2*ox + kx - PL, so along one output-row
 * segment of the tile the KW taps of a row are its even or odd columns
 * shifted by kx/2.  Each input row is split once per segment into its even
 * and odd columns (zeros off the image) and every tap's panel row is a
 * plain copy: a 7x7 stride-2 stem spent a quarter of its time gathering
 * each tap's columns separately.  Segments (output row sy, columns
 * [sx0, sx1), first panel column sj) cover the tile's npix pixels; columns
 * past npix are zero up to o2c_panel_cols(npix).  KW <= O2C_S2_KWMAX. */
#define O2C_S2_KWMAX 15
#if defined(__AVX512F__)
/* Columns [c, c + 16) of row xr (W columns), zeros off the row; reads only
 * inside it (an expanding load at the left edge). */
O2C_INLINE __m512 o2c_row16(const float *xr, int c, int W)
{
	if (c >= 0 && c + 16 <= W)
		return _mm512_loadu_ps(xr + c);
	if (c >= W || c + 16 <= 0)
		return _mm512_setzero_ps();
	unsigned m = c + 16 > W ? (1u << (W - c)) - 1u : 0xffffu; /* lanes left of column W */
	if (c < 0)
		return _mm512_maskz_expandloadu_ps((__mmask16)(m & ~((1u << -c) - 1u)), xr);
	return _mm512_maskz_loadu_ps((__mmask16)m, xr + c);
}
#endif
static void o2c_conv_pack_s2(const float *x, float *bp, int ic0, int nic, int H, int W, int KH, int KW, int SH, int DH,
                             int PT, int PL, int npix, int ns, const int *sy, const int *sx0, const int *sx1,
                             const int *sj)
{
	const int KHW = KH * KW, nz = o2c_panel_cols(npix);
	float ev[O2C_CONV_NR + 16], od[O2C_CONV_NR + 16]; /* a segment's columns and KW/2 more, in 16s */
	for (int ic = 0; ic < nic; ic++) {
		const float *xc = x + (size_t)(ic0 + ic) * H * W;
		float *pc = bp + (size_t)ic * KHW * O2C_CONV_NR;
		for (int t = 0; t < KHW && npix < nz; t++)
			memset(pc + (size_t)t * O2C_CONV_NR + npix, 0, (size_t)(nz - npix) * sizeof *pc);
		for (int ky = 0; ky < KH; ky++)
			for (int sg = 0; sg < ns; sg++) {
				const int iy = sy[sg] * SH - PT + ky * DH, len = sx1[sg] - sx0[sg];
				float *d = pc + (size_t)ky * KW * O2C_CONV_NR + sj[sg];
				if (iy < 0 || iy >= H) {
					for (int kx = 0; kx < KW; kx++)
						memset(d + (size_t)kx * O2C_CONV_NR, 0, (size_t)len * sizeof *d);
					continue;
				}
				const float *xr = xc + (size_t)iy * W;
				const int c0 = 2 * sx0[sg] - PL, ne = len + (KW - 1) / 2; /* ev[q], od[q]: columns c0+2q, c0+2q+1 */
#if defined(__AVX512F__)
				const __m512i evi = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
				const __m512i odi = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
				for (int q = 0; q < ne; q += 16) { /* 32 columns at a time */
					const int c = c0 + 2 * q;
					const __m512 a = o2c_row16(xr, c, W), b = o2c_row16(xr, c + 16, W);
					_mm512_storeu_ps(ev + q, _mm512_permutex2var_ps(a, evi, b));
					_mm512_storeu_ps(od + q, _mm512_permutex2var_ps(a, odi, b));
				}
				for (int kx = 0; kx < KW; kx++) {
					const float *src = (kx & 1 ? od : ev) + kx / 2;
					float *dk = d + (size_t)kx * O2C_CONV_NR;
					int j = 0;
					for (; j + 16 <= len; j += 16)
						_mm512_storeu_ps(dk + j, _mm512_loadu_ps(src + j));
					if (j < len) {
						const __mmask16 m = (__mmask16)((1u << (len - j)) - 1u);
						_mm512_mask_storeu_ps(dk + j, m, _mm512_maskz_loadu_ps(m, src + j));
					}
				}
#else
				for (int q = 0; q < ne; q++) {
					const int c = c0 + 2 * q;
					ev[q] = c >= 0 && c < W ? xr[c] : 0.0f;
					od[q] = c + 1 >= 0 && c + 1 < W ? xr[c + 1] : 0.0f;
				}
				for (int kx = 0; kx < KW; kx++)
					memcpy(d + (size_t)kx * O2C_CONV_NR, (kx & 1 ? od : ev) + kx / 2, (size_t)len * sizeof *d);
#endif
			}
	}
}

/*
 * Work split for data affinity.  A core reads what it wrote itself in the
 * layer before from its own caches (60-110 GB/s here), but what another core
 * wrote at ~27 GB/s (2 vCPUs, measured with a writer/reader pair), about
 * DRAM speed.  So with several threads the spatial kernels give thread t the
 * t-th band of every image: a contiguous range of its pixels (or Winograd
 * tiles), the same fraction of the image in every layer whatever the
 * stride, and all its output channels.  A band is done in pieces of at most
 * w units (panel tiles, Winograd groups); the split point is a multiple of
 * 16 units or exactly proportional, whichever gives the dearest band the
 * lower cost, and when the full pieces divide evenly between the threads
 * the partial piece left at the end is shared by channel blocks instead.
 * With exactly two threads in a run the bands' common end is not fixed:
 * they take pieces from both ends of the image until they meet
 * (o2c_claim2), so the faster vCPU does more.
 */
typedef struct O2cBand {
	int lo, hi;           /* units [lo, hi) with all channel blocks */
	int r0, r1, rb0, rb1; /* and units [r0, r1) with blocks [rb0, rb1) */
} O2cBand;

/* Microkernel cost of n units in pieces of w (a multiple of 16), in
 * 16-wide vectors; a lone vector is load-bound (9 loads for 8 FMAs a tap). */
static float o2c_band_cost(int n, int w)
{
	const int nv = (n % w + 15) / 16;
	return (float)(n / w) * (float)(w / 16) + (nv == 1 ? 1.12f : (float)nv);
}

static int o2c_band_at(int P, int t, int nth, int round16)
{
	const int e = o2c_band_cut(P, t, nth);
	if (t == nth || !round16)
		return e;
	return (e + 8) / 16 * 16 < P ? (e + 8) / 16 * 16 : P;
}

static O2cBand o2c_band(int P, int w, int nb, int tid, int nth)
{
	O2cBand b = {0, P, 0, 0, 0, 0};
	const int nfull = P / w;
	if (nth == 1)
		return b;
	if (P % w && nfull && nfull % nth == 0) {
		b.lo = nfull / nth * w * tid, b.hi = b.lo + nfull / nth * w;
		b.r0 = nfull * w, b.r1 = P, b.rb0 = nb * tid / nth, b.rb1 = nb * (tid + 1) / nth;
		return b;
	}
	float cost[2] = {0.0f, 0.0f};
	for (int m = 0; m < 2; m++)
		for (int t = 0; t < nth; t++) {
			const float c = o2c_band_cost(o2c_band_at(P, t + 1, nth, m) - o2c_band_at(P, t, nth, m), w);
			cost[m] = c > cost[m] ? c : cost[m];
		}
	const int m = cost[1] < cost[0];
	b.lo = o2c_band_at(P, tid, nth, m), b.hi = o2c_band_at(P, tid + 1, nth, m);
	return b;
}

/* One work item of o2c_conv2d_packed: nt tiles (pixels [tp0[i], tp0[i] + tnp[i]))
 * of image n, group g, for channel blocks [b0, b1): per chunk of input
 * channels the tiles' panels are packed side by side, then each block's
 * microkernel runs over them. */
O2C_DRIVER void o2c_conv_packed_item(const float *in, const float *wp, const float *bias, const float *res, float *out,
                                 int n, int g, const int *tp0, const int *tnp, int nt, int b0, int b1, int G, int C,
                                 int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW,
                                 int PT, int PL, float lo, float hi, o2c_conv_tile_fn tile)
{
	const int Cg = C / G, Mg = M / G, nb = (Mg + O2C_CONV_MR - 1) / O2C_CONV_MR, KHW = KH * KW;
	const int K = Cg * KHW, P = OH * OW, kcmax = O2C_CONV_KC / nt;
	const int icc = KHW >= kcmax ? 1 : kcmax / KHW; /* input channels per chunk */
	const size_t ostride = (size_t)P;
	float bp[O2C_CONV_KC * O2C_CONV_NR];
	int run_n[O2C_CONV_KHWMAX], run_src[O2C_CONV_KHWMAX * O2C_CONV_NR];
	short run_j[O2C_CONV_KHWMAX * O2C_CONV_NR], run_len[O2C_CONV_KHWMAX * O2C_CONV_NR];
	/* runs of each tap over each tile's pixels: tile ti, tap tp at (ti * KHW + tp).
	 * Per output-row segment of the tile a tap's valid columns are one
	 * range, found by division (a per-pixel scan costs as much as the
	 * FMAs in a 3-channel stem); a run continuing the previous one in
	 * both the panel and the input (a 1x1 conv over whole rows) is merged. */
	const int s2 = SW == 2 && DW == 1 && KW <= O2C_S2_KWMAX; /* packed by o2c_conv_pack_s2 from the segments */
	int segy[O2C_CONV_TPI][O2C_CONV_NR], segx0[O2C_CONV_TPI][O2C_CONV_NR], segx1[O2C_CONV_TPI][O2C_CONV_NR];
	int segj[O2C_CONV_TPI][O2C_CONV_NR], nseg[O2C_CONV_TPI];
	for (int ti = 0; ti < nt; ti++) {
		const int p0 = tp0[ti], npix = tnp[ti];
		int *sy = segy[ti], *sx0 = segx0[ti], *sx1 = segx1[ti], *sj = segj[ti], ns = 0;
		for (int j = 0; j < npix;) { /* row segments: output row, columns [sx0, sx1), first pixel */
			const int oy = (p0 + j) / OW, ox = (p0 + j) % OW;
			const int len = OW - ox < npix - j ? OW - ox : npix - j;
			sy[ns] = oy, sx0[ns] = ox, sx1[ns] = ox + len, sj[ns] = j, ns++;
			j += len;
		}
		nseg[ti] = ns;
		for (int ky = 0; ky < KH && !s2; ky++)
			for (int kx = 0; kx < KW; kx++) {
				const int tp = ti * KHW + ky * KW + kx, base = tp * O2C_CONV_NR;
				const int a = PL - kx * DW, bx = W - 1 + PL - kx * DW;
				const int vlo = a <= 0 ? 0 : (a + SW - 1) / SW, vhi = bx < 0 ? 0 : bx / SW + 1;
				int nr = 0;
				for (int sg = 0; sg < ns; sg++) {
					const int iy = sy[sg] * SH - PT + ky * DH;
					const int lo_x = sx0[sg] > vlo ? sx0[sg] : vlo, hi_x = sx1[sg] < vhi ? sx1[sg] : vhi;
					if (iy < 0 || iy >= H || lo_x >= hi_x)
						continue;
					const int j = sj[sg] + lo_x - sx0[sg], src = iy * W + lo_x * SW - a;
					if (nr && run_j[base + nr - 1] + run_len[base + nr - 1] == j &&
					    run_src[base + nr - 1] + run_len[base + nr - 1] * SW == src) {
						run_len[base + nr - 1] = (short)(run_len[base + nr - 1] + hi_x - lo_x);
					} else {
						run_j[base + nr] = (short)j;
						run_len[base + nr] = (short)(hi_x - lo_x);
						run_src[base + nr] = src;
						nr++;
					}
				}
				run_n[tp] = nr;
			}
	}
	const float *x = in + ((size_t)n * C + (size_t)g * Cg) * H * W;
	for (int ic0 = 0; ic0 < Cg; ic0 += icc) {
		const int nic = Cg - ic0 < icc ? Cg - ic0 : icc, k0 = ic0 * KHW, kc = nic * KHW;
		for (int ti = 0; ti < nt; ti++) /* tile ti's panel: kc taps x NR at bp + ti * kc * NR */
			if (s2)
				o2c_conv_pack_s2(x, bp + (size_t)ti * kc * O2C_CONV_NR, ic0, nic, H, W, KH, KW, SH, DH, PT,
				                 PL, tnp[ti], nseg[ti], segy[ti], segx0[ti], segx1[ti], segj[ti]);
			else
				o2c_conv_pack(x, bp + (size_t)ti * kc * O2C_CONV_NR, ic0, nic, H * W, KHW, SW, tnp[ti],
				              run_n + ti * KHW, run_j + ti * KHW * O2C_CONV_NR,
				              run_len + ti * KHW * O2C_CONV_NR, run_src + ti * KHW * O2C_CONV_NR);
		for (int b = b0; b < b1; b++) {
			const int oc0 = g * Mg + b * O2C_CONV_MR;
			const float *wb = wp + (((size_t)g * nb + b) * K + k0) * O2C_CONV_MR;
			/* read next: this chunk of the next block, else the next chunk of the first */
			const float *nw = b + 1 < b1      ? wb + (size_t)K * O2C_CONV_MR
			                  : ic0 + nic < Cg ? wp + (((size_t)g * nb + b0) * K + k0 + kc) * O2C_CONV_MR
			                                   : NULL;
			for (int ti = 0; ti < nt; ti++) {
				const size_t o = ((size_t)n * M + oc0) * ostride + tp0[ti];
				tile(bp + (size_t)ti * kc * O2C_CONV_NR, O2C_CONV_NR, wb, kc, out + o, ostride, tnp[ti],
				     Mg - b * O2C_CONV_MR, bias ? bias + oc0 : NULL, res ? res + o : NULL, ic0 == 0,
				     ic0 + nic == Cg, lo, hi, ti + 1 < nt ? wb : nw);
			}
		}
	}
}

O2C_DRIVER void o2c_conv2d_packed(const float *in, const float *wp, const float *bias, const float *res, float *out, int N,
                              int G, int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                              int DW, int PT, int PL, float lo, float hi, o2c_conv_tile_fn tile)
{
	const int Mg = M / G, nb = (Mg + O2C_CONV_MR - 1) / O2C_CONV_MR, KHW = KH * KW;
	const int P = OH * OW, ntiles = (P + O2C_CONV_NR - 1) / O2C_CONV_NR;
	const int nthr = o2c_nthreads();
	/* A small image (7x7, 8x8: 2 tiles) is done in one item with all its
	 * tiles' panels packed side by side, so each weight block is read once
	 * for all of them instead of once per tile: such layers have the most
	 * weights per pixel. */
	const int tpi = ntiles <= O2C_CONV_TPI && ntiles * KHW <= O2C_CONV_KHWMAX ? ntiles : 1;
	if (nthr == 2 && N == 1 && G == 1 && tpi == 1 && ntiles >= O2C_CONV_CLAIM_MIN && o2c_claim2_ok()) {
		for (int k; (k = o2c_claim2_tail(ntiles, P % O2C_CONV_NR)) >= 0;) { /* tiles from both ends */
			const int p0 = k * O2C_CONV_NR, npx = P - p0 < O2C_CONV_NR ? P - p0 : O2C_CONV_NR;
			o2c_conv_packed_item(in, wp, bias, res, out, 0, 0, &p0, &npx, 1, 0, nb, G, C, H, W, M, OH, OW,
			                     KH, KW, SH, SW, DH, DW, PT, PL, lo, hi, tile);
		}
		return;
	}
	if (nthr > 1 && G == 1 && tpi == 1) { /* this thread's band of each image */
		const O2cBand bd = o2c_band(P, O2C_CONV_NR, nb, o2c_tid(), nthr);
		for (int n = 0; n < N; n++) {
			for (int p0 = bd.lo; p0 < bd.hi; p0 += O2C_CONV_NR) {
				const int np = bd.hi - p0 < O2C_CONV_NR ? bd.hi - p0 : O2C_CONV_NR;
				o2c_conv_packed_item(in, wp, bias, res, out, n, 0, &p0, &np, 1, 0, nb, G, C, H, W, M, OH,
				                     OW, KH, KW, SH, SW, DH, DW, PT, PL, lo, hi, tile);
			}
			if (bd.rb0 < bd.rb1) {
				const int np = bd.r1 - bd.r0;
				o2c_conv_packed_item(in, wp, bias, res, out, n, 0, &bd.r0, &np, 1, bd.rb0, bd.rb1, G, C, H,
				                     W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo, hi, tile);
			}
		}
		return;
	}
	const int ngr = (ntiles + tpi - 1) / tpi;
	/* split channel blocks only when the tiles alone cannot feed the threads */
	/* a grouped small image has its whole weight stream in one unit: split it
	 * once per thread; otherwise a few units per thread for balance */
	const long units = (long)N * G * ngr, want = nthr == 1 ? 1 : tpi > 1 ? nthr : 4L * nthr;
	int nmg = units >= want ? 1 : (int)((want + units - 1) / units);
	if (nmg > nb)
		nmg = nb;
	const int bpg = (nb + nmg - 1) / nmg; /* blocks per group */
	const long total = units * nmg;
	/* dynamic: on a loaded machine a preempted thread must not hold back a
	 * fixed share of the work until the barrier */
	O2C_OMP(for schedule(dynamic, 1) nowait)
	for (long it = 0; it < total; it++) {
		long q = it;
		const int mg = (int)(q % nmg);
		q /= nmg;
		const int gr = (int)(q % ngr);
		q /= ngr;
		const int g = (int)(q % G);
		const int n = (int)(q / G);
		const int t0 = gr * tpi, nt = ntiles - t0 < tpi ? ntiles - t0 : tpi;
		const int b0 = mg * bpg, b1 = b0 + bpg < nb ? b0 + bpg : nb;
		int tp0[O2C_CONV_TPI], tnp[O2C_CONV_TPI];
		if (b0 >= b1)
			continue;
		for (int ti = 0; ti < nt; ti++) {
			tp0[ti] = (t0 + ti) * O2C_CONV_NR;
			tnp[ti] = P - tp0[ti] < O2C_CONV_NR ? P - tp0[ti] : O2C_CONV_NR;
		}
		o2c_conv_packed_item(in, wp, bias, res, out, n, g, tp0, tnp, nt, b0, b1, G, C, H, W, M, OH, OW, KH, KW,
		                     SH, SW, DH, DW, PT, PL, lo, hi, tile);
	}
}

/* The packed path with the portable microkernel: the fallback off x86. */
O2C_UNUSED static void o2c_conv2d_scalar(const float *in, const float *wp, const float *bias, const float *res,
                                         float *out, int N, int G, int C, int H, int W, int M, int OH, int OW, int KH,
                                         int KW, int SH, int SW, int DH, int DW, int PT, int PL, float lo, float hi)
{
	if (KH * KW > O2C_CONV_KHWMAX)
		o2c_conv2d_generic(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo,
		                   hi);
	else
		o2c_conv2d_packed(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo,
		                  hi, o2c_conv_tile_generic);
}

#if defined(__AVX512F__)
/* MR x 16*NV accumulators (24 of the 32 zmm at NV = 3). */
O2C_INLINE void o2c_conv_tile_avx512_nv(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride,
                                        int npix, int mleft, const float *bias, const float *res, int first, int last,
                                        float lo, float hi, const float *nw, const int NV)
{
	__m512 acc[O2C_CONV_MR][3];
	__mmask16 st[3];
	O2C_UNROLL
	for (int v = 0; v < NV; v++) {
		const int left = npix - 16 * v;
		st[v] = (__mmask16)(left >= 16 ? 0xffffu : left <= 0 ? 0u : (1u << left) - 1u);
	}
	O2C_UNROLL
	for (int r = 0; r < O2C_CONV_MR; r++)
		O2C_UNROLL
		for (int v = 0; v < NV; v++)
			acc[r][v] = first || r >= mleft ? _mm512_setzero_ps()
			                                : _mm512_maskz_loadu_ps(st[v], y + r * ostride + 16 * v);
	for (int k = 0; k < kc; k++) {
		__m512 xv[3];
		O2C_UNROLL
		for (int v = 0; v < NV; v++)
			xv[v] = _mm512_loadu_ps(bp + (size_t)k * ldb + 16 * v);
		if (k + O2C_CONV_PFD < kc) /* weights stream from memory in big layers */
			_mm_prefetch((const char *)(w + (size_t)(k + O2C_CONV_PFD) * O2C_CONV_MR), _MM_HINT_T0);
		else if (nw) /* and on into the next call's */
			_mm_prefetch((const char *)(nw + (size_t)(k + O2C_CONV_PFD - kc) * O2C_CONV_MR), _MM_HINT_T0);
		O2C_UNROLL
		for (int r = 0; r < O2C_CONV_MR; r++) {
			const __m512 wv = _mm512_set1_ps(w[(size_t)k * O2C_CONV_MR + r]);
			O2C_UNROLL
			for (int v = 0; v < NV; v++)
				acc[r][v] = _mm512_fmadd_ps(wv, xv[v], acc[r][v]);
		}
	}
	const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
	for (int r = 0; r < O2C_CONV_MR && r < mleft; r++)
		O2C_UNROLL
		for (int v = 0; v < NV; v++) {
			__m512 o = acc[r][v];
			if (last) {
				o = _mm512_add_ps(o, _mm512_set1_ps(bias ? bias[r] : 0.0f));
				if (res)
					o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(st[v], res + r * ostride + 16 * v));
				o = _mm512_min_ps(_mm512_max_ps(o, vlo), vhi);
			}
			_mm512_mask_storeu_ps(y + r * ostride + 16 * v, st[v], o);
		}
}

/* One or two pixels (17x17 = 6 x 48 + 1, 73x73 = 111 x 48 + 1, 7x7 = 48 + 1):
 * a 16-wide vector per pixel would use one lane of each FMA, so a tile
 * that small cost a third of a full one (17% of a 17x17 1x7 layer on two
 * threads).  Here a vector holds taps k and k+1 of the MR channels, the
 * packed weights as they lie, against the pixel's two inputs, and the two
 * halves are added at the end: 16 useful lanes per FMA. */
O2C_INLINE void o2c_conv_tile_avx512_few(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride,
                                         int npix, int mleft, const float *bias, const float *res, int first,
                                         int last, float lo, float hi, const float *nw, const int NP)
{
	__m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
	(void)nw, (void)npix;
	int k = 0;
	for (; k + 2 <= kc; k += 2) {
		const __m512 wv = _mm512_loadu_ps(w + (size_t)k * O2C_CONV_MR); /* taps k, k+1 x MR channels */
		O2C_UNROLL
		for (int p = 0; p < NP; p++) {
			const __m512 xv = _mm512_insertf32x8(_mm512_set1_ps(bp[(size_t)k * ldb + p]),
			                                     _mm256_set1_ps(bp[(size_t)(k + 1) * ldb + p]), 1);
			acc[p] = _mm512_fmadd_ps(wv, xv, acc[p]);
		}
	}
	if (k < kc) { /* an odd last tap: its MR weights in the low half */
		const __m512 wv = _mm512_maskz_loadu_ps(0x00ff, w + (size_t)k * O2C_CONV_MR);
		O2C_UNROLL
		for (int p = 0; p < NP; p++)
			acc[p] = _mm512_fmadd_ps(wv, _mm512_set1_ps(bp[(size_t)k * ldb + p]), acc[p]);
	}
	for (int p = 0; p < NP; p++) {
		float o[O2C_CONV_MR];
		_mm256_storeu_ps(o, _mm256_add_ps(_mm512_castps512_ps256(acc[p]), _mm512_extractf32x8_ps(acc[p], 1)));
		for (int r = 0; r < O2C_CONV_MR && r < mleft; r++) {
			const float v = o[r] + (first ? 0.0f : y[r * ostride + p]);
			y[r * ostride + p] =
			    last ? o2c_conv_epilogue(v, bias ? bias[r] : 0.0f, res ? res + r * ostride + p : NULL, lo, hi) : v;
		}
	}
}

static void o2c_conv_tile_avx512(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride, int npix,
                                 int mleft, const float *bias, const float *res, int first, int last, float lo,
                                 float hi, const float *nw)
{
	if (npix == 1)
		o2c_conv_tile_avx512_few(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last, lo, hi, nw, 1);
	else if (npix == 2)
		o2c_conv_tile_avx512_few(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last, lo, hi, nw, 2);
	else if (npix > 32)
		o2c_conv_tile_avx512_nv(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last, lo, hi, nw, 3);
	else if (npix > 16)
		o2c_conv_tile_avx512_nv(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last, lo, hi, nw, 2);
	else
		o2c_conv_tile_avx512_nv(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last, lo, hi, nw, 1);
}

O2C_UNUSED static void o2c_conv2d_avx512(const float *in, const float *wp, const float *bias, const float *res,
                                         float *out, int N, int G, int C, int H, int W, int M, int OH, int OW, int KH,
                                         int KW, int SH, int SW, int DH, int DW, int PT, int PL, float lo, float hi)
{
	if (KH * KW > O2C_CONV_KHWMAX)
		o2c_conv2d_generic(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo,
		                   hi);
	else
		o2c_conv2d_packed(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo,
		                  hi, o2c_conv_tile_avx512);
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
/* AVX2 has 16 registers: MR x 8 pixels (8 accumulators), six calls per panel. */
static void o2c_conv_tile_avx2(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride, int npix,
                               int mleft, const float *bias, const float *res, int first, int last, float lo, float hi,
                               const float *nw)
{
	const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
	for (int j0 = 0; j0 < npix; j0 += 8) {
		__m256 acc[O2C_CONV_MR];
		const __m256i st = _mm256_cmpgt_epi32(_mm256_set1_epi32(npix - j0), lane);
		O2C_UNROLL
		for (int r = 0; r < O2C_CONV_MR; r++)
			acc[r] =
			    first || r >= mleft ? _mm256_setzero_ps() : _mm256_maskload_ps(y + r * ostride + j0, st);
		for (int k = 0; k < kc; k++) {
			const __m256 xv = _mm256_loadu_ps(bp + (size_t)k * ldb + j0);
			if (k + O2C_CONV_PFD < kc)
				_mm_prefetch((const char *)(w + (size_t)(k + O2C_CONV_PFD) * O2C_CONV_MR), _MM_HINT_T0);
			else if (nw)
				_mm_prefetch((const char *)(nw + (size_t)(k + O2C_CONV_PFD - kc) * O2C_CONV_MR),
				             _MM_HINT_T0);
			O2C_UNROLL
			for (int r = 0; r < O2C_CONV_MR; r++)
				acc[r] =
				    _mm256_fmadd_ps(_mm256_broadcast_ss(w + (size_t)k * O2C_CONV_MR + r), xv, acc[r]);
		}
		for (int r = 0; r < O2C_CONV_MR && r < mleft; r++) {
			__m256 o = acc[r];
			if (last) {
				o = _mm256_add_ps(o, _mm256_set1_ps(bias ? bias[r] : 0.0f));
				if (res)
					o = _mm256_add_ps(o, _mm256_maskload_ps(res + r * ostride + j0, st));
				o = _mm256_min_ps(_mm256_max_ps(o, vlo), vhi);
			}
			_mm256_maskstore_ps(y + r * ostride + j0, st, o);
		}
	}
}

O2C_UNUSED static void o2c_conv2d_avx2(const float *in, const float *wp, const float *bias, const float *res,
                                       float *out, int N, int G, int C, int H, int W, int M, int OH, int OW, int KH,
                                       int KW, int SH, int SW, int DH, int DW, int PT, int PL, float lo, float hi)
{
	if (KH * KW > O2C_CONV_KHWMAX)
		o2c_conv2d_generic(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo,
		                   hi);
	else
		o2c_conv2d_packed(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo,
		                  hi, o2c_conv_tile_avx2);
}
#endif

/*
 * o2c_conv2d_wino: 3x3, stride 1, dilation 1, one group, by Winograd
 * F(2x2, 3x3) (Lavin & Gray): each 2x2 output tile costs 16 multiplies per
 * input channel instead of 36.  The compiler transforms the weights,
 * U = G g G^T, and packs them per transform position xi (16 of them) like
 * the direct path: U[xi][b][c][MR].  Per group of TG tiles a thread
 *  - transforms the input, V[xi][c][j] = (B^T d B)[xi] for tile j's 4x4
 *    patch d (zeros outside the image), all C channels at once;
 *  - per block of MR output channels runs the microkernel 16 times (one
 *    GEMM [MR x C] x [C x TG] per xi) into Mb[xi][MR][TG];
 *  - transforms back, Y = A^T m A, and applies bias, residual and clamp.
 * TG is as large as V (<= O2C_WINO_VMAX floats on the stack, 512 KB)
 * allows, up to O2C_CONV_NR: each group streams all the transformed
 * weights, so fewer groups is less traffic, and wider GEMMs run the
 * microkernel's wider variants.  The compiler uses this path only for
 * C <= 512.
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   A^T = [1 1 1 0; 0 1 -1 -1]
 */
#define O2C_WINO_VMAX (16 * 512 * 16)

/* Floats from one Winograd position's V[C][ldv] to the next: C * ldv
 * rounded up to an odd number of 64-byte lines.  Unpadded, a power-of-two
 * C made it a multiple of 4 KB (64 x 48 floats is 12 KB), so the 16 or 36
 * rows an input transform writes per channel all fell in one L1 set: a
 * 28x28 layer's transform then took 4x as long on the thread that had 24
 * tiles as on the one that had 25.  Stacks and scratch hold npos * 32
 * floats more than npos * C * ldv. */
static size_t o2c_wino_vs(int C, int ldv)
{
	return (((size_t)C * ldv + 15) / 16 | 1) * 16;
}
#define O2C_WINO_PADF 32 /* o2c_wino_vs adds at most 31 floats; compiler/ops/conv.c sizes the wcv scratch with it */
#define O2C_WINO_VPAD(npos) ((npos) * O2C_WINO_PADF)

/* Zeroes columns [nt, TG) of channels [c0, c1) at each of npos positions
 * vs apart: a partial group's unused tiles, so the GEMM reads defined values. */
static void o2c_wino_zero_tail(float *V, size_t vs, int ldv, int npos, int c0, int c1, int nt, int TG)
{
	for (int xi = 0; xi < npos && nt < TG; xi++)
		for (int c = c0; c < c1; c++)
			memset(V + (size_t)xi * vs + (size_t)c * ldv + nt, 0, (size_t)(TG - nt) * sizeof *V);
}

/* Where each of a group's tiles reads its 16 inputs (-1: padding) and
 * writes its outputs. */
typedef struct O2cWino2Map {
	int ioff[16][O2C_CONV_NR], ooff[O2C_CONV_NR], oh2[O2C_CONV_NR], ow2[O2C_CONV_NR];
} O2cWino2Map;

static void o2c_wino2_map(O2cWino2Map *mp, int t0, int nt, int TG, int TWt, int H, int W, int OH, int OW, int PT,
                          int PL)
{
	for (int j = 0; j < TG; j++) {
		const int tj = t0 + (j < nt ? j : 0), ty = tj / TWt, tx = tj % TWt;
		for (int e = 0; e < 16; e++) {
			const int iy = 2 * ty - PT + e / 4, ix = 2 * tx - PL + e % 4;
			mp->ioff[e][j] = j < nt && iy >= 0 && iy < H && ix >= 0 && ix < W ? iy * W + ix : -1;
		}
		mp->ooff[j] = 2 * ty * OW + 2 * tx;
		mp->oh2[j] = 2 * ty + 1 < OH; /* the tile's second row / column exist */
		mp->ow2[j] = 2 * tx + 1 < OW;
	}
}

/* Input transform of channels [c0, c1) of image x into V[16][C][ldv], the
 * group's TG tiles in columns [0, TG). */
O2C_DRIVER void o2c_wino2_in(const float *x, float *V, int ldv, int C, int c0, int c1, int HW, int TG,
                             const O2cWino2Map *mp)
{
	float d[16][O2C_CONV_NR], u[16][O2C_CONV_NR];
	for (int c = c0; c < c1; c++) {
		const float *xc = x + (size_t)c * HW;
		for (int e = 0; e < 16; e++)
			for (int j = 0; j < TG; j++)
				d[e][j] = mp->ioff[e][j] >= 0 ? xc[mp->ioff[e][j]] : 0.0f;
		/* every loop runs over the tiles j, so the compiler vectorises them */
		for (int r = 0; r < 4; r++) /* B^T d: rows */
			for (int j = 0; j < TG; j++) {
				const float d0 = d[0 * 4 + r][j], d1 = d[1 * 4 + r][j];
				const float d2 = d[2 * 4 + r][j], d3 = d[3 * 4 + r][j];
				u[0 * 4 + r][j] = d0 - d2;
				u[1 * 4 + r][j] = d1 + d2;
				u[2 * 4 + r][j] = d2 - d1;
				u[3 * 4 + r][j] = d1 - d3;
			}
		for (int i = 0; i < 4; i++) { /* (B^T d) B: columns */
			const size_t vs = o2c_wino_vs(C, ldv); /* one position further */
			float *v0 = V + (size_t)(i * 4) * vs + (size_t)c * ldv, *v1 = v0 + vs, *v2 = v1 + vs, *v3 = v2 + vs;
			for (int j = 0; j < TG; j++) {
				const float u0 = u[i * 4 + 0][j], u1 = u[i * 4 + 1][j];
				const float u2 = u[i * 4 + 2][j], u3 = u[i * 4 + 3][j];
				v0[j] = u0 - u2;
				v1[j] = u1 + u2;
				v2[j] = u2 - u1;
				v3[j] = u1 - u3;
			}
		}
	}
}

/* The MR x TG products of channel block b at each of the npos Winograd positions, into
 * Mb[xi][MR][TG]; each call is given the weights the next one reads (position xi + 1, else
 * the next block's first; none after block b1 - 1) to prefetch them while it works. */
static void o2c_wino_products(const float *V, const float *U, float *Mb, int C, int TG, int nt, int nb, int b,
                              int b1, int mleft, int npos, float lo, float hi, o2c_conv_tile_fn tile)
{
	for (int xi = 0; xi < npos; xi++)
		tile(V + (size_t)xi * o2c_wino_vs(C, TG), TG, U + (((size_t)xi * nb + b) * C) * O2C_CONV_MR, C,
		     Mb + xi * O2C_CONV_MR * TG, (size_t)TG, nt, mleft, NULL, NULL, 1, 0, lo, hi,
		     xi + 1 < npos ? U + (((size_t)(xi + 1) * nb + b) * C) * O2C_CONV_MR
		     : b + 1 < b1  ? U + (size_t)(b + 1) * C * O2C_CONV_MR
		                   : NULL);
}

/* GEMMs and output transform of a group for channel blocks [b0, b1) of image n. */
O2C_DRIVER void o2c_wino2_out(const float *V, const float *U, const float *bias, const float *res, float *out, int n, int C,
                          int M, int OH, int OW, int TG, int nt, const O2cWino2Map *mp, int b0, int b1, float lo,
                          float hi, o2c_conv_tile_fn tile)
{
	float Mb[16 * O2C_CONV_MR * O2C_CONV_NR];
	float a[8][O2C_CONV_NR], yv[4][O2C_CONV_NR];
	const int nb = (M + O2C_CONV_MR - 1) / O2C_CONV_MR;
	const size_t plane = (size_t)OH * OW;
	for (int b = b0; b < b1; b++) {
		const int oc0 = b * O2C_CONV_MR, mleft = M - oc0;
		o2c_wino_products(V, U, Mb, C, TG, nt, nb, b, b1, mleft, 16, lo, hi, tile);
		for (int r = 0; r < O2C_CONV_MR && r < mleft; r++) {
			const float *m = Mb + r * TG;
			const size_t ms = (size_t)O2C_CONV_MR * TG; /* one xi further */
			const float bv = bias ? bias[oc0 + r] : 0.0f;
			float *y = out + ((size_t)n * M + oc0 + r) * plane;
			const float *rs = res ? res + ((size_t)n * M + oc0 + r) * plane : NULL;
			for (int k = 0; k < 4; k++) /* A^T m: rows */
				for (int j = 0; j < nt; j++) {
					const float m0 = m[(0 * 4 + k) * ms + j], m1 = m[(1 * 4 + k) * ms + j];
					const float m2 = m[(2 * 4 + k) * ms + j], m3 = m[(3 * 4 + k) * ms + j];
					a[k][j] = m0 + m1 + m2;
					a[4 + k][j] = m1 - m2 - m3;
				}
			for (int i = 0; i < 2; i++) /* (A^T m) A: columns */
				for (int j = 0; j < nt; j++) {
					yv[i * 2 + 0][j] = a[i * 4 + 0][j] + a[i * 4 + 1][j] + a[i * 4 + 2][j] + bv;
					yv[i * 2 + 1][j] = a[i * 4 + 1][j] - a[i * 4 + 2][j] - a[i * 4 + 3][j] + bv;
				}
			for (int j = 0; j < nt; j++)
				for (int e = 0; e < 4; e++) {
					if ((e / 2 && !mp->oh2[j]) || (e % 2 && !mp->ow2[j]))
						continue;
					const size_t o = mp->ooff[j] + (size_t)(e / 2) * OW + e % 2;
					float v = yv[e][j] + (rs ? rs[o] : 0.0f);
					v = v < lo ? lo : v;
					y[o] = v > hi ? hi : v;
				}
		}
	}
}

O2C_DRIVER void o2c_conv2d_wino(const float *in, const float *U, const float *bias, const float *res, float *out, int N,
                            int C, int H, int W, int M, int OH, int OW, int PT, int PL, float lo, float hi,
                            o2c_conv_tile_fn tile)
{
	const int nb = (M + O2C_CONV_MR - 1) / O2C_CONV_MR, TWt = (OW + 1) / 2, T = (OH + 1) / 2 * TWt;
	int TG = O2C_WINO_VMAX / (16 * C) / 16 * 16;
	TG = TG < 16 ? 16 : TG > O2C_CONV_NR ? O2C_CONV_NR : TG;
	const int nthr = o2c_nthreads();
	if (nthr == 2 && N == 1 && T > TG && o2c_claim2_ok()) { /* groups of TG tiles from both ends */
		float V[O2C_WINO_VMAX + O2C_WINO_VPAD(16)];
		O2cWino2Map mp;
		for (int k; (k = o2c_claim2_tail((T + TG - 1) / TG, T % TG)) >= 0;) {
			const int t0 = k * TG, nt = T - t0 < TG ? T - t0 : TG;
			o2c_wino2_map(&mp, t0, nt, TG, TWt, H, W, OH, OW, PT, PL);
			o2c_wino2_in(in, V, TG, C, 0, C, H * W, TG, &mp);
			o2c_wino2_out(V, U, bias, res, out, 0, C, M, OH, OW, TG, nt, &mp, 0, nb, lo, hi, tile);
		}
		return;
	}
	if (nthr > 1 && T > TG) { /* this thread's band of each image (see O2cBand), in groups of TG tiles */
		const O2cBand bd = o2c_band(T, TG, nb, o2c_tid(), nthr);
		float V[O2C_WINO_VMAX + O2C_WINO_VPAD(16)];
		O2cWino2Map mp;
		for (int n = 0; n < N; n++) {
			const float *x = in + (size_t)n * C * H * W;
			for (int t0 = bd.lo; t0 < bd.hi; t0 += TG) {
				const int nt = bd.hi - t0 < TG ? bd.hi - t0 : TG;
				o2c_wino2_map(&mp, t0, nt, TG, TWt, H, W, OH, OW, PT, PL);
				o2c_wino2_in(x, V, TG, C, 0, C, H * W, TG, &mp);
				o2c_wino2_out(V, U, bias, res, out, n, C, M, OH, OW, TG, nt, &mp, 0, nb, lo, hi, tile);
			}
			if (bd.rb0 < bd.rb1) {
				o2c_wino2_map(&mp, bd.r0, bd.r1 - bd.r0, TG, TWt, H, W, OH, OW, PT, PL);
				o2c_wino2_in(x, V, TG, C, 0, C, H * W, TG, &mp);
				o2c_wino2_out(V, U, bias, res, out, n, C, M, OH, OW, TG, bd.r1 - bd.r0, &mp, bd.rb0, bd.rb1,
				              lo, hi, tile);
			}
		}
		return;
	}
	/* groups of equal size (49 tiles: 25 + 24, not 32 + 17), in whole vectors */
	const int ngr = (T + TG - 1) / TG;
	TG = ((T + ngr - 1) / ngr + 15) / 16 * 16;
	const long groups = (long)N * ngr;
	/* each split by channel blocks repeats the input transform: only when
	 * the groups cannot feed the threads */
	const long want = nthr;
	int nmg = groups >= want ? 1 : (int)((want + groups - 1) / groups);
	if (nmg > nb)
		nmg = nb;
	const int bpg = (nb + nmg - 1) / nmg;
	const long total = groups * nmg;
	/* dynamic: on a loaded machine a preempted thread must not hold back a
	 * fixed share of the work until the barrier */
	O2C_OMP(for schedule(dynamic, 1) nowait)
	for (long it = 0; it < total; it++) {
		float V[O2C_WINO_VMAX + O2C_WINO_VPAD(16)];
		O2cWino2Map mp;
		long q = it;
		const int mg = (int)(q % nmg);
		q /= nmg;
		const int gr = (int)(q % ngr);
		const int n = (int)(q / ngr);
		const int t0 = gr * TG, nt = T - t0 < TG ? T - t0 : TG;
		const int b0 = mg * bpg, b1 = b0 + bpg < nb ? b0 + bpg : nb;
		if (b0 >= b1)
			continue;
		o2c_wino2_map(&mp, t0, nt, TG, TWt, H, W, OH, OW, PT, PL);
		o2c_wino2_in(in + (size_t)n * C * H * W, V, TG, C, 0, C, H * W, TG, &mp);
		o2c_wino2_out(V, U, bias, res, out, n, C, M, OH, OW, TG, nt, &mp, b0, b1, lo, hi, tile);
	}
}

/*
 * o2c_conv2d_wino4: the same scheme with F(4x4, 3x3): 6x6 input patches, 36
 * transform positions, 4x4 output tiles, so 36 multiplies per output tile
 * and input channel instead of 144 (4x fewer than direct; F(2x2) saves
 * 2.25x).  The price: transformed weights 36/9 = 4x the size of the kernel
 * and coefficients up to 8 in the transforms, a few more roundings (the
 * kernel tests hold it to the F(2x2) tolerance).  The transforms are laid
 * out so that every loop is contiguous: a group's tiles are cut into
 * strips along tile rows; per channel and strip, the 6 input rows are
 * copied with their padding, B^T is applied down the columns for the whole
 * row at once, the result is split into its stride-4 phases
 * (o2c_wino4_split), and B across runs over all the group's tiles
 * (o2c_wino4_bt).  Backwards, A^T runs over all tiles twice
 * (o2c_wino4_at) and each output row is interleaved back from its tiles'
 * four columns (o2c_wino4_merge).  The compiler packs
 * U[xi][b][c][MR] = (G g G^T)[xi] with
 *   G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 * and the kernel applies
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 * V[36][C][TG] must hold 16 tiles: C <= O2C_WINO4_CMAX (the compiler checks).
 */
#define O2C_WINO4_CMAX 256
#define O2C_WINO4_VMAX (36 * O2C_WINO4_CMAX * 16) /* 576 KB of stack */
#define O2C_WINO4_ROW (4 * O2C_CONV_NR + 4)       /* a strip's input row, 2 columns of overlap, 2 of slack */

/* d[m][j] = u[4j + m] for m < 6, j < len: the six columns of each tile's
 * window along a strip (stride 4, overlapping by 2).  u is readable up to
 * index 4 * (len rounded up to 16) + 3. */
static void o2c_wino4_split(const float *u, int len, float *const d[6])
{
	int j0 = 0;
#if defined(__AVX512F__)
	for (; j0 < len; j0 += 16) {
		const __mmask16 st = (__mmask16)(len - j0 >= 16 ? 0xffffu : (1u << (len - j0)) - 1u);
		const float *s = u + 4 * j0;
		for (int m = 0; m < 6; m++) {
			const float *b = s + (m < 4 ? 0 : 4);
			const int o = m & 3;
			const __m512i ix = _mm512_setr_epi32(o, o + 4, o + 8, o + 12, o + 16, o + 20, o + 24, o + 28, o,
			                                     o + 4, o + 8, o + 12, o + 16, o + 20, o + 24, o + 28);
			const __m512 lo = _mm512_permutex2var_ps(_mm512_loadu_ps(b), ix, _mm512_loadu_ps(b + 16));
			const __m512 hi = _mm512_permutex2var_ps(_mm512_loadu_ps(b + 32), ix, _mm512_loadu_ps(b + 48));
			_mm512_mask_storeu_ps(d[m] + j0, st, _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(1, 0, 1, 0)));
		}
	}
#endif
	for (int j = j0; j < len; j++)
		for (int m = 0; m < 6; m++)
			d[m][j] = u[4 * j + m];
}

/* o[4j + q] = y[q][j] for j < len: a strip's output row from its tiles'
 * four columns.  o has room for 4 * (len rounded up to 16) floats, and y[q]
 * can be read up to that many. */
static void o2c_wino4_merge(const float *const y[4], int len, float *o)
{
	int j0 = 0;
#if defined(__AVX512F__)
	for (; j0 < len; j0 += 16) {
		const __m512 a = _mm512_loadu_ps(y[0] + j0), b = _mm512_loadu_ps(y[1] + j0);
		const __m512 c = _mm512_loadu_ps(y[2] + j0), d = _mm512_loadu_ps(y[3] + j0);
		const __m512 t0 = _mm512_unpacklo_ps(a, b), t1 = _mm512_unpackhi_ps(a, b);
		const __m512 t2 = _mm512_unpacklo_ps(c, d), t3 = _mm512_unpackhi_ps(c, d);
		/* in each 128-bit lane L: u_q = tile 4L + q's four values */
		const __m512 u0 = _mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
		const __m512 u1 = _mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
		const __m512 u2 = _mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
		const __m512 u3 = _mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
		const __m512 x0 = _mm512_shuffle_f32x4(u0, u1, _MM_SHUFFLE(2, 0, 2, 0));
		const __m512 x1 = _mm512_shuffle_f32x4(u2, u3, _MM_SHUFFLE(2, 0, 2, 0));
		const __m512 x2 = _mm512_shuffle_f32x4(u0, u1, _MM_SHUFFLE(3, 1, 3, 1));
		const __m512 x3 = _mm512_shuffle_f32x4(u2, u3, _MM_SHUFFLE(3, 1, 3, 1));
		float *op = o + 4 * j0;
		_mm512_storeu_ps(op, _mm512_shuffle_f32x4(x0, x1, _MM_SHUFFLE(2, 0, 2, 0)));
		_mm512_storeu_ps(op + 16, _mm512_shuffle_f32x4(x2, x3, _MM_SHUFFLE(2, 0, 2, 0)));
		_mm512_storeu_ps(op + 32, _mm512_shuffle_f32x4(x0, x1, _MM_SHUFFLE(3, 1, 3, 1)));
		_mm512_storeu_ps(op + 48, _mm512_shuffle_f32x4(x2, x3, _MM_SHUFFLE(3, 1, 3, 1)));
	}
#endif
	for (int j = j0; j < len; j++)
		for (int q = 0; q < 4; q++)
			o[4 * j + q] = y[q][j];
}

/* v_k[j] = (B^T u_j)[k] for the 6-vectors u_j = (p0[j] .. p5[j]), j < n.
 * Functions of their own with restrict parameters: that is what lets gcc
 * vectorise a loop with this many streams over j. */
static void o2c_wino4_bt(const float *restrict p0, const float *restrict p1, const float *restrict p2,
                         const float *restrict p3, const float *restrict p4, const float *restrict p5,
                         float *restrict v0, float *restrict v1, float *restrict v2, float *restrict v3,
                         float *restrict v4, float *restrict v5, int n)
{
	for (int j = 0; j < n; j++) {
		const float u0 = p0[j], u1 = p1[j], u2 = p2[j], u3 = p3[j], u4 = p4[j], u5 = p5[j];
		v0[j] = 4.0f * u0 - 5.0f * u2 + u4;
		v1[j] = -4.0f * (u1 + u2) + u3 + u4;
		v2[j] = 4.0f * (u1 - u2) - u3 + u4;
		v3[j] = 2.0f * (u3 - u1) - u2 + u4;
		v4[j] = 2.0f * (u1 - u3) - u2 + u4;
		v5[j] = 4.0f * u1 - 5.0f * u3 + u5;
	}
}

/* o_q[j] = (A^T m_j)[q] + bv for the 6-vectors m_j = (m0[j] .. m5[j]), j < n. */
static void o2c_wino4_at(const float *restrict m0, const float *restrict m1, const float *restrict m2,
                         const float *restrict m3, const float *restrict m4, const float *restrict m5,
                         float *restrict o0, float *restrict o1, float *restrict o2, float *restrict o3, float bv,
                         int n)
{
	for (int j = 0; j < n; j++) {
		const float s12 = m1[j] + m2[j], d12 = m1[j] - m2[j], s34 = m3[j] + m4[j], d34 = m3[j] - m4[j];
		o0[j] = m0[j] + s12 + s34 + bv;
		o1[j] = d12 + 2.0f * d34 + bv;
		o2[j] = s12 + 4.0f * s34 + bv;
		o3[j] = d12 + 8.0f * d34 + m5[j] + bv;
	}
}

/* The tiles of a group (raster order from t0) as strips along tile rows. */
typedef struct O2cWino4Strips {
	int ns, ty[O2C_CONV_NR], tx[O2C_CONV_NR], len[O2C_CONV_NR], j[O2C_CONV_NR];
} O2cWino4Strips;

static void o2c_wino4_strips(O2cWino4Strips *st, int t0, int nt, int TWt)
{
	st->ns = 0;
	for (int j = 0; j < nt;) {
		const int ty = (t0 + j) / TWt, tx = (t0 + j) % TWt, len = TWt - tx < nt - j ? TWt - tx : nt - j;
		st->ty[st->ns] = ty, st->tx[st->ns] = tx, st->len[st->ns] = len, st->j[st->ns] = j, st->ns++;
		j += len;
	}
}

/* Input transform of channels [c0, c1) of image x for a group's strips into
 * V[36][C][ldv], the nt tiles in columns [0, nt); columns [nt, TG) are
 * zeroed so the GEMM reads defined values.  The portable version; the
 * AVX-512 one below keeps each strip's rows in registers. */
O2C_UNUSED O2C_DRIVER void o2c_wino4_in_generic(const float *x, float *V, int ldv, int C, int c0, int c1, int H, int W,
                                                int PT, int PL, int TG, int nt, const O2cWino4Strips *st)
{
	/* one strip: 6 input rows, their vertical transform, its phases per transform row */
	float rows[6][O2C_WINO4_ROW], ucol[O2C_WINO4_ROW], ph[6][6][O2C_CONV_NR];
	const int ns = st->ns, *sty = st->ty, *stx = st->tx, *slen = st->len, *sj = st->j;
	memset(ucol, 0, sizeof ucol); /* o2c_wino4_split reads past a short strip's end */
	for (int c = c0; c < c1; c++) {
		const float *xc = x + (size_t)c * H * W;
		for (int s = 0; s < ns; s++) {
			const int len = slen[s], x0 = 4 * stx[s] - PL, nx = 4 * len + 2;
			/* input columns [x0, x0 + nx) of the strip's 6 rows, zeros outside the image */
			const int xa = x0 < 0 ? -x0 : 0, xb = W - x0 < nx ? W - x0 : nx;
			for (int ey = 0; ey < 6; ey++) {
				const int iy = 4 * sty[s] - PT + ey;
				float *rw = rows[ey];
				if (iy < 0 || iy >= H || xa >= xb) {
					memset(rw, 0, (size_t)(nx + 2) * sizeof *rw);
					continue;
				}
				for (int i = 0; i < xa; i++)
					rw[i] = 0.0f;
				memcpy(rw + xa, xc + (size_t)iy * W + x0 + xa, (size_t)(xb - xa) * sizeof *rw);
				for (int i = xb; i < nx + 2; i++)
					rw[i] = 0.0f;
			}
			for (int i = 0; i < 6; i++) {
				/* B^T down the columns, contiguous along the row */
				const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3], *r4 = rows[4],
				            *r5 = rows[5];
				switch (i) {
				case 0:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = 4.0f * r0[k] - 5.0f * r2[k] + r4[k];
					break;
				case 1:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = -4.0f * (r1[k] + r2[k]) + r3[k] + r4[k];
					break;
				case 2:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = 4.0f * (r1[k] - r2[k]) - r3[k] + r4[k];
					break;
				case 3:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = 2.0f * (r3[k] - r1[k]) - r2[k] + r4[k];
					break;
				case 4:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = 2.0f * (r1[k] - r3[k]) - r2[k] + r4[k];
					break;
				default:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = 4.0f * r1[k] - 5.0f * r3[k] + r5[k];
					break;
				}
				float *const dst[6] = {ph[i][0] + sj[s], ph[i][1] + sj[s], ph[i][2] + sj[s],
				                       ph[i][3] + sj[s], ph[i][4] + sj[s], ph[i][5] + sj[s]};
				o2c_wino4_split(ucol, len, dst);
			}
		}
		/* B across, over all the group's tiles: tile j's columns are ph[i][0..5][j] */
		for (int i = 0; i < 6; i++) {
			const size_t vs = o2c_wino_vs(C, ldv); /* one xi further */
			float *v = V + (size_t)(i * 6) * vs + (size_t)c * ldv;
			o2c_wino4_bt(ph[i][0], ph[i][1], ph[i][2], ph[i][3], ph[i][4], ph[i][5], v, v + vs, v + 2 * vs,
			             v + 3 * vs, v + 4 * vs, v + 5 * vs, nt);
		}
	}
	o2c_wino_zero_tail(V, o2c_wino_vs(C, ldv), ldv, 36, c0, c1, nt, TG);
}

#if defined(__AVX512F__)
/* B^T u over six vectors of 16 tiles, in place (the rows of o2c_wino4_bt). */
O2C_INLINE void o2c_wino4_bt16(__m512 *u)
{
	const __m512 u0 = u[0], u1 = u[1], u2 = u[2], u3 = u[3], u4 = u[4], u5 = u[5];
	const __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f), two = _mm512_set1_ps(2.0f);
	const __m512 s42 = _mm512_sub_ps(u4, u2), s31 = _mm512_sub_ps(u3, u1);
	u[0] = _mm512_fnmadd_ps(five, u2, _mm512_fmadd_ps(four, u0, u4));
	u[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(u1, u2), _mm512_add_ps(u3, u4));
	u[2] = _mm512_fmadd_ps(four, _mm512_sub_ps(u1, u2), _mm512_sub_ps(u4, u3));
	u[3] = _mm512_fmadd_ps(two, s31, s42);
	u[4] = _mm512_fnmadd_ps(two, s31, s42);
	u[5] = _mm512_fnmadd_ps(five, u3, _mm512_fmadd_ps(four, u1, u5));
}

/* The same transform with each strip done 16 tiles at a time in registers:
 * per input row, five loads (zeros off the image) hold the 66 columns of 16
 * tiles, permutes split them into the six columns of every tile's window
 * (column 4j + m of the stretch in lane j of vector m), B^T combines those
 * across, and B^T down the six rows gives the 36 vectors stored to V.  The
 * generic version goes through memory for each of these steps (row copies,
 * transformed rows, phases): a third of a 56x56 layer's time. */
O2C_DRIVER void o2c_wino4_in_avx512(const float *x, float *V, int ldv, int C, int c0, int c1, int H, int W, int PT,
                                    int PL, int TG, int nt, const O2cWino4Strips *st)
{
	const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
	const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
	const size_t vs = o2c_wino_vs(C, ldv); /* one xi further */
	__m512 h[6][6];                        /* [input row][window column], B^T applied across */
	for (int c = c0; c < c1; c++) {
		const float *xc = x + (size_t)c * H * W;
		for (int s = 0; s < st->ns; s++)
			for (int p = 0; p < st->len[s]; p += 16) {
				const int len = st->len[s] - p < 16 ? st->len[s] - p : 16, x0 = 4 * (st->tx[s] + p) - PL;
				const __mmask16 m = (__mmask16)(len == 16 ? 0xffffu : (1u << len) - 1u);
				for (int ey = 0; ey < 6; ey++) {
					const int iy = 4 * st->ty[s] - PT + ey;
					__m512 *u = h[ey];
					if (iy < 0 || iy >= H) {
						for (int k = 0; k < 6; k++)
							u[k] = _mm512_setzero_ps();
						continue;
					}
					const float *xr = xc + (size_t)iy * W;
					const __m512 r0 = o2c_row16(xr, x0, W), r1 = o2c_row16(xr, x0 + 16, W);
					const __m512 r2 = o2c_row16(xr, x0 + 32, W), r3 = o2c_row16(xr, x0 + 48, W);
					const __m512 r4 = o2c_row16(xr, x0 + 64, W);
					const __m512 e01 = _mm512_permutex2var_ps(r0, ev, r1), o01 = _mm512_permutex2var_ps(r0, od, r1);
					const __m512 e23 = _mm512_permutex2var_ps(r2, ev, r3), o23 = _mm512_permutex2var_ps(r2, od, r3);
					u[0] = _mm512_permutex2var_ps(e01, ev, e23); /* columns 4j */
					u[1] = _mm512_permutex2var_ps(o01, ev, o23); /* 4j + 1 */
					u[2] = _mm512_permutex2var_ps(e01, od, e23); /* 4j + 2 */
					u[3] = _mm512_permutex2var_ps(o01, od, o23); /* 4j + 3 */
					const __m512i n4 = _mm512_castps_si512(r4); /* columns 64, 65 for lane 15 */
					u[4] = _mm512_castsi512_ps(_mm512_alignr_epi32(n4, _mm512_castps_si512(u[0]), 1));
					u[5] = _mm512_castsi512_ps(
					    _mm512_alignr_epi32(_mm512_alignr_epi32(n4, n4, 1), _mm512_castps_si512(u[1]), 1));
					o2c_wino4_bt16(u);
				}
				float *v = V + (size_t)c * ldv + st->j[s] + p;
				for (int k = 0; k < 6; k++) {
					__m512 col[6] = {h[0][k], h[1][k], h[2][k], h[3][k], h[4][k], h[5][k]};
					o2c_wino4_bt16(col);
					for (int i = 0; i < 6; i++)
						_mm512_mask_storeu_ps(v + (size_t)(i * 6 + k) * vs, m, col[i]);
				}
			}
	}
	o2c_wino_zero_tail(V, vs, ldv, 36, c0, c1, nt, TG);
}
#define o2c_wino4_in o2c_wino4_in_avx512
#else
#define o2c_wino4_in o2c_wino4_in_generic
#endif

/* GEMMs and output transform of a group for channel blocks [b0, b1) of image n. */
O2C_DRIVER void o2c_wino4_out(const float *V, const float *U, const float *bias, const float *res, float *out, int n, int C,
                          int M, int OH, int OW, int TG, int nt, const O2cWino4Strips *st, int b0, int b1, float lo,
                          float hi, o2c_conv_tile_fn tile)
{
	float Mb[36 * O2C_CONV_MR * O2C_CONV_NR];
	float at[24][O2C_CONV_NR], yv[16][O2C_CONV_NR + 16], orow[4 * O2C_CONV_NR]; /* yv: merge reads 16 on */
	const int nb = (M + O2C_CONV_MR - 1) / O2C_CONV_MR, ns = st->ns, *sty = st->ty, *stx = st->tx, *slen = st->len,
	          *sj = st->j;
	const size_t plane = (size_t)OH * OW;
	for (int b = b0; b < b1; b++) {
		const int oc0 = b * O2C_CONV_MR, mleft = M - oc0;
		o2c_wino_products(V, U, Mb, C, TG, nt, nb, b, b1, mleft, 36, lo, hi, tile);
		for (int r = 0; r < O2C_CONV_MR && r < mleft; r++) {
			const float *m = Mb + r * TG;
			const size_t ms = (size_t)O2C_CONV_MR * TG; /* one xi further */
			const float bv = bias ? bias[oc0 + r] : 0.0f;
			float *y = out + ((size_t)n * M + oc0 + r) * plane;
			const float *rs = res ? res + ((size_t)n * M + oc0 + r) * plane : NULL;
			for (int k = 0; k < 6; k++) /* A^T m: rows, at[i*6 + k] */
				o2c_wino4_at(m + (0 * 6 + k) * ms, m + (1 * 6 + k) * ms, m + (2 * 6 + k) * ms,
				             m + (3 * 6 + k) * ms, m + (4 * 6 + k) * ms, m + (5 * 6 + k) * ms, at[k],
				             at[6 + k], at[12 + k], at[18 + k], 0.0f, nt);
			for (int i = 0; i < 4; i++) /* (A^T m) A: columns, over all the tiles */
				o2c_wino4_at(at[i * 6], at[i * 6 + 1], at[i * 6 + 2], at[i * 6 + 3], at[i * 6 + 4],
				             at[i * 6 + 5], yv[i * 4], yv[i * 4 + 1], yv[i * 4 + 2], yv[i * 4 + 3], bv,
				             nt);
			for (int s = 0; s < ns; s++) {
				const int len = slen[s], ox0 = 4 * stx[s], jo = sj[s];
				const int ncol = OW - ox0 < 4 * len ? OW - ox0 : 4 * len;
				for (int ey = 0; ey < 4; ey++) { /* output row 4ty + ey of the strip */
					const int oy = 4 * sty[s] + ey;
					if (oy >= OH)
						break;
					const float *const yq[4] = {yv[ey * 4] + jo, yv[ey * 4 + 1] + jo,
					                            yv[ey * 4 + 2] + jo, yv[ey * 4 + 3] + jo};
					o2c_wino4_merge(yq, len, orow);
					float *yr = y + (size_t)oy * OW + ox0;
					const float *rr = rs ? rs + (size_t)oy * OW + ox0 : NULL;
					for (int k = 0; k < ncol; k++) {
						float v = orow[k] + (rr ? rr[k] : 0.0f);
						v = v < lo ? lo : v;
						yr[k] = v > hi ? hi : v;
					}
				}
			}
		}
	}
}

O2C_DRIVER void o2c_conv2d_wino4_run(const float *in, const float *U, const float *bias, const float *res, float *out,
                                 int N, int C, int H, int W, int M, int OH, int OW, int PT, int PL, float lo, float hi,
                                 o2c_conv_tile_fn tile)
{
	const int nb = (M + O2C_CONV_MR - 1) / O2C_CONV_MR, TWt = (OW + 3) / 4, T = (OH + 3) / 4 * TWt;
	int TG = O2C_WINO4_VMAX / (36 * C) / 16 * 16;
	TG = TG < 16 ? 16 : TG > O2C_CONV_NR ? O2C_CONV_NR : TG;
	const int nthr = o2c_nthreads();
	if (nthr == 2 && N == 1 && T > TG && o2c_claim2_ok()) { /* groups of TG tiles from both ends */
		float V[O2C_WINO4_VMAX + O2C_WINO_VPAD(36)];
		O2cWino4Strips st;
		for (int k; (k = o2c_claim2_tail((T + TG - 1) / TG, T % TG)) >= 0;) {
			const int t0 = k * TG, nt = T - t0 < TG ? T - t0 : TG;
			o2c_wino4_strips(&st, t0, nt, TWt);
			o2c_wino4_in(in, V, TG, C, 0, C, H, W, PT, PL, TG, nt, &st);
			o2c_wino4_out(V, U, bias, res, out, 0, C, M, OH, OW, TG, nt, &st, 0, nb, lo, hi, tile);
		}
		return;
	}
	if (nthr > 1 && T > TG) { /* this thread's band of each image (see O2cBand), in groups of TG tiles */
		const O2cBand bd = o2c_band(T, TG, nb, o2c_tid(), nthr);
		float V[O2C_WINO4_VMAX + O2C_WINO_VPAD(36)];
		O2cWino4Strips st;
		for (int n = 0; n < N; n++) {
			const float *x = in + (size_t)n * C * H * W;
			for (int t0 = bd.lo; t0 < bd.hi; t0 += TG) {
				const int nt = bd.hi - t0 < TG ? bd.hi - t0 : TG;
				o2c_wino4_strips(&st, t0, nt, TWt);
				o2c_wino4_in(x, V, TG, C, 0, C, H, W, PT, PL, TG, nt, &st);
				o2c_wino4_out(V, U, bias, res, out, n, C, M, OH, OW, TG, nt, &st, 0, nb, lo, hi, tile);
			}
			if (bd.rb0 < bd.rb1) {
				o2c_wino4_strips(&st, bd.r0, bd.r1 - bd.r0, TWt);
				o2c_wino4_in(x, V, TG, C, 0, C, H, W, PT, PL, TG, bd.r1 - bd.r0, &st);
				o2c_wino4_out(V, U, bias, res, out, n, C, M, OH, OW, TG, bd.r1 - bd.r0, &st, bd.rb0, bd.rb1,
				              lo, hi, tile);
			}
		}
		return;
	}
	/* groups of equal size (49 tiles: 25 + 24, not 32 + 17), in whole vectors */
	const int ngr = (T + TG - 1) / TG;
	TG = ((T + ngr - 1) / ngr + 15) / 16 * 16;
	const long groups = (long)N * ngr;
	if (groups < nthr) {
		/* Too few groups for the threads (a 14x14 image is one): all threads
		 * work on one group at a time, the input transform split by channels
		 * into a V they share, then the GEMMs by channel blocks. */
		float Vt[O2C_WINO4_VMAX + O2C_WINO_VPAD(36)];
		float *V = (float *)o2c_share(Vt); /* thread 0's */
		const int tid = o2c_tid(), nth = o2c_nthreads();
		for (long g = 0; g < groups; g++) {
			const int gr = (int)(g % ngr), n = (int)(g / ngr), t0 = gr * TG, nt = T - t0 < TG ? T - t0 : TG;
			O2cWino4Strips st;
			o2c_wino4_strips(&st, t0, nt, TWt);
			o2c_wino4_in(in + (size_t)n * C * H * W, V, TG, C, C * tid / nth, C * (tid + 1) / nth, H, W, PT, PL,
			             TG, nt, &st);
			o2c_sync();
			o2c_wino4_out(V, U, bias, res, out, n, C, M, OH, OW, TG, nt, &st, nb * tid / nth,
			              nb * (tid + 1) / nth, lo, hi, tile);
			o2c_sync(); /* V is rewritten next, and thread 0's stack is gone after the return */
		}
		return;
	}
	O2C_OMP(for schedule(dynamic, 1) nowait)
	for (long g = 0; g < groups; g++) {
		float V[O2C_WINO4_VMAX + O2C_WINO_VPAD(36)];
		O2cWino4Strips st;
		const int gr = (int)(g % ngr), n = (int)(g / ngr), t0 = gr * TG, nt = T - t0 < TG ? T - t0 : TG;
		o2c_wino4_strips(&st, t0, nt, TWt);
		o2c_wino4_in(in + (size_t)n * C * H * W, V, TG, C, 0, C, H, W, PT, PL, TG, nt, &st);
		o2c_wino4_out(V, U, bias, res, out, n, C, M, OH, OW, TG, nt, &st, 0, nb, lo, hi, tile);
	}
}

/* Winograd with each ISA's microkernel; the same selection as o2c_conv2d. */
#if defined(__AVX512F__)
#define O2C_CONV_TILE o2c_conv_tile_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define O2C_CONV_TILE o2c_conv_tile_avx2
#else
#define O2C_CONV_TILE o2c_conv_tile_generic
#endif
O2C_UNUSED static void o2c_conv2d_wino3(const float *in, const float *U, const float *bias, const float *res,
                                        float *out, int N, int C, int H, int W, int M, int OH, int OW, int PT, int PL,
                                        float lo, float hi)
{
	o2c_conv2d_wino(in, U, bias, res, out, N, C, H, W, M, OH, OW, PT, PL, lo, hi, O2C_CONV_TILE);
}
O2C_UNUSED static void o2c_conv2d_wino4(const float *in, const float *U, const float *bias, const float *res,
                                        float *out, int N, int C, int H, int W, int M, int OH, int OW, int PT, int PL,
                                        float lo, float hi)
{
	o2c_conv2d_wino4_run(in, U, bias, res, out, N, C, H, W, M, OH, OW, PT, PL, lo, hi, O2C_CONV_TILE);
}

/*
 * o2c_conv2d_cv: small images (OH*OW <= O2C_CV_PMAX), one group, M a
 * multiple of O2C_CV_MV.  At 7x7 the pixel-vectorised path above wastes
 * lanes (49 = 48 + 1) and broadcasts a weight per 3 FMAs; here the vector
 * runs over O2C_CV_MV = 64 output channels and the pixels are broadcast, so
 * every lane is busy whatever the image size, and a 7x7 image is 7 groups
 * of 7 pixels.  The compiler packs the weights per block of 64 channels:
 *   wq[b][k][r] = W[b*64 + r][k]      (k = ic*KH*KW + ky*KW + kx)
 * Each thread takes a contiguous share of the (image, block, pixel group)
 * units and walks K in chunks of whole input channels (<= O2C_CV_KC taps):
 * packs the chunk's taps x P pixels into a stack panel [k][P] (an im2col;
 * a 1x1 stride-1 unpadded conv reads its input in place), then runs the
 * microkernel (<= O2C_CV_JB pixels x 64 channels) on each of its units.
 * The weights of a block and chunk come from memory once and are reused
 * from cache by the block's other pixel groups.  Partial sums live in the
 * block's own output region (64 x P floats), laid out [P][64]; after a
 * barrier each block is transposed to NCHW through a stack copy, with bias,
 * residual and clamp.  The compiler takes this path only for
 * KH*KW <= 256, so a chunk of whole channels fits the panel.
 */
#define O2C_CV_MV 64   /* output channels per block: 4 AVX-512 vectors */
#define O2C_CV_PMAX 64 /* largest image (pixels) the path takes */
#define O2C_CV_KC 512  /* most taps in one panel chunk: 128 KB of stack */
#define O2C_CV_JB 7    /* most pixels per microkernel call: 28 accumulators */
#define O2C_CV_PFD 32  /* taps ahead the first pixel group prefetches weights (8 KB) */

/* acc[j][r] (+)= sum_k bp[k*ldb + j] * w[k*64 + r] for j < jb; first: from 0.
 * pf: this call is the first to read this chunk of weights (prefetch them
 * ahead of use).  nw, nwl: nwl cache lines from nw that the thread will
 * read next (its next block's chunk), prefetched into L2 while this call
 * computes, so that the weights stream from memory under the FMAs of all
 * the block's pixel groups and not only under the first one. */
typedef void (*o2c_cv_tile_fn)(const float *bp, int ldb, const float *w, int kc, float *acc, int jb, int first, int pf,
                               const float *nw, int nwl);

O2C_UNUSED static void o2c_cv_tile_generic(const float *bp, int ldb, const float *w, int kc, float *acc, int jb,
                                           int first, int pf, const float *nw, int nwl)
{
	float a[O2C_CV_JB][O2C_CV_MV];
	(void)pf, (void)nw, (void)nwl;
	for (int j = 0; j < jb; j++)
		for (int r = 0; r < O2C_CV_MV; r++)
			a[j][r] = first ? 0.0f : acc[j * O2C_CV_MV + r];
	for (int k = 0; k < kc; k++)
		for (int j = 0; j < jb; j++) {
			const float xv = bp[(size_t)k * ldb + j];
			for (int r = 0; r < O2C_CV_MV; r++)
				a[j][r] += xv * w[(size_t)k * O2C_CV_MV + r];
		}
	for (int j = 0; j < jb; j++)
		for (int r = 0; r < O2C_CV_MV; r++)
			acc[j * O2C_CV_MV + r] = a[j][r];
}

/* Taps [ic0, ic0 + nic) x all P output pixels into bp[k][P], zeros for padding.
 * Per tap the valid output columns are one range, so a row is zeros, a copy
 * and zeros; with AVX-512 a stride-1 row of at most 16 pixels is one masked
 * load, a lane shift and a masked store.  Both threads of a 2-thread run
 * pack the same panel, so this is on the critical path. */
static void o2c_cv_pack(const float *x, float *bp, int ic0, int nic, int H, int W, int OH, int OW, int KH, int KW,
                        int SH, int SW, int DH, int DW, int PT, int PL)
{
	const int P = OH * OW;
	for (int ic = 0; ic < nic; ic++) {
		const float *xc = x + (size_t)(ic0 + ic) * H * W;
		for (int kx = 0; kx < KW; kx++) {
			const int off = kx * DW - PL; /* input column of output column 0 */
			int lo_x = off < 0 ? (-off + SW - 1) / SW : 0, hi_x = W - 1 - off < 0 ? 0 : (W - 1 - off) / SW + 1;
			if (hi_x > OW)
				hi_x = OW;
			if (lo_x > hi_x)
				lo_x = hi_x;
			for (int ky = 0; ky < KH; ky++) {
				float *dst = bp + ((size_t)(ic * KH + ky) * KW + kx) * P;
				for (int oy = 0; oy < OH; oy++) {
					const int iy = oy * SH + ky * DH - PT;
					float *d = dst + oy * OW;
					if (iy < 0 || iy >= H || lo_x == hi_x) {
						for (int ox = 0; ox < OW; ox++)
							d[ox] = 0.0f;
						continue;
					}
					const float *src = xc + (size_t)iy * W + off; /* src[ox * SW] for ox in [lo_x, hi_x) */
#if defined(__AVX512F__)
					if (SW == 1 && OW <= 16) {
						const __m512 v = _mm512_maskz_loadu_ps((__mmask16)((1u << (hi_x - lo_x)) - 1u),
						                                       src + lo_x);
						const __mmask16 lanes = (__mmask16)(((1u << hi_x) - 1u) & ~((1u << lo_x) - 1u));
						_mm512_mask_storeu_ps(d, (__mmask16)((1u << OW) - 1u),
						                      _mm512_maskz_expand_ps(lanes, v));
						continue;
					}
#endif
					for (int ox = 0; ox < lo_x; ox++)
						d[ox] = 0.0f;
					for (int ox = lo_x; ox < hi_x; ox++)
						d[ox] = src[ox * SW];
					for (int ox = hi_x; ox < OW; ox++)
						d[ox] = 0.0f;
				}
			}
		}
	}
}

/* Block of 64 channels, [P][64] partial sums in yb -> NCHW with the
 * epilogue, through t (room for P * 64 floats).  In 16-pixel blocks, so
 * that what is read stays in L1 (a 28x28 block is 200 KB); with AVX-512 each
 * 16 x 16 square is transposed in registers. */
static void o2c_cv_store(float *yb, int P, const float *bias, const float *res, float lo, float hi, float *t)
{
	memcpy(t, yb, (size_t)P * O2C_CV_MV * sizeof *t);
	int p0 = 0;
#if defined(__AVX512F__)
	const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
	for (; p0 + 16 <= P; p0 += 16)
		for (int r0 = 0; r0 < O2C_CV_MV; r0 += 16) {
			__m512 a[16], b[16];
			for (int i = 0; i < 16; i++)
				a[i] = _mm512_loadu_ps(t + (size_t)(p0 + i) * O2C_CV_MV + r0);
			for (int i = 0; i < 8; i++) {
				b[2 * i] = _mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]);
				b[2 * i + 1] = _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]);
			}
			for (int i = 0; i < 4; i++) { /* 128-bit lane L of a[4i + k]: pixels 4i.., channel 4L + k */
				a[4 * i] = _mm512_shuffle_ps(b[4 * i], b[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
				a[4 * i + 1] = _mm512_shuffle_ps(b[4 * i], b[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
				a[4 * i + 2] = _mm512_shuffle_ps(b[4 * i + 1], b[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
				a[4 * i + 3] = _mm512_shuffle_ps(b[4 * i + 1], b[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
			}
			for (int k = 0; k < 4; k++) {
				b[k] = _mm512_shuffle_f32x4(a[k], a[4 + k], 0x88);
				b[4 + k] = _mm512_shuffle_f32x4(a[k], a[4 + k], 0xdd);
				b[8 + k] = _mm512_shuffle_f32x4(a[8 + k], a[12 + k], 0x88);
				b[12 + k] = _mm512_shuffle_f32x4(a[8 + k], a[12 + k], 0xdd);
			}
			for (int k = 0; k < 4; k++) { /* a[c]: channel r0 + c over the 16 pixels */
				a[k] = _mm512_shuffle_f32x4(b[k], b[8 + k], 0x88);
				a[8 + k] = _mm512_shuffle_f32x4(b[k], b[8 + k], 0xdd);
				a[4 + k] = _mm512_shuffle_f32x4(b[4 + k], b[12 + k], 0x88);
				a[12 + k] = _mm512_shuffle_f32x4(b[4 + k], b[12 + k], 0xdd);
			}
			for (int c = 0; c < 16; c++) {
				const size_t o = (size_t)(r0 + c) * P + p0;
				__m512 v = _mm512_add_ps(a[c], _mm512_set1_ps(bias ? bias[r0 + c] : 0.0f));
				if (res)
					v = _mm512_add_ps(v, _mm512_loadu_ps(res + o));
				_mm512_storeu_ps(yb + o, _mm512_min_ps(_mm512_max_ps(v, vlo), vhi));
			}
		}
#endif
	for (; p0 < P; p0 += 16) {
		const int p1 = P - p0 < 16 ? P : p0 + 16;
		for (int r = 0; r < O2C_CV_MV; r++) {
			const float bv = bias ? bias[r] : 0.0f;
			const float *rs = res ? res + (size_t)r * P : NULL;
			float *y = yb + (size_t)r * P;
			for (int p = p0; p < p1; p++) {
				float v = t[(size_t)p * O2C_CV_MV + r] + bv;
				if (rs)
					v += rs[p];
				v = v < lo ? lo : v;
				y[p] = v > hi ? hi : v;
			}
		}
	}
}

/* Every image's blocks of 64 channels turned to NCHW with the epilogue,
 * shared by the team (after the barrier that completes them); t as for
 * o2c_cv_store. */
static void o2c_cv_store_all(float *out, int N, int M, int P, const float *bias, const float *res, float lo, float hi,
                             float *t)
{
	const int nb = M / O2C_CV_MV;
	O2C_OMP(for schedule(static) nowait)
	for (int nbk = 0; nbk < N * nb; nbk++) {
		const int n = nbk / nb, b = nbk % nb;
		float *yb = out + ((size_t)n * M + (size_t)b * O2C_CV_MV) * P;
		o2c_cv_store(yb, P, bias ? bias + b * O2C_CV_MV : NULL, res ? res + (yb - out) : NULL, lo, hi, t);
	}
}

O2C_DRIVER void o2c_conv2d_cv_run(const float *in, const float *wq, const float *bias, const float *res, float *out, int N,
                              int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                              int DW, int PT, int PL, float lo, float hi, o2c_cv_tile_fn tile)
{
	const int KHW = KH * KW, K = C * KHW, P = OH * OW, nb = M / O2C_CV_MV;
	const int inplace = KHW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W;
	const int icc = KHW >= O2C_CV_KC ? 1 : O2C_CV_KC / KHW; /* input channels per chunk */
	const int ng = (P + O2C_CV_JB - 1) / O2C_CV_JB;         /* pixel groups, sizes P/ng rounded */
	const long per_image = (long)nb * ng, units = (long)N * per_image;
	/* Each thread takes a contiguous share of the (image, block, pixel group)
	 * units, so the work splits evenly whatever nb is; a block shared by two
	 * threads has its weights read by both.  The transposes wait for all. */
	float bp[O2C_CV_KC * O2C_CV_PMAX];
	const int tid = o2c_tid(), nth = o2c_nthreads();
	const long u0 = units * tid / nth, u1 = units * (tid + 1) / nth;
	for (long ub = u0 - u0 % per_image; ub < u1; ub += per_image) {
		const int n = (int)(ub / per_image);
		const long ulo = u0 > ub ? u0 - ub : 0, uhi = u1 - ub < per_image ? u1 - ub : per_image;
		const float *x = in + (size_t)n * C * H * W;
		for (int ic0 = 0; ic0 < C; ic0 += icc) {
			const int nic = C - ic0 < icc ? C - ic0 : icc, kc = nic * KHW;
			const float *panel = bp;
			if (inplace)
				panel = x + (size_t)ic0 * P;
			else
				o2c_cv_pack(x, bp, ic0, nic, H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL);
			const int blo = (int)(ulo / ng), bhi = (int)((uhi - 1) / ng); /* this thread's blocks */
			for (long u = ulo; u < uhi; u++) {
				const int b = (int)(u / ng), gi = (int)(u % ng);
				const int j0 = gi * P / ng, j1 = (gi + 1) * P / ng;
				float *yb = out + ((size_t)n * M + (size_t)b * O2C_CV_MV) * P;
				const float *wb = wq + ((size_t)b * K + (size_t)ic0 * KHW) * O2C_CV_MV;
				/* the chunk read after this block's: the next block's, else the
				 * first block's next chunk; each pixel group prefetches its share */
				const float *nw = NULL;
				int nlines = 0;
				if (b < bhi) {
					nw = wq + ((size_t)(b + 1) * K + (size_t)ic0 * KHW) * O2C_CV_MV;
					nlines = kc * (O2C_CV_MV / 16);
				} else if (ic0 + icc < C) {
					const int nkc = (C - ic0 - icc < icc ? C - ic0 - icc : icc) * KHW;
					nw = wq + ((size_t)blo * K + (size_t)(ic0 + icc) * KHW) * O2C_CV_MV;
					nlines = nkc * (O2C_CV_MV / 16);
				}
				const int l0 = nlines * gi / ng, l1 = nlines * (gi + 1) / ng;
				tile(panel + j0, P, wb, kc, yb + (size_t)j0 * O2C_CV_MV, j1 - j0, ic0 == 0,
				     gi == 0 || u == ulo, nw ? nw + (size_t)16 * l0 : NULL, l1 - l0);
			}
		}
	}
	o2c_sync();
	o2c_cv_store_all(out, N, M, P, bias, res, lo, hi, bp);
}

#if defined(__AVX512F__)
/* JB pixels x 64 channels: 4*JB accumulators, 4 weight vectors, the pixels
 * broadcast from memory into the FMAs. */
O2C_INLINE void o2c_cv_tile_avx512_jb(const float *bp, int ldb, const float *w, int kc, float *acc, int first, int pf,
                                      const float *nw, int nwl, const int JB)
{
	__m512 a[O2C_CV_JB][4];
	O2C_UNROLL
	for (int j = 0; j < JB; j++)
		O2C_UNROLL
		for (int v = 0; v < 4; v++)
			a[j][v] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(acc + j * O2C_CV_MV + 16 * v);
	for (int k = 0; k < kc; k++) {
		const float *wk = w + (size_t)k * O2C_CV_MV, *b = bp + (size_t)k * ldb;
		if (pf && k + O2C_CV_PFD < kc)
			O2C_UNROLL
			for (int v = 0; v < 4; v++)
				_mm_prefetch((const char *)(wk + O2C_CV_PFD * O2C_CV_MV + 16 * v), _MM_HINT_T0);
		if (k < nwl)
			_mm_prefetch((const char *)(nw + 16 * (size_t)k), _MM_HINT_T1);
		const __m512 w0 = _mm512_loadu_ps(wk), w1 = _mm512_loadu_ps(wk + 16);
		const __m512 w2 = _mm512_loadu_ps(wk + 32), w3 = _mm512_loadu_ps(wk + 48);
		O2C_UNROLL
		for (int j = 0; j < JB; j++) {
			const __m512 xv = _mm512_set1_ps(b[j]);
			a[j][0] = _mm512_fmadd_ps(w0, xv, a[j][0]);
			a[j][1] = _mm512_fmadd_ps(w1, xv, a[j][1]);
			a[j][2] = _mm512_fmadd_ps(w2, xv, a[j][2]);
			a[j][3] = _mm512_fmadd_ps(w3, xv, a[j][3]);
		}
	}
	O2C_UNROLL
	for (int j = 0; j < JB; j++)
		O2C_UNROLL
		for (int v = 0; v < 4; v++)
			_mm512_storeu_ps(acc + j * O2C_CV_MV + 16 * v, a[j][v]);
}

O2C_UNUSED static void o2c_cv_tile_avx512(const float *bp, int ldb, const float *w, int kc, float *acc, int jb,
                                          int first, int pf, const float *nw, int nwl)
{
	switch (jb) {
	case 7:
		o2c_cv_tile_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 7);
		break;
	case 6:
		o2c_cv_tile_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 6);
		break;
	case 5:
		o2c_cv_tile_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 5);
		break;
	case 4:
		o2c_cv_tile_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 4);
		break;
	case 3:
		o2c_cv_tile_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 3);
		break;
	case 2:
		o2c_cv_tile_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 2);
		break;
	default:
		o2c_cv_tile_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 1);
		break;
	}
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
/* 16 registers: 16 channels x up to 4 pixels at a time (8 accumulators). */
O2C_UNUSED static void o2c_cv_tile_avx2(const float *bp, int ldb, const float *w, int kc, float *acc, int jb, int first,
                                        int pf, const float *nw, int nwl)
{
	(void)pf;
	for (int l = 0; l < nwl; l++) /* the passes below are short: the next weights in one go */
		_mm_prefetch((const char *)(nw + 16 * (size_t)l), _MM_HINT_T1);
	for (int s = 0; s < O2C_CV_MV; s += 16)
		for (int j0 = 0; j0 < jb; j0 += 4) {
			const int nj = jb - j0 < 4 ? jb - j0 : 4;
			__m256 a[4][2];
			O2C_UNROLL
			for (int j = 0; j < 4; j++)
				O2C_UNROLL
				for (int v = 0; v < 2; v++)
					a[j][v] = first || j >= nj
					              ? _mm256_setzero_ps()
					              : _mm256_loadu_ps(acc + (j0 + j) * O2C_CV_MV + s + 8 * v);
			for (int k = 0; k < kc; k++) {
				const float *wk = w + (size_t)k * O2C_CV_MV + s, *b = bp + (size_t)k * ldb + j0;
				const __m256 w0 = _mm256_loadu_ps(wk), w1 = _mm256_loadu_ps(wk + 8);
				O2C_UNROLL
				for (int j = 0; j < nj; j++) {
					const __m256 xv = _mm256_broadcast_ss(b + j);
					a[j][0] = _mm256_fmadd_ps(w0, xv, a[j][0]);
					a[j][1] = _mm256_fmadd_ps(w1, xv, a[j][1]);
				}
			}
			O2C_UNROLL
			for (int j = 0; j < nj; j++)
				O2C_UNROLL
				for (int v = 0; v < 2; v++)
					_mm256_storeu_ps(acc + (j0 + j) * O2C_CV_MV + s + 8 * v, a[j][v]);
		}
}
#endif

#if defined(__AVX512F__)
#define O2C_CV_TILE o2c_cv_tile_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define O2C_CV_TILE o2c_cv_tile_avx2
#else
#define O2C_CV_TILE o2c_cv_tile_generic
#endif
O2C_UNUSED static void o2c_conv2d_cv(const float *in, const float *wq, const float *bias, const float *res, float *out,
                                     int N, int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW,
                                     int DH, int DW, int PT, int PL, float lo, float hi)
{
	o2c_conv2d_cv_run(in, wq, bias, res, out, N, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo, hi,
	                  O2C_CV_TILE);
}

/*
 * o2c_conv2d_wcv: Winograd F(2x2) or F(4x4) (F = 2 or 4) for images of few
 * tiles (14x14 in F(2x2), 28x28 in F(4x4): 49 tiles), with the products
 * vectorised over 64 output channels as in o2c_conv2d_cv.  The
 * tile-vectorised products of o2c_conv2d_wino and _wino4 cut 49 tiles
 * into two groups of 32 columns (64 computed for 49), read all the
 * weights once per group and broadcast a weight per 2 FMAs; here each
 * (position, block) chunk of weights is read once for all the tiles, in
 * groups of up to 7 (28 accumulators: 4 weight vectors and 7 broadcasts
 * per 28 FMAs).  The compiler packs U[xi][M/64][C][64] = (G g G^T)[xi].
 * Each thread takes a contiguous range of each image's tiles and, per
 * image: the input transform of its tiles into its own part of V (the
 * caller's scratch), V[npos][C][its tiles]; for every block, the products
 * into the stack Mb[xi][its tiles][64] and the output transform,
 * vectorised over the channels, into the block's own output region laid
 * out [P][64].  After the one barrier each block is turned to NCHW with
 * the epilogue (o2c_cv_store).  Splitting the tiles and not the blocks
 * costs each thread all of U but keeps V in the core that wrote it: with
 * the blocks split, each thread read the half of V the other had written,
 * and a 28x28 layer ran no faster on two threads than on one.
 */
#define O2C_WCV_MB (36 * 49 * O2C_CV_MV) /* Mb: positions x tiles x 64 floats, 441 KB of stack */

/* Output transform of tiles [j0, j1) of one block: Mb[xi][j1 - j0][64], the
 * positions xs floats apart, -> yb[P][64]. */
static void o2c_wcv_out(const float *Mb, size_t xs, float *yb, int F, int TWt, int OH, int OW, int j0, int j1)
{
	for (int j = j0; j < j1; j++) {
		const int ty = j / TWt, tx = j % TWt;
		const float *m = Mb + (size_t)(j - j0) * O2C_CV_MV;
		if (F == 2) {
			float a[8][O2C_CV_MV];
			for (int k = 0; k < 4; k++) /* A^T m, A^T = [1 1 1 0; 0 1 -1 -1] */
				for (int r = 0; r < O2C_CV_MV; r++) {
					const float m0 = m[(0 * 4 + k) * xs + r], m1 = m[(1 * 4 + k) * xs + r];
					const float m2 = m[(2 * 4 + k) * xs + r], m3 = m[(3 * 4 + k) * xs + r];
					a[k][r] = m0 + m1 + m2;
					a[4 + k][r] = m1 - m2 - m3;
				}
			for (int i = 0; i < 2; i++) { /* (A^T m) A */
				const int oy = 2 * ty + i;
				if (oy >= OH)
					break;
				for (int q = 0; q < 2 && 2 * tx + q < OW; q++) {
					float *y = yb + ((size_t)oy * OW + 2 * tx + q) * O2C_CV_MV;
					for (int r = 0; r < O2C_CV_MV; r++)
						y[r] = q == 0 ? a[i * 4][r] + a[i * 4 + 1][r] + a[i * 4 + 2][r]
						              : a[i * 4 + 1][r] - a[i * 4 + 2][r] - a[i * 4 + 3][r];
				}
			}
			continue;
		}
		/* A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1] */
		float t[24][O2C_CV_MV];
		for (int k = 0; k < 6; k++) /* A^T m down the columns: t[q*6 + k] */
			for (int r = 0; r < O2C_CV_MV; r++) {
				const float m0 = m[(0 * 6 + k) * xs + r], m5 = m[(5 * 6 + k) * xs + r];
				const float s12 = m[(1 * 6 + k) * xs + r] + m[(2 * 6 + k) * xs + r];
				const float d12 = m[(1 * 6 + k) * xs + r] - m[(2 * 6 + k) * xs + r];
				const float s34 = m[(3 * 6 + k) * xs + r] + m[(4 * 6 + k) * xs + r];
				const float d34 = m[(3 * 6 + k) * xs + r] - m[(4 * 6 + k) * xs + r];
				t[k][r] = m0 + s12 + s34;
				t[6 + k][r] = d12 + 2.0f * d34;
				t[12 + k][r] = s12 + 4.0f * s34;
				t[18 + k][r] = d12 + 8.0f * d34 + m5;
			}
		for (int i = 0; i < 4; i++) { /* (A^T m) A along the rows */
			const int oy = 4 * ty + i;
			if (oy >= OH)
				break;
			const float *u = t[i * 6];
			float o[4][O2C_CV_MV];
			for (int r = 0; r < O2C_CV_MV; r++) {
				const float s12 = u[1 * O2C_CV_MV + r] + u[2 * O2C_CV_MV + r];
				const float d12 = u[1 * O2C_CV_MV + r] - u[2 * O2C_CV_MV + r];
				const float s34 = u[3 * O2C_CV_MV + r] + u[4 * O2C_CV_MV + r];
				const float d34 = u[3 * O2C_CV_MV + r] - u[4 * O2C_CV_MV + r];
				o[0][r] = u[r] + s12 + s34;
				o[1][r] = d12 + 2.0f * d34;
				o[2][r] = s12 + 4.0f * s34;
				o[3][r] = d12 + 8.0f * d34 + u[5 * O2C_CV_MV + r];
			}
			const int nq = OW - 4 * tx < 4 ? OW - 4 * tx : 4;
			memcpy(yb + ((size_t)oy * OW + 4 * tx) * O2C_CV_MV, o, (size_t)nq * O2C_CV_MV * sizeof(float));
		}
	}
}

/* Input transform of tiles [j0, j1) (tile j = ty * TWt + tx), all channels,
 * of image x into V[(F+2)^2][C][j1 - j0]: the tile-group transforms above,
 * called on at most O2C_CONV_NR tiles at a time. */
typedef void (*o2c_wcv_in_fn)(const float *x, float *V, int F, int C, int j0, int j1, int H, int W, int OH, int OW,
                              int PT, int PL);

O2C_UNUSED static void o2c_wcv_in_generic(const float *x, float *V, int F, int C, int j0, int j1, int H, int W,
                                          int OH, int OW, int PT, int PL)
{
	const int TWt = (OW + F - 1) / F, T = j1 - j0, nch = (T + O2C_CONV_NR - 1) / O2C_CONV_NR;
	for (int ch = 0; ch < nch; ch++) {
		const int t0 = T * ch / nch, nt = T * (ch + 1) / nch - t0;
		if (F == 2) {
			O2cWino2Map mp;
			o2c_wino2_map(&mp, j0 + t0, nt, nt, TWt, H, W, OH, OW, PT, PL);
			o2c_wino2_in(x, V + t0, T, C, 0, C, H * W, nt, &mp);
		} else {
			O2cWino4Strips st;
			o2c_wino4_strips(&st, j0 + t0, nt, TWt);
			o2c_wino4_in(x, V + t0, T, C, 0, C, H, W, PT, PL, nt, nt, &st);
		}
	}
}

#if defined(__AVX512F__)
/* 16 floats of row p from column col on, lanes outside the image (mask)
 * zero: a masked load does not touch them, so the address may point
 * before or past the row (computed as an integer, not a pointer). */
O2C_INLINE __m512 o2c_wcv_cols(const float *p, int col, __mmask16 m)
{
	return _mm512_maskz_loadu_ps(m, (const void *)((uintptr_t)p + (intptr_t)col * (intptr_t)sizeof(float)));
}

/* The same transform for images at most 8 tiles wide, a whole tile row at
 * a time in registers: each of the F+2 input rows is 2-3 vectors wide (F *
 * TWt + 2 <= 34 columns), B^T runs down the columns on the vectors, and
 * one permute per phase gathers column F*j + m of every tile j into lane j
 * for B^T along the row.  The generic transform builds the phases in
 * memory strip by strip (4 us per 64 channels at 28x28 against <1 us). */
O2C_UNUSED static void o2c_wcv_in_avx512(const float *x, float *V, int F, int C, int j0, int j1, int H, int W,
                                         int OH, int OW, int PT, int PL)
{
	const int TWt = (OW + F - 1) / F, T = j1 - j0;
	if (TWt > 8) {
		o2c_wcv_in_generic(x, V, F, C, j0, j1, H, W, OH, OW, PT, PL);
		return;
	}
	const int nck = (F * TWt + 2 + 15) / 16; /* vectors per input row */
	__mmask16 mk[3];
	for (int k = 0; k < 3; k++) { /* lanes of columns inside the image */
		unsigned b = 0;
		for (int l = 0; l < 16; l++)
			b |= (unsigned)(k < nck && 16 * k + l - PL >= 0 && 16 * k + l - PL < W) << l;
		mk[k] = (__mmask16)b;
	}
	const size_t vs = o2c_wino_vs(C, T); /* one position further in V */
	__m512i ix[4];
	for (int o = 0; o < 4; o++) /* lane j <- column F*j + o */
		ix[o] = _mm512_add_epi32(_mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0),
		                                            _mm512_set1_epi32(F)),
		                         _mm512_set1_epi32(o));
	const __m512 c2 = _mm512_set1_ps(2.0f), c4 = _mm512_set1_ps(4.0f), c5 = _mm512_set1_ps(5.0f);
	for (int c = 0; c < C; c++) {
		const float *xc = x + (size_t)c * H * W;
		for (int ty = j0 / TWt; ty * TWt < j1; ty++) {
			/* lanes of the row's tiles in [j0, j1); lane l goes to column ty * TWt + l - j0,
			 * before V for the masked-off lanes of a first, partial row (an integer) */
			const int a = j0 - ty * TWt > 0 ? j0 - ty * TWt : 0, e = j1 - ty * TWt < TWt ? j1 - ty * TWt : TWt;
			const __mmask16 st = (__mmask16)(((1u << e) - 1u) & ~((1u << a) - 1u));
			float *vt = (float *)((uintptr_t)V + (intptr_t)((long)c * T + (long)ty * TWt - j0) * (intptr_t)sizeof(float));
			__m512 r[6][3];
			for (int ey = 0; ey < F + 2; ey++) {
				const int iy = F * ty - PT + ey;
				for (int k = 0; k < 3; k++)
					r[ey][k] = iy >= 0 && iy < H ? o2c_wcv_cols(xc + (size_t)iy * W, 16 * k - PL, mk[k])
					                             : _mm512_setzero_ps();
			}
			if (F == 2) {
				/* B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], down the columns */
				for (int i = 0; i < 4; i++) {
					__m512 u[2];
					for (int k = 0; k < 2; k++) {
						const __m512 r0 = r[0][k], r1 = r[1][k], r2 = r[2][k], r3 = r[3][k];
						u[k] = i == 0 ? _mm512_sub_ps(r0, r2)
						       : i == 1 ? _mm512_add_ps(r1, r2)
						       : i == 2 ? _mm512_sub_ps(r2, r1)
						                : _mm512_sub_ps(r1, r3);
					}
					const __m512 p0 = _mm512_permutex2var_ps(u[0], ix[0], u[1]);
					const __m512 p1 = _mm512_permutex2var_ps(u[0], ix[1], u[1]);
					const __m512 p2 = _mm512_permutex2var_ps(u[0], ix[2], u[1]);
					const __m512 p3 = _mm512_permutex2var_ps(u[0], ix[3], u[1]);
					float *v = vt + (size_t)(i * 4) * vs;
					_mm512_mask_storeu_ps(v, st, _mm512_sub_ps(p0, p2));
					_mm512_mask_storeu_ps(v + vs, st, _mm512_add_ps(p1, p2));
					_mm512_mask_storeu_ps(v + 2 * vs, st, _mm512_sub_ps(p2, p1));
					_mm512_mask_storeu_ps(v + 3 * vs, st, _mm512_sub_ps(p1, p3));
				}
				continue;
			}
			/* F(4x4): B^T as in o2c_wino4_bt, down the columns, then along the row */
			for (int i = 0; i < 6; i++) {
				__m512 u[3];
				for (int k = 0; k < 3; k++) {
					const __m512 r0 = r[0][k], r1 = r[1][k], r2 = r[2][k], r3 = r[3][k], r4 = r[4][k], r5 = r[5][k];
					switch (i) {
					case 0: u[k] = _mm512_add_ps(_mm512_fmsub_ps(c4, r0, _mm512_mul_ps(c5, r2)), r4); break;
					case 1: u[k] = _mm512_fnmadd_ps(c4, _mm512_add_ps(r1, r2), _mm512_add_ps(r3, r4)); break;
					case 2: u[k] = _mm512_fmadd_ps(c4, _mm512_sub_ps(r1, r2), _mm512_sub_ps(r4, r3)); break;
					case 3: u[k] = _mm512_fmadd_ps(c2, _mm512_sub_ps(r3, r1), _mm512_sub_ps(r4, r2)); break;
					case 4: u[k] = _mm512_fmadd_ps(c2, _mm512_sub_ps(r1, r3), _mm512_sub_ps(r4, r2)); break;
					default: u[k] = _mm512_add_ps(_mm512_fmsub_ps(c4, r1, _mm512_mul_ps(c5, r3)), r5); break;
					}
				}
				/* columns 4..35: phases 4 and 5 are columns 4j + 4 and 4j + 5 */
				const __m512 s0 = _mm512_castsi512_ps(
				    _mm512_alignr_epi32(_mm512_castps_si512(u[1]), _mm512_castps_si512(u[0]), 4));
				const __m512 s1 = _mm512_castsi512_ps(
				    _mm512_alignr_epi32(_mm512_castps_si512(u[2]), _mm512_castps_si512(u[1]), 4));
				const __m512 p0 = _mm512_permutex2var_ps(u[0], ix[0], u[1]);
				const __m512 p1 = _mm512_permutex2var_ps(u[0], ix[1], u[1]);
				const __m512 p2 = _mm512_permutex2var_ps(u[0], ix[2], u[1]);
				const __m512 p3 = _mm512_permutex2var_ps(u[0], ix[3], u[1]);
				const __m512 p4 = _mm512_permutex2var_ps(s0, ix[0], s1);
				const __m512 p5 = _mm512_permutex2var_ps(s0, ix[1], s1);
				float *v = vt + (size_t)(i * 6) * vs;
				_mm512_mask_storeu_ps(v, st, _mm512_add_ps(_mm512_fmsub_ps(c4, p0, _mm512_mul_ps(c5, p2)), p4));
				_mm512_mask_storeu_ps(v + vs, st,
				                      _mm512_fnmadd_ps(c4, _mm512_add_ps(p1, p2), _mm512_add_ps(p3, p4)));
				_mm512_mask_storeu_ps(v + 2 * vs, st,
				                      _mm512_fmadd_ps(c4, _mm512_sub_ps(p1, p2), _mm512_sub_ps(p4, p3)));
				_mm512_mask_storeu_ps(v + 3 * vs, st,
				                      _mm512_fmadd_ps(c2, _mm512_sub_ps(p3, p1), _mm512_sub_ps(p4, p2)));
				_mm512_mask_storeu_ps(v + 4 * vs, st,
				                      _mm512_fmadd_ps(c2, _mm512_sub_ps(p1, p3), _mm512_sub_ps(p4, p2)));
				_mm512_mask_storeu_ps(v + 5 * vs, st,
				                      _mm512_add_ps(_mm512_fmsub_ps(c4, p1, _mm512_mul_ps(c5, p3)), p5));
			}
		}
	}
}
#define O2C_WCV_IN o2c_wcv_in_avx512
#else
#define O2C_WCV_IN o2c_wcv_in_generic
#endif

/* V: npos * (C + O2C_WINO_PADF) * T floats of scratch, npos = (F + 2)^2, T = ceil(OH/F) * ceil(OW/F)
 * (O2C_WINO_PADF a tile for the padding of o2c_wino_vs);
 * the compiler takes this path only when npos * T * 64 <= O2C_WCV_MB and M % 64 == 0. */
O2C_DRIVER void o2c_conv2d_wcv_run(const float *in, const float *U, const float *bias, const float *res, float *out,
                                   float *V, int F, int N, int C, int H, int W, int M, int OH, int OW, int PT, int PL,
                                   float lo, float hi, o2c_cv_tile_fn tile, o2c_wcv_in_fn in_fn)
{
	const int TWt = (OW + F - 1) / F, T = (OH + F - 1) / F * TWt, npos = (F + 2) * (F + 2), P = OH * OW;
	const int nb = M / O2C_CV_MV, tid = o2c_tid(), nth = o2c_nthreads();
	/* this thread's tiles [j0, j1) of every image, in ng groups, transformed
	 * into its own part of V */
	const int j0 = (int)((long)T * tid / nth), j1 = (int)((long)T * (tid + 1) / nth), nt = j1 - j0;
	const int ng = (nt + O2C_CV_JB - 1) / O2C_CV_JB;
	float *Vt = V + (size_t)npos * (C + O2C_WINO_PADF) * j0; /* o2c_wino_vs(C, nt) <= (C + PADF) * nt */
	const size_t vx = o2c_wino_vs(C, nt);          /* one position further in Vt */
	const size_t mx = o2c_wino_vs(O2C_CV_MV, nt);  /* and in Mb: 24 tiles are 6 KB, 2 L1 sets for 36 rows */
	float Mb[O2C_WCV_MB + O2C_WINO_VPAD(36)];
	for (int n = 0; n < N && nt > 0; n++) {
		in_fn(in + (size_t)n * C * H * W, Vt, F, C, j0, j1, H, W, OH, OW, PT, PL);
		for (int b = 0; b < nb; b++) {
			for (int xi = 0; xi < npos; xi++) {
				const float *w = U + ((size_t)xi * nb + b) * C * O2C_CV_MV;
				/* read next: the next position's chunk, else the next block's first */
				const float *nw = xi + 1 < npos ? w + (size_t)nb * C * O2C_CV_MV
				                  : b + 1 < nb  ? U + (size_t)(b + 1) * C * O2C_CV_MV
				                                : NULL;
				const int nlines = nw ? C * (O2C_CV_MV / 16) : 0;
				for (int g = 0; g < ng; g++) {
					const int g0 = nt * g / ng, g1 = nt * (g + 1) / ng;
					const int l0 = nlines * g / ng, l1 = nlines * (g + 1) / ng;
					tile(Vt + xi * vx + g0, nt, w, C, Mb + (size_t)xi * mx + (size_t)g0 * O2C_CV_MV, g1 - g0, 1,
					     g == 0, nw ? nw + (size_t)16 * l0 : NULL, l1 - l0);
				}
			}
			o2c_wcv_out(Mb, mx, out + ((size_t)n * M + (size_t)b * O2C_CV_MV) * P, F, TWt, OH, OW, j0, j1);
		}
	}
	o2c_sync(); /* the blocks are complete */
	o2c_cv_store_all(out, N, M, P, bias, res, lo, hi, Mb);
}

O2C_UNUSED static void o2c_conv2d_wcv(const float *in, const float *U, const float *bias, const float *res,
                                      float *out, float *V, int F, int N, int C, int H, int W, int M, int OH, int OW,
                                      int PT, int PL, float lo, float hi)
{
	o2c_conv2d_wcv_run(in, U, bias, res, out, V, F, N, C, H, W, M, OH, OW, PT, PL, lo, hi, O2C_CV_TILE, O2C_WCV_IN);
}

#if defined(__AVX512F__)
#define o2c_conv2d o2c_conv2d_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define o2c_conv2d o2c_conv2d_avx2
#else
#define o2c_conv2d o2c_conv2d_scalar
#endif

/* Depthwise: channel c reads only input channel c.  w is [C][KH][KW]. */
O2C_UNUSED static void o2c_dwconv2d(const float *in, const float *w, const float *bias, const float *res, float *out,
                                    int N, int C, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                                    int DW, int PT, int PL, float lo, float hi)
{
	O2C_OMP(for collapse(2) schedule(static) nowait)
	for (int nc = 0; nc < N * C; nc++)
		for (int oy = 0; oy < OH; oy++) {
			const int c = nc % C;
			const float *x = in + (size_t)nc * H * W;
			float *y = out + ((size_t)nc * OH + oy) * OW;
			const float b = bias ? bias[c] : 0.0f;
			for (int ox = 0; ox < OW; ox++)
				y[ox] = b;
			for (int ky = 0; ky < KH; ky++) {
				const int iy = oy * SH + ky * DH - PT;
				if (iy < 0 || iy >= H)
					continue;
				const float *row = x + (size_t)iy * W;
				for (int kx = 0; kx < KW; kx++) {
					const float wv = w[((size_t)c * KH + ky) * KW + kx];
					const int off = kx * DW - PL;
					/* the ox range whose tap lands inside the row: padding stays out of the loop */
					int lo_x = off < 0 ? (-off + SW - 1) / SW : 0;
					int hi_x = W - 1 - off < 0 ? 0 : (W - 1 - off) / SW + 1;
					if (hi_x > OW)
						hi_x = OW;
					if (SW == 1)
						for (int ox = lo_x; ox < hi_x; ox++)
							y[ox] += wv * row[ox + off];
					else
						for (int ox = lo_x; ox < hi_x; ox++)
							y[ox] += wv * row[ox * SW + off];
				}
			}
			const float *r = res ? res + ((size_t)nc * OH + oy) * OW : NULL;
			for (int ox = 0; ox < OW; ox++) {
				float v = y[ox] + (r ? r[ox] : 0.0f);
				v = v < lo ? lo : v;
				y[ox] = v > hi ? hi : v;
			}
		}
}
