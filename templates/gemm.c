/*
 * Template: gemm.c - pasted by onnx2c (compiler/ops/gemm.c) into models with
 * Gemm or MatMul.  Takes no variables: sizes, strides and scalars are
 * arguments.  Uses common.c (O2C_OMP, O2C_UNUSED, immintrin.h), which every
 * model starts with.
 * Needs: blocking.h
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
 * accumulators: it is bound by reading the packed weights once.  The
 * driver splits the panels over OpenMP threads.
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

/* Y(i, j0..j0+nr) = alpha * acc + beta * C + R for one row piece. */
O2C_UNUSED static void o2c_gemm_store(ptrdiff_t i, ptrdiff_t j0, int nr, ptrdiff_t N, const float *acc, float alpha,
                                      float beta, const float *c, ptrdiff_t c_rs, ptrdiff_t c_cs, const float *res,
                                      float *y)
{
	for (int j = 0; j < nr; j++) {
		float v = alpha * acc[j];
		if (c)
			v += beta * c[i * c_rs + (j0 + j) * c_cs];
		if (res)
			v += res[i * N + j0 + j];
		y[i * N + j0 + j] = v;
	}
}

/* Packed constant B: see the layout above.  c and res may be NULL. */
O2C_UNUSED static void o2c_gemm_packed(ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, float alpha, const float *a,
                                       ptrdiff_t a_rs, ptrdiff_t a_cs, const float *bp, float beta, const float *c,
                                       ptrdiff_t c_rs, ptrdiff_t c_cs, const float *res, float *y)
{
	ptrdiff_t np = (N + O2C_GEMM_NR - 1) / O2C_GEMM_NR;
	O2C_OMP(for schedule(static) nowait)
	for (ptrdiff_t p = 0; p < np; p++) {
		const float *panel = bp + p * K * O2C_GEMM_NR;
		ptrdiff_t j0 = p * O2C_GEMM_NR;
		int nr = N - j0 < O2C_GEMM_NR ? (int)(N - j0) : O2C_GEMM_NR;
		/* K in blocks of O2C_SUM_KB, each block's sum added to the total
		 * (blocked summation, as the conv kernels: VGG's 25088-long rows in
		 * one running sum had 2x ONNX Runtime's rounding error) */
		if (M == 1) {
			float acc[16] = { 0 }, part[16];
			for (ptrdiff_t k0 = 0; k0 < K; k0 += O2C_SUM_KB) {
				const ptrdiff_t kb = K - k0 < O2C_SUM_KB ? K - k0 : O2C_SUM_KB;
				o2c_gemv_ukernel_1x16(kb, a + k0 * a_cs, a_cs, panel + k0 * O2C_GEMM_NR, part);
				for (int j = 0; j < 16; j++)
					acc[j] += part[j];
			}
			o2c_gemm_store(0, j0, nr, N, acc, alpha, beta, c, c_rs, c_cs, res, y);
			continue;
		}
		for (ptrdiff_t i = 0; i < M; i += O2C_GEMM_MR) {
			int mr = M - i < O2C_GEMM_MR ? (int)(M - i) : O2C_GEMM_MR;
			float acc[4][16] = { { 0 } }, part[4][16];
			for (ptrdiff_t k0 = 0; k0 < K; k0 += O2C_SUM_KB) {
				const ptrdiff_t kb = K - k0 < O2C_SUM_KB ? K - k0 : O2C_SUM_KB;
				o2c_gemm_ukernel_4x16(mr, kb, a + i * a_rs + k0 * a_cs, a_rs, a_cs, panel + k0 * O2C_GEMM_NR, part);
				for (int r = 0; r < 4; r++)
					for (int j = 0; j < 16; j++)
						acc[r][j] += part[r][j];
			}
			for (int r = 0; r < mr; r++)
				o2c_gemm_store(i + r, j0, nr, N, acc[r], alpha, beta, c, c_rs, c_cs, res, y);
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
