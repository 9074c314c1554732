# The committed example (generated/example/): it must be what onnx2c makes
# today, and it must build clean and give the same numbers under gcc and clang,
# with and without OpenMP, at -O0 and -O3.
add_test(NAME example.up_to_date
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_example.sh $<TARGET_FILE:onnx2c> ${PROJECT_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/example_fresh)
set_tests_properties(example.up_to_date PROPERTIES LABELS example)

set(_ex ${PROJECT_SOURCE_DIR}/generated/example)
set(_exdata ${PROJECT_SOURCE_DIR}/tests/data/tiny_cnn)
# The input holds 2 samples: with OpenMP on 2 or more processors the run takes
# them side by side, one per thread in arenas of their own; the sanitized build
# checks that the workspace holds them.
foreach(cfg "gcc|-O2" "gcc|-O3 -fopenmp" "gcc|-O0" "clang|-O2" "clang|-O3 -fopenmp" "gcc|-O2 -march=native -fopenmp"
            "gcc|-O1 -fopenmp -fsanitize=address,undefined -fno-sanitize-recover=undefined")
  string(REPLACE "|" ";" parts "${cfg}")
  list(GET parts 0 cc)
  list(GET parts 1 flags)
  string(MAKE_C_IDENTIFIER "${cc}${flags}" id)
  add_test(NAME example.build.${id}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/build_generated.sh ${cc} "${flags}" ${_ex}/tiny_cnn.c
            ${_exdata}/input ${_exdata}/expected ${CMAKE_CURRENT_BINARY_DIR}/example_${id})
  set_tests_properties(example.build.${id} PROPERTIES LABELS example)
endforeach()
