#!/bin/bash
# cross_aarch64.sh - build a generated model (made with --main) for aarch64
# with Debian's gcc-aarch64-linux-gnu, run it under qemu-user, and compare its
# outputs with reference ones.  This is the portable scalar path: the
# generated code's x86 SIMD branches are compiled out, so it checks that the
# C itself, not only its AVX variants, gives the reference numbers.
#
# usage: scripts/cross_aarch64.sh MODEL_C IN_DIR EXPECTED_DIR WORK_DIR
#   e.g. scripts/cross_aarch64.sh generated/example/tiny_cnn.c \
#          tests/data/tiny_cnn/input tests/data/tiny_cnn/expected /tmp/cross
# Builds static binaries (no aarch64 sysroot needed at run time) at -O0,
# -O3, and -O3 -fopenmp (run on 2 threads).
# Exit 77 (CTest SKIP) when the cross compiler or qemu is missing: install
# gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user (scripts/setup.sh).
set -euo pipefail
model_c=$1 in=$2 expected=$3 work=$4
CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
QEMU=${CROSS_QEMU:-qemu-aarch64}
for tool in "$CC" "$QEMU"; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool not installed (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
        exit 77
    fi
done
[[ -f $model_c ]] || { echo "cross_aarch64: no such file '$model_c'" >&2; exit 2; }
compare=$(cd "$(dirname "$0")/.." && pwd)/tests/compare.py
rm -rf "$work" && mkdir -p "$work"
fail=0
for flags in "-O0" "-O3" "-O3 -fopenmp"; do
    id=$(echo "$flags" | tr -c 'a-zA-Z0-9\n' '_')
    exe=$work/model$id
    # shellcheck disable=SC2086
    "$CC" -std=c99 -Wall -Wextra -Werror $flags -static "$model_c" -o "$exe" -lm \
        2> >(grep -v -e "Using 'dlopen' in statically linked" -e 'in function .goacc_profiling_initialize' >&2)
    mkdir -p "$work/out$id"
    OMP_NUM_THREADS=2 "$QEMU" "$exe" "$in" "$work/out$id"
    echo "aarch64 $flags:"
    /usr/bin/python3 "$compare" "$expected" "$work/out$id" --rel 1e-5 || fail=1
done
exit $fail
