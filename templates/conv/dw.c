/*
 * Template: conv/dw.c - pasted by onnx2c (compiler/ops/conv.c) into models
 * with a depthwise Conv (group == C == M).  Takes no variables: each such
 * node's function calls o2c_conv_dw() with literal shape arguments.
 * Needs: blocking.h act.c conv/shared.c
 *
 * y = act(clamp(dwconv(x, w) + bias [+ res], lo, hi)) on NCHW, the weights
 * as the model gives them, [C][KH][KW]; act is an O2C_ACT_* kind of act.c,
 * run on each output row the kernel has just stored.
 *
 * The SIMD variants work on a block of V channels at once (V = 16 with
 * AVX-512, 8 with AVX2).  The block's input rows are transposed into a ring
 * of R = (KH-1)*DH+1 zero-padded rows laid out [slot][Wr][V] (one pixel's V
 * channels in one vector), so every tap of every output pixel is one aligned
 * vector load and one FMA with all lanes useful, whatever the image size,
 * stride, dilation or padding: a 7x7 plane wastes nothing, where vectors
 * along a row would use 7 of 16 lanes.  The microkernel accumulates V output
 * pixels x V channels in registers, transposes them back and stores them to
 * NCHW with the bias, residual and clamp.  Each input row is transposed
 * once: the ring keeps the rows the next output rows still need.
 *   - packing (o2c_conv_dw_pack_row_<isa>): one input row of the block into
 *     a ring row, V pixels at a time through a VxV register transpose;
 *   - microkernel (o2c_conv_dw_ukernel_<V>x<V>_<isa>): one output row;
 *   - driver (o2c_conv_dw_ring): blocks of channels shared out statically,
 *     the ring, the taps that land inside the image.
 * o2c_conv_dw_generic is the plain-loop reference (and the fallback).
 * With AVX-512, 3x3 (stride 1 or 2) and 5x5 (stride 1) windows on input
 * rows of at least O2C_DW_ROWMIN pixels run along the rows of NCHW instead
 * (o2c_conv_dw_rows_avx512: no transposes; 14x14 and 7x7 keep the ring).
 */
/* ---- reference ------------------------------------------------------- */

/* Rows accumulated tap by tap over the valid pixel range. */
O2C_UNUSED static void o2c_conv_dw_generic(const float *in, const float *w, const float *bias, const float *res,
                                           float *out, int N, int C, int H, int W, int OH, int OW, int KH, int KW,
                                           int SH, int SW, int DH, int DW, int PT, int PL, float lo, float hi,
                                           int act)
{
	O2C_OMP(for collapse(2) schedule(static) nowait)
	for (int nc = 0; nc < N * C; nc++)
		for (int oy = 0; oy < OH; oy++) {
			const int c = nc % C;
			const float *x = in + (size_t)nc * H * W;
			float *y = out + ((size_t)nc * OH + oy) * OW;
			const float b = bias ? bias[c] : 0.0f;
			for (int ox = 0; ox < OW; ox++)
				y[ox] = b;
			for (int ky = 0; ky < KH; ky++) {
				const int iy = oy * SH + ky * DH - PT;
				if (iy < 0 || iy >= H)
					continue;
				const float *row = x + (size_t)iy * W;
				for (int kx = 0; kx < KW; kx++) {
					const float wv = w[((size_t)c * KH + ky) * KW + kx];
					const int off = kx * DW - PL;
					/* the ox range whose tap lands inside the row: padding stays out of the loop */
					int lo_x = off < 0 ? (-off + SW - 1) / SW : 0;
					int hi_x = W - 1 - off < 0 ? 0 : (W - 1 - off) / SW + 1;
					if (hi_x > OW)
						hi_x = OW;
					if (SW == 1)
						for (int ox = lo_x; ox < hi_x; ox++)
							y[ox] += wv * row[ox + off];
					else
						for (int ox = lo_x; ox < hi_x; ox++)
							y[ox] += wv * row[ox * SW + off];
				}
			}
			const float *r = res ? res + ((size_t)nc * OH + oy) * OW : NULL;
			for (int ox = 0; ox < OW; ox++) {
				float v = y[ox] + (r ? r[ox] : 0.0f);
				v = v < lo ? lo : v;
				y[ox] = v > hi ? hi : v;
			}
			o2c_act_rows(y, 0, 1, OW, act);
		}
}

#if defined(__AVX512F__)
/* ---- AVX-512: V = 16 ------------------------------------------------- */

/* r[i] lane j -> r[j] lane i */
O2C_INLINE void o2c_tr16x16_avx512(__m512 r[16])
{
	__m512 t[16];
	O2C_UNROLL
	for (int i = 0; i < 16; i += 2) {
		t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
		t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
	}
	O2C_UNROLL
	for (int i = 0; i < 16; i += 4) {
		r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
		r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
		r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
		r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
	}
	O2C_UNROLL
	for (int k = 0; k < 4; k++) {
		t[k] = _mm512_shuffle_f32x4(r[k], r[4 + k], 0x88);
		t[4 + k] = _mm512_shuffle_f32x4(r[k], r[4 + k], 0xDD);
		t[8 + k] = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0x88);
		t[12 + k] = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0xDD);
	}
	O2C_UNROLL
	for (int k = 0; k < 4; k++) {
		r[k] = _mm512_shuffle_f32x4(t[k], t[8 + k], 0x88);
		r[8 + k] = _mm512_shuffle_f32x4(t[k], t[8 + k], 0xDD);
		r[4 + k] = _mm512_shuffle_f32x4(t[4 + k], t[12 + k], 0x88);
		r[12 + k] = _mm512_shuffle_f32x4(t[4 + k], t[12 + k], 0xDD);
	}
}

/* Row iy of channels 0..nc-1 (planes `plane` floats apart) into ring row d:
 * pixel ix at d + ix*16; channels past nc are zero. */
O2C_UNUSED static void o2c_conv_dw_pack_row_avx512(const float *x, size_t plane, int nc, int W, float *d)
{
	for (int ix0 = 0; ix0 < W; ix0 += 16) {
		const int n = W - ix0 < 16 ? W - ix0 : 16;
		const __mmask16 m = (__mmask16)((1u << n) - 1);
		__m512 r[16];
		O2C_UNROLL
		for (int c = 0; c < 16; c++)
			r[c] = c < nc ? _mm512_maskz_loadu_ps(m, x + c * plane + ix0) : _mm512_setzero_ps();
		o2c_tr16x16_avx512(r);
		O2C_UNROLL
		for (int j = 0; j < 16; j++)
			if (j < n) /* a constant index once unrolled: r stays in registers */
				_mm512_store_ps(d + (size_t)(ix0 + j) * 16, r[j]);
	}
}

/* One output row: 16 pixels x 16 channels at a time over the nk taps
 * (tap k reads ring row rows[k] from column kx*DW of pixel 0, weights wv[k]),
 * then the epilogue per channel: + res, clamp, store (planes oplane apart). */
O2C_UNUSED static void o2c_conv_dw_ukernel_16x16_avx512(const float *const *rows, const float *wv, int nk, int SW,
                                            const float *vb, const float *res, size_t oplane, float *y, int nc, int OW,
                                            float lo, float hi)
{
	const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi), b = _mm512_load_ps(vb);
	for (int ox0 = 0; ox0 < OW; ox0 += 16) {
		const int n = OW - ox0 < 16 ? OW - ox0 : 16;
		__m512 acc[16];
		O2C_UNROLL
		for (int j = 0; j < 16; j++)
			acc[j] = b;
		if (n <= 8) /* a 7x7 plane's row: 8 pixels, not 16 (half the FMAs were for pixels past OW) */
			for (int k = 0; k < nk; k++) {
				const float *p = rows[k] + (size_t)ox0 * SW * 16;
				const __m512 w = _mm512_load_ps(wv + 16 * k);
				O2C_UNROLL
				for (int j = 0; j < 8; j++)
					acc[j] = _mm512_fmadd_ps(_mm512_load_ps(p + (size_t)j * SW * 16), w, acc[j]);
			}
		else
			for (int k = 0; k < nk; k++) {
				const float *p = rows[k] + (size_t)ox0 * SW * 16;
				const __m512 w = _mm512_load_ps(wv + 16 * k);
				/* all 16 pixels, also past OW (the ring has room; those lanes are not stored) */
				O2C_UNROLL
				for (int j = 0; j < 16; j++)
					acc[j] = _mm512_fmadd_ps(_mm512_load_ps(p + (size_t)j * SW * 16), w, acc[j]);
			}
		o2c_tr16x16_avx512(acc);
		const __mmask16 m = (__mmask16)((1u << n) - 1);
		O2C_UNROLL
		for (int c = 0; c < 16; c++) {
			if (c >= nc)
				break;
			__m512 a = acc[c];
			if (res)
				a = _mm512_add_ps(a, _mm512_maskz_loadu_ps(m, res + c * oplane + ox0));
			a = _mm512_min_ps(_mm512_max_ps(a, vlo), vhi);
			_mm512_mask_storeu_ps(y + c * oplane + ox0, m, a);
		}
	}
}
#endif

#if defined(__AVX512F__)
/* ---- AVX-512 along the rows: 3x3 and 5x5 stride 1, 3x3 stride 2 ------ */

/* Columns d from the vector's: [p | c | n] are a row's 48 columns around
 * the 16 in c; d is a constant once inlined. */
O2C_INLINE __m512 o2c_dw_shift_avx512(__m512 p, __m512 c, __m512 n, const int d)
{
	const __m512i pi = _mm512_castps_si512(p), ci = _mm512_castps_si512(c), ni = _mm512_castps_si512(n);
	switch (d) {
	case -2: return _mm512_castsi512_ps(_mm512_alignr_epi32(ci, pi, 14));
	case -1: return _mm512_castsi512_ps(_mm512_alignr_epi32(ci, pi, 15));
	case 1: return _mm512_castsi512_ps(_mm512_alignr_epi32(ni, ci, 1));
	case 2: return _mm512_castsi512_ps(_mm512_alignr_epi32(ni, ci, 2));
	default: return c;
	}
}

/* One channel's plane straight from NCHW, 16 output pixels of a row a
 * vector, window K x K (3 or 5) with PL = K/2, stride S (1; 2 for K = 3).
 * Each input row's vector is loaded once (o2c_conv_row16_avx512: zeros off
 * the row) and shifted in registers for the taps left and right (valignd;
 * at stride 2 its even and odd columns split by two permutes), then one FMA
 * a tap with the tap's weight.  No transposes: the ring path spends as
 * many shuffles on turning rows into channel vectors and back as FMAs on a
 * 3x3 window; and loads at every tap's offset cost two cache lines each. */
O2C_INLINE void o2c_conv_dw_rows_ch_avx512(const float *x, const float *wc, float b, const float *res, float *y,
                                           int H, int W, int OH, int OW, int PT, float lo, float hi, int act,
                                           const int K, const int S, const int inreg)
{
	const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
	const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
	const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi), vb = _mm512_set1_ps(b);
	__m512 wv[25];
	O2C_UNROLL
	for (int t = 0; t < K * K; t++)
		wv[t] = _mm512_set1_ps(wc[t]);
	__m512 pend = _mm512_setzero_ps();
	__mmask16 pm = 0;
	size_t po = 0;
	for (int oy = 0; oy < OH; oy++) {
		const float *xr[5];
		int ok[5];
		__m512 p[5], c[5];
		O2C_UNROLL
		for (int ky = 0; ky < K; ky++) {
			const int iy = oy * S - PT + ky;
			ok[ky] = iy >= 0 && iy < H;
			xr[ky] = x + (size_t)(ok[ky] ? iy : 0) * W;
			p[ky] = _mm512_setzero_ps(); /* the columns left of the row */
			c[ky] = S == 1 ? o2c_conv_row16_avx512(xr[ky], 0, W) : _mm512_setzero_ps();
		}
		for (int ox0 = 0; ox0 < OW; ox0 += 16) {
			/* a sum per window row: K short FMA chains, not one of K * K (its latency, not
			 * the FMAs, was the cost) */
			__m512 part[5];
			O2C_UNROLL
			for (int ky = 0; ky < K; ky++) {
				part[ky] = _mm512_setzero_ps();
				if (!ok[ky])
					continue;
				if (S == 1) {
					const __m512 n = o2c_conv_row16_avx512(xr[ky], ox0 + 16, W);
					O2C_UNROLL
					for (int kx = 0; kx < K; kx++)
						part[ky] = _mm512_fmadd_ps(o2c_dw_shift_avx512(p[ky], c[ky], n, kx - K / 2),
						                           wv[ky * K + kx], part[ky]);
					p[ky] = c[ky], c[ky] = n;
				} else { /* columns 2j - 1, 2j, 2j + 1 of the vector's 32: odd ones shifted, even, odd */
					const __m512 a = o2c_conv_row16_avx512(xr[ky], 2 * ox0, W),
					             bb = o2c_conv_row16_avx512(xr[ky], 2 * ox0 + 16, W);
					const __m512 e = _mm512_permutex2var_ps(a, ev, bb), o = _mm512_permutex2var_ps(a, od, bb);
					part[ky] = _mm512_mul_ps(o2c_dw_shift_avx512(p[ky], o, o, -1), wv[ky * K]);
					part[ky] = _mm512_fmadd_ps(e, wv[ky * K + 1], part[ky]);
					part[ky] = _mm512_fmadd_ps(o, wv[ky * K + 2], part[ky]);
					p[ky] = o;
				}
			}
			__m512 acc = _mm512_add_ps(vb, part[0]);
			O2C_UNROLL
			for (int ky = 1; ky < K; ky++)
				acc = _mm512_add_ps(acc, part[ky]);
			const int n = OW - ox0 < 16 ? OW - ox0 : 16;
			const __mmask16 m = (__mmask16)(n == 16 ? 0xffffu : (1u << n) - 1u);
			const size_t o = (size_t)oy * OW + ox0;
			if (res)
				acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, res + o));
			acc = _mm512_min_ps(_mm512_max_ps(acc, vlo), vhi);
			if (inreg) { /* the previous vector's activation, this one's next time */
				if (pm)
					_mm512_mask_storeu_ps(y + po, pm, o2c_act_avx512(pend, act));
				pend = acc, pm = m, po = o;
			} else {
				_mm512_mask_storeu_ps(y + o, m, acc);
			}
		}
		if (!inreg)
			o2c_act_rows(y + (size_t)oy * OW, 0, 1, OW, act);
	}
	if (inreg && pm)
		_mm512_mask_storeu_ps(y + po, pm, o2c_act_avx512(pend, act));
}

/* o2c_conv_dw_rows_ch_avx512 for one channel with the activation a constant:
 * SiLU and HardSwish (EfficientNet's, MobileNetV3's) are applied in
 * registers (inreg), to each vector one vector late, so that the
 * activation's long dependent chain has its input ready when it enters the
 * scheduler and runs beside the next vector's FMA chains.  On the row after
 * its stores (o2c_act_rows) the SiLU cost twice its arithmetic: 144 channels
 * 3x3 at 56x56, one thread, 0.155 ms with ReLU, 0.33-0.36 with SiLU that way,
 * 0.30-0.31 in registers at once, 0.27-0.30 one vector late. */
#define O2C_DW_ROWS_CH(ACT, INREG)                                                                                     \
	do {                                                                                                           \
		if (K == 3 && S == 1)                                                                                  \
			o2c_conv_dw_rows_ch_avx512(x, wc, b, r, y, H, W, OH, OW, PT, lo, hi, ACT, 3, 1, INREG);       \
		else if (K == 3)                                                                                       \
			o2c_conv_dw_rows_ch_avx512(x, wc, b, r, y, H, W, OH, OW, PT, lo, hi, ACT, 3, 2, INREG);       \
		else                                                                                                   \
			o2c_conv_dw_rows_ch_avx512(x, wc, b, r, y, H, W, OH, OW, PT, lo, hi, ACT, 5, 1, INREG);       \
	} while (0)

/* Every (image, channel) plane shared out statically. */
O2C_UNUSED O2C_DRIVER void o2c_conv_dw_rows_avx512(const float *in, const float *w, const float *bias, const float *res,
                                                   float *out, int N, int C, int H, int W, int OH, int OW, int K,
                                                   int S, int PT, float lo, float hi, int act)
{
	const size_t plane = (size_t)H * W, oplane = (size_t)OH * OW;
	O2C_OMP(for schedule(static) nowait)
	for (int nc = 0; nc < N * C; nc++) {
		const int c = nc % C;
		const float *x = in + (size_t)nc * plane, *wc = w + (size_t)c * K * K;
		const float *r = res ? res + (size_t)nc * oplane : NULL;
		float *y = out + (size_t)nc * oplane;
		const float b = bias ? bias[c] : 0.0f;
		if (act == O2C_ACT_SILU)
			O2C_DW_ROWS_CH(O2C_ACT_SILU, 1);
		else if (act == O2C_ACT_HARD_SWISH)
			O2C_DW_ROWS_CH(O2C_ACT_HARD_SWISH, 1);
		else /* the others after each row (o2c_act_rows); the loop as it was without the lag's registers */
			O2C_DW_ROWS_CH(act, 0);
	}
}
#undef O2C_DW_ROWS_CH
#endif

/* The row path's shapes: 3x3 at stride 1 or 2 and 5x5 at stride 1, the
 * left pad K/2 (any top pad; right and bottom ones are what OH, OW say), no
 * dilation, input rows of at least O2C_DW_ROWMIN pixels.  14x14 and 7x7
 * planes keep the ring, which fills every lane (one layer alone, 1 thread:
 * 576 channels 3x3 at 14x14 0.061 ms on the ring, 0.065 here; at 28x28 and
 * wider this path wins, 112x112 32 channels 0.158 -> 0.113 ms, stride 2
 * 96 channels 0.232 -> 0.151). */
O2C_UNUSED static int o2c_conv_dw_rows_ok(int W, int KH, int KW, int SH, int SW, int DH, int DW, int PL)
{
	return KH == KW && SH == SW && DH == 1 && DW == 1 && PL == KH / 2 && W >= O2C_DW_ROWMIN &&
	       ((KH == 3 && (SH == 1 || SH == 2)) || (KH == 5 && SH == 1));
}

#if defined(__AVX2__) && defined(__FMA__)
/* ---- AVX2: V = 8 ----------------------------------------------------- */

O2C_INLINE void o2c_tr8x8_avx2(__m256 r[8])
{
	__m256 t[8];
	O2C_UNROLL
	for (int i = 0; i < 8; i += 2) {
		t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
		t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
	}
	O2C_UNROLL
	for (int i = 0; i < 8; i += 4) {
		r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
		r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
		r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
		r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
	}
	O2C_UNROLL
	for (int k = 0; k < 4; k++) {
		t[k] = _mm256_permute2f128_ps(r[k], r[4 + k], 0x20);
		t[4 + k] = _mm256_permute2f128_ps(r[k], r[4 + k], 0x31);
	}
	O2C_UNROLL
	for (int k = 0; k < 8; k++)
		r[k] = t[k];
}

/* AVX2 has no masked loads of floats with a count: copy the tail */
O2C_INLINE __m256 o2c_dw_load_n_avx2(const float *p, int n)
{
	if (n == 8)
		return _mm256_loadu_ps(p);
	float t[8] = { 0 };
	memcpy(t, p, (size_t)n * sizeof *t);
	return _mm256_loadu_ps(t);
}

O2C_UNUSED static void o2c_conv_dw_pack_row_avx2(const float *x, size_t plane, int nc, int W, float *d)
{
	for (int ix0 = 0; ix0 < W; ix0 += 8) {
		const int n = W - ix0 < 8 ? W - ix0 : 8;
		__m256 r[8];
		O2C_UNROLL
		for (int c = 0; c < 8; c++)
			r[c] = c < nc ? o2c_dw_load_n_avx2(x + c * plane + ix0, n) : _mm256_setzero_ps();
		o2c_tr8x8_avx2(r);
		O2C_UNROLL
		for (int j = 0; j < 8; j++)
			if (j < n)
				_mm256_store_ps(d + (size_t)(ix0 + j) * 8, r[j]);
	}
}

O2C_UNUSED static void o2c_conv_dw_ukernel_8x8_avx2(const float *const *rows, const float *wv, int nk, int SW, const float *vb,
                                        const float *res, size_t oplane, float *y, int nc, int OW, float lo, float hi)
{
	const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi), b = _mm256_load_ps(vb);
	for (int ox0 = 0; ox0 < OW; ox0 += 8) {
		const int n = OW - ox0 < 8 ? OW - ox0 : 8;
		__m256 acc[8];
		O2C_UNROLL
		for (int j = 0; j < 8; j++)
			acc[j] = b;
		for (int k = 0; k < nk; k++) {
			const float *p = rows[k] + (size_t)ox0 * SW * 8;
			const __m256 w = _mm256_load_ps(wv + 8 * k);
			O2C_UNROLL
			for (int j = 0; j < 8; j++)
				acc[j] = _mm256_fmadd_ps(_mm256_load_ps(p + (size_t)j * SW * 8), w, acc[j]);
		}
		o2c_tr8x8_avx2(acc);
		O2C_UNROLL
		for (int c = 0; c < 8; c++) {
			if (c >= nc)
				break;
			__m256 a = acc[c];
			if (res)
				a = _mm256_add_ps(a, o2c_dw_load_n_avx2(res + c * oplane + ox0, n));
			a = _mm256_min_ps(_mm256_max_ps(a, vlo), vhi);
			if (n == 8) {
				_mm256_storeu_ps(y + c * oplane + ox0, a);
			} else {
				float t[8];
				_mm256_storeu_ps(t, a);
				memcpy(y + c * oplane + ox0, t, (size_t)n * sizeof *t);
			}
		}
	}
}
#endif

/* ---- driver ---------------------------------------------------------- */

typedef void (*o2c_dw_pack_fn)(const float *x, size_t plane, int nc, int W, float *d);
typedef void (*o2c_dw_ukernel_fn)(const float *const *rows, const float *wv, int nk, int SW, const float *vb,
                                  const float *res, size_t oplane, float *y, int nc, int OW, float lo, float hi);

/* The ring's row length in pixels for V-pixel groups: every group's reads,
 * past OW too, land inside it; 0 when it or the taps exceed the stack. */
static int o2c_conv_dw_ring_cols(int OW, int KH, int KW, int SW, int DH, int DW, int PL, int W, int V)
{
	const int R = (KH - 1) * DH + 1;
	int wr = ((OW + V - 1) / V * V - 1) * SW + (KW - 1) * DW + 1;
	wr = wr > PL + W ? wr : PL + W;
	return KH * KW > O2C_DW_TAPS || (size_t)R * wr * V > O2C_DW_RING ? 0 : wr;
}

/* Blocks of V channels (of every image) shared out statically; a block's
 * weights and bias are gathered into vectors, its input rows packed into the
 * ring as the output rows need them. */
O2C_UNUSED O2C_DRIVER void o2c_conv_dw_ring(o2c_dw_pack_fn pack, o2c_dw_ukernel_fn ukernel, int V, const float *in,
                                            const float *w, const float *bias, const float *res, float *out, int N,
                                            int C, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                                            int DW, int PT, int PL, float lo, float hi, int act)
{
	const int R = (KH - 1) * DH + 1, Wr = o2c_conv_dw_ring_cols(OW, KH, KW, SW, DH, DW, PL, W, V);
	O2C_ALIGNED(64) float ring[O2C_DW_RING];
	O2C_ALIGNED(64) float wv[O2C_DW_TAPS * 16], wk[O2C_DW_TAPS * 16], vb[16];
	memset(ring, 0, (size_t)R * Wr * V * sizeof(float)); /* the padding columns stay zero */
	const int CB = (C + V - 1) / V;
	const size_t plane = (size_t)H * W, oplane = (size_t)OH * OW;
	O2C_OMP(for schedule(static) nowait)
	for (int nb = 0; nb < N * CB; nb++) {
		const int n = nb / CB, c0 = nb % CB * V, nc = C - c0 < V ? C - c0 : V;
		const float *x = in + ((size_t)n * C + c0) * plane;
		for (int t = 0; t < KH * KW; t++)
			for (int c = 0; c < V; c++)
				wv[t * V + c] = c < nc ? w[(size_t)(c0 + c) * KH * KW + t] : 0.0f;
		for (int c = 0; c < V; c++)
			vb[c] = bias && c < nc ? bias[c0 + c] : 0.0f;
		int next = 0; /* the first input row not yet in the ring */
		for (int oy = 0; oy < OH; oy++) {
			const int top = oy * SH - PT, bot = top + (KH - 1) * DH < H - 1 ? top + (KH - 1) * DH : H - 1;
			for (next = next > top ? next : top; next <= bot; next++)
				pack(x + (size_t)next * W, plane, nc, W, ring + ((size_t)(next % R) * Wr + PL) * V);
			/* the taps whose input row is inside the image, with their weights */
			const float *rows[O2C_DW_TAPS];
			int nk = 0;
			for (int ky = 0; ky < KH; ky++) {
				const int iy = top + ky * DH;
				if (iy < 0 || iy >= H)
					continue;
				for (int kx = 0; kx < KW; kx++) {
					rows[nk] = ring + ((size_t)(iy % R) * Wr + kx * DW) * V;
					memcpy(wk + nk++ * V, wv + (ky * KW + kx) * V, (size_t)V * sizeof(float));
				}
			}
			const size_t o = ((size_t)n * C + c0) * oplane + (size_t)oy * OW;
			ukernel(rows, wk, nk, SW, vb, res ? res + o : NULL, oplane, out + o, nc, OW, lo, hi);
			o2c_act_rows(out + o, oplane, nc, OW, act);
		}
	}
}

/* ---- dispatch -------------------------------------------------------- */

#if defined(__AVX512F__)
#define O2C_CONV_DW_V 16
#define O2C_CONV_DW_PACK o2c_conv_dw_pack_row_avx512
#define O2C_CONV_DW_UKERNEL o2c_conv_dw_ukernel_16x16_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define O2C_CONV_DW_V 8
#define O2C_CONV_DW_PACK o2c_conv_dw_pack_row_avx2
#define O2C_CONV_DW_UKERNEL o2c_conv_dw_ukernel_8x8_avx2
#endif

O2C_UNUSED static void o2c_conv_dw(const float *in, const float *w, const float *bias, const float *res, float *out,
                                   int N, int C, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                                   int DW, int PT, int PL, float lo, float hi, int act)
{
#if defined(__AVX512F__)
	if (o2c_conv_dw_rows_ok(W, KH, KW, SH, SW, DH, DW, PL)) {
		o2c_conv_dw_rows_avx512(in, w, bias, res, out, N, C, H, W, OH, OW, KH, SH, PT, lo, hi, act);
		return;
	}
#endif
#if defined(O2C_CONV_DW_V)
	if (o2c_conv_dw_ring_cols(OW, KH, KW, SW, DH, DW, PL, W, O2C_CONV_DW_V)) {
		o2c_conv_dw_ring(O2C_CONV_DW_PACK, O2C_CONV_DW_UKERNEL, O2C_CONV_DW_V, in, w, bias, res, out, N, C, H, W,
		                 OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo, hi, act);
		return;
	}
#endif
	/* no SIMD here, or a kernel too tall or an image too wide for the ring */
	o2c_conv_dw_generic(in, w, bias, res, out, N, C, H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, lo, hi, act);
}
