#!/bin/bash
# Fails when generated/example/ is stale: regenerates the tiny CNN's C with the
# same command line, in a scratch copy of the tree layout, and diffs.
# Regenerate the committed copy with:  scripts/regen_example.sh
set -euo pipefail
onnx2c=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work/models" "$work/generated/example"
cp "$src/models/tiny_cnn.onnx" "$work/models/"
cd "$work"
"$onnx2c" models/tiny_cnn.onnx -o generated/example/tiny_cnn.c --main
for f in tiny_cnn.c tiny_cnn.h; do
    if ! cmp -s "generated/example/$f" "$src/generated/example/$f"; then
        echo "generated/example/$f is stale: run scripts/regen_example.sh and commit the result" >&2
        diff -u "$src/generated/example/$f" "generated/example/$f" | head -40 >&2 || true
        exit 1
    fi
done
echo "generated/example is up to date"
