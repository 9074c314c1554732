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

/* What the weights part of a file is written from. */
typedef struct WeightsOut {
	unsigned char *blob;
	size_t len;                /* bytes */
	WeightName *w; int nw;
	const CNames *used;        /* the identifiers the kernels and entry points use */
	uint64_t model_hash;       /* external: weights_model_hash */
} WeightsOut;

/* FNV-1a, 64 bits: the hashes in a weights file's header. */
uint64_t weights_fnv(uint64_t h, const void *p, size_t n);
#define WEIGHTS_FNV_SEED 0xcbf29ce484222325ull

/* Embedded: one literal per weight, and the named pointers. */
void weights_write_embedded(FILE *f, const WeightsOut *o);
/* External: only the weights the code names, packed down (blob and w change). */
void weights_compact(WeightsOut *o);
/* External: the named pointers into the bound file, the bind and load
 * functions (P, U: the prefix and its upper case), and the file itself. */
void weights_write_external(FILE *f, const WeightsOut *o, const char *P, const char *U);
void weights_write_file(const char *path, const WeightsOut *o);
/* The header's declarations for external weights; default_path is what the runner opens. */
void weights_write_header(FILE *h, const char *P, const char *U, const char *default_path);

#endif
