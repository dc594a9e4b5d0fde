#!/usr/bin/env python
"""Throughput of the worker fleet: images/s for N worker processes on this machine.

Starts a local Tansu broker and a fresh PostgreSQL database (or SQLite with --sqlite),
starts the workers, warms each one up (models load lazily), then submits a batch of
distinct images and times the batch from the first submit to the last stored row.
Each source image is submitted in several byte-distinct copies (a trailing comment after
the JPEG end marker), so no result or feature cache hit makes the numbers look better.

    python scripts/bench_workers.py --workers 1 2 --images 60 [SRC ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from snapscribe.commands.common import expand_paths  # noqa: E402
from snapscribe.queue.broker import LocalBroker, ensure_topics  # noqa: E402


def _variants(sources: list[Path], n: int, out: Path, tag: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        src = sources[i % len(sources)]
        dst = out / f"{tag}-{i:04d}{src.suffix}"
        dst.write_bytes(src.read_bytes() + f"bench {tag} {i}".encode())
        paths.append(dst)
    return paths


def _count(db: str) -> int:
    if db.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(db[len("sqlite:///") :])
        try:
            return conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        except sqlite3.OperationalError:
            return 0
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        try:
            return conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return 0


def _wait_count(db: str, want: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _count(db) >= want:
            return time.monotonic()
        time.sleep(0.1)
    raise SystemExit(f"timed out: {_count(db)} of {want} rows")


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def _submit(env: dict, brokers: str, topic: str, paths: list[Path]) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "snapscribe.cli",
            "submit",
            "--quiet",
            "--brokers",
            brokers,
            "--topic",
            topic,
            *map(str, paths),
        ],
        env=env,
        check=True,
        cwd=REPO,
    )


def run_one(
    n_workers: int, concurrency: int, sources: list[Path], n_images: int, db: str, brokers: str, work: Path
) -> dict:
    tag = uuid.uuid4().hex[:6]
    topic, group = f"bench-{tag}", f"bench-{tag}"
    ensure_topics(brokers, {topic: 12, f"{topic}-res": 12, f"{topic}-dlq": 1})
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO / "src"),
        SNAPSCRIBE_HOME=str(work / "home"),
        HF_HUB_OFFLINE="1",
        SNAPSCRIBE_KAFKA__PROGRESS_INTERVAL_S="2",
    )
    procs = []
    for i in range(n_workers):
        log = open(work / f"{tag}-w{i}.log", "wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "snapscribe.cli",
                    "worker",
                    "--brokers",
                    brokers,
                    "--topic",
                    topic,
                    "--group",
                    group,
                    "--db",
                    db,
                    "--results-topic",
                    f"{topic}-res",
                    "--dlq-topic",
                    f"{topic}-dlq",
                    "--concurrency",
                    str(concurrency),
                    "--worker-id",
                    f"w{i}",
                ],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        base = _count(db)
        warm = _variants(sources, 4 * n_workers * 3, work / "warm", tag + "-warm")  # every worker loads its models
        _submit(env, brokers, topic, warm)
        _wait_count(db, base + len(warm), 300)
        time.sleep(1.0)
        batch = _variants(sources, n_images, work / "batch", tag)
        cpu0 = _cpu_s([p.pid for p in procs])
        start = time.monotonic()
        _submit(env, brokers, topic, batch)
        end = _wait_count(db, base + len(warm) + len(batch), 900)
        cpu = _cpu_s([p.pid for p in procs]) - cpu0
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
    elapsed = end - start
    return {
        "workers": n_workers,
        "concurrency": concurrency,
        "images": n_images,
        "seconds": round(elapsed, 2),
        "images_per_s": round(n_images / elapsed, 2),
        "worker_cpu_s_per_image": round(cpu / n_images, 3),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sources", nargs="*", default=[str(REPO / "samples")], help="image files or folders")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--concurrency", type=int, default=1, help="images in flight per worker")
    ap.add_argument("--images", type=int, default=60)
    ap.add_argument("--sqlite", action="store_true", help="use SQLite instead of PostgreSQL")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL")
    args = ap.parse_args()
    sources = list(expand_paths(tuple(args.sources)))
    if not sources:
        raise SystemExit("no source images")
    work = Path(tempfile.mkdtemp(prefix="snapscribe-bench-"))
    admin = dbname = None
    try:
        if args.sqlite:
            db = f"sqlite:///{work / 'bench.db'}"
        else:
            import psycopg

            admin = psycopg.connect(args.pg, autocommit=True)
            dbname = f"snapscribe_bench_{uuid.uuid4().hex[:8]}"
            admin.execute(f'CREATE DATABASE "{dbname}"')
            db = args.pg.rsplit("/", 1)[0] + "/" + dbname
        with LocalBroker(log_path=work / "tansu.log") as broker:
            for n in args.workers:
                result = run_one(n, args.concurrency, sources, args.images, db, broker.bootstrap, work)
                print(json.dumps(result), flush=True)
    finally:
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            admin.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
