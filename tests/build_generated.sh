#!/bin/bash
# Builds one generated C file with a given compiler and flags under the
# strictest warnings (-std=c99 -Wall -Wextra -Werror), runs it on a test-data
# directory, and compares its outputs with the expected ones.
# usage: build_generated.sh CC "FLAGS" MODEL_C IN_DIR EXPECTED_DIR WORK_DIR
set -euo pipefail
cc=$1 flags=$2 model_c=$3 in=$4 expected=$5 work=$6
command -v "$cc" >/dev/null || { echo "$cc not installed"; exit 1; }
rm -rf "$work" && mkdir -p "$work/out"
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -Werror $flags "$model_c" -o "$work/model" -lm
"$work/model" "$in" "$work/out"
/usr/bin/python3 "$(dirname "$0")/compare.py" "$expected" "$work/out" --rel 1e-5
