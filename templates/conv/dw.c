/*
 * Template: conv/dw.c - pasted by onnx2c (compiler/ops/conv.c) into models
 * with a depthwise Conv (one input channel per group, M == C).  Takes no
 * variables: each such node calls o2c_conv_dw() with literal shape
 * arguments.
 *
 * The weights are as the model gives them, [C][KH][KW]; rows are accumulated
 * tap by tap over the valid pixel range, in plain C that the compiler
 * vectorises: there is one variant, for every ISA.
 */

/* Depthwise: channel c reads only input channel c.  w is [C][KH][KW]. */
O2C_UNUSED static void o2c_conv_dw(const float *in, const float *w, const float *bias, const float *res, float *out,
                                   int N, int C, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                                   int DW, int PT, int PL, float lo, float hi)
{
	O2C_OMP(for collapse(2) schedule(static) nowait)
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
