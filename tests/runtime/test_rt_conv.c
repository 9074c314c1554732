/*
 * test_rt_conv.c - runtime/conv.c's channel-major conv (the generated block's)
 * against naive loops in double, for the SIMD and the portable packers and
 * microkernels: every way its columns are found (a 1x1 conv reading its input,
 * a "same" conv's masked loads, a strided conv's phase planes, im2col; kept in
 * the caller's buffer or not), every input-
 * gradient path (the flipped conv, same or not, and col2im), groups, dilation,
 * pixels across panel and KC-block edges; and each case again with the 3x3
 * stride-1 convs by Winograd (wino.c; odd sizes: tiles cut by the output's
 * edge).  The backward must add into dW, db and (acc 1) dinp, and with acc 0
 * overwrite whatever dinp held.
 */
#include "rt_test.h"
#include "rt_gemm.h"

/* Naive conv over CN tensors: x[C][N][H][W] -> y[M][N][OH][OW]; backward from dy. */
static void ref_conv(const RtConv *g, const float *x, const float *w, const float *b, const float *dy, double *y,
                     double *dx, double *dw, double *db)
{
	const int Cg = g->C / g->G, Mg = g->M / g->G, P = g->OH * g->OW;
	for (int m = 0; m < g->M; m++)
		for (int n = 0; n < g->N; n++)
			for (int oh = 0; oh < g->OH; oh++)
				for (int ow = 0; ow < g->OW; ow++) {
					const size_t o = ((size_t)m * g->N + n) * P + (size_t)oh * g->OW + ow;
					double s = b ? b[m] : 0.0;
					db[m] += dy[o];
					for (int c = 0; c < Cg; c++)
						for (int kh = 0; kh < g->KH; kh++)
							for (int kw = 0; kw < g->KW; kw++) {
								const int ih = oh * g->SH - g->PH + kh * g->DH, iw = ow * g->SW - g->PW + kw * g->DW;
								if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W)
									continue;
								const int ci = m / Mg * Cg + c;
								const size_t xi = (((size_t)ci * g->N + n) * g->H + ih) * g->W + iw;
								const size_t wi = (((size_t)m * Cg + c) * g->KH + kh) * g->KW + kw;
								s += (double)w[wi] * x[xi];
								dx[xi] += (double)w[wi] * dy[o];
								dw[wi] += (double)x[xi] * dy[o];
							}
					y[o] = s;
				}
}

static int close_to(const char *what, const float *got, const double *want, size_t n, double scale)
{
	float *w = malloc(n * sizeof *w);
	for (size_t i = 0; i < n; i++)
		w[i] = (float)want[i];
	const int ok = rt_test_close(what, got, w, n, 1e-5, 1e-5 * scale);
	free(w);
	return ok;
}

static void conv_case(const char *name, RtConv g, int pad_end_h, int pad_end_w)
{
	g.OH = rt_out_size(g.H, g.KH, g.SH, g.PH, pad_end_h, g.DH);
	g.OW = rt_out_size(g.W, g.KW, g.SW, g.PW, pad_end_w, g.DW);
	const size_t nx = (size_t)g.C * g.N * g.H * g.W, nw = (size_t)g.M * (g.C / g.G) * g.KH * g.KW;
	const size_t ny = (size_t)g.M * g.N * g.OH * g.OW, nc = rt_conv2d_cols_cn(&g);
	RtRng r;
	rt_rng_seed(&r, nx * 7 + nw);
	float *x = rt_test_randn(nx, &r, 1), *w = rt_test_randn(nw, &r, 1), *b = rt_test_randn((size_t)g.M, &r, 1);
	float *dy = rt_test_randn(ny, &r, 1), *y = malloc(ny * sizeof *y), *cols = malloc((nc ? nc : 1) * sizeof *cols);
	double *ry = calloc(ny, sizeof *ry), *rdx = calloc(nx, sizeof *rdx), *rdw = calloc(nw, sizeof *rdw);
	double *rdb = calloc((size_t)g.M, sizeof *rdb);
	ref_conv(&g, x, w, b, dy, ry, rdx, rdw, rdb);
	const double K = (double)(g.C / g.G) * g.KH * g.KW, scale = sqrt(K) + sqrt((double)g.N * g.OH * g.OW);
	/* each case with the Winograd path forced (a 3x3 stride-1 same conv and the flipped conv of
	 * its input gradient) and with it off (every conv on the GEMM); AUTO picks one of these */
	for (int mode = 0; mode < 4; mode++) {
		const int which = mode & 1 ? RT_UKR_GENERIC : RT_UKR_BEST, wino = mode & 2 ? RT_WINO_OFF : RT_WINO_FORCE;
		char what[200], kernel[80];
		rt_wino_select(wino);
		snprintf(kernel, sizeof kernel, "%s%s", rt_sgemm_select(which), wino == RT_WINO_FORCE ? ", winograd" : "");
		for (int keep = 0; keep < 2; keep++) {
			snprintf(what, sizeof what, "%s [%s%s] forward", name, kernel, keep ? ", kept cols" : "");
			CU_ASSERT(rt_conv2d_forward_cn(y, x, w, b, &g, keep && nc ? cols : NULL) == RT_OK);
			CU_ASSERT(close_to(what, y, ry, ny, scale));
			/* dW and db add to what is there; dinp adds (acc 1) or is overwritten (acc 0) */
			for (int acc = 0; acc < 2; acc++) {
				float *dx = rt_test_randn(nx, &r, 1), *dw = malloc(nw * sizeof *dw), *db = malloc(g.M * sizeof *db);
				double *wdx = malloc(nx * sizeof *wdx), *wdw = malloc(nw * sizeof *wdw), *wdb = malloc(g.M * sizeof *wdb);
				for (size_t i = 0; i < nx; i++)
					wdx[i] = rdx[i] + (acc ? dx[i] : 0.0);
				for (size_t i = 0; i < nw; i++)
					dw[i] = 0.5f, wdw[i] = rdw[i] + 0.5;
				for (int m = 0; m < g.M; m++)
					db[m] = -1.0f, wdb[m] = rdb[m] - 1.0;
				CU_ASSERT(rt_conv2d_backward_cn(dx, dw, db, dy, x, w, &g, keep && nc ? cols : NULL, acc) == RT_OK);
				snprintf(what, sizeof what, "%s [%s%s] dx acc %d", name, kernel, keep ? ", kept cols" : "", acc);
				CU_ASSERT(close_to(what, dx, wdx, nx, scale));
				snprintf(what, sizeof what, "%s [%s%s] dW", name, kernel, keep ? ", kept cols" : "");
				CU_ASSERT(close_to(what, dw, wdw, nw, scale));
				snprintf(what, sizeof what, "%s [%s%s] db", name, kernel, keep ? ", kept cols" : "");
				CU_ASSERT(close_to(what, db, wdb, (size_t)g.M, scale));
				free(dx), free(dw), free(db), free(wdx), free(wdw), free(wdb);
			}
		}
	}
	rt_sgemm_select(RT_UKR_BEST);
	rt_wino_select(RT_WINO_AUTO);
	free(x), free(w), free(b), free(dy), free(y), free(cols), free(ry), free(rdx), free(rdw), free(rdb);
}

static void test_conv_cn(void)
{
	/*                                N  C  H  W   M OH OW KH KW SH SW PH PW DH DW G */
	conv_case("same 3x3 p1", (RtConv){3, 5, 7, 9, 6, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1}, 1, 1);
	conv_case("direct 1x1", (RtConv){2, 7, 5, 6, 9, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1}, 0, 0);
	conv_case("same 3x3 d2 p2", (RtConv){2, 3, 6, 6, 4, 0, 0, 3, 3, 1, 1, 2, 2, 2, 2, 1}, 2, 2);
	conv_case("same 1x7 p3 (Inception)", (RtConv){2, 4, 5, 8, 3, 0, 0, 1, 7, 1, 1, 0, 3, 1, 1, 1}, 0, 3);
	conv_case("strided 3x3 s2 p1", (RtConv){2, 4, 9, 8, 5, 0, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1}, 1, 1);
	conv_case("strided 1x1 s2", (RtConv){3, 6, 7, 7, 4, 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 1}, 0, 0);
	conv_case("strided 7x7 s2 p3 (a stem)", (RtConv){2, 3, 12, 10, 4, 0, 0, 7, 7, 2, 2, 3, 3, 1, 1, 1}, 3, 3);
	conv_case("strided 3x3 s3 p1, 2 groups", (RtConv){2, 4, 9, 7, 6, 0, 0, 3, 3, 3, 3, 1, 1, 1, 1, 2}, 1, 1);
	conv_case("strided 3x3 s2 p0 (phases do not fit: im2col)", (RtConv){2, 3, 9, 8, 4, 0, 0, 3, 3, 2, 2, 0, 0, 1, 1, 1},
	          0, 0);
	conv_case("valid 3x3 p0 (stride 1, not same)", (RtConv){2, 3, 6, 7, 4, 0, 0, 3, 3, 1, 1, 0, 0, 1, 1, 1}, 0, 0);
	conv_case("same 3x3 p1, 2 groups", (RtConv){2, 4, 6, 5, 6, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 2}, 1, 1);
	conv_case("asymmetric pads 3x3 s1 (as large: same)", (RtConv){2, 3, 5, 6, 4, 0, 0, 3, 3, 1, 1, 0, 1, 1, 1, 1}, 2, 1);
	conv_case("3x3 s1, rows padded, columns not", (RtConv){2, 3, 6, 7, 4, 0, 0, 3, 3, 1, 1, 1, 0, 1, 1, 1}, 1, 0);
	/* K = 360 across the KC block, 245 pixels across panels, M not a multiple of the tile */
	conv_case("same 3x3 p1, K 360", (RtConv){5, 40, 7, 7, 70, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1}, 1, 1);
	/* Winograd over a batch cut into chunks of 2 samples (the weight gradient sums over chunks) */
	const long cap = rt_wino_chunk(2L * 16 * 9 * 12);
	conv_case("same 3x3 p1, batch in chunks", (RtConv){5, 9, 5, 6, 7, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1}, 1, 1);
	rt_wino_chunk(cap);
}

static void test_layout(void)
{
	float x[2 * 3 * 4], cn[24], back[24];
	for (int i = 0; i < 24; i++)
		x[i] = (float)i;
	rt_nc_to_cn(cn, x, 2, 3, 4);
	CU_ASSERT(cn[4] == x[12] && cn[8] == x[4] && cn[23] == x[23]); /* [c=0][n=1], [c=1][n=0] */
	rt_cn_to_nc(back, cn, 2, 3, 4);
	CU_ASSERT(memcmp(back, x, sizeof x) == 0);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("runtime conv (channel-major)", NULL, NULL);
	CU_add_test(s, "conv2d CN forward/backward vs naive loops", test_conv_cn);
	CU_add_test(s, "NC <-> CN layout", test_layout);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	const unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
