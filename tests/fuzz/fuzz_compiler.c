/*
 * fuzz_compiler.c - libFuzzer harness for the whole compiler, bytes to C:
 * load (protobuf-c, initializers, function inlining), batch detection,
 * topological sort, op checks, shape inference and folding, the optimisation
 * passes, the training cuts, the memory plan, the emitter, --report and --dot.
 *
 * Input: one flags byte, then the .onnx bytes.  The flags pick what the
 * command line would: bit 0 -O0, bit 1 --main, bit 2 --train-head (bit 3
 * --train-main, bits 4-5 --head-classes 0/2/3/10, bit 7 --unfreeze 1), bit 6
 * --report and --dot.  The seeds in tests/fuzz/compiler/ are small models with
 * a flags byte in front (tests/fuzz/make_seeds.py).
 *
 * Fatal errors come back here through g_fatal_hook (longjmp) instead of
 * exiting; an internal compiler error (ASSERT) aborts, so libFuzzer reports
 * it as the bug it is.  After every input the arena is released to the mark
 * taken before it, which also frees the protobuf message and the emitter's
 * buffers a fatal error left behind, so LeakSanitizer sees no leak.
 */
#define _XOPEN_SOURCE 700
#include "ir.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jmp_buf on_fatal;
static void fatal_hook(int code)
{
	longjmp(on_fatal, code);
}

static char dir[64];           /* scratch folder for the emitted files */
static char c_path[96], h_path[96], dot_path[96];
static FILE *devnull;

static void remove_scratch(void)
{
	unlink(c_path);
	unlink(h_path);
	unlink(dot_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	/* tmpfs when there is one: every input writes the .c and .h */
	strcpy(dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/o2c_fuzz_XXXXXX" : "/tmp/o2c_fuzz_XXXXXX");
	if (!mkdtemp(dir)) {
		perror("fuzz_compiler: mkdtemp");
		exit(1);
	}
	snprintf(c_path, sizeof c_path, "%s/m.c", dir);
	snprintf(h_path, sizeof h_path, "%s/m.h", dir);
	snprintf(dot_path, sizeof dot_path, "%s/m.dot", dir);
	atexit(remove_scratch);
	devnull = fopen("/dev/null", "w");
	g_fatal_hook = fatal_hook;
	/* small limits: a few mutated bytes can declare gigabytes, and the point is the
	 * parsers and passes, not the allocator (--max-weights etc. are tested in tests/cli) */
	g_limits = (Limits){ .weights = 64 << 20, .arena = 256 << 20, .source = 256 << 20 };
	return 0;
}

/* main.c's optimisation pipeline, in its order */
static void (*const passes[])(Graph *) = {
	opt_dce, opt_fold_pad, opt_fold_bn, opt_fold_scale, opt_matmul_bias, opt_pool_conv,
	opt_fuse_residual, opt_fuse_act, opt_concat_inplace,
};

static void compile(const uint8_t *model, size_t len, unsigned flags)
{
	static const int64_t classes[4] = { 0, 2, 3, 10 };
	bool train = flags & 4, with_main = (flags & 2) && !(train && (flags & 8));
	/* the path only names the model in messages and anchors external data:
	 * nothing exists there, so external data is refused without reading files */
	Graph *g = onnx_load_buffer("/nonexistent/fuzz/model.onnx", model, len);
	resolve_dims(g);
	topo_sort(g);
	check_ops(g);
	int nodes_in = g->nnodes;
	infer_shapes(g);
	if (train)
		train_head_cut(g, classes[(flags >> 4) & 3], (flags & 8) && !with_main);
	if (train && (flags & 128))
		train_block_cut(g, 1, NULL);
	if (!(flags & 1))
		for (size_t p = 0; p < sizeof passes / sizeof passes[0]; p++)
			passes[p](g);
	plan_memory(g);
	emit_c(g, c_path, h_path, "fz", with_main, "onnx2c fuzz");
	if (flags & 64) {
		report(g, nodes_in, devnull);
		write_dot(g, dot_path);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	ArenaMark mark = arena_mark();
	g_errors = 0;
	int code = setjmp(on_fatal);
	if (code == 0)
		compile(data + 1, size - 1, data[0]);
	else if (code == EXIT_INTERNAL)
		abort(); /* a compiler bug: the message is above */
	arena_release(mark);
	return 0;
}
