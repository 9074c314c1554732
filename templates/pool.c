/*
 * Template: pool.c - pasted by onnx2c (compiler/ops/pool.c) into models with
 * MaxPool, AveragePool, GlobalAveragePool or GlobalMaxPool.  Takes no
 * variables; each node calls one of these with literal shapes.
 *
 * Three paths, fastest first:
 * - same-size pools (stride 1, output the size of the input: the Inception
 *   and GoogLeNet branch pools) over planes of at most O2C_POOL_FLAT pixels,
 *   at least one per thread: o2c_pool_flat, a range of whole planes per
 *   thread in flat loops, portable C the compiler vectorises (3x3 windows
 *   in one pass each way);
 * - with AVX-512, max pools with column stride 1 or 2 (the stem and
 *   reduction pools): o2c_maxpool_rows_avx512, 16 outputs per vector, a
 *   range of planes or (large planes) a band of rows per thread;
 * - anything else (and the portable build's strided pools): row at a time;
 *   for each tap (ky, kx) they first compute the range of output columns
 *   whose input pixel is inside the row, so padding never reaches the inner
 *   loop, which is a plain strided max/add.
 * Loops over a row or a plane of a few pixels cost more than the pooling
 * itself on 8x8 to 17x17 planes: a 2048-plane 8x8 average pool took 246 us
 * on one thread that way, 33 us with o2c_pool_flat.  NC = N*C planes.
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

/*
 * Stride 1, dilation 1, output as large as the input ("same" padding), when
 * o2c_pool_flat cannot take it (planes larger than a chunk, or fewer planes
 * than threads): each thread a band of rows of every plane.  Row by row,
 * 3x3 windows over a 14-pixel row spend their time in loop overhead, so
 * each plane is pooled separably with flat loops over the band: along rows,
 * t[i] = op over kx of x[i + kx - PL] (a tap at a row's end strays into the
 * next row: the first PL and last KW-1-PL columns of each row are redone
 * after); then down the columns, y[i] = op over ky of t[i + (ky - PT) * W],
 * each tap over the whole rows where it is inside.  op is max, or a sum that
 * average pooling divides by the tap counts after.
 */
#define O2C_POOL_PLANE 16384 /* largest plane on this path: 64 KB of stack */
#define O2C_POOL_ROWMAX 1024 /* and widest row, for average pooling */

static int o2c_pool_same_ok(int H, int W, int OH, int OW, int SH, int SW, int DH, int DW)
{
	return SH == 1 && SW == 1 && DH == 1 && DW == 1 && OH == H && OW == W && H * W <= O2C_POOL_PLANE;
}

/* Output rows [r0, r1) of one plane; avg: 0 max, 1 sum (the caller divides).
 * t holds the row-pooled input rows [a, b) the window reaches, t[i - s0]
 * for plane index i in [s0, s1). */
static void o2c_pool_same(const float *x, float *y, int H, int W, int KH, int KW, int PT, int PL, int avg, int r0,
                          int r1)
{
	float t[O2C_POOL_PLANE];
	const int n = H * W, rlo = PL < W ? PL : W, rhi = W - (KW - 1 - PL) > 0 ? W - (KW - 1 - PL) : 0;
	const int a = r0 - PT > 0 ? r0 - PT : 0, b = r1 + KH - 1 - PT < H ? r1 + KH - 1 - PT : H;
	const int s0 = a * W, s1 = b * W;
	if (n > O2C_POOL_PLANE || r0 >= r1) /* o2c_pool_same_ok: never; says so to the compiler */
		return;
	memcpy(t, x + s0, (size_t)(s1 - s0) * sizeof *t); /* tap kx = PL: the pixel itself */
	for (int kx = 0; kx < KW; kx++) {
		const int d = kx - PL, i0 = s0 > -d ? s0 : -d, i1 = s1 < n - d ? s1 : n - d;
		if (d == 0)
			continue;
		if (avg)
			for (int i = i0; i < i1; i++)
				t[i - s0] += x[i + d];
		else
			for (int i = i0; i < i1; i++)
				t[i - s0] = x[i + d] > t[i - s0] ? x[i + d] : t[i - s0];
	}
	for (int r = a; r < b; r++) { /* the columns whose windows pass a row end */
		const float *xr = x + (size_t)r * W;
		for (int ox = 0; ox < W; ox++) {
			if (ox == rlo && rlo < rhi)
				ox = rhi;
			if (ox >= W)
				break;
			float v = xr[ox];
			for (int kx = 0; kx < KW; kx++) {
				const int ix = ox + kx - PL;
				if (ix < 0 || ix >= W || ix == ox)
					continue;
				v = avg ? v + xr[ix] : xr[ix] > v ? xr[ix] : v;
			}
			t[r * W + ox - s0] = v;
		}
	}
	memcpy(y + r0 * W, t + (r0 * W - s0), (size_t)(r1 - r0) * W * sizeof *y); /* tap ky = PT */
	for (int ky = 0; ky < KH; ky++) {
		const int d = (ky - PT) * W, i0 = r0 * W > -d ? r0 * W : -d, i1 = r1 * W < n - d ? r1 * W : n - d;
		if (d == 0)
			continue;
		if (avg)
			for (int i = i0; i < i1; i++)
				y[i] += t[i + d - s0];
		else
			for (int i = i0; i < i1; i++)
				y[i] = t[i + d - s0] > y[i] ? t[i + d - s0] : y[i];
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

/*
 * Same-size pools over small planes: the thread's planes [p0, p1) a chunk of
 * whole planes at a time, each pass one flat loop over the chunk.  Along
 * rows into t (t[i] = op over kx of x[i + kx - PL]), then down columns into
 * y (y[i] = op over ky of t[i + (ky - PT) * W]); a tap whose pixel lies
 * outside its plane's row (or column) is masked by the column (row) index
 * arrays col/row, so edges and plane boundaries need no code of their own.
 * Average pooling then divides by the tap counts, cnt, per pixel of a plane.
 */
#define O2C_POOL_FLAT 4096 /* pixels per chunk; 64 KB of stack */

static int o2c_pool_flat_ok(int NC, int H, int W)
{
	return H * W <= O2C_POOL_FLAT && NC >= o2c_nthreads();
}

/* One tap of a pass over a chunk: y[i] op= x[i + d] where the pixel's
 * position along the pass, pos[i] + off, is inside [0, len) (pos: col or
 * row, len: W or H); op is + (avg) or max.  Both loads unconditional, or
 * gcc gathers them under the mask. */
static void o2c_pool_tap(float *y, const float *x, const int *pos, int off, int len, int d, int n, int avg)
{
	const int lo = d < 0 ? -d : 0, hi = d > 0 ? n - d : n;
	if (avg)
		for (int i = lo; i < hi; i++) {
			const float v = x[i + d];
			y[i] += (unsigned)(pos[i] + off) < (unsigned)len ? v : 0.0f;
		}
	else
		for (int i = lo; i < hi; i++) {
			const float v = x[i + d], o = y[i];
			y[i] = (unsigned)(pos[i] + off) < (unsigned)len && v > o ? v : o;
		}
}

/* One pixel of a 3-tap pass: s[i] with s[i - d] and s[i + d] where inside
 * (lo, hi: the neighbours' positions along the pass are valid), in the
 * general passes' order, so sums come out the same. */
static float o2c_pool_tap3(const float *s, int i, int d, int lo, int hi, int avg)
{
	float v = s[i];
	if (lo)
		v = avg ? v + s[i - d] : s[i - d] > v ? s[i - d] : v;
	if (hi)
		v = avg ? v + s[i + d] : s[i + d] > v ? s[i + d] : v;
	return v;
}

/* A chunk of the usual 3x3 window centred on the pixel, in place in y:
 * each direction in one pass (three taps, then the division), the edges of
 * the chunk apart so the main loops read no pixel outside it. */
static void o2c_pool_flat33(float *yc, float *t, const int *col, const int *row, const float *cnt, int n, int H, int W,
                            int avg)
{
	const float *xc = yc; /* read into t before the pass down the columns writes yc */
	const float id = avg ? 0.0f : -INFINITY;
	t[0] = o2c_pool_tap3(xc, 0, 1, 0, col[0] + 1 < W, avg);
	t[n - 1] = o2c_pool_tap3(xc, n - 1, 1, col[n - 1] > 0, 0, avg);
	for (int i = 1; i < n - 1; i++) {
		const float xl = xc[i - 1], xr = xc[i + 1]; /* loaded unconditionally: see o2c_pool_tap */
		const float l = col[i] > 0 ? xl : id, r = col[i] + 1 < W ? xr : id;
		float v = xc[i];
		v = avg ? v + l : l > v ? l : v;
		t[i] = avg ? v + r : r > v ? r : v;
	}
	for (int i = 0; i < n; i += i == W - 1 ? n - 2 * W + 1 : 1) { /* first and last rows of the chunk */
		const float v = o2c_pool_tap3(t, i, W, i >= W && row[i] > 0, i + W < n && row[i] + 1 < H, avg);
		yc[i] = avg ? v / cnt[i] : v;
	}
	for (int i = W; i < n - W; i++) {
		const float tu = t[i - W], td = t[i + W];
		const float u = row[i] > 0 ? tu : id, d = row[i] + 1 < H ? td : id;
		float v = t[i];
		v = avg ? v + u : u > v ? u : v;
		v = avg ? v + d : d > v ? d : v;
		yc[i] = avg ? v / cnt[i] : v;
	}
}

O2C_DRIVER void o2c_pool_flat(const float *x, float *y, int NC, int H, int W, int KH, int KW, int PT, int PL,
                              int avg, int PB, int PR, int include_pad)
{
	float t[O2C_POOL_FLAT], cnt[O2C_POOL_FLAT];
	int col[O2C_POOL_FLAT], row[O2C_POOL_FLAT];
	const int hw = H * W, cp = O2C_POOL_FLAT / hw, nt = o2c_nthreads(), me = o2c_tid();
	const int p0 = o2c_band_cut(NC, me, nt), p1 = o2c_band_cut(NC, me + 1, nt);
	if (hw > O2C_POOL_FLAT || p0 >= p1) /* o2c_pool_flat_ok: never; says so to the compiler */
		return;
	const int fill = p1 - p0 < cp ? p1 - p0 : cp; /* planes in the largest chunk */
	for (int r = 0, i = 0; r < H; r++)
		for (int c = 0; c < W; c++, i++) {
			col[i] = c;
			row[i] = r;
			if (avg) {
				const int cy = include_pad ? o2c_pool_count(r - PT, KH, 1, -PT, H + PB)
				                           : o2c_pool_count(r - PT, KH, 1, 0, H);
				const int cx = include_pad ? o2c_pool_count(c - PL, KW, 1, -PL, W + PR)
				                           : o2c_pool_count(c - PL, KW, 1, 0, W);
				cnt[i] = (float)(cy * cx);
			}
		}
	for (int i = hw; i < fill * hw; i++) { /* the other planes of a chunk repeat the first */
		col[i] = col[i - hw];
		row[i] = row[i - hw];
		if (avg)
			cnt[i] = cnt[i - hw];
	}
	for (int pc = p0; pc < p1; pc += cp) {
		const int n = (p1 - pc < cp ? p1 - pc : cp) * hw;
		const float *xc = x + (size_t)pc * hw;
		float *yc = y + (size_t)pc * hw;
		if (KW == 3 && PL == 1 && KH == 3 && PT == 1 && n > 2 * W) {
			/* in a model at 2 threads the chunk copied first and then pooled in
			 * place took 0.85 ms of inception_v3's pools, straight from the
			 * input 0.97 (its lines come from the other core's cache, and the
			 * copy streams them faster) */
			memcpy(yc, xc, (size_t)n * sizeof *yc);
			o2c_pool_flat33(yc, t, col, row, cnt, n, H, W, avg);
			continue;
		}
		memcpy(t, xc, (size_t)n * sizeof *t); /* tap kx = PL: the pixel itself */
		for (int kx = 0; kx < KW; kx++)
			if (kx != PL)
				o2c_pool_tap(t, xc, col, kx - PL, W, kx - PL, n, avg);
		memcpy(yc, t, (size_t)n * sizeof *yc); /* tap ky = PT */
		for (int ky = 0; ky < KH; ky++)
			if (ky != PT)
				o2c_pool_tap(yc, t, row, ky - PT, H, (ky - PT) * W, n, avg);
		if (avg)
			for (int i = 0; i < n; i++)
				yc[i] = yc[i] / cnt[i];
	}
}

#if defined(__AVX512F__)
/*
 * Max pools with column stride 1 or 2 and no column dilation, windows at most
 * 17 wide, with AVX-512, 16 outputs per vector.  The window's rows are first
 * reduced in registers, over the at most 3 vectors of columns the 16
 * windows span (masked loads: columns outside the row read as -inf), then
 * each tap's column for each output is picked out of them with a permute
 * (for stride 2 two, since 16 windows span more than 32 columns).
 */
#define O2C_POOL_BAND 2048 /* output pixels per plane from which threads take bands */

static int o2c_maxpool_rows_ok(int SW, int DW, int KW)
{
	return (SW == 1 || SW == 2) && DW == 1 && KW <= 17;
}

static __mmask16 o2c_pool_lanes(int c0, int W) /* lanes l with c0 + l in [0, W) */
{
	const int lo = c0 < 0 ? -c0 : 0, hi = W - c0 < 16 ? W - c0 : 16;
	return hi > lo && lo < 16 ? (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u)) : 0;
}

O2C_DRIVER void o2c_maxpool_rows_avx512(const float *in, float *out, int NC, int H, int W, int OH, int OW, int KH,
                                        int KW, int SH, int SW, int DH, int PT, int PL)
{
	/* Large planes: a band of rows of every plane, the band a conv's band
	 * wrote, so the input is mostly in this core's cache.  Small ones: a
	 * range of whole planes, since threads writing neighbouring rows of the
	 * same planes in step fight over the cache lines between them (a 768-
	 * plane 17x17 pool took twice as long in bands on 2 threads). */
	const int nt = o2c_nthreads(), me = o2c_tid(), band = OH * OW >= O2C_POOL_BAND;
	const int p0 = band ? 0 : o2c_band_cut(NC, me, nt), p1 = band ? NC : o2c_band_cut(NC, me + 1, nt);
	const int oy0 = band ? o2c_band_cut(OH, me, nt) : 0, oy1 = band ? o2c_band_cut(OH, me + 1, nt) : OH;
	const __m512 ninf = _mm512_set1_ps(-INFINITY);
	const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	/* per tap: the column (- c0) each lane reads, as an index into v0:v1 and,
	 * for lanes past column 31 (stride 2), into v1:v2 */
	__m512i idx[17], idx2[17];
	__mmask16 far[17];
	for (int kx = 0; kx < KW && kx < 17; kx++) {
		idx[kx] = _mm512_add_epi32(SW == 2 ? _mm512_add_epi32(iota, iota) : iota, _mm512_set1_epi32(kx));
		idx2[kx] = _mm512_sub_epi32(idx[kx], _mm512_set1_epi32(16));
		far[kx] = _mm512_cmpge_epi32_mask(idx[kx], _mm512_set1_epi32(32));
	}
	for (int p = p0; p < p1; p++)
	for (int oy = oy0; oy < oy1; oy++) {
		const float *x = in + (size_t)p * H * W;
		float *y = out + ((size_t)p * OH + oy) * OW;
		for (int ox0 = 0; ox0 < OW; ox0 += 16) {
			const int c0 = ox0 * SW - PL;
			const __mmask16 m0 = o2c_pool_lanes(c0, W), m1 = o2c_pool_lanes(c0 + 16, W);
			const __mmask16 m2 = SW == 2 ? o2c_pool_lanes(c0 + 32, W) : 0;
			__m512 v0 = ninf, v1 = ninf, v2 = ninf;
			for (int ky = 0; ky < KH; ky++) {
				const int iy = oy * SH + ky * DH - PT;
				if (iy < 0 || iy >= H)
					continue;
				/* masked lanes are not read: the address may lie outside the row */
				const uintptr_t r = (uintptr_t)(x + (size_t)iy * W) + (uintptr_t)((intptr_t)c0 * 4);
				v0 = _mm512_max_ps(v0, _mm512_mask_loadu_ps(ninf, m0, (const float *)r));
				v1 = _mm512_max_ps(v1, _mm512_mask_loadu_ps(ninf, m1, (const float *)(r + 64)));
				if (m2)
					v2 = _mm512_max_ps(v2, _mm512_mask_loadu_ps(ninf, m2, (const float *)(r + 128)));
			}
			__m512 acc = ninf;
			for (int kx = 0; kx < KW; kx++) {
				__m512 tap = _mm512_permutex2var_ps(v0, idx[kx], v1);
				if (far[kx])
					tap = _mm512_mask_blend_ps(far[kx], tap, _mm512_permutex2var_ps(v1, idx2[kx], v2));
				acc = _mm512_max_ps(acc, tap);
			}
			_mm512_mask_storeu_ps(y + ox0, o2c_pool_lanes(ox0, OW), acc);
		}
	}
}
#endif

O2C_UNUSED static void o2c_maxpool2d(const float *in, float *out, int NC, int H, int W, int OH, int OW, int KH, int KW,
                                     int SH, int SW, int DH, int DW, int PT, int PL)
{
	if (o2c_pool_same_ok(H, W, OH, OW, SH, SW, DH, DW) && o2c_pool_flat_ok(NC, H, W)) {
		o2c_pool_flat(in, out, NC, H, W, KH, KW, PT, PL, 0, 0, 0, 0);
		return;
	}
#if defined(__AVX512F__)
	if (o2c_maxpool_rows_ok(SW, DW, KW)) {
		o2c_maxpool_rows_avx512(in, out, NC, H, W, OH, OW, KH, KW, SH, SW, DH, PT, PL);
		return;
	}
#endif
	if (o2c_pool_same_ok(H, W, OH, OW, SH, SW, DH, DW)) {
		int r0, r1;
		o2c_band_rows(H, &r0, &r1);
		for (int nc = 0; nc < NC; nc++)
			o2c_pool_same(in + (size_t)nc * H * W, out + (size_t)nc * H * W, H, W, KH, KW, PT, PL, 0, r0, r1);
		return;
	}
	/* each tap's column range, once per call rather than per row (it divides) */
	int clo[O2C_POOL_KWMAX], chi[O2C_POOL_KWMAX];
	for (int kx = 0; kx < KW && kx < O2C_POOL_KWMAX; kx++)
		o2c_pool_cols(kx * DW - PL, SW, W, OW, &clo[kx], &chi[kx]);
	if (W <= O2C_POOL_ROWMAX && KW <= O2C_POOL_KWMAX) {
		/* Separably: the window's rows are first reduced down the columns into
		 * one row v (contiguous, full vectors), then the strided taps run
		 * along v once instead of along each of the KH rows: a 3x3 stride-2
		 * pool does 3 + 3/2 operations per input column instead of 9/2, and
		 * only a third of them strided. */
		O2C_OMP(for schedule(static) nowait)
		for (long q = 0; q < (long)OH * NC; q++) { /* row-major: a band of the image per thread */
			const int oy = (int)(q / NC), nc = (int)(q % NC);
			float v[O2C_POOL_ROWMAX];
			const float *x = in + (size_t)nc * H * W;
			float *y = out + ((size_t)nc * OH + oy) * OW;
			int nv = 0;
			for (int ky = 0; ky < KH; ky++) {
				const int iy = oy * SH + ky * DH - PT;
				if (iy < 0 || iy >= H)
					continue;
				const float *row = x + (size_t)iy * W;
				if (nv++ == 0)
					memcpy(v, row, (size_t)W * sizeof *v);
				else
					for (int i = 0; i < W; i++)
						v[i] = row[i] > v[i] ? row[i] : v[i];
			}
			for (int ox = 0; ox < OW; ox++)
				y[ox] = -INFINITY;
			if (!nv)
				continue;
			for (int kx = 0; kx < KW; kx++) {
				const int off = kx * DW - PL, lo = clo[kx], hi = chi[kx];
				if (SW == 1)
					for (int ox = lo; ox < hi; ox++)
						y[ox] = v[ox + off] > y[ox] ? v[ox + off] : y[ox];
				else if (SW == 2)
					for (int ox = lo; ox < hi; ox++)
						y[ox] = v[2 * ox + off] > y[ox] ? v[2 * ox + off] : y[ox];
				else
					for (int ox = lo; ox < hi; ox++)
						y[ox] = v[ox * SW + off] > y[ox] ? v[ox * SW + off] : y[ox];
			}
		}
		return;
	}
	O2C_OMP(for schedule(static) nowait)
	for (long q = 0; q < (long)OH * NC; q++) { /* row-major: a band of the image per thread */
		const int oy = (int)(q / NC), nc = (int)(q % NC);
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
				/* literal strides, so the compiler vectorises them */
				if (SW == 1)
					for (int ox = lo; ox < hi; ox++)
						y[ox] = row[ox + off] > y[ox] ? row[ox + off] : y[ox];
				else if (SW == 2)
					for (int ox = lo; ox < hi; ox++)
						y[ox] = row[2 * ox + off] > y[ox] ? row[2 * ox + off] : y[ox];
				else
					for (int ox = lo; ox < hi; ox++)
						y[ox] = row[ox * SW + off] > y[ox] ? row[ox * SW + off] : y[ox];
			}
		}
	}
}

/* count_include_pad: the divisor counts taps inside the padded input
 * [-PT, H+PB) (a ceil_mode window hanging past it is not padded further);
 * otherwise only taps inside the input. */
O2C_UNUSED static void o2c_avgpool2d(const float *in, float *out, int NC, int H, int W, int OH, int OW, int KH, int KW,
                                     int SH, int SW, int DH, int DW, int PT, int PL, int PB, int PR, int include_pad)
{
	if (o2c_pool_same_ok(H, W, OH, OW, SH, SW, DH, DW) && o2c_pool_flat_ok(NC, H, W)) {
		o2c_pool_flat(in, out, NC, H, W, KH, KW, PT, PL, 1, PB, PR, include_pad);
		return;
	}
	if (o2c_pool_same_ok(H, W, OH, OW, SH, SW, DH, DW) && W <= O2C_POOL_ROWMAX) {
		int r0, r1;
		o2c_band_rows(H, &r0, &r1);
		for (int nc = 0; nc < NC; nc++) {
			float *y = out + (size_t)nc * H * W;
			float rx[O2C_POOL_ROWMAX]; /* the taps inside each column's window */
			o2c_pool_same(in + (size_t)nc * H * W, y, H, W, KH, KW, PT, PL, 1, r0, r1);
			for (int ox = 0; ox < W; ox++) {
				const int cx = include_pad ? o2c_pool_count(ox - PL, KW, 1, -PL, W + PR)
				                           : o2c_pool_count(ox - PL, KW, 1, 0, W);
				rx[ox] = (float)cx;
			}
			for (int oy = r0; oy < r1; oy++) {
				const int cy = include_pad ? o2c_pool_count(oy - PT, KH, 1, -PT, H + PB)
				                           : o2c_pool_count(oy - PT, KH, 1, 0, H);
				float *yr = y + (size_t)oy * W;
				for (int ox = 0; ox < W; ox++)
					yr[ox] = yr[ox] / ((float)cy * rx[ox]);
			}
		}
		return;
	}
	/* each tap's column range, once per call rather than per row (it divides) */
	int clo[O2C_POOL_KWMAX], chi[O2C_POOL_KWMAX];
	for (int kx = 0; kx < KW && kx < O2C_POOL_KWMAX; kx++)
		o2c_pool_cols(kx * DW - PL, SW, W, OW, &clo[kx], &chi[kx]);
	O2C_OMP(for schedule(static) nowait)
	for (long q = 0; q < (long)OH * NC; q++) { /* row-major: a band of the image per thread */
		const int oy = (int)(q / NC), nc = (int)(q % NC);
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
				if (SW == 1)
					for (int ox = lo; ox < hi; ox++)
						y[ox] += row[ox + off];
				else if (SW == 2)
					for (int ox = lo; ox < hi; ox++)
						y[ox] += row[2 * ox + off];
				else
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

/* Global pools: one plane per output.  The reference sums a plane in order;
 * the SIMD variants keep 4 vector accumulators (the sum of a 14x14 plane is a
 * chain of 196 dependent adds otherwise, 4 cycles each) and add them at the
 * end, a different order of the same additions. */
O2C_UNUSED static void o2c_gavgpool_generic(const float *in, float *out, int NC, int HW)
{
	O2C_OMP(for schedule(static) nowait)
	for (int nc = 0; nc < NC; nc++) {
		const float *x = in + (size_t)nc * HW;
		float s = 0.0f;
		for (int i = 0; i < HW; i++)
			s += x[i];
		out[nc] = s / (float)HW;
	}
}

O2C_UNUSED static void o2c_gmaxpool_generic(const float *in, float *out, int NC, int HW)
{
	O2C_OMP(for schedule(static) nowait)
	for (int nc = 0; nc < NC; nc++) {
		const float *x = in + (size_t)nc * HW;
		float m = -INFINITY;
		for (int i = 0; i < HW; i++)
			m = x[i] > m ? x[i] : m;
		out[nc] = m;
	}
}

#if defined(__AVX512F__)
/* max of a plane, or its sum (is_max 0), 64 floats a step and a masked tail */
O2C_UNUSED static float o2c_plane_reduce_avx512(const float *x, int HW, int is_max)
{
	const __m512 init = _mm512_set1_ps(is_max ? -INFINITY : 0.0f);
	__m512 a0 = init, a1 = init, a2 = init, a3 = init;
	int i = 0;
	for (; i + 64 <= HW; i += 64) {
		const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
		const __m512 v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
		a0 = is_max ? _mm512_max_ps(a0, v0) : _mm512_add_ps(a0, v0);
		a1 = is_max ? _mm512_max_ps(a1, v1) : _mm512_add_ps(a1, v1);
		a2 = is_max ? _mm512_max_ps(a2, v2) : _mm512_add_ps(a2, v2);
		a3 = is_max ? _mm512_max_ps(a3, v3) : _mm512_add_ps(a3, v3);
	}
	for (; i < HW; i += 16) {
		const __mmask16 m = HW - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (HW - i)) - 1);
		a0 = is_max ? _mm512_mask_max_ps(a0, m, a0, _mm512_maskz_loadu_ps(m, x + i))
		            : _mm512_add_ps(a0, _mm512_maskz_loadu_ps(m, x + i));
	}
	if (is_max)
		return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(a0, a1), _mm512_max_ps(a2, a3)));
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}
#endif
#if defined(__AVX2__)
O2C_UNUSED static float o2c_plane_reduce_avx2(const float *x, int HW, int is_max)
{
	const __m256 init = _mm256_set1_ps(is_max ? -INFINITY : 0.0f);
	__m256 a0 = init, a1 = init, a2 = init, a3 = init;
	int i = 0;
	for (; i + 32 <= HW; i += 32) {
		const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
		const __m256 v2 = _mm256_loadu_ps(x + i + 16), v3 = _mm256_loadu_ps(x + i + 24);
		a0 = is_max ? _mm256_max_ps(a0, v0) : _mm256_add_ps(a0, v0);
		a1 = is_max ? _mm256_max_ps(a1, v1) : _mm256_add_ps(a1, v1);
		a2 = is_max ? _mm256_max_ps(a2, v2) : _mm256_add_ps(a2, v2);
		a3 = is_max ? _mm256_max_ps(a3, v3) : _mm256_add_ps(a3, v3);
	}
	a0 = is_max ? _mm256_max_ps(_mm256_max_ps(a0, a1), _mm256_max_ps(a2, a3))
	            : _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
	float t[8], r;
	_mm256_storeu_ps(t, a0);
	r = t[0];
	for (int j = 1; j < 8; j++)
		r = is_max ? (t[j] > r ? t[j] : r) : r + t[j];
	for (; i < HW; i++)
		r = is_max ? (x[i] > r ? x[i] : r) : r + x[i];
	return r;
}
#endif

#if defined(__AVX512F__)
#define O2C_PLANE_REDUCE o2c_plane_reduce_avx512
#elif defined(__AVX2__)
#define O2C_PLANE_REDUCE o2c_plane_reduce_avx2
#endif

#if defined(O2C_PLANE_REDUCE)
O2C_UNUSED static void o2c_gavgpool(const float *in, float *out, int NC, int HW)
{
	O2C_OMP(for schedule(static) nowait)
	for (int nc = 0; nc < NC; nc++)
		out[nc] = O2C_PLANE_REDUCE(in + (size_t)nc * HW, HW, 0) / (float)HW;
}

O2C_UNUSED static void o2c_gmaxpool(const float *in, float *out, int NC, int HW)
{
	O2C_OMP(for schedule(static) nowait)
	for (int nc = 0; nc < NC; nc++)
		out[nc] = O2C_PLANE_REDUCE(in + (size_t)nc * HW, HW, 1);
}
#else
#define o2c_gavgpool o2c_gavgpool_generic
#define o2c_gmaxpool o2c_gmaxpool_generic
#endif
