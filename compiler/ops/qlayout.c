/*
 * ops/qlayout.c - Int8Relayout, the int8 region's edge (issue 21): a u8/s8
 * tensor moved between the two forms a quantized tensor has at run time
 * (passes/opt_int8_layout.c inserts these where the forms meet):
 *
 *   pack:   integer values held as floats, the graph's layout (NCHW) ->
 *           q8 (u8 NHWC, s8 values + 128: templates/int8/shared.c)
 *   unpack: q8 -> integer values as floats, NCHW
 *
 * Both are int8/qconvert.c's quantize and dequantize with scale 1 and, for
 * s8, the zero point 128 (so the +128 is added or taken off), which are
 * exact on integers.  A model's own QuantizeLinear and DequantizeLinear
 * need none of this: they read and write q8 tensors directly (ops/quant.c).
 */
#include "ops.h"

typedef struct RelayoutP {
	bool pack;
} RelayoutP;

/* A new node computing `to` from `from`, appended to the node list (opt_int8_layout moves it into place). */
Node *int8_relayout_new(Graph *g, Tensor *from, Tensor *to, bool pack)
{
	Node *n = graph_add_node(g, xsprintf("%s:%s", from->name, pack ? "to_int8" : "from_int8"), "Int8Relayout", 1, 1);
	n->op = OP_Int8Relayout;
	RelayoutP *p = xalloc(sizeof *p);
	p->pack = pack;
	n->p = p;
	graph_set_input(n, 0, from);
	graph_set_output(n, 0, to);
	return n;
}

void int8relayout_parse(Graph *g, Node *n)
{
	(void)g;
	if (!n->p) /* only opt_int8_layout makes these */
		fatal_node(n, "Int8Relayout is internal to onnx2c");
}

void int8relayout_infer(Graph *g, Node *n) { (void)g; infer_same(n); }
bool int8relayout_fold(Graph *g, Node *n) { return fold_none(g, n); }

void int8relayout_emit(Emit *e, Node *n)
{
	const RelayoutP *p = n->p;
	ASSERT(n->in[0]->q8 != p->pack && n->out[0]->q8 == p->pack);
	/* u8 domain = s8 value + 128 */
	emit_q8_convert(e, &n->in[0]->shape, p->pack, 1.0f, n->in[0]->dtype == DT_INT8 ? 128 : 0);
}
