"""Measure caption variety per subject family and how often casual and poetic captions differ.

Usage: python scripts/measure_tones.py DIR [DIR ...]   (the top-level .jpg/.png files of each)

Model features come from the data dir's cache when a run of ``snapscribe caption`` on the same
images filled it ($SNAPSCRIBE_HOME), else the models run. Per family: distinct captions over all
its images, and among 20 of them (the smallest count over 200 random draws of 20, seeded).
"""

import hashlib
import random
import sys
from collections import defaultdict
from pathlib import Path

from snapscribe.caption import compose_with_rule
from snapscribe.caption_options import TONES, family
from snapscribe.config import Settings
from snapscribe.pipeline import build_pipeline
from snapscribe.store import Database, ResultStore

SAMPLE, DRAWS = 20, 200

# the top-level files of each folder (the labelled caches keep resized copies in a subfolder)
files = sorted(p for d in sys.argv[1:] for p in Path(d).glob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
settings = Settings()
pipe = build_pipeline(settings, ResultStore(Database(settings.db_url())))
captions: dict[str, list[dict[str, str]]] = defaultdict(list)  # family -> per image, tone -> caption
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
    recs = {tone: pipe.with_tone(tone).describe(u, path.name, sha) for tone in TONES}
    if recs["casual"].caption is None:
        continue
    total += 1
    if recs["casual"].caption == recs["poetic"].caption:
        print("same casual and poetic:", path.name, recs["casual"].caption)
    differ += recs["casual"].caption != recs["poetic"].caption
    captions[fam].append({tone: r.caption or "" for tone, r in recs.items()})
    for tone, r in recs.items():
        if len(set(r.caption_options)) != 3:
            print("not 3 distinct options:", path.name, tone, r.caption_options)
        bad_opts += len(set(r.caption_options)) != 3
        no_alt += not r.alt_text
print(f"images captioned: {total}; casual != poetic: {differ}/{total} = {differ / max(total, 1):.1%}")
print(f"records without 3 distinct options: {bad_opts}; without alt text: {no_alt}")
rng = random.Random(14)
for fam in sorted(captions):
    rows = captions[fam]
    every = ", ".join(f"{t} {len({r[t] for r in rows})}" for t in TONES)
    line = f"{fam:8} images {len(rows):3}  distinct captions: {every}"
    if len(rows) >= SAMPLE:
        draws = [rng.sample(rows, SAMPLE) for _ in range(DRAWS)]
        least = ", ".join(f"{t} {min(len({r[t] for r in d}) for d in draws)}" for t in TONES)
        line += f"  | fewest among {SAMPLE}: {least}"
    print(line)
