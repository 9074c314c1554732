# Clip with no bounds after an overflowing Conv/Gemm, fused and standalone,
# against ONNX Runtime (label `verify`: it needs node and onnxruntime-node,
# and is skipped without them).
add_test(NAME verify.clip_bounds
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/clip_bounds.sh $<TARGET_FILE:onnx2c> ${CMAKE_CURRENT_BINARY_DIR}/clip_bounds)
set_tests_properties(verify.clip_bounds PROPERTIES LABELS verify SKIP_RETURN_CODE 77 TIMEOUT 300)
