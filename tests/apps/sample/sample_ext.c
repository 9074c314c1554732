/*
 * sample_ext.c - a program whose models keep their weights out of the C
 * (onnx2c_add_model WEIGHTS external): tiny_ext reads its weights file,
 * tiny_linked has them linked in (LINK_WEIGHTS).
 *
 *   sample_ext file [WEIGHTS.bin] IN.f32 OUT.f32   (default: the file CMake put beside the program)
 *   sample_ext linked IN.f32 OUT.f32
 */
#include "tiny_ext.h"
#include "tiny_linked.h"
#include "tiny_linked_weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int file = argc >= 2 && !strcmp(argv[1], "file");
	if (!(file && (argc == 4 || argc == 5)) && !(argc == 4 && !strcmp(argv[1], "linked"))) {
		fprintf(stderr, "usage: sample_ext file [WEIGHTS.bin] IN.f32 OUT.f32 | linked IN.f32 OUT.f32\n");
		return 2;
	}
	const char *in_path = argv[argc - 2], *out_path = argv[argc - 1];
	/* before binding, a run is refused with a status */
	float dummy_in[TINY_EXT_INPUT0_SAMPLE_SIZE] = { 0 }, dummy_out[TINY_EXT_OUTPUT0_SAMPLE_SIZE];
	void *ws0 = malloc(tiny_ext_workspace_size(1));
	if (tiny_ext_run(ws0, 1, dummy_in, dummy_out) != TINY_EXT_ENOWEIGHTS) {
		fprintf(stderr, "tiny_ext ran without weights\n");
		return 1;
	}
	free(ws0);
	int status = file ? tiny_ext_load_weights_file(argc == 5 ? argv[2] : TINY_EXT_BIN) : tiny_linked_bind_linked_weights();
	if (status) {
		fprintf(stderr, "sample_ext: the weights: %s\n", file ? tiny_ext_status_str(status) : tiny_linked_status_str(status));
		return 1;
	}
	FILE *f = fopen(in_path, "rb");
	if (!f) {
		perror(in_path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long bytes = ftell(f);
	rewind(f);
	int batch = (int)((size_t)bytes / (sizeof(float) * TINY_EXT_INPUT0_SAMPLE_SIZE));
	float *in = malloc((size_t)bytes), *out = malloc((size_t)batch * TINY_EXT_OUTPUT0_SAMPLE_SIZE * sizeof(float));
	void *ws = malloc(file ? tiny_ext_workspace_size(batch) : tiny_linked_workspace_size(batch));
	if (batch < 1 || !in || !out || !ws || fread(in, 1, (size_t)bytes, f) != (size_t)bytes) {
		fprintf(stderr, "%s: cannot read a batch\n", in_path);
		return 1;
	}
	fclose(f);
	status = file ? tiny_ext_run(ws, batch, in, out) : tiny_linked_run(ws, batch, in, out);
	if (status) {
		fprintf(stderr, "run failed: status %d\n", status);
		return 1;
	}
	FILE *o = fopen(out_path, "wb");
	size_t n = (size_t)batch * TINY_EXT_OUTPUT0_SAMPLE_SIZE;
	if (!o || fwrite(out, sizeof(float), n, o) != n || fclose(o) != 0) {
		perror(out_path);
		return 1;
	}
	printf("sample_ext: ran %d sample(s) with %s weights\n", batch, file ? "file" : "linked");
	free(in);
	free(out);
	free(ws);
	return 0;
}
