/*
 * ops/spatial.c - attribute parsing and output-size arithmetic for sliding
 * window ops, exactly as the ONNX operator docs give them (opset 7..21):
 *   NOTSET  out = floor_or_ceil((in + pb + pe - dk) / s) + 1, dk = (k-1)*d+1
 *           (ceil_mode drops a last window that would start in the end pad)
 *   VALID   as NOTSET with zero pads
 *   SAME_*  out = ceil(in / s), total pad = max(0, (out-1)*s + dk - in),
 *           the odd pixel going to the end (UPPER) or the beginning (LOWER).
 */
#include "spatial.h"

#include <string.h>

static AutoPad parse_auto_pad(const Node *n)
{
	const char *s = attr_string(n, "auto_pad", "NOTSET");
	if (!strcmp(s, "NOTSET") || !*s)
		return PAD_NOTSET;
	if (!strcmp(s, "SAME_UPPER"))
		return PAD_SAME_UPPER;
	if (!strcmp(s, "SAME_LOWER"))
		return PAD_SAME_LOWER;
	if (!strcmp(s, "VALID"))
		return PAD_VALID;
	fatal_node(n, "attribute auto_pad is '%s'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID", s);
}

/* Reads an ints attribute of nsp values (or 2*nsp for pads) into the 2D
 * layout, leaving the defaults for the H axis of a 1D op. */
static void read_ints(const Node *n, const char *name, int nsp, int64_t *dst, int per, int64_t minval)
{
	int64_t v[2 * MAX_RANK];
	int cnt = attr_ints(n, name, v, 2 * MAX_RANK);
	if (cnt < 0)
		return;
	if (cnt != per * nsp)
		fatal_node(n, "attribute %s has %d values; %d expected for %d spatial dimension%s", name, cnt,
		           per * nsp, nsp, nsp > 1 ? "s" : "");
	for (int i = 0; i < cnt; i++) {
		if (v[i] < minval)
			fatal_node(n, "attribute %s[%d] = %lld; must be at least %lld", name, i, (long long)v[i],
			           (long long)minval);
		int part = i / nsp, ax = i % nsp + (2 - nsp);
		dst[part * 2 + ax] = v[i];
	}
}

void window_parse(const Node *n, Window *w, const Shape *x, const Shape *wk, bool allow_ceil, bool allow_dil)
{
	memset(w, 0, sizeof *w);
	if (x->rank < 3)
		fatal_node(n, "input '%s' has shape %s; a spatial op needs (N, C, spatial...)", n->in[0]->name,
		           shape_str(x));
	if (x->rank > 4)
		fatal_unsupported(n, "%dD %s is not supported (only 1D and 2D); input '%s' has shape %s", x->rank - 2,
		                  n->op_type, n->in[0]->name, shape_str(x));
	w->nsp = x->rank - 2;
	for (int i = 0; i < 2; i++) {
		w->k[i] = w->s[i] = w->d[i] = 1;
		w->in[i] = 1;
	}
	for (int i = 0; i < w->nsp; i++)
		w->in[i + 2 - w->nsp] = x->d[2 + i];

	int64_t k[2] = { 1, 1 };
	w->kernel_given = attr_find(n, "kernel_shape") != NULL;
	read_ints(n, "kernel_shape", w->nsp, k, 1, 1);
	if (wk) {
		if (wk->rank != x->rank)
			fatal_node(n, "weight has shape %s but input has rank %d", shape_str(wk), x->rank);
		for (int i = 0; i < w->nsp; i++) {
			int64_t kw = wk->d[2 + i];
			if (w->kernel_given && k[i + 2 - w->nsp] != kw)
				fatal_node(n, "kernel_shape disagrees with the weight shape %s", shape_str(wk));
			k[i + 2 - w->nsp] = kw;
		}
	} else if (!w->kernel_given) {
		fatal_node(n, "attribute kernel_shape is required");
	}
	w->k[0] = k[0];
	w->k[1] = k[1];
	read_ints(n, "strides", w->nsp, w->s, 1, 1);
	if (allow_dil)
		read_ints(n, "dilations", w->nsp, w->d, 1, 1);
	else if (attr_find(n, "dilations"))
		fatal_node(n, "attribute dilations is not defined for %s at opset %lld", n->op_type, (long long)n->opset);
	int64_t pads[4] = { 0, 0, 0, 0 }; /* hb, wb, he, we */
	read_ints(n, "pads", w->nsp, pads, 2, 0);
	w->pb[0] = pads[0]; w->pb[1] = pads[1];
	w->pe[0] = pads[2]; w->pe[1] = pads[3];
	w->auto_pad = parse_auto_pad(n);
	w->ceil_mode = allow_ceil && attr_int(n, "ceil_mode", 0) != 0;
	if (w->auto_pad != PAD_NOTSET && attr_find(n, "pads"))
		warn_node(n, "both auto_pad and pads are set; auto_pad wins");
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

void window_forward(const Node *n, Window *w)
{
	for (int i = 0; i < 2; i++) {
		int64_t in = w->in[i], s = w->s[i], dk = (w->k[i] - 1) * w->d[i] + 1, out;
		const char *ax = i == 0 && w->nsp == 2 ? "H" : "W";
		switch (w->auto_pad) {
		case PAD_SAME_UPPER:
		case PAD_SAME_LOWER: {
			out = ceil_div(in, s);
			int64_t total = (out - 1) * s + dk - in;
			if (total < 0)
				total = 0;
			int64_t small = total / 2;
			w->pb[i] = w->auto_pad == PAD_SAME_UPPER ? small : total - small;
			w->pe[i] = total - w->pb[i];
			break;
		}
		case PAD_VALID:
			w->pb[i] = w->pe[i] = 0;
			/* fallthrough */
		case PAD_NOTSET: {
			int64_t span = in + w->pb[i] + w->pe[i] - dk;
			if (span < 0)
				fatal_node(n, "the kernel (%lld taps on %s, %lld with dilation) is larger than the padded input (%lld)",
				           (long long)w->k[i], ax, (long long)dk, (long long)(in + w->pb[i] + w->pe[i]));
			if (w->ceil_mode) {
				out = ceil_div(span, s) + 1;
				if ((out - 1) * s >= in + w->pb[i]) /* a window must start inside the input or the begin pad */
					out--;
			} else {
				out = span / s + 1;
			}
			break;
		}
		default:
			UNREACHABLE();
		}
		if (out <= 0)
			fatal_node(n, "output size on %s would be %lld", ax, (long long)out);
		w->out[i] = out;
	}
}

void window_out_shape(const Window *w, int64_t N, int64_t M, Shape *out)
{
	out->rank = w->nsp + 2;
	out->d[0] = N;
	out->d[1] = M;
	for (int i = 0; i < w->nsp; i++)
		out->d[2 + i] = w->out[i + 2 - w->nsp];
}
