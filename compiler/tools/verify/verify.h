/*
 * verify.h - private interface between the files of `onnx2c verify`:
 *   verify.c      the command: options, running onnx2c / cc / the model / ONNX Runtime
 *   verify_io.c   TensorProto files, random inputs, the model copy with every
 *                 intermediate as an output, the C model's tensor dump
 *   verify_cmp.c  comparing outputs, and finding the first diverging node
 * Nothing else includes it; the compiler proper never sees these types.
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

/* Reads a float (or double, converted) TensorProto.  Returns NULL with a
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
/* Appends float graph outputs (no shape) named names[0..n-1] to m. */
void model_add_outputs(Onnx__ModelProto *m, const char *const *names, int n);

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
} Diff;
Diff diff_of(const float *ref, const float *out, int64_t n);
bool diff_ok(const Diff *d, double tol);             /* max_abs <= tol * max_ref */

/* Compares REF_DIR/output_K.pb (ONNX Runtime) with OUT_DIR's (the C model),
 * prints one line per output; true when all are within tol. */
bool compare_outputs(const char *ref_dir, const char *out_dir, int noutputs, double tol);

/* Walks the C model's dump in schedule order against ONNX Runtime's tensors
 * (tensor names[i] is ORT_DIR/output_<files[i]>.pb, from the model copy with
 * every intermediate as an output) and prints the first node (fused: kernel
 * of the optimised build) out of tolerance; false when every tensor matched.
 * Dumped tensors not in names[] are not comparable. */
bool report_divergence(const Onnx__ModelProto *m, const DumpRec *recs, int nrecs, const char *ort_dir,
                       const char *const *names, const int *files, int nnames, double tol, bool fused);

#endif
