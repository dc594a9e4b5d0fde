#!/usr/bin/env bash
# README command 2: set up everything the tests need and run them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/services.sh
.venv/bin/python -m pytest "$@"
