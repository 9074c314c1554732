# The generated --main runner (templates/runner.c), tested without the compiler:
# tests/runner/fake_model.c stands in for emit.c's output, and
# tests/runner/test_runner.py builds it (gcc/clang, +-OpenMP, ASan+UBSan) and
# runs it on ONNX conformance data, numpy_helper files, and a corpus of bad
# files.  Needs a Python with onnx and numpy; exit 77 (skipped) without them.
if(NOT DEFINED ONNX2C_PYTHON)
  set(ONNX2C_PYTHON /usr/bin/python3)
endif()
add_test(NAME runner.fake_model
  COMMAND ${ONNX2C_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/runner/test_runner.py ${CMAKE_CURRENT_BINARY_DIR}/runner)
set_tests_properties(runner.fake_model PROPERTIES LABELS runner SKIP_RETURN_CODE 77 TIMEOUT 900
  ENVIRONMENT "CC=${CMAKE_C_COMPILER}")
