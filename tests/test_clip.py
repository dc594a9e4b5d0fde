"""The CLIP engine: a tiny, randomly initialised CLIP the test builds and saves, loaded
back from disk through the production loader (no CLIP weights ship in any package)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_models import build_tiny_clip

from snapscribe.config import ClipConfig, Settings, TaggingConfig
from snapscribe.engines.base import ImageEmbedder
from snapscribe.engines.clip import ClipEngine, ClipTagger
from snapscribe.errors import ConfigError
from snapscribe.pipeline import Upload, build_pipeline

ROOT = Path(__file__).resolve().parents[1]
CAT = ROOT / "samples" / "cat.jpg"


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    return build_tiny_clip(tmp_path_factory.mktemp("tinyclip"))


@pytest.fixture(scope="module")
def engine(clip_dir):
    return ClipEngine.from_config(ClipConfig(model_path=str(clip_dir)))


@pytest.fixture(scope="module")
def cat_inputs():
    p = build_pipeline(Settings(), None)
    return p.understand(CAT.read_bytes())


def test_loads_from_disk_as_an_image_embedder(engine, clip_dir):
    assert isinstance(engine, ImageEmbedder)
    assert engine.name == f"clip:{clip_dir.name}"
    assert engine.image_size == 32  # from the saved config, not a default


def test_image_embedding_shape_and_norm(engine, cat_inputs):
    px = engine.pixel_values(cat_inputs.inputs)
    assert px.shape == (1, 3, 32, 32) and px.dtype == np.float32
    vec = engine.embed_image(cat_inputs.inputs)
    assert vec.shape == (16,) and vec.dtype == np.float32
    assert abs(float(np.linalg.norm(vec)) - 1) < 1e-5


def test_text_embeddings_shape_norm_and_determinism(engine):
    texts = ["a photo of beach", "a photo of dog", "a photo of a dog"]
    vecs = engine.embed_text(texts)
    assert vecs.shape == (3, 16)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-5)
    assert not np.allclose(vecs[1], vecs[2])  # different texts, different vectors
    assert np.allclose(engine.embed_text(["a photo of dog"])[0], vecs[1], atol=1e-6)
    assert engine.embed_text([]).shape == (0, 16)


def test_zero_shot_ranking(engine):
    tagger = ClipTagger(engine, TaggingConfig(), ClipConfig(model_path="x", temperature=0.01))
    prompts = tagger.prompts()
    assert prompts[0] == f"a photo of {tagger.vocabulary[0].tag}"
    text = engine.embed_text(prompts)
    # the text embedding of a tag's prompt, used as the query, ranks that tag first
    for k in range(0, len(prompts), max(1, len(prompts) // 25)):
        probs = tagger.probabilities(text[k])
        assert int(np.argmax(probs)) == k
        assert abs(float(probs.sum()) - 1) < 1e-4
    # a lower temperature makes the distribution sharper
    warm = ClipTagger(engine, TaggingConfig(), ClipConfig(model_path="x", temperature=1.0))
    assert tagger.probabilities(text[3]).max() > warm.probabilities(text[3]).max()


def test_tagger_output_is_tags_from_the_vocabulary(engine, cat_inputs):
    tagger = ClipTagger(engine, TaggingConfig(), ClipConfig(model_path="x", min_score=0.0, max_tags=5))
    tags = tagger.tag(cat_inputs.evidence, cat_inputs.inputs)
    names = {v.tag for v in tagger.vocabulary}
    clip_tags = [t for t in tags if t.label in names]
    assert len(clip_tags) >= 5 - 1  # a colour tag may share a label
    assert [t.score for t in tags] == sorted((t.score for t in tags), reverse=True)


def test_pipeline_selects_clip_by_config(clip_dir):
    settings = Settings().with_overrides(**{"engines.tagger": "clip", "clip.model_path": str(clip_dir)})
    rec = build_pipeline(settings, None).process(Upload(source=str(CAT), path=str(CAT)))
    assert rec.provenance.tagger.startswith("clip:")
    assert rec.tags and rec.caption and rec.grounding is not None


def test_missing_model_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError):
        ClipEngine.from_config(ClipConfig())
    with pytest.raises(ConfigError):
        ClipEngine(tmp_path)
