/*
 * ops/move.c - the copy engine behind Transpose, Slice, Pad, Gather, Concat
 * and Split (see move.h): folding at compile time and run-time loop emission
 * from one description, so the two cannot disagree.
 */
#include "move.h"

#include <math.h>
#include <string.h>

int64_t move_strides(const Shape *s, int64_t *st)
{
	int64_t n = 1;
	for (int d = s->rank - 1; d >= 0; d--) {
		st[d] = n;
		n *= s->d[d];
	}
	return n;
}

Move move_contig(const Shape *s)
{
	Move m = { .rank = s->rank };
	move_strides(s, m.ds);
	for (int d = 0; d < s->rank; d++) {
		m.n[d] = s->d[d];
		m.ss[d] = m.ds[d];
	}
	return m;
}

int64_t move_count(const Move *m)
{
	int64_t c = 1;
	for (int d = 0; d < m->rank; d++)
		c *= m->n[d];
	return c;
}

void move_simplify(Move *m)
{
	if (move_count(m) == 0)
		return;
	Move r = *m;
	r.rank = 0;
	for (int d = 0; d < m->rank; d++) {
		if (m->n[d] == 1) { /* its only index is 0: fold its offset */
			if (m->tab[d])
				r.src_off += m->tab[d][0];
			continue;
		}
		int k = r.rank;
		if (k > 0 && !r.tab[k - 1] && !m->tab[d] && r.ds[k - 1] == m->n[d] * m->ds[d] &&
		    r.ss[k - 1] == m->n[d] * m->ss[d]) {
			r.n[k - 1] *= m->n[d];
			r.ds[k - 1] = m->ds[d];
			r.ss[k - 1] = m->ss[d];
			continue;
		}
		r.n[k] = m->n[d];
		r.ds[k] = m->ds[d];
		r.ss[k] = m->ss[d];
		r.tab[k] = m->tab[d];
		r.rank++;
	}
	*m = r;
}

static void run_rec(const Move *m, int d, char *dst, const char *src, int64_t doff, int64_t soff, size_t es)
{
	if (d == m->rank) {
		memcpy(dst + doff * (int64_t)es, src + soff * (int64_t)es, es);
		return;
	}
	for (int64_t i = 0; i < m->n[d]; i++)
		run_rec(m, d + 1, dst, src, doff + i * m->ds[d], soff + (m->tab[d] ? m->tab[d][i] : i * m->ss[d]), es);
}

void move_run(const Move *m, void *dst, const void *src, size_t esize)
{
	if (move_count(m) == 0)
		return;
	run_rec(m, 0, dst, src, m->dst_off, m->src_off, esize);
}

static const char *offset_expr(int64_t off, int rank, const int64_t *st, const int64_t *const *tab, int ntab_id)
{
	char *s = off ? xsprintf("%lld", (long long)off) : NULL;
	for (int d = 0; d < rank; d++) {
		const char *t = NULL;
		if (tab && tab[d])
			t = xsprintf("t%d_%d[i%d]", ntab_id, d, d);
		else if (st[d] == 1)
			t = xsprintf("i%d", d);
		else if (st[d])
			t = xsprintf("i%d * %lld", d, (long long)st[d]);
		if (t)
			s = s ? xsprintf("%s + %s", s, t) : (char *)t;
	}
	return s ? s : "0";
}

/* Above this many elements a copy is split over threads. */
#define MOVE_PAR_MIN 32768

void move_emit(Emit *e, const Move *m0, const char *dst, const char *src)
{
	static int uid; /* table names only need to be unique inside one block */
	Move m = *m0;
	move_simplify(&m);
	int64_t count = move_count(&m);
	if (count == 0)
		return;
	int id = uid++;
	emitf(e, "\t{\n");
	for (int d = 0; d < m.rank; d++) {
		if (!m.tab[d])
			continue;
		emitf(e, "\t\tstatic const int32_t t%d_%d[%lld] = {", id, d, (long long)m.n[d]);
		for (int64_t i = 0; i < m.n[d]; i++) {
			ASSERT(m.tab[d][i] >= INT32_MIN && m.tab[d][i] <= INT32_MAX);
			emitf(e, "%s%lld", i ? (i % 16 ? ", " : ",\n\t\t\t") : "", (long long)m.tab[d][i]);
		}
		emitf(e, "};\n");
	}
	/* the innermost dimension becomes a memcpy when both sides are contiguous */
	int loops = m.rank;
	int64_t run = 1;
	if (m.rank > 0 && !m.tab[m.rank - 1] && m.ds[m.rank - 1] == 1 && m.ss[m.rank - 1] == 1) {
		run = m.n[m.rank - 1];
		loops--;
	}
	if (loops > 0 && count >= MOVE_PAR_MIN && m.n[0] > 1)
		emitf(e, "\t\tO2C_OMP(parallel for)\n");
	for (int d = 0; d < loops; d++)
		emitf(e, "\t\t%*sfor (ptrdiff_t i%d = 0; i%d < %lld; i%d++)\n", d, "", d, d, (long long)m.n[d], d);
	const char *dexp = offset_expr(m.dst_off, loops, m.ds, NULL, id);
	const char *sexp = offset_expr(m.src_off, loops, m.ss, m.tab, id);
	if (run > 1)
		emitf(e, "\t\t%*smemcpy(%s + %s, %s + %s, %lld * sizeof(float));\n", loops, "", dst, dexp, src, sexp,
		      (long long)run);
	else
		emitf(e, "\t\t%*s%s[%s] = %s[%s];\n", loops, "", dst, dexp, src, sexp);
	emitf(e, "\t}\n");
}

void move_emit_fill(Emit *e, const char *dst, int64_t count, float v)
{
	if (count <= 0)
		return;
	if (v == 0.0f && !signbit(v)) {
		emitf(e, "\tmemset(%s, 0, %lld * sizeof(float));\n", dst, (long long)count);
		return;
	}
	emitf(e, "\tfor (ptrdiff_t i = 0; i < %lld; i++)\n\t\t%s[i] = %s;\n", (long long)count, dst,
	      c_float(v));
}

const char *move_input(Emit *e, const Node *n, int j)
{
	if (tensor_is_const(n->in[j]))
		return emit_const(e, n->in[j]);
	return xsprintf("in%d", j);
}

void *move_alloc(Tensor *t)
{
	size_t bytes = (size_t)shape_numel(&t->shape) * dtype_size(t->dtype);
	t->data = xalloc(bytes ? bytes : 1);
	return t->data;
}
