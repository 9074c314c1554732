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
		O2cTeam team_ = { 0, 0, NULL };   \
		(void)team_;                      \
		O2C_OMP(parallel)                 \
		{                                 \
			O2C_TEAM_BEGIN(team_);    \
			call;                     \
			o2c_sync();               \
			O2C_TEAM_END();           \
		}                                 \
	} while (0)

#endif
