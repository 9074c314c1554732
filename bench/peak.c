/*
 * peak.c - measures this machine's single-precision FMA throughput, the
 * ceiling the benchmark's GFLOP/s figures are compared against.
 *
 *   cc -O2 -march=native -fopenmp bench/peak.c -o peak && ./peak [THREADS...]
 *
 * Each thread runs a loop of independent FMAs on ACC accumulators (more than
 * latency x throughput, e.g. 4 cycles x 2 ports = 8, so the FMA units never
 * wait on a result) for AVX-512 (16 lanes) and AVX2 (8 lanes), and reports
 * GFLOP/s counting an FMA as 2 flops per lane.  Each repeat takes about a
 * millisecond and the best of 300 is printed: on a shared machine a long
 * run is mostly preemptions, and peak means what the units do when they
 * run.  Not a test; the numbers only say how far the kernels are from the
 * limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(_OPENMP)
#include <omp.h>
#endif
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#define ACC 12        /* independent accumulators per thread */
#define ITERS 100000L /* about a millisecond: short enough to fit between preemptions */

/* Written out, not a loop: at -O2 gcc keeps a looped acc[] in memory, and a
 * store-reload chain per FMA would measure the store forwarding, not the FMA
 * units. */
#define FMA12(f)                                                                                                       \
	do {                                                                                                           \
		acc[0] = f(acc[0], a, b);                                                                              \
		acc[1] = f(acc[1], a, b);                                                                              \
		acc[2] = f(acc[2], a, b);                                                                              \
		acc[3] = f(acc[3], a, b);                                                                              \
		acc[4] = f(acc[4], a, b);                                                                              \
		acc[5] = f(acc[5], a, b);                                                                              \
		acc[6] = f(acc[6], a, b);                                                                              \
		acc[7] = f(acc[7], a, b);                                                                              \
		acc[8] = f(acc[8], a, b);                                                                              \
		acc[9] = f(acc[9], a, b);                                                                              \
		acc[10] = f(acc[10], a, b);                                                                            \
		acc[11] = f(acc[11], a, b);                                                                            \
	} while (0)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Each function returns a value derived from the accumulators so the loop
 * cannot be removed; the caller sums it into a sink. */
#if defined(__AVX512F__)
static float fma_loop_avx512(long iters)
{
	__m512 acc[ACC];
	const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
	for (int i = 0; i < ACC; i++)
		acc[i] = _mm512_set1_ps((float)i);
	for (long it = 0; it < iters; it++) {
		FMA12(_mm512_fmadd_ps);
	}
	__m512 s = acc[0];
	for (int i = 1; i < ACC; i++)
		s = _mm512_add_ps(s, acc[i]);
	return _mm512_reduce_add_ps(s);
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
static float fma_loop_avx2(long iters)
{
	__m256 acc[ACC];
	const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
	for (int i = 0; i < ACC; i++)
		acc[i] = _mm256_set1_ps((float)i);
	for (long it = 0; it < iters; it++) {
		FMA12(_mm256_fmadd_ps);
	}
	__m256 s = acc[0];
	for (int i = 1; i < ACC; i++)
		s = _mm256_add_ps(s, acc[i]);
	float t[8];
	_mm256_storeu_ps(t, s);
	return t[0] + t[7];
}
#endif

typedef float (*LoopFn)(long);

/* GFLOP/s of fn on nthreads threads, best of 300 short runs. */
static double measure(LoopFn fn, int lanes, int nthreads, volatile float *sink)
{
	double best = 0;
	for (int rep = 0; rep < 300; rep++) {
		double t0 = now();
		float s = 0;
#if defined(_OPENMP)
#pragma omp parallel num_threads(nthreads) reduction(+ : s)
#endif
		s += fn(ITERS);
		double t = now() - t0;
		*sink += s;
		double gf = 2.0 * lanes * ACC * (double)ITERS * nthreads / t * 1e-9;
		if (gf > best)
			best = gf;
	}
	return best;
}

int main(int argc, char **argv)
{
	volatile float sink = 0;
	int threads[8], nt = 0;
	for (int i = 1; i < argc && nt < 8; i++)
		threads[nt++] = atoi(argv[i]);
	if (!nt) {
		threads[nt++] = 1;
#if defined(_OPENMP)
		if (omp_get_num_procs() > 1)
			threads[nt++] = omp_get_num_procs();
#endif
	}
	for (int i = 0; i < nt; i++) {
#if !defined(_OPENMP)
		if (threads[i] != 1) {
			fprintf(stderr, "peak: built without OpenMP, only 1 thread\n");
			continue;
		}
#endif
#if defined(__AVX512F__)
		printf("avx512 threads %d peak %.1f GFLOP/s\n", threads[i],
		       measure(fma_loop_avx512, 16, threads[i], &sink));
#endif
#if defined(__AVX2__) && defined(__FMA__)
		printf("avx2 threads %d peak %.1f GFLOP/s\n", threads[i], measure(fma_loop_avx2, 8, threads[i], &sink));
#endif
#if !defined(__AVX2__) && !defined(__AVX512F__)
		printf("scalar: no AVX2/AVX-512 at compile time (use -march=native)\n");
		break;
#endif
	}
	return sink == 12345.0f; /* never true in practice; keeps sink live */
}
