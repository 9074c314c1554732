/*
 * status.c - the runtime's error reporting and flat-buffer allocation.
 * Library code never prints: a failing call stores a message here and returns
 * a negative RtStatus; the CLI (or the test) prints rt_error().
 */
#define _POSIX_C_SOURCE 200809L /* posix_memalign */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "onnx2c_rt.h"

/* Per thread so that data loading on worker threads cannot garble messages. */
static _Thread_local char rt_msg[1024];

const char *rt_error(void) { return rt_msg; }

int rt_fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rt_msg, sizeof rt_msg, fmt, ap);
	va_end(ap);
	return code;
}

/* 16 floats = 64 bytes: every tensor starts on a cache line and an AVX-512 vector. */
#define RT_ALIGN 16

float *rt_flat_alloc(float **ptrs, const size_t *sizes, int n, size_t *total)
{
	size_t count = 0;
	for (int i = 0; i < n; i++)
		count += (sizes[i] + RT_ALIGN - 1) / RT_ALIGN * RT_ALIGN;
	float *base = NULL;
	if (posix_memalign((void **)&base, RT_ALIGN * sizeof(float), (count ? count : 1) * sizeof(float)) != 0) {
		rt_fail(RT_ERR_NOMEM, "cannot allocate %zu floats", count);
		return NULL;
	}
	memset(base, 0, count * sizeof(float));
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		ptrs[i] = base + off;
		off += (sizes[i] + RT_ALIGN - 1) / RT_ALIGN * RT_ALIGN;
	}
	if (total)
		*total = count;
	return base;
}

void rt_free(void *p) { free(p); }
