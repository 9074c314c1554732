/*
 * verify_cmp.c - the numbers of `onnx2c verify`: final outputs against ONNX
 * Runtime, and, when they differ, every intermediate tensor of the C model's
 * debug build against ONNX Runtime's, in schedule order, to name the first
 * node out of tolerance.
 *
 * The criterion is the whole-model tests' (tests/compare.py): a tensor passes
 * when max|out - ref| <= tol * max|ref|, a tolerance relative to the tensor's
 * scale, which is what accumulated float32 rounding looks like.  Arg-max
 * (per row of the first dim) must agree unless the two candidates are tied
 * within that tolerance.  Quantized models add tolerances in quantization
 * steps (tensor_tol, verify.h).
 */
#include "verify.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

Diff diff_of(const float *ref, const float *out, int64_t n)
{
	Diff d = { 0, 0, false, n, 0 };
	for (int64_t i = 0; i < n; i++) {
		double r = ref[i], o = out[i];
		d.n_equal += r == o || (isnan(r) && isnan(o));
		if (isfinite(r) && fabs(r) > d.max_ref)
			d.max_ref = fabs(r);
		if (isnan(r) && isnan(o))
			continue;
		if (!isfinite(r) || !isfinite(o)) {
			if (r != o)
				d.nan_mismatch = true;
			continue;
		}
		if (fabs(o - r) > d.max_abs)
			d.max_abs = fabs(o - r);
	}
	return d;
}

TensorTol tensor_tol(const VTol *t, const char *tensor)
{
	TensorTol r = { t->rel, 0, false };
	int et = model_elem_type(t->m, tensor);
	if (et == DT_UINT8 || et == DT_INT8) {
		r.quantized = true;
		r.abs = t->steps;
	} else {
		r.abs = t->steps * model_dq_step(t->m, tensor);
	}
	return r;
}

bool diff_ok(const Diff *d, const TensorTol *t, bool intermediate)
{
	if (d->nan_mismatch)
		return false;
	if (t->quantized && intermediate && (double)d->n_equal < 0.999 * (double)d->n)
		return false;
	/* a step of a dequantized float is (q1 - zp) * scale - (q2 - zp) * scale, two
	 * float roundings of values up to max|ref|: allow them */
	return d->max_abs <= t->rel * d->max_ref || d->max_abs <= t->abs + 4 * FLT_EPSILON * d->max_ref;
}

const char *tol_str(const TensorTol *t)
{
	if (t->quantized)
		return xsprintf("tol %g step%s", t->abs, t->abs == 1 ? "" : "s");
	if (t->abs > 0)
		return xsprintf("tol %g or %g abs", t->rel, t->abs);
	return xsprintf("tol %g", t->rel);
}

static const char *dims_str(const VTensor *t)
{
	char *s = xstrdup("[");
	for (int i = 0; i < t->rank; i++)
		s = xsprintf("%s%s%lld", s, i ? "," : "", (long long)t->dims[i]);
	return xsprintf("%s]", s);
}

static int64_t argmax(const float *p, int64_t n)
{
	int64_t best = 0;
	for (int64_t i = 1; i < n; i++)
		if (p[i] > p[best] || (isnan(p[i]) && !isnan(p[best])))
			best = i;
	return best;
}

/* Rows whose arg-max differs by more than a tie within tol; *ties counts
 * the rows that differ only by such a tie. */
static int64_t argmax_disagree(const VTensor *ref, const VTensor *out, double tol_abs, int64_t *rows,
                               int64_t *ties)
{
	*rows = ref->rank >= 2 ? ref->dims[0] : 1;
	*ties = 0;
	if (*rows == 0 || ref->numel == 0)
		return 0;
	int64_t len = ref->numel / *rows, bad = 0;
	for (int64_t r = 0; r < *rows; r++) {
		const float *a = ref->data + r * len, *b = out->data + r * len;
		int64_t ia = argmax(a, len), ib = argmax(b, len);
		if (ia == ib)
			continue;
		if ((double)a[ia] - (double)a[ib] > tol_abs)
			bad++;
		else
			(*ties)++;
	}
	return bad;
}

static bool same_dims(const VTensor *a, const VTensor *b)
{
	if (a->rank != b->rank)
		return false;
	for (int i = 0; i < a->rank; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	return true;
}

bool compare_outputs(const char *ref_dir, const char *out_dir, int noutputs, const VTol *vt)
{
	bool all_ok = true;
	for (int k = 0; k < noutputs; k++) {
		VTensor ref, out;
		const char *err = vt_read(xsprintf("%s/output_%d.pb", ref_dir, k), &ref);
		if (err)
			vdie("ONNX Runtime's output: %s", err);
		err = vt_read(xsprintf("%s/output_%d.pb", out_dir, k), &out);
		if (err) {
			printf("output %d '%s': FAIL: the C model's output: %s\n", k, ref.name, err);
			all_ok = false;
			vt_free(&ref);
			continue;
		}
		if (!same_dims(&ref, &out)) {
			printf("output %d '%s': FAIL: shape %s, ONNX Runtime's is %s\n", k, ref.name, dims_str(&out),
			       dims_str(&ref));
			all_ok = false;
		} else {
			Diff d = diff_of(ref.data, out.data, ref.numel);
			TensorTol tt = tensor_tol(vt, ref.name);
			bool ok = diff_ok(&d, &tt, false);
			int64_t rows, ties;
			double tie = tt.rel * d.max_ref > tt.abs ? tt.rel * d.max_ref : tt.abs;
			int64_t bad = argmax_disagree(&ref, &out, tie, &rows, &ties);
			if (bad)
				ok = false;
			const char *eq = tt.quantized || tt.abs > 0
				? xsprintf(", %.2f%% equal", d.n ? 100.0 * (double)d.n_equal / (double)d.n : 100.0) : "";
			printf("output %d '%s' %s: max|diff| %.3g, max rel diff %.3g (max|ref| %.3g, %s)%s%s, "
			       "arg-max %s in %lld/%lld row%s%s: %s\n",
			       k, ref.name, dims_str(&ref), d.max_abs, d.max_ref > 0 ? d.max_abs / d.max_ref : d.max_abs,
			       d.max_ref, tol_str(&tt), eq, d.nan_mismatch ? ", NaN/inf where the reference has none" : "",
			       bad ? "differs" : "agrees", (long long)(bad ? bad : rows), (long long)rows,
			       rows == 1 ? "" : "s", ties ? xsprintf(" (%lld tie%s within tolerance)", (long long)ties,
			                                            ties == 1 ? "" : "s") : "",
			       ok ? "ok" : "FAIL");
			all_ok = all_ok && ok;
		}
		vt_free(&ref);
		vt_free(&out);
	}
	return all_ok;
}

/* ---- first diverging node ---- */

/* "'name' (Op)" for the ONNX node that wrote the record's tensor; in an
 * optimised build the kernel is named after the first node it covers, the
 * tensor after the last, so both are given. */
static const char *node_label(const Onnx__ModelProto *m, const DumpRec *r, bool fused)
{
	const Onnx__NodeProto *np = model_producer(m, r->tensor);
	const char *onnx = np ? xsprintf("'%s' (%s)", np->name && *np->name ? np->name : r->node, np->op_type)
	                      : xsprintf("'%s'", r->node);
	if (!fused || (np && np->name && !strcmp(np->name, r->node)))
		return onnx;
	return xsprintf("'%s' (fused kernel ending in %s)", r->node, onnx);
}

typedef struct Worst {
	const DumpRec *rec;  /* the record with the largest relative difference */
	Diff d;
	const char *why;     /* non-NULL: not comparable as numbers (size) */
	const char *shape;   /* ONNX Runtime's shape of the tensor */
} Worst;

static double rel_of(const Diff *d)
{
	if (d->nan_mismatch)
		return INFINITY;
	return d->max_ref > 0 ? d->max_abs / d->max_ref : (d->max_abs > 0 ? INFINITY : 0);
}

bool report_divergence(const Onnx__ModelProto *m, const DumpRec *recs, int nrecs, const char *ort_dir,
                       const char *const *names, const int *files, int nnames, const VTol *vt, bool fused)
{
	/* schedule order = order of first appearance (records are sample-major) */
	const char **order = xalloc((size_t)(nrecs + 1) * sizeof *order);
	int norder = 0, nsamples = 1;
	for (int i = 0; i < nrecs; i++) {
		int j = 0;
		while (j < norder && strcmp(order[j], recs[i].node))
			j++;
		if (j == norder)
			order[norder++] = recs[i].node;
		if (recs[i].sample + 1 > nsamples)
			nsamples = recs[i].sample + 1;
	}

	int compared = 0, skipped = 0;
	const DumpRec *last_ok = NULL;
	double last_rel = 0;
	for (int p = 0; p < norder; p++) {
		Worst w = { 0 };
		const DumpRec *first = NULL;
		bool node_ok = true, any = false;
		double node_rel = 0; /* worst relative difference of a matching node */
		for (int i = 0; i < nrecs; i++) {
			const DumpRec *r = &recs[i];
			if (strcmp(r->node, order[p]) || r->sample != 0)
				continue;
			if (!first)
				first = r;
			/* one tensor of this node: load ONNX Runtime's, compare every sample */
			int idx = 0;
			while (idx < nnames && strcmp(names[idx], r->tensor))
				idx++;
			if (idx == nnames) {
				skipped++;
				continue;
			}
			VTensor ref;
			const char *err = vt_read(xsprintf("%s/output_%d.pb", ort_dir, files[idx]), &ref);
			if (!err && strcmp(ref.name, r->tensor)) {
				err = xsprintf("output %d is '%s', expected '%s'", files[idx], ref.name, r->tensor);
				vt_free(&ref);
			}
			if (err) {
				fprintf(stderr, "verify: cannot compare '%s': %s\n", r->tensor, err);
				skipped++;
				continue;
			}
			for (int k = i; k < nrecs; k++) {
				const DumpRec *s = &recs[k];
				if (strcmp(s->tensor, r->tensor) || strcmp(s->node, r->node))
					continue;
				const float *refp;
				if (ref.numel == s->numel * nsamples)
					refp = ref.data + s->numel * s->sample; /* ORT's tensor is the whole batch */
				else if (ref.numel == s->numel && s->sample == 0)
					refp = ref.data;
				else {
					node_ok = false;
					w.rec = s;
					w.why = xsprintf("the C tensor has %lld floats per sample, ONNX Runtime's %s has %lld",
					                 (long long)s->numel, dims_str(&ref), (long long)ref.numel);
					break;
				}
				Diff d = diff_of(refp, s->data, s->numel);
				TensorTol tt = tensor_tol(vt, s->tensor);
				compared++;
				any = true;
				if (rel_of(&d) > node_rel)
					node_rel = rel_of(&d);
				if (!diff_ok(&d, &tt, true)) {
					if (node_ok || (!w.why && rel_of(&d) > rel_of(&w.d))) {
						w.rec = s;
						w.d = d;
						w.shape = dims_str(&ref);
					}
					node_ok = false;
				}
			}
			vt_free(&ref);
		}
		if (node_ok) {
			if (any)
				last_ok = first, last_rel = node_rel;
			continue;
		}
		printf("first diverging %s: %s, schedule position %d of %d\n", fused ? "kernel" : "node",
		       node_label(m, w.rec, fused), p + 1, norder);
		if (w.why)
			printf("  tensor '%s', sample %d: %s\n", w.rec->tensor, w.rec->sample, w.why);
		if (!w.why) {
			TensorTol tt = tensor_tol(vt, w.rec->tensor);
			printf("  tensor '%s' %s, sample %d: max|diff| %.3g, max rel diff %.3g (max|ref| %.3g, %s)%s%s\n",
			       w.rec->tensor, w.shape, w.rec->sample, w.d.max_abs, rel_of(&w.d), w.d.max_ref, tol_str(&tt),
			       tt.quantized ? xsprintf(", %.2f%% equal (99.9%% needed)",
			                               w.d.n ? 100.0 * (double)w.d.n_equal / (double)w.d.n : 100.0) : "",
			       w.d.nan_mismatch ? ", NaN/inf where the reference has none" : "");
		}
		const Onnx__NodeProto *np = fused ? NULL : model_producer(m, w.rec->tensor);
		for (size_t i = 0; np && i < np->n_input; i++) {
			const char *in = np->input[i];
			const Onnx__NodeProto *src = *in ? model_producer(m, in) : NULL;
			if (!*in)
				continue;
			bool seen = false; /* names[] holds only dumped tensors */
			for (int k = 0; k < nnames && !seen; k++)
				seen = !strcmp(names[k], in);
			if (src) /* scheduled before it, so compared and matched unless not dumped (a view) */
				printf("  input %zu '%s' from '%s' (%s): %s\n", i, in, src->name, src->op_type,
				       seen ? "matched" : "not compared (a view)");
			else
				printf("  input %zu '%s' (%s)\n", i, in, model_is_initializer(m, in) ? "a weight" : "graph input");
		}
		if (last_ok)
			printf("  last %s that still matched: %s, max rel diff %.3g\n", fused ? "kernel" : "node",
			       node_label(m, last_ok, fused), last_rel);
		else
			printf("  it is the first node compared: every tensor before it matched or was not comparable\n");
		if (skipped)
			printf("  (%d tensor%s not comparable: not a tensor of the ONNX graph)\n", skipped,
			       skipped == 1 ? "" : "s");
		return true;
	}
	if (!fused)
		printf("no diverging node: the unoptimised (-O0) build matches ONNX Runtime at all %d tensors "
		       "compared%s, so an optimisation pass is at fault (each can be switched off: "
		       "`-- --no-fuse=dce|bn|poolconv|residual|act|concat`)\n",
		       compared, skipped ? xsprintf(" (%d not comparable)", skipped) : "");
	else
		printf("no diverging kernel either: every tensor the optimised build dumps matches (%d compared%s); "
		       "the difference is in what the entry function does between kernels\n",
		       compared, skipped ? xsprintf(", %d not comparable", skipped) : "");
	return false;
}
