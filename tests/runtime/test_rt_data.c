/*
 * test_rt_data.c - data loading: an ImageFolder written here with
 * stb_image_write (classes and files sorted, labels, exact normalised pixels,
 * centre crop, resize, seeded crop/flip), IDX files plain and gzip, the real
 * Fashion-MNIST when Debian's dataset-fashion-mnist is installed, the seeded
 * shuffle and held-out split, and the bad inputs: missing folder, no class,
 * empty class, corrupt image, label out of range, truncated IDX, and what is
 * refused before stb_image or the IDX reader allocates (test_image_guards).
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "rt_test.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wshadow"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

static char root[512];

static void path_of(char *out, size_t n, const char *rel) { snprintf(out, n, "%s/%s", root, rel); }

static void mkdir_rel(const char *rel)
{
	char p[600];
	path_of(p, sizeof p, rel);
	mkdir(p, 0755);
}

/* A w x h RGB image whose pixel (x, y) channel c is (x*16 + y*4 + c*60 + seed) & 255. */
static int write_png(const char *rel, int w, int h, int seed)
{
	unsigned char *px = malloc((size_t)w * h * 3);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++)
				px[(y * w + x) * 3 + c] = (unsigned char)((x * 16 + y * 4 + c * 60 + seed) & 255);
	char p[600];
	path_of(p, sizeof p, rel);
	const int ok = stbi_write_png(p, w, h, 3, px, w * 3) != 0;
	free(px);
	return ok ? 0 : 1;
}

static void write_file(const char *rel, const void *data, size_t n)
{
	char p[600];
	path_of(p, sizeof p, rel);
	FILE *f = fopen(p, "wb");
	fwrite(data, 1, n, f);
	fclose(f);
}

static int setup(void)
{
	const char *base = getenv("RT_TMP_DIR");
	if (base)
		mkdir(base, 0755);
	snprintf(root, sizeof root, "%s/rt_data_XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(root))
		return 1;
	/* good/: classes sorted "cat" < "dog" < "zebra" whatever the creation order, files too */
	mkdir_rel("good");
	mkdir_rel("good/zebra");
	mkdir_rel("good/cat");
	mkdir_rel("good/dog");
	int bad = write_png("good/zebra/0.png", 6, 4, 1);
	bad |= write_png("good/cat/b.png", 6, 4, 2);
	bad |= write_png("good/cat/a.PNG", 6, 4, 3); /* extension case-insensitive */
	bad |= write_png("good/dog/x.png", 12, 8, 4);
	write_file("good/dog/notes.txt", "not an image", 12); /* ignored */
	mkdir_rel("emptyclass");
	mkdir_rel("emptyclass/a");
	mkdir_rel("emptyclass/b");
	bad |= write_png("emptyclass/a/1.png", 4, 4, 0);
	mkdir_rel("noclass");
	mkdir_rel("corrupt");
	mkdir_rel("corrupt/a");
	bad |= write_png("corrupt/a/ok.png", 4, 4, 0);
	write_file("corrupt/a/zz_broken.png", "\x89PNG\r\n\x1a\n garbage garbage", 24);
	return bad;
}

static int teardown(void) { return 0; } /* left in the build dir for inspection */

static const RtTransform RGB_PLAIN = {3, 0, 4, 6, {0.5f, 0.25f, 0.0f}, {0.5f, 0.25f, 1.0f}, 0, 0, 0, 0.0f};

static void test_imagefolder(void)
{
	char p[600];
	path_of(p, sizeof p, "good");
	RtDataset d;
	CU_ASSERT_EQUAL_FATAL(rt_imagefolder_open(&d, p), RT_OK);
	CU_ASSERT_EQUAL(d.nclasses, 3);
	CU_ASSERT_EQUAL(d.n, 4);
	CU_ASSERT_STRING_EQUAL(d.classes[0], "cat");
	CU_ASSERT_STRING_EQUAL(d.classes[2], "zebra");
	CU_ASSERT(strstr(d.paths[0], "cat/a.PNG") != NULL); /* 'a' < 'b' */
	CU_ASSERT(strstr(d.paths[1], "cat/b.png") != NULL);
	CU_ASSERT_EQUAL(d.labels[0], 0);
	CU_ASSERT_EQUAL(d.labels[2], 1);
	CU_ASSERT_EQUAL(d.labels[3], 2);

	/* no resize, full-size crop: exactly (v/255 - mean)/std in CHW */
	float out[3 * 4 * 6];
	int label = -1;
	CU_ASSERT_EQUAL_FATAL(rt_dataset_load(&d, 3, &RGB_PLAIN, NULL, out, &label), RT_OK);
	CU_ASSERT_EQUAL(label, 2);
	int bad = 0;
	for (int c = 0; c < 3; c++)
		for (int y = 0; y < 4; y++)
			for (int x = 0; x < 6; x++) {
				const float v = (float)((x * 16 + y * 4 + c * 60 + 1) & 255);
				const float want = (v / 255.0f - RGB_PLAIN.mean[c]) / RGB_PLAIN.std[c];
				bad += fabsf(out[(c * 4 + y) * 6 + x] - want) > 1e-5f;
			}
	CU_ASSERT_EQUAL(bad, 0);

	/* centre crop 2x2 of the 6x4 image: offsets x 2, y 1 */
	RtTransform t = RGB_PLAIN;
	t.crop_h = t.crop_w = 2;
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 3, &t, NULL, out, &label), RT_OK);
	CU_ASSERT_DOUBLE_EQUAL(out[0], (((2 * 16 + 1 * 4 + 1) & 255) / 255.0 - 0.5) / 0.5, 1e-5);

	/* resize 12x8 -> shorter side 4 (6x4): bilinear at half-pixel centres of a ramp in x = the ramp's
	 * value at the sample point; output x maps to input 2x + 0.5, y to 2y + 0.5 */
	t = RGB_PLAIN;
	t.resize = 4;
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 2, &t, NULL, out, &label), RT_OK);
	bad = 0;
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 6; x++) {
			/* channel 0 = 16 sx + 4 sy + 4 (no wrap below 256 for this size) */
			const double v = 16.0 * (2 * x + 0.5) + 4.0 * (2 * y + 0.5) + 4;
			bad += fabs(out[y * 6 + x] - ((v / 255.0 - 0.5) / 0.5)) > 1e-4;
		}
	CU_ASSERT_EQUAL(bad, 0);

	/* a random flip is a mirror; the same seed gives the same draw */
	t = RGB_PLAIN;
	t.random_flip = 1;
	float a[72], b[72], plain[72];
	RtRng r;
	int flips = 0, mirrors = 0;
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 3, &RGB_PLAIN, NULL, plain, &label), RT_OK);
	rt_rng_seed(&r, 42);
	for (int k = 0; k < 16; k++) {
		CU_ASSERT_EQUAL(rt_dataset_load(&d, 3, &t, &r, a, &label), RT_OK);
		const int same = !memcmp(a, plain, sizeof a);
		int mirror = 1;
		for (int y = 0; y < 4; y++)
			for (int x = 0; x < 6; x++)
				mirror &= a[y * 6 + x] == plain[y * 6 + 5 - x];
		flips += !same;
		mirrors += !same && mirror;
	}
	CU_ASSERT(flips > 0 && flips < 16);
	CU_ASSERT_EQUAL(mirrors, flips);
	t.random_flip = 0;
	t.random_crop = 1;
	t.crop_h = t.crop_w = 3;
	RtRng r1, r2;
	rt_rng_seed(&r1, 7);
	rt_rng_seed(&r2, 7);
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, &r1, a, &label), RT_OK);
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, &r2, b, &label), RT_OK);
	CU_ASSERT(!memcmp(a, b, sizeof(float) * 27));

	/* crop bigger than the image: refused, naming the file */
	t = RGB_PLAIN;
	t.crop_h = 40;
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, NULL, out, &label), RT_ERR_ARG);
	CU_ASSERT(strstr(rt_error(), "a.PNG") != NULL);
	rt_dataset_free(&d);
}

static void test_imagefolder_errors(void)
{
	char p[600];
	RtDataset d;
	path_of(p, sizeof p, "does-not-exist");
	CU_ASSERT_EQUAL(rt_imagefolder_open(&d, p), RT_ERR_IO);
	CU_ASSERT(strstr(rt_error(), "does-not-exist") != NULL);
	path_of(p, sizeof p, "noclass");
	CU_ASSERT_EQUAL(rt_imagefolder_open(&d, p), RT_ERR_EMPTY);
	CU_ASSERT(strstr(rt_error(), "noclass") != NULL);
	path_of(p, sizeof p, "emptyclass");
	CU_ASSERT_EQUAL(rt_imagefolder_open(&d, p), RT_ERR_EMPTY);
	CU_ASSERT(strstr(rt_error(), "class 'b'") != NULL);
	path_of(p, sizeof p, "corrupt");
	CU_ASSERT_EQUAL_FATAL(rt_imagefolder_open(&d, p), RT_OK);
	float out[16];
	int label;
	RtTransform t = {1, 0, 4, 4, {0}, {1}, 0, 0, 0, 0.0f};
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, NULL, out, &label), RT_OK);
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 1, &t, NULL, out, &label), RT_ERR_IMAGE);
	CU_ASSERT(strstr(rt_error(), "zz_broken.png") != NULL);
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 2, &t, NULL, out, &label), RT_ERR_ARG); /* index out of range */
	d.labels[0] = 7; /* a label out of range is refused, not trained on */
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, NULL, out, &label), RT_ERR_LABEL);
	rt_dataset_free(&d);
}

/* ------------------------------------------------------------------- IDX */

static void write_idx(const char *rel, int gz, int ndim, const int *dims, const unsigned char *data, size_t n,
                      size_t cut)
{
	unsigned char hdr[16] = {0, 0, 8, (unsigned char)ndim};
	for (int i = 0; i < ndim; i++) {
		hdr[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
		hdr[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
		hdr[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
		hdr[7 + 4 * i] = (unsigned char)dims[i];
	}
	char p[600];
	path_of(p, sizeof p, rel);
	if (gz) {
		gzFile f = gzopen(p, "wb");
		gzwrite(f, hdr, (unsigned)(4 + 4 * ndim));
		gzwrite(f, data, (unsigned)(n - cut));
		gzclose(f);
	} else {
		FILE *f = fopen(p, "wb");
		fwrite(hdr, 1, (size_t)(4 + 4 * ndim), f);
		fwrite(data, 1, n - cut, f);
		fclose(f);
	}
}

static void test_idx(void)
{
	unsigned char img[5 * 3 * 2], lab[5] = {4, 0, 9, 2, 7};
	for (int i = 0; i < 30; i++)
		img[i] = (unsigned char)(i * 8);
	const int di[3] = {5, 3, 2}, dl[1] = {5};
	write_idx("img.idx", 0, 3, di, img, 30, 0);
	write_idx("lab.idx.gz", 1, 1, dl, lab, 5, 0);
	write_idx("short.idx", 0, 3, di, img, 30, 7);
	char pi[600], pl[600], ps[600];
	path_of(pi, sizeof pi, "img.idx");
	path_of(pl, sizeof pl, "lab.idx.gz");
	path_of(ps, sizeof ps, "short.idx");
	RtDataset d;
	CU_ASSERT_EQUAL_FATAL(rt_idx_open(&d, pi, pl, 10), RT_OK);
	CU_ASSERT(d.n == 5 && d.rows == 3 && d.cols == 2 && d.nclasses == 10);
	float out[6];
	int label;
	const RtTransform t = {1, 0, 3, 2, {0.0f}, {1.0f}, 0, 0, 0, 0.0f};
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 2, &t, NULL, out, &label), RT_OK);
	CU_ASSERT_EQUAL(label, 9);
	CU_ASSERT_DOUBLE_EQUAL(out[5], (2 * 6 + 5) * 8 / 255.0, 1e-6);
	/* keep classes 2..7, relabelled 0..5: samples 4->2, 2->0, 7->5 */
	CU_ASSERT_EQUAL(rt_dataset_filter(&d, 2, 7), RT_OK);
	CU_ASSERT(d.n == 3 && d.nclasses == 6 && d.labels[0] == 2 && d.labels[1] == 0 && d.labels[2] == 5);
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 1, &t, NULL, out, &label), RT_OK);
	CU_ASSERT_DOUBLE_EQUAL(out[0], 3 * 6 * 8 / 255.0, 1e-6); /* was sample 3 */
	rt_dataset_free(&d);

	CU_ASSERT_EQUAL(rt_idx_open(&d, pi, pl, 8), RT_ERR_LABEL); /* label 9 >= 8 */
	CU_ASSERT(strstr(rt_error(), "lab.idx.gz") && strstr(rt_error(), "label 9"));
	CU_ASSERT_EQUAL(rt_idx_open(&d, ps, pl, 10), RT_ERR_FORMAT);
	CU_ASSERT(strstr(rt_error(), "truncated") != NULL);
	CU_ASSERT_EQUAL(rt_idx_open(&d, pl, pl, 10), RT_ERR_FORMAT); /* labels file is not 3-D */
	path_of(ps, sizeof ps, "missing.idx");
	CU_ASSERT_EQUAL(rt_idx_open(&d, ps, pl, 10), RT_ERR_IO);
}

/* The checks before stb_image sees a file (data.c, image_precheck; found by tests/fuzz/fuzz_image.c):
 * valid JPEG and BMP still decode; a JPEG Huffman table of more than 256 codes (after fill bytes
 * before the SOI, which stb accepts), a PNG declaring 100000 x 100000 pixels, a truncated BMP and one
 * of height 0 are refused with a message; an IDX header declaring 2^84 bytes or more than its file holds is refused
 * without allocating it. */
static void test_image_guards(void)
{
	unsigned char px[8 * 6 * 3];
	for (size_t i = 0; i < sizeof px; i++)
		px[i] = (unsigned char)(i * 7);
	char p[600], pj[600], pb[600];
	path_of(pj, sizeof pj, "ok.jpg");
	path_of(pb, sizeof pb, "ok.bmp");
	CU_ASSERT_FATAL(stbi_write_jpg(pj, 8, 6, 3, px, 90) && stbi_write_bmp(pb, 8, 6, 3, px));
	char *paths[1];
	int labels[1] = { 0 };
	RtDataset d = { .n = 1, .nclasses = 1, .paths = paths, .labels = labels };
	const RtTransform t = { .channels = 3, .crop_h = 4, .crop_w = 4, .mean = { 0, 0, 0 }, .std = { 1, 1, 1 } };
	float out[3 * 4 * 4];
	int label;
	paths[0] = pj;
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, NULL, out, &label), RT_OK);
	paths[0] = pb;
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, NULL, out, &label), RT_OK);

	/* fill bytes, SOI, then a DHT segment whose 16 counts add up to 16 * 20 = 320 codes */
	unsigned char jpg[4 + 4 + 17 + 320] = { 0xff, 0xff, 0xff, 0xd8, 0xff, 0xc4, 0x01, 0x53, 0x00 };
	for (int k = 0; k < 16; k++)
		jpg[9 + k] = 20;
	write_file("dht.jpg", jpg, sizeof jpg);
	path_of(p, sizeof p, "dht.jpg");
	paths[0] = p;
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, NULL, out, &label), RT_ERR_IMAGE);
	CU_ASSERT(strstr(rt_error(), "dht.jpg") && strstr(rt_error(), "Huffman"));

	static const unsigned char png[33] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
		0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2 }; /* 100000 x 100000 RGB */
	write_file("huge.png", png, sizeof png);
	path_of(p, sizeof p, "huge.png");
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, NULL, out, &label), RT_ERR_IMAGE);
	CU_ASSERT(strstr(rt_error(), "larger than 8192x8192") != NULL);

	FILE *f = fopen(pb, "rb");
	unsigned char bmp[256];
	const size_t nb = fread(bmp, 1, sizeof bmp, f);
	fclose(f);
	write_file("short.bmp", bmp, nb - 10);
	path_of(p, sizeof p, "short.bmp");
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, NULL, out, &label), RT_ERR_IMAGE);
	CU_ASSERT(strstr(rt_error(), "truncated BMP") != NULL);

	/* height 0: stb decodes it, the transform would divide by it */
	bmp[22] = bmp[23] = bmp[24] = bmp[25] = 0;
	write_file("flat.bmp", bmp, nb);
	path_of(p, sizeof p, "flat.bmp");
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, NULL, out, &label), RT_ERR_IMAGE);
	CU_ASSERT(strstr(rt_error(), "no pixels") != NULL);

	const int huge[3] = { 1 << 28, 1 << 28, 1 << 28 }, big[3] = { 1000, 100, 100 }, dl[1] = { 1 };
	unsigned char lab[1] = { 0 }, img[16] = { 0 };
	write_idx("huge.idx", 0, 3, huge, img, sizeof img, 0);
	write_idx("big.idx", 1, 3, big, img, sizeof img, 0);
	write_idx("one.idx", 0, 1, dl, lab, 1, 0);
	char pl[600];
	path_of(pl, sizeof pl, "one.idx");
	RtDataset di;
	path_of(p, sizeof p, "huge.idx");
	CU_ASSERT_EQUAL(rt_idx_open(&di, p, pl, 0), RT_ERR_FORMAT);
	CU_ASSERT(strstr(rt_error(), "too many bytes") != NULL);
	path_of(p, sizeof p, "big.idx");
	CU_ASSERT_EQUAL(rt_idx_open(&di, p, pl, 0), RT_ERR_FORMAT);
	CU_ASSERT(strstr(rt_error(), "truncated (16 of 10000000 data bytes)") != NULL);
}

/* Debian's dataset-fashion-mnist, when installed: 10000 test images, 1000 of each class. */
static void test_fashion_mnist(void)
{
	const char *img = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
	const char *lab = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
	if (access(img, R_OK) != 0) {
		fprintf(stderr, "(dataset-fashion-mnist not installed: skipped) ");
		return;
	}
	RtDataset d;
	CU_ASSERT_EQUAL_FATAL(rt_idx_open(&d, img, lab, 10), RT_OK);
	CU_ASSERT(d.n == 10000 && d.rows == 28 && d.cols == 28);
	int count[10] = {0};
	for (int i = 0; i < d.n; i++)
		count[d.labels[i]]++;
	for (int c = 0; c < 10; c++)
		CU_ASSERT_EQUAL(count[c], 1000);
	CU_ASSERT_EQUAL(rt_dataset_filter(&d, 5, 9), RT_OK);
	CU_ASSERT_EQUAL(d.n, 5000);
	rt_dataset_free(&d);
}

/* ------------------------------------------------------- shuffle, split */

static void test_shuffle_split(void)
{
	enum { N = 1000 };
	int tr[N], va[N], nt, nv, seen[N] = {0};
	CU_ASSERT_EQUAL_FATAL(rt_split(N, 0.1, 5, tr, &nt, va, &nv), RT_OK);
	CU_ASSERT(nt == 900 && nv == 100);
	for (int i = 0; i < nt; i++)
		seen[tr[i]]++;
	for (int i = 0; i < nv; i++)
		seen[va[i]]++;
	int once = 0;
	for (int i = 0; i < N; i++)
		once += seen[i] == 1;
	CU_ASSERT_EQUAL(once, N); /* disjoint, and together all samples */
	int tr2[N], va2[N], nt2, nv2;
	rt_split(N, 0.1, 5, tr2, &nt2, va2, &nv2);
	CU_ASSERT(!memcmp(va, va2, sizeof(int) * 100)); /* same seed, same split */
	rt_split(N, 0.1, 6, tr2, &nt2, va2, &nv2);
	CU_ASSERT(memcmp(va, va2, sizeof(int) * 100) != 0);
	CU_ASSERT_EQUAL(rt_split(N, 1.0, 5, tr, &nt, va, &nv), RT_ERR_ARG);

	/* rt_rng_below is uniform: chi-square over 10 bins of 100000 draws stays below 27.9 (p = 0.001) */
	RtRng r;
	rt_rng_seed(&r, 99);
	long bins[10] = {0};
	for (int i = 0; i < 100000; i++)
		bins[rt_rng_below(&r, 10)]++;
	double chi = 0;
	for (int i = 0; i < 10; i++)
		chi += (bins[i] - 10000.0) * (bins[i] - 10000.0) / 10000.0;
	CU_ASSERT(chi < 27.9);
}

/* RandomResizedCrop (--augment) on a 40x30 grey ramp (value = 4 * column): every output row is
 * a resampling of one stretch of the ramp, so it is monotone, rising or (flipped) falling, within
 * the ramp's values; draws differ, both flips occur, the same seed gives the same crops, and
 * scale_min = 1 with a square image keeps the whole image (an area of 1 at any ratio but 1 does
 * not fit, so the 10 draws fail and the centre region at ratio 1 is taken). */
static void test_random_resized_crop(void)
{
	enum { H = 30, W = 40, O = 8 };
	unsigned char px[H * W];
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			px[y * W + x] = (unsigned char)(4 * x);
	int lab = 0;
	RtDataset d = {0};
	d.n = 1, d.nclasses = 1, d.labels = &lab, d.pixels = px, d.rows = H, d.cols = W;
	RtTransform t = {1, 0, O, O, {0.0f}, {1.0f / 255.0f}, 0, 1, 1, 0.08f}; /* outputs in pixel units */
	RtRng r, r2;
	rt_rng_seed(&r, 5);
	rt_rng_seed(&r2, 5);
	float a[O * O], b[O * O], prev[O * O];
	int label, rising = 0, falling = 0, differ = 0;
	for (int k = 0; k < 40; k++) {
		CU_ASSERT_EQUAL_FATAL(rt_dataset_load(&d, 0, &t, &r, a, &label), RT_OK);
		CU_ASSERT_EQUAL_FATAL(rt_dataset_load(&d, 0, &t, &r2, b, &label), RT_OK);
		CU_ASSERT(memcmp(a, b, sizeof a) == 0);
		int up = 1, down = 1;
		for (int y = 0; y < O; y++)
			for (int x = 0; x < O; x++) {
				const float v = a[y * O + x];
				CU_ASSERT(v >= -1e-3f && v <= 4.0f * (W - 1) + 1e-3f);
				CU_ASSERT(fabsf(v - a[x]) < 1e-3f); /* the ramp is the same on every row */
				if (x && v < a[y * O + x - 1] - 1e-3f)
					up = 0;
				if (x && v > a[y * O + x - 1] + 1e-3f)
					down = 0;
			}
		CU_ASSERT(up || down);
		rising += up && !down, falling += down && !up;
		differ += k && memcmp(a, prev, sizeof a) != 0;
		memcpy(prev, a, sizeof a);
	}
	CU_ASSERT(rising > 5 && falling > 5);
	CU_ASSERT(differ > 30);
	/* scale_min 1 on a square image: the whole image, resized (a 16x16 ramp to 8x8 averages pairs) */
	unsigned char sq[16 * 16];
	for (int i = 0; i < 256; i++)
		sq[i] = (unsigned char)(10 * (i % 16));
	d.pixels = sq, d.rows = d.cols = 16;
	t.random_flip = 0, t.scale_min = 1.0f;
	CU_ASSERT_EQUAL(rt_dataset_load(&d, 0, &t, &r, a, &label), RT_OK);
	for (int x = 0; x < O; x++)
		CU_ASSERT_DOUBLE_EQUAL(a[3 * O + x], 10.0 * (2 * x + 0.5), 1e-3);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("runtime data", setup, teardown);
	CU_add_test(s, "ImageFolder order, pixels, crop, resize, flip", test_imagefolder);
	CU_add_test(s, "ImageFolder bad inputs", test_imagefolder_errors);
	CU_add_test(s, "IDX plain/gzip, filter, bad inputs", test_idx);
	CU_add_test(s, "image and IDX checks before decoding", test_image_guards);
	CU_add_test(s, "Fashion-MNIST (Debian package)", test_fashion_mnist);
	CU_add_test(s, "shuffle and held-out split", test_shuffle_split);
	CU_add_test(s, "random resized crop and flip", test_random_resized_crop);
	return rt_test_run();
}
