"""The NumPy MiniLM equals sentence-transformers, and the shipped rows equal the encoder."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from snapscribe.engines.minilm import MiniLMEmbedder, load_minilm, shipped_embeddings, text_key
from snapscribe.taxonomy import imagenet_classes, load_vocabulary

TEXTS = [
    "golden retriever",
    "a photo of a cat on a sofa",
    "Beautiful sunset at the beach #sunset",
    "x",
    "",
    "Ünïcödé café, naïve façade",
    "snow-capped alp over a valley; 3 skiers " * 30,
]
QUERIES = ["dog", "beach sunset", "mountains with snow", "food on a plate", "city at night"]
DOCS = [
    "A dog on the grass. dog, grass, pet",
    "Sunset over the sea. sunset, sea, beach",
    "A snowy mountain. mountain, snow, landscape",
    "A plate of pasta. food, pasta, dinner",
    "A city skyline at night. city, night, lights",
    "Abstract art in blue tones. abstract, blue",
]


@pytest.fixture(scope="module")
def reference():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    st = pytest.importorskip("sentence_transformers")
    from snapscribe.weights import minilm_dir

    model = st.SentenceTransformer(str(minilm_dir()), device="cpu")
    return lambda texts: model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)


def test_numpy_encoder_equals_sentence_transformers(reference):
    ours = load_minilm().encode(TEXTS)
    ref = reference(TEXTS)
    assert ours.shape == ref.shape == (len(TEXTS), 384)
    assert np.abs(ours - ref).max() < 1e-5


def test_search_ranking_is_the_same(reference):
    ours = load_minilm().encode(QUERIES) @ load_minilm().encode(DOCS).T
    ref = reference(QUERIES) @ reference(DOCS).T
    assert (np.argsort(-ours, axis=1) == np.argsort(-ref, axis=1)).all()
    assert np.abs(ours - ref).max() < 1e-5


def test_shipped_rows_cover_the_tagger_and_equal_the_encoder():
    shipped = shipped_embeddings()
    texts = [v.tag for v in load_vocabulary(())] + [c.specific for c in imagenet_classes()]
    missing = [t for t in texts if text_key(t) not in shipped]
    assert not missing, f"rebuild with scripts/build_text_embeddings.py; missing {missing[:5]}"
    sample = texts[::97]
    fresh = load_minilm().encode(sample)
    stored = np.stack([shipped[text_key(t)] for t in sample])
    assert np.abs(fresh - stored).max() < 1e-5


def test_embedder_caches_new_texts_on_disk(tmp_path):
    first = MiniLMEmbedder(cache_dir=tmp_path).embed(["a brand new tag nobody ships"])
    assert (tmp_path / "minilm-embeddings.npz").exists()
    assert not list(tmp_path.glob(".minilm-*")), "temp files are renamed into place"
    again = MiniLMEmbedder(cache_dir=tmp_path).embed(["a brand new tag nobody ships"])
    assert np.array_equal(first, again)


def test_default_runtime_imports_no_torch(tmp_path):
    """Captioning one image with the default engines never imports torch, transformers or matplotlib."""
    code = (
        "import sys\n"
        "from snapscribe.cli import cli\n"
        "try:\n"
        "    cli(['caption', sys.argv[1], '--format', 'jsonl'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "bad = sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'matplotlib') if m in sys.modules)\n"
        "print('IMPORTED', bad)\n"
    )
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "samples" / "cat.jpg"
    env = {**os.environ, "SNAPSCRIBE_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(sample)], capture_output=True, text=True, timeout=300, env=env
    )
    assert "IMPORTED []" in out.stdout, out.stdout + out.stderr
