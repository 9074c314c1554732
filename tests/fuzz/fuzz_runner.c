/*
 * fuzz_runner.c - libFuzzer harness for the --main runner's TensorProto
 * reader (templates/runner.c), compiled here with tests/runner/fake_model.c's
 * model 1 (inputs x[N,3,4], z[N,4], w[2]; outputs y, u, v) in place of
 * emit.c's output, exactly as the runner tests build it.
 *
 * Input: up to three TensorProto files separated by the 4 bytes "\xffSEP"
 * (input_0.pb, input_1.pb, input_2.pb; a missing one is a missing file).
 * The runner's main() runs on them: reading and checking every input (dims,
 * batch, data type, raw_data vs float_data), running the fake model and
 * writing the outputs.  Seeds: tests/fuzz/runner/ (tests/fuzz/make_seeds.py).
 */
#define _XOPEN_SOURCE 700
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAKE_MODEL 1
#define main runner_main
#include "fake_model.c"
#undef main

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], in_dir[80], out_dir[80];
static char in_path[3][96], out_path[3][96];

static void remove_scratch(void)
{
	for (int k = 0; k < 3; k++) {
		unlink(in_path[k]);
		unlink(out_path[k]);
	}
	rmdir(in_dir);
	rmdir(out_dir);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	strcpy(dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/o2c_fuzz_XXXXXX" : "/tmp/o2c_fuzz_XXXXXX");
	if (!mkdtemp(dir)) {
		perror("fuzz_runner: mkdtemp");
		exit(1);
	}
	snprintf(in_dir, sizeof in_dir, "%s/in", dir);
	snprintf(out_dir, sizeof out_dir, "%s/out", dir);
	if (mkdir(in_dir, 0700) || mkdir(out_dir, 0700)) {
		perror("fuzz_runner: mkdir");
		exit(1);
	}
	for (int k = 0; k < 3; k++) {
		snprintf(in_path[k], sizeof in_path[k], "%s/input_%d.pb", in_dir, k);
		snprintf(out_path[k], sizeof out_path[k], "%s/output_%d.pb", out_dir, k);
	}
	atexit(remove_scratch);
	return 0;
}

static const unsigned char sep[4] = { 0xff, 'S', 'E', 'P' };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	for (int k = 0; k < 3; k++) {
		unlink(in_path[k]);
		if (!p)
			continue;
		const uint8_t *q = p;
		while (q + 4 <= end && memcmp(q, sep, 4))
			q++;
		size_t n = q + 4 <= end ? (size_t)(q - p) : (size_t)(end - p);
		FILE *f = fopen(in_path[k], "wb");
		if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
			perror("fuzz_runner: writing an input");
			abort();
		}
		p = q + 4 <= end ? q + 4 : NULL;
	}
	char prog[] = "fuzz_runner";
	char *argv[] = { prog, in_dir, out_dir, NULL };
	runner_main(3, argv);
	return 0;
}
