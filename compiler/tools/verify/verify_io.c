/*
 * verify_io.c - the files `onnx2c verify` reads and writes: TensorProto
 * inputs and outputs, seeded random inputs, the copy of the model that makes
 * ONNX Runtime return every intermediate tensor, and the binary dump the C
 * model's debug build writes.
 *
 * Unlike the loader (onnx_tensor.c), nothing here becomes part of the IR, and
 * a bad file is the user's setup problem or a failed comparison, never a
 * compiler error, so these functions report instead of calling fatal().
 */
#define _XOPEN_SOURCE 700
#include "verify.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Whole file into malloc'ed memory; NULL (errno set) on failure. */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			unsigned char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	*len = n;
	return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		vdie("cannot write %s: %s", path, strerror(errno));
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
		vdie("error writing %s", path);
}

/* ---- TensorProto ---- */

const char *vt_read(const char *path, VTensor *t)
{
	memset(t, 0, sizeof *t);
	size_t len;
	unsigned char *buf = slurp(path, &len);
	if (!buf)
		return xsprintf("cannot read %s: %s", path, strerror(errno));
	Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
	free(buf);
	if (!tp)
		return xsprintf("%s is not a TensorProto", path);
	const char *err = NULL;
	t->name = xstrdup(tp->name ? tp->name : "");
	if (tp->n_dims > MAX_RANK) {
		err = xsprintf("%s: rank %zu is more than %d", path, tp->n_dims, MAX_RANK);
		goto out;
	}
	t->rank = (int)tp->n_dims;
	t->numel = 1;
	for (int i = 0; i < t->rank; i++) {
		t->dims[i] = tp->dims[i];
		if (tp->dims[i] < 0 || (tp->dims[i] && t->numel > INT64_MAX / 8 / tp->dims[i])) {
			err = xsprintf("%s: bad dims", path);
			goto out;
		}
		t->numel *= tp->dims[i];
	}
	int32_t dt = tp->has_data_type ? tp->data_type : 0;
	size_t n = (size_t)t->numel;
	if (dt == DT_UINT8 || dt == DT_INT8) { /* a quantized tensor: its integer values, as the C model holds them */
		t->data = malloc(n ? n * sizeof(float) : 1);
		if (!t->data)
			err = xsprintf("%s: out of memory", path);
		else if (tp->has_raw_data && tp->raw_data.len == n)
			for (size_t i = 0; i < n; i++)
				t->data[i] = dt == DT_UINT8 ? (float)tp->raw_data.data[i] : (float)(int8_t)tp->raw_data.data[i];
		else if (!tp->has_raw_data && tp->n_int32_data == n)
			for (size_t i = 0; i < n; i++)
				t->data[i] = (float)tp->int32_data[i];
		else
			err = xsprintf("%s: the data does not match dims (%zu values expected)", path, n);
		goto out;
	}
	if (dt != DT_FLOAT && dt != DT_DOUBLE) {
		err = xsprintf("%s: tensor '%s' is %s, not float (onnx2c computes in float32)", path, t->name,
		               dtype_name((DType)dt));
		goto out;
	}
	t->data = malloc(n ? n * sizeof(float) : 1);
	if (!t->data) {
		err = xsprintf("%s: out of memory", path);
		goto out;
	}
	size_t es = dt == DT_FLOAT ? 4 : 8;
	if (tp->has_raw_data) {
		if (tp->raw_data.len != n * es) {
			err = xsprintf("%s: raw_data has %zu bytes, dims need %zu", path, tp->raw_data.len, n * es);
			goto out;
		}
		if (dt == DT_FLOAT) {
			memcpy(t->data, tp->raw_data.data, n * 4);
		} else {
			for (size_t i = 0; i < n; i++) {
				double d;
				memcpy(&d, tp->raw_data.data + 8 * i, 8);
				t->data[i] = (float)d;
			}
		}
	} else if (dt == DT_FLOAT && tp->n_float_data == n) {
		memcpy(t->data, tp->float_data, n * 4);
	} else if (dt == DT_DOUBLE && tp->n_double_data == n) {
		for (size_t i = 0; i < n; i++)
			t->data[i] = (float)tp->double_data[i];
	} else {
		err = xsprintf("%s: the data does not match dims (%zu values expected)", path, n);
	}
out:
	onnx__tensor_proto__free_unpacked(tp, NULL);
	if (err)
		vt_free(t);
	return err;
}

void vt_write(const char *path, const VTensor *t)
{
	Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
	int64_t dims[MAX_RANK];
	memcpy(dims, t->dims, sizeof dims);
	tp.n_dims = (size_t)t->rank;
	tp.dims = dims;
	tp.has_data_type = 1;
	tp.data_type = DT_FLOAT;
	tp.name = (char *)t->name;
	tp.has_raw_data = 1;
	tp.raw_data.len = (size_t)t->numel * sizeof(float);
	tp.raw_data.data = (uint8_t *)t->data;
	size_t len = onnx__tensor_proto__get_packed_size(&tp);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		vdie("out of memory writing %s", path);
	onnx__tensor_proto__pack(&tp, buf);
	spit(path, buf, len);
	free(buf);
}

void vt_free(VTensor *t)
{
	free(t->data);
	t->data = NULL;
}

/* ---- the model ---- */

Onnx__ModelProto *model_read(const char *path)
{
	size_t len;
	unsigned char *buf = slurp(path, &len);
	if (!buf)
		vdie("cannot read %s: %s", path, strerror(errno));
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	if (!m || !m->graph)
		vdie("%s is not an ONNX model", path);
	return m; /* lives until exit, like the rest of the compiler's memory */
}

void model_write(const Onnx__ModelProto *m, const char *path)
{
	size_t len = onnx__model_proto__get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		vdie("out of memory writing %s", path);
	onnx__model_proto__pack(m, buf);
	spit(path, buf, len);
	free(buf);
}

static const Onnx__TensorProto *find_initializer(const Onnx__ModelProto *m, const char *name)
{
	const Onnx__GraphProto *g = m->graph;
	for (size_t i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
			return g->initializer[i];
	return NULL;
}

bool model_is_initializer(const Onnx__ModelProto *m, const char *name)
{
	return find_initializer(m, name) != NULL;
}

/* splitmix64: tiny, seedable, and the same stream on every platform, so a
 * seed reproduces the same inputs anywhere. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Standard normal by Box-Muller; u1 is in (0,1] so the log is finite. */
static float rng_normal(uint64_t *s)
{
	double u1 = (double)((rng_next(s) >> 11) + 1) / 9007199254740992.0;
	double u2 = (double)(rng_next(s) >> 11) / 9007199254740992.0;
	return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void make_random_inputs(const Onnx__ModelProto *m, const char *dir, int batch, uint64_t seed,
                        const VDim *dims, int ndims, bool *batched)
{
	const Onnx__GraphProto *g = m->graph;
	uint64_t state = seed;
	int k = 0;
	*batched = false;
	for (size_t i = 0; i < g->n_input; i++) {
		const Onnx__ValueInfoProto *vi = g->input[i];
		const char *name = vi->name ? vi->name : "";
		if (model_is_initializer(m, name))
			continue;
		const Onnx__TypeProto *ty = vi->type;
		if (!ty || ty->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !ty->tensor_type)
			vdie("graph input '%s' is not a tensor", name);
		const Onnx__TypeProto__Tensor *tt = ty->tensor_type;
		if (tt->elem_type != DT_FLOAT)
			vdie("graph input '%s' is %s: --random makes float inputs only; give --input DIR", name,
			     dtype_name((DType)tt->elem_type));
		if (!tt->shape)
			vdie("graph input '%s' has no shape: give --input DIR", name);
		if (tt->shape->n_dim > MAX_RANK)
			vdie("graph input '%s' has rank %zu (at most %d)", name, tt->shape->n_dim, MAX_RANK);
		VTensor t = { .name = name, .rank = (int)tt->shape->n_dim, .numel = 1 };
		for (int d = 0; d < t.rank; d++) {
			const Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[d];
			int64_t v = -1;
			if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dm->dim_value > 0) {
				v = dm->dim_value;
			} else {
				const char *p = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
				                ? dm->dim_param : NULL;
				for (int j = 0; p && j < ndims; j++)
					if (!strcmp(dims[j].name, p))
						v = dims[j].value;
				if (v < 0 && d == 0) {
					v = batch;
					*batched = true;
				}
				if (v < 0)
					vdie("graph input '%s': dim %d ('%s') is symbolic: fix it with `-- --dim %s=V` or give --input DIR",
					     name, d, p ? p : "?", p ? p : "NAME");
			}
			t.dims[d] = v;
			t.numel = checked_mul(t.numel, v, "random input size");
		}
		t.data = malloc((size_t)t.numel * sizeof(float) + 1);
		if (!t.data)
			vdie("out of memory for input '%s'", name);
		for (int64_t j = 0; j < t.numel; j++)
			t.data[j] = rng_normal(&state);
		char *shape = xstrdup("[");
		for (int d = 0; d < t.rank; d++)
			shape = xsprintf("%s%s%lld", shape, d ? "," : "", (long long)t.dims[d]);
		vnote("random input %d '%s' %s] (seed %llu)", k, name, shape, (unsigned long long)seed);
		vt_write(xsprintf("%s/input_%d.pb", dir, k++), &t);
		vt_free(&t);
	}
}

const Onnx__NodeProto *model_producer(const Onnx__ModelProto *m, const char *tensor)
{
	const Onnx__GraphProto *g = m->graph;
	for (size_t i = 0; i < g->n_node; i++)
		for (size_t j = 0; j < g->node[i]->n_output; j++)
			if (!strcmp(g->node[i]->output[j], tensor))
				return g->node[i];
	return NULL;
}

int model_output_index(const Onnx__ModelProto *m, const char *tensor)
{
	for (size_t i = 0; i < m->graph->n_output; i++)
		if (m->graph->output[i]->name && !strcmp(m->graph->output[i]->name, tensor))
			return (int)i;
	return -1;
}

/* An initializer, or a Constant node's value. */
static const Onnx__TensorProto *model_initializer(const Onnx__ModelProto *m, const char *name)
{
	const Onnx__TensorProto *t = find_initializer(m, name);
	if (t)
		return t;
	const Onnx__NodeProto *p = model_producer(m, name); /* a Constant node's value */
	for (size_t i = 0; p && !strcmp(p->op_type, "Constant") && i < p->n_attribute; i++)
		if (!strcmp(p->attribute[i]->name, "value"))
			return p->attribute[i]->t;
	return NULL;
}

int model_elem_type(const Onnx__ModelProto *m, const char *tensor)
{
	static const char *const moves[] = { "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Identity",
		"MaxPool", "Concat", "Slice", "Split", "Pad", "Gather", "Expand", "Resize", "DepthToSpace", "SpaceToDepth" };
	for (int depth = 0; depth < 1000; depth++) {
		const Onnx__NodeProto *p = model_producer(m, tensor);
		if (!p || !p->n_input)
			return DT_FLOAT;
		/* the output zero point's position: QuantizeLinear's and the QOperator ops' */
		static const struct { const char *op; size_t zp; } quantizers[] = {
			{ "QuantizeLinear", 2 }, { "QLinearConv", 7 }, { "QLinearMatMul", 7 }, { "QLinearAdd", 7 },
			{ "QLinearMul", 7 }, { "QLinearGlobalAveragePool", 4 }, { "QLinearAveragePool", 4 },
			{ "QLinearSigmoid", 4 }, { "QLinearLeakyRelu", 4 }, { "QLinearConcat", 1 } };
		for (size_t q = 0; q < sizeof quantizers / sizeof quantizers[0]; q++)
			if (!strcmp(p->op_type, quantizers[q].op)) {
				size_t k = quantizers[q].zp;
				const Onnx__TensorProto *z = p->n_input > k && *p->input[k] ? model_initializer(m, p->input[k]) : NULL;
				return z && z->has_data_type ? z->data_type : DT_UINT8;
			}
		size_t i = 0;
		while (i < sizeof moves / sizeof moves[0] && strcmp(p->op_type, moves[i]))
			i++;
		if (i == sizeof moves / sizeof moves[0])
			return DT_FLOAT;
		tensor = p->input[0];
	}
	return DT_FLOAT;
}

double model_dq_step(const Onnx__ModelProto *m, const char *tensor)
{
	const Onnx__NodeProto *p = model_producer(m, tensor);
	if (!p || strcmp(p->op_type, "DequantizeLinear") || p->n_input < 2)
		return 0;
	const Onnx__TensorProto *s = model_initializer(m, p->input[1]);
	double step = 0;
	if (!s || !s->has_data_type || s->data_type != DT_FLOAT)
		return 0;
	if (s->has_raw_data)
		for (size_t i = 0; i + 4 <= s->raw_data.len; i += 4) {
			float v;
			memcpy(&v, s->raw_data.data + i, 4);
			step = v > step ? v : step;
		}
	else
		for (size_t i = 0; i < s->n_float_data; i++)
			step = s->float_data[i] > step ? s->float_data[i] : step;
	return step;
}

void model_add_outputs(Onnx__ModelProto *m, const char *const *names, int n)
{
	Onnx__GraphProto *g = m->graph;
	/* the unpacked array belongs to protobuf-c; the grown copy is ours
	 * (the model is never freed, so the two never meet again) */
	Onnx__ValueInfoProto **outs = xalloc((g->n_output + (size_t)n) * sizeof *outs);
	memcpy(outs, g->output, g->n_output * sizeof *outs);
	for (int i = 0; i < n; i++) {
		Onnx__TypeProto__Tensor *tt = xalloc(sizeof *tt);
		*tt = (Onnx__TypeProto__Tensor)ONNX__TYPE_PROTO__TENSOR__INIT;
		tt->has_elem_type = 1;
		tt->elem_type = model_elem_type(m, names[i]);
		Onnx__TypeProto *ty = xalloc(sizeof *ty);
		*ty = (Onnx__TypeProto)ONNX__TYPE_PROTO__INIT;
		ty->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
		ty->tensor_type = tt;
		Onnx__ValueInfoProto *vi = xalloc(sizeof *vi);
		*vi = (Onnx__ValueInfoProto)ONNX__VALUE_INFO_PROTO__INIT;
		vi->name = (char *)names[i];
		vi->type = ty;
		outs[g->n_output + (size_t)i] = vi;
	}
	g->output = outs;
	g->n_output += (size_t)n;
}

/* ---- the C model's dump ---- */

/* Compiled with the debug build of the model (-DONNX2C_DUMP).  One record per
 * call, in call order, in the host's byte order (the same machine reads it):
 *   u32 len, tensor name, u32 len, node name, i32 sample, i64 numel, float[numel]
 * It may exit on an I/O error: this is a debugging harness, not the model. */
const char dump_c_source[] =
"/* dump.c - written by `onnx2c verify` for the -DONNX2C_DUMP build of a model:\n"
" * appends every tensor a kernel wrote to the file $ONNX2C_DUMP_FILE. */\n"
"#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
"void onnx2c_dump(const char *tensor, const char *node, int sample, const float *data, long long numel);\n\n"
"static FILE *dump_f;\n\n"
"static void dump_put(const void *p, size_t n)\n{\n"
"\tif (fwrite(p, 1, n, dump_f) != n) {\n\t\tperror(\"onnx2c_dump\");\n\t\texit(3);\n\t}\n}\n\n"
"void onnx2c_dump(const char *tensor, const char *node, int sample, const float *data, long long numel)\n{\n"
"\tuint32_t tl = (uint32_t)strlen(tensor), nl = (uint32_t)strlen(node);\n"
"\tint32_t s = sample;\n\tint64_t n = numel;\n"
"\tif (!dump_f) {\n\t\tconst char *p = getenv(\"ONNX2C_DUMP_FILE\");\n"
"\t\tdump_f = fopen(p ? p : \"onnx2c_dump.bin\", \"wb\");\n"
"\t\tif (!dump_f) {\n\t\t\tperror(\"onnx2c_dump\");\n\t\t\texit(3);\n\t\t}\n\t}\n"
"\tdump_put(&tl, 4);\n\tdump_put(tensor, tl);\n\tdump_put(&nl, 4);\n\tdump_put(node, nl);\n"
"\tdump_put(&s, 4);\n\tdump_put(&n, 8);\n\tdump_put(data, (size_t)n * sizeof(float));\n}\n";

DumpRec *dump_read(const char *path, int *n, const char **err)
{
	size_t len;
	unsigned char *buf = slurp(path, &len);
	*n = 0;
	if (!buf) {
		*err = xsprintf("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	int cap = 0;
	DumpRec *recs = NULL;
	size_t p = 0;
	while (p < len) {
		DumpRec r;
		uint32_t l;
		int32_t s;
		int64_t ne;
		if (len - p < 4 || (memcpy(&l, buf + p, 4), len - p - 4 < l))
			goto bad;
		r.tensor = xsprintf("%.*s", (int)l, (const char *)buf + p + 4);
		p += 4 + l;
		if (len - p < 4 || (memcpy(&l, buf + p, 4), len - p - 4 < l))
			goto bad;
		r.node = xsprintf("%.*s", (int)l, (const char *)buf + p + 4);
		p += 4 + l;
		if (len - p < 12)
			goto bad;
		memcpy(&s, buf + p, 4);
		memcpy(&ne, buf + p + 4, 8);
		p += 12;
		if (ne < 0 || (uint64_t)ne > (len - p) / 4)
			goto bad;
		/* float data at an unaligned offset: copy it out */
		float *d = malloc((size_t)ne * 4 + 1);
		if (!d) {
			*err = "out of memory reading the dump";
			return NULL;
		}
		memcpy(d, buf + p, (size_t)ne * 4);
		p += (size_t)ne * 4;
		r.sample = s;
		r.numel = ne;
		r.data = d;
		if (*n == cap) {
			recs = xrealloc_arr(recs, (size_t)cap, cap ? (size_t)cap * 2 : 64, sizeof *recs);
			cap = cap ? cap * 2 : 64;
		}
		recs[(*n)++] = r;
	}
	free(buf);
	return recs;
bad:
	free(buf);
	*err = xsprintf("%s is truncated or corrupt", path);
	return NULL;
}
