/*
 * harness.c - runs the int8 kernel templates (templates/int8/qpool.c,
 * qconvert.c, qdw.c) on raw files for tests/int8_ort/check.py, which runs the
 * same operations under ONNX Runtime and requires equal outputs.  NCHW in and
 * out, through the kernels' own relayouts; one operation per run:
 *   avg|max N C H W KH KW SH SW PT PL PB PR cip x_scale x_zp y_scale y_zp IN OUT
 *   gap N C HW x_scale x_zp y_scale y_zp IN OUT
 *   gapf N C HW x_scale x_zp IN OUT                 (u8 -> float)
 *   q|dq n scale zp flip IN OUT
 *   dw N C H W K S D P x_scale x_zp y_scale y_zp X W WSCALE BIAS OUT
 * dw folds the bias and the multipliers as the compiler is to: bias - x_zp *
 * sum(W), x_scale * w_scale[c] / y_scale (ORT's order); weight zero points 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common.c"
#include "blocking.h"
#include "int8/shared.c"
#include "int8/qdw.c"
#include "int8/qpool.c"
#include "int8/qconvert.c"
#include "pack.h"

static void *load(const char *f, size_t n)
{
	void *p = malloc(n + 1);
	FILE *fp = fopen(f, "rb");
	if (!p || !fp || fread(p, 1, n, fp) != n) {
		fprintf(stderr, "harness: cannot read %zu bytes of %s\n", n, f);
		exit(2);
	}
	fclose(fp);
	return p;
}

static void save(const char *f, const void *p, size_t n)
{
	FILE *fp = fopen(f, "wb");
	if (!fp || fwrite(p, 1, n, fp) != n || fclose(fp)) {
		fprintf(stderr, "harness: cannot write %s\n", f);
		exit(2);
	}
}

static int pool(char **v, int avg) /* v: N C H W KH KW SH SW PT PL PB PR cip xs xzp ys yzp IN OUT */
{
	int a[13];
	for (int i = 0; i < 13; i++)
		a[i] = atoi(v[i]);
	const int N = a[0], C = a[1], H = a[2], W = a[3], KH = a[4], KW = a[5], SH = a[6], SW = a[7];
	const int PT = a[8], PL = a[9], PB = a[10], PR = a[11];
	const int OH = (H + PT + PB - KH) / SH + 1, OW = (W + PL + PR - KW) / SW + 1;
	const size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * OH * OW;
	uint8_t *x = load(v[17], nx), *xh = malloc(nx), *yh = malloc(ny), *y = malloc(ny);
	o2c_q_nchw_nhwc(x, xh, N, C, H * W, 0, C);
	if (avg)
		o2c_qavgpool(xh, yh, N, C, H, W, OH, OW, KH, KW, SH, SW, PT, PL, PB, PR, a[12], (float)atof(v[13]),
		             atoi(v[14]), (float)atof(v[15]), atoi(v[16]), C, C);
	else
		o2c_qmaxpool(xh, yh, N, C, H, W, OH, OW, KH, KW, SH, SW, 1, 1, PT, PL, C, C);
	o2c_q_nhwc_nchw(yh, y, N, C, OH * OW, 0, C);
	save(v[18], y, ny);
	free(x), free(xh), free(yh), free(y);
	return 0;
}

static int gap(char **v) /* v: N C HW xs xzp ys yzp IN OUT */
{
	const int N = atoi(v[0]), C = atoi(v[1]), HW = atoi(v[2]);
	uint8_t *x = load(v[7], (size_t)N * C * HW), *xh = malloc((size_t)N * C * HW), *y = malloc((size_t)N * C);
	o2c_q_nchw_nhwc(x, xh, N, C, HW, 0, C);
	o2c_qgavgpool(xh, y, N, C, HW, (float)atof(v[3]), atoi(v[4]), (float)atof(v[5]), atoi(v[6]), C, C);
	save(v[8], y, (size_t)N * C);
	free(x), free(xh), free(y);
	return 0;
}

static int gapf(char **v) /* v: N C HW xs xzp IN OUT */
{
	const int N = atoi(v[0]), C = atoi(v[1]), HW = atoi(v[2]);
	uint8_t *x = load(v[5], (size_t)N * C * HW), *xh = malloc((size_t)N * C * HW);
	float *y = malloc((size_t)N * C * sizeof(float));
	o2c_q_nchw_nhwc(x, xh, N, C, HW, 0, C);
	o2c_qgavgpool_f32(xh, y, N, C, HW, (float)atof(v[3]), atoi(v[4]), C);
	save(v[6], y, (size_t)N * C * sizeof(float));
	free(x), free(xh), free(y);
	return 0;
}

static int convert(char **v, int quantize) /* v: n scale zp flip IN OUT */
{
	const size_t n = (size_t)atol(v[0]);
	const float scale = (float)atof(v[1]);
	const int32_t zp = atoi(v[2]);
	const uint8_t flip = (uint8_t)atoi(v[3]);
	if (quantize) {
		float *x = load(v[4], n * sizeof(float));
		uint8_t *y = malloc(n);
		o2c_quantize(x, y, n, scale, zp, flip);
		save(v[5], y, n);
		free(x), free(y);
	} else {
		uint8_t *x = load(v[4], n);
		float *y = malloc(n * sizeof(float));
		o2c_dequantize(x, y, n, scale, zp, flip);
		save(v[5], y, n * sizeof(float));
		free(x), free(y);
	}
	return 0;
}

static int dw(char **v) /* v: N C H W K S D P xs xzp ys yzp X W WSCALE BIAS OUT */
{
	int a[8];
	for (int i = 0; i < 8; i++)
		a[i] = atoi(v[i]);
	const int N = a[0], C = a[1], H = a[2], W = a[3], K = a[4], S = a[5], D = a[6], P = a[7];
	const float xs = (float)atof(v[8]), ys = (float)atof(v[10]);
	const int32_t xzp = atoi(v[9]), yzp = atoi(v[11]);
	const int OH = (H + 2 * P - (K - 1) * D - 1) / S + 1, OW = (W + 2 * P - (K - 1) * D - 1) / S + 1;
	const size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * OH * OW;
	uint8_t *x = load(v[12], nx), *xh = malloc(nx), *yh = malloc(ny), *y = malloc(ny);
	int8_t *w = load(v[13], (size_t)C * K * K);
	float *wsc = load(v[14], (size_t)C * sizeof(float)), *mult = malloc((size_t)C * sizeof(float));
	int32_t *b = load(v[15], (size_t)C * sizeof(int32_t)), *bias = malloc((size_t)C * sizeof(int32_t));
	int32_t *wp = malloc((size_t)pack_qdw_ints(C, K, K) * sizeof(int32_t));
	pack_qdw(wp, w, NULL, C, K, K);
	for (int c = 0; c < C; c++) {
		int32_t s = 0;
		for (int t = 0; t < K * K; t++)
			s += w[c * K * K + t];
		bias[c] = b[c] - xzp * s;
		mult[c] = xs * wsc[c] / ys;
	}
	O2cQuant q;
	memset(&q, 0, sizeof q);
	q.bias = bias, q.mult = mult, q.zp = yzp, q.lo = 0, q.hi = 255;
	o2c_q_nchw_nhwc(x, xh, N, C, H * W, 0, C);
	o2c_qdw(xh, wp, &q, yh, N, C, H, W, OH, OW, K, K, S, S, D, D, P, P, xzp, C, C);
	o2c_q_nhwc_nchw(yh, y, N, C, OH * OW, 0, C);
	save(v[16], y, ny);
	free(x), free(xh), free(yh), free(y), free(w), free(wsc), free(mult), free(b), free(bias), free(wp);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *op;
		int nargs;
	} ops[] = { { "avg", 19 }, { "max", 19 }, { "gap", 9 }, { "q", 6 }, { "dq", 6 }, { "dw", 17 }, { "gapf", 7 } };
	for (size_t i = 0; argc > 1 && i < sizeof ops / sizeof *ops; i++)
		if (!strcmp(argv[1], ops[i].op)) {
			if (argc != ops[i].nargs + 2)
				break;
			char **v = argv + 2;
			switch (i) {
			case 0:
			case 1: return pool(v, i == 0);
			case 2: return gap(v);
			case 3:
			case 4: return convert(v, i == 3);
			case 5: return dw(v);
			default: return gapf(v);
			}
		}
	fprintf(stderr, "usage: see tests/int8_ort/harness.c\n");
	return 2;
}
