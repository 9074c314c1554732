# External weights (onnx2c --weights, issue 22), label `weights`:
#   weights.bind    tests/weights/test_weights.c: tiny_cnn with its weights in a
#                   file against the embedded build; bad, truncated, foreign and
#                   misaligned weights get a status, never a crash (ASan+UBSan)
#   weights.runner  tests/weights/check_runner.sh: --main's --weights FILE and its
#                   default beside the program
set(_wt_dir ${CMAKE_CURRENT_BINARY_DIR}/weights)
set(_wt_model ${PROJECT_SOURCE_DIR}/models/tiny_cnn.onnx)
file(MAKE_DIRECTORY ${_wt_dir})
add_custom_command(
  OUTPUT ${_wt_dir}/wt.c ${_wt_dir}/wt.h ${_wt_dir}/wt.bin ${_wt_dir}/wf.bin ${_wt_dir}/we.c ${_wt_dir}/we.h
  COMMAND onnx2c ${_wt_model} -o ${_wt_dir}/wt.c --weights ${_wt_dir}/wt.bin
  # the same model and prefix at -O0: other code, so other hashes
  COMMAND onnx2c ${_wt_model} -o ${_wt_dir}/wf.c --name wt -O0 --weights ${_wt_dir}/wf.bin
  COMMAND onnx2c ${_wt_model} -o ${_wt_dir}/we.c
  DEPENDS onnx2c ${_wt_model}
  COMMENT "onnx2c: tiny_cnn with external and embedded weights"
  VERBATIM)
add_executable(test_weights ${CMAKE_CURRENT_SOURCE_DIR}/weights/test_weights.c ${_wt_dir}/wt.c ${_wt_dir}/we.c)
target_include_directories(test_weights PRIVATE ${_wt_dir})
set_target_properties(test_weights PROPERTIES C_STANDARD 11)
target_compile_options(test_weights PRIVATE -Wall -Wextra -Werror)
target_link_libraries(test_weights PRIVATE m)
if(OpenMP_C_FOUND)
  target_link_libraries(test_weights PRIVATE OpenMP::OpenMP_C)
endif()
include(CheckCCompilerFlag)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=address,undefined)
check_c_compiler_flag(-fsanitize=address,undefined ONNX2C_HAVE_ASAN)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(ONNX2C_HAVE_ASAN)
  target_compile_options(test_weights PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all)
  target_link_options(test_weights PRIVATE -fsanitize=address,undefined)
endif()
add_test(NAME weights.bind COMMAND test_weights ${_wt_dir}/wt.bin ${_wt_dir}/wf.bin)
set_tests_properties(weights.bind PROPERTIES LABELS weights)

add_test(NAME weights.runner
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/weights/check_runner.sh $<TARGET_FILE:onnx2c> ${PROJECT_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/weights_runner)
set_tests_properties(weights.runner PROPERTIES LABELS weights ENVIRONMENT "CC=${CMAKE_C_COMPILER}")

# Fine-tuned weights back in: the trainer's exports, compiled once, the next one's weights only
# (tests/weights/check_finetune.py; ONNX Runtime, Fashion-MNIST and the runtime library).
if(TARGET onnx2c_rt AND EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
  add_test(NAME weights.finetune
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/weights/check_finetune.py
            $<TARGET_FILE:onnx2c> $<TARGET_FILE_DIR:onnx2c_rt> ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/weights_finetune)
  set_tests_properties(weights.finetune PROPERTIES LABELS "weights;train" TIMEOUT 600
                       ENVIRONMENT "CC=${CMAKE_C_COMPILER}")
endif()
