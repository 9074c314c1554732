/*
 * Template: conv/wino.c - pasted by onnx2c (compiler/ops/conv.c) into
 * models with a 3x3 stride-1 Conv that runs as Winograd, and ahead of
 * conv/wcv.c, which uses its input transforms.  Takes no variables: each
 * such node calls o2c_conv_wino2() (F(2x2,3x3)) or o2c_conv_wino4()
 * (F(4x4,3x3)) with literal shape arguments.
 * Needs: blocking.h conv/shared.c conv/direct.c
 *
 * The products run conv/direct.c's microkernels (O2C_CONV_DIRECT_UKERNEL) on
 * weights the compiler transforms (compiler/pack/pack.c, pack_conv_wino with
 * mv = O2C_CONV_MR).
 */

/*
 * o2c_conv_wino2: 3x3, stride 1, dilation 1, one group, by Winograd
 * F(2x2, 3x3) (Lavin & Gray): each 2x2 output tile costs 16 multiplies per
 * input channel instead of 36.  The compiler transforms the weights,
 * U = G g G^T, and packs them per transform position xi (16 of them) like
 * the direct path: U[xi][b][c][MR].  Per group of TG tiles a thread
 *  - transforms the input, V[xi][c][j] = (B^T d B)[xi] for tile j's 4x4
 *    patch d (zeros outside the image), all C channels at once;
 *  - per block of MR output channels runs the microkernel 16 times (one
 *    GEMM [MR x C] x [C x TG] per xi) into Mb[xi][MR][TG];
 *  - transforms back, Y = A^T m A, and applies bias, residual and clamp.
 * TG is as large as V (<= O2C_WINO_VMAX floats on the stack, 512 KB)
 * allows, up to O2C_CONV_NR: each group streams all the transformed
 * weights, so fewer groups is less traffic, and wider GEMMs run the
 * microkernel's wider variants.  The compiler uses this path only for
 * C <= O2C_WINO_CMAX.
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   A^T = [1 1 1 0; 0 1 -1 -1]
 */

/*
 * o2c_conv_wino4: the same scheme with F(4x4, 3x3): 6x6 input patches, 36
 * transform positions, 4x4 output tiles, so 36 multiplies per output tile
 * and input channel instead of 144 (4x fewer than direct; F(2x2) saves
 * 2.25x).  The price: transformed weights 36/9 = 4x the size of the kernel
 * and coefficients up to 8 in the transforms, a few more roundings (the
 * kernel tests hold it to the F(2x2) tolerance).  The transforms are laid
 * out so that every loop is contiguous: a group's tiles are cut into
 * strips along tile rows; per channel and strip, the 6 input rows are
 * copied with their padding, B^T is applied down the columns for the whole
 * row at once, the result is split into its stride-4 phases
 * (o2c_wino4_split), and B across runs over all the group's tiles
 * (o2c_wino4_bt).  Backwards, A^T runs over all tiles twice
 * (o2c_wino4_at) and each output row is interleaved back from its tiles'
 * four columns (o2c_wino4_merge).  The compiler packs
 * U[xi][b][c][MR] = (G g G^T)[xi] with
 *   G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 * and the kernel applies
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 * V[36][C][TG] must hold 16 tiles: C <= O2C_WINO4_CMAX (the compiler checks).
 */

/* ---- transforms: B^T and A^T over vectors of tiles, the strip phases ------------------------ */

/* d[m][j] = u[4j + m] for m < 6, j < len: the six columns of each tile's
 * window along a strip (stride 4, overlapping by 2).  u is readable up to
 * index 4 * (len rounded up to 16) + 3. */
static void o2c_wino4_split(const float *u, int len, float *const d[6])
{
	int j0 = 0;
#if defined(__AVX512F__)
	for (; j0 < len; j0 += 16) {
		const __mmask16 st = (__mmask16)(len - j0 >= 16 ? 0xffffu : (1u << (len - j0)) - 1u);
		const float *s = u + 4 * j0;
		for (int m = 0; m < 6; m++) {
			const float *b = s + (m < 4 ? 0 : 4);
			const int o = m & 3;
			const __m512i ix = _mm512_setr_epi32(o, o + 4, o + 8, o + 12, o + 16, o + 20, o + 24, o + 28, o,
			                                     o + 4, o + 8, o + 12, o + 16, o + 20, o + 24, o + 28);
			const __m512 lo = _mm512_permutex2var_ps(_mm512_loadu_ps(b), ix, _mm512_loadu_ps(b + 16));
			const __m512 hi = _mm512_permutex2var_ps(_mm512_loadu_ps(b + 32), ix, _mm512_loadu_ps(b + 48));
			_mm512_mask_storeu_ps(d[m] + j0, st, _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(1, 0, 1, 0)));
		}
	}
#endif
	for (int j = j0; j < len; j++)
		for (int m = 0; m < 6; m++)
			d[m][j] = u[4 * j + m];
}

/* o[4j + q] = y[q][j] for j < len: a strip's output row from its tiles'
 * four columns.  o has room for 4 * (len rounded up to 16) floats, and y[q]
 * can be read up to that many. */
static void o2c_wino4_merge(const float *const y[4], int len, float *o)
{
	int j0 = 0;
#if defined(__AVX512F__)
	for (; j0 < len; j0 += 16) {
		const __m512 a = _mm512_loadu_ps(y[0] + j0), b = _mm512_loadu_ps(y[1] + j0);
		const __m512 c = _mm512_loadu_ps(y[2] + j0), d = _mm512_loadu_ps(y[3] + j0);
		const __m512 t0 = _mm512_unpacklo_ps(a, b), t1 = _mm512_unpackhi_ps(a, b);
		const __m512 t2 = _mm512_unpacklo_ps(c, d), t3 = _mm512_unpackhi_ps(c, d);
		/* in each 128-bit lane L: u_q = tile 4L + q's four values */
		const __m512 u0 = _mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
		const __m512 u1 = _mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
		const __m512 u2 = _mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
		const __m512 u3 = _mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
		const __m512 x0 = _mm512_shuffle_f32x4(u0, u1, _MM_SHUFFLE(2, 0, 2, 0));
		const __m512 x1 = _mm512_shuffle_f32x4(u2, u3, _MM_SHUFFLE(2, 0, 2, 0));
		const __m512 x2 = _mm512_shuffle_f32x4(u0, u1, _MM_SHUFFLE(3, 1, 3, 1));
		const __m512 x3 = _mm512_shuffle_f32x4(u2, u3, _MM_SHUFFLE(3, 1, 3, 1));
		float *op = o + 4 * j0;
		_mm512_storeu_ps(op, _mm512_shuffle_f32x4(x0, x1, _MM_SHUFFLE(2, 0, 2, 0)));
		_mm512_storeu_ps(op + 16, _mm512_shuffle_f32x4(x2, x3, _MM_SHUFFLE(2, 0, 2, 0)));
		_mm512_storeu_ps(op + 32, _mm512_shuffle_f32x4(x0, x1, _MM_SHUFFLE(3, 1, 3, 1)));
		_mm512_storeu_ps(op + 48, _mm512_shuffle_f32x4(x2, x3, _MM_SHUFFLE(3, 1, 3, 1)));
	}
#endif
	for (int j = j0; j < len; j++)
		for (int q = 0; q < 4; q++)
			o[4 * j + q] = y[q][j];
}

/* v_k[j] = (B^T u_j)[k] for the 6-vectors u_j = (p0[j] .. p5[j]), j < n.
 * Functions of their own with restrict parameters: that is what lets gcc
 * vectorise a loop with this many streams over j. */
static void o2c_wino4_bt(const float *restrict p0, const float *restrict p1, const float *restrict p2,
                         const float *restrict p3, const float *restrict p4, const float *restrict p5,
                         float *restrict v0, float *restrict v1, float *restrict v2, float *restrict v3,
                         float *restrict v4, float *restrict v5, int n)
{
	for (int j = 0; j < n; j++) {
		const float u0 = p0[j], u1 = p1[j], u2 = p2[j], u3 = p3[j], u4 = p4[j], u5 = p5[j];
		v0[j] = 4.0f * u0 - 5.0f * u2 + u4;
		v1[j] = -4.0f * (u1 + u2) + u3 + u4;
		v2[j] = 4.0f * (u1 - u2) - u3 + u4;
		v3[j] = 2.0f * (u3 - u1) - u2 + u4;
		v4[j] = 2.0f * (u1 - u3) - u2 + u4;
		v5[j] = 4.0f * u1 - 5.0f * u3 + u5;
	}
}

/* o_q[j] = (A^T m_j)[q] + bv for the 6-vectors m_j = (m0[j] .. m5[j]), j < n. */
static void o2c_wino4_at(const float *restrict m0, const float *restrict m1, const float *restrict m2,
                         const float *restrict m3, const float *restrict m4, const float *restrict m5,
                         float *restrict o0, float *restrict o1, float *restrict o2, float *restrict o3, float bv,
                         int n)
{
	for (int j = 0; j < n; j++) {
		const float s12 = m1[j] + m2[j], d12 = m1[j] - m2[j], s34 = m3[j] + m4[j], d34 = m3[j] - m4[j];
		o0[j] = m0[j] + s12 + s34 + bv;
		o1[j] = d12 + 2.0f * d34 + bv;
		o2[j] = s12 + 4.0f * s34 + bv;
		o3[j] = d12 + 8.0f * d34 + m5[j] + bv;
	}
}

#if defined(__AVX512F__)
/* B^T u over six vectors of 16 tiles, in place (the rows of o2c_wino4_bt). */
O2C_INLINE void o2c_wino4_bt16(__m512 *u)
{
	const __m512 u0 = u[0], u1 = u[1], u2 = u[2], u3 = u[3], u4 = u[4], u5 = u[5];
	const __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f), two = _mm512_set1_ps(2.0f);
	const __m512 s42 = _mm512_sub_ps(u4, u2), s31 = _mm512_sub_ps(u3, u1);
	u[0] = _mm512_fnmadd_ps(five, u2, _mm512_fmadd_ps(four, u0, u4));
	u[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(u1, u2), _mm512_add_ps(u3, u4));
	u[2] = _mm512_fmadd_ps(four, _mm512_sub_ps(u1, u2), _mm512_sub_ps(u4, u3));
	u[3] = _mm512_fmadd_ps(two, s31, s42);
	u[4] = _mm512_fnmadd_ps(two, s31, s42);
	u[5] = _mm512_fnmadd_ps(five, u3, _mm512_fmadd_ps(four, u1, u5));
}
#endif

/* ---- packing: the input transforms into V --------------------------------------------------- */

/* Floats from one Winograd position's V[C][ldv] to the next: C * ldv
 * rounded up to an odd number of 64-byte lines.  Unpadded, a power-of-two
 * C made it a multiple of 4 KB (64 x 48 floats is 12 KB), so the 16 or 36
 * rows an input transform writes per channel all fell in one L1 set: a
 * 28x28 layer's transform then took 4x as long on the thread that had 24
 * tiles as on the one that had 25.  Stacks and scratch hold npos * 32
 * floats more than npos * C * ldv. */
static size_t o2c_wino_vs(int C, int ldv)
{
	return (((size_t)C * ldv + 15) / 16 | 1) * 16;
}
#define O2C_WINO_VPAD(npos) ((npos) * O2C_WINO_PADF)

/* Zeroes columns [nt, TG) of channels [c0, c1) at each of npos positions
 * vs apart: a partial group's unused tiles, so the GEMM reads defined values. */
static void o2c_wino_zero_tail(float *V, size_t vs, int ldv, int npos, int c0, int c1, int nt, int TG)
{
	for (int xi = 0; xi < npos && nt < TG; xi++)
		for (int c = c0; c < c1; c++)
			memset(V + (size_t)xi * vs + (size_t)c * ldv + nt, 0, (size_t)(TG - nt) * sizeof *V);
}

/* Where each of a group's tiles reads its 16 inputs (-1: padding) and
 * writes its outputs. */
typedef struct O2cWino2Map {
	int ioff[16][O2C_CONV_NR], ooff[O2C_CONV_NR], oh2[O2C_CONV_NR], ow2[O2C_CONV_NR];
} O2cWino2Map;

static void o2c_wino2_map(O2cWino2Map *mp, int t0, int nt, int TG, int TWt, int H, int W, int OH, int OW, int PT,
                          int PL)
{
	for (int j = 0; j < TG; j++) {
		const int tj = t0 + (j < nt ? j : 0), ty = tj / TWt, tx = tj % TWt;
		for (int e = 0; e < 16; e++) {
			const int iy = 2 * ty - PT + e / 4, ix = 2 * tx - PL + e % 4;
			mp->ioff[e][j] = j < nt && iy >= 0 && iy < H && ix >= 0 && ix < W ? iy * W + ix : -1;
		}
		mp->ooff[j] = 2 * ty * OW + 2 * tx;
		mp->oh2[j] = 2 * ty + 1 < OH; /* the tile's second row / column exist */
		mp->ow2[j] = 2 * tx + 1 < OW;
	}
}

/* Input transform of channels [c0, c1) of image x into V[16][C][ldv], the
 * group's TG tiles in columns [0, TG). */
O2C_DRIVER void o2c_wino2_in(const float *x, float *V, int ldv, int C, int c0, int c1, int HW, int TG,
                             const O2cWino2Map *mp)
{
	float d[16][O2C_CONV_NR], u[16][O2C_CONV_NR];
	for (int c = c0; c < c1; c++) {
		const float *xc = x + (size_t)c * HW;
		for (int e = 0; e < 16; e++)
			for (int j = 0; j < TG; j++)
				d[e][j] = mp->ioff[e][j] >= 0 ? xc[mp->ioff[e][j]] : 0.0f;
		/* every loop runs over the tiles j, so the compiler vectorises them (O2C_SIMD: at -O2 too) */
		for (int r = 0; r < 4; r++) /* B^T d: rows */
			O2C_SIMD for (int j = 0; j < TG; j++) {
				const float d0 = d[0 * 4 + r][j], d1 = d[1 * 4 + r][j];
				const float d2 = d[2 * 4 + r][j], d3 = d[3 * 4 + r][j];
				u[0 * 4 + r][j] = d0 - d2;
				u[1 * 4 + r][j] = d1 + d2;
				u[2 * 4 + r][j] = d2 - d1;
				u[3 * 4 + r][j] = d1 - d3;
			}
		for (int i = 0; i < 4; i++) { /* (B^T d) B: columns */
			const size_t vs = o2c_wino_vs(C, ldv); /* one position further */
			float *v0 = V + (size_t)(i * 4) * vs + (size_t)c * ldv, *v1 = v0 + vs, *v2 = v1 + vs,
			      *v3 = v2 + vs;
			O2C_SIMD for (int j = 0; j < TG; j++) {
				const float u0 = u[i * 4 + 0][j], u1 = u[i * 4 + 1][j];
				const float u2 = u[i * 4 + 2][j], u3 = u[i * 4 + 3][j];
				v0[j] = u0 - u2;
				v1[j] = u1 + u2;
				v2[j] = u2 - u1;
				v3[j] = u1 - u3;
			}
		}
	}
}

/* The tiles of a group (raster order from t0) as strips along tile rows. */
typedef struct O2cWino4Strips {
	int ns, ty[O2C_CONV_NR], tx[O2C_CONV_NR], len[O2C_CONV_NR], j[O2C_CONV_NR];
} O2cWino4Strips;

static void o2c_wino4_strips(O2cWino4Strips *st, int t0, int nt, int TWt)
{
	st->ns = 0;
	for (int j = 0; j < nt;) {
		const int ty = (t0 + j) / TWt, tx = (t0 + j) % TWt, len = TWt - tx < nt - j ? TWt - tx : nt - j;
		st->ty[st->ns] = ty, st->tx[st->ns] = tx, st->len[st->ns] = len, st->j[st->ns] = j, st->ns++;
		j += len;
	}
}

#define O2C_WINO4_ROW (4 * O2C_CONV_NR + 4)       /* a strip's input row, 2 columns of overlap, 2 of slack */

/* Input transform of channels [c0, c1) of image x for a group's strips into
 * V[36][C][ldv], the nt tiles in columns [0, nt); columns [nt, TG) are
 * zeroed so the GEMM reads defined values.  The portable version; the
 * AVX-512 one below keeps each strip's rows in registers. */
O2C_UNUSED O2C_DRIVER void o2c_wino4_in_generic(const float *x, float *V, int ldv, int C, int c0, int c1, int H, int W,
                                                int PT, int PL, int TG, int nt, const O2cWino4Strips *st)
{
	/* one strip: 6 input rows, their vertical transform, its phases per transform row */
	float rows[6][O2C_WINO4_ROW], ucol[O2C_WINO4_ROW], ph[6][6][O2C_CONV_NR];
	const int ns = st->ns, *sty = st->ty, *stx = st->tx, *slen = st->len, *sj = st->j;
	memset(ucol, 0, sizeof ucol); /* o2c_wino4_split reads past a short strip's end */
	for (int c = c0; c < c1; c++) {
		const float *xc = x + (size_t)c * H * W;
		for (int s = 0; s < ns; s++) {
			const int len = slen[s], x0 = 4 * stx[s] - PL, nx = 4 * len + 2;
			/* input columns [x0, x0 + nx) of the strip's 6 rows, zeros outside the image */
			const int xa = x0 < 0 ? -x0 : 0, xb = W - x0 < nx ? W - x0 : nx;
			for (int ey = 0; ey < 6; ey++) {
				const int iy = 4 * sty[s] - PT + ey;
				float *rw = rows[ey];
				if (iy < 0 || iy >= H || xa >= xb) {
					memset(rw, 0, (size_t)(nx + 2) * sizeof *rw);
					continue;
				}
				for (int i = 0; i < xa; i++)
					rw[i] = 0.0f;
				memcpy(rw + xa, xc + (size_t)iy * W + x0 + xa, (size_t)(xb - xa) * sizeof *rw);
				for (int i = xb; i < nx + 2; i++)
					rw[i] = 0.0f;
			}
			for (int i = 0; i < 6; i++) {
				/* B^T down the columns, contiguous along the row */
				const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3], *r4 = rows[4],
				            *r5 = rows[5];
				switch (i) {
				case 0:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = 4.0f * r0[k] - 5.0f * r2[k] + r4[k];
					break;
				case 1:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = -4.0f * (r1[k] + r2[k]) + r3[k] + r4[k];
					break;
				case 2:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = 4.0f * (r1[k] - r2[k]) - r3[k] + r4[k];
					break;
				case 3:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = 2.0f * (r3[k] - r1[k]) - r2[k] + r4[k];
					break;
				case 4:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = 2.0f * (r1[k] - r3[k]) - r2[k] + r4[k];
					break;
				default:
					for (int k = 0; k < nx + 2; k++)
						ucol[k] = 4.0f * r1[k] - 5.0f * r3[k] + r5[k];
					break;
				}
				float *const dst[6] = {ph[i][0] + sj[s], ph[i][1] + sj[s], ph[i][2] + sj[s],
				                       ph[i][3] + sj[s], ph[i][4] + sj[s], ph[i][5] + sj[s]};
				o2c_wino4_split(ucol, len, dst);
			}
		}
		/* B across, over all the group's tiles: tile j's columns are ph[i][0..5][j] */
		for (int i = 0; i < 6; i++) {
			const size_t vs = o2c_wino_vs(C, ldv); /* one xi further */
			float *v = V + (size_t)(i * 6) * vs + (size_t)c * ldv;
			o2c_wino4_bt(ph[i][0], ph[i][1], ph[i][2], ph[i][3], ph[i][4], ph[i][5], v, v + vs, v + 2 * vs,
			             v + 3 * vs, v + 4 * vs, v + 5 * vs, nt);
		}
	}
	o2c_wino_zero_tail(V, o2c_wino_vs(C, ldv), ldv, 36, c0, c1, nt, TG);
}

#if defined(__AVX512F__)
/* The same transform with each strip done 16 tiles at a time in registers:
 * per input row, five loads (zeros off the image) hold the 66 columns of 16
 * tiles, permutes split them into the six columns of every tile's window
 * (column 4j + m of the stretch in lane j of vector m), B^T combines those
 * across, and B^T down the six rows gives the 36 vectors stored to V.  The
 * generic version goes through memory for each of these steps (row copies,
 * transformed rows, phases): a third of a 56x56 layer's time. */
O2C_DRIVER void o2c_wino4_in_avx512(const float *x, float *V, int ldv, int C, int c0, int c1, int H, int W, int PT,
                                    int PL, int TG, int nt, const O2cWino4Strips *st)
{
	const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
	const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
	const size_t vs = o2c_wino_vs(C, ldv); /* one xi further */
	__m512 h[6][6];                        /* [input row][window column], B^T applied across */
	for (int c = c0; c < c1; c++) {
		const float *xc = x + (size_t)c * H * W;
		for (int s = 0; s < st->ns; s++)
			for (int p = 0; p < st->len[s]; p += 16) {
				const int len = st->len[s] - p < 16 ? st->len[s] - p : 16,
				          x0 = 4 * (st->tx[s] + p) - PL;
				const __mmask16 m = (__mmask16)(len == 16 ? 0xffffu : (1u << len) - 1u);
				for (int ey = 0; ey < 6; ey++) {
					const int iy = 4 * st->ty[s] - PT + ey;
					__m512 *u = h[ey];
					if (iy < 0 || iy >= H) {
						for (int k = 0; k < 6; k++)
							u[k] = _mm512_setzero_ps();
						continue;
					}
					const float *xr = xc + (size_t)iy * W;
					const __m512 r0 = o2c_conv_row16_avx512(xr, x0, W),
					             r1 = o2c_conv_row16_avx512(xr, x0 + 16, W);
					const __m512 r2 = o2c_conv_row16_avx512(xr, x0 + 32, W),
					             r3 = o2c_conv_row16_avx512(xr, x0 + 48, W);
					const __m512 r4 = o2c_conv_row16_avx512(xr, x0 + 64, W);
					const __m512 e01 = _mm512_permutex2var_ps(r0, ev, r1),
					             o01 = _mm512_permutex2var_ps(r0, od, r1);
					const __m512 e23 = _mm512_permutex2var_ps(r2, ev, r3),
					             o23 = _mm512_permutex2var_ps(r2, od, r3);
					u[0] = _mm512_permutex2var_ps(e01, ev, e23); /* columns 4j */
					u[1] = _mm512_permutex2var_ps(o01, ev, o23); /* 4j + 1 */
					u[2] = _mm512_permutex2var_ps(e01, od, e23); /* 4j + 2 */
					u[3] = _mm512_permutex2var_ps(o01, od, o23); /* 4j + 3 */
					const __m512i n4 = _mm512_castps_si512(r4); /* columns 64, 65 for lane 15 */
					u[4] =
					    _mm512_castsi512_ps(_mm512_alignr_epi32(n4, _mm512_castps_si512(u[0]), 1));
					u[5] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_alignr_epi32(n4, n4, 1),
					                                               _mm512_castps_si512(u[1]), 1));
					o2c_wino4_bt16(u);
				}
				float *v = V + (size_t)c * ldv + st->j[s] + p;
				for (int k = 0; k < 6; k++) {
					__m512 col[6] = {h[0][k], h[1][k], h[2][k], h[3][k], h[4][k], h[5][k]};
					o2c_wino4_bt16(col);
					for (int i = 0; i < 6; i++)
						_mm512_mask_storeu_ps(v + (size_t)(i * 6 + k) * vs, m, col[i]);
				}
			}
	}
	o2c_wino_zero_tail(V, vs, ldv, 36, c0, c1, nt, TG);
}
#endif

/* ---- dispatch: the F(4x4) input transform for the target ISA -------------------------------- */

/* The products run O2C_CONV_DIRECT_UKERNEL, chosen in conv/direct.c. */
#if defined(__AVX512F__)
#define O2C_WINO4_IN o2c_wino4_in_avx512
#else
#define O2C_WINO4_IN o2c_wino4_in_generic
#endif

/* ---- driver: products (conv/direct.c microkernels), output transforms, threads -------------- */

/* The MR x TG products of channel block b at each of the npos Winograd positions, into
 * Mb[xi][MR][TG]; each call is given the weights the next one reads (the next chunk, else
 * position xi + 1, else the next block's first; none after block b1 - 1) to prefetch them
 * while it works.  The sum over the C channels runs in chunks of kb, each summed from zero
 * and then added (blocked summation, see conv/direct.c): a transformed product is up to
 * ~100 times the output it becomes, and F(4x4)'s output transform (coefficients up to 8)
 * amplifies the sum's roundings, so one running sum over all C channels made F(4x4)
 * layers ~5x less accurate than direct ones (deep ResNets drifted past 1e-4 of ONNX
 * Runtime).  kb = C: one call per position, as F(2x2) needs. */
static void o2c_wino_products(const float *V, const float *U, float *Mb, int C, int TG, int nt, int nb, int b,
                              int b1, int mleft, int npos, int kb, float lo, float hi, o2c_conv_direct_ukernel_fn tile)
{
	const size_t vs = o2c_wino_vs(C, TG);
	for (int xi = 0; xi < npos; xi++) {
		const float *u = U + (((size_t)xi * nb + b) * C) * O2C_CONV_MR;
		for (int c0 = 0; c0 < C; c0 += kb) {
			const int kc = C - c0 < kb ? C - c0 : kb;
			const float *nw = c0 + kc < C ? u + (size_t)(c0 + kc) * O2C_CONV_MR
			                  : xi + 1 < npos ? U + (((size_t)(xi + 1) * nb + b) * C) * O2C_CONV_MR
			                  : b + 1 < b1    ? U + (size_t)(b + 1) * C * O2C_CONV_MR
			                                  : NULL;
			tile(V + (size_t)xi * vs + (size_t)c0 * TG, TG, u + (size_t)c0 * O2C_CONV_MR, kc,
			     Mb + xi * O2C_CONV_MR * TG, (size_t)TG, nt, mleft, NULL, NULL, c0 == 0, 0, lo, hi, nw);
		}
	}
}

/* GEMMs and output transform of a group for channel blocks [b0, b1) of image n. */
O2C_DRIVER void o2c_wino2_out(const float *V, const float *U, const float *bias, const float *res, float *out, int n,
                              int C, int M, int OH, int OW, int TG, int nt, const O2cWino2Map *mp, int b0, int b1,
                              float lo, float hi, o2c_conv_direct_ukernel_fn tile)
{
	float Mb[16 * O2C_CONV_MR * O2C_CONV_NR];
	float a[8][O2C_CONV_NR], yv[4][O2C_CONV_NR];
	const int nb = (M + O2C_CONV_MR - 1) / O2C_CONV_MR;
	const size_t plane = (size_t)OH * OW;
	for (int b = b0; b < b1; b++) {
		const int oc0 = b * O2C_CONV_MR, mleft = M - oc0;
		o2c_wino_products(V, U, Mb, C, TG, nt, nb, b, b1, mleft, 16, O2C_WINO_KB, lo, hi, tile);
		for (int r = 0; r < O2C_CONV_MR && r < mleft; r++) {
			const float *m = Mb + r * TG;
			const size_t ms = (size_t)O2C_CONV_MR * TG; /* one xi further */
			const float bv = bias ? bias[oc0 + r] : 0.0f;
			float *y = out + ((size_t)n * M + oc0 + r) * plane;
			const float *rs = res ? res + ((size_t)n * M + oc0 + r) * plane : NULL;
			for (int k = 0; k < 4; k++) /* A^T m: rows */
				O2C_SIMD for (int j = 0; j < nt; j++) {
					const float m0 = m[(0 * 4 + k) * ms + j], m1 = m[(1 * 4 + k) * ms + j];
					const float m2 = m[(2 * 4 + k) * ms + j], m3 = m[(3 * 4 + k) * ms + j];
					a[k][j] = m0 + m1 + m2;
					a[4 + k][j] = m1 - m2 - m3;
				}
			for (int i = 0; i < 2; i++) /* (A^T m) A: columns */
				O2C_SIMD for (int j = 0; j < nt; j++) {
					yv[i * 2 + 0][j] = a[i * 4 + 0][j] + a[i * 4 + 1][j] + a[i * 4 + 2][j] + bv;
					yv[i * 2 + 1][j] = a[i * 4 + 1][j] - a[i * 4 + 2][j] - a[i * 4 + 3][j] + bv;
				}
			for (int j = 0; j < nt; j++)
				for (int e = 0; e < 4; e++) {
					if ((e / 2 && !mp->oh2[j]) || (e % 2 && !mp->ow2[j]))
						continue;
					const size_t o = mp->ooff[j] + (size_t)(e / 2) * OW + e % 2;
					float v = yv[e][j] + (rs ? rs[o] : 0.0f);
					v = v < lo ? lo : v;
					y[o] = v > hi ? hi : v;
				}
		}
	}
}

O2C_DRIVER void o2c_conv_wino2_run(const float *in, const float *U, const float *bias, const float *res, float *out,
                                   int N, int C, int H, int W, int M, int OH, int OW, int PT, int PL, float lo,
                                   float hi, o2c_conv_direct_ukernel_fn tile)
{
	const int nb = (M + O2C_CONV_MR - 1) / O2C_CONV_MR, TWt = (OW + 1) / 2, T = (OH + 1) / 2 * TWt;
	int TG = O2C_WINO_VMAX / (16 * C) / 16 * 16;
	TG = TG < 16 ? 16 : TG > O2C_CONV_NR ? O2C_CONV_NR : TG;
	const int nthr = o2c_nthreads();
	if (nthr == 2 && N == 1 && T > TG && o2c_claim2_ok()) { /* groups of TG tiles from both ends */
		float V[O2C_WINO_VMAX + O2C_WINO_VPAD(16)];
		O2cWino2Map mp;
		for (int k; (k = o2c_claim2_tail((T + TG - 1) / TG, T % TG)) >= 0;) {
			const int t0 = k * TG, nt = T - t0 < TG ? T - t0 : TG;
			o2c_wino2_map(&mp, t0, nt, TG, TWt, H, W, OH, OW, PT, PL);
			o2c_wino2_in(in, V, TG, C, 0, C, H * W, TG, &mp);
			o2c_wino2_out(V, U, bias, res, out, 0, C, M, OH, OW, TG, nt, &mp, 0, nb, lo, hi, tile);
		}
		return;
	}
	if (nthr > 1 && T > TG) { /* this thread's band of each image (see O2cBand), in groups of TG tiles */
		const O2cBand bd = o2c_band(T, TG, nb, o2c_tid(), nthr);
		float V[O2C_WINO_VMAX + O2C_WINO_VPAD(16)];
		O2cWino2Map mp;
		for (int n = 0; n < N; n++) {
			const float *x = in + (size_t)n * C * H * W;
			for (int t0 = bd.lo; t0 < bd.hi; t0 += TG) {
				const int nt = bd.hi - t0 < TG ? bd.hi - t0 : TG;
				o2c_wino2_map(&mp, t0, nt, TG, TWt, H, W, OH, OW, PT, PL);
				o2c_wino2_in(x, V, TG, C, 0, C, H * W, TG, &mp);
				o2c_wino2_out(V, U, bias, res, out, n, C, M, OH, OW, TG, nt, &mp, 0, nb, lo, hi, tile);
			}
			if (bd.rb0 < bd.rb1) {
				o2c_wino2_map(&mp, bd.r0, bd.r1 - bd.r0, TG, TWt, H, W, OH, OW, PT, PL);
				o2c_wino2_in(x, V, TG, C, 0, C, H * W, TG, &mp);
				o2c_wino2_out(V, U, bias, res, out, n, C, M, OH, OW, TG, bd.r1 - bd.r0, &mp, bd.rb0,
				              bd.rb1, lo, hi, tile);
			}
		}
		return;
	}
	/* groups of equal size (49 tiles: 25 + 24, not 32 + 17), in whole vectors */
	const int ngr = (T + TG - 1) / TG;
	TG = ((T + ngr - 1) / ngr + 15) / 16 * 16;
	const long groups = (long)N * ngr;
	/* each split by channel blocks repeats the input transform: only when
	 * the groups cannot feed the threads */
	const long want = nthr;
	int nmg = groups >= want ? 1 : (int)((want + groups - 1) / groups);
	if (nmg > nb)
		nmg = nb;
	const int bpg = (nb + nmg - 1) / nmg;
	const long total = groups * nmg;
	/* dynamic: on a loaded machine a preempted thread must not hold back a
	 * fixed share of the work until the barrier */
	O2C_OMP(for schedule(dynamic, 1) nowait)
	for (long it = 0; it < total; it++) {
		float V[O2C_WINO_VMAX + O2C_WINO_VPAD(16)];
		O2cWino2Map mp;
		long q = it;
		const int mg = (int)(q % nmg);
		q /= nmg;
		const int gr = (int)(q % ngr);
		const int n = (int)(q / ngr);
		const int t0 = gr * TG, nt = T - t0 < TG ? T - t0 : TG;
		const int b0 = mg * bpg, b1 = b0 + bpg < nb ? b0 + bpg : nb;
		if (b0 >= b1)
			continue;
		o2c_wino2_map(&mp, t0, nt, TG, TWt, H, W, OH, OW, PT, PL);
		o2c_wino2_in(in + (size_t)n * C * H * W, V, TG, C, 0, C, H * W, TG, &mp);
		o2c_wino2_out(V, U, bias, res, out, n, C, M, OH, OW, TG, nt, &mp, b0, b1, lo, hi, tile);
	}
}

/* GEMMs and output transform of a group for channel blocks [b0, b1) of image n. */
O2C_DRIVER void o2c_wino4_out(const float *V, const float *U, const float *bias, const float *res, float *out, int n,
                              int C, int M, int OH, int OW, int TG, int nt, const O2cWino4Strips *st, int b0, int b1,
                              float lo, float hi, o2c_conv_direct_ukernel_fn tile)
{
	float Mb[36 * O2C_CONV_MR * O2C_CONV_NR];
	float at[24][O2C_CONV_NR], yv[16][O2C_CONV_NR + 16], orow[4 * O2C_CONV_NR]; /* yv: merge reads 16 on */
	const int nb = (M + O2C_CONV_MR - 1) / O2C_CONV_MR, ns = st->ns, *sty = st->ty, *stx = st->tx, *slen = st->len,
	          *sj = st->j;
	const size_t plane = (size_t)OH * OW;
	for (int b = b0; b < b1; b++) {
		const int oc0 = b * O2C_CONV_MR, mleft = M - oc0;
		o2c_wino_products(V, U, Mb, C, TG, nt, nb, b, b1, mleft, 36, O2C_WINO_KB, lo, hi, tile);
		for (int r = 0; r < O2C_CONV_MR && r < mleft; r++) {
			const float *m = Mb + r * TG;
			const size_t ms = (size_t)O2C_CONV_MR * TG; /* one xi further */
			const float bv = bias ? bias[oc0 + r] : 0.0f;
			float *y = out + ((size_t)n * M + oc0 + r) * plane;
			const float *rs = res ? res + ((size_t)n * M + oc0 + r) * plane : NULL;
			for (int k = 0; k < 6; k++) /* A^T m: rows, at[i*6 + k] */
				o2c_wino4_at(m + (0 * 6 + k) * ms, m + (1 * 6 + k) * ms, m + (2 * 6 + k) * ms,
				             m + (3 * 6 + k) * ms, m + (4 * 6 + k) * ms, m + (5 * 6 + k) * ms, at[k],
				             at[6 + k], at[12 + k], at[18 + k], 0.0f, nt);
			for (int i = 0; i < 4; i++) /* (A^T m) A: columns, over all the tiles */
				o2c_wino4_at(at[i * 6], at[i * 6 + 1], at[i * 6 + 2], at[i * 6 + 3], at[i * 6 + 4],
				             at[i * 6 + 5], yv[i * 4], yv[i * 4 + 1], yv[i * 4 + 2], yv[i * 4 + 3], bv,
				             nt);
			for (int s = 0; s < ns; s++) {
				const int len = slen[s], ox0 = 4 * stx[s], jo = sj[s];
				const int ncol = OW - ox0 < 4 * len ? OW - ox0 : 4 * len;
				for (int ey = 0; ey < 4; ey++) { /* output row 4ty + ey of the strip */
					const int oy = 4 * sty[s] + ey;
					if (oy >= OH)
						break;
					const float *const yq[4] = {yv[ey * 4] + jo, yv[ey * 4 + 1] + jo,
					                            yv[ey * 4 + 2] + jo, yv[ey * 4 + 3] + jo};
					o2c_wino4_merge(yq, len, orow);
					float *yr = y + (size_t)oy * OW + ox0;
					const float *rr = rs ? rs + (size_t)oy * OW + ox0 : NULL;
					for (int k = 0; k < ncol; k++) {
						float v = orow[k] + (rr ? rr[k] : 0.0f);
						v = v < lo ? lo : v;
						yr[k] = v > hi ? hi : v;
					}
				}
			}
		}
	}
}

O2C_DRIVER void o2c_conv_wino4_run(const float *in, const float *U, const float *bias, const float *res, float *out,
                                   int N, int C, int H, int W, int M, int OH, int OW, int PT, int PL, float lo,
                                   float hi, o2c_conv_direct_ukernel_fn tile)
{
	const int nb = (M + O2C_CONV_MR - 1) / O2C_CONV_MR, TWt = (OW + 3) / 4, T = (OH + 3) / 4 * TWt;
	int TG = O2C_WINO4_VMAX / (36 * C) / 16 * 16;
	TG = TG < 16 ? 16 : TG > O2C_CONV_NR ? O2C_CONV_NR : TG;
	const int nthr = o2c_nthreads();
	if (nthr == 2 && N == 1 && T > TG && o2c_claim2_ok()) { /* groups of TG tiles from both ends */
		float V[O2C_WINO4_VMAX + O2C_WINO_VPAD(36)];
		O2cWino4Strips st;
		for (int k; (k = o2c_claim2_tail((T + TG - 1) / TG, T % TG)) >= 0;) {
			const int t0 = k * TG, nt = T - t0 < TG ? T - t0 : TG;
			o2c_wino4_strips(&st, t0, nt, TWt);
			O2C_WINO4_IN(in, V, TG, C, 0, C, H, W, PT, PL, TG, nt, &st);
			o2c_wino4_out(V, U, bias, res, out, 0, C, M, OH, OW, TG, nt, &st, 0, nb, lo, hi, tile);
		}
		return;
	}
	if (nthr > 1 && T > TG) { /* this thread's band of each image (see O2cBand), in groups of TG tiles */
		const O2cBand bd = o2c_band(T, TG, nb, o2c_tid(), nthr);
		float V[O2C_WINO4_VMAX + O2C_WINO_VPAD(36)];
		O2cWino4Strips st;
		for (int n = 0; n < N; n++) {
			const float *x = in + (size_t)n * C * H * W;
			for (int t0 = bd.lo; t0 < bd.hi; t0 += TG) {
				const int nt = bd.hi - t0 < TG ? bd.hi - t0 : TG;
				o2c_wino4_strips(&st, t0, nt, TWt);
				O2C_WINO4_IN(x, V, TG, C, 0, C, H, W, PT, PL, TG, nt, &st);
				o2c_wino4_out(V, U, bias, res, out, n, C, M, OH, OW, TG, nt, &st, 0, nb, lo, hi, tile);
			}
			if (bd.rb0 < bd.rb1) {
				o2c_wino4_strips(&st, bd.r0, bd.r1 - bd.r0, TWt);
				O2C_WINO4_IN(x, V, TG, C, 0, C, H, W, PT, PL, TG, bd.r1 - bd.r0, &st);
				o2c_wino4_out(V, U, bias, res, out, n, C, M, OH, OW, TG, bd.r1 - bd.r0, &st, bd.rb0,
				              bd.rb1, lo, hi, tile);
			}
		}
		return;
	}
	/* groups of equal size (49 tiles: 25 + 24, not 32 + 17), in whole vectors */
	const int ngr = (T + TG - 1) / TG;
	TG = ((T + ngr - 1) / ngr + 15) / 16 * 16;
	const long groups = (long)N * ngr;
	if (groups < nthr) {
		/* Too few groups for the threads (a 14x14 image is one): all threads
		 * work on one group at a time, the input transform split by channels
		 * into a V they share, then the GEMMs by channel blocks. */
		float Vt[O2C_WINO4_VMAX + O2C_WINO_VPAD(36)];
		float *V = (float *)o2c_share(Vt); /* thread 0's */
		const int tid = o2c_tid(), nth = o2c_nthreads();
		for (long g = 0; g < groups; g++) {
			const int gr = (int)(g % ngr), n = (int)(g / ngr), t0 = gr * TG, nt = T - t0 < TG ? T - t0 : TG;
			O2cWino4Strips st;
			o2c_wino4_strips(&st, t0, nt, TWt);
			O2C_WINO4_IN(in + (size_t)n * C * H * W, V, TG, C, C * tid / nth, C * (tid + 1) / nth, H, W, PT,
			             PL, TG, nt, &st);
			o2c_sync();
			o2c_wino4_out(V, U, bias, res, out, n, C, M, OH, OW, TG, nt, &st, nb * tid / nth,
			              nb * (tid + 1) / nth, lo, hi, tile);
			o2c_sync(); /* V is rewritten next, and thread 0's stack is gone after the return */
		}
		return;
	}
	O2C_OMP(for schedule(dynamic, 1) nowait)
	for (long g = 0; g < groups; g++) {
		float V[O2C_WINO4_VMAX + O2C_WINO_VPAD(36)];
		O2cWino4Strips st;
		const int gr = (int)(g % ngr), n = (int)(g / ngr), t0 = gr * TG, nt = T - t0 < TG ? T - t0 : TG;
		o2c_wino4_strips(&st, t0, nt, TWt);
		O2C_WINO4_IN(in + (size_t)n * C * H * W, V, TG, C, 0, C, H, W, PT, PL, TG, nt, &st);
		o2c_wino4_out(V, U, bias, res, out, n, C, M, OH, OW, TG, nt, &st, 0, nb, lo, hi, tile);
	}
}

O2C_UNUSED static void o2c_conv_wino2(const float *in, const float *U, const float *bias, const float *res, float *out,
                                      int N, int C, int H, int W, int M, int OH, int OW, int PT, int PL, float lo,
                                      float hi)
{
	o2c_conv_wino2_run(in, U, bias, res, out, N, C, H, W, M, OH, OW, PT, PL, lo, hi, O2C_CONV_DIRECT_UKERNEL);
}
O2C_UNUSED static void o2c_conv_wino4(const float *in, const float *U, const float *bias, const float *res, float *out,
                                      int N, int C, int H, int W, int M, int OH, int OW, int PT, int PL, float lo,
                                      float hi)
{
	o2c_conv_wino4_run(in, U, bias, res, out, N, C, H, W, M, OH, OW, PT, PL, lo, hi, O2C_CONV_DIRECT_UKERNEL);
}
