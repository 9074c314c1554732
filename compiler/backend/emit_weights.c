/*
 * emit_weights.c - the weights of a generated file: embedded in the C file as
 * string literals (the default), or written to a weights file that the
 * program binds at run time (onnx2c --weights FILE).
 *
 * The weights file (little-endian; every offset a multiple of 64):
 *     0  magic "ONNX2CWT"
 *     8  u32 format version (2)
 *    12  u32 number of sections
 *    16  u64 model hash: FNV-1a of the code that reads the weights (the
 *        templates, the kernels and the entry points), so weights for another
 *        model, or from another onnx2c or other options, are refused
 *    24  u64 packing hash: FNV-1a of the section table
 *    32  u64 data offset
 *    40  u64 data bytes
 *    48  u64 data check: weights_check() of the data
 *    56  u64 L: the bytes of the options record
 *    64  the section table: per weight, u64 offset in the data and u64 bytes
 *        then the options record: the options that shaped the code (L bytes,
 *        each argument ending in a NUL), zero padding to a multiple of 8, and
 *        u64 FNV-1a of those L bytes, the padding, then the header's 8 bytes of L
 *        then the data at the data offset (the next multiple of 64), each
 *        section 64-byte aligned: the weights as the kernels read them
 *        (already packed and transformed)
 * The model hash does not depend on the weights' values, so weights of the
 * same model trained further load into the same compiled code.  The options
 * record serves `onnx2c M.onnx --weights FILE` without -o (and the trainer's
 * --deploy-weights): M is compiled with the options FILE was written with.
 */
#include "emit_weights.h"

#include <stdlib.h>
#include <string.h>

#define FNV_PRIME 0x100000001b3ull
#define WEIGHTS_VERSION 2
#define HEADER_BYTES 64

uint64_t weights_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* The data check: FNV-style over 64-bit words in four lanes (about 10 GB/s,
 * where FNV-1a byte by byte would take 0.1 s for ResNet-50's 100 MB).  The
 * generated o2c_wt_check computes the same. */
static uint64_t weights_check(const unsigned char *p, size_t n)
{
	uint64_t h[4] = { WEIGHTS_FNV_SEED, WEIGHTS_FNV_SEED + 1, WEIGHTS_FNV_SEED + 2, WEIGHTS_FNV_SEED + 3 };
	size_t i = 0;
	for (; i + 32 <= n; i += 32)
		for (int l = 0; l < 4; l++)
			h[l] = (h[l] ^ le64(p + i + 8 * l)) * FNV_PRIME;
	for (; i < n; i++)
		h[0] = (h[0] ^ p[i]) * FNV_PRIME;
	return (((h[0] ^ h[1]) * FNV_PRIME ^ h[2]) * FNV_PRIME ^ h[3]) * FNV_PRIME;
}

static int by_offset(const void *a, const void *b)
{
	const WeightName *x = *(const WeightName *const *)a, *y = *(const WeightName *const *)b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* The section table: every weight in the blob, by offset. */
static unsigned char *section_table(const WeightsOut *o, size_t *bytes)
{
	const WeightName **s = xalloc((size_t)(o->nw + 1) * sizeof *s);
	for (int i = 0; i < o->nw; i++)
		s[i] = &o->w[i];
	qsort(s, (size_t)o->nw, sizeof *s, by_offset);
	*bytes = 16 * (size_t)o->nw;
	unsigned char *t = xalloc(*bytes + 1);
	for (int i = 0; i < o->nw; i++) {
		put64(t + 16 * i, (uint64_t)s[i]->off * 4);
		put64(t + 16 * i + 8, (uint64_t)s[i]->count * 4);
	}
	return t;
}

static void weight_comment(FILE *f, const WeightName *w)
{
	if (w->t)
		fprintf(f, "/* %s '%s' */\n", shape_str(&w->t->shape), c_comment(w->t->name));
	else
		fprintf(f, "/* %zu floats made for %s '%s' */\n", w->count, w->node ? w->node->op_type : "",
		        w->node ? c_comment(w->node->name) : "");
}

/* ---- embedded -------------------------------------------------------- */

/* One literal per weight rather than one for the blob: gcc frees nothing
 * between the two, but its peak memory falls from 13x the weights to 7.5x
 * (100 MB of floats: 1.3 GB -> 0.75 GB, gcc 12 -O2), and weights no kernel
 * names are left out. */
void weights_write_embedded(FILE *f, const WeightsOut *o)
{
	int n = 0;
	size_t bytes = 0;
	for (int i = 0; i < o->nw; i++)
		if (cnames_has(o->used, o->w[i].name))
			n++, bytes += o->w[i].count * 4;
	if (!n)
		return;
	fprintf(f, "/* The weights: %zu bytes, little-endian float32, each ONNX constant tensor and what an op made\n"
	           " * from them at compile time, 64-byte aligned. */\n", bytes);
	int k = 0;
	for (int i = 0; i < o->nw; i++) {
		const WeightName *w = &o->w[i];
		if (!cnames_has(o->used, w->name))
			continue;
		size_t nb = w->count ? w->count * 4 : 4;
		fprintf(f, "static const union { unsigned char b[%zu]; float f[%zu]; } o2c_wd%d O2C_ALIGNED(64) = {\n", nb,
		        nb / 4, k);
		if (w->count)
			write_c_bytes(f, o->blob + w->off * 4, w->count * 4);
		else
			fprintf(f, "\t{0}\n");
		fprintf(f, "};\nstatic const float *const %s = o2c_wd%d.f; ", w->name, k++);
		weight_comment(f, w);
	}
	fputc('\n', f);
}

/* ---- external -------------------------------------------------------- */

void weights_write_header(FILE *h, const char *P, const char *U, const char *default_path)
{
	fprintf(h, "/*\n * Weights: in a file (onnx2c --weights), not in the code.  Hand them in before the\n"
	           " * first run, as a pointer to the whole file (mmap, flash, or read into memory, the\n"
	           " * data 64-byte aligned: a page-aligned or %s_load_weights_file buffer is):\n", P);
	fprintf(h, " *   int status = %s_bind_weights(blob, size);   (0 on success, else %s_E...)\n", P, U);
	fprintf(h, " * or read from a file:\n *   int status = %s_load_weights_file(\"%s\");\n", P, c_comment(default_path));
	fprintf(h, " * The header is checked (magic, version, the hashes of the model and of the\n"
	           " * packing, the sizes) and the data against its check sum; nothing is copied.  The\n"
	           " * weights are bound for the whole process and read-only: bind before the runs,\n"
	           " * never while one is going; then any number of threads run at once, each with\n"
	           " * its own workspace.  The blob must stay unchanged while it is bound.\n"
	           " * %s_run without bound weights returns %s_ENOWEIGHTS.\n */\n", P, U);
	fprintf(h, "#define %s_EXTERNAL_WEIGHTS 1\n#define %s_WEIGHTS_FILE \"%s\" /* given to onnx2c --weights */\n", U, U,
	        c_comment(default_path));
	static const char *const codes[][2] = {
		{ "ENOWEIGHTS", "no weights bound yet" },
		{ "EFORMAT", "not an onnx2c weights file, or a damaged header" },
		{ "EVERSION", "a weights file format this code does not read" },
		{ "EFOREIGN", "weights of another model, onnx2c or options (the hashes differ)" },
		{ "ETRUNCATED", "fewer bytes than the header says" },
		{ "EALIGN", "the data is not 64-byte aligned in memory" },
		{ "ECORRUPT", "the data does not match its check sum" },
		{ "EIO", "the weights file cannot be read" },
		{ "ENOMEM", "out of memory for the weights" },
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		fprintf(h, "#define %s_%s %zu /* status: %s */\n", U, codes[i][0], i + 2, codes[i][1]);
	fprintf(h, "\nint %s_bind_weights(const void *blob, size_t size);\n", P);
	fprintf(h, "/* Reads the whole file into memory it keeps (freeing the previous file's) and binds it.\n"
	           " * Built unless ONNX2C_NO_STDIO is defined (a target without files uses bind). */\n");
	fprintf(h, "int %s_load_weights_file(const char *path);\n", P);
	fprintf(h, "/* The status as a sentence (any status of %s_run or of the weights). */\n", P);
	fprintf(h, "const char *%s_status_str(int status);\n\n", P);
}

/* The generated check of the data: weights_check in C. */
static const char check_fn[] =
	"static uint64_t o2c_wt_check(const unsigned char *p, size_t n)\n"
	"{\n"
	"\tconst uint64_t prime = 0x100000001b3ull;\n"
	"\tuint64_t h[4] = { 0xcbf29ce484222325ull, 0xcbf29ce484222326ull, 0xcbf29ce484222327ull, 0xcbf29ce484222328ull };\n"
	"\tsize_t i = 0;\n"
	"\tint l;\n"
	"\tfor (; i + 32 <= n; i += 32)\n"
	"\t\tfor (l = 0; l < 4; l++) {\n"
	"\t\t\tuint64_t w; /* the host's byte order: a big-endian host, which would misread the floats, fails */\n"
	"\t\t\tmemcpy(&w, p + i + 8 * l, 8);\n"
	"\t\t\th[l] = (h[l] ^ w) * prime;\n"
	"\t\t}\n"
	"\tfor (; i < n; i++)\n"
	"\t\th[0] = (h[0] ^ p[i]) * prime;\n"
	"\treturn (((h[0] ^ h[1]) * prime ^ h[2]) * prime ^ h[3]) * prime;\n"
	"}\n\n";

/* Keeps only the weights the code names, each at a 64-byte boundary, in
 * place: an op that packs a constant leaves the constant's own bytes in the
 * blob unnamed.  Their offsets change. */
void weights_compact(WeightsOut *o)
{
	WeightName **s = xalloc((size_t)(o->nw + 1) * sizeof *s);
	int n = 0;
	for (int i = 0; i < o->nw; i++)
		if (cnames_has(o->used, o->w[i].name))
			s[n++] = &o->w[i];
	qsort(s, (size_t)n, sizeof *s, by_offset);
	size_t len = 0;
	for (int i = 0; i < n; i++) { /* in offset order, each moves down or stays */
		size_t at = (len + 63) & ~(size_t)63;
		memset(o->blob + len, 0, at - len);
		memmove(o->blob + at, o->blob + s[i]->off * 4, s[i]->count * 4);
		s[i]->off = at / 4;
		len = at + s[i]->count * 4;
	}
	WeightName *w = xalloc((size_t)(n + 1) * sizeof *w);
	for (int i = 0; i < n; i++)
		w[i] = *s[i];
	o->w = w;
	o->nw = n;
	o->len = len;
	size_t tbytes;
	unsigned char *table = section_table(o, &tbytes);
	o->packing = weights_fnv(WEIGHTS_FNV_SEED, table, tbytes);
}

void weights_write_external(FILE *f, const WeightsOut *o, const char *P, const char *U)
{
	fprintf(f, "/* ---- the weights: %zu bytes in a file (onnx2c --weights), bound at run time ---- */\n", o->len);
	fprintf(f, "#define O2C_WT_BYTES ((uint64_t)%zuu)\n#define O2C_WT_SECTIONS %du\n", o->len, o->nw);
	fprintf(f, "#define O2C_WT_MODEL 0x%016llxull\n#define O2C_WT_PACKING 0x%016llxull\n",
	        (unsigned long long)o->model_hash, (unsigned long long)o->packing);
	fprintf(f, "static const float *o2c_wt; /* the bound data; NULL until %s_bind_weights */\n", P);
	int n = 0;
	for (int i = 0; i < o->nw; i++) {
		const WeightName *w = &o->w[i];
		if (!cnames_has(o->used, w->name))
			continue;
		if (!n++)
			fprintf(f, "/* The weights by name: each ONNX constant tensor, and what an op made from them at compile time. */\n");
		fprintf(f, "#define %s (o2c_wt + %zu) ", w->name, w->off);
		weight_comment(f, w);
	}
	/* little-endian reads, byte by byte: the header's fields are not aligned for the host */
	fprintf(f, "\nstatic uint64_t o2c_wt_u64(const unsigned char *p)\n{\n\tuint64_t v = 0;\n\tint i;\n"
	           "\tfor (i = 7; i >= 0; i--)\n\t\tv = v << 8 | p[i];\n\treturn v;\n}\n\n");
	fputs(check_fn, f);
	fprintf(f, "int %s_bind_weights(const void *blob, size_t size)\n{\n", P);
	fprintf(f, "\tconst unsigned char *b = (const unsigned char *)blob;\n"
	           "\tuint64_t h = 0xcbf29ce484222325ull, off, opt, i;\n"
	           "\tif (!b)\n\t\treturn %s_EINVAL;\n"
	           "\tif (size < %d)\n\t\treturn size >= 8 && !memcmp(b, \"ONNX2CWT\", 8) ? %s_ETRUNCATED : %s_EFORMAT;\n"
	           "\tif (memcmp(b, \"ONNX2CWT\", 8))\n\t\treturn %s_EFORMAT;\n"
	           "\tif ((o2c_wt_u64(b + 8) & 0xffffffffu) != %du)\n", U, HEADER_BYTES, U, U, U, WEIGHTS_VERSION);
	fprintf(f, "\t\treturn %s_EVERSION;\n", U);
	fprintf(f, "\tif (o2c_wt_u64(b + 8) >> 32 != O2C_WT_SECTIONS || o2c_wt_u64(b + 16) != O2C_WT_MODEL ||\n"
	           "\t    o2c_wt_u64(b + 24) != O2C_WT_PACKING || o2c_wt_u64(b + 40) != O2C_WT_BYTES)\n"
	           "\t\treturn %s_EFOREIGN;\n", U);
	/* the options record: its length fixes the data offset, and its hash covers it, so that no
	 * bit of the header goes unchecked */
	fprintf(f, "\topt = o2c_wt_u64(b + 56);\n\toff = o2c_wt_u64(b + 32);\n"
	           "\tif (opt > %d || off != (%d + 16 * (uint64_t)O2C_WT_SECTIONS + (opt + 7) / 8 * 8 + 8 + 63) / 64 * 64)\n"
	           "\t\treturn %s_EFORMAT;\n", WEIGHTS_MAX_OPTIONS, HEADER_BYTES, U);
	fprintf(f, "\tif (size < off || size - off < O2C_WT_BYTES)\n\t\treturn %s_ETRUNCATED;\n", U);
	fprintf(f, "\tfor (i = 0; i < (opt + 7) / 8 * 8; i++)\n\t\th = (h ^ b[%d + 16 * O2C_WT_SECTIONS + i]) * 0x100000001b3ull;\n"
	           "\tfor (i = 56; i < 64; i++)\n\t\th = (h ^ b[i]) * 0x100000001b3ull;\n"
	           "\tfor (i = %d + 16 * O2C_WT_SECTIONS + (opt + 7) / 8 * 8 + 8; i < off; i++)\n"
	           "\t\tif (b[i])\n\t\t\treturn %s_EFORMAT; /* the padding before the data */\n"
	           "\tif (h != o2c_wt_u64(b + %d + 16 * O2C_WT_SECTIONS + (opt + 7) / 8 * 8))\n\t\treturn %s_EFORMAT;\n"
	           "\th = 0xcbf29ce484222325ull;\n", HEADER_BYTES, HEADER_BYTES, U, HEADER_BYTES, U);
	fprintf(f, "\t/* the section table is what the packing hash covers */\n"
	           "\tfor (i = %d; i < %d + 16 * (uint64_t)O2C_WT_SECTIONS; i++)\n"
	           "\t\th = (h ^ b[i]) * 0x100000001b3ull;\n"
	           "\tif (h != O2C_WT_PACKING)\n\t\treturn %s_EFOREIGN;\n", HEADER_BYTES, HEADER_BYTES, U);
	fprintf(f, "\tif ((uintptr_t)(b + off) %% 64)\n\t\treturn %s_EALIGN;\n", U);
	fprintf(f, "\tif (o2c_wt_check(b + off, (size_t)O2C_WT_BYTES) != o2c_wt_u64(b + 48))\n\t\treturn %s_ECORRUPT;\n", U);
	fprintf(f, "\to2c_wt = (const float *)(const void *)(b + off);\n\treturn 0;\n}\n\n");

	/* the file reader: stdio and malloc, off the inference path */
	fprintf(f, "#ifndef ONNX2C_NO_STDIO\n#include <stdio.h>\n#include <stdlib.h>\n"
	           "static void *o2c_wt_mem; /* what %s_load_weights_file read */\n\n", P);
	fprintf(f, "int %s_load_weights_file(const char *path)\n{\n", P);
	fprintf(f, "\tFILE *fp;\n\tlong n;\n\tvoid *mem;\n\tunsigned char *b;\n\tint status;\n"
	           "\tif (!path)\n\t\treturn %s_EINVAL;\n"
	           "\tfp = fopen(path, \"rb\");\n\tif (!fp)\n\t\treturn %s_EIO;\n"
	           "\tif (fseek(fp, 0, SEEK_END) || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {\n"
	           "\t\tfclose(fp);\n\t\treturn %s_EIO;\n\t}\n", U, U, U);
	fprintf(f, "\tif ((unsigned long)n > (size_t)-1 - 64 || !(mem = malloc((size_t)n + 64))) {\n"
	           "\t\tfclose(fp);\n\t\treturn %s_ENOMEM;\n\t}\n", U);
	fprintf(f, "\tb = (unsigned char *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);\n"
	           "\tif (fread(b, 1, (size_t)n, fp) != (size_t)n) {\n"
	           "\t\tfclose(fp);\n\t\tfree(mem);\n\t\treturn %s_EIO;\n\t}\n"
	           "\tfclose(fp);\n\tstatus = %s_bind_weights(b, (size_t)n);\n"
	           "\tif (status) {\n\t\tfree(mem);\n\t\treturn status;\n\t}\n"
	           "\tfree(o2c_wt_mem);\n\to2c_wt_mem = mem;\n\treturn 0;\n}\n#endif\n\n", U, P);
	fprintf(f, "const char *%s_status_str(int status)\n{\n\tswitch (status) {\n", P);
	static const char *const msgs[][2] = {
		{ "0", "success" },
		{ "EINVAL", "a NULL pointer or a bad batch" },
		{ "ENOWEIGHTS", NULL }, /* names the functions */
		{ "EFORMAT", "not an onnx2c weights file, or its header is damaged" },
		{ "EVERSION", "the weights file is of a format version this code does not read" },
		{ "EFOREIGN", "the weights are of another model, or from another onnx2c or other options: "
		              "their model or packing hash differs from the code's" },
		{ "ETRUNCATED", "the weights are truncated: fewer bytes than the header says" },
		{ "EALIGN", "the weights' data is not 64-byte aligned in memory" },
		{ "ECORRUPT", "the weights' data is damaged: it does not match its check sum" },
		{ "EIO", "the weights file cannot be opened or read" },
		{ "ENOMEM", "out of memory for the weights" },
	};
	for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
		const char *msg = msgs[i][1] ? msgs[i][1]
		                  : xsprintf("no weights are bound: call %s_bind_weights or %s_load_weights_file first", P, P);
		if (i)
			fprintf(f, "\tcase %s_%s: return %s;\n", U, msgs[i][0], c_string(msg));
		else
			fprintf(f, "\tcase 0: return %s;\n", c_string(msg));
	}
	fprintf(f, "\tdefault: return \"unknown status\";\n\t}\n}\n\n");
}

/* The options record: the options, padded to 8 bytes, and their hash. */
static unsigned char *options_record(const WeightsOut *o, size_t *bytes)
{
	size_t pad = (o->options_len + 7) / 8 * 8;
	*bytes = pad + 8;
	unsigned char *r = xalloc(*bytes);
	memset(r, 0, *bytes);
	if (o->options_len)
		memcpy(r, o->options, o->options_len);
	unsigned char len[8];
	put64(len, o->options_len);
	put64(r + pad, weights_fnv(weights_fnv(WEIGHTS_FNV_SEED, r, pad), len, 8));
	return r;
}

void weights_check_fits(const WeightsOut *o, const char *path)
{
	if (!o->expect)
		return;
	if (o->expect->model != o->model_hash || o->expect->packing != o->packing)
		fatal("this model does not fit the code that '%s' was written for: its %s hash differs (another "
		      "structure, other options or another onnx2c), so that program would refuse these weights; '%s' "
		      "is left as it was.  Compile the model with -o to deploy it", path,
		      o->expect->model != o->model_hash ? "model" : "packing", path);
}

void weights_write_file(const char *path, const WeightsOut *o)
{
	if (o->options_len > WEIGHTS_MAX_OPTIONS)
		fatal("the options to record in '%s' pass %d bytes", path, WEIGHTS_MAX_OPTIONS);
	size_t tbytes, rbytes;
	unsigned char *table = section_table(o, &tbytes), *rec = options_record(o, &rbytes);
	size_t off = (HEADER_BYTES + tbytes + rbytes + 63) / 64 * 64;
	unsigned char head[HEADER_BYTES] = "ONNX2CWT";
	put64(head + 8, (uint64_t)WEIGHTS_VERSION | (uint64_t)o->nw << 32);
	put64(head + 16, o->model_hash);
	put64(head + 24, o->packing);
	put64(head + 32, off);
	put64(head + 40, o->len);
	put64(head + 48, weights_check(o->blob, o->len));
	put64(head + 56, o->options_len);
	static const unsigned char zeros[64];
	size_t gap = off - HEADER_BYTES - tbytes - rbytes;
	char *tmp = xsprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		fatal("cannot write '%s'", tmp);
	bool ok = fwrite(head, 1, sizeof head, f) == sizeof head && fwrite(table, 1, tbytes, f) == tbytes &&
	          fwrite(rec, 1, rbytes, f) == rbytes && fwrite(zeros, 1, gap, f) == gap &&
	          fwrite(o->blob, 1, o->len, f) == o->len;
	if (fclose(f) != 0 || !ok) {
		remove(tmp);
		fatal("error writing '%s'", tmp);
	}
	if (rename(tmp, path) != 0)
		fatal("cannot rename '%s' to '%s'", tmp, path);
}

/* What `onnx2c --weights FILE` without -o needs of an existing FILE: its hashes and
 * options.  Returns NULL, or why FILE cannot be read as a weights file. */
const char *weights_read_info(const char *path, WeightsInfo *wi)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return "cannot be opened";
	unsigned char head[HEADER_BYTES];
	const char *why = NULL;
	if (fread(head, 1, sizeof head, f) != sizeof head || memcmp(head, "ONNX2CWT", 8))
		why = "is not an onnx2c weights file";
	else if ((le64(head + 8) & 0xffffffffu) != WEIGHTS_VERSION)
		why = "is of another weights file format version (written by another onnx2c)";
	else if (le64(head + 56) > WEIGHTS_MAX_OPTIONS)
		why = "has a damaged header";
	if (why) {
		fclose(f);
		return why;
	}
	wi->sections = (uint32_t)(le64(head + 8) >> 32);
	wi->model = le64(head + 16);
	wi->packing = le64(head + 24);
	wi->options_len = (size_t)le64(head + 56);
	wi->options = xalloc(wi->options_len + 9);
	unsigned char hash[8];
	size_t pad = (wi->options_len + 7) / 8 * 8;
	bool ok = fseek(f, (long)(HEADER_BYTES + 16 * (size_t)wi->sections), SEEK_SET) == 0 &&
	          fread(wi->options, 1, pad, f) == pad && fread(hash, 1, 8, f) == 8 &&
	          le64(hash) == weights_fnv(weights_fnv(WEIGHTS_FNV_SEED, wi->options, pad), head + 56, 8) &&
	          (!wi->options_len || wi->options[wi->options_len - 1] == 0);
	fclose(f);
	return ok ? NULL : "has a damaged options record";
}
