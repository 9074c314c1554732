/*
 * test_rt_grad.c - finite-difference checks of every backward in
 * runtime/layers.c and pad.c, and of the cross-entropy gradient.
 *
 * For a random R, L(x) = sum(forward(x) * R) is accumulated in double; the
 * backward given dout = R must equal the central difference
 * (L(x+h) - L(x-h)) / (2h) for every input and parameter.  For the layers
 * that are linear in the checked argument the difference is exact up to
 * float rounding, so h is large and the tolerance tight (1e-4 of the largest
 * gradient); for ReLU, max pooling and the loss h is small and inputs are kept
 * away from kinks (tolerance 1e-2).  Gradients start at 0.25 (not 0) to check
 * that backward accumulates with +=.
 */
#include "rt_test.h"

#define PRE 0.25f /* what gradient buffers hold before backward: it must be added to, not overwritten */

typedef void (*Fwd)(void *ctx);

typedef struct Probe {
	Fwd fwd;
	void *ctx;
	const float *out;
	const float *R;
	size_t nout;
} Probe;

static double probe_loss(const Probe *p)
{
	p->fwd(p->ctx);
	double s = 0.0;
	for (size_t i = 0; i < p->nout; i++)
		s += (double)p->out[i] * p->R[i];
	return s;
}

/* Checks grad[n] (which holds PRE + analytic) against central differences in x[n]. */
static int fd_check(const char *name, const Probe *p, float *x, const float *grad, size_t n, float h, double tol)
{
	double gmax = 1e-3;
	for (size_t i = 0; i < n; i++)
		gmax = fmax(gmax, fabs((double)grad[i] - PRE));
	const size_t stride = n > 97 ? n / 97 : 1; /* ~100 probes per tensor, odd stride to visit all positions */
	int ok = 1;
	for (size_t i = 0; i < n; i += stride) {
		const float x0 = x[i], xp = x0 + h, xm = x0 - h;
		x[i] = xp;
		const double lp = probe_loss(p);
		x[i] = xm;
		const double lm = probe_loss(p);
		x[i] = x0;
		const double num = (lp - lm) / ((double)xp - (double)xm), ana = (double)grad[i] - PRE;
		if (fabs(num - ana) > tol * gmax) {
			fprintf(stderr, "\n  %s[%zu]: backward %.7g, finite difference %.7g (max |grad| %.3g)\n", name, i, ana,
			        num, gmax);
			ok = 0;
			break;
		}
	}
	probe_loss(p); /* leave out consistent with x */
	return ok;
}

static float *filled(size_t n, float v)
{
	float *p = malloc(n * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = v;
	return p;
}

/* ------------------------------------------------------------------ linear */

typedef struct LinCtx { float *out, *x, *w, *b; int B, C, OC; } LinCtx;
static void lin_fwd(void *c)
{
	LinCtx *k = c;
	rt_linear_forward(k->out, k->x, k->w, k->b, k->B, k->C, k->OC);
}

static void test_linear(void)
{
	RtRng r;
	rt_rng_seed(&r, 1);
	LinCtx k = {0, 0, 0, 0, 5, 7, 3};
	k.x = rt_test_randn(35, &r, 1), k.w = rt_test_randn(21, &r, 1), k.b = rt_test_randn(3, &r, 1);
	k.out = malloc(15 * sizeof(float));
	float *R = rt_test_randn(15, &r, 1), *dx = filled(35, PRE), *dw = filled(21, PRE), *db = filled(3, PRE);
	Probe p = {lin_fwd, &k, k.out, R, 15};
	probe_loss(&p);
	rt_linear_backward(dx, dw, db, R, k.x, k.w, 5, 7, 3);
	CU_ASSERT(fd_check("linear dx", &p, k.x, dx, 35, 0.25f, 1e-4));
	CU_ASSERT(fd_check("linear dW", &p, k.w, dw, 21, 0.25f, 1e-4));
	CU_ASSERT(fd_check("linear db", &p, k.b, db, 3, 0.25f, 1e-4));
	free(k.x), free(k.w), free(k.b), free(k.out), free(R), free(dx), free(dw), free(db);
}

/* ------------------------------------------------------------------ conv2d */

typedef struct ConvCtx { float *out, *x, *w, *b; RtConv g; } ConvCtx;
static void conv_fwd(void *c)
{
	ConvCtx *k = c;
	rt_conv2d_forward(k->out, k->x, k->w, k->b, &k->g);
}

static void conv_case(const char *name, RtConv g, int pad_end_h, int pad_end_w, int bias)
{
	RtRng r;
	rt_rng_seed(&r, (uint64_t)g.C * 131 + (uint64_t)g.KH * 7 + (uint64_t)g.G);
	g.OH = rt_out_size(g.H, g.KH, g.SH, g.PH, pad_end_h, g.DH);
	g.OW = rt_out_size(g.W, g.KW, g.SW, g.PW, pad_end_w, g.DW);
	const size_t nx = (size_t)g.N * g.C * g.H * g.W, nw = (size_t)g.M * (g.C / g.G) * g.KH * g.KW;
	const size_t ny = (size_t)g.N * g.M * g.OH * g.OW;
	ConvCtx k = {malloc(ny * sizeof(float)), rt_test_randn(nx, &r, 1), rt_test_randn(nw, &r, 1),
	             bias ? rt_test_randn((size_t)g.M, &r, 1) : NULL, g};
	float *R = rt_test_randn(ny, &r, 1), *dx = filled(nx, PRE), *dw = filled(nw, PRE), *db = filled((size_t)g.M, PRE);
	Probe p = {conv_fwd, &k, k.out, R, ny};
	probe_loss(&p);
	rt_conv2d_backward(dx, dw, bias ? db : NULL, R, k.x, k.w, &k.g);
	char what[96];
	snprintf(what, sizeof what, "%s dx", name);
	CU_ASSERT(fd_check(what, &p, k.x, dx, nx, 0.25f, 1e-4));
	snprintf(what, sizeof what, "%s dW", name);
	CU_ASSERT(fd_check(what, &p, k.w, dw, nw, 0.25f, 1e-4));
	if (bias) {
		snprintf(what, sizeof what, "%s db", name);
		CU_ASSERT(fd_check(what, &p, k.b, db, (size_t)g.M, 0.25f, 1e-4));
	}
	free(k.out), free(k.x), free(k.w), free(k.b), free(R), free(dx), free(dw), free(db);
}

static void test_conv(void)
{
	/*            N  C  H  W  M OH OW KH KW SH SW PH PW DH DW G */
	conv_case("conv 3x3 s1 p1", (RtConv){2, 3, 6, 5, 4, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1}, 1, 1, 1);
	conv_case("conv 1x1 s2", (RtConv){2, 5, 7, 7, 3, 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 1}, 0, 0, 1);
	conv_case("conv grouped 3x3 s2 d2", (RtConv){1, 4, 9, 8, 6, 0, 0, 3, 3, 2, 2, 2, 1, 2, 2, 2}, 1, 2, 1);
	conv_case("conv depthwise 3x3", (RtConv){2, 5, 5, 6, 5, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 5}, 1, 1, 0);
	conv_case("conv 1x3 asymmetric pads", (RtConv){1, 2, 4, 7, 3, 0, 0, 1, 3, 1, 2, 0, 2, 1, 1, 1}, 0, 0, 1);
	conv_case("conv 7x7 s2 p3 on 5x5", (RtConv){1, 2, 5, 5, 2, 0, 0, 7, 7, 2, 2, 3, 3, 1, 1, 1}, 3, 3, 1);
	/* a ResNet stem: 7x7 stride 2 pad 3 on a 3-channel image, no bias */
	conv_case("conv stem 7x7 s2 p3, 3 channels", (RtConv){2, 3, 12, 10, 4, 0, 0, 7, 7, 2, 2, 3, 3, 1, 1, 1}, 3, 3, 0);
}

/* --------------------------------------------------------------- frozen BN */

typedef struct BnCtx { float *out, *x, *gamma, *beta, *mean, *var; int N, C, HW; } BnCtx;
static void bn_fwd(void *c)
{
	BnCtx *k = c;
	rt_bn_frozen_forward(k->out, k->x, k->gamma, k->beta, k->mean, k->var, 1e-5f, k->N, k->C, k->HW);
}

static void test_bn_frozen(void)
{
	RtRng r;
	rt_rng_seed(&r, 3);
	BnCtx k = {malloc(60 * sizeof(float)), rt_test_randn(60, &r, 1), rt_test_randn(3, &r, 1), rt_test_randn(3, &r, 1),
	           rt_test_randn(3, &r, 0.5f), rt_test_randn(3, &r, 0.4f), 2, 3, 10};
	for (int c = 0; c < 3; c++)
		k.var[c] = 0.5f + fabsf(k.var[c]);
	const float mean0 = k.mean[0], var0 = k.var[0];
	float *R = rt_test_randn(60, &r, 1), *dx = filled(60, PRE), *dg = filled(3, PRE), *db = filled(3, PRE);
	Probe p = {bn_fwd, &k, k.out, R, 60};
	probe_loss(&p);
	rt_bn_frozen_backward(dx, dg, db, R, k.x, k.gamma, k.mean, k.var, 1e-5f, 2, 3, 10, 1);
	CU_ASSERT(fd_check("bn dx", &p, k.x, dx, 60, 0.25f, 1e-4));
	CU_ASSERT(fd_check("bn dgamma", &p, k.gamma, dg, 3, 0.25f, 1e-4));
	CU_ASSERT(fd_check("bn dbeta", &p, k.beta, db, 3, 0.25f, 1e-4));
	/* frozen: training never touches the statistics */
	CU_ASSERT(k.mean[0] == mean0 && k.var[0] == var0);
	free(k.out), free(k.x), free(k.gamma), free(k.beta), free(k.mean), free(k.var), free(R), free(dx), free(dg),
		free(db);
}

/* --------------------------------------------------------------- training BN */

typedef struct BnTrainCtx { float *out, *save, *x, *gamma, *beta; int N, C, HW; } BnTrainCtx;
static void bn_train_fwd(void *c)
{
	BnTrainCtx *k = c;
	rt_bn_train_forward(k->out, k->save, NULL, NULL, k->x, k->gamma, k->beta, 1e-5f, 0.1f, k->N, k->C, k->HW);
}

static void test_bn_train(void)
{
	RtRng r;
	rt_rng_seed(&r, 4);
	BnTrainCtx k = {malloc(60 * sizeof(float)), malloc(6 * sizeof(float)), rt_test_randn(60, &r, 1),
	                rt_test_randn(3, &r, 1), rt_test_randn(3, &r, 1), 2, 3, 10};
	float *R = rt_test_randn(60, &r, 1), *dx = filled(60, PRE), *dg = filled(3, PRE), *db = filled(3, PRE);
	Probe p = {bn_train_fwd, &k, k.out, R, 60};
	probe_loss(&p);
	rt_bn_train_backward(dx, dg, db, R, k.x, k.gamma, k.save, 2, 3, 10, 1);
	/* the batch statistics make the loss non-linear in x: a small step, a looser tolerance */
	CU_ASSERT(fd_check("bn train dx", &p, k.x, dx, 60, 1e-2f, 1e-3));
	CU_ASSERT(fd_check("bn train dgamma", &p, k.gamma, dg, 3, 0.25f, 1e-4));
	CU_ASSERT(fd_check("bn train dbeta", &p, k.beta, db, 3, 0.25f, 1e-4));
	/* the running statistics: 0.9 of the old, 0.1 of the batch's (variance unbiased, over N and HW) */
	float rm[3] = {1.0f, -2.0f, 0.5f}, rv[3] = {2.0f, 1.0f, 0.25f};
	rt_bn_train_forward(k.out, k.save, rm, rv, k.x, k.gamma, k.beta, 1e-5f, 0.1f, 2, 3, 10);
	const float rm0[3] = {1.0f, -2.0f, 0.5f}, rv0[3] = {2.0f, 1.0f, 0.25f};
	for (int c = 0; c < 3; c++) {
		double s = 0, ss = 0;
		for (int n = 0; n < 2; n++)
			for (int i = 0; i < 10; i++)
				s += k.x[(n * 3 + c) * 10 + i];
		for (int n = 0; n < 2; n++)
			for (int i = 0; i < 10; i++)
				ss += pow(k.x[(n * 3 + c) * 10 + i] - s / 20, 2);
		CU_ASSERT_DOUBLE_EQUAL(rm[c], 0.9 * rm0[c] + 0.1 * s / 20, 1e-6);
		CU_ASSERT_DOUBLE_EQUAL(rv[c], 0.9 * rv0[c] + 0.1 * ss / 19, 1e-6);
		CU_ASSERT_DOUBLE_EQUAL(k.save[c], s / 20, 1e-6);
		CU_ASSERT_DOUBLE_EQUAL(k.save[3 + c], 1 / sqrt(ss / 20 + 1e-5), 1e-5);
	}
	free(k.out), free(k.save), free(k.x), free(k.gamma), free(k.beta), free(R), free(dx), free(dg), free(db);
}

/* BN folded into a conv gives the conv-then-BN output. */
static void test_bn_fold(void)
{
	RtRng r;
	rt_rng_seed(&r, 4);
	RtConv g = {2, 3, 5, 5, 4, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1};
	float *x = rt_test_randn(150, &r, 1), *w = rt_test_randn(108, &r, 1), *b = rt_test_randn(4, &r, 1);
	float *ga = rt_test_randn(4, &r, 1), *be = rt_test_randn(4, &r, 1), *mu = rt_test_randn(4, &r, 1);
	float *var = rt_test_randn(4, &r, 1), *y1 = malloc(200 * sizeof(float)), *y2 = malloc(200 * sizeof(float));
	for (int c = 0; c < 4; c++)
		var[c] = 0.3f + fabsf(var[c]);
	rt_conv2d_forward(y1, x, w, b, &g);
	rt_bn_frozen_forward(y1, y1, ga, be, mu, var, 1e-5f, 2, 4, 25);
	rt_bn_fold(w, b, ga, be, mu, var, 1e-5f, 4, 27);
	rt_conv2d_forward(y2, x, w, b, &g);
	CU_ASSERT(rt_test_close("folded conv", y2, y1, 200, 1e-4, 1e-5));
	free(x), free(w), free(b), free(ga), free(be), free(mu), free(var), free(y1), free(y2);
}

/* --------------------------------------------------- relu, add, concat */

typedef struct EltCtx { float *out, *a, *b; size_t n; int op; } EltCtx;
static void elt_fwd(void *c)
{
	EltCtx *k = c;
	if (k->op == 0)
		rt_relu_forward(k->out, k->a, k->n);
	else
		rt_add_forward(k->out, k->a, k->b, k->n);
}

static void test_relu_add(void)
{
	RtRng r;
	rt_rng_seed(&r, 5);
	float *a = rt_test_randn(50, &r, 1), *b = rt_test_randn(50, &r, 1), *out = malloc(50 * sizeof(float));
	for (int i = 0; i < 50; i++) /* away from the kink at 0, so x +- h stays on one side */
		a[i] += a[i] >= 0 ? 0.05f : -0.05f;
	float *R = rt_test_randn(50, &r, 1), *da = filled(50, PRE), *db = filled(50, PRE);
	EltCtx k = {out, a, b, 50, 0};
	Probe p = {elt_fwd, &k, out, R, 50};
	probe_loss(&p);
	rt_relu_backward(da, R, out, 50, 1);
	CU_ASSERT(fd_check("relu dx", &p, a, da, 50, 1e-3f, 1e-2));
	for (int i = 0; i < 50; i++)
		da[i] = PRE;
	k.op = 1;
	probe_loss(&p);
	rt_add_backward(da, db, R, 50, 1, 1);
	CU_ASSERT(fd_check("add da", &p, a, da, 50, 0.25f, 1e-4));
	CU_ASSERT(fd_check("add db", &p, b, db, 50, 0.25f, 1e-4));
	free(a), free(b), free(out), free(R), free(da), free(db);
}

typedef struct CatCtx { float *out; const float *ins[3]; int Cs[3]; int N, HW; } CatCtx;
static void cat_fwd(void *c)
{
	CatCtx *k = c;
	rt_concat_forward(k->out, k->ins, k->Cs, 3, k->N, k->HW);
}

static void test_concat(void)
{
	RtRng r;
	rt_rng_seed(&r, 6);
	const int Cs[3] = {2, 1, 3}, N = 2, HW = 4;
	float *in[3], *d[3];
	CatCtx k = {malloc((size_t)N * 6 * HW * sizeof(float)), {0}, {2, 1, 3}, N, HW};
	for (int i = 0; i < 3; i++) {
		in[i] = rt_test_randn((size_t)N * Cs[i] * HW, &r, 1);
		d[i] = filled((size_t)N * Cs[i] * HW, PRE);
		k.ins[i] = in[i];
	}
	float *R = rt_test_randn((size_t)N * 6 * HW, &r, 1);
	Probe p = {cat_fwd, &k, k.out, R, (size_t)N * 6 * HW};
	probe_loss(&p);
	rt_concat_backward(d, R, Cs, 3, N, HW);
	CU_ASSERT(fd_check("concat d0", &p, in[0], d[0], (size_t)N * 2 * HW, 0.25f, 1e-4));
	CU_ASSERT(fd_check("concat d1", &p, in[1], d[1], (size_t)N * 1 * HW, 0.25f, 1e-4));
	CU_ASSERT(fd_check("concat d2", &p, in[2], d[2], (size_t)N * 3 * HW, 0.25f, 1e-4));
	/* the layout: sample 1's first channel follows sample 0's six */
	CU_ASSERT(k.out[6 * HW] == in[0][2 * HW]);
	for (int i = 0; i < 3; i++)
		free(in[i]), free(d[i]);
	free(k.out), free(R);
}

/* ---------------------------------------------------------------- pad */

typedef struct PadCtx { float *out, *x; int N, C, H, W, pt, pl, pb, pr; } PadCtx;
static void pad_fwd(void *c)
{
	PadCtx *k = c;
	rt_pad2d_forward(k->out, k->x, k->N, k->C, k->H, k->W, k->pt, k->pl, k->pb, k->pr);
}

static void test_pad(void)
{
	RtRng r;
	rt_rng_seed(&r, 9);
	PadCtx k = {NULL, NULL, 2, 3, 4, 5, 1, 2, 0, 3}; /* asymmetric, one side unpadded */
	const int OH = k.H + k.pt + k.pb, OW = k.W + k.pl + k.pr;
	const size_t nx = (size_t)k.N * k.C * k.H * k.W, ny = (size_t)k.N * k.C * OH * OW;
	k.x = rt_test_randn(nx, &r, 1);
	k.out = filled(ny, 7.0f); /* the forward must write the zeros itself */
	float *R = rt_test_randn(ny, &r, 1), *dx = filled(nx, PRE);
	Probe p = {pad_fwd, &k, k.out, R, ny};
	probe_loss(&p);
	CU_ASSERT(k.out[0] == 0.0f && k.out[(size_t)k.pt * OW + k.pl] == k.x[0]);
	CU_ASSERT(k.out[ny - 1] == 0.0f && k.out[(size_t)(k.pt + k.H - 1) * OW + k.pl + k.W - 1] == k.x[k.H * k.W - 1]);
	rt_pad2d_backward(dx, R, k.N, k.C, k.H, k.W, k.pt, k.pl, k.pb, k.pr);
	CU_ASSERT(fd_check("pad dx", &p, k.x, dx, nx, 0.25f, 1e-4));
	free(k.out), free(k.x), free(R), free(dx);
}

/* ------------------------------------------------------------- pooling */

typedef struct PoolCtx { float *out, *x; int *arg; RtConv g; int kind, cip; } PoolCtx;
static void pool_fwd(void *c)
{
	PoolCtx *k = c;
	if (k->kind == 0)
		rt_maxpool_forward(k->out, k->arg, k->x, &k->g);
	else if (k->kind == 1)
		rt_avgpool_forward(k->out, k->x, &k->g, k->cip);
	else
		rt_gap_forward(k->out, k->x, k->g.N, k->g.C, k->g.H * k->g.W);
}

static void pool_case(const char *name, RtConv g, int kind, int cip)
{
	RtRng r;
	rt_rng_seed(&r, 7 + (uint64_t)kind);
	if (kind == 2)
		g.OH = g.OW = 1;
	else {
		g.OH = rt_out_size(g.H, g.KH, g.SH, g.PH, g.PH, g.DH);
		g.OW = rt_out_size(g.W, g.KW, g.SW, g.PW, g.PW, g.DW);
	}
	g.M = g.C;
	const size_t nx = (size_t)g.N * g.C * g.H * g.W, ny = (size_t)g.N * g.C * g.OH * g.OW;
	PoolCtx k = {malloc(ny * sizeof(float)), malloc(nx * sizeof(float)), malloc(ny * sizeof(int)), g, kind, cip};
	/* distinct values 0.01 apart, shuffled: no ties and no max switch for h = 1e-3 */
	int *perm = malloc(nx * sizeof *perm);
	for (size_t i = 0; i < nx; i++)
		perm[i] = (int)i;
	rt_shuffle(perm, (int)nx, &r);
	for (size_t i = 0; i < nx; i++)
		k.x[i] = 0.01f * (float)perm[i] - 0.005f * (float)nx;
	float *R = rt_test_randn(ny, &r, 1), *dx = filled(nx, PRE);
	Probe p = {pool_fwd, &k, k.out, R, ny};
	probe_loss(&p);
	if (kind == 0)
		rt_maxpool_backward(dx, R, k.arg, &k.g);
	else if (kind == 1)
		rt_avgpool_backward(dx, R, &k.g, cip);
	else
		rt_gap_backward(dx, R, g.N, g.C, g.H * g.W, 1);
	CU_ASSERT(fd_check(name, &p, k.x, dx, nx, kind == 0 ? 1e-3f : 0.25f, kind == 0 ? 1e-2 : 1e-4));
	free(k.out), free(k.x), free(k.arg), free(perm), free(R), free(dx);
}

static void test_pool(void)
{
	/*                                N  C  H  W  M OH OW KH KW SH SW PH PW DH DW G */
	pool_case("maxpool 3x3 s2 p1", (RtConv){2, 3, 7, 6, 0, 0, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1}, 0, 0);
	pool_case("maxpool 2x2 s2", (RtConv){1, 2, 6, 6, 0, 0, 0, 2, 2, 2, 2, 0, 0, 1, 1, 1}, 0, 0);
	pool_case("maxpool 2x2 d2", (RtConv){1, 2, 6, 5, 0, 0, 0, 2, 2, 1, 1, 0, 0, 2, 2, 1}, 0, 0);
	pool_case("avgpool 3x3 s2 p1 incl pad", (RtConv){2, 3, 7, 6, 0, 0, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1}, 1, 1);
	pool_case("avgpool 3x3 s1 p1 excl pad", (RtConv){1, 2, 5, 5, 0, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1}, 1, 0);
	pool_case("global average pool", (RtConv){2, 3, 4, 5, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1}, 2, 0);
}

/* Average pooling values against a hand count: 3x3 window, pad 1, on all-ones. */
static void test_avgpool_divisor(void)
{
	RtConv g = {1, 1, 3, 3, 1, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1};
	float x[9], y[9];
	for (int i = 0; i < 9; i++)
		x[i] = 1.0f;
	rt_avgpool_forward(y, x, &g, 1);
	CU_ASSERT_DOUBLE_EQUAL(y[0], 4.0 / 9.0, 1e-7); /* corner: 4 real pixels over 9 */
	CU_ASSERT_DOUBLE_EQUAL(y[4], 1.0, 1e-7);
	rt_avgpool_forward(y, x, &g, 0);
	CU_ASSERT_DOUBLE_EQUAL(y[0], 1.0, 1e-7); /* pads not counted */
}

/* ------------------------------------------------------------------ loss */

typedef struct XentCtx { float loss; float *logits; int *labels; int B, K; float eps; } XentCtx;
static void xent_fwd(void *c)
{
	XentCtx *k = c;
	rt_softmax_xent(&k->loss, NULL, NULL, k->logits, k->labels, k->B, k->K, k->eps);
}

static void test_xent(void)
{
	RtRng r;
	rt_rng_seed(&r, 9);
	int labels[4] = {0, 3, 6, 2};
	for (int s = 0; s < 2; s++) {
		XentCtx k = {0, rt_test_randn(28, &r, 3), labels, 4, 7, s ? 0.2f : 0.0f};
		float *d = malloc(28 * sizeof(float)), one = 1.0f;
		CU_ASSERT_EQUAL(rt_softmax_xent(&k.loss, NULL, d, k.logits, labels, 4, 7, k.eps), RT_OK);
		for (int i = 0; i < 28; i++)
			d[i] += PRE; /* dlogits is SET; shift it to fit fd_check's convention */
		Probe p = {xent_fwd, &k, &k.loss, &one, 1};
		CU_ASSERT(fd_check(s ? "xent smoothed dlogits" : "xent dlogits", &p, k.logits, d, 28, 1e-2f, 1e-2));
		free(k.logits), free(d);
	}
	/* stable with huge logits; a bad label is refused, naming the sample */
	float big[3] = {1000.0f, -1000.0f, 999.0f}, loss = 0, g[3];
	int y = 2;
	CU_ASSERT_EQUAL(rt_softmax_xent(&loss, NULL, g, big, &y, 1, 3, 0.0f), RT_OK);
	CU_ASSERT_DOUBLE_EQUAL(loss, log1p(exp(-1.0)) + 1.0, 1e-5);
	y = 3;
	CU_ASSERT_EQUAL(rt_softmax_xent(&loss, NULL, g, big, &y, 1, 3, 0.0f), RT_ERR_LABEL);
	CU_ASSERT(strstr(rt_error(), "label 3 of sample 0") != NULL);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("runtime gradients (finite differences)", NULL, NULL);
	CU_add_test(s, "linear", test_linear);
	CU_add_test(s, "conv2d (3x3, 1x1, grouped, depthwise, dilated, asymmetric)", test_conv);
	CU_add_test(s, "frozen batchnorm", test_bn_frozen);
	CU_add_test(s, "training batchnorm", test_bn_train);
	CU_add_test(s, "batchnorm folded into conv", test_bn_fold);
	CU_add_test(s, "relu and residual add", test_relu_add);
	CU_add_test(s, "channel concat", test_concat);
	CU_add_test(s, "zero padding", test_pad);
	CU_add_test(s, "max, average and global pooling", test_pool);
	CU_add_test(s, "average pooling divisor", test_avgpool_divisor);
	CU_add_test(s, "softmax cross-entropy", test_xent);
	return rt_test_run();
}
