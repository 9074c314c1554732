/*
 * opt_int8_layout.c - the int8 region's layout (issue 21): which u8/s8
 * tensors live as q8 (one byte an element, NHWC, templates/int8/shared.c)
 * and where the region meets the rest of the graph.
 *
 * A quantized tensor has two run-time forms: q8, which the int8 nodes
 * (QLinearConv, QLinearAdd, QLinearPool, QLinearConcat, QLinearGemm) read
 * and write, and its integer values held as floats in the graph's layout,
 * which every other op (a float op's refusal, a graph input or output)
 * sees.  A per-tensor QuantizeLinear writes either form, a per-tensor
 * DequantizeLinear reads either (ops/quant.c), and so does a view whose
 * bytes mean the same in both (flat()).  For each u8/s8 tensor:
 *
 *   written by an int8 node or a Q, read by int8 nodes and DQs only -> q8;
 *   written so, also read by something else (or a graph output) -> the writer
 *     writes a new q8 tensor, the int8 readers and DQs read that, and an
 *     Int8Relayout (unpack) gives the original tensor to the others;
 *   written by anything else, read by an int8 node -> an Int8Relayout
 *     (pack) makes a q8 copy for the int8 readers.
 *
 * So a QDQ model's int8 trunk is NHWC u8 from its first Q to its last DQ,
 * with no conversion in between, and the layout changes happen only at the
 * region's edges.  Always runs (it is not a --no-fuse pass): the int8 nodes
 * take q8 tensors only.  New nodes go right after the tensor's writer (or
 * first, for a graph input).
 */
#include "ops/ops.h"

typedef enum { K_FLOAT, K_ANY, K_INT8 } Kind;

static bool int8_node(const Node *n)
{
	return n->op == OP_QLinearConv || n->op == OP_QLinearAdd || n->op == OP_QLinearPool ||
	       n->op == OP_QLinearConcat || n->op == OP_QLinearGemm;
}

/* A view reads and writes q8 when its bytes mean the same in both forms: 1x1 images (NHWC = NCHW), or
 * tensors that are not 4-D (row-major in both). */
static bool flat(const Tensor *t) { return t->shape.rank != 4 || t->shape.d[2] * t->shape.d[3] == 1; }

static bool view_node(const Node *n) { return op_table[n->op].view && flat(n->in[0]) && flat(n->out[0]); }

static Kind writer_kind(const Tensor *t)
{
	const Node *w = live_producer(t);
	float s;
	int32_t z;
	DType q;
	if (!w)
		return K_FLOAT;
	if (int8_node(w) || (view_node(w) && w->in[0]->q8))
		return K_INT8;
	return w->op == OP_QuantizeLinear && quant_per_tensor(w, &s, &z, &q) ? K_ANY : K_FLOAT;
}

/* How node n reads input j. */
static Kind reader_kind(const Node *n, int j)
{
	float s;
	int32_t z;
	DType q;
	if (int8_node(n))
		return K_INT8;
	if (view_node(n) && j == 0)
		return K_ANY;
	return n->op == OP_DequantizeLinear && j == 0 && quant_per_tensor(n, &s, &z, &q) ? K_ANY : K_FLOAT;
}

static Tensor *new_q8(Graph *g, const Tensor *t)
{
	char *name = xsprintf("%s:int8", t->name);
	for (int k = 2; graph_find(g, name); k++)
		name = xsprintf("%s:int8_%d", t->name, k);
	Tensor *q = graph_tensor(g, name);
	q->kind = T_TEMP;
	q->dtype = t->dtype;
	q->shape = t->shape;
	q->batched = t->batched;
	q->has_shape = true;
	q->q8 = true;
	return q;
}

typedef struct Placed { Node *n, *after; } Placed; /* after: NULL = first */

/* The int8 readers of t (and its residual readers), and with !int8_only the readers of either form too,
 * read `to` instead. */
static void reroute(Graph *g, int nold, Tensor *t, Tensor *to, bool int8_only)
{
	for (int i = 0; i < nold; i++) {
		Node *n = g->nodes[i];
		if (n->dead)
			continue;
		for (int j = 0; j < n->nin; j++)
			if (n->in[j] == t && (reader_kind(n, j) == K_INT8 || (!int8_only && reader_kind(n, j) == K_ANY)))
				n->in[j] = to;
		if (n->residual == t && int8_node(n))
			n->residual = to;
	}
}

void opt_int8_layout(Graph *g)
{
	const int nold = g->nnodes, ntens = g->ntensors;
	bool any = false;
	for (int i = 0; i < nold && !any; i++)
		any = !g->nodes[i]->dead && int8_node(g->nodes[i]);
	if (!any)
		return;
	/* the tensors in the order they are written (graph inputs first), so that a view's input is decided
	 * before its output */
	Tensor **todo = xalloc((size_t)(ntens + 1) * sizeof *todo);
	int ntodo = 0;
	for (int i = 0; i < g->ninputs; i++)
		todo[ntodo++] = g->inputs[i];
	for (int i = 0; i < nold; i++)
		for (int j = 0; j < g->nodes[i]->nout && !g->nodes[i]->dead; j++)
			if (g->nodes[i]->out[j])
				todo[ntodo++] = g->nodes[i]->out[j];
	Placed *add = xalloc((size_t)(ntodo + 1) * sizeof *add);
	int nadd = 0;
	for (int ti = 0; ti < ntodo; ti++) {
		Tensor *t = todo[ti];
		if ((t->dtype != DT_UINT8 && t->dtype != DT_INT8) || tensor_is_const(t)) /* nuses leaves out residuals */
			continue;
		bool r8 = false, rf = t->kind == T_OUTPUT;
		for (int i = 0; i < nold; i++) {
			const Node *n = g->nodes[i];
			if (n->dead)
				continue;
			for (int j = 0; j < n->nin; j++)
				if (n->in[j] == t) {
					Kind k = reader_kind(n, j);
					r8 |= k == K_INT8;
					rf |= k == K_FLOAT;
				}
			if (n->residual == t) {
				r8 |= int8_node(n);
				rf |= !int8_node(n);
			}
		}
		const Kind w = writer_kind(t);
		if (w == K_INT8 || (w == K_ANY && r8)) {
			if (!rf) {
				t->q8 = true;
				continue;
			}
			/* the writer writes q8; the float readers get an unpacked copy under t's name */
			Node *p = live_producer(t);
			Tensor *q = new_q8(g, t);
			for (int j = 0; j < p->nout; j++)
				if (p->out[j] == t)
					p->out[j] = q;
			reroute(g, nold, t, q, false);
			add[nadd++] = (Placed){ int8_relayout_new(g, q, t, false), p };
		} else if (r8) {
			Tensor *q = new_q8(g, t);
			reroute(g, nold, t, q, true);
			add[nadd++] = (Placed){ int8_relayout_new(g, t, q, true), live_producer(t) };
		}
	}
	/* the schedule with each new node right after its anchor */
	Node **order = xalloc((size_t)(nold + nadd) * sizeof *order);
	int k = 0;
	for (int a = 0; a < nadd; a++)
		if (!add[a].after)
			order[k++] = add[a].n;
	for (int i = 0; i < nold; i++) {
		order[k++] = g->nodes[i];
		for (int a = 0; a < nadd; a++)
			if (add[a].after == g->nodes[i])
				order[k++] = add[a].n;
	}
	ASSERT(k == nold + nadd && g->nnodes == nold + nadd);
	for (int i = 0; i < k; i++)
		g->nodes[i] = order[i];
	graph_recount(g);
}
