#!/usr/bin/python3
"""gen_node_tests.py - regenerate the ONNX backend node tests with Debian's python3-onnx.

    /usr/bin/python3 scripts/gen_node_tests.py OUT_DIR [-t OP_TYPE]

Optional: the conformance suite reads Debian's libonnx-testdata, which is the
source of truth.  This regenerates the same kind of data (OUT_DIR/node/<test>/)
from the test-case generators shipped in python3-onnx 1.12, e.g. to inspect how
a case was built or to produce a case the package lacks.  Those generators
still use numpy aliases removed in numpy 1.24 (np.float, np.int, np.bool,
np.object, np.str); they are restored as the builtins they always meant
before the generator is imported.  Then point the suite at it:

    cmake -B build -DONNX2C_NODE_TEST_DATA=OUT_DIR/node
"""
import sys
import warnings

import numpy as np

with warnings.catch_warnings():  # hasattr on a removed alias warns; that is the point
    warnings.simplefilter("ignore")
    for alias, real in (("float", float), ("int", int), ("bool", bool), ("object", object), ("str", str)):
        if not hasattr(np, alias):
            setattr(np, alias, real)

if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
    sys.exit(__doc__)

from onnx.backend.test import cmd_tools  # noqa: E402  (after the aliases)

out = sys.argv[1]
sys.argv = [sys.argv[0], "generate-data", "-o", out] + sys.argv[2:]
cmd_tools.main()
