/*
 * ops/qpool.c - pools in the int8 region (issue 21): what
 * passes/opt_fuse_qops.c makes of DequantizeLinear -> MaxPool |
 * AveragePool | GlobalAveragePool -> QuantizeLinear, per-tensor scales,
 * 2-D.  One node, QLinearPool, on the u8 NHWC kernels of int8/qpool.c:
 *
 * - MaxPool when the Q's scale and zero point are the DQ's: the max commutes
 *   with the monotone quantization, so it runs on the u8 values as ONNX
 *   Runtime's uint8 MaxPool does (a rescaling MaxPool stays float); and a
 *   MaxPool of a u8/s8 tensor itself (QOperator models), qpool_from_maxpool;
 * - AveragePool as ORT's QLinearAveragePool, GlobalAveragePool as its
 *   QLinearGlobalAveragePool, in their arithmetic (int8/qpool.c's header).
 *   Not taken: ceil_mode or dilated AveragePools, and the scales MLAS
 *   refuses for the global pool (outside [2^-32, 256), or 2^24 pixels).
 */
#include "spatial.h"

#include <math.h>

typedef enum { QP_MAX, QP_AVG, QP_GAVG } QPoolKind;

typedef struct QPoolP {
	QPoolKind kind;
	Window w;              /* MaxPool and AveragePool */
	bool include_pad;
	float xs, ys;
	int32_t xzp, yzp;      /* u8 domain */
	bool ys8;
} QPoolP;

bool qpool_build(Graph *g, Node *pool, Node *q)
{
	(void)g;
	Node *dq = live_producer(pool->in[0]);
	QPoolP *p = xalloc(sizeof *p);
	DType xt, yt;
	if (!dq || tensor_is_const(dq->in[0]) || !quant_u8(dq, &p->xs, &p->xzp, &xt) || !quant_u8(q, &p->ys, &p->yzp, &yt))
		return false;
	const Shape *xs = &dq->in[0]->shape;
	if (xs->rank != 4)
		return false;
	p->ys8 = yt == DT_INT8;
	if (pool->op == OP_GlobalAveragePool) {
		const float r = p->xs / p->ys;
		if (xs->d[2] * xs->d[3] >= (1 << 24) || !(r >= ldexpf(1.0f, -32) && r < 256.0f))
			return false;
		p->kind = QP_GAVG;
	} else {
		const PoolP *pp = pool->p;
		if (pp->w.nsp != 2)
			return false;
		p->w = pp->w;
		p->include_pad = pp->include_pad;
		if (pool->op == OP_MaxPool) {
			if (pool->nout > 1 && pool->out[1])
				return false;
			if (p->xs != p->ys || p->xzp != p->yzp)
				return false;
			p->kind = QP_MAX;
		} else {
			if (pp->w.ceil_mode || pp->w.d[0] != 1 || pp->w.d[1] != 1)
				return false;
			p->kind = QP_AVG;
		}
	}
	q_take(pool, dq, NULL, q, OP_QLinearPool, "QLinearPool", p);
	return true;
}

bool qpool_from_maxpool(Node *pool)
{
	const PoolP *pp = pool->p;
	const Tensor *x = pool->in[0];
	if ((x->dtype != DT_UINT8 && x->dtype != DT_INT8) || tensor_is_const(x) || x->shape.rank != 4 || pp->w.nsp != 2 ||
	    (pool->nout > 1 && pool->out[1]))
		return false;
	QPoolP *p = xalloc(sizeof *p);
	p->kind = QP_MAX;
	p->w = pp->w;
	p->ys8 = x->dtype == DT_INT8;
	pool->op = OP_QLinearPool;
	pool->op_type = "QLinearPool";
	pool->p = p;
	return true;
}

void qlinearpool_parse(Graph *g, Node *n)
{
	(void)g;
	if (!n->p) /* only opt_fuse_qops makes these */
		fatal_node(n, "QLinearPool reached the compiler unlowered (internal)");
}

void qlinearpool_infer(Graph *g, Node *n)
{
	(void)g;
	const QPoolP *p = n->p;
	const Shape *x = &n->in[0]->shape;
	Shape out = { 4, { x->d[0], x->d[1], 1, 1 } };
	if (p->kind != QP_GAVG)
		window_out_shape(&p->w, x->d[0], x->d[1], &out);
	set_out(n, 0, p->ys8 ? DT_INT8 : DT_UINT8, &out, n->in[0]->batched);
}

bool qlinearpool_fold(Graph *g, Node *n) { return fold_none(g, n); }

void qlinearpool_emit(Emit *e, Node *n)
{
	const QPoolP *p = n->p;
	const Shape *x = &n->in[0]->shape;
	const Window *w = &p->w;
	const long long N = x->d[0], C = x->d[1], H = x->d[2], W = x->d[3];
	ASSERT(n->in[0]->q8 && n->out[0]->q8);
	emit_need(e, "int8/qpool.c");
	if (p->kind == QP_GAVG) {
		emitf(e, "\to2c_qgavgpool((const uint8_t *)in0, (uint8_t *)out0, %lld, %lld, %lld, %s, %d, %s, %d, %lld, %lld);\n",
		      N, C, H * W, c_float(p->xs), (int)p->xzp, c_float(p->ys), (int)p->yzp, C, C);
		return;
	}
	const char *geom = xsprintf("/*N*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, /*OH*/%lld, /*OW*/%lld, /*KH*/%lld, "
	                            "/*KW*/%lld, /*SH*/%lld, /*SW*/%lld", N, C, H, W, (long long)w->out[0],
	                            (long long)w->out[1], (long long)w->k[0], (long long)w->k[1], (long long)w->s[0],
	                            (long long)w->s[1]);
	if (p->kind == QP_MAX)
		emitf(e, "\to2c_qmaxpool((const uint8_t *)in0, (uint8_t *)out0, %s,\n\t             /*DH*/%lld, /*DW*/%lld, "
		         "/*PT*/%lld, /*PL*/%lld, %lld, %lld);\n", geom, (long long)w->d[0], (long long)w->d[1],
		      (long long)w->pb[0], (long long)w->pb[1], C, C);
	else
		emitf(e, "\to2c_qavgpool((const uint8_t *)in0, (uint8_t *)out0, %s,\n\t             /*PT*/%lld, /*PL*/%lld, "
		         "/*PB*/%lld, /*PR*/%lld, %d, %s, %d, %s, %d, %lld, %lld);\n", geom, (long long)w->pb[0],
		      (long long)w->pb[1], (long long)w->pe[0], (long long)w->pe[1], p->include_pad ? 1 : 0,
		      c_float(p->xs), (int)p->xzp, c_float(p->ys), (int)p->yzp, C, C);
}
