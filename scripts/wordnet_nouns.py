"""A minimal reader for the WordNet 3.0 noun database, shared by the offline build scripts
(``build_taxonomy.py``, ``build_grounding_lexicon.py``). Debian's ``wordnet-base`` puts the
files in /usr/share/wordnet. No nltk needed."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple


class Synset(NamedTuple):
    words: list[str]  # as written in data.noun: underscores, case and "(a)" markers kept
    lexfile: int
    hypernyms: list[int]  # hypernym and instance-hypernym offsets


class WordNetNouns:
    """Synsets by offset (words, lexfile, hypernyms), lemma senses, SemCor counts, plurals."""

    def __init__(self, directory: Path):
        self.synsets: dict[int, Synset] = {}
        with open(directory / "data.noun", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                head = line.partition(" | ")[0].split()
                offset, lexfile, wcount = int(head[0]), int(head[1]), int(head[3], 16)
                words = [head[4 + 2 * i] for i in range(wcount)]
                i = 4 + 2 * wcount
                hypernyms = []
                for _ in range(int(head[i])):
                    sym, off, pos = head[i + 1], head[i + 2], head[i + 3]
                    if sym in ("@", "@i") and pos == "n":
                        hypernyms.append(int(off))
                    i += 4
                self.synsets[offset] = Synset(words, lexfile, hypernyms)
        self.index: dict[str, list[int]] = {}  # lemma (underscores) -> offsets, most common sense first
        self.tagged: dict[str, int] = {}  # how often the lemma is sense-tagged in SemCor (commonness)
        with open(directory / "index.noun", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                p = line.split()
                self.index[p[0]] = [int(x) for x in p[4 + int(p[3]) + 2 :]]
                self.tagged[p[0]] = int(p[4 + int(p[3]) + 1])
        self.exceptions: dict[str, str] = {}  # irregular plural -> singular (underscores)
        exc = directory / "noun.exc"
        if exc.exists():
            with open(exc, encoding="latin-1") as fh:
                for line in fh:
                    parts = line.split()
                    if len(parts) >= 2:
                        self.exceptions[parts[0]] = parts[1]

    def offset(self, name: str) -> int:
        """'dog.n.01' -> offset (sense numbers follow index.noun order, as in nltk)."""
        lemma, _, sense = name.rsplit(".", 2)
        return self.index[lemma][int(sense) - 1]

    def closure(self, offset: int) -> list[int]:
        """The synset itself, then its hypernyms breadth-first (nearest first)."""
        order, frontier = [offset], [offset]
        while frontier:
            nxt = []
            for off in frontier:
                for h in self.synsets[off].hypernyms:
                    if h not in order:
                        order.append(h)
                        nxt.append(h)
            frontier = nxt
        return order
