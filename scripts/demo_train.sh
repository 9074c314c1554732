#!/bin/sh
# demo_train.sh - the README's transfer-learning demonstration:
# models/fashion_resnet_0to4.onnx (trained by torch on Fashion-MNIST classes 0-4)
# compiled to C with a fresh 5-way head, fine-tuned in C on classes 5-9 (30,000
# training images; validation: the t10k images of classes 5-9) first with the
# trunk frozen (head only), then with the last residual block unfrozen too
# (onnx2c --unfreeze 1, the block at 0.1x the rate), next to PyTorch doing the
# same recipes (models/torch_head.py [--unfreeze]), in one run.
#
#   scripts/demo_train.sh [BUILD_DIR] [EPOCHS]      (default: build, 5)
#
# Needs a built onnx2c and onnx2c_rt in BUILD_DIR, Debian's dataset-fashion-mnist,
# python3-torch and python3-onnx (PyTorch with libopenblas0-pthread installed).
# The C trainer caches the frozen trunk's output once ("feature pass": the
# features, or the unfrozen block's input), then each epoch trains on the cache;
# PyTorch runs the frozen trunk every step, as it is usually written.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
EPOCHS=${2:-5}
THREADS=${THREADS:-2}
DATA=/usr/share/datasets/fashion-mnist
WORK=${WORK:-$(mktemp -d /tmp/onnx2c_demo_train.XXXXXX)}
mkdir -p "$WORK"
RECIPE="--epochs $EPOCHS --lr 0.05 --batch 64 --momentum 0.9 --nesterov --wd 1e-4 --schedule cosine"

echo "== onnx2c: compile with a fresh 5-way head and the trainer's main()"
"$BUILD/compiler/onnx2c" "$ROOT/models/fashion_resnet_0to4.onnx" -o "$WORK/fashion.c" \
	--train-head --head-classes 5 --train-main
cc -std=c99 -O2 -march=native -fopenmp "$WORK/fashion.c" -I "$ROOT/runtime" \
	-L "$BUILD/runtime" -lonnx2c_rt -lprotobuf-c -lz -lm -o "$WORK/fashion_train"

echo "== C: fine-tune the head on classes 5-9 ($EPOCHS epochs, $THREADS threads)"
OMP_NUM_THREADS=$THREADS "$WORK/fashion_train" --data "$DATA/train-images-idx3-ubyte.gz" \
	--val "$DATA/t10k-images-idx3-ubyte.gz" --classes 5:9 --mean 0.2860 --std 0.3530 $RECIPE \
	--seed 1 --log "$WORK/train.csv" --plot "$WORK/train.svg" --checkpoint "$WORK/head.ckpt" \
	--export "$WORK/fashion_5to9.onnx" > "$WORK/c.txt"

echo "== PyTorch: the same recipe ($THREADS threads)"
/usr/bin/python3 "$ROOT/models/torch_head.py" --epochs "$EPOCHS" --lr 0.05 --batch 64 --wd 1e-4 \
	--threads "$THREADS" > "$WORK/torch.txt"

echo "== onnx2c: compile again with the last block unfrozen (--unfreeze 1)"
"$BUILD/compiler/onnx2c" "$ROOT/models/fashion_resnet_0to4.onnx" -o "$WORK/fashion_uf.c" \
	--train-head --head-classes 5 --unfreeze 1 --train-main
cc -std=c99 -O2 -march=native -fopenmp "$WORK/fashion_uf.c" -I "$ROOT/runtime" \
	-L "$BUILD/runtime" -lonnx2c_rt -lprotobuf-c -lz -lm -o "$WORK/fashion_uf_train"

echo "== C: fine-tune head + last block on classes 5-9 ($EPOCHS epochs, $THREADS threads)"
OMP_NUM_THREADS=$THREADS "$WORK/fashion_uf_train" --data "$DATA/train-images-idx3-ubyte.gz" \
	--val "$DATA/t10k-images-idx3-ubyte.gz" --classes 5:9 --mean 0.2860 --std 0.3530 $RECIPE \
	--block-lr-scale 0.1 --seed 1 --log "$WORK/train_uf.csv" --plot "$WORK/train_uf.svg" \
	--export "$WORK/fashion_5to9_uf.onnx" > "$WORK/c_uf.txt"

echo "== PyTorch: the same recipe with layer3 unfrozen ($THREADS threads)"
/usr/bin/python3 "$ROOT/models/torch_head.py" --epochs "$EPOCHS" --lr 0.05 --batch 64 --wd 1e-4 \
	--threads "$THREADS" --unfreeze --block-lr-scale 0.1 > "$WORK/torch_uf.txt"

get() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
echo
echo "Fashion-MNIST classes 5-9, $EPOCHS epochs (30,000 train / 5,000 val images), $THREADS threads"
printf '%-40s %12s %12s %8s\n' "" "onnx2c (C)" "PyTorch" "C/torch"
row() { # label key c-file torch-file format
	a=$(get "$3" "$2"); b=$(get "$4" "$2")
	awk -v l="$1" -v a="$a" -v b="$b" -v f="$5" 'BEGIN { printf "%-40s " f " " f " %8.3f\n", l, a, b, a / b }'
}
row "head only: validation accuracy (%)" val_acc "$WORK/c.txt" "$WORK/torch.txt" "%12.2f"
row "head only: seconds per epoch" seconds_per_epoch "$WORK/c.txt" "$WORK/torch.txt" "%12.4f"
row "last block unfrozen: validation accuracy (%)" val_acc "$WORK/c_uf.txt" "$WORK/torch_uf.txt" "%12.2f"
row "last block unfrozen: seconds per step" seconds_per_step "$WORK/c_uf.txt" "$WORK/torch_uf.txt" "%12.5f"
printf '%-40s %12.2f %12.2f\n' "trunk pass, once (s)" "$(get "$WORK/c.txt" feature_pass_seconds)" \
	"$(get "$WORK/torch.txt" trunk_forward_seconds)"
echo "targets: accuracy within 1 point; head-only epoch <= 0.1x PyTorch; unfrozen step <= 0.5x PyTorch"
echo "(C trains on its cache of the frozen trunk's output; PyTorch recomputes the frozen trunk every step)"
echo "(files in $WORK: train*.csv, train*.svg, head.ckpt, fashion_5to9*.onnx)"
