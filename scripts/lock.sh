#!/usr/bin/env bash
# Re-lock requirements/*.txt from pyproject.toml with uv (hashes for every package).
#   scripts/lock.sh            uses .venv/bin/uv (pip install uv), else uv on PATH
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
[ -x "$UV" ] || UV=$(command -v uv) || { echo "uv not found: .venv/bin/pip install uv" >&2; exit 2; }
# The locks are for the platform the project runs and is tested on. torch is the CPU build;
# uv does not read pip's configuration, so point it at the folder that holds that wheel.
common=(--generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --quiet
        --no-emit-find-links -c requirements/constraints.in)
for dir in ${TORCH_WHEELS:-/opt/wheels}; do [ -d "$dir" ] && common+=(--find-links "$dir"); done
lean=(--override requirements/runtime-overrides.in)
"$UV" pip compile pyproject.toml "${common[@]}" "${lean[@]}" -o requirements/runtime.txt
"$UV" pip compile pyproject.toml --extra engines "${common[@]}" "${lean[@]}" -o requirements/engines.txt
"$UV" pip compile pyproject.toml --extra s3 "${common[@]}" "${lean[@]}" -o requirements/s3.txt
"$UV" pip compile pyproject.toml --extra test --extra dev "${common[@]}" -o requirements/test.txt
"$UV" pip compile requirements/nodeps.in --no-deps "${common[@]}" -o requirements/nodeps.txt
echo "locked: requirements/{runtime,engines,s3,test,nodeps}.txt" >&2
