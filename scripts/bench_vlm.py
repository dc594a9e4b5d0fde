"""Measure the VLM path from one CLI run against a scripted endpoint (tests/vlm_contract.py).

1. ``snapscribe caption --captioner vlm`` over N images with the endpoint answering after
   ``--latency`` seconds: peak requests in flight, wall time.
2. The same images with the default captioner (the time a hung endpoint is compared with).
3. A hung endpoint (never answers within the deadline): wall time, fallbacks, requests that
   reached it; the target is default time + 3 deadlines.

Runs 1 and 3 use ``--refresh`` after a warm-up run, so model features are cached and
all three runs do the same CPU work (safety gates, moderation, guard).

    PYTHONPATH=src python scripts/bench_vlm.py [--images 20] [--latency 0.5] [--deadline 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _cli(args: list[str], env: dict[str, str]) -> tuple[float, list[dict]]:
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "snapscribe.cli", "caption", *args, "--format", "jsonl", "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.monotonic() - start, [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def main() -> None:
    from hostile import jpeg_bytes, photo_like
    from vlm_contract import ContractServer, Reply

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--deadline", type=float, default=5.0, help="vlm.deadline_s (and timeout_s) for the hung run")
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "img"
        folder.mkdir()
        for i in range(args.images):
            (folder / f"p{i:03d}.jpg").write_bytes(jpeg_bytes(photo_like(seed=i)))
        env = dict(
            os.environ,
            SNAPSCRIBE_HOME=str(Path(tmp) / "home"),
            SNAPSCRIBE_ENGINES__RELEVANCE_GATE="false",
            SNAPSCRIBE_VLM__CONCURRENCY=str(args.concurrency),
            SNAPSCRIBE_VLM__RETRIES="0",
        )
        report: dict = {
            "images": args.images,
            "latency_s": args.latency,
            "concurrency": args.concurrency,
            "cpu_count": os.cpu_count(),
        }
        _cli([str(folder)], env)  # warm-up: features cached
        with ContractServer(default=Reply("A photo with a red square.", delay=args.latency)) as srv:
            env_vlm = dict(env, SNAPSCRIBE_VLM__ENDPOINT=srv.url)
            wall, recs = _cli([str(folder), "--captioner", "vlm", "--refresh"], env_vlm)
        report["vlm"] = {
            "wall_s": round(wall, 2),
            "peak_in_flight": srv.peak,
            "requests": len(srv.requests),
            "captioner_vlm": sum(r["provenance"]["captioner"] == "vlm" for r in recs),
        }
        wall, _ = _cli([str(folder), "--refresh"], env)
        report["default"] = {"wall_s": round(wall, 2)}
        with ContractServer(default=Reply("never in time", delay=args.deadline * 20)) as srv:
            env_hung = dict(
                env,
                SNAPSCRIBE_VLM__ENDPOINT=srv.url,
                SNAPSCRIBE_VLM__DEADLINE_S=str(args.deadline),
                SNAPSCRIBE_VLM__TIMEOUT_S=str(args.deadline),
            )
            wall, recs = _cli([str(folder), "--captioner", "vlm", "--refresh"], env_hung)
            reached = len(srv.requests)
        fallbacks = [r["provenance"]["fallback"] or "" for r in recs]
        report["hung"] = {
            "wall_s": round(wall, 2),
            "deadline_s": args.deadline,
            "requests_reached": reached,
            "fallbacks": sum(bool(f) for f in fallbacks),
            "circuit_open": sum("circuit open" in f for f in fallbacks),
            "target_s": round(report["default"]["wall_s"] + 3 * args.deadline, 2),
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
