/*
 * A stand-in for onnx2c's generated code, for testing templates/runner.c
 * without the compiler: the I/O table and entry points emit.c writes before
 * pasting the runner, for tiny models whose answers are easy to check.
 * Build with -DFAKE_MODEL=1, 2 or 3 and -I templates:
 *   1 "multi": x[N,3,4], z[N,4], w[2] -> y = 2x [N,3,4], u = z + w0 [N,4], v = 3w [2];
 *              returns status 5 when w1 == -999 (to test a failing run)
 *   2 "relu":  x[N,4,5] -> y = relu(x), matches ONNX's test_relu data at N = 3
 *   3 "const": no inputs -> c = [[1,2],[3,4]], s = 42 (rank 0)
 * Every run fills the whole workspace, so a runner that allocates too little
 * is caught by AddressSanitizer.
 */
#include "common.c"

typedef struct { const char *name; int rank; int64_t dims[8]; int batched; int64_t sample_numel; } o2c_io;

#if FAKE_MODEL == 1
#define O2C_NIN 3
#define O2C_NOUT 3
static const o2c_io o2c_inputs[O2C_NIN] = {
	{ "x", 3, { 1, 3, 4 }, 1, 12 },
	{ "z", 2, { 1, 4 }, 1, 4 },
	{ "w", 1, { 2 }, 0, 2 },
};
static const o2c_io o2c_outputs[O2C_NOUT] = {
	{ "y", 3, { 1, 3, 4 }, 1, 12 },
	{ "u", 2, { 1, 4 }, 1, 4 },
	{ "v", 1, { 2 }, 0, 2 },
};
static size_t o2c_workspace_size(int batch) { return (size_t)batch * 16 * sizeof(float) + 7; }
static int o2c_run(void *workspace, int batch, const float *const *inputs, float *const *outputs)
{
	const float *x = inputs[0], *z = inputs[1], *w = inputs[2];
	int i;
	memset(workspace, 0x55, o2c_workspace_size(batch));
	if (w[1] == -999.0f)
		return 5;
	for (i = 0; i < batch * 12; i++)
		outputs[0][i] = 2 * x[i];
	for (i = 0; i < batch * 4; i++)
		outputs[1][i] = z[i] + w[0];
	for (i = 0; i < 2; i++)
		outputs[2][i] = 3 * w[i];
	return 0;
}

#elif FAKE_MODEL == 2
#define O2C_NIN 1
#define O2C_NOUT 1
static const o2c_io o2c_inputs[O2C_NIN] = { { "x", 3, { 1, 4, 5 }, 1, 20 } };
static const o2c_io o2c_outputs[O2C_NOUT] = { { "y", 3, { 1, 4, 5 }, 1, 20 } };
static size_t o2c_workspace_size(int batch) { return (size_t)batch * 3; }
static int o2c_run(void *workspace, int batch, const float *const *inputs, float *const *outputs)
{
	int i;
	memset(workspace, 0, o2c_workspace_size(batch));
	for (i = 0; i < batch * 20; i++)
		outputs[0][i] = inputs[0][i] > 0 ? inputs[0][i] : 0;
	return 0;
}

#elif FAKE_MODEL == 3
#define O2C_NIN 0
#define O2C_NOUT 2
static const o2c_io o2c_inputs[1] = { { "", 0, { 0 }, 0, 0 } }; /* emit.c's dummy entry */
static const o2c_io o2c_outputs[O2C_NOUT] = {
	{ "c", 2, { 2, 2 }, 0, 4 },
	{ "s", 0, { 0 }, 0, 1 },
};
static size_t o2c_workspace_size(int batch) { return (size_t)batch * 0; }
static int o2c_run(void *workspace, int batch, const float *const *inputs, float *const *outputs)
{
	int i;
	(void)workspace, (void)batch, (void)inputs;
	for (i = 0; i < 4; i++)
		outputs[0][i] = (float)(i + 1);
	outputs[1][0] = 42;
	return 0;
}
#else
#error "define FAKE_MODEL as 1, 2 or 3"
#endif

#include "runner.c"
