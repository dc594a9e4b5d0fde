"""HashIndex exactness against brute force, and hash-list parsing/matching."""

from __future__ import annotations

import numpy as np
import pytest

from snapscribe.safety.hash_index import HashIndex, as_hash_array
from snapscribe.safety.hashlist_io import (
    HashListError,
    load_hash_list,
    parse_hash_list,
)
from snapscribe.safety.hashlists import HashListStore
from snapscribe.safety.pdq import PdqHash
from snapscribe.store import Database


def _flip(h: np.ndarray, n_bits: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(h)
    bits[rng.choice(256, size=n_bits, replace=False)] ^= 1
    return np.packbits(bits)


def _brute(hashes: np.ndarray, keys: np.ndarray, q: np.ndarray, t: int) -> list[tuple[int, int]]:
    d = np.bitwise_count(hashes.view(np.uint64) ^ q.view(np.uint64)).sum(axis=1)
    hit = np.flatnonzero(d <= t)
    return sorted(zip(keys[hit].tolist(), d[hit].tolist()), key=lambda kd: (kd[1], kd[0]))


def _dataset(rng: np.random.Generator, n: int, n_queries: int, skewed: bool = False):
    """Random hashes plus, per query, planted entries at distances 0..31 and 32..40."""
    if skewed:
        # Few distinct chunk values: big buckets, many shared chunks (like real PDQ data).
        base = rng.integers(0, 4, size=(n, 32), dtype=np.uint8) * np.uint8(0x41)
    else:
        base = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    queries = rng.integers(0, 256, size=(n_queries, 32), dtype=np.uint8)
    planted = []
    for i, q in enumerate(queries):
        for dist in (i % 32, 31 - (i % 7), 32 + (i % 9), 0 if i % 5 == 0 else 31):
            planted.append(_flip(q, dist, rng))
    hashes = np.concatenate([base, np.array(planted, dtype=np.uint8)])
    keys = rng.permutation(len(hashes)).astype(np.int64) + 1000
    return hashes, keys, queries


@pytest.mark.parametrize("slice_min_avg", [0, 10**9])  # both candidate-reading paths
@pytest.mark.parametrize("skewed", [False, True])
def test_exact_against_brute_force(slice_min_avg: int, skewed: bool) -> None:
    rng = np.random.default_rng(42)
    hashes, keys, queries = _dataset(rng, 30_000, 64, skewed)
    index = HashIndex(batch_size=16, slice_min_avg=slice_min_avg)
    index.add_many(hashes, keys)
    index.build()
    assert len(index) == len(hashes)
    results = index.query_many(queries, 31)
    n_found = 0
    for q, got in zip(queries, results):
        expected = _brute(hashes, keys, q, 31)
        assert got == expected
        n_found += len(got)
    assert n_found >= 2 * len(queries)  # the planted 0..31 neighbours are there
    assert index.query(queries[3]) == results[3]


@pytest.mark.parametrize("threshold", [0, 5, 15, 16, 31, 32, 47, 48, 70])
def test_other_thresholds_exact(threshold: int) -> None:
    rng = np.random.default_rng(threshold)
    base = rng.integers(0, 256, size=(5_000, 32), dtype=np.uint8)
    queries = rng.integers(0, 256, size=(20, 32), dtype=np.uint8)
    near = [_flip(q, int(d), rng) for q in queries for d in rng.integers(0, 80, size=6)]
    hashes = np.concatenate([base, np.array(near)])
    keys = np.arange(len(hashes))
    index = HashIndex()
    index.add_many(hashes, keys)
    index.build()
    for q, got in zip(queries, index.query_many(queries, threshold)):
        assert got == _brute(hashes, keys, q, threshold)


def test_buffered_adds_are_found_before_and_after_merge() -> None:
    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 256, size=(10_000, 32), dtype=np.uint8)
    index = HashIndex()
    index.add_many(hashes[:9_000], range(9_000))
    index.build()
    q = hashes[9_500]
    for i in range(9_000, 10_000):  # one at a time, as hex: stays in the scanned buffer
        index.add(hashes[i].tobytes().hex(), key=i)
    assert len(index) == 10_000
    assert index.query(q)[0] == (9_500, 0)
    index.add(_flip(q, 31, rng), key=-1)
    index.add(_flip(q, 32, rng), key=-2)
    before = index.query(q)
    index.build()  # merge into the index proper
    assert index.query(q) == before == [(9_500, 0), (-1, 31)]
    # Enough pending entries trigger an automatic merge at query time.
    index.add_many(rng.integers(0, 256, size=(5_000, 32), dtype=np.uint8), np.arange(5_000) + 20_000)
    assert index.query(q) == before
    assert len(index._buf_keys) == 0 and len(index._keys) == 15_002


def test_inputs_duplicates_ordering_and_empty() -> None:
    index = HashIndex()
    assert len(index) == 0 and index.query("0" * 64) == [] and index.query_many([], 31) == []
    zero = bytes(32)
    index.add(zero, 5)
    index.add("0" * 64, 3)  # same hash, another key
    index.add(PdqHash.from_hex("0" * 63 + "3"), 9)
    index.add(np.unpackbits(np.frombuffer(bytes(31) + b"\x01", np.uint8)), 1)
    index.build()
    # Identical in all 16 chunks, yet reported once each; nearest first, ties by key.
    assert index.query(zero, threshold=31) == [(3, 0), (5, 0), (1, 1), (9, 2)]
    assert index.query(zero, threshold=0) == [(3, 0), (5, 0)]
    with pytest.raises(ValueError):
        index.add("abc", 1)
    with pytest.raises(ValueError):
        index.add_many(np.zeros((2, 32), np.uint8), [1])
    with pytest.raises(ValueError):
        index.query(zero, threshold=-1)
    assert as_hash_array(["f" * 64]).shape == (1, 32)


# ---------------------------------------------------------------- hash-list files

H1 = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
H2 = "0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff"


def test_parse_with_header_comments_and_errors() -> None:
    text = f"""# exported list
source,pdq,case

ncmec,{H1.upper()},123
# comment
tx,"{H2}","a, b"
x,{H1[:-1]},bad
y,zz{H1[2:]},bad
z
"""
    result = parse_hash_list(text.splitlines())
    assert result.columns == ["source", "pdq", "case"]
    assert [e.hash_hex for e in result.entries] == [H1, H2]
    assert result.entries[0].metadata == {"source": "ncmec", "case": "123"}
    assert result.entries[1].metadata == {"source": "tx", "case": "a, b"}
    assert result.entries[0].line == 4
    assert [e.line for e in result.errors] == [7, 8, 9]
    assert "63 characters" in result.errors[0].message
    with pytest.raises(HashListError, match="line 7"):
        parse_hash_list(text.splitlines(), strict=True)


def test_parse_headerless_tab_separated_and_bad_first_line(tmp_path) -> None:
    path = tmp_path / "list.tsv"
    path.write_text(f"{H1}\tcsam\tfirst seen 2024\n{H2}\n\n")
    result = load_hash_list(path)
    assert result.columns is None and not result.errors
    assert result.entries[0].metadata == {"col2": "csam", "col3": "first seen 2024"}
    assert result.entries[1].metadata == {}
    # A malformed hash on the first line is an error, not a header.
    bad = parse_hash_list([H1[:-2], H2])
    assert bad.columns is None and [e.line for e in bad.errors] == [1] and len(bad.entries) == 1
    with pytest.raises(HashListError):
        load_hash_list(tmp_path / "missing.txt")


def test_hash_list_best_match_over_dihedral_variants(tmp_path) -> None:
    path = tmp_path / "known_bad.csv"
    path.write_text(f"pdq,label\n{H1},bridge\n{H2},small\n")
    parsed = load_hash_list(path)
    hash_list = HashListStore(Database(f"sqlite:///{tmp_path}/lists.db"))
    assert not parsed.errors and hash_list.add("known_bad", parsed.entries) == 2 and len(hash_list) == 2
    near_h1 = format(int(H1, 16) ^ 0b111, "064x")  # 3 bits away
    far = format(int(H2, 16) ^ ((1 << 40) - 1), "064x")  # 40 bits away
    match = hash_list.match([("original", PdqHash.from_hex(far)), ("rotate90", PdqHash.from_hex(near_h1))], 31)
    assert match is not None
    assert (match.transform, match.distance, match.matched_hash) == ("rotate90", 3, H1)
    assert match.query_hash == near_h1 and match.metadata == {"label": "bridge"}
    assert match.list_name == "known_bad"
    assert hash_list.match([("original", PdqHash.from_hex(far))], 31) is None
    assert hash_list.match([("original", PdqHash.from_hex(H2))], 0).metadata == {"label": "small"}
