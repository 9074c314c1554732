/*
 * Template: int8/qdw.c - pasted by onnx2c into models with an int8 depthwise
 * Conv (group == C == M: one output channel per input channel).  Takes no
 * variables: each such node calls o2c_qdw() with literal shape arguments.
 * Needs: blocking.h int8/shared.c
 *
 * y = requant(bias + sum over the KH x KW taps of x * w), per channel, any
 * kernel size, stride, dilation and padding; the padding reads the input's
 * zero point x_zp (real value 0), as QLinearConv pads.
 *
 * Layout (int8/shared.c): x is u8 NHWC, pixel p's channel c at
 * x[p*ldx + c] (ldx >= C, so x may be a channel slice of a wider tensor);
 * y likewise at y[p*ldy + c], so the output can be a slice of a concat.
 * w is pack_qdw's (compiler/pack): int32 [KH*KW][Cp], Cp = C rounded up to
 * O2C_QDW_CV, holding W[c][t] - w_zp[c].  Packing the weights wide, with
 * their zero point already subtracted, costs 4 bytes a tap per channel (a
 * 3x3 layer of 960 channels: 35 KB) and leaves the kernel no run-time
 * zero-point term at all.  q->bias[c] is then, as for every int8 node,
 *   bias[c] - x_zp * sum_t (W[c][t] - w_zp[c])
 * and q->w_zp is ignored.  q->res (if any) is read at res[p*ldr + c].
 *
 * Arithmetic: exact int32 sums vectorised over channels, one tap at a time.
 * A tap's 16 (AVX-512) or 8 (AVX2) input bytes are widened to int32 lanes
 * (vpmovzxbd: high 16 bits zero) and multiplied with vpmaddwd against the
 * int32 weights: lane = x*w_lo + 0*w_hi = x*w, exact (|w| <= 255), no int16
 * saturation; AVX512-VNNI's vpdpwssd fuses the add.  vpdpbusd (4 products
 * a lane) would need four taps' bytes of a channel adjacent, i.e. shuffles
 * of every pixel's input, and s8 weights, so w_zp back as a run-time term:
 * not tried here; a lane-per-tap form is what ORT's MLAS does too.  The epilogue
 * requantises as o2c_q_requant1 does, bit for bit (clamping at +-65535
 * before rounding equals rounding first: the bounds are integers).
 *
 * Structure: the driver (o2c_qdw_driver) shares the output rows out
 * (OpenMP, as conv/dw.c).  In a row, the pixels whose window lies inside the
 * image go to the microkernel (o2c_qdw_ukernel_<isa>) as one run, the taps'
 * byte offsets computed once; each border pixel goes alone, its taps split
 * into those inside the image and those in the padding.  The microkernel
 * does all C channels of a pixel, 64 at a time (32 with AVX2), then the
 * last ones (AVX-512: up to 4 masked vectors in one pass; AVX2: 8 at a time,
 * then scalar).  o2c_qdw_generic is the plain-loop reference and the
 * fallback (more than O2C_QDW_TAPS taps, or no SIMD).
 */

/* ---- reference ------------------------------------------------------- */

O2C_UNUSED static void o2c_qdw_generic(const uint8_t *x, const int32_t *w, const O2cQuant *q, uint8_t *y, int N,
                                       int C, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                                       int DW, int PT, int PL, int32_t x_zp, ptrdiff_t ldx, ptrdiff_t ldy)
{
	const int Cp = (C + O2C_QDW_CV - 1) / O2C_QDW_CV * O2C_QDW_CV;
	O2C_OMP(for schedule(static) nowait)
	for (int row = 0; row < N * OH; row++) {
		const int n = row / OH, oy = row % OH;
		for (int ox = 0; ox < OW; ox++) {
			const size_t p = (size_t)row * OW + ox;
			for (int c = 0; c < C; c++) {
				int32_t acc = q->bias[c];
				for (int ky = 0; ky < KH; ky++)
					for (int kx = 0; kx < KW; kx++) {
						const int iy = oy * SH + ky * DH - PT, ix = ox * SW + kx * DW - PL;
						const int32_t xv = iy < 0 || iy >= H || ix < 0 || ix >= W
						                       ? x_zp
						                       : x[((size_t)(n * H + iy) * W + ix) * ldx + c];
						acc += xv * w[(ky * KW + kx) * Cp + c];
					}
				y[p * ldy + c] = o2c_q_requant1(q, c, acc, q->res ? q->res[p * q->ldr + c] : 0);
			}
		}
	}
}

/* npix output pixels of one row, the first at y and ldy apart: pixel j's
 * tap i reads x + j*step + off[i] with the weight row ws[i] (the nv taps
 * inside the image), the nz taps in the padding add x_zp * wz[i]; res is the
 * first pixel's residual (NULL: none), ldr apart.  The driver calls it with
 * a run of interior pixels (step SW*ldx) or with one border pixel. */
typedef void (*o2c_qdw_ukernel_fn)(const uint8_t *x, const ptrdiff_t *off, const int32_t *const *ws, int nv,
                                   const int32_t *const *wz, int nz, int32_t x_zp, ptrdiff_t step, int npix, int C,
                                   const O2cQuant *q, const uint8_t *res, ptrdiff_t ldr, uint8_t *y, ptrdiff_t ldy);

/* Channels [c0, C) of one pixel in scalar code: the AVX2 tail. */
O2C_UNUSED static void o2c_qdw_tail(const uint8_t *x, const ptrdiff_t *off, const int32_t *const *ws, int nv,
                                    const int32_t *const *wz, int nz, int32_t x_zp, int c0, int C, const O2cQuant *q,
                                    const uint8_t *res, uint8_t *y)
{
	for (int c = c0; c < C; c++) {
		int32_t acc = q->bias[c];
		for (int i = 0; i < nv; i++)
			acc += x[off[i] + c] * ws[i][c];
		for (int i = 0; i < nz; i++)
			acc += x_zp * wz[i][c];
		y[c] = o2c_q_requant1(q, c, acc, res ? res[c] : 0);
	}
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
/* ---- AVX-512 (BW): 16 channels per vector ---------------------------- */

/* a + x*w per int32 lane; x in [0, 255], |w| <= 255 */
O2C_INLINE __m512i o2c_qdw_mac_avx512(__m512i a, __m512i x, __m512i w)
{
#if defined(__AVX512VNNI__)
	return _mm512_dpwssd_epi32(a, x, w);
#else
	return _mm512_add_epi32(a, _mm512_madd_epi16(x, w));
#endif
}

/* Channels c.. (mask m) of the pixel requantised (int8/shared.c) */
O2C_INLINE __m128i o2c_qdw_out16_avx512(const O2cQuant *q, const O2cQv16 *cv, int c, __m512i acc,
                                        const uint8_t *res, __mmask16 m)
{
	return o2c_q_requant16_avx512(acc, _mm512_maskz_loadu_ps(m, q->mult + c), cv, res != NULL,
	                              res ? _mm_maskz_loadu_epi8(m, res + c) : _mm_setzero_si128());
}

/* The masks of up to four 16-channel vectors over the rem (>= 1) channels
 * left; returns how many of them hold a channel. */
O2C_INLINE int o2c_qdw_masks_avx512(int rem, __mmask16 m[4])
{
	O2C_UNROLL
	for (int j = 0; j < 4; j++) {
		const int r = rem - 16 * j;
		m[j] = r >= 16 ? (__mmask16)0xffff : r > 0 ? (__mmask16)((1u << r) - 1) : 0;
	}
	return rem >= 64 ? 4 : (rem + 15) / 16;
}

/* Four pixels of a run (step apart, no tap in the padding) x channels
 * [c0, c0 + 16*nb) under masks m: each tap's weight vectors are loaded once
 * for the four, and the 16 sums are independent chains, where one pixel
 * alone waits on each vpdpwssd's latency tap after tap. */
O2C_INLINE void o2c_qdw_px4_avx512(const uint8_t *x, const ptrdiff_t *off, const int32_t *const *ws, int nv,
                                   ptrdiff_t step, int c0, int nb, const __mmask16 *m, const O2cQuant *q,
                                   const O2cQv16 *cv, const uint8_t *res, ptrdiff_t ldr, uint8_t *y, ptrdiff_t ldy)
{
	__m512i a[4][4];
	O2C_UNROLL
	for (int j = 0; j < 4; j++) {
		const __m512i b = j < nb ? _mm512_maskz_loadu_epi32(m[j], q->bias + c0 + 16 * j) : _mm512_setzero_si512();
		O2C_UNROLL
		for (int p = 0; p < 4; p++)
			a[p][j] = b;
	}
	for (int i = 0; i < nv; i++) {
		const uint8_t *xi = x + off[i] + c0;
		const int32_t *wp = ws[i] + c0;
		O2C_UNROLL
		for (int j = 0; j < 4; j++) {
			if (j >= nb)
				break;
			const __m512i w = _mm512_loadu_si512(wp + 16 * j); /* padded to Cp: whole vectors load */
			O2C_UNROLL
			for (int p = 0; p < 4; p++)
				a[p][j] = o2c_qdw_mac_avx512(
				    a[p][j], _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m[j], xi + p * step + 16 * j)), w);
		}
	}
	O2C_UNROLL
	for (int p = 0; p < 4; p++)
		O2C_UNROLL
		for (int j = 0; j < 4; j++)
			if (j < nb)
				_mm_mask_storeu_epi8(y + p * ldy + c0 + 16 * j, m[j],
				                     o2c_qdw_out16_avx512(q, cv, c0 + 16 * j, a[p][j], res ? res + p * ldr : NULL,
				                                          m[j]));
}

O2C_UNUSED static void o2c_qdw_ukernel_avx512(const uint8_t *x, const ptrdiff_t *off, const int32_t *const *ws,
                                              int nv, const int32_t *const *wz, int nz, int32_t x_zp, ptrdiff_t step,
                                              int npix, int C, const O2cQuant *q, const uint8_t *res, ptrdiff_t ldr,
                                              uint8_t *y, ptrdiff_t ldy)
{
	const __m512i vz = _mm512_set1_epi32(x_zp);
	const O2cQv16 cv = o2c_q_consts16(q);
	int px = 0;
	for (; nz == 0 && px + 4 <= npix; px += 4, x += 4 * step, y += 4 * ldy, res = res ? res + 4 * ldr : NULL)
		for (int c0 = 0; c0 < C; c0 += 64) {
			__mmask16 m[4];
			const int nb = o2c_qdw_masks_avx512(C - c0, m);
			o2c_qdw_px4_avx512(x, off, ws, nv, step, c0, nb, m, q, &cv, res, ldr, y, ldy);
		}
	for (; px < npix; px++, x += step, y += ldy, res = res ? res + ldr : NULL) {
		int c0 = 0;
		for (; c0 + 64 <= C; c0 += 64) {
			__m512i a[4];
			O2C_UNROLL
			for (int j = 0; j < 4; j++)
				a[j] = _mm512_loadu_si512(q->bias + c0 + 16 * j);
			for (int i = 0; i < nv; i++) {
				const uint8_t *p = x + off[i] + c0;
				const int32_t *wp = ws[i] + c0;
				O2C_UNROLL
				for (int j = 0; j < 4; j++)
					a[j] = o2c_qdw_mac_avx512(
					    a[j], _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(p + 16 * j))),
					    _mm512_loadu_si512(wp + 16 * j));
			}
			for (int i = 0; i < nz; i++)
				O2C_UNROLL
				for (int j = 0; j < 4; j++)
					a[j] = o2c_qdw_mac_avx512(a[j], vz, _mm512_loadu_si512(wz[i] + c0 + 16 * j));
			O2C_UNROLL
			for (int j = 0; j < 4; j++)
				_mm_storeu_si128((__m128i *)(y + c0 + 16 * j),
				                 o2c_qdw_out16_avx512(q, &cv, c0 + 16 * j, a[j], res, 0xffff));
		}
		if (c0 == C)
			continue;
		/* the last 1..63 channels: up to 4 vectors under masks, one pass over
		 * the taps (the weights are padded to Cp, so they load whole) */
		__mmask16 m[4];
		__m512i a[4];
		const int nb = o2c_qdw_masks_avx512(C - c0, m);
		O2C_UNROLL
		for (int j = 0; j < 4; j++)
			a[j] = _mm512_maskz_loadu_epi32(m[j], q->bias + c0 + 16 * j);
		for (int i = 0; i < nv; i++) {
			const uint8_t *p = x + off[i] + c0;
			const int32_t *wp = ws[i] + c0;
			O2C_UNROLL
			for (int j = 0; j < 4; j++)
				if (j < nb)
					a[j] = o2c_qdw_mac_avx512(a[j], _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m[j], p + 16 * j)),
					                          _mm512_loadu_si512(wp + 16 * j));
		}
		for (int i = 0; i < nz; i++)
			O2C_UNROLL
			for (int j = 0; j < 4; j++)
				if (j < nb)
					a[j] = o2c_qdw_mac_avx512(a[j], vz, _mm512_loadu_si512(wz[i] + c0 + 16 * j));
		O2C_UNROLL
		for (int j = 0; j < 4; j++)
			if (j < nb)
				_mm_mask_storeu_epi8(y + c0 + 16 * j, m[j],
				                     o2c_qdw_out16_avx512(q, &cv, c0 + 16 * j, a[j], res, m[j]));
	}
}
#endif

#if defined(__AVX2__)
/* ---- AVX2: 8 channels per vector ------------------------------------- */

/* 8 bytes into the int32 lanes */
O2C_INLINE __m256i o2c_qdw_load8_avx2(const uint8_t *p)
{
	return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
}

O2C_INLINE __m128i o2c_qdw_out8_avx2(const O2cQuant *q, const O2cQv8 *cv, int c, __m256i acc, const uint8_t *res)
{
	return o2c_q_requant8_avx2(acc, _mm256_loadu_ps(q->mult + c), cv, res != NULL,
	                           res ? _mm_loadl_epi64((const __m128i *)(res + c)) : _mm_setzero_si128());
}

O2C_UNUSED static void o2c_qdw_ukernel_avx2(const uint8_t *x, const ptrdiff_t *off, const int32_t *const *ws, int nv,
                                            const int32_t *const *wz, int nz, int32_t x_zp, ptrdiff_t step, int npix,
                                            int C, const O2cQuant *q, const uint8_t *res, ptrdiff_t ldr, uint8_t *y,
                                            ptrdiff_t ldy)
{
	const __m256i vz = _mm256_set1_epi32(x_zp);
	const O2cQv8 cv = o2c_q_consts8(q);
	for (int px = 0; px < npix; px++, x += step, y += ldy, res = res ? res + ldr : NULL) {
		int c0 = 0;
		for (; c0 + 32 <= C; c0 += 32) {
			__m256i a[4];
			O2C_UNROLL
			for (int j = 0; j < 4; j++)
				a[j] = _mm256_loadu_si256((const __m256i *)(q->bias + c0 + 8 * j));
			for (int i = 0; i < nv; i++) {
				const uint8_t *p = x + off[i] + c0;
				const int32_t *wp = ws[i] + c0;
				O2C_UNROLL
				for (int j = 0; j < 4; j++)
					a[j] = _mm256_add_epi32(a[j], _mm256_madd_epi16(o2c_qdw_load8_avx2(p + 8 * j),
					                                                _mm256_loadu_si256((const __m256i *)(wp + 8 * j))));
			}
			for (int i = 0; i < nz; i++)
				O2C_UNROLL
				for (int j = 0; j < 4; j++)
					a[j] = _mm256_add_epi32(
					    a[j], _mm256_madd_epi16(vz, _mm256_loadu_si256((const __m256i *)(wz[i] + c0 + 8 * j))));
			O2C_UNROLL
			for (int j = 0; j < 4; j++)
				_mm_storel_epi64((__m128i *)(y + c0 + 8 * j), o2c_qdw_out8_avx2(q, &cv, c0 + 8 * j, a[j], res));
		}
		for (; c0 + 8 <= C; c0 += 8) {
			__m256i a = _mm256_loadu_si256((const __m256i *)(q->bias + c0));
			for (int i = 0; i < nv; i++)
				a = _mm256_add_epi32(a, _mm256_madd_epi16(o2c_qdw_load8_avx2(x + off[i] + c0),
				                                          _mm256_loadu_si256((const __m256i *)(ws[i] + c0))));
			for (int i = 0; i < nz; i++)
				a = _mm256_add_epi32(a,
				                     _mm256_madd_epi16(vz, _mm256_loadu_si256((const __m256i *)(wz[i] + c0))));
			_mm_storel_epi64((__m128i *)(y + c0), o2c_qdw_out8_avx2(q, &cv, c0, a, res));
		}
		/* the last C % 8 channels: 8-byte loads would read past the tensor */
		o2c_qdw_tail(x, off, ws, nv, wz, nz, x_zp, c0, C, q, res, y);
	}
}
#endif

/* ---- driver ---------------------------------------------------------- */

/* Output rows shared out statically.  In a row, the pixels whose window is
 * all inside the image go to the microkernel as one run with the taps'
 * offsets computed once; each border pixel goes alone with its taps split
 * into those inside the image and those in the padding (at most
 * O2C_QDW_TAPS taps). */
O2C_UNUSED O2C_DRIVER void o2c_qdw_driver(o2c_qdw_ukernel_fn ukernel, const uint8_t *x, const int32_t *w,
                                          const O2cQuant *q, uint8_t *y, int N, int C, int H, int W, int OH, int OW,
                                          int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL, int32_t x_zp,
                                          ptrdiff_t ldx, ptrdiff_t ldy)
{
	const int Cp = (C + O2C_QDW_CV - 1) / O2C_QDW_CV * O2C_QDW_CV, KK = KH * KW;
	/* the interior columns [lo, hi): every tap's ix inside [0, W) */
	const int lo = (PL + SW - 1) / SW, top = W - 1 + PL - (KW - 1) * DW;
	const int hi = top < 0 ? 0 : top / SW + 1 < OW ? top / SW + 1 : OW;
	const int32_t *wall[O2C_QDW_TAPS];
	for (int t = 0; t < KK; t++)
		wall[t] = w + (size_t)t * Cp;
	O2C_OMP(for schedule(static) nowait)
	for (int row = 0; row < N * OH; row++) {
		const int n = row / OH, oy = row % OH, iy0 = oy * SH - PT;
		const uint8_t *xn = x + (size_t)n * H * W * ldx;
		const uint8_t *res = q->res ? q->res + (size_t)row * OW * q->ldr : NULL;
		uint8_t *yr = y + (size_t)row * OW * ldy;
		const int rows_in = iy0 >= 0 && iy0 + (KH - 1) * DH < H;
		ptrdiff_t off[O2C_QDW_TAPS];
		const int32_t *ws[O2C_QDW_TAPS], *wz[O2C_QDW_TAPS];
		for (int ox = 0; ox < OW; ox++) {
			const size_t p = (size_t)ox;
			if (rows_in && ox == lo && lo < hi) {
				for (int ky = 0; ky < KH; ky++)
					for (int kx = 0; kx < KW; kx++)
						off[ky * KW + kx] =
						    ((ptrdiff_t)(iy0 + ky * DH) * W + lo * SW - PL + kx * DW) * ldx;
				ukernel(xn, off, wall, KK, NULL, 0, x_zp, (ptrdiff_t)SW * ldx, hi - lo, C, q,
				        res ? res + p * q->ldr : NULL, q->ldr, yr + p * ldy, ldy);
				ox = hi - 1;
				continue;
			}
			int nv = 0, nz = 0;
			for (int ky = 0; ky < KH; ky++) {
				const int iy = iy0 + ky * DH;
				for (int kx = 0; kx < KW; kx++) {
					const int ix = ox * SW + kx * DW - PL;
					if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
						wz[nz++] = wall[ky * KW + kx];
					} else {
						off[nv] = ((ptrdiff_t)iy * W + ix) * ldx;
						ws[nv++] = wall[ky * KW + kx];
					}
				}
			}
			ukernel(xn, off, ws, nv, wz, nz, x_zp, 0, 1, C, q, res ? res + p * q->ldr : NULL, q->ldr,
			        yr + p * ldy, ldy);
		}
	}
}

/* ---- dispatch -------------------------------------------------------- */

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define O2C_QDW_UKERNEL o2c_qdw_ukernel_avx512
#elif defined(__AVX2__)
#define O2C_QDW_UKERNEL o2c_qdw_ukernel_avx2
#endif

/* Depthwise conv, NHWC u8 -> NHWC u8 (see the header for the arguments'
 * layout).  A team function: call it on every thread of the run. */
O2C_UNUSED static void o2c_qdw(const uint8_t *x, const int32_t *w, const O2cQuant *q, uint8_t *y, int N, int C,
                               int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW, int PT,
                               int PL, int32_t x_zp, ptrdiff_t ldx, ptrdiff_t ldy)
{
#if defined(O2C_QDW_UKERNEL)
	if (KH * KW <= O2C_QDW_TAPS) {
		o2c_qdw_driver(O2C_QDW_UKERNEL, x, w, q, y, N, C, H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, x_zp, ldx,
		               ldy);
		return;
	}
#endif
	o2c_qdw_generic(x, w, q, y, N, C, H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, x_zp, ldx, ldy);
}
