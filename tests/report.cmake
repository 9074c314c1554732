# --report and --dot (label `report`): the kernel counts the graph passes must
# reach, and DOT that Graphviz renders.  The big models use the exports of the
# whole-model tests (tests/models.cmake).
set(_rep ${CMAKE_CURRENT_SOURCE_DIR}/report.sh)
add_test(NAME report.tiny_cnn
  COMMAND bash ${_rep} $<TARGET_FILE:onnx2c> ${PROJECT_SOURCE_DIR}/models/tiny_cnn.onnx
          ${CMAKE_CURRENT_BINARY_DIR}/report_tiny "Conv=5 MaxPool=1 GlobalAveragePool=1 Gemm=1"
          BatchNormalization Relu Add Concat)
set_tests_properties(report.tiny_cnn PROPERTIES LABELS report)

# The 3x3 stride-1 path by input channels (compiler/ops/conv.c, conv_use_wino): 16 channels direct, 32 Winograd
add_test(NAME report.conv3x3_paths
  COMMAND bash -c "/usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/op_models/make_models.py conv3x3_paths \
                     ${CMAKE_CURRENT_BINARY_DIR}/conv3x3_paths.onnx && $<TARGET_FILE:onnx2c> \
                     ${CMAKE_CURRENT_BINARY_DIR}/conv3x3_paths.onnx -o ${CMAKE_CURRENT_BINARY_DIR}/conv3x3_paths.c && \
                     grep -q 'o2c_conv_direct(.*/[*]C[*]/16,' ${CMAKE_CURRENT_BINARY_DIR}/conv3x3_paths.c && \
                     grep -q 'o2c_conv_wino2(.*/[*]C[*]/32,' ${CMAKE_CURRENT_BINARY_DIR}/conv3x3_paths.c")
set_tests_properties(report.conv3x3_paths PROPERTIES LABELS report)

# A channels-last MatMul ([N,H,W,C] x [C,C'], ConvNeXt's Linear) packs its B
# once, not once per row of H: 4096 + 256 + 4096 bytes for w1, b1, w2 (w2's
# 8 columns padded to a 16-column panel) and 5 x 1024 for w3, whose own batch
# axis of 5 is real.  Per-H packing made ConvNeXt-T's weights 1.15 GB.  The
# bias Add after w1 goes into that MatMul (opt_matmul_bias): no Add kernel.
add_test(NAME report.matmul_channels_last
  COMMAND bash -c "/usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/op_models/make_models.py matmul_channels_last \
                     ${CMAKE_CURRENT_BINARY_DIR}/mcl.onnx && WANT_WEIGHTS=13568 bash ${_rep} $<TARGET_FILE:onnx2c> \
                     ${CMAKE_CURRENT_BINARY_DIR}/mcl.onnx ${CMAKE_CURRENT_BINARY_DIR}/report_mcl 'Transpose=2 MatMul=3' Add")
set_tests_properties(report.matmul_channels_last PROPERTIES LABELS report)

# opt_fuse_gelu (tests/op_models/make_models.py gelu_fusion): four GELUs go into the epilogues of two
# Convs, a MatMul and an Add, three become Gelu nodes (x a graph input, or read elsewhere too), and
# the two near misses (Div by 1.5; an Erf that is also a graph output) keep their Div, Erf, Add and Muls.
add_test(NAME report.gelu_fusion
  COMMAND bash -c "/usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/op_models/make_models.py gelu_fusion \
                     ${CMAKE_CURRENT_BINARY_DIR}/gelu_fusion.onnx && bash ${_rep} $<TARGET_FILE:onnx2c> \
                     ${CMAKE_CURRENT_BINARY_DIR}/gelu_fusion.onnx ${CMAKE_CURRENT_BINARY_DIR}/report_gelu \
                     'Conv=5 Erf=2 Gelu=3 Add=3 Mul=4 Div=2 MatMul=1' Tanh Pow")
set_tests_properties(report.gelu_fusion PROPERTIES LABELS report)

# opt_fuse_layernorm (make_models.py layernorm_fusion): two decomposed LayerNorms over the last axis and
# one LayerNorm2d (Transpose, LayerNorm, Transpose) become LayerNormalization nodes, the last reading NCHW;
# a fourth is fused but keeps its Transposes (its output has a second reader); the near misses (a ReduceMean
# over axis 1, a difference that is a graph output) keep all their nodes.
add_test(NAME report.layernorm_fusion
  COMMAND bash -c "/usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/op_models/make_models.py layernorm_fusion \
                     ${CMAKE_CURRENT_BINARY_DIR}/layernorm_fusion.onnx && bash ${_rep} $<TARGET_FILE:onnx2c> \
                     ${CMAKE_CURRENT_BINARY_DIR}/layernorm_fusion.onnx ${CMAKE_CURRENT_BINARY_DIR}/report_ln \
                     'Relu=1 Sqrt=2 Pow=2 Add=4 Sub=2 Mul=2 Div=2 LayerNormalization=4 Transpose=2 ReduceMean=4'")
set_tests_properties(report.layernorm_fusion PROPERTIES LABELS report)

# A ConvNeXt CNBlock and a downsampling LayerNorm2d as torchvision exports them at opset 13 (make_models.py
# convnext_block): 35 kernels node by node, 10 with the passes (LayerNorms one node each, the downsampling
# one without its Transposes, the Linears' bias Adds in their MatMuls, GELU in the first one's epilogue).
add_test(NAME report.convnext_block
  COMMAND bash -c "/usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/op_models/make_models.py convnext_block \
                     ${CMAKE_CURRENT_BINARY_DIR}/convnext_block.onnx && bash ${_rep} $<TARGET_FILE:onnx2c> \
                     ${CMAKE_CURRENT_BINARY_DIR}/convnext_block.onnx ${CMAKE_CURRENT_BINARY_DIR}/report_cnx \
                     'Conv=2 Add=1 Mul=1 LayerNormalization=2 Transpose=2 MatMul=2' Erf ReduceMean Sqrt Pow")
set_tests_properties(report.convnext_block PROPERTIES LABELS report)

if(ONNX2C_MODEL_TESTS)
  # case | expected kernels | forbidden stand-alone kernels
  foreach(c
      "resnet50_keep_op13_dyn3|Conv=53 MaxPool=1 GlobalAveragePool=1 Gemm=1|BatchNormalization Relu Add"
      "googlenet_keep_op13|Conv=57 MaxPool=13 GlobalAveragePool=1 Gemm=1|Concat BatchNormalization Relu"
      "inception_v3_keep_op13|Conv=94 MaxPool=4 AveragePool=9 GlobalAveragePool=1 Gemm=1|Concat Pad BatchNormalization Relu")
    string(REPLACE "|" ";" parts "${c}")
    list(GET parts 0 name)
    list(GET parts 1 want)
    list(GET parts 2 forbid)
    separate_arguments(forbid UNIX_COMMAND "${forbid}")
    add_test(NAME report.${name}
      COMMAND bash ${_rep} $<TARGET_FILE:onnx2c> ${CMAKE_BINARY_DIR}/model_tests/${name}/model.onnx
              ${CMAKE_CURRENT_BINARY_DIR}/report_${name} "${want}" ${forbid})
    set_tests_properties(report.${name} PROPERTIES LABELS "report;model" FIXTURES_REQUIRED mt_${name})
  endforeach()
endif()

# opt_fuse_qconv, opt_fuse_qops and opt_int8_layout (issue 21): the QDQ convs of make_models.py qdq_conv
# (Conv + Relu and a 1x1 Conv between their DQs and Qs), its residual Add (into the later conv) and its
# global pool, and the QLinearConvs of qop_conv_exact (u8 and s8, a stride of 2) run as int8 kernels on
# NHWC u8 tensors, with no float Conv, Add or pool left and no relayout inside the int8 part; verify
# checks their values (opmodel.*).
foreach(c "qdq_conv|Gemm=1 QuantizeLinear=1 DequantizeLinear=2 QLinearConv=2 QLinearPool=1"
          "qop_conv_exact|QuantizeLinear=2 DequantizeLinear=3 QLinearConv=3"
          "qdq_conv_tensor_scales|QuantizeLinear=1 DequantizeLinear=1 QLinearConv=1")
  string(REPLACE "|" ";" parts "${c}")
  list(GET parts 0 name)
  list(GET parts 1 want)
  add_test(NAME report.qconv_${name}
    COMMAND bash -c "/usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/op_models/make_models.py ${name} \
                       ${CMAKE_CURRENT_BINARY_DIR}/q_${name}.onnx && bash ${_rep} $<TARGET_FILE:onnx2c> \
                       ${CMAKE_CURRENT_BINARY_DIR}/q_${name}.onnx ${CMAKE_CURRENT_BINARY_DIR}/report_q_${name} \
                       '${want}' Conv Relu Add GlobalAveragePool Int8Relayout")
  set_tests_properties(report.qconv_${name} PROPERTIES LABELS report)
endforeach()
