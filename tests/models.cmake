# models.cmake - whole-model tests (label `model`): torchvision CNNs exported to
# ONNX, compiled by onnx2c, built with gcc, and compared with ONNX Runtime.
#
# Each case is two tests: model.export.<case> (a FIXTURES_SETUP, cached in the
# build dir, so a re-run does not re-export) and model.<case>, which needs it.
# Exports of one network share a RESOURCE_LOCK so they run one after the
# other and the second reuses the first's BatchNorm calibration (--calib-cache).
# gcc on a generated ResNet-50 peaks under 1 GB, so two run side by side
# under ctest -j2 without a lock.
if(NOT ONNX2C_MODEL_TESTS)
  return()
endif()

set(_mt_dir ${CMAKE_BINARY_DIR}/model_tests)
set(_mt_script ${CMAKE_CURRENT_LIST_DIR}/run_model_test.sh)
file(MAKE_DIRECTORY ${_mt_dir})

# case name | export_torchvision.py arguments | extra onnx2c arguments
# Opset 13 unless noted; opset 9 covers the old Flatten/BatchNormalization/
# Pad forms, and one dynamic-batch model runs at batch 3.
set(_mt_cases
  "resnet18_fold_op13|--model resnet18 --bn fold --opset 13|"
  "resnet18_keep_op9|--model resnet18 --bn keep --opset 9|"
  "resnet50_fold_op13|--model resnet50 --bn fold --opset 13|"
  "resnet50_keep_op13_dyn3|--model resnet50 --bn keep --opset 13 --dynamic-batch --batch 3|"
  "googlenet_fold_op9|--model googlenet --bn fold --opset 9|"
  "googlenet_keep_op13|--model googlenet --bn keep --opset 13|"
  "inception_v3_fold_op13|--model inception_v3 --bn fold --opset 13|"
  "inception_v3_keep_op13|--model inception_v3 --bn keep --opset 13|"
)

# The graph passes' own models (models/pass_models.py): pre-activation ResNet,
# Inception-ResNet with a scaled residual, squeeze-excitation, Inception's
# pool branches (an average pool moved after its 1x1 conv), mobile inverted
# residual blocks (depthwise convs, SiLU and HardSwish folded by the swish pass).
list(APPEND _mt_cases
  "preact_resnet_keep_op13|--model preact_resnet --bn keep --opset 13 --dynamic-batch --batch 2|"
  "incres_keep_op13|--model incres --bn keep --opset 13|"
  "se_resnet_keep_op13|--model se_resnet --bn keep --opset 13|"
  "pool_branch_keep_op13|--model pool_branch --bn keep --opset 13|"
  "mbconv_keep_op13|--model mbconv --bn keep --opset 13|"
)

# Variants: more onnx2c option sets on a case's export (test model.<case>.<variant>).
# -O0 checks every model with all graph passes off, against the same reference.
set(_mt_variants
  "resnet50_keep_op13_dyn3|O0|-O0"
  "googlenet_keep_op13|O0|-O0"
  "inception_v3_keep_op13|O0|-O0"
  "preact_resnet_keep_op13|O0|-O0"
  "incres_keep_op13|O0|-O0"
  "se_resnet_keep_op13|O0|-O0"
  "pool_branch_keep_op13|O0|-O0"
  "mbconv_keep_op13|O0|-O0"
)

# Every case also runs once with its weights in a file (onnx2c --weights): gcc
# takes seconds there, so the variant is cheap.
foreach(c ${_mt_cases})
  string(REGEX REPLACE "\\|.*" "" name "${c}")
  string(REGEX REPLACE "^[^|]*\\|[^|]*\\|?" "" extra "${c}")
  list(APPEND _mt_variants "${name}|ext|${extra} --weights m.bin")
endforeach()

foreach(c ${_mt_cases})
  string(REPLACE "|" ";" parts "${c}")
  list(GET parts 0 name)
  list(GET parts 1 export_args)
  string(REGEX REPLACE ".*--model ([a-z0-9_]+).*" "\\1" net "${export_args}")
  list(LENGTH parts n)
  set(onnx2c_args "")
  if(n GREATER 2)
    list(GET parts 2 onnx2c_args)
  endif()
  separate_arguments(export_args UNIX_COMMAND "${export_args}")
  separate_arguments(onnx2c_args UNIX_COMMAND "${onnx2c_args}")

  add_test(NAME model.export.${name}
    COMMAND bash ${_mt_script} export ${_mt_dir}/${name} ${export_args})
  set_tests_properties(model.export.${name} PROPERTIES
    LABELS model FIXTURES_SETUP mt_${name} RESOURCE_LOCK calib_${net} TIMEOUT 900)

  add_test(NAME model.${name}
    COMMAND bash ${_mt_script} run ${_mt_dir}/${name} $<TARGET_FILE:onnx2c> ${onnx2c_args})
  set_tests_properties(model.${name} PROPERTIES
    LABELS model FIXTURES_REQUIRED mt_${name} TIMEOUT 1200)
endforeach()

foreach(v ${_mt_variants})
  string(REPLACE "|" ";" parts "${v}")
  list(GET parts 0 base)
  list(GET parts 1 variant)
  list(GET parts 2 onnx2c_args)
  separate_arguments(onnx2c_args UNIX_COMMAND "${onnx2c_args}")
  add_test(NAME model.${base}.${variant}
    COMMAND bash ${_mt_script} run ${_mt_dir}/${base} $<TARGET_FILE:onnx2c> --variant ${variant} ${onnx2c_args})
  set_tests_properties(model.${base}.${variant} PROPERTIES
    LABELS model FIXTURES_REQUIRED mt_${base} TIMEOUT 1200)
endforeach()

# The int8 path on whole models (issue 21): each export quantized by `onnx2c quantize` and compiled, every
# output equal to ONNX Runtime's on the same int8 model (tests/int8_model_test.sh): dense convs with fused
# residuals, pools and concats, depthwise convs (mbconv), standalone QLinearAdds and float squeeze-excite
# between DQs and Qs (se_resnet, incres), the int8 head.
foreach(name resnet18_fold_op13 googlenet_keep_op13 inception_v3_keep_op13 mbconv_keep_op13 se_resnet_keep_op13
             incres_keep_op13)
  add_test(NAME model.${name}.int8
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/int8_model_test.sh $<TARGET_FILE:onnx2c> ${_mt_dir}/${name}
            ${_mt_dir}/${name}_int8)
  set_tests_properties(model.${name}.int8 PROPERTIES LABELS model FIXTURES_REQUIRED mt_${name} TIMEOUT 1200)
endforeach()
