/*
 * quantize_qdq.c - the QDQ rewrite of `onnx2c quantize`: a float model and the
 * calibrated range of each activation in, the standard QDQ model out, in the
 * form docs/int8.md ("The calibrator") specifies and the compiler's int8 path
 * relies on:
 *   - every activation tensor a quantizable op (Conv, Gemm, MatMul, Add of two
 *     activations, Concat, MaxPool, AveragePool, GlobalAveragePool, Flatten,
 *     Reshape) reads or writes gets QuantizeLinear -> DequantizeLinear after
 *     it: u8, per tensor, asymmetric over the range extended to 0; a Relu or
 *     Clip alone reading a Conv/Gemm/Add output takes the pair after itself;
 *   - a Concat's inputs and output share one scale (the union of their
 *     ranges); MaxPool, Flatten and Reshape outputs take their input's;
 *   - Conv/Gemm/MatMul weights become s8 symmetric initializers (per output
 *     channel unless --per-tensor) with a DequantizeLinear, and their bias an
 *     int32 one at scale x_scale * w_scale, zero point 0;
 *   - every other op stays float between a DQ and a Q, graph outputs stay float.
 * The pair's DQ writes the original tensor name (the producer is renamed to
 * NAME_prequant), so readers and graph outputs need no rewiring; a graph
 * input's readers are moved to NAME_dequantized.
 */
#include "quantize.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The scale of a range that is a single point (a tensor that was always 0):
 * any positive number is right for it, and a tiny one keeps it 0. */
#define DEGENERATE_SCALE 1e-8f

typedef struct QAct {
	const char *name;
	int parent;          /* union-find: tensors that share one scale */
	bool follows;        /* MaxPool/Flatten/Reshape output: its input's range, not its own */
	bool has_range;
	double lo, hi;
	float scale;
	uint8_t zp;
} QAct;

typedef struct Q {
	Onnx__ModelProto *m;
	const QStats *st;
	const QOpts *o;
	QAct *a;
	int na, cap;
	Onnx__NodeProto **out; /* the rewritten node list */
	size_t nout, capout;
	int nweights;
} Q;

static int find_act(const Q *q, const char *name)
{
	for (int i = 0; i < q->na; i++)
		if (!strcmp(q->a[i].name, name))
			return i;
	return -1;
}

static int mark(Q *q, const char *name)
{
	int i = find_act(q, name);
	if (i >= 0)
		return i;
	if (q->na == q->cap) {
		q->a = xrealloc_arr(q->a, (size_t)q->cap, q->cap ? (size_t)q->cap * 2 : 64, sizeof *q->a);
		q->cap = q->cap ? q->cap * 2 : 64;
	}
	q->a[q->na] = (QAct){ .name = xstrdup(name), .parent = q->na };
	return q->na++;
}

static int root(Q *q, int i)
{
	while (q->a[i].parent != i)
		i = q->a[i].parent = q->a[q->a[i].parent].parent;
	return i;
}

static void join(Q *q, const char *x, const char *y)
{
	int a = root(q, mark(q, x)), b = root(q, mark(q, y));
	if (a != b)
		q->a[b].parent = a;
}

/* The element types, set once per rewrite (is_act is asked for every input). */
static QTypes g_types;

/* A float tensor computed at run time. */
static bool is_act(const Onnx__ModelProto *m, const char *name)
{
	return name && *name && !qg_const(m, name) && qg_type_of(&g_types, name) == DT_FLOAT;
}

/* Whether node n runs on int8 in the QDQ form: which of its inputs are
 * activations is decided by the op. */
static bool quantizable(const Onnx__ModelProto *m, const Onnx__NodeProto *n)
{
	const char *op = n->op_type;
	if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
		return false;
	if (!n->n_input || !is_act(m, n->input[0]))
		return false;
	if (!strcmp(op, "Conv"))
		return n->n_input >= 2 && qg_const(m, n->input[1]);
	if (!strcmp(op, "Add"))
		return n->n_input == 2 && is_act(m, n->input[1]);
	if (!strcmp(op, "Concat")) {
		for (size_t i = 0; i < n->n_input; i++)
			if (!is_act(m, n->input[i]))
				return false;
		return true;
	}
	if (!strcmp(op, "MaxPool")) /* not the form with an Indices output */
		return n->n_output == 1 || !*n->output[1];
	return !strcmp(op, "Gemm") || !strcmp(op, "MatMul") || !strcmp(op, "AveragePool") ||
	       !strcmp(op, "GlobalAveragePool") || !strcmp(op, "Flatten") || !strcmp(op, "Reshape");
}

/* The activation inputs of a quantizable node: how many of the first ones. */
static size_t act_inputs(const Onnx__ModelProto *m, const Onnx__NodeProto *n)
{
	const char *op = n->op_type;
	if (!strcmp(op, "Add") || !strcmp(op, "Concat"))
		return n->n_input;
	if ((!strcmp(op, "Gemm") || !strcmp(op, "MatMul")) && is_act(m, n->input[1]))
		return 2;
	return 1;
}

/* The tensor after node n that gets the Q -> DQ pair: its output, or the
 * output of a Relu/Clip that alone reads a Conv's, Gemm's or Add's output. */
static const char *fused_output(const Onnx__ModelProto *m, const Onnx__NodeProto *n)
{
	const char *y = n->output[0];
	const Onnx__NodeProto *r;
	if ((!strcmp(n->op_type, "Conv") || !strcmp(n->op_type, "Gemm") || !strcmp(n->op_type, "Add")) &&
	    qg_uses(m, y, &r) == 1 && r && (!strcmp(r->op_type, "Relu") || !strcmp(r->op_type, "Clip")) &&
	    !strcmp(r->input[0], y) && r->n_output == 1)
		return r->output[0];
	return y;
}

/* ---- ranges and scales ---- */

static void set_params(QAct *a)
{
	double lo = a->lo < 0 ? a->lo : 0, hi = a->hi > 0 ? a->hi : 0;
	float s = (float)((hi - lo) / 255.0);
	if (!(s > 0) || !isfinite(s))
		s = DEGENERATE_SCALE;
	double z = rint(-lo / (double)s);
	a->scale = s;
	a->zp = (uint8_t)(z < 0 ? 0 : z > 255 ? 255 : z);
}

/* The statistics of tensor `name`; a tensor the C model never writes (a
 * view: Identity, Squeeze, Flatten... alias their input) has its input's. */
static const QStat *stats_of(const Q *q, const char *name)
{
	static const char *const views[] = { "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze" };
	for (int depth = 0; depth < 64; depth++) {
		const QStat *s = qstats_find(q->st, name);
		const Onnx__NodeProto *p = s ? NULL : model_producer(q->m, name);
		if (s || !p || !p->n_input)
			return s;
		size_t k = 0;
		while (k < sizeof views / sizeof *views && strcmp(p->op_type, views[k]))
			k++;
		if (k == sizeof views / sizeof *views)
			return NULL;
		name = p->input[0];
	}
	return NULL;
}

static void assign_ranges(Q *q)
{
	for (int i = 0; i < q->na; i++) {
		QAct *a = &q->a[i];
		const QStat *s = a->follows ? NULL : stats_of(q, a->name);
		if (s && s->count) {
			qstat_range(s, q->o->method, q->o->pct, &a->lo, &a->hi);
			a->has_range = true;
		}
	}
	/* a group's range: the union of its members' */
	for (int i = 0; i < q->na; i++) {
		QAct *a = &q->a[i], *r = &q->a[root(q, i)];
		if (!a->has_range || a == r)
			continue;
		if (!r->has_range) {
			r->lo = a->lo;
			r->hi = a->hi;
			r->has_range = true;
		}
		r->lo = a->lo < r->lo ? a->lo : r->lo;
		r->hi = a->hi > r->hi ? a->hi : r->hi;
	}
	for (int i = 0; i < q->na; i++) {
		QAct *r = &q->a[root(q, i)];
		if (!r->has_range)
			vdie("no statistics were collected for tensor '%s' (the calibration run did not dump it)",
			     q->a[i].name);
		if (root(q, i) == i)
			set_params(r);
	}
	for (int i = 0; i < q->na; i++) {
		const QAct *r = &q->a[root(q, i)];
		q->a[i].scale = r->scale;
		q->a[i].zp = r->zp;
		if (q->o->verbose) {
			const QStat *s = stats_of(q, q->a[i].name);
			fprintf(stderr, "  %-40s seen [%g, %g] -> range [%g, %g], scale %g, zero point %d%s\n",
			        q->a[i].name, s ? s->min : NAN, s ? s->max : NAN, r->lo, r->hi, r->scale, r->zp,
			        root(q, i) != i || q->a[i].follows ? " (shared)" : "");
		}
	}
}

/* ---- the new graph ---- */

static void emit(Q *q, Onnx__NodeProto *n)
{
	if (q->nout == q->capout) {
		q->out = xrealloc_arr(q->out, q->capout, q->capout ? q->capout * 2 : 256, sizeof *q->out);
		q->capout = q->capout ? q->capout * 2 : 256;
	}
	q->out[q->nout++] = n;
}

static bool initializer_exists(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
			return true;
	return false;
}

/* Q -> DQ for tensor `from` (activation a): `from` -> NAME_quantized -> `to`. */
static void emit_qdq(Q *q, const QAct *a, const char *from, const char *to)
{
	Onnx__GraphProto *g = q->m->graph;
	const char *s = xsprintf("%s_scale", a->name), *z = xsprintf("%s_zero_point", a->name);
	const char *qn = xsprintf("%s_quantized", a->name);
	qg_add_initializer(g, qg_tensor(s, DT_FLOAT, NULL, 0, &a->scale, 4));
	qg_add_initializer(g, qg_tensor(z, DT_UINT8, NULL, 0, &a->zp, 1));
	const char *qin[3] = { from, s, z }, *dqin[3] = { qn, s, z };
	emit(q, qg_node("QuantizeLinear", xsprintf("%s_QuantizeLinear", a->name), qin, 3, &qn, 1));
	emit(q, qg_node("DequantizeLinear", xsprintf("%s_DequantizeLinear", a->name), dqin, 3, &to, 1));
}

/* A fresh initializer name from `base` + `suffix`. */
static const char *fresh(const Onnx__GraphProto *g, const char *base, const char *suffix)
{
	const char *n = xsprintf("%s%s", base, suffix);
	for (int k = 2; initializer_exists(g, n); k++)
		n = xsprintf("%s%s_%d", base, suffix, k);
	return n;
}

/* Weights `wname` of node n (input `wi`) as s8 with a DequantizeLinear,
 * per channel along `axis` (or per tensor); its bias (input `bi`, 1-D
 * float, -1 for none) as int32 at scale x_scale * w_scale. */
static void quantize_weights(Q *q, Onnx__NodeProto *n, size_t wi, int axis, long bi, float x_scale)
{
	Onnx__GraphProto *g = q->m->graph;
	const Onnx__TensorProto *wt = qg_const(q->m, n->input[wi]);
	int64_t nw, nb = 0;
	float *w = wt ? qg_floats(wt, &nw) : NULL;
	if (!w)
		return; /* not a float constant: stays as it is */
	if (q->o->per_tensor || axis >= (int)wt->n_dims)
		axis = -1;
	int64_t ch = axis < 0 ? 1 : wt->dims[axis], inner = 1;
	for (int d = axis + 1; axis >= 0 && d < (int)wt->n_dims; d++)
		inner *= wt->dims[d];
	const Onnx__TensorProto *bt = bi >= 0 && (size_t)bi < n->n_input && *n->input[bi] ? qg_const(q->m, n->input[bi]) : NULL;
	float *b = bt && bt->n_dims == 1 ? qg_floats(bt, &nb) : NULL;
	if (b && axis >= 0 && nb != ch) { /* a bias that is not per channel: stays float */
		free(b);
		b = NULL;
	}

	float *ws = xalloc((size_t)ch * sizeof *ws);
	for (int64_t i = 0; i < nw; i++) {
		int64_t c = axis < 0 ? 0 : (i / inner) % ch;
		float v = fabsf(w[i]);
		ws[c] = v > ws[c] ? v : ws[c];
	}
	for (int64_t c = 0; c < ch; c++) {
		ws[c] = ws[c] > 0 ? ws[c] / 127.0f : 1.0f; /* an all-zero channel: any scale */
		/* the int32 bias must hold b / (x_scale * w_scale): widen the weight
		 * step where a tiny input scale would overflow it */
		for (int64_t k = 0; b && k < nb; k++)
			if ((axis < 0 || k == c) && fabs(b[k]) / ((double)x_scale * ws[c]) > 2147483000.0)
				ws[c] = (float)(fabs(b[k]) / ((double)x_scale * 2147483000.0) * 1.001);
	}
	int8_t *wq = xalloc((size_t)nw + 1);
	for (int64_t i = 0; i < nw; i++) {
		double v = rint(w[i] / ws[axis < 0 ? 0 : (i / inner) % ch]);
		wq[i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
	}
	int8_t *wz = xalloc((size_t)ch);
	const char *base = wt->name && *wt->name ? wt->name : n->input[wi];
	const char *qn = fresh(g, base, "_quantized"), *sn = fresh(g, base, "_scale"),
	           *zn = fresh(g, base, "_zero_point"), *dn = xsprintf("%s_dequantized", qn);
	int srank = axis < 0 ? 0 : 1;
	qg_add_initializer(g, qg_tensor(qn, DT_INT8, wt->dims, (int)wt->n_dims, wq, (size_t)nw));
	qg_add_initializer(g, qg_tensor(sn, DT_FLOAT, &ch, srank, ws, (size_t)ch * 4));
	qg_add_initializer(g, qg_tensor(zn, DT_INT8, &ch, srank, wz, (size_t)ch));
	const char *in[3] = { qn, sn, zn };
	Onnx__NodeProto *dq = qg_node("DequantizeLinear", xsprintf("%s_DequantizeLinear", qn), in, 3, &dn, 1);
	if (axis >= 0)
		qg_set_int(dq, "axis", axis);
	emit(q, dq);
	n->input[wi] = (char *)dn;
	q->nweights++;
	free(w);
	if (!b)
		return;

	float *bs = xalloc((size_t)ch * sizeof *bs);
	int32_t *bq = xalloc((size_t)nb * sizeof *bq + 1), *bz = xalloc((size_t)ch * sizeof *bz);
	for (int64_t c = 0; c < ch; c++)
		bs[c] = x_scale * ws[c];
	for (int64_t k = 0; k < nb; k++) {
		double v = rint(b[k] / (double)bs[axis < 0 ? 0 : k]);
		bq[k] = (int32_t)(v < -2147483647.0 ? -2147483647.0 : v > 2147483647.0 ? 2147483647.0 : v);
	}
	const char *bbase = bt->name && *bt->name ? bt->name : n->input[bi];
	qn = fresh(g, bbase, "_quantized");
	sn = fresh(g, bbase, "_scale");
	zn = fresh(g, bbase, "_zero_point");
	dn = xsprintf("%s_dequantized", qn);
	qg_add_initializer(g, qg_tensor(qn, DT_INT32, &nb, 1, bq, (size_t)nb * 4));
	qg_add_initializer(g, qg_tensor(sn, DT_FLOAT, &ch, srank, bs, (size_t)ch * 4));
	qg_add_initializer(g, qg_tensor(zn, DT_INT32, &ch, srank, bz, (size_t)ch * 4));
	const char *bin[3] = { qn, sn, zn };
	dq = qg_node("DequantizeLinear", xsprintf("%s_DequantizeLinear", qn), bin, 3, &dn, 1);
	if (axis >= 0)
		qg_set_int(dq, "axis", 0);
	emit(q, dq);
	n->input[bi] = (char *)dn;
	free(b);
}

/* The weights of a quantizable Conv, Gemm or MatMul. */
static void node_weights(Q *q, Onnx__NodeProto *n)
{
	const char *op = n->op_type;
	int i = find_act(q, n->input[0]);
	if (i < 0)
		return;
	float xs = q->a[i].scale;
	if (!strcmp(op, "Conv")) {
		quantize_weights(q, n, 1, 0, 2, xs);
	} else if (!strcmp(op, "Gemm") && qg_const(q->m, n->input[1])) {
		/* the bias only when Y = A B + C exactly: alpha and beta 1 */
		bool plain = qg_attr_float(n, "alpha", 1) == 1 && qg_attr_float(n, "beta", 1) == 1;
		quantize_weights(q, n, 1, qg_attr_int(n, "transB", 0) ? 0 : 1, plain ? 2 : -1, xs);
	} else if (!strcmp(op, "MatMul") && qg_const(q->m, n->input[1])) {
		const Onnx__TensorProto *w = qg_const(q->m, n->input[1]);
		quantize_weights(q, n, 1, w->n_dims == 2 ? 1 : -1, -1, xs);
	}
}

void qdq_rewrite(Onnx__ModelProto *m, const QStats *st, const QOpts *o)
{
	Q q = { .m = m, .st = st, .o = o };
	Onnx__GraphProto *g = m->graph;
	int64_t opset = qg_opset(m);
	if (opset < 10)
		vdie("the model's opset is %lld: QuantizeLinear needs opset 10 or later", (long long)opset);
	if (opset < 13 && !o->per_tensor)
		vdie("the model's opset is %lld: per-channel weights need opset 13 or later (use --per-tensor)",
		     (long long)opset);

	/* which tensors get Q -> DQ, and which share a scale */
	g_types = qg_types(m);
	int ninputs = 0;
	for (size_t i = 0; i < g->n_input; i++)
		if (is_act(m, g->input[i]->name)) {
			mark(&q, g->input[i]->name);
			ninputs++;
		}
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		if (!quantizable(m, n))
			continue;
		for (size_t k = 0; k < act_inputs(m, n); k++)
			mark(&q, n->input[k]);
		mark(&q, fused_output(m, n));
		if (!strcmp(n->op_type, "Concat"))
			for (size_t k = 0; k < n->n_input; k++)
				join(&q, n->output[0], n->input[k]);
		if (!strcmp(n->op_type, "MaxPool") || !strcmp(n->op_type, "Flatten") || !strcmp(n->op_type, "Reshape")) {
			join(&q, n->input[0], n->output[0]);
			q.a[find_act(&q, n->output[0])].follows = true;
		}
	}
	assign_ranges(&q);

	/* the graph inputs' pairs first; their readers read the DQ */
	for (int i = 0; i < ninputs; i++)
		emit_qdq(&q, &q.a[i], q.a[i].name, xsprintf("%s_dequantized", q.a[i].name));
	for (size_t i = 0; i < g->n_node; i++) {
		Onnx__NodeProto *n = g->node[i];
		if (quantizable(m, n))
			node_weights(&q, n); /* before the rewiring: the input scale is looked up by name */
		for (size_t j = 0; j < n->n_input; j++) {
			int a = find_act(&q, n->input[j]);
			if (a >= 0 && a < ninputs)
				n->input[j] = xsprintf("%s_dequantized", n->input[j]);
		}
		emit(&q, n);
		for (size_t k = 0; k < n->n_output; k++) {
			int a = *n->output[k] ? find_act(&q, n->output[k]) : -1;
			if (a < ninputs)
				continue;
			const char *y = n->output[k], *pre = xsprintf("%s_prequant", y);
			n->output[k] = (char *)pre;
			emit_qdq(&q, &q.a[a], pre, y);
		}
	}
	g->node = q.out;
	g->n_node = q.nout;
	qg_prune(m);
	vnote("%d activation tensors quantized (u8), %d weight tensors (s8, %s)", q.na, q.nweights,
	      o->per_tensor ? "per tensor" : "per output channel");
}
