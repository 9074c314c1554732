#!/bin/sh
# demo_walkthrough.sh - the README's transfer-learning walkthrough, end to end: a torchvision
# resnet18 .onnx and a folder of images -> compile for training -> fine-tune with augmentation
# (progress bar, CSV and SVG curves) -> export .onnx -> onnx2c verify -> deploy (compile the
# fine-tuned model for inference, its weights in a file, and classify images with examples/classify)
# -> fine-tune once more and redeploy by swapping the weights file (no onnx2c or C compiler run).
#
#   scripts/demo_walkthrough.sh [BUILD_DIR] [SIZE] [IMAGES_A_CLASS] [EPOCHS] [UNFREEZE]
#                               (default: build, 112, 100, 8, 2; the CTest train.walkthrough: 64, 12, 2, 1)
#
# The resnet18 has seeded random weights (models/export_torchvision.py: nothing pretrained can be
# downloaded here); with a pretrained .onnx the same commands do real transfer learning.  The
# images are models/make_image_folder.py --synthetic: five classes of coloured shapes on noise.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
SIZE=${2:-112}
PER_CLASS=${3:-100}
EPOCHS=${4:-8}
UNFREEZE=${5:-2}
THREADS=${THREADS:-2}
WORK=${WORK:-$(mktemp -d /tmp/onnx2c_walkthrough.XXXXXX)}
CC=${CC:-cc}
PY=/usr/bin/python3
ONNX2C=$BUILD/compiler/onnx2c
mkdir -p "$WORK"
cd "$WORK"

echo "== 1. a resnet18 .onnx and a folder of images"
$PY "$ROOT/models/export_torchvision.py" --model resnet18 --bn keep --dynamic-batch --size "$SIZE" \
	--out resnet18.onnx | tail -1
$PY "$ROOT/models/make_image_folder.py" images --synthetic --size $((SIZE * 8 / 7)) --train "$PER_CLASS" \
	--val $(((PER_CLASS + 3) / 4))

echo "== 2. compile for training: a fresh 5-way head, the last $UNFREEZE block(s) unfrozen"
"$ONNX2C" resnet18.onnx -o train.c --train-head --head-classes 5 --unfreeze "$UNFREEZE" --train-main
$CC -std=c99 -O2 -march=native -fopenmp train.c -I "$ROOT/runtime" -L "$BUILD/runtime" -lonnx2c_rt -lprotobuf-c -lz -lm \
	-o train

echo "== 3. fine-tune with augmentation ($EPOCHS epochs, $THREADS threads)"
OMP_NUM_THREADS=$THREADS ./train --data images/train --val images/val --resize "$SIZE" --augment \
	--mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --epochs "$EPOCHS" --batch 32 --lr 0.01 --nesterov \
	--wd 1e-4 --schedule cosine --log train.csv --plot train.svg --export finetuned.onnx > summary.txt
cat summary.txt
grep -q '^val_acc ' summary.txt
head -2 train.csv

echo "== 4. verify the exported model against ONNX Runtime"
"$ONNX2C" verify finetuned.onnx --batch 2

echo "== 5. deploy: compile the fine-tuned model for inference (weights in net.bin), classify validation images"
"$ONNX2C" finetuned.onnx -o net.c --name net --weights net.bin
ls images/train > labels.txt
STB=$(pkg-config --cflags --libs stb 2>/dev/null || echo "-I/usr/include/stb -lstb")
$CC -std=c99 -O2 -march=native -fopenmp "$ROOT/examples/classify/classify.c" net.c -I . $STB -lm -o classify
./classify --labels labels.txt --top 1 --weights net.bin images/val/*/00000.jpg | tee classify1.txt
echo "== 6. fine-tune once more (1 epoch, another seed) and redeploy: the trainer rewrites net.bin"
OMP_NUM_THREADS=$THREADS ./train --data images/train --val images/val --resize "$SIZE" --augment \
	--mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --epochs 1 --batch 32 --lr 0.01 --nesterov --seed 1 \
	--export finetuned2.onnx --deploy-weights net.bin > summary2.txt
./classify --labels labels.txt --top 1 --weights net.bin images/val/*/00000.jpg | tee classify2.txt
if cmp -s classify1.txt classify2.txt; then
	echo "the redeployed weights changed nothing: were they swapped?" >&2
	exit 1
fi
echo "(files in $WORK: images/, train.csv, train.svg, finetuned.onnx, net.c, net.bin, classify)"
