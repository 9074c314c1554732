# bad.cmake - the bad-input corpus: broken models onnx2c must refuse with a
# clear message and exit status 1 or 3, never a crash.  bad.generate writes
# the models at test time (tests/bad/gen_bad.py, needs python3 with onnx);
# each case is then its own test, labelled `bad`.
find_program(ONNX2C_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
set(BAD_DIR ${CMAKE_CURRENT_BINARY_DIR}/bad)
set(BAD_CASES
  truncated garbage empty cycle missing_input missing_output function_recursion
  unsupported_ops einsum_not_matmul subgraph_if legacy_broadcast opset99 no_opset shape_add conv_channels nonfloat_weight
  nonfloat_input string_init symbolic_dim batch_transpose absurd_init absurd_input
  short_data ext_dotdot ext_absolute ext_symlink ext_missing ext_too_long
  q_zero_scale q_negative_scale dq_zero_point_type q_axis_range q_int8_where_float)

add_test(NAME bad.generate
  COMMAND ${CMAKE_COMMAND} -E env ${ONNX2C_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/bad/gen_bad.py ${BAD_DIR})
set_tests_properties(bad.generate PROPERTIES LABELS bad FIXTURES_SETUP bad_corpus)
file(MAKE_DIRECTORY ${BAD_DIR})

foreach(c ${BAD_CASES})
  add_test(NAME bad.${c}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bad_input.sh $<TARGET_FILE:onnx2c> ${c} ${BAD_DIR})
  set_tests_properties(bad.${c} PROPERTIES LABELS bad FIXTURES_REQUIRED bad_corpus)
endforeach()

# The good path for local functions: a torch export_modules_as_functions model
# compiled, run and compared with PyTorch.
add_test(NAME loader.torch_functions
  COMMAND ${ONNX2C_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/bad/torch_functions.py $<TARGET_FILE:onnx2c>
          ${CMAKE_CURRENT_BINARY_DIR}/torch_functions ${CMAKE_C_COMPILER})
set_tests_properties(loader.torch_functions PROPERTIES LABELS loader)
