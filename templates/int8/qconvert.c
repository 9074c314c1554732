/*
 * Template: int8/qconvert.c - pasted by onnx2c into models with an int8
 * part: QuantizeLinear and DequantizeLinear where the int8 part begins and
 * ends, and the u8 relayouts between the int8 kernels' NHWC and the graph's
 * NCHW.  Takes no variables: each node calls one of these with literal
 * shapes.
 * Needs:
 * (nothing but common.c, which every generated file starts with)
 *
 * Layout: float tensors as the graph has them, NCHW (plane c of image n at
 * x + (n*C + c)*HW) or flat; u8 tensors NHWC with a pixel stride (pixel p's
 * channel c at y[p*ldy + c], ldy >= C) or flat.
 *
 * QuantizeLinear, per-tensor scale, as ONNX specifies and ORT's MLAS
 * (quantize.cpp, MlasQuantizeLinear) computes it:
 *   y = saturate(nearbyintf(x / scale) + zp)
 * a true division (x * (1/scale) rounds differently for some x), rounded
 * half to even; MLAS clamps x / scale to [0 - zp, 255 - zp] before
 * rounding, which is the same (the bounds are integers), and a NaN there
 * becomes 0 - zp (maxps returns its second operand), so NaN -> 0 here too.
 * s8: a tensor of s8 zero point z is the u8 tensor of zero point z + 128
 * with every byte ^ 0x80 (int8/shared.c).  The int8 kernels take u8
 * internally, so these take zp in the u8 domain and a byte `flip` XORed
 * into every stored u8 (0 for u8, 0x80 to write s8 bytes at a graph edge).
 *
 * DequantizeLinear: y = (float)((x ^ flip) - zp) * scale, one rounding
 * (ORT: static_cast<float>(x - zp) * scale), zp again the u8-domain one.
 *
 * Vectors over contiguous floats and bytes: 16 (AVX-512 BW) or 8 (AVX2)
 * values per step, the tail masked (AVX-512) or scalar (AVX2); the layout
 * changes go through a 64 x 64 byte tile, transposed in plain loops (these
 * run once per inference, at the graph's edges).  All are team functions:
 * call them on every thread of the run.
 */

/* ---- scalar ---------------------------------------------------------- */

/* lo = 0 - zp, hi = 255 - zp as floats */
O2C_UNUSED static inline uint8_t o2c_quantize1(float x, float scale, float lo, float hi, int32_t zp, uint8_t flip)
{
	float f = x / scale;
	f = f > lo ? f : lo; /* NaN -> lo, as MLAS */
	f = f < hi ? f : hi;
	return (uint8_t)(((int32_t)nearbyintf(f) + zp) ^ flip);
}

/* n floats -> n u8 (the generic row, and the AVX2 tail) */
O2C_UNUSED static void o2c_quantize_row_generic(const float *x, uint8_t *y, int n, float scale, int32_t zp,
                                                uint8_t flip)
{
	const float lo = (float)(0 - zp), hi = (float)(255 - zp);
	for (int i = 0; i < n; i++)
		y[i] = o2c_quantize1(x[i], scale, lo, hi, zp, flip);
}

O2C_UNUSED static void o2c_dequantize_row_generic(const uint8_t *x, float *y, int n, float scale, int32_t zp,
                                                  uint8_t flip)
{
	for (int i = 0; i < n; i++)
		y[i] = (float)((int32_t)(uint8_t)(x[i] ^ flip) - zp) * scale;
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
/* ---- AVX-512 (BW): 16 values a step ---------------------------------- */

O2C_UNUSED static void o2c_quantize_row_avx512(const float *x, uint8_t *y, int n, float scale, int32_t zp,
                                               uint8_t flip)
{
	const __m512 vs = _mm512_set1_ps(scale), vlo = _mm512_set1_ps((float)(0 - zp)),
	             vhi = _mm512_set1_ps((float)(255 - zp));
	const __m512i vzp = _mm512_set1_epi32(zp);
	const __m128i vflip = _mm_set1_epi8((char)flip);
	for (int i = 0; i < n; i += 16) {
		const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
		__m512 f = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), vs);
		f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi); /* NaN -> lo: maxps returns its second operand */
		const __m512i v = _mm512_add_epi32(_mm512_cvtps_epi32(f), vzp);
		_mm_mask_storeu_epi8(y + i, m, _mm_xor_si128(_mm512_cvtepi32_epi8(v), vflip));
	}
}

O2C_UNUSED static void o2c_dequantize_row_avx512(const uint8_t *x, float *y, int n, float scale, int32_t zp,
                                                 uint8_t flip)
{
	const __m512 vs = _mm512_set1_ps(scale);
	const __m512i vzp = _mm512_set1_epi32(zp);
	const __m128i vflip = _mm_set1_epi8((char)flip);
	for (int i = 0; i < n; i += 16) {
		const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
		const __m128i b = _mm_xor_si128(_mm_maskz_loadu_epi8(m, x + i), vflip);
		const __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(b), vzp));
		_mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(f, vs));
	}
}
#endif

#if defined(__AVX2__)
/* ---- AVX2: 8 values a step ------------------------------------------- */

O2C_UNUSED static void o2c_quantize_row_avx2(const float *x, uint8_t *y, int n, float scale, int32_t zp, uint8_t flip)
{
	const __m256 vs = _mm256_set1_ps(scale), vlo = _mm256_set1_ps((float)(0 - zp)),
	             vhi = _mm256_set1_ps((float)(255 - zp));
	const __m256i vzp = _mm256_set1_epi32(zp);
	const __m128i vflip = _mm_set1_epi8((char)flip);
	int i = 0;
	for (; i + 8 <= n; i += 8) {
		__m256 f = _mm256_div_ps(_mm256_loadu_ps(x + i), vs);
		f = _mm256_min_ps(_mm256_max_ps(f, vlo), vhi);
		const __m256i v = _mm256_add_epi32(_mm256_cvtps_epi32(f), vzp);
		const __m128i h = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
		_mm_storel_epi64((__m128i *)(y + i), _mm_xor_si128(_mm_packus_epi16(h, h), vflip));
	}
	o2c_quantize_row_generic(x + i, y + i, n - i, scale, zp, flip);
}

O2C_UNUSED static void o2c_dequantize_row_avx2(const uint8_t *x, float *y, int n, float scale, int32_t zp,
                                               uint8_t flip)
{
	const __m256 vs = _mm256_set1_ps(scale);
	const __m256i vzp = _mm256_set1_epi32(zp);
	const __m128i vflip = _mm_set1_epi8((char)flip);
	int i = 0;
	for (; i + 8 <= n; i += 8) {
		const __m128i b = _mm_xor_si128(_mm_loadl_epi64((const __m128i *)(x + i)), vflip);
		const __m256 f = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(b), vzp));
		_mm256_storeu_ps(y + i, _mm256_mul_ps(f, vs));
	}
	o2c_dequantize_row_generic(x + i, y + i, n - i, scale, zp, flip);
}
#endif

/* ---- dispatch -------------------------------------------------------- */

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define O2C_QUANTIZE_ROW o2c_quantize_row_avx512
#define O2C_DEQUANTIZE_ROW o2c_dequantize_row_avx512
#elif defined(__AVX2__)
#define O2C_QUANTIZE_ROW o2c_quantize_row_avx2
#define O2C_DEQUANTIZE_ROW o2c_dequantize_row_avx2
#else
#define O2C_QUANTIZE_ROW o2c_quantize_row_generic
#define O2C_DEQUANTIZE_ROW o2c_dequantize_row_generic
#endif

typedef void (*o2c_quantize_row_fn)(const float *x, uint8_t *y, int n, float scale, int32_t zp, uint8_t flip);
typedef void (*o2c_dequantize_row_fn)(const uint8_t *x, float *y, int n, float scale, int32_t zp, uint8_t flip);

#define O2C_QCV_CHUNK 4096 /* elements per piece of the flat conversions */
#define O2C_QCV_TILE 64    /* pixels and channels per tile of the layout changes */

/* ---- flat ------------------------------------------------------------ */

O2C_UNUSED O2C_DRIVER void o2c_quantize_driver(o2c_quantize_row_fn row, const float *x, uint8_t *y, size_t n,
                                               float scale, int32_t zp, uint8_t flip)
{
	const ptrdiff_t pieces = (ptrdiff_t)((n + O2C_QCV_CHUNK - 1) / O2C_QCV_CHUNK);
	O2C_OMP(for schedule(static) nowait)
	for (ptrdiff_t i = 0; i < pieces; i++) {
		const size_t a = (size_t)i * O2C_QCV_CHUNK, m = n - a < O2C_QCV_CHUNK ? n - a : O2C_QCV_CHUNK;
		row(x + a, y + a, (int)m, scale, zp, flip);
	}
}

O2C_UNUSED O2C_DRIVER void o2c_dequantize_driver(o2c_dequantize_row_fn row, const uint8_t *x, float *y, size_t n,
                                                 float scale, int32_t zp, uint8_t flip)
{
	const ptrdiff_t pieces = (ptrdiff_t)((n + O2C_QCV_CHUNK - 1) / O2C_QCV_CHUNK);
	O2C_OMP(for schedule(static) nowait)
	for (ptrdiff_t i = 0; i < pieces; i++) {
		const size_t a = (size_t)i * O2C_QCV_CHUNK, m = n - a < O2C_QCV_CHUNK ? n - a : O2C_QCV_CHUNK;
		row(x + a, y + a, (int)m, scale, zp, flip);
	}
}

/* n floats, any layout, to as many u8 in the same order */
O2C_UNUSED static void o2c_quantize(const float *x, uint8_t *y, size_t n, float scale, int32_t zp, uint8_t flip)
{
	o2c_quantize_driver(O2C_QUANTIZE_ROW, x, y, n, scale, zp, flip);
}

O2C_UNUSED static void o2c_dequantize(const uint8_t *x, float *y, size_t n, float scale, int32_t zp, uint8_t flip)
{
	o2c_dequantize_driver(O2C_DEQUANTIZE_ROW, x, y, n, scale, zp, flip);
}

/* ---- layout changes -------------------------------------------------- */

/* The (image, pixel tile) pieces of N images of HW pixels. */
O2C_UNUSED static int o2c_qcv_tiles(int HW)
{
	return (HW + O2C_QCV_TILE - 1) / O2C_QCV_TILE;
}

/* float NCHW -> u8 NHWC (pixel stride ldy) */
O2C_UNUSED O2C_DRIVER void o2c_quantize_nchw_nhwc_driver(o2c_quantize_row_fn row, const float *x, uint8_t *y, int N,
                                                         int C, int HW, float scale, int32_t zp, uint8_t flip,
                                                         ptrdiff_t ldy)
{
	const int T = o2c_qcv_tiles(HW);
	O2C_OMP(for schedule(static) nowait)
	for (int nt = 0; nt < N * T; nt++) {
		const int n = nt / T, p0 = nt % T * O2C_QCV_TILE, np = HW - p0 < O2C_QCV_TILE ? HW - p0 : O2C_QCV_TILE;
		uint8_t t[O2C_QCV_TILE][O2C_QCV_TILE];
		for (int c0 = 0; c0 < C; c0 += O2C_QCV_TILE) {
			const int nc = C - c0 < O2C_QCV_TILE ? C - c0 : O2C_QCV_TILE;
			for (int c = 0; c < nc; c++)
				row(x + ((size_t)n * C + c0 + c) * HW + p0, t[c], np, scale, zp, flip);
			for (int p = 0; p < np; p++) {
				uint8_t *d = y + ((size_t)n * HW + p0 + p) * ldy + c0;
				for (int c = 0; c < nc; c++)
					d[c] = t[c][p];
			}
		}
	}
}

/* u8 NHWC (pixel stride ldx) -> float NCHW */
O2C_UNUSED O2C_DRIVER void o2c_dequantize_nhwc_nchw_driver(o2c_dequantize_row_fn row, const uint8_t *x, float *y,
                                                           int N, int C, int HW, float scale, int32_t zp,
                                                           uint8_t flip, ptrdiff_t ldx)
{
	const int T = o2c_qcv_tiles(HW);
	O2C_OMP(for schedule(static) nowait)
	for (int nt = 0; nt < N * T; nt++) {
		const int n = nt / T, p0 = nt % T * O2C_QCV_TILE, np = HW - p0 < O2C_QCV_TILE ? HW - p0 : O2C_QCV_TILE;
		uint8_t t[O2C_QCV_TILE][O2C_QCV_TILE];
		for (int c0 = 0; c0 < C; c0 += O2C_QCV_TILE) {
			const int nc = C - c0 < O2C_QCV_TILE ? C - c0 : O2C_QCV_TILE;
			for (int p = 0; p < np; p++) {
				const uint8_t *s = x + ((size_t)n * HW + p0 + p) * ldx + c0;
				for (int c = 0; c < nc; c++)
					t[c][p] = s[c];
			}
			for (int c = 0; c < nc; c++)
				row(t[c], y + ((size_t)n * C + c0 + c) * HW + p0, np, scale, zp, flip);
		}
	}
}

O2C_UNUSED static void o2c_quantize_nchw_nhwc(const float *x, uint8_t *y, int N, int C, int HW, float scale,
                                              int32_t zp, uint8_t flip, ptrdiff_t ldy)
{
	o2c_quantize_nchw_nhwc_driver(O2C_QUANTIZE_ROW, x, y, N, C, HW, scale, zp, flip, ldy);
}

O2C_UNUSED static void o2c_dequantize_nhwc_nchw(const uint8_t *x, float *y, int N, int C, int HW, float scale,
                                                int32_t zp, uint8_t flip, ptrdiff_t ldx)
{
	o2c_dequantize_nhwc_nchw_driver(O2C_DEQUANTIZE_ROW, x, y, N, C, HW, scale, zp, flip, ldx);
}

/* u8 NHWC (pixel stride ldx) -> u8 NCHW, each byte ^ flip: an int8 output
 * in the graph's layout */
O2C_UNUSED static void o2c_q_nhwc_nchw(const uint8_t *x, uint8_t *y, int N, int C, int HW, uint8_t flip,
                                       ptrdiff_t ldx)
{
	const int T = o2c_qcv_tiles(HW);
	O2C_OMP(for schedule(static) nowait)
	for (int nt = 0; nt < N * T; nt++) {
		const int n = nt / T, p0 = nt % T * O2C_QCV_TILE, np = HW - p0 < O2C_QCV_TILE ? HW - p0 : O2C_QCV_TILE;
		for (int c = 0; c < C; c++) {
			const uint8_t *s = x + ((size_t)n * HW + p0) * ldx + c;
			uint8_t *d = y + ((size_t)n * C + c) * HW + p0;
			for (int p = 0; p < np; p++)
				d[p] = s[p * ldx] ^ flip;
		}
	}
}

/* u8 NCHW -> u8 NHWC (pixel stride ldy), each byte ^ flip: an int8 input
 * (QOperator models take u8 or s8 NCHW tensors) into the kernels' layout */
O2C_UNUSED static void o2c_q_nchw_nhwc(const uint8_t *x, uint8_t *y, int N, int C, int HW, uint8_t flip,
                                       ptrdiff_t ldy)
{
	const int T = o2c_qcv_tiles(HW);
	O2C_OMP(for schedule(static) nowait)
	for (int nt = 0; nt < N * T; nt++) {
		const int n = nt / T, p0 = nt % T * O2C_QCV_TILE, np = HW - p0 < O2C_QCV_TILE ? HW - p0 : O2C_QCV_TILE;
		for (int p = 0; p < np; p++) {
			const uint8_t *s = x + (size_t)n * C * HW + p0 + p;
			uint8_t *d = y + ((size_t)n * HW + p0 + p) * ldy;
			for (int c = 0; c < C; c++)
				d[c] = s[(size_t)c * HW] ^ flip;
		}
	}
}
