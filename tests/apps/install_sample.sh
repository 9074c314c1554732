#!/bin/bash
# install_sample.sh - the "outside project" test of issue 6: install onnx2c
# into a scratch prefix, build tests/apps/sample against it with
# find_package(onnx2c) + onnx2c_add_model(), run it on the tiny CNN's test
# input and compare with the reference outputs.  Then check that the build
# re-runs the compiler when (and only when) the model changes, and that the
# pkg-config file alone is enough to build the same program.
#
# usage: install_sample.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
data=$src/tests/data/tiny_cnn
py=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work/model" "$work/out" "$work/pc"
step() { echo "== $*"; }

step "install into $work/prefix"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
prefix=$work/prefix
[[ -x $prefix/bin/onnx2c ]] || { echo "no bin/onnx2c installed" >&2; exit 1; }
config=$(find "$prefix" -name onnx2c-config.cmake | head -1)
pc=$(find "$prefix" -name onnx2c.pc | head -1)
[[ -n $config && -n $pc ]] || { echo "package files not installed (config '$config', pc '$pc')" >&2; exit 1; }

# The model is a copy so the test can touch it without touching the tree.
cp "$src/models/tiny_cnn.onnx" "$work/model/tiny_cnn.onnx"
"$py" "$src/tests/apps/pbraw.py" to-raw "$data/input/input_0.pb" "$work/input.f32"

check_outputs() {  # RAW_OUTPUT
    "$py" "$src/tests/apps/pbraw.py" from-raw "$1" "$data/expected/output_0.pb" "$work/out/output_0.pb"
    "$py" "$src/tests/compare.py" "$data/expected" "$work/out" --rel 1e-5
}

step "configure and build tests/apps/sample with CMAKE_PREFIX_PATH=$prefix"
cmake -S "$src/tests/apps/sample" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DMODEL="$work/model/tiny_cnn.onnx" -DCMAKE_BUILD_TYPE=Release >"$work/configure.log"
cmake --build "$work/build" >"$work/build1.log" 2>&1 || { cat "$work/build1.log"; exit 1; }
grep -q "onnx2c: .*tiny.c" "$work/build1.log" || { echo "first build did not run onnx2c" >&2; exit 1; }
"$work/build/sample" "$work/input.f32" "$work/output.f32"
check_outputs "$work/output.f32"
if [[ -f $prefix/include/onnx2c_rt.h ]]; then
    step "the installed runtime library links and runs"
    "$work/build/rt_check"
fi

step "WEIGHTS external: the weights file beside the program, and linked in (LINK_WEIGHTS)"
[[ -f $work/build/tiny_ext.bin ]] || { echo "WEIGHTS external: no tiny_ext.bin beside the program" >&2; exit 1; }
"$work/build/sample_ext" file "$work/input.f32" "$work/output_ext.f32"
check_outputs "$work/output_ext.f32"
"$work/build/sample_ext" file "$work/build/onnx2c/tiny_ext/tiny_ext.bin" "$work/input.f32" "$work/output_ext.f32"
check_outputs "$work/output_ext.f32"
# the linked program needs no file: every weights file moved away
mkdir -p "$work/away"
mv "$work/build/onnx2c/tiny_linked/tiny_linked.bin" "$work/build/tiny_ext.bin" "$work/away/"
"$work/build/sample_ext" linked "$work/input.f32" "$work/output_linked.f32"
check_outputs "$work/output_linked.f32"
if "$work/build/sample_ext" file "$work/input.f32" "$work/output_ext.f32" 2>"$work/ext_err.txt"; then
    echo "sample_ext ran with its weights file gone" >&2; exit 1
fi
grep -q "cannot be opened" "$work/ext_err.txt" || { cat "$work/ext_err.txt"; exit 1; }
mv "$work/away/tiny_linked.bin" "$work/build/onnx2c/tiny_linked/"
mv "$work/away/tiny_ext.bin" "$work/build/"

step "rebuild: nothing changed, so onnx2c must not run"
cmake --build "$work/build" >"$work/build2.log" 2>&1
if grep -q "onnx2c: " "$work/build2.log"; then
    echo "onnx2c re-ran although the model did not change" >&2; cat "$work/build2.log"; exit 1
fi

step "touch the model: onnx2c must run again"
before=$(stat -c %Y "$work/build/onnx2c/tiny/tiny.c")
sleep 1
touch "$work/model/tiny_cnn.onnx"
cmake --build "$work/build" >"$work/build3.log" 2>&1
grep -q "onnx2c: .*tiny.c" "$work/build3.log" || { echo "touching the model did not re-run onnx2c" >&2; cat "$work/build3.log"; exit 1; }
after=$(stat -c %Y "$work/build/onnx2c/tiny/tiny.c")
[[ "$after" != "$before" ]] || { echo "tiny.c was not rewritten" >&2; exit 1; }
"$work/build/sample" "$work/input.f32" "$work/output.f32"
check_outputs "$work/output.f32"

step "pkg-config: build the same program with $pc"
export PKG_CONFIG_PATH=$(dirname "$pc")
onnx2c=$(pkg-config --variable=onnx2c onnx2c)
"$onnx2c" "$work/model/tiny_cnn.onnx" -o "$work/pc/tiny.c" --name tiny
# shellcheck disable=SC2046
"${CC:-cc}" -std=c99 -O2 -Wall -Wextra -Werror -I"$work/pc" "$src/tests/apps/sample/main.c" "$work/pc/tiny.c" \
   -o "$work/pc/sample" $(pkg-config --cflags --libs onnx2c)
"$work/pc/sample" "$work/input.f32" "$work/pc_output.f32"
check_outputs "$work/pc_output.f32"
echo "install_sample: ok"
