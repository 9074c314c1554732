/*
 * Template: int8/shared.c - the int8 kernels' common contract: how a
 * quantized tensor is laid out and how an int32 accumulator becomes a u8
 * output.  Pasted ahead of every int8 family (int8/qgemm.c, int8/qdw.c,
 * int8/qpool.c, int8/qconvert.c).  Takes no variables.
 *
 * Layout.  Quantized activations are u8, NHWC (channels innermost), as in
 * ONNX Runtime's int8 path: a 1x1 conv is then a GEMM over pixels with no
 * repacking, a depthwise conv and a pool vectorise over channels, and the
 * four u8 of consecutive channels that vpdpbusd multiplies are adjacent.
 * An s8 activation tensor (zero point z) is the u8 tensor x ^ 0x80 with
 * zero point z + 128: same real values, same rounding, so the kernels take
 * u8 only and the compiler flips the sign bit at the graph's edges.
 * Weights are s8, symmetric or not, per tensor or per output channel.
 *
 * Requantisation, as ONNX QuantizeLinear and ORT's MLAS do it: in float,
 *   y = saturate(nearbyint(acc * mult[n]) + zp)   (round half to even)
 * with mult[n] = x_scale * w_scale[n] / y_scale computed in float by the
 * compiler, then clamped to [lo, hi]: lo = zp for a fused Relu, a fused
 * Clip's bounds quantized the same way, else [0, 255].
 *
 * A fused residual (DQ -> Conv -> Q -> DQ -> Add -> Q, ORT's QLinearAdd)
 * rounds twice, as ORT does, so the conv's own output is bit-identical to
 * an unfused run: c = clamp(nearbyint(acc * mult[n]) + zp, lo, hi), then
 * the add as ORT's AVX2 QLinearAdd computes it (MLAS qladd_avx2.cpp), on
 * the add's inputs A and B as raw u8 values: two fused multiply-adds,
 *   t = fma(A, A_scale/y_scale, fma(B, B_scale/y_scale, add_fixed))
 *   add_fixed = y_zp - (A_scale/y_scale * A_zp + B_scale/y_scale * B_zp)
 * (the zero points folded in once, in float), y = nearbyint(t) clamped to
 * [add_lo, add_hi].  add_a is the conv output's ratio, add_b the
 * residual's; add_res_b says the residual is the add's input B (its
 * product goes first).  Rounding (c - zp) * add_a + (r - r_zp) * add_b
 * instead differed from ORT on 14 of 802816 elements of a ResNeXt block.
 */

/* Per-node requantisation parameters; the compiler emits one static const
 * of these per int8 node.  bias[n] already holds bias - x_zp * colsum(W)[n]
 * (+ K * x_zp * w_zp), so kernels with a zero weight zero point need no
 * run-time correction; w_zp != 0 also needs row sums of the input, see
 * row_corr. */
typedef struct O2cQuant {
	const int32_t *bias; /* [N]: int32 bias with the zero-point terms folded in */
	const float *mult;   /* [N]: x_scale * w_scale[n] / y_scale */
	int32_t zp;          /* output zero point (0..255) */
	int32_t lo, hi;      /* clamp of the output, in u8 */
	const int32_t *w_zp; /* [N] weight zero points, NULL when all are 0 */
	/* fused residual (NULL res: none) */
	const uint8_t *res;
	ptrdiff_t ldr;       /* row stride of res, in elements */
	float add_a, add_b, add_fixed;
	int32_t add_res_b, add_lo, add_hi;
} O2cQuant;

/* The fused add's sum before rounding, as ORT's QLinearAdd: c the conv's
 * u8 output, r the residual's, as floats (header). */
O2C_UNUSED static inline float o2c_q_add1(const O2cQuant *q, float c, float r)
{
	return q->add_res_b ? fmaf(c, q->add_a, fmaf(r, q->add_b, q->add_fixed))
	                    : fmaf(r, q->add_b, fmaf(c, q->add_a, q->add_fixed));
}

O2C_UNUSED static inline int32_t o2c_q_clamp(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The scalar requantisation every SIMD variant must equal bit for bit.
 * nearbyintf rounds half to even under the default rounding mode, as
 * _mm512_cvtps_epi32 and _mm256_cvtps_epi32 do.  acc is the full sum with
 * q->bias[n] already added; res_v is the residual's u8 (ignored without one). */
O2C_UNUSED static inline uint8_t o2c_q_requant1(const O2cQuant *q, ptrdiff_t n, int32_t acc, int32_t res_v)
{
	float f = nearbyintf((float)acc * q->mult[n]);
	/* f is within int32 range for any acc < 2^31 and mult < 1; clamp first anyway */
	if (f > 65535.0f)
		f = 65535.0f;
	if (f < -65535.0f)
		f = -65535.0f;
	int32_t c = o2c_q_clamp((int32_t)f + q->zp, q->lo, q->hi);
	if (!q->res)
		return (uint8_t)c;
	float g = nearbyintf(o2c_q_add1(q, (float)c, (float)res_v));
	if (g > 65535.0f)
		g = 65535.0f;
	if (g < -65535.0f)
		g = -65535.0f;
	return (uint8_t)o2c_q_clamp((int32_t)g, q->add_lo, q->add_hi);
}

/*
 * SIMD requantisation, bit-identical to o2c_q_requant1 lane by lane: the
 * int32 -> float conversion and the product round alike, _mm*_cvtps_epi32
 * rounds half to even as nearbyintf does (default MXCSR), and the float
 * clamp to +-65535 before it equals the scalar clamp after rounding
 * (65535 is an integer).  The residual stage is the scalar's two fused
 * multiply-adds in its order (vfmadd; without FMA in the build, AVX2 takes
 * them lane by lane through fmaf).  lo, hi, add_lo and add_hi must lie in 0..255,
 * as O2cQuant says, for the narrowing to u8 to equal the scalar cast.
 * O2cQv* holds the node's scalars broadcast once per tile.
 */
#if defined(__AVX512F__) && defined(__AVX512BW__)
typedef struct O2cQv16 {
	__m512i zp, lo, hi, add_lo, add_hi;
	__m512 add_a, add_b, add_fixed, big, nbig;
	int res_b;
} O2cQv16;

O2C_UNUSED O2C_INLINE O2cQv16 o2c_q_consts16(const O2cQuant *q)
{
	O2cQv16 c;
	c.zp = _mm512_set1_epi32(q->zp), c.lo = _mm512_set1_epi32(q->lo), c.hi = _mm512_set1_epi32(q->hi);
	c.add_lo = _mm512_set1_epi32(q->add_lo), c.add_hi = _mm512_set1_epi32(q->add_hi);
	c.add_a = _mm512_set1_ps(q->add_a), c.add_b = _mm512_set1_ps(q->add_b), c.add_fixed = _mm512_set1_ps(q->add_fixed);
	c.res_b = q->add_res_b;
	c.big = _mm512_set1_ps(65535.0f), c.nbig = _mm512_set1_ps(-65535.0f);
	return c;
}

/* 16 columns: acc (bias and corrections added) times mult -> 16 u8; res
 * holds the residual's 16 u8 when has_res. */
O2C_UNUSED O2C_INLINE __m128i o2c_q_requant16_avx512(__m512i acc, __m512 mult, const O2cQv16 *c, int has_res,
                                                     __m128i res)
{
	__m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), mult);
	f = _mm512_max_ps(_mm512_min_ps(f, c->big), c->nbig);
	__m512i v = _mm512_add_epi32(_mm512_cvtps_epi32(f), c->zp);
	v = _mm512_min_epi32(_mm512_max_epi32(v, c->lo), c->hi);
	if (has_res) {
		const __m512 cf = _mm512_cvtepi32_ps(v), rf = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(res));
		__m512 g = c->res_b ? _mm512_fmadd_ps(cf, c->add_a, _mm512_fmadd_ps(rf, c->add_b, c->add_fixed))
		                    : _mm512_fmadd_ps(rf, c->add_b, _mm512_fmadd_ps(cf, c->add_a, c->add_fixed));
		g = _mm512_max_ps(_mm512_min_ps(g, c->big), c->nbig);
		v = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(g), c->add_lo), c->add_hi);
	}
	return _mm512_cvtepi32_epi8(v); /* truncation, as the scalar (uint8_t) cast */
}
#endif

#if defined(__AVX2__)
typedef struct O2cQv8 {
	__m256i zp, lo, hi, add_lo, add_hi;
	__m256 add_a, add_b, add_fixed, big, nbig;
	int res_b;
} O2cQv8;

/* a * b + c rounded once (vfmadd, or lane by lane through fmaf without FMA) */
O2C_UNUSED O2C_INLINE __m256 o2c_q_fma8(__m256 a, __m256 b, __m256 c)
{
#if defined(__FMA__)
	return _mm256_fmadd_ps(a, b, c);
#else
	float x[8], y[8], z[8];
	_mm256_storeu_ps(x, a), _mm256_storeu_ps(y, b), _mm256_storeu_ps(z, c);
	for (int i = 0; i < 8; i++)
		x[i] = fmaf(x[i], y[i], z[i]);
	return _mm256_loadu_ps(x);
#endif
}

O2C_UNUSED O2C_INLINE O2cQv8 o2c_q_consts8(const O2cQuant *q)
{
	O2cQv8 c;
	c.zp = _mm256_set1_epi32(q->zp), c.lo = _mm256_set1_epi32(q->lo), c.hi = _mm256_set1_epi32(q->hi);
	c.add_lo = _mm256_set1_epi32(q->add_lo), c.add_hi = _mm256_set1_epi32(q->add_hi);
	c.add_a = _mm256_set1_ps(q->add_a), c.add_b = _mm256_set1_ps(q->add_b), c.add_fixed = _mm256_set1_ps(q->add_fixed);
	c.res_b = q->add_res_b;
	c.big = _mm256_set1_ps(65535.0f), c.nbig = _mm256_set1_ps(-65535.0f);
	return c;
}

/* 8 columns: as o2c_q_requant16_avx512; the u8 in the low 8 bytes, res's
 * 8 u8 in its low 8 bytes. */
O2C_UNUSED O2C_INLINE __m128i o2c_q_requant8_avx2(__m256i acc, __m256 mult, const O2cQv8 *c, int has_res, __m128i res)
{
	__m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), mult);
	f = _mm256_max_ps(_mm256_min_ps(f, c->big), c->nbig);
	__m256i v = _mm256_add_epi32(_mm256_cvtps_epi32(f), c->zp);
	v = _mm256_min_epi32(_mm256_max_epi32(v, c->lo), c->hi);
	if (has_res) {
		const __m256 cf = _mm256_cvtepi32_ps(v), rf = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(res));
		__m256 g = c->res_b ? o2c_q_fma8(cf, c->add_a, o2c_q_fma8(rf, c->add_b, c->add_fixed))
		                    : o2c_q_fma8(rf, c->add_b, o2c_q_fma8(cf, c->add_a, c->add_fixed));
		g = _mm256_max_ps(_mm256_min_ps(g, c->big), c->nbig);
		v = _mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(g), c->add_lo), c->add_hi);
	}
	/* 0..255 in every lane: the saturating packs are exact */
	__m128i h = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
	return _mm_packus_epi16(h, h);
}
#endif
