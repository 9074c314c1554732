#!/bin/bash
# limits.sh - the resource limits (--max-weights, --max-arena, --max-source): a model over one
# gets exit 1 and a message naming what and the option, before the output is written; a bad
# value is a usage error; the defaults let the committed models through.
#
# usage: limits.sh ONNX2C SOURCE_DIR WORK_DIR
set -uo pipefail
onnx2c=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fails=0
check() { # name expected-exit regex command...
    local name=$1 want=$2 re=$3
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
check defaults 0 '' "$onnx2c" "$m" -o ok.c
check weights 1 "the model's initializers would take [0-9]+ bytes, over the limit of 1024 \(--max-weights=BYTES" \
    "$onnx2c" "$m" -o w.c --max-weights=1K
check arena 1 'the workspace arena \(per sample\) would take [0-9]+ bytes, over the limit of 2048 \(--max-arena' \
    "$onnx2c" "$m" -o a.c --max-arena=2k
check source 1 'the generated C source would take [0-9]+ bytes, over the limit of 65536 \(--max-source' \
    "$onnx2c" "$m" -o s.c --max-source=64K
check no_output_written 1 '' test -e s.c
check raised 0 '' "$onnx2c" "$m" -o r.c --max-weights=1M --max-arena=1G --max-source=1T
check bad_value 2 "--max-arena takes a byte count \(e.g. 512M, 8G\), got '12X'" "$onnx2c" "$m" -o b.c --max-arena=12X
check negative 2 "--max-weights takes a byte count" "$onnx2c" "$m" -o b.c --max-weights=-1
# a fold that would make a 16 GB constant (ConstantOfShape of [2^32]): refused before allocating it
/usr/bin/python3 - <<'PY' || { echo "FAIL: cannot write fold.onnx"; exit 1; }
import numpy as np
from onnx import TensorProto, helper, numpy_helper
g = helper.make_graph(
    [helper.make_node("ConstantOfShape", ["shape"], ["c"], value=numpy_helper.from_array(np.array([1], np.float32))),
     helper.make_node("Add", ["x", "c"], ["y"])],
    "fold", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    [numpy_helper.from_array(np.array([1 << 32], np.int64), "shape")])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
open("fold.onnx", "wb").write(m.SerializeToString())
PY
check fold 1 "node '.*' \(ConstantOfShape\): its folded output 'c' would take 17179869184 bytes, over the limit of 4294967296 \(--max-weights" \
    "$onnx2c" fold.onnx -o f.c
[ "$fails" = 0 ] && echo "limits: all passed"
exit $((fails != 0))
