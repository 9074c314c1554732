/*
 * quantize.h - private interface between the files of `onnx2c quantize`, the
 * calibrator that turns a float ONNX model into a QDQ one:
 *   quantize.c         the command: options, the calibration runs of the float
 *                      model (onnx2c -O0 --main, cc -DONNX2C_DUMP, as verify does)
 *   quantize_inputs.c  the calibration inputs: TensorProto files or images
 *   quantize_ranges.c  per-tensor statistics and the minmax / percentile /
 *                      entropy ranges taken from them
 *   quantize_graph.c   ONNX model helpers, and folding BatchNormalization into Conv
 *   quantize_qdq.c     the QDQ rewrite: which tensors get Q->DQ, scales, weights
 * It builds on verify's processes and files (tools/verify/verify.h).
 */
#ifndef ONNX2C_QUANTIZE_H
#define ONNX2C_QUANTIZE_H

#include "../verify/verify.h"

int quantize_main(int argc, char **argv);

typedef enum { QM_MINMAX, QM_PERCENTILE, QM_ENTROPY } QMethod;

/* ---- quantize_inputs.c ---- */

/* The calibration inputs: files of the model's one input (a tensor of its
 * shape, batch dimension included; an image is one sample). */
typedef struct QInputs {
	const char **file;
	int n;
	bool images;         /* decoded and preprocessed, not TensorProto */
	int64_t want[MAX_RANK]; /* the model input's dims, -1 where symbolic */
	int rank;
	const char *in_name;
} QInputs;
/* Lists every *.pb in `dir`, or every file as an image when it holds no .pb,
 * and checks each against the model's input `in`; vdie naming the file on an
 * unreadable file, a wrong shape, a non-image or an empty folder. */
void qinputs_read(const char *dir, const Onnx__ValueInfoProto *in, QInputs *out);
/* Input i as a float tensor (t->data malloc'ed: vt_free). */
void qinputs_load(const QInputs *q, int i, VTensor *t);

/* ---- quantize_ranges.c ---- */

#define QHIST_BINS 2048
/* What the float model's runs showed for one tensor.  With histograms, the
 * magnitudes of the positive and the negative values are counted apart, in
 * QHIST_BINS bins over [0, hr]; hr doubles (bins merged pairwise) whenever a
 * value exceeds it, so one pass over the inputs is enough. */
typedef struct QStat {
	const char *name;
	double min, max;
	int64_t count;
	double hr;
	double *pos, *neg;   /* NULL for minmax */
} QStat;
typedef struct QStats {
	QStat *s;
	int n, cap;
	bool hist;           /* collect histograms (percentile, entropy) */
} QStats;
void qstats_add(QStats *st, const char *name, const float *x, int64_t n);
const QStat *qstats_find(const QStats *st, const char *name);
/* The calibrated range [*lo, *hi] of one tensor (within [min, max]); pct is
 * the percentile of --method percentile. */
void qstat_range(const QStat *s, QMethod m, double pct, double *lo, double *hi);

/* ---- quantize_graph.c ---- */

/* An initializer, a Constant node's value, or either through Identity nodes;
 * NULL when `name` is computed at run time. */
const Onnx__TensorProto *qg_const(const Onnx__ModelProto *m, const char *name);
/* A float constant's values (malloc'ed, *n elements); NULL if not float. */
float *qg_floats(const Onnx__TensorProto *t, int64_t *n);
int64_t qg_numel(const Onnx__TensorProto *t);
/* A new TensorProto with raw_data (the bytes are copied). */
Onnx__TensorProto *qg_tensor(const char *name, int dtype, const int64_t *dims, int rank, const void *data,
                             size_t bytes);
void qg_add_initializer(Onnx__GraphProto *g, Onnx__TensorProto *t);
Onnx__NodeProto *qg_node(const char *op, const char *name, const char *const *in, int nin,
                         const char *const *out, int nout);
void qg_set_int(Onnx__NodeProto *n, const char *attr, int64_t v);
int64_t qg_attr_int(const Onnx__NodeProto *n, const char *attr, int64_t def);
float qg_attr_float(const Onnx__NodeProto *n, const char *attr, float def);
/* How many node inputs read `name`, plus one if it is a graph output; the
 * first reader in *first (may be NULL). */
int qg_uses(const Onnx__ModelProto *m, const char *name, const Onnx__NodeProto **first);
bool qg_is_graph_output(const Onnx__ModelProto *m, const char *name);
int64_t qg_opset(const Onnx__ModelProto *m);  /* of the default domain */
/* The element type of every tensor (initializers, inputs, then each node's
 * outputs from its op and inputs): the rewrite quantizes float tensors only,
 * not the int64 shapes a Reshape or Concat may compute. */
typedef struct QTypes {
	const char **name;
	int *type;
	int n, cap;
} QTypes;
QTypes qg_types(const Onnx__ModelProto *m);
int qg_type_of(const QTypes *t, const char *name); /* 0 when unknown */
/* Folds every Conv -> BatchNormalization (constant parameters, the conv's
 * output read only by the BN) into the Conv's weights and bias; the conv then
 * writes the BN's output.  Returns how many were folded. */
int qg_fold_bn(Onnx__ModelProto *m);
/* Drops initializers no node reads (and their graph-input entries), and
 * value_info of tensors nothing writes. */
void qg_prune(Onnx__ModelProto *m);

/* ---- quantize_qdq.c ---- */

typedef struct QOpts {
	QMethod method;
	double pct;
	bool per_tensor, verbose;
} QOpts;
/* Rewrites the (BN-folded) float model m into the QDQ form of docs/int8.md
 * with the ranges in st (the graph input's included).  vdie with the tensor's
 * name when a tensor to quantize has no statistics. */
void qdq_rewrite(Onnx__ModelProto *m, const QStats *st, const QOpts *o);

#endif
