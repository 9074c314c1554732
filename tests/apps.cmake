# Using onnx2c from applications (issue 6): an outside project built against
# the installed package (find_package + onnx2c_add_model, and pkg-config).
# The example application's own tests are in examples/classify/.
add_test(NAME apps.install_sample
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/apps/install_sample.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/apps_sample)
# The sample is built with the compiler that built the package: the installed runtime
# needs that compiler's OpenMP runtime (libgomp for gcc, libomp for clang).
set_tests_properties(apps.install_sample PROPERTIES LABELS apps TIMEOUT 300 ENVIRONMENT "CC=${CMAKE_C_COMPILER}")
