/*
 * onnx_load.h - private interface between the three files of the ONNX loader:
 *   onnx_load.c    model, graph inputs/outputs, initializers, --dim, --bind
 *   onnx_tensor.c  TensorProto -> host data (raw, typed fields, external files)
 *   onnx_nodes.c   NodeProto -> Node, attributes, local-function inlining
 * Nothing outside these files includes it; the rest of the compiler sees only
 * the IR (ir.h).
 */
#ifndef ONNX2C_ONNX_LOAD_H
#define ONNX2C_ONNX_LOAD_H

#include "ir.h"
#include "onnx/onnx.pb-c.h"

/* Decodes tp into t: dtype, shape, data (host layout, numel * dtype_size
 * bytes, arena).  `what` names the tensor in messages ("initializer 'w'");
 * `dir` is the directory external data paths are relative to.  Every problem
 * with the data (length, overflow, unsupported type, bad external path) is a
 * fatal error naming `what`. */
void onnx_decode_tensor(const Onnx__TensorProto *tp, const char *what, const char *dir, Tensor *t);

/* The DType for an ONNX elem_type, fatal (naming `what`) for types the
 * compiler cannot hold at all (strings, complex, 8-bit floats, bfloat16). */
DType onnx_dtype(int32_t elem_type, const char *what);

/* Adds every node of m's main graph to g, inlining model-local functions
 * (ModelProto.functions) at their call sites.  dir as above (tensor
 * attributes may use external data). */
void onnx_build_nodes(Graph *g, const Onnx__ModelProto *m, const char *dir);

/* The model's opset for `domain` in an opset_import list; -1 when absent.
 * "" and "ai.onnx" are the same domain. */
int64_t onnx_opset_for(Onnx__OperatorSetIdProto *const *imports, size_t n, const char *domain);

#endif
