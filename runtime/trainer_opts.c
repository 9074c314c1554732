/*
 * trainer_opts.c - the command line of the trainer behind `onnx2c --train-head
 * --train-main` (runtime/trainer.c): its usage text, and parsing and
 * checking the options into an Opts.  Prints to stderr (usage errors) and to
 * stdout (--help); never exits.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer_opts.h"

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
"usage: %s --data DIR|IMAGES.idx [options]\n"
"Fine-tunes the classifier head of this model on a frozen trunk.\n"
"\n"
"data:\n"
"  --data DIR|IDX        training data: a folder of class folders (ImageFolder) or an IDX\n"
"                        images file (its labels file is found by name, or --labels)\n"
"  --labels IDX          labels of an IDX --data\n"
"  --val DIR|IDX         validation data (--val-labels IDX for IDX)\n"
"  --val-split F         or hold out a fraction F of --data for validation (seeded)\n"
"  --classes LO:HI       IDX: keep labels LO..HI, relabelled 0..HI-LO\n"
"  --limit N             use only the first N training samples (after --classes)\n"
"  --resize S            resize the shorter image side to S (then centre crop to the model's input)\n"
"  --mean M[,M,M] --std S[,S,S]  normalisation of x/255 (default 0 and 1)\n"
"  --augment             torchvision's RandomResizedCrop (area --augment-scale..1, ratio 3/4..4/3)\n"
"                        and RandomHorizontalFlip, new each epoch (the trunk then runs every step)\n"
"  --augment-scale S (0.08)  the smallest crop area, a fraction of the image\n"
"training:\n"
"  --epochs N (10)  --batch B (64)  --lr LR (0.01)  --optim sgd|adamw (sgd)\n"
"  --momentum M (0.9)  --nesterov  --wd W (0)  --label-smoothing E (0)\n"
"  --block-lr-scale S (0.1)  models compiled with --unfreeze: the block's rate is S x the head's\n"
"  --bn-train            models compiled with --unfreeze: the block's BatchNorms normalise with the\n"
"                        batch's statistics and update their running ones (PyTorch's model.train());\n"
"                        by default they keep the model's (model.eval(): better for small data)\n"
"  --bn-momentum M (0.1) the running statistics' update with --bn-train (PyTorch's momentum)\n"
"  --schedule const|step:S:G|cosine|warmup-cosine:W   per-epoch learning rate (const)\n"
"  --seed N (0)          head initialisation, shuffling, split and augmentation\n"
"  --no-shuffle          keep the data order\n"
"output:\n"
"  --checkpoint FILE     save after each epoch (atomically); --resume continues from it\n"
"  --log FILE.csv  --plot FILE.svg  --export OUT.onnx (--onnx MODEL.onnx: the original model)\n"
"  --deploy-weights FILE  after training, replace FILE, the weights file of a program compiled\n"
"                        from an earlier export (onnx2c EXPORT.onnx -o m.c --weights FILE), with\n"
"                        this model's weights: redeploy with no onnx2c or C compiler run\n"
"  --dump DIR            write features, the initial head, the first step and the final head\n"
"                        as raw float32/int32 files (for the tests)\n",
	        prog);
}

static int bad_arg(const char *opt, const char *v, const char *want)
{
	fprintf(stderr, "trainer: %s: '%s' is not %s (see --help)\n", opt, v, want);
	return 2;
}

static int parse_floats(const char *s, float *out)
{
	int n = 0;
	char *end;
	for (;;) {
		double v = strtod(s, &end);
		if (end == s || n == 3)
			return -1;
		out[n++] = (float)v;
		if (!*end)
			break;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
	for (int i = n; i < 3; i++)
		out[i] = out[n - 1];
	return n;
}

int rt_trainer_parse_opts(Opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	o->epochs = 10;
	o->batch = 64;
	o->lr = 0.01;
	o->momentum = 0.9;
	o->block_lr = 0.1;
	o->bn_momentum = 0.1;
	o->augment_scale = 0.08;
	o->optim = "sgd";
	o->schedule = "const";
	o->std[0] = o->std[1] = o->std[2] = 1.0f;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout, argv[0]);
			return 1;
		} else if (!strcmp(a, "--nesterov")) {
			o->nesterov = 1;
		} else if (!strcmp(a, "--augment")) {
			o->augment = 1;
		} else if (!strcmp(a, "--resume")) {
			o->resume = 1;
		} else if (!strcmp(a, "--bn-train")) {
			o->bn_train = 1;
		} else if (!strcmp(a, "--no-shuffle")) {
			o->no_shuffle = 1;
		} else if (!v || strncmp(a, "--", 2)) {
			fprintf(stderr, "trainer: unknown or incomplete option '%s' (see --help)\n", a);
			return 2;
		} else {
			i++;
			errno = 0;
			if (!strcmp(a, "--data"))
				o->data = v;
			else if (!strcmp(a, "--labels"))
				o->labels = v;
			else if (!strcmp(a, "--val"))
				o->val = v;
			else if (!strcmp(a, "--val-labels"))
				o->val_labels = v;
			else if (!strcmp(a, "--optim"))
				o->optim = v;
			else if (!strcmp(a, "--schedule"))
				o->schedule = v;
			else if (!strcmp(a, "--checkpoint"))
				o->checkpoint = v;
			else if (!strcmp(a, "--log"))
				o->log = v;
			else if (!strcmp(a, "--plot"))
				o->plot = v;
			else if (!strcmp(a, "--export"))
				o->export_path = v;
			else if (!strcmp(a, "--deploy-weights"))
				o->deploy = v;
			else if (!strcmp(a, "--onnx"))
				o->onnx = v;
			else if (!strcmp(a, "--dump"))
				o->dump = v;
			else if (!strcmp(a, "--classes")) {
				if (sscanf(v, "%d:%d", &o->lo, &o->hi) != 2 || o->lo < 0 || o->hi < o->lo)
					return bad_arg(a, v, "a label range LO:HI");
				o->have_classes = 1;
			} else if (!strcmp(a, "--mean") || !strcmp(a, "--std")) {
				float *dst = a[2] == 'm' ? o->mean : o->std;
				if (parse_floats(v, dst) < 0 || (dst == o->std && (dst[0] <= 0 || dst[1] <= 0 || dst[2] <= 0)))
					return bad_arg(a, v, "1 or 3 comma-separated numbers (std > 0)");
			} else if (!strcmp(a, "--epochs") || !strcmp(a, "--batch") || !strcmp(a, "--limit") ||
			           !strcmp(a, "--resize")) {
				long x = strtol(v, &end, 10);
				if (*end || errno || x < (strcmp(a, "--epochs") && strcmp(a, "--batch") ? 0 : 1) || x > 100000000)
					return bad_arg(a, v, "a positive integer");
				*(!strcmp(a, "--epochs") ? &o->epochs : !strcmp(a, "--batch") ? &o->batch
				  : !strcmp(a, "--limit") ? &o->limit : &o->resize) = (int)x;
			} else if (!strcmp(a, "--seed")) {
				o->seed = strtoull(v, &end, 10);
				if (*end || errno || *v == '-')
					return bad_arg(a, v, "a non-negative integer");
			} else {
				double x = strtod(v, &end);
				double *dst = !strcmp(a, "--lr") ? &o->lr : !strcmp(a, "--momentum") ? &o->momentum
				            : !strcmp(a, "--wd") ? &o->wd : !strcmp(a, "--label-smoothing") ? &o->smoothing
				            : !strcmp(a, "--val-split") ? &o->val_split
			            : !strcmp(a, "--block-lr-scale") ? &o->block_lr
			            : !strcmp(a, "--bn-momentum") ? &o->bn_momentum
			            : !strcmp(a, "--augment-scale") ? &o->augment_scale : NULL;
				if (!dst) {
					fprintf(stderr, "trainer: unknown option '%s' (see --help)\n", a);
					return 2;
				}
				if (*end || errno || !(x >= 0) || isinf(x))
					return bad_arg(a, v, "a non-negative number");
				*dst = x;
			}
		}
	}
	if (!o->data) {
		fprintf(stderr, "trainer: --data is required (see --help)\n");
		return 2;
	}
	if (o->val && o->val_split > 0) {
		fprintf(stderr, "trainer: give --val or --val-split, not both\n");
		return 2;
	}
	if (o->val_split >= 1 || o->smoothing >= 1 || o->momentum >= 1 || o->bn_momentum > 1) {
		fprintf(stderr, "trainer: --val-split, --label-smoothing and --momentum must be below 1, --bn-momentum at "
		        "most 1\n");
		return 2;
	}
	if (strcmp(o->optim, "sgd") && strcmp(o->optim, "adamw")) {
		fprintf(stderr, "trainer: --optim '%s': sgd or adamw\n", o->optim);
		return 2;
	}
	if (o->nesterov && (o->momentum <= 0 || strcmp(o->optim, "sgd"))) {
		fprintf(stderr, "trainer: --nesterov needs --optim sgd with --momentum > 0\n");
		return 2;
	}
	if (!(o->augment_scale > 0 && o->augment_scale <= 1)) {
		fprintf(stderr, "trainer: --augment-scale must be in (0, 1]\n");
		return 2;
	}
	if (o->resume && !o->checkpoint) {
		fprintf(stderr, "trainer: --resume needs --checkpoint FILE\n");
		return 2;
	}
	return 0;
}
