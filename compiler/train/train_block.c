/*
 * train_block.c - --unfreeze N / --trainable-from NAME: open the last blocks
 * of the trunk for fine-tuning.
 *
 * After train_head_cut, the graph outputs the features the head reads.  Here
 * the graph is cut again, deeper, at one tensor X (the "cut"): the nodes from X
 * to the features become the trainable block and leave the graph, so the
 * frozen trunk (up to X) is still optimised and planned exactly as for plain
 * inference and its output is X.  The block is emitted as C that calls the
 * training runtime's layers (runtime/onnx2c_rt.h): a forward that keeps every
 * activation, and a backward in reverse order that accumulates into flat
 * parameter gradients (llm.c style).  Inside the block activations are
 * channel-major ([C][batch][H][W]: the runtime's conv writes its output rows
 * straight there, and every other layer sees a channel as one long row); the
 * cut is transposed in on entry and the features out on exit.  Its BatchNorms
 * are not folded: they train their scale and bias, on their stored statistics
 * by default (frozen BN, as in PyTorch's model.eval()), or with the trainer's
 * --bn-train on the batch's, moving the stored ones (model.train()); those
 * running statistics are a buffer of their own, which the optimizer never
 * touches and the exporter writes back.  Convs keep the model's own weights.
 *
 * The cut must be a single tensor that every path to the features passes
 * through.  --unfreeze N finds it by counting blocks back from the head: a
 * block is a stretch of the schedule between two such single-tensor cuts that
 * holds trainable parameters (in a ResNet, one residual block).  --unfreeze
 * all cuts at the model's input: everything trains, the stem included, and
 * the frozen "trunk" only passes the image through.
 *
 * Parameters are the block's constant Conv/BatchNormalization inputs that are
 * ONNX initializers (found by their data: folded Identity/Reshape outputs
 * share it), one slot per initializer, so the exporter can write them back.
 */
#include "ir.h"
#include "ops/spatial.h" /* window_parse, and ops.h's pad_zero_spatial */

#include <string.h>

/* What a constant input of the block becomes, and the buffer it lives in. */
enum { P_TRAIN, P_CONST, P_STAT, P_KINDS };

typedef struct BParam {
	const float *data;    /* the initializer's values (identity of the parameter) */
	const char *name;     /* its ONNX initializer name (NULL for a constant that has none) */
	int64_t count, off;   /* floats, offset in its kind's buffer */
	int kind;             /* P_TRAIN: params; P_STAT: a BN running statistic (stats); P_CONST: frozen (an
	                       * initializer the frozen trunk reads too, or a statistic without a name) */
	bool warned;          /* the user was told why it is frozen */
} BParam;

struct TrainBlock {
	Tensor *x;            /* the cut: the trunk's output, the block's input */
	Tensor *feat;         /* the block's output (the head's input) */
	Node **nodes; int nnodes;
	BParam *params; int nparams;
	int64_t size[P_KINDS]; /* floats of each buffer: parameters, constants, statistics */
	int ntrain;           /* trainable parameter tensors */
	const char *P;        /* emission: the C prefix */
	Tensor **slots; int64_t *slot_off; int nslots; /* activations, per-sample offsets (slot 0: the cut) */
	int64_t acts;         /* per-sample floats of the activation buffer */
};

static bool is_view(const Node *n)
{
	return op_table[n->op].view;
}

static bool has_params(const Node *n)
{
	return n->op == OP_Conv || n->op == OP_BatchNormalization;
}

/* Position in the schedule of the node producing t, -1 for inputs/constants (graph_recount
 * has made g->nodes the live nodes in order, each node's id its index). */
static int position(const Tensor *t)
{
	const Node *p = live_producer(t);
	return p ? p->id : -1;
}

/* The single-tensor cuts before the features: cut[i] is the only run-time
 * tensor crossing the boundary after live node i (NULL if several cross). */
static Tensor **single_cuts(Graph *g, int end)
{
	Tensor **cut = xalloc(sizeof(Tensor *) * (size_t)(end + 1));
	for (int i = 0; i < end; i++) {
		Tensor *only = NULL;
		int count = 0;
		/* a tensor crosses after i when produced at or before i (or an input) and read after i */
		for (int k = i + 1; k <= end && count < 2; k++) {
			Node *n = g->nodes[k];
			if (n->dead)
				continue;
			for (int j = 0; j < n->nin && count < 2; j++) {
				Tensor *t = n->in[j];
				if (!t || tensor_is_const(t) || t == only)
					continue;
				int pos = position(t);
				if (pos <= i) {
					only = t;
					count++;
				}
			}
		}
		cut[i] = count == 1 ? only : NULL;
	}
	return cut;
}

/* --unfreeze N: the cut N parameter-holding stretches back from the features. */
static Tensor *cut_by_blocks(Graph *g, int end, int64_t nblocks)
{
	Tensor **cut = single_cuts(g, end);
	int64_t found = 0;
	bool params = false;
	for (int i = end; i >= 0; i--) {
		Node *n = g->nodes[i];
		if (!n->dead && has_params(n))
			params = true;
		Tensor *c = i > 0 ? cut[i - 1] : NULL;
		if (i == 0 || !c)
			continue;
		if (params && ++found == nblocks)
			return c;
		params = false;
	}
	fatal("%s: --unfreeze %lld: the trunk has only %lld block%s before the head (a block is a stretch between "
	      "single-tensor cuts that holds Conv/BatchNormalization parameters); use --trainable-from NODE",
	      g->path, (long long)nblocks, (long long)found, found == 1 ? "" : "s");
}

/* --unfreeze all: the model's one run-time input. */
static Tensor *model_input(Graph *g)
{
	if (g->ninputs != 1)
		fatal("%s: --unfreeze all: the model has %d run-time inputs; the trainer feeds one image", g->path,
		      g->ninputs);
	return g->inputs[0];
}

/* --trainable-from NAME: a node (the cut is its first run-time input) or a tensor. */
static Tensor *cut_by_name(Graph *g, const char *name)
{
	for (int i = 0; i < g->nnodes; i++) {
		Node *n = g->nodes[i];
		if (n->dead || strcmp(n->name, name))
			continue;
		for (int j = 0; j < n->nin; j++)
			if (n->in[j] && !tensor_is_const(n->in[j]))
				return n->in[j];
		fatal_node(n, "--trainable-from: the node has no run-time input to cut at");
	}
	Tensor *t = graph_find(g, name);
	if (t && !tensor_is_const(t))
		return t;
	fatal("%s: --trainable-from '%s': no live node or run-time tensor of that name (node names are in "
	      "`onnx2c MODEL -o m.c --report`)", g->path, name);
}

static const char *initializer_name(Graph *g, const Tensor *t)
{
	for (int i = 0; i < g->ntensors; i++) {
		const Tensor *u = g->tensors[i];
		if (u->kind == T_CONST && u->data == t->data && !u->producer)
			return u->name;
	}
	return NULL;
}

static bool in_block(const struct TrainBlock *b, const Node *n);

/* Does a node outside the block read this constant data (an initializer tied across the cut)? */
static const Node *read_outside(Graph *g, const struct TrainBlock *b, const void *data)
{
	for (int i = 0; i < g->nnodes; i++) {
		const Node *n = g->nodes[i];
		for (int j = 0; !n->dead && !in_block(b, n) && j < n->nin; j++)
			if (n->in[j] && tensor_is_const(n->in[j]) && n->in[j]->data == data)
				return n;
	}
	return NULL;
}

/* A constant input of a block node: a trainable parameter (want P_TRAIN), a BN running
 * statistic (P_STAT), or a frozen constant when either cannot be (tied to the frozen trunk). */
static void add_param(Graph *g, struct TrainBlock *b, const Node *n, const Tensor *t, int want)
{
	if (t->dtype != DT_FLOAT)
		fatal_unsupported(n, "--unfreeze: parameter '%s' is %s, not float", t->name, dtype_name(t->dtype));
	for (int i = 0; i < b->nparams; i++)
		if (b->params[i].data == t->data) { /* tied: one initializer read twice */
			if (want == P_TRAIN && b->params[i].kind != P_TRAIN && !b->params[i].warned) {
				warn_node(n, "--unfreeze: '%s' stays frozen: it is also a BatchNorm statistic", t->name);
				b->params[i].warned = true;
			}
			return;
		}
	const char *name = initializer_name(g, t);
	const Node *outside = read_outside(g, b, t->data);
	if (outside && want == P_TRAIN) /* training it would change the frozen trunk too (the .onnx has one tensor) */
		warn_node(n, "--unfreeze: '%s' stays frozen: the frozen trunk reads it too (node '%s')", name ? name : t->name,
		          outside->name);
	if (want == P_TRAIN && !outside && !name)
		fatal_unsupported(n, "--unfreeze: '%s' is not an ONNX initializer (it is computed), so its fine-tuned "
		                  "value could not be exported", t->name);
	b->params = xrealloc_arr(b->params, (size_t)b->nparams, (size_t)b->nparams + 1, sizeof *b->params);
	BParam *p = &b->params[b->nparams++];
	p->data = tensor_f32(t);
	p->name = name;
	p->count = shape_numel(&t->shape);
	/* a statistic the trunk shares, or one without a name to export it under, stays as it is (--bn-train
	 * then normalises with the batch's statistics but keeps no running ones for that BatchNorm) */
	p->kind = outside || (want == P_STAT && !name) ? P_CONST : want;
	p->warned = outside && want == P_TRAIN;
	p->off = b->size[p->kind];
	b->size[p->kind] += (p->count + 15) / 16 * 16; /* 64-byte aligned like rt_flat_alloc */
	b->ntrain += p->kind == P_TRAIN;
}

static bool in_block(const struct TrainBlock *b, const Node *n)
{
	for (int i = 0; i < b->nnodes; i++)
		if (b->nodes[i] == n)
			return true;
	return false;
}

static void check_node(const Node *n)
{
	switch (n->op) {
	case OP_Conv: case OP_BatchNormalization: case OP_Relu: case OP_Add: case OP_Concat: case OP_MaxPool:
	case OP_AveragePool: case OP_GlobalAveragePool: case OP_Pad:
		break;
	default:
		if (is_view(n))
			break;
		fatal_unsupported(n, "--unfreeze: the trainable block contains %s, which has no backward in the "
		                  "runtime (Conv, BatchNormalization, Relu, Add, Concat, MaxPool, AveragePool, "
		                  "GlobalAveragePool, zero Pad and reshaping views have); cut later with --trainable-from",
		                  n->op_type);
	}
	if (n->op == OP_Add && (tensor_is_const(n->in[0]) || tensor_is_const(n->in[1]) ||
	                        !shape_eq(&n->in[0]->shape, &n->in[1]->shape)))
		fatal_unsupported(n, "--unfreeze: only the residual Add of two same-shaped activations has a backward");
	if (n->op == OP_Concat) {
		int64_t ax = attr_int(n, "axis", 1);
		if (ax < 0)
			ax += n->out[0]->shape.rank;
		if (ax != 1)
			fatal_unsupported(n, "--unfreeze: only a channel Concat (axis 1) has a backward");
		for (int j = 0; j < n->nin; j++)
			if (tensor_is_const(n->in[j]))
				fatal_unsupported(n, "--unfreeze: Concat of a constant has no backward");
	}
	int64_t pb[2], pe[2];
	int nsp;
	if (n->op == OP_Pad && !pad_zero_spatial(n, pb, pe, &nsp))
		fatal_unsupported(n, "--unfreeze: only a zero Pad of the spatial axes has a backward");
	if (n->op == OP_BatchNormalization && n->opset < 9 && attr_int(n, "spatial", 1) == 0)
		fatal_unsupported(n, "--unfreeze: BatchNormalization with spatial=0 has no backward");
	if (n->op == OP_Conv && !tensor_is_const(n->in[1]))
		fatal_unsupported(n, "--unfreeze: the Conv weight is computed at run time");
}

/* Phases (offsets mod the stride) the taps of one axis read. */
static int phases_read(int64_t k, int64_t d, int64_t p, int64_t s)
{
	uint32_t m = 0;
	for (int64_t i = 0; i < k; i++)
		m |= 1u << (((i * d - p) % s + s) % s);
	int n = 0;
	for (; m; m &= m - 1)
		n++;
	return n;
}

/* Floats a sample of a conv's kept columns takes: the rule of rt_conv2d_cols_cn (runtime/conv.c),
 * which the generated block checks at run time: none for a 1x1 stride-1 unpadded conv (its input
 * is its columns) or a stride-1 conv as large as its input (read from it); the phase planes of a
 * strided conv whose phases fit the output grid; else the im2col columns. */
static int64_t conv_cols(const Node *n)
{
	Window w;
	window_parse(n, &w, &n->in[0]->shape, &n->in[1]->shape, false, true);
	window_forward(n, &w);
	const int64_t C = n->in[0]->shape.d[1], P = w.out[0] * w.out[1];
	if (w.k[0] == 1 && w.k[1] == 1 && w.s[0] == 1 && w.s[1] == 1 && w.pb[0] == 0 && w.pb[1] == 0)
		return 0;
	if (w.s[0] == 1 && w.s[1] == 1 && w.out[0] == w.in[0] && w.out[1] == w.in[1])
		return 0;
	if (w.s[0] <= 16 && w.s[1] <= 16 && (w.in[0] + w.s[0] - 1) / w.s[0] <= w.out[0] &&
	    (w.in[1] + w.s[1] - 1) / w.s[1] <= w.out[1])
		return C * phases_read(w.k[0], w.d[0], w.pb[0], w.s[0]) * phases_read(w.k[1], w.d[1], w.pb[1], w.s[1]) * P;
	return C * w.k[0] * w.k[1] * P;
}

/* Channels and pixels a sample of t has (rank 1: one channel). */
static void chw(const Tensor *t, int64_t *C, int64_t *HW)
{
	*C = t->shape.rank > 1 ? t->shape.d[1] : 1;
	*HW = shape_numel(&t->shape) / *C;
}

/* The block's activations are channel-major, so a view inside it must keep both; one that
 * only feeds the head (a Flatten) is fine: the features are transposed out from its input. */
static void check_view(const struct TrainBlock *b, const Node *n)
{
	int64_t C0, HW0, C1, HW1;
	chw(n->in[0], &C0, &HW0);
	chw(n->out[0], &C1, &HW1);
	if ((C0 != C1 || HW0 != HW1) && n->out[0] != b->feat)
		fatal_unsupported(n, "--unfreeze: a %s inside the trainable block regroups channels and pixels %s -> %s, "
		                  "which the block's channel-major activations cannot share; cut after it with "
		                  "--trainable-from", n->op_type, shape_str(&n->in[0]->shape), shape_str(&n->out[0]->shape));
}

void train_block_cut(Graph *g, int64_t nblocks, const char *from)
{
	if (!g->train)
		fatal("--unfreeze and --trainable-from need --train-head");
	graph_recount(g); /* producers, and ids as schedule positions */
	Tensor *feat = g->outputs[0];
	int end = position(feat);
	if (end < 0)
		fatal("%s: the features '%s' are not computed by a node: nothing to unfreeze", g->path, feat->name);
	Tensor *x = from ? cut_by_name(g, from) : nblocks < 0 ? model_input(g) : cut_by_blocks(g, end, nblocks);
	if (x == feat)
		fatal("%s: the cut '%s' is the feature tensor itself: that is head-only training (drop --unfreeze)",
		      g->path, x->name);
	struct TrainBlock *b = xalloc(sizeof *b);
	b->x = x;
	b->feat = feat;

	/* the block: every live node between x and the features, found backwards; reaching a graph
	 * input means some path to the head does not pass through x */
	Tensor **work = xalloc(sizeof(Tensor *) * (size_t)(g->ntensors + 1));
	int nwork = 0;
	work[nwork++] = feat;
	while (nwork) {
		Tensor *t = work[--nwork];
		if (t == x || tensor_is_const(t))
			continue;
		Node *p = live_producer(t);
		if (!p)
			fatal("%s: '%s' (read by the trainable block) is a graph input, not computed from the cut '%s': every "
			      "path to the head must pass through the cut", g->path, t->name, x->name);
		if (in_block(b, p))
			continue;
		b->nodes = xrealloc_arr(b->nodes, (size_t)b->nnodes, (size_t)b->nnodes + 1, sizeof *b->nodes);
		b->nodes[b->nnodes++] = p;
		for (int j = 0; j < p->nin; j++)
			if (p->in[j])
				work[nwork++] = p->in[j];
	}
	/* into schedule order */
	Node **ordered = xalloc(sizeof(Node *) * (size_t)b->nnodes);
	int k = 0;
	for (int i = 0; i < g->nnodes; i++)
		if (in_block(b, g->nodes[i]))
			ordered[k++] = g->nodes[i];
	ASSERT(k == b->nnodes);
	b->nodes = ordered;
	for (int i = 0; i < b->nnodes; i++) {
		Node *n = b->nodes[i];
		check_node(n);
		if (is_view(n))
			check_view(b, n);
		for (int j = 0; j < n->nout; j++)
			if (n->out[j] && n->out[j] != feat && n->out[j]->kind == T_OUTPUT)
				fatal_node(n, "--unfreeze: output '%s' is also a graph output; it would leave the frozen model",
				           n->out[j]->name);
	}

	/* parameters and activation slots: the cut (channel-major), then each node's output and
	 * MaxPool's argmax indices or Conv's kept columns, which the forward makes and the
	 * backward reuses (conv_cols) (views share their input's slot) */
	for (int i = -1; i < b->nnodes; i++) {
		Node *n = i < 0 ? NULL : b->nodes[i];
		if (n && is_view(n))
			continue;
		int64_t out = shape_numel(n ? &n->out[0]->shape : &x->shape), extra = n && n->op == OP_MaxPool ? out : 0;
		if (n && n->op == OP_Conv)
			extra = conv_cols(n);
		if (n && n->op == OP_BatchNormalization) /* --bn-train: the batch's mean and 1/std (a sample's slot: ample) */
			extra = 2 * n->out[0]->shape.d[1];
		for (int j = 0; j < (extra ? 2 : 1); j++) {
			b->slots = xrealloc_arr(b->slots, (size_t)b->nslots, (size_t)b->nslots + 1, sizeof *b->slots);
			b->slot_off = xrealloc_arr(b->slot_off, (size_t)b->nslots, (size_t)b->nslots + 1, sizeof *b->slot_off);
			b->slots[b->nslots] = j ? NULL : n ? n->out[0] : x;
			b->slot_off[b->nslots++] = b->acts;
			b->acts += ((j ? extra : out) + 15) / 16 * 16;
		}
	}
	/* BN statistics first, so a trainable use tied to one stays frozen with it */
	for (int i = 0; i < b->nnodes; i++)
		for (int j = 3; j < 5 && b->nodes[i]->op == OP_BatchNormalization; j++)
			add_param(g, b, b->nodes[i], b->nodes[i]->in[j], P_STAT);
	for (int i = 0; i < b->nnodes; i++) {
		Node *n = b->nodes[i];
		for (int j = 1; j < (n->op == OP_Conv ? 3 : n->op == OP_BatchNormalization ? 3 : 0); j++)
			if (j < n->nin && n->in[j]) /* Conv weight and bias, BN scale and bias */
				add_param(g, b, n, n->in[j], P_TRAIN);
	}
	if (!b->ntrain)
		fatal("%s: the block from '%s' to the head has no Conv/BatchNormalization parameters to train", g->path,
		      x->name);

	/* cut: the trunk now ends at x (--unfreeze all: the input, which the trunk passes through) */
	for (int i = 0; i < b->nnodes; i++)
		b->nodes[i]->dead = true;
	feat->kind = T_TEMP;
	if (x->kind != T_INPUT) {
		x->kind = T_OUTPUT;
		x->io_index = 0;
	}
	g->outputs[0] = x;
	graph_recount(g);
	g->train_block = b;
	progress("--unfreeze: trainable from '%s' %s: %d nodes, %lld parameters, %lld BatchNorm statistics", x->name,
	         shape_str(&x->shape), b->nnodes, (long long)b->size[P_TRAIN], (long long)b->size[P_STAT]);
}

/* ---- emission ------------------------------------------------------------ */

/* The slot holding t's values: its own, or (a view) its input's. */
static int slot_of(const struct TrainBlock *b, const Tensor *t)
{
	for (;;) {
		for (int i = 0; i < b->nslots; i++)
			if (b->slots[i] == t)
				return i;
		Node *v = NULL;
		for (int i = 0; i < b->nnodes && !v; i++)
			if (is_view(b->nodes[i]) && b->nodes[i]->out[0] == t)
				v = b->nodes[i];
		ASSERT(v);
		t = v->in[0];
	}
}

/* Slot of a tensor: an offset into the activations (or their gradients: none for the cut). */
static const char *act_ptr(const struct TrainBlock *b, const Tensor *t, const char *base)
{
	const int sl = slot_of(b, t);
	if (sl == 0 && strcmp(base, "acts"))
		return "NULL"; /* the cut (slot 0): no gradient for the frozen trunk */
	return xsprintf("%s + (size_t)batch * %lld", base, (long long)b->slot_off[sl]);
}

/* The slot after t's: MaxPool's argmax (cast "(int *)"), Conv's kept im2col columns (cast ""; "NULL"
 * when the conv has none). */
static const char *extra_ptr(const struct TrainBlock *b, const Tensor *t, const char *cast)
{
	for (int i = 0; i < b->nslots; i++)
		if (b->slots[i] == t && (i + 1 == b->nslots || b->slots[i + 1]))
			return "NULL";
		else if (b->slots[i] == t)
			return xsprintf("%s(acts + (size_t)batch * %lld)", cast, (long long)b->slot_off[i + 1]);
	UNREACHABLE();
}

static const BParam *param_of(const struct TrainBlock *b, const Tensor *t)
{
	for (int i = 0; i < b->nparams; i++)
		if (b->params[i].data == t->data)
			return &b->params[i];
	UNREACHABLE();
}

/* The C expression of a parameter's values, and of its gradient (NULL when not trained). */
static const char *pval(const struct TrainBlock *b, const Tensor *t)
{
	const BParam *p = param_of(b, t);
	return p->kind == P_CONST ? xsprintf("%s_block_const.f + %lld", b->P, (long long)p->off)
	       : p->kind == P_STAT ? xsprintf("stats + %lld", (long long)p->off)
	                           : xsprintf("params + %lld", (long long)p->off);
}

static const char *pgrad(const struct TrainBlock *b, const Tensor *t)
{
	const BParam *p = param_of(b, t);
	return p->kind == P_TRAIN ? xsprintf("grads + %lld", (long long)p->off) : "NULL";
}

/* A running statistic --bn-train moves: its values, or NULL when it is a frozen constant. */
static const char *pstat(const struct TrainBlock *b, const Tensor *t)
{
	return param_of(b, t)->kind == P_STAT ? pval(b, t) : "NULL";
}

/* RtConv initialiser for a Conv (N = batch) or a pool node (N = 1, the planes of all samples
 * as channels: the activations are channel-major). */
static const char *geometry(const Node *n)
{
	Window w;
	const Shape *x = &n->in[0]->shape;
	bool conv = n->op == OP_Conv;
	window_parse(n, &w, x, conv ? &n->in[1]->shape : NULL, !conv && n->opset >= 10, conv || n->opset >= 10);
	window_forward(n, &w);
	int64_t M = n->out[0]->shape.d[1], G = conv ? attr_int(n, "group", 1) : 1;
	return xsprintf("{ %s, %lld%s, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, "
	                "%lld }", conv ? "batch" : "1", (long long)x->d[1], conv ? "" : " * batch", (long long)w.in[0], (long long)w.in[1], (long long)M,
	                (long long)w.out[0], (long long)w.out[1], (long long)w.k[0], (long long)w.k[1], (long long)w.s[0],
	                (long long)w.s[1], (long long)w.pb[0], (long long)w.pb[1], (long long)w.d[0], (long long)w.d[1],
	                (long long)G);
}

/* One node's forward, or (fwd false) its backward; acc[j]: the backward adds into input j's
 * gradient (1) or writes its first contribution (0, only for ops that write all of it). */
static void emit_node(FILE *c, const struct TrainBlock *b, const Node *n, bool fwd, const int *acc)
{
	const Tensor *in = n->in[0], *out = n->out[0];
	int64_t numel = shape_numel(&out->shape), C = out->shape.rank > 1 ? out->shape.d[1] : 1;
	const char *X = act_ptr(b, in, "acts"), *Y = act_ptr(b, out, "acts");
	const char *dX = act_ptr(b, in, "dacts"), *dY = act_ptr(b, out, "dacts");
	fprintf(c, "\t/* %s '%s' */\n", n->op_type, c_comment(n->name));
	if (!fwd && !strcmp(dX, "NULL") && n->op != OP_Conv && n->op != OP_BatchNormalization && n->op != OP_Add &&
	    n->op != OP_Concat) {
		fprintf(c, "\t/* reads the cut only: no gradient to pass on */\n");
		return;
	}
	switch (n->op) {
	case OP_Conv: {
		bool bias = n->nin > 2 && n->in[2];
		fprintf(c, "\t{\n\t\tconst RtConv g = %s;\n", geometry(n));
		if (fwd) {
			fprintf(c, "\t\tif (rt_conv2d_cols_cn(&g) > (size_t)batch * %lld)\n\t\t\treturn rt_fail(RT_ERR_ARG, "
			           "\"conv '%%s': the runtime wants more column floats than onnx2c planned\", ",
			        (long long)conv_cols(n));
			fprintf(c, "%s);\n", c_string(n->name));
			fprintf(c, "\t\tif ((rc = rt_conv2d_forward_cn(%s, %s, %s, %s, &g, %s)))\n\t\t\treturn rc;\n", Y, X,
			        pval(b, n->in[1]), bias ? pval(b, n->in[2]) : "NULL", extra_ptr(b, out, ""));
		} else {
			fprintf(c, "\t\tif ((rc = rt_conv2d_backward_cn(%s, %s, %s, %s, %s, %s, &g, %s, %d)))\n"
			           "\t\t\treturn rc;\n", dX, pgrad(b, n->in[1]), bias ? pgrad(b, n->in[2]) : "NULL", dY, X,
			        pval(b, n->in[1]), extra_ptr(b, out, ""), acc[0]);
		}
		fprintf(c, "\t}\n");
		break;
	}
	case OP_BatchNormalization: {
		/* the trainer's momentum, PyTorch's convention (exporters write ONNX's momentum attribute
		 * inconsistently: torch.onnx writes 1 - momentum, or 1 after a cumulative calibration) */
		float eps = attr_float(n, "epsilon", 1e-5f);
		const char *save = extra_ptr(b, out, "");
		if (fwd) {
			fprintf(c, "\tif (bn_momentum >= 0)\n\t\trt_bn_train_forward(%s, %s, %s, %s, %s, %s, %s, %s, bn_momentum, "
			           "1, %lld, batch * %lld);\n", Y, save, pstat(b, n->in[3]), pstat(b, n->in[4]), X,
			        pval(b, n->in[1]), pval(b, n->in[2]), c_float(eps), (long long)C, (long long)(numel / C));
			fprintf(c, "\telse\n\t\trt_bn_frozen_forward(%s, %s, %s, %s, %s, %s, %s, 1, %lld, batch * %lld);\n", Y,
			        X, pval(b, n->in[1]), pval(b, n->in[2]), pval(b, n->in[3]), pval(b, n->in[4]), c_float(eps),
			        (long long)C, (long long)(numel / C));
		} else {
			fprintf(c, "\tif (bn_train)\n\t\trt_bn_train_backward(%s, %s, %s, %s, %s, %s, %s, 1, %lld, batch * %lld, "
			           "%d);\n", dX, pgrad(b, n->in[1]), pgrad(b, n->in[2]), dY, X, pval(b, n->in[1]), save,
			        (long long)C, (long long)(numel / C), acc[0]);
			fprintf(c, "\telse\n\t\trt_bn_frozen_backward(%s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %lld, batch * %lld, "
			           "%d);\n", dX, pgrad(b, n->in[1]), pgrad(b, n->in[2]), dY, X, pval(b, n->in[1]), pval(b, n->in[3]),
			        pval(b, n->in[4]), c_float(eps), (long long)C, (long long)(numel / C), acc[0]);
		}
		break;
	}
	case OP_Relu:
		if (fwd)
			fprintf(c, "\trt_relu_forward(%s, %s, (size_t)batch * %lld);\n", Y, X, (long long)numel);
		else
			fprintf(c, "\trt_relu_backward(%s, %s, %s, (size_t)batch * %lld, %d);\n", dX, dY, Y,
			        (long long)numel, acc[0]);
		break;
	case OP_Add:
		if (fwd)
			fprintf(c, "\trt_add_forward(%s, %s, %s, (size_t)batch * %lld);\n", Y, X, act_ptr(b, n->in[1], "acts"),
			        (long long)numel);
		else
			fprintf(c, "\trt_add_backward(%s, %s, %s, (size_t)batch * %lld, %d, %d);\n", dX,
			        act_ptr(b, n->in[1], "dacts"), dY, (long long)numel, acc[0], acc[1]);
		break;
	case OP_Concat: {
		fprintf(c, "\t{\n\t\tstatic const int Cs[%d] = {", n->nin);
		for (int j = 0; j < n->nin; j++)
			fprintf(c, "%s%lld", j ? ", " : " ", (long long)n->in[j]->shape.d[1]);
		fprintf(c, " };\n");
		if (fwd) {
			fprintf(c, "\t\tconst float *ins[%d] = {", n->nin);
			for (int j = 0; j < n->nin; j++)
				fprintf(c, "%s%s", j ? ", " : " ", act_ptr(b, n->in[j], "acts"));
			fprintf(c, " };\n\t\trt_concat_forward(%s, ins, Cs, %d, 1, batch * %lld);\n", Y, n->nin,
			        (long long)(numel / C));
		} else {
			fprintf(c, "\t\tfloat *dins[%d] = {", n->nin);
			for (int j = 0; j < n->nin; j++)
				fprintf(c, "%s%s", j ? ", " : " ", act_ptr(b, n->in[j], "dacts"));
			fprintf(c, " };\n\t\trt_concat_backward(dins, %s, Cs, %d, 1, batch * %lld);\n", dY, n->nin,
			        (long long)(numel / C));
		}
		fprintf(c, "\t}\n");
		break;
	}
	case OP_MaxPool:
	case OP_AveragePool: {
		fprintf(c, "\t{\n\t\tconst RtConv g = %s;\n", geometry(n));
		if (n->op == OP_MaxPool && fwd)
			fprintf(c, "\t\trt_maxpool_forward(%s, %s, %s, &g);\n", Y, extra_ptr(b, out, "(int *)"), X);
		else if (n->op == OP_MaxPool)
			fprintf(c, "\t\trt_maxpool_backward(%s, %s, %s, &g);\n", dX, dY, extra_ptr(b, out, "(int *)"));
		else {
			int inc = (int)attr_int(n, "count_include_pad", 0);
			if (fwd)
				fprintf(c, "\t\trt_avgpool_forward(%s, %s, &g, %d);\n", Y, X, inc);
			else
				fprintf(c, "\t\trt_avgpool_backward(%s, %s, &g, %d);\n", dX, dY, inc);
		}
		fprintf(c, "\t}\n");
		break;
	}
	case OP_Pad: {
		int64_t pb[2] = { 0, 0 }, pe[2] = { 0, 0 }, H = 1, W = in->shape.d[in->shape.rank - 1];
		int nsp;
		bool zero = pad_zero_spatial(n, pb, pe, &nsp);
		ASSERT(zero); /* check_node refused the others */
		if (nsp == 1) { /* 1-D: the one spatial axis is W */
			pb[1] = pb[0], pe[1] = pe[0];
			pb[0] = pe[0] = 0;
		} else {
			H = in->shape.d[2];
		}
		const char *args = xsprintf("1, %lld * batch, %lld, %lld, %lld, %lld, %lld, %lld", (long long)in->shape.d[1],
		                            (long long)H, (long long)W, (long long)pb[0], (long long)pb[1], (long long)pe[0],
		                            (long long)pe[1]);
		if (fwd)
			fprintf(c, "\trt_pad2d_forward(%s, %s, %s);\n", Y, X, args);
		else
			fprintf(c, "\trt_pad2d_backward(%s, %s, %s);\n", dX, dY, args);
		break;
	}
	case OP_GlobalAveragePool: {
		int64_t HW = shape_numel(&in->shape) / in->shape.d[1];
		if (fwd)
			fprintf(c, "\trt_gap_forward(%s, %s, 1, %lld * batch, %lld);\n", Y, X, (long long)in->shape.d[1],
			        (long long)HW);
		else
			fprintf(c, "\trt_gap_backward(%s, %s, 1, %lld * batch, %lld, %d);\n", dX, dY,
			        (long long)in->shape.d[1], (long long)HW, acc[0]);
		break;
	}
	default:
		fprintf(c, "\t/* a view: shares its input's memory */\n");
	}
}

void train_block_emit(Graph *g, FILE *c, FILE *h, const char *P, const char *U)
{
	struct TrainBlock *b = g->train_block;
	if (!b)
		return;
	b->P = P;
	if (h) {
		fprintf(h, "/* --unfreeze: the trunk ends at '%s'; the trainable block from there to the\n"
		           " * features is %s_block (runtime/onnx2c_rt.h: RtBlock), in C that calls the\n"
		           " * training runtime (link onnx2c_rt). */\n", c_comment(b->x->name), P);
		fprintf(h, "#define %s_BLOCK_IN %lld /* floats a sample of the cut '%s' %s */\n", U,
		        (long long)shape_numel(&b->x->shape), c_comment(b->x->name), shape_str(&b->x->shape));
		fprintf(h, "#define %s_BLOCK_PARAMS %lld /* floats in the block's parameter buffer */\n", U,
		        (long long)b->size[P_TRAIN]);
		fprintf(h, "struct RtBlock;\nextern const struct RtBlock %s_block;\n\n", P);
		return;
	}
	fprintf(c, "/* ---- --unfreeze: the trainable block '%s' %s -> '%s' %s ----\n", c_comment(b->x->name),
	        shape_str(&b->x->shape), c_comment(b->feat->name), shape_str(&b->feat->shape));
	fprintf(c, " * %d ONNX nodes, %d trainable tensors (%lld floats); BatchNorm running statistics: %lld floats\n"
	           " * (used as they are, or with bn_train the batch's and moved). */\n",
	        b->nnodes, b->ntrain, (long long)b->size[P_TRAIN], (long long)b->size[P_STAT]);
	fprintf(c, "#include \"onnx2c_rt.h\"\n\n");
	/* the initial parameters and statistics (the model's values) and the frozen constants, padded
	 * to 16-float slots, as string literals (they compile far faster than float initializer lists) */
	static const char *const buf[P_KINDS] = { "init", "const", "stats_init" };
	int ntensors[P_KINDS] = { 0, 0, 0 };
	for (int k = 0; k < P_KINDS; k++) {
		int64_t n = b->size[k];
		float *v = xalloc(sizeof(float) * (size_t)(n + 1));
		for (int i = 0; i < b->nparams; i++)
			if (b->params[i].kind == k) {
				memcpy(v + b->params[i].off, b->params[i].data, sizeof(float) * (size_t)b->params[i].count);
				ntensors[k]++;
			}
		if (k == P_CONST && !ntensors[k])
			continue; /* nothing reads it */
		fprintf(c, "static const union { unsigned char b[%lld]; float f[%lld]; } %s_block_%s = {\n",
		        (long long)(4 * n + 4), (long long)(n + 1), P, buf[k]);
		write_c_bytes(c, (const unsigned char *)v, (size_t)(4 * n + 4));
		fprintf(c, "};\n");
	}
	/* the trainable tensors and the statistics: ONNX initializer, offset, floats */
	for (int k = 0; k < P_KINDS; k++) {
		if (k == P_CONST || !ntensors[k])
			continue;
		fprintf(c, "static const RtParam %s_block_%s[%d] = {\n", P, k == P_TRAIN ? "params" : "stats", ntensors[k]);
		for (int i = 0; i < b->nparams; i++) {
			if (b->params[i].kind != k)
				continue;
			fprintf(c, "\t{ %s, %lld, %lld },\n", c_string(b->params[i].name), (long long)b->params[i].off,
			        (long long)b->params[i].count);
		}
		fprintf(c, "};\n");
	}
	int64_t F = shape_numel(&b->feat->shape);
	fprintf(c, "\nstatic size_t %s_block_acts_size(int batch)\n{\n\treturn (size_t)batch * %lld;\n}\n\n", P,
	        (long long)b->acts);
	fprintf(c, "/* x [batch, %lld] -> feat [batch, %lld]; every activation stays in acts for the backward. */\n",
	        (long long)shape_numel(&b->x->shape), (long long)F);
	fprintf(c, "static int %s_block_forward(float *acts, const float *params, float *stats, float bn_momentum, "
	           "int batch, const float *x, float *feat)\n{\n\tint rc = RT_OK;\n\t(void)stats, (void)bn_momentum;\n", P);
	int64_t Cx, HWx, Cf, HWf;
	chw(b->x, &Cx, &HWx);
	const int fslot = slot_of(b, b->feat);
	chw(b->slots[fslot], &Cf, &HWf);
	fprintf(c, "\trt_nc_to_cn(%s, x, batch, %lld, %lld); /* channel-major inside */\n", act_ptr(b, b->x, "acts"),
	        (long long)Cx, (long long)HWx);
	for (int i = 0; i < b->nnodes; i++)
		emit_node(c, b, b->nodes[i], true, NULL);
	fprintf(c, "\trt_cn_to_nc(feat, %s, batch, %lld, %lld);\n\treturn rc;\n}\n\n", act_ptr(b, b->feat, "acts"),
	        (long long)Cf, (long long)HWf);
	fprintf(c, "/* Accumulates d loss/d params into grads from dfeat, in reverse order (dacts is scratch). */\n");
	fprintf(c, "static int %s_block_backward(float *grads, float *dacts, const float *acts, const float *params, "
	           "const float *stats, int bn_train, int batch, const float *x, const float *dfeat)\n{\n\tint rc = RT_OK;\n"
	           "\t(void)stats, (void)bn_train;\n", P);
	fprintf(c, "\trt_nc_to_cn(%s, dfeat, batch, %lld, %lld);\n", act_ptr(b, b->feat, "dacts"), (long long)Cf,
	        (long long)HWf);
	/* a gradient's first contribution (in reverse order) overwrites it when that op writes all
	 * of it; before any other first contribution (pools, pad, concat) the slot is zeroed, just
	 * then (while it is about to be in cache): never one memset of the whole buffer */
	bool *seen = xalloc(sizeof(bool) * (size_t)b->nslots);
	seen[fslot] = seen[0] = true; /* set from dfeat; the cut's (slot 0) is not wanted */
	for (int i = b->nnodes - 1; i >= 0; i--) {
		const Node *n = b->nodes[i];
		bool writes_all = n->op == OP_Relu || n->op == OP_BatchNormalization || n->op == OP_Add ||
		                  n->op == OP_GlobalAveragePool || n->op == OP_Conv;
		int *acc = xalloc(sizeof(int) * (size_t)(n->nin + 1));
		for (int j = 0; j < n->nin && !is_view(n); j++) {
			acc[j] = 1;
			if (!n->in[j] || tensor_is_const(n->in[j]) || (j > 0 && n->op != OP_Add && n->op != OP_Concat) ||
			    seen[slot_of(b, n->in[j])])
				continue;
			const int sl = slot_of(b, n->in[j]);
			seen[sl] = true;
			if (writes_all)
				acc[j] = 0;
			else
				fprintf(c, "\tmemset(%s, 0, sizeof(float) * (size_t)batch * %lld);\n",
				        act_ptr(b, b->slots[sl], "dacts"), (long long)shape_numel(&b->slots[sl]->shape));
		}
		emit_node(c, b, n, false, acc);
	}
	fprintf(c, "\t(void)x;\n\treturn rc;\n}\n\n");
	fprintf(c, "const RtBlock %s_block = {\n\t.cut = %s", P, c_string(b->x->name));
	fprintf(c, ",\n\t.in_numel = %s_BLOCK_IN,\n\t.nparams = %lld,\n"
	           "\t.init = %s_block_init.f,\n\t.params = %s_block_params,\n\t.ntensors = %d,\n", U,
	        (long long)b->size[P_TRAIN], P, P, b->ntrain);
	fprintf(c, "\t.nstats = %lld,\n\t.stats_init = %s_block_stats_init.f,\n\t.stats = %s%s,\n\t.nstat_tensors = %d,\n",
	        (long long)b->size[P_STAT], P, ntensors[P_STAT] ? P : "NULL", ntensors[P_STAT] ? "_block_stats" : "",
	        ntensors[P_STAT]);
	fprintf(c, "\t.acts_size = %s_block_acts_size,\n\t.forward = %s_block_forward,\n\t.backward = %s_block_backward,\n"
	           "};\n\n", P, P, P);
}
