/*
 * ops/qadd.c - QLinearAdd in the int8 region (issue 21): what
 * passes/opt_fuse_qops.c makes of DequantizeLinear(a), DequantizeLinear(b)
 * -> Add [-> Relu|Clip] -> QuantizeLinear, every scale per tensor, a and b
 * of the output's shape (no broadcast).  ONNX Runtime runs that pattern as
 * its QLinearAdd; this computes the same (int8/qeltwise.c, o2c_qadd).
 *
 * Most adds of a CNN are residuals right after a conv: the pass then hands
 * the node to that QLinearConv (qconv_take_add), which adds in its epilogue.
 */
#include "ops.h"

bool qadd_build(Graph *g, Node *add, Node *act, const Act *a, Node *q)
{
	(void)g;
	QAddP *p = xalloc(sizeof *p);
	Node *dq[2];
	DType ta, tb, ty;
	for (int k = 0; k < 2; k++) {
		dq[k] = live_producer(add->in[k]);
		if (!dq[k] || tensor_is_const(dq[k]->in[0]))
			return false;
	}
	if (!quant_u8(dq[0], &p->sa, &p->za, &ta) || !quant_u8(dq[1], &p->sb, &p->zb, &tb) ||
	    !quant_u8(q, &p->sy, &p->zy, &ty))
		return false;
	const Shape *ys = &add->out[0]->shape;
	if (!shape_eq(&dq[0]->in[0]->shape, ys) || !shape_eq(&dq[1]->in[0]->shape, ys) ||
	    dq[0]->in[0]->batched != add->out[0]->batched || dq[1]->in[0]->batched != add->out[0]->batched)
		return false;
	if (!q_act_clamp(a, p->sy, p->zy, &p->lo, &p->hi))
		return false;
	p->ys8 = ty == DT_INT8;
	const int reads = dq[0] == dq[1] ? 2 : 1; /* x + x reads one DQ twice */
	for (int k = 0; k < 2; k++) {
		if (k == 0 || reads == 1)
			node_add_cover(add, dq[k]);
		if (dq[k]->out[0]->nuses == reads) /* nothing else reads the DQ's float output */
			dq[k]->dead = true;
		add->in[k] = dq[k]->in[0];
	}
	if (act)
		node_absorb(add, act);
	node_absorb(add, q);
	add->op = OP_QLinearAdd;
	add->op_type = "QLinearAdd";
	add->act = (Act){ ACT_NONE, 0, 0 };
	add->p = p;
	return true;
}

float qadd_fixed(const QAddP *p)
{
	/* volatile: each product rounded to float on its own, never contracted into an FMA (-std=gnu11) */
	volatile float pa = p->sa / p->sy * (float)p->za, pb = p->sb / p->sy * (float)p->zb;
	return (float)p->zy - (pa + pb);
}

void qlinearadd_parse(Graph *g, Node *n)
{
	(void)g;
	if (!n->p) /* only opt_fuse_qops makes these; lower_qop.c rewrites a model's own */
		fatal_node(n, "QLinearAdd reached the compiler unlowered (internal)");
}

void qlinearadd_infer(Graph *g, Node *n)
{
	(void)g;
	const QAddP *p = n->p;
	set_out(n, 0, p->ys8 ? DT_INT8 : DT_UINT8, &n->in[0]->shape, n->in[0]->batched);
}

bool qlinearadd_fold(Graph *g, Node *n) { return fold_none(g, n); }

void qlinearadd_emit(Emit *e, Node *n)
{
	const QAddP *p = n->p;
	ASSERT(n->in[0]->q8 && n->in[1]->q8 && n->out[0]->q8);
	emit_need(e, "int8/qeltwise.c");
	emitf(e, "\to2c_qadd((const uint8_t *)in0, (const uint8_t *)in1, (uint8_t *)out0, %lld, %s, %s, %s, %d, %d);\n",
	      (long long)shape_numel(&n->out[0]->shape), c_float(p->sa / p->sy), c_float(p->sb / p->sy),
	      c_float(qadd_fixed(p)), (int)p->lo, (int)p->hi);
}
