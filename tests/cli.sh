#!/bin/bash
# The onnx2c command line: --help, --version, --name, -v, and usage errors
# (exit 2 with a message, never a crash).
set -uo pipefail
onnx2c=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
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
m=$src/models/tiny_cnn.onnx
check help 0 '^usage: onnx2c MODEL.onnx -o OUT.c' "$onnx2c" --help
check version 0 '^onnx2c [0-9]+\.[0-9]+\.[0-9]+$' "$onnx2c" --version
check no_args 2 'usage: onnx2c' "$onnx2c"
check no_output 2 'usage: onnx2c' "$onnx2c" "$m"
check unknown_option 2 "unknown or incomplete option '--frobnicate'" "$onnx2c" "$m" -o x.c --frobnicate
check two_models 2 'more than one model' "$onnx2c" "$m" "$m" -o x.c
check bad_name 2 "--name '1abc' is not a C identifier" "$onnx2c" "$m" -o x.c --name 1abc
check not_dot_c 2 'must end in .c' "$onnx2c" "$m" -o x.cpp
check bad_dim 2 "--dim N: 'zero' is not a positive integer" "$onnx2c" "$m" -o x.c --dim N=zero
check bad_pass 2 "unknown pass 'nope'" "$onnx2c" "$m" -o x.c --no-fuse=nope
check missing_model 1 'nothere.onnx' "$onnx2c" nothere.onnx -o x.c
check verbose 0 'wrote x.c and x.h' "$onnx2c" "$m" -o x.c -v
check name 0 'int mynet_run\(void \*workspace, int batch, const float \*in_image, float \*out_logits\);' \
    bash -c "\"$onnx2c\" \"$m\" -o y.c --name mynet && cat y.h"
check default_name 0 'size_t tiny_model_workspace_size\(int batch\);' \
    bash -c "\"$onnx2c\" \"$m\" -o tiny-model.c && cat tiny-model.h"
echo "$((total - fails)) passed, $fails failed"
[[ $fails == 0 ]]
