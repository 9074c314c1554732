#!/usr/bin/env bash
# setup.sh - install everything onnx2c needs to build and test, on Debian bookworm.
#
# Idempotent and non-interactive; run as root (CI does, on a fresh machine).
# Packages already present are skipped so a warm machine is done in seconds.
# Then ONNX Runtime (the reference for whole-model tests) goes into
# tests/ort/node_modules from the npm registry, at the version pinned in
# tests/ort/package.json.  Its CPU binary ships inside the package, so
# --ignore-scripts (no post-install downloads) is enough.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

PKGS=(build-essential cmake clang libomp-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev
      libcunit1-dev python3-onnx python3-torch python3-torchvision python3-numpy libstb-dev
      libonnx-testdata dataset-fashion-mnist libopenblas0-pthread graphviz nodejs time
      zlib1g-dev pkg-config gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
      libclang-rt-14-dev valgrind)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# npm: Debian packages it separately, other nodejs builds bundle it; only ask
# apt for it when the command is absent.
if ! command -v npm >/dev/null 2>&1; then
	missing+=(npm)
fi

if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "setup: all Debian packages present"
fi

ORT="$ROOT/tests/ort"
want=$(sed -n 's/.*"onnxruntime-node": *"\([^"]*\)".*/\1/p' "$ORT/package.json")
have=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$ORT/node_modules/onnxruntime-node/package.json" 2>/dev/null || true)
if [[ "$have" != "$want" ]]; then
	echo "setup: npm install onnxruntime-node@$want into tests/ort"
	(cd "$ORT" && npm install --ignore-scripts --no-package-lock --no-audit --no-fund)
fi
# The native binding must be there: --ignore-scripts means nothing downloads it later.
if ! ls "$ORT"/node_modules/onnxruntime-node/bin/napi-v*/linux/x64/onnxruntime_binding.node >/dev/null 2>&1; then
	echo "setup: onnxruntime-node has no linux/x64 binary in tests/ort/node_modules" >&2
	exit 1
fi
node -e "require('$ORT/node_modules/onnxruntime-node')" || {
	echo "setup: onnxruntime-node does not load" >&2
	exit 1
}
echo "setup: done"
