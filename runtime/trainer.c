/*
 * trainer.c - the command-line trainer behind `onnx2c --train-head --train-main`:
 * fine-tunes the classifier head of a generated model on a frozen trunk.
 *
 * The generated main() describes the trunk (its run function outputs the
 * features) and the head (RtTrunk) and calls rt_trainer_main.  Without
 * augmentation every sample's features are computed once (the feature cache),
 * and the epochs train the linear head on the cache: linear forward, fused
 * softmax cross-entropy, linear backward, one optimizer step on the flat
 * parameter buffer [W (K x F) | b (K)].  Validation features are always
 * cached: the trunk is frozen, and validation images are never augmented.
 *
 * With --unfreeze (RtTrunk.block), the trunk ends earlier, at the cut, and
 * the cache holds each sample's cut tensor; every step then runs the block's
 * generated forward, the head, and both backwards, and the optimizer updates
 * [W | b | block] with the block at --block-lr-scale times the rate.
 * Validation features go through the block with its current parameters.
 *
 * This is the one file of the runtime that prints (to stderr) and that
 * chooses exit codes; the library calls it makes never do.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "onnx2c_rt.h"
#include "rt_internal.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#include "trainer_opts.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what)
{
	fprintf(stderr, "\ntrainer: %s\n", what);
	return 1;
}

/* IDX labels next to IDX images: "...images-idx3-ubyte[.gz]" -> "...labels-idx1-ubyte[.gz]". */
static char *idx_labels_for(const char *images)
{
	const char *k = strstr(images, "images-idx3");
	if (!k)
		return NULL;
	char *s = malloc(strlen(images) + 1);
	if (!s)
		return NULL;
	strcpy(s, images);
	memcpy(s + (k - images), "labels-idx1", 11);
	return s;
}

static int open_data(RtDataset *d, const char *path, const char *labels, const Opts *o, const RtTrunk *t,
                     const char *what)
{
	char msg[1024];
	struct stat st;
	memset(d, 0, sizeof *d);
	if (stat(path, &st) != 0) {
		snprintf(msg, sizeof msg, "%s '%s': %s", what, path, strerror(errno));
		return fail(msg);
	}
	if (S_ISDIR(st.st_mode)) {
		if (rt_imagefolder_open(d, path))
			return fail(rt_error());
	} else {
		char *lab = labels ? NULL : idx_labels_for(path);
		if (!labels && !lab) {
			snprintf(msg, sizeof msg, "%s '%s' is a file: an IDX images file needs its labels (--%slabels IDX)",
			         what, path, strcmp(what, "--val") ? "" : "val-");
			return fail(msg);
		}
		int rc = rt_idx_open(d, path, labels ? labels : lab, 0);
		free(lab);
		if (rc)
			return fail(rt_error());
		if (o->have_classes && rt_dataset_filter(d, o->lo, o->hi))
			return fail(rt_error());
	}
	if (d->n == 0) {
		snprintf(msg, sizeof msg, "%s '%s': no samples", what, path);
		return fail(msg);
	}
	for (int i = 0; i < d->n; i++)
		if (d->labels[i] < 0 || d->labels[i] >= t->classes) {
			snprintf(msg, sizeof msg, "%s '%s': sample %d has label %d, outside the head's %d classes "
			         "(select a label range with --classes LO:HI, or compile with --head-classes %d)",
			         what, path, i, d->labels[i], t->classes, d->nclasses);
			return fail(msg);
		}
	return 0;
}

/* Trunk features of samples idx[0..n) of d into feat[n][F]: decoded in chunks of `chunk`, and each
 * chunk's samples split over the threads, each thread running the generated model on its part with
 * its own workspace (the model's kernels then run single-threaded inside: OpenMP does not nest by
 * default).  Many small independent inferences scale far better this way than one sample at a
 * time with every kernel forking and joining, above all on a shared machine. */
typedef struct Trunk {
	const RtTrunk *t;
	RtTransform tf;
	size_t in_numel;
	size_t D;        /* floats a sample of the trunk's output: the features, or the block's input */
	int chunk;
	int nthreads;
	float *in;
	void **ws;       /* [nthreads] workspaces for per = ceil(chunk / nthreads) samples (1 if not batched) */
} Trunk;

static int trunk_features(Trunk *k, const RtDataset *d, const int *idx, int n, RtRng *rng, float *feat, int *labels)
{
	const size_t F = k->D;
	for (int s = 0; s < n; s += k->chunk) {
		const int b = n - s < k->chunk ? n - s : k->chunk;
		/* decoding (and augmenting) split over the threads too; each sample draws from a generator of
		 * its own, seeded from one draw of rng and its place, so the crops do not depend on the threads */
		const uint64_t base = rng ? rt_rng_next(rng) : 0;
		int first_bad = b;
		RT_OMP(parallel for schedule(dynamic, 1) num_threads(k->nthreads) reduction(min : first_bad))
		for (int j = 0; j < b; j++) {
			RtRng r;
			rt_rng_seed(&r, base + (uint64_t)j);
			if (rt_dataset_load(d, idx[s + j], &k->tf, rng ? &r : NULL, k->in + (size_t)j * k->in_numel,
			                    &labels[s + j]) && j < first_bad)
				first_bad = j;
		}
		if (first_bad < b) { /* again on this thread, for the message (rt_error is per thread) */
			RtRng r;
			rt_rng_seed(&r, base + (uint64_t)first_bad);
			rt_dataset_load(d, idx[s + first_bad], &k->tf, rng ? &r : NULL, k->in, &labels[s + first_bad]);
			return fail(rt_error());
		}
		const int per = (b + k->nthreads - 1) / k->nthreads;
		int bad = 0;
		RT_OMP(parallel for schedule(static, 1) num_threads(k->nthreads) reduction(| : bad))
		for (int th = 0; th < k->nthreads; th++) {
			const int j0 = th * per, m = b - j0 < per ? b - j0 : per;
			if (m <= 0)
				continue;
			if (k->t->batched)
				bad |= k->t->run(k->ws[th], m, k->in + (size_t)j0 * k->in_numel, feat + (size_t)(s + j0) * F) != 0;
			else
				for (int j = j0; j < j0 + m; j++)
					bad |= k->t->run(k->ws[th], 1, k->in + (size_t)j * k->in_numel, feat + (size_t)(s + j) * F) != 0;
		}
		if (bad)
			return fail("the model's run function failed");
	}
	return 0;
}

/* Features of every sample of the list, once; prints a progress line. */
static int cache_all(Trunk *k, const RtDataset *d, const int *idx, int n, float *feat, int *labels, const char *what)
{
	const double t0 = now();
	for (int s = 0; s < n; s += 256) {
		const int b = n - s < 256 ? n - s : 256;
		int rc = trunk_features(k, d, idx + s, b, NULL, feat + (size_t)s * k->D, labels + s);
		if (rc)
			return rc;
		fprintf(stderr, "\r%s (%s): %d/%d", k->t->block ? "block inputs" : "features", what, s + b, n);
	}
	const double dt = now() - t0;
	fprintf(stderr, "\r%s (%s): %d samples in %.2f s (%.0f samples/s)\n", k->t->block ? "block inputs" : "features",
	        what, n, dt, n / (dt > 0 ? dt : 1e-9));
	return 0;
}

static int dump(const Opts *o, const char *name, const void *data, size_t bytes)
{
	if (!o->dump)
		return 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", o->dump, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, bytes, f) != bytes || fclose(f) != 0) {
		char msg[4200];
		snprintf(msg, sizeof msg, "--dump: cannot write '%s'", path);
		return fail(msg);
	}
	return 0;
}

/* Mean loss, top-1 and top-5 counts of the head on cached features. */
static void evaluate(const float *W, const float *bias, const float *feat, const int *labels, int n, int F, int K,
                     float *logits, double *loss, int *top1, int *top5)
{
	double sum = 0;
	*top1 = *top5 = 0;
	for (int s = 0; s < n; s += 256) {
		const int b = n - s < 256 ? n - s : 256;
		float l = 0;
		rt_linear_forward(logits, feat + (size_t)s * F, W, bias, b, F, K);
		rt_softmax_xent(&l, NULL, NULL, logits, labels + s, b, K, 0.0f);
		sum += (double)l * b;
		*top1 += rt_topk_correct(logits, labels + s, b, K, 1);
		*top5 += K >= 5 ? rt_topk_correct(logits, labels + s, b, K, 5) : 0;
	}
	*loss = n ? sum / n : NAN;
}

/* Schedule spec with the epoch count filled in where the CLI lets it be implied. */
static int make_schedule(RtSched *s, const Opts *o)
{
	char spec[256];
	if (!strcmp(o->schedule, "cosine"))
		snprintf(spec, sizeof spec, "cosine:%d", o->epochs);
	else if (!strncmp(o->schedule, "warmup-cosine:", 14) && !strchr(o->schedule + 14, ':'))
		snprintf(spec, sizeof spec, "%s:%d", o->schedule, o->epochs);
	else
		snprintf(spec, sizeof spec, "%s", o->schedule);
	if (rt_sched_parse(s, spec, o->lr)) {
		fprintf(stderr, "trainer: --schedule '%s': %s\n", o->schedule, rt_error());
		return 2;
	}
	return 0;
}

typedef struct State {
	RtDataset train, val;
	int *train_idx, *val_idx, ntrain, nval;
	float *train_feat, *val_feat, *batch_feat, *logits, *dlogits;
	int *train_lab, *val_lab, *order, *batch_lab;
	float *params, *grads, *W, *b, *dW, *db;
	float *bp, *bg;                  /* the block's parameters and gradients (inside params/grads) */
	float *bs;                       /* the block's BN running statistics (inside params, in no optimizer group) */
	float *acts, *dacts, *bfeat, *dfeat, *val_f; /* block: activations, features of a batch, val features */
	size_t nparams;
	RtOptim opt;
	RtLog log;
	Trunk trunk;
} State;

static void state_free(State *s)
{
	rt_dataset_free(&s->train);
	rt_dataset_free(&s->val);
	free(s->train_idx);
	free(s->val_idx);
	free(s->train_feat);
	free(s->val_feat);
	free(s->batch_feat);
	free(s->logits);
	free(s->dlogits);
	free(s->train_lab);
	free(s->val_lab);
	free(s->order);
	free(s->batch_lab);
	free(s->acts);
	free(s->dacts);
	free(s->bfeat);
	free(s->dfeat);
	free(s->val_f);
	rt_free(s->params);
	rt_free(s->grads);
	rt_optim_free(&s->opt);
	rt_log_close(&s->log);
	free(s->trunk.in);
	for (int i = 0; s->trunk.ws && i < s->trunk.nthreads; i++)
		free(s->trunk.ws[i]);
	free(s->trunk.ws);
}

/* --dump: the cut, and where each parameter tensor is in the flat buffer (name, offset, count; tab-separated). */
static int dump_layout(const Opts *o, const State *s, const RtBlock *blk, int K, int F)
{
	char text[65536];
	int n = snprintf(text, sizeof text, "cut\t%s\nhead.weight\t%zu\t%d\nhead.bias\t%zu\t%d\n", blk ? blk->cut : "",
	                 (size_t)(s->W - s->params), K * F, (size_t)(s->b - s->params), K);
	for (int i = 0; blk && i < blk->ntensors && n < (int)sizeof text; i++)
		n += snprintf(text + n, sizeof text - (size_t)n, "%s\t%zu\t%zu\n", blk->params[i].name,
		              (size_t)(s->bp - s->params) + blk->params[i].offset, blk->params[i].count);
	for (int i = 0; blk && i < blk->nstat_tensors && n < (int)sizeof text; i++)
		n += snprintf(text + n, sizeof text - (size_t)n, "stat\t%s\t%zu\t%zu\n", blk->stats[i].name,
		              (size_t)(s->bs - s->params) + blk->stats[i].offset, blk->stats[i].count);
	if (n >= (int)sizeof text)
		return fail("--dump: the parameter layout is too long");
	return dump(o, "layout.txt", text, (size_t)n);
}

/* --export: the model with the trained head, block parameters and the block's BN statistics (which
 * --bn-train moved; otherwise the model's own), all offsets of the block's taken from s->bp. */
static int export_model(const char *out, const RtTrunk *t, const State *s, const char *src)
{
	const RtBlock *blk = t->block;
	RtBlock merged;
	RtParam *all = NULL;
	if (blk) {
		merged = *blk;
		all = malloc(sizeof *all * (size_t)(blk->ntensors + blk->nstat_tensors));
		if (!all)
			return fail("out of memory");
		memcpy(all, blk->params, sizeof *all * (size_t)blk->ntensors);
		for (int i = 0; i < blk->nstat_tensors; i++) {
			all[blk->ntensors + i] = blk->stats[i];
			all[blk->ntensors + i].offset += (size_t)(s->bs - s->bp);
		}
		merged.params = all;
		merged.ntensors = blk->ntensors + blk->nstat_tensors;
	}
	const int rc = rt_export_onnx(src, out, t->head_onnx, s->W, t->has_bias ? s->b : NULL, t->classes,
	                              t->features, blk ? &merged : NULL, s->bp);
	free(all);
	if (rc) {
		char msg[1024];
		snprintf(msg, sizeof msg, "--export: %s", rt_error());
		return fail(msg);
	}
	fprintf(stderr, "wrote %s\n", out);
	return 0;
}

/* --export and --deploy-weights (deploy.c: the weights file for the program compiled from an
 * earlier export, written from this export; without --export, from a temporary one beside it) */
static int export_and_deploy(const Opts *o, const RtTrunk *t, const State *s)
{
	const char *src = o->onnx ? o->onnx : t->model_path;
	char tmp[4096];
	const char *out = o->export_path;
	if (!out) {
		if (snprintf(tmp, sizeof tmp, "%s.export.onnx", o->deploy) >= (int)sizeof tmp)
			return fail("--deploy-weights: the path is too long");
		out = tmp;
	}
	int rc = export_model(out, t, s, src);
	if (!rc && o->deploy) {
		rc = rt_deploy_weights(out, o->deploy) ? fail(rt_error()) : 0;
		if (!rc)
			fprintf(stderr, "wrote %s\n", o->deploy);
	}
	if (!o->export_path)
		remove(tmp);
	return rc;
}

static int run(const Opts *o, const RtTrunk *t, State *s)
{
	const int F = t->features, K = t->classes;
	const RtBlock *blk = t->block;
	const int D = blk ? blk->in_numel : F; /* what the trunk outputs and the cache holds a sample */
	int rc;
	if (t->in_rank != 3 || (t->in_shape[0] != 1 && t->in_shape[0] != 3))
		return fail("this model's input is not an image [C, H, W] with 1 or 3 channels");
	if (o->bn_train && !blk) {
		fprintf(stderr, "trainer: --bn-train: this model trains its head only (compile it with --unfreeze N|all)\n");
		return 2;
	}
	if (o->deploy && rt_deploy_check(o->deploy)) /* before the training, not after it */
		return fail(rt_error());

	/* ---- data ---- */
	if ((rc = open_data(&s->train, o->data, o->labels, o, t, "--data")))
		return rc;
	if (o->val && (rc = open_data(&s->val, o->val, o->val_labels, o, t, "--val")))
		return rc;
	if (o->val && s->train.classes && s->val.classes) {
		int same = s->train.nclasses == s->val.nclasses;
		for (int c = 0; same && c < s->train.nclasses; c++)
			same = !strcmp(s->train.classes[c], s->val.classes[c]);
		if (!same)
			return fail("--data and --val do not have the same class folders");
	}
	int n = s->train.n;
	if (o->limit > 0 && o->limit < n)
		n = o->limit;
	s->train_idx = malloc(sizeof(int) * (size_t)n);
	s->val_idx = malloc(sizeof(int) * (size_t)(o->val ? s->val.n : n));
	if (!s->train_idx || !s->val_idx)
		return fail("out of memory");
	const RtDataset *vd = o->val ? &s->val : &s->train;
	if (o->val_split > 0) {
		if (rt_split(n, o->val_split, o->seed, s->train_idx, &s->ntrain, s->val_idx, &s->nval))
			return fail(rt_error());
	} else {
		s->ntrain = n;
		for (int i = 0; i < n; i++)
			s->train_idx[i] = i;
		s->nval = o->val ? s->val.n : 0;
		for (int i = 0; i < s->nval; i++)
			s->val_idx[i] = i;
	}
	const int nclasses = s->train.nclasses;
	fprintf(stderr, "model %s: %d features -> %d classes (%s head); data: %d train, %d validation samples, %d classes\n",
	        t->name, F, K, t->replaced ? "fresh" : "the model's", s->ntrain, s->nval, nclasses);
	if (blk)
		fprintf(stderr, "unfrozen block from '%s' (%d floats a sample): %zu parameters at %g x the rate\n", blk->cut, D,
		        blk->nparams, o->block_lr);
	if (nclasses != K)
		fprintf(stderr, "note: the data has %d classes, the head %d outputs\n", nclasses, K);

	/* ---- trunk ---- */
	Trunk *k = &s->trunk;
	k->t = t;
	k->tf.channels = t->in_shape[0];
	k->tf.crop_h = t->in_shape[1];
	k->tf.crop_w = t->in_shape[2];
	k->tf.resize = o->resize;
	k->tf.scale_min = (float)o->augment_scale;
	memcpy(k->tf.mean, o->mean, sizeof o->mean);
	memcpy(k->tf.std, o->std, sizeof o->std);
	k->in_numel = (size_t)t->in_shape[0] * t->in_shape[1] * t->in_shape[2];
	k->D = (size_t)D;
	k->chunk = 64;
	k->nthreads = 1;
#ifdef _OPENMP
	k->nthreads = omp_get_max_threads() < 64 ? omp_get_max_threads() : 64;
#endif
	k->in = malloc(sizeof(float) * k->in_numel * (size_t)k->chunk);
	k->ws = calloc((size_t)k->nthreads, sizeof *k->ws);
	for (int i = 0; k->ws && i < k->nthreads; i++)
		if (!(k->ws[i] = malloc(t->workspace_size(t->batched ? (k->chunk + k->nthreads - 1) / k->nthreads : 1) + 1)))
			return fail("out of memory (model workspaces)");
	const int B = o->batch;
	s->batch_feat = malloc(sizeof(float) * (size_t)B * D);
	s->batch_lab = malloc(sizeof(int) * (size_t)B);
	s->logits = malloc(sizeof(float) * (size_t)(B > 256 ? B : 256) * K);
	s->dlogits = malloc(sizeof(float) * (size_t)B * K);
	s->order = malloc(sizeof(int) * (size_t)s->ntrain);
	s->train_lab = malloc(sizeof(int) * (size_t)s->ntrain);
	s->val_lab = malloc(sizeof(int) * (size_t)(s->nval ? s->nval : 1));
	s->val_feat = malloc(sizeof(float) * (size_t)(s->nval ? s->nval : 1) * D);
	if (!o->augment)
		s->train_feat = malloc(sizeof(float) * (size_t)s->ntrain * D);
	if (blk) {
		s->acts = malloc(sizeof(float) * blk->acts_size(B) + 1);
		s->dacts = malloc(sizeof(float) * blk->acts_size(B) + 1);
		s->bfeat = malloc(sizeof(float) * (size_t)B * F);
		s->dfeat = malloc(sizeof(float) * (size_t)B * F);
		s->val_f = malloc(sizeof(float) * (size_t)(s->nval ? s->nval : 1) * F);
		if (!s->acts || !s->dacts || !s->bfeat || !s->dfeat || !s->val_f)
			return fail("out of memory (block activations)");
	}
	if (!k->in || !k->ws || !s->batch_feat || !s->batch_lab || !s->logits || !s->dlogits || !s->order ||
	    !s->train_lab || !s->val_lab || !s->val_feat || (!o->augment && !s->train_feat))
		return fail("out of memory (features)");

	/* ---- the one-time feature pass ---- */
	const double t_feat = now();
	if (!o->augment && (rc = cache_all(k, &s->train, s->train_idx, s->ntrain, s->train_feat, s->train_lab, "train")))
		return rc;
	if (o->augment) /* labels still come from the data, without decoding images */
		for (int i = 0; i < s->ntrain; i++)
			s->train_lab[i] = s->train.labels[s->train_idx[i]];
	if (s->nval && (rc = cache_all(k, vd, s->val_idx, s->nval, s->val_feat, s->val_lab, "validation")))
		return rc;
	const double feat_seconds = now() - t_feat;
	if (dump(o, "train_feat.f32", s->train_feat ? s->train_feat : s->val_feat,
	         s->train_feat ? sizeof(float) * (size_t)s->ntrain * D : 0) ||
	    dump(o, "train_labels.i32", s->train_lab, sizeof(int) * (size_t)s->ntrain) ||
	    dump(o, "val_feat.f32", s->val_feat, sizeof(float) * (size_t)s->nval * D))
		return 1;

	/* ---- parameters [W | b | block | block statistics], gradients, optimizer ---- */
	float *pp[4], *gp[4];
	const size_t sizes[4] = { (size_t)K * F, (size_t)K, blk ? blk->nparams : 0, blk ? blk->nstats : 0 };
	const int ntensors = blk ? 4 : 2;
	size_t total = 0;
	s->params = rt_flat_alloc(pp, sizes, ntensors, &total);
	s->grads = rt_flat_alloc(gp, sizes, ntensors, &total);
	if (!s->params || !s->grads)
		return fail("out of memory (parameters)");
	s->nparams = total;
	s->W = pp[0], s->b = pp[1], s->dW = gp[0], s->db = gp[1];
	if (blk) {
		s->bp = pp[2], s->bg = gp[2], s->bs = pp[3];
		memcpy(s->bp, blk->init, sizeof(float) * blk->nparams);
		memcpy(s->bs, blk->stats_init, sizeof(float) * blk->nstats);
	}
	RtRng rng;
	rt_rng_seed(&rng, o->seed);
	if (t->replaced) { /* torch.nn.Linear's default: U(-1/sqrt(F), 1/sqrt(F)) for weight and bias */
		const float bound = 1.0f / sqrtf((float)F);
		for (size_t i = 0; i < sizes[0]; i++)
			s->W[i] = (2.0f * rt_rng_float(&rng) - 1.0f) * bound;
		for (int i = 0; i < K; i++)
			s->b[i] = t->has_bias ? (2.0f * rt_rng_float(&rng) - 1.0f) * bound : 0.0f;
	} else {
		memcpy(s->W, t->head_weight, sizeof(float) * sizes[0]);
		memcpy(s->b, t->head_bias, sizeof(float) * (size_t)K);
	}
	rc = !strcmp(o->optim, "sgd") ? rt_sgd_init(&s->opt, total, o->momentum, 0.0, o->nesterov, o->wd)
	                              : rt_adamw_init(&s->opt, total, 0.9, 0.999, 1e-8, o->wd);
	if (rc)
		return fail(rt_error());
	/* the head at the rate (without a bias in the model, only its weight: there is nothing to export a
	 * bias into); the block at block_lr times it */
	RtGroup groups[2] = { { 0, t->has_bias ? (size_t)(s->b - s->params) + (size_t)K : sizes[0], 1.0, o->wd },
	                      { blk ? (size_t)(s->bp - s->params) : 0, blk ? (size_t)(s->bp - s->params) + blk->nparams : 0,
	                        o->block_lr, o->wd } };
	if (!t->has_bias || blk) {
		s->opt.groups = groups;
		s->opt.ngroups = blk ? 2 : 1;
	}
	RtSched sched;
	if ((rc = make_schedule(&sched, o)))
		return rc;

	long epoch0 = 0, step = 0;
	if (o->resume) {
		struct stat st;
		if (stat(o->checkpoint, &st) != 0) {
			fprintf(stderr, "note: --resume: no checkpoint '%s' yet, starting from epoch 1\n", o->checkpoint);
		} else {
			if (rt_checkpoint_load(o->checkpoint, s->params, total, s->opt.state, rt_optim_state_size(&s->opt),
			                       &epoch0, &step, &rng))
				return fail(rt_error());
			s->opt.step = step;
			fprintf(stderr, "resumed from '%s' after epoch %ld (step %ld)\n", o->checkpoint, epoch0, step);
		}
	}
	if (dump(o, "head0.f32", s->params, sizeof(float) * total) || dump_layout(o, s, blk, K, F))
		return 1;
	if (rt_log_open(&s->log, o->log))
		return fail(rt_error());

	/* ---- epochs ---- */
	const long steps = (s->ntrain + B - 1) / B;
	double train_seconds = 0;
	for (long e = epoch0; e < o->epochs; e++) {
		const double t0 = now(), lr = rt_sched_lr(&sched, e);
		for (int i = 0; i < s->ntrain; i++)
			s->order[i] = i;
		if (!o->no_shuffle)
			rt_shuffle(s->order, s->ntrain, &rng);
		if (o->dump) {
			char name[64];
			snprintf(name, sizeof name, "order_%ld.i32", e);
			if (dump(o, name, s->order, sizeof(int) * (size_t)s->ntrain))
				return 1;
		}
		double loss_sum = 0;
		long correct = 0;
		for (long st = 0; st < steps; st++) {
			const int s0 = (int)(st * B), b = s->ntrain - s0 < B ? s->ntrain - s0 : B;
			if (o->augment) {
				int idx[4096], lab[4096];
				for (int j = 0; j < b; j += 4096) {
					const int m = b - j < 4096 ? b - j : 4096;
					for (int q = 0; q < m; q++)
						idx[q] = s->train_idx[s->order[s0 + j + q]];
					k->tf.random_resized_crop = k->tf.random_flip = 1;
					rc = trunk_features(k, &s->train, idx, m, &rng, s->batch_feat + (size_t)j * D, lab);
					k->tf.random_resized_crop = k->tf.random_flip = 0;
					if (rc)
						return rc;
					memcpy(s->batch_lab + j, lab, sizeof(int) * (size_t)m);
				}
			} else { /* the batch from the cache (a block's input can be megabytes: threads) */
				RT_OMP(parallel for schedule(static) if((double)b * D > 2e5))
				for (int j = 0; j < b; j++) {
					const int i = s->order[s0 + j];
					memcpy(s->batch_feat + (size_t)j * D, s->train_feat + (size_t)i * D, sizeof(float) * (size_t)D);
					s->batch_lab[j] = s->train_lab[i];
				}
			}
			float loss;
			const float *feat = s->batch_feat;
			if (blk) {
				if ((rc = blk->forward(s->acts, s->bp, s->bs, o->bn_train ? (float)o->bn_momentum : -1.0f, b,
				                       s->batch_feat, s->bfeat)))
					return fail(rt_error());
				feat = s->bfeat;
				memset(s->dfeat, 0, sizeof(float) * (size_t)b * F);
			}
			rt_linear_forward(s->logits, feat, s->W, s->b, b, F, K);
			if (rt_softmax_xent(&loss, NULL, s->dlogits, s->logits, s->batch_lab, b, K, (float)o->smoothing))
				return fail(rt_error());
			memset(s->grads, 0, sizeof(float) * total);
			rt_linear_backward(blk ? s->dfeat : NULL, s->dW, t->has_bias ? s->db : NULL, s->dlogits, feat, s->W, b, F,
			                   K);
			if (blk && (rc = blk->backward(s->bg, s->dacts, s->acts, s->bp, s->bs, o->bn_train, b, s->batch_feat,
			                               s->dfeat)))
				return fail(rt_error());
			if (o->dump && e == 0 && st == 0 &&
			    (dump(o, "step0_logits.f32", s->logits, sizeof(float) * (size_t)b * K) ||
			     dump(o, "step0_loss.f32", &loss, sizeof loss) || dump(o, "step0_grad.f32", s->grads, sizeof(float) * total)))
				return 1;
			rt_optim_step(&s->opt, s->params, s->grads, lr);
			step++;
			loss_sum += (double)loss * b;
			correct += rt_topk_correct(s->logits, s->batch_lab, b, K, 1);
			if (st % 16 == 15 || st + 1 == steps)
				rt_progress(stderr, (int)e + 1, o->epochs, st + 1, steps, loss_sum / (s0 + b),
				            100.0 * (double)correct / (s0 + b));
		}
		const double dt = now() - t0;
		train_seconds += dt;
		RtLogRow row = { (int)e + 1, loss_sum / s->ntrain, 100.0 * (double)correct / s->ntrain, NAN, NAN, lr, dt };
		int top1 = 0, top5 = 0;
		if (s->nval) {
			const float *vf = s->val_feat;
			if (blk) { /* the block changed: its features of the cached validation inputs, anew */
				for (int v = 0; v < s->nval; v += B) {
					const int m = s->nval - v < B ? s->nval - v : B;
					if ((rc = blk->forward(s->acts, s->bp, s->bs, -1.0f, m, s->val_feat + (size_t)v * D,
					                       s->val_f + (size_t)v * F)))
						return fail(rt_error());
				}
				vf = s->val_f;
			}
			evaluate(s->W, s->b, vf, s->val_lab, s->nval, F, K, s->logits, &row.val_loss, &top1, &top5);
			row.val_acc = 100.0 * top1 / s->nval;
		}
		fprintf(stderr, "epoch %ld/%d: train loss %.4f acc %.2f%%", e + 1, o->epochs, row.train_loss, row.train_acc);
		if (s->nval) {
			fprintf(stderr, " | val loss %.4f acc %.2f%%", row.val_loss, row.val_acc);
			if (K >= 5)
				fprintf(stderr, " top-5 %.2f%%", 100.0 * top5 / s->nval);
		}
		fprintf(stderr, " | lr %.3g | %.3f s\n", lr, dt);
		if (rt_log_epoch(&s->log, &row))
			return fail(rt_error());
		if (o->checkpoint) {
			RtCheckpoint c = { s->params, total, s->opt.state, rt_optim_state_size(&s->opt), e + 1, step, rng };
			if (rt_checkpoint_save(o->checkpoint, &c))
				return fail(rt_error());
		}
		if (o->plot && rt_log_svg(&s->log, o->plot))
			return fail(rt_error());
	}
	if (dump(o, "head_final.f32", s->params, sizeof(float) * total))
		return 1;
	const long ep = o->epochs - epoch0;
	/* machine-readable summary on stdout (the demo script reads it) */
	printf("feature_pass_seconds %.4f\n", feat_seconds);
	printf("epochs %ld\nseconds_per_epoch %.6f\n", ep, ep > 0 ? train_seconds / (double)ep : 0.0);
	printf("seconds_per_step %.6f\n", ep > 0 ? train_seconds / (double)(ep * steps) : 0.0);
	if (s->nval && ep > 0)
		printf("val_acc %.4f\n", s->log.rows[s->log.n - 1].val_acc);
	if (o->export_path || o->deploy)
		return export_and_deploy(o, t, s);
	return 0;
}

int rt_trainer_main(int argc, char **argv, const RtTrunk *t)
{
	Opts o;
	int rc = rt_trainer_parse_opts(&o, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	State s;
	memset(&s, 0, sizeof s);
	rc = run(&o, t, &s);
	state_free(&s);
	return rc;
}
