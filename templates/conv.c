/*
 * Template: conv.c - pasted by onnx2c (compiler/ops/conv.c) into models with
 * a Conv.  Takes no variables: each Conv node's function calls o2c_conv2d()
 * or o2c_dwconv2d() with literal shape arguments.
 *
 * o2c_conv2d: y = clamp(conv(x, w) + bias [+ res], lo, hi) on NCHW, for any
 * group, stride, dilation and padding.  The weights are packed by the
 * compiler into blocks of O2C_CONV_MR output channels:
 *   wp[g][b][ic][ky][kx][r]  = W[g*Mg + b*MR + r][ic][ky][kx]  (0 past Mg)
 * so the microkernel broadcasts MR consecutive floats per tap.  The SIMD
 * variants compute a tile of MR output channels x up to NV vectors of
 * consecutive output pixels of one row; taps that fall in the padding are
 * masked-off lanes of the input load, so no padded copy and no scratch
 * memory is needed.  A 1x1, stride-1, unpadded conv is called with H = 1 and
 * W = H*W: the tile then runs over the flattened image (a plain GEMM).
 * OpenMP splits the (group, channel block, row, pixel tile) space; a thread
 * gets a contiguous range, so it reuses one weight block across many tiles.
 *
 * o2c_dwconv2d: depthwise (one input channel per group, M == C) with the
 * weights as the model gives them, [C][KH][KW]; rows are accumulated tap by
 * tap over the valid pixel range, which the compiler vectorises.
 */
#define O2C_CONV_MR 8
#define O2C_CONV_KWMAX 16 /* SIMD variants keep one mask per kx tap */

/* Portable reference of o2c_conv2d (and the fallback off x86). */
O2C_UNUSED static void o2c_conv2d_generic(const float *in, const float *wp, const float *bias, const float *res,
                                          float *out, int N, int G, int C, int H, int W, int M, int OH, int OW,
                                          int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL,
                                          float lo, float hi)
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
								       wb[(((size_t)ic * KH + ky) * KW + kx) * O2C_CONV_MR];
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

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#if defined(__GNUC__) || defined(__clang__)
#define O2C_INLINE static inline __attribute__((always_inline))
#else
#define O2C_INLINE static inline
#endif
#endif

#if defined(__AVX512F__)
/* One tile: MR channels x NV*16 pixels (npix of them real) of row oy.
 * x: the group's first input channel; wb: the packed block; iy0/ix0: input
 * position of the tile's first tap.  UNIT: stride 1 (contiguous loads),
 * else a gather.  NV and UNIT are literal at every call, so the compiler
 * keeps acc[][] in registers. */
O2C_INLINE void o2c_conv2d_tile_avx512(const float *x, const float *wb, const float *bias, const float *res,
                                       float *y, int Cg, int H, int W, int Mleft, size_t ostride, int KH,
                                       int KW, int SW, int DH, int DW, int iy0, int ix0, int npix, float lo,
                                       float hi, const int NV, const int UNIT)
{
	__m512 acc[O2C_CONV_MR][2];
	__mmask16 mk[O2C_CONV_KWMAX][2];
	const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	const __m512i vidx = _mm512_mullo_epi32(lane, _mm512_set1_epi32(SW));
	for (int kx = 0; kx < KW; kx++)
		for (int v = 0; v < NV; v++) {
			unsigned m = 0;
			for (int j = 0; j < 16; j++) {
				const int p = 16 * v + j, ix = ix0 + kx * DW + p * SW;
				m |= (unsigned)(p < npix && ix >= 0 && ix < W) << j;
			}
			mk[kx][v] = (__mmask16)m;
		}
	for (int r = 0; r < O2C_CONV_MR; r++)
		for (int v = 0; v < NV; v++)
			acc[r][v] = _mm512_setzero_ps();
	const float *w = wb;
	for (int ic = 0; ic < Cg; ic++) {
		const float *xc = x + (size_t)ic * H * W;
		for (int ky = 0; ky < KH; ky++) {
			const int iy = iy0 + ky * DH;
			if (iy < 0 || iy >= H) {
				w += KW * O2C_CONV_MR;
				continue;
			}
			const float *row = xc + (size_t)iy * W;
			for (int kx = 0; kx < KW; kx++) {
				/* lanes outside the row are masked: those addresses are never read */
				const float *src = row + (ix0 + kx * DW);
				__m512 xv[2];
				for (int v = 0; v < NV; v++)
					xv[v] = UNIT ? _mm512_maskz_loadu_ps(mk[kx][v], src + 16 * v)
					             : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mk[kx][v], vidx,
					                                        src + 16 * v * SW, 4);
				for (int r = 0; r < O2C_CONV_MR; r++) {
					const __m512 wv = _mm512_set1_ps(w[r]);
					for (int v = 0; v < NV; v++)
						acc[r][v] = _mm512_fmadd_ps(wv, xv[v], acc[r][v]);
				}
				w += O2C_CONV_MR;
			}
		}
	}
	const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
	for (int r = 0; r < O2C_CONV_MR && r < Mleft; r++)
		for (int v = 0; v < NV; v++) {
			const int left = npix - 16 * v;
			const __mmask16 st = (__mmask16)(left >= 16 ? 0xffffu : (1u << left) - 1u);
			__m512 o = _mm512_add_ps(acc[r][v], _mm512_set1_ps(bias ? bias[r] : 0.0f));
			if (res)
				o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(st, res + r * ostride + 16 * v));
			o = _mm512_min_ps(_mm512_max_ps(o, vlo), vhi);
			_mm512_mask_storeu_ps(y + r * ostride + 16 * v, st, o);
		}
}

O2C_UNUSED static void o2c_conv2d_avx512(const float *in, const float *wp, const float *bias, const float *res,
                                         float *out, int N, int G, int C, int H, int W, int M, int OH, int OW,
                                         int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL,
                                         float lo, float hi)
{
	if (KW > O2C_CONV_KWMAX) {
		o2c_conv2d_generic(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL,
		                   lo, hi);
		return;
	}
	const int Cg = C / G, Mg = M / G, nb = (Mg + O2C_CONV_MR - 1) / O2C_CONV_MR, TW = 32;
	const int nt = (OW + TW - 1) / TW;
	const size_t bstride = (size_t)Cg * KH * KW * O2C_CONV_MR, ostride = (size_t)OH * OW;
	const long total = (long)N * G * nb * OH * nt;
	O2C_OMP(parallel for schedule(static))
	for (long it = 0; it < total; it++) {
		long q = it;
		const int t = (int)(q % nt); q /= nt;
		const int oy = (int)(q % OH); q /= OH;
		const int b = (int)(q % nb); q /= nb;
		const int g = (int)(q % G);
		const int n = (int)(q / G);
		const int ox0 = t * TW, npix = OW - ox0 < TW ? OW - ox0 : TW;
		const int oc0 = g * Mg + b * O2C_CONV_MR;
		const float *x = in + ((size_t)n * C + (size_t)g * Cg) * H * W;
		const float *wb = wp + ((size_t)g * nb + b) * bstride;
		float *y = out + ((size_t)n * M + oc0) * ostride + (size_t)oy * OW + ox0;
		const float *rs = res ? res + ((size_t)n * M + oc0) * ostride + (size_t)oy * OW + ox0 : NULL;
		const float *bs = bias ? bias + oc0 : NULL;
		const int Mleft = Mg - b * O2C_CONV_MR, iy0 = oy * SH - PT, ix0 = ox0 * SW - PL;
		if (SW == 1) {
			if (npix > 16)
				o2c_conv2d_tile_avx512(x, wb, bs, rs, y, Cg, H, W, Mleft, ostride, KH, KW, SW, DH, DW, iy0,
				                       ix0, npix, lo, hi, 2, 1);
			else
				o2c_conv2d_tile_avx512(x, wb, bs, rs, y, Cg, H, W, Mleft, ostride, KH, KW, SW, DH, DW, iy0,
				                       ix0, npix, lo, hi, 1, 1);
		} else {
			if (npix > 16)
				o2c_conv2d_tile_avx512(x, wb, bs, rs, y, Cg, H, W, Mleft, ostride, KH, KW, SW, DH, DW, iy0,
				                       ix0, npix, lo, hi, 2, 0);
			else
				o2c_conv2d_tile_avx512(x, wb, bs, rs, y, Cg, H, W, Mleft, ostride, KH, KW, SW, DH, DW, iy0,
				                       ix0, npix, lo, hi, 1, 0);
		}
	}
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
/* AVX2: 16 registers, so a tile is MR channels x 8 pixels (8 accumulators). */
O2C_INLINE void o2c_conv2d_tile_avx2(const float *x, const float *wb, const float *bias, const float *res,
                                     float *y, int Cg, int H, int W, int Mleft, size_t ostride, int KH, int KW,
                                     int SW, int DH, int DW, int iy0, int ix0, int npix, float lo, float hi,
                                     const int UNIT)
{
	__m256 acc[O2C_CONV_MR];
	__m256i mk[O2C_CONV_KWMAX];
	const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	const __m256i vidx = _mm256_mullo_epi32(lane, _mm256_set1_epi32(SW));
	for (int kx = 0; kx < KW; kx++) {
		/* lane j is live when its pixel exists and its tap is inside the row */
		const __m256i ix = _mm256_add_epi32(_mm256_set1_epi32(ix0 + kx * DW), vidx);
		const __m256i inrow = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), ix),
		                                          _mm256_cmpgt_epi32(_mm256_set1_epi32(W), ix));
		mk[kx] = _mm256_and_si256(inrow, _mm256_cmpgt_epi32(_mm256_set1_epi32(npix), lane));
	}
	for (int r = 0; r < O2C_CONV_MR; r++)
		acc[r] = _mm256_setzero_ps();
	const float *w = wb;
	for (int ic = 0; ic < Cg; ic++) {
		const float *xc = x + (size_t)ic * H * W;
		for (int ky = 0; ky < KH; ky++) {
			const int iy = iy0 + ky * DH;
			if (iy < 0 || iy >= H) {
				w += KW * O2C_CONV_MR;
				continue;
			}
			const float *row = xc + (size_t)iy * W;
			for (int kx = 0; kx < KW; kx++) {
				const float *src = row + (ix0 + kx * DW);
				const __m256 xv = UNIT ? _mm256_maskload_ps(src, mk[kx])
				                       : _mm256_mask_i32gather_ps(_mm256_setzero_ps(), src, vidx,
				                                                  _mm256_castsi256_ps(mk[kx]), 4);
				for (int r = 0; r < O2C_CONV_MR; r++)
					acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(w + r), xv, acc[r]);
				w += O2C_CONV_MR;
			}
		}
	}
	const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
	const __m256i st = _mm256_cmpgt_epi32(_mm256_set1_epi32(npix), lane);
	for (int r = 0; r < O2C_CONV_MR && r < Mleft; r++) {
		__m256 o = _mm256_add_ps(acc[r], _mm256_set1_ps(bias ? bias[r] : 0.0f));
		if (res)
			o = _mm256_add_ps(o, _mm256_maskload_ps(res + r * ostride, st));
		o = _mm256_min_ps(_mm256_max_ps(o, vlo), vhi);
		_mm256_maskstore_ps(y + r * ostride, st, o);
	}
}

O2C_UNUSED static void o2c_conv2d_avx2(const float *in, const float *wp, const float *bias, const float *res,
                                       float *out, int N, int G, int C, int H, int W, int M, int OH, int OW,
                                       int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL, float lo,
                                       float hi)
{
	if (KW > O2C_CONV_KWMAX) {
		o2c_conv2d_generic(in, wp, bias, res, out, N, G, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL,
		                   lo, hi);
		return;
	}
	const int Cg = C / G, Mg = M / G, nb = (Mg + O2C_CONV_MR - 1) / O2C_CONV_MR, TW = 8;
	const int nt = (OW + TW - 1) / TW;
	const size_t bstride = (size_t)Cg * KH * KW * O2C_CONV_MR, ostride = (size_t)OH * OW;
	const long total = (long)N * G * nb * OH * nt;
	O2C_OMP(parallel for schedule(static))
	for (long it = 0; it < total; it++) {
		long q = it;
		const int t = (int)(q % nt); q /= nt;
		const int oy = (int)(q % OH); q /= OH;
		const int b = (int)(q % nb); q /= nb;
		const int g = (int)(q % G);
		const int n = (int)(q / G);
		const int ox0 = t * TW, npix = OW - ox0 < TW ? OW - ox0 : TW;
		const int oc0 = g * Mg + b * O2C_CONV_MR;
		const float *x = in + ((size_t)n * C + (size_t)g * Cg) * H * W;
		const float *wb = wp + ((size_t)g * nb + b) * bstride;
		float *y = out + ((size_t)n * M + oc0) * ostride + (size_t)oy * OW + ox0;
		const float *rs = res ? res + ((size_t)n * M + oc0) * ostride + (size_t)oy * OW + ox0 : NULL;
		const float *bs = bias ? bias + oc0 : NULL;
		const int Mleft = Mg - b * O2C_CONV_MR, iy0 = oy * SH - PT, ix0 = ox0 * SW - PL;
		if (SW == 1)
			o2c_conv2d_tile_avx2(x, wb, bs, rs, y, Cg, H, W, Mleft, ostride, KH, KW, SW, DH, DW, iy0, ix0,
			                     npix, lo, hi, 1);
		else
			o2c_conv2d_tile_avx2(x, wb, bs, rs, y, Cg, H, W, Mleft, ostride, KH, KW, SW, DH, DW, iy0, ix0,
			                     npix, lo, hi, 0);
	}
}
#endif

#if defined(__AVX512F__)
#define o2c_conv2d o2c_conv2d_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define o2c_conv2d o2c_conv2d_avx2
#else
#define o2c_conv2d o2c_conv2d_generic
#endif

/* Depthwise: channel c reads only input channel c.  w is [C][KH][KW]. */
O2C_UNUSED static void o2c_dwconv2d(const float *in, const float *w, const float *bias, const float *res,
                                    float *out, int N, int C, int H, int W, int OH, int OW, int KH, int KW,
                                    int SH, int SW, int DH, int DW, int PT, int PL, float lo, float hi)
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
