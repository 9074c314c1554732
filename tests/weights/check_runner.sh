#!/bin/bash
# check_runner.sh - the --main runner of a model compiled with --weights:
# the default file beside the program (from any working directory), --weights
# FILE, and clear errors for a missing, foreign or damaged file.
set -uo pipefail
onnx2c=$1 src=$2 work=$3
cc=${CC:-cc}
rm -rf "$work" && mkdir -p "$work/gen" "$work/other" "$work/out" && cd "$work"
fails=0 total=0
check() { # name expected-exit regex command...
    local name=$1 want=$2 re=$3
    total=$((total + 1))
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [[ $rc != "$want" ]] || ! grep -Eq -- "$re" <<<"$out"; then
        echo "FAIL $name: exit $rc (want $want), output: $out"
        fails=$((fails + 1))
    else
        echo "ok   $name"
    fi
}
m=$src/models/tiny_cnn.onnx data=$src/tests/data/tiny_cnn
"$onnx2c" "$m" -o gen/m.c --main --weights gen/m.bin || exit 1
"$onnx2c" "$m" -o gen/e.c --main || exit 1
"$onnx2c" "$m" -o other/f.c --main -O0 --weights other/f.bin || exit 1
for p in m e; do
    "$cc" -std=c99 -O2 -Wall -Wextra -Werror gen/$p.c -o gen/$p -lm || exit 1
done
check embedded 0 '' gen/e "$data/input" out
mv out/output_0.pb ref.pb
# from another folder: the default weights file is found beside the program
check default_path 0 '' bash -c "cd other && ../gen/m '$data/input' ../out"
check same_output 0 '' cmp ref.pb out/output_0.pb
rm -f out/output_0.pb
check weights_flag 0 '' gen/m --weights gen/m.bin "$data/input" out
check same_output_flag 0 '' cmp ref.pb out/output_0.pb
check bench 0 'median' gen/m --weights gen/m.bin --bench 2 "$data/input"
check help 0 '--weights FILE' gen/m --help
check missing 1 'cannot load the weights nothere.bin: the weights file cannot be opened' gen/m --weights nothere.bin "$data/input" out
check foreign 1 'weights are of another model' gen/m --weights other/f.bin "$data/input" out
check not_weights 1 'not an onnx2c weights file' gen/m --weights gen/m.c "$data/input" out
head -c 100 gen/m.bin > short.bin
check truncated 1 'truncated' gen/m --weights short.bin "$data/input" out
cp gen/m gen/m.bin other/ 2>/dev/null; mv gen/m.bin gen/m.bin.away
check default_missing 1 'cannot load the weights gen/m.bin' gen/m "$data/input" out
mv gen/m.bin.away gen/m.bin
check embedded_flag 2 'weights are in the program' gen/e --weights gen/m.bin "$data/input" out
echo "$((total - fails)) passed, $fails failed"
[[ $fails == 0 ]]
