/*
 * Template: act.c - pasted by onnx2c (compiler/ops/conv.c's activation pass,
 * ops/unary.c) into models with an activation a kernel's epilogue cannot
 * clamp: Sigmoid, SiLU (x * sigmoid(x), what EfficientNet and MnasNet-style
 * exports write as Sigmoid and Mul), Tanh and HardSwish, standalone or after
 * a conv.  Takes no variables: o2c_act_f32() is called with a literal count and
 * kind.
 *
 * o2c_act_f32(y, x, n, kind): y[i] = act(x[i]) over n floats, shared out over
 * the team.  x may equal y.  The AVX-512 and AVX2 variants evaluate exp with
 * o2c_exp_<isa>: a range reduction x = k ln2 + r (|r| <= ln2/2, ln2 split in
 * two so k ln2 is exact) and a degree-7 polynomial of e^r, then 2^k; its
 * error is within 2 ulp of expf over the whole float range (tests/kernels/
 * test_act.c checks it), well inside the 1e-4 the models are held to.
 * o2c_act_f32_generic is the reference, with libm's expf and tanhf.
 */
#define O2C_ACT_SIGMOID 1
#define O2C_ACT_SILU 2
#define O2C_ACT_TANH 3
#define O2C_ACT_HARD_SWISH 4 /* x * clamp(x / 6 + 1/2, 0, 1): MobileNetV3 (no exp, but a pass of its own) */

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

#if defined(__AVX512F__)
/* ---- AVX-512 --------------------------------------------------------- */

/* e^x = 2^k (1 + q): k = round(x / ln2), q = e^r - 1 for r = x - k ln2 */
O2C_INLINE __m512 o2c_exp_parts_avx512(__m512 x, __m512 *q)
{
	x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(O2C_EXP_LO)), _mm512_set1_ps(O2C_EXP_HI));
	const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(O2C_LOG2E)),
	                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	__m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(O2C_LN2_HI), x);
	r = _mm512_fnmadd_ps(k, _mm512_set1_ps(O2C_LN2_LO), r);
	__m512 p = _mm512_set1_ps(1.0f / 5040);
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
	*q = _mm512_mul_ps(p, r);
	return k;
}

O2C_INLINE __m512 o2c_exp_avx512(__m512 x)
{
	__m512 q;
	const __m512 k = o2c_exp_parts_avx512(x, &q);
	return _mm512_scalef_ps(_mm512_add_ps(q, _mm512_set1_ps(1.0f)), k); /* with overflow to inf, gradual underflow */
}

O2C_INLINE __m512 o2c_act_avx512(__m512 v, int kind)
{
	const __m512 one = _mm512_set1_ps(1.0f);
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
	const __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, o2c_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), v))));
	return kind == O2C_ACT_SILU ? _mm512_mul_ps(v, s) : s;
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

O2C_INLINE __m256 o2c_exp_parts_avx2(__m256 x, __m256 *q)
{
	x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(O2C_EXP_LO)), _mm256_set1_ps(O2C_EXP_HI));
	const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(O2C_LOG2E)),
	                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	__m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(O2C_LN2_HI), x);
	r = _mm256_fnmadd_ps(k, _mm256_set1_ps(O2C_LN2_LO), r);
	__m256 p = _mm256_set1_ps(1.0f / 5040);
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
	*q = _mm256_mul_ps(p, r);
	return k;
}

/* (1 + q) 2^k, 2^k in two factors 2^(k/2) 2^(k - k/2), each a normal float for k in
 * [-150, 128]: one factor would overflow or flush the exponent field at the range's ends */
O2C_INLINE __m256 o2c_exp_scale_avx2(__m256 q, __m256 k)
{
	const __m256i ki = _mm256_cvtps_epi32(k), k1 = _mm256_srai_epi32(ki, 1), k2 = _mm256_sub_epi32(ki, k1);
	const __m256 f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, _mm256_set1_epi32(127)), 23));
	const __m256 f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, _mm256_set1_epi32(127)), 23));
	return _mm256_mul_ps(_mm256_mul_ps(_mm256_add_ps(q, _mm256_set1_ps(1.0f)), f1), f2);
}

O2C_INLINE __m256 o2c_exp_avx2(__m256 x)
{
	__m256 q;
	const __m256 k = o2c_exp_parts_avx2(x, &q);
	return o2c_exp_scale_avx2(q, k);
}

O2C_INLINE __m256 o2c_act_avx2(__m256 v, int kind)
{
	const __m256 one = _mm256_set1_ps(1.0f);
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
	const __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, o2c_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), v))));
	return kind == O2C_ACT_SILU ? _mm256_mul_ps(v, s) : s;
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
