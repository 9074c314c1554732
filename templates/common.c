/*
 * Template: common.c - pasted by onnx2c (compiler/backend/emit.c) at the top of every
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
/* A loop gcc vectorises at -O2 too (-fopenmp forces its vectoriser on the loop; -O2 alone leaves plain
 * loops scalar): the Winograd transforms' loops over tiles.  gcc only: clang vectorises them at -O2
 * anyway, and where it cannot (sanitizer builds) it would warn that the requested vectorisation failed. */
#if defined(_OPENMP) && defined(__GNUC__) && !defined(__clang__)
#define O2C_SIMD O2C_PRAGMA(omp simd)
#else
#define O2C_SIMD
#endif

#if defined(__GNUC__) || defined(__clang__)
#define O2C_ALIGNED(n) __attribute__((aligned(n)))
#define O2C_UNUSED __attribute__((unused))
#define O2C_INLINE static inline __attribute__((always_inline)) /* SIMD helpers whose vectors must stay in registers */
#else
#define O2C_ALIGNED(n)
#define O2C_UNUSED
#define O2C_INLINE static inline
#endif

/* Kernel drivers (and the Winograd transforms they call) are compiled once
 * for all their call sites: gcc would
 * otherwise clone a driver per set of constant shape arguments (every call
 * site's are literals), and its clones of the packing and Winograd
 * transform loops ran 1.3-2x slower than the generic code here (gcc 12). */
#if defined(__GNUC__) && !defined(__clang__)
#define O2C_DRIVER static __attribute__((noclone, noinline))
#else
#define O2C_DRIVER static
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

/*
 * The run's team.  PREFIX_run_v opens one OpenMP parallel region for the
 * whole inference instead of one per kernel: with OMP_WAIT_POLICY=passive
 * each region costs a sleeping thread's wake-up (about 20 us here, against
 * 3-5 us spinning), some 56 times per ResNet-50 inference.  Inside it every
 * thread calls every node function; the kernels share their loops out with
 * orphaned worksharing (omp for ... nowait) and nodes are separated by
 * o2c_sync(), a barrier that spins briefly and then yields the CPU, so a
 * waiting thread never sleeps in the middle of an inference (and never holds
 * a CPU for long: after O2C_SPIN_SEC it calls sched_yield between polls).
 * Called outside a region (kernel tests, a nested call) the loops run on one
 * thread and o2c_sync() falls back to the OpenMP barrier.
 */
typedef struct O2cTeam {
	int count, sense; /* threads arrived at the current barrier; its phase */
	void *shared; /* a pointer thread 0 hands to the others (o2c_share) */
	long long claim; /* o2c_claim2: pieces taken from the front (low half) and the back; o2c_sync clears it */
} O2cTeam;
#define O2C_SPIN_SEC 2e-4

#if defined(_OPENMP)
#if defined(__unix__) || defined(__APPLE__)
#include <sched.h>
#define O2C_YIELD() sched_yield()
#else
#define O2C_YIELD() ((void)0)
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#define O2C_PAUSE() _mm_pause()
#else
#define O2C_PAUSE() ((void)0)
#endif
static O2cTeam *o2c_team_cur;
O2C_OMP(threadprivate(o2c_team_cur))

O2C_UNUSED static void o2c_sync(void)
{
	O2cTeam *t = o2c_team_cur;
	const int nth = omp_get_num_threads();
	if (nth == 1)
		return;
	if (!t) {
		O2C_OMP(barrier)
		return;
	}
	int phase, arrived;
	O2C_OMP(atomic read seq_cst)
	phase = t->sense;
	O2C_OMP(atomic capture seq_cst)
	arrived = ++t->count;
	if (arrived == nth) {
		O2C_OMP(atomic write seq_cst)
		t->claim = 0;
		O2C_OMP(atomic write seq_cst)
		t->count = 0;
		O2C_OMP(atomic write seq_cst)
		t->sense = !phase;
		return;
	}
	double t0 = -1.0;
	for (long spins = 0;; spins++) {
		int now;
		O2C_OMP(atomic read seq_cst)
		now = t->sense;
		if (now != phase)
			break;
		O2C_PAUSE();
		if ((spins & 255) == 255) {
			if (t0 < 0)
				t0 = omp_get_wtime();
			else if (omp_get_wtime() - t0 > O2C_SPIN_SEC)
				O2C_YIELD();
		}
	}
	O2C_OMP(flush)
}

/* Thread 0's p, seen by every thread of the team (a buffer on its stack that
 * all of them use until the next o2c_sync() of thread 0's caller). */
O2C_UNUSED static void *o2c_share(void *p)
{
	O2cTeam *t = o2c_team_cur;
	if (omp_get_num_threads() == 1)
		return p;
	if (!t) { /* outside run_v: an OpenMP single broadcasts it */
		static void *slot;
		O2C_OMP(single)
		slot = p;
		p = slot;
		O2C_OMP(barrier)
		return p;
	}
	if (omp_get_thread_num() == 0)
		t->shared = p;
	o2c_sync();
	return t->shared;
}

/*
 * Two threads of a run share a kernel's n pieces (pixel tiles, Winograd tile
 * groups) from both ends: thread 0 takes them from the front, thread 1 from
 * the back, until they meet.  The vCPUs here are not equally fast (one ran
 * 10-40% slower per layer, and the faster thread waited 1.3-1.7 ms of a
 * 8-10 ms resnet18 inference at the barriers), and a fixed band leaves the
 * difference idle; where they meet follows their speeds, about the same
 * fraction of every layer's image, so each core still mostly reads what it
 * wrote the layer before.  Returns the next piece, or -1 when none is left.
 * Only inside a run with exactly two threads (o2c_claim2_ok).
 */
O2C_UNUSED static int o2c_claim2_ok(void)
{
	return o2c_team_cur && omp_get_num_threads() == 2;
}

O2C_UNUSED static int o2c_claim2(int n)
{
	O2cTeam *t = o2c_team_cur;
	const long long step = omp_get_thread_num() ? 1LL << 32 : 1;
	long long old;
	O2C_OMP(atomic capture seq_cst)
	{
		old = t->claim;
		t->claim += step;
	}
	const int f = (int)(old & 0xffffffffLL), b = (int)(old >> 32);
	if (f + b >= n)
		return -1;
	return step == 1 ? f : n - 1 - b;
}

/* o2c_claim2 over n pieces of which the last is partial (tail != 0): the
 * partial one is given the middle place in the claim order, so it goes last,
 * to the thread that reaches the meeting point first.  From the back it was
 * thread 1's first piece: a 4-tile Winograd group with the layer's weights
 * still cold took half as long as a 48-tile one, and thread 0 waited 60-90
 * us at the end of each of resnet18's 56x56 layers. */
O2C_UNUSED static int o2c_claim2_tail(int n, int tail)
{
	const int p = o2c_claim2(n), mid = tail ? (n - 1) / 2 : n;
	return p < mid ? p : p == mid ? n - 1 : p - 1;
}
#else
O2C_UNUSED static void o2c_sync(void) {}
O2C_UNUSED static void *o2c_share(void *p) { return p; }
O2C_UNUSED static int o2c_claim2_ok(void) { return 0; }
O2C_UNUSED static int o2c_claim2(int n) { (void)n; return -1; }
O2C_UNUSED static int o2c_claim2_tail(int n, int tail) { (void)n, (void)tail; return -1; }
#endif

#if defined(_OPENMP)
#define O2C_TEAM_BEGIN(t) (o2c_team_cur = &(t))
#define O2C_TEAM_END() (o2c_team_cur = NULL)
#else
#define O2C_TEAM_BEGIN(t) ((void)(t))
#define O2C_TEAM_END() ((void)0)
#endif
/* A node's call in PREFIX_run_v: a team function (team = 1) on every thread,
 * any other on thread 0 alone; then every thread waits for the node. */
#define O2C_NODE(team, call)                 \
	do {                                 \
		if ((team) || o2c_thread0()) \
			call;                \
		o2c_sync();                  \
	} while (0)

/* This thread's number in the team (0 outside a parallel region). */
O2C_UNUSED static int o2c_tid(void)
{
#if defined(_OPENMP)
	return omp_get_thread_num();
#else
	return 0;
#endif
}

O2C_UNUSED static int o2c_thread0(void) { return o2c_tid() == 0; }

/* Threads sharing the current kernel's loops (1 outside a parallel region). */
O2C_UNUSED static int o2c_nthreads(void)
{
#if defined(_OPENMP)
	return omp_get_num_threads();
#else
	return 1;
#endif
}

/* Samples PREFIX_run_v may run side by side, each on one thread in an arena
 * of its own (PREFIX_workspace_size reserves that many arenas): at most one
 * per processor; one in profile and dump builds, whose records are per model. */
O2C_UNUSED static int o2c_sample_slots(int batch)
{
#if defined(_OPENMP) && !defined(ONNX2C_PROFILE) && !defined(ONNX2C_DUMP)
	const int procs = omp_get_num_procs();
	return batch <= 1 ? 1 : batch < procs ? batch : procs;
#else
	(void)batch;
	return 1;
#endif
}

/* Arenas PREFIX_workspace_size reserves: up to `group` for each of o2c_sample_slots(batch)
 * threads, where PREFIX_group runs a thread's samples `group` at a time (never more than the
 * batch); one in profile and dump builds. */
O2C_UNUSED static int o2c_arenas(int batch, int group)
{
#if !defined(ONNX2C_PROFILE) && !defined(ONNX2C_DUMP)
	const long a = (long)o2c_sample_slots(batch) * group;
	return batch <= 1 ? 1 : a < batch ? (int)a : batch;
#else
	(void)batch, (void)group;
	return 1;
#endif
}

/* This thread's rows [*lo, *hi) of n: the t-th band in proportion.  The
 * spatial kernels split every image into one band per thread, the same
 * fraction in every layer, so that a core mostly reads what it wrote (see
 * O2cBand in conv.c). */
O2C_UNUSED static int o2c_band_cut(int n, int t, int nth)
{
	return (int)((long)n * t / nth); /* where thread t's band of n units starts */
}

O2C_UNUSED static void o2c_band_rows(int n, int *lo, int *hi)
{
	const int t = o2c_tid(), nt = o2c_nthreads();
	*lo = o2c_band_cut(n, t, nt);
	*hi = o2c_band_cut(n, t + 1, nt);
}

O2C_UNUSED static float o2c_sigmoidf(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

/* GELU's tanh form, x (1 + tanh u) / 2 = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3), from
 * e = e^(-|2u|): no cancellation in 1 + tanh u, and no overflow of e^(-2u) for x < -10 */
O2C_UNUSED static float o2c_gelu_tanhf(float x)
{
	const float u2 = x * (1.59576912f + 0.0713548162f * x * x), e = expf(-fabsf(u2));
	return (u2 >= 0.0f ? x : x * e) / (1.0f + e);
}

O2C_UNUSED static float o2c_minf(float a, float b) { return a < b ? a : b; }
O2C_UNUSED static float o2c_maxf(float a, float b) { return a > b ? a : b; }
