/*
 * Template: conv/ref.c - pasted by onnx2c (compiler/backend/emit.c) ahead of
 * conv/direct.c, which runs it for windows of more than O2C_CONV_KHWMAX
 * taps.  Takes no variables.
 * Needs: blocking.h act.c
 *
 * o2c_conv_ref: y = act(clamp(conv(x, w) + bias [+ res], lo, hi)) on NCHW, for
 * any group, stride, dilation and padding, in plain loops over the direct
 * conv's packed weights (blocks of O2C_CONV_MR output channels, see
 * conv/direct.c).  The kernel tests hold it and every direct microkernel to
 * naive loops on the unpacked weights (tests/kernels/test_conv.c).
 */

O2C_UNUSED static void o2c_conv_ref(const float *in, const float *wp, const float *bias, const float *res, float *out,
                                    int N, int G, int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH,
                                    int SW, int DH, int DW, int PT, int PL, float lo, float hi, int act)
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
			o2c_act_rows(out + ((size_t)n * M + oc) * OH * OW, 0, 1, OH * OW, act); /* the plane */
		}
}
