/*
 * test_rt_io.c - checkpoints (round trip of parameters, optimizer state,
 * progress and RNG; a resumed run continues exactly; corrupt, truncated,
 * foreign and mismatched files refused without touching the caller's
 * buffers; no temp file left) and training logs (CSV rows, SVG plot,
 * progress line), and the feature cache.
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/stat.h>
#include <unistd.h>

#include "rt_test.h"

static char dir[512];

static int setup(void)
{
	const char *base = getenv("RT_TMP_DIR");
	if (base)
		mkdir(base, 0755);
	snprintf(dir, sizeof dir, "%s/rt_io_XXXXXX", base ? base : "/tmp");
	return mkdtemp(dir) ? 0 : 1;
}

static int teardown(void) { return 0; }

static long file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void flip_byte(const char *p, long off)
{
	FILE *f = fopen(p, "r+b");
	fseek(f, off, SEEK_SET);
	const int c = fgetc(f);
	fseek(f, off, SEEK_SET);
	fputc(c ^ 0x10, f);
	fclose(f);
}

static void copy_file(const char *from, const char *to, long bytes)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	for (long i = 0; i < bytes; i++)
		fputc(fgetc(a), b);
	fclose(a);
	fclose(b);
}

/* Training a linear head: 3 steps, checkpoint, 3 more steps == restore, 3 more steps. */
static void train(float *params, RtOptim *o, int steps, RtRng *r)
{
	float x[4 * 3], g[2 * 3 + 2], logits[8], dl[8];
	int y[4];
	for (int s = 0; s < steps; s++) {
		for (int i = 0; i < 12; i++)
			x[i] = rt_test_rand(r);
		for (int i = 0; i < 4; i++)
			y[i] = (int)rt_rng_below(r, 2);
		memset(g, 0, sizeof g);
		rt_linear_forward(logits, x, params, params + 6, 4, 3, 2);
		rt_softmax_xent(NULL, NULL, dl, logits, y, 4, 2, 0.0f);
		rt_linear_backward(NULL, g, g + 6, dl, x, params, 4, 3, 2);
		rt_optim_step(o, params, g, 0.1);
	}
}

static void test_checkpoint(void)
{
	char path[600], tmp[620], bad[620];
	snprintf(path, sizeof path, "%s/run.ckpt", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	snprintf(bad, sizeof bad, "%s/bad.ckpt", dir);
	float params[8] = {0.1f, -0.2f, 0.3f, 0.05f, -0.1f, 0.2f, 0.0f, 0.0f};
	RtOptim o;
	RtRng r;
	rt_rng_seed(&r, 11);
	CU_ASSERT_EQUAL_FATAL(rt_adamw_init(&o, 8, 0.9, 0.999, 1e-8, 0.01), RT_OK);
	train(params, &o, 3, &r);
	const RtCheckpoint c = {params, 8, o.state, rt_optim_state_size(&o), 1, o.step, r};
	CU_ASSERT_EQUAL_FATAL(rt_checkpoint_save(path, &c), RT_OK);
	CU_ASSERT_EQUAL(access(tmp, F_OK), -1); /* renamed into place */
	train(params, &o, 3, &r); /* the uninterrupted run */

	/* resume into fresh buffers and continue: bit-identical */
	float p2[8];
	RtOptim o2;
	RtRng r2;
	long epoch, step;
	CU_ASSERT_EQUAL_FATAL(rt_adamw_init(&o2, 8, 0.9, 0.999, 1e-8, 0.01), RT_OK);
	CU_ASSERT_EQUAL_FATAL(rt_checkpoint_load(path, p2, 8, o2.state, 16, &epoch, &step, &r2), RT_OK);
	CU_ASSERT(epoch == 1 && step == 3);
	o2.step = step;
	train(p2, &o2, 3, &r2);
	CU_ASSERT(!memcmp(p2, params, sizeof p2));
	CU_ASSERT(!memcmp(o2.state, o.state, 16 * sizeof(float)));

	/* refusals, each leaving the buffers as they were */
	float keep[8], st[16];
	memcpy(keep, p2, sizeof keep);
	const long size = file_size(path);
	CU_ASSERT_EQUAL(size, 88 + 24 * 4); /* header + 8 params + 16 state */
	CU_ASSERT_EQUAL(rt_checkpoint_load(path, p2, 7, st, 16, &epoch, &step, &r2), RT_ERR_MISMATCH);
	CU_ASSERT(strstr(rt_error(), "holds 8 parameters") != NULL);
	copy_file(path, bad, size);
	flip_byte(bad, size - 5); /* a payload bit */
	CU_ASSERT_EQUAL(rt_checkpoint_load(bad, p2, 8, st, 16, &epoch, &step, &r2), RT_ERR_FORMAT);
	CU_ASSERT(strstr(rt_error(), "corrupt") != NULL);
	copy_file(path, bad, size);
	flip_byte(bad, 32); /* the epoch */
	CU_ASSERT_EQUAL(rt_checkpoint_load(bad, p2, 8, st, 16, &epoch, &step, &r2), RT_ERR_FORMAT);
	copy_file(path, bad, size - 4); /* truncated */
	CU_ASSERT_EQUAL(rt_checkpoint_load(bad, p2, 8, st, 16, &epoch, &step, &r2), RT_ERR_FORMAT);
	CU_ASSERT(strstr(rt_error(), "truncated") != NULL);
	copy_file(path, bad, size);
	flip_byte(bad, 0); /* magic */
	CU_ASSERT_EQUAL(rt_checkpoint_load(bad, p2, 8, st, 16, &epoch, &step, &r2), RT_ERR_FORMAT);
	CU_ASSERT(strstr(rt_error(), "bad magic") != NULL);
	CU_ASSERT(!memcmp(keep, p2, sizeof keep));
	snprintf(bad, sizeof bad, "%s/none.ckpt", dir);
	CU_ASSERT_EQUAL(rt_checkpoint_load(bad, p2, 8, st, 16, &epoch, &step, &r2), RT_ERR_IO);
	/* an unwritable destination fails cleanly */
	snprintf(bad, sizeof bad, "%s/no/such/dir.ckpt", dir);
	CU_ASSERT_EQUAL(rt_checkpoint_save(bad, &c), RT_ERR_IO);
	rt_optim_free(&o);
	rt_optim_free(&o2);
}

static void test_log(void)
{
	char csv[600], svg[600];
	snprintf(csv, sizeof csv, "%s/train.csv", dir);
	snprintf(svg, sizeof svg, "%s/train.svg", dir);
	RtLog l;
	CU_ASSERT_EQUAL_FATAL(rt_log_open(&l, csv), RT_OK);
	for (int e = 1; e <= 5; e++) {
		const RtLogRow row = {e, 2.0 / e, 50 + 8 * e, e == 3 ? NAN : 2.2 / e, 45 + 8 * e, 0.1 / e, 1.5};
		CU_ASSERT_EQUAL(rt_log_epoch(&l, &row), RT_OK);
	}
	CU_ASSERT_EQUAL(rt_log_svg(&l, svg), RT_OK);
	rt_log_close(&l);
	FILE *f = fopen(csv, "r");
	char line[256];
	int rows = 0, ep;
	double tl, ta;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(fgets(line, sizeof line, f) && !strcmp(line, "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds\n"));
	while (fgets(line, sizeof line, f)) {
		rows++;
		CU_ASSERT(sscanf(line, "%d,%lf,%lf", &ep, &tl, &ta) == 3 && ep == rows && fabs(tl - 2.0 / rows) < 1e-9);
	}
	fclose(f);
	CU_ASSERT_EQUAL(rows, 5);
	f = fopen(svg, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	static char text[16384];
	const size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = 0;
	CU_ASSERT(!strncmp(text, "<svg", 4) && strstr(text, "</svg>") != NULL);
	int polylines = 0;
	for (const char *p = text; (p = strstr(p, "<polyline")); p++)
		polylines++;
	CU_ASSERT_EQUAL(polylines, 4);
	/* the loss axis runs to 5 (the nice bound of 2.2): train loss 2.0 at epoch 1 is at x 50, y 30 + 240 * (1 - 2/5) */
	CU_ASSERT(strstr(text, "points=\"50.0,174.0 ") != NULL);
	CU_ASSERT(strstr(text, "nan") == NULL); /* the missing val point is skipped, not drawn */

	/* the progress line */
	FILE *m = tmpfile();
	rt_progress(m, 2, 10, 12, 24, 0.5, 81.25);
	rewind(m);
	const size_t k = fread(line, 1, sizeof line - 1, m);
	line[k] = 0;
	fclose(m);
	CU_ASSERT_STRING_EQUAL(line, "\repoch 2/10 [############------------] 12/24 loss 0.5000 acc 81.25%");
}

/* The feature cache hands out disjoint slots and remembers which are filled. */
static void test_cache(void)
{
	RtCache c;
	CU_ASSERT_EQUAL_FATAL(rt_cache_init(&c, 3, 5), RT_OK);
	CU_ASSERT(!rt_cache_has(&c, 1));
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 5; k++)
			rt_cache_slot(&c, i)[k] = (float)(10 * i + k);
	rt_cache_mark(&c, 1);
	CU_ASSERT(rt_cache_has(&c, 1) && !rt_cache_has(&c, 0) && !rt_cache_has(&c, 2));
	CU_ASSERT_EQUAL(rt_cache_slot(&c, 1)[4], 14.0f);
	CU_ASSERT_EQUAL(rt_cache_slot(&c, 2)[0], 20.0f);
	rt_cache_free(&c);
	CU_ASSERT_EQUAL(rt_cache_init(&c, 0, 5), RT_ERR_ARG);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("runtime checkpoints and logs", setup, teardown);
	CU_add_test(s, "checkpoint round trip, resume, refusals", test_checkpoint);
	CU_add_test(s, "CSV log, SVG plot, progress line", test_log);
	CU_add_test(s, "feature cache", test_cache);
	return rt_test_run();
}
