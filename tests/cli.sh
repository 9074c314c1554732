#!/bin/bash
# The onnx2c command line: --help, --version, --name, -v, usage errors (exit 2
# with a message, never a crash), the names in the generated C, --check-ir and
# --dump-ir=STEP.
set -uo pipefail
onnx2c=$1 src=$2 work=$3 mt=${4:-} # mt: the build's model_tests folder (optional)
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fails=0 total=0
check() { # name expected-exit regex command...
    local name=$1 want=$2 re=$3
    total=$((total + 1))
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [[ $rc != "$want" ]] || ! grep -Eq -- "$re" <<<"$out"; then
        echo "FAIL $name: exit $rc (want $want), output: $out"
        fails=$((fails + 1))
    else
        echo "ok   $name"
    fi
}
m=$src/models/tiny_cnn.onnx
check help 0 '^usage: onnx2c MODEL.onnx -o OUT.c' "$onnx2c" --help
check version 0 '^onnx2c [0-9]+\.[0-9]+\.[0-9]+$' "$onnx2c" --version
check no_args 2 'usage: onnx2c' "$onnx2c"
check no_output 2 'usage: onnx2c' "$onnx2c" "$m"
check unknown_option 2 "unknown or incomplete option '--frobnicate'" "$onnx2c" "$m" -o x.c --frobnicate
check two_models 2 'more than one model' "$onnx2c" "$m" "$m" -o x.c
check bad_name 2 "--name '1abc' is not a C identifier" "$onnx2c" "$m" -o x.c --name 1abc
check not_dot_c 2 'must end in .c' "$onnx2c" "$m" -o x.cpp
check bad_dim 2 "--dim N: 'zero' is not a positive integer" "$onnx2c" "$m" -o x.c --dim N=zero
check bad_pass 2 "unknown pass 'nope'" "$onnx2c" "$m" -o x.c --no-fuse=nope
check missing_model 1 'nothere.onnx' "$onnx2c" nothere.onnx -o x.c
check verbose 0 'wrote x.c and x.h' "$onnx2c" "$m" -o x.c -v
check name 0 'int mynet_run\(void \*workspace, int batch, const float \*in_image, float \*out_logits\);' \
    bash -c "\"$onnx2c\" \"$m\" -o y.c --name mynet && cat y.h"
check default_name 0 'size_t tiny_model_workspace_size\(int batch\);' \
    bash -c "\"$onnx2c\" \"$m\" -o tiny-model.c && cat tiny-model.h"
check name_macros 0 '#define MYNET_EINVAL 1' bash -c "\"$onnx2c\" \"$m\" -o y.c --name mynet && cat y.h"

# Readable C: weights and workspace tensors by name, no (void) for a parameter in use.
check named_weights 0 'static const float \*const w_block_conv2_Conv = o2c_wd[0-9]+\.f;' cat x.c
# --weights FILE: the names are offsets into the bound weights; the file is not the C
check named_weights_ext 0 '#define w_block_conv2_Conv \(o2c_wt \+ [0-9]+\)' \
    bash -c "\"$onnx2c\" \"$m\" -o xw.c --weights xw.bin && cat xw.c"
check weights_ext_header 0 'int xw_bind_weights\(const void \*blob, size_t size\);' cat xw.h
check weights_over_c 2 "--weights 'w.c' would overwrite the generated code" "$onnx2c" "$m" -o w.c --weights w.c
check weights_train_main 2 'drop --weights' "$onnx2c" "$m" -o w.c --weights w.bin --train-head --train-main
check named_tensors 0 'k000_conv\(in_image, t_stem_stem_2_Relu_output_0\)' cat x.c
check no_raw_offsets 1 '^0$' grep -Ec 'o2c_W|\(float \*\)\(ws \+ [0-9]+\)\)' x.c
check no_void_used 1 '^0$' grep -Ec '^\s*\(void\)(in|out)[0-9]+;' x.c

# --check-ir: the verifier passes after every step on the committed models, with
# and without the optimisations, and on the graph passes' models when the model
# tests have exported them into the build dir.
models=("$src"/models/*.onnx "$src"/examples/classify/*.onnx)
for pm in preact_resnet_keep_op13 incres_keep_op13 se_resnet_keep_op13 pool_branch_keep_op13; do
    [[ -f ${mt:-}/$pm/model.onnx ]] && models+=("$mt/$pm/model.onnx")
done
for model in "${models[@]}"; do
    base=$(basename "$(dirname "$model")")_$(basename "$model" .onnx)
    check "check_ir:$base" 0 '' "$onnx2c" "$model" -o ir.c --check-ir
    check "check_ir_O0:$base" 0 '' "$onnx2c" "$model" -o ir.c --check-ir -O0
done
check check_ir_train 0 '' "$onnx2c" "$src/models/fashion_resnet_0to4.onnx" -o ir.c --check-ir --train-head --unfreeze 1
# ... and names the step after which the IR broke
check check_ir_broken 134 "the IR is broken after 'bn' \(1 problem\): node .* reads input 0 '.*', which node .* writes later" \
    "$onnx2c" "$m" -o ir.c --check-ir --debug-break-ir=bn

# --dump-ir=STEP prints the IR after that step: the BatchNormalizations are there after pad, gone after bn
check dump_after_bn 0 '^# IR after bn$' "$onnx2c" "$m" -o ir.c --dump-ir=bn
check dump_bn_folded 1 '^0$' bash -o pipefail -c "\"$onnx2c\" \"$m\" -o ir.c --dump-ir=bn 2>&1 | grep -c \"BatchNormalization '\""
check dump_pad_has_bn 0 '^3$' bash -o pipefail -c "\"$onnx2c\" \"$m\" -o ir.c --dump-ir=pad 2>&1 | grep -c \"BatchNormalization '\""
check dump_ir_plain 0 '^graph .*tiny_cnn.onnx opset 13' "$onnx2c" "$m" -o ir.c --dump-ir
check dump_ir_unknown 2 "--dump-ir: unknown step 'nope' \(load, topo, check, infer, train, dce, .*, concat, int8, plan\)" \
    "$onnx2c" "$m" -o ir.c --dump-ir=nope
echo "$((total - fails)) passed, $fails failed"
[[ $fails == 0 ]]
