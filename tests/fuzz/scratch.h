/*
 * scratch.h - for the runtime harnesses: a scratch folder (on tmpfs when
 * there is one) removed at exit, and writing a fuzz input into a file there,
 * since the runtime's readers take paths.
 */
#ifndef ONNX2C_FUZZ_SCRATCH_H
#define ONNX2C_FUZZ_SCRATCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCRATCH_MAX 8
static char scratch_dir[64];
static char scratch_files[SCRATCH_MAX][96];
static int scratch_n;

static void scratch_remove(void)
{
	for (int i = 0; i < scratch_n; i++) {
		unlink(scratch_files[i]);
		char tmp[104];
		snprintf(tmp, sizeof tmp, "%s.tmp", scratch_files[i]);
		unlink(tmp);
	}
	rmdir(scratch_dir);
}

static void scratch_init(void)
{
	strcpy(scratch_dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/o2c_fuzz_XXXXXX" : "/tmp/o2c_fuzz_XXXXXX");
	if (!mkdtemp(scratch_dir)) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(scratch_remove);
}

/* The path of scratch file `name` (registered for removal at exit). */
static const char *scratch_path(const char *name)
{
	for (int i = 0; i < scratch_n; i++)
		if (!strcmp(strrchr(scratch_files[i], '/') + 1, name))
			return scratch_files[i];
	if (scratch_n == SCRATCH_MAX)
		abort();
	snprintf(scratch_files[scratch_n], sizeof scratch_files[0], "%s/%s", scratch_dir, name);
	return scratch_files[scratch_n++];
}

static const char *scratch_write(const char *name, const uint8_t *data, size_t n)
{
	const char *path = scratch_path(name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
		perror(path);
		abort();
	}
	return path;
}

#endif
