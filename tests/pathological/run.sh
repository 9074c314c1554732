#!/bin/bash
# run.sh - compiles one pathological model (tests/pathological/gen.py wrote it) and checks the
# compiler's time and peak memory against generous bounds: a quadratic pass would blow the
# time bound by far (the 100k-node chain took 464 s before topo.c, plan.c and emit.c went
# near-linear; it takes about 6 s now).  Prints the measurement.
#
# usage: run.sh ONNX2C WORK_DIR CASE MAX_SECONDS MAX_MB
set -u
onnx2c=$1 work=$2 case=$3 max_s=$4 max_mb=$5
model=$work/$case.onnx
[ -f "$model" ] || { echo "FAIL $case: no $model (did pathological.generate run?)"; exit 1; }
stats=$work/$case.time
/usr/bin/time -o "$stats" -f "%e %M" "$onnx2c" "$model" -o "$work/$case.c" 2>"$work/$case.err"
code=$?
read -r secs kb <"$stats" || true
echo "$case: exit $code, ${secs} s, peak $((kb / 1024)) MB (bounds: $max_s s, $max_mb MB)"
if [ "$code" != 0 ]; then
	cat "$work/$case.err"
	exit 1
fi
awk -v s="$secs" -v m="$max_s" 'BEGIN { exit !(s <= m) }' || { echo "FAIL $case: slower than $max_s s"; exit 1; }
[ "$((kb / 1024))" -le "$max_mb" ] || { echo "FAIL $case: more than $max_mb MB"; exit 1; }
