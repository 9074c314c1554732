/*
 * main.c - the smallest program that uses a generated model: read a batch of
 * raw float32 inputs, run, write raw float32 outputs.  It knows the model
 * only through the generated header (tiny.h, from onnx2c_add_model NAME tiny).
 *
 *   sample IN.f32 OUT.f32      IN holds whole samples back to back
 */
#include "tiny.h"

#include <stdio.h>
#include <stdlib.h>

#if TINY_NUM_INPUTS != 1 || TINY_NUM_OUTPUTS != 1
#error "this sample handles models with one input and one output"
#endif

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: sample IN.f32 OUT.f32\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long bytes = ftell(f);
	rewind(f);
	size_t sample = TINY_INPUT0_SAMPLE_SIZE;
	int batch = (int)((size_t)bytes / (sizeof(float) * sample));
	if (bytes <= 0 || (size_t)bytes != (size_t)batch * sample * sizeof(float) || (!TINY_BATCHED && batch != 1)) {
		fprintf(stderr, "%s: %ld bytes is not a whole batch of %zu-float samples\n", argv[1], bytes, sample);
		return 1;
	}
	float *in = malloc((size_t)bytes);
	float *out = malloc((size_t)batch * TINY_OUTPUT0_SAMPLE_SIZE * sizeof(float));
	/* The caller owns the workspace; its size depends on the batch. */
	void *ws = malloc(tiny_workspace_size(batch));
	if (!in || !out || !ws || fread(in, 1, (size_t)bytes, f) != (size_t)bytes) {
		fprintf(stderr, "%s: cannot read\n", argv[1]);
		return 1;
	}
	fclose(f);

	int status = tiny_run(ws, batch, in, out);
	if (status != 0) {
		fprintf(stderr, "tiny_run failed: status %d\n", status);
		return 1;
	}
	/* A second run through the vector form must give the same bits. */
	float *out2 = malloc((size_t)batch * TINY_OUTPUT0_SAMPLE_SIZE * sizeof(float));
	const float *ins[1] = { in };
	float *outs[1] = { out2 };
	if (!out2 || tiny_run_v(ws, batch, ins, outs) != 0) {
		fprintf(stderr, "tiny_run_v failed\n");
		return 1;
	}
	for (size_t i = 0; i < (size_t)batch * TINY_OUTPUT0_SAMPLE_SIZE; i++)
		if (out[i] != out2[i]) {
			fprintf(stderr, "tiny_run and tiny_run_v differ at %zu\n", i);
			return 1;
		}
	if (tiny_run(NULL, batch, in, out) != TINY_EINVAL) {
		fprintf(stderr, "tiny_run accepted a NULL workspace\n");
		return 1;
	}

	FILE *o = fopen(argv[2], "wb");
	if (!o || fwrite(out, sizeof(float), (size_t)batch * TINY_OUTPUT0_SAMPLE_SIZE, o) !=
	                  (size_t)batch * TINY_OUTPUT0_SAMPLE_SIZE || fclose(o) != 0) {
		perror(argv[2]);
		return 1;
	}
	printf("sample: ran %d sample(s) of %s\n", batch, argv[1]);
	free(in);
	free(out);
	free(out2);
	free(ws);
	return 0;
}
