# verify.cmake - tests of `onnx2c verify` (label `verify`): it must pass on
# a good model with random batched inputs and on a conformance test's data,
# fail (exit 1) on a deliberately corrupted weight and name the right node,
# and refuse bad usage (exit 2).  The ONNX Runtime cases need node and
# tests/ort/node_modules (scripts/setup.sh); without them they are skipped.
set(_vf_run ${CMAKE_CURRENT_LIST_DIR}/verify/run_verify.sh)
set(_vf_ort ${CMAKE_CURRENT_LIST_DIR}/ort)
set(_vf_tiny ${PROJECT_SOURCE_DIR}/models/tiny_cnn.onnx)
set(_vf_node /usr/share/libonnx-testdata/data/node)

# _verify_test(NAME ORT_DIR|- EXPECT_RC [EXPECT "s"...] ARGS verify-args...)
function(_verify_test name ort rc)
  cmake_parse_arguments(V "" "" "EXPECT;ARGS" ${ARGN})
  set(checks "")
  foreach(s ${V_EXPECT})
    list(APPEND checks -e "${s}")
  endforeach()
  add_test(NAME verify.${name}
    COMMAND bash ${_vf_run} ${ort} ${rc} ${checks} -- $<TARGET_FILE:onnx2c> verify ${V_ARGS})
  set_tests_properties(verify.${name} PROPERTIES LABELS verify SKIP_RETURN_CODE 77 TIMEOUT 300)
endfunction()

_verify_test(tiny_cnn_random_b2 ${_vf_ort} 0
  EXPECT "output 0 'logits' [2,10]" "arg-max agrees in 2/2 rows: ok" "PASS"
  ARGS ${_vf_tiny} --random --seed 7 --batch 2)
_verify_test(conformance_softmax ${_vf_ort} 0
  EXPECT "output 0 'y' [3,4,5]" "PASS"
  ARGS ${_vf_node}/test_softmax_axis_1/model.onnx --input ${_vf_node}/test_softmax_axis_1)
_verify_test(conformance_maxpool ${_vf_ort} 0
  EXPECT "PASS"
  ARGS ${_vf_node}/test_maxpool_2d_pads/model.onnx --input ${_vf_node}/test_maxpool_2d_pads/test_data_set_0)
# block.conv1.weight belongs to the second Conv: the corruption must be found
# there, with the MaxPool before it still matching
_verify_test(corrupt_weight ${_vf_ort} 1
  EXPECT "FAIL: outputs differ" "first diverging node: '/block/conv1/Conv' (Conv)"
         "last node that still matched: '/stem/stem.3/MaxPool' (MaxPool)"
  ARGS ${_vf_tiny} --random --batch 2 -- --debug-corrupt-weight block.conv1.weight)
# the first Conv: nothing before it to match
_verify_test(corrupt_first_conv ${_vf_ort} 1
  EXPECT "first diverging node: '/stem/stem.0/Conv' (Conv)" "it is the first node compared"
  ARGS ${_vf_tiny} -- --debug-corrupt-weight stem.0.weight)

# usage and setup errors: exit 2 with a message, before anything is built
_verify_test(usage_no_model - 2 EXPECT "no model given" ARGS --random)
_verify_test(usage_unknown_option - 2 EXPECT "unknown option '--frobnicate'" ARGS ${_vf_tiny} --frobnicate)
_verify_test(usage_input_and_random - 2 EXPECT "exclude each other" ARGS ${_vf_tiny} --random --input /tmp)
_verify_test(usage_batch_with_input - 2 EXPECT "--batch and --seed are for --random"
  ARGS ${_vf_tiny} --input /tmp --batch 2)
_verify_test(usage_bad_tol - 2 EXPECT "--tol takes a positive number" ARGS ${_vf_tiny} --tol -1)
_verify_test(usage_missing_value - 2 EXPECT "--batch needs a value" ARGS ${_vf_tiny} --batch)
_verify_test(usage_missing_model - 2 EXPECT "cannot read the model" ARGS /nonexistent/model.onnx)
_verify_test(usage_passthrough_o - 2 EXPECT "cannot be passed to onnx2c" ARGS ${_vf_tiny} -- -o x.c)
add_test(NAME verify.setup_bad_ort_dir
  COMMAND ${CMAKE_COMMAND} -E env ONNX2C_ORT_DIR=/nonexistent
          bash ${_vf_run} - 2 -e "ONNX2C_ORT_DIR=/nonexistent has no ort_run.js" -- $<TARGET_FILE:onnx2c> verify ${_vf_tiny})
set_tests_properties(verify.setup_bad_ort_dir PROPERTIES LABELS verify)
