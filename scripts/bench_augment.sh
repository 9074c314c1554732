#!/bin/sh
# bench_augment.sh - issue 24's augmentation benchmark: one epoch of head-only fine-tuning of
# torchvision resnet18 at 112x112 (random weights, BatchNorm kept, a fresh 5-way head) over a
# folder of IMAGES JPEGs (models/make_image_folder.py --synthetic, 128x128), each image through
# RandomResizedCrop (area 0.08..1) and a horizontal flip every epoch, so the frozen trunk runs on
# every image of every epoch: the C trainer (--augment; decoding, augmenting and the generated
# trunk split over the threads) against PyTorch with torchvision's transforms on the same threads
# (models/torch_augment_epoch.py).  The sides alternate (who goes first too), ROUNDS rounds;
# prints every round, the medians and C / PyTorch.  A benchmark, not a test: this machine is shared.
#
#   scripts/bench_augment.sh [BUILD_DIR] [ROUNDS]        (default: build, 3)
#   THREADS (2) and IMAGES (2000) from the environment.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
ROUNDS=${2:-3}
THREADS=${THREADS:-2}
IMAGES=${IMAGES:-2000}
WORK=$(mktemp -d /tmp/onnx2c_bench_augment.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3

$PY "$ROOT/models/export_torchvision.py" --model resnet18 --bn keep --dynamic-batch --size 112 \
	--out "$WORK/r18.onnx" > /dev/null 2>&1
$PY "$ROOT/models/make_image_folder.py" "$WORK/img" --synthetic --size 128 --train $((IMAGES / 5)) --val 1 > /dev/null
"$BUILD/compiler/onnx2c" "$WORK/r18.onnx" -o "$WORK/r18.c" --train-head --head-classes 5 --train-main 2>/dev/null
cc -std=c99 -O2 -march=native -fopenmp "$WORK/r18.c" -I "$ROOT/runtime" -L "$BUILD/runtime" -lonnx2c_rt -lprotobuf-c -lz -lm \
	-o "$WORK/r18"

c_run() {
	OMP_NUM_THREADS=$THREADS "$WORK/r18" --data "$WORK/img/train" --resize 112 --augment --epochs 1 --batch 64 \
		--lr 0.05 --momentum 0.9 --nesterov --wd 1e-4 --seed 1 2>/dev/null | awk '$1 == "seconds_per_epoch" { print $2 }'
}
t_run() {
	$PY "$ROOT/models/torch_augment_epoch.py" "$WORK/img/train" --size 112 --batch 64 --threads "$THREADS" 2>/dev/null |
		awk '$1 == "seconds_per_epoch" { print $2 }'
}

echo "onnx2c vs PyTorch, $THREADS threads, one augmented epoch of $IMAGES images (resnet18 112x112, head only), $ROUNDS rounds"
printf '%5s %12s %12s\n' round "C s/epoch" "torch s/epoch"
: > "$WORK/rows"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	if [ $((r % 2)) -eq 1 ]; then c=$(c_run); t=$(t_run); else t=$(t_run); c=$(c_run); fi
	printf '%5d %12s %12s\n' "$r" "$c" "$t"
	echo "$c $t" >> "$WORK/rows"
	r=$((r + 1))
done
$PY - "$WORK/rows" <<'PYEOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
c, t = (statistics.median(x) for x in zip(*rows))
print(f"medians: {c:.2f} s vs {t:.2f} s an epoch, C/PyTorch {c / t:.3f} (target <= 0.7); "
      f"round ratios {', '.join(f'{a / b:.3f}' for a, b in rows)}")
PYEOF
