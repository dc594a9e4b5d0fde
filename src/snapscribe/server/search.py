"""Text search over results in the tagging embedding space (all-MiniLM-L6-v2).

Each finished image gets one vector for "caption. tags, hashtags, objects", stored in
the ``search_index`` table when its result is stored. A query scores an image by

    0.55 · cos(query, image text) + 0.45 · max over its tags of cos(query, tag) · weight(tag score)
    + a small bonus for query words that literally are tags, hashtags or caption words.

Blocked and error results are never indexed as searchable; a review decision that
blocks an image removes it. The index is held in memory and refreshed incrementally
from the database, so several servers sharing one database agree.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

import numpy as np

from ..engines.minilm import load_minilm
from ..records import ImageRecord, Status
from ..store import Database

MODEL = "all-MiniLM-L6-v2"
SEARCHABLE = (Status.captioned.value, Status.review.value, Status.skipped.value)
_WORD = re.compile(r"[a-z0-9]+")


class TextEncoder:
    """The packaged MiniLM model, loaded once on first use; a bounded cache for short texts."""

    def __init__(self, cache_size: int = 20_000):
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def encode(self, texts: Sequence[str], *, cache: bool = True) -> np.ndarray:
        """L2-normalised float32 rows; short texts (tags, queries) are cached."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            fresh: dict[str, np.ndarray] = {}
            if missing:
                vecs = load_minilm().encode(list(missing))
                fresh = {t: v.astype(np.float32) for t, v in zip(missing, vecs)}
                if cache:
                    for t, v in fresh.items():
                        self._cache[t] = v
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
            if not texts:
                return np.zeros((0, 384), dtype=np.float32)
            return np.stack([fresh[t] if t in fresh else self._cache[t] for t in texts])


def document_text(rec: ImageRecord) -> str:
    parts = [rec.caption or ""]
    words = [t.label for t in rec.tags] + rec.hashtags + [o.label for o in rec.objects]
    if words:
        parts.append(", ".join(dict.fromkeys(words)))
    return ". ".join(p for p in parts if p).strip()


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class SearchIndex:
    """In-memory matrix of image vectors, synchronised with the ``search_index`` table."""

    def __init__(self, db: Database, encoder: TextEncoder):
        self.db = db
        self.encoder = encoder
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._vecs = np.zeros((0, 384), dtype=np.float32)
        self._tags: list[list[tuple[str, float]]] = []
        self._lex: list[set[str]] = []
        self._live: list[bool] = []
        self._since = ""

    # -- writing -----------------------------------------------------------------------
    def add(self, rec: ImageRecord, *, at: str | None = None) -> None:
        """Index (or un-index) one finished record (``at``: the index row's time, default now)."""
        status = rec.status.value
        text = document_text(rec) if status in SEARCHABLE else ""
        vec = self.encoder.encode([text], cache=False)[0] if text else np.zeros(384, dtype=np.float32)
        tags = [[t.label, round(t.score, 4)] for t in rec.tags] if text else []
        if text:
            tags += [[h, 0.5] for h in rec.hashtags if h not in {t[0] for t in tags}]
        sql = self.db.upsert_sql(
            "search_index", ["id", "status", "model", "text", "tags", "vector", "updated_at"], ["id"]
        )
        self.db.execute(
            sql,
            (
                rec.id,
                status,
                MODEL,
                text,
                json.dumps(tags),
                vec.astype(np.float32).tobytes(),
                max(at or "", datetime.now(UTC).isoformat()),
            ),
        )
        self.refresh()

    def catch_up(self, batch: int = 64) -> int:
        """Index results written by other processes (the Kafka fleet) since their last index row.

        The index row takes the later of now and the result's own time, so a worker whose clock runs
        ahead cannot make the same result look stale for ever. Returns how many were indexed."""
        rows = self.db.query(
            "SELECT r.record, r.updated_at FROM results r LEFT JOIN search_index s ON s.id = r.id "
            "WHERE s.id IS NULL OR s.updated_at < r.updated_at ORDER BY r.updated_at LIMIT ?",
            (batch,),
        )
        for record, updated in rows:
            self.add(ImageRecord.from_json(record), at=str(updated))
        return len(rows)

    def set_status(self, rec: ImageRecord) -> None:
        self.add(rec)

    # -- reading -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Load rows changed since the last refresh."""
        with self._lock:
            rows = self.db.query(
                "SELECT id, status, text, tags, vector, updated_at FROM search_index "
                "WHERE updated_at >= ? ORDER BY updated_at",
                (self._since,),
            )
            if not rows:
                return
            new_vecs = []
            for image_id, status, text, tags, vector, updated in rows:
                vec = np.frombuffer(bytes(vector), dtype=np.float32)
                live = status in SEARCHABLE and bool(text)
                tag_list = [(str(t), float(s)) for t, s in json.loads(tags or "[]")]
                lex = _words(text)
                if image_id in self._pos:
                    i = self._pos[image_id]
                    self._vecs[i] = vec
                    self._tags[i], self._lex[i], self._live[i] = tag_list, lex, live
                else:
                    self._pos[image_id] = len(self._ids)
                    self._ids.append(image_id)
                    self._tags.append(tag_list)
                    self._lex.append(lex)
                    self._live.append(live)
                    new_vecs.append(vec)
                self._since = max(self._since, str(updated))
            if new_vecs:
                self._vecs = np.vstack([self._vecs, np.stack(new_vecs)])

    def search(
        self, query: str, *, limit: int = 20, min_score: float = 0.25, allowed: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """(image id, score) pairs, best first; only searchable images (and only ``allowed`` ids, if given)."""
        query = query.strip()
        if not query:
            return []
        self.refresh()
        q = self.encoder.encode([query.lower()])[0]
        q_words = _words(query)
        with self._lock:
            if not self._ids:
                return []
            live = np.array(self._live, dtype=bool)
            doc = self._vecs @ q
            vocab = sorted({t for tags in self._tags for t, _ in tags})
            tag_sim = dict(zip(vocab, self.encoder.encode(vocab) @ q)) if vocab else {}
            scores = []
            for i, image_id in enumerate(self._ids):
                if not live[i] or (allowed is not None and image_id not in allowed):
                    continue
                best = max((tag_sim[t] * (0.6 + 0.4 * min(s, 1.0)) for t, s in self._tags[i]), default=0.0)
                bonus = 0.2 * len(q_words & self._lex[i]) / max(len(q_words), 1)
                score = 0.55 * float(doc[i]) + 0.45 * float(best) + bonus
                if score >= min_score:
                    scores.append((image_id, round(score, 4)))
        scores.sort(key=lambda kv: -kv[1])
        return scores[:limit]
