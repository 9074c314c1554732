# quantize.cmake - tests of `onnx2c quantize`, the int8 calibrator (label
# `quantize`; tests/quantize/check_quantize.py says what each case checks).
# ONNX Runtime (node + tests/ort/node_modules) is the reference: without it
# the cases that need it are skipped (exit 77).
foreach(case resnet methods shared images views bad)
  add_test(NAME quantize.${case}
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/quantize/check_quantize.py ${case}
            $<TARGET_FILE:onnx2c> ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/quantize_${case})
  set_tests_properties(quantize.${case} PROPERTIES LABELS quantize SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
