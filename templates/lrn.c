/*
 * Template: lrn.c - pasted by onnx2c (compiler/ops/lrn.c) into models with
 * LRN.  Takes no variables; each node calls o2c_lrn() with literal values.
 *
 * y = x / (bias + alpha/size * sum of x^2 over channels
 *          [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta,
 * the sum running along the channel axis at each pixel.
 */
O2C_UNUSED static void o2c_lrn(const float *in, float *out, int N, int C, int HW, int size, float alpha,
                               float beta, float bias)
{
	const int before = (size - 1) / 2, after = size - 1 - before;
	const float scale = alpha / (float)size;
	O2C_OMP(for collapse(2) schedule(static) nowait)
	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++) {
			const int c0 = c - before < 0 ? 0 : c - before, c1 = c + after >= C ? C - 1 : c + after;
			const float *x = in + ((size_t)n * C + c) * HW;
			float *y = out + ((size_t)n * C + c) * HW;
			for (int i = 0; i < HW; i++) {
				float s = 0.0f;
				for (int j = c0; j <= c1; j++) {
					const float v = in[((size_t)n * C + j) * HW + i];
					s += v * v;
				}
				y[i] = x[i] / powf(bias + scale * s, beta);
			}
		}
}
