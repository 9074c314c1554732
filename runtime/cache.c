/*
 * cache.c - the feature cache of head-only training: when the trunk is frozen
 * and inputs are not augmented, a sample's trunk output never changes, so it
 * is computed on first use and read back on every later epoch (the head then
 * trains at the speed of a linear layer).  One allocation of n x dim floats
 * plus a flag per sample.
 */
#include <stdlib.h>

#include "onnx2c_rt.h"

int rt_cache_init(RtCache *c, int n, size_t dim)
{
	c->n = n;
	c->dim = dim;
	c->feat = NULL;
	c->have = NULL;
	if (n <= 0 || dim == 0)
		return rt_fail(RT_ERR_ARG, "feature cache: %d samples of %zu features", n, dim);
	c->feat = malloc((size_t)n * dim * sizeof(float));
	c->have = calloc((size_t)n, 1);
	if (!c->feat || !c->have) {
		rt_cache_free(c);
		return rt_fail(RT_ERR_NOMEM, "feature cache: cannot allocate %d x %zu floats", n, dim);
	}
	return RT_OK;
}

float *rt_cache_slot(RtCache *c, int i) { return c->feat + (size_t)i * c->dim; }

int rt_cache_has(const RtCache *c, int i) { return c->have[i]; }

void rt_cache_mark(RtCache *c, int i) { c->have[i] = 1; }

void rt_cache_free(RtCache *c)
{
	free(c->feat);
	free(c->have);
	c->feat = NULL;
	c->have = NULL;
}
