/*
 * main.c - the onnx2c command line and the compiler pipeline (onnx2c_main;
 * onnx2c.c holds main(), so that the training runtime can link this too).
 *
 *   load -> bind/fix dims -> topo sort -> check ops -> infer shapes (+fold)
 *        -> [training cut] -> optimise -> int8 layout -> plan memory -> emit C
 *
 * Each step is a free function in a file of its own (see ir.h).  Every
 * optimisation can be switched off for bisecting: -O0 (all), --no-fuse=NAME.
 * After each step --check-ir runs the IR verifier (ir/check_ir.c) and
 * --dump-ir=STEP prints the IR.
 */
#include "ir.h"
#include "backend/emit_weights.h"
#include "tools/verify/verify.h"
#include "tools/quantize/quantize.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
"usage: onnx2c MODEL.onnx -o OUT.c [options]\n"
"       onnx2c verify MODEL.onnx [options]   (compare with ONNX Runtime; see onnx2c verify --help)\n"
"       onnx2c quantize MODEL.onnx --calibrate DIR -o OUT.onnx   (int8 QDQ model; see onnx2c quantize --help)\n"
"\n"
"Compiles an ONNX model into standalone C99 (OUT.c and OUT.h).\n"
"\n"
"options:\n"
"  -o FILE          output C file (the header is FILE with .h)\n"
"  --name PREFIX    C symbol prefix (default: from the output file name)\n"
"  --main           add a main(): ./prog IN_DIR OUT_DIR runs on ONNX test-data .pb files\n"
"  --weights FILE   write the weights to FILE, not into the C: the program binds them at\n"
"                   run time (PREFIX_bind_weights, PREFIX_load_weights_file; see README).\n"
"                   Without -o: only FILE, for code compiled before from this model's\n"
"                   structure (fine-tuned weights).  When FILE exists, the options it was\n"
"                   written with are used, and it is replaced only if the code fits\n"
"  --dim NAME=V     fix the symbolic dimension NAME to V (repeatable)\n"
"  --bind NAME=F.pb make graph input NAME a constant read from a TensorProto file\n"
"  -O0              no graph optimisations (plain node-by-node code)\n"
"  --no-fuse=NAME   switch one pass off: dce, layernorm, pad, bn, scale, qconv, gemm, poolconv,\n"
"                   residual, gelu, swish, act, concat (repeatable)\n"
"  --winograd=N     3x3 convs may use Winograd F(NxN): 2 (default), 4 (faster, ~6x the\n"
"                   rounding error of a direct conv per layer) or 0 (never)\n"
"  --report         print every emitted kernel (covered nodes, shapes, MACs, memory) and totals\n"
"  --dot FILE       write the optimised graph as Graphviz DOT\n"
"  --train-head     cut off the classifier head: the model outputs features, the header\n"
"                   describes the head for the training runtime (see README)\n"
"  --head-classes K with --train-head: a fresh K-way head replaces the model's\n"
"  --train-main     with --train-head: add a main() that runs the trainer (link onnx2c_rt)\n"
"  --unfreeze N|all with --train-head: the last N blocks before the head train too\n"
"                   (a block: a stretch between single-tensor cuts holding parameters;\n"
"                   all: every block, the stem included: full fine-tuning)\n"
"  --trainable-from NODE  with --train-head: train from NODE's input (or a tensor) on\n"
"  --max-weights=B  refuse models whose weights pass B bytes (default 4G; K, M, G, T suffixes)\n"
"  --max-arena=B    refuse models whose workspace per sample passes B bytes (default 16G)\n"
"  --max-source=B   refuse models whose generated .c would pass B bytes (default 16G)\n"
"  --dump-ir        print the IR after shape inference and after optimisation\n"
"  --dump-ir=STEP   print the IR after one step: load, topo, check, infer, train, a pass\n"
"                   name (as --no-fuse), plan\n"
"  --check-ir       verify the IR after every step (an internal error names the step)\n"
"  -v               print a summary of what was compiled\n"
"  --version        print the version\n"
"  --help           this text\n");
}

/* The output file's base name as an identifier: "out/tiny-cnn.c" -> "tiny_cnn". */
static char *default_prefix(const char *out)
{
	const char *base = strrchr(out, '/');
	char *p = xstrdup(base ? base + 1 : out);
	char *dot = strrchr(p, '.');
	if (dot && dot != p)
		*dot = 0;
	return c_ident("", p);
}

typedef struct { const char *name; const char *value; } KV;

/* The optimisation pipeline, in order; each pass can be switched off. */
static const struct { const char *name; void (*run)(Graph *); } passes[] = {
	{ "dce", opt_dce },
	{ "layernorm", opt_fuse_layernorm },
	{ "pad", opt_fold_pad },
	{ "bn", opt_fold_bn },
	{ "scale", opt_fold_scale },
	{ "qconv", opt_fuse_qconv },
	{ "qops", opt_fuse_qops },
	{ "gemm", opt_matmul_bias },
	{ "poolconv", opt_pool_conv },
	{ "residual", opt_fuse_residual },
	{ "gelu", opt_fuse_gelu },
	{ "swish", opt_fuse_swish },
	{ "act", opt_fuse_act },
	{ "concat", opt_concat_inplace },
};
#define NPASSES (int)(sizeof passes / sizeof passes[0])

/* The steps around the passes, for --dump-ir=STEP (the passes go between train and int8). */
static const char *const steps[] = { "load", "topo", "check", "infer", "train", "int8", "plan" };
#define NSTEPS (int)(sizeof steps / sizeof steps[0])

static bool step_known(const char *name)
{
	for (int i = 0; i < NSTEPS; i++)
		if (!strcmp(steps[i], name))
			return true;
	for (int p = 0; p < NPASSES; p++)
		if (!strcmp(passes[p].name, name))
			return true;
	return false;
}

/* What runs between the steps: --check-ir, --dump-ir=STEP, --debug-break-ir=STEP. */
static struct {
	bool check;
	const char *dump;
	const char *break_after; /* for testing --check-ir only */
} between;

/* Makes the IR wrong: the first live node whose output a later live node reads
 * swaps places with that reader, which then reads a tensor written after it. */
static void break_ir(Graph *g)
{
	for (int i = 0; i < g->nnodes; i++)
		for (int j = i + 1; j < g->nnodes && !g->nodes[i]->dead; j++)
			for (int k = 0; k < g->nodes[j]->nin && !g->nodes[j]->dead; k++)
				if (g->nodes[j]->in[k] && g->nodes[j]->in[k] == g->nodes[i]->out[0]) {
					Node *a = g->nodes[i];
					g->nodes[i] = g->nodes[j];
					g->nodes[j] = a;
					g->nodes[i]->id = i;
					g->nodes[j]->id = j;
					return;
				}
}

static void after_step(Graph *g, const char *step, IrStage stage)
{
	if (between.break_after && !strcmp(between.break_after, step))
		break_ir(g);
	if (between.check)
		check_ir(g, step, stage);
	if (between.dump && !strcmp(between.dump, step)) {
		fprintf(stderr, "# IR after %s\n", step);
		graph_dump(g, stderr);
	}
}

static void pass_names(FILE *f)
{
	for (int p = 0; p < NPASSES; p++)
		fprintf(f, "%s%s", p ? ", " : "", passes[p].name);
}

static void step_names(FILE *f)
{
	for (int i = 0; i < NSTEPS - 2; i++)
		fprintf(f, "%s, ", steps[i]);
	pass_names(f);
	fprintf(f, ", %s, %s", steps[NSTEPS - 2], steps[NSTEPS - 1]);
}

/* The options that shape the generated code, recorded in a weights file (emit_weights.c) so
 * that `--weights FILE` without -o can compile a fine-tuned model as FILE's code was. */
static char *recorded;
static size_t recorded_len;

static void record(const char *a, const char *value)
{
	const char *args[2] = { a, value };
	for (int k = 0; k < 2 && args[k]; k++) {
		size_t n = strlen(args[k]) + 1;
		recorded = xrealloc_arr(recorded, recorded_len, recorded_len + n, 1);
		memcpy(recorded + recorded_len, args[k], n);
		recorded_len += n;
	}
}

/* The options that take a value (for the look ahead below; the parser has its own). */
static bool takes_value(const char *a)
{
	static const char *const with_value[] = { "-o", "--name", "--weights", "--dim", "--bind", "--dot",
		"--head-classes", "--unfreeze", "--trainable-from", "--debug-corrupt-weight" };
	for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++)
		if (!strcmp(a, with_value[i]))
			return true;
	return false;
}

/* `onnx2c M.onnx --weights FILE` without -o, FILE an existing file: the weights for the code
 * FILE came with.  Returns argv with FILE's recorded options first (those given after them
 * still count), and sets g_weights_expect so that a model that does not fit that code is
 * refused before FILE is touched. */
static char **reuse_options(int *argc, char **argv)
{
	const char *w = NULL;
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "-o"))
			return argv;
		if (!strcmp(argv[i], "--weights") && i + 1 < *argc)
			w = argv[i + 1];
		if (takes_value(argv[i]))
			i++;
	}
	if (!w || access(w, F_OK) != 0)
		return argv;
	WeightsInfo *wi = xalloc(sizeof *wi);
	const char *why = weights_read_info(w, wi);
	if (why) {
		fprintf(stderr, "onnx2c: --weights '%s' without -o: the file %s, so it cannot say which code its "
		                "weights are for; remove it or give a new file name\n", w, why);
		exit(EXIT_USAGE);
	}
	int n = 0;
	for (size_t k = 0; k < wi->options_len; k++)
		n += wi->options[k] == 0;
	char **a = xalloc((size_t)(*argc + n + 1) * sizeof *a);
	a[0] = argv[0];
	char *line = xstrdup("");
	for (size_t k = 0, j = 1; k < wi->options_len; k += strlen(wi->options + k) + 1, j++) {
		a[j] = wi->options + k;
		line = xsprintf("%s %s", line, a[j]);
	}
	memcpy(a + 1 + n, argv + 1, (size_t)(*argc - 1) * sizeof *a);
	*argc += n;
	g_weights_expect = wi;
	fprintf(stderr, "onnx2c: compiling with the options '%s' was written with:%s\n", w, line);
	return a;
}

static KV split_kv(const char *opt, const char *arg)
{
	const char *eq = arg ? strchr(arg, '=') : NULL;
	if (!eq || eq == arg || !eq[1]) {
		fprintf(stderr, "onnx2c: %s takes NAME=VALUE, got '%s'\n", opt, arg ? arg : "");
		exit(EXIT_USAGE);
	}
	char *name = xstrdup(arg);
	name[eq - arg] = 0;
	return (KV){ name, eq + 1 };
}

int onnx2c_main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "verify"))
		return verify_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "quantize"))
		return quantize_main(argc - 1, argv + 1);
	argv = reuse_options(&argc, argv);

	const char *model = NULL, *out = NULL, *prefix = NULL;
	bool with_main = false, dump_ir = false, do_report = false;
	bool pass_on[NPASSES];
	const char *dot = NULL;
	for (int p = 0; p < NPASSES; p++)
		pass_on[p] = true;
	KV dims[64], binds[64];
	int ndims = 0, nbinds = 0;
	const char *corrupt = NULL;
	bool train = false, train_main = false;
	int64_t head_classes = 0, unfreeze = 0;
	const char *trainable_from = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("onnx2c %s\n", ONNX2C_VERSION);
			return 0;
		} else if (!strcmp(a, "-o") && next) {
			out = argv[++i];
		} else if (!strcmp(a, "--name") && next) {
			prefix = argv[++i];
		} else if (!strcmp(a, "--main")) {
			with_main = true;
		} else if (!strcmp(a, "--weights") && next) {
			g_weights_out = argv[++i];
		} else if (!strcmp(a, "-O0")) {
			for (int p = 0; p < NPASSES; p++)
				pass_on[p] = false;
			record(a, NULL);
		} else if (!strcmp(a, "-O1") || !strcmp(a, "-O2")) {
			for (int p = 0; p < NPASSES; p++)
				pass_on[p] = true;
			record(a, NULL);
		} else if (!strncmp(a, "--no-fuse=", 10)) {
			int p = 0;
			while (p < NPASSES && strcmp(passes[p].name, a + 10))
				p++;
			if (p == NPASSES) {
				fprintf(stderr, "onnx2c: --no-fuse: unknown pass '%s' (", a + 10);
				pass_names(stderr);
				fprintf(stderr, ")\n");
				return EXIT_USAGE;
			}
			pass_on[p] = false;
			record(a, NULL);
		} else if (!strncmp(a, "--winograd=", 11)) {
			if (strcmp(a + 11, "0") && strcmp(a + 11, "2") && strcmp(a + 11, "4")) {
				fprintf(stderr, "onnx2c: --winograd takes 0, 2 or 4 (the largest Winograd tile), got '%s'\n", a + 11);
				return EXIT_USAGE;
			}
			g_winograd = atoi(a + 11);
			record(a, NULL);
		} else if (!strcmp(a, "--report")) {
			do_report = true;
		} else if (!strcmp(a, "--dot") && next) {
			dot = argv[++i];
		} else if (!strcmp(a, "--debug-corrupt-weight") && next) {
			corrupt = argv[++i]; /* for testing `onnx2c verify` only */
		} else if (!strcmp(a, "--train-head")) {
			train = true;
		} else if (!strcmp(a, "--train-main")) {
			train_main = true;
		} else if (!strcmp(a, "--head-classes") && next) {
			char *end;
			head_classes = strtoll(argv[++i], &end, 10);
			if (*end || head_classes < 1 || head_classes > 1000000) {
				fprintf(stderr, "onnx2c: --head-classes takes a class count (1..1000000), got '%s'\n", argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--unfreeze") && next) {
			char *end = NULL; /* stays NULL for "all" (-1) */
			unfreeze = !strcmp(argv[++i], "all") ? -1 : strtoll(argv[i], &end, 10);
			if (end && (*end || unfreeze < 1 || unfreeze > 100000)) {
				fprintf(stderr, "onnx2c: --unfreeze takes a block count (1..100000) or 'all', got '%s'\n", argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--trainable-from") && next) {
			trainable_from = argv[++i];
		} else if (!strncmp(a, "--max-weights=", 14) || !strncmp(a, "--max-arena=", 12) ||
		           !strncmp(a, "--max-source=", 13)) {
			const char *v = strchr(a, '=') + 1;
			int64_t *lim = a[6] == 'w' ? &g_limits.weights : a[6] == 'a' ? &g_limits.arena : &g_limits.source;
			if (!parse_bytes(v, lim)) {
				fprintf(stderr, "onnx2c: %.*s takes a byte count (e.g. 512M, 8G), got '%s'\n", (int)(v - a - 1), a, v);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--dump-ir")) {
			dump_ir = true;
		} else if (!strncmp(a, "--dump-ir=", 10) || !strncmp(a, "--debug-break-ir=", 17)) {
			const char *step = strchr(a, '=') + 1;
			if (!step_known(step)) {
				fprintf(stderr, "onnx2c: %.*s: unknown step '%s' (", (int)(step - a - 1), a, step);
				step_names(stderr);
				fprintf(stderr, ")\n");
				return EXIT_USAGE;
			}
			if (a[2] == 'd' && a[3] == 'u')
				between.dump = step;
			else
				between.break_after = step;
		} else if (!strcmp(a, "--check-ir")) {
			between.check = true;
		} else if (!strcmp(a, "-v")) {
			g_verbose = 1;
		} else if (!strcmp(a, "--dim") && next && ndims < 64) {
			dims[ndims++] = split_kv(a, argv[++i]);
			record(a, argv[i]);
		} else if (!strcmp(a, "--bind") && next && nbinds < 64) {
			binds[nbinds++] = split_kv(a, argv[++i]);
			record(a, argv[i]);
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "onnx2c: unknown or incomplete option '%s' (see --help)\n", a);
			return EXIT_USAGE;
		} else if (!model) {
			model = a;
		} else {
			fprintf(stderr, "onnx2c: more than one model given ('%s' and '%s')\n", model, a);
			return EXIT_USAGE;
		}
	}
	/* --weights without -o: the weights only, for code compiled before from a model of the same
	 * structure (a fine-tuned one); the C is made beside the weights and removed */
	bool weights_only = !out && g_weights_out;
	if (weights_only) {
		if (with_main || train || dot) {
			fprintf(stderr, "onnx2c: --weights without -o writes the weights only: no --main, --train-head or --dot\n");
			return EXIT_USAGE;
		}
		if (!prefix)
			prefix = default_prefix(g_weights_out);
		out = xsprintf("%s.onnx2c-tmp.c", g_weights_out);
	}
	if (!model || !out) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((head_classes || train_main) && !train) {
		fprintf(stderr, "onnx2c: --head-classes and --train-main need --train-head\n");
		return EXIT_USAGE;
	}
	if ((unfreeze || trainable_from) && !train) {
		fprintf(stderr, "onnx2c: --unfreeze and --trainable-from need --train-head\n");
		return EXIT_USAGE;
	}
	if (unfreeze && trainable_from) {
		fprintf(stderr, "onnx2c: give --unfreeze or --trainable-from, not both\n");
		return EXIT_USAGE;
	}
	if (train_main && g_weights_out) {
		fprintf(stderr, "onnx2c: --train-main builds the trainer with the weights inside; drop --weights\n");
		return EXIT_USAGE;
	}
	if (train_main && with_main) {
		fprintf(stderr, "onnx2c: --main and --train-main both define main(); pick one\n");
		return EXIT_USAGE;
	}
	if (!prefix)
		prefix = default_prefix(out);
	if (!c_is_ident(prefix)) {
		fprintf(stderr, "onnx2c: --name '%s' is not a C identifier\n", prefix);
		return EXIT_USAGE;
	}
	record("--name", prefix); /* last, so that it is the name in force */
	g_weights_options = recorded;
	g_weights_options_len = recorded_len;
	size_t ol = strlen(out);
	if (ol < 3 || strcmp(out + ol - 2, ".c")) {
		fprintf(stderr, "onnx2c: the output file must end in .c (got '%s')\n", out);
		return EXIT_USAGE;
	}
	char *hdr = xstrdup(out);
	hdr[ol - 1] = 'h';
	if (g_weights_out && (!strcmp(g_weights_out, out) || !strcmp(g_weights_out, hdr))) {
		fprintf(stderr, "onnx2c: --weights '%s' would overwrite the generated code\n", g_weights_out);
		return EXIT_USAGE;
	}

	/* the command line goes into the generated banner */
	char *cmdline = xstrdup("onnx2c");
	for (int i = 1; i < argc; i++)
		cmdline = xsprintf("%s %s", cmdline, argv[i]);

	g_model_path = model;
	Graph *g = onnx_load(model);
	for (int i = 0; i < ndims; i++) {
		char *end;
		long long v = strtoll(dims[i].value, &end, 10);
		if (*end || v < 1) {
			fprintf(stderr, "onnx2c: --dim %s: '%s' is not a positive integer\n", dims[i].name, dims[i].value);
			return EXIT_USAGE;
		}
		fix_dims(g, dims[i].name, v);
	}
	for (int i = 0; i < nbinds; i++)
		bind_input(g, binds[i].name, binds[i].value);
	resolve_dims(g);
	if (corrupt)
		debug_corrupt_weight(g, corrupt);
	lower_qops(g);
	after_step(g, "load", IR_LOADED);

	topo_sort(g);
	after_step(g, "topo", IR_SORTED);
	check_ops(g);
	after_step(g, "check", IR_CHECKED);
	int nodes_in = g->nnodes;
	infer_shapes(g);
	after_step(g, "infer", IR_TYPED);
	if (dump_ir)
		graph_dump(g, stderr);
	if (train)
		train_head_cut(g, head_classes, train_main);
	if (unfreeze || trainable_from)
		train_block_cut(g, unfreeze, trainable_from);
	after_step(g, "train", IR_TYPED);
	for (int p = 0; p < NPASSES; p++) {
		if (pass_on[p])
			passes[p].run(g);
		after_step(g, passes[p].name, IR_TYPED);
	}
	opt_int8_layout(g); /* not a pass to switch off: the int8 nodes need its q8 tensors */
	after_step(g, "int8", IR_TYPED);
	if (dump_ir)
		graph_dump(g, stderr);
	plan_memory(g);
	after_step(g, "plan", IR_PLANNED);
	emit_c(g, out, hdr, prefix, with_main, cmdline);
	if (do_report)
		report(g, nodes_in, stdout);
	if (dot)
		write_dot(g, dot);
	if (weights_only) {
		remove(out);
		remove(hdr);
		progress("wrote %s", g_weights_out);
		return 0;
	}
	progress("wrote %s and %s", out, hdr);
	return 0;
}
