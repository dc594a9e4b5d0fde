"""The grounding guard on real photos (samples/) with the real packaged models."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from snapscribe.attributes import BLUR_THRESHOLD
from snapscribe.caption import compose
from snapscribe.cli import cli
from snapscribe.config import Settings
from snapscribe.engines.base import Detection
from snapscribe.evidence import fuse
from snapscribe.grounding import GroundingGuard
from snapscribe.kinds import KindReading
from snapscribe.lexicon import load_lexicon
from snapscribe.mentions import extract
from snapscribe.pipeline import build_pipeline
from snapscribe.taxonomy import imagenet_by_name

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="module")
def pipeline():
    return build_pipeline(Settings(), None)


@pytest.fixture(scope="module")
def seen(pipeline):
    """What the real models make of each sample photo."""
    return {p.stem: pipeline.understand(p.read_bytes()) for p in sorted(SAMPLES.glob("*.jpg"))}


@pytest.fixture(scope="module")
def guard(pipeline):
    return pipeline.guard


def check(guard, u, caption):
    return guard.check(caption, u.evidence, u.tags)


def test_pipeline_always_attaches_the_guard(pipeline):
    assert isinstance(pipeline.guard, GroundingGuard)


def test_faithful_caption_is_kept(guard, seen):
    r = check(guard, seen["cat"], "A tabby cat looking to the side")
    assert r.grounding.supported and r.grounding.action == "kept"
    assert r.caption == "A tabby cat looking to the side"


def test_invented_object_is_removed_with_its_clause(guard, seen):
    r = check(guard, seen["cat"], "A tabby cat sleeping next to a laptop")
    g = r.grounding
    assert not g.supported and g.action == "removed"
    assert g.unsupported_terms == ["laptop"]
    assert r.caption == "A tabby cat sleeping"
    assert g.original == "A tabby cat sleeping next to a laptop"
    assert g.reasons and g.reasons[0].startswith("laptop:")


def test_invented_subject_replaces_the_caption_with_a_grounded_one(guard, seen):
    u = seen["coffee"]
    r = check(guard, u, "A golden retriever drinking coffee")
    assert r.grounding.action == "replaced" and "golden retriever" in r.grounding.unsupported_terms
    # the replacement is the composer's caption, itself grounded
    assert r.caption == compose(u.evidence)
    assert check(guard, u, r.caption).grounding.supported


def test_invented_person_is_flagged(guard, seen):
    for name, caption in [
        ("mountains", "A hiker on a trail below snowy peaks"),
        ("dandelions", "A girl blowing dandelions at sunset"),
        ("pagoda", "A pagoda above the lake with a crowd of tourists"),
    ]:
        g = check(guard, seen[name], caption).grounding
        assert not g.supported, (name, caption)
        assert any(t in g.unsupported_terms for t in ("hiker", "girl", "crowd", "tourists")), g


def test_hypernyms_and_synonyms_are_supported(guard, seen):
    for caption in ("An animal looking to the side", "A cute pet", "A kitty with whiskers", "A feline portrait"):
        assert check(guard, seen["cat"], caption).grounding.supported, caption


def test_specific_kind_needs_specific_evidence(guard, seen):
    cat = seen["cat"].evidence
    dog_idx = imagenet_by_name()["cocker spaniel"].index
    probs = np.zeros(1000, dtype=np.float32)
    probs[dog_idx] = 0.9
    dog = fuse([Detection("dog", 18, 0.92, (0.2, 0.2, 0.8, 0.9))], probs, cat.scene, cat.stats)
    assert guard.check("A dog looking up", dog, []).grounding.supported
    assert guard.check("A cocker spaniel", dog, []).grounding.supported
    g = guard.check("A golden retriever", dog, []).grounding
    assert not g.supported and g.unsupported_terms == ["golden retriever"]
    # and a plain "dog" detection alone does not support a breed
    plain = fuse(
        [Detection("dog", 18, 0.92, (0.2, 0.2, 0.8, 0.9))], np.full(1000, 0.001, np.float32), cat.scene, cat.stats
    )
    assert not guard.check("A golden retriever", plain, []).grounding.supported


def test_landscape_is_a_checked_scene_claim(guard, seen):
    """A landscape is something a caption can get wrong: landscape classes or a held landscape concept
    support it, an indoor close-up does not."""
    assert "landscape" in check(guard, seen["mountains"], "A landscape under a clear sky").caption
    for name in ("coffee", "cat"):
        assert "landscape" not in check(guard, seen[name], "A landscape under a clear sky").caption.lower()


def test_a_plural_that_is_also_a_lemma_keeps_its_singular_sense(guard, seen):
    """WordNet knows "clocks" as a plant; the composer's "Three clocks" means clock (as morphy reads it)."""
    cat = seen["cat"].evidence
    boxes = [Detection("clock", 85, 0.6, (0.1 + 0.3 * i, 0.2, 0.3 + 0.3 * i, 0.5)) for i in range(3)]
    clocks = fuse(boxes, np.full(1000, 0.001, np.float32), cat.scene, cat.stats)
    assert guard.check("Three clocks", clocks, []).grounding.supported
    assert not guard.check("Three clocks", cat, []).grounding.supported


@pytest.mark.parametrize("word, kind", [("A painting", "painting"), ("A screenshot", "screenshot")])
def test_the_kind_models_reading_supports_the_kind_word(guard, seen, word, kind):
    """The composer says "A painting" when the fitted kind model is sure; the guard reads the same fact."""
    cat = seen["cat"].evidence
    sure = replace(cat, kind=KindReading(kind, {kind: 0.99, "photo": 0.01}))
    assert sure.image_kind == kind
    assert guard.check(word, sure, []).grounding.supported
    photo = replace(cat, kind=KindReading("photo", {"photo": 0.99, kind: 0.01}))
    assert not guard.check(word, photo, []).grounding.supported


def test_people_counts(guard, seen):
    u = seen["astronaut"]
    assert u.evidence.people >= 1
    assert check(guard, u, "A woman in a spacesuit").grounding.supported
    g = check(guard, u, "Three astronauts posing together").grounding
    assert not g.supported
    g = check(guard, u, "An astronaut posing next to her husband").grounding
    assert not g.supported and "husband" in g.unsupported_terms


def test_text_claims_need_readable_ocr_text(guard, seen):
    ev = seen["coffee"].evidence
    sharp = replace(
        ev, stats=replace(ev.stats, sharpness=max(ev.stats.sharpness, BLUR_THRESHOLD * 4)), ocr_text="OPEN 24 HOURS"
    )
    ok = guard.check('A cup of coffee under a sign that says "Open 24 hours"', sharp, [])
    assert ok.grounding.supported, ok.grounding.reasons
    wrong = guard.check('A cup of coffee under a sign that says "Closed on Sundays"', sharp, [])
    assert not wrong.grounding.supported
    unread = guard.check('A cup of coffee with a sign that says "Open"', replace(sharp, ocr_text=None), [])
    assert not unread.grounding.supported


def test_blurry_image_text_claims_are_removed(guard, seen):
    ev = seen["coffee"].evidence
    blurry = replace(ev, stats=replace(ev.stats, sharpness=BLUR_THRESHOLD / 3), ocr_text="ABC 123")
    r = guard.check("A cup of coffee next to a license plate that reads ABC 123", blurry, [])
    assert r.grounding.action == "removed"
    assert "blurry" in " ".join(r.grounding.reasons)
    assert "ABC" not in r.caption and "plate" not in r.caption and "coffee" in r.caption


def test_hashtags_are_mentions(guard, seen):
    r = check(guard, seen["cat"], "Lazy afternoon #cat #dog")
    assert r.grounding.unsupported_terms == ["#dog"]
    assert r.caption == "Lazy afternoon #cat"


def test_composer_captions_pass_the_guard(guard, seen):
    for name, u in seen.items():
        caption = compose(u.evidence)
        r = check(guard, u, caption)
        assert r.grounding.supported, (name, caption, r.grounding.reasons)


def test_mentions_skip_modifiers_negations_and_names():
    lex = load_lexicon()
    lemmas = [m.lemma for m in extract("A dog bed with no people, next to the Summer Palace", lex)]
    assert lemmas == ["bed"]
    assert [m.count for m in extract("two dogs and 3 cats", lex)] == [2, 3]


def test_ground_command_prints_the_grounding_json():
    result = CliRunner().invoke(cli, ["ground", str(SAMPLES / "cat.jpg"), "--caption", "A cat next to a parrot"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["supported"] is False and out["action"] == "removed"
    assert out["unsupported_terms"] == ["parrot"] and out["caption"] == "A cat"


def test_flag_rates_on_the_sample_check_set():
    """Half faithful, half invented captions on the committed sample photos."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from eval_grounding import evaluate

    report = evaluate([ROOT / "tests" / "data" / "grounding_samples.json"], ROOT / "devset" / "cache", ROOT)
    assert report["all"]["pairs"] >= 20
    assert report["all"]["invented_flagged"] >= 0.8, report["all"]
    assert report["all"]["faithful_flagged"] <= 0.2, report["all"]


@pytest.mark.skipif(not (ROOT / "devset" / "cache").is_dir(), reason="dev set not fetched (scripts/fetch_devset.py)")
def test_flag_rates_on_the_dev_set_check_set():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from eval_grounding import evaluate

    sets = [ROOT / "tests" / "data" / n for n in ("grounding_checkset.json", "grounding_checkset_b.json")]
    report = evaluate(sets, ROOT / "devset" / "cache", ROOT / "tests" / "data" / "pdq")
    assert report["all"]["invented_flagged"] >= 0.8, report["all"]
    assert report["all"]["faithful_flagged"] <= 0.2, report["all"]
