/*
 * imagenet_preprocess.h - the ImageNet preprocessing of an RGB image, shared
 * by the classify example and `onnx2c quantize` (which feeds calibration
 * images to a model exactly as classify feeds it): resize so the shorter
 * side is 256/224 of the model's input side (bilinear, pixel centres aligned,
 * no antialiasing), centre-crop to the input side, scale to [0,1],
 * normalise with the ImageNet mean and std, lay out as CHW.
 * Header-only (static functions) so both can include it without a library.
 */
#ifndef ONNX2C_IMAGENET_PREPROCESS_H
#define ONNX2C_IMAGENET_PREPROCESS_H

#include <math.h>
#include <stddef.h>

static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };

/* One source axis position for output index i of a resize from `in` to
 * `out` pixels (pixel centres aligned, as PIL and OpenCV do). */
static void imagenet_axis(int i, int in, int out, int *i0, int *i1, float *frac)
{
	float s = ((float)i + 0.5f) * (float)in / (float)out - 0.5f;
	if (s < 0)
		s = 0;
	int lo = (int)s;
	if (lo > in - 1)
		lo = in - 1;
	*i0 = lo;
	*i1 = lo + 1 < in ? lo + 1 : in - 1;
	*frac = s - (float)lo;
}

/* rgb: h x w x 3 bytes.  out: 3 x side x side floats (CHW). */
static void imagenet_preprocess(const unsigned char *rgb, int w, int h, int side, float *out)
{
	/* torchvision Resize(256) then CenterCrop(224), scaled to the model */
	int shorter = (int)lround((double)side * 256.0 / 224.0);
	int rw, rh;
	if (w <= h) {
		rw = shorter;
		rh = (int)((long long)shorter * h / w);
	} else {
		rh = shorter;
		rw = (int)((long long)shorter * w / h);
	}
	/* rint: half to even, as torchvision's int(round(...)) */
	int top = (int)rint((rh - side) / 2.0), left = (int)rint((rw - side) / 2.0);
	for (int y = 0; y < side; y++) {
		int y0, y1;
		float fy;
		imagenet_axis(top + y, h, rh, &y0, &y1, &fy);
		for (int x = 0; x < side; x++) {
			int x0, x1;
			float fx;
			imagenet_axis(left + x, w, rw, &x0, &x1, &fx);
			for (int c = 0; c < 3; c++) {
				float a = rgb[((size_t)y0 * w + x0) * 3 + c], b = rgb[((size_t)y0 * w + x1) * 3 + c];
				float d = rgb[((size_t)y1 * w + x0) * 3 + c], e = rgb[((size_t)y1 * w + x1) * 3 + c];
				float top_row = a + (b - a) * fx, bottom_row = d + (e - d) * fx;
				float v = (top_row + (bottom_row - top_row) * fy) / 255.0f;
				out[((size_t)c * side + y) * side + x] = (v - imagenet_mean[c]) / imagenet_std[c];
			}
		}
	}
}

#endif
