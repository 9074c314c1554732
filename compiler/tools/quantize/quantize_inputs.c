/*
 * quantize_inputs.c - the calibration inputs of `onnx2c quantize --calibrate
 * DIR`: every *.pb in DIR (an ONNX TensorProto of the model's input, as test
 * data holds them), or, when DIR has no .pb, every file in it as an image
 * (PNG, JPEG, BMP... through stb_image) given the classify example's ImageNet
 * preprocessing (examples/classify/imagenet_preprocess.h, the same code).
 * Every file is checked against the model's input before anything runs: a
 * bad one is named, with what was expected.
 */
#define _DEFAULT_SOURCE /* DT_REG */
#include "quantize.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef ONNX2C_HAVE_STB
#include <stb_image.h>

#include "../../../examples/classify/imagenet_preprocess.h"
#endif

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

/* The model input's dims; -1 where symbolic. */
static int input_dims(const Onnx__ValueInfoProto *in, int64_t *dims)
{
	const Onnx__TypeProto *ty = in->type;
	if (!ty || ty->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !ty->tensor_type)
		vdie("the model's input '%s' is not a tensor", in->name);
	const Onnx__TypeProto__Tensor *tt = ty->tensor_type;
	if (tt->elem_type != DT_FLOAT)
		vdie("the model's input '%s' is %s: calibration needs a float input", in->name,
		     dtype_name((DType)tt->elem_type));
	if (!tt->shape || tt->shape->n_dim > MAX_RANK)
		vdie("the model's input '%s' has no shape (or a rank above %d)", in->name, MAX_RANK);
	for (size_t d = 0; d < tt->shape->n_dim; d++) {
		const Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[d];
		dims[d] = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dm->dim_value > 0
		          ? dm->dim_value : -1;
	}
	return (int)tt->shape->n_dim;
}

static const char *dims_str(const int64_t *dims, int rank)
{
	char *s = xstrdup("[");
	for (int d = 0; d < rank; d++)
		s = dims[d] < 0 ? xsprintf("%s%s?", s, d ? "," : "") : xsprintf("%s%s%lld", s, d ? "," : "", (long long)dims[d]);
	return xsprintf("%s]", s);
}

static void read_pb(const char *path, const int64_t *want, int rank, const char *in_name, VTensor *t)
{
	const char *err = vt_read(path, t);
	if (err)
		vdie("calibration input %s", err);
	bool ok = t->rank == rank;
	for (int d = 0; ok && d < rank; d++)
		ok = want[d] < 0 ? t->dims[d] > 0 : t->dims[d] == want[d];
	if (!ok)
		vdie("calibration input %s has shape %s; the model's input '%s' is %s", path, dims_str(t->dims, t->rank),
		     in_name, dims_str(want, rank));
}

static void read_image(const char *path, const int64_t *want, int rank, const char *in_name, VTensor *t)
{
	if (rank != 4 || want[1] != 3 || want[2] < 1 || want[2] != want[3] || (want[0] != -1 && want[0] != 1))
		vdie("%s: images need a model input of shape [N,3,S,S] (NCHW RGB, square); '%s' is %s "
		     "(give .pb tensors instead)", path, in_name, dims_str(want, rank));
#ifdef ONNX2C_HAVE_STB
	FILE *f = fopen(path, "rb");
	if (!f)
		vdie("cannot open calibration image %s: %s", path, strerror(errno));
	int w, h, comp;
	unsigned char *rgb = stbi_load_from_file(f, &w, &h, &comp, 3);
	fclose(f);
	if (!rgb)
		vdie("calibration input %s is not an image stb_image can decode (%s), nor a .pb tensor", path,
		     stbi_failure_reason());
	int side = (int)want[2];
	*t = (VTensor){ .name = in_name, .rank = 4, .dims = { 1, 3, side, side }, .numel = 3LL * side * side };
	t->data = malloc((size_t)t->numel * sizeof(float));
	if (!t->data)
		vdie("out of memory for %s", path);
	imagenet_preprocess(rgb, w, h, side, t->data);
	stbi_image_free(rgb);
#else
	(void)t;
	vdie("%s: this onnx2c was built without stb_image (Debian: libstb-dev), so it reads .pb tensors only", path);
#endif
}

void qinputs_read(const char *dir, const Onnx__ValueInfoProto *in, QInputs *out)
{
	DIR *d = opendir(dir);
	if (!d)
		vdie("cannot read the calibration folder %s: %s", dir, strerror(errno));
	const char **files = NULL;
	int n = 0, cap = 0, npb = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		const char *p = xsprintf("%s/%s", dir, e->d_name);
		if (!is_file(p))
			continue;
		if (n == cap) {
			files = xrealloc_arr(files, (size_t)cap, cap ? (size_t)cap * 2 : 256, sizeof *files);
			cap = cap ? cap * 2 : 256;
		}
		files[n++] = p;
		npb += ends_with(p, ".pb");
	}
	closedir(d);
	if (n == 0)
		vdie("the calibration folder %s is empty (it needs .pb tensors or images)", dir);
	qsort(files, (size_t)n, sizeof *files, by_name);
	*out = (QInputs){ .file = xalloc((size_t)n * sizeof *out->file), .images = npb == 0, .in_name = in->name };
	out->rank = input_dims(in, out->want);
	for (int i = 0; i < n; i++) {
		if (npb && !ends_with(files[i], ".pb"))
			continue; /* a folder of tensors may hold other files (a README, labels) */
		out->file[out->n++] = files[i];
	}
	/* every file checked now, not after a long run over the ones before it */
	for (int i = 0; i < out->n; i++) {
		VTensor t;
		qinputs_load(out, i, &t);
		vt_free(&t);
	}
	vnote("%d calibration input%s from %s (%s)", out->n, out->n == 1 ? "" : "s", dir, npb ? "tensors" : "images");
}

void qinputs_load(const QInputs *q, int i, VTensor *t)
{
	if (q->images)
		read_image(q->file[i], q->want, q->rank, q->in_name, t);
	else
		read_pb(q->file[i], q->want, q->rank, q->in_name, t);
}
