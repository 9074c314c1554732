# The int8 kernels (templates/int8/qpool.c, qconvert.c, qdw.c) against ONNX
# Runtime itself: tests/int8_ort/check.py runs one-node QLinearAveragePool,
# QLinearGlobalAveragePool, MaxPool, QuantizeLinear, DequantizeLinear,
# depthwise QLinearConv and DequantizeLinear -> GlobalAveragePool (float) models
# under onnxruntime-node and the same operations
# through tests/int8_ort/harness.c, and requires equal outputs.  Label kernel;
# exit 77 (skipped) without ONNX Runtime or onnx.
if(NOT DEFINED ONNX2C_PYTHON)
  set(ONNX2C_PYTHON /usr/bin/python3)
endif()
add_executable(int8_ort_harness ${CMAKE_CURRENT_SOURCE_DIR}/int8_ort/harness.c)
target_include_directories(int8_ort_harness PRIVATE ${PROJECT_SOURCE_DIR}/templates)
target_compile_options(int8_ort_harness PRIVATE ${ONNX2C_WARNINGS} -march=native -ffp-contract=off)
target_link_libraries(int8_ort_harness PRIVATE onnx2c_pack m)
add_test(NAME kernel.int8_vs_ort
  COMMAND ${ONNX2C_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/int8_ort/check.py $<TARGET_FILE:int8_ort_harness>
          ${CMAKE_CURRENT_BINARY_DIR}/int8_ort 3)
set_tests_properties(kernel.int8_vs_ort PROPERTIES LABELS kernel SKIP_RETURN_CODE 77 TIMEOUT 300)
