# Onnx2cInstall.cmake - what `cmake --install` puts beside the onnx2c binary:
# the runtime library and its headers (when runtime/ defines onnx2c_rt), the
# CMake package (find_package(onnx2c) -> onnx2c_add_model()) and onnx2c.pc.
#
# Included from the top-level CMakeLists.txt after compiler/ and runtime/, so
# the targets it installs exist.  The onnx2c binary's own install rule lives
# in compiler/CMakeLists.txt.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ONNX2C_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/onnx2c)

# The runtime is installed as a plain archive, not through an export set: the
# package config describes it itself (onnx2c-config.cmake.in), so nothing the
# runtime links privately has to be exported with it.
set(ONNX2C_HAVE_RT 0)
set(ONNX2C_RT_LINK "")
set(ONNX2C_RT_PACKAGES "")
set(ONNX2C_PC_LIBS "-lm")
set(ONNX2C_PC_CFLAGS "")
if(OpenMP_C_FOUND)
  # pkg-config users get the same OpenMP-parallel model onnx2c_add_model gives
  set(ONNX2C_PC_CFLAGS "${OpenMP_C_FLAGS}")
endif()
if(TARGET onnx2c_rt)
  set(ONNX2C_HAVE_RT 1)
  install(TARGETS onnx2c_rt ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  file(GLOB ONNX2C_RT_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/runtime/*.h)
  list(FILTER ONNX2C_RT_HEADERS EXCLUDE REGEX "internal")
  install(FILES ${ONNX2C_RT_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  # What the runtime links publicly, for the imported target and for .pc:
  # imported targets (ZLIB::ZLIB, OpenMP::OpenMP_C) become find_dependency()
  # calls in the config and plain flags in the .pc.
  get_target_property(ONNX2C_RT_LINK onnx2c_rt INTERFACE_LINK_LIBRARIES)
  if(NOT ONNX2C_RT_LINK)
    set(ONNX2C_RT_LINK "")
  endif()
  set(ONNX2C_PC_LIBS "-lonnx2c_rt")
  foreach(lib ${ONNX2C_RT_LINK})
    if(lib MATCHES "^([A-Za-z0-9_]+)::")
      list(APPEND ONNX2C_RT_PACKAGES ${CMAKE_MATCH_1})
    endif()
    if(lib STREQUAL "ZLIB::ZLIB")
      string(APPEND ONNX2C_PC_LIBS " -lz")
    elseif(lib STREQUAL "OpenMP::OpenMP_C")
      string(APPEND ONNX2C_PC_LIBS " ${OpenMP_C_FLAGS}")
    elseif(lib MATCHES "^[A-Za-z0-9_-]+$")
      string(APPEND ONNX2C_PC_LIBS " -l${lib}")
    else()
      message(WARNING "onnx2c.pc: do not know how to spell runtime dependency '${lib}' for pkg-config")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES ONNX2C_RT_PACKAGES)
  if(NOT ONNX2C_PC_LIBS MATCHES " -lm")
    string(APPEND ONNX2C_PC_LIBS " -lm")
  endif()
elseif(OpenMP_C_FOUND)
  string(APPEND ONNX2C_PC_LIBS " ${OpenMP_C_FLAGS}")
endif()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/onnx2c-config.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/onnx2c-config.cmake
  INSTALL_DESTINATION ${ONNX2C_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/onnx2c-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/onnx2c-config.cmake
              ${PROJECT_BINARY_DIR}/cmake/onnx2c-config-version.cmake
              ${CMAKE_CURRENT_LIST_DIR}/Onnx2cAddModel.cmake
        DESTINATION ${ONNX2C_CMAKE_DIR})

file(RELATIVE_PATH ONNX2C_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" ONNX2C_PC_TO_PREFIX "${ONNX2C_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/onnx2c.pc.in ${PROJECT_BINARY_DIR}/cmake/onnx2c.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/onnx2c.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# `onnx2c verify` finds ONNX Runtime's runner in <prefix>/share/onnx2c/ort
# (run `npm install --ignore-scripts` there once to fetch onnxruntime-node).
install(FILES ${PROJECT_SOURCE_DIR}/tests/ort/ort_run.js ${PROJECT_SOURCE_DIR}/tests/ort/package.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/onnx2c/ort)
