/*
 * Template: conv/shared.c - pasted by onnx2c (compiler/backend/emit.c) ahead
 * of the conv families that name it in their "Needs:" line.  Takes no
 * variables.
 *
 * What more than one conv family uses: the AVX-512 load of 16
 * columns of a row with zeros off its ends (the direct conv's stride-2
 * packing, the F(4x4) input transform); and the band split of an image's
 * tiles over threads (the direct and Winograd drivers).
 */

/* ---- AVX-512 row loads (the direct and Winograd packing) ------------------------------------ */

#if defined(__AVX512F__)
/* Columns [c, c + 16) of row xr (W columns), zeros off the row; reads only
 * inside it (an expanding load at the left edge). */
O2C_UNUSED O2C_INLINE __m512 o2c_conv_row16_avx512(const float *xr, int c, int W)
{
	if (c >= 0 && c + 16 <= W)
		return _mm512_loadu_ps(xr + c);
	if (c >= W || c + 16 <= 0)
		return _mm512_setzero_ps();
	unsigned m = c + 16 > W ? (1u << (W - c)) - 1u : 0xffffu; /* lanes left of column W */
	if (c < 0)
		return _mm512_maskz_expandloadu_ps((__mmask16)(m & ~((1u << -c) - 1u)), xr);
	return _mm512_maskz_loadu_ps((__mmask16)m, xr + c);
}
#endif

/* ---- work split over threads (the direct and Winograd drivers) ------------------------------ */

/*
 * Work split for data affinity.  A core reads what it wrote itself in the
 * layer before from its own caches (60-110 GB/s here), but what another core
 * wrote at ~27 GB/s (2 vCPUs, measured with a writer/reader pair), about
 * DRAM speed.  So with several threads the spatial kernels give thread t the
 * t-th band of every image: a contiguous range of its pixels (or Winograd
 * tiles), the same fraction of the image in every layer whatever the
 * stride, and all its output channels.  A band is done in pieces of at most
 * w units (panel tiles, Winograd groups); the split point is a multiple of
 * 16 units or exactly proportional, whichever gives the dearest band the
 * lower cost, and when the full pieces divide evenly between the threads
 * the partial piece left at the end is shared by channel blocks instead.
 * With exactly two threads in a run the bands' common end is not fixed:
 * they take pieces from both ends of the image until they meet
 * (o2c_claim2), so the faster vCPU does more.
 */
typedef struct O2cBand {
	int lo, hi;           /* units [lo, hi) with all channel blocks */
	int r0, r1, rb0, rb1; /* and units [r0, r1) with blocks [rb0, rb1) */
} O2cBand;

/* Microkernel cost of n units in pieces of w (a multiple of 16), in
 * 16-wide vectors; a lone vector is load-bound (9 loads for 8 FMAs a tap). */
static float o2c_band_cost(int n, int w)
{
	const int nv = (n % w + 15) / 16;
	return (float)(n / w) * (float)(w / 16) + (nv == 1 ? 1.12f : (float)nv);
}

static int o2c_band_at(int P, int t, int nth, int round16)
{
	const int e = o2c_band_cut(P, t, nth);
	if (t == nth || !round16)
		return e;
	return (e + 8) / 16 * 16 < P ? (e + 8) / 16 * 16 : P;
}

O2C_UNUSED static O2cBand o2c_band(int P, int w, int nb, int tid, int nth)
{
	O2cBand b = {0, P, 0, 0, 0, 0};
	const int nfull = P / w;
	if (nth == 1)
		return b;
	if (P % w && nfull && nfull % nth == 0) {
		b.lo = nfull / nth * w * tid, b.hi = b.lo + nfull / nth * w;
		b.r0 = nfull * w, b.r1 = P, b.rb0 = nb * tid / nth, b.rb1 = nb * (tid + 1) / nth;
		return b;
	}
	float cost[2] = {0.0f, 0.0f};
	for (int m = 0; m < 2; m++)
		for (int t = 0; t < nth; t++) {
			const float c = o2c_band_cost(o2c_band_at(P, t + 1, nth, m) - o2c_band_at(P, t, nth, m), w);
			cost[m] = c > cost[m] ? c : cost[m];
		}
	const int m = cost[1] < cost[0];
	b.lo = o2c_band_at(P, tid, nth, m), b.hi = o2c_band_at(P, tid + 1, nth, m);
	return b;
}
