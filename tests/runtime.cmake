# Runtime tests (issue 5): CUnit executables tests/runtime/test_*.c linked with
# onnx2c_rt, label `runtime`.  The PyTorch comparisons read reference dumps that
# tests/runtime/torch_ref.py writes into the build dir at test time (a CTest
# fixture), so no binary reference is committed.
set(RT_REF_DIR ${CMAKE_CURRENT_BINARY_DIR}/runtime_ref)
add_test(NAME runtime.torch_ref
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/runtime/torch_ref.py ${RT_REF_DIR})
set_tests_properties(runtime.torch_ref PROPERTIES LABELS runtime FIXTURES_SETUP rt_torch_ref)

file(GLOB RT_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/runtime/test_*.c)
foreach(src ${RT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CUNIT_INCLUDE} ${CMAKE_CURRENT_SOURCE_DIR}/runtime ${STB_INCLUDE})
  target_compile_options(${name} PRIVATE ${ONNX2C_WARNINGS})
  target_link_libraries(${name} PRIVATE onnx2c_rt ${CUNIT_LIB})
  add_test(NAME runtime.${name} COMMAND ${name})
  set_tests_properties(runtime.${name} PROPERTIES LABELS runtime
    ENVIRONMENT "RT_REF_DIR=${RT_REF_DIR};RT_TMP_DIR=${CMAKE_CURRENT_BINARY_DIR}/runtime_tmp")
  if(name STREQUAL "test_rt_torch")
    set_tests_properties(runtime.${name} PROPERTIES FIXTURES_REQUIRED rt_torch_ref)
  endif()
endforeach()
