"""Local LLM polish: the packaged SmolLM2-135M GGUF through llama-cpp-python; a rewrite is
kept only when the grounding guard accepts it."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapscribe.caption import compose
from snapscribe.config import PolishConfig, Settings
from snapscribe.engines.polish import PolishCaptioner, packaged_gguf
from snapscribe.pipeline import Upload, build_pipeline

ROOT = Path(__file__).resolve().parents[1]
CAT = ROOT / "samples" / "cat.jpg"


class Scripted:
    """A stand-in model that answers with fixed text (llama_cpp.Llama's chat API shape)."""

    def __init__(self, *answers: str):
        self.answers = list(answers)

    def create_chat_completion(self, **_):
        return {"choices": [{"message": {"content": self.answers.pop(0)}}]}


@pytest.fixture(scope="module")
def pipeline():
    return build_pipeline(Settings().with_overrides(**{"engines.captioner": "polish"}), None)


@pytest.fixture(scope="module")
def cat(pipeline):
    return pipeline.understand(CAT.read_bytes())


def test_packaged_model_is_found():
    path = packaged_gguf()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def test_real_model_rewrite_is_grounded_or_rejected(pipeline, cat):
    draft = pipeline.captioner.caption(cat.evidence, cat.tags, cat.inputs)
    base = compose(cat.evidence)
    if draft.engine == "polish":
        assert draft.text != "" and all(
            v.supported for v in pipeline.guard.verdicts(draft.text, cat.evidence, cat.tags)
        )
    else:
        assert draft.text == base and draft.fallback.startswith("polish: ")


def test_real_model_in_a_pipeline_record(pipeline):
    rec = pipeline.process(Upload(source=str(CAT), path=str(CAT)))
    assert rec.caption and rec.provenance.captioner in ("polish", "default")
    assert rec.grounding is not None and rec.grounding.supported


def test_rewrite_that_invents_is_rejected(pipeline, cat):
    polish = PolishCaptioner(
        PolishConfig(attempts=2),
        pipeline.guard,
        llm=Scripted("A cat napping next to a laptop 💻", "A cat and a golden retriever"),
    )
    draft = polish.caption(cat.evidence, cat.tags, cat.inputs)
    assert draft.text == compose(cat.evidence) and draft.engine == "default"
    assert draft.fallback.startswith("polish: rewrite rejected") and "golden retriever" in draft.fallback


def test_rewrite_that_adds_an_unseen_setting_is_rejected(pipeline, cat):
    polish = PolishCaptioner(PolishConfig(attempts=1), pipeline.guard, llm=Scripted("A cat by the window 🐾"))
    draft = polish.caption(cat.evidence, cat.tags, cat.inputs)
    assert draft.engine == "default" and "window" in draft.fallback


def test_grounded_rewrite_is_kept(pipeline, cat):
    polish = PolishCaptioner(PolishConfig(attempts=1), pipeline.guard, llm=Scripted('"Cozy cat vibes 🐱"'))
    draft = polish.caption(cat.evidence, cat.tags, cat.inputs)
    assert draft.engine == "polish" and draft.text == "Cozy cat vibes 🐱"


def test_missing_model_keeps_the_grounded_caption(pipeline, cat, tmp_path):
    polish = PolishCaptioner(PolishConfig(model_path=str(tmp_path / "none.gguf")), pipeline.guard)
    draft = polish.caption(cat.evidence, cat.tags, cat.inputs)
    assert draft.text == compose(cat.evidence) and draft.fallback.startswith("polish: model failed")
