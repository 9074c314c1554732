/*
 * rng.c - the runtime's own PRNG: xoshiro256** seeded through splitmix64
 * (the generators Blackman and Vigna published into the public domain,
 * restated here).  Its 32-byte state goes into checkpoints, so a resumed run
 * draws the same shuffles and augmentations as an uninterrupted one.
 */
#include "onnx2c_rt.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void rt_rng_seed(RtRng *r, uint64_t seed)
{
	/* splitmix64 never yields four zero words, the one state xoshiro must avoid */
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rt_rng_next(RtRng *r)
{
	uint64_t *s = r->s;
	const uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint32_t rt_rng_below(RtRng *r, uint32_t n)
{
	/* Lemire: the high half of a 32x32 product is uniform once the low half's biased band is rejected */
	uint64_t m = (uint64_t)(uint32_t)(rt_rng_next(r) >> 32) * n;
	if ((uint32_t)m < n) {
		const uint32_t threshold = (uint32_t)(-n) % n;
		while ((uint32_t)m < threshold)
			m = (uint64_t)(uint32_t)(rt_rng_next(r) >> 32) * n;
	}
	return (uint32_t)(m >> 32);
}

float rt_rng_float(RtRng *r) { return (float)(rt_rng_next(r) >> 40) * (1.0f / 16777216.0f); }

void rt_shuffle(int *idx, int n, RtRng *r)
{
	for (int i = n - 1; i > 0; i--) {
		const int j = (int)rt_rng_below(r, (uint32_t)i + 1);
		const int t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
}
