#!/bin/bash
# bad_input.sh - runs onnx2c on one case of the bad-input corpus and checks
# that it fails cleanly: exit status among the case's allowed codes (1 or 3;
# never 0, never a signal or a sanitizer report), and stderr matching every
# regex in the case's .expect file (made by tests/bad/gen_bad.py).
#
# usage: bad_input.sh ONNX2C CASE WORKDIR
set -u
onnx2c=$1 case=$2 work=$3
dir=$work/$case
expect=$dir/$case.expect
if [ ! -f "$expect" ]; then
	echo "FAIL $case: no $expect (did the bad.generate test run?)"
	exit 1
fi
args=()
if [ -f "$dir/$case.args" ]; then
	read -r -a args <"$dir/$case.args"
fi
err=$dir/stderr.txt
"$onnx2c" "$dir/$case.onnx" -o "$dir/out.c" "${args[@]}" >/dev/null 2>"$err"
code=$?
ok=1
read -r codes <"$expect"
case " $codes " in
*" $code "*) ;;
*) echo "FAIL $case: exit status $code, expected one of: $codes"; ok=0 ;;
esac
while IFS= read -r re; do
	[ -z "$re" ] && continue
	if ! grep -Eq -- "$re" "$err"; then
		echo "FAIL $case: stderr does not match: $re"
		ok=0
	fi
done < <(tail -n +2 "$expect")
if grep -Eq 'Sanitizer|runtime error:|internal compiler error' "$err"; then
	echo "FAIL $case: crash or sanitizer report"
	ok=0
fi
echo "--- stderr of onnx2c $case.onnx (exit $code):"
cat "$err"
[ $ok = 1 ] && echo "PASS $case"
[ $ok = 1 ]
