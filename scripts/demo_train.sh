#!/bin/sh
# demo_train.sh - the README's transfer-learning demonstration (head only):
# models/fashion_resnet_0to4.onnx (trained by torch on Fashion-MNIST classes 0-4)
# compiled to C with a fresh 5-way head, fine-tuned in C on classes 5-9 with the
# trunk frozen (30,000 training images; validation: the t10k images of classes
# 5-9), next to PyTorch doing the same recipe (models/torch_head.py), in one run.
#
#   scripts/demo_train.sh [BUILD_DIR] [EPOCHS]      (default: build, 5)
#
# Needs a built onnx2c and onnx2c_rt in BUILD_DIR, Debian's dataset-fashion-mnist,
# python3-torch and python3-onnx (PyTorch with libopenblas0-pthread installed).
# The C trainer caches the trunk's features once ("feature pass"), then each
# epoch trains the head on the cache; PyTorch runs the frozen trunk every step.
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
	-L "$BUILD/runtime" -lonnx2c_rt -lz -lm -o "$WORK/fashion_train"

echo "== C: fine-tune the head on classes 5-9 ($EPOCHS epochs, $THREADS threads)"
OMP_NUM_THREADS=$THREADS "$WORK/fashion_train" --data "$DATA/train-images-idx3-ubyte.gz" \
	--val "$DATA/t10k-images-idx3-ubyte.gz" --classes 5:9 --mean 0.2860 --std 0.3530 $RECIPE \
	--seed 1 --log "$WORK/train.csv" --plot "$WORK/train.svg" --checkpoint "$WORK/head.ckpt" \
	--export "$WORK/fashion_5to9.onnx" > "$WORK/c.txt"

echo "== PyTorch: the same recipe ($THREADS threads)"
/usr/bin/python3 "$ROOT/models/torch_head.py" --epochs "$EPOCHS" --lr 0.05 --batch 64 --wd 1e-4 \
	--threads "$THREADS" > "$WORK/torch.txt"

get() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
c_acc=$(get "$WORK/c.txt" val_acc); t_acc=$(get "$WORK/torch.txt" val_acc)
c_ep=$(get "$WORK/c.txt" seconds_per_epoch); t_ep=$(get "$WORK/torch.txt" seconds_per_epoch)
c_fp=$(get "$WORK/c.txt" feature_pass_seconds); t_fp=$(get "$WORK/torch.txt" trunk_forward_seconds)
echo
echo "Head-only fine-tuning, Fashion-MNIST classes 5-9, $EPOCHS epochs (30,000 train / 5,000 val images)"
printf '%-28s %12s %12s\n' "" "onnx2c (C)" "PyTorch"
printf '%-28s %11.2f%% %11.2f%%\n' "validation accuracy" "$c_acc" "$t_acc"
printf '%-28s %12.4f %12.3f\n' "seconds per epoch" "$c_ep" "$t_ep"
printf '%-28s %12.2f %12.2f\n' "trunk pass, once (s)" "$c_fp" "$t_fp"
awk -v a="$c_acc" -v b="$t_acc" -v x="$c_ep" -v y="$t_ep" 'BEGIN {
	d = a - b; if (d < 0) d = -d
	printf "accuracy difference %.2f points (target <= 1); time per epoch %.4fx PyTorch (target <= 0.1)\n", d, x / y }'
echo "(files in $WORK: train.csv, train.svg, head.ckpt, fashion_5to9.onnx)"
