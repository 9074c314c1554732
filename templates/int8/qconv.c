/*
 * Template: int8/qconv.c - a general int8 conv (any KH x KW, stride,
 * padding, dilation; groups == 1) on NHWC u8 activations, as im2col rows
 * run through the qgemm microkernels.  For such a Conv (QLinearConv,
 * ConvInteger, DQ -> Conv -> Q); the compiler side that pastes and calls it
 * is not written yet.  Takes no variables: sizes are arguments.
 * Needs: blocking.h int8/shared.c int8/qgemm.c
 *
 *   Y[b][oy][ox][m] = requant(sum_{ky,kx,c} X[b][iy][ix][c] * W[m][c][ky][kx] + bias[m] ...)
 *   iy = oy*SH + ky*DH - PT,  ix = ox*SW + kx*DW - PL
 *
 * X is u8 NHWC with pixel stride ldx (>= C); Y is u8 NHWC with pixel
 * stride ldy (>= M), so a conv writes its channels of a concat in place;
 * the residual is q->res with pixel stride q->ldr.  OH and OW come from the
 * compiler (they carry the bottom and right padding).
 *
 * Weights: the compiler packs W [M][C][KH][KW] with pack_qconv
 * (compiler/pack/pack.c): pack_qgemm's layout with K = KH*KW*C ordered
 * (ky, kx, c), the order of an NHWC im2col row, and N = M.  K must be at
 * most O2C_QCONV_BUF (an im2col row fits the block).
 *
 * Zero points: padding taps are filled with the input zero point x_zp, so
 * (x - x_zp) is 0 there, exactly what the folded bias (bias - x_zp *
 * colsum(W), int8/shared.c) assumes for every one of the K taps; the rows'
 * sums for a nonzero w_zp include the padding alike.  So padded borders
 * need no correction term.
 *
 * Driver: the output pixels (over the batch, flattened) are cut into
 * blocks of rows (O2C_QGEMM_ABYTES of im2col, at most O2C_QCONV_BUF);
 * each task builds its block's im2col rows in a stack buffer and runs
 * o2c_qgemm_block over its columns.  Tasks are shared as in o2c_qgemm_run.
 * A 1x1, stride-1, unpadded conv skips im2col: it is o2c_qgemm_run on X.
 */

/* n bytes: a library call costs more than a short copy, and a stem conv's
 * taps are runs of KW*C = 21 bytes (7x7 over RGB), so runs up to 64 bytes
 * go through one masked AVX-512 load and store (masked-off bytes are
 * neither read nor written, so nothing past either end is touched). */
O2C_UNUSED static inline void o2c_qconv_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
#if defined(__AVX512BW__)
	if (n <= 64) {
		const __mmask64 m = n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
		_mm512_mask_storeu_epi8(dst, m, _mm512_maskz_loadu_epi8(m, src));
		return;
	}
#endif
	memcpy(dst, src, n);
}

/* The im2col rows of output pixels [p0, p0 + np) into buf (row stride
 * K = KH*KW*C): tap (ky, kx) at (ky*KW + kx)*C, x_zp in the padding. */
O2C_UNUSED static void o2c_qconv_im2col(uint8_t *buf, ptrdiff_t p0, ptrdiff_t np, const uint8_t *x, ptrdiff_t ldx,
                                        uint8_t x_zp, int H, int W, int C, int OH, int OW, int KH, int KW, int SH,
                                        int SW, int DH, int DW, int PT, int PL)
{
	const ptrdiff_t K = (ptrdiff_t)KH * KW * C, ohw = (ptrdiff_t)OH * OW;
	for (ptrdiff_t i = 0; i < np; i++) {
		const ptrdiff_t p = p0 + i, b = p / ohw;
		const int oy = (int)(p % ohw / OW), ox = (int)(p % OW);
		uint8_t *row = buf + i * K;
		const int ix0 = ox * SW - PL;
		for (int ky = 0; ky < KH; ky++) {
			const int iy = oy * SH + ky * DH - PT;
			uint8_t *dst = row + (ptrdiff_t)ky * KW * C;
			if (iy < 0 || iy >= H) {
				memset(dst, x_zp, (size_t)KW * C);
				continue;
			}
			const uint8_t *src = x + ((b * H + iy) * W) * ldx;
			if (DW == 1 && ldx == C) { /* the taps inside the row are one run of pixels */
				const int lo = ix0 < 0 ? (-ix0 < KW ? -ix0 : KW) : 0;
				int hi = W - ix0 < KW ? W - ix0 : KW;
				if (hi < lo)
					hi = lo;
				if (lo)
					memset(dst, x_zp, (size_t)lo * C);
				o2c_qconv_copy(dst + (ptrdiff_t)lo * C, src + (ptrdiff_t)(ix0 + lo) * C, (size_t)(hi - lo) * C);
				if (hi < KW)
					memset(dst + (ptrdiff_t)hi * C, x_zp, (size_t)(KW - hi) * C);
				continue;
			}
			for (int kx = 0; kx < KW; kx++) {
				const int ix = ix0 + kx * DW;
				if (ix < 0 || ix >= W)
					memset(dst + (ptrdiff_t)kx * C, x_zp, (size_t)C);
				else
					memcpy(dst + (ptrdiff_t)kx * C, src + ix * ldx, (size_t)C);
			}
		}
	}
}

/* The conv with a given qgemm microkernel (uk, its MR x NR tile): the
 * tests run every variant through it.  Called by every thread of the team. */
O2C_UNUSED O2C_DRIVER void o2c_qconv_nhwc_run(o2c_qgemm_ukernel_fn uk, int MR, int NR, const uint8_t *x, ptrdiff_t ldx,
                                              int32_t x_zp, const int8_t *wp, const O2cQuant *q, uint8_t *y,
                                              ptrdiff_t ldy, int NB, int H, int W, int C, int M, int OH, int OW, int KH,
                                              int KW, int SH, int SW, int DH, int DW, int PT, int PL)
{
	const ptrdiff_t P = (ptrdiff_t)NB * OH * OW, K = (ptrdiff_t)KH * KW * C;
	if (KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W) {
		o2c_qgemm_run(uk, MR, NR, P, M, K, x, ldx, wp, q, y, ldy);
		return;
	}
	uint8_t buf[O2C_QCONV_BUF];
	ptrdiff_t mb = o2c_qgemm_rows_per_task((K + 3) / 4 * 4, MR);
	if (mb * K > O2C_QCONV_BUF)
		mb = O2C_QCONV_BUF / K;
	if (mb < 1) /* K > O2C_QCONV_BUF: the compiler must not choose this kernel (see the header) */
		return;
	const ptrdiff_t nrb = (P + mb - 1) / mb;
	ptrdiff_t cw;
	const ptrdiff_t ncb = o2c_qgemm_col_blocks(nrb, M, NR, &cw);
	O2C_OMP(for schedule(static) nowait)
	for (ptrdiff_t t = 0; t < nrb * ncb; t++) {
		const ptrdiff_t i0 = t / ncb * mb, nlo = t % ncb * cw;
		if (nlo >= M)
			continue;
		const ptrdiff_t rows = P - i0 < mb ? P - i0 : mb, nhi = M - nlo < cw ? M : nlo + cw;
		o2c_qconv_im2col(buf, i0, rows, x, ldx, (uint8_t)x_zp, H, W, C, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL);
		o2c_qgemm_block(uk, MR, NR, rows, nlo, nhi, K, buf, K, wp, q, q->res ? q->res + i0 * q->ldr : NULL,
		                y + i0 * ldy, ldy);
	}
}

/* Y = requant(conv(X, W)): see the header.  wp from pack_qconv. */
O2C_UNUSED O2C_DRIVER void o2c_qconv_nhwc(const uint8_t *x, ptrdiff_t ldx, int32_t x_zp, const int8_t *wp,
                                          const O2cQuant *q, uint8_t *y, ptrdiff_t ldy, int NB, int H, int W, int C,
                                          int M, int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW, int PT,
                                          int PL)
{
	o2c_qconv_nhwc_run(O2C_QGEMM_UKERNEL, O2C_QGEMM_UK_MR, O2C_QGEMM_UK_NR, x, ldx, x_zp, wp, q, y, ldy, NB, H, W,
	                   C, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL);
}
