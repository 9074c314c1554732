/*
 * Template: common.c - pasted by onnx2c (compiler/emit.c) at the top of every
 * generated model, before any kernel template.  Takes no variables.
 * Portable C99; OpenMP and SIMD are used only when the compiler enables them.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(_OPENMP)
#include <omp.h>
#define O2C_PRAGMA(x) _Pragma(#x)
#define O2C_OMP(x) O2C_PRAGMA(omp x)
#else
#define O2C_OMP(x)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define O2C_ALIGNED(n) __attribute__((aligned(n)))
#define O2C_UNUSED __attribute__((unused))
#else
#define O2C_ALIGNED(n)
#define O2C_UNUSED
#endif

/* Full unrolling of the microkernels' loops over register arrays: gcc -O3 does it by itself, gcc -O2
 * keeps the accumulators in memory without it (2.3x slower on resnet50 with gcc 12).  clang unrolls
 * them at -O2 already (and warns when a pragma'd loop's bound is not constant), so nothing there. */
#if defined(__GNUC__) && !defined(__clang__)
#define O2C_UNROLL _Pragma("GCC unroll 32")
#else
#define O2C_UNROLL
#endif

#if defined(__AVX512F__) || defined(__AVX2__) || defined(__FMA__)
#include <immintrin.h>
#endif

O2C_UNUSED static float o2c_sigmoidf(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

O2C_UNUSED static float o2c_minf(float a, float b) { return a < b ? a : b; }
O2C_UNUSED static float o2c_maxf(float a, float b) { return a > b ? a : b; }
