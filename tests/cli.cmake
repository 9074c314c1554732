# The command line itself (labels `unit` and `cli`); --check-ir also runs on the
# graph passes' models when the model tests have exported them (model_tests/).
add_test(NAME cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli.sh $<TARGET_FILE:onnx2c> ${PROJECT_SOURCE_DIR}
         ${CMAKE_CURRENT_BINARY_DIR}/cli ${CMAKE_BINARY_DIR}/model_tests)
set_tests_properties(cli PROPERTIES LABELS "unit;cli")
