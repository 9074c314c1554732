/*
 * Template: act.c - pasted by onnx2c (compiler/ops/conv.c's activation pass,
 * ops/unary.c) into models with an activation a kernel's epilogue cannot
 * clamp: Sigmoid, SiLU (x * sigmoid(x), what EfficientNet and MnasNet-style
 * exports write as Sigmoid and Mul), Tanh, HardSwish and GELU (ConvNeXt's and
 * the ViTs', exact and tanh forms), standalone or after a conv.  Takes no
 * variables: o2c_act_f32() is called with a literal count and kind.
 *
 * o2c_act_f32(y, x, n, kind): y[i] = act(x[i]) over n floats, shared out over
 * the team.  x may equal y.  The AVX-512 and AVX2 variants evaluate exp with
 * o2c_exp_<isa>: a range reduction x = k ln2 + r (|r| <= ln2/2, ln2 split in
 * two so k ln2 is exact) and a degree-7 polynomial of e^r, then 2^k; its
 * error is within 2 ulp of expf over the whole float range (tests/kernels/
 * test_act.c checks it), well inside the 1e-4 the models are held to.
 * Sigmoid and SiLU, the hot ones (EfficientNet), have a cheaper exp of
 * their own, o2c_sig_den_<isa> (see O2C_SIG_VLO).
 * o2c_act_f32_generic is the reference, with libm's expf, tanhf and erfcf.
 * o2c_act_rows(y, stride, nrows, n, kind) is the same in place on a block
 * of rows, by the calling thread alone: the conv kernels (conv/direct.c,
 * cv.c, dw.c) run it on each tile they have just stored, while it is in L1,
 * instead of a pass over the whole output after a barrier: the tensor is
 * not read and written once more, and a layer has one barrier fewer (the
 * arithmetic stays: SiLU's exp and division are most of its cost).
 *
 * GELU is x Phi(x), Phi(x) = erfc(-x / sqrt2) / 2: the SIMD variants compute
 * erfc(z), z = |x| / sqrt2, as t e^(-z^2 + P(t)), t = 1 / (1 + z/2) (the form
 * of Numerical Recipes' erfcc, P refitted: degree 9, |error| < 5e-8 on z in
 * [0, 10.5], beyond which erfc is 0 in float), with z^2 = x^2 / 2 carried as
 * an exact hi + lo pair (an FMA), since a rounded z^2 would cost up to z^2
 * ulp in e^(-z^2).  Phi is 1 - erfc/2 for x >= 0 and erfc/2 below: GELU of
 * negative x keeps its relative accuracy, where 1 + erf(x / sqrt2) cancels.
 * The tanh form is x / (1 + e^(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3),
 * which is x (1 + tanh u) / 2 without the cancellation.
 */
#define O2C_ACT_NONE 0 /* o2c_act_rows: leave the values as they are */
#define O2C_ACT_SIGMOID 1
#define O2C_ACT_SILU 2
#define O2C_ACT_TANH 3
#define O2C_ACT_HARD_SWISH 4 /* x * clamp(x / 6 + 1/2, 0, 1): MobileNetV3 (no exp, but a pass of its own) */
#define O2C_ACT_GELU 5       /* x (1 + erf(x / sqrt2)) / 2 */
#define O2C_ACT_GELU_TANH 6  /* x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2 */

/* ---- reference ------------------------------------------------------- */

O2C_UNUSED static float o2c_act_scalar(float v, int kind)
{
	switch (kind) {
	case O2C_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
	case O2C_ACT_SILU: return v * (1.0f / (1.0f + expf(-v))); /* the Sigmoid and Mul it replaces */
	case O2C_ACT_HARD_SWISH: {
		const float t = v * (1.0f / 6.0f) + 0.5f;
		return v * (t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t);
	}
	/* as ops/unary.c's act_c_expr writes them */
	case O2C_ACT_GELU: return 0.5f * v * erfcf(v * -0.707106781f);
	case O2C_ACT_GELU_TANH: return o2c_gelu_tanhf(v);
	default: return tanhf(v);
	}
}

O2C_UNUSED static void o2c_act_f32_generic(float *y, const float *x, size_t n, int kind)
{
	O2C_OMP(for schedule(static) nowait)
	for (size_t i = 0; i < n; i++)
		y[i] = o2c_act_scalar(x[i], kind);
}

/* exp's constants: ln2 = LN2_HI + LN2_LO with LN2_HI exact in 16 bits, so
 * k * LN2_HI is exact for |k| < 2^8; the polynomial is e^r's Taylor series
 * (1/n! coefficients) to r^7, whose truncation error at |r| <= ln2/2 is
 * below 2^-27 relative. */
#define O2C_EXP_HI 88.76f    /* clamp: k = 128 there, so 2^k and the result are +inf, as expf past 88.72284 */
#define O2C_EXP_LO -103.972f /* below: 0 (expf's smallest denormal is at -103.97) */
#define O2C_LOG2E 1.44269504088896341f
#define O2C_LN2_HI 0.693145751953125f
#define O2C_LN2_LO 1.42860682030941723e-6f

/* GELU: 1/sqrt2; P(t) = ln(erfc(z) e^(z^2) / t) in s = (t - 0.58) / 0.42 over
 * t in [1/6.25, 1] (z <= 10.5), fitted by reweighted least squares; the
 * tanh form's 2 sqrt(2/pi) and 2 sqrt(2/pi) 0.044715 */
#define O2C_INV_SQRT2 0.707106781f
#define O2C_ERFC_ZMAX 10.5f
#define O2C_ERFC_TM 0.58f
#define O2C_ERFC_TS 2.38095238f
#define O2C_ERFC_P0 -0.563156843f
#define O2C_ERFC_P1 0.574609876f
#define O2C_ERFC_P2 0.0167185124f
#define O2C_ERFC_P3 -0.0301459432f
#define O2C_ERFC_P4 -0.00125142036f
#define O2C_ERFC_P5 0.00386870047f
#define O2C_ERFC_P6 -0.000204878481f
#define O2C_ERFC_P7 -0.000570120348f
#define O2C_ERFC_P8 7.28772138e-05f
#define O2C_ERFC_P9 5.92763572e-05f
#define O2C_GELU_2K 1.59576912f
#define O2C_GELU_2KC 0.0713548162f

/* Sigmoid and SiLU (o2c_sig_den_<isa>): 1 + e^(-v) from v clamped to
 * [O2C_SIG_VLO, O2C_SIG_VHI] (e^(-v) is +inf below, 0 or a denormal above),
 * k = round(-v / ln2), s = v + k ln2 in ONE FMA with ln2 rounded to float:
 * its error, 1.9e-9 k, costs at most 2 ulp at |k| = 128 and under half an
 * ulp where |v| < 16 (the exp of GELU and Tanh keeps the exact two-part
 * reduction); e^(-s) is a degree-6 polynomial fitted for relative error
 * (2.1e-9) on |s| <= 0.35, odd coefficients negated since its argument is
 * -s, with 1 as its last coefficient so that it ends in an FMA.  SiLU is then
 * v / (1 + e^(-v)) in one division: 14 vector operations against 19 for
 * v * (1 / (1 + o2c_exp(-v))), as it was; 3.2 against 4.5 ns a 16-float
 * vector from L1 (AVX-512, one thread).  Against a double reference: 2 ulp
 * on [-16, 16], as libm's, 4 ulp at v = -80 (the one-FMA reduction; the
 * exact two-part one measured 25% slower).  rcp14 and a Newton step in place
 * of the division measured slower too. */
#define O2C_SIG_VLO -88.76f /* -v past 88.72: e^(-v) overflows to +inf, the sigmoid is 0 */
#define O2C_SIG_VHI 104.0f  /* e^(-v) below expf's smallest denormal */
#define O2C_LN2_F 0.693147182f
#define O2C_SIG_C1 1.0f
#define O2C_SIG_C2 4.999999404e-01f
#define O2C_SIG_C3 1.666642129e-01f
#define O2C_SIG_C4 4.166805744e-02f
#define O2C_SIG_C5 8.374972269e-03f
#define O2C_SIG_C6 1.384270377e-03f

#if defined(__AVX512F__)
/* ---- AVX-512 --------------------------------------------------------- */

/* e^r - 1 for |r| <= ln2/2 */
O2C_INLINE __m512 o2c_expm1_small_avx512(__m512 r)
{
	__m512 p = _mm512_set1_ps(1.0f / 5040);
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
	return _mm512_mul_ps(p, r);
}

/* e^x = 2^k (1 + q): k = round(x / ln2), q = e^r - 1 for r = x - k ln2 */
O2C_INLINE __m512 o2c_exp_parts_avx512(__m512 x, __m512 *q)
{
	x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(O2C_EXP_LO)), _mm512_set1_ps(O2C_EXP_HI));
	const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(O2C_LOG2E)),
	                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	__m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(O2C_LN2_HI), x);
	r = _mm512_fnmadd_ps(k, _mm512_set1_ps(O2C_LN2_LO), r);
	*q = o2c_expm1_small_avx512(r);
	return k;
}

O2C_INLINE __m512 o2c_exp_avx512(__m512 x)
{
	__m512 q;
	const __m512 k = o2c_exp_parts_avx512(x, &q);
	return _mm512_scalef_ps(_mm512_add_ps(q, _mm512_set1_ps(1.0f)), k); /* with overflow to inf, gradual underflow */
}

/* erfc(|v| / sqrt2) = t e^(-z^2 + P(t)) = m 2^k, -z^2 = -(h + l) exactly (see the head of the file);
 * *live: the lanes where erfc is not 0 in float */
O2C_INLINE __m512 o2c_erfc_parts_avx512(__m512 v, __m512 *k, __mmask16 *live)
{
	const __m512 one = _mm512_set1_ps(1.0f), half = _mm512_set1_ps(0.5f);
	const __m512 a = _mm512_min_ps(_mm512_set1_ps(O2C_ERFC_ZMAX / O2C_INV_SQRT2), _mm512_abs_ps(v)); /* NaN stays */
	const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(_mm512_mul_ps(a, _mm512_set1_ps(O2C_INV_SQRT2)), half, one));
	const __m512 s = _mm512_mul_ps(_mm512_sub_ps(t, _mm512_set1_ps(O2C_ERFC_TM)), _mm512_set1_ps(O2C_ERFC_TS));
	__m512 p = _mm512_set1_ps(O2C_ERFC_P9);
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_ERFC_P8));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_ERFC_P7));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_ERFC_P6));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_ERFC_P5));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_ERFC_P4));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_ERFC_P3));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_ERFC_P2));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_ERFC_P1));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_ERFC_P0));
	const __m512 aa = _mm512_mul_ps(a, a);
	const __m512 h = _mm512_mul_ps(aa, half), l = _mm512_mul_ps(_mm512_fmsub_ps(a, a, aa), half);
	/* the exponent rounded picks k and the cut-off; r takes its parts one by one */
	const __m512 e = _mm512_sub_ps(p, h);
	*k = _mm512_roundscale_ps(_mm512_mul_ps(_mm512_max_ps(e, _mm512_set1_ps(O2C_EXP_LO)), _mm512_set1_ps(O2C_LOG2E)),
	                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	__m512 r = _mm512_fnmadd_ps(*k, _mm512_set1_ps(O2C_LN2_HI), _mm512_sub_ps(_mm512_setzero_ps(), h));
	r = _mm512_fnmadd_ps(*k, _mm512_set1_ps(O2C_LN2_LO), r);
	r = _mm512_add_ps(r, _mm512_sub_ps(p, l));
	*live = _mm512_cmp_ps_mask(e, _mm512_set1_ps(O2C_EXP_LO), _CMP_GE_OQ);
	return _mm512_mul_ps(_mm512_add_ps(o2c_expm1_small_avx512(r), one), t);
}

/* 1 + e^(-v) for Sigmoid and SiLU (see O2C_SIG_VLO); the clamp's operand
 * order lets a NaN through */
O2C_INLINE __m512 o2c_sig_den_avx512(__m512 v)
{
	const __m512 x = _mm512_min_ps(_mm512_set1_ps(O2C_SIG_VHI), _mm512_max_ps(_mm512_set1_ps(O2C_SIG_VLO), v));
	const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(-O2C_LOG2E)),
	                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	const __m512 s = _mm512_fmadd_ps(k, _mm512_set1_ps(O2C_LN2_F), x);
	__m512 p = _mm512_fmadd_ps(_mm512_set1_ps(O2C_SIG_C6), s, _mm512_set1_ps(-O2C_SIG_C5));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_SIG_C4));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(-O2C_SIG_C3));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(O2C_SIG_C2));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(-O2C_SIG_C1));
	p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(1.0f));
	return _mm512_add_ps(_mm512_scalef_ps(p, k), _mm512_set1_ps(1.0f));
}

O2C_INLINE __m512 o2c_act_avx512(__m512 v, int kind)
{
	const __m512 one = _mm512_set1_ps(1.0f);
	if (kind == O2C_ACT_GELU) {
		/* v Phi(v): Phi = erfc/2 below 0 (v/2 joins before the scaling, so a result near the
		 * denormals rounds once), 1 - erfc/2 from 0 on */
		__m512 k;
		__mmask16 live;
		const __m512 half = _mm512_set1_ps(0.5f), m = o2c_erfc_parts_avx512(v, &k, &live);
		const __m512 neg = _mm512_scalef_ps(_mm512_mul_ps(m, _mm512_mul_ps(v, half)), k);
		const __m512 pos = _mm512_mul_ps(v, _mm512_fnmadd_ps(_mm512_scalef_ps(m, k), half, one));
		const __mmask16 ge0 = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GE_OQ);
		/* where erfc is 0: v below 0 gives -0 (and NaN stays NaN), v above gives v */
		return _mm512_mask_blend_ps(ge0, _mm512_mask_blend_ps(live, _mm512_mul_ps(v, _mm512_setzero_ps()), neg),
		                            _mm512_mask_blend_ps(live, v, pos));
	}
	if (kind == O2C_ACT_GELU_TANH) {
		/* v sigmoid(2u) from e = e^(-|2u|): 1 / (1 + e) for u >= 0, e / (1 + e) below (no overflow) */
		const __m512 u2 = _mm512_mul_ps(v, _mm512_fmadd_ps(_mm512_mul_ps(v, v), _mm512_set1_ps(O2C_GELU_2KC),
		                                                   _mm512_set1_ps(O2C_GELU_2K)));
		const __m512 a = _mm512_abs_ps(u2); /* e is 0 past the clamp of exp, where o2c_exp keeps a denormal */
		const __m512 e = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(-O2C_EXP_LO), _CMP_LE_OQ),
		                                     o2c_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), a)));
		const __mmask16 neg = _mm512_cmp_ps_mask(u2, _mm512_setzero_ps(), _CMP_LT_OQ);
		return _mm512_div_ps(_mm512_mul_ps(v, _mm512_mask_blend_ps(neg, one, e)), _mm512_add_ps(one, e));
	}
	if (kind == O2C_ACT_TANH) {
		/* tanh(v) = sign(v) -m / (2 + m), m = e^(-2|v|) - 1: no cancellation near 0, where
		 * 1 - e^(-2|v|) would lose bits; m = q itself when k = 0 */
		__m512 q;
		const __m512 av = _mm512_abs_ps(v);
		const __m512 k = o2c_exp_parts_avx512(_mm512_mul_ps(av, _mm512_set1_ps(-2.0f)), &q);
		const __m512 e1 = _mm512_sub_ps(_mm512_scalef_ps(_mm512_add_ps(q, one), k), one);
		const __m512 m = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(k, _mm512_setzero_ps(), _CMP_EQ_OQ), e1, q);
		const __m512 t = _mm512_div_ps(_mm512_sub_ps(_mm512_setzero_ps(), m), _mm512_add_ps(_mm512_set1_ps(2.0f), m));
		return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(t),
		                                           _mm512_and_si512(_mm512_castps_si512(v),
		                                                            _mm512_set1_epi32((int)0x80000000u))));
	}
	if (kind == O2C_ACT_HARD_SWISH) {
		const __m512 t = _mm512_add_ps(_mm512_mul_ps(v, _mm512_set1_ps(1.0f / 6.0f)), _mm512_set1_ps(0.5f));
		return _mm512_mul_ps(v, _mm512_min_ps(_mm512_max_ps(t, _mm512_setzero_ps()), one));
	}
	return _mm512_div_ps(kind == O2C_ACT_SILU ? v : one, o2c_sig_den_avx512(v));
}

O2C_UNUSED static void o2c_act_f32_avx512(float *y, const float *x, size_t n, int kind)
{
	const size_t nv = (n + 15) / 16;
	O2C_OMP(for schedule(static) nowait)
	for (size_t i = 0; i < nv; i++) {
		const size_t o = i * 16, m = n - o < 16 ? n - o : 16;
		const __mmask16 k = (__mmask16)((1u << m) - 1);
		_mm512_mask_storeu_ps(y + o, k, o2c_act_avx512(_mm512_maskz_loadu_ps(k, x + o), kind));
	}
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
/* ---- AVX2 ------------------------------------------------------------ */

O2C_INLINE __m256 o2c_expm1_small_avx2(__m256 r)
{
	__m256 p = _mm256_set1_ps(1.0f / 5040);
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
	return _mm256_mul_ps(p, r);
}

O2C_INLINE __m256 o2c_exp_parts_avx2(__m256 x, __m256 *q)
{
	x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(O2C_EXP_LO)), _mm256_set1_ps(O2C_EXP_HI));
	const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(O2C_LOG2E)),
	                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	__m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(O2C_LN2_HI), x);
	r = _mm256_fnmadd_ps(k, _mm256_set1_ps(O2C_LN2_LO), r);
	*q = o2c_expm1_small_avx2(r);
	return k;
}

/* m 2^k, 2^k in two factors 2^(k/2) 2^(k - k/2), each a normal float for k in
 * [-150, 128]: one factor would overflow or flush the exponent field at the range's ends */
O2C_INLINE __m256 o2c_ldexp_avx2(__m256 m, __m256 k)
{
	const __m256i ki = _mm256_cvtps_epi32(k), k1 = _mm256_srai_epi32(ki, 1), k2 = _mm256_sub_epi32(ki, k1);
	const __m256 f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, _mm256_set1_epi32(127)), 23));
	const __m256 f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, _mm256_set1_epi32(127)), 23));
	return _mm256_mul_ps(_mm256_mul_ps(m, f1), f2);
}

/* (1 + q) 2^k */
O2C_INLINE __m256 o2c_exp_scale_avx2(__m256 q, __m256 k)
{
	return o2c_ldexp_avx2(_mm256_add_ps(q, _mm256_set1_ps(1.0f)), k);
}

O2C_INLINE __m256 o2c_exp_avx2(__m256 x)
{
	__m256 q;
	const __m256 k = o2c_exp_parts_avx2(x, &q);
	return o2c_exp_scale_avx2(q, k);
}

/* erfc(|v| / sqrt2) = m 2^k, as o2c_erfc_parts_avx512; *live: all ones where erfc is not 0 */
O2C_INLINE __m256 o2c_erfc_parts_avx2(__m256 v, __m256 *k, __m256 *live)
{
	const __m256 one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
	const __m256 a = _mm256_min_ps(_mm256_set1_ps(O2C_ERFC_ZMAX / O2C_INV_SQRT2),
	                               _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v)); /* NaN stays */
	const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_mul_ps(a, _mm256_set1_ps(O2C_INV_SQRT2)), half, one));
	const __m256 s = _mm256_mul_ps(_mm256_sub_ps(t, _mm256_set1_ps(O2C_ERFC_TM)), _mm256_set1_ps(O2C_ERFC_TS));
	__m256 p = _mm256_set1_ps(O2C_ERFC_P9);
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_ERFC_P8));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_ERFC_P7));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_ERFC_P6));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_ERFC_P5));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_ERFC_P4));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_ERFC_P3));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_ERFC_P2));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_ERFC_P1));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_ERFC_P0));
	const __m256 aa = _mm256_mul_ps(a, a);
	const __m256 h = _mm256_mul_ps(aa, half), l = _mm256_mul_ps(_mm256_fmsub_ps(a, a, aa), half);
	const __m256 e = _mm256_sub_ps(p, h);
	*k = _mm256_round_ps(_mm256_mul_ps(_mm256_max_ps(e, _mm256_set1_ps(O2C_EXP_LO)), _mm256_set1_ps(O2C_LOG2E)),
	                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	__m256 r = _mm256_fnmadd_ps(*k, _mm256_set1_ps(O2C_LN2_HI), _mm256_sub_ps(_mm256_setzero_ps(), h));
	r = _mm256_fnmadd_ps(*k, _mm256_set1_ps(O2C_LN2_LO), r);
	r = _mm256_add_ps(r, _mm256_sub_ps(p, l));
	*live = _mm256_cmp_ps(e, _mm256_set1_ps(O2C_EXP_LO), _CMP_GE_OQ);
	return _mm256_mul_ps(_mm256_add_ps(o2c_expm1_small_avx2(r), one), t);
}

/* 1 + e^(-v), as o2c_sig_den_avx512 */
O2C_INLINE __m256 o2c_sig_den_avx2(__m256 v)
{
	const __m256 x = _mm256_min_ps(_mm256_set1_ps(O2C_SIG_VHI), _mm256_max_ps(_mm256_set1_ps(O2C_SIG_VLO), v));
	const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(-O2C_LOG2E)),
	                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	const __m256 s = _mm256_fmadd_ps(k, _mm256_set1_ps(O2C_LN2_F), x);
	__m256 p = _mm256_fmadd_ps(_mm256_set1_ps(O2C_SIG_C6), s, _mm256_set1_ps(-O2C_SIG_C5));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_SIG_C4));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-O2C_SIG_C3));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(O2C_SIG_C2));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-O2C_SIG_C1));
	p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(1.0f));
	return _mm256_add_ps(o2c_ldexp_avx2(p, k), _mm256_set1_ps(1.0f));
}

O2C_INLINE __m256 o2c_act_avx2(__m256 v, int kind)
{
	const __m256 one = _mm256_set1_ps(1.0f);
	if (kind == O2C_ACT_GELU) {
		__m256 k, live;
		const __m256 half = _mm256_set1_ps(0.5f), m = o2c_erfc_parts_avx2(v, &k, &live);
		const __m256 neg = _mm256_blendv_ps(_mm256_mul_ps(v, _mm256_setzero_ps()),
		                                    o2c_ldexp_avx2(_mm256_mul_ps(m, _mm256_mul_ps(v, half)), k), live);
		const __m256 pos = _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_fnmadd_ps(o2c_ldexp_avx2(m, k), half, one)), live);
		return _mm256_blendv_ps(neg, pos, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ));
	}
	if (kind == O2C_ACT_GELU_TANH) {
		const __m256 u2 = _mm256_mul_ps(v, _mm256_fmadd_ps(_mm256_mul_ps(v, v), _mm256_set1_ps(O2C_GELU_2KC),
		                                                   _mm256_set1_ps(O2C_GELU_2K)));
		const __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), u2);
		const __m256 e = _mm256_and_ps(o2c_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), a)),
		                               _mm256_cmp_ps(a, _mm256_set1_ps(-O2C_EXP_LO), _CMP_LE_OQ));
		const __m256 neg = _mm256_cmp_ps(u2, _mm256_setzero_ps(), _CMP_LT_OQ);
		return _mm256_div_ps(_mm256_mul_ps(v, _mm256_blendv_ps(one, e, neg)), _mm256_add_ps(one, e));
	}
	if (kind == O2C_ACT_TANH) {
		__m256 q;
		const __m256 sign = _mm256_and_ps(v, _mm256_set1_ps(-0.0f));
		const __m256 av = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
		const __m256 k = o2c_exp_parts_avx2(_mm256_mul_ps(av, _mm256_set1_ps(-2.0f)), &q);
		const __m256 e1 = _mm256_sub_ps(o2c_exp_scale_avx2(q, k), one);
		const __m256 m = _mm256_blendv_ps(e1, q, _mm256_cmp_ps(k, _mm256_setzero_ps(), _CMP_EQ_OQ));
		const __m256 t = _mm256_div_ps(_mm256_sub_ps(_mm256_setzero_ps(), m), _mm256_add_ps(_mm256_set1_ps(2.0f), m));
		return _mm256_or_ps(t, sign);
	}
	if (kind == O2C_ACT_HARD_SWISH) {
		const __m256 t = _mm256_add_ps(_mm256_mul_ps(v, _mm256_set1_ps(1.0f / 6.0f)), _mm256_set1_ps(0.5f));
		return _mm256_mul_ps(v, _mm256_min_ps(_mm256_max_ps(t, _mm256_setzero_ps()), one));
	}
	return _mm256_div_ps(kind == O2C_ACT_SILU ? v : one, o2c_sig_den_avx2(v));
}

O2C_UNUSED static void o2c_act_f32_avx2(float *y, const float *x, size_t n, int kind)
{
	const size_t nv = (n + 7) / 8;
	O2C_OMP(for schedule(static) nowait)
	for (size_t i = 0; i < nv; i++) {
		const size_t o = i * 8, m = n - o < 8 ? n - o : 8;
		if (m == 8) {
			_mm256_storeu_ps(y + o, o2c_act_avx2(_mm256_loadu_ps(x + o), kind));
		} else {
			float t[8] = { 0 };
			memcpy(t, x + o, m * sizeof *t);
			_mm256_storeu_ps(t, o2c_act_avx2(_mm256_loadu_ps(t), kind));
			memcpy(y + o, t, m * sizeof *t);
		}
	}
}
#endif

/* ---- dispatch -------------------------------------------------------- */

#if defined(__AVX512F__)
#define o2c_act_f32 o2c_act_f32_avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define o2c_act_f32 o2c_act_f32_avx2
#else
#define o2c_act_f32 o2c_act_f32_generic
#endif

/* One row of o2c_act_rows; inlined with a constant kind, so each kind's
 * loop holds only its own arithmetic. */
O2C_INLINE void o2c_act_row(float *row, int n, const int kind)
{
	int j = 0;
#if defined(__AVX512F__)
	for (; j + 16 <= n; j += 16)
		_mm512_storeu_ps(row + j, o2c_act_avx512(_mm512_loadu_ps(row + j), kind));
	if (j < n) {
		const __mmask16 k = (__mmask16)((1u << (n - j)) - 1u);
		_mm512_mask_storeu_ps(row + j, k, o2c_act_avx512(_mm512_maskz_loadu_ps(k, row + j), kind));
		j = n;
	}
#elif defined(__AVX2__) && defined(__FMA__)
	for (; j + 8 <= n; j += 8)
		_mm256_storeu_ps(row + j, o2c_act_avx2(_mm256_loadu_ps(row + j), kind));
	if (j < n) { /* the tail through a zeroed copy, as o2c_act_f32_avx2 */
		float t[8] = { 0 };
		memcpy(t, row + j, (size_t)(n - j) * sizeof *t);
		_mm256_storeu_ps(t, o2c_act_avx2(_mm256_loadu_ps(t), kind));
		memcpy(row + j, t, (size_t)(n - j) * sizeof *t);
		j = n;
	}
#endif
	for (; j < n; j++)
		row[j] = o2c_act_scalar(row[j], kind);
}

/* y[r * stride + j] = act(y[r * stride + j]) for r < nrows, j < n, by this
 * thread alone (no work sharing: called inside a kernel's own loops);
 * O2C_ACT_NONE leaves y alone. */
O2C_UNUSED static void o2c_act_rows(float *y, size_t stride, int nrows, int n, int kind)
{
#define O2C_ACT_ROWS_OF(K)                                                                                             \
	case K:                                                                                                        \
		for (int r = 0; r < nrows; r++)                                                                        \
			o2c_act_row(y + (size_t)r * stride, n, K);                                                     \
		break;
	switch (kind) {
		O2C_ACT_ROWS_OF(O2C_ACT_SIGMOID)
		O2C_ACT_ROWS_OF(O2C_ACT_SILU)
		O2C_ACT_ROWS_OF(O2C_ACT_TANH)
		O2C_ACT_ROWS_OF(O2C_ACT_HARD_SWISH)
		O2C_ACT_ROWS_OF(O2C_ACT_GELU)
		O2C_ACT_ROWS_OF(O2C_ACT_GELU_TANH)
	default: /* O2C_ACT_NONE */
		break;
	}
#undef O2C_ACT_ROWS_OF
}
