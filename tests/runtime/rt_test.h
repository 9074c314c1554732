/*
 * rt_test.h - helpers for the runtime's CUnit tests: seeded random data,
 * reading the reference dumps torch_ref.py writes, and a tolerance check that
 * reports the worst element.  Header-only; each test includes it once.
 */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx2c_rt.h"

static inline float rt_test_rand(RtRng *r) { return rt_rng_float(r) * 2.0f - 1.0f; }

static inline float *rt_test_randn(size_t n, RtRng *r, float scale)
{
	float *p = malloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = rt_test_rand(r) * scale;
	return p;
}

/* |got - want| <= atol + rtol*|want| everywhere; prints the worst element on failure. */
static inline int rt_test_close(const char *what, const float *got, const float *want, size_t n, double rtol, double atol)
{
	size_t worst = 0;
	double excess = -1.0;
	for (size_t i = 0; i < n; i++) {
		const double d = fabs((double)got[i] - want[i]) - (atol + rtol * fabs((double)want[i]));
		if (d > excess || isnan(got[i])) {
			excess = isnan(got[i]) ? INFINITY : d;
			worst = i;
		}
	}
	if (excess > 0.0)
		fprintf(stderr, "\n  %s: element %zu is %.9g, expected %.9g (rtol %g, atol %g)\n", what, worst,
		        (double)got[worst], (double)want[worst], rtol, atol);
	return excess <= 0.0;
}

/* Reads OUTDIR/name (env RT_REF_DIR) of exactly `bytes` bytes into a new buffer (NULL if absent/wrong size). */
static inline void *rt_test_ref(const char *name, size_t bytes)
{
	const char *dir = getenv("RT_REF_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "\n  missing reference %s (run tests/runtime/torch_ref.py)\n", path);
		return NULL;
	}
	void *p = malloc(bytes + 1);
	const size_t got = fread(p, 1, bytes + 1, f);
	fclose(f);
	if (got != bytes) {
		fprintf(stderr, "\n  %s: %zu bytes, expected %zu\n", path, got, bytes);
		free(p);
		return NULL;
	}
	return p;
}

/* Runs the registered suites; exit status is non-zero on any failure. */
static inline int rt_test_run(void)
{
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	const unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#endif
