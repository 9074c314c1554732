/*
 * pack.c - the weight packing of the kernel templates (see pack.h): the
 * layouts the microkernels read, computed once at compile time.  Linked
 * into onnx2c_core and into the kernel tests, so both pack alike.
 */
#include "pack.h"

#include "blocking.h"

#include <string.h>

/* a * b * c, or -1 past 2^53 (as the compiler's checked_mul) or for a negative factor */
static int64_t size3(int64_t a, int64_t b, int64_t c)
{
	int64_t ab, abc;
	if (a < 0 || b < 0 || c < 0 || __builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc) ||
	    abc > ((int64_t)1 << 53))
		return -1;
	return abc;
}

int64_t pack_conv_direct_floats(int64_t G, int64_t M, int64_t K)
{
	if (G < 1)
		return -1;
	const int64_t nb = (M / G + O2C_CONV_MR - 1) / O2C_CONV_MR;
	return size3(G * nb, K, O2C_CONV_MR);
}

void pack_conv_direct(float *dst, const float *w, int64_t G, int64_t M, int64_t K)
{
	const int64_t Mg = M / G, nb = (Mg + O2C_CONV_MR - 1) / O2C_CONV_MR;
	for (int64_t gi = 0; gi < G; gi++)
		for (int64_t b = 0; b < nb; b++)
			for (int64_t k = 0; k < K; k++)
				for (int64_t r = 0; r < O2C_CONV_MR; r++) {
					const int64_t ocg = b * O2C_CONV_MR + r;
					dst[((gi * nb + b) * K + k) * O2C_CONV_MR + r] =
					    ocg < Mg ? w[(gi * Mg + ocg) * K + k] : 0.0f;
				}
}

int64_t pack_conv_wino_floats(int64_t C, int64_t M, int F, int64_t mv)
{
	if (mv < 1 || (F != 2 && F != 4))
		return -1;
	const int64_t nb = (M + mv - 1) / mv;
	return size3((int64_t)(F + 2) * (F + 2) * nb, C, mv);
}

void pack_conv_wino(float *dst, const float *w, int64_t C, int64_t M, int F, int64_t mv)
{
	static const double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
	static const double G4[6][3] = {{1.0 / 4, 0, 0},
	                                {-1.0 / 6, -1.0 / 6, -1.0 / 6},
	                                {-1.0 / 6, 1.0 / 6, -1.0 / 6},
	                                {1.0 / 24, 1.0 / 12, 1.0 / 6},
	                                {1.0 / 24, -1.0 / 12, 1.0 / 6},
	                                {0, 0, 1}};
	const double(*Gm)[3] = F == 2 ? G2 : G4;
	const int a = F + 2; /* positions per side */
	const int64_t nb = (M + mv - 1) / mv;
	memset(dst, 0, (size_t)pack_conv_wino_floats(C, M, F, mv) * sizeof *dst); /* the channels past M */
	for (int64_t m = 0; m < M; m++)
		for (int64_t c = 0; c < C; c++) {
			const float *g = w + (m * C + c) * 9;
			for (int i = 0; i < a; i++)
				for (int k = 0; k < a; k++) {
					double v = 0;
					for (int y = 0; y < 3; y++)
						for (int x = 0; x < 3; x++)
							v += Gm[i][y] * g[y * 3 + x] * Gm[k][x];
					dst[(((i * a + k) * nb + m / mv) * C + c) * mv + m % mv] = (float)v;
				}
		}
}

int64_t pack_conv_cv_floats(int64_t M, int64_t K)
{
	return size3(M, K, 1);
}

void pack_conv_cv(float *dst, const float *w, int64_t M, int64_t K)
{
	for (int64_t m = 0; m < M; m++)
		for (int64_t k = 0; k < K; k++)
			dst[((m / O2C_CV_MV) * K + k) * O2C_CV_MV + m % O2C_CV_MV] = w[m * K + k];
}

int64_t pack_gemm_floats(int64_t K, int64_t N)
{
	return size3((N + O2C_GEMM_NR - 1) / O2C_GEMM_NR, K, O2C_GEMM_NR);
}

void pack_gemm(float *dst, const float *b, int64_t b_rs, int64_t b_cs, int64_t K, int64_t N)
{
	const int64_t np = (N + O2C_GEMM_NR - 1) / O2C_GEMM_NR;
	for (int64_t pn = 0; pn < np; pn++)
		for (int64_t k = 0; k < K; k++)
			for (int64_t j = 0; j < O2C_GEMM_NR; j++) {
				const int64_t col = pn * O2C_GEMM_NR + j;
				dst[(pn * K + k) * O2C_GEMM_NR + j] = col < N ? b[k * b_rs + col * b_cs] : 0.0f;
			}
}

/* Offset of B's element (k, j) in pack_qgemm's layout, Kp = K rounded up to 4. */
static int64_t qgemm_off(int64_t k, int64_t j, int64_t Kp)
{
	return (j / O2C_QGEMM_NR) * Kp * O2C_QGEMM_NR + (k / O2C_QGEMM_KG) * (O2C_QGEMM_NR * O2C_QGEMM_KG) +
	       (j % O2C_QGEMM_NR) * O2C_QGEMM_KG + k % O2C_QGEMM_KG;
}

int64_t pack_qgemm_bytes(int64_t K, int64_t N)
{
	if (K < 0 || N < 0)
		return -1;
	const int64_t Kp = (K + O2C_QGEMM_KG - 1) / O2C_QGEMM_KG * O2C_QGEMM_KG;
	return size3((N + O2C_QGEMM_NR - 1) / O2C_QGEMM_NR, Kp, O2C_QGEMM_NR);
}

void pack_qgemm(int8_t *dst, const int8_t *w, int64_t b_rs, int64_t b_cs, int64_t K, int64_t N)
{
	const int64_t Kp = (K + O2C_QGEMM_KG - 1) / O2C_QGEMM_KG * O2C_QGEMM_KG;
	memset(dst, 0, (size_t)pack_qgemm_bytes(K, N)); /* k past K, columns past N */
	for (int64_t k = 0; k < K; k++)
		for (int64_t j = 0; j < N; j++)
			dst[qgemm_off(k, j, Kp)] = w[k * b_rs + j * b_cs];
}

int64_t pack_qconv_bytes(int64_t M, int64_t C, int64_t KH, int64_t KW)
{
	const int64_t K = size3(C, KH, KW);
	return K < 0 ? -1 : pack_qgemm_bytes(K, M);
}

void pack_qconv(int8_t *dst, const int8_t *w, int64_t M, int64_t C, int64_t KH, int64_t KW)
{
	const int64_t K = C * KH * KW, Kp = (K + O2C_QGEMM_KG - 1) / O2C_QGEMM_KG * O2C_QGEMM_KG;
	memset(dst, 0, (size_t)pack_qgemm_bytes(K, M));
	for (int64_t m = 0; m < M; m++)
		for (int64_t c = 0; c < C; c++)
			for (int64_t ky = 0; ky < KH; ky++)
				for (int64_t kx = 0; kx < KW; kx++)
					dst[qgemm_off((ky * KW + kx) * C + c, m, Kp)] = w[((m * C + c) * KH + ky) * KW + kx];
}

void qgemm_colsums(const int8_t *w, int64_t rs, int64_t cs, int64_t K, int64_t N, int32_t *out)
{
	for (int64_t j = 0; j < N; j++) {
		int64_t s = 0;
		for (int64_t k = 0; k < K; k++)
			s += w[k * rs + j * cs];
		out[j] = (int32_t)s;
	}
}

int64_t pack_qdw_ints(int64_t C, int64_t KH, int64_t KW)
{
	if (C < 0)
		return -1;
	return size3((C + O2C_QDW_CV - 1) / O2C_QDW_CV * O2C_QDW_CV, KH, KW);
}

void pack_qdw(int32_t *dst, const int8_t *w, const int32_t *w_zp, int64_t C, int64_t KH, int64_t KW)
{
	const int64_t Cp = (C + O2C_QDW_CV - 1) / O2C_QDW_CV * O2C_QDW_CV, KK = KH * KW;
	for (int64_t t = 0; t < KK; t++)
		for (int64_t c = 0; c < Cp; c++)
			dst[t * Cp + c] = c < C ? (int32_t)w[c * KK + t] - (w_zp ? w_zp[c] : 0) : 0;
}
