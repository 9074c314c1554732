/*
 * ops/bn.c - BatchNormalization in inference mode.
 *
 * Scale, bias, mean and variance are compile-time constants, so the
 * normalisation collapses to y = x * s[c] + t[c] with
 *   s = scale / sqrt(var + epsilon),  t = bias - mean * s
 * computed here in double and emitted as new weights.  Training mode (the
 * training_mode attribute, or any of the running-statistics outputs being
 * used) is refused.  Opsets 7 and 8 have `spatial`: spatial=0 means one
 * statistic per element of a sample instead of per channel, which is the
 * same loop with s and t shaped like a sample.
 */
#include "elem.h"

#include <math.h>

typedef struct {
	float *s, *t;      /* per channel, or per element of a sample when !spatial */
	Shape st_shape;    /* their shape, aligned to the input's trailing axes */
} BnP;

void bn_parse(Graph *g, Node *n)
{
	if (attr_int(n, "training_mode", 0))
		fatal_unsupported(n, "training_mode=1 (only inference is compiled)");
	for (int j = 1; j < n->nout; j++)
		if (tensor_used(g, n->out[j]))
			fatal_unsupported(n, "output %d '%s' (running statistics) is used; only inference is compiled", j,
			                  n->out[j]->name);
	for (int j = 1; j < 5; j++) {
		const Tensor *t = n->in[j];
		if (!tensor_is_const(t))
			fatal_unsupported(n, "input %d '%s' is computed at run time; scale, bias, mean and variance "
			                     "must be constants", j, t->name);
		if (t->dtype != DT_FLOAT)
			fatal_unsupported(n, "input %d '%s' is %s; only float is supported", j, t->name,
			                  dtype_name(t->dtype));
	}
	n->p = xalloc(sizeof(BnP));
}

void bn_infer(Graph *g, Node *n)
{
	(void)g;
	BnP *p = n->p;
	const Tensor *x = n->in[0];
	if (!tensor_is_const(x))
		require_float(n, 0);
	else if (x->dtype != DT_FLOAT)
		fatal_unsupported(n, "input is %s; only float is supported", dtype_name(x->dtype));
	if (x->shape.rank < 2)
		fatal_node(n, "input '%s' has shape %s; BatchNormalization needs [N,C,...]", x->name,
		           shape_str(&x->shape));
	int64_t c = x->shape.d[1];
	bool spatial = n->opset >= 9 || attr_int(n, "spatial", 1) != 0;
	Shape want = { .rank = 1, .d = { c } };
	if (!spatial) {
		/* one statistic per element of a sample: shape x.shape[1:] */
		want.rank = x->shape.rank - 1;
		for (int i = 1; i < x->shape.rank; i++)
			want.d[i - 1] = x->shape.d[i];
	}
	int64_t cnt = shape_numel(&want);
	for (int j = 1; j < 5; j++)
		if (shape_numel(&n->in[j]->shape) != cnt)
			fatal_node(n, "input %d '%s' has shape %s; %s needs %lld values", j, n->in[j]->name,
			           shape_str(&n->in[j]->shape), spatial ? "one per channel" : "spatial=0",
			           (long long)cnt);
	p->st_shape = want;
	if (spatial) { /* [C] -> [C,1,...,1] so that it lines up with axis 1 */
		p->st_shape.rank = x->shape.rank - 1;
		for (int i = 1; i < p->st_shape.rank; i++)
			p->st_shape.d[i] = 1;
	}

	float eps = attr_float(n, "epsilon", 1e-5f);
	const float *scale = tensor_f32(n->in[1]), *bias = tensor_f32(n->in[2]);
	const float *mean = tensor_f32(n->in[3]), *var = tensor_f32(n->in[4]);
	p->s = xalloc((size_t)cnt * sizeof(float));
	p->t = xalloc((size_t)cnt * sizeof(float));
	for (int64_t i = 0; i < cnt; i++) {
		double s = (double)scale[i] / sqrt((double)var[i] + (double)eps);
		p->s[i] = (float)s;
		p->t[i] = (float)((double)bias[i] - (double)mean[i] * s);
	}
	set_out(n, 0, DT_FLOAT, &x->shape, x->batched);
	/* the unused statistics outputs still get a type; nothing computes them */
	for (int j = 1; j < n->nout; j++)
		set_out(n, j, DT_FLOAT, &want, false);
}

bool bn_fold(Graph *g, Node *n)
{
	(void)g;
	const BnP *p = n->p;
	const Tensor *x = n->in[0];
	Tensor *y = n->out[0];
	int64_t cnt = shape_numel(&x->shape), st[MAX_RANK];
	bcast_strides(&p->st_shape, &x->shape, st);
	y->data = xalloc((size_t)cnt * sizeof(float));
	for (int64_t i = 0; i < cnt; i++) {
		int64_t o = bcast_offset(st, &x->shape, i);
		((float *)y->data)[i] = tensor_f32(x)[i] * p->s[o] + p->t[o];
	}
	for (int j = 1; j < n->nout; j++)
		if (n->out[j]) /* never read (bn_parse checked); a value keeps the folding contract */
			n->out[j]->data = xalloc((size_t)shape_numel(&n->out[j]->shape) * sizeof(float));
	return true;
}

void bn_emit(Emit *e, Node *n)
{
	const BnP *p = n->p;
	size_t cnt = (size_t)shape_numel(&p->st_shape);
	EltOperand ops[3] = {
		{ .in = 0, .shape = n->in[0]->shape },
		{ .in = -1, .ptr = emit_weights(e, p->s, cnt), .shape = p->st_shape },
		{ .in = -1, .ptr = emit_weights(e, p->t, cnt), .shape = p->st_shape },
	};
	emit_eltwise(e, n, &n->out[0]->shape, 3, ops, "x0 * x1 + x2");
}
