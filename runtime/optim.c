/*
 * optim.c - SGD (momentum, dampening, Nesterov, L2 weight decay) and AdamW on
 * one flat parameter buffer, with parameter groups (ranges with their own lr
 * scale and weight decay), and the learning-rate schedules.
 *
 * The update formulas are torch.optim.SGD's and torch.optim.AdamW's (the
 * single-tensor path), restated step by step in float32 so ten steps agree
 * with PyTorch to rounding.  The schedules are the closed forms that
 * torch.optim.lr_scheduler documents.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx2c_rt.h"
#include "rt_internal.h"

static int optim_alloc(RtOptim *o, size_t n, size_t per)
{
	o->n = n;
	o->step = 0;
	o->groups = NULL;
	o->ngroups = 0;
	o->state = calloc(n * per > 0 ? n * per : 1, sizeof(float));
	return o->state ? RT_OK : rt_fail(RT_ERR_NOMEM, "optimizer: cannot allocate %zu floats of state", n * per);
}

int rt_sgd_init(RtOptim *o, size_t n, double momentum, double dampening, int nesterov, double weight_decay)
{
	memset(o, 0, sizeof *o);
	if (momentum < 0.0 || weight_decay < 0.0 || (nesterov && (momentum <= 0.0 || dampening != 0.0)))
		return rt_fail(RT_ERR_ARG, "SGD: Nesterov needs momentum > 0 and dampening 0 (as torch.optim.SGD)");
	o->kind = RT_SGD;
	o->momentum = momentum;
	o->dampening = dampening;
	o->nesterov = nesterov;
	o->weight_decay = weight_decay;
	return optim_alloc(o, n, momentum != 0.0 ? 1 : 0);
}

int rt_adamw_init(RtOptim *o, size_t n, double beta1, double beta2, double eps, double weight_decay)
{
	memset(o, 0, sizeof *o);
	if (beta1 < 0.0 || beta1 >= 1.0 || beta2 < 0.0 || beta2 >= 1.0 || eps < 0.0)
		return rt_fail(RT_ERR_ARG, "AdamW: betas must be in [0,1) and eps >= 0");
	o->kind = RT_ADAMW;
	o->beta1 = beta1;
	o->beta2 = beta2;
	o->eps = eps;
	o->weight_decay = weight_decay;
	return optim_alloc(o, n, 2);
}

size_t rt_optim_state_size(const RtOptim *o)
{
	if (o->kind == RT_ADAMW)
		return 2 * o->n;
	return o->momentum != 0.0 ? o->n : 0;
}

void rt_optim_free(RtOptim *o)
{
	free(o->state);
	o->state = NULL;
}

/* Scalars are rounded to float once, as PyTorch passes Python floats to float32 kernels. */
static void sgd_range(RtOptim *o, float *p, const float *g, size_t a, size_t b, double lr, double wd)
{
	const float mom = (float)o->momentum, damp = (float)(1.0 - o->dampening), flr = (float)lr, fwd = (float)wd;
	const int first = o->step == 0, nesterov = o->nesterov;
	float *buf = o->state;
	RT_OMP(parallel for schedule(static) if((double)(b - a) > RT_PAR_MIN))
	for (size_t i = a; i < b; i++) {
		float d = g[i];
		if (fwd != 0.0f)
			d = d + fwd * p[i];
		if (mom != 0.0f) {
			/* torch: the buffer starts as the (decayed) gradient itself, undampened */
			buf[i] = first ? d : buf[i] * mom + damp * d;
			d = nesterov ? d + mom * buf[i] : buf[i];
		}
		p[i] = p[i] - flr * d;
	}
}

static void adamw_range(RtOptim *o, float *p, const float *g, size_t a, size_t b, double lr, double wd)
{
	const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
	const float one_b1 = (float)(1.0 - o->beta1), one_b2 = (float)(1.0 - o->beta2);
	const double bc1 = 1.0 - pow(o->beta1, (double)o->step), bc2 = 1.0 - pow(o->beta2, (double)o->step);
	const float step_size = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2), decay = (float)(1.0 - lr * wd);
	float *m = o->state, *v = o->state + o->n;
	RT_OMP(parallel for schedule(static) if((double)(b - a) > RT_PAR_MIN))
	for (size_t i = a; i < b; i++) {
		p[i] = p[i] * decay;
		m[i] = m[i] * b1 + one_b1 * g[i];
		v[i] = v[i] * b2 + one_b2 * g[i] * g[i];
		const float denom = sqrtf(v[i]) / bc2_sqrt + eps;
		p[i] = p[i] - step_size * (m[i] / denom);
	}
}

void rt_optim_step(RtOptim *o, float *params, const float *grads, double lr)
{
	if (o->kind == RT_ADAMW)
		o->step++; /* AdamW's bias correction counts from 1 */
	const int ng = o->groups ? o->ngroups : 1;
	for (int k = 0; k < ng; k++) {
		const size_t a = o->groups ? o->groups[k].begin : 0, b = o->groups ? o->groups[k].end : o->n;
		const double glr = o->groups ? lr * o->groups[k].lr_scale : lr;
		const double wd = o->groups ? o->groups[k].weight_decay : o->weight_decay;
		if (o->kind == RT_ADAMW)
			adamw_range(o, params, grads, a, b, glr, wd);
		else
			sgd_range(o, params, grads, a, b, glr, wd);
	}
	if (o->kind == RT_SGD)
		o->step++;
}

/* --------------------------------------------------------------- schedules */

double rt_sched_lr(const RtSched *s, long t)
{
	const double pi = 3.14159265358979323846;
	switch (s->kind) {
	case RT_SCHED_STEP:
		return s->base_lr * pow(s->gamma, (double)(t / s->step_size));
	case RT_SCHED_COSINE:
		return s->eta_min + (s->base_lr - s->eta_min) * (1.0 + cos(pi * (double)t / s->t_max)) / 2.0;
	case RT_SCHED_LINEAR: {
		const long tt = t < s->total ? t : s->total;
		return s->base_lr * (s->start_factor + (s->end_factor - s->start_factor) * (double)tt / s->total);
	}
	case RT_SCHED_WARMUP_COSINE: {
		if (t < s->total)
			return s->base_lr * (s->start_factor + (1.0 - s->start_factor) * (double)t / s->total);
		const double tc = (double)(t - s->total), tm = (double)(s->t_max - s->total);
		return s->eta_min + (s->base_lr - s->eta_min) * (1.0 + cos(pi * tc / tm)) / 2.0;
	}
	case RT_SCHED_CONST:
	default:
		return s->base_lr;
	}
}

int rt_sched_parse(RtSched *s, const char *spec, double base_lr)
{
	memset(s, 0, sizeof *s);
	s->base_lr = base_lr;
	double a = 0, b = 0, c = 0, d = 0;
	int n;
	if (!strcmp(spec, "const")) {
		s->kind = RT_SCHED_CONST;
		return RT_OK;
	}
	if (sscanf(spec, "step:%lf:%lf%n", &a, &b, &n) == 2 && !spec[n] && a >= 1) {
		s->kind = RT_SCHED_STEP;
		s->step_size = (int)a;
		s->gamma = b;
		return RT_OK;
	}
	const int nc = sscanf(spec, "cosine:%lf:%lf", &a, &b);
	if (!strncmp(spec, "cosine:", 7) && nc >= 1 && a >= 1) {
		s->kind = RT_SCHED_COSINE;
		s->t_max = (int)a;
		s->eta_min = nc == 2 ? b : 0.0;
		return RT_OK;
	}
	if (sscanf(spec, "linear:%lf:%lf:%lf%n", &a, &b, &c, &n) == 3 && !spec[n] && c >= 1) {
		s->kind = RT_SCHED_LINEAR;
		s->start_factor = a;
		s->end_factor = b;
		s->total = (int)c;
		return RT_OK;
	}
	const int nw = sscanf(spec, "warmup-cosine:%lf:%lf:%lf:%lf", &a, &b, &c, &d);
	if (!strncmp(spec, "warmup-cosine:", 14) && nw >= 2 && a >= 1 && b > a) {
		s->kind = RT_SCHED_WARMUP_COSINE;
		s->total = (int)a;
		s->t_max = (int)b;
		s->start_factor = nw >= 3 ? c : 0.1;
		s->eta_min = nw >= 4 ? d : 0.0;
		return RT_OK;
	}
	return rt_fail(RT_ERR_ARG,
	               "bad schedule '%s' (want const, step:SIZE:GAMMA, cosine:TMAX[:ETA_MIN], "
	               "linear:START:END:TOTAL or warmup-cosine:WARMUP:TMAX[:START[:ETA_MIN]])",
	               spec);
}
