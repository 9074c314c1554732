# Views at the graph's edges (a Flatten as the graph output), against ONNX Runtime.
add_test(NAME verify.view_output
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/view_output.sh $<TARGET_FILE:onnx2c> ${CMAKE_CURRENT_BINARY_DIR}/view_output)
set_tests_properties(verify.view_output PROPERTIES LABELS verify)

# Samples run a group at a time, part by part (PREFIX_group), at odd batches on one and two threads.
add_test(NAME verify.batch_group
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/batch_group.sh $<TARGET_FILE:onnx2c> ${CMAKE_CURRENT_BINARY_DIR}/batch_group)
set_tests_properties(verify.batch_group PROPERTIES LABELS verify)
