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

# The conv packers and the GEMM have AVX-512, AVX2 and portable variants chosen by the target
# ISA; onnx2c_rt is built for this machine's, so the other variants get their own builds of
# test_rt_conv and test_rt_gemm here (x86-64 with gcc/clang only), against the same naive loops.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  set(RT_ISA_SOURCES conv.c wino.c gemm.c layers.c status.c rng.c)
  list(TRANSFORM RT_ISA_SOURCES PREPEND ${CMAKE_SOURCE_DIR}/runtime/)
  foreach(isa avx2 portable)
    set(flags -O2)
    if(isa STREQUAL "avx2")
      set(flags -O2 -mavx2 -mfma -mno-avx512f)
    else()
      set(flags -O2 -mno-avx -mno-avx2 -mno-fma -mno-avx512f)
    endif()
    foreach(t test_rt_conv test_rt_gemm)
      add_executable(${t}_${isa} ${CMAKE_CURRENT_SOURCE_DIR}/runtime/${t}.c ${RT_ISA_SOURCES})
      target_include_directories(${t}_${isa} PRIVATE ${CUNIT_INCLUDE} ${CMAKE_SOURCE_DIR}/runtime
        ${CMAKE_SOURCE_DIR}/templates)
      target_compile_options(${t}_${isa} PRIVATE ${ONNX2C_WARNINGS} ${flags})
      target_link_libraries(${t}_${isa} PRIVATE ${CUNIT_LIB} m)
      if(OpenMP_C_FOUND)
        target_link_libraries(${t}_${isa} PRIVATE OpenMP::OpenMP_C)
      endif()
      add_test(NAME runtime.${t}_${isa} COMMAND ${t}_${isa})
      set_tests_properties(runtime.${t}_${isa} PROPERTIES LABELS runtime)
    endforeach()
  endforeach()
endif()
