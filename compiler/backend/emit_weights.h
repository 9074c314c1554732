/*
 * emit_weights.h - between emit.c and emit_weights.c: the weights of a
 * generated file, embedded as C literals or written to a weights file
 * (onnx2c --weights; the format is described in emit_weights.c).
 */
#ifndef ONNX2C_EMIT_WEIGHTS_H
#define ONNX2C_EMIT_WEIGHTS_H

#include "ir.h"

/* A named pointer into the weights blob: a constant tensor's data (t), or
 * data an op made at compile time for node (emit_weights). */
typedef struct WeightName {
	const Tensor *t;
	const Node *node;
	const char *name;
	size_t off, count;     /* floats */
} WeightName;

/* An existing weights file, as `onnx2c --weights FILE` without -o reads it. */
typedef struct WeightsInfo {
	uint32_t sections;
	uint64_t model, packing;   /* the hashes the code that reads it checks */
	char *options;             /* the options it was written with: each argument ends in a NUL */
	size_t options_len;
} WeightsInfo;
#define WEIGHTS_MAX_OPTIONS 65536

/* What the weights part of a file is written from. */
typedef struct WeightsOut {
	unsigned char *blob;
	size_t len;                /* bytes */
	WeightName *w; int nw;
	const CNames *used;        /* the identifiers the kernels and entry points use */
	uint64_t model_hash;       /* external: weights_model_hash */
	uint64_t packing;          /* external: the packing hash of the section table (weights_compact) */
	const char *options;       /* external: the options record (g_weights_options) */
	size_t options_len;
	const WeightsInfo *expect; /* external: the file must fit this code (g_weights_expect), or NULL */
} WeightsOut;

/* --weights FILE (main.c sets these; emit.c writes them): the options that shaped the code,
 * recorded in FILE, and, when only the weights are written for code compiled before, the
 * header of that code's weights file, whose hashes the new file must have. */
extern const char *g_weights_options;
extern size_t g_weights_options_len;
extern const WeightsInfo *g_weights_expect;

/* FNV-1a, 64 bits: the hashes in a weights file's header. */
uint64_t weights_fnv(uint64_t h, const void *p, size_t n);
#define WEIGHTS_FNV_SEED 0xcbf29ce484222325ull

/* Embedded: one literal per weight, and the named pointers. */
void weights_write_embedded(FILE *f, const WeightsOut *o);
/* External: only the weights the code names, packed down (blob and w change), and the
 * packing hash of the table that results. */
void weights_compact(WeightsOut *o);
/* External: the named pointers into the bound file, the bind and load
 * functions (P, U: the prefix and its upper case), and the file itself. */
void weights_write_external(FILE *f, const WeightsOut *o, const char *P, const char *U);
void weights_write_file(const char *path, const WeightsOut *o);
/* Weights only, for code compiled before (o->expect): refuses, naming path, weights that
 * code would refuse.  Before anything is written. */
void weights_check_fits(const WeightsOut *o, const char *path);
/* NULL, or why path is not a weights file this onnx2c reads. */
const char *weights_read_info(const char *path, WeightsInfo *wi);
/* The header's declarations for external weights; default_path is what the runner opens. */
void weights_write_header(FILE *h, const char *P, const char *U, const char *default_path);

#endif
