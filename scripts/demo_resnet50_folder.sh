#!/bin/sh
# demo_resnet50_folder.sh - head training on a generated ResNet-50 from a folder of
# images (the ImageFolder layout: DIR/train/<class>/*.png, DIR/val/<class>/*.png).
#
#   scripts/demo_resnet50_folder.sh [BUILD_DIR] [IMAGES_A_CLASS] [EPOCHS]   (default: build, 60, 10)
#
# 1. models/export_torchvision.py: torchvision's resnet50 to ONNX (seeded random weights,
#    BatchNorm calibrated on synthetic images; no pretrained weights can be downloaded here),
# 2. models/make_image_folder.py: Fashion-MNIST classes 5-9 as PNG class folders,
# 3. onnx2c --train-head --head-classes 5 --train-main, built with gcc,
# 4. the C trainer: stb_image decoding, resize to 224 + centre crop, ImageNet mean/std,
#    the frozen trunk's 2048 features computed once, the fresh 5-way head trained on them,
#    exported back to .onnx.
# With random trunk weights the accuracy says only that the features carry the classes
# (chance is 20%); with a pretrained .onnx the same commands do real transfer learning.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
PER_CLASS=${2:-60}
EPOCHS=${3:-10}
THREADS=${THREADS:-2}
WORK=${WORK:-$(mktemp -d /tmp/onnx2c_demo_r50.XXXXXX)}
mkdir -p "$WORK"

echo "== export resnet50 and write the image folders"
/usr/bin/python3 "$ROOT/models/export_torchvision.py" --model resnet50 --bn keep --dynamic-batch \
	--out "$WORK/resnet50.onnx" | tail -1
/usr/bin/python3 "$ROOT/models/make_image_folder.py" "$WORK/images" --train "$PER_CLASS" \
	--val $(( (PER_CLASS + 2) / 3 ))

echo "== onnx2c + gcc (the C file holds the 94 MB of trunk weights; gcc takes a while)"
"$BUILD/compiler/onnx2c" "$WORK/resnet50.onnx" -o "$WORK/resnet50.c" --train-head --head-classes 5 --train-main
cc -std=c99 -O2 -march=native -fopenmp "$WORK/resnet50.c" -I "$ROOT/runtime" -L "$BUILD/runtime" \
	-lonnx2c_rt -lprotobuf-c -lz -lm -o "$WORK/resnet50_train"

echo "== train the head ($EPOCHS epochs, $THREADS threads)"
OMP_NUM_THREADS=$THREADS "$WORK/resnet50_train" --data "$WORK/images/train" --val "$WORK/images/val" \
	--resize 224 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --epochs "$EPOCHS" --batch 32 \
	--lr 0.001 --momentum 0.9 --nesterov --wd 1e-4 --schedule cosine --log "$WORK/train.csv" \
	--plot "$WORK/train.svg" --checkpoint "$WORK/head.ckpt" --export "$WORK/resnet50_5way.onnx" > "$WORK/c.txt"
cat "$WORK/c.txt"
grep -q '^val_acc ' "$WORK/c.txt"
echo "(files in $WORK: images/, train.csv, train.svg, head.ckpt, resnet50_5way.onnx)"
