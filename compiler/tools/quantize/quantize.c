/*
 * quantize.c - `onnx2c quantize MODEL.onnx --calibrate INPUTS -o OUT.onnx`:
 * the calibrator that writes a QDQ (int8) model from a float one.
 *
 *   fold BatchNormalization into the Conv before it (quantize_graph.c)
 *   read and check the calibration inputs (quantize_inputs.c)
 *   compile the folded float model as `onnx2c verify` does to find a diverging
 *   node: onnx2c -O0 --main, cc -DONNX2C_DUMP with verify's dump.c, so every
 *   tensor a kernel writes lands in $ONNX2C_DUMP_FILE
 *   run it over the inputs (a batch per run when the batch is symbolic),
 *   collecting each tensor's statistics (quantize_ranges.c)
 *   rewrite into the QDQ form and write it (quantize_qdq.c)
 *
 * It runs the compiled model in child processes with verify's functions, so
 * a model onnx2c cannot compile is an error message, not a crash.  Exit
 * status: 0 written, 2 on any error (usage, inputs, build, run).
 */
#define _XOPEN_SOURCE 700 /* setenv */
#include "quantize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes of dumped tensors per calibration run at most (the dump is read
 * whole): a batch of a big model is cut to fit. */
#define DUMP_BUDGET ((int64_t)128 << 20)

typedef struct Opts {
	const char *model, *calib, *out, *keep, *cc, *cflags;
	int batch;
	QOpts q;
} Opts;

static void usage(FILE *f)
{
	fprintf(f,
"usage: onnx2c quantize MODEL.onnx --calibrate INPUTS -o MODEL.int8.onnx [options]\n"
"\n"
"Writes a QDQ (int8) ONNX model from a float one: BatchNormalization folded\n"
"into the Conv before it, the float model compiled and run over the\n"
"calibration inputs to find each activation's range, then QuantizeLinear ->\n"
"DequantizeLinear pairs (u8, per tensor) around the ops that run in int8, s8\n"
"weights and int32 biases.  ONNX Runtime and onnx2c both run the result.\n"
"\n"
"  --calibrate DIR   DIR/*.pb (TensorProto, one input each), or, when DIR has no\n"
"                    .pb, image files (the classify example's ImageNet preprocessing)\n"
"  -o FILE           the quantized model\n"
"  --method M        minmax (default), percentile or entropy (KL divergence)\n"
"  --percentile P    for --method percentile (default 99.99)\n"
"  --per-tensor      one weight scale per tensor, not per output channel\n"
"  --batch N         calibration inputs per run when the batch is symbolic (default 16,\n"
"                    fewer when one input's tensors pass 8 MB)\n"
"  --keep DIR        work in DIR and keep it (the folded model, the C, the dumps)\n"
"  --cc CC, --cflags \"...\"   the C compiler, as for onnx2c verify\n"
"  -v                print every activation's range, scale and zero point\n"
"\n"
"Exit status: 0 written, 2 on any error.\n");
}

static _Noreturn void bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "onnx2c quantize: %s%s%s (see onnx2c quantize --help)\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(VERIFY_SETUP);
}

static void parse_args(int argc, char **argv, Opts *o)
{
	*o = (Opts){ .cc = "cc", .batch = 16, .q = { .method = QM_MINMAX, .pct = 99.99 } };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool takes = !strcmp(a, "--calibrate") || !strcmp(a, "-o") || !strcmp(a, "--method") ||
		             !strcmp(a, "--percentile") || !strcmp(a, "--batch") || !strcmp(a, "--keep") ||
		             !strcmp(a, "--cc") || !strcmp(a, "--cflags");
		if (takes && i + 1 >= argc)
			bad_usage("option needs a value", a);
		char *end;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--calibrate")) {
			o->calib = argv[++i];
		} else if (!strcmp(a, "-o")) {
			o->out = argv[++i];
		} else if (!strcmp(a, "--method")) {
			const char *m = argv[++i];
			if (!strcmp(m, "minmax"))
				o->q.method = QM_MINMAX;
			else if (!strcmp(m, "percentile"))
				o->q.method = QM_PERCENTILE;
			else if (!strcmp(m, "entropy"))
				o->q.method = QM_ENTROPY;
			else
				bad_usage("--method is minmax, percentile or entropy, not", m);
		} else if (!strcmp(a, "--percentile")) {
			o->q.pct = strtod(argv[++i], &end);
			if (!*argv[i] || *end || !(o->q.pct > 50) || o->q.pct > 100)
				bad_usage("--percentile takes a number in (50, 100]", argv[i]);
		} else if (!strcmp(a, "--batch")) {
			long v = strtol(argv[++i], &end, 10);
			if (!*argv[i] || *end || v < 1 || v > 4096)
				bad_usage("--batch takes 1..4096", argv[i]);
			o->batch = (int)v;
		} else if (!strcmp(a, "--per-tensor")) {
			o->q.per_tensor = true;
		} else if (!strcmp(a, "-v")) {
			o->q.verbose = true;
		} else if (!strcmp(a, "--keep")) {
			o->keep = argv[++i];
		} else if (!strcmp(a, "--cc")) {
			o->cc = argv[++i];
		} else if (!strcmp(a, "--cflags")) {
			o->cflags = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			bad_usage("unknown option", a);
		} else if (!o->model) {
			o->model = a;
		} else {
			bad_usage("more than one model given", a);
		}
	}
	if (!o->model)
		bad_usage("no model given", NULL);
	if (!o->calib)
		bad_usage("--calibrate DIR is required (the inputs that set the ranges)", NULL);
	if (!o->out)
		bad_usage("-o FILE is required", NULL);
	if (access(o->model, R_OK) != 0)
		vdie("cannot read the model %s: %s", o->model, strerror(errno));
	if (!is_dir(o->calib))
		vdie("--calibrate %s is not a folder", o->calib);
}

/* The model's one run-time input (calibration feeds one tensor per file). */
static const Onnx__ValueInfoProto *the_input(const Onnx__ModelProto *m, const char *path)
{
	const Onnx__ValueInfoProto *in = NULL;
	for (size_t i = 0; i < m->graph->n_input; i++) {
		if (qg_const(m, m->graph->input[i]->name))
			continue;
		if (in)
			vdie("%s has more than one input ('%s', '%s'): calibration feeds one tensor per file", path, in->name,
			     m->graph->input[i]->name);
		in = m->graph->input[i];
	}
	if (!in)
		vdie("%s has no input", path);
	return in;
}

/* onnx2c -O0 --main MODEL, then cc -DONNX2C_DUMP model.c dump.c: every
 * tensor a kernel writes is dumped, under its ONNX name. */
static void build(const Opts *o, const char *work, const char *model)
{
	const char *csrc = xsprintf("%s/model.c", work), *dump = xsprintf("%s/dump.c", work);
	const char *log = xsprintf("%s/onnx2c.log", work);
	const char *argv1[] = { self_exe(), model, "-o", csrc, "--main", "-O0", NULL };
	vnote("compiling the float model (BatchNormalization folded) with onnx2c -O0");
	if (run(argv1, log) != 0) {
		show_log(log);
		vdie("onnx2c cannot compile %s: %s", o->model, cmd_str(argv1));
	}
	FILE *f = fopen(dump, "w");
	if (!f || fputs(dump_c_source, f) < 0 || fclose(f) != 0)
		vdie("cannot write %s", dump);
	const char **cc = find_cc(o->cc, o->cflags, work);
	const char *argv2[64];
	int n = 0;
	for (int i = 0; cc[i] && n < 56; i++)
		argv2[n++] = cc[i];
	const char *tail[] = { "-DONNX2C_DUMP", csrc, dump, "-o", xsprintf("%s/model", work), "-lm", NULL };
	for (int i = 0; i < 7; i++)
		argv2[n++] = tail[i];
	log = xsprintf("%s/cc.log", work);
	vnote("building: %s", cmd_str(argv2));
	if (run(argv2, log) != 0) {
		show_log(log);
		vdie("the generated C did not compile: %s", cmd_str(argv2));
	}
}

/* Inputs [i, i+k) as one tensor, batched along the first axis (each has the
 * same shape but that axis); *k is how many fit in the batch. */
static VTensor batch_of(const QInputs *in, int i, int max, int *k)
{
	VTensor t;
	qinputs_load(in, i, &t);
	*k = 1;
	if (in->want[0] != -1 || max == 1)
		return t;
	for (int j = i + 1; j < in->n && j < i + max; j++) {
		VTensor u;
		qinputs_load(in, j, &u);
		bool same = u.rank == t.rank;
		for (int d = 1; same && d < t.rank; d++)
			same = u.dims[d] == t.dims[d];
		if (!same) {
			vt_free(&u);
			break;
		}
		float *grown = realloc(t.data, (size_t)(t.numel + u.numel) * sizeof(float));
		if (!grown)
			vdie("out of memory batching calibration inputs");
		t.data = grown;
		memcpy(t.data + t.numel, u.data, (size_t)u.numel * sizeof(float));
		t.numel += u.numel;
		t.dims[0] += u.dims[0];
		vt_free(&u);
		++*k;
	}
	return t;
}

static void calibrate(const Opts *o, const char *work, const QInputs *in, QStats *st)
{
	const char *in_dir = xsprintf("%s/in", work), *out_dir = xsprintf("%s/out", work);
	const char *dump = xsprintf("%s/dump.bin", work), *log = xsprintf("%s/run.log", work);
	make_dir(in_dir);
	make_dir(out_dir);
	if (setenv("ONNX2C_DUMP_FILE", dump, 1) != 0)
		vdie("setenv: %s", strerror(errno));
	bool tty = isatty(2);
	int shown = 0, batch = 1;
	for (int i = 0, k; i < in->n; i += k) {
		/* the first run is one input: its dump's size bounds the batch, so a
		 * big model's dump (read whole) stays near DUMP_BUDGET bytes */
		VTensor t = batch_of(in, i, batch, &k);
		vt_write(xsprintf("%s/input_0.pb", in_dir), &t);
		qstats_add(st, in->in_name, t.data, t.numel);
		vt_free(&t);
		remove(dump);
		const char *argv[] = { xsprintf("%s/model", work), in_dir, out_dir, NULL };
		if (run(argv, log) != 0) {
			show_log(log);
			vdie("the float model failed on %s%s", in->file[i], k > 1 ? xsprintf(" (in a batch of %d)", k) : "");
		}
		int nrecs;
		const char *err = NULL;
		DumpRec *recs = dump_read(dump, &nrecs, &err);
		if (!recs)
			vdie("cannot read the calibration run's dump: %s", err ? err : "empty");
		if (i == 0) {
			int64_t bytes = 0;
			for (int r = 0; r < nrecs; r++)
				bytes += recs[r].numel * 4;
			batch = bytes > 0 && DUMP_BUDGET / bytes < o->batch ? (int)(DUMP_BUDGET / bytes) : o->batch;
			batch = batch < 1 ? 1 : batch;
		}
		for (int r = 0; r < nrecs; r++) {
			qstats_add(st, recs[r].tensor, recs[r].data, recs[r].numel);
			free((void *)recs[r].data);
		}
		/* progress: in place on a terminal, every quarter in a log */
		int done = i + k;
		if (tty)
			fprintf(stderr, "\rquantize: calibration %d/%d inputs%s", done, in->n, done == in->n ? "\n" : "");
		else if (done * 4 / in->n > shown || done == in->n) {
			shown = done * 4 / in->n;
			fprintf(stderr, "quantize: calibration %d/%d inputs\n", done, in->n);
		}
	}
}

int quantize_main(int argc, char **argv)
{
	vtool = "quantize";
	Opts o;
	parse_args(argc, argv, &o);
	Onnx__ModelProto *m = model_read(o.model);
	const Onnx__ValueInfoProto *input = the_input(m, o.model);
	QInputs in;
	qinputs_read(o.calib, input, &in);

	int folded = qg_fold_bn(m);
	vnote("%d BatchNormalization node%s folded into the Conv before it", folded, folded == 1 ? "" : "s");
	const char *work = make_work(o.keep);
	const char *folded_model = xsprintf("%s/float_folded.onnx", work);
	model_write(m, folded_model);
	build(&o, work, folded_model);

	QStats st = { .hist = o.q.method != QM_MINMAX };
	calibrate(&o, work, &in, &st);
	qdq_rewrite(m, &st, &o.q);
	model_write(m, o.out);
	static const char *const method[] = { "minmax", "percentile", "entropy" };
	vnote("wrote %s (%s ranges from %d input%s)", o.out, method[o.q.method], in.n, in.n == 1 ? "" : "s");
	return 0;
}
