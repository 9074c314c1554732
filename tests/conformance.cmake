# conformance.cmake - ONNX backend node tests (label `conformance`).
#
# One CTest test per libonnx-testdata node test whose model uses only ops in
# compiler/ops/ops.def.  The selection is made at configure time by
# tests/conformance_list.py and cached in the build dir; editing ops.def
# re-runs configure (CMAKE_CONFIGURE_DEPENDS), so a new OP row brings its
# tests in.  Refusals are governed by tests/conformance_unsupported.txt (read
# at test time, see tests/run_node_test.sh).
if(NOT ONNX2C_CONFORMANCE_TESTS)
  return()
endif()

set(ONNX2C_NODE_TEST_DATA /usr/share/libonnx-testdata/data/node CACHE PATH
    "ONNX backend node test data (Debian's libonnx-testdata)")
set(_ct_ops_def ${PROJECT_SOURCE_DIR}/compiler/ops/ops.def)
set(_ct_lister ${CMAKE_CURRENT_LIST_DIR}/conformance_list.py)
set(_ct_cache ${CMAKE_BINARY_DIR}/conformance_tests.txt)
if(NOT IS_DIRECTORY ${ONNX2C_NODE_TEST_DATA})
  message(FATAL_ERROR "no ONNX node test data in ${ONNX2C_NODE_TEST_DATA}: run scripts/setup.sh "
                      "(libonnx-testdata) or configure with -DONNX2C_CONFORMANCE_TESTS=OFF")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_ct_ops_def} ${_ct_lister})

if(NOT EXISTS ${_ct_cache} OR ${_ct_ops_def} IS_NEWER_THAN ${_ct_cache}
   OR ${_ct_lister} IS_NEWER_THAN ${_ct_cache})
  execute_process(
    COMMAND /usr/bin/python3 ${_ct_lister} ${ONNX2C_NODE_TEST_DATA} ${_ct_ops_def} ${_ct_cache}
    RESULT_VARIABLE _ct_rc)
  if(NOT _ct_rc EQUAL 0)
    message(FATAL_ERROR "tests/conformance_list.py failed (${_ct_rc}): needs /usr/bin/python3 with onnx")
  endif()
endif()

file(STRINGS ${_ct_cache} _ct_lines)
foreach(line ${_ct_lines})
  string(REPLACE "|" ";" parts "${line}")
  list(GET parts 0 name)
  list(LENGTH parts n)
  set(binds "")
  if(n GREATER 2)
    list(GET parts 2 binds)
  endif()
  add_test(NAME conformance.${name}
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run_node_test.sh $<TARGET_FILE:onnx2c>
            ${ONNX2C_NODE_TEST_DATA}/${name} ${CMAKE_BINARY_DIR}/node_tests/${name} "${binds}")
  set_tests_properties(conformance.${name} PROPERTIES
    LABELS conformance SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()
