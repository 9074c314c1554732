#!/bin/bash
# Regenerates the committed example (generated/example/tiny_cnn.{c,h}) from
# models/tiny_cnn.onnx with the onnx2c in build/ (or $ONNX2C).
set -euo pipefail
cd "$(dirname "$0")/.."
onnx2c=${ONNX2C:-build/compiler/onnx2c}
mkdir -p generated/example
"$onnx2c" models/tiny_cnn.onnx -o generated/example/tiny_cnn.c --main
echo "regenerated generated/example/tiny_cnn.{c,h}"
