/*
 * Template: runner.c - pasted by onnx2c (compiler/backend/emit.c) at the end of a
 * model compiled with --main.  Takes the I/O table emitted before it:
 *   o2c_io, o2c_inputs[O2C_NIN], o2c_outputs[O2C_NOUT],
 *   o2c_workspace_size(batch), o2c_run(workspace, batch, inputs, outputs).
 * Gives the model a main():
 *   ./model IN_DIR OUT_DIR      IN_DIR/input_K.pb -> OUT_DIR/output_K.pb
 *   ./model --bench N IN_DIR    runs N times, prints the median time in ms
 *   ./model --help              usage, with the inputs' and outputs' shapes
 * With O2C_WEIGHTS_FILE (onnx2c --weights), o2c_load_weights(path) and
 * o2c_status_str(status), the weights are read first: from --weights FILE
 * (before the other arguments), else from O2C_WEIGHTS_FILE, taken from the
 * program's folder (argv[0]'s) when relative.
 * Files are ONNX TensorProto messages, the layout of ONNX's backend test
 * data.  The protobuf wire format is decoded by hand with every length checked
 * before it is used: the files come from outside, and a bad one must give a
 * message naming the file, never a crash.  Floats are assembled from their
 * little-endian bytes, so the host's byte order does not matter.
 * Only ISO C file I/O: OUT_DIR must already exist (creating it needs POSIX).
 * This is not the inference path: stdio and malloc are fine here.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define O2C_RN_FLOAT 1                   /* TensorProto.DataType.FLOAT */
#define O2C_RN_MAX_RANK 8                /* the o2c_io table's dims[] */
#define O2C_RN_MAX_FILE ((size_t)INT_MAX) /* protobuf's own 2 GiB message limit */
#define O2C_RN_ALIGN 64                  /* buffers are aligned for AVX-512 loads */

#if defined(__GNUC__) || defined(__clang__)
#define O2C_RN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define O2C_RN_PRINTF(a, b)
#endif

static const char *o2c_rn_prog = "model";

static void o2c_rn_err(const char *fmt, ...) O2C_RN_PRINTF(1, 2);
static void o2c_rn_err(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: error: ", o2c_rn_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ISO C does not promise that fopen sets errno; say nothing rather than a
 * stale reason when it did not. */
static const char *o2c_rn_why(int e)
{
	return e ? strerror(e) : "unknown reason";
}

/* Every buffer handed to o2c_run stays on this list until exit, aligned to
 * O2C_RN_ALIGN; a list rooted in a static keeps leak checkers quiet on the
 * error paths too. */
typedef struct o2c_rn_block { struct o2c_rn_block *next; } o2c_rn_block;
static o2c_rn_block *o2c_rn_blocks;

static void *o2c_rn_alloc(size_t n)
{
	o2c_rn_block *b;
	uintptr_t a;
	if (n > SIZE_MAX - sizeof *b - O2C_RN_ALIGN)
		return NULL;
	b = (o2c_rn_block *)malloc(sizeof *b + O2C_RN_ALIGN + n);
	if (!b)
		return NULL;
	b->next = o2c_rn_blocks;
	o2c_rn_blocks = b;
	a = ((uintptr_t)(b + 1) + (O2C_RN_ALIGN - 1)) & ~(uintptr_t)(O2C_RN_ALIGN - 1);
	return (void *)a;
}

static void o2c_rn_free_all(void)
{
	while (o2c_rn_blocks) {
		o2c_rn_block *b = o2c_rn_blocks;
		o2c_rn_blocks = b->next;
		free(b);
	}
}

/* "DIR/input_3.pb"; the caller frees. */
static char *o2c_rn_path(const char *dir, const char *stem, int k)
{
	size_t n = strlen(dir) + strlen(stem) + 32;
	char *p = (char *)malloc(n);
	if (p)
		sprintf(p, "%s/%s_%d.pb", dir, stem, k);
	return p;
}

/* Dims as "[2,3,224,224]"; batched tensors show their first dim as N. */
static const char *o2c_rn_dims_str(char *buf, const int64_t *dims, int rank, int batched)
{
	char *p = buf;
	int i;
	*p++ = '[';
	for (i = 0; i < rank; i++) {
		if (i)
			*p++ = ',';
		if (i == 0 && batched)
			*p++ = 'N', *p = 0;
		else
			p += sprintf(p, "%lld", (long long)dims[i]);
	}
	*p++ = ']';
	*p = 0;
	return buf;
}
#define O2C_RN_DIMS_BUF (O2C_RN_MAX_RANK * 22 + 4)

static const char *o2c_rn_dtype_name(int64_t t)
{
	static const char *const names[] = {
		"UNDEFINED (absent)", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64",
		"STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64",
		"COMPLEX128", "BFLOAT16"
	};
	if (t >= 0 && t < (int64_t)(sizeof names / sizeof names[0]))
		return names[t];
	return "unknown";
}

/* ---- reading: the protobuf wire format, bounds-checked ---- */

/* A varint of at most 10 bytes; 0 when it is cut short or too long. */
static int o2c_rn_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t r = 0;
	int shift;
	for (shift = 0; shift <= 63; shift += 7) {
		unsigned b;
		if (*p >= end)
			return 0;
		b = *(*p)++;
		if (shift == 63 && b > 1)
			return 0;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 1;
		}
	}
	return 0;
}

static float o2c_rn_get_f32(const unsigned char *b)
{
	uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* The TensorProto fields the runner understands; the rest are skipped. */
typedef struct {
	int rank;
	int64_t dims[O2C_RN_MAX_RANK];
	int64_t data_type;          /* 0 = UNDEFINED, also when absent */
	int64_t data_location;      /* 1 = EXTERNAL */
	int has_raw;
	const unsigned char *raw;   /* points into the file's bytes */
	size_t raw_len;
	size_t nfloat;              /* values in float_data, packed or not */
	int other_data;             /* int32/int64/double/string data present */
	char name[128];             /* for messages; cut short if longer */
} o2c_rn_tensor;

static const char *o2c_rn_push_dim(o2c_rn_tensor *t, uint64_t v)
{
	if (t->rank >= O2C_RN_MAX_RANK)
		return "more than 8 dims";
	if (v > (uint64_t)INT64_MAX)
		return "a negative dim";
	t->dims[t->rank++] = (int64_t)v;
	return NULL;
}

/* Decodes buf into t; with fdst, float_data values are also stored there
 * (the caller sized it from a first pass without fdst).  Returns NULL or
 * what is wrong with the file. */
static const char *o2c_rn_parse(const unsigned char *buf, size_t len, o2c_rn_tensor *t, float *fdst)
{
	const unsigned char *p = buf, *end = buf + len;
	memset(t, 0, sizeof *t);
	while (p < end) {
		uint64_t key, v = 0, field;
		unsigned wt;
		const unsigned char *body = NULL;
		size_t blen = 0;
		const char *bad;
		if (!o2c_rn_varint(&p, end, &key))
			return "truncated or corrupt field key";
		field = key >> 3;
		wt = (unsigned)(key & 7);
		if (field == 0 || field > 536870911u)
			return "corrupt field number";
		switch (wt) {
		case 0:
			if (!o2c_rn_varint(&p, end, &v))
				return "truncated or corrupt varint";
			break;
		case 1:
			if (end - p < 8)
				return "truncated 64-bit field";
			body = p, blen = 8, p += 8;
			break;
		case 2:
			if (!o2c_rn_varint(&p, end, &v))
				return "truncated or corrupt length";
			if (v > (uint64_t)(end - p))
				return "a field runs past the end of the file (truncated?)";
			body = p, blen = (size_t)v, p += blen;
			break;
		case 5:
			if (end - p < 4)
				return "truncated 32-bit field";
			body = p, blen = 4, p += 4;
			break;
		default:
			return "corrupt data (wire type 3/4/6/7)";
		}
		switch (field) {
		case 1: /* dims: repeated int64, packed or not */
			if (wt == 0) {
				if ((bad = o2c_rn_push_dim(t, v)) != NULL)
					return bad;
			} else if (wt == 2) {
				const unsigned char *q = body, *qend = body + blen;
				while (q < qend) {
					if (!o2c_rn_varint(&q, qend, &v))
						return "corrupt packed dims";
					if ((bad = o2c_rn_push_dim(t, v)) != NULL)
						return bad;
				}
			} else {
				return "dims with a wrong wire type";
			}
			break;
		case 2: /* data_type */
			if (wt != 0)
				return "data_type with a wrong wire type";
			t->data_type = v > 1000 ? -1 : (int64_t)v;
			break;
		case 3:
			return "segmented tensors are not supported";
		case 4: /* float_data: repeated float, packed or not */
			if (wt != 5 && wt != 2)
				return "float_data with a wrong wire type";
			if (blen % 4)
				return "packed float_data with a length not a multiple of 4";
			if (fdst) {
				size_t i;
				for (i = 0; i < blen / 4; i++)
					fdst[t->nfloat + i] = o2c_rn_get_f32(body + 4 * i);
			}
			t->nfloat += blen / 4;
			break;
		case 5: case 6: case 7: case 10: case 11:
			/* int32/string/int64/double/uint64 data: never float */
			t->other_data = 1;
			break;
		case 8: /* name */
			if (wt != 2)
				return "name with a wrong wire type";
			{
				size_t n = blen < sizeof t->name - 1 ? blen : sizeof t->name - 1;
				size_t i;
				for (i = 0; i < n; i++) /* keep messages printable */
					t->name[i] = body[i] >= 32 && body[i] < 127 ? (char)body[i] : '?';
				t->name[n] = 0;
			}
			break;
		case 9: /* raw_data: the last one wins, as for any protobuf bytes field */
			if (wt != 2)
				return "raw_data with a wrong wire type";
			t->has_raw = 1, t->raw = body, t->raw_len = blen;
			break;
		case 14: /* data_location */
			if (wt != 0)
				return "data_location with a wrong wire type";
			t->data_location = v > 1000 ? -1 : (int64_t)v;
			break;
		default: /* doc_string, external_data, metadata...: not needed */
			break;
		}
	}
	return NULL;
}

/* The whole file in a malloc'd buffer (the caller frees); NULL after a message. */
static unsigned char *o2c_rn_slurp(const char *path, size_t *len)
{
	FILE *f;
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	errno = 0;
	f = fopen(path, "rb");
	if (!f) {
		o2c_rn_err("cannot open %s: %s", path, o2c_rn_why(errno));
		return NULL;
	}
	for (;;) {
		size_t got;
		if (n == cap) {
			unsigned char *nb;
			if (cap >= O2C_RN_MAX_FILE) {
				o2c_rn_err("%s: larger than the 2 GiB protobuf limit", path);
				goto fail;
			}
			cap = cap ? cap * 2 : 65536;
			nb = (unsigned char *)realloc(buf, cap);
			if (!nb) {
				o2c_rn_err("%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		o2c_rn_err("cannot read %s (is it a directory?)", path);
		goto fail;
	}
	fclose(f);
	{
		/* exactly the file's size, so a sanitizer sees any read past its end */
		unsigned char *nb = (unsigned char *)realloc(buf, n ? n : 1);
		if (nb)
			buf = nb;
	}
	*len = n;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/* Reads input k from dir, checks it against o2c_inputs[k] and the batch seen
 * so far (*batch is 0 before the first batched input; *batch_from is the
 * input that fixed it), and leaves its floats in *data.  Returns 0, or -1
 * after a message. */
static int o2c_rn_read_input(const char *dir, int k, int64_t *batch, int *batch_from, float **data)
{
	const o2c_io *io = &o2c_inputs[k];
	char want[O2C_RN_DIMS_BUF], got[O2C_RN_DIMS_BUF];
#ifdef O2C_INPUT_FILE
	char *path = o2c_rn_path(dir, "input", O2C_INPUT_FILE(k)); /* numbered as in the model */
#else
	char *path = o2c_rn_path(dir, "input", k);
#endif
	unsigned char *buf = NULL;
	size_t len = 0, numel, i;
	o2c_rn_tensor t;
	const char *bad;
	int ok = -1, same, r;

	if (!path) {
		o2c_rn_err("out of memory");
		return -1;
	}
	buf = o2c_rn_slurp(path, &len);
	if (!buf)
		goto out;
	if ((bad = o2c_rn_parse(buf, len, &t, NULL)) != NULL) {
		o2c_rn_err("%s: not a valid TensorProto: %s", path, bad);
		goto out;
	}
	if (t.data_location == 1) {
		o2c_rn_err("%s: data stored in an external file is not supported", path);
		goto out;
	}
	if (t.data_type != O2C_RN_FLOAT) {
		o2c_rn_err("%s: input %d '%s' has data type %s (%lld), the model takes FLOAT (1)",
			path, k, io->name, o2c_rn_dtype_name(t.data_type), (long long)t.data_type);
		goto out;
	}
	if (t.name[0] && strcmp(t.name, io->name))
		fprintf(stderr, "%s: warning: %s is named '%s', the model's input %d is '%s' "
			"(files are matched by position)\n", o2c_rn_prog, path, t.name, k, io->name);

	/* dims: exact, except a batched tensor's first, which is the batch */
	same = t.rank == io->rank;
	for (r = io->batched ? 1 : 0; same && r < io->rank; r++)
		same = t.dims[r] == io->dims[r];
	if (!same) {
		o2c_rn_err("%s: input %d '%s' must have dims %s, the file has %s", path, k, io->name,
			o2c_rn_dims_str(want, io->dims, io->rank, io->batched),
			o2c_rn_dims_str(got, t.dims, t.rank, 0));
		goto out;
	}
	if (io->batched) {
		if (t.dims[0] < 1 || t.dims[0] > INT_MAX) {
			o2c_rn_err("%s: input %d '%s' has batch %lld; it must be 1..%d", path, k, io->name,
				(long long)t.dims[0], INT_MAX);
			goto out;
		}
		if (*batch && t.dims[0] != *batch) {
			o2c_rn_err("%s: batch mismatch: input %d '%s' has batch %lld, input %d '%s' has %lld",
				path, k, io->name, (long long)t.dims[0], *batch_from,
				o2c_inputs[*batch_from].name, (long long)*batch);
			goto out;
		}
		*batch = t.dims[0];
		*batch_from = k;
	}

	/* element count, refusing overflow: the data must be in the file anyway */
	numel = 1;
	for (r = 0; r < t.rank; r++) {
		if (t.dims[r] != 0 && numel > SIZE_MAX / 4 / (uint64_t)t.dims[r]) {
			o2c_rn_err("%s: dims %s are too large", path, o2c_rn_dims_str(got, t.dims, t.rank, 0));
			goto out;
		}
		numel *= (size_t)t.dims[r];
	}
	if (io->batched && (uint64_t)numel != (uint64_t)t.dims[0] * (uint64_t)io->sample_numel) {
		o2c_rn_err("%s: internal error: input %d '%s' has %llu values, the table says %lld per sample",
			path, k, io->name, (unsigned long long)numel, (long long)io->sample_numel);
		goto out;
	}
	if (t.has_raw && t.nfloat) {
		o2c_rn_err("%s: both raw_data and float_data are set", path);
		goto out;
	}
	if (t.has_raw ? t.raw_len != numel * 4 : t.nfloat != numel) {
		o2c_rn_err("%s: dims %s need %llu floats (%llu bytes), the file holds %llu%s", path,
			o2c_rn_dims_str(got, t.dims, t.rank, 0), (unsigned long long)numel,
			(unsigned long long)numel * 4,
			(unsigned long long)(t.has_raw ? t.raw_len : t.nfloat * 4),
			t.has_raw ? " bytes of raw_data" : (t.other_data ? " bytes of float_data (and data of another type)"
									  : " bytes of float_data"));
		goto out;
	}
	*data = (float *)o2c_rn_alloc(numel * sizeof(float));
	if (!*data) {
		o2c_rn_err("%s: out of memory for %llu floats", path, (unsigned long long)numel);
		goto out;
	}
	if (t.has_raw) {
		for (i = 0; i < numel; i++)
			(*data)[i] = o2c_rn_get_f32(t.raw + 4 * i);
	} else if (numel) {
		o2c_rn_parse(buf, len, &t, *data); /* same bytes: cannot fail now */
	}
	ok = 0;
out:
	free(buf);
	free(path);
	return ok;
}

/* ---- writing ---- */

static void o2c_rn_put_varint(FILE *f, uint64_t v)
{
	while (v >= 0x80) {
		putc((int)(v & 0x7f) | 0x80, f);
		v >>= 7;
	}
	putc((int)v, f);
}

/* A TensorProto: dims (unpacked, as ONNX writes them), data_type FLOAT,
 * name, raw_data in little-endian.  Returns 0, or -1 after a message. */
static int o2c_rn_write(FILE *f, const char *path, const char *name, const int64_t *dims, int rank,
			const float *data, size_t numel)
{
	size_t i, nlen = strlen(name);
	int r;
	for (r = 0; r < rank; r++) {
		putc(1 << 3 | 0, f);
		o2c_rn_put_varint(f, (uint64_t)dims[r]);
	}
	putc(2 << 3 | 0, f);
	putc(O2C_RN_FLOAT, f);
	putc(8 << 3 | 2, f);
	o2c_rn_put_varint(f, nlen);
	fwrite(name, 1, nlen, f);
	putc(9 << 3 | 2, f);
	o2c_rn_put_varint(f, (uint64_t)numel * 4);
	for (i = 0; i < numel; i++) {
		unsigned char b[4];
		uint32_t u;
		memcpy(&u, &data[i], sizeof u);
		b[0] = (unsigned char)u, b[1] = (unsigned char)(u >> 8);
		b[2] = (unsigned char)(u >> 16), b[3] = (unsigned char)(u >> 24);
		fwrite(b, 1, 4, f);
	}
	errno = 0;
	if (fflush(f) != 0 || ferror(f)) {
		o2c_rn_err("cannot write %s: %s", path, o2c_rn_why(errno));
		return -1;
	}
	return 0;
}

/* ---- the program ---- */

static void o2c_rn_usage(FILE *f)
{
	char buf[O2C_RN_DIMS_BUF];
	int i;
	fprintf(f,
		"usage: %s IN_DIR OUT_DIR     run the model: IN_DIR/input_K.pb -> OUT_DIR/output_K.pb\n"
		"       %s --bench N IN_DIR   run it N times, print the median time in ms\n"
		"       %s --help\n"
		"Files are ONNX TensorProto (float32), the layout of ONNX's test data; inputs are\n"
		"matched by position.  OUT_DIR must exist.  N in a shape is the batch, taken from\n"
		"the inputs' first dim (the same in every batched input).\n",
		o2c_rn_prog, o2c_rn_prog, o2c_rn_prog);
#ifdef O2C_WEIGHTS_FILE
	fprintf(f, "--weights FILE before the other arguments: the weights file (default: %s, from\n"
		"the program's folder when relative)\n", O2C_WEIGHTS_FILE);
#endif
	for (i = 0; i < O2C_NIN; i++)
		fprintf(f, "  input_%d.pb   %-24s float%s\n", i, o2c_inputs[i].name,
			o2c_rn_dims_str(buf, o2c_inputs[i].dims, o2c_inputs[i].rank, o2c_inputs[i].batched));
	for (i = 0; i < O2C_NOUT; i++)
		fprintf(f, "  output_%d.pb  %-24s float%s\n", i, o2c_outputs[i].name,
			o2c_rn_dims_str(buf, o2c_outputs[i].dims, o2c_outputs[i].rank, o2c_outputs[i].batched));
}

/* Wall time in seconds where the language gives one; O2C_RN_CLOCK says which. */
#if defined(_OPENMP)
#define O2C_RN_CLOCK "wall"
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && defined(TIME_UTC)
#define O2C_RN_CLOCK "wall"
#else
#define O2C_RN_CLOCK "cpu"
#endif
static double o2c_rn_now(void)
{
#if defined(_OPENMP)
	return omp_get_wtime();
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && defined(TIME_UTC)
	struct timespec ts;
	timespec_get(&ts, TIME_UTC);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#else
	return (double)clock() / CLOCKS_PER_SEC; /* processor time: C99 has no wall clock */
#endif
}

static int o2c_rn_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Element count of output k for this batch (overflow-checked); 0 with *ok=0 on overflow. */
static size_t o2c_rn_out_numel(int k, int64_t batch, int *ok)
{
	const o2c_io *io = &o2c_outputs[k];
	uint64_t n = 1;
	int r;
	*ok = 1;
	if (io->batched) {
		if (io->sample_numel < 0 || (io->sample_numel && (uint64_t)batch > SIZE_MAX / 4 / (uint64_t)io->sample_numel))
			*ok = 0;
		return *ok ? (size_t)batch * (size_t)io->sample_numel : 0;
	}
	for (r = 0; r < io->rank; r++) {
		if (io->dims[r] < 0 || (io->dims[r] && n > SIZE_MAX / 4 / (uint64_t)io->dims[r])) {
			*ok = 0;
			return 0;
		}
		n *= (uint64_t)io->dims[r];
	}
	return (size_t)n;
}

#ifdef O2C_WEIGHTS_FILE
/* Loads the weights: path, or O2C_WEIGHTS_FILE from the program's folder. */
static int o2c_rn_weights(const char *path)
{
	char *p = NULL;
	int rc;
	if (!path) {
		const char *slash = strrchr(o2c_rn_prog, '/');
		path = O2C_WEIGHTS_FILE;
		if (slash && path[0] != '/') {
			size_t d = (size_t)(slash - o2c_rn_prog) + 1;
			p = (char *)malloc(d + strlen(path) + 1);
			if (!p) {
				o2c_rn_err("out of memory");
				return 1;
			}
			memcpy(p, o2c_rn_prog, d);
			strcpy(p + d, path);
			path = p;
		}
	}
	rc = o2c_load_weights(path);
	if (rc)
		o2c_rn_err("cannot load the weights %s: %s", path, o2c_status_str(rc));
	free(p);
	return rc ? 1 : 0;
}
#endif

int main(int argc, char **argv)
{
	const float *in[O2C_NIN + 1] = { 0 };
	float *out[O2C_NOUT + 1] = { 0 };
	size_t out_numel[O2C_NOUT + 1] = { 0 };
	FILE *outf[O2C_NOUT + 1] = { 0 };
	char *outpath[O2C_NOUT + 1] = { 0 };
	const char *in_dir, *out_dir = NULL;
	long bench = 0;
	int64_t batch = 0;
	int batch_from = 0, k, status = 1, rc;
	void *ws;
	size_t ws_size;
#ifdef O2C_WEIGHTS_FILE
	const char *weights = NULL;
#endif

	if (argc > 0 && argv[0] && argv[0][0])
		o2c_rn_prog = argv[0];
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		o2c_rn_usage(stdout);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--weights")) {
#ifdef O2C_WEIGHTS_FILE
		weights = argv[2];
		argv[2] = argv[0];
		argv += 2;
		argc -= 2;
#else
		o2c_rn_err("--weights: this model's weights are in the program (compiled without onnx2c --weights)");
		return 2;
#endif
	}
	if (argc == 4 && !strcmp(argv[1], "--bench")) {
		char *e;
		errno = 0;
		bench = strtol(argv[2], &e, 10);
		if (e == argv[2] || *e || errno || bench < 1 || bench > 1000000) {
			o2c_rn_err("--bench takes a run count 1..1000000, got '%s'", argv[2]);
			return 2;
		}
		in_dir = argv[3];
	} else if (argc == 3 && argv[1][0] != '-') {
		in_dir = argv[1];
		out_dir = argv[2];
	} else {
		o2c_rn_usage(stderr);
		return 2;
	}

#ifdef O2C_WEIGHTS_FILE
	if (o2c_rn_weights(weights))
		goto done;
#endif
	for (k = 0; k < O2C_NIN; k++) {
		float *d = NULL;
		if (o2c_rn_read_input(in_dir, k, &batch, &batch_from, &d))
			goto done;
		in[k] = d;
	}
	if (batch == 0)
		batch = 1; /* no batched input: every tensor has its fixed shape */

	for (k = 0; k < O2C_NOUT; k++) {
		int ok;
		out_numel[k] = o2c_rn_out_numel(k, batch, &ok);
		out[k] = ok ? (float *)o2c_rn_alloc(out_numel[k] * sizeof(float)) : NULL;
		if (!out[k]) {
			o2c_rn_err("out of memory for output %d '%s' at batch %lld", k, o2c_outputs[k].name,
				(long long)batch);
			goto done;
		}
	}
	ws_size = o2c_workspace_size((int)batch);
	ws = o2c_rn_alloc(ws_size);
	if (!ws) {
		o2c_rn_err("out of memory for the %llu-byte workspace at batch %lld",
			(unsigned long long)ws_size, (long long)batch);
		goto done;
	}

	if (bench) {
		double *t = (double *)malloc((size_t)bench * sizeof *t);
		long i;
		if (!t) {
			o2c_rn_err("out of memory");
			goto done;
		}
		rc = o2c_run(ws, (int)batch, in, out); /* warm-up: page faults, thread start */
#ifdef O2C_PROFILE_REPORT
		O2C_PROFILE_REPORT(NULL); /* drop the warm-up's timings */
#endif
		for (i = 0; rc == 0 && i < bench; i++) {
			double t0 = o2c_rn_now();
			rc = o2c_run(ws, (int)batch, in, out);
			t[i] = (o2c_rn_now() - t0) * 1e3;
		}
		if (rc) {
			o2c_rn_err("the model failed (status %d)", rc);
			free(t);
			goto done;
		}
		qsort(t, (size_t)bench, sizeof *t, o2c_rn_cmp_double);
		printf("runs %ld  batch %lld  threads %d  median %.3f ms  min %.3f ms  max %.3f ms  (" O2C_RN_CLOCK " clock)\n",
			bench, (long long)batch,
#if defined(_OPENMP)
			omp_get_max_threads(),
#else
			1,
#endif
			bench % 2 ? t[bench / 2] : 0.5 * (t[bench / 2 - 1] + t[bench / 2]), t[0], t[bench - 1]);
		free(t);
#ifdef O2C_PROFILE_REPORT
		O2C_PROFILE_REPORT(stdout); /* built with -DONNX2C_PROFILE: per-kernel times */
#endif
		status = 0;
		goto done;
	}

	/* open every output first: an unwritable OUT_DIR fails before the run */
	for (k = 0; k < O2C_NOUT; k++) {
		outpath[k] = o2c_rn_path(out_dir, "output", k);
		if (!outpath[k]) {
			o2c_rn_err("out of memory");
			goto done;
		}
		errno = 0;
		outf[k] = fopen(outpath[k], "wb");
		if (!outf[k]) {
			o2c_rn_err("cannot create %s: %s (OUT_DIR must exist and be writable)", outpath[k],
				o2c_rn_why(errno));
			goto done;
		}
	}
	rc = o2c_run(ws, (int)batch, in, out);
	if (rc) {
		o2c_rn_err("the model failed (status %d)", rc);
		goto done;
	}
	for (k = 0; k < O2C_NOUT; k++) {
		const o2c_io *io = &o2c_outputs[k];
		int64_t dims[O2C_RN_MAX_RANK];
		memcpy(dims, io->dims, sizeof dims);
		if (io->batched)
			dims[0] = batch;
		if (o2c_rn_write(outf[k], outpath[k], io->name, dims, io->rank, out[k], out_numel[k]))
			goto done;
		errno = 0;
		rc = fclose(outf[k]);
		outf[k] = NULL;
		if (rc) {
			o2c_rn_err("cannot write %s: %s", outpath[k], o2c_rn_why(errno));
			goto done;
		}
	}
	status = 0;
done:
	for (k = 0; k < O2C_NOUT; k++) {
		if (outf[k]) { /* a failure left it unfinished: no half-written outputs */
			fclose(outf[k]);
			remove(outpath[k]);
		}
		free(outpath[k]);
	}
	o2c_rn_free_all();
	return status;
}
