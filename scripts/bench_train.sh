#!/bin/sh
# bench_train.sh - the training-time benchmark of issue 5: the C trainer against PyTorch on
# the README's transfer-learning recipe (models/fashion_resnet_0to4.onnx, a fresh 5-way head,
# Fashion-MNIST classes 5-9, SGD Nesterov, batch 64), head only and with the last block
# unfrozen (onnx2c --unfreeze 1 / models/torch_head.py --unfreeze), one epoch of LIMIT images
# each; and torchvision resnet18 at 112x112 (random weights, BatchNorm kept) with layer4
# unfrozen (--unfreeze 2), R18_LIMIT images of a folder from models/make_image_folder.py.  The
# two sides alternated in the same run (which goes first alternates too), ROUNDS rounds; prints
# every round and the medians and ratios C / PyTorch of the time per epoch (head only) and per
# step (unfrozen).  A benchmark, not a test: this machine is shared.
#
#   scripts/bench_train.sh [BUILD_DIR] [ROUNDS]        (default: build, 5)
#   THREADS (2), LIMIT (12800 training images) and R18_LIMIT (640) from the environment.
#
# C times exclude the once-only pass of the frozen trunk (the trainer caches its output).
# PyTorch is timed two ways for the unfrozen step: written the usual way (models/torch_head.py,
# the frozen trunk at every step), and like for like with the same cache (models/onnx_torch.py
# bench: the C trainer's cut tensors, the block and the head trained on them).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
ROUNDS=${2:-5}
THREADS=${THREADS:-2}
LIMIT=${LIMIT:-12800}
R18_LIMIT=${R18_LIMIT:-640}
DATA=/usr/share/datasets/fashion-mnist
WORK=$(mktemp -d /tmp/onnx2c_bench_train.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3

for v in head uf; do
	flags="--train-head --head-classes 5 --train-main"
	[ "$v" = uf ] && flags="$flags --unfreeze 1"
	"$BUILD/compiler/onnx2c" "$ROOT/models/fashion_resnet_0to4.onnx" -o "$WORK/$v.c" $flags 2>/dev/null
	cc -std=c99 -O2 -march=native -fopenmp "$WORK/$v.c" -I "$ROOT/runtime" -L "$BUILD/runtime" -lonnx2c_rt -lprotobuf-c -lz \
		-lm -o "$WORK/$v"
done

# resnet18 at 112x112 with layer4 unfrozen, on a folder of Fashion-MNIST PNGs (grey, read as RGB)
$PY "$ROOT/models/export_torchvision.py" --model resnet18 --bn keep --dynamic-batch --size 112 \
	--out "$WORK/r18.onnx" > /dev/null
$PY "$ROOT/models/make_image_folder.py" "$WORK/img" --train $((R18_LIMIT / 5)) --val 1 > /dev/null
"$BUILD/compiler/onnx2c" "$WORK/r18.onnx" -o "$WORK/r18.c" --train-head --head-classes 5 --train-main --unfreeze 2 \
	2>/dev/null
cc -std=c99 -O2 -march=native -fopenmp "$WORK/r18.c" -I "$ROOT/runtime" -L "$BUILD/runtime" -lonnx2c_rt -lprotobuf-c -lz -lm \
	-o "$WORK/r18"

RECIPE="--epochs 1 --lr 0.05 --batch 64 --wd 1e-4"
FASHION="--data $DATA/train-images-idx3-ubyte.gz --classes 5:9 --limit $LIMIT --mean 0.2860 --std 0.3530"
R18="--data $WORK/img/train --resize 112"
# the cut tensors each C trainer caches, written once for PyTorch's like-for-like side
mkdir -p "$WORK/uf_dump" "$WORK/r18_dump"
OMP_NUM_THREADS=$THREADS "$WORK/uf" $FASHION $RECIPE --seed 1 --dump "$WORK/uf_dump" > /dev/null 2>&1
OMP_NUM_THREADS=$THREADS "$WORK/r18" $R18 $RECIPE --seed 1 --dump "$WORK/r18_dump" > /dev/null 2>&1
c_run() { # variant key
	data=$FASHION
	[ "$1" = r18 ] && data=$R18
	OMP_NUM_THREADS=$THREADS "$WORK/$1" $data $RECIPE --momentum 0.9 --nesterov --schedule cosine --seed 1 \
		2>/dev/null | awk -v k="$2" '$1 == k { print $2 }'
}
cached_run() { # model dump
	$PY "$ROOT/models/onnx_torch.py" bench "$1" "$2" --batch 64 --lr 0.05 --wd 1e-4 --threads "$THREADS" 2>/dev/null |
		awk '$1 == "seconds_per_step" { print $2 }'
}
t_run() { # extra-flags key
	$PY "$ROOT/models/torch_head.py" $RECIPE --threads "$THREADS" --limit "$LIMIT" $1 2>/dev/null |
		awk -v k="$2" '$1 == k { print $2 }'
}

echo "onnx2c vs PyTorch, $THREADS threads, one epoch of $LIMIT images (resnet18: $R18_LIMIT), $ROUNDS rounds alternated"
printf '%5s %14s %11s %14s %11s %11s %14s %11s\n' round "head C s/ep" "head torch" "unfrozen C s" "torch" \
	"torch cache" "r18 l4 C s" "torch cache"
: > "$WORK/rows"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	if [ $((r % 2)) -eq 1 ]; then
		hc=$(c_run head seconds_per_epoch); ht=$(t_run "" seconds_per_epoch)
		uc=$(c_run uf seconds_per_step); ut=$(t_run --unfreeze seconds_per_step)
		uk=$(cached_run "$ROOT/models/fashion_resnet_0to4.onnx" "$WORK/uf_dump")
		rc=$(c_run r18 seconds_per_step); rk=$(cached_run "$WORK/r18.onnx" "$WORK/r18_dump")
	else
		ht=$(t_run "" seconds_per_epoch); hc=$(c_run head seconds_per_epoch)
		uk=$(cached_run "$ROOT/models/fashion_resnet_0to4.onnx" "$WORK/uf_dump")
		ut=$(t_run --unfreeze seconds_per_step); uc=$(c_run uf seconds_per_step)
		rk=$(cached_run "$WORK/r18.onnx" "$WORK/r18_dump"); rc=$(c_run r18 seconds_per_step)
	fi
	printf '%5d %14s %11s %14s %11s %11s %14s %11s\n' "$r" "$hc" "$ht" "$uc" "$ut" "$uk" "$rc" "$rk"
	echo "$hc $ht $uc $ut $uk $rc $rk" >> "$WORK/rows"
	r=$((r + 1))
done
$PY - "$WORK/rows" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
med = [statistics.median(c) for c in zip(*rows)]
print(f"medians: head only {med[0]:.5f} s vs {med[1]:.5f} s an epoch, C/PyTorch {med[0] / med[1]:.4f} (target <= 0.1)")
print(f"         unfrozen  {med[2] * 1e3:.2f} ms vs {med[3] * 1e3:.2f} ms a step, C/PyTorch {med[2] / med[3]:.3f} "
      f"(PyTorch running the frozen trunk at every step)")
print(f"         unfrozen  {med[2] * 1e3:.2f} ms vs {med[4] * 1e3:.2f} ms a step, C/PyTorch {med[2] / med[4]:.3f} "
      f"(like for like: PyTorch on the same cache; target <= 0.6)")
print(f"resnet18 112x112, layer4 unfrozen: {med[5] * 1e3:.1f} ms vs {med[6] * 1e3:.1f} ms a step, C/PyTorch "
      f"{med[5] / med[6]:.3f} (like for like: PyTorch on the same cache; target <= 0.6)")
EOF
