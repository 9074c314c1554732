/*
 * verify.h - private interface between the files of `onnx2c verify`:
 *   verify.c      the command: options, running onnx2c / cc / the model / ONNX Runtime
 *   verify_io.c   TensorProto files, random inputs, the model copy with every
 *                 intermediate as an output, the C model's tensor dump
 *   verify_cmp.c  comparing outputs, and finding the first diverging node
 * Nothing else includes it but tools/quantize (which builds and runs models
 * with verify's functions); the compiler proper never sees these types.
 */
#ifndef ONNX2C_VERIFY_H
#define ONNX2C_VERIFY_H

#include "ir.h"
#include "onnx/onnx.pb-c.h"

/* What main.c calls: the `onnx2c verify ...` command, and the test hook
 * --debug-corrupt-weight that perturbs one constant (to prove verify fails). */
int verify_main(int argc, char **argv);
void debug_corrupt_weight(Graph *g, const char *name);

/* Exit codes of `onnx2c verify`. */
enum { VERIFY_PASS = 0, VERIFY_FAIL = 1, VERIFY_SETUP = 2 };

/* A usage or setup problem (bad option, missing tool, unreadable file):
 * message on stderr, exit VERIFY_SETUP. */
_Noreturn void vdie(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A progress line on stderr ("verify: building ..."). */
void vnote(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The command named in those messages: "verify" (onnx2c quantize sets
 * "quantize": it builds and runs models with the functions below). */
extern const char *vtool;

/* ---- verify.c: processes and files, shared with `onnx2c quantize` ---- */

/* Runs argv[0] (PATH searched) with stdout and stderr into `log` (inherited
 * when NULL); the exit status, 128+signal when killed, 127 if not started. */
int run(const char *const *argv, const char *log);
void show_log(const char *log);              /* the last 30 lines, on stderr */
const char *cmd_str(const char *const *argv); /* argv joined by spaces */
const char *self_exe(void);                  /* this onnx2c executable */
const char *find_on_path(const char *prog);  /* NULL when not on PATH */
bool is_file(const char *p);
bool is_dir(const char *p);
void make_dir(const char *p);                /* vdie on failure; existing is fine */
/* A work directory: `keep` (created, kept), or a temporary one removed at exit. */
const char *make_work(const char *keep);
/* The C compiler command with working flags (`cflags` as given, or the
 * defaults minus what it refuses), NULL-terminated; probes in `work`. */
const char **find_cc(const char *cc, const char *cflags, const char *work);

/* A float tensor read from or written to a TensorProto file.  data is
 * malloc'ed (vt_free); the rest lives in the arena. */
typedef struct VTensor {
	const char *name;
	int rank;
	int64_t dims[MAX_RANK];
	int64_t numel;
	float *data;
} VTensor;

/* `--dim NAME=V` given to onnx2c after `--`: random inputs use the same sizes. */
typedef struct VDim { const char *name; int64_t value; } VDim;

/* ---- verify_io.c ---- */

/* Reads a float (or double, uint8, int8: converted) TensorProto.  Returns NULL with a
 * message in *err (arena) when the file is missing, corrupt or not float. */
const char *vt_read(const char *path, VTensor *t);
void vt_write(const char *path, const VTensor *t);  /* vdie on failure */
void vt_free(VTensor *t);

Onnx__ModelProto *model_read(const char *path);      /* vdie when unreadable */
void model_write(const Onnx__ModelProto *m, const char *path);

/* Writes DIR/input_K.pb for every graph input (initializers excluded) with
 * seeded standard-normal values.  A symbolic first dim becomes `batch`; other
 * symbolic dims must be fixed by dims[].  *batched tells whether any input had
 * a symbolic first dim.  Non-float inputs are a setup error. */
void make_random_inputs(const Onnx__ModelProto *m, const char *dir, int batch, uint64_t seed,
                        const VDim *dims, int ndims, bool *batched);

/* The node of m's main graph that writes `tensor`, NULL if none. */
const Onnx__NodeProto *model_producer(const Onnx__ModelProto *m, const char *tensor);
bool model_is_initializer(const Onnx__ModelProto *m, const char *name);
int model_output_index(const Onnx__ModelProto *m, const char *tensor); /* -1 if not an output */
/* Appends graph outputs (no shape) named names[0..n-1] to m, each of its
 * model_elem_type. */
void model_add_outputs(Onnx__ModelProto *m, const char *const *names, int n);
/* The element type of a tensor a kernel writes: a QuantizeLinear's output is
 * its zero point's type (uint8 without one), the ops that only move data
 * (Reshape, Transpose, MaxPool, Concat...) keep their input's, anything else
 * is float. */
int model_elem_type(const Onnx__ModelProto *m, const char *tensor);
/* The largest scale of the DequantizeLinear that writes `tensor` (one
 * quantization step of that float tensor), 0 when no DQ writes it. */
double model_dq_step(const Onnx__ModelProto *m, const char *tensor);

/* One tensor written by a kernel of a -DONNX2C_DUMP build, in call order. */
typedef struct DumpRec {
	const char *tensor, *node;
	int sample;
	int64_t numel;
	const float *data;
} DumpRec;
/* Reads the file verify's dump.c wrote; NULL with a message in *err. */
DumpRec *dump_read(const char *path, int *n, const char **err);
extern const char dump_c_source[];   /* the onnx2c_dump() compiled with the model */

/* ---- verify_cmp.c ---- */

typedef struct Diff {
	double max_abs;      /* max |out - ref|, NaN-vs-NaN counted as 0 */
	double max_ref;      /* max |ref| over finite values */
	bool nan_mismatch;   /* a NaN (or inf) on one side only */
	int64_t n, n_equal;  /* elements, and those exactly equal */
} Diff;
Diff diff_of(const float *ref, const float *out, int64_t n);

/* The tolerance of one tensor.  Float tensors: max|diff| <= rel * max|ref|.
 * Quantized models (int8): a uint8/int8 tensor may differ by `steps`
 * quantization steps (its integer values), and an intermediate one must equal
 * ONNX Runtime's on 99.9% of its elements (ORT's integer kernels and onnx2c's
 * float ones round a value near a half step differently, rarely); a float
 * tensor written by a DequantizeLinear may differ by steps times its scale. */
typedef struct VTol {
	double rel, steps;
	const Onnx__ModelProto *m;
} VTol;
typedef struct TensorTol {
	double rel, abs;     /* pass when max_abs <= max(rel * max_ref, abs) */
	bool quantized;      /* a uint8/int8 tensor (abs in steps) */
} TensorTol;
TensorTol tensor_tol(const VTol *t, const char *tensor);
bool diff_ok(const Diff *d, const TensorTol *t, bool intermediate);
const char *tol_str(const TensorTol *t);

/* Compares REF_DIR/output_K.pb (ONNX Runtime) with OUT_DIR's (the C model),
 * prints one line per output; true when all are within tolerance. */
bool compare_outputs(const char *ref_dir, const char *out_dir, int noutputs, const VTol *tol);

/* Walks the C model's dump in schedule order against ONNX Runtime's tensors
 * (tensor names[i] is ORT_DIR/output_<files[i]>.pb, from the model copy with
 * every intermediate as an output) and prints the first node (fused: kernel
 * of the optimised build) out of tolerance; false when every tensor matched.
 * Dumped tensors not in names[] are not comparable. */
bool report_divergence(const Onnx__ModelProto *m, const DumpRec *recs, int nrecs, const char *ort_dir,
                       const char *const *names, const int *files, int nnames, const VTol *tol, bool fused);

#endif
