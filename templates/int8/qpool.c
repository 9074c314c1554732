/*
 * Template: int8/qpool.c - pasted by onnx2c into models with an int8
 * MaxPool, AveragePool (QLinearAveragePool) or GlobalAveragePool
 * (QLinearGlobalAveragePool).  Takes no variables: each node calls one of
 * these with literal shapes.
 * Needs:
 * (nothing but common.c, which every generated file starts with)
 *
 * Layout (int8/shared.c): u8 NHWC, pixel p's channel c at x[p*ldx + c] and
 * y[p*ldy + c] (strides >= C: slices of wider tensors, e.g. a concat's).
 * Vectors run over channels; each output pixel visits only the taps inside
 * the image (their ky and kx ranges computed first).
 *
 * - o2c_qmaxpool: max over the window's taps inside the image (pads never
 *   win, as ONNX's MaxPool), any kernel, stride, dilation, padding.  The
 *   max commutes with the monotone quantization, so it needs no scales.
 * - o2c_qavgpool: as ONNX Runtime's QLinearAveragePool (com.microsoft,
 *   contrib_ops/cpu/quantization/qlinear_pool.cc), in its float arithmetic:
 *   each input dequantized, v = x_scale * (float)(x - x_zp); summed in
 *   float in row-major window order over the taps inside the image; divided
 *   by the count in float (count_include_pad: KH*KW, else the taps inside);
 *   then y = clamp(nearbyintf(sum / y_scale + y_zp), 0, 255), division and
 *   all.  When the window is the whole image with no padding, ORT computes
 *   it as its global average pool instead, and so does this (below).
 *   Every variant adds the same floats in the same order, so all are bit
 *   identical; the SIMD products go through o2c_qpool_keep(), so that no
 *   compiler contracts the product and the sum into an FMA
 *   (-ffp-contract=fast is gcc's default outside ISO C modes), which would
 *   round differently from ORT and from the generic code's table.
 * - o2c_qgavgpool: as ORT's QLinearGlobalAveragePool (MLAS qlgavgpool.cpp):
 *   exact int32 sums per channel, acc = sum - x_zp*HW, scale = x_scale /
 *   (y_scale * (float)HW) in float, y = clamp(nearbyintf(acc * scale) +
 *   y_zp, 0, 255).  MLAS refuses HW >= 2^24 and scales outside
 *   [2^-32, 256); the compiler checks those, the kernel just computes.
 * - o2c_qgavgpool_f32: the same sums into float, for a float head after an
 *   int8 trunk: y = (float)(sum - x_zp*HW) * x_scale / (float)HW (the sum
 *   is exact, then two roundings), y [N][C].
 * All are team functions: call them on every thread of the run (the output
 * rows, or the images' channel blocks, are shared out with OpenMP).
 */

/* The valid taps of one output coordinate: k in [*k0, *k1) lands inside
 * [0, n) at i0 + k*d. */
O2C_UNUSED static void o2c_qpool_range(int i0, int d, int k, int n, int *k0, int *k1)
{
	int a = i0 < 0 ? (-i0 + d - 1) / d : 0, b = n - 1 - i0 < 0 ? 0 : (n - 1 - i0) / d + 1;
	*k0 = a;
	*k1 = b < k ? b : k;
	if (*k1 < *k0)
		*k1 = *k0;
}

/* One output pixel: the window's first tap inside the image at x, nky x nkx
 * taps rs and cs bytes apart; avg pools also take the count and scales. */
typedef struct O2cQPoolArgs {
	const float *lut; /* generic avg: x_scale * (float)(i - x_zp) for i = 0..255 */
	float x_scale, y_scale, y_zpf;
	int32_t x_zp;
} O2cQPoolArgs;

typedef void (*o2c_qpool_ukernel_fn)(const uint8_t *x, int nky, int nkx, ptrdiff_t rs, ptrdiff_t cs, int C,
                                     int count, const O2cQPoolArgs *a, uint8_t *y);

/* sum / count requantised as ORT's quantize_value: NaN (an empty window
 * without padding) goes to 0, as the SIMD max/min do */
O2C_UNUSED static inline uint8_t o2c_qavg_out1(float s, float count, const O2cQPoolArgs *a)
{
	float f = s / count / a->y_scale + a->y_zpf;
	f = f > 0.0f ? f : 0.0f;
	f = f < 255.0f ? f : 255.0f;
	return (uint8_t)(int32_t)nearbyintf(f);
}

/* ---- reference ------------------------------------------------------- */

O2C_UNUSED static void o2c_qmaxpool_ukernel_generic(const uint8_t *x, int nky, int nkx, ptrdiff_t rs, ptrdiff_t cs,
                                                    int C, int count, const O2cQPoolArgs *a, uint8_t *y)
{
	(void)count, (void)a;
	for (int c = 0; c < C; c++) {
		uint8_t m = 0;
		for (int i = 0; i < nky; i++)
			for (int j = 0; j < nkx; j++) {
				const uint8_t v = x[i * rs + j * cs + c];
				m = v > m ? v : m;
			}
		y[c] = m;
	}
}

/* channels [c0, C): the generic code, and the AVX2 tail */
O2C_UNUSED static void o2c_qavgpool_tail(const uint8_t *x, int nky, int nkx, ptrdiff_t rs, ptrdiff_t cs, int c0,
                                         int C, int count, const O2cQPoolArgs *a, uint8_t *y)
{
	for (int c = c0; c < C; c++) {
		float s = 0.0f;
		for (int i = 0; i < nky; i++)
			for (int j = 0; j < nkx; j++)
				s += a->lut[x[i * rs + j * cs + c]];
		y[c] = o2c_qavg_out1(s, (float)count, a);
	}
}

O2C_UNUSED static void o2c_qavgpool_ukernel_generic(const uint8_t *x, int nky, int nkx, ptrdiff_t rs, ptrdiff_t cs,
                                                    int C, int count, const O2cQPoolArgs *a, uint8_t *y)
{
	o2c_qavgpool_tail(x, nky, nkx, rs, cs, 0, C, count, a, y);
}

/* Channel sums of one image's HW pixels, channels [c0, c0 + nc), nc <= 64. */
O2C_UNUSED static void o2c_qgap_sums_generic(const uint8_t *x, int HW, ptrdiff_t ldx, int c0, int nc, int32_t *s)
{
	for (int c = 0; c < nc; c++)
		s[c] = 0;
	for (int i = 0; i < HW; i++)
		for (int c = 0; c < nc; c++)
			s[c] += x[i * ldx + c0 + c];
}

#if defined(__GNUC__) || defined(__clang__)
#define o2c_qpool_keep(v) __asm__("" : "+v"(v)) /* v is opaque: a product stays a rounded product */
#else
#define o2c_qpool_keep(v) ((void)0)
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
/* ---- AVX-512 (BW) ---------------------------------------------------- */

O2C_UNUSED static void o2c_qmaxpool_ukernel_avx512(const uint8_t *x, int nky, int nkx, ptrdiff_t rs, ptrdiff_t cs,
                                                   int C, int count, const O2cQPoolArgs *a, uint8_t *y)
{
	(void)count, (void)a;
	for (int c0 = 0; c0 < C; c0 += 64) {
		const __mmask64 m = C - c0 >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << (C - c0)) - 1;
		__m512i v = _mm512_setzero_si512();
		for (int i = 0; i < nky; i++)
			for (int j = 0; j < nkx; j++)
				v = _mm512_max_epu8(v, _mm512_maskz_loadu_epi8(m, x + i * rs + j * cs + c0));
		_mm512_mask_storeu_epi8(y + c0, m, v);
	}
}

O2C_UNUSED static void o2c_qavgpool_ukernel_avx512(const uint8_t *x, int nky, int nkx, ptrdiff_t rs, ptrdiff_t cs,
                                                   int C, int count, const O2cQPoolArgs *a, uint8_t *y)
{
	const __m512i vzp = _mm512_set1_epi32(a->x_zp);
	const __m512 vs = _mm512_set1_ps(a->x_scale), vcount = _mm512_set1_ps((float)count);
	const __m512 vys = _mm512_set1_ps(a->y_scale), vyzp = _mm512_set1_ps(a->y_zpf);
	const __m512 v0 = _mm512_setzero_ps(), v255 = _mm512_set1_ps(255.0f);
	for (int c0 = 0; c0 < C; c0 += 16) {
		const __mmask16 m = C - c0 >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (C - c0)) - 1);
		__m512 s = _mm512_setzero_ps();
		for (int i = 0; i < nky; i++)
			for (int j = 0; j < nkx; j++) {
				const __m128i b = _mm_maskz_loadu_epi8(m, x + i * rs + j * cs + c0);
				__m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(b), vzp)), vs);
				o2c_qpool_keep(v);
				s = _mm512_add_ps(s, v);
			}
		__m512 f = _mm512_add_ps(_mm512_div_ps(_mm512_div_ps(s, vcount), vys), vyzp);
		f = _mm512_min_ps(_mm512_max_ps(f, v0), v255); /* NaN -> 0: maxps returns its second operand */
		_mm_mask_storeu_epi8(y + c0, m, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(f)));
	}
}

O2C_UNUSED static void o2c_qgap_sums_avx512(const uint8_t *x, int HW, ptrdiff_t ldx, int c0, int nc, int32_t *s)
{
	const __mmask64 m = nc >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << nc) - 1;
	__m512i a[4] = { _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512() };
	for (int i = 0; i < HW; i++) {
		const __m512i b = _mm512_maskz_loadu_epi8(m, x + i * ldx + c0);
		a[0] = _mm512_add_epi32(a[0], _mm512_cvtepu8_epi32(_mm512_castsi512_si128(b)));
		a[1] = _mm512_add_epi32(a[1], _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(b, 1)));
		a[2] = _mm512_add_epi32(a[2], _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(b, 2)));
		a[3] = _mm512_add_epi32(a[3], _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(b, 3)));
	}
	int32_t t[64];
	O2C_UNROLL
	for (int j = 0; j < 4; j++)
		_mm512_storeu_si512(t + 16 * j, a[j]);
	memcpy(s, t, (size_t)nc * sizeof *s);
}
#endif

#if defined(__AVX2__)
/* ---- AVX2 ------------------------------------------------------------ */

O2C_UNUSED static void o2c_qmaxpool_ukernel_avx2(const uint8_t *x, int nky, int nkx, ptrdiff_t rs, ptrdiff_t cs,
                                                 int C, int count, const O2cQPoolArgs *a, uint8_t *y)
{
	int c0 = 0;
	for (; c0 + 32 <= C; c0 += 32) {
		__m256i v = _mm256_setzero_si256();
		for (int i = 0; i < nky; i++)
			for (int j = 0; j < nkx; j++)
				v = _mm256_max_epu8(v, _mm256_loadu_si256((const __m256i *)(x + i * rs + j * cs + c0)));
		_mm256_storeu_si256((__m256i *)(y + c0), v);
	}
	for (; c0 + 16 <= C; c0 += 16) {
		__m128i v = _mm_setzero_si128();
		for (int i = 0; i < nky; i++)
			for (int j = 0; j < nkx; j++)
				v = _mm_max_epu8(v, _mm_loadu_si128((const __m128i *)(x + i * rs + j * cs + c0)));
		_mm_storeu_si128((__m128i *)(y + c0), v);
	}
	o2c_qmaxpool_ukernel_generic(x + c0, nky, nkx, rs, cs, C - c0, count, a, y + c0);
}

O2C_UNUSED static void o2c_qavgpool_ukernel_avx2(const uint8_t *x, int nky, int nkx, ptrdiff_t rs, ptrdiff_t cs,
                                                 int C, int count, const O2cQPoolArgs *a, uint8_t *y)
{
	const __m256i vzp = _mm256_set1_epi32(a->x_zp);
	const __m256 vs = _mm256_set1_ps(a->x_scale), vcount = _mm256_set1_ps((float)count);
	const __m256 vys = _mm256_set1_ps(a->y_scale), vyzp = _mm256_set1_ps(a->y_zpf);
	const __m256 v0 = _mm256_setzero_ps(), v255 = _mm256_set1_ps(255.0f);
	int c0 = 0;
	for (; c0 + 8 <= C; c0 += 8) {
		__m256 s = _mm256_setzero_ps();
		for (int i = 0; i < nky; i++)
			for (int j = 0; j < nkx; j++) {
				const __m128i b = _mm_loadl_epi64((const __m128i *)(x + i * rs + j * cs + c0));
				__m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(b), vzp)), vs);
				o2c_qpool_keep(v);
				s = _mm256_add_ps(s, v);
			}
		__m256 f = _mm256_add_ps(_mm256_div_ps(_mm256_div_ps(s, vcount), vys), vyzp);
		f = _mm256_min_ps(_mm256_max_ps(f, v0), v255);
		const __m256i r = _mm256_cvtps_epi32(f);
		const __m128i h = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
		_mm_storel_epi64((__m128i *)(y + c0), _mm_packus_epi16(h, h));
	}
	o2c_qavgpool_tail(x, nky, nkx, rs, cs, c0, C, count, a, y);
}

O2C_UNUSED static void o2c_qgap_sums_avx2(const uint8_t *x, int HW, ptrdiff_t ldx, int c0, int nc, int32_t *s)
{
	int c = 0;
	for (; c + 8 <= nc; c += 8) {
		__m256i a = _mm256_setzero_si256();
		for (int i = 0; i < HW; i++)
			a = _mm256_add_epi32(a, _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(x + i * ldx + c0 + c))));
		_mm256_storeu_si256((__m256i *)(s + c), a);
	}
	if (c < nc)
		o2c_qgap_sums_generic(x, HW, ldx, c0 + c, nc - c, s + c);
}
#endif

/* ---- dispatch -------------------------------------------------------- */

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define O2C_QMAXPOOL_UKERNEL o2c_qmaxpool_ukernel_avx512
#define O2C_QAVGPOOL_UKERNEL o2c_qavgpool_ukernel_avx512
#define O2C_QGAP_SUMS o2c_qgap_sums_avx512
#elif defined(__AVX2__)
#define O2C_QMAXPOOL_UKERNEL o2c_qmaxpool_ukernel_avx2
#define O2C_QAVGPOOL_UKERNEL o2c_qavgpool_ukernel_avx2
#define O2C_QGAP_SUMS o2c_qgap_sums_avx2
#else
#define O2C_QMAXPOOL_UKERNEL o2c_qmaxpool_ukernel_generic
#define O2C_QAVGPOOL_UKERNEL o2c_qavgpool_ukernel_generic
#define O2C_QGAP_SUMS o2c_qgap_sums_generic
#endif

/* ---- drivers --------------------------------------------------------- */

/* Output rows shared out statically; count_pad < 0: max (no count), 0:
 * count the taps inside, 1: KH*KW. */
O2C_UNUSED O2C_DRIVER void o2c_qpool_driver(o2c_qpool_ukernel_fn uk, const uint8_t *x, uint8_t *y, int N, int C,
                                            int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                                            int DW, int PT, int PL, int count_pad, const O2cQPoolArgs *a,
                                            ptrdiff_t ldx, ptrdiff_t ldy)
{
	O2C_OMP(for schedule(static) nowait)
	for (int row = 0; row < N * OH; row++) {
		const int n = row / OH, oy = row % OH, iy0 = oy * SH - PT;
		int ky0, ky1;
		o2c_qpool_range(iy0, DH, KH, H, &ky0, &ky1);
		for (int ox = 0; ox < OW; ox++) {
			const int ix0 = ox * SW - PL;
			int kx0, kx1;
			o2c_qpool_range(ix0, DW, KW, W, &kx0, &kx1);
			const int empty = ky1 == ky0 || kx1 == kx0; /* a window all in the padding */
			const uint8_t *p = empty ? x : x + ((size_t)(n * H + iy0 + ky0 * DH) * W + ix0 + kx0 * DW) * ldx;
			const int count = count_pad ? KH * KW : (ky1 - ky0) * (kx1 - kx0);
			uk(p, ky1 - ky0, kx1 - kx0, (ptrdiff_t)DH * W * ldx, (ptrdiff_t)DW * ldx, C, count, a,
			   y + ((size_t)row * OW + ox) * ldy);
		}
	}
}

O2C_UNUSED static void o2c_qmaxpool(const uint8_t *x, uint8_t *y, int N, int C, int H, int W, int OH, int OW, int KH,
                                    int KW, int SH, int SW, int DH, int DW, int PT, int PL, ptrdiff_t ldx,
                                    ptrdiff_t ldy)
{
	o2c_qpool_driver(O2C_QMAXPOOL_UKERNEL, x, y, N, C, H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, -1, NULL, ldx,
	                 ldy);
}

/* Global pools: blocks of 64 channels of every image shared out; f32 != NULL
 * writes floats (o2c_qgavgpool_f32) instead of y. */
typedef void (*o2c_qgap_sums_fn)(const uint8_t *x, int HW, ptrdiff_t ldx, int c0, int nc, int32_t *s);

O2C_UNUSED O2C_DRIVER void o2c_qgap_driver(o2c_qgap_sums_fn sums, const uint8_t *x, uint8_t *y, float *f32, int N,
                                           int C, int HW, float x_scale, int32_t x_zp, float y_scale, int32_t y_zp,
                                           ptrdiff_t ldx, ptrdiff_t ldy)
{
	const int CB = (C + 63) / 64;
	const int32_t bias = -x_zp * HW;
	const float scale = x_scale / (y_scale * (float)HW), lo = (float)(0 - y_zp), hi = (float)(255 - y_zp);
	O2C_OMP(for schedule(static) nowait)
	for (int nb = 0; nb < N * CB; nb++) {
		const int n = nb / CB, c0 = nb % CB * 64, nc = C - c0 < 64 ? C - c0 : 64;
		int32_t s[64];
		sums(x + (size_t)n * HW * ldx, HW, ldx, c0, nc, s);
		for (int c = 0; c < nc; c++) {
			const int32_t acc = s[c] + bias;
			if (f32) {
				f32[(size_t)n * C + c0 + c] = (float)acc * x_scale / (float)HW;
			} else {
				float f = (float)acc * scale; /* clamped, then rounded, as MLAS */
				f = f > lo ? f : lo;
				f = f < hi ? f : hi;
				y[(size_t)n * ldy + c0 + c] = (uint8_t)((int32_t)nearbyintf(f) + y_zp);
			}
		}
	}
}

/* y[n][c] (at y + n*ldy + c) = the mean of image n's HW pixels, u8 -> u8 */
O2C_UNUSED static void o2c_qgavgpool(const uint8_t *x, uint8_t *y, int N, int C, int HW, float x_scale, int32_t x_zp,
                                     float y_scale, int32_t y_zp, ptrdiff_t ldx, ptrdiff_t ldy)
{
	o2c_qgap_driver(O2C_QGAP_SUMS, x, y, NULL, N, C, HW, x_scale, x_zp, y_scale, y_zp, ldx, ldy);
}

/* y[n][c] (float [N][C], NCHW with 1x1 images) = the dequantized mean */
O2C_UNUSED static void o2c_qgavgpool_f32(const uint8_t *x, float *y, int N, int C, int HW, float x_scale, int32_t x_zp,
                                         ptrdiff_t ldx)
{
	o2c_qgap_driver(O2C_QGAP_SUMS, x, NULL, y, N, C, HW, x_scale, x_zp, 1.0f, 0, ldx, C);
}

/* QLinearAveragePool; PB and PR only tell a whole-image window (ORT's
 * global path) from a padded one. */
O2C_UNUSED static void o2c_qavgpool(const uint8_t *x, uint8_t *y, int N, int C, int H, int W, int OH, int OW, int KH,
                                    int KW, int SH, int SW, int PT, int PL, int PB, int PR, int count_include_pad,
                                    float x_scale, int32_t x_zp, float y_scale, int32_t y_zp, ptrdiff_t ldx,
                                    ptrdiff_t ldy)
{
	if (KH == H && KW == W && !PT && !PL && !PB && !PR) {
		o2c_qgavgpool(x, y, N, C, H * W, x_scale, x_zp, y_scale, y_zp, ldx, ldy);
		return;
	}
	float lut[256];
	for (int i = 0; i < 256; i++)
		lut[i] = x_scale * (float)(i - x_zp);
	const O2cQPoolArgs a = { lut, x_scale, y_scale, (float)y_zp, x_zp };
	o2c_qpool_driver(O2C_QAVGPOOL_UKERNEL, x, y, N, C, H, W, OH, OW, KH, KW, SH, SW, 1, 1, PT, PL,
	                 count_include_pad != 0, &a, ldx, ldy);
}
