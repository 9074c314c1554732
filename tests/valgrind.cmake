# valgrind.cmake - label `valgrind`: generated code and the training runtime under memcheck
# (tests/valgrind.sh): the committed example on its test data, a whole model
# (fashion_resnet_0to4 with --main) and one epoch of head training.  No invalid access, no
# uninitialised value used, no definite leak.  Skipped (77) without valgrind.
# train compiles the runtime's sources for AVX2 itself and links the compiler's libraries, which the
# runtime's --deploy-weights calls (runtime/deploy.c).
set(_vg_compiler_libs "$<TARGET_FILE:onnx2c_cli>;$<TARGET_FILE:onnx2c_core>;$<TARGET_FILE:onnx2c_pack>;$<TARGET_FILE:onnx_pb>")
foreach(c example model train)
  add_test(NAME valgrind.${c}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/valgrind.sh ${c} $<TARGET_FILE:onnx2c> ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/valgrind_${c} "${_vg_compiler_libs}")
  set_tests_properties(valgrind.${c} PROPERTIES LABELS valgrind SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()
