/*
 * team.h - runs a kernel call the way a generated model does (templates/
 * common.c): every thread of an OpenMP parallel region calls it, inside a
 * run's O2cTeam, so the kernels' shared loops and o2c_sync() are exercised
 * with as many threads as OpenMP gives.  Include after common.c.
 */
#ifndef TEAM_H
#define TEAM_H

#define TEAM(call)                                \
	do {                                      \
		O2cTeam team_ = { 0, 0, NULL, 0 }; \
		(void)team_;                      \
		O2C_OMP(parallel)                 \
		{                                 \
			O2C_TEAM_BEGIN(team_);    \
			call;                     \
			o2c_sync();               \
			O2C_TEAM_END();           \
		}                                 \
	} while (0)

/* Runs the next TEAM calls on nth threads (nth 0: as many as processors);
 * 0 when that cannot be (nth > 1 without OpenMP).  Cases loop over
 * for (int nth = 1; nth <= 3 && team_threads(nth); nth++) and restore with
 * team_threads(0). */
O2C_UNUSED static int team_threads(int nth)
{
#if defined(_OPENMP)
	omp_set_num_threads(nth > 0 ? nth : omp_get_num_procs());
	return 1;
#else
	return nth <= 1;
#endif
}

#endif
