/*
 * ops/quant.c - QuantizeLinear and DequantizeLinear (opsets 10-21, per
 * tensor or per axis), the two ends of every QDQ model:
 *
 *   Q:  y = saturate(nearbyint(x / scale) + zero_point)   (u8 or s8)
 *   DQ: y = (x - zero_point) * scale                      (float)
 *
 * in float arithmetic in that order, as ONNX specifies and ONNX Runtime's
 * MLAS computes it (a division, not a multiply by 1/scale; ties to even).
 *
 * At run time a u8 or s8 tensor lives in the float arena as its integer
 * values (exact in float), the convention logic.c's bool masks follow: Q
 * writes them, DQ reads them, and every op that needs float refuses such a
 * tensor by its dtype (require_float).  So any float op between a DQ and a
 * Q runs in float and gives the right answer.  On constants both fold: the
 * s8 weights and int32 bias of a QDQ Conv become float constants, and the
 * Conv is compiled as a float Conv.
 *
 * Refused with an error naming the node: a scale that is not a constant,
 * not float, zero, negative or not finite; a zero point whose type is not
 * the quantized type (DQ: x's; Q: u8 or s8) or whose shape differs from the
 * scale's; a per-axis scale whose axis is out of range or whose length is
 * not that axis's; Q of a tensor that is not float; DQ of a run-time int32
 * (its values need not be exact in float); blocked quantization (opset 21).
 */
#include "elem.h"
#include "move.h"

#include <math.h>
#include <string.h>

typedef struct {
	bool dq;             /* DequantizeLinear */
	DType qtype;         /* the quantized type: u8, s8 (or int32, DQ of a constant) */
	int axis;            /* -1: per tensor */
	int64_t count;       /* scales (1 per tensor, else x's extent on axis) */
	float *scale, *zp;   /* count values each, zp as float */
} QuantP;

static void quant_parse(Node *n, bool dq)
{
	QuantP *p = xalloc(sizeof *p);
	p->dq = dq;
	const Tensor *x = n->in[0], *s = n->in[1], *z = n->nin > 2 ? n->in[2] : NULL;
	if (attr_int(n, "block_size", 0) != 0)
		fatal_unsupported(n, "blocked quantization (block_size %lld)", (long long)attr_int(n, "block_size", 0));
	if (dq) {
		if (x->dtype != DT_UINT8 && x->dtype != DT_INT8 && x->dtype != DT_INT32)
			fatal_unsupported(n, "input '%s' is %s; DequantizeLinear takes uint8, int8 or int32 here", x->name,
			                  dtype_name(x->dtype));
		if (x->dtype == DT_INT32 && !tensor_is_const(x))
			fatal_unsupported(n, "run-time int32 input '%s' (only constant int32, such as a bias, is "
			                     "dequantized)", x->name);
		p->qtype = x->dtype;
	} else {
		if (x->dtype != DT_FLOAT)
			fatal_node(n, "input '%s' is %s; QuantizeLinear needs float", x->name, dtype_name(x->dtype));
		p->qtype = z ? z->dtype : DT_UINT8;
		if (p->qtype != DT_UINT8 && p->qtype != DT_INT8)
			fatal_unsupported(n, "zero point '%s' is %s; only uint8 and int8 quantization is supported", z->name,
			                  dtype_name(z->dtype));
	}
	if (!tensor_is_const(s))
		fatal_unsupported(n, "scale '%s' is computed at run time; only constant scales are supported", s->name);
	if (s->dtype != DT_FLOAT)
		fatal_node(n, "scale '%s' is %s; it must be float", s->name, dtype_name(s->dtype));
	if (z) {
		if (!tensor_is_const(z))
			fatal_unsupported(n, "zero point '%s' is computed at run time", z->name);
		if (dq && z->dtype != x->dtype)
			fatal_node(n, "zero point '%s' is %s but input '%s' is %s; they must have one type", z->name,
			           dtype_name(z->dtype), x->name, dtype_name(x->dtype));
		if (!shape_eq(&z->shape, &s->shape))
			fatal_node(n, "zero point '%s' %s and scale '%s' %s differ in shape", z->name, shape_str(&z->shape),
			           s->name, shape_str(&s->shape));
	}
	p->count = shape_numel(&s->shape);
	if (s->shape.rank > 1 || p->count < 1)
		fatal_node(n, "scale '%s' %s must be a scalar or 1-D", s->name, shape_str(&s->shape));
	p->axis = -1;
	if (s->shape.rank == 1 && p->count > 1) {
		int64_t a = attr_int(n, "axis", 1);
		if (a < -x->shape.rank || a >= x->shape.rank)
			fatal_node(n, "per-axis quantization axis %lld is out of range for '%s' %s", (long long)a, x->name,
			           shape_str(&x->shape));
		p->axis = (int)(a < 0 ? a + x->shape.rank : a);
		if (x->shape.d[p->axis] != p->count)
			fatal_node(n, "scale '%s' has %lld values but axis %d of '%s' %s has %lld", s->name,
			           (long long)p->count, p->axis, x->name, shape_str(&x->shape),
			           (long long)x->shape.d[p->axis]);
		if (p->axis == 0 && x->batched)
			fatal_node(n, "per-axis quantization along the run-time batch of '%s'; fix the batch with --dim to "
			              "compile this", x->name);
	}
	p->scale = xalloc((size_t)p->count * sizeof *p->scale);
	p->zp = xalloc((size_t)p->count * sizeof *p->zp);
	for (int64_t i = 0; i < p->count; i++) {
		float v = tensor_f32(s)[i];
		if (!(v > 0.0f) || !isfinite(v))
			fatal_node(n, "scale '%s' element %lld is %g; a scale must be positive and finite", s->name, (long long)i,
			           (double)v);
		p->scale[i] = v;
		p->zp[i] = z ? (float)const_elem_d(n, z, i) : 0.0f;
	}
	n->p = p;
	set_out(n, 0, dq ? DT_FLOAT : p->qtype, &x->shape, x->batched);
}

void quantizelinear_parse(Graph *g, Node *n) { (void)g; quant_parse(n, false); }
void dequantizelinear_parse(Graph *g, Node *n) { (void)g; quant_parse(n, true); }

static void quant_infer(Node *n)
{
	const QuantP *p = n->p;
	set_out(n, 0, p->dq ? DT_FLOAT : p->qtype, &n->in[0]->shape, n->in[0]->batched);
}

void quantizelinear_infer(Graph *g, Node *n) { (void)g; quant_infer(n); }
void dequantizelinear_infer(Graph *g, Node *n) { (void)g; quant_infer(n); }

static float qmin(DType t) { return t == DT_INT8 ? -128.0f : 0.0f; }
static float qmax(DType t) { return t == DT_INT8 ? 127.0f : 255.0f; }

/* The index into the scales of element i of x (row-major). */
static int64_t scale_index(const QuantP *p, const Shape *xs, int64_t i)
{
	if (p->axis < 0)
		return 0;
	int64_t inner = 1;
	for (int d = p->axis + 1; d < xs->rank; d++)
		inner *= xs->d[d];
	return i / inner % xs->d[p->axis];
}

static bool quant_fold(Node *n)
{
	const QuantP *p = n->p;
	const Tensor *x = n->in[0];
	Tensor *y = n->out[0];
	int64_t cnt = shape_numel(&x->shape);
	void *out = move_alloc(y);
	if (p->dq) { /* the int8 kernels take the quantized values back (opt_fuse_qconv) */
		DqFold *r = xalloc(sizeof *r);
		*r = (DqFold){ x, p->axis, p->count, p->scale, p->zp };
		y->dq = r;
	}
	for (int64_t i = 0; i < cnt; i++) {
		int64_t c = scale_index(p, &x->shape, i);
		if (p->dq) {
			((float *)out)[i] = (float)(const_elem_d(n, x, i) - (double)p->zp[c]) * p->scale[c];
		} else {
			float v = nearbyintf(tensor_f32(x)[i] / p->scale[c]) + p->zp[c];
			v = fminf(fmaxf(v, qmin(p->qtype)), qmax(p->qtype));
			if (p->qtype == DT_INT8)
				((int8_t *)out)[i] = (int8_t)v;
			else
				((uint8_t *)out)[i] = (uint8_t)v;
		}
	}
	return true;
}

bool quant_per_tensor(const Node *n, float *scale, int32_t *zp, DType *qtype)
{
	if (n->dead || (n->op != OP_QuantizeLinear && n->op != OP_DequantizeLinear))
		return false;
	const QuantP *p = n->p;
	if (p->axis >= 0 || p->count != 1)
		return false;
	*scale = p->scale[0];
	*zp = (int32_t)p->zp[0];
	*qtype = p->qtype;
	return true;
}

bool quant_u8(const Node *n, float *scale, int32_t *zp, DType *qtype)
{
	if (!quant_per_tensor(n, scale, zp, qtype))
		return false;
	*zp += *qtype == DT_INT8 ? 128 : 0;
	return true;
}

/* Quantized value of v at scale ys and zero point yzp (u8 domain), saturated. */
static int32_t quantize_bound(float v, float ys, int32_t yzp)
{
	float f = nearbyintf(v / ys) + (float)yzp;
	return f < 0 ? 0 : f > 255 ? 255 : (int32_t)f;
}

bool q_act_clamp(const Act *a, float ys, int32_t yzp, int32_t *lo, int32_t *hi)
{
	*lo = 0;
	*hi = 255;
	if (a->kind == ACT_RELU) {
		*lo = yzp;
	} else if (a->kind == ACT_CLIP) {
		*lo = quantize_bound(a->a, ys, yzp);
		*hi = quantize_bound(a->b, ys, yzp);
		if (*hi < *lo)
			*hi = *lo;
	} else if (a->kind != ACT_NONE) {
		return false;
	}
	return true;
}

float dq_scale(const DqFold *d, int64_t m) { return d->scale[d->count > 1 ? m : 0]; }

bool dq_zero_points_zero(const DqFold *d)
{
	for (int64_t i = 0; i < d->count; i++)
		if (d->zp[i] != 0.0f)
			return false;
	return true;
}

bool q_bias_at_scale(const DqFold *wd, const DqFold *bd, int64_t n, float xs)
{
	for (int64_t m = 0; bd && m < n; m++) {
		float want = xs * dq_scale(wd, m), got = dq_scale(bd, m);
		if (fabsf(got - want) > 1e-6f * want)
			return false;
	}
	return true;
}

bool q_fold_bias(const DqFold *wd, const DqFold *bd, const int32_t *colsum, int64_t n, float xs, int32_t xzp, float ys,
                 int32_t **bias, float **mult)
{
	*bias = xalloc((size_t)n * sizeof **bias);
	*mult = xalloc((size_t)n * sizeof **mult);
	for (int64_t m = 0; m < n; m++) {
		int64_t b = bd ? ((const int32_t *)bd->q->data)[m] : 0; /* [n]: the callers checked */
		b -= (int64_t)xzp * colsum[m];
		if (b < INT32_MIN || b > INT32_MAX)
			return false;
		(*bias)[m] = (int32_t)b;
		(*mult)[m] = xs * dq_scale(wd, m) / ys; /* in float, in ORT's order */
	}
	return true;
}

const char *emit_weights_i32(Emit *e, const int32_t *v, int64_t n)
{
	float *f = xalloc((size_t)n * sizeof *f);
	memcpy(f, v, (size_t)n * sizeof *v);
	return emit_weights(e, f, (size_t)n);
}

void q_take(Node *k, Node *dq, Node *act, Node *q, int op, const char *op_type, void *p)
{
	node_add_cover(k, dq);
	if (dq->out[0]->nuses == 1) /* the DQ's float output: nothing else reads it */
		dq->dead = true;
	if (act)
		node_absorb(k, act);
	node_absorb(k, q);
	Tensor **in = xalloc(sizeof *in);
	in[0] = dq->in[0];
	k->in = in;
	k->nin = 1;
	k->op = op;
	k->op_type = op_type;
	k->act = (Act){ ACT_NONE, 0, 0 };
	k->p = p;
}

bool quantizelinear_fold(Graph *g, Node *n) { (void)g; return quant_fold(n); }
bool dequantizelinear_fold(Graph *g, Node *n) { (void)g; return quant_fold(n); }

/* A scale or zero-point operand: a literal per tensor, else the count values
 * shaped to broadcast along the axis of x. */
static EltOperand param_operand(Emit *e, const QuantP *p, const Shape *xs, const float *v)
{
	EltOperand o = { .in = -1, .scalar = v[0] };
	if (p->axis < 0) {
		o.shape = (Shape){ .rank = 0 };
		return o;
	}
	o.shape.rank = xs->rank;
	for (int d = 0; d < xs->rank; d++)
		o.shape.d[d] = d == p->axis ? p->count : 1;
	o.ptr = emit_weights(e, v, (size_t)p->count);
	return o;
}

void emit_q8_convert(Emit *e, const Shape *s, bool to_q8, float scale, int zp)
{
	emit_need(e, "int8/qconvert.c");
	const char *x = to_q8 ? "in0" : "(const uint8_t *)in0", *y = to_q8 ? "(uint8_t *)out0" : "out0";
	const char *fn = to_q8 ? "quantize" : "dequantize";
	if (s->rank == 4)
		emitf(e, "\to2c_%s_%s(%s, %s, /*N*/%lld, /*C*/%lld, /*HW*/%lld, %s, %d, 0, %lld);\n", fn,
		      to_q8 ? "nchw_nhwc" : "nhwc_nchw", x, y, (long long)s->d[0], (long long)s->d[1],
		      (long long)(s->d[2] * s->d[3]), c_float(scale), zp, (long long)s->d[1]);
	else
		emitf(e, "\to2c_%s(%s, %s, %lld, %s, %d, 0);\n", fn, x, y, (long long)shape_numel(s), c_float(scale), zp);
}

/* Q into, or DQ out of, a q8 tensor of the int8 region (passes/opt_int8_layout.c chose it: per tensor only). */
static void quant_emit_q8(Emit *e, Node *n)
{
	const QuantP *p = n->p;
	ASSERT(p->axis < 0);
	emit_q8_convert(e, &(p->dq ? n->in[0] : n->out[0])->shape, !p->dq, p->scale[0],
	                (int)p->zp[0] + (p->qtype == DT_INT8 ? 128 : 0));
}

static void quant_emit(Emit *e, Node *n)
{
	const QuantP *p = n->p;
	if ((p->dq ? n->in[0] : n->out[0])->q8) {
		quant_emit_q8(e, n);
		return;
	}
	const Shape *xs = &n->in[0]->shape;
	EltOperand ops[3] = { elt_input(e, n, 0), param_operand(e, p, xs, p->scale), param_operand(e, p, xs, p->zp) };
	/* x0 - x2 is exact: both are small integers in float */
	const char *expr = p->dq ? "(x0 - x2) * x1"
	                         : xsprintf("fminf(fmaxf(nearbyintf(x0 / x1) + x2, %s), %s)", c_float(qmin(p->qtype)),
	                                    c_float(qmax(p->qtype)));
	emit_eltwise(e, n, &n->out[0]->shape, 3, ops, expr);
}

void quantizelinear_emit(Emit *e, Node *n) { quant_emit(e, n); }
void dequantizelinear_emit(Emit *e, Node *n) { quant_emit(e, n); }
