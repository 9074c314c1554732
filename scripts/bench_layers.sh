#!/bin/bash
# bench_layers.sh [ROUNDS] - onnx2c against ONNX Runtime one kind of layer at a time (a benchmark, not a test).
#
# For each of ResNet-50's layer shapes (3x3 convs at 56x56/64, 28x28/128, 14x14/256, 7x7/512 and 1x1
# convs at 56x56 256<->64, 28x28 512<->128, 14x14 1024<->256, 7x7 2048<->512) it exports a chain of
# 16 such convs (12 at 7x7) with models/conv_chain.py and runs scripts/bench.py --onnx on it: ours and
# ORT alternately, 1 and 2 threads, idle threads sleeping.  The per-kind ratios show where the whole
# model's ratio comes from (which kernel is ahead or behind, and which one scales badly).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
work=${WORK:-build-bench/layers}
mkdir -p "$work"
py=/usr/bin/python3
for spec in "s56 56 3 64 64 16" "s28 28 3 128 128 16" "s14 14 3 256 256 16" "s7 7 3 512 512 12" \
            "p56 56 1 256 64 16" "p28 28 1 512 128 16" "p14 14 1 1024 256 16" "p7 7 1 2048 512 12"; do
	set -- $spec
	[ -f "$work/$1.onnx" ] || $py models/conv_chain.py --hw "$2" --k "$3" --a "$4" --b "$5" --layers "$6" \
		--out "$work/$1.onnx" --data "$work/$1_in" >/dev/null 2>&1
	echo "== $1: ${6} convs ${3}x${3} at ${2}x${2}, ${4}<->${5} channels" >&2
	$py scripts/bench.py --onnx "$work/$1.onnx" --data "$work/$1_in" --work "$work" --no-spin \
		--rounds "$rounds" --runs 10 | grep "^| $1 "
done
