/*
 * ops/softmax.c - Softmax and LogSoftmax.
 *
 * Both reduce to "softmax along the middle axis of [outer][len][inner]":
 * before opset 13 the input is coerced to 2-D at `axis` (default 1), so
 * len is the product of the dims from axis on and inner is 1; from opset 13
 * the softmax runs along the single axis `axis` (default -1).  The kernel is
 * o2c_softmax_f32 in templates/eltwise.c.
 *
 * Batch: the per-sample shape has d[0] == 1, so outer counts rows inside
 * one sample.  Axis 0 of a batched tensor would normalise across samples
 * and is refused; the old 2-D coercion at axis >= 1 stays within a sample.
 */
#include "elem.h"

#include <math.h>

typedef struct {
	int64_t outer, len, inner;
	bool log;
} SoftmaxP;

static void sm_infer(Node *n, bool log)
{
	const Tensor *x = n->in[0];
	if (!tensor_is_const(x))
		require_float(n, 0);
	else if (x->dtype != DT_FLOAT)
		fatal_unsupported(n, "input is %s; only float is supported", dtype_name(x->dtype));
	int r = x->shape.rank;
	if (r == 0)
		fatal_node(n, "input '%s' is a scalar; %s needs at least one axis", x->name, n->op_type);
	bool old = n->opset < 13;
	int axis = norm_axis(n, attr_int(n, "axis", old ? 1 : -1), r, "axis");
	check_batch_axis(n, x, axis, n->op_type);
	SoftmaxP *p = xalloc(sizeof *p);
	p->outer = p->len = p->inner = 1;
	p->log = log;
	for (int i = 0; i < r; i++) {
		if (i < axis)
			p->outer *= x->shape.d[i];
		else if (i == axis || old)
			p->len *= x->shape.d[i];
		else
			p->inner *= x->shape.d[i];
	}
	n->p = p;
	infer_same(n);
}

static bool sm_fold(Node *n)
{
	const SoftmaxP *p = n->p;
	const float *x = tensor_f32(n->in[0]);
	Tensor *yt = n->out[0];
	float *y = yt->data = xalloc((size_t)shape_numel(&yt->shape) * sizeof(float));
	for (int64_t o = 0; o < p->outer; o++)
		for (int64_t j = 0; j < p->inner; j++) {
			const float *xr = x + o * p->len * p->inner + j;
			float *yr = y + o * p->len * p->inner + j;
			double m = xr[0], s = 0;
			for (int64_t k = 1; k < p->len; k++)
				m = fmax(m, xr[k * p->inner]);
			for (int64_t k = 0; k < p->len; k++)
				s += exp(xr[k * p->inner] - m);
			for (int64_t k = 0; k < p->len; k++) {
				double v = xr[k * p->inner] - m;
				yr[k * p->inner] = (float)(p->log ? v - log(s) : exp(v) / s);
			}
		}
	return true;
}

static void sm_emit(Emit *e, Node *n)
{
	const SoftmaxP *p = n->p;
	emit_need(e, "eltwise.c");
	emitf(e, "\to2c_softmax_f32(out0, in0, %lld, %lld, %lld, %d);\n", (long long)p->outer, (long long)p->len,
	      (long long)p->inner, p->log ? 1 : 0);
}

void softmax_parse(Graph *g, Node *n) { parse_none(g, n); }
void softmax_infer(Graph *g, Node *n) { (void)g; sm_infer(n, false); }
bool softmax_fold(Graph *g, Node *n) { (void)g; return sm_fold(n); }
void softmax_emit(Emit *e, Node *n) { sm_emit(e, n); }

void logsoftmax_parse(Graph *g, Node *n) { parse_none(g, n); }
void logsoftmax_infer(Graph *g, Node *n) { (void)g; sm_infer(n, true); }
bool logsoftmax_fold(Graph *g, Node *n) { (void)g; return sm_fold(n); }
void logsoftmax_emit(Emit *e, Node *n) { sm_emit(e, n); }
