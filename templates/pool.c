/*
 * Template: pool.c - pasted by onnx2c (compiler/ops/pool.c) into models with
 * MaxPool, AveragePool, GlobalAveragePool or GlobalMaxPool.  Takes no
 * variables; each node calls one of these with literal shapes.
 *
 * The windowed pools work a whole output row at a time: for each tap
 * (ky, kx) they first compute the range of output columns whose input pixel
 * is inside the row, so padding never reaches the inner loop, which is a
 * plain strided max/add the compiler vectorises.  NC = N*C planes.
 */

#define O2C_POOL_KWMAX 32 /* taps per row whose column ranges are precomputed */

/* Output columns [*lo, *hi) whose tap at input offset `off` (ix = ox*SW + off)
 * lands in [0, W). */
O2C_UNUSED static void o2c_pool_cols(int off, int SW, int W, int OW, int *lo, int *hi)
{
	int l = off < 0 ? (-off + SW - 1) / SW : 0;
	int h = W - 1 - off < 0 ? 0 : (W - 1 - off) / SW + 1;
	*lo = l;
	*hi = h > OW ? OW : h;
}

O2C_UNUSED static void o2c_maxpool2d(const float *in, float *out, int NC, int H, int W, int OH, int OW, int KH,
                                     int KW, int SH, int SW, int DH, int DW, int PT, int PL)
{
	/* each tap's column range, once per call rather than per row (it divides) */
	int clo[O2C_POOL_KWMAX], chi[O2C_POOL_KWMAX];
	for (int kx = 0; kx < KW && kx < O2C_POOL_KWMAX; kx++)
		o2c_pool_cols(kx * DW - PL, SW, W, OW, &clo[kx], &chi[kx]);
	O2C_OMP(parallel for collapse(2) schedule(static))
	for (int nc = 0; nc < NC; nc++)
		for (int oy = 0; oy < OH; oy++) {
			const float *x = in + (size_t)nc * H * W;
			float *y = out + ((size_t)nc * OH + oy) * OW;
			for (int ox = 0; ox < OW; ox++)
				y[ox] = -INFINITY;
			for (int ky = 0; ky < KH; ky++) {
				const int iy = oy * SH + ky * DH - PT;
				if (iy < 0 || iy >= H)
					continue;
				const float *row = x + (size_t)iy * W;
				for (int kx = 0; kx < KW; kx++) {
					const int off = kx * DW - PL;
					int lo = clo[kx], hi = chi[kx];
					if (kx >= O2C_POOL_KWMAX)
						o2c_pool_cols(off, SW, W, OW, &lo, &hi);
					for (int ox = lo; ox < hi; ox++) {
						const float v = row[ox * SW + off];
						y[ox] = v > y[ox] ? v : y[ox];
					}
				}
			}
		}
}

/* Number of taps k in [0, K) with start + k*D inside [lo, hi). */
O2C_UNUSED static int o2c_pool_count(int start, int K, int D, int lo, int hi)
{
	if (D == 1) { /* the usual case, without the divisions */
		const int kmin = lo - start > 0 ? lo - start : 0, kmax = hi - start < K ? hi - start : K;
		return kmax > kmin ? kmax - kmin : 0;
	}
	/* k from ceil((lo - start) / D) up to ceil((hi - start) / D), within [0, K) */
	const int kmin = lo - start <= 0 ? 0 : (lo - start + D - 1) / D;
	int kmax = hi - start <= 0 ? 0 : (hi - start + D - 1) / D;
	kmax = kmax > K ? K : kmax;
	return kmax > kmin ? kmax - kmin : 0;
}

/* count_include_pad: the divisor counts taps inside the padded input
 * [-PT, H+PB) (a ceil_mode window hanging past it is not padded further);
 * otherwise only taps inside the input. */
O2C_UNUSED static void o2c_avgpool2d(const float *in, float *out, int NC, int H, int W, int OH, int OW, int KH,
                                     int KW, int SH, int SW, int DH, int DW, int PT, int PL, int PB, int PR,
                                     int include_pad)
{
	/* each tap's column range, once per call rather than per row (it divides) */
	int clo[O2C_POOL_KWMAX], chi[O2C_POOL_KWMAX];
	for (int kx = 0; kx < KW && kx < O2C_POOL_KWMAX; kx++)
		o2c_pool_cols(kx * DW - PL, SW, W, OW, &clo[kx], &chi[kx]);
	O2C_OMP(parallel for collapse(2) schedule(static))
	for (int nc = 0; nc < NC; nc++)
		for (int oy = 0; oy < OH; oy++) {
			const float *x = in + (size_t)nc * H * W;
			float *y = out + ((size_t)nc * OH + oy) * OW;
			for (int ox = 0; ox < OW; ox++)
				y[ox] = 0.0f;
			for (int ky = 0; ky < KH; ky++) {
				const int iy = oy * SH + ky * DH - PT;
				if (iy < 0 || iy >= H)
					continue;
				const float *row = x + (size_t)iy * W;
				for (int kx = 0; kx < KW; kx++) {
					const int off = kx * DW - PL;
					int lo = clo[kx], hi = chi[kx];
					if (kx >= O2C_POOL_KWMAX)
						o2c_pool_cols(off, SW, W, OW, &lo, &hi);
					for (int ox = lo; ox < hi; ox++)
						y[ox] += row[ox * SW + off];
				}
			}
			const int cy = include_pad ? o2c_pool_count(oy * SH - PT, KH, DH, -PT, H + PB)
			                           : o2c_pool_count(oy * SH - PT, KH, DH, 0, H);
			if (DW == 1) {
				/* o2c_pool_count without branches, so the loop vectorises; an
				 * empty window has the sum 0, and 0 / 1 is the 0 it must give */
				const int xlo = include_pad ? -PL : 0, xhi = include_pad ? W + PR : W;
				for (int ox = 0; ox < OW; ox++) {
					const int start = ox * SW - PL;
					const int kmin = xlo - start > 0 ? xlo - start : 0;
					const int kmax = xhi - start < KW ? xhi - start : KW;
					const int cnt = cy * (kmax > kmin ? kmax - kmin : 0);
					y[ox] = y[ox] / (float)(cnt > 0 ? cnt : 1);
				}
			} else {
				for (int ox = 0; ox < OW; ox++) {
					const int cx = include_pad ? o2c_pool_count(ox * SW - PL, KW, DW, -PL, W + PR)
					                           : o2c_pool_count(ox * SW - PL, KW, DW, 0, W);
					const int cnt = cy * cx;
					y[ox] = cnt ? y[ox] / (float)cnt : 0.0f;
				}
			}
		}
}

O2C_UNUSED static void o2c_gavgpool(const float *in, float *out, int NC, int HW)
{
	O2C_OMP(parallel for schedule(static) if (NC * HW > 65536))
	for (int nc = 0; nc < NC; nc++) {
		const float *x = in + (size_t)nc * HW;
		float s = 0.0f;
		for (int i = 0; i < HW; i++)
			s += x[i];
		out[nc] = s / (float)HW;
	}
}

O2C_UNUSED static void o2c_gmaxpool(const float *in, float *out, int NC, int HW)
{
	O2C_OMP(parallel for schedule(static) if (NC * HW > 65536))
	for (int nc = 0; nc < NC; nc++) {
		const float *x = in + (size_t)nc * HW;
		float m = -INFINITY;
		for (int i = 0; i < HW; i++)
			m = x[i] > m ? x[i] : m;
		out[nc] = m;
	}
}
