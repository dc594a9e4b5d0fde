"""Benchmark HashIndex: build time, memory and radius-31 lookups/s on N random hashes.

    PYTHONPATH=src python scripts/bench_hash_index.py --size 10000000 --queries 2000

Queries are half random (almost never a match) and half planted near neighbours at
distances 0..31 of indexed entries; a few are checked against brute force.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from snapscribe.safety.hash_index import HashIndex


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) in MiB."""
    cur = 0.0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
    return cur, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--threshold", type=int, default=31)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--check", type=int, default=5, help="queries verified against brute force")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)

    base = rss_mb()[0]
    t0 = time.perf_counter()
    hashes = rng.integers(0, 256, size=(args.size, 32), dtype=np.uint8)
    keys = np.arange(args.size, dtype=np.int64)
    print(f"generated {args.size:,} hashes in {time.perf_counter() - t0:.1f}s")

    index = HashIndex(batch_size=args.batch)
    t0 = time.perf_counter()
    index.add_many(hashes, keys)
    index.build()
    build_s = time.perf_counter() - t0
    cur, peak = rss_mb()
    print(
        f"build: {build_s:.1f}s  index arrays {index.nbytes / 2**20:,.0f} MiB  "
        f"RSS {cur:,.0f} MiB (process start {base:,.0f}, peak {peak:,.0f})"
    )

    nq = args.queries
    queries = rng.integers(0, 256, size=(nq, 32), dtype=np.uint8)
    half = nq // 2
    targets = rng.integers(0, args.size, size=half)
    bits = np.unpackbits(hashes[targets], axis=1)
    for i in range(half):
        flip = rng.choice(256, size=i % (args.threshold + 1), replace=False)
        bits[i, flip] ^= 1
    queries[:half] = np.packbits(bits, axis=1)

    t0 = time.perf_counter()
    results = index.query_many(queries, args.threshold)
    batch_s = time.perf_counter() - t0
    found = sum(1 for r in results[:half] if r)
    print(
        f"query_many: {nq / batch_s:,.0f} lookups/s ({batch_s / nq * 1e3:.3f} ms each, batch {args.batch}); "
        f"planted found {found}/{half}; random with a match {sum(1 for r in results[half:] if r)}/{nq - half}"
    )

    n_single = min(nq, 500)
    t0 = time.perf_counter()
    for q in queries[:n_single]:
        index.query(q, args.threshold)
    single_s = time.perf_counter() - t0
    print(f"query (one at a time): {n_single / single_s:,.0f} lookups/s")

    h64 = hashes.view(np.uint64)
    for i in list(range(min(args.check, half))) + list(range(half, half + min(args.check, nq - half))):
        d = np.bitwise_count(h64 ^ queries[i].view(np.uint64)).sum(axis=1)
        hit = np.flatnonzero(d <= args.threshold)
        expected = sorted(zip(d[hit].tolist(), hit.tolist()))
        got = sorted((dist, key) for key, dist in results[i])
        assert expected == got, (i, expected, got)
    print(f"brute-force check of {2 * min(args.check, half)} queries: OK")


if __name__ == "__main__":
    main()
