/*
 * ir.h - the one IR of onnx2c, and what every compiler file exports.
 *
 * A Graph is a topologically sorted list of Nodes connected by Tensors.
 * Every pass is a free function `void pass_x(Graph *)` in a file of its own;
 * main.c lists the pipeline.  Operators are described once, in ops.def.
 *
 * Batch: when the graph inputs have a symbolic first dimension, the graph is
 * "batched": every tensor that depends on an input carries the batch on axis
 * 0, and the IR stores its shape for ONE sample (d[0] == 1, batched == 1).
 * The generated entry function loops over samples, so kernels only ever see
 * per-sample shapes.  Ops that would mix samples (a Reshape/Transpose/Concat
 * touching axis 0 of a batched tensor) are refused with a clear error.
 *
 * Memory: everything is allocated from one arena (xalloc) that lives until
 * exit; the compiler never frees individual objects (the fuzz harness
 * releases the whole arena between runs: arena_mark/arena_release).
 */
#ifndef ONNX2C_IR_H
#define ONNX2C_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ONNX2C_VERSION "0.1.0"
#define MAX_RANK 8

/* Symbolic batch value inside folded int64 shape tensors (Shape of a batched
 * tensor).  Reshape understands it at position 0; arithmetic on it is an
 * error. */
#define SYM_BATCH (INT64_MIN + 0x5B1) /* not INT64_MIN(+1): Slice ends and exporters use those */

typedef struct Graph Graph;
typedef struct Node Node;
typedef struct Tensor Tensor;
typedef struct Attr Attr;
typedef struct Emit Emit;

/* ---- util.c: arena, strings, errors -------------------------------- */

void *xalloc(size_t n);               /* zeroed, never NULL, lives until exit (or arena_release) */
void *xrealloc_arr(void *p, size_t old_n, size_t new_n, size_t elem); /* arena grow */
char *xstrdup(const char *s);
char *xsprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t checked_mul(int64_t a, int64_t b, const char *what); /* fatal on overflow */

/* Exit codes of the compiler.  An internal error aborts; EXIT_INTERNAL is
 * only what g_fatal_hook is given for one. */
enum { EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_UNSUPPORTED = 3, EXIT_INTERNAL = 70 };

/* Running the pipeline more than once in a process (the fuzz harness):
 * g_fatal_hook, when set, is called with the exit code by every fatal error,
 * die_if_errors and internal_error instead of exiting, and must not return
 * (it longjmps).  arena_release frees everything xalloc'd since the mark and
 * first runs the cleanups registered since then with on_release: an owner of
 * memory outside the arena registers it, and calls cleanup_done when it frees
 * it itself.  The command never releases, so its arena lives until exit. */
extern void (*g_fatal_hook)(int code);
_Noreturn void fatal_exit(int code);  /* g_fatal_hook(code), else exit(code) */
typedef struct Cleanup Cleanup;
typedef struct { void *chunk, *next; size_t used; Cleanup *cleanups; } ArenaMark;
ArenaMark arena_mark(void);
void arena_release(ArenaMark m);
Cleanup *on_release(void (*fn)(void *), void *p);
void cleanup_done(Cleanup *c);     /* NULL is fine */

/* Resource limits (--max-weights, --max-arena, --max-source; README "The command"):
 * a model that would pass one gets a clear error before the memory or file is
 * allocated.  weights: the model's initializers together, any one constant the
 * compiler folds, and the generated weights blob; arena: the workspace;
 * source: the generated .c file (estimated before it is written). */
typedef struct { int64_t weights, arena, source; } Limits;
extern Limits g_limits;
/* --winograd=N: the largest Winograd tile the 3x3 convs may use: 0 none,
 * 2 F(2x2) (the default), 4 F(4x4) (faster, less accurate: ops/conv.c). */
extern int g_winograd;
void check_limit(int64_t bytes, int64_t limit, const char *what, const char *option); /* fatal when over */
bool parse_bytes(const char *s, int64_t *out); /* "123", "64K", "2G" (powers of 1024) */

/* Errors name the model file, the node (name and op type) and what is wrong. */
extern const char *g_model_path;      /* for messages */
extern int g_errors;                  /* non-fatal errors reported so far */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal_node(const Node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void error_node(const Node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void fatal_unsupported(const Node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warn_node(const Node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void die_if_errors(int exit_code);    /* fatal_exit(exit_code) when g_errors > 0 */
_Noreturn void internal_error(const char *file, int line, const char *msg);
#define ASSERT(c) ((c) ? (void)0 : internal_error(__FILE__, __LINE__, #c))
#define UNREACHABLE() internal_error(__FILE__, __LINE__, "unreachable")
extern int g_verbose;
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* stderr, -v only */

/* ---- ctext.c: C source text (every emitter writes C through these) -- */

typedef struct CNames CNames;
/* A C99 literal that reads back as exactly x: the shortest %.6g..%.9g, suffix f,
 * negatives in parentheses: "0.1f", "2.0f", "(-0.5f)", "(-0.0f)", "INFINITY",
 * "(-INFINITY)", "NAN" (math.h). */
const char *c_float(float x);
bool c_is_ident(const char *s);
/* prefix followed by s as an identifier: letters, digits and '_' of s kept,
 * each run of other characters one '_' between kept ones ("w_", "/stem/conv.1"
 * -> "w_stem_conv_1"); "x_" goes first when the result would start with a
 * digit or be empty. */
char *c_ident(const char *prefix, const char *s);
char *c_upper(const char *s);         /* ASCII A-Z: macro names (PREFIX -> TINY_CNN_EINVAL) */
char *c_lower(const char *s);
/* Identifiers unique within one generated file. */
CNames *cnames_new(void);
bool cnames_add(CNames *s, const char *name); /* false: already taken */
const char *cnames_make(CNames *s, const char *prefix, const char *text); /* c_ident, then _2, _3... */
bool cnames_has(const CNames *s, const char *name);
/* Adds every identifier in C text to s (not those in comments and literals). */
void c_idents(CNames *s, const char *text, size_t len);
/* A string literal: '"' and '\\' escaped, "??" broken (trigraphs), other bytes
 * outside printable ASCII as 3-digit octal, a newline as \n.  _lines breaks
 * the literal after each \n, the next piece on a new line after indent. */
char *c_string(const char *s);
char *c_string_lines(const char *s, const char *indent);
/* s safe inside a comment: no comment end or start, line break, trigraph or
 * final backslash (each becomes '_'). */
char *c_comment(const char *s);
void write_c_bytes(FILE *f, const unsigned char *b, size_t n); /* as string literal lines */

/* ---- types ---------------------------------------------------------- */

/* Values follow onnx TensorProto.DataType. */
typedef enum {
	DT_UNDEFINED = 0, DT_FLOAT = 1, DT_UINT8 = 2, DT_INT8 = 3, DT_UINT16 = 4,
	DT_INT16 = 5, DT_INT32 = 6, DT_INT64 = 7, DT_STRING = 8, DT_BOOL = 9,
	DT_FLOAT16 = 10, DT_DOUBLE = 11, DT_UINT32 = 12, DT_UINT64 = 13,
} DType;
const char *dtype_name(DType t);
size_t dtype_size(DType t);           /* 0 for unsupported/variable size */

typedef struct Shape {
	int rank;
	int64_t d[MAX_RANK];
} Shape;
int64_t shape_numel(const Shape *s);  /* product of dims, overflow checked */
char *shape_str(const Shape *s);      /* "[1,64,56,56]" (arena) */
bool shape_eq(const Shape *a, const Shape *b);

typedef enum { T_TEMP, T_INPUT, T_OUTPUT, T_CONST } TensorKind;

struct Tensor {
	const char *name;
	DType dtype;
	Shape shape;          /* per sample when batched (d[0] == 1) */
	bool batched;         /* axis 0 is the run-time batch */
	bool has_shape;       /* shape inferred/declared */
	const char *dim_param[MAX_RANK]; /* graph inputs: symbolic dim names (NULL = fixed) */
	TensorKind kind;
	int io_index;         /* position among graph inputs/outputs */
	int file_index;       /* graph inputs: position in the model as written (before --bind) */
	void *data;           /* constant value (T_CONST), host layout, numel*dtype_size bytes */
	Node *producer;       /* NULL for inputs and constants */
	const struct DqFold *dq; /* a constant a DequantizeLinear folded: its quantized source (ops/quant.c) */
	int nuses;            /* number of node inputs reading it (+1 if graph output) */
	/* int8 region (passes/opt_int8_layout.c): a u8/s8 intermediate stored as one byte an element in the
	 * int8 kernels' form (templates/int8/shared.c): u8 values (s8 ones + 128), NHWC when rank 4, else
	 * row-major.  Otherwise a u8/s8 tensor holds its integer values as floats (ops/quant.c). */
	bool q8;

	/* memory plan (plan.c) */
	Tensor *alias;        /* this tensor lives inside `alias` (a view or a concat slice) */
	int64_t alias_off;    /* byte offset inside alias */
	int64_t arena_off;    /* byte offset in the workspace arena, -1 if none */
	int64_t weight_off;   /* byte offset in the weights blob, -1 if not emitted */
	int first_use, last_use; /* schedule positions (liveness) */
};

typedef enum {
	AT_UNDEFINED = 0, AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4,
	AT_GRAPH = 5, AT_FLOATS = 6, AT_INTS = 7, AT_STRINGS = 8,
} AttrType;

struct Attr {
	const char *name;
	AttrType type;
	int64_t i;
	float f;
	const char *s;        /* AT_STRING (NUL terminated) */
	int64_t *ints; int nints;
	float *floats; int nfloats;
	Tensor *t;            /* AT_TENSOR (a T_CONST tensor, not in graph->tensors) */
	const char *ref_attr; /* inside a function body: attribute refers to caller's */
};

/* Attribute getters: default when absent, fatal_node on a wrong type. */
const Attr *attr_find(const Node *n, const char *name);
int64_t attr_int(const Node *n, const char *name, int64_t def);
float attr_float(const Node *n, const char *name, float def);
const char *attr_string(const Node *n, const char *name, const char *def);
/* Copies up to max ints into out, returns the count, or -1 when absent. */
int attr_ints(const Node *n, const char *name, int64_t *out, int max);
int attr_floats(const Node *n, const char *name, float *out, int max);

/* Epilogue fused into a kernel (opt passes set it, kernels apply it):
 * y = act(alpha_res * acc + bias + residual) - see templates. */
typedef enum { ACT_NONE, ACT_RELU, ACT_CLIP, ACT_LEAKY_RELU, ACT_SIGMOID, ACT_TANH,
	ACT_HARD_SIGMOID, ACT_HARD_SWISH,
	ACT_SILU, /* x * sigmoid(x): opt_fuse_swish */
	ACT_GELU, ACT_GELU_TANH /* x Phi(x), and its tanh approximation: opt_fuse_gelu, Gelu */ } ActKind;
#define ACT_LAST ACT_GELU_TANH
typedef struct Act {
	ActKind kind;
	float a, b;           /* CLIP: min,max; LEAKY: alpha; HARD_SIGMOID: alpha,beta */
} Act;
const char *act_c_expr(const Act *a, const char *v); /* C expression applying it to v */

struct Node {
	const char *name;     /* ONNX node name ("" allowed in ONNX; loader names unnamed ones) */
	const char *op_type;  /* ONNX op type as written */
	const char *domain;
	int op;               /* index into op_table, -1 when unsupported */
	Tensor **in;  int nin;   /* NULL entry = omitted optional input */
	Tensor **out; int nout;  /* NULL entry = omitted optional output */
	Attr *attrs;  int nattrs;
	int64_t opset;        /* opset of the node's domain */
	void *p;              /* op-private parsed attributes (set by parse hook) */

	/* fusion (opt passes): the ONNX nodes this kernel covers, for comments and --report */
	const char **covers; int ncovers;
	Act act;              /* fused activation */
	Tensor *residual;     /* fused residual add operand (same shape as out[0]) */
	Tensor *scratch;      /* plan.c: the kernel's working memory in the arena (op_scratch_floats), or NULL */
	bool dead;            /* removed by a pass; skipped by everything after */
	bool team;            /* emit: its function runs on every thread of the run (emit_team) */
	int id;               /* position in the schedule */
};

struct Graph {
	const char *path;     /* model file */
	const char *producer; /* producer_name + version */
	int64_t ir_version;
	int64_t opset;        /* default-domain opset */
	Node **nodes; int nnodes;         /* topological order after topo_sort */
	Tensor **tensors; int ntensors;   /* every tensor, incl. constants */
	Tensor **inputs; int ninputs;     /* graph inputs that are not initializers */
	Tensor **outputs; int noutputs;
	bool batched;
	const char *batch_param; /* name of the symbolic batch dim ("N") */

	/* filled by plan.c / emit */
	int64_t arena_size;   /* bytes */
	int64_t arena_lower_bound;
	int64_t arena_naive;
	int64_t weights_size; /* bytes */

	/* --train-head (train_head.c): the classifier head cut off for training */
	struct TrainHead *train;
	/* --unfreeze / --trainable-from (train_block.c): the trainable block cut off after it */
	struct TrainBlock *train_block;
};

/* ---- graph.c: building and querying the IR ------------------------- */

Graph *graph_new(const char *path);
Tensor *graph_tensor(Graph *g, const char *name);   /* find or create */
Tensor *graph_find(const Graph *g, const char *name); /* NULL if none */
Tensor *graph_const(Graph *g, const char *name, DType dt, const Shape *s, const void *data);
Node *graph_add_node(Graph *g, const char *name, const char *op_type, int nin, int nout);
void graph_set_input(Node *n, int i, Tensor *t);
void graph_set_output(Node *n, int i, Tensor *t);
void graph_recount(Graph *g);          /* recompute producer/nuses, drop dead nodes */
Node *live_producer(const Tensor *t);  /* the live node computing t (NULL: input, constant); valid after graph_recount */
/* t is an intermediate read once: its live producer when that is the op `op` (a fusion may absorb it). */
Node *once_from(const Tensor *t, int op);
/* The one live node reading t, when t is an intermediate read once (a
 * fusion may then absorb it); NULL otherwise.  Needs ids in order. */
Node *graph_sole_reader(const Graph *g, const Tensor *t);
/* The tensor whose memory t lives in, following views and concat slices
 * (alias, set by opt_concat and plan.c); *off (may be NULL): t's byte offset in it. */
Tensor *tensor_root(const Tensor *t, int64_t *off);
void graph_replace_uses(Graph *g, Tensor *from, Tensor *to);
/* Fusion: kernel k takes over n's output, n's name joins k's covers, n dies. */
void node_absorb(Node *k, Node *n);
void node_add_cover(Node *k, const Node *n);
void node_add_cover_text(Node *k, const char *text); /* a covers line that is not just a node's name */
int graph_next_reader(const Graph *g, int from, const Tensor *t); /* position of the first live node at or
                                                                     after `from` reading t as in[0]; -1: none */
/* A Conv (or Gemm) gets new constant weight and bias inputs (in[1], in[2]). */
void node_set_params(Node *k, Tensor *w, Tensor *b);
bool tensor_is_const(const Tensor *t);
int64_t tensor_bytes(const Tensor *t); /* its bytes at run time: 4 an element, 1 when q8 */
const float *tensor_f32(const Tensor *t);
const int64_t *tensor_i64(const Tensor *t);
void graph_dump(const Graph *g, FILE *f); /* debug text form */

/* ---- check_ir.c: the IR verifier (--check-ir) ---------------------- */

/* How far the pipeline has got: what may be checked. */
typedef enum {
	IR_LOADED,  /* names, ports and graph inputs/outputs consistent; one writer per tensor */
	IR_SORTED,  /* topo_sort: every read after its write, ids = positions, producer and nuses right */
	IR_CHECKED, /* check_ops: every live node's op index valid (until infer: port counts within the op's) */
	IR_TYPED,   /* infer_shapes and every pass after: shapes and types on every live tensor */
	IR_PLANNED, /* plan_memory: arena places inside the arena, no two live tensors sharing bytes */
} IrStage;
/* Number of problems found; the first few described in msg (may be NULL). */
int ir_problems(const Graph *g, IrStage stage, char *msg, size_t cap);
/* internal_error naming the pass `after` when ir_problems finds any. */
void check_ir(const Graph *g, const char *after, IrStage stage);

/* ---- op table (ops.def / ops.c) ------------------------------------ */

/* The flags column of ops.def (documented there). */
enum { IS_VIEW = 1, EPI_ACT = 2, EPI_RES = 4 };

/* The optional facts of ops.def's FACT rows; NULL when an op has none. */
typedef int64_t OpFact_macs(const Node *n);     /* multiply-accumulates per sample */
typedef int64_t OpFact_scratch(const Node *n);  /* floats of arena the kernel needs while it runs */
typedef bool OpFact_act(const Node *n, Act *a); /* the activation it computes; false: not fusable */
typedef unsigned OpFact_epilogue(const Node *n); /* the EPI_* this node takes */

typedef struct OpDef {
	const char *name;          /* ONNX op_type */
	int min_in, max_in;        /* input count bounds */
	int min_out, max_out;
	bool view;                 /* output is the input reinterpreted (Reshape...): IS_VIEW */
	unsigned epi;              /* EPI_ACT | EPI_RES: what the passes may fuse into its kernel */
	/* parse attributes (opset-aware) into n->p and validate them */
	void (*parse)(Graph *g, Node *n);
	/* set n->out[*] dtype/shape/batched from inputs; fatal_node on mismatch */
	void (*infer)(Graph *g, Node *n);
	/* when all inputs are constant: compute outputs into t->data and return
	 * true (the node is then removed).  May be NULL. */
	bool (*fold)(Graph *g, Node *n);
	/* write the body of the node's C function; may be NULL for views */
	void (*emit)(Emit *e, Node *n);
	/* the FACT rows: passes ask them through the functions below */
	OpFact_macs *macs;
	OpFact_scratch *scratch;
	OpFact_act *act;
	OpFact_epilogue *epilogue; /* refines epi per node */
} OpDef;

enum {
#define OP(name, pfx, min_in, max_in, min_out, max_out, flags) OP_##name,
#include "ops/ops.def"
	OP_COUNT
};
extern const OpDef op_table[OP_COUNT];
int op_lookup(const char *domain, const char *op_type); /* -1 if unsupported */
/* What the passes ask the table (ops.c); n->op must be a table index. */
unsigned op_epilogue(const Node *n);  /* EPI_* the node's kernel takes now */
bool op_act(const Node *n, Act *a);   /* n is an activation that can be fused: *a is it */
int64_t op_scratch_floats(const Node *n); /* floats of arena the kernel needs (0: none); plan.c gives them */
int64_t node_macs(const Node *n);     /* multiply-accumulates per sample (0: not counted) */

/* ---- passes (one file each) ----------------------------------------- */

Graph *onnx_load(const char *path);   /* onnx_load.c: parse + build IR + inline functions */
Graph *onnx_load_buffer(const char *path, const uint8_t *buf, size_t len); /* the same from memory */
void fix_dims(Graph *g, const char *name, int64_t value); /* --dim NAME=V, before infer */
void bind_input(Graph *g, const char *name, const char *pb_path); /* --bind NAME=FILE.pb */
void resolve_dims(Graph *g);          /* after --dim/--bind: batch detection, errors for other symbolic dims */
void lower_qops(Graph *g);            /* lower_qop.c: QOperator ops as DequantizeLinear -> float op -> QuantizeLinear */
void topo_sort(Graph *g);             /* topo.c: order nodes, fatal on cycles */
void check_ops(Graph *g);             /* check.c: every op supported (all listed), arity */
void infer_shapes(Graph *g);          /* infer.c: parse + infer + fold per node, in order */
void fold_constants(Graph *g);        /* fold.c */
void opt_dce(Graph *g);               /* opt_dce.c: remove nodes nothing reads */
void opt_fuse_layernorm(Graph *g);    /* opt_fuse_layernorm.c: decomposed LayerNorm into one node; over channels */
void opt_fold_pad(Graph *g);          /* opt_fold_pad.c: zero Pad into the Conv/AveragePool after it */
void opt_fold_bn(Graph *g);           /* opt_fold_bn.c: BatchNormalization into the Conv before it */
void opt_matmul_bias(Graph *g);       /* opt_matmul_bias.c: MatMul + constant Add into one Gemm */
void opt_fold_scale(Graph *g);        /* opt_fold_scale.c: Mul by a constant into the Conv before it */
void opt_fuse_qconv(Graph *g);        /* opt_fuse_qconv.c: DQ -> Conv -> Q into an int8 QLinearConv */
void opt_fuse_qops(Graph *g);         /* opt_fuse_qops.c: DQ -> Add/pool/Concat -> Q into int8 nodes; residuals into QLinearConv */
void opt_int8_layout(Graph *g);       /* opt_int8_layout.c: q8 tensors of the int8 region, relayouts at its edges */
void opt_pool_conv(Graph *g);         /* opt_pool_conv.c: AveragePool moved after the 1x1 Conv it feeds */
void opt_fuse_residual(Graph *g);     /* opt_fuse_residual.c: Add into the conv producing an operand */
void opt_fuse_gelu(Graph *g);         /* opt_fuse_gelu.c: GELU's erf and tanh forms into one activation */
void opt_fuse_swish(Graph *g);        /* opt_fuse_swish.c: x * sigmoid(x), x * hardsigmoid(x) into x's producer */
void opt_fuse_act(Graph *g);          /* opt_fuse_act.c: activations into their producer's epilogue */
void opt_concat_inplace(Graph *g);    /* opt_concat.c: Concat inputs written into their output slices */
void plan_memory(Graph *g);           /* plan.c: liveness + arena offsets + views */
bool node_is_free_view(const Node *n); /* plan.c: a view op the plan aliased (no kernel) */
/* train_head.c: --train-head [--head-classes K] [--train-main]: cut the final
 * classifier (Gemm/MatMul[+Add]) off the graph after shape inference, so the
 * graph outputs the features; train_head_emit adds the head's description
 * (and with --train-main a trainer main) to the generated files. */
void train_head_cut(Graph *g, int64_t classes, bool with_main);
void train_head_emit(Graph *g, FILE *c, FILE *h, const char *prefix);
/* train_block.c: --unfreeze N / --trainable-from NAME, after train_head_cut: the
 * last blocks of the trunk leave the graph too and are emitted (by
 * train_head_emit) as forward/backward C over the training runtime's layers. */
void train_block_cut(Graph *g, int64_t nblocks, const char *from);
void train_block_emit(Graph *g, FILE *c, FILE *h, const char *prefix, const char *upper_prefix);
void report(const Graph *g, int nodes_in, FILE *f); /* report.c: --report */
void write_dot(const Graph *g, const char *path);   /* report.c: --dot */
void emit_c(Graph *g, const char *c_path, const char *h_path, const char *prefix,
            bool with_main, const char *cmdline); /* emit.c */
void emit_profile(const Graph *g, FILE *f, const char *prefix); /* emit_run.c: -DONNX2C_PROFILE timing */
/* emit_run.c: --main's runner; weights_default: NULL, or the weights file it opens by default */
void emit_main(FILE *f, const Graph *g, const char *prefix, const char *weights_default);
extern const char *g_weights_out; /* --weights FILE (emit.c): the weights go there, not into the C */
/* main.c: the onnx2c command (argv as main's); onnx2c.c's main and the runtime's deploy.c call it */
int onnx2c_main(int argc, char **argv);

/* ---- emit.c: what op emitters use ----------------------------------- */

/* An op's emit hook writes the body of
 *   static void kNN_op(const float *restrict in0, ..., float *restrict out0, ...)
 * Parameters exist for every non-NULL, non-constant input (in<k>, k = ONNX
 * input position) and every non-NULL output (out<k>); a fused residual is
 * `res`.  Unused parameters are silenced by the framework.  Constant inputs
 * (weights) are reached through emit_const(); data the op computes at
 * compile time (packed or transformed weights) through emit_weights().
 * Shapes are per sample; loop bounds are literals taken from the IR. */
void emitf(Emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *emit_const(Emit *e, const Tensor *t);  /* C expr: const float * to t's data */
const char *emit_weights(Emit *e, const float *data, size_t count); /* C expr for new data */
/* Pastes templates/NAME once, after the templates its header's "Needs:" line names. */
void emit_need(Emit *e, const char *template_name);
/* The node's function is called by every thread of the run's team (templates/
 * common.c): its loops are shared out with O2C_OMP(for ... nowait), and a
 * loop reading what another thread wrote in the same function comes after
 * o2c_sync().  Using a kernel template (emit_need) implies it; a function
 * that is not a team function runs on thread 0 alone. */
void emit_team(Emit *e);
const char *emit_act(const Act *a, const char *v);   /* same as act_c_expr */

/* ---- templates built into the binary (templates.c generated by CMake) */
const char *template_text(const char *name); /* NULL if none */

#endif
