#!/usr/bin/env python3
"""Precompute the MiniLM rows the tagger always needs into src/snapscribe/data/text_embeddings.npz.

The rows are the packaged vocabulary's tags and the ImageNet class names that ConSE places
the image among; shipping them means a fresh install tags its first image without running
the text encoder at all. Rerun after changing data/vocabulary.tsv or the taxonomy; the
output is byte for byte reproducible (sorted keys, no timestamps):

    .venv/bin/python scripts/build_text_embeddings.py
"""

from __future__ import annotations

import io
import zipfile

import numpy as np

from snapscribe.engines.minilm import SHIPPED, load_minilm, text_key
from snapscribe.taxonomy import imagenet_classes, load_vocabulary


def shipped_texts() -> list[str]:
    texts = [v.tag for v in load_vocabulary(())] + [c.specific for c in imagenet_classes()]
    return sorted(dict.fromkeys(texts))


def main() -> None:
    texts = shipped_texts()
    vectors = load_minilm().encode(texts)
    keys = np.array([text_key(t) for t in texts])
    order = np.argsort(keys)
    buf = io.BytesIO()
    # A fixed zip timestamp keeps the file reproducible (np.savez stamps the current time).
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, arr in (("keys", keys[order]), ("vectors", vectors[order].astype(np.float32))):
            member = io.BytesIO()
            np.lib.format.write_array(member, arr, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    SHIPPED.write_bytes(buf.getvalue())
    print(f"{len(texts)} texts -> {SHIPPED} ({SHIPPED.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
