/*
 * Template: conv/direct.c - pasted by onnx2c (compiler/ops/conv.c) into
 * models with a Conv that runs the packed direct path, and ahead of
 * conv/wino.c, whose products run these microkernels.  Takes no variables:
 * each such Conv node's function calls o2c_conv_direct() with literal shape
 * arguments.
 * Needs: blocking.h act.c conv/shared.c conv/ref.c
 *
 * o2c_conv_direct: y = act(clamp(conv(x, w) + bias [+ res], lo, hi)) on
 * NCHW, for any group, stride, dilation and padding; act is an O2C_ACT_*
 * kind of act.c (O2C_ACT_NONE: none), run on each tile once its last chunk
 * is stored, while it is in L1.  The compiler packs the weights
 * (compiler/pack/pack.c, pack_conv_direct) into blocks of O2C_CONV_MR output
 * channels:
 *   wp[g][b][ic][ky][kx][r]  = W[g*Mg + b*MR + r][ic][ky][kx]  (0 past Mg)
 * so a microkernel broadcasts MR consecutive floats per tap.  A 1x1,
 * stride-1, unpadded conv is called with H = 1 and W = H*W (one flat row).
 * Microkernels: o2c_conv_direct_ukernel_8x48_avx512, _avx2 and _generic (the
 * portable one, also the reference for the panel contract).
 */

/*
 * The fast path is an implicit GEMM, BLIS style: out[M][P] = Wp[M][K] x
 * B[K][P] with K = Cg*KH*KW taps and P = OH*OW output pixels, flattened, so
 * a 7x7 image is one 49-pixel run and not seven short rows.
 *  - driver (o2c_conv_direct_packed): splits P into tiles of NR pixels and K
 *    into chunks of whole input channels (<= O2C_CONV_KC taps).  Per tile
 *    and chunk it packs B (the chunk's taps x the tile's pixels, zeros for
 *    padding and past the image) into a contiguous stack panel once, then
 *    runs the microkernel over every block of MR output channels, so the
 *    panel is read from L1/L2 M/MR times and packing costs K*NR per tile.
 *    Strides, dilations and padding live only in the packing.
 *  - microkernel (o2c_conv_direct_ukernel_8x48_<isa>): MR channels x NR pixels of
 *    accumulators in registers over kc taps; reads the packed weights
 *    [kc][MR] and the panel [kc][O2C_CONV_NR]; each chunk sums from zero
 *    and the later ones add their sum to the partial sums stored in y
 *    (blocked summation: a chunk's roundings do not scale with the earlier
 *    chunks' total, which Winograd's products need, see wino.c); the last applies
 *    bias, residual and clamp and stores only the npix real pixels and the
 *    mleft real channels.  nw (or NULL) is where the weights the thread
 *    reads next start: the SIMD microkernels prefetch on into them, so the
 *    weight stream from memory does not stall at the start of every call.
 * OpenMP splits (image, group, pixel tile, channel-block group); channel
 * blocks are split only when there are too few tiles to feed the threads,
 * since every split repacks the panel.
 */

/* Taps ahead the SIMD microkernels prefetch the packed weights (4 KB): a
 * 7x7 layer's weights are read once per inference, cold from memory, and
 * this takes ~20% off such a layer. */
#define O2C_CONV_PFD 128
/* Fewest tiles two threads claim from both ends (o2c_claim2); fewer go to
 * the bands (o2c_band), which share a last partial tile by channel blocks:
 * claimed whole, the 4 full tiles and 4 pixels of a 14x14 output left one
 * thread 3 of the full ones (a 3x3 stride-2 128->256 conv at 28x28: 0.52-0.66
 * -> 0.44-0.48 ms on 2 threads in resnet18, profile build). */
#define O2C_CONV_CLAIM_MIN 16

/* ---- microkernels: MR x NR tiles of the implicit GEMM --------------------------------------- */

typedef void (*o2c_conv_direct_ukernel_fn)(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride,
                                           int npix, int mleft, const float *bias, const float *res, int first,
                                           int last, float lo, float hi, const float *nw);

/* The epilogue of one output value on a tile's last chunk: its channel's
 * bias b, its residual (res, or NULL) and the clamp. */
O2C_INLINE float o2c_conv_direct_epilogue(float v, float b, const float *res, float lo, float hi)
{
	v += b;
	if (res)
		v += *res;
	v = v < lo ? lo : v;
	return v > hi ? hi : v;
}

/* Portable microkernel, also the reference for the panel contract. */
O2C_UNUSED static void o2c_conv_direct_ukernel_8x48_generic(const float *bp, int ldb, const float *w, int kc, float *y,
                                                            size_t ostride, int npix, int mleft, const float *bias,
                                                            const float *res, int first, int last, float lo, float hi,
                                                            const float *nw)
{
	float acc[O2C_CONV_MR][O2C_CONV_NR];
	(void)nw;
	for (int r = 0; r < O2C_CONV_MR; r++)
		for (int j = 0; j < npix; j++)
			acc[r][j] = 0.0f;
	for (int k = 0; k < kc; k++)
		for (int r = 0; r < O2C_CONV_MR; r++)
			for (int j = 0; j < npix; j++)
				acc[r][j] += w[k * O2C_CONV_MR + r] * bp[k * ldb + j];
	for (int r = 0; r < O2C_CONV_MR && r < mleft; r++)
		for (int j = 0; j < npix; j++) {
			const float v = first ? acc[r][j] : y[r * ostride + j] + acc[r][j]; /* the chunk's sum, then added */
			y[r * ostride + j] = last ? o2c_conv_direct_epilogue(v, bias ? bias[r] : 0.0f,
			                                                     res ? res + r * ostride + j : NULL, lo, hi)
			                          : v;
		}
}

#if defined(__AVX512F__)
/* MR x 16*NV accumulators (24 of the 32 zmm at NV = 3). */
O2C_INLINE void o2c_conv_direct_ukernel_8x48_avx512_nv(const float *bp, int ldb, const float *w, int kc, float *y,
                                                       size_t ostride, int npix, int mleft, const float *bias,
                                                       const float *res, int first, int last, float lo, float hi,
                                                       const float *nw, const int NV)
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
			acc[r][v] = _mm512_setzero_ps();
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
			if (!first) /* the chunk's own sum added to the earlier chunks': blocked summation */
				o = _mm512_add_ps(_mm512_maskz_loadu_ps(st[v], y + r * ostride + 16 * v), o);
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
O2C_INLINE void o2c_conv_direct_ukernel_8x48_avx512_few(const float *bp, int ldb, const float *w, int kc, float *y,
                                                        size_t ostride, int npix, int mleft, const float *bias,
                                                        const float *res, int first, int last, float lo, float hi,
                                                        const float *nw, const int NP)
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
			y[r * ostride + p] = last ? o2c_conv_direct_epilogue(v, bias ? bias[r] : 0.0f,
			                                                     res ? res + r * ostride + p : NULL, lo, hi)
			                          : v;
		}
	}
}

O2C_UNUSED static void o2c_conv_direct_ukernel_8x48_avx512(const float *bp, int ldb, const float *w, int kc, float *y,
                                                           size_t ostride, int npix, int mleft, const float *bias,
                                                           const float *res, int first, int last, float lo, float hi,
                                                           const float *nw)
{
	if (npix == 1)
		o2c_conv_direct_ukernel_8x48_avx512_few(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last,
		                                        lo, hi, nw, 1);
	else if (npix == 2)
		o2c_conv_direct_ukernel_8x48_avx512_few(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last,
		                                        lo, hi, nw, 2);
	else if (npix > 32)
		o2c_conv_direct_ukernel_8x48_avx512_nv(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last,
		                                       lo, hi, nw, 3);
	else if (npix > 16)
		o2c_conv_direct_ukernel_8x48_avx512_nv(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last,
		                                       lo, hi, nw, 2);
	else
		o2c_conv_direct_ukernel_8x48_avx512_nv(bp, ldb, w, kc, y, ostride, npix, mleft, bias, res, first, last,
		                                       lo, hi, nw, 1);
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
/* AVX2 has 16 registers: MR x 8 pixels (8 accumulators), six calls per panel. */
O2C_UNUSED static void o2c_conv_direct_ukernel_8x48_avx2(const float *bp, int ldb, const float *w, int kc, float *y,
                                                         size_t ostride, int npix, int mleft, const float *bias,
                                                         const float *res, int first, int last, float lo, float hi,
                                                         const float *nw)
{
	const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
	for (int j0 = 0; j0 < npix; j0 += 8) {
		__m256 acc[O2C_CONV_MR];
		const __m256i st = _mm256_cmpgt_epi32(_mm256_set1_epi32(npix - j0), lane);
		O2C_UNROLL
		for (int r = 0; r < O2C_CONV_MR; r++)
			acc[r] = _mm256_setzero_ps();
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
			if (!first) /* blocked summation, as the AVX-512 kernel */
				o = _mm256_add_ps(_mm256_maskload_ps(y + r * ostride + j0, st), o);
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
#endif

/* ---- packing: the input panel of a tile ----------------------------------------------------- */

/* Panel columns a microkernel reads for a tile of npix pixels: whole
 * 16-wide vectors (the padding zeroed, so no garbage enters the FMAs). */
static int o2c_conv_direct_panel_cols(int npix)
{
	const int n = (npix + 15) / 16 * 16;
	return n < O2C_CONV_NR ? n : O2C_CONV_NR;
}

/* Packs taps [k0, k0 + kc) (whole channels from ic0) of the tile into bp.
 * run_* describe, per tap, the runs of consecutive pixels whose inputs are
 * SW apart (one run per output row and tap); the rest of each row's first
 * o2c_conv_direct_panel_cols(npix) columns is zero. */
static void o2c_conv_direct_pack(const float *x, float *bp, int ic0, int nic, int HW, int KHW, int SW, int npix,
                                 const int *run_n, const short *run_j, const short *run_len, const int *run_src)
{
	const int nz = o2c_conv_direct_panel_cols(npix);
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
						const __m512 a =
						    _mm512_maskz_loadu_ps((__mmask16)((1u << na) - 1u), src + 2 * j0);
						const __m512 b = _mm512_maskz_loadu_ps((__mmask16)((1u << nb) - 1u),
						                                       src + 2 * j0 + 16);
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
 * past npix are zero up to o2c_conv_direct_panel_cols(npix).  KW <= O2C_CONV_S2_KWMAX. */
static void o2c_conv_direct_pack_s2(const float *x, float *bp, int ic0, int nic, int H, int W, int KH, int KW, int SH,
                                    int DH, int PT, int PL, int npix, int ns, const int *sy, const int *sx0,
                                    const int *sx1, const int *sj)
{
	const int KHW = KH * KW, nz = o2c_conv_direct_panel_cols(npix);
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
				const int c0 = 2 * sx0[sg] - PL,
				          ne = len + (KW - 1) / 2; /* ev[q], od[q]: columns c0+2q, c0+2q+1 */
#if defined(__AVX512F__)
				const __m512i evi =
				    _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
				const __m512i odi =
				    _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
				for (int q = 0; q < ne; q += 16) { /* 32 columns at a time */
					const int c = c0 + 2 * q;
					const __m512 a = o2c_conv_row16_avx512(xr, c, W),
					             b = o2c_conv_row16_avx512(xr, c + 16, W);
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
					memcpy(d + (size_t)kx * O2C_CONV_NR, (kx & 1 ? od : ev) + kx / 2,
					       (size_t)len * sizeof *d);
#endif
			}
	}
}

/* ---- dispatch: the microkernel for the target ISA ------------------------------------------- */

#if defined(__AVX512F__)
#define O2C_CONV_DIRECT_UKERNEL_ISA o2c_conv_direct_ukernel_8x48_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define O2C_CONV_DIRECT_UKERNEL_ISA o2c_conv_direct_ukernel_8x48_avx2
#else
#define O2C_CONV_DIRECT_UKERNEL_ISA o2c_conv_direct_ukernel_8x48_generic
#endif

/* The drivers' microkernel: the ISA's, over the chunk's taps in blocks of
 * O2C_SUM_KB, each summed from zero and added to the last (blocked
 * summation).  One running sum over a 1x1 conv's 1024 taps had 1.9x ONNX
 * Runtime's rounding error (MLAS blocks its sums too); the extra loads and
 * stores are one per O2C_SUM_KB FMAs. */
static void o2c_conv_direct_ukernel_sum(const float *bp, int ldb, const float *w, int kc, float *y, size_t ostride,
                                        int npix, int mleft, const float *bias, const float *res, int first, int last,
                                        float lo, float hi, const float *nw)
{
	for (int k0 = 0; k0 < kc; k0 += O2C_SUM_KB) {
		const int kb = kc - k0 < O2C_SUM_KB ? kc - k0 : O2C_SUM_KB, end = k0 + kb == kc;
		O2C_CONV_DIRECT_UKERNEL_ISA(bp + (size_t)k0 * ldb, ldb, w + (size_t)k0 * O2C_CONV_MR, kb, y, ostride, npix,
		                            mleft, bias, res, first && k0 == 0, last && end, lo, hi,
		                            end ? nw : w + (size_t)(k0 + kb) * O2C_CONV_MR);
	}
}
#define O2C_CONV_DIRECT_UKERNEL o2c_conv_direct_ukernel_sum

/* ---- driver: tiles, chunks and threads ------------------------------------------------------ */

/* One work item of o2c_conv_direct_packed: nt tiles (pixels [tp0[i], tp0[i] + tnp[i]))
 * of image n, group g, for channel blocks [b0, b1): per chunk of input
 * channels the tiles' panels are packed side by side, then each block's
 * microkernel runs over them. */
O2C_DRIVER void o2c_conv_direct_item(const float *in, const float *wp, const float *bias, const float *res, float *out,
                                     int n, int g, const int *tp0, const int *tnp, int nt, int b0, int b1, int G, int C,
                                     int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                                     int DW, int PT, int PL, float lo, float hi, int act, o2c_conv_direct_ukernel_fn tile)
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
	const int s2 =
	    SW == 2 && DW == 1 && KW <= O2C_CONV_S2_KWMAX; /* packed by o2c_conv_direct_pack_s2 from the segments */
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
					const int lo_x = sx0[sg] > vlo ? sx0[sg] : vlo,
					          hi_x = sx1[sg] < vhi ? sx1[sg] : vhi;
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
	/* A 1x1 stride-1 unpadded conv's full tile reads its panel in place:
	 * row k of the chunk is input channel ic0 + k from the tile's first
	 * pixel, P floats on.  Packing it was a copy of the whole input per
	 * layer (8% of MobileNetV2's time, in memcpy).  A partial tile is
	 * packed: the microkernels read whole vectors past its last pixel. */
	const int inplace = KHW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W;
	for (int ic0 = 0; ic0 < Cg; ic0 += icc) {
		const int nic = Cg - ic0 < icc ? Cg - ic0 : icc, k0 = ic0 * KHW, kc = nic * KHW;
		for (int ti = 0; ti < nt; ti++) /* tile ti's panel: kc taps x NR at bp + ti * kc * NR */
			if (inplace && tnp[ti] == O2C_CONV_NR)
				continue;
			else if (s2)
				o2c_conv_direct_pack_s2(x, bp + (size_t)ti * kc * O2C_CONV_NR, ic0, nic, H, W, KH, KW,
				                        SH, DH, PT, PL, tnp[ti], nseg[ti], segy[ti], segx0[ti],
				                        segx1[ti], segj[ti]);
			else
				o2c_conv_direct_pack(x, bp + (size_t)ti * kc * O2C_CONV_NR, ic0, nic, H * W, KHW, SW,
				                     tnp[ti], run_n + ti * KHW, run_j + ti * KHW * O2C_CONV_NR,
				                     run_len + ti * KHW * O2C_CONV_NR,
				                     run_src + ti * KHW * O2C_CONV_NR);
		for (int b = b0; b < b1; b++) {
			const int oc0 = g * Mg + b * O2C_CONV_MR;
			const float *wb = wp + (((size_t)g * nb + b) * K + k0) * O2C_CONV_MR;
			/* read next: this chunk of the next block, else the next chunk of the first */
			const float *nw = b + 1 < b1      ? wb + (size_t)K * O2C_CONV_MR
			                  : ic0 + nic < Cg ? wp + (((size_t)g * nb + b0) * K + k0 + kc) * O2C_CONV_MR
			                                   : NULL;
#if defined(__GNUC__)
			/* the next tile's output rows of this block, fetched for writing while this
			 * one computes: a wide layer's output is not in cache, and the hardware
			 * prefetchers do not follow its M row streams */
			if (ic0 + nic == Cg && tp0[nt - 1] + 2 * O2C_CONV_NR <= P)
				for (int r = 0; r < O2C_CONV_MR && b * O2C_CONV_MR + r < Mg; r++)
					for (int l = 0; l < O2C_CONV_NR; l += 16)
						__builtin_prefetch(out + ((size_t)n * M + oc0 + r) * ostride + tp0[nt - 1] +
						                       O2C_CONV_NR + l,
						                   1);
#endif
			for (int ti = 0; ti < nt; ti++) {
				const size_t o = ((size_t)n * M + oc0) * ostride + tp0[ti];
				const int in_place = inplace && tnp[ti] == O2C_CONV_NR;
				tile(in_place ? x + (size_t)ic0 * P + tp0[ti] : bp + (size_t)ti * kc * O2C_CONV_NR,
				     in_place ? P : O2C_CONV_NR, wb, kc, out + o, ostride, tnp[ti],
				     Mg - b * O2C_CONV_MR, bias ? bias + oc0 : NULL, res ? res + o : NULL, ic0 == 0,
				     ic0 + nic == Cg, lo, hi, ti + 1 < nt ? wb : nw);
				if (ic0 + nic == Cg) /* the tile is final: its activation while it is in L1 */
					o2c_act_rows(out + o, ostride,
					             Mg - b * O2C_CONV_MR < O2C_CONV_MR ? Mg - b * O2C_CONV_MR : O2C_CONV_MR,
					             tnp[ti], act);
			}
		}
	}
}

O2C_DRIVER void o2c_conv_direct_packed(const float *in, const float *wp, const float *bias, const float *res,
                                       float *out, int N, int G, int C, int H, int W, int M, int OH, int OW, int KH,
                                       int KW, int SH, int SW, int DH, int DW, int PT, int PL, float lo, float hi,
                                       int act, o2c_conv_direct_ukernel_fn tile)
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
			o2c_conv_direct_item(in, wp, bias, res, out, 0, 0, &p0, &npx, 1, 0, nb, G, C, H, W, M, OH, OW,
			                     KH, KW, SH, SW, DH, DW, PT, PL, lo, hi, act, tile);
		}
		return;
	}
	if (nthr > 1 && G == 1 && tpi == 1) { /* this thread's band of each image */
		const O2cBand bd = o2c_band(P, O2C_CONV_NR, nb, o2c_tid(), nthr);
		for (int n = 0; n < N; n++) {
			for (int p0 = bd.lo; p0 < bd.hi; p0 += O2C_CONV_NR) {
				const int np = bd.hi - p0 < O2C_CONV_NR ? bd.hi - p0 : O2C_CONV_NR;
				o2c_conv_direct_item(in, wp, bias, res, out, n, 0, &p0, &np, 1, 0, nb, G, C, H, W, M,
				                     OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo, hi, act, tile);
			}
			if (bd.rb0 < bd.rb1) {
				const int np = bd.r1 - bd.r0;
				o2c_conv_direct_item(in, wp, bias, res, out, n, 0, &bd.r0, &np, 1, bd.rb0, bd.rb1, G, C,
				                     H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo, hi, act, tile);
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
		o2c_conv_direct_item(in, wp, bias, res, out, n, g, tp0, tnp, nt, b0, b1, G, C, H, W, M, OH, OW, KH, KW,
		                     SH, SW, DH, DW, PT, PL, lo, hi, act, tile);
	}
}

/* The packed path with the microkernel ukernel; a window of more than
 * O2C_CONV_KHWMAX taps (more than the driver's run tables hold) runs the
 * reference.  The kernel tests call it with every microkernel. */
O2C_UNUSED static void o2c_conv_direct_run(const float *in, const float *wp, const float *bias, const float *res,
                                           float *out, int N, int G, int C, int H, int W, int M, int OH, int OW, int KH,
                                           int KW, int SH, int SW, int DH, int DW, int PT, int PL, float lo, float hi,
                                           int act, o2c_conv_direct_ukernel_fn ukernel)
{
	if (KH * KW > O2C_CONV_KHWMAX)
		o2c_conv_ref(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo, hi,
		             act);
	else
		o2c_conv_direct_packed(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL,
		                       lo, hi, act, ukernel);
}

/* The entry point: the packed path with this ISA's microkernel. */
O2C_UNUSED static void o2c_conv_direct(const float *in, const float *wp, const float *bias, const float *res,
                                       float *out, int N, int G, int C, int H, int W, int M, int OH, int OW, int KH,
                                       int KW, int SH, int SW, int DH, int DW, int PT, int PL, float lo, float hi,
                                       int act)
{
	o2c_conv_direct_run(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo, hi,
	                    act, O2C_CONV_DIRECT_UKERNEL);
}
