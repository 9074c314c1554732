# Smoke test of the benchmark (scripts/bench.py), never a timed test: it
# only checks that the script builds the tiny example model, runs it and ONNX
# Runtime alternately and prints its markdown table row.  Skipped (77) when
# node or tests/ort/node_modules is missing.
if(NOT DEFINED ONNX2C_PYTHON)
  set(ONNX2C_PYTHON /usr/bin/python3)
endif()
add_test(NAME bench.smoke
  COMMAND sh -c "command -v node >/dev/null && test -d '${CMAKE_CURRENT_SOURCE_DIR}/ort/node_modules' || exit 77; \
exec '${ONNX2C_PYTHON}' '${PROJECT_SOURCE_DIR}/scripts/bench.py' --onnx '${PROJECT_SOURCE_DIR}/models/tiny_cnn.onnx' \
--data '${CMAKE_CURRENT_SOURCE_DIR}/data/tiny_cnn/input' --threads 1 --rounds 1 --runs 1 \
--work '${CMAKE_CURRENT_BINARY_DIR}/bench_smoke' --onnx2c '$<TARGET_FILE:onnx2c>'")
set_tests_properties(bench.smoke PROPERTIES LABELS bench SKIP_RETURN_CODE 77 TIMEOUT 300
  PASS_REGULAR_EXPRESSION "\\| tiny_cnn \\| 1 \\| 1 \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\|")
