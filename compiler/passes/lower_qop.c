/*
 * lower_qop.c - the QOperator format (QLinearConv, QLinearMatMul and the
 * com.microsoft QLinear* ops ONNX Runtime's quantizer writes for CNNs)
 * rewritten as the QDQ format: each quantized operator becomes
 * DequantizeLinear of its quantized inputs, the float operator, and
 * QuantizeLinear of the result, which keeps the operator's output tensor.
 *
 *   QLinearConv(x, xs, xz, w, ws, wz, ys, yz [, B])
 *     = Q(Conv(DQ(x, xs, xz), DQ(w, ws, wz; axis 0), DQ(B, xs * ws; axis 0)), ys, yz)
 *
 * and likewise QLinearMatMul (b per column: axis 1), QLinearAdd, QLinearMul,
 * QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat,
 * QLinearSigmoid and QLinearLeakyRelu.  The float operator keeps the node's
 * attributes.  Constant weights and biases then fold to float (ops/quant.c),
 * so a QOperator model compiles exactly as the QDQ model that states the same
 * arithmetic, within one quantization step of ONNX Runtime's integer
 * kernels.  Runs right after loading, before the nodes are ordered; the
 * channels_last (NHWC) forms of the com.microsoft pools are refused.
 */
#include "ir.h"

#include <string.h>

/* How one QLinear op maps: the float op, its quantized inputs as (value,
 * scale, zero point) input positions, the output's scale and zero point,
 * and for QLinearConv the int32 bias. */
typedef struct {
	const char *op, *domain, *float_op;
	int nq;           /* quantized inputs, each three positions from qin[i] */
	int qin[3];       /* -1: the variadic QLinearConcat */
	int ys, yz;       /* output scale and zero point */
	int axis1;        /* input 1 is per-axis along this axis (weights), -1: none */
} QopRule;

static const QopRule rules[] = {
	{ "QLinearConv", "", "Conv", 2, { 0, 3 }, 6, 7, 0 },
	{ "QLinearMatMul", "", "MatMul", 2, { 0, 3 }, 6, 7, 1 },
	{ "QLinearAdd", "com.microsoft", "Add", 2, { 0, 3 }, 6, 7, -1 },
	{ "QLinearMul", "com.microsoft", "Mul", 2, { 0, 3 }, 6, 7, -1 },
	{ "QLinearGlobalAveragePool", "com.microsoft", "GlobalAveragePool", 1, { 0 }, 3, 4, -1 },
	{ "QLinearAveragePool", "com.microsoft", "AveragePool", 1, { 0 }, 3, 4, -1 },
	{ "QLinearSigmoid", "com.microsoft", "Sigmoid", 1, { 0 }, 3, 4, -1 },
	{ "QLinearLeakyRelu", "com.microsoft", "LeakyRelu", 1, { 0 }, 3, 4, -1 },
	{ "QLinearConcat", "com.microsoft", "Concat", -1, { 0 }, 0, 1, -1 },
};

static const QopRule *rule_of(const Node *n)
{
	const char *dom = n->domain && strcmp(n->domain, "ai.onnx") ? n->domain : "";
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (!strcmp(n->op_type, rules[i].op) && !strcmp(dom, rules[i].domain))
			return &rules[i];
	return NULL;
}

static Tensor *input(const Node *n, int j)
{
	if (j >= n->nin || !n->in[j])
		fatal_node(n, "input %d is missing", j);
	return n->in[j];
}

/* One new node reading ins[] (NULL: an absent optional input) into out. */
static Node *add(Graph *g, const Node *from, const char *op, Tensor *const *ins, int nin, Tensor *out, int axis)
{
	Node *m = graph_add_node(g, xsprintf("%s/%s", from->name, op), op, nin, 1);
	m->opset = from->opset > 13 ? from->opset : 13; /* per-axis Q/DQ: opset 13 */
	for (int j = 0; j < nin; j++)
		graph_set_input(m, j, ins[j]);
	graph_set_output(m, 0, out);
	if (axis >= 0) {
		m->attrs = xalloc(sizeof *m->attrs);
		m->attrs[0] = (Attr){ .name = "axis", .type = AT_INT, .i = axis };
		m->nattrs = 1;
	}
	return m;
}

static Tensor *dequant(Graph *g, const Node *n, Tensor *x, Tensor *s, Tensor *z, int axis)
{
	Tensor *y = graph_tensor(g, xsprintf("%s/dq_%s", n->name, x->name));
	Tensor *in[3] = { x, s, z };
	add(g, n, "DequantizeLinear", in, z ? 3 : 2, y, axis);
	return y;
}

/* Rewrites n; returns false when it is not a QLinear op. */
static bool lower(Graph *g, Node *n)
{
	const QopRule *r = rule_of(n);
	if (!r)
		return false;
	if (attr_int(n, "channels_last", 0))
		fatal_unsupported(n, "channels_last (NHWC) %s", n->op_type);
	Tensor **fin = xalloc((size_t)(n->nin + 1) * sizeof *fin);
	int nf = 0;
	if (r->nq < 0) { /* QLinearConcat(Y_scale, Y_zp, (X, X_scale, X_zp)...) */
		if (n->nin < 5 || (n->nin - 2) % 3)
			fatal_node(n, "has %d inputs; it takes Y_scale, Y_zero_point and triples (X, X_scale, X_zero_point)",
			           n->nin);
		for (int j = 2; j < n->nin; j += 3)
			fin[nf++] = dequant(g, n, input(n, j), input(n, j + 1), input(n, j + 2), -1);
	} else {
		for (int i = 0; i < r->nq; i++) {
			int j = r->qin[i];
			Tensor *z = j + 2 < n->nin ? n->in[j + 2] : NULL;
			fin[nf++] = dequant(g, n, input(n, j), input(n, j + 1), z, i == 1 ? r->axis1 : -1);
		}
	}
	if (!strcmp(n->op_type, "QLinearConv") && n->nin > 8 && n->in[8]) {
		/* the int32 bias: scale x_scale * w_scale (per output channel) */
		Tensor *bs = graph_tensor(g, xsprintf("%s/bias_scale", n->name));
		Tensor *sc[2] = { input(n, 1), input(n, 4) };
		add(g, n, "Mul", sc, 2, bs, -1);
		fin[nf++] = dequant(g, n, n->in[8], bs, NULL, 0);
	}
	Tensor *y = n->out[0], *yf = graph_tensor(g, xsprintf("%s/float_out", n->name));
	Node *f = add(g, n, r->float_op, fin, nf, yf, -1);
	f->attrs = n->attrs; /* Conv's pads, AveragePool's kernel, Concat's axis, LeakyRelu's alpha... */
	f->nattrs = n->nattrs;
	f->opset = n->domain && *n->domain && strcmp(n->domain, "ai.onnx") ? g->opset : n->opset;
	Tensor *q[3] = { yf, input(n, r->ys), r->yz < n->nin ? n->in[r->yz] : NULL };
	y->producer = NULL;
	add(g, n, "QuantizeLinear", q, q[2] ? 3 : 2, y, -1);
	return true;
}

void lower_qops(Graph *g)
{
	int n0 = g->nnodes, kept = 0;
	bool any = false;
	for (int i = 0; i < n0; i++)
		any |= lower(g, g->nodes[i]);
	if (!any)
		return;
	/* drop the rewritten nodes; the new ones follow, numbered in order */
	for (int i = 0; i < g->nnodes; i++) {
		Node *nd = g->nodes[i];
		if (i < n0 && rule_of(nd))
			continue;
		nd->id = kept;
		g->nodes[kept++] = nd;
	}
	g->nnodes = kept;
}
