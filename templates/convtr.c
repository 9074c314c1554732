/*
 * Template: convtr.c - pasted by onnx2c (compiler/ops/convtr.c) into models
 * with a ConvTranspose.  Takes no variables; each node calls
 * o2c_convtr2d() with literal shapes.
 *
 * Written as a gather (each output pixel sums the input taps that reach it)
 * rather than the textbook scatter, so threads never write the same output.
 * Plain loops: ConvTranspose is rare in the CNNs onnx2c targets.
 * w is the model's [C][M/G][KH][KW].  PT/PL may be negative (output_shape
 * larger than the natural size).
 */
O2C_UNUSED static void o2c_convtr2d(const float *in, const float *w, const float *bias, const float *res,
                                    float *out, int N, int G, int C, int H, int W, int M, int OH, int OW,
                                    int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL, float lo,
                                    float hi)
{
	const int Cg = C / G, Mg = M / G;
	O2C_OMP(for collapse(2) schedule(static) nowait)
	for (int n = 0; n < N; n++)
		for (int oc = 0; oc < M; oc++) {
			const int g = oc / Mg, ocg = oc % Mg;
			for (int oy = 0; oy < OH; oy++)
				for (int ox = 0; ox < OW; ox++) {
					float acc = bias ? bias[oc] : 0.0f;
					for (int ky = 0; ky < KH; ky++) {
						const int ty = oy + PT - ky * DH; /* = iy * SH */
						if (ty < 0 || ty % SH || ty / SH >= H)
							continue;
						for (int kx = 0; kx < KW; kx++) {
							const int tx = ox + PL - kx * DW;
							if (tx < 0 || tx % SW || tx / SW >= W)
								continue;
							const int iy = ty / SH, ix = tx / SW;
							for (int ic = 0; ic < Cg; ic++) {
								const int c = g * Cg + ic;
								acc += in[(((size_t)n * C + c) * H + iy) * W + ix] *
								       w[(((size_t)c * Mg + ocg) * KH + ky) * KW + kx];
							}
						}
					}
					const size_t o = (((size_t)n * M + oc) * OH + oy) * OW + ox;
					if (res)
						acc += res[o];
					acc = acc < lo ? lo : acc;
					out[o] = acc > hi ? hi : acc;
				}
		}
}
