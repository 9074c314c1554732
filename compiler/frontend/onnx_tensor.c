/*
 * onnx_tensor.c - decodes an ONNX TensorProto (initializer, Constant value,
 * --bind file) into host data in the arena.
 *
 * Data comes from raw_data (little-endian bytes), from the typed repeated
 * fields (float_data, int32_data - which also carries 8/16-bit types and
 * float16 bits -, int64_data, double_data, uint64_data), or from an external
 * file next to the model.  The file is untrusted: every length is checked
 * against the dims before anything is allocated or copied, dims products are
 * overflow checked, and external paths may not leave the model's folder
 * (absolute paths, `..` and symlinks pointing outside are refused, as ONNX
 * Runtime does).  Not here: deciding what a dtype is good for - float16 and
 * double stay what they are, and the operators refuse what they cannot run.
 */
#define _XOPEN_SOURCE 700 /* realpath, fseeko */
#include "onnx_load.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "raw_data is little-endian; the loader copies it as is"
#endif

/* No single constant can be bigger than this; a model claiming more is
 * corrupt or hostile, and saying so beats a failed allocation. */
#define MAX_TENSOR_BYTES ((int64_t)1 << 36)

DType onnx_dtype(int32_t elem_type, const char *what)
{
	switch (elem_type) {
	case DT_FLOAT: case DT_UINT8: case DT_INT8: case DT_UINT16: case DT_INT16: case DT_INT32:
	case DT_INT64: case DT_BOOL: case DT_FLOAT16: case DT_DOUBLE: case DT_UINT32: case DT_UINT64:
		return (DType)elem_type;
	case 0:
		fatal("%s has no data type", what);
	case DT_STRING:
		fatal_unsupported(NULL, "%s is a string tensor; strings are not supported", what);
	case 14: case 15:
		fatal_unsupported(NULL, "%s is a complex tensor; complex numbers are not supported", what);
	case 16:
		fatal_unsupported(NULL, "%s is bfloat16; only float (and integer constants) are supported", what);
	case 17: case 18: case 19: case 20:
		fatal_unsupported(NULL, "%s is an 8-bit float type; only float is supported", what);
	default:
		fatal_unsupported(NULL, "%s has data type %d, which onnx2c does not know", what, (int)elem_type);
	}
}

static char *dims_str(const int64_t *d, size_t n)
{
	char *s = xstrdup("[");
	for (size_t i = 0; i < n; i++)
		s = xsprintf("%s%s%lld", s, i ? "," : "", (long long)d[i]);
	return xsprintf("%s]", s);
}

/* ---- external data ---------------------------------------------------- */

static bool parse_nonneg(const char *s, int64_t *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno || v < 0)
		return false;
	*out = v;
	return true;
}

/* true when `path` has a ".." component */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; *p;) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/* Reads `bytes` bytes of external data for tp into a fresh arena buffer. */
static void *read_external(const Onnx__TensorProto *tp, const char *what, const char *dir, int64_t bytes)
{
	const char *loc = NULL, *off_s = NULL, *len_s = NULL;
	for (size_t i = 0; i < tp->n_external_data; i++) {
		const Onnx__StringStringEntryProto *kv = tp->external_data[i];
		if (!kv->key)
			continue;
		if (!strcmp(kv->key, "location"))
			loc = kv->value;
		else if (!strcmp(kv->key, "offset"))
			off_s = kv->value;
		else if (!strcmp(kv->key, "length"))
			len_s = kv->value;
	}
	if (!loc || !*loc)
		fatal("%s has external data without a 'location'", what);
	int64_t off = 0, len = -1;
	if (off_s && !parse_nonneg(off_s, &off))
		fatal("%s: external data offset '%s' is not a non-negative integer", what, off_s);
	if (len_s && !parse_nonneg(len_s, &len))
		fatal("%s: external data length '%s' is not a non-negative integer", what, len_s);

	/* the file name is data from the model: keep it inside the model's folder */
	if (loc[0] == '/')
		fatal("%s: external data path '%s' is absolute; only files inside the model's folder are allowed",
		      what, loc);
	if (has_dotdot(loc))
		fatal("%s: external data path '%s' leaves the model's folder ('..' is not allowed)",
		      what, loc);
	char *full = xsprintf("%s/%s", dir, loc);
	char rdir[PATH_MAX], rfile[PATH_MAX];
	if (!realpath(dir, rdir))
		fatal("cannot resolve the model's folder '%s': %s", dir, strerror(errno));
	if (!realpath(full, rfile))
		fatal("%s: external data file '%s' cannot be opened: %s", what, full, strerror(errno));
	size_t rl = strlen(rdir);
	/* rdir is "/" only for a model at the root; everything is inside it then */
	if (!(rl == 1 || (!strncmp(rfile, rdir, rl) && rfile[rl] == '/')))
		fatal("%s: external data path '%s' resolves to '%s', outside the model's folder '%s'",
		      what, loc, rfile, rdir);

	FILE *f = fopen(rfile, "rb");
	if (!f)
		fatal("%s: external data file '%s' cannot be opened: %s", what, full, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		fatal("%s: external data file '%s' is not a regular file", what, full);
	}
	int64_t size = (int64_t)st.st_size;
	if (off > size) {
		fclose(f);
		fatal("%s: external data offset %lld is beyond the end of '%s' (%lld bytes)", what,
		      (long long)off, full, (long long)size);
	}
	if (len < 0)
		len = size - off;
	if (len > size - off) {
		fclose(f);
		fatal("%s: external data offset %lld + length %lld is beyond the end of '%s' (%lld bytes)",
		      what, (long long)off, (long long)len, full, (long long)size);
	}
	if (len != bytes) {
		fclose(f);
		fatal("%s has %lld bytes of external data but its dims %s need %lld", what,
		      (long long)len, dims_str(tp->dims, tp->n_dims), (long long)bytes);
	}
	void *data = xalloc((size_t)(bytes ? bytes : 1));
	if (fseeko(f, (off_t)off, SEEK_SET) || (bytes && fread(data, 1, (size_t)bytes, f) != (size_t)bytes)) {
		fclose(f);
		fatal("%s: reading %lld bytes at offset %lld of '%s' failed", what,
		      (long long)bytes, (long long)off, full);
	}
	fclose(f);
	return data;
}

/* ---- typed fields ------------------------------------------------------ */

/* A typed field must hold exactly the number of values the dims need. */
static void check_count(size_t have, int64_t need, const char *what, const Onnx__TensorProto *tp,
                        const char *field)
{
	if ((int64_t)have != need)
		fatal("%s has %zu values in %s but its dims %s need %lld", what, have, field,
		      dims_str(tp->dims, tp->n_dims), (long long)need);
}

static void decode_typed(const Onnx__TensorProto *tp, const char *what, DType dt, int64_t numel, void *data)
{
	if (numel == 0) /* an empty tensor: the fields may hold nothing at all */
		dt = DT_UNDEFINED;
	switch (dt) {
	case DT_UNDEFINED:
		return;
	case DT_FLOAT:
		check_count(tp->n_float_data, numel, what, tp, "float_data");
		memcpy(data, tp->float_data, (size_t)numel * sizeof(float));
		return;
	case DT_DOUBLE:
		check_count(tp->n_double_data, numel, what, tp, "double_data");
		memcpy(data, tp->double_data, (size_t)numel * sizeof(double));
		return;
	case DT_INT64:
		check_count(tp->n_int64_data, numel, what, tp, "int64_data");
		memcpy(data, tp->int64_data, (size_t)numel * sizeof(int64_t));
		return;
	case DT_UINT32:
	case DT_UINT64:
		check_count(tp->n_uint64_data, numel, what, tp, "uint64_data");
		for (int64_t i = 0; i < numel; i++) {
			if (dt == DT_UINT32)
				((uint32_t *)data)[i] = (uint32_t)tp->uint64_data[i];
			else
				((uint64_t *)data)[i] = tp->uint64_data[i];
		}
		return;
	case DT_INT32: case DT_INT16: case DT_UINT16: case DT_INT8: case DT_UINT8: case DT_BOOL: case DT_FLOAT16:
		/* the narrow types travel widened to int32 (float16 as its 16 bits) */
		check_count(tp->n_int32_data, numel, what, tp, "int32_data");
		for (int64_t i = 0; i < numel; i++) {
			int32_t v = tp->int32_data[i];
			switch (dt) {
			case DT_INT32: ((int32_t *)data)[i] = v; break;
			case DT_INT16: ((int16_t *)data)[i] = (int16_t)v; break;
			case DT_UINT16: case DT_FLOAT16: ((uint16_t *)data)[i] = (uint16_t)v; break;
			case DT_INT8: ((int8_t *)data)[i] = (int8_t)v; break;
			case DT_BOOL: ((uint8_t *)data)[i] = v != 0; break;
			default: ((uint8_t *)data)[i] = (uint8_t)v; break;
			}
		}
		return;
	default:
		UNREACHABLE();
	}
}

/* ---- the entry point --------------------------------------------------- */

void onnx_decode_tensor(const Onnx__TensorProto *tp, const char *what, const char *dir, Tensor *t)
{
	DType dt = onnx_dtype(tp->has_data_type ? tp->data_type : 0, what);
	if (tp->n_dims > MAX_RANK)
		fatal_unsupported(NULL, "%s has rank %zu; at most %d dimensions are supported", what, tp->n_dims,
		                  MAX_RANK);
	if (tp->segment)
		fatal_unsupported(NULL, "%s is stored in segments, which onnx2c does not support", what);
	int64_t numel = 1;
	bool overflow = false;
	for (size_t i = 0; i < tp->n_dims; i++) {
		if (tp->dims[i] < 0)
			fatal("%s has a negative dimension in dims %s", what,
			      dims_str(tp->dims, tp->n_dims));
		if (__builtin_mul_overflow(numel, tp->dims[i], &numel))
			overflow = true;
	}
	int64_t bytes;
	if (overflow || __builtin_mul_overflow(numel, (int64_t)dtype_size(dt), &bytes) || bytes > MAX_TENSOR_BYTES)
		fatal("%s has dims %s, too large for a %s tensor (limit %lld bytes)", what,
		      dims_str(tp->dims, tp->n_dims), dtype_name(dt), (long long)MAX_TENSOR_BYTES);

	void *data;
	if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
		data = read_external(tp, what, dir, bytes);
	} else if (tp->has_raw_data) {
		if ((int64_t)tp->raw_data.len != bytes)
			fatal("%s has %zu bytes of data but its dims %s need %lld", what,
			      tp->raw_data.len, dims_str(tp->dims, tp->n_dims), (long long)bytes);
		data = xalloc((size_t)(bytes ? bytes : 1));
		if (bytes)
			memcpy(data, tp->raw_data.data, (size_t)bytes);
	} else {
		data = xalloc((size_t)(bytes ? bytes : 1));
		decode_typed(tp, what, dt, numel, data);
	}

	t->dtype = dt;
	t->shape.rank = (int)tp->n_dims;
	for (size_t i = 0; i < tp->n_dims; i++)
		t->shape.d[i] = tp->dims[i];
	t->has_shape = true;
	t->kind = T_CONST;
	t->data = data;
}
