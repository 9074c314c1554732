/*
 * fuzz_export.c - libFuzzer harness for the runtime's ONNX rewriter
 * (runtime/export_onnx.c, rt_export_onnx): its protobuf wire-format reader
 * walks the model, and its writer replaces the head's initializers, an
 * unfrozen block's initializers and the class dimension of the outputs.
 *
 * Input: the .onnx bytes.  The head is weight "fc.weight" [K=3, F=4] (layout
 * KF), bias "fc.bias", class output "logits"; the block has one parameter
 * "blk.w" of 8 floats.  Seeds: tests/fuzz/export/ (tests/fuzz/make_seeds.py,
 * models with those initializers, and without them).
 */
#define _XOPEN_SOURCE 700
#include "onnx2c_rt.h"
#include "scratch.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	scratch_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const float w[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, b[3] = { 1, 2, 3 };
	static const float params[16] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const RtParam bp[1] = { { "blk.w", 0, 8 } };
	RtBlock blk = { .cut = "cut", .nparams = 16, .init = params, .params = bp, .ntensors = 1 };
	const char *model = scratch_write("in.onnx", data, size);
	const char *out = scratch_path("out.onnx");
	const char *desc = "weight=fc.weight\nbias=fc.bias\nlayout=KF\nclass_value=logits\n";
	/* head only, then with the block */
	rt_export_onnx(model, out, desc, w, b, 3, 4, NULL, NULL);
	rt_export_onnx(model, out, desc, w, b, 3, 4, &blk, params);
	return 0;
}
