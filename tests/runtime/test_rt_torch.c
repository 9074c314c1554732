/*
 * test_rt_torch.c - the runtime against PyTorch autograd and torch.optim:
 * cross-entropy loss and gradient (plain and label-smoothed), top-k counts,
 * ten optimizer steps (SGD Nesterov with per-group lr/wd, SGD with dampening,
 * AdamW) on a linear head, the learning-rate schedules, and every gradient of
 * a residual block (conv with folded BN, grouped conv, frozen BN, ReLU, add,
 * depthwise dilated conv, concat, max/avg/global pooling, linear), and a
 * linear head trained end to end on Fashion-MNIST pixels.
 * References come from torch_ref.py (RT_REF_DIR); a missing one fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>

#include "rt_test.h"

static float *ref_f(const char *name, size_t n)
{
	char file[128];
	snprintf(file, sizeof file, "%s.f32", name);
	return rt_test_ref(file, n * sizeof(float));
}

static int *ref_i(const char *name, size_t n)
{
	char file[128];
	snprintf(file, sizeof file, "%s.i32", name);
	return rt_test_ref(file, n * sizeof(int));
}

#define NEED(p)                    \
	do {                           \
		CU_ASSERT_FATAL((p) != NULL); \
	} while (0)

static void test_xent(void)
{
	float *logits = ref_f("xent_logits", 80);
	int *labels = ref_i("xent_labels", 8);
	NEED(logits);
	NEED(labels);
	static const char *const tags[2] = {"plain", "smooth"};
	for (int s = 0; s < 2; s++) {
		char name[64];
		snprintf(name, sizeof name, "xent_%s_loss", tags[s]);
		float *want_loss = ref_f(name, 1);
		snprintf(name, sizeof name, "xent_%s_grad", tags[s]);
		float *want_grad = ref_f(name, 80);
		NEED(want_loss);
		NEED(want_grad);
		float loss, grad[80], probs[80];
		CU_ASSERT_EQUAL(rt_softmax_xent(&loss, probs, grad, logits, labels, 8, 10, s ? 0.1f : 0.0f), RT_OK);
		CU_ASSERT(rt_test_close(tags[s], &loss, want_loss, 1, 1e-6, 0));
		CU_ASSERT(rt_test_close(tags[s], grad, want_grad, 80, 1e-5, 1e-8));
		free(want_loss), free(want_grad);
	}
	free(logits), free(labels);
}

static void test_topk(void)
{
	float *logits = ref_f("topk_logits", 64 * 20);
	int *labels = ref_i("topk_labels", 64), *counts = ref_i("topk_counts", 2);
	NEED(logits);
	NEED(labels);
	NEED(counts);
	CU_ASSERT_EQUAL(rt_topk_correct(logits, labels, 64, 20, 1), counts[0]);
	CU_ASSERT_EQUAL(rt_topk_correct(logits, labels, 64, 20, 5), counts[1]);
	free(logits), free(labels), free(counts);
}

/* ---------------------------------------------------------------- optimizers */

enum { OB = 16, OC = 12, OK = 5 };

/* Params laid out as one flat buffer: W[OK,OC] then b[OK] (unpadded, so groups are contiguous ranges). */
static void train_head(RtOptim *o, float *params, const char *tag)
{
	float *x = ref_f("opt_x", OB * OC), *W0 = ref_f("opt_W0", OK * OC), *b0 = ref_f("opt_b0", OK);
	int *y = ref_i("opt_y", OB);
	NEED(x);
	NEED(W0);
	NEED(b0);
	NEED(y);
	float *W = params, *b = params + OK * OC, grads[OK * OC + OK], logits[OB * OK], dlogits[OB * OK], loss;
	memcpy(W, W0, sizeof(float) * OK * OC);
	memcpy(b, b0, sizeof(float) * OK);
	for (int step = 0; step < 10; step++) {
		memset(grads, 0, sizeof grads); /* one memset zeroes every gradient */
		rt_linear_forward(logits, x, W, b, OB, OC, OK);
		CU_ASSERT_EQUAL_FATAL(rt_softmax_xent(&loss, NULL, dlogits, logits, y, OB, OK, 0.0f), RT_OK);
		rt_linear_backward(NULL, grads, grads + OK * OC, dlogits, x, W, OB, OC, OK);
		rt_optim_step(o, params, grads, o->kind == RT_ADAMW ? 0.02 : o->nesterov ? 0.1 : 0.2);
	}
	char name[64];
	snprintf(name, sizeof name, "opt_%s_W", tag);
	float *wW = ref_f(name, OK * OC);
	snprintf(name, sizeof name, "opt_%s_b", tag);
	float *wb = ref_f(name, OK);
	NEED(wW);
	NEED(wb);
	/* the parameters move by O(0.1-1) over ten steps; 1e-5 relative (+1e-6 absolute for ~0 entries) */
	CU_ASSERT(rt_test_close(tag, W, wW, OK * OC, 1e-5, 1e-6));
	CU_ASSERT(rt_test_close(tag, b, wb, OK, 1e-5, 1e-6));
	/* and they did move: the test is not comparing the initial values */
	CU_ASSERT(fabsf(W[0] - W0[0]) > 1e-3f || fabsf(W[1] - W0[1]) > 1e-3f);
	free(x), free(W0), free(b0), free(y), free(wW), free(wb);
}

static void test_sgd_nesterov_groups(void)
{
	RtOptim o;
	float params[OK * OC + OK];
	CU_ASSERT_EQUAL_FATAL(rt_sgd_init(&o, OK * OC + OK, 0.9, 0.0, 1, 0.0), RT_OK);
	const RtGroup groups[2] = {{0, OK * OC, 1.0, 1e-3}, {OK * OC, OK * OC + OK, 0.5, 0.0}};
	o.groups = groups;
	o.ngroups = 2;
	train_head(&o, params, "sgd_nesterov");
	rt_optim_free(&o);
	CU_ASSERT_EQUAL(rt_sgd_init(&o, 4, 0.0, 0.0, 1, 0.0), RT_ERR_ARG); /* Nesterov without momentum */
}

static void test_sgd_dampening(void)
{
	RtOptim o;
	float params[OK * OC + OK];
	CU_ASSERT_EQUAL_FATAL(rt_sgd_init(&o, OK * OC + OK, 0.8, 0.1, 0, 5e-3), RT_OK);
	train_head(&o, params, "sgd_damp");
	CU_ASSERT_EQUAL(rt_optim_state_size(&o), (size_t)(OK * OC + OK));
	rt_optim_free(&o);
}

static void test_adamw(void)
{
	RtOptim o;
	float params[OK * OC + OK];
	CU_ASSERT_EQUAL_FATAL(rt_adamw_init(&o, OK * OC + OK, 0.9, 0.99, 1e-6, 0.05), RT_OK);
	train_head(&o, params, "adamw");
	CU_ASSERT_EQUAL(o.step, 10);
	rt_optim_free(&o);
}

/* ----------------------------------------------------------------- schedules */

static void sched_case(const char *spec, const char *file)
{
	double *want = rt_test_ref(file, 20 * sizeof(double));
	NEED(want);
	RtSched s;
	CU_ASSERT_EQUAL_FATAL(rt_sched_parse(&s, spec, 0.1), RT_OK);
	for (int t = 0; t < 20; t++) {
		const double got = rt_sched_lr(&s, t);
		if (fabs(got - want[t]) > 1e-9 * fabs(want[t]) + 1e-12) {
			fprintf(stderr, "\n  %s at step %d: %.12g, torch %.12g\n", spec, t, got, want[t]);
			CU_FAIL("schedule differs from torch.optim.lr_scheduler");
			break;
		}
	}
	free(want);
}

static void test_schedules(void)
{
	sched_case("step:3:0.5", "sched_step.f64");
	sched_case("cosine:20:0.001", "sched_cosine.f64");
	sched_case("linear:0.1:1:5", "sched_linear.f64");
	sched_case("warmup-cosine:4:20:0.1:0.001", "sched_warmcos.f64");
	RtSched s;
	CU_ASSERT_EQUAL(rt_sched_parse(&s, "cosine", 0.1), RT_ERR_ARG);
	CU_ASSERT_EQUAL(rt_sched_parse(&s, "step:3:0.5x", 0.1), RT_ERR_ARG);
}

/* ----------------------------------------------------------- residual block */

#define LOAD(var, name, n) \
	float *var = ref_f(name, n); \
	NEED(var)

static void test_block(void)
{
	enum { N = 2, CI = 4, H = 9, CM = 6, HO = 5, K = 5 };
	LOAD(x, "blk_x", N * CI * H * H);
	LOAD(w1, "blk_w1", CM * CI * 9);
	LOAD(b1, "blk_b1", CM);
	LOAD(w2, "blk_w2", CM * 3 * 9);
	LOAD(b2, "blk_b2", CM);
	LOAD(gamma, "blk_gamma", CM);
	LOAD(beta, "blk_beta", CM);
	LOAD(mean, "blk_mean", CM);
	LOAD(var, "blk_var", CM);
	LOAD(ws, "blk_ws", CM * CI);
	LOAD(bs, "blk_bs", CM);
	LOAD(wd, "blk_wd", CM * 9);
	LOAD(wf, "blk_wf", K * 2 * CM);
	LOAD(bf, "blk_bf", K);
	int *labels = ref_i("blk_labels", N);
	NEED(labels);

	/* geometry */
	const RtConv g1 = {N, CI, H, H, CM, H, H, 3, 3, 1, 1, 1, 1, 1, 1, 1};
	const RtConv g2 = {N, CM, H, H, CM, HO, HO, 3, 3, 2, 2, 1, 1, 1, 1, 2};
	const RtConv gs = {N, CI, H, H, CM, HO, HO, 1, 1, 2, 2, 0, 0, 1, 1, 1};
	const RtConv gd = {N, CM, HO, HO, CM, HO, HO, 3, 3, 1, 1, 2, 2, 2, 2, CM};
	const RtConv gm = {N, CM, HO, HO, CM, HO, HO, 3, 3, 1, 1, 1, 1, 1, 1, 1};
	const RtConv ga = {N, 2 * CM, HO, HO, 2 * CM, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1};

	/* forward, keeping what backward needs */
	static float c1[N * CM * H * H], h1[N * CM * H * H], c2[N * CM * HO * HO], n2[N * CM * HO * HO];
	static float sc[N * CM * HO * HO], sum[N * CM * HO * HO], y[N * CM * HO * HO], yd[N * CM * HO * HO];
	static float mp[N * CM * HO * HO], cat[N * 2 * CM * HO * HO], ap[N * 2 * CM * 9], feat[N * 2 * CM], logits[N * K];
	static int arg[N * CM * HO * HO];
	rt_conv2d_forward(c1, x, w1, b1, &g1);
	rt_relu_forward(h1, c1, sizeof h1 / sizeof *h1);
	rt_conv2d_forward(c2, h1, w2, b2, &g2);
	rt_bn_frozen_forward(n2, c2, gamma, beta, mean, var, 1e-5f, N, CM, HO * HO);
	rt_conv2d_forward(sc, x, ws, bs, &gs);
	rt_add_forward(sum, n2, sc, sizeof sum / sizeof *sum);
	rt_relu_forward(y, sum, sizeof y / sizeof *y);
	rt_conv2d_forward(yd, y, wd, NULL, &gd);
	rt_maxpool_forward(mp, arg, y, &gm);
	const float *parts[2] = {mp, yd};
	const int Cs[2] = {CM, CM};
	rt_concat_forward(cat, parts, Cs, 2, N, HO * HO);
	rt_avgpool_forward(ap, cat, &ga, 1);
	rt_gap_forward(feat, ap, N, 2 * CM, 9);
	rt_linear_forward(logits, feat, wf, bf, N, 2 * CM, K);
	float loss, dlogits[N * K];
	CU_ASSERT_EQUAL_FATAL(rt_softmax_xent(&loss, NULL, dlogits, logits, labels, N, K, 0.0f), RT_OK);

	/* backward: all gradients in one flat allocation, laid out by rt_flat_alloc */
	enum { DX, DW1, DB1, DW2, DB2, DGA, DBE, DWS, DBS, DWD, DWF, DBF, NG };
	const size_t sizes[NG] = {N * CI * H * H, CM * CI * 9, CM, CM * 27, CM, CM, CM, CM * CI, CM, CM * 9, K * 2 * CM, K};
	float *d[NG];
	size_t total;
	float *gradmem = rt_flat_alloc(d, sizes, NG, &total);
	NEED(gradmem);
	static float dfeat[N * 2 * CM], dap[N * 2 * CM * 9], dcat[N * 2 * CM * HO * HO], dmp[N * CM * HO * HO];
	static float dyd[N * CM * HO * HO], dy[N * CM * HO * HO], dsum[N * CM * HO * HO], dn2[N * CM * HO * HO];
	static float dsc[N * CM * HO * HO], dc2[N * CM * HO * HO], dh1[N * CM * H * H], dc1[N * CM * H * H];
	rt_linear_backward(dfeat, d[DWF], d[DBF], dlogits, feat, wf, N, 2 * CM, K);
	rt_gap_backward(dap, dfeat, N, 2 * CM, 9, 1);
	rt_avgpool_backward(dcat, dap, &ga, 1);
	float *dparts[2] = {dmp, dyd};
	rt_concat_backward(dparts, dcat, Cs, 2, N, HO * HO);
	rt_conv2d_backward(dy, d[DWD], NULL, dyd, y, wd, &gd);
	rt_maxpool_backward(dy, dmp, arg, &gm); /* y feeds two branches: both accumulate into dy */
	rt_relu_backward(dsum, dy, y, sizeof y / sizeof *y, 1);
	rt_add_backward(dn2, dsc, dsum, sizeof dsum / sizeof *dsum, 1, 1);
	rt_conv2d_backward(d[DX], d[DWS], d[DBS], dsc, x, ws, &gs);
	rt_bn_frozen_backward(dc2, d[DGA], d[DBE], dn2, c2, gamma, mean, var, 1e-5f, N, CM, HO * HO, 1);
	rt_conv2d_backward(dh1, d[DW2], d[DB2], dc2, h1, w2, &g2);
	rt_relu_backward(dc1, dh1, h1, sizeof h1 / sizeof *h1, 1);
	rt_conv2d_backward(d[DX], d[DW1], d[DB1], dc1, x, w1, &g1); /* x feeds conv1 and the shortcut */

	LOAD(want_logits, "blk_logits", N * K);
	LOAD(want_loss, "blk_loss", 1);
	CU_ASSERT(rt_test_close("block logits", logits, want_logits, N * K, 1e-5, 1e-6));
	CU_ASSERT(rt_test_close("block loss", &loss, want_loss, 1, 1e-5, 0));
	static const char *const names[NG] = {"blk_dx", "blk_dw1", "blk_db1", "blk_dw2", "blk_db2", "blk_dgamma",
	                                      "blk_dbeta", "blk_dws", "blk_dbs", "blk_dwd", "blk_dwf", "blk_dbf"};
	for (int i = 0; i < NG; i++) {
		float *want = ref_f(names[i], sizes[i]);
		NEED(want);
		/* float32 against float32 autograd through ~12 layers: measured worst ~2e-6 relative */
		CU_ASSERT(rt_test_close(names[i], d[i], want, sizes[i], 2e-5, 1e-7));
		free(want);
	}
	rt_free(gradmem);
	free(x), free(w1), free(b1), free(w2), free(b2), free(gamma), free(beta), free(mean), free(var), free(ws),
		free(bs), free(wd), free(wf), free(bf), free(labels), free(want_logits), free(want_loss);
}

/* ------------------------------------------- Fashion-MNIST head, end to end */

/* IDX loading, filtering, normalisation, linear head, loss, SGD and the warm-up + cosine
 * schedule together, 40 steps in file order, against the same recipe in torch. */
static void test_fashion_head(void)
{
	const char *img = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
	const char *lab = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
	if (access(img, R_OK) != 0) {
		fprintf(stderr, "(dataset-fashion-mnist not installed: skipped) ");
		return;
	}
	enum { NS = 2000, D = 784, NK = 5, BS = 50 };
	RtDataset d;
	CU_ASSERT_EQUAL_FATAL(rt_idx_open(&d, img, lab, 10), RT_OK);
	CU_ASSERT_EQUAL_FATAL(rt_dataset_filter(&d, 5, 9), RT_OK);
	const RtTransform t = {1, 0, 28, 28, {0.5f}, {0.25f}, 0, 0, 0, 0.0f};
	float *x = malloc((size_t)NS * D * sizeof *x);
	int *y = malloc(NS * sizeof *y);
	for (int i = 0; i < NS; i++)
		CU_ASSERT_EQUAL_FATAL(rt_dataset_load(&d, i, &t, NULL, x + (size_t)i * D, &y[i]), RT_OK);
	rt_dataset_free(&d);

	enum { PW, PB, NP };
	const size_t sizes[NP] = {NK * D, NK};
	float *p[NP], *g[NP];
	size_t np;
	float *params = rt_flat_alloc(p, sizes, NP, &np), *grads = rt_flat_alloc(g, sizes, NP, &np);
	float *W0 = ref_f("fm_W0", NK * D);
	NEED(params);
	NEED(grads);
	NEED(W0);
	memcpy(p[PW], W0, sizeof(float) * NK * D);
	RtOptim o;
	RtSched s;
	CU_ASSERT_EQUAL_FATAL(rt_sgd_init(&o, np, 0.9, 0.0, 1, 1e-4), RT_OK);
	CU_ASSERT_EQUAL_FATAL(rt_sched_parse(&s, "warmup-cosine:5:40:0.1:0", 0.05), RT_OK);
	float logits[BS * NK], dl[BS * NK], loss;
	for (int step = 0; step < NS / BS; step++) {
		memset(grads, 0, np * sizeof *grads);
		const float *xb = x + (size_t)step * BS * D;
		rt_linear_forward(logits, xb, p[PW], p[PB], BS, D, NK);
		CU_ASSERT_EQUAL_FATAL(rt_softmax_xent(&loss, NULL, dl, logits, y + step * BS, BS, NK, 0.0f), RT_OK);
		rt_linear_backward(NULL, g[PW], g[PB], dl, xb, p[PW], BS, D, NK);
		rt_optim_step(&o, params, grads, rt_sched_lr(&s, step));
	}
	float *wW = ref_f("fm_W", NK * D), *wb = ref_f("fm_b", NK), *wacc = ref_f("fm_acc", 1);
	NEED(wW);
	NEED(wb);
	NEED(wacc);
	/* 40 steps amplify rounding (inputs normalised in another order, batch sums): measured worst
	 * 1.5e-6 absolute on weights of typical size 0.08, so 1e-4 relative + 1e-5 absolute */
	CU_ASSERT(rt_test_close("fashion head W", p[PW], wW, NK * D, 1e-4, 1e-5));
	CU_ASSERT(rt_test_close("fashion head b", p[PB], wb, NK, 1e-4, 1e-5));
	float *all = malloc((size_t)NS * NK * sizeof *all);
	rt_linear_forward(all, x, p[PW], p[PB], NS, D, NK);
	const double acc = 100.0 * rt_topk_correct(all, y, NS, NK, 1) / NS;
	CU_ASSERT_DOUBLE_EQUAL(acc, wacc[0], 0.051); /* at most one sample in 2000 may flip */
	rt_optim_free(&o);
	rt_free(params), rt_free(grads);
	free(x), free(y), free(W0), free(wW), free(wb), free(wacc), free(all);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("runtime against PyTorch", NULL, NULL);
	CU_add_test(s, "softmax cross-entropy (+label smoothing)", test_xent);
	CU_add_test(s, "top-1/top-5", test_topk);
	CU_add_test(s, "SGD Nesterov, per-group lr and wd, 10 steps", test_sgd_nesterov_groups);
	CU_add_test(s, "SGD momentum + dampening + wd, 10 steps", test_sgd_dampening);
	CU_add_test(s, "AdamW, 10 steps", test_adamw);
	CU_add_test(s, "lr schedules", test_schedules);
	CU_add_test(s, "residual block gradients vs autograd", test_block);
	CU_add_test(s, "Fashion-MNIST linear head, 40 steps, end to end", test_fashion_head);
	return rt_test_run();
}
