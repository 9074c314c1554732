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
 *   y = saturate(nearbyint((c - zp) * add_a + (r - r_zp) * add_b) + add_zp)
 * clamped to [add_lo, add_hi], add_a = c_scale / y_scale and
 * add_b = r_scale / y_scale.
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
	float add_a, add_b;
	int32_t r_zp, add_zp, add_lo, add_hi;
} O2cQuant;

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
	float g = nearbyintf((float)(c - q->zp) * q->add_a + (float)(res_v - q->r_zp) * q->add_b);
	if (g > 65535.0f)
		g = 65535.0f;
	if (g < -65535.0f)
		g = -65535.0f;
	return (uint8_t)o2c_q_clamp((int32_t)g + q->add_zp, q->add_lo, q->add_hi);
}
