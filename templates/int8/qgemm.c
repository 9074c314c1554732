/*
 * Template: int8/qgemm.c - the int8 GEMM family: u8 activations times
 * constant s8 weights, int32 sums, requantised to u8 in the epilogue.
 * For int8 Conv 1x1, Gemm and MatMul nodes, and ahead of int8/qconv.c,
 * whose im2col rows run these microkernels; the compiler side that pastes
 * and calls it (issue 21's QDQ/QOperator recognition) is not written yet.
 * Takes no variables: sizes, strides and the node's O2cQuant are arguments.
 * Needs: blocking.h int8/shared.c
 *
 *   Y[m][n] = requant(sum_k A[m][k] * B[k][n] + bias[n] - w_zp[n] * rowsum(A)[m])
 *
 * for m < M, n < N, with requant, the clamps and the fused residual of
 * o2c_q_requant1 (int8/shared.c), which every variant equals bit for bit.
 * A is u8, row-major with row stride lda: NHWC activations are rows of
 * pixels and columns of channels, so a 1x1 conv is this call as it stands.
 * Y is u8 with row stride ldy, so a conv can write its slice of a channel
 * concat in place; the residual is q->res with row stride q->ldr, indexed
 * like Y.  K <= 65536, so that no int32 sum can overflow (255 * 128 * K).
 *
 * Zero points.  The compiler folds -x_zp * colsum(B)[n] (+ K*x_zp*w_zp[n])
 * into q->bias, so with q->w_zp NULL the kernels add the raw products and
 * the bias and nothing else.  With per-column weight zero points
 * (q->w_zp != NULL) the driver sums each A row once per row block and the
 * epilogue subtracts w_zp[n] * rowsum[m].
 *
 * B is packed at compile time by compiler/pack/pack.c (pack_qgemm,
 * qgemm_colsums for the bias) in one layout for every ISA: panels of
 * O2C_QGEMM_NR = 16 columns, K padded to Kp = ceil(K/4)*4, and in a panel
 * the 4 consecutive k of a column adjacent:
 *   bp[p][k/4][j][k%4] = B[k][16p + j]      (zero past K and past N)
 * so one 64-byte row of a panel is one zmm whose 16 int32 lanes are the 16
 * columns' 4 weights each, what vpdpbusd multiplies by 4 broadcast u8 of A.
 *
 * Microkernels o2c_qgemm_ukernel_<MR>x<NR>_<isa> compute an up-to MR x NR
 * tile (rows past mr repeat row 0 and are not stored; columns past nr are
 * not stored) over the whole of K, the last partial group of 4 read byte
 * by byte so no A row is read past its K bytes, and requantise it in
 * registers:
 *   8x32_avx512vnni  16 zmm of vpdpbusd sums (AVX512-VNNI, BW and VL);
 *   6x16_avxvnni     12 ymm of 256-bit vpdpbusd; built with AVX-VNNI (VEX),
 *                    or with AVX512-VNNI+VL as the EVEX form of the same
 *                    instruction, so CPUs without AVX-VNNI run it too;
 *   4x16_avx2        no VNNI.  vpmaddubsw is NOT used: its int16 pair sum
 *                    saturates (255*127*2 > 32767).  Each weight group is
 *                    split into its even and odd bytes, sign-extended to
 *                    int16 (shifts), A's 4 bytes likewise zero-extended,
 *                    and two vpmaddwd give a0*b0 + a2*b2 and a1*b1 + a3*b3
 *                    per column in int32: exact, half vpdpbusd's rate;
 *   4x16_generic     portable C, the reference of the panel contract.
 * The requant epilogue is o2c_q_requant16_avx512 / o2c_q_requant8_avx2
 * (int8/shared.c) on whole vectors, masked at the column edge (AVX-512),
 * the scalar o2c_q_requant1 for a partial group of 8 (AVX2).
 *
 * The driver (o2c_qgemm_run, o2c_qgemm_u8s8 with the ISA's kernel) cuts Y
 * into tasks of up to O2C_QGEMM_ABYTES of A rows by a range of column
 * tiles and shares them with orphaned worksharing (O2C_OMP for, nowait)
 * inside the run's team; columns are split only when there are too few
 * row blocks for the threads (a GEMV).  In a task the column tiles are the
 * outer loop, so a tile's packed weights stay in L1 while the rows' block
 * is walked from L2.
 */

/* Computes Y for an up-to MR x NR tile: rows a + r*lda (K bytes each), the
 * packed panel bp holding column n0 (a multiple of 16; the next panel at
 * bp + Kp*16), rsum the rows' sums (NULL iff q->w_zp is), res the residual
 * at the tile's origin (row stride q->ldr; NULL iff q->res is), y the tile's
 * origin in Y. */
typedef void (*o2c_qgemm_ukernel_fn)(int mr, int nr, ptrdiff_t K, const uint8_t *a, ptrdiff_t lda, const int8_t *bp,
                                     ptrdiff_t Kp, const int32_t *rsum, const O2cQuant *q, ptrdiff_t n0,
                                     const uint8_t *res, uint8_t *y, ptrdiff_t ldy);

/* One output: raw sum acc of column n, the row's sum rs (w_zp only), the
 * residual r (or NULL). */
O2C_UNUSED O2C_INLINE void o2c_qgemm_out1(const O2cQuant *q, ptrdiff_t n, int32_t acc, int32_t rs, const uint8_t *r,
                                          uint8_t *y)
{
	acc += q->bias[n];
	if (q->w_zp)
		acc -= q->w_zp[n] * rs;
	*y = o2c_q_requant1(q, n, acc, r ? *r : 0);
}

/* ---- generic --------------------------------------------------------------------------------- */

O2C_UNUSED static void o2c_qgemm_ukernel_4x16_generic(int mr, int nr, ptrdiff_t K, const uint8_t *a, ptrdiff_t lda,
                                                      const int8_t *bp, ptrdiff_t Kp, const int32_t *rsum,
                                                      const O2cQuant *q, ptrdiff_t n0, const uint8_t *res, uint8_t *y,
                                                      ptrdiff_t ldy)
{
	int32_t acc[4][16];
	(void)Kp;
	for (int r = 0; r < 4; r++)
		for (int j = 0; j < 16; j++)
			acc[r][j] = 0;
	for (ptrdiff_t k = 0; k < K; k++) {
		const int8_t *bk = bp + (k / 4) * 64 + k % 4; /* column j at bk[4 * j] */
		for (int r = 0; r < mr; r++) {
			const int32_t av = a[r * lda + k];
			for (int j = 0; j < 16; j++)
				acc[r][j] += av * bk[4 * j];
		}
	}
	for (int r = 0; r < mr; r++)
		for (int j = 0; j < nr; j++)
			o2c_qgemm_out1(q, n0 + j, acc[r][j], rsum ? rsum[r] : 0, res ? res + r * q->ldr + j : NULL,
			               y + r * ldy + j);
}

/* A's 4 bytes k = 4g.. of a row as one int32, zeros past K (nk bytes). */
O2C_UNUSED O2C_INLINE int32_t o2c_qgemm_a4(const uint8_t *p, int nk)
{
	int32_t v = 0;
	memcpy(&v, p, (size_t)nk);
	return v;
}

/* ---- AVX512-VNNI ----------------------------------------------------------------------------- */

#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__)
/* One group of 4 k (nk of them real: 4, or K's last 1..3) into acc. */
O2C_UNUSED O2C_INLINE void o2c_qgemm_step_avx512vnni(const int MRc, const int NV, __m512i acc[][2],
                                                     const uint8_t *const *ar, const int8_t *b0, const int8_t *b1,
                                                     ptrdiff_t g, const int nk)
{
	const __m512i w0 = _mm512_loadu_si512(b0 + g * 64);
	const __m512i w1 = NV > 1 ? _mm512_loadu_si512(b1 + g * 64) : w0;
	O2C_UNROLL
	for (int r = 0; r < MRc; r++) {
		const __m512i av = _mm512_set1_epi32(o2c_qgemm_a4(ar[r] + 4 * g, nk));
		acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], av, w0);
		if (NV > 1)
			acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], av, w1);
	}
}

/* MRc rows x NV zmm: MRc (8, 4 or 1) and NV (2 or 1) constant after inlining. */
O2C_UNUSED O2C_INLINE void o2c_qgemm_tile_avx512vnni(const int MRc, const int NV, int mr, int nr, ptrdiff_t K,
                                                     const uint8_t *a, ptrdiff_t lda, const int8_t *bp, ptrdiff_t Kp,
                                                     const int32_t *rsum, const O2cQuant *q, ptrdiff_t n0,
                                                     const uint8_t *res, uint8_t *y, ptrdiff_t ldy)
{
	const uint8_t *ar[8];
	__m512i acc[8][2];
	const int8_t *b1 = bp + Kp * 16;
	O2C_UNROLL
	for (int r = 0; r < MRc; r++) {
		ar[r] = a + (r < mr ? r : 0) * lda;
		acc[r][0] = acc[r][1] = _mm512_setzero_si512();
	}
	const ptrdiff_t G = K / 4;
	for (ptrdiff_t g = 0; g < G; g++)
		o2c_qgemm_step_avx512vnni(MRc, NV, acc, ar, bp, b1, g, 4);
	if (K & 3)
		o2c_qgemm_step_avx512vnni(MRc, NV, acc, ar, bp, b1, G, (int)(K & 3));
	const O2cQv16 c = o2c_q_consts16(q);
	O2C_UNROLL
	for (int v = 0; v < NV; v++) {
		const int nv = nr - 16 * v; /* >= 1: NV = 2 only for nr > 16 */
		const __mmask16 m = (__mmask16)(nv >= 16 ? 0xffffu : (1u << nv) - 1u);
		const ptrdiff_t n = n0 + 16 * v;
		const __m512i bias = _mm512_maskz_loadu_epi32(m, q->bias + n);
		const __m512 mult = _mm512_maskz_loadu_ps(m, q->mult + n);
		const __m512i wz = rsum ? _mm512_maskz_loadu_epi32(m, q->w_zp + n) : _mm512_setzero_si512();
		O2C_UNROLL
		for (int r = 0; r < MRc; r++) {
			if (r >= mr)
				break;
			__m512i s = _mm512_add_epi32(acc[r][v], bias);
			if (rsum)
				s = _mm512_sub_epi32(s, _mm512_mullo_epi32(wz, _mm512_set1_epi32(rsum[r])));
			const __m128i rv =
			    res ? _mm_maskz_loadu_epi8(m, res + r * q->ldr + 16 * v) : _mm_setzero_si128();
			_mm_mask_storeu_epi8(y + r * ldy + 16 * v, m,
			                     o2c_q_requant16_avx512(s, mult, &c, res != NULL, rv));
		}
	}
}

O2C_UNUSED static void o2c_qgemm_ukernel_8x32_avx512vnni(int mr, int nr, ptrdiff_t K, const uint8_t *a, ptrdiff_t lda,
                                                         const int8_t *bp, ptrdiff_t Kp, const int32_t *rsum,
                                                         const O2cQuant *q, ptrdiff_t n0, const uint8_t *res,
                                                         uint8_t *y, ptrdiff_t ldy)
{
	/* a short tile runs a narrower body: a GEMV row costs 2 vpdpbusd per group, not 16 */
	if (nr > 16) {
		if (mr > 4)
			o2c_qgemm_tile_avx512vnni(8, 2, mr, nr, K, a, lda, bp, Kp, rsum, q, n0, res, y, ldy);
		else if (mr > 1)
			o2c_qgemm_tile_avx512vnni(4, 2, mr, nr, K, a, lda, bp, Kp, rsum, q, n0, res, y, ldy);
		else
			o2c_qgemm_tile_avx512vnni(1, 2, mr, nr, K, a, lda, bp, Kp, rsum, q, n0, res, y, ldy);
	} else {
		if (mr > 4)
			o2c_qgemm_tile_avx512vnni(8, 1, mr, nr, K, a, lda, bp, Kp, rsum, q, n0, res, y, ldy);
		else if (mr > 1)
			o2c_qgemm_tile_avx512vnni(4, 1, mr, nr, K, a, lda, bp, Kp, rsum, q, n0, res, y, ldy);
		else
			o2c_qgemm_tile_avx512vnni(1, 1, mr, nr, K, a, lda, bp, Kp, rsum, q, n0, res, y, ldy);
	}
}
#endif

/* ---- 256-bit epilogue (AVX-VNNI and AVX2) ---------------------------------------------------- */

#if defined(__AVX2__)
/* Requantises MRc x NV ymm of raw sums (8 columns each) and stores mr x nr:
 * whole groups of 8 through o2c_q_requant8_avx2, a partial one scalar. */
O2C_UNUSED O2C_INLINE void o2c_qgemm_epilogue_avx2(const int MRc, const int NV, __m256i acc[][2], int mr, int nr,
                                                   const int32_t *rsum, const O2cQuant *q, ptrdiff_t n0,
                                                   const uint8_t *res, uint8_t *y, ptrdiff_t ldy)
{
	const O2cQv8 c = o2c_q_consts8(q);
	O2C_UNROLL
	for (int v = 0; v < NV; v++) {
		const int nv = nr - 8 * v; /* >= 1: NV = 2 only for nr > 8 */
		const ptrdiff_t n = n0 + 8 * v;
		if (nv >= 8) {
			const __m256i bias = _mm256_loadu_si256((const __m256i *)(q->bias + n));
			const __m256 mult = _mm256_loadu_ps(q->mult + n);
			const __m256i wz =
			    rsum ? _mm256_loadu_si256((const __m256i *)(q->w_zp + n)) : _mm256_setzero_si256();
			O2C_UNROLL
			for (int r = 0; r < MRc; r++) {
				if (r >= mr)
					break;
				__m256i s = _mm256_add_epi32(acc[r][v], bias);
				if (rsum)
					s = _mm256_sub_epi32(s, _mm256_mullo_epi32(wz, _mm256_set1_epi32(rsum[r])));
				const __m128i rv = res ? _mm_loadl_epi64((const __m128i *)(res + r * q->ldr + 8 * v))
				                       : _mm_setzero_si128();
				_mm_storel_epi64((__m128i *)(y + r * ldy + 8 * v),
				                 o2c_q_requant8_avx2(s, mult, &c, res != NULL, rv));
			}
		} else {
			O2C_UNROLL
			for (int r = 0; r < MRc; r++) {
				if (r >= mr)
					break;
				int32_t t[8];
				_mm256_storeu_si256((__m256i *)t, acc[r][v]);
				for (int j = 0; j < nv; j++)
					o2c_qgemm_out1(q, n + j, t[j], rsum ? rsum[r] : 0,
					               res ? res + r * q->ldr + 8 * v + j : NULL,
					               y + r * ldy + 8 * v + j);
			}
		}
	}
}
#endif

/* ---- AVX-VNNI (256-bit vpdpbusd) ------------------------------------------------------------- */

#if defined(__AVXVNNI__) || (defined(__AVX512VNNI__) && defined(__AVX512VL__))
#if defined(__AVXVNNI__)
#define O2C_DPBUSD256 _mm256_dpbusd_avx_epi32 /* VEX: Alder Lake, Zen 5 */
#else
#define O2C_DPBUSD256 _mm256_dpbusd_epi32 /* EVEX: the same product on an AVX512-VNNI CPU */
#endif
/* One group of 4 k (nk of them real) into acc. */
O2C_UNUSED O2C_INLINE void o2c_qgemm_step_avxvnni(const int MRc, const int NV, __m256i acc[][2],
                                                  const uint8_t *const *ar, const int8_t *bp, ptrdiff_t g, const int nk)
{
	const __m256i w0 = _mm256_loadu_si256((const __m256i *)(bp + g * 64));
	const __m256i w1 = NV > 1 ? _mm256_loadu_si256((const __m256i *)(bp + g * 64 + 32)) : w0;
	O2C_UNROLL
	for (int r = 0; r < MRc; r++) {
		const __m256i av = _mm256_set1_epi32(o2c_qgemm_a4(ar[r] + 4 * g, nk));
		acc[r][0] = O2C_DPBUSD256(acc[r][0], av, w0);
		if (NV > 1)
			acc[r][1] = O2C_DPBUSD256(acc[r][1], av, w1);
	}
}

/* MRc rows (6, 3 or 1) x NV ymm (2 or 1): 12 accumulators of 16 ymm. */
O2C_UNUSED O2C_INLINE void o2c_qgemm_tile_avxvnni(const int MRc, const int NV, int mr, int nr, ptrdiff_t K,
                                                  const uint8_t *a, ptrdiff_t lda, const int8_t *bp,
                                                  const int32_t *rsum, const O2cQuant *q, ptrdiff_t n0,
                                                  const uint8_t *res, uint8_t *y, ptrdiff_t ldy)
{
	const uint8_t *ar[6];
	__m256i acc[6][2];
	O2C_UNROLL
	for (int r = 0; r < MRc; r++) {
		ar[r] = a + (r < mr ? r : 0) * lda;
		acc[r][0] = acc[r][1] = _mm256_setzero_si256();
	}
	const ptrdiff_t G = K / 4;
	for (ptrdiff_t g = 0; g < G; g++)
		o2c_qgemm_step_avxvnni(MRc, NV, acc, ar, bp, g, 4);
	if (K & 3)
		o2c_qgemm_step_avxvnni(MRc, NV, acc, ar, bp, G, (int)(K & 3));
	o2c_qgemm_epilogue_avx2(MRc, NV, acc, mr, nr, rsum, q, n0, res, y, ldy);
}

O2C_UNUSED static void o2c_qgemm_ukernel_6x16_avxvnni(int mr, int nr, ptrdiff_t K, const uint8_t *a, ptrdiff_t lda,
                                                      const int8_t *bp, ptrdiff_t Kp, const int32_t *rsum,
                                                      const O2cQuant *q, ptrdiff_t n0, const uint8_t *res, uint8_t *y,
                                                      ptrdiff_t ldy)
{
	(void)Kp;
	if (nr > 8) {
		if (mr > 3)
			o2c_qgemm_tile_avxvnni(6, 2, mr, nr, K, a, lda, bp, rsum, q, n0, res, y, ldy);
		else if (mr > 1)
			o2c_qgemm_tile_avxvnni(3, 2, mr, nr, K, a, lda, bp, rsum, q, n0, res, y, ldy);
		else
			o2c_qgemm_tile_avxvnni(1, 2, mr, nr, K, a, lda, bp, rsum, q, n0, res, y, ldy);
	} else {
		if (mr > 3)
			o2c_qgemm_tile_avxvnni(6, 1, mr, nr, K, a, lda, bp, rsum, q, n0, res, y, ldy);
		else if (mr > 1)
			o2c_qgemm_tile_avxvnni(3, 1, mr, nr, K, a, lda, bp, rsum, q, n0, res, y, ldy);
		else
			o2c_qgemm_tile_avxvnni(1, 1, mr, nr, K, a, lda, bp, rsum, q, n0, res, y, ldy);
	}
}
#endif

/* ---- AVX2: exact int16 products, no vpmaddubsw ----------------------------------------------- */

#if defined(__AVX2__)
/* One group of 4 k (nk of them real) into acc. */
O2C_UNUSED O2C_INLINE void o2c_qgemm_step_avx2(const int MRc, const int NV, __m256i acc[][2], const uint8_t *const *ar,
                                               const int8_t *bp, ptrdiff_t g, const int nk)
{
	const __m256i lo8 = _mm256_set1_epi16(0x00ff);
	const __m256i w0 = _mm256_loadu_si256((const __m256i *)(bp + g * 64));
	const __m256i w1 = NV > 1 ? _mm256_loadu_si256((const __m256i *)(bp + g * 64 + 32)) : w0;
	const __m256i e0 = _mm256_srai_epi16(_mm256_slli_epi16(w0, 8), 8), o0 = _mm256_srai_epi16(w0, 8);
	const __m256i e1 = _mm256_srai_epi16(_mm256_slli_epi16(w1, 8), 8), o1 = _mm256_srai_epi16(w1, 8);
	O2C_UNROLL
	for (int r = 0; r < MRc; r++) {
		const __m256i av = _mm256_set1_epi32(o2c_qgemm_a4(ar[r] + 4 * g, nk));
		const __m256i ae = _mm256_and_si256(av, lo8), ao = _mm256_srli_epi16(av, 8);
		acc[r][0] =
		    _mm256_add_epi32(acc[r][0], _mm256_add_epi32(_mm256_madd_epi16(ae, e0), _mm256_madd_epi16(ao, o0)));
		if (NV > 1)
			acc[r][1] = _mm256_add_epi32(
			    acc[r][1], _mm256_add_epi32(_mm256_madd_epi16(ae, e1), _mm256_madd_epi16(ao, o1)));
	}
}

/* MRc rows (4 or 1) x NV ymm (2 or 1).  A weight group's int32 lane holds
 * one column's bytes b0 b1 b2 b3: (x << 8) >> 8 per int16 gives b0, b2 and
 * x >> 8 gives b1, b3, sign-extended; A's broadcast bytes a0..a3 give
 * a0, a2 (and 0xff) and a1, a3 (>> 8), zero-extended.  vpmaddwd of the
 * evens plus vpmaddwd of the odds is the lane's 4-term sum, each pair at
 * most 2 * 255 * 128 in magnitude: no saturation anywhere. */
O2C_UNUSED O2C_INLINE void o2c_qgemm_tile_avx2(const int MRc, const int NV, int mr, int nr, ptrdiff_t K,
                                               const uint8_t *a, ptrdiff_t lda, const int8_t *bp, const int32_t *rsum,
                                               const O2cQuant *q, ptrdiff_t n0, const uint8_t *res, uint8_t *y,
                                               ptrdiff_t ldy)
{
	const uint8_t *ar[4];
	__m256i acc[4][2];
	O2C_UNROLL
	for (int r = 0; r < MRc; r++) {
		ar[r] = a + (r < mr ? r : 0) * lda;
		acc[r][0] = acc[r][1] = _mm256_setzero_si256();
	}
	const ptrdiff_t G = K / 4;
	for (ptrdiff_t g = 0; g < G; g++)
		o2c_qgemm_step_avx2(MRc, NV, acc, ar, bp, g, 4);
	if (K & 3)
		o2c_qgemm_step_avx2(MRc, NV, acc, ar, bp, G, (int)(K & 3));
	o2c_qgemm_epilogue_avx2(MRc, NV, acc, mr, nr, rsum, q, n0, res, y, ldy);
}

O2C_UNUSED static void o2c_qgemm_ukernel_4x16_avx2(int mr, int nr, ptrdiff_t K, const uint8_t *a, ptrdiff_t lda,
                                                   const int8_t *bp, ptrdiff_t Kp, const int32_t *rsum,
                                                   const O2cQuant *q, ptrdiff_t n0, const uint8_t *res, uint8_t *y,
                                                   ptrdiff_t ldy)
{
	(void)Kp;
	if (nr > 8) {
		if (mr > 1)
			o2c_qgemm_tile_avx2(4, 2, mr, nr, K, a, lda, bp, rsum, q, n0, res, y, ldy);
		else
			o2c_qgemm_tile_avx2(1, 2, mr, nr, K, a, lda, bp, rsum, q, n0, res, y, ldy);
	} else {
		if (mr > 1)
			o2c_qgemm_tile_avx2(4, 1, mr, nr, K, a, lda, bp, rsum, q, n0, res, y, ldy);
		else
			o2c_qgemm_tile_avx2(1, 1, mr, nr, K, a, lda, bp, rsum, q, n0, res, y, ldy);
	}
}
#endif

/* ---- dispatch: one kernel per build ---------------------------------------------------------- */

#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define O2C_QGEMM_UKERNEL o2c_qgemm_ukernel_8x32_avx512vnni
#define O2C_QGEMM_UK_MR 8
#define O2C_QGEMM_UK_NR 32
#elif defined(__AVXVNNI__)
#define O2C_QGEMM_UKERNEL o2c_qgemm_ukernel_6x16_avxvnni
#define O2C_QGEMM_UK_MR 6
#define O2C_QGEMM_UK_NR 16
#elif defined(__AVX2__)
#define O2C_QGEMM_UKERNEL o2c_qgemm_ukernel_4x16_avx2
#define O2C_QGEMM_UK_MR 4
#define O2C_QGEMM_UK_NR 16
#else
#define O2C_QGEMM_UKERNEL o2c_qgemm_ukernel_4x16_generic
#define O2C_QGEMM_UK_MR 4
#define O2C_QGEMM_UK_NR 16
#endif

/* ---- driver ---------------------------------------------------------------------------------- */

/* Rows per task: about O2C_QGEMM_ABYTES of A, a multiple of the kernel's MR. */
O2C_UNUSED static ptrdiff_t o2c_qgemm_rows_per_task(ptrdiff_t Kp, int MR)
{
	ptrdiff_t mb = O2C_QGEMM_ABYTES / (Kp > 0 ? Kp : 1) / MR * MR;
	const ptrdiff_t top = O2C_QGEMM_MBMAX / MR * MR;
	return mb < MR ? MR : mb > top ? top : mb;
}

/* Column blocks per row block: 1 unless fewer than two row blocks per
 * thread; then whole tiles of NR columns, *cw columns per block. */
O2C_UNUSED static ptrdiff_t o2c_qgemm_col_blocks(ptrdiff_t nrb, ptrdiff_t N, int NR, ptrdiff_t *cw)
{
	const ptrdiff_t tiles = (N + NR - 1) / NR, want = 2 * (ptrdiff_t)o2c_nthreads();
	ptrdiff_t ncb = nrb >= want ? 1 : (want + nrb - 1) / nrb;
	if (ncb > tiles)
		ncb = tiles;
	if (ncb < 1)
		ncb = 1;
	*cw = (tiles + ncb - 1) / ncb * NR;
	return ncb;
}

/* Rows [0, mb) of A (a, lda; mb <= O2C_QGEMM_MBMAX) times the packed
 * columns [nlo, nhi) (nlo a multiple of NR) into y (Y's row 0 of the
 * block); res is the residual's row 0 of the block or NULL. */
O2C_UNUSED static void o2c_qgemm_block(o2c_qgemm_ukernel_fn uk, int MR, int NR, ptrdiff_t mb, ptrdiff_t nlo,
                                       ptrdiff_t nhi, ptrdiff_t K, const uint8_t *a, ptrdiff_t lda, const int8_t *bp,
                                       const O2cQuant *q, const uint8_t *res, uint8_t *y, ptrdiff_t ldy)
{
	int32_t rs[O2C_QGEMM_MBMAX];
	const ptrdiff_t Kp = (K + 3) / 4 * 4;
	if (q->w_zp)
		for (ptrdiff_t i = 0; i < mb; i++) {
			int32_t s = 0;
			for (ptrdiff_t k = 0; k < K; k++)
				s += a[i * lda + k];
			rs[i] = s;
		}
	for (ptrdiff_t n0 = nlo; n0 < nhi; n0 += NR) {
		const int nr = nhi - n0 < NR ? (int)(nhi - n0) : NR;
		const int8_t *panel = bp + n0 / O2C_QGEMM_NR * Kp * O2C_QGEMM_NR;
		for (ptrdiff_t i = 0; i < mb; i += MR) {
			const int mr = mb - i < MR ? (int)(mb - i) : MR;
			uk(mr, nr, K, a + i * lda, lda, panel, Kp, q->w_zp ? rs + i : NULL, q, n0,
			   res ? res + i * q->ldr + n0 : NULL, y + i * ldy + n0, ldy);
		}
	}
}

/* The driver with a given microkernel (uk, its MR x NR tile): the tests
 * run every variant through it.  Called by every thread of the team. */
O2C_UNUSED O2C_DRIVER void o2c_qgemm_run(o2c_qgemm_ukernel_fn uk, int MR, int NR, ptrdiff_t M, ptrdiff_t N, ptrdiff_t K,
                                         const uint8_t *a, ptrdiff_t lda, const int8_t *bp, const O2cQuant *q,
                                         uint8_t *y, ptrdiff_t ldy)
{
	const ptrdiff_t mb = o2c_qgemm_rows_per_task((K + 3) / 4 * 4, MR), nrb = (M + mb - 1) / mb;
	ptrdiff_t cw;
	const ptrdiff_t ncb = o2c_qgemm_col_blocks(nrb, N, NR, &cw);
	O2C_OMP(for schedule(static) nowait)
	for (ptrdiff_t t = 0; t < nrb * ncb; t++) {
		const ptrdiff_t i0 = t / ncb * mb, nlo = t % ncb * cw;
		if (nlo >= N)
			continue;
		const ptrdiff_t rows = M - i0 < mb ? M - i0 : mb, nhi = N - nlo < cw ? N : nlo + cw;
		o2c_qgemm_block(uk, MR, NR, rows, nlo, nhi, K, a + i0 * lda, lda, bp, q,
		                q->res ? q->res + i0 * q->ldr : NULL, y + i0 * ldy, ldy);
	}
}

/* Y = requant(A B): see the header.  bp from pack_qgemm; every thread of
 * the run's team calls it (outside a team it runs on one thread). */
O2C_UNUSED O2C_DRIVER void o2c_qgemm_u8s8(ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, const uint8_t *a, ptrdiff_t lda,
                                          const int8_t *bp, const O2cQuant *q, uint8_t *y, ptrdiff_t ldy)
{
	o2c_qgemm_run(O2C_QGEMM_UKERNEL, O2C_QGEMM_UK_MR, O2C_QGEMM_UK_NR, M, N, K, a, lda, bp, q, y, ldy);
}
