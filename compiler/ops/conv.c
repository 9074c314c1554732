/*
 * ops/conv.c - Conv (opset 1..21): attributes and shapes, and the emitter
 * that packs the weights at compile time for templates/conv.c.
 *
 * The kernels that serve a Conv: depthwise (group == C == M) reads W as
 * given; a 3x3 stride-1 conv with enough channels runs as Winograd
 * F(4x4,3x3) or F(2x2,3x3) on weights transformed here (with the products
 * vectorised over output channels when the image has few tiles, which
 * needs arena scratch: conv_scratch_floats); small images run the
 * channel-vectorised kernel; a 1x1, stride-1, unpadded conv runs as a GEMM
 * over the flattened image; everything else goes through the packed direct
 * convolution (an implicit GEMM).  The
 * fused epilogue (bias, residual, activation) is applied inside the kernel
 * when the activation is a clamp (Relu, Clip), else by a pass after it.
 */
#include "spatial.h"

#include <math.h>
#include <string.h>

#define CONV_MR 8           /* must equal O2C_CONV_MR in templates/conv.c */
#define CONV_CV_MV 64       /* must equal O2C_CV_MV in templates/conv.c */
#define CONV_CV_PMAX 64     /* must equal O2C_CV_PMAX in templates/conv.c */
#define CONV_WINO4_CMAX 256 /* must equal O2C_WINO4_CMAX in templates/conv.c */
#define CONV_WCV_MB (36 * 49 * 64) /* must equal O2C_WCV_MB in templates/conv.c */

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

/* W [M][Cg][KH][KW] -> [G][nb][Cg*KH*KW][MR], zero past each group's Mg. */
static float *conv_pack(const float *w, int64_t G, int64_t M, int64_t K, size_t *count)
{
	const int64_t Mg = M / G, nb = (Mg + CONV_MR - 1) / CONV_MR;
	*count = (size_t)checked_mul(checked_mul(G * nb, K, "packed weights"), CONV_MR, "packed weights");
	float *p = xalloc(*count * sizeof *p);
	for (int64_t gi = 0; gi < G; gi++)
		for (int64_t b = 0; b < nb; b++)
			for (int64_t k = 0; k < K; k++)
				for (int64_t r = 0; r < CONV_MR; r++) {
					int64_t ocg = b * CONV_MR + r;
					if (ocg < Mg)
						p[((gi * nb + b) * K + k) * CONV_MR + r] = w[(gi * Mg + ocg) * K + k];
				}
	return p;
}

/* Winograd weights, F = 2 or 4 (templates/conv.c o2c_conv2d_wino3, _wino4
 * with mv = MR, o2c_conv2d_wcv with mv = 64), computed in double:
 *   U[xi][b][c][r] = (G g G^T)[xi] for g = W[b*mv + r][c] (3x3), zero past M,
 * xi over the (F+2)^2 positions, G the (F+2)x3 matrix of F(FxF,3x3). */
static float *conv_wino_pack(const float *w, int64_t C, int64_t M, int F, int64_t mv, size_t *count)
{
	static const double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
	static const double G4[6][3] = {{1.0 / 4, 0, 0},
	                                {-1.0 / 6, -1.0 / 6, -1.0 / 6},
	                                {-1.0 / 6, 1.0 / 6, -1.0 / 6},
	                                {1.0 / 24, 1.0 / 12, 1.0 / 6},
	                                {1.0 / 24, -1.0 / 12, 1.0 / 6},
	                                {0, 0, 1}};
	const double(*Gm)[3] = F == 2 ? G2 : G4;
	const int a = F + 2; /* positions per side */
	const int64_t nb = (M + mv - 1) / mv;
	*count = (size_t)checked_mul(checked_mul(a * a * nb, C, "Winograd weights"), mv, "Winograd weights");
	float *u = xalloc(*count * sizeof *u);
	for (int64_t m = 0; m < M; m++)
		for (int64_t c = 0; c < C; c++) {
			const float *g = w + (m * C + c) * 9;
			for (int i = 0; i < a; i++)
				for (int k = 0; k < a; k++) {
					double v = 0;
					for (int y = 0; y < 3; y++)
						for (int x = 0; x < 3; x++)
							v += Gm[i][y] * g[y * 3 + x] * Gm[k][x];
					u[(((i * a + k) * nb + m / mv) * C + c) * mv + m % mv] = (float)v;
				}
		}
	return u;
}

/* Winograd pays when the GEMMs dominate its transforms: enough channels on
 * both sides, and enough output pixels (>= 14x14) that its 16/9 larger
 * weights are reused: at 8x8 or 7x7 the layer streams its weights from
 * memory once per tile group and the direct path wins in the whole model.
 * Its transformed input must fit the kernel's stack panel (C <= 512,
 * O2C_WINO_VMAX). */
static bool conv_use_wino(const Window *w, int64_t G, int64_t C, int64_t M)
{
	return G == 1 && w->k[0] == 3 && w->k[1] == 3 && w->s[0] == 1 && w->s[1] == 1 && w->d[0] == 1 && w->d[1] == 1 &&
	       C >= 16 && C <= 512 && M >= 16 && w->out[0] * w->out[1] >= 196;
}

/* W [M][K] -> [M/CV_MV][K][CV_MV] for o2c_conv2d_cv (M a multiple of CV_MV). */
static float *conv_cv_pack(const float *w, int64_t M, int64_t K, size_t *count)
{
	*count = (size_t)checked_mul(M, K, "packed weights");
	float *p = xalloc(*count * sizeof *p);
	for (int64_t m = 0; m < M; m++)
		for (int64_t k = 0; k < K; k++)
			p[((m / CONV_CV_MV) * K + k) * CONV_CV_MV + m % CONV_CV_MV] = w[m * K + k];
	return p;
}

/* The channel-vectorised path serves small images (7x7, 8x8), where the
 * 48-pixel panels of the direct path are partly empty and each weight is
 * used for few pixels; its stack panel and transpose buffer hold at most
 * CV_PMAX pixels. */
static bool conv_use_cv(const Window *w, int64_t G, int64_t M)
{
	return G == 1 && M % CONV_CV_MV == 0 && w->out[0] * w->out[1] <= CONV_CV_PMAX && w->k[0] * w->k[1] <= 256;
}

/* F(4x4) rather than F(2x2) where its 4x larger transformed weights are
 * used often enough: at 14x14 (16 tiles of 4x4) a layer streams them from
 * memory and runs no faster than F(2x2) on one thread, with 2.25x the
 * weight traffic; from 20x20 on (28x28: 49 tiles) it wins.  Its kernel
 * holds 16 tiles of at most CONV_WINO4_CMAX channels. */
static bool conv_use_wino4(const Window *w, int64_t C)
{
	return C <= CONV_WINO4_CMAX && ((w->out[0] + 3) / 4) * ((w->out[1] + 3) / 4) >= 25;
}

/* The Winograd products vectorised over 64 output channels (o2c_conv2d_wcv)
 * where an image has few tiles (49 at 14x14 in F(2x2), at 28x28 in F(4x4)):
 * the tile-vectorised products would compute 64 columns for them in two
 * groups and read the weights twice.  Its stack holds (F+2)^2 x T x 64
 * partial products.  Returns F, or 0 when the path does not apply. */
static int conv_wcv_f(const Window *w, int64_t G, int64_t C, int64_t M)
{
	if (!conv_use_wino(w, G, C, M) || M % CONV_CV_MV)
		return 0;
	const int F = conv_use_wino4(w, C) ? 4 : 2;
	const int64_t T = ((w->out[0] + F - 1) / F) * ((w->out[1] + F - 1) / F);
	return T <= 64 && (F + 2) * (F + 2) * T * CONV_CV_MV <= CONV_WCV_MB ? F : 0;
}

int64_t conv_scratch_floats(const Node *n)
{
	const ConvP *p = n->p;
	const int64_t C = n->in[0]->shape.d[1], M = n->in[1]->shape.d[0];
	const int F = conv_wcv_f(&p->w, p->group, C, M);
	if (!F)
		return 0;
	/* the transformed input of one image, V[(F+2)^2][C][T], and the padding
	 * templates/conv.c puts between positions (o2c_wino_vs): 32 floats a tile,
	 * its O2C_WINO_PADF */
	return (F + 2) * (F + 2) * (C + 32) * ((p->w.out[0] + F - 1) / F) * ((p->w.out[1] + F - 1) / F);
}

/* Splits n->act into the kernel's clamp [lo, hi] and what a pass after the
 * kernel must still apply (false when the clamp covers it). */
bool spatial_act_clamp(const Node *n, const char **lo, const char **hi)
{
	*lo = "-INFINITY";
	*hi = "INFINITY";
	switch (n->act.kind) {
	case ACT_NONE:
		return true;
	case ACT_RELU:
		*lo = "0.0f";
		return true;
	case ACT_CLIP:
		*lo = spatial_flit(n->act.a);
		*hi = spatial_flit(n->act.b);
		return true;
	default:
		return false;
	}
}

/* The activation pass for activations the kernels cannot clamp, shared by
 * the team once every thread's part of the output is written. */
void spatial_emit_act_pass(Emit *e, const Node *n, int64_t count)
{
	emit_team(e);
	emitf(e, "\to2c_sync();\n\tO2C_OMP(for nowait)\n");
	emitf(e, "\tfor (size_t i = 0; i < %lld; i++) {\n", (long long)count);
	emitf(e, "\t\tfloat v = out0[i];\n");
	emitf(e, "\t\tout0[i] = %s;\n", act_c_expr(&n->act, "v"));
	emitf(e, "\t}\n");
}

void conv_emit(Emit *e, Node *n)
{
	const ConvP *p = n->p;
	const Window *w = &p->w;
	const Shape *x = &n->in[0]->shape;
	const Tensor *wt = n->in[1], *bt = n->nin > 2 ? n->in[2] : NULL;
	const int64_t N = x->d[0], C = x->d[1], M = wt->shape.d[0], G = p->group;
	const int64_t H = w->in[0], W = w->in[1], OH = w->out[0], OW = w->out[1];
	const char *bias = !bt ? "NULL" : tensor_is_const(bt) ? emit_const(e, bt) : "in2";
	const char *res = n->residual ? "res" : "NULL";
	const char *lo, *hi;
	bool clamped = spatial_act_clamp(n, &lo, &hi);

	emit_need(e, "conv.c");
	if (G > 1 && G == C && M == C) {
		emitf(e, "\t/* depthwise: one input channel per output channel */\n");
		emitf(e,
		      "\to2c_dwconv2d(in0, %s, %s, %s, out0, /*N*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, "
		      "/*OH*/%lld, /*OW*/%lld,\n\t             /*KH*/%lld, /*KW*/%lld, /*SH*/%lld, /*SW*/%lld, "
		      "/*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld, %s, %s);\n",
		      emit_const(e, wt), bias, res, (long long)N, (long long)C, (long long)H, (long long)W,
		      (long long)OH, (long long)OW, (long long)w->k[0], (long long)w->k[1], (long long)w->s[0],
		      (long long)w->s[1], (long long)w->d[0], (long long)w->d[1], (long long)w->pb[0],
		      (long long)w->pb[1], lo, hi);
	} else if (conv_wcv_f(w, G, C, M)) {
		size_t count;
		const int F = conv_wcv_f(w, G, C, M);
		const float *u = conv_wino_pack(tensor_f32(wt), C, M, F, CONV_CV_MV, &count);
		emitf(e, "\t/* 3x3 stride 1: Winograd F(%dx%d,3x3), few tiles: products over %d output channels */\n", F,
		      F, CONV_CV_MV);
		emitf(e,
		      "\to2c_conv2d_wcv(in0, %s, %s, %s, out0, scratch, /*F*/%d, /*N*/%lld, /*C*/%lld, /*H*/%lld, "
		      "/*W*/%lld, /*M*/%lld,\n\t               /*OH*/%lld, /*OW*/%lld, /*PT*/%lld, /*PL*/%lld, %s, %s);\n",
		      emit_weights(e, u, count), bias, res, F, (long long)N, (long long)C, (long long)H, (long long)W,
		      (long long)M, (long long)OH, (long long)OW, (long long)w->pb[0], (long long)w->pb[1], lo, hi);
	} else if (conv_use_wino(w, G, C, M) && conv_use_wino4(w, C)) {
		size_t count;
		const float *u = conv_wino_pack(tensor_f32(wt), C, M, 4, CONV_MR, &count);
		emitf(e, "\t/* 3x3 stride 1: Winograd F(4x4,3x3), weights transformed at compile time */\n");
		emitf(
		    e,
		    "\to2c_conv2d_wino4(in0, %s, %s, %s, out0, /*N*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, /*M*/%lld, "
		    "/*OH*/%lld, /*OW*/%lld,\n\t                 /*PT*/%lld, /*PL*/%lld, %s, %s);\n",
		    emit_weights(e, u, count), bias, res, (long long)N, (long long)C, (long long)H, (long long)W,
		    (long long)M, (long long)OH, (long long)OW, (long long)w->pb[0], (long long)w->pb[1], lo, hi);
	} else if (conv_use_wino(w, G, C, M)) {
		size_t count;
		const float *u = conv_wino_pack(tensor_f32(wt), C, M, 2, CONV_MR, &count);
		emitf(e, "\t/* 3x3 stride 1: Winograd F(2x2,3x3), weights transformed at compile time */\n");
		emitf(
		    e,
		    "\to2c_conv2d_wino3(in0, %s, %s, %s, out0, /*N*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, /*M*/%lld, "
		    "/*OH*/%lld, /*OW*/%lld,\n\t                 /*PT*/%lld, /*PL*/%lld, %s, %s);\n",
		    emit_weights(e, u, count), bias, res, (long long)N, (long long)C, (long long)H, (long long)W,
		    (long long)M, (long long)OH, (long long)OW, (long long)w->pb[0], (long long)w->pb[1], lo, hi);
	} else if (conv_use_cv(w, G, M)) {
		size_t count;
		const int64_t K = wt->shape.d[1] * w->k[0] * w->k[1];
		const float *packed = conv_cv_pack(tensor_f32(wt), M, K, &count);
		emitf(e, "\t/* small image: vectors over %d output channels, pixels broadcast */\n", CONV_CV_MV);
		emitf(e,
		      "\to2c_conv2d_cv(in0, %s, %s, %s, out0, /*N*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, /*M*/%lld, "
		      "/*OH*/%lld, /*OW*/%lld,\n\t              /*KH*/%lld, /*KW*/%lld, /*SH*/%lld, /*SW*/%lld, "
		      "/*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld, %s, %s);\n",
		      emit_weights(e, packed, count), bias, res, (long long)N, (long long)C, (long long)H, (long long)W,
		      (long long)M, (long long)OH, (long long)OW, (long long)w->k[0], (long long)w->k[1],
		      (long long)w->s[0], (long long)w->s[1], (long long)w->d[0], (long long)w->d[1],
		      (long long)w->pb[0], (long long)w->pb[1], lo, hi);
	} else {
		size_t count;
		const int64_t K = wt->shape.d[1] * w->k[0] * w->k[1];
		const float *packed = conv_pack(tensor_f32(wt), G, M, K, &count);
		const char *wp = emit_weights(e, packed, count);
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
		      "\to2c_conv2d(in0, %s, %s, %s, out0, /*N*/%lld, /*G*/%lld, /*C*/%lld, /*H*/%lld, /*W*/%lld, "
		      "/*M*/%lld, /*OH*/%lld, /*OW*/%lld,\n\t           /*KH*/%lld, /*KW*/%lld, /*SH*/%lld, "
		      "/*SW*/%lld, /*DH*/%lld, /*DW*/%lld, /*PT*/%lld, /*PL*/%lld, %s, %s);\n",
		      wp, bias, res, (long long)N, (long long)G, (long long)C, (long long)h, (long long)ww,
		      (long long)M, (long long)oh, (long long)ow, (long long)w->k[0], (long long)w->k[1],
		      (long long)w->s[0], (long long)w->s[1], (long long)w->d[0], (long long)w->d[1],
		      (long long)w->pb[0], (long long)w->pb[1], lo, hi);
	}
	if (!clamped)
		spatial_emit_act_pass(e, n, shape_numel(&n->out[0]->shape));
}
