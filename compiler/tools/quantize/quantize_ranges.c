/*
 * quantize_ranges.c - what `onnx2c quantize` learns about each activation
 * from the float model's runs, and the range it quantizes it to:
 *   minmax      the smallest and largest value seen;
 *   percentile  each side (positive values, negative values) clipped at its
 *               P-th percentile of magnitude (default 99.99), so rare outliers
 *               do not stretch the step of every other value;
 *   entropy     per side, the clipping threshold T of the magnitudes that
 *               minimises the KL divergence between the histogram and its
 *               quantized copy (the search TensorRT's entropy calibrator
 *               describes; L levels: 256 for a one-signed tensor, which u8
 *               covers whole, 128 per side for a two-signed one).  TensorRT
 *               searches one threshold for |x|; u8 is asymmetric, so each
 *               side gets its own.  The zero bin is weighed as its
 *               neighbour (see entropy_threshold).
 * Every range stays within [min, max], so percentile and entropy never widen
 * what minmax gives.  Ranges are not yet extended to 0 or turned into
 * scales: quantize_qdq.c does that.
 */
#include "quantize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static QStat *find(QStats *st, const char *name)
{
	for (int i = 0; i < st->n; i++)
		if (!strcmp(st->s[i].name, name))
			return &st->s[i];
	if (st->n == st->cap) {
		st->s = xrealloc_arr(st->s, (size_t)st->cap, st->cap ? (size_t)st->cap * 2 : 64, sizeof *st->s);
		st->cap = st->cap ? st->cap * 2 : 64;
	}
	QStat *s = &st->s[st->n++];
	*s = (QStat){ .name = xstrdup(name), .min = INFINITY, .max = -INFINITY };
	if (st->hist) {
		s->pos = xalloc(QHIST_BINS * sizeof *s->pos);
		s->neg = xalloc(QHIST_BINS * sizeof *s->neg);
	}
	return s;
}

const QStat *qstats_find(const QStats *st, const char *name)
{
	for (int i = 0; i < st->n; i++)
		if (!strcmp(st->s[i].name, name))
			return &st->s[i];
	return NULL;
}

/* Doubles the histogram's range: bin i of the new one is bins 2i and 2i+1 of
 * the old one, so no count moves across a bin edge. */
static void widen(double *h)
{
	for (int i = 0; i < QHIST_BINS / 2; i++)
		h[i] = h[2 * i] + h[2 * i + 1];
	memset(h + QHIST_BINS / 2, 0, QHIST_BINS / 2 * sizeof *h);
}

void qstats_add(QStats *st, const char *name, const float *x, int64_t n)
{
	QStat *s = find(st, name);
	double amax = 0;
	for (int64_t i = 0; i < n; i++) {
		double v = x[i];
		if (!isfinite(v)) /* a NaN or inf says nothing about the range of the others */
			continue;
		s->min = v < s->min ? v : s->min;
		s->max = v > s->max ? v : s->max;
		amax = fabs(v) > amax ? fabs(v) : amax;
		s->count++;
	}
	if (!st->hist)
		return;
	if (s->hr == 0)
		s->hr = amax;
	while (amax > s->hr) {
		widen(s->pos);
		widen(s->neg);
		s->hr *= 2;
	}
	for (int64_t i = 0; i < n; i++) {
		double v = x[i];
		if (!isfinite(v))
			continue;
		double a = fabs(v);
		int b = s->hr > 0 ? (int)(a / s->hr * QHIST_BINS) : 0;
		b = b < QHIST_BINS ? b : QHIST_BINS - 1;
		(v < 0 ? s->neg : s->pos)[b] += 1;
	}
}

/* The upper edge of the bin where the count of h reaches pct percent of its
 * total: the P-th percentile of the magnitudes, to one bin's width. */
static double percentile(const double *h, double hr, double pct)
{
	double total = 0, cum = 0;
	for (int i = 0; i < QHIST_BINS; i++)
		total += h[i];
	if (total == 0)
		return 0;
	for (int i = 0; i < QHIST_BINS; i++) {
		cum += h[i];
		if (cum >= total * pct / 100.0)
			return (i + 1) * hr / QHIST_BINS;
	}
	return hr;
}

/* KL(P || Q) of the first `keep` bins of h (the rest added to the last, P)
 * against those bins quantized to `levels` levels (Q: each level's count
 * spread over its non-empty bins). */
static double kl_of(const double *h, int keep, int levels, double outliers)
{
	static double q[QHIST_BINS];
	double psum = 0, qsum = 0;
	for (int g = 0; g < levels; g++) {
		int b0 = (int)((int64_t)g * keep / levels), b1 = (int)((int64_t)(g + 1) * keep / levels);
		double sum = 0;
		int nz = 0;
		for (int j = b0; j < b1; j++) {
			sum += h[j];
			nz += h[j] != 0;
		}
		for (int j = b0; j < b1; j++)
			q[j] = h[j] != 0 ? sum / nz : 0;
	}
	for (int j = 0; j < keep; j++) {
		psum += h[j] + (j == keep - 1 ? outliers : 0);
		qsum += q[j];
	}
	if (psum == 0 || qsum == 0)
		return INFINITY;
	double kl = 0;
	for (int j = 0; j < keep; j++) {
		double p = (h[j] + (j == keep - 1 ? outliers : 0)) / psum;
		if (p == 0)
			continue;
		/* a bin empty in Q but not in P (the outliers' bin) gets a tiny
		 * probability rather than an infinite divergence */
		double qq = q[j] > 0 ? q[j] / qsum : 1e-12;
		kl += p * log(p / qq);
	}
	return kl;
}

/* The magnitude (of one side's histogram hist over [0, hr]) to clip at. */
static double entropy_threshold(const double *hist, double hr, int levels)
{
	static double h[QHIST_BINS];
	int top = -1;
	for (int i = 0; i < QHIST_BINS; i++)
		if ((h[i] = hist[i]) != 0)
			top = i;
	/* The first bin holds the exact zeros, after a ReLU often half of all
	 * values.  The zero point represents 0 exactly whatever the threshold,
	 * but left as it is, that spike dominates the divergence of the first
	 * level and pulls the threshold down (clipping real values) to shrink
	 * it; weigh it as its neighbour instead. */
	h[0] = h[1];
	if (top + 1 <= levels) /* fewer occupied bins than levels: nothing to gain by clipping */
		return hr;
	double outliers = 0, best = INFINITY;
	for (int i = top; i >= levels; i--)
		outliers += h[i];
	int best_keep = top + 1;
	/* keep = the number of bins below the threshold; outliers = what lies above */
	for (int keep = levels; keep <= top + 1; keep++) {
		double kl = kl_of(h, keep, levels, outliers);
		if (kl < best) {
			best = kl;
			best_keep = keep;
		}
		if (keep <= top)
			outliers -= h[keep];
	}
	return best_keep * hr / QHIST_BINS;
}

void qstat_range(const QStat *s, QMethod m, double pct, double *lo, double *hi)
{
	*lo = s->min;
	*hi = s->max;
	if (m == QM_MINMAX || s->count == 0 || s->hr == 0)
		return;
	double tpos, tneg;
	if (m == QM_PERCENTILE) {
		tpos = percentile(s->pos, s->hr, pct);
		tneg = percentile(s->neg, s->hr, pct);
	} else {
		/* each side on its own: a two-signed tensor is rarely symmetric (a
		 * normalised image's background is one spike on the negative side,
		 * which would drag a shared threshold down) */
		int levels = s->min < 0 && s->max > 0 ? 128 : 256;
		tpos = entropy_threshold(s->pos, s->hr, levels);
		tneg = entropy_threshold(s->neg, s->hr, levels);
	}
	if (s->max > 0 && tpos < *hi)
		*hi = tpos;
	if (s->min < 0 && -tneg > *lo)
		*lo = -tneg;
}
