/*
 * classify.c - classify image files with an ImageNet-style CNN compiled by
 * onnx2c (examples/classify/CMakeLists.txt builds it through
 * onnx2c_add_model with NAME net, so the model is reached through net.h).
 *
 *   classify [--labels FILE] [--top K] [--dump-input DIR] [--weights FILE] IMAGE...
 *
 * Per image: decode (stb_image: PNG, JPEG, BMP, ...), resize so the shorter
 * side is 256/224 of the model's input side (bilinear), centre-crop to the
 * input side, scale to [0,1] and normalise with the ImageNet mean and std,
 * lay out as NCHW, run, softmax, print the top K (default 5) with names.
 *
 * It is an example of the generated API, not an image library: the resize
 * does not antialias (torchvision's PIL path does), so on large downscales
 * its inputs differ slightly from torchvision's.  --dump-input writes the
 * exact tensor each image became, as ONNX test data, so any reference
 * (ONNX Runtime, onnx2c verify) can be run on the same numbers.  A model
 * compiled with --weights reads its weights file first (--weights FILE, by
 * default the one given to onnx2c): a fine-tuned model's new file (the
 * trainer's --deploy-weights) is used without rebuilding this program.
 */
#define _POSIX_C_SOURCE 200809L /* strdup, mkdir */

#include "net.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb_image.h>

#include "imagenet_preprocess.h" /* imagenet_preprocess(): shared with onnx2c quantize */

#if NET_NUM_INPUTS != 1 || NET_NUM_OUTPUTS != 1
#error "classify needs a model with one input (an image) and one output (class scores)"
#endif
#define CLASSES NET_OUTPUT0_SAMPLE_SIZE

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void die(const char *fmt, ...);

/* An application may exit on bad input; the generated model never does. */
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "classify: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* ---- labels: one class name per line, exactly CLASSES lines ---- */

static char **read_labels(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open labels file '%s': %s", path, strerror(errno));
	char **names = calloc(CLASSES, sizeof *names);
	char line[1024];
	long n = 0;
	while (names && fgets(line, sizeof line, f)) {
		size_t len = strcspn(line, "\r\n");
		line[len] = 0;
		if (n < CLASSES && !(names[n] = strdup(line)))
			break;
		n++;
	}
	fclose(f);
	if (!names)
		die("out of memory reading '%s'", path);
	if (n != CLASSES)
		die("labels file '%s' has %ld names, the model has %d classes", path, n, (int)CLASSES);
	return names;
}

/* ---- --dump-input: a float TensorProto (dims=1, data_type=2, raw_data=9) ---- */

static void put_varint(FILE *f, uint64_t v)
{
	do {
		fputc((int)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)), f);
		v >>= 7;
	} while (v);
}

static void dump_input(const char *dir, int k, const float *x, int side)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%d", dir, k);
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		die("cannot create '%s': %s", dir, strerror(errno));
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		die("cannot create '%s': %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/%d/input_0.pb", dir, k);
	FILE *f = fopen(path, "wb");
	if (!f)
		die("cannot write '%s': %s", path, strerror(errno));
	const uint64_t dims[4] = { 1, 3, (uint64_t)side, (uint64_t)side };
	for (int i = 0; i < 4; i++) {
		fputc(1 << 3 | 0, f);
		put_varint(f, dims[i]);
	}
	fputc(2 << 3 | 0, f);
	put_varint(f, 1); /* FLOAT */
	size_t n = (size_t)3 * side * side;
	fputc(9 << 3 | 2, f);
	put_varint(f, n * 4);
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &x[i], 4);
		unsigned char b[4] = { (unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
		                       (unsigned char)(u >> 24) };
		fwrite(b, 1, 4, f);
	}
	if (fclose(f) != 0)
		die("cannot write '%s': %s", path, strerror(errno));
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr, "usage: classify [--labels FILE] [--top K] [--dump-input DIR] [--weights FILE] IMAGE...\n"
	                "  --labels FILE     class names, one a line (%d lines); default 'class N'\n"
	                "  --top K           how many classes to print (default 5)\n"
	                "  --dump-input DIR  write each preprocessed tensor to DIR/<i>/input_0.pb\n"
	                "  --weights FILE    a model compiled with onnx2c --weights: its weights file\n",
	        (int)CLASSES);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *labels_path = NULL, *dump = NULL, *weights = NULL;
	int top = 5, first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		const char *a = argv[first], *next = first + 1 < argc ? argv[first + 1] : NULL;
		if (!strcmp(a, "--labels") && next)
			labels_path = argv[++first];
		else if (!strcmp(a, "--top") && next)
			top = atoi(argv[++first]);
		else if (!strcmp(a, "--dump-input") && next)
			dump = argv[++first];
		else if (!strcmp(a, "--weights") && next)
			weights = argv[++first];
		else
			usage();
	}
	if (first == argc || top < 1)
		usage();
	if (top > CLASSES)
		top = CLASSES;

	/* The model's input is [1, 3, side, side]: the side follows from its size. */
	int side = (int)lround(sqrt(NET_INPUT0_SAMPLE_SIZE / 3.0));
	if ((long long)3 * side * side != NET_INPUT0_SAMPLE_SIZE) {
		fprintf(stderr, "classify: the model's input (%lld floats) is not a square 3-channel image\n",
		        (long long)NET_INPUT0_SAMPLE_SIZE);
		return 1;
	}
	char **labels = labels_path ? read_labels(labels_path) : NULL;
#ifdef NET_EXTERNAL_WEIGHTS
	/* the weights are bound once, before any run */
	int wst = net_load_weights_file(weights ? weights : NET_WEIGHTS_FILE);
	if (wst != 0)
		die("cannot load the weights '%s': %s", weights ? weights : NET_WEIGHTS_FILE, net_status_str(wst));
#else
	if (weights)
		die("--weights: this model was compiled with its weights inside (onnx2c without --weights)");
#endif

	/* One sample at a time; the caller owns the workspace and reuses it. */
	void *ws = malloc(net_workspace_size(1));
	float *x = malloc(sizeof(float) * NET_INPUT0_SAMPLE_SIZE);
	float *y = malloc(sizeof(float) * CLASSES);
	int *order = malloc(sizeof(int) * (size_t)top);
	if (!ws || !x || !y || !order)
		die("out of memory");

	for (int k = first; k < argc; k++) {
		const char *path = argv[k];
		FILE *f = fopen(path, "rb");
		if (!f)
			die("cannot open '%s': %s", path, strerror(errno));
		int w, h, comp;
		unsigned char *rgb = stbi_load_from_file(f, &w, &h, &comp, 3);
		fclose(f);
		if (!rgb)
			die("'%s' is not an image stb_image can decode (%s)", path, stbi_failure_reason());
		imagenet_preprocess(rgb, w, h, side, x);
		stbi_image_free(rgb);
		if (dump)
			dump_input(dump, k - first, x, side);

		int status = net_run(ws, 1, x, y);
		if (status != 0) {
			fprintf(stderr, "classify: the model failed on '%s' (status %d)\n", path, status);
			return 1;
		}

		/* softmax in double, max-subtracted so large logits cannot overflow */
		double m = y[0], sum = 0;
		for (int i = 1; i < CLASSES; i++)
			m = y[i] > m ? y[i] : m;
		for (int i = 0; i < CLASSES; i++)
			sum += exp((double)y[i] - m);
		/* top K by insertion: K is small, the lowest index wins a tie */
		int n = 0;
		for (int i = 0; i < CLASSES; i++) {
			int j = n < top ? n++ : top;
			if (j == top && y[i] <= y[order[top - 1]])
				continue;
			if (j == top)
				j = top - 1;
			while (j > 0 && y[i] > y[order[j - 1]]) {
				order[j] = order[j - 1];
				j--;
			}
			order[j] = i;
		}
		printf("%s:\n", path);
		for (int r = 0; r < n; r++) {
			int c = order[r];
			double p = exp((double)y[c] - m) / sum;
			if (labels)
				printf("  %8.6f  %s (%d)\n", p, labels[c], c);
			else
				printf("  %8.6f  class %d\n", p, c);
		}
	}
	free(ws);
	free(x);
	free(y);
	free(order);
	return 0;
}
