/*
 * ops/pool.c - MaxPool, AveragePool (opset 1..21), GlobalAveragePool and
 * GlobalMaxPool: attributes, shapes and calls into templates/pool.c.
 *
 * ceil_mode exists from opset 10, MaxPool dilations from opset 10 and
 * AveragePool dilations from opset 19.  MaxPool's optional Indices output is
 * refused: onnx2c's runtime tensors are float only.
 */
#include "spatial.h"

static void pool_parse(Node *n, bool allow_dil, bool allow_q)
{
	PoolP *p = xalloc(sizeof *p);
	if (!allow_q || (n->in[0]->dtype != DT_UINT8 && n->in[0]->dtype != DT_INT8))
		require_float(n, 0);
	window_parse(n, &p->w, &n->in[0]->shape, NULL, n->opset >= 10, allow_dil);
	n->p = p;
}

static void pool_infer(Node *n)
{
	PoolP *p = n->p;
	window_forward(n, &p->w);
	Shape out;
	window_out_shape(&p->w, n->in[0]->shape.d[0], n->in[0]->shape.d[1], &out);
	set_out(n, 0, n->in[0]->dtype, &out, n->in[0]->batched);
}

void maxpool_parse(Graph *g, Node *n)
{
	(void)g;
	if (n->nout > 1 && n->out[1])
		fatal_unsupported(n, "the Indices output '%s' is not supported (int64 run-time tensors)", n->out[1]->name);
	/* u8 and s8 from opset 12 (a QOperator model's pools): on their integer values as floats, or on the
	 * int8 kernels in the int8 region (ops/qpool.c), where the max is the same */
	pool_parse(n, n->opset >= 10, n->opset >= 12);
	int64_t so = attr_int(n, "storage_order", 0);
	if (so != 0 && so != 1)
		fatal_node(n, "attribute storage_order = %lld; must be 0 or 1", (long long)so);
}

void maxpool_infer(Graph *g, Node *n) { (void)g; pool_infer(n); }
bool maxpool_fold(Graph *g, Node *n) { return fold_none(g, n); }

void avgpool_parse(Graph *g, Node *n)
{
	(void)g;
	pool_parse(n, n->opset >= 19, false);
	((PoolP *)n->p)->include_pad = attr_int(n, "count_include_pad", 0) != 0;
}

void avgpool_infer(Graph *g, Node *n) { (void)g; pool_infer(n); }

/* An AveragePool takes a fused activation only once it carries the bias of
 * the 1x1 conv it now follows (opt_pool_conv): bias and activation are then
 * one pass over the output (emit_pool_bias_act); alone, an activation after
 * a pool is no cheaper fused. */
unsigned avgpool_epilogue(const Node *n)
{
	return n->nin > 1 && n->in[1] ? EPI_ACT : 0;
}
bool avgpool_fold(Graph *g, Node *n) { return fold_none(g, n); }

static void emit_window_args(Emit *e, const Node *n, const Window *w)
{
	const Shape *x = &n->in[0]->shape;
	emitf(e, "in0, out0, /*N*C*/%lld, /*H*/%lld, /*W*/%lld, /*OH*/%lld, /*OW*/%lld,\n\t              "
	         "/*KH*/%lld, /*KW*/%lld, /*SH*/%lld, /*SW*/%lld, /*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld",
	      (long long)(x->d[0] * x->d[1]), (long long)w->in[0], (long long)w->in[1], (long long)w->out[0],
	      (long long)w->out[1], (long long)w->k[0], (long long)w->k[1], (long long)w->s[0], (long long)w->s[1],
	      (long long)w->d[0], (long long)w->d[1], (long long)w->pb[0], (long long)w->pb[1]);
}

/* Pools have no epilogue in their kernels; a fused activation (unusual
 * after a pool) is one pass over the output. */
static void emit_pool_act(Emit *e, const Node *n)
{
	if (n->act.kind != ACT_NONE)
		spatial_emit_act_pass(e, n, shape_numel(&n->out[0]->shape));
	if (n->residual)
		fatal_node(n, "internal: a residual add was fused into a pool");
}

void maxpool_emit(Emit *e, Node *n)
{
	const PoolP *p = n->p;
	emit_need(e, "pool.c");
	emitf(e, "\to2c_maxpool2d(");
	emit_window_args(e, n, &p->w);
	emitf(e, ");\n");
	emit_pool_act(e, n);
}

/* The bias of the 1x1 conv an average pool now follows (opt_pool_conv),
 * and its activation, in one pass over the output planes after the pool. */
static void emit_pool_bias_act(Emit *e, const Node *n)
{
	const Shape *y = &n->out[0]->shape;
	const int64_t C = y->d[1], HW = y->d[2] * y->d[3];
	emit_team(e);
	emitf(e, "\to2c_sync();\n\tO2C_OMP(for nowait)\n");
	emitf(e, "\tfor (size_t q = 0; q < %lld; q++) {\n", (long long)(y->d[0] * C));
	emitf(e, "\t\tconst float b = %s[q %% %lld];\n", emit_const(e, n->in[1]), (long long)C);
	emitf(e, "\t\tfor (size_t i = q * %lld; i < (q + 1) * %lld; i++) {\n", (long long)HW, (long long)HW);
	emitf(e, "\t\t\tfloat v = out0[i] + b;\n");
	emitf(e, "\t\t\tout0[i] = %s;\n", act_c_expr(&n->act, "v"));
	emitf(e, "\t\t}\n\t}\n");
}

void avgpool_emit(Emit *e, Node *n)
{
	const PoolP *p = n->p;
	emit_need(e, "pool.c");
	emitf(e, "\to2c_avgpool2d(");
	emit_window_args(e, n, &p->w);
	emitf(e, ", /*PB*/%lld, /*PR*/%lld, /*count_include_pad*/%d);\n", (long long)p->w.pe[0],
	      (long long)p->w.pe[1], p->include_pad);
	if (n->nin > 1 && n->in[1])
		emit_pool_bias_act(e, n);
	else
		emit_pool_act(e, n);
}

/* ---- global pools: any rank >= 3, output [N, C, 1, ...] ------------- */

static void global_infer(Node *n)
{
	require_float(n, 0);
	const Shape *x = &n->in[0]->shape;
	if (x->rank < 3)
		fatal_node(n, "input '%s' has shape %s; (N, C, spatial...) expected", n->in[0]->name, shape_str(x));
	Shape out = *x;
	for (int i = 2; i < out.rank; i++)
		out.d[i] = 1;
	set_out(n, 0, DT_FLOAT, &out, n->in[0]->batched);
}

static void global_emit(Emit *e, const Node *n, const char *fn)
{
	const Shape *x = &n->in[0]->shape;
	int64_t hw = shape_numel(x) / (x->d[0] * x->d[1]);
	emit_need(e, "pool.c");
	emitf(e, "\t%s(in0, out0, /*N*C*/%lld, /*spatial*/%lld);\n", fn, (long long)(x->d[0] * x->d[1]), (long long)hw);
	emit_pool_act(e, n);
}

void gavgpool_parse(Graph *g, Node *n) { parse_none(g, n); }
void gavgpool_infer(Graph *g, Node *n) { (void)g; global_infer(n); }
bool gavgpool_fold(Graph *g, Node *n) { return fold_none(g, n); }
void gavgpool_emit(Emit *e, Node *n) { global_emit(e, n, "o2c_gavgpool"); }

void gmaxpool_parse(Graph *g, Node *n) { parse_none(g, n); }
void gmaxpool_infer(Graph *g, Node *n) { (void)g; global_infer(n); }
bool gmaxpool_fold(Graph *g, Node *n) { return fold_none(g, n); }
void gmaxpool_emit(Emit *e, Node *n) { global_emit(e, n, "o2c_gmaxpool"); }
