/*
 * test_weights.c - external weights (onnx2c --weights): tiny_cnn compiled
 * with its weights in a file (wt.c, wt.bin), against the same model with the
 * weights embedded (we.c).  Built by tests/weights.cmake with ASan+UBSan where
 * the compiler has them.
 *   - no weights bound: run returns WT_ENOWEIGHTS; a NULL blob is WT_EINVAL
 *   - bound from memory and from the file: outputs identical to the embedded build
 *   - every truncation, every flipped bit of the header and section table, a
 *     flipped data byte, a misaligned copy, another version, weights compiled
 *     with other options (wf.bin): a status, never a crash, the old binding kept
 *   - several threads run at once on one bound blob
 * usage: test_weights WT.BIN FOREIGN.BIN
 */
#include "we.h"
#include "wt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int fails, checks;
#define CHECK(c, ...) do { checks++; if (!(c)) { fails++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static unsigned char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = aligned_alloc(64, (*n + 64) / 64 * 64);
	if (!b || fread(b, 1, *n, f) != *n)
		exit(2);
	fclose(f);
	return b;
}

enum { B = 3 };
static float in[B * WE_INPUT0_SAMPLE_SIZE], ref[B * WE_OUTPUT0_SAMPLE_SIZE];

/* Runs wt on the test input; 0 when its outputs equal the embedded build's bit for bit. */
static int run_same(int *status)
{
	float out[B * WT_OUTPUT0_SAMPLE_SIZE];
	void *ws = malloc(wt_workspace_size(B));
	memset(out, 0, sizeof out);
	*status = wt_run(ws, B, in, out);
	free(ws);
	return *status == 0 && !memcmp(out, ref, sizeof out);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_weights WT.BIN FOREIGN.BIN\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		in[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
	void *ws = malloc(we_workspace_size(B));
	if (we_run(ws, B, in, ref))
		return 2;
	free(ws);

	size_t n, nf;
	unsigned char *good = read_file(argv[1], &n), *foreign = read_file(argv[2], &nf);
	unsigned char *copy = aligned_alloc(64, (n + 128) / 64 * 64);
	int st;

	/* nothing bound yet */
	CHECK(!run_same(&st) && st == WT_ENOWEIGHTS, "run before binding: status %d, want WT_ENOWEIGHTS", st);
	CHECK(wt_bind_weights(NULL, n) == WT_EINVAL, "NULL blob");
	CHECK(wt_load_weights_file("/nonexistent/wt.bin") == WT_EIO, "missing file");
	CHECK(!run_same(&st) && st == WT_ENOWEIGHTS, "a failed bind binds nothing: status %d", st);

	/* every truncation is refused */
	for (size_t k = 0; k < n; k++) {
		memcpy(copy, good, k);
		int s = wt_bind_weights(copy, k);
		CHECK(s == WT_ETRUNCATED || s == WT_EFORMAT, "truncated to %zu bytes: status %d (%s)", k, s, wt_status_str(s));
	}
	/* another model's code (the same model at -O0) refuses these weights, and this code refuses its */
	CHECK(wt_bind_weights(foreign, nf) == WT_EFOREIGN, "foreign weights: status %d", wt_bind_weights(foreign, nf));

	/* every bit of the header and the section table, one at a time */
	size_t data = 0;
	for (int i = 0; i < 8; i++)
		data |= (size_t)good[32 + i] << (8 * i);
	CHECK(data % 64 == 0 && data >= 64 && data < n, "data offset %zu", data);
	/* the options record (onnx2c --weights without -o reads it): after the table, NUL-ended
	 * arguments, padded to 8 bytes, then their hash */
	size_t opt = 0, sections = (size_t)(good[12] | good[13] << 8);
	for (int i = 0; i < 8; i++)
		opt |= (size_t)good[56 + i] << (8 * i);
	size_t options_at = 64 + 16 * sections, options_end = options_at + (opt + 7) / 8 * 8 + 8;
	CHECK(opt > 0 && options_end <= data, "options record: %zu bytes", opt);
	CHECK(opt >= 10 && !memcmp(good + options_at + opt - 10, "--name\0wt\0", 10),
	      "the options record ends with --name wt");
	for (size_t k = 0; k < data; k++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, good, n);
			copy[k] ^= (unsigned char)(1u << bit);
			int s = wt_bind_weights(copy, n);
			/* the high bytes of a size are not all checked one by one, but every change is
			 * refused by one check or another (the padding before the data must be zero) */
			CHECK(s != 0, "byte %zu bit %d flipped: bound", k, bit);
			CHECK(s == 0 || s == WT_EFORMAT || s == WT_EVERSION || s == WT_EFOREIGN || s == WT_ETRUNCATED ||
			      s == WT_ECORRUPT || s == WT_EALIGN, "byte %zu bit %d: status %d", k, bit, s);
		}
	/* a flipped data byte, first and last */
	memcpy(copy, good, n);
	copy[data] ^= 0x40;
	CHECK(wt_bind_weights(copy, n) == WT_ECORRUPT, "first data byte flipped");
	memcpy(copy, good, n);
	copy[n - 1] ^= 0x01;
	CHECK(wt_bind_weights(copy, n) == WT_ECORRUPT, "last data byte flipped");
	/* another format version */
	memcpy(copy, good, n);
	copy[8] = 3;
	CHECK(wt_bind_weights(copy, n) == WT_EVERSION, "version 3");
	copy[8] = 1;
	CHECK(wt_bind_weights(copy, n) == WT_EVERSION, "version 1 (before the options record)");
	/* misaligned in memory */
	memcpy(copy + 4, good, n);
	CHECK(wt_bind_weights(copy + 4, n) == WT_EALIGN, "misaligned");
	CHECK(!run_same(&st) && st == WT_ENOWEIGHTS, "no bad blob got bound: status %d", st);

	/* bound from memory: the same outputs as the embedded build */
	memcpy(copy, good, n);
	CHECK(wt_bind_weights(copy, n) == 0, "good weights refused");
	CHECK(run_same(&st), "bound weights: status %d or outputs differ from the embedded build", st);
	/* a failed bind keeps the binding */
	CHECK(wt_bind_weights(foreign, nf) == WT_EFOREIGN, "foreign after good");
	CHECK(run_same(&st), "the old binding survives a refused one (status %d)", st);
	/* several threads, one blob, a workspace each */
	int bad = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(4) reduction(+ : bad)
#endif
	for (int r = 0; r < 20; r++) {
		int s;
		bad += !run_same(&s);
	}
	CHECK(!bad, "%d threaded runs differ", bad);
	/* from the file */
	CHECK(wt_load_weights_file(argv[1]) == 0, "wt_load_weights_file");
	memset(copy, 0, n); /* the file's copy is the loader's own */
	CHECK(run_same(&st), "loaded from the file: status %d or outputs differ", st);
	CHECK(wt_load_weights_file(argv[2]) == WT_EFOREIGN, "load foreign file");
	CHECK(run_same(&st), "the file binding survives a refused file");
	CHECK(strstr(wt_status_str(WT_ENOWEIGHTS), "wt_bind_weights") != NULL, "status text names the functions");

	free(good);
	free(foreign);
	free(copy);
	printf("%d checks, %d failed\n", checks, fails);
	return fails != 0;
}
