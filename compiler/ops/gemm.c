/*
 * ops/gemm.c - Gemm (alpha, beta, transA, transB, C broadcast) and MatMul
 * (numpy batching, 1-D operands), both on templates/gemm.c.
 *
 * A constant B (the weights of an FC head) is packed at compile time into
 * 16-column panels (compiler/pack/pack.c; layout in templates/gemm.c) and
 * run through o2c_gemm_packed; two run-time operands use o2c_gemm_generic.  The
 * epilogue is alpha*AB + beta*C [+ residual], then the fused activation (in the
 * packed driver's tile epilogue when act.c has it in SIMD, else a pass of its own).
 *
 * Batch: a batched A is [1(batch), K] per sample (M = 1: a GEMV per sample);
 * transA on it, or a batched B, would contract over the batch and is refused.
 *
 * MatMul takes an optional third input, a row bias [N] added in the epilogue
 * (not ONNX's: opt_matmul_bias writes it for a MatMul of rank > 2 followed by
 * a bias Add, ConvNeXt's channels-last Linear, which Gemm cannot express).
 */
#include "move.h"
#include "spatial.h"

#include "pack.h"

#include <string.h>

/* One matrix product: operand strides in elements, per batch entry offsets. */
typedef struct {
	int64_t M, N, K;
	float alpha, beta;
	int64_t a_rs, a_cs, b_rs, b_cs, c_rs, c_cs;
	int64_t nb;                  /* batch count (MatMul), 1 for Gemm */
	int64_t *a_off, *b_off;      /* per batch offsets into A and B (elements) */
	bool has_c;
} MM;

/* Constant B packed per batch entry (pack_gemm), the entries per floats apart. */
static float *pack_b(const Node *n, const MM *m, const Tensor *bt, int64_t per)
{
	const float *b = tensor_f32(bt);
	if (per < 0 || per > ((int64_t)1 << 53) / (m->nb ? m->nb : 1))
		fatal_node(n, "B '%s' %s is too large to pack", bt->name, shape_str(&bt->shape));
	float *p = xalloc((size_t)(per * m->nb) * sizeof *p);
	for (int64_t q = 0; q < m->nb; q++)
		pack_gemm(p + q * per, b + m->b_off[q], m->b_rs, m->b_cs, m->K, m->N);
	return p;
}

/* Folding: plain float loops (constant subgraphs only, never the hot path). */
static void mm_run(const MM *m, const float *a, const float *b, const float *c, float *y)
{
	for (int64_t q = 0; q < m->nb; q++)
		for (int64_t i = 0; i < m->M; i++)
			for (int64_t j = 0; j < m->N; j++) {
				float s = 0.0f;
				for (int64_t k = 0; k < m->K; k++)
					s += a[m->a_off[q] + i * m->a_rs + k * m->a_cs] * b[m->b_off[q] + k * m->b_rs + j * m->b_cs];
				float v = m->alpha * s;
				if (c)
					v += m->beta * c[i * m->c_rs + j * m->c_cs];
				y[(q * m->M + i) * m->N + j] = v;
			}
}

static void mm_emit(Emit *e, const Node *n, const MM *m, int ia, int ib, int ic)
{
	emit_need(e, "gemm.c");
	const char *a = move_input(e, n, ia);
	const char *c = m->has_c ? move_input(e, n, ic) : "NULL";
	const char *res = n->residual ? "res" : "NULL";
	bool packed = tensor_is_const(n->in[ib]);
	const int64_t per = pack_gemm_floats(m->K, m->N); /* packed floats per batch entry */
	const char *b = packed ? emit_weights(e, pack_b(n, m, n->in[ib], per), (size_t)(per * m->nb))
	                       : move_input(e, n, ib);
	const char *alpha = c_float(m->alpha), *beta = c_float(m->beta);
	const char *aoff = "0", *boff = "0", *yoff = "0";
	if (m->nb > 1) {
		emitf(e, "\tstatic const int32_t aoff[%lld] = {", (long long)m->nb);
		for (int64_t q = 0; q < m->nb; q++)
			emitf(e, "%s%lld", q ? ", " : "", (long long)m->a_off[q]);
		emitf(e, "};\n\tstatic const int32_t boff[%lld] = {", (long long)m->nb);
		for (int64_t q = 0; q < m->nb; q++)
			emitf(e, "%s%lld", q ? ", " : "", (long long)(packed ? q * per : m->b_off[q]));
		emitf(e, "};\n\tfor (ptrdiff_t q = 0; q < %lld; q++)\n\t", (long long)m->nb);
		aoff = "aoff[q]";
		boff = "boff[q]";
		yoff = xsprintf("q * %lld", (long long)(m->M * m->N));
	} else if (packed) {
		boff = "0";
	} else {
		boff = xsprintf("%lld", (long long)m->b_off[0]);
	}
	const char *resarg = n->residual ? xsprintf("%s + %s", res, yoff) : "NULL";
	/* the packed driver applies a SIMD activation to each tile as it stores it */
	const char *tile_act = packed ? spatial_act_simd(n) : NULL;
	if (packed)
		emitf(e, "\to2c_gemm_packed(%lld, %lld, %lld, %s, %s + %s, %lld, %lld, %s + %s, %s, %s, %lld, %lld, %s, "
		      "out0 + %s, %s);\n", (long long)m->M, (long long)m->N, (long long)m->K, alpha, a, aoff,
		      (long long)m->a_rs, (long long)m->a_cs, b, boff, beta, c, (long long)m->c_rs, (long long)m->c_cs,
		      resarg, yoff, tile_act ? tile_act : "O2C_ACT_NONE");
	else
		emitf(e, "\to2c_gemm_generic(%lld, %lld, %lld, %s, %s + %s, %lld, %lld, %s + %s, %lld, %lld, %s, %s, "
		      "%lld, %lld, %s, out0 + %s);\n", (long long)m->M, (long long)m->N, (long long)m->K, alpha, a, aoff,
		      (long long)m->a_rs, (long long)m->a_cs, b, boff, (long long)m->b_rs, (long long)m->b_cs, beta, c,
		      (long long)m->c_rs, (long long)m->c_cs, resarg, yoff);
	if (n->act.kind != ACT_NONE && !tile_act)
		spatial_emit_act_pass(e, n, m->nb * m->M * m->N);
}

/* ---- Gemm ---------------------------------------------------------------- */

void gemm_parse(Graph *g, Node *n)
{
	(void)g;
	MM *m = xalloc(sizeof *m);
	const Tensor *a = n->in[0], *b = n->in[1], *c = n->nin > 2 ? n->in[2] : NULL;
	if (a->shape.rank != 2 || b->shape.rank != 2)
		fatal_node(n, "A and B must be matrices, got %s and %s", shape_str(&a->shape), shape_str(&b->shape));
	bool ta = attr_int(n, "transA", 0), tb = attr_int(n, "transB", 0);
	m->alpha = attr_float(n, "alpha", 1.0f);
	m->beta = attr_float(n, "beta", 1.0f);
	m->M = a->shape.d[ta ? 1 : 0];
	m->K = a->shape.d[ta ? 0 : 1];
	m->N = b->shape.d[tb ? 0 : 1];
	if (b->shape.d[tb ? 1 : 0] != m->K)
		fatal_node(n, "A %s%s and B %s%s do not agree on K", shape_str(&a->shape), ta ? "^T" : "",
		           shape_str(&b->shape), tb ? "^T" : "");
	m->a_rs = ta ? 1 : m->K;
	m->a_cs = ta ? m->M : 1;
	m->b_rs = tb ? 1 : m->N;
	m->b_cs = tb ? m->K : 1;
	m->nb = 1;
	m->a_off = xalloc(sizeof *m->a_off);
	m->b_off = xalloc(sizeof *m->b_off);
	if (c) {
		const Shape *cs = &c->shape;
		if (cs->rank > 2)
			fatal_node(n, "C has rank %d", cs->rank);
		int64_t cm = cs->rank == 2 ? cs->d[0] : 1, cn = cs->rank >= 1 ? cs->d[cs->rank - 1] : 1;
		if ((cm != 1 && cm != m->M) || (cn != 1 && cn != m->N))
			fatal_node(n, "C %s does not broadcast to [%lld,%lld]", shape_str(cs), (long long)m->M,
			           (long long)m->N);
		m->has_c = true;
		m->c_rs = cm == 1 ? 0 : cn;
		m->c_cs = cn == 1 ? 0 : 1;
	}
	if (a->batched && ta)
		fatal_node(n, "transA on the batched tensor '%s' contracts over the batch; fix the batch with --dim "
		           "to compile this", a->name);
	if (b->batched)
		fatal_node(n, "B '%s' is batched: the product would mix samples; fix the batch with --dim to compile "
		           "this", b->name);
	if (c && c->batched && !a->batched)
		fatal_node(n, "C '%s' is batched but A is not; fix the batch with --dim to compile this", c->name);
	n->p = m;
}

void gemm_infer(Graph *g, Node *n)
{
	(void)g;
	const MM *m = n->p;
	for (int j = 0; j < n->nin; j++)
		require_float(n, j);
	Shape o = { .rank = 2, .d = { m->M, m->N } };
	set_out(n, 0, DT_FLOAT, &o, n->in[0]->batched);
}

bool gemm_fold(Graph *g, Node *n)
{
	(void)g;
	const MM *m = n->p;
	mm_run(m, tensor_f32(n->in[0]), tensor_f32(n->in[1]), m->has_c ? tensor_f32(n->in[2]) : NULL,
	       move_alloc(n->out[0]));
	return true;
}

void gemm_emit(Emit *e, Node *n)
{
	mm_emit(e, n, n->p, 0, 1, 2);
}

/* Multiply-accumulates per sample: K for each output (the FACTs of Gemm and MatMul). */
int64_t gemm_macs(const Node *n)
{
	const Shape *a = &n->in[0]->shape;
	int64_t k = attr_int(n, "transA", 0) ? a->d[0] : a->d[a->rank - 1];
	return shape_numel(&n->out[0]->shape) * k;
}

int64_t matmul_macs(const Node *n)
{
	const Shape *a = &n->in[0]->shape;
	return shape_numel(&n->out[0]->shape) * a->d[a->rank - 1];
}

/* ---- MatMul --------------------------------------------------------------- */

void matmul_parse(Graph *g, Node *n)
{
	(void)g;
	MM *m = xalloc(sizeof *m);
	const Tensor *a = n->in[0], *b = n->in[1];
	Shape as = a->shape, bs = b->shape;
	int ra = as.rank, rb = bs.rank;
	if (ra == 0 || rb == 0)
		fatal_node(n, "MatMul operands cannot be scalars");
	if (ra == 1) { /* [K] -> [1,K], the 1 dropped from the result */
		as = (Shape){ .rank = 2, .d = { 1, as.d[0] } };
	}
	if (rb == 1)
		bs = (Shape){ .rank = 2, .d = { bs.d[0], 1 } };
	m->M = as.d[as.rank - 2];
	m->K = as.d[as.rank - 1];
	m->N = bs.d[bs.rank - 1];
	if (bs.d[bs.rank - 2] != m->K)
		fatal_node(n, "A %s and B %s do not agree on K", shape_str(&a->shape), shape_str(&b->shape));
	Shape ab = { .rank = as.rank - 2 }, bb = { .rank = bs.rank - 2 }, ob;
	memcpy(ab.d, as.d, sizeof(int64_t) * (size_t)ab.rank);
	memcpy(bb.d, bs.d, sizeof(int64_t) * (size_t)bb.rank);
	broadcast_shape(n, &ab, &bb, &ob);
	m->nb = shape_numel(&ob);
	m->alpha = 1.0f;
	m->a_rs = m->K;
	m->a_cs = 1;
	m->b_rs = m->N;
	m->b_cs = 1;
	m->a_off = xalloc((size_t)m->nb * sizeof *m->a_off);
	m->b_off = xalloc((size_t)m->nb * sizeof *m->b_off);
	/* batch offsets: broadcast dimensions (extent 1) do not advance */
	for (int64_t q = 0; q < m->nb; q++) {
		int64_t rem = q, ao = 0, bo = 0, astr = m->M * m->K, bstr = m->K * m->N;
		for (int d = ob.rank - 1; d >= 0; d--) {
			int64_t i = rem % ob.d[d];
			rem /= ob.d[d];
			int da = d - (ob.rank - ab.rank), db = d - (ob.rank - bb.rank);
			if (da >= 0) {
				if (ab.d[da] != 1)
					ao += i * astr;
				astr *= ab.d[da];
			}
			if (db >= 0) {
				if (bb.d[db] != 1)
					bo += i * bstr;
				bstr *= bb.d[db];
			}
		}
		m->a_off[q] = ao;
		m->b_off[q] = bo;
	}
	Shape o = ob;
	if (ra != 1)
		o.d[o.rank++] = m->M;
	if (rb != 1)
		o.d[o.rank++] = m->N;
	if (o.rank > MAX_RANK)
		fatal_unsupported(n, "the output would have rank %d", o.rank);
	/* where the batch (axis 0 of a batched operand) lands in the output */
	if (a->batched) {
		int pos = ra == 1 ? -1 : ra == 2 ? o.rank - (rb == 1 ? 1 : 2) : ob.rank - (ra - 2);
		if (pos != 0 || (ra > 2 && o.d[0] != 1))
			fatal_node(n, "the batch of A '%s' does not stay on axis 0 of the product; fix the batch with "
			           "--dim to compile this", a->name);
	}
	if (b->batched) {
		int pos = rb <= 2 ? -1 : ob.rank - (rb - 2);
		if (pos != 0 || o.d[0] != 1)
			fatal_node(n, "B '%s' is batched and the product would mix samples; fix the batch with --dim to "
			           "compile this", b->name);
	}
	if (n->nin > 2 && n->in[2]) {
		const Shape *cs = &n->in[2]->shape;
		if (cs->rank != 1 || cs->d[0] != m->N)
			fatal_node(n, "the bias '%s' %s is not a row [%lld]", n->in[2]->name, shape_str(cs),
			           (long long)m->N);
		if (n->in[2]->batched)
			fatal_node(n, "the bias '%s' is batched", n->in[2]->name);
		m->has_c = true;
		m->beta = 1.0f;
		m->c_rs = 0;
		m->c_cs = 1;
	}
	/* One B for every batch entry and A contiguous over all of them ([.., M, K]
	 * with no broadcast batch axis): the batches are one product of nb*M rows.
	 * ConvNeXt's channels-last Linear ([1,H,W,C] x [C,4C]) is H such entries;
	 * packing B once per entry multiplied its weights by H. */
	if (m->nb > 1 && shape_numel(&bb) == 1 && shape_numel(&ab) == m->nb) {
		m->M *= m->nb;
		m->nb = 1;
		m->a_off[0] = m->b_off[0] = 0;
	}
	n->p = m;
	set_out(n, 0, DT_FLOAT, &o, a->batched || b->batched);
}

void matmul_infer(Graph *g, Node *n)
{
	(void)g;
	for (int j = 0; j < n->nin; j++)
		require_float(n, j);
	/* the shape was computed with the batch offsets in matmul_parse */
	set_out(n, 0, DT_FLOAT, &n->out[0]->shape, n->in[0]->batched || n->in[1]->batched);
}

bool matmul_fold(Graph *g, Node *n)
{
	(void)g;
	const MM *m = n->p;
	mm_run(m, tensor_f32(n->in[0]), tensor_f32(n->in[1]), m->has_c ? tensor_f32(n->in[2]) : NULL,
	       move_alloc(n->out[0]));
	return true;
}

void matmul_emit(Emit *e, Node *n)
{
	mm_emit(e, n, n->p, 0, 1, 2);
}
