/*
 * Template: conv/wcv.c - pasted by onnx2c (compiler/ops/conv.c) into models
 * with a 3x3 stride-1 Conv on an image of few Winograd tiles.  Takes no
 * variables: each such node calls o2c_conv_wcv() with literal shape
 * arguments and the node's arena scratch.
 * Needs: blocking.h conv/shared.c conv/wino.c conv/cv.c
 *
 * The input transforms are conv/wino.c's (or an AVX-512 one of its own), the
 * products run conv/cv.c's microkernels (O2C_CONV_CV_UKERNEL) on weights the
 * compiler transforms (compiler/pack/pack.c, pack_conv_wino with
 * mv = O2C_CV_MV).
 */

/*
 * o2c_conv_wcv: Winograd F(2x2) or F(4x4) (F = 2 or 4) for images of few
 * tiles (14x14 in F(2x2), 28x28 in F(4x4): 49 tiles), with the products
 * vectorised over 64 output channels as in o2c_conv_cv.  The
 * tile-vectorised products of o2c_conv_wino2 and _wino4 cut 49 tiles
 * into two groups of 32 columns (64 computed for 49), read all the
 * weights once per group and broadcast a weight per 2 FMAs; here each
 * (position, block) chunk of weights is read once for all the tiles, in
 * groups of up to 7 (28 accumulators: 4 weight vectors and 7 broadcasts
 * per 28 FMAs).  The compiler packs U[xi][M/64][C][64] = (G g G^T)[xi].
 * Each thread takes a contiguous range of each image's tiles and, per
 * image: the input transform of its tiles into its own part of V (the
 * caller's scratch), V[npos][C][its tiles]; for every block, the products
 * into the stack Mb[xi][its tiles][64] and the output transform,
 * vectorised over the channels, into the block's own output region laid
 * out [P][64].  After the one barrier each block is turned to NCHW with
 * the epilogue (o2c_cv_store).  Splitting the tiles and not the blocks
 * costs each thread all of U but keeps V in the core that wrote it: with
 * the blocks split, each thread read the half of V the other had written,
 * and a 28x28 layer ran no faster on two threads than on one.
 */

/* ---- transforms: the output transform over 64 channels (the products are conv/cv.c's) ------- */

/* Output transform of tiles [j0, j1) of one block: Mb[xi][j1 - j0][64], the
 * positions xs floats apart, -> yb[P][64]. */
static void o2c_wcv_out(const float *Mb, size_t xs, float *yb, int F, int TWt, int OH, int OW, int j0, int j1)
{
	for (int j = j0; j < j1; j++) {
		const int ty = j / TWt, tx = j % TWt;
		const float *m = Mb + (size_t)(j - j0) * O2C_CV_MV;
		if (F == 2) {
			float a[8][O2C_CV_MV];
			for (int k = 0; k < 4; k++) /* A^T m, A^T = [1 1 1 0; 0 1 -1 -1] */
				for (int r = 0; r < O2C_CV_MV; r++) {
					const float m0 = m[(0 * 4 + k) * xs + r], m1 = m[(1 * 4 + k) * xs + r];
					const float m2 = m[(2 * 4 + k) * xs + r], m3 = m[(3 * 4 + k) * xs + r];
					a[k][r] = m0 + m1 + m2;
					a[4 + k][r] = m1 - m2 - m3;
				}
			for (int i = 0; i < 2; i++) { /* (A^T m) A */
				const int oy = 2 * ty + i;
				if (oy >= OH)
					break;
				for (int q = 0; q < 2 && 2 * tx + q < OW; q++) {
					float *y = yb + ((size_t)oy * OW + 2 * tx + q) * O2C_CV_MV;
					for (int r = 0; r < O2C_CV_MV; r++)
						y[r] = q == 0 ? a[i * 4][r] + a[i * 4 + 1][r] + a[i * 4 + 2][r]
						              : a[i * 4 + 1][r] - a[i * 4 + 2][r] - a[i * 4 + 3][r];
				}
			}
			continue;
		}
		/* A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1] */
		float t[24][O2C_CV_MV];
		for (int k = 0; k < 6; k++) /* A^T m down the columns: t[q*6 + k] */
			for (int r = 0; r < O2C_CV_MV; r++) {
				const float m0 = m[(0 * 6 + k) * xs + r], m5 = m[(5 * 6 + k) * xs + r];
				const float s12 = m[(1 * 6 + k) * xs + r] + m[(2 * 6 + k) * xs + r];
				const float d12 = m[(1 * 6 + k) * xs + r] - m[(2 * 6 + k) * xs + r];
				const float s34 = m[(3 * 6 + k) * xs + r] + m[(4 * 6 + k) * xs + r];
				const float d34 = m[(3 * 6 + k) * xs + r] - m[(4 * 6 + k) * xs + r];
				t[k][r] = m0 + s12 + s34;
				t[6 + k][r] = d12 + 2.0f * d34;
				t[12 + k][r] = s12 + 4.0f * s34;
				t[18 + k][r] = d12 + 8.0f * d34 + m5;
			}
		for (int i = 0; i < 4; i++) { /* (A^T m) A along the rows */
			const int oy = 4 * ty + i;
			if (oy >= OH)
				break;
			const float *u = t[i * 6];
			float o[4][O2C_CV_MV];
			for (int r = 0; r < O2C_CV_MV; r++) {
				const float s12 = u[1 * O2C_CV_MV + r] + u[2 * O2C_CV_MV + r];
				const float d12 = u[1 * O2C_CV_MV + r] - u[2 * O2C_CV_MV + r];
				const float s34 = u[3 * O2C_CV_MV + r] + u[4 * O2C_CV_MV + r];
				const float d34 = u[3 * O2C_CV_MV + r] - u[4 * O2C_CV_MV + r];
				o[0][r] = u[r] + s12 + s34;
				o[1][r] = d12 + 2.0f * d34;
				o[2][r] = s12 + 4.0f * s34;
				o[3][r] = d12 + 8.0f * d34 + u[5 * O2C_CV_MV + r];
			}
			const int nq = OW - 4 * tx < 4 ? OW - 4 * tx : 4;
			memcpy(yb + ((size_t)oy * OW + 4 * tx) * O2C_CV_MV, o, (size_t)nq * O2C_CV_MV * sizeof(float));
		}
	}
}

/* ---- packing: the input transforms into V --------------------------------------------------- */

/* Input transform of tiles [j0, j1) (tile j = ty * TWt + tx), all channels,
 * of image x into V[(F+2)^2][C][j1 - j0]: the tile-group transforms of conv/wino.c,
 * called on at most O2C_CONV_NR tiles at a time. */
typedef void (*o2c_wcv_in_fn)(const float *x, float *V, int F, int C, int j0, int j1, int H, int W, int OH, int OW,
                              int PT, int PL);

O2C_UNUSED static void o2c_wcv_in_generic(const float *x, float *V, int F, int C, int j0, int j1, int H, int W,
                                          int OH, int OW, int PT, int PL)
{
	const int TWt = (OW + F - 1) / F, T = j1 - j0, nch = (T + O2C_CONV_NR - 1) / O2C_CONV_NR;
	for (int ch = 0; ch < nch; ch++) {
		const int t0 = T * ch / nch, nt = T * (ch + 1) / nch - t0;
		if (F == 2) {
			O2cWino2Map mp;
			o2c_wino2_map(&mp, j0 + t0, nt, nt, TWt, H, W, OH, OW, PT, PL);
			o2c_wino2_in(x, V + t0, T, C, 0, C, H * W, nt, &mp);
		} else {
			O2cWino4Strips st;
			o2c_wino4_strips(&st, j0 + t0, nt, TWt);
			O2C_WINO4_IN(x, V + t0, T, C, 0, C, H, W, PT, PL, nt, nt, &st);
		}
	}
}

#if defined(__AVX512F__)
/* 16 floats of row p from column col on, lanes outside the image (mask)
 * zero: a masked load does not touch them, so the address may point
 * before or past the row (computed as an integer, not a pointer). */
O2C_INLINE __m512 o2c_wcv_cols(const float *p, int col, __mmask16 m)
{
	return _mm512_maskz_loadu_ps(m, (const void *)((uintptr_t)p + (intptr_t)col * (intptr_t)sizeof(float)));
}

/* The same transform for images at most 8 tiles wide, a whole tile row at
 * a time in registers: each of the F+2 input rows is 2-3 vectors wide (F *
 * TWt + 2 <= 34 columns), B^T runs down the columns on the vectors, and
 * one permute per phase gathers column F*j + m of every tile j into lane j
 * for B^T along the row.  The generic transform builds the phases in
 * memory strip by strip (4 us per 64 channels at 28x28 against <1 us). */
O2C_UNUSED static void o2c_wcv_in_avx512(const float *x, float *V, int F, int C, int j0, int j1, int H, int W,
                                         int OH, int OW, int PT, int PL)
{
	const int TWt = (OW + F - 1) / F, T = j1 - j0;
	if (TWt > 8) {
		o2c_wcv_in_generic(x, V, F, C, j0, j1, H, W, OH, OW, PT, PL);
		return;
	}
	const int nck = (F * TWt + 2 + 15) / 16; /* vectors per input row */
	__mmask16 mk[3];
	for (int k = 0; k < 3; k++) { /* lanes of columns inside the image */
		unsigned b = 0;
		for (int l = 0; l < 16; l++)
			b |= (unsigned)(k < nck && 16 * k + l - PL >= 0 && 16 * k + l - PL < W) << l;
		mk[k] = (__mmask16)b;
	}
	const size_t vs = o2c_wino_vs(C, T); /* one position further in V */
	__m512i ix[4];
	for (int o = 0; o < 4; o++) /* lane j <- column F*j + o */
		ix[o] = _mm512_add_epi32(
		    _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0),
		                       _mm512_set1_epi32(F)),
		    _mm512_set1_epi32(o));
	const __m512 c2 = _mm512_set1_ps(2.0f), c4 = _mm512_set1_ps(4.0f), c5 = _mm512_set1_ps(5.0f);
	for (int c = 0; c < C; c++) {
		const float *xc = x + (size_t)c * H * W;
		for (int ty = j0 / TWt; ty * TWt < j1; ty++) {
			/* lanes of the row's tiles in [j0, j1); lane l goes to column ty * TWt + l - j0,
			 * before V for the masked-off lanes of a first, partial row (an integer) */
			const int a = j0 - ty * TWt > 0 ? j0 - ty * TWt : 0,
			          e = j1 - ty * TWt < TWt ? j1 - ty * TWt : TWt;
			const __mmask16 st = (__mmask16)(((1u << e) - 1u) & ~((1u << a) - 1u));
			float *vt = (float *)((uintptr_t)V +
			                      (intptr_t)((long)c * T + (long)ty * TWt - j0) * (intptr_t)sizeof(float));
			__m512 r[6][3];
			for (int ey = 0; ey < F + 2; ey++) {
				const int iy = F * ty - PT + ey;
				for (int k = 0; k < 3; k++)
					r[ey][k] = iy >= 0 && iy < H
					               ? o2c_wcv_cols(xc + (size_t)iy * W, 16 * k - PL, mk[k])
					               : _mm512_setzero_ps();
			}
			if (F == 2) {
				/* B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], down the columns */
				for (int i = 0; i < 4; i++) {
					__m512 u[2];
					for (int k = 0; k < 2; k++) {
						const __m512 r0 = r[0][k], r1 = r[1][k], r2 = r[2][k], r3 = r[3][k];
						u[k] = i == 0 ? _mm512_sub_ps(r0, r2)
						       : i == 1 ? _mm512_add_ps(r1, r2)
						       : i == 2 ? _mm512_sub_ps(r2, r1)
						                : _mm512_sub_ps(r1, r3);
					}
					const __m512 p0 = _mm512_permutex2var_ps(u[0], ix[0], u[1]);
					const __m512 p1 = _mm512_permutex2var_ps(u[0], ix[1], u[1]);
					const __m512 p2 = _mm512_permutex2var_ps(u[0], ix[2], u[1]);
					const __m512 p3 = _mm512_permutex2var_ps(u[0], ix[3], u[1]);
					float *v = vt + (size_t)(i * 4) * vs;
					_mm512_mask_storeu_ps(v, st, _mm512_sub_ps(p0, p2));
					_mm512_mask_storeu_ps(v + vs, st, _mm512_add_ps(p1, p2));
					_mm512_mask_storeu_ps(v + 2 * vs, st, _mm512_sub_ps(p2, p1));
					_mm512_mask_storeu_ps(v + 3 * vs, st, _mm512_sub_ps(p1, p3));
				}
				continue;
			}
			/* F(4x4): B^T as in o2c_wino4_bt, down the columns, then along the row */
			for (int i = 0; i < 6; i++) {
				__m512 u[3];
				for (int k = 0; k < 3; k++) {
					const __m512 r0 = r[0][k], r1 = r[1][k], r2 = r[2][k], r3 = r[3][k],
					             r4 = r[4][k], r5 = r[5][k];
					switch (i) {
					case 0:
						u[k] =
						    _mm512_add_ps(_mm512_fmsub_ps(c4, r0, _mm512_mul_ps(c5, r2)), r4);
						break;
					case 1:
						u[k] =
						    _mm512_fnmadd_ps(c4, _mm512_add_ps(r1, r2), _mm512_add_ps(r3, r4));
						break;
					case 2:
						u[k] =
						    _mm512_fmadd_ps(c4, _mm512_sub_ps(r1, r2), _mm512_sub_ps(r4, r3));
						break;
					case 3:
						u[k] =
						    _mm512_fmadd_ps(c2, _mm512_sub_ps(r3, r1), _mm512_sub_ps(r4, r2));
						break;
					case 4:
						u[k] =
						    _mm512_fmadd_ps(c2, _mm512_sub_ps(r1, r3), _mm512_sub_ps(r4, r2));
						break;
					default:
						u[k] =
						    _mm512_add_ps(_mm512_fmsub_ps(c4, r1, _mm512_mul_ps(c5, r3)), r5);
						break;
					}
				}
				/* columns 4..35: phases 4 and 5 are columns 4j + 4 and 4j + 5 */
				const __m512 s0 = _mm512_castsi512_ps(
				    _mm512_alignr_epi32(_mm512_castps_si512(u[1]), _mm512_castps_si512(u[0]), 4));
				const __m512 s1 = _mm512_castsi512_ps(
				    _mm512_alignr_epi32(_mm512_castps_si512(u[2]), _mm512_castps_si512(u[1]), 4));
				const __m512 p0 = _mm512_permutex2var_ps(u[0], ix[0], u[1]);
				const __m512 p1 = _mm512_permutex2var_ps(u[0], ix[1], u[1]);
				const __m512 p2 = _mm512_permutex2var_ps(u[0], ix[2], u[1]);
				const __m512 p3 = _mm512_permutex2var_ps(u[0], ix[3], u[1]);
				const __m512 p4 = _mm512_permutex2var_ps(s0, ix[0], s1);
				const __m512 p5 = _mm512_permutex2var_ps(s0, ix[1], s1);
				float *v = vt + (size_t)(i * 6) * vs;
				_mm512_mask_storeu_ps(
				    v, st, _mm512_add_ps(_mm512_fmsub_ps(c4, p0, _mm512_mul_ps(c5, p2)), p4));
				_mm512_mask_storeu_ps(
				    v + vs, st, _mm512_fnmadd_ps(c4, _mm512_add_ps(p1, p2), _mm512_add_ps(p3, p4)));
				_mm512_mask_storeu_ps(
				    v + 2 * vs, st, _mm512_fmadd_ps(c4, _mm512_sub_ps(p1, p2), _mm512_sub_ps(p4, p3)));
				_mm512_mask_storeu_ps(
				    v + 3 * vs, st, _mm512_fmadd_ps(c2, _mm512_sub_ps(p3, p1), _mm512_sub_ps(p4, p2)));
				_mm512_mask_storeu_ps(
				    v + 4 * vs, st, _mm512_fmadd_ps(c2, _mm512_sub_ps(p1, p3), _mm512_sub_ps(p4, p2)));
				_mm512_mask_storeu_ps(
				    v + 5 * vs, st, _mm512_add_ps(_mm512_fmsub_ps(c4, p1, _mm512_mul_ps(c5, p3)), p5));
			}
		}
	}
}
#endif

/* ---- dispatch: the input transform for the target ISA --------------------------------------- */

/* The products run O2C_CONV_CV_UKERNEL, chosen in conv/cv.c. */
#if defined(__AVX512F__)
#define O2C_WCV_IN o2c_wcv_in_avx512
#else
#define O2C_WCV_IN o2c_wcv_in_generic
#endif

/* ---- driver --------------------------------------------------------------------------------- */

/* V: npos * (C + O2C_WINO_PADF) * T floats of scratch, npos = (F + 2)^2, T = ceil(OH/F) * ceil(OW/F)
 * (O2C_WINO_PADF a tile for the padding of o2c_wino_vs);
 * the compiler takes this path only when npos * T * 64 <= O2C_WCV_MB and M % 64 == 0. */
O2C_DRIVER void o2c_conv_wcv_run(const float *in, const float *U, const float *bias, const float *res, float *out,
                                 float *V, int F, int N, int C, int H, int W, int M, int OH, int OW, int PT, int PL,
                                 float lo, float hi, o2c_conv_cv_ukernel_fn tile, o2c_wcv_in_fn in_fn)
{
	const int TWt = (OW + F - 1) / F, T = (OH + F - 1) / F * TWt, npos = (F + 2) * (F + 2), P = OH * OW;
	const int nb = M / O2C_CV_MV, tid = o2c_tid(), nth = o2c_nthreads();
	/* this thread's tiles [j0, j1) of every image, in ng groups, transformed
	 * into its own part of V */
	const int j0 = (int)((long)T * tid / nth), j1 = (int)((long)T * (tid + 1) / nth), nt = j1 - j0;
	const int ng = (nt + O2C_CV_JB - 1) / O2C_CV_JB;
	float *Vt = V + (size_t)npos * (C + O2C_WINO_PADF) * j0; /* o2c_wino_vs(C, nt) <= (C + PADF) * nt */
	const size_t vx = o2c_wino_vs(C, nt);          /* one position further in Vt */
	const size_t mx = o2c_wino_vs(O2C_CV_MV, nt);  /* and in Mb: 24 tiles are 6 KB, 2 L1 sets for 36 rows */
	float Mb[O2C_WCV_MB + O2C_WINO_VPAD(36)];
	for (int n = 0; n < N && nt > 0; n++) {
		in_fn(in + (size_t)n * C * H * W, Vt, F, C, j0, j1, H, W, OH, OW, PT, PL);
		for (int b = 0; b < nb; b++) {
			for (int xi = 0; xi < npos; xi++) {
				const float *w = U + ((size_t)xi * nb + b) * C * O2C_CV_MV;
				/* read next: the next position's chunk, else the next block's first */
				const float *nw = xi + 1 < npos ? w + (size_t)nb * C * O2C_CV_MV
				                  : b + 1 < nb  ? U + (size_t)(b + 1) * C * O2C_CV_MV
				                                : NULL;
				const int nlines = nw ? C * (O2C_CV_MV / 16) : 0;
				for (int g = 0; g < ng; g++) {
					const int g0 = nt * g / ng, g1 = nt * (g + 1) / ng;
					const int l0 = nlines * g / ng, l1 = nlines * (g + 1) / ng;
					/* the sum over C in chunks of O2C_WINO_KB, each added to the
					 * last (blocked summation, as wino.c's products) */
					for (int c0 = 0; c0 < C; c0 += O2C_WINO_KB) {
						const int kc = C - c0 < O2C_WINO_KB ? C - c0 : O2C_WINO_KB, tail = c0 + kc == C;
						tile(Vt + xi * vx + (size_t)c0 * nt + g0, nt, w + (size_t)c0 * O2C_CV_MV, kc,
						     Mb + (size_t)xi * mx + (size_t)g0 * O2C_CV_MV, g1 - g0, c0 == 0, g == 0,
						     tail && nw ? nw + (size_t)16 * l0 : NULL, tail ? l1 - l0 : 0);
					}
				}
			}
			o2c_wcv_out(Mb, mx, out + ((size_t)n * M + (size_t)b * O2C_CV_MV) * P, F, TWt, OH, OW, j0, j1);
		}
	}
	o2c_sync(); /* the blocks are complete */
	o2c_cv_store_all(out, N, M, P, bias, res, lo, hi, O2C_ACT_NONE, Mb); /* the activation is a pass of its own */
}

O2C_UNUSED static void o2c_conv_wcv(const float *in, const float *U, const float *bias, const float *res, float *out,
                                    float *V, int F, int N, int C, int H, int W, int M, int OH, int OW, int PT, int PL,
                                    float lo, float hi)
{
	o2c_conv_wcv_run(in, U, bias, res, out, V, F, N, C, H, W, M, OH, OW, PT, PL, lo, hi, O2C_CONV_CV_UKERNEL,
	                 O2C_WCV_IN);
}
