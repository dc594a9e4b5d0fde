#!/usr/bin/env bash
# README command 1: set up and caption the sample photos on the embedded default (SQLite, CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SNAPSCRIBE_HOME=${SNAPSCRIBE_HOME:-$PWD/var}
.venv/bin/snapscribe caption samples/ "$@"
