#!/bin/sh
# bench_train.sh - the training-time benchmark of issue 5: the C trainer against PyTorch on
# the README's transfer-learning recipe (models/fashion_resnet_0to4.onnx, a fresh 5-way head,
# Fashion-MNIST classes 5-9, SGD Nesterov, batch 64), head only and with the last block
# unfrozen (onnx2c --unfreeze 1 / models/torch_head.py --unfreeze), one epoch of LIMIT images
# each, the two sides alternated in the same run (which goes first alternates too), ROUNDS
# rounds; prints every round and the medians and ratios C / PyTorch of the time per epoch
# (head only) and per step (unfrozen).  A benchmark, not a test: this machine is shared.
#
#   scripts/bench_train.sh [BUILD_DIR] [ROUNDS]        (default: build, 5)
#   THREADS (2) and LIMIT (12800 training images) from the environment.
#
# C times exclude the once-only pass of the frozen trunk (the trainer caches its output);
# PyTorch, written the usual way, runs the frozen trunk at every step.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
ROUNDS=${2:-5}
THREADS=${THREADS:-2}
LIMIT=${LIMIT:-12800}
DATA=/usr/share/datasets/fashion-mnist
WORK=$(mktemp -d /tmp/onnx2c_bench_train.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3

for v in head uf; do
	flags="--train-head --head-classes 5 --train-main"
	[ "$v" = uf ] && flags="$flags --unfreeze 1"
	"$BUILD/compiler/onnx2c" "$ROOT/models/fashion_resnet_0to4.onnx" -o "$WORK/$v.c" $flags 2>/dev/null
	cc -std=c99 -O2 -march=native -fopenmp "$WORK/$v.c" -I "$ROOT/runtime" -L "$BUILD/runtime" -lonnx2c_rt -lz \
		-lm -o "$WORK/$v"
done

RECIPE="--epochs 1 --lr 0.05 --batch 64 --wd 1e-4"
c_run() { # variant key
	OMP_NUM_THREADS=$THREADS "$WORK/$1" --data "$DATA/train-images-idx3-ubyte.gz" --classes 5:9 --limit "$LIMIT" \
		--mean 0.2860 --std 0.3530 $RECIPE --momentum 0.9 --nesterov --schedule cosine --seed 1 2>/dev/null |
		awk -v k="$2" '$1 == k { print $2 }'
}
t_run() { # extra-flags key
	$PY "$ROOT/models/torch_head.py" $RECIPE --threads "$THREADS" --limit "$LIMIT" $1 2>/dev/null |
		awk -v k="$2" '$1 == k { print $2 }'
}

echo "onnx2c vs PyTorch, $THREADS threads, one epoch of $LIMIT images, $ROUNDS rounds alternated"
printf '%5s %16s %16s %16s %16s\n' round "head C s/epoch" "head torch" "unfrozen C s/step" "unfrozen torch"
: > "$WORK/rows"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	if [ $((r % 2)) -eq 1 ]; then
		hc=$(c_run head seconds_per_epoch); ht=$(t_run "" seconds_per_epoch)
		uc=$(c_run uf seconds_per_step); ut=$(t_run --unfreeze seconds_per_step)
	else
		ht=$(t_run "" seconds_per_epoch); hc=$(c_run head seconds_per_epoch)
		ut=$(t_run --unfreeze seconds_per_step); uc=$(c_run uf seconds_per_step)
	fi
	printf '%5d %16s %16s %16s %16s\n' "$r" "$hc" "$ht" "$uc" "$ut"
	echo "$hc $ht $uc $ut" >> "$WORK/rows"
	r=$((r + 1))
done
$PY - "$WORK/rows" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
med = [statistics.median(c) for c in zip(*rows)]
print(f"medians: head only {med[0]:.5f} s vs {med[1]:.5f} s an epoch, C/PyTorch {med[0] / med[1]:.4f} (target <= 0.1)")
print(f"         unfrozen  {med[2] * 1e3:.2f} ms vs {med[3] * 1e3:.2f} ms a step, C/PyTorch {med[2] / med[3]:.3f} "
      f"(target <= 0.5)")
EOF
