/*
 * quantize_graph.c - the ONNX model as `onnx2c quantize` edits it: constants
 * looked up (through Constant and Identity nodes), new initializers and
 * nodes, attribute access, readers of a tensor, and the two whole-graph edits
 * that are not quantization: folding BatchNormalization into the Conv before
 * it, and pruning what the rewrite left unused.
 *
 * It works on protobuf-c's ModelProto directly, not on the compiler's IR:
 * what it writes is an ONNX model for any runtime.  New arrays and messages
 * come from the arena (xalloc) and live until exit, as the model does.
 */
#include "quantize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const Onnx__TensorProto *initializer(const Onnx__ModelProto *m, const char *name)
{
	const Onnx__GraphProto *g = m->graph;
	for (size_t i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
			return g->initializer[i];
	return NULL;
}

const Onnx__TensorProto *qg_const(const Onnx__ModelProto *m, const char *name)
{
	for (int depth = 0; depth < 64 && name && *name; depth++) {
		const Onnx__TensorProto *t = initializer(m, name);
		if (t)
			return t;
		const Onnx__NodeProto *p = model_producer(m, name);
		if (!p)
			return NULL;
		if (!strcmp(p->op_type, "Constant")) {
			for (size_t i = 0; i < p->n_attribute; i++)
				if (!strcmp(p->attribute[i]->name, "value"))
					return p->attribute[i]->t;
			return NULL;
		}
		if (strcmp(p->op_type, "Identity") || p->n_input != 1)
			return NULL;
		name = p->input[0];
	}
	return NULL;
}

int64_t qg_numel(const Onnx__TensorProto *t)
{
	int64_t n = 1;
	for (size_t i = 0; i < t->n_dims; i++)
		n *= t->dims[i];
	return n;
}

float *qg_floats(const Onnx__TensorProto *t, int64_t *n)
{
	if (!t->has_data_type || t->data_type != DT_FLOAT || t->n_external_data)
		return NULL;
	*n = qg_numel(t);
	float *v = malloc((size_t)*n * sizeof *v + 1);
	if (!v)
		vdie("out of memory reading '%s'", t->name ? t->name : "?");
	if (t->has_raw_data && t->raw_data.len == (size_t)*n * 4)
		memcpy(v, t->raw_data.data, (size_t)*n * 4);
	else if (!t->has_raw_data && t->n_float_data == (size_t)*n)
		memcpy(v, t->float_data, (size_t)*n * 4);
	else {
		free(v);
		return NULL;
	}
	return v;
}

Onnx__TensorProto *qg_tensor(const char *name, int dtype, const int64_t *dims, int rank, const void *data,
                             size_t bytes)
{
	Onnx__TensorProto *t = xalloc(sizeof *t);
	*t = (Onnx__TensorProto)ONNX__TENSOR_PROTO__INIT;
	t->name = xstrdup(name);
	t->has_data_type = 1;
	t->data_type = dtype;
	t->n_dims = (size_t)rank;
	t->dims = xalloc((size_t)(rank + 1) * sizeof *t->dims);
	if (rank)
		memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
	t->has_raw_data = 1;
	t->raw_data.len = bytes;
	t->raw_data.data = xalloc(bytes + 1);
	memcpy(t->raw_data.data, data, bytes);
	return t;
}

void qg_add_initializer(Onnx__GraphProto *g, Onnx__TensorProto *t)
{
	g->initializer = xrealloc_arr(g->initializer, g->n_initializer, g->n_initializer + 1, sizeof *g->initializer);
	g->initializer[g->n_initializer++] = t;
}

static char **names(const char *const *s, int n)
{
	char **a = xalloc((size_t)(n + 1) * sizeof *a);
	for (int i = 0; i < n; i++)
		a[i] = xstrdup(s[i]);
	return a;
}

Onnx__NodeProto *qg_node(const char *op, const char *name, const char *const *in, int nin,
                         const char *const *out, int nout)
{
	Onnx__NodeProto *n = xalloc(sizeof *n);
	*n = (Onnx__NodeProto)ONNX__NODE_PROTO__INIT;
	n->op_type = xstrdup(op);
	n->name = xstrdup(name);
	n->n_input = (size_t)nin;
	n->input = names(in, nin);
	n->n_output = (size_t)nout;
	n->output = names(out, nout);
	return n;
}

void qg_set_int(Onnx__NodeProto *n, const char *attr, int64_t v)
{
	Onnx__AttributeProto *a = xalloc(sizeof *a);
	*a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
	a->name = xstrdup(attr);
	a->has_type = 1;
	a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	a->has_i = 1;
	a->i = v;
	n->attribute = xrealloc_arr(n->attribute, n->n_attribute, n->n_attribute + 1, sizeof *n->attribute);
	n->attribute[n->n_attribute++] = a;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
	for (size_t i = 0; i < n->n_attribute; i++)
		if (!strcmp(n->attribute[i]->name, name))
			return n->attribute[i];
	return NULL;
}

int64_t qg_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def)
{
	const Onnx__AttributeProto *a = attr(n, name);
	return a && a->has_i ? a->i : def;
}

float qg_attr_float(const Onnx__NodeProto *n, const char *name, float def)
{
	const Onnx__AttributeProto *a = attr(n, name);
	return a && a->has_f ? a->f : def;
}

bool qg_is_graph_output(const Onnx__ModelProto *m, const char *name)
{
	return model_output_index(m, name) >= 0;
}

int qg_uses(const Onnx__ModelProto *m, const char *name, const Onnx__NodeProto **first)
{
	const Onnx__GraphProto *g = m->graph;
	int n = 0;
	if (first)
		*first = NULL;
	for (size_t i = 0; i < g->n_node; i++)
		for (size_t j = 0; j < g->node[i]->n_input; j++)
			if (!strcmp(g->node[i]->input[j], name)) {
				if (first && !*first)
					*first = g->node[i];
				n++;
			}
	return n + qg_is_graph_output(m, name);
}

int64_t qg_opset(const Onnx__ModelProto *m)
{
	for (size_t i = 0; i < m->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = m->opset_import[i];
		if ((!o->domain || !*o->domain || !strcmp(o->domain, "ai.onnx")) && o->has_version)
			return o->version;
	}
	return 1;
}

/* ---- element types ---- */

static void put_type(QTypes *t, const char *name, int dtype)
{
	if (t->n == t->cap) {
		t->name = xrealloc_arr(t->name, (size_t)t->cap, t->cap ? (size_t)t->cap * 2 : 256, sizeof *t->name);
		t->type = xrealloc_arr(t->type, (size_t)t->cap, t->cap ? (size_t)t->cap * 2 : 256, sizeof *t->type);
		t->cap = t->cap ? t->cap * 2 : 256;
	}
	t->name[t->n] = name;
	t->type[t->n++] = dtype;
}

int qg_type_of(const QTypes *t, const char *name)
{
	for (int i = t->n - 1; i >= 0; i--)
		if (!strcmp(t->name[i], name))
			return t->type[i];
	return 0;
}

QTypes qg_types(const Onnx__ModelProto *m)
{
	const Onnx__GraphProto *g = m->graph;
	QTypes t = { 0 };
	for (size_t i = 0; i < g->n_initializer; i++)
		put_type(&t, g->initializer[i]->name, g->initializer[i]->data_type);
	for (size_t i = 0; i < g->n_input; i++) {
		const Onnx__TypeProto *ty = g->input[i]->type;
		if (ty && ty->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && ty->tensor_type)
			put_type(&t, g->input[i]->name, ty->tensor_type->elem_type);
	}
	/* nodes are in topological order (ONNX requires it): one pass */
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		const char *op = n->op_type;
		int dt;
		static const char *const to_int64[] = { "Shape", "Size", "NonZero", "ArgMax", "ArgMin", "TopK" };
		static const char *const to_bool[] = { "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not",
		                                       "And", "Or", "Xor", "IsNaN", "IsInf" };
		dt = n->n_input ? qg_type_of(&t, n->input[0]) : DT_FLOAT;
		for (size_t k = 0; k < sizeof to_int64 / sizeof *to_int64; k++)
			if (!strcmp(op, to_int64[k]))
				dt = DT_INT64;
		for (size_t k = 0; k < sizeof to_bool / sizeof *to_bool; k++)
			if (!strcmp(op, to_bool[k]))
				dt = DT_BOOL;
		if (!strcmp(op, "Cast"))
			dt = (int)qg_attr_int(n, "to", DT_FLOAT);
		else if (!strcmp(op, "Where") && n->n_input > 1)
			dt = qg_type_of(&t, n->input[1]);
		else if (!strcmp(op, "Constant") || !strcmp(op, "ConstantOfShape")) {
			const Onnx__TensorProto *v = NULL;
			for (size_t k = 0; k < n->n_attribute; k++)
				if (!strcmp(n->attribute[k]->name, "value"))
					v = n->attribute[k]->t;
			dt = v && v->has_data_type ? v->data_type : DT_FLOAT;
		} else if (!strcmp(op, "DequantizeLinear"))
			dt = DT_FLOAT;
		else if (!strcmp(op, "QuantizeLinear"))
			dt = n->n_input > 2 && *n->input[2] ? qg_type_of(&t, n->input[2]) : DT_UINT8;
		for (size_t k = 0; k < n->n_output; k++)
			put_type(&t, n->output[k], k == 0 || strcmp(op, "MaxPool") ? dt : DT_INT64);
	}
	return t;
}

/* ---- BatchNormalization folding ---- */

/* The BN's four per-channel parameters, each of `channels` floats; false
 * when one is not a float constant of that size. */
static bool bn_params(const Onnx__ModelProto *m, const Onnx__NodeProto *bn, int64_t channels, float *p[4])
{
	memset(p, 0, 4 * sizeof *p);
	if (bn->n_input != 5 || bn->n_output != 1)
		return false; /* training mode (running statistics out) */
	for (int k = 0; k < 4; k++) {
		const Onnx__TensorProto *t = qg_const(m, bn->input[k + 1]);
		int64_t n;
		p[k] = t ? qg_floats(t, &n) : NULL;
		if (!p[k] || n != channels) {
			for (int j = 0; j <= k; j++)
				free(p[j]);
			return false;
		}
	}
	return true;
}

static void drop_node(Onnx__GraphProto *g, size_t i)
{
	memmove(g->node + i, g->node + i + 1, (g->n_node - i - 1) * sizeof *g->node);
	g->n_node--;
}

int qg_fold_bn(Onnx__ModelProto *m)
{
	Onnx__GraphProto *g = m->graph;
	int folded = 0;
	for (size_t i = 0; i < g->n_node; i++) {
		Onnx__NodeProto *conv = g->node[i];
		const Onnx__NodeProto *bn;
		if (strcmp(conv->op_type, "Conv") || conv->n_output != 1 || conv->n_input < 2 ||
		    qg_uses(m, conv->output[0], &bn) != 1 || !bn || strcmp(bn->op_type, "BatchNormalization") ||
		    strcmp(bn->input[0], conv->output[0]))
			continue;
		const Onnx__TensorProto *wt = qg_const(m, conv->input[1]);
		const Onnx__TensorProto *bt = conv->n_input > 2 && *conv->input[2] ? qg_const(m, conv->input[2]) : NULL;
		int64_t nw, nb = 0;
		float *w = wt && wt->n_dims >= 1 ? qg_floats(wt, &nw) : NULL;
		if (!w)
			continue;
		int64_t oc = wt->dims[0], per = oc ? nw / oc : 0;
		float *b = bt ? qg_floats(bt, &nb) : NULL;
		float *p[4];
		if ((conv->n_input > 2 && *conv->input[2] && (!b || nb != oc)) || !bn_params(m, bn, oc, p)) {
			free(w);
			free(b);
			continue;
		}
		/* y = scale * (conv + b - mean) / sqrt(var + eps) + B, per output channel */
		double eps = qg_attr_float(bn, "epsilon", 1e-5f);
		float *nbias = xalloc((size_t)oc * sizeof *nbias + 1);
		for (int64_t o = 0; o < oc; o++) {
			double s = p[0][o] / sqrt((double)p[3][o] + eps);
			for (int64_t k = 0; k < per; k++)
				w[o * per + k] = (float)(w[o * per + k] * s);
			nbias[o] = (float)(((b ? b[o] : 0.0) - p[2][o]) * s + p[1][o]);
		}
		const char *y = bn->output[0];
		qg_add_initializer(g, qg_tensor(xsprintf("%s_folded_W", y), DT_FLOAT, wt->dims, (int)wt->n_dims, w,
		                                (size_t)nw * 4));
		qg_add_initializer(g, qg_tensor(xsprintf("%s_folded_B", y), DT_FLOAT, &oc, 1, nbias, (size_t)oc * 4));
		const char *in[3] = { conv->input[0], xsprintf("%s_folded_W", y), xsprintf("%s_folded_B", y) };
		conv->input = xalloc(3 * sizeof *conv->input);
		for (int k = 0; k < 3; k++)
			conv->input[k] = (char *)in[k];
		conv->n_input = 3;
		conv->output[0] = xstrdup(y);
		for (size_t j = 0; j < g->n_node; j++)
			if (g->node[j] == bn) {
				drop_node(g, j);
				break;
			}
		free(w);
		free(b);
		for (int k = 0; k < 4; k++)
			free(p[k]);
		folded++;
		i = (size_t)-1; /* node indices moved: rescan (cheap: a few hundred nodes) */
	}
	qg_prune(m);
	return folded;
}

/* ---- pruning ---- */

static bool read_by_node(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_node; i++)
		for (size_t j = 0; j < g->node[i]->n_input; j++)
			if (!strcmp(g->node[i]->input[j], name))
				return true;
	return false;
}

void qg_prune(Onnx__ModelProto *m)
{
	Onnx__GraphProto *g = m->graph;
	/* nodes whose outputs nothing reads (the Identity that passed a folded
	 * BN's parameter on, say); ONNX nodes have no side effects */
	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; i < g->n_node; i++) {
			const Onnx__NodeProto *n = g->node[i];
			bool used = false;
			for (size_t j = 0; j < n->n_output && !used; j++)
				used = *n->output[j] && (read_by_node(g, n->output[j]) || qg_is_graph_output(m, n->output[j]));
			if (!used) {
				drop_node(g, i--);
				again = true;
			}
		}
	}
	size_t k = 0;
	for (size_t i = 0; i < g->n_initializer; i++) {
		const char *n = g->initializer[i]->name;
		if (n && (read_by_node(g, n) || qg_is_graph_output(m, n)))
			g->initializer[k++] = g->initializer[i];
		else if (n) { /* an old-style model lists its initializers among the inputs too */
			size_t w = 0;
			for (size_t j = 0; j < g->n_input; j++)
				if (strcmp(g->input[j]->name, n))
					g->input[w++] = g->input[j];
			g->n_input = w;
		}
	}
	g->n_initializer = k;
	k = 0;
	for (size_t i = 0; i < g->n_value_info; i++)
		if (g->value_info[i]->name && model_producer(m, g->value_info[i]->name))
			g->value_info[k++] = g->value_info[i];
	g->n_value_info = k;
}
