# The command line itself (label `unit`).
add_test(NAME cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli.sh $<TARGET_FILE:onnx2c> ${PROJECT_SOURCE_DIR}
         ${CMAKE_CURRENT_BINARY_DIR}/cli)
set_tests_properties(cli PROPERTIES LABELS unit)
