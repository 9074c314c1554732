/*
 * ops/conv.c - Conv (opset 1..21): attributes and shapes, and the emitter
 * that packs the weights at compile time (compiler/pack/pack.c) for the
 * kernel families in templates/conv/.
 *
 * The kernels that serve a Conv, one family file each in templates/conv/:
 * depthwise (group == C == M; dw.c) reads W as given; a 3x3 stride-1 conv
 * with enough channels runs as Winograd F(4x4,3x3) or F(2x2,3x3) (wino.c)
 * on weights transformed here, with the products vectorised over output
 * channels when the image has few tiles (wcv.c, which needs arena scratch:
 * conv_scratch_floats); small images run the channel-vectorised kernel
 * (cv.c); everything else goes through the packed direct convolution, an
 * implicit GEMM (direct.c), a 1x1 stride-1 unpadded conv as a GEMM over
 * the flattened image.  The fused epilogue (bias, residual, activation) is
 * applied inside the kernel when the activation is a clamp (Relu, Clip),
 * else by a pass after it.
 */
#include "spatial.h"

#include "blocking.h" /* the kernels' block sizes and limits */
#include "pack.h"

#include <math.h>
#include <string.h>

typedef struct ConvP {
	Window w;
	int64_t group;
} ConvP;

void conv_parse(Graph *g, Node *n)
{
	(void)g;
	ConvP *p = xalloc(sizeof *p);
	require_float(n, 0);
	require_float(n, 1);
	require_float(n, 2);
	if (!tensor_is_const(n->in[1]))
		fatal_unsupported(n, "weight '%s' is computed at run time; only constant Conv weights are supported",
		                  n->in[1]->name);
	window_parse(n, &p->w, &n->in[0]->shape, &n->in[1]->shape, false, true);
	p->group = attr_int(n, "group", 1);
	if (p->group < 1)
		fatal_node(n, "attribute group = %lld; must be at least 1", (long long)p->group);
	n->p = p;
}

void conv_infer(Graph *g, Node *n)
{
	(void)g;
	ConvP *p = n->p;
	const Shape *x = &n->in[0]->shape, *wt = &n->in[1]->shape;
	int64_t C = x->d[1], M = wt->d[0], G = p->group;
	if (C % G)
		fatal_node(n, "input has %lld channels, not divisible by group %lld", (long long)C, (long long)G);
	if (M % G)
		fatal_node(n, "weight has %lld output channels, not divisible by group %lld", (long long)M,
		           (long long)G);
	if (wt->d[1] != C / G)
		fatal_node(n,
		           "weight %s expects %lld input channels per group, but the input %s with group %lld has %lld",
		           shape_str(wt), (long long)wt->d[1], shape_str(x), (long long)G, (long long)(C / G));
	if (n->nin > 2 && n->in[2]) {
		const Shape *b = &n->in[2]->shape;
		if (b->rank != 1 || b->d[0] != M)
			fatal_node(n, "bias '%s' has shape %s; [%lld] expected", n->in[2]->name, shape_str(b),
			           (long long)M);
	}
	window_forward(n, &p->w);
	Shape out;
	window_out_shape(&p->w, x->d[0], M, &out);
	set_out(n, 0, DT_FLOAT, &out, n->in[0]->batched);
}

bool conv_fold(Graph *g, Node *n)
{
	return fold_none(g, n);
}

/* Winograd pays when the GEMMs dominate its transforms: enough channels on
 * both sides, and enough output pixels (>= 14x14) that its 16/9 larger
 * weights are reused: at 8x8 or 7x7 the layer streams its weights from
 * memory once per tile group and the direct path wins in the whole model.
 * With 16 input channels the transforms cost more than the products save:
 * SqueezeNet 1.1's 16->64 3x3 convs at 55x55 took 0.83-0.84 ms as F(2x2)
 * and 0.69-0.71 direct; at 32 channels (27x27) F(2x2) still wins, 0.57
 * against 0.59 (profile build, 1 thread, two alternated pairs of --bench 20).
 * Its transformed input must fit the kernel's stack panel (O2C_WINO_CMAX,
 * O2C_WINO_VMAX). */
static bool conv_use_wino(const Window *w, int64_t G, int64_t C, int64_t M)
{
	return g_winograd >= 2 && G == 1 && w->k[0] == 3 && w->k[1] == 3 && w->s[0] == 1 && w->s[1] == 1 && w->d[0] == 1 && w->d[1] == 1 &&
	       C > 16 && C <= O2C_WINO_CMAX && M >= 16 && w->out[0] * w->out[1] >= 196;
}

/* The channel-vectorised path serves small images (7x7, 8x8), where the
 * 48-pixel panels of the direct path are partly empty and each weight is
 * used for few pixels; its stack panel and transpose buffer hold at most
 * O2C_CV_PMAX pixels. */
static bool conv_use_cv(const Window *w, int64_t G, int64_t M)
{
	return G == 1 && M % O2C_CV_MV == 0 && w->out[0] * w->out[1] <= O2C_CV_PMAX &&
	       w->k[0] * w->k[1] <= O2C_CV_KHWMAX;
}

/* F(4x4) only when asked for (--winograd=4): it is faster (36 products per
 * 4x4 tile and channel, F(2x2) needs 64), but its transforms' coefficients
 * (up to 8 and 1/24) amplify the products' roundings: a layer's error is
 * ~6x the direct path's and ONNX Runtime's (relative RMS 1.1e-6 against
 * 1.6e-7 on resnet50's 3x3 layers), enough for deep ResNets (resnet101,
 * wide_resnet101_2) to drift past 1e-4 of ONNX Runtime.  F(2x2) with
 * blocked sums is within 1.2x of ORT's per-layer error.
 * Where it is on, F(4x4) rather than F(2x2) where its 4x larger transformed weights are
 * used often enough: at 14x14 (16 tiles of 4x4) a layer streams them from
 * memory and runs no faster than F(2x2) on one thread, with 2.25x the
 * weight traffic; from 20x20 on (28x28: 49 tiles) it wins.  Its kernel
 * holds 16 tiles of at most O2C_WINO4_CMAX channels. */
static bool conv_use_wino4(const Window *w, int64_t C)
{
	return g_winograd >= 4 && C <= O2C_WINO4_CMAX && ((w->out[0] + 3) / 4) * ((w->out[1] + 3) / 4) >= 25;
}

/* The Winograd products vectorised over 64 output channels (o2c_conv_wcv)
 * where an image has few tiles (49 at 14x14 in F(2x2), at 28x28 in F(4x4)):
 * the tile-vectorised products would compute 64 columns for them in two
 * groups and read the weights twice.  Its stack holds (F+2)^2 x T x 64
 * partial products.  Returns F, or 0 when the path does not apply. */
static int conv_wcv_f(const Window *w, int64_t G, int64_t C, int64_t M)
{
	if (!conv_use_wino(w, G, C, M) || M % O2C_CV_MV)
		return 0;
	const int F = conv_use_wino4(w, C) ? 4 : 2;
	const int64_t T = ((w->out[0] + F - 1) / F) * ((w->out[1] + F - 1) / F);
	return T <= O2C_WCV_TMAX && (F + 2) * (F + 2) * T * O2C_CV_MV <= O2C_WCV_MB ? F : 0;
}

int64_t conv_scratch_floats(const Node *n)
{
	const ConvP *p = n->p;
	const int64_t C = n->in[0]->shape.d[1], M = n->in[1]->shape.d[0];
	const int F = conv_wcv_f(&p->w, p->group, C, M);
	if (!F)
		return 0;
	/* the transformed input of one image, V[(F+2)^2][C][T], and the padding
	 * conv/wino.c puts between positions (o2c_wino_vs): O2C_WINO_PADF floats a tile */
	return (F + 2) * (F + 2) * (C + O2C_WINO_PADF) * ((p->w.out[0] + F - 1) / F) * ((p->w.out[1] + F - 1) / F);
}

/* Multiply-accumulates per sample: each output takes C/group * KH * KW (its FACT). */
int64_t conv_macs(const Node *n)
{
	const Shape *w = &n->in[1]->shape;
	return w->d[0] ? shape_numel(&n->out[0]->shape) * (shape_numel(w) / w->d[0]) : 0;
}

/* Splits n->act into the kernel's clamp [lo, hi] and what a pass after the
 * kernel must still apply (false when the clamp covers it). */
bool spatial_act_clamp(const Node *n, const char **lo, const char **hi)
{
	*lo = c_float(-INFINITY);
	*hi = c_float(INFINITY);
	switch (n->act.kind) {
	case ACT_NONE:
		return true;
	case ACT_RELU:
		*lo = c_float(0.0f);
		return true;
	case ACT_CLIP:
		*lo = c_float(n->act.a);
		*hi = c_float(n->act.b);
		return true;
	default:
		return false;
	}
}

/* The activations templates/act.c vectorises (exp by polynomial where gcc
 * would call expf): the O2C_ACT_* name of n's, or NULL. */
const char *spatial_act_simd(const Node *n)
{
	static const struct { ActKind kind; const char *name; } simd[] = {
		{ ACT_SIGMOID, "O2C_ACT_SIGMOID" }, { ACT_SILU, "O2C_ACT_SILU" },
		{ ACT_TANH, "O2C_ACT_TANH" }, { ACT_HARD_SWISH, "O2C_ACT_HARD_SWISH" },
		{ ACT_GELU, "O2C_ACT_GELU" }, { ACT_GELU_TANH, "O2C_ACT_GELU_TANH" },
	};
	for (size_t i = 0; i < sizeof simd / sizeof simd[0]; i++)
		if (n->act.kind == simd[i].kind)
			return simd[i].name;
	return NULL;
}

/* The activation pass for activations the kernels cannot clamp, shared by
 * the team once every thread's part of the output is written. */
void spatial_emit_act_pass(Emit *e, const Node *n, int64_t count)
{
	const char *simd = spatial_act_simd(n);
	emit_team(e);
	if (simd) {
		emit_need(e, "act.c");
		emitf(e, "\to2c_sync();\n\to2c_act_f32(out0, out0, %lld, %s);\n", (long long)count, simd);
		return;
	}
	emitf(e, "\to2c_sync();\n\tO2C_OMP(for nowait)\n");
	emitf(e, "\tfor (size_t i = 0; i < %lld; i++) {\n", (long long)count);
	emitf(e, "\t\tfloat v = out0[i];\n");
	emitf(e, "\t\tout0[i] = %s;\n", act_c_expr(&n->act, "v"));
	emitf(e, "\t}\n");
}

/* A buffer for count floats of packed weights; count < 0: pack.c found them too large. */
static float *conv_pack_buf(const Node *n, int64_t count)
{
	if (count < 0)
		fatal_node(n, "weight %s is too large to pack", shape_str(&n->in[1]->shape));
	return xalloc((size_t)count * sizeof(float));
}

void conv_emit(Emit *e, Node *n)
{
	const ConvP *p = n->p;
	const Window *w = &p->w;
	const Shape *x = &n->in[0]->shape;
	const Tensor *wt = n->in[1], *bt = n->nin > 2 ? n->in[2] : NULL;
	const int64_t N = x->d[0], C = x->d[1], M = wt->shape.d[0], G = p->group;
	const int64_t H = w->in[0], W = w->in[1], OH = w->out[0], OW = w->out[1];
	const int64_t K = wt->shape.d[1] * w->k[0] * w->k[1]; /* taps per output channel */
	const char *bias = !bt ? "NULL" : tensor_is_const(bt) ? emit_const(e, bt) : "in2";
	const char *res = n->residual ? "res" : "NULL";
	const char *lo, *hi;
	bool clamped = spatial_act_clamp(n, &lo, &hi);
	/* the direct, cv and depthwise kernels apply a SIMD activation to each
	 * tile they store (O2C_ACT_NONE: none, or a pass after them) */
	const char *act = clamped || !spatial_act_simd(n) ? "O2C_ACT_NONE" : spatial_act_simd(n);
	bool epilogue_act = false;

	if (G > 1 && G == C && M == C) {
		emit_need(e, "conv/dw.c");
		emitf(e, "\t/* depthwise: one input channel per output channel */\n");
		emitf(e,
		      "\to2c_conv_dw(in0, %s, %s, %s, out0, /*N*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, "
		      "/*OH*/%lld, /*OW*/%lld,\n\t            /*KH*/%lld, /*KW*/%lld, /*SH*/%lld, /*SW*/%lld, "
		      "/*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld, %s, %s, %s);\n",
		      emit_const(e, wt), bias, res, (long long)N, (long long)C, (long long)H, (long long)W,
		      (long long)OH, (long long)OW, (long long)w->k[0], (long long)w->k[1], (long long)w->s[0],
		      (long long)w->s[1], (long long)w->d[0], (long long)w->d[1], (long long)w->pb[0],
		      (long long)w->pb[1], lo, hi, act);
		epilogue_act = true;
	} else if (conv_wcv_f(w, G, C, M)) {
		const int F = conv_wcv_f(w, G, C, M);
		const int64_t count = pack_conv_wino_floats(C, M, F, O2C_CV_MV);
		float *u = conv_pack_buf(n, count);
		pack_conv_wino(u, tensor_f32(wt), C, M, F, O2C_CV_MV);
		emit_need(e, "conv/wcv.c");
		emitf(e, "\t/* 3x3 stride 1: Winograd F(%dx%d,3x3), few tiles: products over %d output channels */\n", F,
		      F, O2C_CV_MV);
		emitf(e,
		      "\to2c_conv_wcv(in0, %s, %s, %s, out0, scratch, /*F*/%d, /*N*/%lld, /*C*/%lld, /*H*/%lld, "
		      "/*W*/%lld, /*M*/%lld,\n\t             /*OH*/%lld, /*OW*/%lld, /*PT*/%lld, /*PL*/%lld, %s, %s);\n",
		      emit_weights(e, u, (size_t)count), bias, res, F, (long long)N, (long long)C, (long long)H,
		      (long long)W, (long long)M, (long long)OH, (long long)OW, (long long)w->pb[0], (long long)w->pb[1],
		      lo, hi);
	} else if (conv_use_wino(w, G, C, M)) {
		const int F = conv_use_wino4(w, C) ? 4 : 2;
		const int64_t count = pack_conv_wino_floats(C, M, F, O2C_CONV_MR);
		float *u = conv_pack_buf(n, count);
		pack_conv_wino(u, tensor_f32(wt), C, M, F, O2C_CONV_MR);
		emit_need(e, "conv/wino.c");
		emitf(e, "\t/* 3x3 stride 1: Winograd F(%dx%d,3x3), weights transformed at compile time */\n", F, F);
		emitf(e,
		      "\to2c_conv_wino%d(in0, %s, %s, %s, out0, /*N*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, /*M*/%lld, "
		      "/*OH*/%lld, /*OW*/%lld,\n\t               /*PT*/%lld, /*PL*/%lld, %s, %s);\n",
		      F, emit_weights(e, u, (size_t)count), bias, res, (long long)N, (long long)C, (long long)H,
		      (long long)W, (long long)M, (long long)OH, (long long)OW, (long long)w->pb[0], (long long)w->pb[1],
		      lo, hi);
	} else if (conv_use_cv(w, G, M)) {
		const int64_t count = pack_conv_cv_floats(M, K);
		float *packed = conv_pack_buf(n, count);
		pack_conv_cv(packed, tensor_f32(wt), M, K);
		emit_need(e, "conv/cv.c");
		emitf(e, "\t/* small image: vectors over %d output channels, pixels broadcast */\n", O2C_CV_MV);
		emitf(e,
		      "\to2c_conv_cv(in0, %s, %s, %s, out0, /*N*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, /*M*/%lld, "
		      "/*OH*/%lld, /*OW*/%lld,\n\t            /*KH*/%lld, /*KW*/%lld, /*SH*/%lld, /*SW*/%lld, "
		      "/*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld, %s, %s, %s);\n",
		      emit_weights(e, packed, (size_t)count), bias, res, (long long)N, (long long)C, (long long)H,
		      (long long)W, (long long)M, (long long)OH, (long long)OW, (long long)w->k[0], (long long)w->k[1],
		      (long long)w->s[0], (long long)w->s[1], (long long)w->d[0], (long long)w->d[1],
		      (long long)w->pb[0], (long long)w->pb[1], lo, hi, act);
		epilogue_act = true;
	} else {
		const int64_t count = pack_conv_direct_floats(G, M, K);
		float *packed = conv_pack_buf(n, count);
		pack_conv_direct(packed, tensor_f32(wt), G, M, K);
		emit_need(e, "conv/direct.c");
		const char *wp = emit_weights(e, packed, (size_t)count);
		bool gemm = w->k[0] == 1 && w->k[1] == 1 && w->s[0] == 1 && w->s[1] == 1 && !w->pb[0] && !w->pb[1] &&
		            !w->pe[0] && !w->pe[1];
		int64_t h = H, ww = W, oh = OH, ow = OW;
		if (gemm) {
			emitf(e, "\t/* 1x1 stride 1: a GEMM over the %lld pixels, run as one %lld-wide row */\n",
			      (long long)(H * W), (long long)(H * W));
			h = oh = 1;
			ww = ow = H * W;
		}
		emitf(e,
		      "\to2c_conv_direct(in0, %s, %s, %s, out0, /*N*/%lld, /*G*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, "
		      "/*M*/%lld, /*OH*/%lld, /*OW*/%lld,\n\t                /*KH*/%lld, /*KW*/%lld, /*SH*/%lld, "
		      "/*SW*/%lld, /*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld, %s, %s, %s);\n",
		      wp, bias, res, (long long)N, (long long)G, (long long)C, (long long)h, (long long)ww,
		      (long long)M, (long long)oh, (long long)ow, (long long)w->k[0], (long long)w->k[1],
		      (long long)w->s[0], (long long)w->s[1], (long long)w->d[0], (long long)w->d[1],
		      (long long)w->pb[0], (long long)w->pb[1], lo, hi, act);
		epilogue_act = true;
	}
	if (!clamped && !(epilogue_act && spatial_act_simd(n)))
		spatial_emit_act_pass(e, n, shape_numel(&n->out[0]->shape));
}
