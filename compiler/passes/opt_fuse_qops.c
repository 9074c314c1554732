/*
 * opt_fuse_qops.c - the int8 region beyond the convs (issue 21): in a QDQ
 * model, DequantizeLinear -> op [-> Relu | Clip] -> QuantizeLinear with
 * per-tensor scales becomes one int8 node, as ONNX Runtime's QDQ
 * transformer makes its QLinear* nodes:
 *
 *   DQ a, DQ b -> Add [-> Relu|Clip] -> Q  =>  QLinearAdd     (ops/qadd.c)
 *   DQ -> MaxPool | AveragePool | GlobalAveragePool -> Q
 *                                           =>  QLinearPool    (ops/qpool.c)
 *   DQ x_i -> Concat -> Q, one scale        =>  QLinearConcat  (ops/qconcat.c)
 *   DQ -> Gemm | MatMul [-> Relu|Clip] -> Q =>  QLinearGemm    (ops/qgemm.c)
 *   DQ -> Flatten | Reshape -> Q, one scale =>  the view on the u8 tensor itself
 *   MaxPool of a u8/s8 tensor               =>  QLinearPool
 *
 * then a QLinearAdd whose operand is a QLinearConv's output read by nothing
 * else goes into that conv's epilogue (qconv_take_add): a ResNet block's
 * last conv and its residual add are one kernel.  Runs after qconv; the
 * ops' files say which forms they take, the others stay float between
 * their DQs and Qs.
 */
#include "ops/ops.h"

/* DQ -> view -> Q at one scale and type: the view of the quantized tensor itself */
static bool view_build(Node *view, Node *q)
{
	Node *dq = live_producer(view->in[0]);
	float s1, s2;
	int32_t z1, z2;
	DType t1, t2;
	if (!dq || tensor_is_const(dq->in[0]) || !quant_per_tensor(dq, &s1, &z1, &t1) ||
	    !quant_per_tensor(q, &s2, &z2, &t2) || s1 != s2 || z1 != z2 || t1 != t2)
		return false;
	node_add_cover(view, dq);
	if (dq->out[0]->nuses == 1)
		dq->dead = true;
	view->in[0] = dq->in[0];
	node_absorb(view, q);
	return true;
}

static bool fuse(Graph *g, Node *q)
{
	Node *act = NULL, *op = live_producer(q->in[0]);
	Act a = { ACT_NONE, 0, 0 };
	if (op && (op->op == OP_Relu || op->op == OP_Clip) && q->in[0]->nuses == 1 && op_act(op, &a)) {
		act = op;
		op = live_producer(act->in[0]);
		if (!op || (op->op != OP_Add && op->op != OP_Gemm && op->op != OP_MatMul) || op->out[0]->nuses != 1)
			return false;
	}
	if (!op || op->out[0]->nuses != 1 || op->act.kind != ACT_NONE || op->residual)
		return false;
	switch (op->op) {
	case OP_Flatten:
	case OP_Reshape: return view_build(op, q);
	case OP_Add: return qadd_build(g, op, act, &a, q);
	case OP_MaxPool:
	case OP_AveragePool:
	case OP_GlobalAveragePool: return qpool_build(g, op, q);
	case OP_Concat: return qconcat_build(g, op, q);
	case OP_Gemm:
	case OP_MatMul: return qgemm_build(g, op, act, &a, q);
	default: return false;
	}
}

/* graph_recount's nuses leaves out fused residuals */
static bool is_residual(const Graph *g, const Tensor *t)
{
	for (int i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && g->nodes[i]->residual == t)
			return true;
	return false;
}

void opt_fuse_qops(Graph *g)
{
	bool changed = false;
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (!n->dead && n->op == OP_QuantizeLinear)
			changed |= fuse(g, n);
		else if (!n->dead && n->op == OP_MaxPool)
			changed |= qpool_from_maxpool(n);
	}
	if (changed)
		graph_recount(g);
	/* residual adds into the conv before them */
	changed = false;
	for (int i = 0; i < g->nnodes; i++) {
		Node *add = g->nodes[i];
		if (add->dead || add->op != OP_QLinearAdd)
			continue;
		Node *c[2] = { live_producer(add->in[0]), live_producer(add->in[1]) };
		const int first = c[0] && c[1] && c[1]->id > c[0]->id ? 1 : 0; /* the conv computed last */
		for (int t = 0; t < 2; t++) {
			Node *conv = c[first ^ t];
			if (conv && conv->op == OP_QLinearConv && qconv_take_add(conv, add)) {
				changed = true;
				break;
			}
		}
	}
	/* a DQ whose readers all became int8 nodes (two convs reading one input: neither could drop it) */
	for (int i = 0; i < g->nnodes; i++) {
		Node *dq = g->nodes[i];
		if (!dq->dead && dq->op == OP_DequantizeLinear && !dq->out[0]->nuses && dq->out[0]->kind == T_TEMP &&
		    !is_residual(g, dq->out[0])) {
			dq->dead = true;
			changed = true;
		}
	}
	if (changed)
		graph_recount(g);
}
