/*
 * ops/elem.c - the one loop emitter behind every elementwise operator
 * (activations, arithmetic with broadcasting, BatchNormalization, Cast), and
 * the small helpers their fold hooks share.
 *
 * The emitter writes plain nested loops with literal bounds and strides.
 * Size-1 axes are dropped and neighbouring axes merged whenever every
 * operand walks them contiguously (or not at all), so a per-channel bias
 * over [1,64,56,56] becomes a 64 x 3136 loop nest whose inner loop the C
 * compiler vectorises; a same-shape operation becomes one flat loop.
 */
#include "elem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void bcast_strides(const Shape *in, const Shape *out, int64_t *strides)
{
	int64_t st = 1;
	for (int i = out->rank - 1; i >= 0; i--) {
		int k = i - (out->rank - in->rank);
		if (k < 0 || in->d[k] == 1) {
			strides[i] = 0;
		} else {
			ASSERT(in->d[k] == out->d[i]);
			strides[i] = st;
		}
		if (k >= 0)
			st *= in->d[k];
	}
}

int64_t bcast_offset(const int64_t *strides, const Shape *out, int64_t linear)
{
	int64_t off = 0;
	for (int i = out->rank - 1; i >= 0; i--) {
		off += linear % out->d[i] * strides[i];
		linear /= out->d[i];
	}
	return off;
}

bool tensor_used(const Graph *g, const Tensor *t)
{
	if (!t)
		return false;
	if (t->kind == T_OUTPUT)
		return true;
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == t)
			return true;
	for (int i = 0; i < g->nnodes; i++) {
		const Node *m = g->nodes[i];
		if (m->dead)
			continue;
		for (int j = 0; j < m->nin; j++)
			if (m->in[j] == t)
				return true;
	}
	return false;
}

void check_not_batch(const Node *n, int64_t v)
{
	if (v == SYM_BATCH)
		fatal_node(n, "this arithmetic uses the run-time batch size (from Shape of a batched input), "
		              "which is unknown at compile time; fix the batch with --dim to compile this");
}

EltOperand elt_input(Emit *e, const Node *n, int j)
{
	const Tensor *t = n->in[j];
	EltOperand o = { .in = -1, .shape = t->shape };
	if (!tensor_is_const(t))
		o.in = j;
	else if (shape_numel(&t->shape) == 1)
		o.scalar = tensor_f32(t)[0];
	else
		o.ptr = emit_const(e, t);
	return o;
}

/* "i0 * 3136 + i1" for the given per-loop strides; "0" when all are 0. */
static const char *index_expr(int m, const int64_t *st)
{
	const char *s = NULL;
	for (int a = 0; a < m; a++) {
		if (!st[a])
			continue;
		const char *term = st[a] == 1 ? xsprintf("i%d", a) : xsprintf("i%d * %lld", a, (long long)st[a]);
		s = s ? xsprintf("%s + %s", s, term) : term;
	}
	return s ? s : "0";
}

void emit_eltwise(Emit *e, const Node *n, const Shape *out, int nops, const EltOperand *ops, const char *expr)
{
	/* operand k's strides are st[k]; the output's are st[nops], the residual's st[nops+1] */
	int nst = nops + 2;
	int64_t (*st)[MAX_RANK] = xalloc((size_t)nst * sizeof *st);
	for (int k = 0; k < nops; k++)
		bcast_strides(&ops[k].shape, out, st[k]);
	bcast_strides(out, out, st[nops]);
	bcast_strides(out, out, st[nops + 1]);

	/* merged loops: dims cd, strides cs[k] */
	int64_t cd[MAX_RANK];
	int64_t (*cs)[MAX_RANK] = xalloc((size_t)nst * sizeof *cs);
	int m = 0;
	for (int a = 0; a < out->rank; a++) {
		if (out->d[a] == 1)
			continue;
		bool merge = m > 0;
		for (int k = 0; merge && k < nst; k++)
			if (cs[k][m - 1] != st[k][a] * out->d[a])
				merge = false;
		if (merge) {
			cd[m - 1] *= out->d[a];
			for (int k = 0; k < nst; k++)
				cs[k][m - 1] = st[k][a];
		} else {
			cd[m] = out->d[a];
			for (int k = 0; k < nst; k++)
				cs[k][m] = st[k][a];
			m++;
		}
	}
	if (m == 0) { /* a single element */
		cd[0] = 1;
		for (int k = 0; k < nst; k++)
			cs[k][0] = 0;
		m = 1;
	}

	int64_t total = shape_numel(out);
	const char *ity = total < INT32_MAX ? "int" : "ptrdiff_t";
	for (int k = 0; k < nops; k++)
		if (ops[k].in < 0 && ops[k].ptr)
			emitf(e, "\tconst float *restrict w%d = %s;\n", k, ops[k].ptr);
	if (total >= ELT_PAR_MIN) { /* shared by the team; a small one runs on thread 0 */
		emit_team(e);
		emitf(e, m >= 3 && cd[0] < 16 ? "\tO2C_OMP(for collapse(2) nowait)\n" : "\tO2C_OMP(for nowait)\n");
	}
	char ind[MAX_RANK + 2];
	int depth = 0;
	for (int a = 0; a < m; a++) {
		memset(ind, '\t', (size_t)a + 1);
		ind[a + 1] = 0;
		emitf(e, "%sfor (%s i%d = 0; i%d < %lld; i%d++)%s\n", ind, ity, a, a, (long long)cd[a], a,
		      a == m - 1 ? " {" : "");
		depth = a + 1;
	}
	memset(ind, '\t', (size_t)depth + 1);
	ind[depth + 1] = 0;
	for (int k = 0; k < nops; k++) {
		if (ops[k].in >= 0)
			emitf(e, "%sconst float x%d = in%d[%s];\n", ind, k, ops[k].in, index_expr(m, cs[k]));
		else if (ops[k].ptr)
			emitf(e, "%sconst float x%d = w%d[%s];\n", ind, k, k, index_expr(m, cs[k]));
		else
			emitf(e, "%sconst float x%d = %s;\n", ind, k, c_float(ops[k].scalar));
	}
	const char *oi = index_expr(m, cs[nops]);
	if (n->residual || n->act.kind != ACT_NONE) {
		emitf(e, "%sconst float y = %s%s%s;\n", ind, expr, n->residual ? " + res" : "",
		      n->residual ? xsprintf("[%s]", index_expr(m, cs[nops + 1])) : "");
		emitf(e, "%sout0[%s] = %s;\n", ind, oi, act_c_expr(&n->act, "y"));
	} else {
		emitf(e, "%sout0[%s] = %s;\n", ind, oi, expr);
	}
	memset(ind, '\t', (size_t)depth);
	ind[depth] = 0;
	emitf(e, "%s}\n", ind);
}

/* Broadcasts inputs [first, first+count) together, with the batch rules of
 * binary.c: a batched operand keeps the result's rank, an unbatched one has
 * 1 on axis 0. */
void bcast_batched(const Node *n, int first, int count, Shape *s, bool *batched)
{
	*s = n->in[first]->shape;
	*batched = false;
	for (int j = first; j < first + count; j++) {
		if (!n->in[j])
			fatal_node(n, "input %d is missing", j);
		*batched |= n->in[j]->batched;
		if (j > first) {
			Shape prev = *s;
			broadcast_shape(n, &prev, &n->in[j]->shape, s);
		}
	}
	for (int j = first; j < first + count && *batched; j++) {
		const Tensor *t = n->in[j];
		if (t->batched && t->shape.rank != s->rank)
			fatal_node(n, "batched input '%s' of rank %d broadcasts to rank %d, which moves the run-time batch "
			              "off axis 0; fix the batch with --dim to compile this", t->name, t->shape.rank, s->rank);
		if (!t->batched && t->shape.rank == s->rank && t->shape.d[0] != 1)
			fatal_node(n, "input '%s' %s has %lld entries on axis 0, which is the run-time batch of the other "
			              "input; fix the batch with --dim to compile this", t->name, shape_str(&t->shape),
			           (long long)t->shape.d[0]);
	}
}

/* Element i of a constant of any numeric type, as double (int64 shape
 * values stay exact up to 2^53, far beyond any tensor dimension). */
double const_elem_d(const Node *n, const Tensor *t, int64_t i)
{
	const void *d = t->data;
	switch (t->dtype) {
	case DT_FLOAT: return ((const float *)d)[i];
	case DT_DOUBLE: return ((const double *)d)[i];
	case DT_BOOL: case DT_UINT8: return ((const uint8_t *)d)[i];
	case DT_INT8: return ((const int8_t *)d)[i];
	case DT_INT16: return ((const int16_t *)d)[i];
	case DT_UINT16: return ((const uint16_t *)d)[i];
	case DT_INT32: return ((const int32_t *)d)[i];
	case DT_UINT32: return ((const uint32_t *)d)[i];
	case DT_INT64: {
		int64_t v = ((const int64_t *)d)[i];
		check_not_batch(n, v);
		return (double)v;
	}
	case DT_UINT64: return (double)((const uint64_t *)d)[i];
	default: UNREACHABLE();
	}
}
