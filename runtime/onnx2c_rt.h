/*
 * onnx2c_rt.h - the training runtime: what the C that onnx2c generates with
 * --train-head calls to train its trainable part, and what a trainer CLI uses.
 *
 * It is plain C99 on float32 NCHW buffers: layers as forward/backward pairs
 * (llm.c style: outputs first, every shape in a comment, forward above its
 * backward, backward ACCUMULATES into gradients with +=), the loss, the
 * optimizers on flat buffers, learning-rate schedules, data loading
 * (ImageFolder and IDX), checkpoints and training logs.
 *
 * It is not an autograd: the caller (generated code) orders the calls.
 * Library functions never print or exit; those that can fail return RT_OK (0)
 * or a negative RtStatus, and rt_error() gives a message naming the file or
 * argument at fault.  Layer functions cannot fail and return void.
 */
#ifndef ONNX2C_RT_H
#define ONNX2C_RT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status */

typedef enum RtStatus {
	RT_OK = 0,
	RT_ERR_ARG = -1,     /* invalid argument (size, range, NULL) */
	RT_ERR_IO = -2,      /* cannot open/read/write a file or folder */
	RT_ERR_FORMAT = -3,  /* a file is not what it claims (bad magic, corrupt, truncated) */
	RT_ERR_IMAGE = -4,   /* an image cannot be decoded */
	RT_ERR_EMPTY = -5,   /* a folder/class/dataset has no samples */
	RT_ERR_LABEL = -6,   /* a label out of range */
	RT_ERR_NOMEM = -7,   /* allocation failed */
	RT_ERR_MISMATCH = -8 /* a checkpoint does not fit the model it is loaded into */
} RtStatus;

/* Message of the last failure in this thread ("" if none). */
const char *rt_error(void);
/* Sets the message and returns code (for use by the library's own files). */
int rt_fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* ------------------------------------------------------ flat buffers */

/* One allocation with a table of pointers laid over it (llm.c's
 * ParameterTensors): n tensors of sizes[i] floats; ptrs[i] gets each one.
 * Tensors are 16-float aligned.  The whole buffer is zeroed.  Returns the
 * base (free with rt_free) or NULL; *total gets the float count (incl. padding). */
float *rt_flat_alloc(float **ptrs, const size_t *sizes, int n, size_t *total);
void rt_free(void *p);

/* -------------------------------------------------------------- layers */

/* Linear (ONNX Gemm with transB=1): out[B,OC] = inp[B,C] . weight[OC,C]^T + bias[OC] (bias may be NULL). */
void rt_linear_forward(float *out, const float *inp, const float *weight, const float *bias, int B, int C, int OC);
/* dinp[B,C] += dout.W; dweight[OC,C] += dout^T.inp; dbias[OC] += sum_b dout.  Any of dinp/dweight/dbias may be NULL. */
void rt_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                        const float *weight, int B, int C, int OC);

/* Geometry of a 2-D convolution or pooling window.  Output sizes are given (so
 * asymmetric ONNX pads work: only the top/left pads matter once OH/OW are known). */
typedef struct RtConv {
	int N, C, H, W;   /* input  [N,C,H,W] */
	int M, OH, OW;    /* output [N,M,OH,OW] */
	int KH, KW;       /* window */
	int SH, SW;       /* strides */
	int PH, PW;       /* top/left pads */
	int DH, DW;       /* dilations */
	int G;            /* groups: C and M divisible by G; weight [M, C/G, KH, KW] */
} RtConv;
/* Output size of one axis: floor((in + pad_begin + pad_end - dil*(k-1) - 1)/stride) + 1. */
int rt_out_size(int in, int k, int stride, int pad_begin, int pad_end, int dil);

/* Conv2d with bias (BN folded or not): out = conv(inp, weight) + bias (bias may be NULL).
 * Lowered to packed matrix products over the whole batch (runtime/gemm.c, conv.c); the layout
 * and column buffers are runtime workspaces kept between calls: the conv functions are not
 * reentrant, one trainer per process.  Returns RT_OK or RT_ERR_NOMEM. */
int rt_conv2d_forward(float *out, const float *inp, const float *weight, const float *bias, const RtConv *g);
/* dinp, dweight, dbias accumulate (+=); any may be NULL.  Same workspace and status. */
int rt_conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                       const float *weight, const RtConv *g);
/* The same on channel-major ("CN") activations, the generated block's layout (no layout copies):
 * inp/dinp [C][N][H][W], out/dout [M][N][OH][OW].  cols: a caller buffer of rt_conv2d_cols_cn(g)
 * floats that the forward fills with its im2col columns and the backward reuses (NULL: a
 * workspace, and the backward makes them again); 0 floats for a 1x1 stride-1 unpadded conv,
 * which reads its input as they are.  The layers below work on CN activations unchanged when
 * called with N = 1 and the sample count folded into HW (BatchNorm, concat) or into C (pools,
 * pad, global pool: planes of one channel of one sample). */
size_t rt_conv2d_cols_cn(const RtConv *g);
int rt_conv2d_forward_cn(float *out, const float *inp, const float *weight, const float *bias, const RtConv *g,
                         float *cols);
int rt_conv2d_backward_cn(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                          const float *weight, const RtConv *g, const float *cols, int acc);
/* out[C][N][HW] = inp[N][C][HW], and back. */
void rt_nc_to_cn(float *out, const float *inp, int N, int C, int HW);
void rt_cn_to_nc(float *out, const float *inp, int N, int C, int HW);

/* Folds inference BatchNorm into the preceding conv: weight[M, K] *= s, bias[M] = (bias - mean)*s + beta,
 * s = gamma / sqrt(var + eps).  bias must point at M floats (zero it first if the conv had none). */
void rt_bn_fold(float *weight, float *bias, const float *gamma, const float *beta, const float *mean,
                const float *var, float eps, int M, int K);

/* Frozen BatchNorm: uses its STORED statistics in training too (they are never updated):
 * out[N,C,HW] = (inp - mean[c]) / sqrt(var[c] + eps) * gamma[c] + beta[c]. */
void rt_bn_frozen_forward(float *out, const float *inp, const float *gamma, const float *beta, const float *mean,
                          const float *var, float eps, int N, int C, int HW);
/* dinp += dout*gamma*rstd; dgamma[c] += sum dout*xhat; dbeta[c] += sum dout (any may be NULL: frozen affine).
 * The backward functions that take `acc` (here, ReLU, add, global pool, CN conv) add into the input
 * gradient when it is 1 and overwrite it when 0 (its first contribution: no zeroing needed first). */
void rt_bn_frozen_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                           const float *gamma, const float *mean, const float *var, float eps, int N, int C, int HW,
                           int acc);

/* Training BatchNorm (PyTorch's model.train()): normalises with the batch's own statistics over N
 * and HW (biased variance) and moves the running ones as PyTorch does, running = (1 - momentum) *
 * running + momentum * batch (PyTorch's momentum: 0.1 by default), the variance unbiased (M/(M-1)).  save[2C] gets each channel's mean and 1/sqrt(var + eps) for the backward;
 * running_mean/var may be NULL (not kept). */
void rt_bn_train_forward(float *out, float *save, float *running_mean, float *running_var, const float *inp,
                         const float *gamma, const float *beta, float eps, float momentum, int N, int C, int HW);
/* dinp (acc as above), dgamma, dbeta (+=; any may be NULL), through the batch statistics too. */
void rt_bn_train_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                          const float *gamma, const float *save, int N, int C, int HW, int acc);

/* ReLU on n floats; the backward uses the forward's OUTPUT (so inp may be overwritten in place). */
void rt_relu_forward(float *out, const float *inp, size_t n);
void rt_relu_backward(float *dinp, const float *dout, const float *out, size_t n, int acc);

/* Residual add: out[n] = a + b.  Backward: da += dout, db += dout (either may be NULL; acc_a/acc_b
 * 0: overwrite instead). */
void rt_add_forward(float *out, const float *a, const float *b, size_t n);
void rt_add_backward(float *da, float *db, const float *dout, size_t n, int acc_a, int acc_b);

/* Channel concat: out[N, sum Cs[i], HW] of k inputs ins[i][N, Cs[i], HW]. */
void rt_concat_forward(float *out, const float *const *ins, const int *Cs, int k, int N, int HW);
/* dins[i] += their slice of dout (NULL entries are skipped). */
void rt_concat_backward(float *const *dins, const float *dout, const int *Cs, int k, int N, int HW);

/* Max pooling (g->M == g->C, g->G ignored); argmax[N,C,OH,OW] stores the input offset inside the
 * (n,c) plane of each window's maximum (-1 if the window is all padding).  Ties: the first in scan order. */
void rt_maxpool_forward(float *out, int *argmax, const float *inp, const RtConv *g);
void rt_maxpool_backward(float *dinp, const float *dout, const int *argmax, const RtConv *g);

/* Average pooling; count_include_pad as in ONNX/PyTorch (1: divide by the window size
 * clipped to the padded input, 0: by the number of real pixels). */
void rt_avgpool_forward(float *out, const float *inp, const RtConv *g, int count_include_pad);
void rt_avgpool_backward(float *dinp, const float *dout, const RtConv *g, int count_include_pad);

/* Zero padding (pad.c): out[N,C,H+pt+pb,W+pl+pr] = inp[N,C,H,W] placed at (pt, pl), zeros around.
 * Backward: dinp += the interior of dout. */
void rt_pad2d_forward(float *out, const float *inp, int N, int C, int H, int W, int pt, int pl, int pb, int pr);
void rt_pad2d_backward(float *dinp, const float *dout, int N, int C, int H, int W, int pt, int pl, int pb, int pr);

/* Global average pool: out[N,C] = mean over HW of inp[N,C,HW]. */
void rt_gap_forward(float *out, const float *inp, int N, int C, int HW);
void rt_gap_backward(float *dinp, const float *dout, int N, int C, int HW, int acc);

/* --------------------------------------------------------------- loss */

/* Fused softmax cross-entropy, mean over the batch, label smoothing eps in [0,1)
 * (target = (1-eps)*onehot + eps/K, as torch.nn.CrossEntropyLoss).  probs[B,K] gets the
 * softmax (may be NULL); dlogits[B,K] (may be NULL) is SET (not accumulated) to d loss/d logits.
 * Returns RT_OK, or RT_ERR_LABEL if a label is outside [0,K) (nothing is written then). */
int rt_softmax_xent(float *loss, float *probs, float *dlogits, const float *logits, const int *labels, int B, int K,
                    float smoothing);
/* Number of samples whose label is among the top-k logits (ties count against: a class with an
 * equal logit and a lower index ranks first, as a stable descending sort). */
int rt_topk_correct(const float *logits, const int *labels, int B, int K, int k);

/* --------------------------------------------------------- optimizers */

/* A parameter group: a range [begin, end) of the flat parameter buffer with its own rate
 * multiplier and weight decay (e.g. head at lr, unfrozen trunk at lr*0.1, biases with wd 0).
 * With groups set, parameters outside every group are not updated (frozen). */
typedef struct RtGroup {
	size_t begin, end;
	double lr_scale;     /* group lr = schedule lr * lr_scale */
	double weight_decay;
} RtGroup;

typedef enum RtOptKind { RT_SGD = 0, RT_ADAMW = 1 } RtOptKind;

typedef struct RtOptim {
	RtOptKind kind;
	/* Hyperparameters are doubles, like PyTorch's Python floats, so that the scalars
	 * derived from them (1 - beta1, 1 - lr*wd) round the same way. */
	double momentum, dampening; /* SGD */
	int nesterov;               /* SGD */
	double beta1, beta2, eps;   /* AdamW */
	long step;                 /* steps taken (AdamW bias correction; SGD first-step buffer init) */
	size_t n;                  /* parameter count */
	float *state;              /* one allocation: SGD [n] momentum buffer, AdamW [2n] m then v */
	const RtGroup *groups;     /* caller-owned; NULL: one group covering all with lr_scale 1 and wd below */
	int ngroups;
	double weight_decay;       /* used when groups == NULL */
} RtOptim;

/* torch.optim.SGD semantics (momentum buffer = grad on the first step, dampening, Nesterov, L2 wd). */
int rt_sgd_init(RtOptim *o, size_t n, double momentum, double dampening, int nesterov, double weight_decay);
/* torch.optim.AdamW semantics (decoupled weight decay p *= 1 - lr*wd, bias-corrected moments). */
int rt_adamw_init(RtOptim *o, size_t n, double beta1, double beta2, double eps, double weight_decay);
/* One update of params[n] from grads[n] at learning rate lr (times each group's scale). */
void rt_optim_step(RtOptim *o, float *params, const float *grads, double lr);
size_t rt_optim_state_size(const RtOptim *o); /* floats in o->state */
void rt_optim_free(RtOptim *o);

/* ---------------------------------------------------------- schedules */

/* Learning rate at epoch/step t (0-based, the value used for step t), the closed forms of
 * torch.optim.lr_scheduler: StepLR, CosineAnnealingLR, LinearLR, and warm-up then cosine
 * (SequentialLR([LinearLR(start, 1, warmup), CosineAnnealingLR(T_max - warmup, eta_min)], [warmup])). */
typedef enum RtSchedKind { RT_SCHED_CONST = 0, RT_SCHED_STEP, RT_SCHED_COSINE, RT_SCHED_LINEAR,
                           RT_SCHED_WARMUP_COSINE } RtSchedKind;
typedef struct RtSched {
	RtSchedKind kind;
	double base_lr;
	int step_size; double gamma;                /* STEP */
	int t_max; double eta_min;                   /* COSINE, WARMUP_COSINE (t_max counts the warm-up) */
	double start_factor, end_factor; int total;  /* LINEAR; WARMUP_COSINE: start_factor over total steps */
} RtSched;
double rt_sched_lr(const RtSched *s, long t);
/* Parses "const", "step:SIZE:GAMMA", "cosine:TMAX[:ETA_MIN]", "linear:START:END:TOTAL",
 * "warmup-cosine:WARMUP:TMAX[:START[:ETA_MIN]]". */
int rt_sched_parse(RtSched *s, const char *spec, double base_lr);

/* ---------------------------------------------------------- random */

/* xoshiro256** seeded through splitmix64 (Vigna's public-domain generators, restated):
 * small, fast, and its whole state fits in a checkpoint. */
typedef struct RtRng { uint64_t s[4]; } RtRng;
void rt_rng_seed(RtRng *r, uint64_t seed);
uint64_t rt_rng_next(RtRng *r);
/* Uniform integer in [0, n) without modulo bias (Lemire's multiply-and-reject). */
uint32_t rt_rng_below(RtRng *r, uint32_t n);
/* Uniform float in [0, 1) with 24 random bits. */
float rt_rng_float(RtRng *r);
/* Fisher-Yates shuffle of idx[n]. */
void rt_shuffle(int *idx, int n, RtRng *r);

/* ---------------------------------------------------------- data */

/* A labelled dataset: either image paths (ImageFolder) or decoded IDX pixels. */
typedef struct RtDataset {
	int n;            /* samples */
	int nclasses;
	char **classes;   /* ImageFolder: class folder names, sorted; IDX: NULL */
	char **paths;     /* ImageFolder: file of each sample; IDX: NULL */
	int *labels;      /* [n] */
	unsigned char *pixels; /* IDX: [n, rows, cols] u8; ImageFolder: NULL */
	int rows, cols;
} RtDataset;

/* root/<class>/<image>.{png,jpg,jpeg,bmp} (extension case-insensitive), classes and files sorted by
 * name (torchvision.datasets.ImageFolder order).  Errors: missing root, no classes, a class with
 * no image (each name the folder). */
int rt_imagefolder_open(RtDataset *d, const char *root);
/* IDX images (u8, 3 dims) + labels (u8, 1 dim), plain or gzip.  Labels >= nclasses are refused
 * (RT_ERR_LABEL naming the file and index); nclasses <= 0 means max label + 1. */
int rt_idx_open(RtDataset *d, const char *images_path, const char *labels_path, int nclasses);
/* Keeps only samples whose label is in [lo, hi], relabelled label - lo (Fashion-MNIST 5-9 -> 0-4). */
int rt_dataset_filter(RtDataset *d, int lo, int hi);
void rt_dataset_free(RtDataset *d);

/* Image preprocessing: decode (RGB, or grey when channels == 1), resize the shorter side to
 * `resize` (bilinear, half-pixel centres, no antialias; 0 = no resize), crop crop_h x crop_w (centre,
 * or a random position when random_crop), optional random horizontal flip, then (x/255 - mean)/std
 * per channel into out[channels, crop_h, crop_w].  random_resized_crop replaces the resize and the
 * crop by torchvision's RandomResizedCrop: a region of area scale_min..1 of the image and aspect
 * ratio 3/4..4/3 (log-uniform; 10 draws, else the centre region clamped to that ratio), resized
 * bilinearly (no antialias) to crop_h x crop_w. */
typedef struct RtTransform {
	int channels;
	int resize;
	int crop_h, crop_w;
	float mean[3], std[3];
	int random_crop, random_flip;
	int random_resized_crop;
	float scale_min;          /* random_resized_crop: the smallest area fraction (torchvision: 0.08) */
} RtTransform;
/* Loads sample i of d into out (its label in *label).  rng is used only by the random options. */
int rt_dataset_load(const RtDataset *d, int i, const RtTransform *t, RtRng *rng, float *out, int *label);

/* Held-out split: a seeded permutation of [0,n); the last round(n*val_fraction) go to val. */
int rt_split(int n, double val_fraction, uint64_t seed, int *train_idx, int *ntrain, int *val_idx, int *nval);

/* ---------------------------------------------------------- feature cache */

/* Head-only training with a frozen trunk and no augmentation: each sample's trunk output
 * feat[i][dim] is computed once (when !rt_cache_has) into rt_cache_slot, marked, and reused. */
typedef struct RtCache { float *feat; unsigned char *have; int n; size_t dim; } RtCache;
int rt_cache_init(RtCache *c, int n, size_t dim);
float *rt_cache_slot(RtCache *c, int i);
int rt_cache_has(const RtCache *c, int i);
void rt_cache_mark(RtCache *c, int i);
void rt_cache_free(RtCache *c);

/* ---------------------------------------------------------- checkpoints */

/* What is saved: parameters, optimizer state (may be n_state 0), progress and RNG. */
typedef struct RtCheckpoint {
	const float *params; size_t n_params;
	const float *state; size_t n_state;
	long epoch, step;
	RtRng rng;
} RtCheckpoint;
/* Atomic: writes path.tmp, fsyncs, renames over path.  Header: magic, version, sizes, CRC-32. */
int rt_checkpoint_save(const char *path, const RtCheckpoint *c);
/* Reads into caller buffers of the given sizes; a wrong magic/version/size or checksum is refused
 * (RT_ERR_FORMAT / RT_ERR_MISMATCH) without touching the buffers. */
int rt_checkpoint_load(const char *path, float *params, size_t n_params, float *state, size_t n_state, long *epoch,
                       long *step, RtRng *rng);

/* ---------------------------------------------------------- logging */

/* One progress line on f (stderr in the CLI), redrawn with '\r':  epoch 2/10 [#####-----] 120/469 loss 0.4321 acc 85.31% */
void rt_progress(FILE *f, int epoch, int epochs, long step, long steps, double loss, double acc);

typedef struct RtLogRow { int epoch; double train_loss, train_acc, val_loss, val_acc, lr, seconds; } RtLogRow;
typedef struct RtLog {
	FILE *csv;
	RtLogRow *rows; int n, cap;
} RtLog;
/* CSV with header epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds (path NULL: memory only). */
int rt_log_open(RtLog *l, const char *csv_path);
int rt_log_epoch(RtLog *l, const RtLogRow *row);
/* SVG with two panels (loss, accuracy vs epoch; train solid, val dashed). NaN values are skipped. */
int rt_log_svg(const RtLog *l, const char *svg_path);
void rt_log_close(RtLog *l);


/* ---------------------------------------------------------- trainer (trainer.c, export_onnx.c) */

/* A trainable parameter tensor of a block: its ONNX initializer and its floats in the block's buffer. */
typedef struct RtParam {
	const char *name;
	size_t offset, count;
} RtParam;

/* The trainable block of a model compiled with --unfreeze N|all / --trainable-from NODE: the C that
 * onnx2c generated from the ONNX nodes between the cut (the frozen trunk's output, or with
 * --unfreeze all the model's input) and the features (the head's input), over a flat parameter
 * buffer.  Its BatchNorms' running statistics are a second buffer, stats, which the optimizer
 * never touches: the forward normalises with them (inference BN, the default: they stay as they
 * are), or with the batch's statistics, moving stats as PyTorch's model.train() does.
 * Activations per batch: acts_size(batch) floats for acts, as many for dacts.  Both return RT_OK
 * or an RtStatus. */
typedef struct RtBlock {
	const char *cut;         /* the tensor the trunk now ends at */
	int in_numel;            /* its floats a sample */
	size_t nparams;          /* floats of the parameter buffer (tensors 16-float aligned) */
	const float *init;       /* [nparams] the model's values */
	const RtParam *params;   /* [ntensors] */
	int ntensors;
	size_t nstats;           /* floats of the statistics buffer (BN running means and variances) */
	const float *stats_init; /* [nstats] the model's values */
	const RtParam *stats;    /* [nstat_tensors] their ONNX initializers and offsets in stats */
	int nstat_tensors;
	size_t (*acts_size)(int batch);
	/* feat[batch, features] from x[batch, in_numel]; keeps every activation in acts.  bn_momentum < 0:
	 * inference BN on stats; >= 0: training BN, stats moved with that (PyTorch) momentum */
	int (*forward)(float *acts, const float *params, float *stats, float bn_momentum, int batch, const float *x,
	               float *feat);
	/* grads[nparams] += d loss/d params, from dfeat and the forward's acts (dacts: scratch); bn_train:
	 * the forward that made acts had bn_momentum >= 0 */
	int (*backward)(float *grads, float *dacts, const float *acts, const float *params, const float *stats,
	                int bn_train, int batch, const float *x, const float *dfeat);
} RtBlock;

/* What a model compiled with `onnx2c --train-head --train-main` tells the trainer: its
 * frozen trunk (the generated entry point, which outputs features) and its classifier head. */
typedef struct RtTrunk {
	const char *name;        /* the model's C prefix */
	const char *model_path;  /* the .onnx it was compiled from (for --export; --onnx overrides) */
	int (*run)(void *workspace, int batch, const float *in, float *features); /* PREFIX_run */
	size_t (*workspace_size)(int batch);
	int batched;             /* 0: run takes exactly one sample at a time */
	int in_rank;             /* rank of one input sample (3: C, H, W) */
	const int *in_shape;     /* [in_rank] */
	int features, classes;   /* F, K */
	int replaced;            /* 1: a fresh K-way head is drawn (seeded); 0: train from head_weight */
	int has_bias;            /* 0: the model's head has no bias; it stays zero */
	const float *head_weight; /* [K][F] */
	const float *head_bias;   /* [K] */
	const char *head_onnx;   /* key=value lines naming the head in the .onnx (see train_head.c) */
	const RtBlock *block;    /* --unfreeze: run outputs the block's input; NULL: head only */
} RtTrunk;

/* The command-line trainer (run it with --help).  Returns the process exit status:
 * 0 on success, 1 on a failure (message on stderr), 2 on a usage error. */
int rt_trainer_main(int argc, char **argv, const RtTrunk *t);

/* Writes model_path's network to out_path (atomically) with the head described by head_onnx
 * replaced by weight[K][F] and bias[K] (bias NULL: left as is).  When K differs from the model's
 * class count, the initializers' and the class values' shapes change to K too.  block (may be
 * NULL): the initializers of an unfrozen block get new values, params[p.offset ...] for each of
 * its RtParams (same shapes; a missing initializer or a size mismatch is an error). */
int rt_export_onnx(const char *model_path, const char *out_path, const char *head_onnx, const float *weight,
                   const float *bias, int K, int F, const RtBlock *block, const float *params);

/* --deploy-weights (deploy.c): check says whether weights_path is an onnx2c weights file (before
 * training, to fail early); write has onnx2c's compiler, linked into this library, write the
 * weights of the model at onnx_path into weights_path for the code that file was compiled with
 * (its recorded options; refused, and weights_path kept, when the model does not fit that code). */
int rt_deploy_check(const char *weights_path);
int rt_deploy_weights(const char *onnx_path, const char *weights_path);

#ifdef __cplusplus
}
#endif
#endif
