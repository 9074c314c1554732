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
	O2C_OMP(parallel for collapse(2) schedule(static))
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
 *    mleft real channels.
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

typedef void (*o2c_conv_tile_fn)(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride, int npix,
                                 int mleft, const float *bias, const float *res, int first, int last, float lo,
                                 float hi);

#if defined(__GNUC__) || defined(__clang__)
#define O2C_INLINE static inline __attribute__((always_inline))
#else
#define O2C_INLINE static inline
#endif

/* Portable microkernel, also the reference for the panel contract. */
O2C_UNUSED static void o2c_conv_tile_generic(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride,
                                             int npix, int mleft, const float *bias, const float *res, int first,
                                             int last, float lo, float hi)
{
	float acc[O2C_CONV_MR][O2C_CONV_NR];
	for (int r = 0; r < O2C_CONV_MR; r++)
		for (int j = 0; j < npix; j++)
			acc[r][j] = first || r >= mleft ? 0.0f : y[r * ostride + j];
	for (int k = 0; k < kc; k++)
		for (int r = 0; r < O2C_CONV_MR; r++)
			for (int j = 0; j < npix; j++)
				acc[r][j] += w[k * O2C_CONV_MR + r] * bp[k * ldb + j];
	for (int r = 0; r < O2C_CONV_MR && r < mleft; r++)
		for (int j = 0; j < npix; j++) {
			float v = acc[r][j];
			if (last) {
				v += bias ? bias[r] : 0.0f;
				if (res)
					v += res[r * ostride + j];
				v = v < lo ? lo : v;
				v = v > hi ? hi : v;
			}
			y[r * ostride + j] = v;
		}
}

/* Packs taps [k0, k0 + kc) (whole channels from ic0) of the tile into bp.
 * run_* describe, per tap, the runs of consecutive pixels whose inputs are
 * SW apart (one run per output row and tap); everything else in the panel
 * is zero. */
static void o2c_conv_pack(const float *x, float *bp, int ic0, int nic, int HW, int KHW, int SW, const int *run_n,
                          const short *run_j, const short *run_len, const int *run_src)
{
	for (int ic = 0; ic < nic; ic++) {
		const float *xc = x + (size_t)(ic0 + ic) * HW;
		for (int t = 0; t < KHW; t++) {
			float *dst = bp + ((size_t)ic * KHW + t) * O2C_CONV_NR;
			for (int j = 0; j < O2C_CONV_NR; j++)
				dst[j] = 0.0f;
			const int base = t * O2C_CONV_NR;
			for (int r = 0; r < run_n[t]; r++) {
				const float *src = xc + run_src[base + r];
				float *d = dst + run_j[base + r];
				const int len = run_len[base + r];
				if (SW == 1) {
					for (int j = 0; j < len; j++)
						d[j] = src[j];
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
				}
#endif
				for (int j = j0; j < len; j++)
					d[j] = src[j * SW];
			}
		}
	}
}

static void o2c_conv2d_packed(const float *in, const float *wp, const float *bias, const float *res, float *out, int N,
                              int G, int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                              int DW, int PT, int PL, float lo, float hi, o2c_conv_tile_fn tile)
{
	const int Cg = C / G, Mg = M / G, nb = (Mg + O2C_CONV_MR - 1) / O2C_CONV_MR, KHW = KH * KW;
	const int K = Cg * KHW, P = OH * OW, ntiles = (P + O2C_CONV_NR - 1) / O2C_CONV_NR;
	/* A small image (7x7, 8x8: 2 tiles) is done in one item with all its
	 * tiles' panels packed side by side, so each weight block is read once
	 * for all of them instead of once per tile: such layers have the most
	 * weights per pixel. */
	const int tpi = ntiles <= O2C_CONV_TPI && ntiles * KHW <= O2C_CONV_KHWMAX ? ntiles : 1;
	const int ngr = (ntiles + tpi - 1) / tpi, kcmax = O2C_CONV_KC / tpi;
	const int icc = KHW >= kcmax ? 1 : kcmax / KHW; /* input channels per chunk */
	const size_t ostride = (size_t)P;
	int nthr = 1;
#if defined(_OPENMP)
	nthr = omp_get_max_threads();
#endif
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
	O2C_OMP(parallel for schedule(dynamic, 1))
	for (long it = 0; it < total; it++) {
		float bp[O2C_CONV_KC * O2C_CONV_NR];
		int run_n[O2C_CONV_KHWMAX], run_src[O2C_CONV_KHWMAX * O2C_CONV_NR];
		short run_j[O2C_CONV_KHWMAX * O2C_CONV_NR], run_len[O2C_CONV_KHWMAX * O2C_CONV_NR];
		long q = it;
		const int mg = (int)(q % nmg);
		q /= nmg;
		const int gr = (int)(q % ngr);
		q /= ngr;
		const int g = (int)(q % G);
		const int n = (int)(q / G);
		const int t0 = gr * tpi, nt = ntiles - t0 < tpi ? ntiles - t0 : tpi;
		const int b0 = mg * bpg, b1 = b0 + bpg < nb ? b0 + bpg : nb;
		if (b0 >= b1)
			continue;
		/* runs of each tap over each tile's pixels: tile ti, tap tp at (ti * KHW + tp) */
		for (int ti = 0; ti < nt; ti++) {
			const int p0 = (t0 + ti) * O2C_CONV_NR, npix = P - p0 < O2C_CONV_NR ? P - p0 : O2C_CONV_NR;
			int py[O2C_CONV_NR], px[O2C_CONV_NR]; /* each pixel's window origin, divided once */
			for (int j = 0; j < npix; j++) {
				py[j] = (p0 + j) / OW * SH - PT;
				px[j] = (p0 + j) % OW * SW - PL;
			}
			for (int ky = 0; ky < KH; ky++)
				for (int kx = 0; kx < KW; kx++) {
					const int tp = ti * KHW + ky * KW + kx, base = tp * O2C_CONV_NR;
					int nr = 0, prev_src = -2, prev_j = -2;
					for (int j = 0; j < npix; j++) {
						const int iy = py[j] + ky * DH, ix = px[j] + kx * DW;
						if (iy < 0 || iy >= H || ix < 0 || ix >= W)
							continue;
						const int src = iy * W + ix;
						if (nr && prev_j == j - 1 && prev_src == src - SW) {
							run_len[base + nr - 1]++;
						} else {
							run_j[base + nr] = (short)j;
							run_len[base + nr] = 1;
							run_src[base + nr] = src;
							nr++;
						}
						prev_j = j;
						prev_src = src;
					}
					run_n[tp] = nr;
				}
		}
		const float *x = in + ((size_t)n * C + (size_t)g * Cg) * H * W;
		for (int ic0 = 0; ic0 < Cg; ic0 += icc) {
			const int nic = Cg - ic0 < icc ? Cg - ic0 : icc, k0 = ic0 * KHW, kc = nic * KHW;
			for (int ti = 0; ti < nt; ti++) /* tile ti's panel: kc taps x NR at bp + ti * kc * NR */
				o2c_conv_pack(x, bp + (size_t)ti * kc * O2C_CONV_NR, ic0, nic, H * W, KHW, SW,
				              run_n + ti * KHW, run_j + ti * KHW * O2C_CONV_NR,
				              run_len + ti * KHW * O2C_CONV_NR, run_src + ti * KHW * O2C_CONV_NR);
			for (int b = b0; b < b1; b++) {
				const int oc0 = g * Mg + b * O2C_CONV_MR;
				const float *wb = wp + (((size_t)g * nb + b) * K + k0) * O2C_CONV_MR;
				for (int ti = 0; ti < nt; ti++) {
					const int p0 = (t0 + ti) * O2C_CONV_NR,
					          npix = P - p0 < O2C_CONV_NR ? P - p0 : O2C_CONV_NR;
					const size_t o = ((size_t)n * M + oc0) * ostride + p0;
					tile(bp + (size_t)ti * kc * O2C_CONV_NR, O2C_CONV_NR, wb, kc, out + o, ostride,
					     npix, Mg - b * O2C_CONV_MR, bias ? bias + oc0 : NULL, res ? res + o : NULL,
					     ic0 == 0, ic0 + nic == Cg, lo, hi);
				}
			}
		}
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
                                        float lo, float hi, const int NV)
{
	__m512 acc[O2C_CONV_MR][3];
	__mmask16 st[3];
	for (int v = 0; v < NV; v++) {
		const int left = npix - 16 * v;
		st[v] = (__mmask16)(left >= 16 ? 0xffffu : left <= 0 ? 0u : (1u << left) - 1u);
	}
	for (int r = 0; r < O2C_CONV_MR; r++)
		for (int v = 0; v < NV; v++)
			acc[r][v] = first || r >= mleft ? _mm512_setzero_ps()
			                                : _mm512_maskz_loadu_ps(st[v], y + r * ostride + 16 * v);
	for (int k = 0; k < kc; k++) {
		__m512 xv[3];
		for (int v = 0; v < NV; v++)
			xv[v] = _mm512_loadu_ps(bp + (size_t)k * ldb + 16 * v);
		if (k + O2C_CONV_PFD < kc) /* weights stream from memory in big layers */
			_mm_prefetch((const char *)(w + (size_t)(k + O2C_CONV_PFD) * O2C_CONV_MR), _MM_HINT_T0);
		for (int r = 0; r < O2C_CONV_MR; r++) {
			const __m512 wv = _mm512_set1_ps(w[(size_t)k * O2C_CONV_MR + r]);
			for (int v = 0; v < NV; v++)
				acc[r][v] = _mm512_fmadd_ps(wv, xv[v], acc[r][v]);
		}
	}
	const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
	for (int r = 0; r < O2C_CONV_MR && r < mleft; r++)
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

static void o2c_conv_tile_avx512(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride, int npix,
                                 int mleft, const float *bias, const float *res, int first, int last, float lo,
                                 float hi)
{
	if (npix > 32)
		o2c_conv_tile_avx512_nv(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last, lo, hi, 3);
	else if (npix > 16)
		o2c_conv_tile_avx512_nv(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last, lo, hi, 2);
	else
		o2c_conv_tile_avx512_nv(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last, lo, hi, 1);
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
                               int mleft, const float *bias, const float *res, int first, int last, float lo, float hi)
{
	const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
	for (int j0 = 0; j0 < npix; j0 += 8) {
		__m256 acc[O2C_CONV_MR];
		const __m256i st = _mm256_cmpgt_epi32(_mm256_set1_epi32(npix - j0), lane);
		for (int r = 0; r < O2C_CONV_MR; r++)
			acc[r] =
			    first || r >= mleft ? _mm256_setzero_ps() : _mm256_maskload_ps(y + r * ostride + j0, st);
		for (int k = 0; k < kc; k++) {
			const __m256 xv = _mm256_loadu_ps(bp + (size_t)k * ldb + j0);
			if (k + O2C_CONV_PFD < kc)
				_mm_prefetch((const char *)(w + (size_t)(k + O2C_CONV_PFD) * O2C_CONV_MR), _MM_HINT_T0);
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
 * TG is chosen so V stays near L2 size (<= O2C_WINO_VMAX floats on the
 * stack, 512 KB); the compiler uses this path only for C <= 512.
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   A^T = [1 1 1 0; 0 1 -1 -1]
 */
#define O2C_WINO_VMAX (16 * 512 * 16)

static void o2c_conv2d_wino(const float *in, const float *U, const float *bias, const float *res, float *out, int N,
                            int C, int H, int W, int M, int OH, int OW, int PT, int PL, float lo, float hi,
                            o2c_conv_tile_fn tile)
{
	const int nb = (M + O2C_CONV_MR - 1) / O2C_CONV_MR, TWt = (OW + 1) / 2, T = (OH + 1) / 2 * TWt;
	int TG = 4096 / C / 16 * 16;
	TG = TG < 16 ? 16 : TG > O2C_CONV_NR ? O2C_CONV_NR : TG;
	const int ngr = (T + TG - 1) / TG;
	int nthr = 1;
#if defined(_OPENMP)
	nthr = omp_get_max_threads();
#endif
	/* each split by channel blocks repeats the input transform: few of them */
	const long groups = (long)N * ngr, want = nthr > 1 ? 2L * nthr : 1;
	int nmg = groups >= want ? 1 : (int)((want + groups - 1) / groups);
	if (nmg > nb)
		nmg = nb;
	const int bpg = (nb + nmg - 1) / nmg;
	const long total = groups * nmg;
	const size_t plane = (size_t)OH * OW;
	/* dynamic: on a loaded machine a preempted thread must not hold back a
	 * fixed share of the work until the barrier */
	O2C_OMP(parallel for schedule(dynamic, 1))
	for (long it = 0; it < total; it++) {
		float V[O2C_WINO_VMAX];
		float Mb[16 * O2C_CONV_MR * O2C_CONV_NR];
		float d[16][O2C_CONV_NR], u[16][O2C_CONV_NR], a[8][O2C_CONV_NR], yv[4][O2C_CONV_NR];
		int ioff[16][O2C_CONV_NR], ooff[O2C_CONV_NR], oh2[O2C_CONV_NR], ow2[O2C_CONV_NR];
		long q = it;
		const int mg = (int)(q % nmg);
		q /= nmg;
		const int gr = (int)(q % ngr);
		const int n = (int)(q / ngr);
		const int t0 = gr * TG, nt = T - t0 < TG ? T - t0 : TG;
		const int b0 = mg * bpg, b1 = b0 + bpg < nb ? b0 + bpg : nb;
		if (b0 >= b1)
			continue;
		/* where each tile's 16 inputs are (-1: padding) and its outputs go */
		for (int j = 0; j < TG; j++) {
			const int tj = t0 + (j < nt ? j : 0), ty = tj / TWt, tx = tj % TWt;
			for (int e = 0; e < 16; e++) {
				const int iy = 2 * ty - PT + e / 4, ix = 2 * tx - PL + e % 4;
				ioff[e][j] = j < nt && iy >= 0 && iy < H && ix >= 0 && ix < W ? iy * W + ix : -1;
			}
			ooff[j] = 2 * ty * OW + 2 * tx;
			oh2[j] = 2 * ty + 1 < OH; /* the tile's second row / column exist */
			ow2[j] = 2 * tx + 1 < OW;
		}
		const float *x = in + (size_t)n * C * H * W;
		for (int c = 0; c < C; c++) {
			const float *xc = x + (size_t)c * H * W;
			for (int e = 0; e < 16; e++)
				for (int j = 0; j < TG; j++)
					d[e][j] = ioff[e][j] >= 0 ? xc[ioff[e][j]] : 0.0f;
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
				float *v0 = V + ((size_t)(i * 4 + 0) * C + c) * TG, *v1 = v0 + (size_t)C * TG;
				float *v2 = v1 + (size_t)C * TG, *v3 = v2 + (size_t)C * TG;
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
		for (int b = b0; b < b1; b++) {
			const int oc0 = b * O2C_CONV_MR, mleft = M - oc0;
			for (int xi = 0; xi < 16; xi++)
				tile(V + (size_t)xi * C * TG, TG, U + (((size_t)xi * nb + b) * C) * O2C_CONV_MR, C,
				     Mb + xi * O2C_CONV_MR * TG, (size_t)TG, nt, mleft, NULL, NULL, 1, 0, lo, hi);
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
						yv[i * 2 + 0][j] =
						    a[i * 4 + 0][j] + a[i * 4 + 1][j] + a[i * 4 + 2][j] + bv;
						yv[i * 2 + 1][j] =
						    a[i * 4 + 1][j] - a[i * 4 + 2][j] - a[i * 4 + 3][j] + bv;
					}
				for (int j = 0; j < nt; j++)
					for (int e = 0; e < 4; e++) {
						if ((e / 2 && !oh2[j]) || (e % 2 && !ow2[j]))
							continue;
						const size_t o = ooff[j] + (size_t)(e / 2) * OW + e % 2;
						float v = yv[e][j] + (rs ? rs[o] : 0.0f);
						v = v < lo ? lo : v;
						y[o] = v > hi ? hi : v;
					}
			}
		}
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
	O2C_OMP(parallel for collapse(2) schedule(static))
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
