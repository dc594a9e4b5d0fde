"""Measure caption variety per subject family and how often casual and poetic captions differ.

Usage: python scripts/measure_tones.py DIR [DIR ...]
"""

import hashlib
import sys
from collections import defaultdict
from pathlib import Path

from snapscribe.caption import compose_with_rule
from snapscribe.caption_options import family
from snapscribe.config import Settings
from snapscribe.pipeline import build_pipeline

files = sorted(p for d in sys.argv[1:] for p in Path(d).rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
pipe = build_pipeline(Settings(), None)
per_family: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
counts: dict[str, int] = defaultdict(int)
differ = total = bad_opts = no_alt = 0
for path in files:
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    try:
        u = pipe.understand(data, sha=sha)
    except Exception as exc:  # a broken file is counted, not fatal
        print("skip", path.name, exc)
        continue
    if u.evidence is None:
        continue
    fam = family(u.evidence, compose_with_rule(u.evidence)[1])
    recs = {
        tone: pipe.with_tone(tone).describe(u, path.name, sha) for tone in ("neutral", "casual", "poetic", "minimal")
    }
    if recs["casual"].caption is None:
        continue
    counts[fam] += 1
    total += 1
    differ += recs["casual"].caption != recs["poetic"].caption
    for tone, r in recs.items():
        per_family[fam][tone].add(r.caption or "")
        bad_opts += len(set(r.caption_options)) != 3
        no_alt += not r.alt_text
print(f"images captioned: {total}; casual != poetic: {differ}/{total} = {differ / max(total, 1):.1%}")
print(f"records without 3 distinct options: {bad_opts}; without alt text: {no_alt}")
for fam in sorted(counts):
    row = ", ".join(f"{t} {len(per_family[fam][t])}" for t in ("neutral", "casual", "poetic", "minimal"))
    print(f"{fam:8} images {counts[fam]:3}  distinct captions: {row}")
