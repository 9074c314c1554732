/*
 * fuzz_image.c - libFuzzer harness for the runtime's image loading
 * (runtime/data.c, rt_dataset_load on an ImageFolder sample: stb_image decodes
 * PNG, JPEG or BMP, then the resize, crop, flip and normalisation).
 *
 * Input: one flags byte, then the image file.  Flags: bit 0 RGB (else grey),
 * bit 1 resize the shorter side to 8 first, bits 2-3 the crop (1, 3, 4, 7
 * pixels square), bit 4 random crop and flip.  Seeds: tests/fuzz/image/
 * (tests/fuzz/make_seeds.py).
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
	static const int crops[4] = { 1, 3, 4, 7 };
	if (size < 1)
		return 0;
	unsigned flags = data[0];
	char *path = (char *)scratch_write("sample.png", data + 1, size - 1);
	char *paths[1] = { path };
	int labels[1] = { 0 };
	RtDataset d = { .n = 1, .nclasses = 1, .paths = paths, .labels = labels };
	int crop = crops[(flags >> 2) & 3];
	RtTransform t = { .channels = flags & 1 ? 3 : 1, .resize = flags & 2 ? 8 : 0, .crop_h = crop, .crop_w = crop,
	                  .mean = { 0.485f, 0.456f, 0.406f }, .std = { 0.229f, 0.224f, 0.225f },
	                  .random_crop = (flags >> 4) & 1, .random_flip = (flags >> 4) & 1 };
	RtRng rng;
	rt_rng_seed(&rng, 7);
	float out[3 * 7 * 7];
	int label;
	rt_dataset_load(&d, 0, &t, &rng, out, &label);
	return 0;
}
