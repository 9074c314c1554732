# fuzz.cmake - the libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with
# -DONNX2C_FUZZ=ON (clang).  One per parser:
#   compiler    the whole compiler, .onnx bytes to emitted C
#   runner      the --main runner's TensorProto reader (templates/runner.c)
#   idx         the runtime's IDX reader (plain and gzip)
#   image       the runtime's image loading (stb_image + transform)
#   checkpoint  the runtime's checkpoint reader
#   export      the runtime's ONNX rewriter (export_onnx.c's protobuf reader)
#   weights     a model's weights loader (onnx2c --weights: PREFIX_bind_weights,
#               PREFIX_load_weights_file), on tiny_cnn generated at build time
# Each has a seed corpus in tests/fuzz/<name>/ (read only: new inputs go to
# the build dir's fuzz/corpus/<name>/, crashes to fuzz/artifacts/).  Label
# `fuzz`: each runs ONNX2C_FUZZ_RUNS inputs from its corpus with a fixed seed
# (at most ONNX2C_FUZZ_SECONDS) and fails on a crash, a leak, a sanitizer
# report or a timeout.  A fixed seed and count make the run the same sequence
# of inputs every time, so CI cannot turn red on a bug it happened to find
# today; finding bugs is the long runs' job (docs/fuzzing.md), and each one
# found becomes a corpus file.  `make fuzzers` builds them all.
if(NOT ONNX2C_FUZZ)
  return()
endif()
set(ONNX2C_FUZZ_RUNS 60000 CACHE STRING "inputs each fuzz test runs (seed 1)")
set(ONNX2C_FUZZ_SECONDS 60 CACHE STRING "most seconds each fuzz test runs")
set(FUZZ_SRC ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
set(FUZZ_WORK ${CMAKE_CURRENT_BINARY_DIR}/fuzz)
set(FUZZ_NAMES compiler runner idx image checkpoint export weights)
add_custom_target(fuzzers)
foreach(name ${FUZZ_NAMES})
  add_executable(fuzz_${name} ${FUZZ_SRC}/fuzz_${name}.c)
  target_compile_options(fuzz_${name} PRIVATE ${ONNX2C_WARNINGS})
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  add_dependencies(fuzzers fuzz_${name})
  file(MAKE_DIRECTORY ${FUZZ_WORK}/corpus/${name} ${FUZZ_WORK}/artifacts)
  set(dict "")
  if(EXISTS ${FUZZ_SRC}/${name}.dict)
    set(dict -dict=${FUZZ_SRC}/${name}.dict)
  endif()
  add_test(NAME fuzz.${name}
    COMMAND fuzz_${name} -seed=1 -runs=${ONNX2C_FUZZ_RUNS} -max_total_time=${ONNX2C_FUZZ_SECONDS} -timeout=30 -rss_limit_mb=2048
            -close_fd_mask=2 -print_final_stats=1 ${dict} -artifact_prefix=${FUZZ_WORK}/artifacts/${name}-
            ${FUZZ_WORK}/corpus/${name} ${FUZZ_SRC}/${name})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endforeach()
target_link_libraries(fuzz_compiler PRIVATE onnx2c_core)
target_include_directories(fuzz_runner PRIVATE ${PROJECT_SOURCE_DIR}/templates ${CMAKE_CURRENT_SOURCE_DIR}/runner)
# the fake model and the runner template are generated-code style: C99, unused helpers
target_compile_options(fuzz_runner PRIVATE -Wno-unused-function -Wno-missing-prototypes)
foreach(name idx image checkpoint export)
  target_link_libraries(fuzz_${name} PRIVATE onnx2c_rt)
endforeach()
# images up to 1024x1024 here (8192x8192 in a normal build): a 100-byte PNG may declare a
# 64-megapixel image, and decoding that under the sanitizers takes seconds per input
target_compile_definitions(onnx2c_rt PRIVATE RT_MAX_IMAGE_PIXELS=1048576)
# stb 2.27's known undefined behaviour on corrupt JPEG entropy data (an over-wide shift, a
# negative index into its own tables; docs/fuzzing.md) is not ours to fix: AddressSanitizer
# still watches stb's memory accesses, UBSan does not report it
set_source_files_properties(${PROJECT_SOURCE_DIR}/runtime/stb_image_impl.c DIRECTORY ${PROJECT_SOURCE_DIR}/runtime
  PROPERTIES COMPILE_OPTIONS "-fno-sanitize=undefined")
# fuzz_weights: tiny_cnn compiled with --weights; its valid fw.bin seeds the corpus
set(_fw ${FUZZ_WORK}/weights_model)
file(MAKE_DIRECTORY ${_fw})
add_custom_command(
  OUTPUT ${_fw}/fw.c ${_fw}/fw.h ${_fw}/fw.bin
  COMMAND onnx2c ${PROJECT_SOURCE_DIR}/models/tiny_cnn.onnx -o ${_fw}/fw.c --weights ${_fw}/fw.bin
  COMMAND ${CMAKE_COMMAND} -E copy ${_fw}/fw.bin ${FUZZ_WORK}/corpus/weights/valid_tiny_cnn.bin
  DEPENDS onnx2c ${PROJECT_SOURCE_DIR}/models/tiny_cnn.onnx
  VERBATIM)
target_sources(fuzz_weights PRIVATE ${_fw}/fw.c)
target_include_directories(fuzz_weights PRIVATE ${_fw})
