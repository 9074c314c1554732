/*
 * emit_run.c - the parts of a generated file for running and timing the
 * model rather than the model itself: the -DONNX2C_PROFILE report and the
 * --main test-data runner (templates/runner.c with the model's I/O table).
 * emit.c calls them while it assembles the file.
 */
#include "ir.h"

/* ---- -DONNX2C_PROFILE ------------------------------------------------- */

/* A profiling build times every kernel call and reports milliseconds and
 * GFLOP/s per kernel; the default build compiles the timing away. */
void emit_profile(const Graph *g, FILE *f, const char *P)
{
	int nk = g->nnodes ? g->nnodes : 1;
	fprintf(f, "#ifdef ONNX2C_PROFILE\n#include <stdio.h>\n#include <time.h>\n");
	fprintf(f, "static double o2c_prof_sec[%d];\nstatic long long o2c_prof_calls[%d];\n", nk, nk);
	fprintf(f, "static const char *const o2c_prof_name[%d] = {\n", nk);
	for (int i = 0; i < g->nnodes; i++)
		fprintf(f, "\t%s,\n", c_string(xsprintf("%s %s", g->nodes[i]->op_type, g->nodes[i]->name)));
	if (!g->nnodes)
		fprintf(f, "\t\"\",\n");
	fprintf(f, "};\n/* floating-point operations per sample (2 per multiply-accumulate) */\n");
	fprintf(f, "static const double o2c_prof_flops[%d] = {", nk);
	for (int i = 0; i < g->nnodes; i++)
		fprintf(f, "%s%.0f", i ? ", " : "", 2.0 * (double)node_macs(g->nodes[i]));
	if (!g->nnodes)
		fprintf(f, "0");
	fprintf(f, "};\n");
	fprintf(f, "static double o2c_now(void)\n{\n#ifdef _OPENMP\n\treturn omp_get_wtime();\n#else\n"
	           "\treturn (double)clock() / CLOCKS_PER_SEC; /* CPU time: exact for one thread */\n#endif\n}\n");
	/* the call ends with the team's o2c_sync: thread 0 times the node until every thread is done */
	fprintf(f, "#define O2C_PROF(k, call) do { double t0_ = o2c_now(); call; if (o2c_thread0()) { "
	           "o2c_prof_sec[k] += o2c_now() - t0_; o2c_prof_calls[k]++; } } while (0)\n");
	fprintf(f, "/* Prints the time spent in each kernel since the last reset, then resets (out NULL: reset only). */\n");
	fprintf(f, "void %s_profile_report(FILE *out);\nvoid %s_profile_report(FILE *out)\n{\n", P, P);
	fprintf(f, "\tdouble total = 0, flops = 0;\n\tif (!out) {\n\t\tmemset(o2c_prof_sec, 0, sizeof o2c_prof_sec);\n"
	           "\t\tmemset(o2c_prof_calls, 0, sizeof o2c_prof_calls);\n\t\treturn;\n\t}\n\tfor (int k = 0; k < %d; k++)\n\t\ttotal += o2c_prof_sec[k];\n", nk);
	fprintf(f, "\tfprintf(out, \"%%-4s %%10s %%7s %%9s  %%s\\n\", \"#\", \"ms/call\", \"share\", \"GFLOP/s\", \"kernel\");\n");
	fprintf(f, "\tfor (int k = 0; k < %d; k++) {\n\t\tif (!o2c_prof_calls[k])\n\t\t\tcontinue;\n", nk);
	fprintf(f, "\t\tdouble ms = 1e3 * o2c_prof_sec[k] / (double)o2c_prof_calls[k];\n");
	fprintf(f, "\t\tflops += o2c_prof_flops[k] * (double)o2c_prof_calls[k];\n");
	fprintf(f, "\t\tfprintf(out, \"%%-4d %%10.3f %%6.1f%%%% %%9.1f  %%s\\n\", k, ms, 100.0 * o2c_prof_sec[k] / (total > 0 ? total : 1),\n"
	           "\t\t        o2c_prof_flops[k] > 0 ? o2c_prof_flops[k] / (ms * 1e6) : 0.0, o2c_prof_name[k]);\n\t}\n");
	fprintf(f, "\tfprintf(out, \"total %%.3f ms in kernels, %%.1f GFLOP/s overall\\n\", 1e3 * total, total > 0 ? flops / total / 1e9 : 0.0);\n");
	fprintf(f, "\tmemset(o2c_prof_sec, 0, sizeof o2c_prof_sec);\n\tmemset(o2c_prof_calls, 0, sizeof o2c_prof_calls);\n}\n");
	fprintf(f, "#else\n#define O2C_PROF(k, call) call\n#endif\n\n");
}

/* ---- --main ---------------------------------------------------------- */

static void emit_io_table(FILE *f, const Graph *g, bool outs)
{
	int n = outs ? g->noutputs : g->ninputs;
	fprintf(f, "static const o2c_io o2c_%s[%d] = {\n", outs ? "outputs" : "inputs", n ? n : 1);
	for (int i = 0; i < n; i++) {
		const Tensor *t = outs ? g->outputs[i] : g->inputs[i];
		fprintf(f, "\t{%s, %d, {", c_string(t->name), t->shape.rank);
		for (int k = 0; k < t->shape.rank; k++)
			fprintf(f, "%s%lld", k ? ", " : "", (long long)t->shape.d[k]);
		if (!t->shape.rank)
			fprintf(f, "0");
		fprintf(f, "}, %d, %lld},\n", t->batched ? 1 : 0, (long long)shape_numel(&t->shape));
	}
	if (!n)
		fprintf(f, "\t{\"\", 0, {0}, 0, 0},\n");
	fprintf(f, "};\n");
}

void emit_main(FILE *f, const Graph *g, const char *P, const char *weights_default)
{
	const char *tmpl = template_text("runner.c");
	if (!tmpl)
		fatal("this onnx2c was built without templates/runner.c; --main is unavailable");
	fprintf(f, "/* ---- --main: the test-data runner ---- */\n#include <stdio.h>\n#include <stdlib.h>\n\n");
	fprintf(f, "typedef struct { const char *name; int rank; int64_t dims[8]; int batched; int64_t sample_numel; } o2c_io;\n");
	fprintf(f, "#define O2C_NIN %d\n#define O2C_NOUT %d\n", g->ninputs, g->noutputs);
	emit_io_table(f, g, false);
	emit_io_table(f, g, true);
	/* input k is read from input_<file index>.pb: its position in the model as
	 * written, so ONNX test-data folders work after --bind removed inputs */
	fprintf(f, "static const int o2c_input_file[%d] = {", g->ninputs ? g->ninputs : 1);
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, "%s%d", i ? ", " : "", g->inputs[i]->file_index);
	fprintf(f, "%s};\n#define O2C_INPUT_FILE(k) (o2c_input_file[k])\n", g->ninputs ? "" : "0");
	fprintf(f, "#ifdef ONNX2C_PROFILE\n#define O2C_PROFILE_REPORT(f) %s_profile_report(f)\n#endif\n", P);
	if (weights_default) { /* the runner loads them: --weights FILE, or this path beside the program */
		fprintf(f, "#define O2C_WEIGHTS_FILE %s\n", c_string(weights_default));
		fprintf(f, "static int o2c_load_weights(const char *path) { return %s_load_weights_file(path); }\n", P);
		fprintf(f, "static const char *o2c_status_str(int status) { return %s_status_str(status); }\n", P);
	}
	fprintf(f, "static size_t o2c_workspace_size(int batch) { return %s_workspace_size(batch); }\n", P);
	fprintf(f, "static int o2c_run(void *ws, int batch, const float *const *in, float *const *out)\n"
	           "{\n\treturn %s_run_v(ws, batch, in, out);\n}\n\n", P);
	fputs(tmpl, f);
}
