/*
 * verify.c - `onnx2c verify MODEL.onnx`: compile a model, run it and ONNX
 * Runtime on the same inputs, compare; when they differ, name the first
 * diverging node.
 *
 *   inputs (--input DIR, or seeded random ones) -> ONNX Runtime (node + ort_run.js)
 *   onnx2c --main (this same binary, re-executed) -> cc -> run -> compare
 *   on a mismatch: onnx2c -O0 + cc -DONNX2C_DUMP (every kernel output dumped)
 *                  vs ONNX Runtime on a copy of the model whose outputs are
 *                  every intermediate tensor -> first node out of tolerance
 *
 * Everything runs as child processes in a work directory, so a compiler
 * error in onnx2c (which exits) is a result here, not a crash.  This file is
 * the command and the processes; verify_io.c has the files, verify_cmp.c the
 * numbers.  Exit status: 0 within tolerance, 1 past it (or the model did not
 * compile or run), 2 on usage and setup errors (missing node, ORT, cc ...).
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw, readlink, setenv */
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 256

typedef struct Opts {
	const char *model, *input, *keep, *cc, *cflags;
	bool random, seed_given, batch_given;
	int batch;
	uint64_t seed;
	double tol, steps;
	const char **extra;   /* onnx2c options after `--` */
	int nextra;
	VDim dims[64];        /* --dim among them, for random input shapes */
	int ndims;
} Opts;

/* What the steps share: tools found once, the work directory. */
typedef struct Ctx {
	const Opts *o;
	const char *self, *node, *ort_js;
	const char *work, *in_dir;
	const char **cc;      /* the compiler command and flags, NULL-terminated */
} Ctx;

/* The command whose messages these are: "verify", or "quantize" when that
 * command uses these functions. */
const char *vtool = "verify";

_Noreturn void vdie(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "onnx2c %s: ", vtool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(VERIFY_SETUP);
}

void vnote(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", vtool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: onnx2c verify MODEL.onnx [options] [-- onnx2c options]\n"
"\n"
"Compiles MODEL with onnx2c, builds it, runs it and ONNX Runtime on the same\n"
"inputs and prints, per output, the max absolute and relative difference and\n"
"whether the arg-max agrees.  When an output is out of tolerance, it rebuilds the\n"
"model unoptimised with every tensor dumped, asks ONNX Runtime for the same\n"
"tensors, and prints the first node whose output diverges.\n"
"\n"
"options:\n"
"  --input DIR      ONNX test-data inputs DIR/input_K.pb (or DIR/test_data_set_0/)\n"
"  --random         seeded standard-normal inputs (the default)\n"
"  --seed S         seed for --random (default 1)\n"
"  --batch N        batch size for --random when the model has a symbolic batch (default 1)\n"
"  --tol REL        pass when max|diff| <= REL * max|ref| per output (default 1e-4)\n"
"  --tol-steps K    quantized (QDQ) models: a uint8/int8 tensor may be K quantization\n"
"                   steps off, a float one written by a DequantizeLinear K times its\n"
"                   scale; intermediate uint8/int8 tensors must also equal ONNX\n"
"                   Runtime's on 99.9%% of their elements (default 1)\n"
"  --keep DIR       work in DIR and keep it (generated C, inputs, outputs, dumps)\n"
"  --cc CC          C compiler (default: cc)\n"
"  --cflags \"...\"   compiler flags (default: -std=c99 -O2 -march=native -fopenmp,\n"
"                   dropping -march=native and -fopenmp if the compiler refuses them)\n"
"  -- OPTIONS       passed to onnx2c (e.g. --dim N=4, --no-fuse=bn)\n"
"\n"
"Needs node and onnxruntime-node: ONNX2C_ORT_DIR (a folder with ort_run.js and\n"
"node_modules/), else <prefix>/share/onnx2c/ort, else the source tree's tests/ort.\n"
"Exit status: 0 within tolerance, 1 past it or the model did not build or run,\n"
"2 usage or setup error.\n");
}

static _Noreturn void bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void bad_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "onnx2c %s: ", vtool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see onnx2c %s --help)\n", vtool);
	exit(VERIFY_SETUP);
}

static long long parse_int(const char *opt, const char *s, long long lo, long long hi)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		bad_usage("%s takes an integer %lld..%lld, got '%s'", opt, lo, hi, s);
	return v;
}

static void parse_args(int argc, char **argv, Opts *o)
{
	*o = (Opts){ .cc = "cc", .batch = 1, .seed = 1, .tol = 1e-4, .steps = 1 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = !strcmp(a, "--input") || !strcmp(a, "--seed") || !strcmp(a, "--batch") ||
		             !strcmp(a, "--tol") || !strcmp(a, "--tol-steps") || !strcmp(a, "--keep") || !strcmp(a, "--cc") || !strcmp(a, "--cflags");
		if (takes && !next)
			bad_usage("%s needs a value", a);
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--")) {
			o->extra = (const char **)argv + i + 1;
			o->nextra = argc - i - 1;
			break;
		} else if (!strcmp(a, "--random")) {
			o->random = true;
		} else if (!strcmp(a, "--input")) {
			o->input = argv[++i];
		} else if (!strcmp(a, "--seed")) {
			o->seed = (uint64_t)parse_int(a, argv[++i], 0, INT64_MAX);
			o->seed_given = true;
		} else if (!strcmp(a, "--batch")) {
			o->batch = (int)parse_int(a, argv[++i], 1, 1 << 20);
			o->batch_given = true;
		} else if (!strcmp(a, "--tol")) {
			char *end;
			o->tol = strtod(argv[++i], &end);
			if (!*argv[i] || *end || !(o->tol > 0) || o->tol > 1e30)
				bad_usage("--tol takes a positive number, got '%s'", argv[i]);
		} else if (!strcmp(a, "--tol-steps")) {
			char *end;
			o->steps = strtod(argv[++i], &end);
			if (!*argv[i] || *end || !(o->steps >= 0) || o->steps > 1e6)
				bad_usage("--tol-steps takes a number >= 0, got '%s'", argv[i]);
		} else if (!strcmp(a, "--keep")) {
			o->keep = argv[++i];
		} else if (!strcmp(a, "--cc")) {
			o->cc = argv[++i];
		} else if (!strcmp(a, "--cflags")) {
			o->cflags = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			bad_usage("unknown option '%s'", a);
		} else if (!o->model) {
			o->model = a;
		} else {
			bad_usage("more than one model given ('%s' and '%s')", o->model, a);
		}
	}
	if (!o->model)
		bad_usage("no model given");
	if (o->input && o->random)
		bad_usage("--input and --random exclude each other");
	if (o->input && (o->batch_given || o->seed_given))
		bad_usage("--batch and --seed are for --random; with --input the files set the batch");
	if (!o->input)
		o->random = true;
	if (access(o->model, R_OK) != 0)
		vdie("cannot read the model %s: %s", o->model, strerror(errno));
	/* onnx2c options that change what random inputs look like, or that
	 * verify itself sets */
	for (int i = 0; i < o->nextra; i++) {
		const char *a = o->extra[i];
		if (!strcmp(a, "-o") || !strcmp(a, "--main") || !strcmp(a, "--name") || !strcmp(a, "--bind"))
			bad_usage("'%s' cannot be passed to onnx2c here: verify sets the output itself, and "
			          "ONNX Runtime needs every graph input", a);
		if (!strcmp(a, "--dim") && i + 1 < o->nextra && o->ndims < 64) {
			const char *kv = o->extra[++i], *eq = strchr(kv, '=');
			if (!eq || eq == kv)
				bad_usage("--dim takes NAME=VALUE, got '%s'", kv);
			char *name = xstrdup(kv);
			name[eq - kv] = 0;
			o->dims[o->ndims++] = (VDim){ name, parse_int("--dim", eq + 1, 1, INT32_MAX) };
		}
	}
}

/* ---- child processes ---- */

/* Runs argv[0] (searched on PATH) with stdout and stderr sent to `log` (or
 * inherited when NULL).  Returns the exit status, 128+signal when killed,
 * 127 when it could not be started. */
int run(const char *const *argv, const char *log)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		vdie("fork: %s", strerror(errno));
	if (pid == 0) {
		if (log) {
			int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
				_exit(127);
			close(fd);
		}
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			vdie("waitpid: %s", strerror(errno));
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* The last lines of a child's log, for a failed step. */
void show_log(const char *log)
{
	FILE *f = fopen(log, "r");
	if (!f)
		return;
	char *lines[30] = { 0 };
	char buf[1024];
	int n = 0;
	while (fgets(buf, sizeof buf, f))
		lines[n++ % 30] = xstrdup(buf);
	fclose(f);
	for (int i = n > 30 ? n - 30 : 0; i < n; i++)
		fprintf(stderr, "  | %s%s", lines[i % 30], strchr(lines[i % 30], '\n') ? "" : "\n");
	if (n > 30)
		fprintf(stderr, "  (last 30 of %d lines of %s)\n", n, log);
}

const char *cmd_str(const char *const *argv)
{
	char *s = xstrdup(argv[0]);
	for (int i = 1; argv[i]; i++)
		s = xsprintf("%s %s", s, argv[i]);
	return s;
}

typedef struct Argv { const char *a[MAX_ARGS]; int n; } Argv;

static void push(Argv *v, const char *s)
{
	if (v->n + 1 >= MAX_ARGS)
		vdie("too many arguments for a child command");
	v->a[v->n++] = s;
	v->a[v->n] = NULL;
}

/* Whitespace-separated words (no shell quoting) onto v. */
static void push_words(Argv *v, const char *s)
{
	char *w = xstrdup(s);
	for (char *tok = strtok(w, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
		push(v, tok);
}

/* ---- finding the tools ---- */

const char *self_exe(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		vdie("cannot find the onnx2c executable (/proc/self/exe): %s", strerror(errno));
	buf[n] = 0;
	return xstrdup(buf);
}

static char *dir_of(const char *p)
{
	char *d = xstrdup(p);
	char *s = strrchr(d, '/');
	if (!s)
		return xstrdup(".");
	if (s == d)
		return xstrdup("/");
	*s = 0;
	return d;
}

bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *find_on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *p = xstrdup(path ? path : "/usr/bin:/bin");
	for (char *d = strtok(p, ":"); d; d = strtok(NULL, ":")) {
		char *f = xsprintf("%s/%s", *d ? d : ".", prog);
		if (is_file(f) && access(f, X_OK) == 0)
			return f;
	}
	return NULL;
}

/* The ONNX Runtime runner: a folder with ort_run.js and node_modules/. */
static const char *find_ort(const char *self)
{
	const char *env = getenv("ONNX2C_ORT_DIR");
	if (env && *env) {
		if (!is_file(xsprintf("%s/ort_run.js", env)))
			vdie("ONNX2C_ORT_DIR=%s has no ort_run.js", env);
		return env;
	}
	const char *cand[2];
	int nc = 0;
	cand[nc++] = xsprintf("%s/share/onnx2c/ort", dir_of(dir_of(self)));
#ifdef ONNX2C_SOURCE_DIR
	cand[nc++] = ONNX2C_SOURCE_DIR "/tests/ort";
#else
	/* CMake compiles with absolute source paths: __FILE__ is
	 * <source>/compiler/verify.c, good enough as the last fallback */
	if (__FILE__[0] == '/')
		cand[nc++] = xsprintf("%s/tests/ort", dir_of(dir_of(__FILE__)));
#endif
	for (int i = 0; i < nc; i++)
		if (is_file(xsprintf("%s/ort_run.js", cand[i])))
			return cand[i];
	vdie("cannot find ONNX Runtime's runner ort_run.js (looked in %s%s%s); set ONNX2C_ORT_DIR",
	     cand[0], nc > 1 ? " and " : "", nc > 1 ? cand[1] : "");
}

/* A C compiler command that works: --cflags as given, or the default flags
 * minus what this compiler refuses (probed on an empty program, so a failure
 * does not cost a full build of a big model). */
const char **find_cc(const char *cc, const char *cflags, const char *work)
{
	static const char *const defaults[] = { "-std=c99", "-O2", "-march=native", "-fopenmp" };
	bool keep[4] = { true, true, true, true };
	const char *probe = xsprintf("%s/probe.c", work), *log = xsprintf("%s/probe.log", work);
	FILE *f = fopen(probe, "w");
	if (!f || fputs("int main(void) { return 0; }\n", f) < 0 || fclose(f) != 0)
		vdie("cannot write %s", probe);
	for (int attempt = 0; attempt < 3; attempt++) {
		Argv v = { .n = 0 };
		push_words(&v, cc);
		if (v.n == 0)
			bad_usage("--cc is empty");
		if (cflags)
			push_words(&v, cflags);
		else
			for (int i = 0; i < 4; i++)
				if (keep[i])
					push(&v, defaults[i]);
		int flags_end = v.n;
		push(&v, probe);
		push(&v, "-o");
		push(&v, xsprintf("%s/probe", work));
		if (run(v.a, log) == 0) {
			const char **cmd = xalloc((size_t)(flags_end + 1) * sizeof *cmd);
			memcpy(cmd, v.a, (size_t)flags_end * sizeof *cmd);
			return cmd;
		}
		if (cflags)
			break;
		keep[attempt == 0 ? 2 : 3] = false; /* first -march=native, then -fopenmp */
	}
	show_log(log);
	vdie("the C compiler '%s' cannot build an empty program%s", cc,
	     cflags ? " with --cflags" : "");
}

/* ---- the work directory ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(p);
	return 0;
}

void make_dir(const char *p)
{
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		vdie("cannot create %s: %s", p, strerror(errno));
}

static const char *g_cleanup;
static void cleanup(void);

const char *make_work(const char *keep)
{
	if (keep) {
		char *p = xstrdup(keep);
		for (char *s = p + 1; *s; s++)
			if (*s == '/') {
				*s = 0;
				make_dir(p);
				*s = '/';
			}
		make_dir(p);
		return p;
	}
	const char *tmp = getenv("TMPDIR");
	char *p = xsprintf("%s/onnx2c-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", vtool);
	if (!mkdtemp(p))
		vdie("cannot create a temporary directory %s: %s", p, strerror(errno));
	g_cleanup = p; /* removed at exit */
	atexit(cleanup);
	return p;
}

static void cleanup(void)
{
	if (g_cleanup)
		nftw(g_cleanup, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the steps ---- */

static void run_ort(const Ctx *c, const char *model, const char *out_dir, const char *what)
{
	vnote("running ONNX Runtime%s", what);
	const char *log = xsprintf("%s.log", out_dir);
	const char *argv[] = { c->node, c->ort_js, model, c->in_dir, out_dir, NULL };
	int rc = run(argv, log);
	if (rc != 0) {
		show_log(log);
		vdie("ONNX Runtime failed on %s (exit %d)", model, rc);
	}
}

/* onnx2c MODEL -o DIR/model.c --main EXTRA... [more], then cc; false (with
 * the log shown) when either fails: that is a result, not a setup error. */
static bool build_model(const Ctx *c, const char *dir, const char *more, const char *define,
                        const char *extra_src)
{
	const char *csrc = xsprintf("%s/model.c", dir), *log = xsprintf("%s/onnx2c.log", dir);
	Argv v = { .n = 0 };
	push(&v, c->self);
	push(&v, c->o->model);
	push(&v, "-o");
	push(&v, csrc);
	push(&v, "--main");
	for (int i = 0; i < c->o->nextra; i++)
		push(&v, c->o->extra[i]);
	if (more)
		push(&v, more);
	vnote("compiling %s with onnx2c%s", c->o->model, more ? xsprintf(" %s", more) : "");
	int rc = run(v.a, log);
	if (rc != 0) {
		show_log(log);
		printf("onnx2c failed on the model (exit %d): %s\n", rc, cmd_str(v.a));
		return false;
	}
	v.n = 0;
	for (int i = 0; c->cc[i]; i++)
		push(&v, c->cc[i]);
	if (define)
		push(&v, define);
	push(&v, csrc);
	if (extra_src)
		push(&v, extra_src);
	push(&v, "-o");
	push(&v, xsprintf("%s/model", dir));
	push(&v, "-lm");
	log = xsprintf("%s/cc.log", dir);
	vnote("building: %s", cmd_str(v.a));
	rc = run(v.a, log);
	if (rc != 0) {
		show_log(log);
		printf("the generated C did not compile (exit %d): %s\n", rc, cmd_str(v.a));
		return false;
	}
	return true;
}

static bool run_model(const Ctx *c, const char *dir, const char *out_dir)
{
	make_dir(out_dir);
	const char *log = xsprintf("%s.log", out_dir);
	const char *argv[] = { xsprintf("%s/model", dir), c->in_dir, out_dir, NULL };
	vnote("running the C model");
	int rc = run(argv, log);
	if (rc != 0) {
		show_log(log);
		printf("the C model failed (exit %d): %s\n", rc, cmd_str(argv));
		return false;
	}
	return true;
}

/* Initializers stored in external files are found relative to the model:
 * link them next to the model copy. */
static void link_external_data(const Onnx__ModelProto *m, const char *model, const char *dir)
{
	const Onnx__GraphProto *g = m->graph;
	for (size_t i = 0; i < g->n_initializer; i++) {
		const Onnx__TensorProto *t = g->initializer[i];
		for (size_t j = 0; j < t->n_external_data; j++) {
			const char *k = t->external_data[j]->key, *v = t->external_data[j]->value;
			if (!k || strcmp(k, "location") || !v || strchr(v, '/'))
				continue;
			char *target = realpath(xsprintf("%s/%s", dir_of(model), v), NULL);
			const char *link = xsprintf("%s/%s", dir, v);
			if (target && access(link, F_OK) != 0 && symlink(target, link) != 0)
				vnote("cannot link external data %s: %s", v, strerror(errno));
			free(target);
		}
	}
}

/* The outputs differ: build the dumping debug model, get ONNX Runtime's
 * intermediates, name the first node out of tolerance.  `fused`: the
 * optimised build, where a kernel covers several nodes (a fused kernel's
 * output is the last covered node's ONNX tensor, so it compares as well).
 * Returns whether a diverging node was found. */
static bool find_divergence(const Ctx *c, Onnx__ModelProto *m, bool fused)
{
	const char *dir = xsprintf("%s/%s", c->work, fused ? "debug-optimised" : "debug");
	make_dir(dir);
	printf("looking for the first diverging %s (%s build, every tensor dumped) ...\n",
	       fused ? "kernel" : "node", fused ? "optimised" : "unoptimised -O0");
	const char *dump_src = xsprintf("%s/dump.c", dir);
	FILE *f = fopen(dump_src, "w");
	if (!f || fputs(dump_c_source, f) < 0 || fclose(f) != 0)
		vdie("cannot write %s", dump_src);
	if (!build_model(c, dir, fused ? NULL : "-O0", "-DONNX2C_DUMP", dump_src))
		return false;
	const char *dump = xsprintf("%s/dump.bin", dir);
	remove(dump);
	if (setenv("ONNX2C_DUMP_FILE", dump, 1) != 0)
		vdie("setenv: %s", strerror(errno));
	if (!run_model(c, dir, xsprintf("%s/out", dir)))
		return false;
	int nrecs;
	const char *err = NULL;
	DumpRec *recs = dump_read(dump, &nrecs, &err);
	if (!recs) {
		printf("cannot read the C model's dump: %s\n", err ? err : "empty");
		return false;
	}

	/* ask ONNX Runtime for every dumped tensor the ONNX graph has (an
	 * inlined function's internals it does not) */
	const char **names = xalloc((size_t)(nrecs + 1) * sizeof *names);
	const char **added = xalloc((size_t)(nrecs + 1) * sizeof *added);
	int *files = xalloc((size_t)(nrecs + 1) * sizeof *files);
	int nnames = 0, nadded = 0, norig = (int)m->graph->n_output;
	for (int i = 0; i < nrecs; i++) {
		const char *t = recs[i].tensor;
		int j = 0;
		while (j < nnames && strcmp(names[j], t))
			j++;
		if (j < nnames || !model_producer(m, t))
			continue;
		int out = model_output_index(m, t);
		names[nnames] = t;
		files[nnames++] = out >= 0 ? out : norig + nadded;
		if (out < 0)
			added[nadded++] = t;
	}
	model_add_outputs(m, added, nadded);
	const char *copy = xsprintf("%s/model_all_outputs.onnx", dir);
	model_write(m, copy);
	link_external_data(m, c->o->model, dir);
	run_ort(c, copy, xsprintf("%s/ort", dir), xsprintf(" for %d intermediate tensors", nadded));
	VTol vt = { c->o->tol, c->o->steps, m };
	return report_divergence(m, recs, nrecs, xsprintf("%s/ort", dir), names, files, nnames, &vt, fused);
}

int verify_main(int argc, char **argv)
{
	Opts o;
	parse_args(argc, argv, &o);
	Ctx c = { .o = &o };
	c.self = self_exe();

	const char *ort_dir = find_ort(c.self);
	c.node = getenv("ONNX2C_NODE");
	if (!c.node || !*c.node)
		c.node = find_on_path("node");
	if (!c.node)
		vdie("node (Node.js) is not on PATH: ONNX Runtime runs under it (or set ONNX2C_NODE)");
	c.ort_js = xsprintf("%s/ort_run.js", ort_dir);
	if (!is_dir(xsprintf("%s/node_modules/onnxruntime-node", ort_dir)))
		vdie("onnxruntime-node is not installed in %s/node_modules (run scripts/setup.sh, or "
		     "`npm install onnxruntime-node` there)", ort_dir);

	c.work = make_work(o.keep);
	Onnx__ModelProto *m = model_read(o.model);

	if (o.random) {
		c.in_dir = xsprintf("%s/input", c.work);
		make_dir(c.in_dir);
		bool batched;
		make_random_inputs(m, c.in_dir, o.batch, o.seed, o.dims, o.ndims, &batched);
		if (o.batch_given && o.batch > 1 && !batched)
			vdie("--batch %d: the model has no symbolic batch dimension (its inputs have fixed sizes)", o.batch);
	} else {
		c.in_dir = o.input;
		if (!is_file(xsprintf("%s/input_0.pb", c.in_dir)) &&
		    is_file(xsprintf("%s/test_data_set_0/input_0.pb", c.in_dir)))
			c.in_dir = xsprintf("%s/test_data_set_0", c.in_dir);
		if (!is_dir(c.in_dir))
			vdie("--input %s is not a directory", o.input);
	}
	c.cc = find_cc(o.cc, o.cflags, c.work);

	const char *ort_out = xsprintf("%s/ort", c.work);
	run_ort(&c, o.model, ort_out, "");
	if (!build_model(&c, c.work, NULL, NULL, NULL) || !run_model(&c, c.work, xsprintf("%s/out", c.work)))
		return VERIFY_FAIL;

	printf("%s vs ONNX Runtime:\n", o.model);
	VTol vt = { o.tol, o.steps, m };
	if (compare_outputs(ort_out, xsprintf("%s/out", c.work), (int)m->graph->n_output, &vt)) {
		printf("PASS: every output within rel %g (or %g quantization step%s where quantized)\n", o.tol, o.steps,
		       o.steps == 1 ? "" : "s");
		return VERIFY_PASS;
	}
	printf("FAIL: outputs differ past rel %g\n", o.tol);
	if (!find_divergence(&c, m, false))
		find_divergence(&c, m, true);
	if (!o.keep)
		printf("(rerun with --keep DIR to keep the generated code, inputs and dumps)\n");
	return VERIFY_FAIL;
}

void debug_corrupt_weight(Graph *g, const char *name)
{
	Tensor *t = graph_find(g, name);
	if (!t || !tensor_is_const(t) || t->dtype != DT_FLOAT)
		fatal("--debug-corrupt-weight: '%s' is not a float constant of the model", name);
	((float *)t->data)[0] += 1.0f;
}
