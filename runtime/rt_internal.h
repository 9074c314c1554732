/*
 * rt_internal.h - helpers shared by the runtime's own files (not installed).
 */
#ifndef RT_INTERNAL_H
#define RT_INTERNAL_H

/* OpenMP pragmas only under -fopenmp, so a build without it has no unknown-pragma warnings. */
#define RT_PRAGMA(x) _Pragma(#x)
#ifdef _OPENMP
#define RT_OMP(x) RT_PRAGMA(omp x)
#else
#define RT_OMP(x)
#endif

/* A loop's threads only when it has this many elements of work: below that the fork and the
 * join cost more than the loop (a head's 64x5 product, a small optimizer range). */
#define RT_PAR_MIN 32768.0

#endif
