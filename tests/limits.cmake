# limits.cmake - the resource limits (--max-weights, --max-arena, --max-source), labels cli and bad.
add_test(NAME cli.limits COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/limits.sh $<TARGET_FILE:onnx2c> ${PROJECT_SOURCE_DIR}
         ${CMAKE_CURRENT_BINARY_DIR}/limits)
set_tests_properties(cli.limits PROPERTIES LABELS "cli;bad")
