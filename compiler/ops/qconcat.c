/*
 * ops/qconcat.c - Concat in the int8 region (issue 21): what
 * passes/opt_fuse_qops.c makes of DequantizeLinear(x_i) -> Concat -> Q
 * along the channels of 4-D tensors when every input's scale and zero point
 * are the output's, as `onnx2c quantize` gives them (ONNX Runtime's
 * quantizer does too): then no value changes and the node copies bytes,
 * each input's channels into its slice of every output pixel (NHWC,
 * int8/qeltwise.c).  Inputs at other scales leave it float.
 */
#include "ops.h"

typedef struct QConcatP {
	bool ys8;
} QConcatP;

bool qconcat_build(Graph *g, Node *cat, Node *q)
{
	(void)g;
	float ys;
	int32_t yzp;
	DType yt;
	if (!quant_u8(q, &ys, &yzp, &yt) || cat->out[0]->shape.rank != 4 ||
	    norm_axis(cat, attr_int(cat, "axis", 0), 4, "axis") != 1)
		return false;
	for (int k = 0; k < cat->nin; k++) {
		Node *dq = live_producer(cat->in[k]);
		float s;
		int32_t z;
		DType t;
		if (!dq || tensor_is_const(dq->in[0]) || !quant_u8(dq, &s, &z, &t) || s != ys || z != yzp ||
		    dq->in[0]->batched != cat->out[0]->batched)
			return false;
	}
	Node **dqs = xalloc((size_t)cat->nin * sizeof *dqs);
	for (int k = 0; k < cat->nin; k++)
		dqs[k] = live_producer(cat->in[k]);
	for (int k = 0; k < cat->nin; k++) {
		int reads = 0; /* the same tensor may be concatenated more than once */
		for (int j = 0; j < cat->nin; j++)
			reads += cat->in[j] == cat->in[k];
		node_add_cover(cat, dqs[k]);
		if (dqs[k]->out[0]->nuses == reads)
			dqs[k]->dead = true;
	}
	for (int k = 0; k < cat->nin; k++)
		cat->in[k] = dqs[k]->in[0];
	node_absorb(cat, q);
	QConcatP *p = xalloc(sizeof *p);
	p->ys8 = yt == DT_INT8;
	cat->op = OP_QLinearConcat;
	cat->op_type = "QLinearConcat";
	cat->p = p;
	return true;
}

void qlinearconcat_parse(Graph *g, Node *n)
{
	(void)g;
	if (!n->p) /* only opt_fuse_qops makes these; lower_qop.c rewrites a model's own */
		fatal_node(n, "QLinearConcat reached the compiler unlowered (internal)");
}

void qlinearconcat_infer(Graph *g, Node *n)
{
	(void)g;
	const QConcatP *p = n->p;
	Shape out = n->in[0]->shape;
	for (int k = 1; k < n->nin; k++)
		out.d[1] += n->in[k]->shape.d[1];
	set_out(n, 0, p->ys8 ? DT_INT8 : DT_UINT8, &out, n->in[0]->batched);
}

bool qlinearconcat_fold(Graph *g, Node *n) { return fold_none(g, n); }

void qlinearconcat_emit(Emit *e, Node *n)
{
	const Shape *y = &n->out[0]->shape;
	const long long P = y->d[0] * y->d[2] * y->d[3], C = y->d[1];
	emit_need(e, "int8/qeltwise.c");
	long long c0 = 0;
	for (int k = 0; k < n->nin; k++) {
		ASSERT(n->in[k]->q8);
		const long long Ck = n->in[k]->shape.d[1];
		emitf(e, "\to2c_qconcat_nhwc((const uint8_t *)in%d, %lld, %lld, (uint8_t *)out0, %lld, %lld);\n", k, P, Ck, C,
		      c0);
		c0 += Ck;
	}
	ASSERT(n->out[0]->q8);
}
