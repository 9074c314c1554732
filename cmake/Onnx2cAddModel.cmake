# Onnx2cAddModel.cmake - onnx2c_add_model(): compile an ONNX model into a
# static library at build time.
#
#   onnx2c_add_model(TARGET my_model MODEL resnet50.onnx
#                    [NAME prefix]          # C symbol prefix (default: TARGET)
#                    [OPTIONS --dim N=1 ...] # extra onnx2c options
#                    [OUTPUT_DIR dir]       # default: <binary dir>/onnx2c/<TARGET>
#                    [MARCH native]         # -march= for the model only (AVX2/AVX-512 kernels)
#                    [NO_OPENMP])           # single-threaded even when OpenMP exists
#
# gives STATIC library `my_model` built from the generated <prefix>.c, with
# the directory of <prefix>.h as an INTERFACE include, linking libm and
# OpenMP::OpenMP_C when OpenMP is found (kernels then run on
# OMP_NUM_THREADS threads).  The compiler re-runs whenever the
# .onnx file (or the onnx2c binary) changes.
#
# Which onnx2c runs: ONNX2C_EXECUTABLE, either a target name (in-tree: the
# `onnx2c` target; installed: the imported `onnx2c::onnx2c`) or a path.
# find_package(onnx2c) sets it; inside the onnx2c tree, set it to `onnx2c`
# before including this file.
include_guard(GLOBAL)

function(onnx2c_add_model)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "NO_OPENMP" "TARGET;MODEL;NAME;OUTPUT_DIR;MARCH" "OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "onnx2c_add_model: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET OR NOT ARG_MODEL)
    message(FATAL_ERROR "onnx2c_add_model: TARGET and MODEL are required")
  endif()
  if(NOT ONNX2C_EXECUTABLE)
    message(FATAL_ERROR "onnx2c_add_model: ONNX2C_EXECUTABLE is not set "
                        "(use find_package(onnx2c), or set it to the onnx2c target or binary)")
  endif()
  if(NOT ARG_NAME)
    string(MAKE_C_IDENTIFIER "${ARG_TARGET}" ARG_NAME)
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/onnx2c/${ARG_TARGET})
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "onnx2c_add_model(${ARG_TARGET}): model '${model}' does not exist")
  endif()

  set(out_c ${ARG_OUTPUT_DIR}/${ARG_NAME}.c)
  set(out_h ${ARG_OUTPUT_DIR}/${ARG_NAME}.h)
  # A target name gives a file-level dependency on the binary as well, so a
  # rebuilt compiler regenerates the model; a path is tracked as a file.
  set(exe_dep ${ONNX2C_EXECUTABLE})
  if(NOT TARGET ${ONNX2C_EXECUTABLE} AND NOT IS_ABSOLUTE "${ONNX2C_EXECUTABLE}")
    set(exe_dep "")
  endif()
  file(MAKE_DIRECTORY ${ARG_OUTPUT_DIR})
  add_custom_command(
    OUTPUT ${out_c} ${out_h}
    COMMAND ${ONNX2C_EXECUTABLE} ${model} -o ${out_c} --name ${ARG_NAME} ${ARG_OPTIONS}
    DEPENDS ${model} ${exe_dep}
    COMMENT "onnx2c: ${ARG_MODEL} -> ${ARG_NAME}.c"
    VERBATIM)

  add_library(${ARG_TARGET} STATIC ${out_c} ${out_h})
  target_include_directories(${ARG_TARGET} INTERFACE ${ARG_OUTPUT_DIR})
  # The generated code is C99; it is never built with the project's own
  # warning list (which may not suit generated code) but always clean under it.
  set_target_properties(${ARG_TARGET} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON
                        POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(${ARG_TARGET} PUBLIC m)
  if(ARG_MARCH)
    target_compile_options(${ARG_TARGET} PRIVATE -march=${ARG_MARCH})
  endif()
  if(NOT ARG_NO_OPENMP)
    if(NOT TARGET OpenMP::OpenMP_C)
      find_package(OpenMP QUIET COMPONENTS C)
    endif()
    if(TARGET OpenMP::OpenMP_C)
      target_link_libraries(${ARG_TARGET} PUBLIC OpenMP::OpenMP_C)
    endif()
  endif()
endfunction()
