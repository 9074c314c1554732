/*
 * data.c - datasets: ImageFolder (root/<class>/<image>, torchvision's order)
 * and IDX files (the MNIST / Fashion-MNIST format, plain or gzip), image
 * preprocessing (decode with stb_image, bilinear resize, crop, flip,
 * mean/std normalisation to CHW float), and the held-out split.
 *
 * Every failure returns a status with a message naming the file; a corrupt
 * image or a label out of range must stop the run with a clear message, not
 * train on garbage.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "onnx2c_rt.h"

/* stb_image's implementation is compiled in stb_image_impl.c; only its declarations here. */
#include <stb/stb_image.h>

void rt_dataset_free(RtDataset *d)
{
	for (int i = 0; d->classes && i < d->nclasses; i++)
		free(d->classes[i]);
	for (int i = 0; d->paths && i < d->n; i++)
		free(d->paths[i]);
	free(d->classes);
	free(d->paths);
	free(d->labels);
	free(d->pixels);
	memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------ ImageFolder */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_image(const char *name)
{
	static const char *const ext[] = {".png", ".jpg", ".jpeg", ".bmp"};
	const char *dot = strrchr(name, '.');
	if (!dot)
		return 0;
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		const char *e = ext[i], *s = dot;
		while (*e && *s && tolower((unsigned char)*s) == *e)
			e++, s++;
		if (!*e && !*s)
			return 1;
	}
	return 0;
}

/* Sorted names in dir that are directories (want_dir) or image files; *out is malloc'd. */
static int list_dir(const char *dir, int want_dir, char ***out, int *count)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return rt_fail(RT_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
	char **names = NULL;
	int n = 0, cap = 0;
	const struct dirent *e;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.') /* ".", "..", hidden files (torchvision skips none, but these are never data) */
			continue;
		const size_t len = strlen(dir) + strlen(e->d_name) + 2;
		char *path = malloc(len);
		if (!path)
			break;
		snprintf(path, len, "%s/%s", dir, e->d_name);
		struct stat st;
		const int ok = stat(path, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode) && is_image(e->d_name));
		if (!ok) {
			free(path);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			char **grown = realloc(names, (size_t)cap * sizeof *names);
			if (!grown) {
				free(path);
				break;
			}
			names = grown;
		}
		if (want_dir) { /* classes keep their bare names */
			free(path);
			path = strdup(e->d_name);
		}
		names[n++] = path;
	}
	closedir(dp);
	if (n)
		qsort(names, (size_t)n, sizeof *names, cmp_str);
	*out = names;
	*count = n;
	return RT_OK;
}

int rt_imagefolder_open(RtDataset *d, const char *root)
{
	memset(d, 0, sizeof *d);
	int rc = list_dir(root, 1, &d->classes, &d->nclasses);
	if (rc)
		return rc;
	if (!d->nclasses) {
		rt_dataset_free(d);
		return rt_fail(RT_ERR_EMPTY, "%s: no class folders (expected root/<class>/<image>)", root);
	}
	int cap = 0;
	for (int c = 0; c < d->nclasses; c++) {
		const size_t len = strlen(root) + strlen(d->classes[c]) + 2;
		char *dir = malloc(len), **files = NULL;
		int nf = 0;
		snprintf(dir, len, "%s/%s", root, d->classes[c]);
		rc = list_dir(dir, 0, &files, &nf);
		if (!rc && !nf)
			rc = rt_fail(RT_ERR_EMPTY, "%s: class '%s' has no .png/.jpg/.jpeg/.bmp image", dir, d->classes[c]);
		free(dir);
		if (!rc && d->n + nf > cap) {
			cap = (d->n + nf) * 2;
			char **p = realloc(d->paths, (size_t)cap * sizeof *p);
			int *l = realloc(d->labels, (size_t)cap * sizeof *l);
			if (p)
				d->paths = p;
			if (l)
				d->labels = l;
			if (!p || !l)
				rc = rt_fail(RT_ERR_NOMEM, "%s: out of memory listing images", root);
		}
		if (rc) {
			for (int i = 0; i < nf; i++)
				free(files[i]);
			free(files);
			rt_dataset_free(d);
			return rc;
		}
		for (int i = 0; i < nf; i++) {
			d->paths[d->n] = files[i];
			d->labels[d->n++] = c;
		}
		free(files);
	}
	return RT_OK;
}

/* ------------------------------------------------------------------- IDX */

/* Reads a whole IDX file (gzread passes plain files through) and checks its header:
 * magic 0,0,0x08 (u8), ndim; ndim big-endian u32 sizes; then the bytes.  The buffer grows
 * with the data actually read, so a header that claims more than the file holds is
 * "truncated", not a huge allocation. */
static int idx_read(const char *path, int ndim, int *dims, unsigned char **data)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return rt_fail(RT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	unsigned char hdr[4 + 4 * 3];
	const int hlen = 4 + 4 * ndim;
	if (gzread(f, hdr, (unsigned)hlen) != hlen || hdr[0] || hdr[1] || hdr[2] != 0x08 || hdr[3] != ndim) {
		gzclose(f);
		return rt_fail(RT_ERR_FORMAT, "%s: not an IDX file of unsigned bytes with %d dimensions", path, ndim);
	}
	size_t total = 1;
	for (int i = 0; i < ndim; i++) {
		const unsigned char *p = hdr + 4 + 4 * i;
		dims[i] = (int)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
		if (dims[i] <= 0 || dims[i] > (1 << 28) || total > SIZE_MAX / 2 / (size_t)dims[i]) {
			gzclose(f);
			return rt_fail(RT_ERR_FORMAT, "%s: bad IDX dimension %d (or too many bytes in all)", path, dims[i]);
		}
		total *= (size_t)dims[i];
	}
	unsigned char *buf = NULL;
	size_t got = 0, cap = 0;
	while (got < total) {
		if (got == cap) {
			cap = cap ? (cap > total / 2 ? total : 2 * cap) : (total < (1u << 20) ? total : (1u << 20));
			unsigned char *grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				gzclose(f);
				return rt_fail(RT_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, cap);
			}
			buf = grown;
		}
		const size_t want = cap - got > (1u << 30) ? (1u << 30) : cap - got;
		const int r = gzread(f, buf + got, (unsigned)want);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	gzclose(f);
	if (got != total) {
		free(buf);
		return rt_fail(RT_ERR_FORMAT, "%s: truncated (%zu of %zu data bytes)", path, got, total);
	}
	*data = buf;
	return RT_OK;
}

int rt_idx_open(RtDataset *d, const char *images_path, const char *labels_path, int nclasses)
{
	memset(d, 0, sizeof *d);
	int dims[3] = {0}, ldim[1] = {0}; /* gcc -O3 cannot see that idx_read sets them when it succeeds */
	unsigned char *labels = NULL;
	int rc = idx_read(images_path, 3, dims, &d->pixels);
	if (!rc)
		rc = idx_read(labels_path, 1, ldim, &labels);
	if (!rc && ldim[0] != dims[0])
		rc = rt_fail(RT_ERR_FORMAT, "%s: %d labels for %d images in %s", labels_path, ldim[0], dims[0], images_path);
	if (!rc && !(d->labels = malloc((size_t)dims[0] * sizeof *d->labels)))
		rc = rt_fail(RT_ERR_NOMEM, "%s: out of memory", labels_path);
	int maxl = 0;
	for (int i = 0; !rc && i < dims[0]; i++) {
		if (nclasses > 0 && labels[i] >= nclasses)
			rc = rt_fail(RT_ERR_LABEL, "%s: label %d of sample %d is outside [0, %d)", labels_path, labels[i], i,
			             nclasses);
		else
			d->labels[i] = labels[i];
		maxl = labels[i] > maxl ? labels[i] : maxl;
	}
	free(labels);
	if (rc) {
		rt_dataset_free(d);
		return rc;
	}
	d->n = dims[0];
	d->rows = dims[1];
	d->cols = dims[2];
	d->nclasses = nclasses > 0 ? nclasses : maxl + 1;
	return RT_OK;
}

int rt_dataset_filter(RtDataset *d, int lo, int hi)
{
	if (lo < 0 || hi < lo || hi >= d->nclasses)
		return rt_fail(RT_ERR_ARG, "class range [%d, %d] is not within the dataset's %d classes", lo, hi, d->nclasses);
	const size_t img = (size_t)d->rows * d->cols;
	int k = 0;
	for (int i = 0; i < d->n; i++) {
		if (d->labels[i] < lo || d->labels[i] > hi) {
			if (d->paths)
				free(d->paths[i]);
			continue;
		}
		if (d->paths)
			d->paths[k] = d->paths[i];
		if (d->pixels)
			memmove(d->pixels + (size_t)k * img, d->pixels + (size_t)i * img, img);
		d->labels[k++] = d->labels[i] - lo;
	}
	if (d->classes) {
		for (int c = 0; c < d->nclasses; c++)
			if (c < lo || c > hi)
				free(d->classes[c]);
		memmove(d->classes, d->classes + lo, (size_t)(hi - lo + 1) * sizeof *d->classes);
	}
	d->n = k;
	d->nclasses = hi - lo + 1;
	return k ? RT_OK : rt_fail(RT_ERR_EMPTY, "no sample has a label in [%d, %d]", lo, hi);
}

/* ------------------------------------------------------------- transforms */

/* Bilinear sample of channel c of src[h,w,ch] (interleaved u8) at output (oy, ox) of a (oh, ow)
 * resize: half-pixel centres, edge clamped, as align_corners=False without antialias. */
static float bilinear(const unsigned char *src, int h, int w, int ch, int c, int oh, int ow, int oy, int ox)
{
	const float sy = ((float)oy + 0.5f) * (float)h / (float)oh - 0.5f;
	const float sx = ((float)ox + 0.5f) * (float)w / (float)ow - 0.5f;
	const float fy = sy < 0.0f ? 0.0f : sy, fx = sx < 0.0f ? 0.0f : sx;
	int y0 = (int)fy, x0 = (int)fx;
	if (y0 > h - 1)
		y0 = h - 1;
	if (x0 > w - 1)
		x0 = w - 1;
	const int y1 = y0 + 1 < h ? y0 + 1 : h - 1, x1 = x0 + 1 < w ? x0 + 1 : w - 1;
	const float ay = fy - (float)y0, ax = fx - (float)x0;
#define PX(y, x) ((float)src[((size_t)(y) * w + (x)) * ch + c])
	const float top = PX(y0, x0) + (PX(y0, x1) - PX(y0, x0)) * ax;
	const float bot = PX(y1, x0) + (PX(y1, x1) - PX(y1, x0)) * ax;
#undef PX
	return top + (bot - top) * ay;
}

/* torchvision's RandomResizedCrop.get_params: the region (y0, x0, rh, rw) of an h x w image. */
static void resized_crop_region(int h, int w, float scale_min, RtRng *rng, int *y0, int *x0, int *rh, int *rw)
{
	const double area = (double)h * w, lr0 = log(3.0 / 4.0), lr1 = log(4.0 / 3.0);
	for (int k = 0; k < 10; k++) {
		const double target = area * (scale_min + (1.0 - scale_min) * rt_rng_float(rng));
		const double ratio = exp(lr0 + (lr1 - lr0) * rt_rng_float(rng));
		const int cw = (int)lround(sqrt(target * ratio)), ch = (int)lround(sqrt(target / ratio));
		if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
			*y0 = (int)rt_rng_below(rng, (uint32_t)(h - ch + 1));
			*x0 = (int)rt_rng_below(rng, (uint32_t)(w - cw + 1));
			*rh = ch, *rw = cw;
			return;
		}
	}
	const double in_ratio = (double)w / h; /* the fallback: the centre, the ratio clamped */
	*rw = w, *rh = h;
	if (in_ratio < 3.0 / 4.0)
		*rh = (int)lround(w / (3.0 / 4.0));
	else if (in_ratio > 4.0 / 3.0)
		*rw = (int)lround(h * (4.0 / 3.0));
	*y0 = (h - *rh) / 2, *x0 = (w - *rw) / 2;
}

/* RandomResizedCrop and flip: region (y0, x0, rh, rw) of img resized to crop_h x crop_w, normalised. */
static void resized_crop(const unsigned char *img, int h, int w, const RtTransform *t, RtRng *rng, float *out)
{
	int y0, x0, rh, rw;
	resized_crop_region(h, w, t->scale_min > 0 ? t->scale_min : 0.08f, rng, &y0, &x0, &rh, &rw);
	const int flip = t->random_flip && (rt_rng_next(rng) >> 63);
	const unsigned char *base = img + ((size_t)y0 * w + x0) * t->channels;
	for (int c = 0; c < t->channels; c++) {
		const float scale = 1.0f / (255.0f * t->std[c]), shift = t->mean[c] / t->std[c];
		for (int y = 0; y < t->crop_h; y++)
			for (int x = 0; x < t->crop_w; x++) {
				/* the region as an rh x rw image with row stride w: bilinear with its own edges */
				const int sx = flip ? t->crop_w - 1 - x : x;
				const float sy_ = ((float)y + 0.5f) * (float)rh / (float)t->crop_h - 0.5f;
				const float sx_ = ((float)sx + 0.5f) * (float)rw / (float)t->crop_w - 0.5f;
				const float fy = sy_ < 0.0f ? 0.0f : sy_, fx = sx_ < 0.0f ? 0.0f : sx_;
				int ya = (int)fy, xa = (int)fx;
				ya = ya > rh - 1 ? rh - 1 : ya;
				xa = xa > rw - 1 ? rw - 1 : xa;
				const int yb = ya + 1 < rh ? ya + 1 : rh - 1, xb = xa + 1 < rw ? xa + 1 : rw - 1;
				const float ay = fy - (float)ya, ax = fx - (float)xa;
#define PX(yy, xx) ((float)base[((size_t)(yy) * w + (xx)) * t->channels + c])
				const float top = PX(ya, xa) + (PX(ya, xb) - PX(ya, xa)) * ax;
				const float bot = PX(yb, xa) + (PX(yb, xb) - PX(yb, xa)) * ax;
#undef PX
				out[((size_t)c * t->crop_h + y) * t->crop_w + x] = (top + (bot - top) * ay) * scale - shift;
			}
	}
}

/* Resizes (or not), crops, flips and normalises img[h,w,ch] into out[ch, crop_h, crop_w]. */
static int transform(const unsigned char *img, int h, int w, const RtTransform *t, RtRng *rng, float *out,
                     const char *what)
{
	if (t->random_resized_crop && rng) {
		resized_crop(img, h, w, t, rng, out);
		return RT_OK;
	}
	int rh = h, rw = w;
	if (t->resize > 0) { /* shorter side to `resize`, aspect kept (torchvision Resize(int)) */
		if (h <= w) {
			rh = t->resize;
			rw = (int)((long long)t->resize * w / h);
		} else {
			rw = t->resize;
			rh = (int)((long long)t->resize * h / w);
		}
	}
	if (t->crop_h > rh || t->crop_w > rw)
		return rt_fail(RT_ERR_ARG, "%s: %dx%d image (after resize) is smaller than the %dx%d crop", what, rw, rh,
		               t->crop_w, t->crop_h);
	int y0, x0;
	if (t->random_crop && rng) {
		y0 = (int)rt_rng_below(rng, (uint32_t)(rh - t->crop_h + 1));
		x0 = (int)rt_rng_below(rng, (uint32_t)(rw - t->crop_w + 1));
	} else { /* torchvision CenterCrop: Python's round(), halves to even, which rint does */
		y0 = (int)rint((rh - t->crop_h) / 2.0);
		x0 = (int)rint((rw - t->crop_w) / 2.0);
	}
	const int flip = t->random_flip && rng && (rt_rng_next(rng) >> 63);
	for (int c = 0; c < t->channels; c++) {
		const float scale = 1.0f / (255.0f * t->std[c]), shift = t->mean[c] / t->std[c];
		for (int y = 0; y < t->crop_h; y++)
			for (int x = 0; x < t->crop_w; x++) {
				const int sx = flip ? t->crop_w - 1 - x : x;
				const float v = (rh == h && rw == w) ? (float)img[((size_t)(y0 + y) * w + x0 + sx) * t->channels + c]
				                                     : bilinear(img, h, w, t->channels, c, rh, rw, y0 + y, x0 + sx);
				out[((size_t)c * t->crop_h + y) * t->crop_w + x] = v * scale - shift;
			}
	}
	return RT_OK;
}

/* ---------------------------------------------------------- image decoding */

/* Debian's stb_image (2.27) trusts header fields it should not, so the header is checked
 * here before stb sees the bytes (tests/fuzz/fuzz_image.c found both):
 *   - width x height (PNG IHDR, JPEG SOFn, BMP info header) is at most RT_MAX_IMAGE_PIXELS,
 *     so a small file cannot make stb allocate gigabytes;
 *   - every JPEG Huffman table (DHT segment, also between progressive scans) holds at most
 *     256 codes: stb 2.27 writes past its 257-entry size list otherwise (fixed in stb 2.28);
 *   - an uncompressed BMP holds the rows its header promises (stb would decode a 130-byte file
 *     claiming 8 million x 6 pixels, reading zeros past its end). */
#ifndef RT_MAX_IMAGE_PIXELS /* (the fuzz build sets a smaller one) */
#define RT_MAX_IMAGE_PIXELS ((uint64_t)1 << 26) /* 8192 x 8192 */
#endif
#define RT_MAX_IMAGE_FILE ((size_t)1 << 30)

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const unsigned char *p) { return be16(p) << 16 | be16(p + 2); }
static uint32_t le32(const unsigned char *p) { return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]; }

static const char *check_size(uint64_t w, uint64_t h)
{
	return w * h > RT_MAX_IMAGE_PIXELS ? "larger than 8192x8192 pixels" : NULL;
}

/* b[i] is the byte after the SOI marker. */
static const char *check_jpeg(const unsigned char *b, size_t n, size_t i)
{
	while (i + 4 <= n) {
		if (b[i] != 0xff) { /* entropy-coded data: skip to the next marker */
			i++;
			continue;
		}
		const unsigned m = b[i + 1];
		if (m == 0xff || m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd8)) { /* fill, stuffing, no length */
			i += m == 0xff ? 1 : 2;
			continue;
		}
		if (m == 0xd9)
			break;
		const size_t len = be16(b + i + 2), end = i + 2 + len < n ? i + 2 + len : n;
		if (len < 2)
			return "corrupt JPEG segment";
		if (m == 0xc4) { /* DHT: tables of 1 + 16 counts + values, read as stb reads them (0 past the end) */
			size_t p = i + 4;
			for (long left = (long)len - 2; left > 0;) {
				unsigned codes = 0;
				for (size_t k = p + 1; k < p + 17; k++)
					codes += k < n ? b[k] : 0;
				if (codes > 256)
					return "corrupt JPEG Huffman table";
				p += 17 + codes;
				left -= 17 + (long)codes;
			}
		} else if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc && end >= i + 9) { /* SOFn */
			const char *bad = check_size(be16(b + i + 7), be16(b + i + 5));
			if (bad)
				return bad;
		}
		i += 2 + len;
	}
	return NULL;
}

static const char *image_precheck(const unsigned char *b, size_t n)
{
	static const unsigned char png[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a };
	if (n >= 24 && !memcmp(b, png, 8) && !memcmp(b + 12, "IHDR", 4))
		return check_size(be32(b + 16), be32(b + 20));
	/* stb tries JPEG first, on anything that starts with 0xFF..., 0xD8 (fill bytes allowed) */
	size_t i = 0;
	while (i < n && b[i] == 0xff)
		i++;
	if (i > 0 && i < n && b[i] == 0xd8)
		return check_jpeg(b, n, i + 1);
	if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
		if (le32(b + 14) == 12) /* OS/2 core header: 16-bit sizes */
			return check_size((uint32_t)b[18] | (uint32_t)b[19] << 8, (uint32_t)b[20] | (uint32_t)b[21] << 8);
		const int32_t w = (int32_t)le32(b + 18), h = (int32_t)le32(b + 22); /* h < 0: top-down rows */
		const uint64_t aw = w < 0 ? (uint64_t)-(int64_t)w : (uint64_t)w, ah = h < 0 ? (uint64_t)-(int64_t)h : (uint64_t)h;
		const char *bad = check_size(aw, ah);
		if (bad || n < 34)
			return bad;
		const unsigned bpp = (unsigned)b[28] | (unsigned)b[29] << 8;
		if (le32(b + 30) == 0 && bpp >= 1 && bpp <= 32) { /* BI_RGB: rows of whole 32-bit words */
			const uint64_t need = le32(b + 10) + (aw * bpp + 31) / 32 * 4 * ah;
			if (n < need)
				return "truncated BMP (fewer bytes than its rows need)";
		}
	}
	return NULL; /* not one of ours: stb says so */
}

/* Decodes an image file to interleaved u8 with `channels` channels (malloc'd; free with stbi_image_free). */
static int load_image(const char *path, int channels, unsigned char **img, int *w, int *h)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return rt_fail(RT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			if (cap >= RT_MAX_IMAGE_FILE) {
				free(buf);
				fclose(f);
				return rt_fail(RT_ERR_IMAGE, "%s: image file larger than 1 GiB", path);
			}
			cap = cap ? 2 * cap : 65536;
			unsigned char *grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				fclose(f);
				return rt_fail(RT_ERR_NOMEM, "%s: out of memory reading the image", path);
			}
			buf = grown;
		}
		const size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (!got)
			break;
	}
	const int err = ferror(f);
	fclose(f);
	const char *bad = err ? "read error" : image_precheck(buf, n);
	int got;
	*img = bad ? NULL : stbi_load_from_memory(buf, (int)n, w, h, &got, channels);
	free(buf);
	if (bad)
		return rt_fail(err ? RT_ERR_IO : RT_ERR_IMAGE, "%s: cannot decode image: %s", path, bad);
	if (!*img)
		return rt_fail(RT_ERR_IMAGE, "%s: cannot decode image: %s", path, stbi_failure_reason());
	if (*w < 1 || *h < 1) { /* stb returns a BMP of height 0 (fuzz_image found it; resize divides by it) */
		stbi_image_free(*img);
		return rt_fail(RT_ERR_IMAGE, "%s: cannot decode image: it has no pixels (%dx%d)", path, *w, *h);
	}
	return RT_OK;
}

int rt_dataset_load(const RtDataset *d, int i, const RtTransform *t, RtRng *rng, float *out, int *label)
{
	if (i < 0 || i >= d->n)
		return rt_fail(RT_ERR_ARG, "sample %d is outside [0, %d)", i, d->n);
	if (t->channels != 1 && t->channels != 3)
		return rt_fail(RT_ERR_ARG, "transform: %d channels (1 or 3 supported)", t->channels);
	if (d->labels[i] < 0 || d->labels[i] >= d->nclasses)
		return rt_fail(RT_ERR_LABEL, "sample %d: label %d is outside [0, %d)", i, d->labels[i], d->nclasses);
	*label = d->labels[i];
	if (d->pixels) {
		if (t->channels != 1)
			return rt_fail(RT_ERR_ARG, "IDX images are grey: use a 1-channel transform");
		char what[32];
		snprintf(what, sizeof what, "IDX sample %d", i);
		return transform(d->pixels + (size_t)i * d->rows * d->cols, d->rows, d->cols, t, rng, out, what);
	}
	int w = 0, h = 0;
	unsigned char *img = NULL;
	const int lrc = load_image(d->paths[i], t->channels, &img, &w, &h);
	if (lrc)
		return lrc;
	const int rc = transform(img, h, w, t, rng, out, d->paths[i]);
	stbi_image_free(img);
	return rc;
}

int rt_split(int n, double val_fraction, uint64_t seed, int *train_idx, int *ntrain, int *val_idx, int *nval)
{
	if (n <= 0 || val_fraction < 0.0 || val_fraction >= 1.0)
		return rt_fail(RT_ERR_ARG, "split: %d samples, validation fraction %g (want [0, 1))", n, val_fraction);
	int *perm = malloc((size_t)n * sizeof *perm);
	if (!perm)
		return rt_fail(RT_ERR_NOMEM, "split: out of memory");
	for (int i = 0; i < n; i++)
		perm[i] = i;
	RtRng r;
	rt_rng_seed(&r, seed);
	rt_shuffle(perm, n, &r);
	const int nv = (int)lround(n * val_fraction);
	*ntrain = n - nv;
	*nval = nv;
	memcpy(train_idx, perm, (size_t)(n - nv) * sizeof *perm);
	memcpy(val_idx, perm + n - nv, (size_t)nv * sizeof *perm);
	free(perm);
	return (n - nv) ? RT_OK : rt_fail(RT_ERR_EMPTY, "split: no training sample left");
}
