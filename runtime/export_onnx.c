/*
 * export_onnx.c - write the fine-tuned network back to .onnx: the original
 * model file with its classifier head's initializers replaced.  A quantized
 * (QDQ) model's head was int8: its weights' DequantizeLinear nodes and its
 * output's QuantizeLinear -> DequantizeLinear are dropped, the head node
 * writes the old output's name, and the float weights become initializers
 * (the description from compiler/train/train_head.c names them).
 *
 * It is a protobuf wire-format rewriter, not a protobuf library: every field
 * is copied byte for byte except the few on the path to what changes
 * (ModelProto.graph -> GraphProto.initializer / input / output / value_info).
 * That keeps the runtime free of protobuf-c and of the ONNX schema (it links
 * zlib only), and it cannot lose fields it does not know.  Field numbers are
 * those of onnx.proto:
 *   ModelProto.graph = 7
 *   GraphProto.node = 1, initializer = 5, input = 11, output = 12, value_info = 13
 *   NodeProto.output = 2, name = 3
 *   TensorProto.dims = 1, data_type = 2, name = 8, raw_data = 9
 *   ValueInfoProto.name = 1, type = 2; TypeProto.tensor_type = 1;
 *   TypeProto.Tensor.shape = 2; TensorShapeProto.dim = 1; Dimension.dim_value = 1
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx2c_rt.h"

typedef struct Buf { unsigned char *p; size_t n, cap; int oom; } Buf;

static void put(Buf *b, const void *src, size_t n)
{
	if (b->oom || n == 0) /* an empty sub-message's buffer is NULL: no memcpy from it */
		return;
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n)
			cap *= 2;
		unsigned char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void put_varint(Buf *b, uint64_t v)
{
	unsigned char t[10];
	int k = 0;
	do {
		t[k++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	put(b, t, (size_t)k);
}

static void put_len_field(Buf *b, int field, const void *data, size_t n)
{
	put_varint(b, (uint64_t)field << 3 | 2);
	put_varint(b, n);
	put(b, data, n);
}

/* One field read from a message: its number, wire type, where it starts (tag
 * included) and ends, and for length-delimited fields the payload. */
typedef struct Field {
	int num, wt;
	uint64_t v;                 /* varint value */
	const unsigned char *start, *end, *data;
	size_t len;
} Field;

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		unsigned char c = *(*p)++;
		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Returns 1 with *f filled, 0 at the end, -1 on malformed input. */
static int next_field(const unsigned char **p, const unsigned char *end, Field *f)
{
	if (*p >= end)
		return 0;
	f->start = *p;
	uint64_t tag;
	if (get_varint(p, end, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
		return -1;
	f->num = (int)(tag >> 3);
	f->wt = (int)(tag & 7);
	f->data = NULL;
	f->len = 0;
	switch (f->wt) {
	case 0:
		if (get_varint(p, end, &f->v))
			return -1;
		break;
	case 1:
	case 5: {
		size_t k = f->wt == 1 ? 8 : 4;
		if ((size_t)(end - *p) < k)
			return -1;
		*p += k;
		break;
	}
	case 2: {
		uint64_t n;
		if (get_varint(p, end, &n) || n > (uint64_t)(end - *p))
			return -1;
		f->data = *p;
		f->len = (size_t)n;
		*p += n;
		break;
	}
	default: /* groups (3, 4) are not used by onnx.proto */
		return -1;
	}
	f->end = *p;
	return 1;
}

/* The string field `num` of a message (first occurrence), as a NUL-terminated copy in out. */
static int message_string(const unsigned char *m, size_t n, int num, char *out, size_t cap)
{
	const unsigned char *p = m, *end = m + n;
	Field f;
	int r;
	while ((r = next_field(&p, end, &f)) > 0)
		if (f.num == num && f.wt == 2) {
			size_t k = f.len < cap - 1 ? f.len : cap - 1;
			memcpy(out, f.data, k);
			out[k] = 0;
			return 1;
		}
	out[0] = 0;
	return r;
}

/* ---- the head description (train_head.c writes it) ---- */

#define MAX_CLASS_VALUES 8
#define MAX_DROP 4
typedef struct Head {
	char node[512], weight[512], bias[512], layout[8];
	char class_value[MAX_CLASS_VALUES][512];
	int nclass_values;
	/* a quantized (QDQ) model's head: its nodes to drop (the weights' and the output's Q/DQ), the name the
	 * head node's output takes (the dropped DQ's), and weight/bias as new float initializers */
	char drop[MAX_DROP][512];
	int ndrop;
	char head_output[512];
	int new_weight, new_bias;
	const float *w, *b;
	int K, F;
	int found_w, found_b;
} Head;

static int parse_desc(Head *h, const char *desc)
{
	for (const char *s = desc; *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		if (eq) {
			size_t kl = (size_t)(eq - s), vl = len - kl - 1;
			char *dst = NULL;
			if (kl == 6 && !strncmp(s, "weight", 6))
				dst = h->weight;
			else if (kl == 4 && !strncmp(s, "bias", 4))
				dst = h->bias;
			else if (kl == 6 && !strncmp(s, "layout", 6))
				dst = h->layout;
			else if (kl == 11 && !strncmp(s, "class_value", 11) && h->nclass_values < MAX_CLASS_VALUES)
				dst = h->class_value[h->nclass_values++];
			else if (kl == 4 && !strncmp(s, "node", 4))
				dst = h->node;
			else if (kl == 9 && !strncmp(s, "drop_node", 9)) {
				if (h->ndrop == MAX_DROP)
					return rt_fail(RT_ERR_ARG, "export: head description: too many nodes to drop");
				dst = h->drop[h->ndrop++];
			} else if (kl == 11 && !strncmp(s, "head_output", 11))
				dst = h->head_output;
			else if (kl == 10 && !strncmp(s, "new_weight", 10))
				h->new_weight = 1;
			else if (kl == 8 && !strncmp(s, "new_bias", 8))
				h->new_bias = 1;
			size_t cap = dst == h->layout ? sizeof h->layout : sizeof h->weight;
			if (dst) {
				if (vl >= cap)
					return rt_fail(RT_ERR_ARG, "export: head description: name too long");
				memcpy(dst, eq + 1, vl);
				dst[vl] = 0;
			}
		}
		s += len + (nl ? 1 : 0);
	}
	if (!h->weight[0] || (strcmp(h->layout, "KF") && strcmp(h->layout, "FK")))
		return rt_fail(RT_ERR_ARG, "export: the head description names no weight/layout");
	return RT_OK;
}

/* ---- rewriting ---- */

static void put_float_le(Buf *b, float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	unsigned char t[4] = { (unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
	                       (unsigned char)(u >> 24) };
	put(b, t, 4);
}

/* The dims and data type of an initializer (a TensorProto). */
static int initializer_dims(const Field *init, const char *name, int64_t *dims, int *nd)
{
	const unsigned char *p = init->data, *end = init->data + init->len;
	Field f;
	int r;
	uint64_t dtype = 0;
	*nd = 0;
	while ((r = next_field(&p, end, &f)) > 0) {
		if (f.num == 1 && f.wt == 0 && *nd < 8) {
			dims[(*nd)++] = (int64_t)f.v;
		} else if (f.num == 1 && f.wt == 2) { /* packed */
			const unsigned char *q = f.data, *qe = f.data + f.len;
			uint64_t v;
			while (q < qe && *nd < 8) {
				if (get_varint(&q, qe, &v))
					return rt_fail(RT_ERR_FORMAT, "export: initializer '%s': bad dims", name);
				dims[(*nd)++] = (int64_t)v;
			}
		} else if (f.num == 2 && f.wt == 0) {
			dtype = f.v;
		}
	}
	if (r < 0)
		return rt_fail(RT_ERR_FORMAT, "export: initializer '%s' is corrupt", name);
	if (dtype != 1)
		return rt_fail(RT_ERR_FORMAT, "export: initializer '%s' is not float32 (data type %llu)", name,
		               (unsigned long long)dtype);
	return RT_OK;
}

/* Writes TensorProto{dims, FLOAT, name, raw_data = v[count]} as field `num` of out. */
static int put_tensor(Buf *out, int num, const int64_t *dims, int nd, const char *name, const float *v,
                      size_t count, const Head *h, int head_weight)
{
	Buf t = { 0 };
	for (int i = 0; i < nd; i++) {
		put_varint(&t, 1 << 3 | 0);
		put_varint(&t, (uint64_t)dims[i]);
	}
	put_varint(&t, 2 << 3 | 0);
	put_varint(&t, 1);
	put_len_field(&t, 8, name, strlen(name));
	put_varint(&t, 9 << 3 | 2);
	put_varint(&t, count * 4);
	for (size_t i = 0; i < count; i++) /* head weight stored [F,K]: element (f,k) = w[k][f] */
		put_float_le(&t, head_weight && strcmp(h->layout, "KF")
		                 ? v[(i % (size_t)h->K) * (size_t)h->F + i / (size_t)h->K] : v[i]);
	if (t.oom) {
		free(t.p);
		return rt_fail(RT_ERR_NOMEM, "export: out of memory");
	}
	put_len_field(out, num, t.p, t.n);
	free(t.p);
	return RT_OK;
}

/* A new TensorProto for initializer `name`: the original dims with the class axis set to K,
 * float data (raw, little-endian).  is_weight: layout KF/FK [K,F]/[F,K]; else the bias. */
static int new_initializer(Buf *out, const Field *init, const Head *h, int is_weight, const char *name)
{
	int64_t dims[8];
	int nd;
	int rc = initializer_dims(init, name, dims, &nd);
	if (rc)
		return rc;
	if (is_weight) {
		if (nd != 2)
			return rt_fail(RT_ERR_FORMAT, "export: head weight '%s' has %d dims, not 2", name, nd);
		dims[0] = !strcmp(h->layout, "KF") ? h->K : h->F;
		dims[1] = !strcmp(h->layout, "KF") ? h->F : h->K;
	} else {
		if (nd == 0)
			dims[nd++] = h->K;
		else
			dims[nd - 1] = h->K;
	}
	return put_tensor(out, init->num, dims, nd, name, is_weight ? h->w : h->b,
	                  is_weight ? (size_t)h->K * h->F : (size_t)h->K, h, is_weight);
}

/* An unfrozen block's initializer: same dims, the fine-tuned values. */
static int block_initializer(Buf *out, const Field *init, const RtParam *p, const float *params)
{
	int64_t dims[8];
	int nd;
	int rc = initializer_dims(init, p->name, dims, &nd);
	if (rc)
		return rc;
	uint64_t n = 1; /* the dims come from the file: no overflow, no negative dim */
	for (int i = 0; i < nd; i++) {
		if (dims[i] < 0 || (dims[i] && n > UINT64_MAX / (uint64_t)dims[i]))
			return rt_fail(RT_ERR_FORMAT, "export: initializer '%s' has corrupt dims", p->name);
		n *= (uint64_t)dims[i];
	}
	if (n != (uint64_t)p->count)
		return rt_fail(RT_ERR_MISMATCH, "export: initializer '%s' has %llu values in the model, the block %zu",
		               p->name, (unsigned long long)n, p->count);
	return put_tensor(out, init->num, dims, nd, p->name, params + p->offset, p->count, NULL, 0);
}

/* Copies message m to out, descending into field path[0] (path[0] < 0: its LAST occurrence,
 * number -path[0]) and so on; at the end of the path writes `leaf` instead of the field. */
static int rewrite_path(Buf *out, const unsigned char *m, size_t n, const int *path, int depth, const Buf *leaf)
{
	int num = path[0] < 0 ? -path[0] : path[0];
	int last = -1, idx = 0;
	const unsigned char *p = m, *end = m + n;
	Field f;
	int r;
	if (path[0] < 0) { /* find the last occurrence */
		while ((r = next_field(&p, end, &f)) > 0)
			if (f.num == num)
				last = idx++;
			else
				idx++;
		if (r < 0)
			return -1;
		p = m;
		idx = 0;
	}
	int done = 0;
	while ((r = next_field(&p, end, &f)) > 0) {
		int hit = f.num == num && f.wt == 2 && (path[0] > 0 || idx == last) && !done;
		idx++;
		if (!hit) {
			put(out, f.start, (size_t)(f.end - f.start));
			continue;
		}
		done = 1;
		if (depth == 1) {
			put_len_field(out, num, leaf->p, leaf->n);
		} else {
			Buf sub = { 0 };
			if (rewrite_path(&sub, f.data, f.len, path + 1, depth - 1, leaf) < 0) {
				free(sub.p);
				return -1;
			}
			put_len_field(out, num, sub.p, sub.n);
			free(sub.p);
		}
	}
	return r < 0 ? -1 : done;
}

static int rewrite_graph(Buf *out, const unsigned char *g, size_t n, Head *h, const RtBlock *blk,
                         const float *params, unsigned char *found)
{
	const unsigned char *p = g, *end = g + n;
	Field f;
	int r;
	char name[512];
	while ((r = next_field(&p, end, &f)) > 0) {
		if (f.wt == 2 && f.num == 5) { /* initializer */
			if (message_string(f.data, f.len, 8, name, sizeof name) < 0)
				return rt_fail(RT_ERR_FORMAT, "export: corrupt initializer");
			int bp = -1;
			for (int i = 0; blk && i < blk->ntensors && bp < 0; i++)
				if (!strcmp(name, blk->params[i].name))
					bp = i;
			if (bp >= 0) {
				int rc = block_initializer(out, &f, &blk->params[bp], params);
				if (rc)
					return rc;
				found[bp] = 1;
				continue;
			}
			int is_w = !strcmp(name, h->weight), is_b = h->b && h->bias[0] && !strcmp(name, h->bias);
			if (is_w || is_b) {
				int rc = new_initializer(out, &f, h, is_w, name);
				if (rc)
					return rc;
				if (is_w)
					h->found_w = 1;
				else
					h->found_b = 1;
				continue;
			}
		} else if (f.wt == 2 && f.num == 1 && (h->ndrop || h->head_output[0])) { /* a node (NodeProto.name = 3) */
			if (message_string(f.data, f.len, 3, name, sizeof name) < 0)
				return rt_fail(RT_ERR_FORMAT, "export: corrupt node");
			int drop = 0;
			for (int i = 0; i < h->ndrop; i++)
				drop |= !strcmp(name, h->drop[i]);
			if (drop)
				continue;
			if (h->head_output[0] && !strcmp(name, h->node)) { /* its output[0] (field 2) renamed */
				static const int path[] = { 2 };
				Buf leaf = { 0 }, sub = { 0 };
				put(&leaf, h->head_output, strlen(h->head_output));
				int rc = rewrite_path(&sub, f.data, f.len, path, 1, &leaf);
				free(leaf.p);
				if (rc <= 0 || sub.oom) {
					free(sub.p);
					return rt_fail(RT_ERR_FORMAT, "export: head node '%s' has no output", name);
				}
				put_len_field(out, 1, sub.p, sub.n);
				free(sub.p);
				continue;
			}
		} else if (f.wt == 2 && (f.num == 11 || f.num == 12 || f.num == 13)) { /* value infos */
			if (message_string(f.data, f.len, 1, name, sizeof name) < 0)
				return rt_fail(RT_ERR_FORMAT, "export: corrupt value info");
			int cls = 0;
			for (int i = 0; i < h->nclass_values; i++)
				cls |= !strcmp(name, h->class_value[i]);
			if (cls) {
				/* type.tensor_type.shape.dim[last] := Dimension{dim_value = K} */
				static const int path[] = { 2, 1, 2, -1 };
				Buf leaf = { 0 }, sub = { 0 };
				put_varint(&leaf, 1 << 3 | 0);
				put_varint(&leaf, (uint64_t)h->K);
				int rc = rewrite_path(&sub, f.data, f.len, path, 4, &leaf);
				free(leaf.p);
				if (rc < 0) {
					free(sub.p);
					return rt_fail(RT_ERR_FORMAT, "export: corrupt value info '%s'", name);
				}
				put_len_field(out, f.num, sub.p, sub.n);
				free(sub.p);
				continue;
			}
		}
		put(out, f.start, (size_t)(f.end - f.start));
	}
	if (r < 0)
		return rt_fail(RT_ERR_FORMAT, "export: corrupt graph");
	/* a quantized head's weight and bias were DequantizeLinear outputs: now float initializers */
	const int kf = !strcmp(h->layout, "KF");
	if (h->new_weight && !h->found_w) {
		const int64_t dims[2] = { kf ? h->K : h->F, kf ? h->F : h->K };
		int rc = put_tensor(out, 5, dims, 2, h->weight, h->w, (size_t)h->K * h->F, h, 1);
		if (rc)
			return rc;
		h->found_w = 1;
	}
	if (h->new_bias && h->b && h->bias[0] && !h->found_b) {
		const int64_t dims[1] = { h->K };
		int rc = put_tensor(out, 5, dims, 1, h->bias, h->b, (size_t)h->K, h, 0);
		if (rc)
			return rc;
		h->found_b = 1;
	}
	return RT_OK;
}

static int read_file(const char *path, unsigned char **data, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return rt_fail(RT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	Buf b = { 0 };
	unsigned char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		put(&b, chunk, k);
	int err = ferror(f);
	fclose(f);
	if (err || b.oom) {
		free(b.p);
		return rt_fail(err ? RT_ERR_IO : RT_ERR_NOMEM, "%s: cannot read", path);
	}
	if (!b.n) /* (and b.p is NULL, which the parser must not offset) */
		return rt_fail(RT_ERR_FORMAT, "%s: empty file, not an ONNX model", path);
	*data = b.p;
	*n = b.n;
	return RT_OK;
}

int rt_export_onnx(const char *model_path, const char *out_path, const char *head_onnx, const float *weight,
                   const float *bias, int K, int F, const RtBlock *block, const float *params)
{
	if (!model_path || !out_path || !head_onnx || !weight || K < 1 || F < 1 || (block && !params))
		return rt_fail(RT_ERR_ARG, "export: bad arguments");
	Head h;
	memset(&h, 0, sizeof h);
	int rc = parse_desc(&h, head_onnx);
	if (rc)
		return rc;
	h.w = weight;
	h.b = bias;
	h.K = K;
	h.F = F;
	unsigned char *found = calloc(block ? (size_t)block->ntensors + 1 : 1, 1);
	if (!found)
		return rt_fail(RT_ERR_NOMEM, "export: out of memory");
	unsigned char *model = NULL;
	size_t n = 0;
	if ((rc = read_file(model_path, &model, &n))) {
		free(found);
		return rc;
	}
	Buf out = { 0 };
	const unsigned char *p = model, *end = model + n;
	Field f;
	int r, graphs = 0;
	while ((r = next_field(&p, end, &f)) > 0) {
		if (f.num == 7 && f.wt == 2) {
			Buf g = { 0 };
			rc = rewrite_graph(&g, f.data, f.len, &h, block, params, found);
			if (!rc)
				put_len_field(&out, 7, g.p, g.n);
			free(g.p);
			if (rc)
				break;
			graphs++;
		} else {
			put(&out, f.start, (size_t)(f.end - f.start));
		}
	}
	free(model);
	if (!rc && (r < 0 || graphs != 1))
		rc = rt_fail(RT_ERR_FORMAT, "%s: not an ONNX model (corrupt protobuf or no graph)", model_path);
	if (!rc && !h.found_w)
		rc = rt_fail(RT_ERR_FORMAT, "%s: the head weight '%s' is not an initializer of the model", model_path,
		             h.weight);
	if (!rc && bias && h.bias[0] && !h.found_b)
		rc = rt_fail(RT_ERR_FORMAT, "%s: the head bias '%s' is not an initializer of the model", model_path, h.bias);
	for (int i = 0; !rc && block && i < block->ntensors; i++)
		if (!found[i])
			rc = rt_fail(RT_ERR_FORMAT, "%s: the block parameter '%s' is not an initializer of the model",
			             model_path, block->params[i].name);
	free(found);
	if (!rc && out.oom)
		rc = rt_fail(RT_ERR_NOMEM, "export: out of memory");
	if (rc) {
		free(out.p);
		return rc;
	}
	/* atomically: a crash never leaves a truncated model under the final name */
	size_t pl = strlen(out_path);
	char *tmp = malloc(pl + 5);
	if (!tmp) {
		free(out.p);
		return rt_fail(RT_ERR_NOMEM, "export: out of memory");
	}
	memcpy(tmp, out_path, pl);
	memcpy(tmp + pl, ".tmp", 5);
	FILE *o = fopen(tmp, "wb");
	if (!o)
		rc = rt_fail(RT_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
	else {
		int bad = fwrite(out.p, 1, out.n, o) != out.n || fflush(o) != 0 || fsync(fileno(o)) != 0;
		bad |= fclose(o) != 0;
		if (bad || rename(tmp, out_path) != 0) {
			rc = rt_fail(RT_ERR_IO, "%s: cannot write: %s", out_path, strerror(errno));
			remove(tmp);
		}
	}
	free(tmp);
	free(out.p);
	return rc;
}
