/*
 * trainer_opts.h - the trainer's command line (trainer_opts.c parses it,
 * trainer.c runs it).  Internal to the runtime: not installed.
 */
#ifndef ONNX2C_TRAINER_OPTS_H
#define ONNX2C_TRAINER_OPTS_H

typedef struct Opts {
	const char *data, *labels, *val, *val_labels;
	double val_split;
	int lo, hi, have_classes;
	int epochs, batch, limit;
	double lr, momentum, wd, smoothing, block_lr, bn_momentum, augment_scale;
	int nesterov, no_shuffle, augment, resume, bn_train;
	const char *optim, *schedule;
	unsigned long long seed;
	int resize;
	float mean[3], std[3];
	const char *checkpoint, *log, *plot, *export_path, *onnx, *dump;
	const char *deploy; /* --deploy-weights FILE */
} Opts;

/* Fills o from argv (defaults first).  0: run; 1: --help was printed (exit 0);
 * 2: a usage error, already reported on stderr. */
int rt_trainer_parse_opts(Opts *o, int argc, char **argv);

#endif
