/*
 * log.c - training logs: a progress line on a stream, a CSV with one row per
 * epoch, and an SVG plot of the curves (loss and accuracy vs epoch, train and
 * validation) drawn by hand, so a run can be read without any plotting tool.
 * Nothing is printed unless the caller asks (rt_progress takes the stream).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx2c_rt.h"

void rt_progress(FILE *f, int epoch, int epochs, long step, long steps, double loss, double acc)
{
	enum { WIDTH = 24 };
	char bar[WIDTH + 1];
	const long filled = steps > 0 ? step * WIDTH / steps : 0;
	for (int i = 0; i < WIDTH; i++)
		bar[i] = i < filled ? '#' : '-';
	bar[WIDTH] = 0;
	fprintf(f, "\repoch %d/%d [%s] %ld/%ld loss %.4f acc %.2f%%", epoch, epochs, bar, step, steps, loss, acc);
	if (step >= steps)
		fputc('\n', f);
	fflush(f);
}

int rt_log_open(RtLog *l, const char *csv_path)
{
	memset(l, 0, sizeof *l);
	if (!csv_path)
		return RT_OK;
	l->csv = fopen(csv_path, "w");
	if (!l->csv)
		return rt_fail(RT_ERR_IO, "%s: cannot create log: %s", csv_path, strerror(errno));
	fprintf(l->csv, "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds\n");
	fflush(l->csv);
	return RT_OK;
}

int rt_log_epoch(RtLog *l, const RtLogRow *row)
{
	if (l->n == l->cap) {
		const int cap = l->cap ? 2 * l->cap : 32;
		RtLogRow *r = realloc(l->rows, (size_t)cap * sizeof *r);
		if (!r)
			return rt_fail(RT_ERR_NOMEM, "log: out of memory");
		l->rows = r;
		l->cap = cap;
	}
	l->rows[l->n++] = *row;
	if (l->csv) {
		/* %.9g: floats round-trip; a NaN (no validation set) is written as "nan" */
		fprintf(l->csv, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.3f\n", row->epoch, row->train_loss, row->train_acc,
		        row->val_loss, row->val_acc, row->lr, row->seconds);
		if (fflush(l->csv) != 0)
			return rt_fail(RT_ERR_IO, "log: write failed: %s", strerror(errno));
	}
	return RT_OK;
}

void rt_log_close(RtLog *l)
{
	if (l->csv)
		fclose(l->csv);
	free(l->rows);
	memset(l, 0, sizeof *l);
}

/* A "nice" upper bound (1, 2 or 5 times a power of ten) for an axis from 0 to hi. */
static double nice_max(double hi)
{
	if (!(hi > 0.0))
		return 1.0;
	const double p = pow(10.0, floor(log10(hi)));
	return hi <= p ? p : hi <= 2 * p ? 2 * p : hi <= 5 * p ? 5 * p : 10 * p;
}

static double field(const RtLogRow *r, int which)
{
	switch (which) {
	case 0: return r->train_loss;
	case 1: return r->val_loss;
	case 2: return r->train_acc;
	default: return r->val_acc;
	}
}

/* One panel at x offset ox: axes, ticks, and the train (solid) and val (dashed) polylines. */
static void panel(FILE *f, const RtLog *l, int ox, const char *title, int first, double ymax)
{
	const int W = 360, H = 240, L = 50, T = 30;
	const int emax = l->n ? l->rows[l->n - 1].epoch : 1;
	const int emin = l->n ? l->rows[0].epoch : 0;
	const double span = emax > emin ? emax - emin : 1;
	fprintf(f, "<g transform=\"translate(%d,0)\">\n", ox);
	fprintf(f, "<text x=\"%d\" y=\"18\" font-size=\"14\" text-anchor=\"middle\">%s</text>\n", L + W / 2, title);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", L, T, W, H);
	for (int i = 0; i <= 4; i++) {
		const double v = ymax * i / 4;
		const int y = T + H - H * i / 4;
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>", L, y, L + W, y);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%g</text>\n", L - 4, y + 3, v);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%d</text>", L, T + H + 14, emin);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%d</text>", L + W, T + H + 14, emax);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">epoch</text>\n", L + W / 2, T + H + 28);
	static const char *const color[2] = {"#1f77b4", "#d62728"};
	for (int s = 0; s < 2; s++) {
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", color[s],
		        s ? " stroke-dasharray=\"6,3\"" : "");
		for (int i = 0; i < l->n; i++) {
			const double v = field(&l->rows[i], first + s);
			if (isnan(v))
				continue;
			const double x = L + W * (l->rows[i].epoch - emin) / span, y = T + H - H * (v > ymax ? ymax : v) / ymax;
			fprintf(f, "%.1f,%.1f ", x, y);
		}
		fprintf(f, "\"/>\n");
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text>\n", L + W - 60, T + 16 + 14 * s,
		        color[s], s ? "val" : "train");
	}
	fprintf(f, "</g>\n");
}

int rt_log_svg(const RtLog *l, const char *svg_path)
{
	FILE *f = fopen(svg_path, "w");
	if (!f)
		return rt_fail(RT_ERR_IO, "%s: cannot create plot: %s", svg_path, strerror(errno));
	double lmax = 0.0;
	for (int i = 0; i < l->n; i++)
		for (int k = 0; k < 2; k++)
			if (field(&l->rows[i], k) > lmax)
				lmax = field(&l->rows[i], k);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"840\" height=\"310\" font-family=\"sans-serif\">\n");
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	panel(f, l, 0, "loss", 0, nice_max(lmax));
	panel(f, l, 420, "accuracy (%)", 2, 100.0);
	fprintf(f, "</svg>\n");
	return fclose(f) == 0 ? RT_OK : rt_fail(RT_ERR_IO, "%s: write failed", svg_path);
}
