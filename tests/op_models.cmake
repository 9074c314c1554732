# op_models.cmake - single-operator models checked against ONNX Runtime (label
# `conformance`): what the ONNX node test data cannot show, such as Gelu
# (opset 20), float ReduceLogSumExp, comparisons feeding Where at run time,
# Expand to a run-time batch and the decomposed LayerNorm.  The cases live in
# tests/op_models/make_models.py; each test writes its model and runs
# `onnx2c verify --random --batch 2` on it (tests/op_models/run_case.sh).
if(NOT ONNX2C_CONFORMANCE_TESTS)
  return()
endif()
set(_om ${CMAKE_CURRENT_LIST_DIR}/op_models)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_om}/make_models.py)
execute_process(COMMAND /usr/bin/python3 ${_om}/make_models.py --list
  OUTPUT_VARIABLE _om_cases OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _om_rc)
if(NOT _om_rc EQUAL 0)
  message(FATAL_ERROR "tests/op_models/make_models.py --list failed (${_om_rc}): needs /usr/bin/python3 with onnx")
endif()
# extra `onnx2c verify` options per case: the int8 convs must equal ORT's QLinearConv exactly
set(_om_args_qop_conv_exact --tol-steps 0)
set(_om_args_qconv_chain --tol-steps 0)
set(_om_args_qop_int8_region --tol-steps 0)
set(_om_args_qdq_head --tol-steps 0)
set(_om_args_qop_group_conv --tol-steps 0)
foreach(c ${_om_cases})
  add_test(NAME opmodel.${c}
    COMMAND bash ${_om}/run_case.sh $<TARGET_FILE:onnx2c> ${c} ${CMAKE_BINARY_DIR}/op_models/${c} ${_om_args_${c}})
  set_tests_properties(opmodel.${c} PROPERTIES LABELS conformance SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
