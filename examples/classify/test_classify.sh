#!/bin/bash
# test_classify.sh - the example application's test (see CMakeLists.txt).
# usage: test_classify.sh CLASSIFY MODEL LABELS SOURCE_DIR WORK_DIR
set -euo pipefail
classify=$1 model=$2 labels=$3 src=$4 work=$5
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
/usr/bin/python3 "$here/make_test_images.py" "$work"
imgs=("$work/rings.png" "$work/checks.png")

"$classify" --labels "$labels" --dump-input "$work/dump" "${imgs[@]}" | tee "$work/stdout.txt"
for k in 0 1; do
    node "$src/tests/ort/ort_run.js" "$model" "$work/dump/$k" "$work/ort/$k"
done
/usr/bin/python3 "$here/check_top5.py" "$work/stdout.txt" "$work/dump" "$work/ort" "${imgs[@]}"

expect_error() {  # MESSAGE_REGEX ARGS...
    local want=$1
    shift
    if "$classify" "$@" >"$work/err.txt" 2>&1; then
        echo "classify $* succeeded, expected an error" >&2; exit 1
    fi
    grep -Eq "$want" "$work/err.txt" || { echo "classify $*: expected /$want/, got:" >&2; cat "$work/err.txt" >&2; exit 1; }
    echo "error ok: $(cat "$work/err.txt")"
}
expect_error "cannot open '.*/missing.png': No such file" "$work/missing.png"
expect_error "'.*/not_an_image.png' is not an image" "$work/not_an_image.png"
head -n 999 "$labels" >"$work/short_labels.txt"
expect_error "has 999 names, the model has 1000 classes" --labels "$work/short_labels.txt" "${imgs[0]}"
expect_error "cannot open labels file" --labels "$work/nope.txt" "${imgs[0]}"
echo "test_classify: ok"
