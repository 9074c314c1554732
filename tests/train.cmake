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
  set_tests_properties(train.head PROPERTIES LABELS train TIMEOUT 600)
else()
  message(STATUS "dataset-fashion-mnist not installed: the train tests are not registered")
endif()
