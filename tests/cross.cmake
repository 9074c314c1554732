# Portability of the generated C (issue 6): the committed example built for
# aarch64 and run under qemu-user, and the native gcc/clang x -O0/-O3 x
# OpenMP on/off combinations that tests/example.cmake does not already cover.
# All compare with tests/data/tiny_cnn/expected (ONNX Runtime's outputs).
set(_ex_c ${PROJECT_SOURCE_DIR}/generated/example/tiny_cnn.c)
set(_exdata ${PROJECT_SOURCE_DIR}/tests/data/tiny_cnn)

# Skipped (exit 77) only when the cross compiler or qemu is not installed.
add_test(NAME cross.aarch64_qemu
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/cross_aarch64.sh ${_ex_c} ${_exdata}/input ${_exdata}/expected
          ${CMAKE_CURRENT_BINARY_DIR}/cross_aarch64)
set_tests_properties(cross.aarch64_qemu PROPERTIES LABELS "cross;example" SKIP_RETURN_CODE 77)

# example.cmake has gcc -O0/-O2/-O3 -fopenmp and clang -O2/-O3 -fopenmp;
# these complete the matrix.
foreach(cfg "gcc|-O3" "gcc|-O0 -fopenmp" "clang|-O0" "clang|-O3" "clang|-O0 -fopenmp"
            "clang|-O3 -march=native -fopenmp")
  string(REPLACE "|" ";" parts "${cfg}")
  list(GET parts 0 cc)
  list(GET parts 1 flags)
  string(MAKE_C_IDENTIFIER "${cc}${flags}" id)
  add_test(NAME example.matrix.${id}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/build_generated.sh ${cc} "${flags}" ${_ex_c}
            ${_exdata}/input ${_exdata}/expected ${CMAKE_CURRENT_BINARY_DIR}/matrix_${id})
  set_tests_properties(example.matrix.${id} PROPERTIES LABELS "example;cross")
endforeach()
