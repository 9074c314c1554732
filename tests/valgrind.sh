#!/bin/bash
# valgrind.sh - generated code and the training runtime under valgrind's memcheck: no invalid
# read or write, no use of an uninitialised value, no definite leak (--error-exitcode=1).
#
# usage: valgrind.sh CASE ONNX2C SOURCE_DIR WORK_DIR [COMPILER_LIBS]
#   COMPILER_LIBS: the compiler's static libraries, ;-separated (train: the runtime links them for
#   --deploy-weights)
#   example  generated/example/tiny_cnn.c built with --main, on its test data (outputs compared)
#   model    models/fashion_resnet_0to4.onnx compiled with --main, on a random input
#   train    the same model with --train-head --train-main: one epoch of head training on 32
#            Fashion-MNIST images, the runtime compiled from runtime/*.c alongside
# Everything is built for AVX2 (-mavx2 -mfma), not -march=native: valgrind 3.19 does not
# emulate AVX-512.  OpenMP runs one thread.  Exit 77 (skipped) without valgrind.
set -euo pipefail
case=$1 onnx2c=$2 src=$3 work=$4
IFS=';' read -r -a compiler_libs <<<"${5:-}"
command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 77; }
rm -rf "$work" && mkdir -p "$work/out" && cd "$work"
export OMP_NUM_THREADS=1
cflags=(-std=c99 -O2 -g -mavx2 -mfma -fopenmp -Wall -Wextra -Werror)
vg=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite)
py=/usr/bin/python3
case $case in
example)
	cc "${cflags[@]}" "$src/generated/example/tiny_cnn.c" -o model -lm
	"${vg[@]}" ./model "$src/tests/data/tiny_cnn/input" out
	"$py" "$src/tests/compare.py" "$src/tests/data/tiny_cnn/expected" out --rel 1e-5
	;;
model)
	"$onnx2c" "$src/models/fashion_resnet_0to4.onnx" -o fashion.c --main
	cc "${cflags[@]}" fashion.c -o model -lm
	mkdir -p in
	"$py" -c "
import numpy as np
from onnx import numpy_helper
x = np.random.default_rng(1).standard_normal((2, 1, 28, 28)).astype(np.float32)
open('in/input_0.pb', 'wb').write(numpy_helper.from_array(x, 'input').SerializeToString())"
	"${vg[@]}" ./model in out
	"$py" -c "
import numpy as np, onnx
from onnx import numpy_helper
y = numpy_helper.to_array(onnx.load_tensor('out/output_0.pb'))
assert y.shape[0] == 2 and np.isfinite(y).all(), y
print('output', y.shape, 'finite')"
	;;
train)
	data=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
	[ -f "$data" ] || { echo "dataset-fashion-mnist is not installed"; exit 77; }
	"$onnx2c" "$src/models/fashion_resnet_0to4.onnx" -o trainer.c --train-head --train-main --head-classes 5
	# the runtime is C11 (aligned_alloc); the generated trainer is C99, which C11 compiles too
	cc "${cflags[@]}" -std=c11 -I"$src/runtime" -I"$src/templates" trainer.c "$src"/runtime/*.c \
		"${compiler_libs[@]}" -o trainer -lprotobuf-c -lz -lm
	"${vg[@]}" ./trainer --data "$data" --classes 5:9 --limit 32 --batch 8 --epochs 1 --seed 7 \
		--export "$work/exported.onnx"
	test -s exported.onnx
	;;
*)
	echo "unknown case $case" >&2
	exit 2
	;;
esac
echo "valgrind $case: clean"
