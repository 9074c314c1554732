/*
 * train_head.c - --train-head: cut the classifier head off the graph so the
 * generated model outputs features, and describe the head for the training
 * runtime (runtime/onnx2c_rt.h, rt_trainer_main).
 *
 * The head is the node producing the single graph output: a Gemm, or a MatMul
 * followed by an Add, with constant weights, reading a [batch, F] feature
 * tensor.  A Softmax after it is skipped over and removed too: the trainer
 * needs logits (its loss is a fused softmax cross-entropy), and the exported
 * .onnx keeps the original graph, Softmax included, with new head values.
 * In a quantized (QDQ) model the head's int8 weights and its output's
 * QuantizeLinear -> DequantizeLinear go too: the trunk runs in int8 up to
 * the features' DequantizeLinear, and the head trains and is exported in
 * float (the export replaces those nodes by float initializers).
 *
 * This is not the backward of the trunk: the trunk stays plain inference code,
 * optimised as usual, and the head is a small linear layer the runtime trains
 * on (cached) features.  Unfreezing later blocks cuts deeper (train_block.c);
 * train_head_emit writes that block's code too.
 */
#include "ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct TrainHead {
	int64_t F, K;          /* features in, classes out (K after --head-classes) */
	int64_t K0;            /* classes of the model's own head */
	bool replaced;         /* --head-classes: the trainer draws a fresh head */
	bool has_bias;         /* the model's head has a bias initializer to write back */
	bool with_main;
	float *weight;         /* [K][F]: the model's head, or zeros when replaced */
	float *bias;           /* [K] */
	const char *desc;      /* for the exporter: key=value lines, see describe() */
};

#define MAX_VIEWS 8

static bool is_op(const Node *n, const char *op)
{
	return n && !strcmp(n->op_type, op) && (!n->domain || !*n->domain || !strcmp(n->domain, "ai.onnx"));
}

/* The bias must be K values (any shape that broadcasts over [batch, K] as a row). */
static const float *bias_values(const Node *n, const Tensor *b, int64_t K)
{
	if (!b)
		return NULL;
	if (!tensor_is_const(b) || b->dtype != DT_FLOAT)
		fatal_unsupported(n, "the classifier bias '%s' is not a constant float tensor", b->name);
	if (shape_numel(&b->shape) != K || (b->shape.rank >= 1 && b->shape.d[b->shape.rank - 1] != K))
		fatal_unsupported(n, "the classifier bias '%s' has shape %s; --train-head needs %lld values (one per class)",
		                  b->name, shape_str(&b->shape), (long long)K);
	return tensor_f32(b);
}

static char *describe_line(char *s, const char *key, const char *value)
{
	if (strchr(value, '\n'))
		fatal("--train-head: name '%s' contains a newline; the exporter cannot describe it", value);
	return xsprintf("%s%s=%s\n", s, key, value);
}

void train_head_cut(Graph *g, int64_t classes, bool with_main)
{
	if (g->noutputs != 1)
		fatal("%s: --train-head needs a model with one output (the class scores); this one has %d", g->path,
		      g->noutputs);
	Tensor *out = g->outputs[0];
	Node *n = live_producer(out);
	if (!n)
		fatal("%s: model has no classifier head to replace: the output '%s' is not computed by a node", g->path,
		      out->name);
	Node *softmax = NULL, *matmul = NULL;
	if (is_op(n, "Softmax") && n->in[0]) {
		softmax = n;
		n = live_producer(n->in[0]);
		if (!n)
			fatal_node(softmax, "model has no classifier head to replace: the Softmax input '%s' is not computed by "
			           "a node", softmax->in[0]->name);
	}
	/* a QDQ model's head ends in its output's QuantizeLinear -> DequantizeLinear: they go with the head (the
	 * new head's logits are not in the old ones' range), and the head writes the DQ's output (export) */
	Node *oq = NULL, *odq = NULL;
	if (is_op(n, "DequantizeLinear") && is_op(live_producer(n->in[0]), "QuantizeLinear") && n->in[0]->nuses == 1) {
		odq = n;
		oq = live_producer(n->in[0]);
		n = live_producer(oq->in[0]);
		if (!n || oq->in[0]->nuses != 1)
			fatal_node(oq, "model has no classifier head to replace: the QuantizeLinear before the output does not "
			               "read a classifier alone");
	}
	Tensor *feat = NULL, *w = NULL, *b = NULL;
	bool kf = true; /* weight stored [K,F] (Gemm transB=1) rather than [F,K] */
	if (is_op(n, "Gemm")) {
		if (attr_int(n, "transA", 0) != 0)
			fatal_unsupported(n, "classifier Gemm with transA=1 is not supported by --train-head");
		if (attr_float(n, "alpha", 1.0f) != 1.0f || attr_float(n, "beta", 1.0f) != 1.0f)
			fatal_unsupported(n, "classifier Gemm with alpha/beta other than 1 is not supported by --train-head");
		feat = n->in[0];
		w = n->in[1];
		b = n->nin > 2 ? n->in[2] : NULL;
		kf = attr_int(n, "transB", 0) != 0;
	} else if (is_op(n, "Add")) {
		for (int k = 0; k < 2 && !matmul; k++) {
			Node *p = live_producer(n->in[k]);
			if (is_op(p, "MatMul") && tensor_is_const(n->in[1 - k]) && n->in[k]->nuses == 1) {
				matmul = p;
				b = n->in[1 - k];
			}
		}
		if (!matmul)
			fatal_node(n, "model has no classifier head to replace: the output is produced by an Add that does "
			           "not add a constant bias to a MatMul");
		feat = matmul->in[0];
		w = matmul->in[1];
		kf = false;
	} else if (is_op(n, "MatMul")) {
		matmul = n;
		feat = n->in[0];
		w = n->in[1];
		kf = false;
		n = NULL;
	} else {
		fatal_node(n, "model has no classifier head to replace: the output '%s' is produced by node '%s' (%s), "
		           "not by a Gemm or MatMul[+Add] classifier%s", out->name, n->name, n->op_type,
		           softmax ? " (after skipping a Softmax)" : "");
	}
	Node *head = n ? n : matmul; /* the node whose name errors use */
	Node *views[MAX_VIEWS];
	int nviews = 0;
	if (!tensor_is_const(w) || w->dtype != DT_FLOAT || w->shape.rank != 2)
		fatal_node(head, "model has no classifier head to replace: its weight '%s' is not a constant 2-D float "
		           "tensor", w->name);
	if (tensor_is_const(feat) || feat->shape.rank != 2 || feat->shape.d[0] != 1)
		fatal_node(head, "model has no classifier head to replace: its input '%s' has shape %s, not [batch, F]",
		           feat->name, shape_str(&feat->shape));
	/* A Flatten/Reshape/Squeeze between the trunk and the head only renames the
	 * same contiguous floats: the features are its input, and the view goes too. */
	for (Node *v = live_producer(feat); v && nviews < MAX_VIEWS && op_table[v->op].view && v->nout == 1 &&
	     v->in[0] && !tensor_is_const(v->in[0]) && v->in[0]->kind == T_TEMP && v->in[0]->nuses == 1 &&
	     v->in[0]->batched == feat->batched && shape_numel(&v->in[0]->shape) == shape_numel(&feat->shape) &&
	     feat->nuses == 1; v = live_producer(feat)) {
		views[nviews++] = v;
		feat = v->in[0];
	}
	if (feat->kind == T_INPUT)
		fatal_node(head, "the classifier reads the graph input '%s' directly: there is no trunk to compile",
		           feat->name);
	int64_t F = shape_numel(&feat->shape);
	int64_t K0 = kf ? w->shape.d[0] : w->shape.d[1];
	if ((kf ? w->shape.d[1] : w->shape.d[0]) != F)
		fatal_node(head, "classifier weight '%s' %s does not match the %lld features of '%s'", w->name,
		           shape_str(&w->shape), (long long)F, feat->name);
	const float *bv = bias_values(head, b, K0);
	if (b && b->kind != T_CONST)
		fatal_node(head, "classifier bias '%s' is not an initializer", b->name);

	struct TrainHead *th = xalloc(sizeof *th);
	th->F = F;
	th->K0 = K0;
	th->K = classes > 0 ? classes : K0;
	th->replaced = classes > 0;
	th->has_bias = b != NULL;
	th->with_main = with_main;
	th->weight = xalloc((size_t)checked_mul(th->K, F, "head weight") * sizeof(float));
	th->bias = xalloc((size_t)th->K * sizeof(float));
	if (!th->replaced) {
		const float *wv = tensor_f32(w);
		for (int64_t k = 0; k < K0; k++) {
			for (int64_t f = 0; f < F; f++)
				th->weight[k * F + f] = kf ? wv[k * F + f] : wv[f * K0 + k];
			th->bias[k] = bv ? bv[k] : 0.0f;
		}
	}
	/* What the exporter needs to find in the original .onnx: the initializers to
	 * overwrite, their layout, and every value whose last dim is the class count. */
	char *d = xstrdup("");
	d = describe_line(d, "node", head->name);
	d = describe_line(d, "weight", w->name);
	d = describe_line(d, "layout", kf ? "KF" : "FK");
	if (b)
		d = describe_line(d, "bias", b->name);
	if (matmul && n)
		d = describe_line(d, "class_value", matmul->out[0]->name);
	d = describe_line(d, "class_value", head == matmul && !n ? matmul->out[0]->name : n->out[0]->name);
	if (softmax) {
		d = describe_line(d, "softmax", softmax->name);
		d = describe_line(d, "class_value", softmax->out[0]->name);
	}
	if (odq) { /* the float head replaces the quantized one's nodes (runtime/export_onnx.c) */
		d = describe_line(d, "drop_node", oq->name);
		d = describe_line(d, "drop_node", odq->name);
		d = describe_line(d, "head_output", odq->out[0]->name);
		d = describe_line(d, "class_value", odq->out[0]->name);
	}
	/* int8 weights: the float constant a DequantizeLinear folded; the export makes it an initializer */
	const Tensor *qparams[2] = { w, b };
	for (int i = 0; i < 2; i++)
		if (qparams[i] && qparams[i]->dq && qparams[i]->producer) {
			d = describe_line(d, "drop_node", qparams[i]->producer->name);
			d = describe_line(d, i ? "new_bias" : "new_weight", "1");
		}
	d = describe_line(d, "output", out->name);
	th->desc = d;
	g->train = th;

	/* Cut: the feature tensor becomes graph output 0 (nothing else changes in
	 * the trunk, so it is optimised exactly as for plain inference). */
	head->dead = true;
	if (n && matmul)
		matmul->dead = true;
	if (softmax)
		softmax->dead = true;
	if (odq)
		odq->dead = oq->dead = true;
	for (int i = 0; i < nviews; i++)
		views[i]->dead = true;
	out->kind = T_TEMP;
	feat->kind = T_OUTPUT;
	feat->io_index = 0;
	g->outputs[0] = feat;
	graph_recount(g);
	progress("--train-head: cut %s '%s' (%lld features -> %lld classes%s)", head->op_type, head->name,
	         (long long)F, (long long)th->K, th->replaced ? ", replaced" : "");
}

/* ---- emission ------------------------------------------------------------ */

static void write_floats(FILE *f, const char *name, const float *v, int64_t n)
{
	fprintf(f, "const float %s[%lld] = {", name, (long long)n);
	for (int64_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			fputs("\n\t", f);
		float x = v[i];
		if (isnan(x) || isinf(x))
			fatal("--train-head: the classifier has a non-finite value");
		fprintf(f, "%s,", c_float(x));
		if (i % 8 != 7 && i + 1 < n)
			fputc(' ', f);
	}
	fputs("\n};\n", f);
}

void train_head_emit(Graph *g, FILE *c, FILE *h, const char *P)
{
	struct TrainHead *th = g->train;
	if (!th)
		return;
	char *U = c_upper(P);
	if (h) {
		fprintf(h, "/* --train-head: the classifier was cut off; the output is the feature vector\n"
		           " * (%s_HEAD_IN floats a sample) and the head is described here for the trainer. */\n", U);
		fprintf(h, "#define %s_HEAD_IN %lld\n#define %s_HEAD_OUT %lld\n", U, (long long)th->F, U, (long long)th->K);
		fprintf(h, "#define %s_HEAD_REPLACED %d /* 1: --head-classes, the trainer draws a fresh head */\n", U,
		        th->replaced ? 1 : 0);
		fprintf(h, "extern const float %s_head_weight[]; /* [%s_HEAD_OUT][%s_HEAD_IN], zeros when replaced */\n", P,
		        U, U);
		fprintf(h, "extern const float %s_head_bias[]; /* [%s_HEAD_OUT] */\n", P, U);
		fprintf(h, "/* For the ONNX exporter: key=value lines naming the head's node, initializers\n"
		           " * and the values whose last dimension is the class count. */\n");
		fprintf(h, "extern const char %s_head_onnx[];\n\n", P);
		train_block_emit(g, NULL, h, P, U);
		return;
	}
	fprintf(c, "/* ---- --train-head: the classifier head (%lld -> %lld) ---- */\n", (long long)th->F,
	        (long long)th->K);
	if (th->replaced) { /* the trainer draws the fresh head; nothing to carry */
		fprintf(c, "const float %s_head_weight[%lld] = {0};\n", P, (long long)(th->K * th->F));
		fprintf(c, "const float %s_head_bias[%lld] = {0};\n", P, (long long)th->K);
	} else {
		write_floats(c, xsprintf("%s_head_weight", P), th->weight, th->K * th->F);
		write_floats(c, xsprintf("%s_head_bias", P), th->bias, th->K);
	}
	fprintf(c, "const char %s_head_onnx[] =\n\t%s;\n\n", P, c_string_lines(th->desc, "\t"));
	train_block_emit(g, c, NULL, P, U);
	if (!th->with_main)
		return;
	if (g->ninputs != 1)
		fatal("--train-main needs a model with one input (the image); this one has %d", g->ninputs);
	const Tensor *in = g->inputs[0];
	if (in->shape.rank < 2 || in->shape.rank > 5 || in->shape.d[0] != 1)
		fatal("--train-main: input '%s' has shape %s; the trainer feeds [batch, C, H, W] images", in->name,
		      shape_str(&in->shape));
	fprintf(c, "/* ---- --train-main: the command-line trainer (link onnx2c_rt) ---- */\n");
	if (!g->train_block)
		fprintf(c, "#include \"onnx2c_rt.h\"\n\n");
	fprintf(c, "int main(int argc, char **argv)\n{\n");
	fprintf(c, "\tstatic const int in_shape[] = {");
	for (int k = 1; k < in->shape.rank; k++)
		fprintf(c, "%s%lld", k > 1 ? ", " : "", (long long)in->shape.d[k]);
	fprintf(c, "};\n\tstatic const RtTrunk t = {\n\t\t.name = \"%s\",\n\t\t.model_path = %s", P, c_string(g->path));
	fprintf(c, ",\n\t\t.run = %s_run,\n\t\t.workspace_size = %s_workspace_size,\n", P, P);
	fprintf(c, "\t\t.batched = %d,\n\t\t.in_rank = %d,\n\t\t.in_shape = in_shape,\n", g->batched ? 1 : 0,
	        in->shape.rank - 1);
	fprintf(c, "\t\t.features = %s_HEAD_IN,\n\t\t.classes = %s_HEAD_OUT,\n\t\t.replaced = %s_HEAD_REPLACED,\n", U, U,
	        U);
	fprintf(c, "\t\t.has_bias = %d,\n", th->has_bias ? 1 : 0);
	fprintf(c, "\t\t.head_weight = %s_head_weight,\n\t\t.head_bias = %s_head_bias,\n\t\t.head_onnx = %s_head_onnx,\n",
	        P, P, P);
	if (g->train_block)
		fprintf(c, "\t\t.block = &%s_block,\n", P);
	fprintf(c, "\t};\n");
	fprintf(c, "\treturn rt_trainer_main(argc, argv, &t);\n}\n");
}
