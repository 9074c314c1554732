# Each conv kernel family's (and Gemm's) rounding error against ONNX Runtime's, one layer
# at a time, both measured against float64 (tests/precision/conv_precision.py):
# ours <= 1.3x ORT's.  Catches a kernel that sums or transforms less
# accurately (F(4x4) Winograd, one running sum over K), which shows only in
# deep networks as drift past 1e-4.  Label kernel; 77 (skip) without ORT.
add_test(NAME kernel.conv_precision_vs_ort
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/precision/conv_precision.py $<TARGET_FILE:onnx2c>
          ${CMAKE_CURRENT_BINARY_DIR}/conv_precision)
set_tests_properties(kernel.conv_precision_vs_ort PROPERTIES LABELS kernel SKIP_RETURN_CODE 77 TIMEOUT 300)
