/*
 * Template: int8/qeltwise.c - pasted by onnx2c into models whose int8 region
 * has a QLinearAdd that no conv took as its residual, or a QLinearConcat.
 * Takes no variables: each node calls one of these with literal sizes.
 * Needs: int8/shared.c
 *
 * - o2c_qadd: ORT's QLinearAdd (com.microsoft; what ORT makes of DQ -> Add
 *   -> Q) on two u8 tensors of one layout and size, element by element, as
 *   its AVX2 kernel computes it (MLAS qladd_avx2.cpp) on the raw u8 values:
 *     y = clamp(nearbyintf(fma(a, ra, fma(b, rb, fixed))), lo, hi)
 *   with ra = a_scale / y_scale, rb = b_scale / y_scale and fixed = y_zp -
 *   (ra * a_zp + rb * b_zp), in float: the residual stage of o2c_q_requant1
 *   (int8/shared.c), and so the same bits as a conv with the add fused.
 * - o2c_qconcat_nhwc: one input of a channel Concat whose inputs and output
 *   share a scale and zero point: its C channels of every pixel copied to
 *   channels [c0, c0 + C) of the output (pixel stride ldy).
 *
 * Both are team functions: call them on every thread of the run.  Plain
 * loops: in the models measured these are a small part of the run (a
 * residual add after a conv is fused into the conv), so they have no SIMD
 * variants yet; tests/kernels/test_qeltwise.c checks them against the
 * integer formula.
 */

O2C_UNUSED static void o2c_qadd(const uint8_t *a, const uint8_t *b, uint8_t *y, ptrdiff_t n, float ra, float rb,
                                float fixed, int32_t lo, int32_t hi)
{
	O2C_OMP(for schedule(static) nowait)
	for (ptrdiff_t i = 0; i < n; i++) {
		float g = nearbyintf(fmaf((float)a[i], ra, fmaf((float)b[i], rb, fixed)));
		g = g > 65535.0f ? 65535.0f : g < -65535.0f ? -65535.0f : g; /* as o2c_q_requant1 */
		y[i] = (uint8_t)o2c_q_clamp((int32_t)g, lo, hi);
	}
}

O2C_UNUSED static void o2c_qconcat_nhwc(const uint8_t *x, ptrdiff_t P, int C, uint8_t *y, ptrdiff_t ldy, int c0)
{
	O2C_OMP(for schedule(static) nowait)
	for (ptrdiff_t p = 0; p < P; p++)
		memcpy(y + p * ldy + c0, x + p * C, (size_t)C);
}
