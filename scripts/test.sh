#!/usr/bin/env bash
# test.sh - configure, build and run every test: the README's test command.
#
#   scripts/test.sh [BUILD_DIR] [extra ctest args...]
#
# BUILD_DIR defaults to build/.  All suites are on: unit, kernel, bad (error
# handling), conformance (ONNX node tests) and model (torchvision vs ONNX
# Runtime).  Pass e.g. `-L unit` to run a subset.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$ROOT/build}
shift || true
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONNX2C_WERROR=ON \
	-DONNX2C_MODEL_TESTS=ON -DONNX2C_CONFORMANCE_TESTS=ON
cmake --build "$B" -j2
cd "$B"
ctest --output-on-failure -j2 "$@"
