# pathological.cmake - graph shapes that find super-linear passes (issue 23), label
# `pathological`: a 100k-node chain, a 10k-wide fan-out (10k tensors live at once) and
# model-local functions nested 1000 deep.  pathological.generate writes the models at test
# time (tests/pathological/gen.py, /usr/bin/python3 with onnx); each case then has to
# compile within a time and peak-memory bound (tests/pathological/run.sh prints both).
set(PATH_DIR ${CMAKE_CURRENT_BINARY_DIR}/pathological)
add_test(NAME pathological.generate
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/pathological/gen.py ${PATH_DIR})
set_tests_properties(pathological.generate PROPERTIES LABELS pathological FIXTURES_SETUP pathological_models)
# case, seconds, MB: about 10x what they take on the 2-core CI machine
foreach(c "chain;60;3000" "fanout;60;1000" "nested;10;200")
  list(GET c 0 name)
  list(GET c 1 secs)
  list(GET c 2 mb)
  add_test(NAME pathological.${name}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/pathological/run.sh $<TARGET_FILE:onnx2c> ${PATH_DIR} ${name} ${secs} ${mb})
  set_tests_properties(pathological.${name} PROPERTIES LABELS pathological TIMEOUT 300
                       FIXTURES_REQUIRED pathological_models)
endforeach()
