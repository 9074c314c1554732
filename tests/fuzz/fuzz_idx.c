/*
 * fuzz_idx.c - libFuzzer harness for the runtime's IDX reader (runtime/data.c,
 * rt_idx_open: plain or gzip through zlib), then the class filter and one
 * sample through the transform, as the trainer uses them.
 *
 * Input: the images file and the labels file separated by the 4 bytes
 * "\xffSEP"; without a separator both files get the whole input.  Seeds:
 * tests/fuzz/idx/ (tests/fuzz/make_seeds.py).
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
	static const uint8_t sep[4] = { 0xff, 'S', 'E', 'P' };
	size_t cut = size;
	for (size_t i = 0; i + 4 <= size; i++)
		if (!memcmp(data + i, sep, 4)) {
			cut = i;
			break;
		}
	const char *images = scratch_write("images.idx", data, cut);
	const char *labels = cut < size ? scratch_write("labels.idx", data + cut + 4, size - cut - 4)
	                                : scratch_write("labels.idx", data, size);
	RtDataset d;
	if (rt_idx_open(&d, images, labels, 0))
		return 0;
	/* the trainer's next steps: an optional class range, then samples */
	if (d.nclasses > 1 && rt_dataset_filter(&d, 1, d.nclasses - 1)) {
		rt_dataset_free(&d);
		return 0;
	}
	RtTransform t = { .channels = 1, .crop_h = d.rows < 4 ? d.rows : 4, .crop_w = d.cols < 4 ? d.cols : 4,
	                  .mean = { 0.5f }, .std = { 0.25f } };
	float out[16];
	int label;
	rt_dataset_load(&d, 0, &t, NULL, out, &label);
	rt_dataset_load(&d, d.n - 1, &t, NULL, out, &label);
	rt_dataset_free(&d);
	return 0;
}
