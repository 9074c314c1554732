/*
 * fuzz_weights.c - libFuzzer harness for the weights loader of a model
 * compiled with onnx2c --weights (emit_weights.c's generated
 * PREFIX_bind_weights and PREFIX_load_weights_file), here tiny_cnn as fw.c,
 * generated at build time by tests/fuzz.cmake.
 *
 * Input: a weights file.  It is bound from a 64-byte aligned copy of exactly
 * its size (so ASan sees any read past the end), then loaded from a file;
 * every status must be one the header lists, and when the weights bind, the
 * model runs on them.  Seeds: tests/fuzz/weights/ and the build's own valid
 * fw.bin (copied into the corpus: a committed one would go stale with every
 * change to the kernels, which the model hash covers).
 */
#define _XOPEN_SOURCE 700
#include "fw.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_scratch(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	int fd;
	strcpy(path, access("/dev/shm", W_OK) == 0 ? "/dev/shm/o2c_fuzz_wXXXXXX" : "/tmp/o2c_fuzz_wXXXXXX");
	if ((fd = mkstemp(path)) < 0) {
		perror("fuzz_weights: mkstemp");
		exit(1);
	}
	close(fd);
	atexit(remove_scratch);
	return 0;
}

static void check_status(int s)
{
	if (s != 0 && s != FW_EINVAL && s != FW_EFORMAT && s != FW_EVERSION && s != FW_EFOREIGN &&
	    s != FW_ETRUNCATED && s != FW_EALIGN && s != FW_ECORRUPT && s != FW_EIO && s != FW_ENOMEM)
		abort();
	if (!fw_status_str(s)[0])
		abort();
}

static void run_once(void)
{
	static float in[FW_INPUT0_SAMPLE_SIZE], out[FW_OUTPUT0_SAMPLE_SIZE];
	void *ws = malloc(fw_workspace_size(1));
	if (!ws || fw_run(ws, 1, in, out))
		abort();
	free(ws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *b = NULL;
	if (posix_memalign(&b, 64, size ? size : 1))
		return 0;
	memcpy(b, data, size);
	int s = fw_bind_weights(b, size);
	check_status(s);
	if (s == 0)
		run_once();
	FILE *f = fopen(path, "wb");
	if (f) {
		size_t w = fwrite(data, 1, size, f);
		fclose(f);
		if (w == size) {
			int l = fw_load_weights_file(path);
			check_status(l);
			if (l != s) /* the same bytes, the same verdict */
				abort();
			if (l == 0)
				run_once(); /* now on the loader's copy: b is about to go */
		}
	}
	/* a later run must not read freed memory: rebind the loader's copy or nothing */
	if (s == 0 && fw_load_weights_file(path) != 0)
		abort();
	free(b);
	return 0;
}
