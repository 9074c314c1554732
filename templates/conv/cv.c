/*
 * Template: conv/cv.c - pasted by onnx2c (compiler/ops/conv.c) into models
 * with a Conv on a small image, and ahead of conv/wcv.c, whose products run
 * these microkernels.  Takes no variables: each such node calls
 * o2c_conv_cv() with literal shape arguments.
 * Needs: blocking.h act.c conv/shared.c
 *
 * Microkernels: o2c_conv_cv_ukernel_7x64_avx512, _avx2 and _generic (the
 * portable reference the others are tested against).
 */

/*
 * o2c_conv_cv: small images (OH*OW <= O2C_CV_PMAX), one group, M a
 * multiple of O2C_CV_MV.  At 7x7 the pixel-vectorised direct path wastes
 * lanes (49 = 48 + 1) and broadcasts a weight per 3 FMAs; here the vector
 * runs over O2C_CV_MV = 64 output channels and the pixels are broadcast, so
 * every lane is busy whatever the image size, and a 7x7 image is 7 groups
 * of 7 pixels.  The compiler packs the weights per block of 64 channels:
 *   wq[b][k][r] = W[b*64 + r][k]      (k = ic*KH*KW + ky*KW + kx)
 * Each thread takes a contiguous share of the (image, block, pixel group)
 * units and walks K in chunks of whole input channels (<= O2C_CV_KC taps):
 * packs the chunk's taps x P pixels into a stack panel [k][P] (an im2col;
 * a 1x1 stride-1 unpadded conv reads its input in place), then runs the
 * microkernel (<= O2C_CV_JB pixels x 64 channels) on each of its units.
 * The weights of a block and chunk come from memory once and are reused
 * from cache by the block's other pixel groups.  Partial sums live in the
 * block's own output region (64 x P floats), laid out [P][64]; after a
 * barrier each block is transposed to NCHW through a stack copy, with bias,
 * residual and clamp, then the activation act (an O2C_ACT_* kind of act.c)
 * on the block while it is in L1.  The compiler takes this path only for
 * KH*KW <= O2C_CV_KHWMAX, so a chunk of whole channels fits the panel.
 */
#define O2C_CV_PFD 32  /* taps ahead the first pixel group prefetches weights (8 KB) */

/* ---- microkernels: JB pixels x 64 output channels ------------------------------------------- */

/* acc[j][r] (+)= sum_k bp[k*ldb + j] * w[k*64 + r] for j < jb; first: from 0.
 * The chunk's sum starts from zero and is added to acc at the end (blocked
 * summation: its roundings do not scale with the earlier chunks' total).
 * pf: this call is the first to read this chunk of weights (prefetch them
 * ahead of use).  nw, nwl: nwl cache lines from nw that the thread will
 * read next (its next block's chunk), prefetched into L2 while this call
 * computes, so that the weights stream from memory under the FMAs of all
 * the block's pixel groups and not only under the first one. */
typedef void (*o2c_conv_cv_ukernel_fn)(const float *bp, int ldb, const float *w, int kc, float *acc, int jb, int first,
                                       int pf, const float *nw, int nwl);

O2C_UNUSED static void o2c_conv_cv_ukernel_7x64_generic(const float *bp, int ldb, const float *w, int kc, float *acc,
                                                        int jb, int first, int pf, const float *nw, int nwl)
{
	float a[O2C_CV_JB][O2C_CV_MV];
	(void)pf, (void)nw, (void)nwl;
	for (int j = 0; j < jb; j++)
		for (int r = 0; r < O2C_CV_MV; r++)
			a[j][r] = 0.0f;
	for (int k = 0; k < kc; k++)
		for (int j = 0; j < jb; j++) {
			const float xv = bp[(size_t)k * ldb + j];
			for (int r = 0; r < O2C_CV_MV; r++)
				a[j][r] += xv * w[(size_t)k * O2C_CV_MV + r];
		}
	for (int j = 0; j < jb; j++)
		for (int r = 0; r < O2C_CV_MV; r++)
			acc[j * O2C_CV_MV + r] = first ? a[j][r] : acc[j * O2C_CV_MV + r] + a[j][r];
}

#if defined(__AVX512F__)
/* JB pixels x 64 channels: 4*JB accumulators, 4 weight vectors, the pixels
 * broadcast from memory into the FMAs. */
O2C_INLINE void o2c_conv_cv_ukernel_7x64_avx512_jb(const float *bp, int ldb, const float *w, int kc, float *acc,
                                                   int first, int pf, const float *nw, int nwl, const int JB)
{
	__m512 a[O2C_CV_JB][4];
	O2C_UNROLL
	for (int j = 0; j < JB; j++)
		O2C_UNROLL
		for (int v = 0; v < 4; v++)
			a[j][v] = _mm512_setzero_ps();
	for (int k = 0; k < kc; k++) {
		const float *wk = w + (size_t)k * O2C_CV_MV, *b = bp + (size_t)k * ldb;
		if (pf && k + O2C_CV_PFD < kc)
			O2C_UNROLL
			for (int v = 0; v < 4; v++)
				_mm_prefetch((const char *)(wk + O2C_CV_PFD * O2C_CV_MV + 16 * v), _MM_HINT_T0);
		if (k < nwl)
			_mm_prefetch((const char *)(nw + 16 * (size_t)k), _MM_HINT_T1);
		const __m512 w0 = _mm512_loadu_ps(wk), w1 = _mm512_loadu_ps(wk + 16);
		const __m512 w2 = _mm512_loadu_ps(wk + 32), w3 = _mm512_loadu_ps(wk + 48);
		O2C_UNROLL
		for (int j = 0; j < JB; j++) {
			const __m512 xv = _mm512_set1_ps(b[j]);
			a[j][0] = _mm512_fmadd_ps(w0, xv, a[j][0]);
			a[j][1] = _mm512_fmadd_ps(w1, xv, a[j][1]);
			a[j][2] = _mm512_fmadd_ps(w2, xv, a[j][2]);
			a[j][3] = _mm512_fmadd_ps(w3, xv, a[j][3]);
		}
	}
	O2C_UNROLL
	for (int j = 0; j < JB; j++)
		O2C_UNROLL
		for (int v = 0; v < 4; v++)
			_mm512_storeu_ps(acc + j * O2C_CV_MV + 16 * v,
			                 first ? a[j][v] : _mm512_add_ps(_mm512_loadu_ps(acc + j * O2C_CV_MV + 16 * v), a[j][v]));
}

O2C_UNUSED static void o2c_conv_cv_ukernel_7x64_avx512(const float *bp, int ldb, const float *w, int kc, float *acc,
                                                       int jb, int first, int pf, const float *nw, int nwl)
{
	switch (jb) {
	case 7:
		o2c_conv_cv_ukernel_7x64_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 7);
		break;
	case 6:
		o2c_conv_cv_ukernel_7x64_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 6);
		break;
	case 5:
		o2c_conv_cv_ukernel_7x64_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 5);
		break;
	case 4:
		o2c_conv_cv_ukernel_7x64_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 4);
		break;
	case 3:
		o2c_conv_cv_ukernel_7x64_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 3);
		break;
	case 2:
		o2c_conv_cv_ukernel_7x64_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 2);
		break;
	default:
		o2c_conv_cv_ukernel_7x64_avx512_jb(bp, ldb, w, kc, acc, first, pf, nw, nwl, 1);
		break;
	}
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
/* 16 registers: 16 channels x up to 4 pixels at a time (8 accumulators). */
O2C_UNUSED static void o2c_conv_cv_ukernel_7x64_avx2(const float *bp, int ldb, const float *w, int kc, float *acc,
                                                     int jb, int first, int pf, const float *nw, int nwl)
{
	(void)pf;
	for (int l = 0; l < nwl; l++) /* the passes below are short: the next weights in one go */
		_mm_prefetch((const char *)(nw + 16 * (size_t)l), _MM_HINT_T1);
	for (int s = 0; s < O2C_CV_MV; s += 16)
		for (int j0 = 0; j0 < jb; j0 += 4) {
			const int nj = jb - j0 < 4 ? jb - j0 : 4;
			__m256 a[4][2];
			O2C_UNROLL
			for (int j = 0; j < 4; j++)
				O2C_UNROLL
				for (int v = 0; v < 2; v++)
					a[j][v] = _mm256_setzero_ps();
			for (int k = 0; k < kc; k++) {
				const float *wk = w + (size_t)k * O2C_CV_MV + s, *b = bp + (size_t)k * ldb + j0;
				const __m256 w0 = _mm256_loadu_ps(wk), w1 = _mm256_loadu_ps(wk + 8);
				O2C_UNROLL
				for (int j = 0; j < nj; j++) {
					const __m256 xv = _mm256_broadcast_ss(b + j);
					a[j][0] = _mm256_fmadd_ps(w0, xv, a[j][0]);
					a[j][1] = _mm256_fmadd_ps(w1, xv, a[j][1]);
				}
			}
			O2C_UNROLL
			for (int j = 0; j < nj; j++)
				O2C_UNROLL
				for (int v = 0; v < 2; v++)
					_mm256_storeu_ps(acc + (j0 + j) * O2C_CV_MV + s + 8 * v,
					                 first ? a[j][v]
					                       : _mm256_add_ps(_mm256_loadu_ps(acc + (j0 + j) * O2C_CV_MV + s + 8 * v),
					                                       a[j][v]));
		}
}
#endif

/* ---- packing: the input panel, and the output back to NCHW ---------------------------------- */

/* Taps [ic0, ic0 + nic) x all P output pixels into bp[k][P], zeros for padding.
 * Per tap the valid output columns are one range, so a row is zeros, a copy
 * and zeros; with AVX-512 a stride-1 row of at most 16 pixels is one masked
 * load, a lane shift and a masked store.  Both threads of a 2-thread run
 * pack the same panel, so this is on the critical path. */
static void o2c_cv_pack(const float *x, float *bp, int ic0, int nic, int H, int W, int OH, int OW, int KH, int KW,
                        int SH, int SW, int DH, int DW, int PT, int PL)
{
	const int P = OH * OW;
	for (int ic = 0; ic < nic; ic++) {
		const float *xc = x + (size_t)(ic0 + ic) * H * W;
		for (int kx = 0; kx < KW; kx++) {
			const int off = kx * DW - PL; /* input column of output column 0 */
			int lo_x = off < 0 ? (-off + SW - 1) / SW : 0,
			    hi_x = W - 1 - off < 0 ? 0 : (W - 1 - off) / SW + 1;
			if (hi_x > OW)
				hi_x = OW;
			if (lo_x > hi_x)
				lo_x = hi_x;
			for (int ky = 0; ky < KH; ky++) {
				float *dst = bp + ((size_t)(ic * KH + ky) * KW + kx) * P;
				for (int oy = 0; oy < OH; oy++) {
					const int iy = oy * SH + ky * DH - PT;
					float *d = dst + oy * OW;
					if (iy < 0 || iy >= H || lo_x == hi_x) {
						for (int ox = 0; ox < OW; ox++)
							d[ox] = 0.0f;
						continue;
					}
					const float *src =
					    xc + (size_t)iy * W + off; /* src[ox * SW] for ox in [lo_x, hi_x) */
#if defined(__AVX512F__)
					if (SW == 1 && OW <= 16) {
						const __m512 v = _mm512_maskz_loadu_ps(
						    (__mmask16)((1u << (hi_x - lo_x)) - 1u), src + lo_x);
						const __mmask16 lanes =
						    (__mmask16)(((1u << hi_x) - 1u) & ~((1u << lo_x) - 1u));
						_mm512_mask_storeu_ps(d, (__mmask16)((1u << OW) - 1u),
						                      _mm512_maskz_expand_ps(lanes, v));
						continue;
					}
#endif
					for (int ox = 0; ox < lo_x; ox++)
						d[ox] = 0.0f;
					for (int ox = lo_x; ox < hi_x; ox++)
						d[ox] = src[ox * SW];
					for (int ox = hi_x; ox < OW; ox++)
						d[ox] = 0.0f;
				}
			}
		}
	}
}

/* Block of 64 channels, [P][64] partial sums in yb -> NCHW with the
 * epilogue, through t (room for P * 64 floats).  In 16-pixel blocks, so
 * that what is read stays in L1 (a 28x28 block is 200 KB); with AVX-512 each
 * 16 x 16 square is transposed in registers. */
static void o2c_cv_store(float *yb, int P, const float *bias, const float *res, float lo, float hi, float *t)
{
	memcpy(t, yb, (size_t)P * O2C_CV_MV * sizeof *t);
	int p0 = 0;
#if defined(__AVX512F__)
	const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
	for (; p0 + 16 <= P; p0 += 16)
		for (int r0 = 0; r0 < O2C_CV_MV; r0 += 16) {
			__m512 a[16], b[16];
			for (int i = 0; i < 16; i++)
				a[i] = _mm512_loadu_ps(t + (size_t)(p0 + i) * O2C_CV_MV + r0);
			for (int i = 0; i < 8; i++) {
				b[2 * i] = _mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]);
				b[2 * i + 1] = _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]);
			}
			for (int i = 0; i < 4; i++) { /* 128-bit lane L of a[4i + k]: pixels 4i.., channel 4L + k */
				a[4 * i] = _mm512_shuffle_ps(b[4 * i], b[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
				a[4 * i + 1] = _mm512_shuffle_ps(b[4 * i], b[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
				a[4 * i + 2] = _mm512_shuffle_ps(b[4 * i + 1], b[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
				a[4 * i + 3] = _mm512_shuffle_ps(b[4 * i + 1], b[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
			}
			for (int k = 0; k < 4; k++) {
				b[k] = _mm512_shuffle_f32x4(a[k], a[4 + k], 0x88);
				b[4 + k] = _mm512_shuffle_f32x4(a[k], a[4 + k], 0xdd);
				b[8 + k] = _mm512_shuffle_f32x4(a[8 + k], a[12 + k], 0x88);
				b[12 + k] = _mm512_shuffle_f32x4(a[8 + k], a[12 + k], 0xdd);
			}
			for (int k = 0; k < 4; k++) { /* a[c]: channel r0 + c over the 16 pixels */
				a[k] = _mm512_shuffle_f32x4(b[k], b[8 + k], 0x88);
				a[8 + k] = _mm512_shuffle_f32x4(b[k], b[8 + k], 0xdd);
				a[4 + k] = _mm512_shuffle_f32x4(b[4 + k], b[12 + k], 0x88);
				a[12 + k] = _mm512_shuffle_f32x4(b[4 + k], b[12 + k], 0xdd);
			}
			for (int c = 0; c < 16; c++) {
				const size_t o = (size_t)(r0 + c) * P + p0;
				__m512 v = _mm512_add_ps(a[c], _mm512_set1_ps(bias ? bias[r0 + c] : 0.0f));
				if (res)
					v = _mm512_add_ps(v, _mm512_loadu_ps(res + o));
				_mm512_storeu_ps(yb + o, _mm512_min_ps(_mm512_max_ps(v, vlo), vhi));
			}
		}
#endif
	for (; p0 < P; p0 += 16) {
		const int p1 = P - p0 < 16 ? P : p0 + 16;
		for (int r = 0; r < O2C_CV_MV; r++) {
			const float bv = bias ? bias[r] : 0.0f;
			const float *rs = res ? res + (size_t)r * P : NULL;
			float *y = yb + (size_t)r * P;
			for (int p = p0; p < p1; p++) {
				float v = t[(size_t)p * O2C_CV_MV + r] + bv;
				if (rs)
					v += rs[p];
				v = v < lo ? lo : v;
				y[p] = v > hi ? hi : v;
			}
		}
	}
}

/* Every image's blocks of 64 channels turned to NCHW with the epilogue,
 * shared by the team (after the barrier that completes them); t as for
 * o2c_cv_store. */
static void o2c_cv_store_all(float *out, int N, int M, int P, const float *bias, const float *res, float lo, float hi,
                             int act, float *t)
{
	const int nb = M / O2C_CV_MV;
	O2C_OMP(for schedule(static) nowait)
	for (int nbk = 0; nbk < N * nb; nbk++) {
		const int n = nbk / nb, b = nbk % nb;
		float *yb = out + ((size_t)n * M + (size_t)b * O2C_CV_MV) * P;
		o2c_cv_store(yb, P, bias ? bias + b * O2C_CV_MV : NULL, res ? res + (yb - out) : NULL, lo, hi, t);
		o2c_act_rows(yb, 0, 1, P * O2C_CV_MV, act);
	}
}

/* ---- dispatch: the microkernel for the target ISA ------------------------------------------- */

#if defined(__AVX512F__)
#define O2C_CONV_CV_UKERNEL_ISA o2c_conv_cv_ukernel_7x64_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define O2C_CONV_CV_UKERNEL_ISA o2c_conv_cv_ukernel_7x64_avx2
#else
#define O2C_CONV_CV_UKERNEL_ISA o2c_conv_cv_ukernel_7x64_generic
#endif

/* The driver's microkernel: the ISA's over blocks of O2C_SUM_KB taps, each
 * summed from zero and added to acc (blocked summation, as conv/direct.c):
 * a 7x7 layer's 4608 taps in one running sum had 4.5x ONNX Runtime's
 * rounding error. */
static void o2c_conv_cv_ukernel_sum(const float *bp, int ldb, const float *w, int kc, float *acc, int jb, int first,
                                    int pf, const float *nw, int nwl)
{
	for (int k0 = 0; k0 < kc; k0 += O2C_SUM_KB) {
		const int kb = kc - k0 < O2C_SUM_KB ? kc - k0 : O2C_SUM_KB, end = k0 + kb == kc;
		O2C_CONV_CV_UKERNEL_ISA(bp + (size_t)k0 * ldb, ldb, w + (size_t)k0 * O2C_CV_MV, kb, acc, jb,
		                        first && k0 == 0, pf, end ? nw : NULL, end ? nwl : 0);
	}
}
#define O2C_CONV_CV_UKERNEL o2c_conv_cv_ukernel_sum

/* ---- driver --------------------------------------------------------------------------------- */

O2C_DRIVER void o2c_conv_cv_run(const float *in, const float *wq, const float *bias, const float *res, float *out,
                                int N, int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW,
                                int DH, int DW, int PT, int PL, float lo, float hi, int act,
                                o2c_conv_cv_ukernel_fn tile)
{
	const int KHW = KH * KW, K = C * KHW, P = OH * OW, nb = M / O2C_CV_MV;
	const int inplace = KHW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W;
	const int icc = KHW >= O2C_CV_KC ? 1 : O2C_CV_KC / KHW; /* input channels per chunk */
	const int ng = (P + O2C_CV_JB - 1) / O2C_CV_JB;         /* pixel groups, sizes P/ng rounded */
	const long per_image = (long)nb * ng, units = (long)N * per_image;
	/* Each thread takes a contiguous share of the (image, block, pixel group)
	 * units, so the work splits evenly whatever nb is; a block shared by two
	 * threads has its weights read by both.  The transposes wait for all. */
	float bp[O2C_CV_KC * O2C_CV_PMAX];
	const int tid = o2c_tid(), nth = o2c_nthreads();
	const long u0 = units * tid / nth, u1 = units * (tid + 1) / nth;
	for (long ub = u0 - u0 % per_image; ub < u1; ub += per_image) {
		const int n = (int)(ub / per_image);
		const long ulo = u0 > ub ? u0 - ub : 0, uhi = u1 - ub < per_image ? u1 - ub : per_image;
		const float *x = in + (size_t)n * C * H * W;
		for (int ic0 = 0; ic0 < C; ic0 += icc) {
			const int nic = C - ic0 < icc ? C - ic0 : icc, kc = nic * KHW;
			const float *panel = bp;
			if (inplace)
				panel = x + (size_t)ic0 * P;
			else
				o2c_cv_pack(x, bp, ic0, nic, H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL);
			const int blo = (int)(ulo / ng), bhi = (int)((uhi - 1) / ng); /* this thread's blocks */
			for (long u = ulo; u < uhi; u++) {
				const int b = (int)(u / ng), gi = (int)(u % ng);
				const int j0 = gi * P / ng, j1 = (gi + 1) * P / ng;
				float *yb = out + ((size_t)n * M + (size_t)b * O2C_CV_MV) * P;
				const float *wb = wq + ((size_t)b * K + (size_t)ic0 * KHW) * O2C_CV_MV;
				/* the chunk read after this block's: the next block's, else the
				 * first block's next chunk; each pixel group prefetches its share */
				const float *nw = NULL;
				int nlines = 0;
				if (b < bhi) {
					nw = wq + ((size_t)(b + 1) * K + (size_t)ic0 * KHW) * O2C_CV_MV;
					nlines = kc * (O2C_CV_MV / 16);
				} else if (ic0 + icc < C) {
					const int nkc = (C - ic0 - icc < icc ? C - ic0 - icc : icc) * KHW;
					nw = wq + ((size_t)blo * K + (size_t)(ic0 + icc) * KHW) * O2C_CV_MV;
					nlines = nkc * (O2C_CV_MV / 16);
				}
				const int l0 = nlines * gi / ng, l1 = nlines * (gi + 1) / ng;
				tile(panel + j0, P, wb, kc, yb + (size_t)j0 * O2C_CV_MV, j1 - j0, ic0 == 0,
				     gi == 0 || u == ulo, nw ? nw + (size_t)16 * l0 : NULL, l1 - l0);
			}
		}
	}
	o2c_sync();
	o2c_cv_store_all(out, N, M, P, bias, res, lo, hi, act, bp);
}

O2C_UNUSED static void o2c_conv_cv(const float *in, const float *wq, const float *bias, const float *res, float *out,
                                   int N, int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW,
                                   int DH, int DW, int PT, int PL, float lo, float hi, int act)
{
	o2c_conv_cv_run(in, wq, bias, res, out, N, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo, hi, act,
	                O2C_CONV_CV_UKERNEL);
}
