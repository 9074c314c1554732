#!/bin/bash
# Checks `onnx2c --report` totals and `--dot` output for one model.
# usage: report.sh ONNX2C MODEL WORK 'expected kernels-by-op line' [forbidden-op ...]
# WANT_WEIGHTS=BYTES in the environment also checks the packed weights' total.
set -euo pipefail
onnx2c=$1 model=$2 work=$3 want=$4
shift 4
rm -rf "$work" && mkdir -p "$work"
"$onnx2c" "$model" -o "$work/m.c" --report --dot "$work/graph.dot" > "$work/report.txt"
sed -n "/^totals/,\$p" "$work/report.txt"
line=$(grep 'kernels by op:' "$work/report.txt" | sed 's/^ *//')
if [[ "$line" != "kernels by op: $want" ]]; then
    echo "FAIL: expected 'kernels by op: $want', got '$line'" >&2
    exit 1
fi
for op in "$@"; do
    if grep -q " $op=" <<<"$line"; then
        echo "FAIL: stand-alone $op kernels remain" >&2
        exit 1
    fi
done
if [[ -n "${WANT_WEIGHTS:-}" ]] && ! grep -q "^ *weights $WANT_WEIGHTS bytes\$" "$work/report.txt"; then
    echo "FAIL: expected weights $WANT_WEIGHTS bytes, got '$(grep -o 'weights [0-9]* bytes' "$work/report.txt")'" >&2
    exit 1
fi
grep -q 'arena [0-9]* bytes (lower bound [0-9]*, naive sum of intermediates [0-9]*)' "$work/report.txt" ||
    { echo "FAIL: no arena totals" >&2; exit 1; }
if command -v dot >/dev/null; then
    dot -Tsvg "$work/graph.dot" -o "$work/graph.svg"
    echo "dot: graph.svg rendered"
fi
