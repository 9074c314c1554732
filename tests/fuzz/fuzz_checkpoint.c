/*
 * fuzz_checkpoint.c - libFuzzer harness for the runtime's checkpoint reader
 * (runtime/checkpoint.c, rt_checkpoint_load).
 *
 * Every input is read twice: as it is, and (when it is at least a header
 * long) with its two CRC-32s recomputed, so that mutations get past the
 * checksums to the size, truncation and trailing-byte checks.  The reader is
 * given the parameter and state counts the header claims (when they are
 * small), so those paths run too.  Seeds: tests/fuzz/checkpoint/
 * (tests/fuzz/make_seeds.py, real checkpoints written by rt_checkpoint_save).
 */
#define _XOPEN_SOURCE 700
#include <zlib.h>

#include "onnx2c_rt.h"
#include "scratch.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 88 /* checkpoint.c's Header */
#define MAX_FLOATS 4096

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	scratch_init();
	return 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static void load(const char *path, size_t np, size_t ns)
{
	static float params[MAX_FLOATS], state[MAX_FLOATS];
	long epoch, step;
	RtRng rng;
	rt_checkpoint_load(path, params, np, state, ns, &epoch, &step, &rng);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t np = 3, ns = 0;
	if (size >= HEADER && le64(data + 16) <= MAX_FLOATS && le64(data + 24) <= MAX_FLOATS) {
		np = (size_t)le64(data + 16);
		ns = (size_t)le64(data + 24);
	}
	load(scratch_write("a.ckpt", data, size), np, ns);
	if (size < HEADER)
		return 0;
	uint8_t *fixed = malloc(size);
	memcpy(fixed, data, size);
	uint32_t crc = (uint32_t)crc32(0, fixed + HEADER, (uInt)(size - HEADER));
	memcpy(fixed + 80, &crc, 4);
	crc = (uint32_t)crc32(0, fixed, 84);
	memcpy(fixed + 84, &crc, 4);
	load(scratch_write("a.ckpt", fixed, size), np, ns);
	free(fixed);
	return 0;
}
