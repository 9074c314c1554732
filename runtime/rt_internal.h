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

#endif
