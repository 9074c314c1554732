/*
 * Template: eltwise.c - pasted by onnx2c (compiler/ops/softmax.c) into models
 * with Softmax or LogSoftmax.  Takes no variables: the kernels are called
 * with literal sizes.
 *
 * o2c_softmax_f32(y, x, outer, len, inner, take_log): softmax (take_log != 0: log of
 * softmax) of x viewed as [outer][len][inner] along the middle axis, written
 * to y (which may not alias x).  Numerically stable: the maximum is
 * subtracted before exponentiating.  When inner > 1 (softmax across the
 * channels of an NCHW tensor) the rows are processed O2C_SM_BLOCK columns at
 * a time so every loop runs along contiguous memory and vectorises.
 */
#define O2C_SM_BLOCK 64

O2C_UNUSED static void o2c_softmax_f32(float *restrict y, const float *restrict x, ptrdiff_t outer,
                                       ptrdiff_t len, ptrdiff_t inner, int take_log)
{
	ptrdiff_t nblk = (inner + O2C_SM_BLOCK - 1) / O2C_SM_BLOCK;
	O2C_OMP(for nowait)
	for (ptrdiff_t ob = 0; ob < outer * nblk; ob++) {
		ptrdiff_t o = ob / nblk, j0 = ob % nblk * O2C_SM_BLOCK;
		ptrdiff_t nj = inner - j0 < O2C_SM_BLOCK ? inner - j0 : O2C_SM_BLOCK;
		const float *xr = x + o * len * inner + j0;
		float *yr = y + o * len * inner + j0;
		float m[O2C_SM_BLOCK], s[O2C_SM_BLOCK];
		for (ptrdiff_t j = 0; j < nj; j++) {
			m[j] = xr[j];
			s[j] = 0.0f;
		}
		for (ptrdiff_t k = 1; k < len; k++)
			for (ptrdiff_t j = 0; j < nj; j++)
				m[j] = xr[k * inner + j] > m[j] ? xr[k * inner + j] : m[j];
		for (ptrdiff_t k = 0; k < len; k++)
			for (ptrdiff_t j = 0; j < nj; j++) {
				float v = expf(xr[k * inner + j] - m[j]);
				if (!take_log)
					yr[k * inner + j] = v;
				s[j] += v;
			}
		if (take_log) {
			/* (x - max) - log(sum), not x - (max + log(sum)): for large x the
			 * sum max + log(sum) would round away the small result */
			for (ptrdiff_t j = 0; j < nj; j++)
				s[j] = logf(s[j]);
			for (ptrdiff_t k = 0; k < len; k++)
				for (ptrdiff_t j = 0; j < nj; j++)
					yr[k * inner + j] = (xr[k * inner + j] - m[j]) - s[j];
		} else {
			for (ptrdiff_t j = 0; j < nj; j++)
				s[j] = 1.0f / s[j];
			for (ptrdiff_t k = 0; k < len; k++)
				for (ptrdiff_t j = 0; j < nj; j++)
					yr[k * inner + j] *= s[j];
		}
	}
}
