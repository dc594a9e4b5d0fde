"""Hash-list files: parse them, and match image hashes against them.

Format, one entry a line::

    # comments and blank lines are ignored
    pdq,source,case_id                 <- optional header (first content line)
    d8f8f0cee0f4a84f...9c4e9c9b22,ncmec,123
    0007001f003f003f...03ff03ff03ff    <- extra columns are optional

The hash (64 hex digits, any case) is the first column, or the column named ``pdq``,
``pdq_hex``, ``pdq_hash``, ``hash`` or ``signal_value`` when a header names one. Columns
are separated by tabs when a line has one, else by commas (CSV quoting allowed). Extra
columns become string metadata, keyed by the header's names (``col2``, ``col3``, ... for
columns without a name). A bad line does not stop the parse: it is reported with its
line number in :attr:`ParseResult.errors` (or raised, with ``strict=True``).
"""

from __future__ import annotations

import csv
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SnapscribeError
from .pdq import HASH_HEX_LEN

HASH_COLUMN_NAMES = ("pdq", "pdq_hex", "pdq_hash", "hash", "signal_value")
_HEX = set(string.hexdigits)


class HashListError(SnapscribeError):
    """A hash-list file is unreadable or (with ``strict=True``) has an invalid line."""

    code = "hashlist_invalid"


@dataclass(frozen=True)
class HashListEntry:
    hash_hex: str
    metadata: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class LineError:
    line: int
    text: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}: {self.text[:100]!r}"


@dataclass
class ParseResult:
    entries: list[HashListEntry]
    errors: list[LineError]
    columns: list[str] | None = None  # the header, if there was one


def _split(line: str) -> list[str]:
    delimiter = "\t" if "\t" in line else ","
    row = next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
    return [c.strip() for c in row]


def _is_hash(text: str) -> bool:
    return len(text) == HASH_HEX_LEN and all(ch in _HEX for ch in text)


def _looks_like_header(fields: Sequence[str]) -> bool:
    first = fields[0] if fields else ""
    # A malformed hash is all hex digits (or empty); a header name is not.
    return bool(first) and not all(ch in _HEX for ch in first.removeprefix("0x"))


def parse_hash_list(lines: Iterable[str], *, strict: bool = False) -> ParseResult:
    """Parse hash-list lines; bad lines are collected as errors, or raised if ``strict``."""
    entries: list[HashListEntry] = []
    errors: list[LineError] = []
    columns: list[str] | None = None
    hash_col = 0
    seen_content = False
    for number, raw in enumerate(lines, start=1):
        text = raw.strip().lstrip("\ufeff")
        if not text or text.startswith("#"):
            continue
        fields = _split(text)
        if not seen_content:
            seen_content = True
            if _looks_like_header(fields):
                columns = [c or f"col{i + 1}" for i, c in enumerate(fields)]
                lowered = [c.lower() for c in columns]
                hash_col = next((lowered.index(n) for n in HASH_COLUMN_NAMES if n in lowered), 0)
                continue
        if hash_col >= len(fields):
            err = LineError(number, text, f"missing hash column {hash_col + 1}")
        else:
            value = fields[hash_col].lower().removeprefix("0x")
            if _is_hash(value):
                meta = {}
                for i, cell in enumerate(fields):
                    if i == hash_col:
                        continue
                    name = columns[i] if columns and i < len(columns) else f"col{i + 1}"
                    meta[name] = cell
                entries.append(HashListEntry(value, meta, number))
                continue
            err = LineError(number, text, f"not a {HASH_HEX_LEN}-hex-digit PDQ hash ({len(value)} characters)")
        if strict:
            raise HashListError(f"invalid hash list {err}")
        errors.append(err)
    return ParseResult(entries, errors, columns)


def load_hash_list(path: str | Path, *, strict: bool = False) -> ParseResult:
    """Read and parse a hash-list file (UTF-8)."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return parse_hash_list(fh, strict=strict)
    except (OSError, UnicodeDecodeError) as exc:
        raise HashListError(f"cannot read hash list {path}: {exc}") from exc
