/*
 * Template: gemm.c - pasted by onnx2c (compiler/ops/gemm.c) into models with
 * Gemm or MatMul.  Takes no variables: sizes, strides and scalars are
 * arguments.  Uses common.c (O2C_OMP, O2C_UNUSED, immintrin.h), which every
 * model starts with.
 * Needs: blocking.h act.c
 *
 *   Y[M,N] = alpha * A[M,K] B[K,N] + beta * C (+ R)
 *
 * A and C are read through (row, column) strides, so a transposed A or a
 * broadcast C (stride 0) costs nothing; Y and R are dense, row stride N.
 *
 * Constant B is packed by the compiler (compiler/pack/pack.c, pack_gemm)
 * into panels of O2C_GEMM_NR = 16 columns: panel p holds rows k = 0..K-1 of
 * B[k][16p .. 16p+15], 16 floats per row, zero past N.  The microkernel
 * o2c_gemm_ukernel_4x16_<isa> computes acc[r][j] = sum_k A(r,k) *
 * panel[k][j] for up to 4 rows; rows past mr repeat row 0 and are
 * discarded, so the kernel has no row edge cases.  One row (the FC head of
 * a batched CNN, a GEMV) has its own kernel with four independent
 * accumulators: it is bound by reading the packed weights once.
 *
 * The packed driver runs tiles of 8 rows x 2 panels (32 columns): the AVX-512
 * tile kernel holds 16 accumulators, 2 panel loads and 8 broadcasts per 16
 * FMAs (the 4x16 kernel's 4 chains stalled on FMA latency, and its scalar
 * epilogue cost as much as the products: ConvNeXt's Linears ran at ~65
 * GFLOP/s).  The other ISAs' tile kernels run their 4x16 kernel on the
 * quarters.  Rows go to the threads in bands (the rows a thread wrote stay
 * its own); the panels are walked in chunks of about O2C_GEMM_BCHUNK bytes,
 * each chunk over all of the thread's rows, so a large B is read once per
 * thread and a small one stays in L2.  The epilogue (alpha, C, residual, then
 * the activation `act`, an O2C_ACT_* kind of act.c) runs on the tile's rows
 * as they are stored.
 * Variants: AVX-512F, AVX2+FMA, and the portable _generic reference that
 * every variant must match (tests/kernels/test_gemm.c).
 */
O2C_UNUSED static void o2c_gemm_ukernel_4x16_generic(int mr, ptrdiff_t K, const float *a, ptrdiff_t a_rs,
                                                     ptrdiff_t a_cs, const float *bp, float acc[4][16])
{
	for (int r = 0; r < 4; r++)
		for (int j = 0; j < 16; j++)
			acc[r][j] = 0.0f;
	for (int r = 0; r < mr; r++) {
		const float *ar = a + r * a_rs;
		for (ptrdiff_t k = 0; k < K; k++) {
			float av = ar[k * a_cs];
			for (int j = 0; j < 16; j++)
				acc[r][j] += av * bp[k * 16 + j];
		}
	}
}

O2C_UNUSED static void o2c_gemv_ukernel_1x16_generic(ptrdiff_t K, const float *a, ptrdiff_t a_cs,
                                                     const float *bp, float acc[16])
{
	for (int j = 0; j < 16; j++)
		acc[j] = 0.0f;
	for (ptrdiff_t k = 0; k < K; k++)
		for (int j = 0; j < 16; j++)
			acc[j] += a[k * a_cs] * bp[k * 16 + j];
}

#if defined(__AVX512F__)
O2C_UNUSED static void o2c_gemm_ukernel_4x16_avx512(int mr, ptrdiff_t K, const float *a, ptrdiff_t a_rs,
                                                    ptrdiff_t a_cs, const float *bp, float acc[4][16])
{
	const float *a0 = a, *a1 = a + (mr > 1 ? a_rs : 0), *a2 = a + (mr > 2 ? 2 * a_rs : 0),
	            *a3 = a + (mr > 3 ? 3 * a_rs : 0);
	__m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
	for (ptrdiff_t k = 0; k < K; k++) {
		__m512 b = _mm512_loadu_ps(bp + k * 16);
		c0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[k * a_cs]), b, c0);
		c1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[k * a_cs]), b, c1);
		c2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[k * a_cs]), b, c2);
		c3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[k * a_cs]), b, c3);
	}
	_mm512_storeu_ps(acc[0], c0);
	_mm512_storeu_ps(acc[1], c1);
	_mm512_storeu_ps(acc[2], c2);
	_mm512_storeu_ps(acc[3], c3);
}

O2C_UNUSED static void o2c_gemv_ukernel_1x16_avx512(ptrdiff_t K, const float *a, ptrdiff_t a_cs,
                                                    const float *bp, float acc[16])
{
	__m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
	ptrdiff_t k = 0, k4 = K / 4 * 4;
	for (; k < k4; k += 4) {
		c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[k * a_cs]), _mm512_loadu_ps(bp + k * 16), c0);
		c1 = _mm512_fmadd_ps(_mm512_set1_ps(a[(k + 1) * a_cs]), _mm512_loadu_ps(bp + k * 16 + 16), c1);
		c2 = _mm512_fmadd_ps(_mm512_set1_ps(a[(k + 2) * a_cs]), _mm512_loadu_ps(bp + k * 16 + 32), c2);
		c3 = _mm512_fmadd_ps(_mm512_set1_ps(a[(k + 3) * a_cs]), _mm512_loadu_ps(bp + k * 16 + 48), c3);
	}
	for (; k < K; k++)
		c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[k * a_cs]), _mm512_loadu_ps(bp + k * 16), c0);
	_mm512_storeu_ps(acc, _mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)));
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
O2C_UNUSED static void o2c_gemm_ukernel_4x16_avx2(int mr, ptrdiff_t K, const float *a, ptrdiff_t a_rs,
                                                  ptrdiff_t a_cs, const float *bp, float acc[4][16])
{
	const float *a0 = a, *a1 = a + (mr > 1 ? a_rs : 0), *a2 = a + (mr > 2 ? 2 * a_rs : 0),
	            *a3 = a + (mr > 3 ? 3 * a_rs : 0);
	__m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
	       c31 = c00;
	for (ptrdiff_t k = 0; k < K; k++) {
		__m256 b0 = _mm256_loadu_ps(bp + k * 16), b1 = _mm256_loadu_ps(bp + k * 16 + 8);
		__m256 v = _mm256_broadcast_ss(a0 + k * a_cs);
		c00 = _mm256_fmadd_ps(v, b0, c00);
		c01 = _mm256_fmadd_ps(v, b1, c01);
		v = _mm256_broadcast_ss(a1 + k * a_cs);
		c10 = _mm256_fmadd_ps(v, b0, c10);
		c11 = _mm256_fmadd_ps(v, b1, c11);
		v = _mm256_broadcast_ss(a2 + k * a_cs);
		c20 = _mm256_fmadd_ps(v, b0, c20);
		c21 = _mm256_fmadd_ps(v, b1, c21);
		v = _mm256_broadcast_ss(a3 + k * a_cs);
		c30 = _mm256_fmadd_ps(v, b0, c30);
		c31 = _mm256_fmadd_ps(v, b1, c31);
	}
	_mm256_storeu_ps(acc[0], c00);
	_mm256_storeu_ps(acc[0] + 8, c01);
	_mm256_storeu_ps(acc[1], c10);
	_mm256_storeu_ps(acc[1] + 8, c11);
	_mm256_storeu_ps(acc[2], c20);
	_mm256_storeu_ps(acc[2] + 8, c21);
	_mm256_storeu_ps(acc[3], c30);
	_mm256_storeu_ps(acc[3] + 8, c31);
}

O2C_UNUSED static void o2c_gemv_ukernel_1x16_avx2(ptrdiff_t K, const float *a, ptrdiff_t a_cs,
                                                  const float *bp, float acc[16])
{
	__m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
	ptrdiff_t k = 0, k2 = K / 2 * 2;
	for (; k < k2; k += 2) {
		__m256 v = _mm256_broadcast_ss(a + k * a_cs), w = _mm256_broadcast_ss(a + (k + 1) * a_cs);
		c0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(bp + k * 16), c0);
		c1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(bp + k * 16 + 8), c1);
		c2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(bp + k * 16 + 16), c2);
		c3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(bp + k * 16 + 24), c3);
	}
	for (; k < K; k++) {
		__m256 v = _mm256_broadcast_ss(a + k * a_cs);
		c0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(bp + k * 16), c0);
		c1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(bp + k * 16 + 8), c1);
	}
	_mm256_storeu_ps(acc, _mm256_add_ps(c0, c2));
	_mm256_storeu_ps(acc + 8, _mm256_add_ps(c1, c3));
}
#endif

#if defined(__AVX512F__)
#define o2c_gemm_ukernel_4x16 o2c_gemm_ukernel_4x16_avx512
#define o2c_gemv_ukernel_1x16 o2c_gemv_ukernel_1x16_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define o2c_gemm_ukernel_4x16 o2c_gemm_ukernel_4x16_avx2
#define o2c_gemv_ukernel_1x16 o2c_gemv_ukernel_1x16_avx2
#else
#define o2c_gemm_ukernel_4x16 o2c_gemm_ukernel_4x16_generic
#define o2c_gemv_ukernel_1x16 o2c_gemv_ukernel_1x16_generic
#endif

/* ---- tiles of 8 rows x 2 panels ------------------------------------------------------------ */

/* acc[r][16q + j] = sum_k A(r, k) * panel q [k][j] for r < 8, q < np (1 or 2; the
 * second panel ps floats after the first); rows past mr repeat row 0 (as the 4x16
 * kernels), columns of a missing second panel are zero.  Runs the ISA's 4x16 kernel
 * on the quarters: the portable reference of the tile contract. */
#define O2C_GEMM_TILE_BY_QUARTERS(UK)                                                                                  \
	for (int h = 0; h < 2; h++)                                                                                    \
		for (int q = 0; q < 2; q++) {                                                                          \
			float part[4][16] = { { 0 } };                                                                 \
			const int hr = mr - 4 * h > 4 ? 4 : mr - 4 * h;                                                \
			if (q < np && hr > 0)                                                                          \
				UK(hr, K, a + 4 * h * a_rs, a_rs, a_cs, bp + q * ps, part);                            \
			for (int r = 0; r < 4; r++)                                                                    \
				for (int j = 0; j < 16; j++)                                                           \
					acc[4 * h + r][16 * q + j] = part[hr > 0 ? r : 0][j];                          \
		}

O2C_UNUSED static void o2c_gemm_tile_8x32_generic(int mr, int np, ptrdiff_t K, const float *a, ptrdiff_t a_rs,
                                                  ptrdiff_t a_cs, const float *bp, ptrdiff_t ps, float acc[8][32])
{
	O2C_GEMM_TILE_BY_QUARTERS(o2c_gemm_ukernel_4x16_generic)
}

#if defined(__AVX2__) && defined(__FMA__)
O2C_UNUSED static void o2c_gemm_tile_8x32_avx2(int mr, int np, ptrdiff_t K, const float *a, ptrdiff_t a_rs,
                                               ptrdiff_t a_cs, const float *bp, ptrdiff_t ps, float acc[8][32])
{
	O2C_GEMM_TILE_BY_QUARTERS(o2c_gemm_ukernel_4x16_avx2)
}
#endif

#if defined(__AVX512F__)
/* 8 rows x 32 columns in 16 zmm accumulators, written out: gcc -O2 does not unroll
 * a loop over the rows, and an array of accumulators then lives in memory. */
O2C_UNUSED static void o2c_gemm_tile_8x32_avx512(int mr, int np, ptrdiff_t K, const float *a, ptrdiff_t a_rs,
                                                 ptrdiff_t a_cs, const float *bp, ptrdiff_t ps, float acc[8][32])
{
	const float *a0 = a, *a1 = a + (mr > 1 ? a_rs : 0), *a2 = a + (mr > 2 ? 2 * a_rs : 0),
	            *a3 = a + (mr > 3 ? 3 * a_rs : 0), *a4 = a + (mr > 4 ? 4 * a_rs : 0),
	            *a5 = a + (mr > 5 ? 5 * a_rs : 0), *a6 = a + (mr > 6 ? 6 * a_rs : 0),
	            *a7 = a + (mr > 7 ? 7 * a_rs : 0);
	const float *b1 = np > 1 ? bp + ps : bp; /* one panel: the second half recomputes the first, then zeroed */
	__m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
	       c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
	for (ptrdiff_t k = 0; k < K; k++) {
		const __m512 v0 = _mm512_loadu_ps(bp + k * 16), v1 = _mm512_loadu_ps(b1 + k * 16);
		const ptrdiff_t o = k * a_cs;
		__m512 x = _mm512_set1_ps(a0[o]);
		c00 = _mm512_fmadd_ps(x, v0, c00);
		c01 = _mm512_fmadd_ps(x, v1, c01);
		x = _mm512_set1_ps(a1[o]);
		c10 = _mm512_fmadd_ps(x, v0, c10);
		c11 = _mm512_fmadd_ps(x, v1, c11);
		x = _mm512_set1_ps(a2[o]);
		c20 = _mm512_fmadd_ps(x, v0, c20);
		c21 = _mm512_fmadd_ps(x, v1, c21);
		x = _mm512_set1_ps(a3[o]);
		c30 = _mm512_fmadd_ps(x, v0, c30);
		c31 = _mm512_fmadd_ps(x, v1, c31);
		x = _mm512_set1_ps(a4[o]);
		c40 = _mm512_fmadd_ps(x, v0, c40);
		c41 = _mm512_fmadd_ps(x, v1, c41);
		x = _mm512_set1_ps(a5[o]);
		c50 = _mm512_fmadd_ps(x, v0, c50);
		c51 = _mm512_fmadd_ps(x, v1, c51);
		x = _mm512_set1_ps(a6[o]);
		c60 = _mm512_fmadd_ps(x, v0, c60);
		c61 = _mm512_fmadd_ps(x, v1, c61);
		x = _mm512_set1_ps(a7[o]);
		c70 = _mm512_fmadd_ps(x, v0, c70);
		c71 = _mm512_fmadd_ps(x, v1, c71);
	}
	const __m512 z = _mm512_setzero_ps();
	_mm512_storeu_ps(acc[0], c00);
	_mm512_storeu_ps(acc[0] + 16, np > 1 ? c01 : z);
	_mm512_storeu_ps(acc[1], c10);
	_mm512_storeu_ps(acc[1] + 16, np > 1 ? c11 : z);
	_mm512_storeu_ps(acc[2], c20);
	_mm512_storeu_ps(acc[2] + 16, np > 1 ? c21 : z);
	_mm512_storeu_ps(acc[3], c30);
	_mm512_storeu_ps(acc[3] + 16, np > 1 ? c31 : z);
	_mm512_storeu_ps(acc[4], c40);
	_mm512_storeu_ps(acc[4] + 16, np > 1 ? c41 : z);
	_mm512_storeu_ps(acc[5], c50);
	_mm512_storeu_ps(acc[5] + 16, np > 1 ? c51 : z);
	_mm512_storeu_ps(acc[6], c60);
	_mm512_storeu_ps(acc[6] + 16, np > 1 ? c61 : z);
	_mm512_storeu_ps(acc[7], c70);
	_mm512_storeu_ps(acc[7] + 16, np > 1 ? c71 : z);
}
#define o2c_gemm_tile_8x32 o2c_gemm_tile_8x32_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define o2c_gemm_tile_8x32 o2c_gemm_tile_8x32_avx2
#else
#define o2c_gemm_tile_8x32 o2c_gemm_tile_8x32_generic
#endif

/* Rows i..i+mr-1, columns j0..j0+nr-1 of Y from the tile's sums: alpha * acc + beta * C
 * + R, then the activation. */
O2C_UNUSED static void o2c_gemm_store_tile(ptrdiff_t i, int mr, ptrdiff_t j0, int nr, ptrdiff_t N,
                                           float acc[8][32], float alpha, float beta, const float *c,
                                           ptrdiff_t c_rs, ptrdiff_t c_cs, const float *res, float *y, int act)
{
	for (int r = 0; r < mr; r++) {
		float *yr = y + (i + r) * N + j0, *v = acc[r];
		if (c && c_cs == 1) {
			const float *cr = c + (i + r) * c_rs + j0;
			O2C_SIMD
			for (int j = 0; j < nr; j++)
				v[j] = alpha * v[j] + beta * cr[j];
		} else if (c) {
			for (int j = 0; j < nr; j++)
				v[j] = alpha * v[j] + beta * c[(i + r) * c_rs + (j0 + j) * c_cs];
		} else {
			O2C_SIMD
			for (int j = 0; j < nr; j++)
				v[j] = alpha * v[j];
		}
		if (res) {
			const float *rr = res + (i + r) * N + j0;
			O2C_SIMD
			for (int j = 0; j < nr; j++)
				v[j] += rr[j];
		}
		o2c_act_rows(v, 32, 1, nr, act);
		memcpy(yr, v, (size_t)nr * sizeof *yr);
	}
}

/* Packed constant B: see the layout above.  c and res may be NULL; act is an O2C_ACT_*
 * kind (O2C_ACT_NONE: none). */
O2C_UNUSED static void o2c_gemm_packed(ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, float alpha, const float *a,
                                       ptrdiff_t a_rs, ptrdiff_t a_cs, const float *bp, float beta, const float *c,
                                       ptrdiff_t c_rs, ptrdiff_t c_cs, const float *res, float *y, int act)
{
	const ptrdiff_t np = (N + O2C_GEMM_NR - 1) / O2C_GEMM_NR, ps = K * O2C_GEMM_NR;
	if (M == 1) {
		O2C_OMP(for schedule(static) nowait)
		for (ptrdiff_t p = 0; p < np; p++) {
			const float *panel = bp + p * ps;
			const ptrdiff_t j0 = p * O2C_GEMM_NR;
			const int nr = N - j0 < O2C_GEMM_NR ? (int)(N - j0) : O2C_GEMM_NR;
			/* K in blocks of O2C_SUM_KB, each block's sum added to the total
			 * (blocked summation, as the conv kernels: VGG's 25088-long rows in
			 * one running sum had 2x ONNX Runtime's rounding error) */
			float acc[8][32] = { { 0 } }, part[16];
			for (ptrdiff_t k0 = 0; k0 < K; k0 += O2C_SUM_KB) {
				const ptrdiff_t kb = K - k0 < O2C_SUM_KB ? K - k0 : O2C_SUM_KB;
				o2c_gemv_ukernel_1x16(kb, a + k0 * a_cs, a_cs, panel + k0 * O2C_GEMM_NR, part);
				for (int j = 0; j < 16; j++)
					acc[0][j] += part[j];
			}
			o2c_gemm_store_tile(0, 1, j0, nr, N, acc, alpha, beta, c, c_rs, c_cs, res, y, act);
		}
		return;
	}
	/* pairs of panels per chunk of B; items: chunk-major, then 8-row blocks */
	const ptrdiff_t npairs = (np + 1) / 2, nrb = (M + 7) / 8;
	ptrdiff_t per = O2C_GEMM_BCHUNK / (ps * 2 * (ptrdiff_t)sizeof(float));
	if (per < 1)
		per = 1;
	const ptrdiff_t nchunks = (npairs + per - 1) / per;
	O2C_OMP(for schedule(static) nowait)
	for (ptrdiff_t t = 0; t < nchunks * nrb; t++) {
		const ptrdiff_t ch = t / nrb, i = t % nrb * 8;
		const int mr = M - i < 8 ? (int)(M - i) : 8;
		const ptrdiff_t q1 = (ch + 1) * per < npairs ? (ch + 1) * per : npairs;
		for (ptrdiff_t q = ch * per; q < q1; q++) {
			const ptrdiff_t j0 = q * 2 * O2C_GEMM_NR;
			const int pn = np - 2 * q > 1 ? 2 : 1;
			const int nr = N - j0 < 2 * O2C_GEMM_NR ? (int)(N - j0) : 2 * O2C_GEMM_NR;
			float acc[8][32], part[8][32];
			for (ptrdiff_t k0 = 0; k0 < K; k0 += O2C_SUM_KB) {
				const ptrdiff_t kb = K - k0 < O2C_SUM_KB ? K - k0 : O2C_SUM_KB;
				o2c_gemm_tile_8x32(mr, pn, kb, a + i * a_rs + k0 * a_cs, a_rs, a_cs,
				                   bp + 2 * q * ps + k0 * O2C_GEMM_NR, ps, k0 ? part : acc);
				if (k0)
					for (int r = 0; r < 8; r++)
						for (int j = 0; j < 32; j++)
							acc[r][j] += part[r][j];
			}
			o2c_gemm_store_tile(i, mr, j0, nr, N, acc, alpha, beta, c, c_rs, c_cs, res, y, act);
		}
	}
}

/* Both operands at run time: B read through strides.  Rows over threads. */
O2C_UNUSED static void o2c_gemm_generic(ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, float alpha, const float *a,
                                        ptrdiff_t a_rs, ptrdiff_t a_cs, const float *b, ptrdiff_t b_rs,
                                        ptrdiff_t b_cs, float beta, const float *c, ptrdiff_t c_rs, ptrdiff_t c_cs,
                                        const float *res, float *y)
{
	O2C_OMP(for schedule(static) nowait)
	for (ptrdiff_t i = 0; i < M; i++) {
		float *yr = y + i * N;
		for (ptrdiff_t j = 0; j < N; j++)
			yr[j] = 0.0f;
		for (ptrdiff_t k = 0; k < K; k++) {
			float av = a[i * a_rs + k * a_cs];
			const float *br = b + k * b_rs;
			for (ptrdiff_t j = 0; j < N; j++)
				yr[j] += av * br[j * b_cs];
		}
		for (ptrdiff_t j = 0; j < N; j++) {
			float v = alpha * yr[j];
			if (c)
				v += beta * c[i * c_rs + j * c_cs];
			if (res)
				v += res[i * N + j];
			yr[j] = v;
		}
	}
}
