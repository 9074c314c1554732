# Head-training tests (issue 5): tests/train/check_train.py compiles
# models/fashion_resnet_0to4.onnx with --train-head --train-main, builds the
# trainer against onnx2c_rt, and checks it against PyTorch (logits, loss,
# gradients, 10 SGD-Nesterov and 10 AdamW steps), ONNX Runtime (trunk features,
# the exported .onnx) and bad inputs.  Label `train`.  Needs Debian's
# python3-torch/python3-onnx, dataset-fashion-mnist and tests/ort's onnxruntime-node.
if(EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
  add_test(NAME train.head
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/train/check_train.py
            $<TARGET_FILE:onnx2c> $<TARGET_FILE_DIR:onnx2c_rt> ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/train_work)
  set_tests_properties(train.head PROPERTIES LABELS train TIMEOUT 600 ENVIRONMENT "CC=${CMAKE_C_COMPILER}")
  # --train-head on an int8 model (issue 21): onnx2c quantize, the int8 trunk's features against ORT's,
  # the float head against PyTorch, the export without the head's Q/DQ (tests/train/check_train_int8.py)
  add_test(NAME train.head_int8
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/train/check_train_int8.py
            $<TARGET_FILE:onnx2c> $<TARGET_FILE_DIR:onnx2c_rt> ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/train_int8_work)
  set_tests_properties(train.head_int8 PROPERTIES LABELS train TIMEOUT 600 ENVIRONMENT "CC=${CMAKE_C_COMPILER}")
else()
  message(STATUS "dataset-fashion-mnist not installed: the train tests are not registered")
endif()
# Unfrozen blocks (--unfreeze): the fashion model's last block and resnet18's layer4, with
# BatchNorm frozen and with --bn-train, gradients and 10 SGD steps against PyTorch
# (models/onnx_torch.py on the same .onnx), cut tensors and the exported model against ONNX
# Runtime.  train.unfreeze_all: full fine-tuning (--unfreeze all) of resnet18 at 64x64, both BN modes.
if(EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
  add_test(NAME train.unfreeze
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/train/check_unfreeze.py
            $<TARGET_FILE:onnx2c> $<TARGET_FILE_DIR:onnx2c_rt> ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/train_unfreeze_work fashion fashion_bn resnet18 resnet18_bn inception)
  set_tests_properties(train.unfreeze PROPERTIES LABELS train TIMEOUT 900 ENVIRONMENT "CC=${CMAKE_C_COMPILER}")
  add_test(NAME train.unfreeze_all
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/train/check_unfreeze.py
            $<TARGET_FILE:onnx2c> $<TARGET_FILE_DIR:onnx2c_rt> ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/train_unfreeze_all_work resnet18_all resnet18_all_bn)
  set_tests_properties(train.unfreeze_all PROPERTIES LABELS train TIMEOUT 900 ENVIRONMENT "CC=${CMAKE_C_COMPILER}")
endif()
# The image-folder demonstration (docs/training.md) at a small size: resnet50 exported, compiled with a
# fresh 5-way head, the head trained from PNG class folders and exported (smoke: it must run
# to the end and report a validation accuracy; the correctness checks are train.head/unfreeze).
if(EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz AND ONNX2C_MODEL_TESTS)
  add_test(NAME train.resnet50_folder
    COMMAND ${CMAKE_COMMAND} -E env WORK=${CMAKE_CURRENT_BINARY_DIR}/train_r50_work
            sh ${PROJECT_SOURCE_DIR}/scripts/demo_resnet50_folder.sh ${CMAKE_BINARY_DIR} 8 2)
  set_tests_properties(train.resnet50_folder PROPERTIES LABELS "train;model" TIMEOUT 1500
                       PASS_REGULAR_EXPRESSION "[(]files in ")
endif()
# The README's walkthrough at a small size (resnet18 at 64x64, 12 synthetic images a class, 2 epochs
# with --augment and layer4 unfrozen, export, onnx2c verify, deploy with examples/classify).
if(EXISTS /usr/include/stb/stb_image.h)
  add_test(NAME train.walkthrough
    COMMAND ${CMAKE_COMMAND} -E env WORK=${CMAKE_CURRENT_BINARY_DIR}/train_walkthrough_work CC=${CMAKE_C_COMPILER}
            sh ${PROJECT_SOURCE_DIR}/scripts/demo_walkthrough.sh ${CMAKE_BINARY_DIR} 64 12 2 1)
  set_tests_properties(train.walkthrough PROPERTIES LABELS train TIMEOUT 600
                       PASS_REGULAR_EXPRESSION "files in .*finetuned.onnx")
endif()
