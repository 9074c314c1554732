/*
 * checkpoint.c - save/resume of a training run: parameters, optimizer state,
 * epoch/step and RNG state.
 *
 * Layout (little-endian, as the machine writes it; a big-endian reader refuses it by the magic):
 *   char magic[8] "O2CCKPT1"; u32 version; u32 header_bytes;
 *   u64 n_params, n_state; i64 epoch, step; u64 rng[4]; u32 crc32 of the payload; u32 crc32 of the header so far;
 *   payload: float params[n_params], float state[n_state].
 * Written to PATH.tmp, flushed and fsync'd, then renamed over PATH (and the folder fsync'd) so
 * a crash leaves either the old checkpoint or the new one, never a torn file.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "onnx2c_rt.h"

#define CKPT_MAGIC "O2CCKPT1"
#define CKPT_VERSION 1u

typedef struct Header {
	char magic[8];
	uint32_t version, header_bytes;
	uint64_t n_params, n_state;
	int64_t epoch, step;
	uint64_t rng[4];
	uint32_t payload_crc, header_crc;
} Header;
/* no padding: the checksum covers every byte, and the layout is the file format */
_Static_assert(sizeof(Header) == 88, "checkpoint header layout");

static uint32_t crc_floats(uint32_t crc, const float *p, size_t n)
{
	const unsigned char *b = (const unsigned char *)p;
	size_t len = n * sizeof(float);
	while (len) { /* zlib's crc32 takes an unsigned int length */
		const unsigned chunk = len > (1u << 30) ? (1u << 30) : (unsigned)len;
		crc = (uint32_t)crc32(crc, b, chunk);
		b += chunk;
		len -= chunk;
	}
	return crc;
}

static uint32_t header_crc(const Header *h) { return (uint32_t)crc32(0, (const unsigned char *)h, offsetof(Header, header_crc)); }

static int write_all(FILE *f, const void *p, size_t bytes) { return bytes == 0 || fwrite(p, 1, bytes, f) == bytes; }

int rt_checkpoint_save(const char *path, const RtCheckpoint *c)
{
	Header h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, CKPT_MAGIC, 8);
	h.version = CKPT_VERSION;
	h.header_bytes = (uint32_t)sizeof h;
	h.n_params = c->n_params;
	h.n_state = c->n_state;
	h.epoch = c->epoch;
	h.step = c->step;
	memcpy(h.rng, c->rng.s, sizeof h.rng);
	h.payload_crc = crc_floats(crc_floats((uint32_t)crc32(0, NULL, 0), c->params, c->n_params), c->state, c->n_state);
	h.header_crc = header_crc(&h);

	const size_t len = strlen(path) + 5;
	char *tmp = malloc(len);
	if (!tmp)
		return rt_fail(RT_ERR_NOMEM, "%s: out of memory", path);
	snprintf(tmp, len, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		const int rc = rt_fail(RT_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	int ok = write_all(f, &h, sizeof h) && write_all(f, c->params, c->n_params * sizeof(float)) &&
	         write_all(f, c->state, c->n_state * sizeof(float));
	ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		const int rc = rt_fail(RT_ERR_IO, "%s: cannot write checkpoint: %s", path, strerror(errno));
		remove(tmp);
		free(tmp);
		return rc;
	}
	/* make the rename itself durable */
	char *dir = strdup(tmp);
	if (dir) {
		const int fd = open(dirname(dir), O_RDONLY);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		free(dir);
	}
	free(tmp);
	return RT_OK;
}

int rt_checkpoint_load(const char *path, float *params, size_t n_params, float *state, size_t n_state, long *epoch,
                       long *step, RtRng *rng)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return rt_fail(RT_ERR_IO, "%s: cannot open checkpoint: %s", path, strerror(errno));
	Header h;
	int rc = RT_OK;
	if (fread(&h, 1, sizeof h, f) != sizeof h || memcmp(h.magic, CKPT_MAGIC, 8) != 0)
		rc = rt_fail(RT_ERR_FORMAT, "%s: not an onnx2c checkpoint (bad magic)", path);
	else if (h.version != CKPT_VERSION || h.header_bytes != sizeof h)
		rc = rt_fail(RT_ERR_FORMAT, "%s: checkpoint version %u is not %u", path, h.version, CKPT_VERSION);
	else if (h.header_crc != header_crc(&h))
		rc = rt_fail(RT_ERR_FORMAT, "%s: checkpoint header is corrupt (checksum)", path);
	else if (h.n_params != n_params || h.n_state != n_state)
		rc = rt_fail(RT_ERR_MISMATCH,
		             "%s: checkpoint holds %llu parameters and %llu optimizer values; the model has %zu and %zu", path,
		             (unsigned long long)h.n_params, (unsigned long long)h.n_state, n_params, n_state);
	float *buf = NULL;
	const size_t total = n_params + n_state;
	if (!rc && !(buf = malloc((total ? total : 1) * sizeof *buf)))
		rc = rt_fail(RT_ERR_NOMEM, "%s: out of memory", path);
	/* read into a scratch buffer first: a corrupt file must leave the caller's state untouched */
	if (!rc && fread(buf, sizeof *buf, total, f) != total)
		rc = rt_fail(RT_ERR_FORMAT, "%s: checkpoint is truncated", path);
	if (!rc && fgetc(f) != EOF)
		rc = rt_fail(RT_ERR_FORMAT, "%s: checkpoint has trailing bytes", path);
	if (!rc && crc_floats((uint32_t)crc32(0, NULL, 0), buf, total) != h.payload_crc)
		rc = rt_fail(RT_ERR_FORMAT, "%s: checkpoint data is corrupt (checksum)", path);
	fclose(f);
	if (!rc) {
		memcpy(params, buf, n_params * sizeof *buf);
		if (n_state)
			memcpy(state, buf + n_params, n_state * sizeof *buf);
		*epoch = (long)h.epoch;
		*step = (long)h.step;
		memcpy(rng->s, h.rng, sizeof rng->s);
	}
	free(buf);
	return rc;
}
