#!/usr/bin/python3
"""pbraw.py - move tensors between ONNX TensorProto .pb files and raw
little-endian float32 files, for test programs that read and write raw data.

    pbraw.py to-raw IN.pb OUT.f32
    pbraw.py from-raw IN.f32 LIKE.pb OUT.pb    (shape and name taken from LIKE.pb)
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "to-raw":
        numpy_helper.to_array(load(sys.argv[2])).astype("<f4").tofile(sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "from-raw":
        like = load(sys.argv[3])
        raw = np.fromfile(sys.argv[2], dtype="<f4")
        shape = tuple(like.dims)
        if raw.size != int(np.prod(shape)):
            sys.exit(f"pbraw: {sys.argv[2]} has {raw.size} floats, {sys.argv[3]} is {list(shape)}")
        t = numpy_helper.from_array(raw.reshape(shape), like.name)
        with open(sys.argv[4], "wb") as f:
            f.write(t.SerializeToString())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
