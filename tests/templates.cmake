# Each conv kernel family pasted alone: onnx2c pastes what the family's
# "Needs:" header line names, in order, and the result compiles clean under
# gcc and clang (tests/kernels/template_needs.py, needs /usr/bin/python3 with onnx).
add_test(NAME kernel.template_needs
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/kernels/template_needs.py $<TARGET_FILE:onnx2c>
          ${PROJECT_SOURCE_DIR}/templates ${CMAKE_CURRENT_BINARY_DIR}/template_needs)
set_tests_properties(kernel.template_needs PROPERTIES LABELS kernel)
