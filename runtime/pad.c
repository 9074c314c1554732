/*
 * pad.c - zero padding of NCHW planes, forward and backward: the Pad node that
 * exporters put before an AveragePool (count_include_pad) or a Conv, when it
 * sits in an unfrozen block.  The backward takes the interior of the gradient.
 */
#include <string.h>

#include "onnx2c_rt.h"
#include "rt_internal.h"

void rt_pad2d_forward(float *out, const float *inp, int N, int C, int H, int W, int pt, int pl, int pb, int pr)
{
	/* out[N,C,H+pt+pb,W+pl+pr], inp[N,C,H,W] */
	const int OH = H + pt + pb, OW = W + pl + pr;
	RT_OMP(parallel for schedule(static))
	for (int nc = 0; nc < N * C; nc++) {
		float *y = out + (size_t)nc * OH * OW;
		const float *x = inp + (size_t)nc * H * W;
		memset(y, 0, sizeof(float) * (size_t)OH * OW);
		for (int h = 0; h < H; h++)
			memcpy(y + (size_t)(h + pt) * OW + pl, x + (size_t)h * W, sizeof(float) * (size_t)W);
	}
}

void rt_pad2d_backward(float *dinp, const float *dout, int N, int C, int H, int W, int pt, int pl, int pb, int pr)
{
	/* dinp[N,C,H,W] += the interior of dout[N,C,H+pt+pb,W+pl+pr] */
	const int OH = H + pt + pb, OW = W + pl + pr;
	RT_OMP(parallel for schedule(static))
	for (int nc = 0; nc < N * C; nc++) {
		float *dx = dinp + (size_t)nc * H * W;
		const float *dy = dout + (size_t)nc * OH * OW;
		for (int h = 0; h < H; h++)
			for (int w = 0; w < W; w++)
				dx[(size_t)h * W + w] += dy[(size_t)(h + pt) * OW + pl + w];
	}
}
