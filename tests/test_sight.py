"""Hedged naming, the composer's rule table (one test per rule) and caption grammar."""

from dataclasses import replace

import numpy as np
import pytest
from sight_models import STATS as SIGHT_STATS
from sight_models import pinned

from snapscribe.caption import RULES, compose, compose_with_rule
from snapscribe.concepts import ConceptReading
from snapscribe.evidence import CONCEPT_SOURCE, Evidence, Subject, fuse, rendered_probability
from snapscribe.grammar import article, is_plural, with_article
from snapscribe.hedging import hedge, hierarchy
from snapscribe.kinds import KindReading
from snapscribe.scene import SceneCues

STATS = replace(SIGHT_STATS, dominant_colours=[("pink", 0.6), ("white", 0.3)])


@pytest.fixture(autouse=True)
def _pinned_models():
    """Mechanism tests: fixed hedging, detection and scene settings, whatever the fitted models say."""
    with pinned():
        yield


def _probs(**mass: float) -> np.ndarray:
    p = np.zeros(1000, dtype=np.float32)
    for key, value in mass.items():
        p[int(key[1:])] = value
    p[400:] += max(0.0, 1.0 - float(p.sum())) / 600  # the rest thin over artefact classes
    return p


def _ev(
    *subjects: Subject,
    kind: str | None = None,
    scene: SceneCues | None = None,
    abstract: float = 0.05,
    ocr: str | None = None,
    concepts: tuple[tuple[str, float], ...] = (),
) -> Evidence:
    reading = KindReading(kind, {kind: 0.99}) if kind else None
    return Evidence(
        subjects=subjects,
        objects=(),
        class_top=(),
        scene=scene or SceneCues(),
        stats=STATS,
        abstract=abstract,
        ocr_text=ocr,
        kind=reading,
        concepts=ConceptReading(concepts),
    )


# -- grammar -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("cliffs", "cliffs"),
        ("berries", "berries"),  # a plural that WordNet also lists as a lemma of its own
        ("glasses", "glasses"),
        ("rabbit", "a rabbit"),
        ("owl", "an owl"),
        ("hour", "an hour"),
        ("unicorn", "a unicorn"),
        ("glass", "a glass"),
        ("bus", "a bus"),
        ("food", "food"),
        ("sea creatures", "sea creatures"),
        ("big cat", "a big cat"),
        ("octopus", "an octopus"),
        ("geese", "geese"),
    ],
)
def test_articles_follow_number_and_sound(phrase, expected):
    assert article(phrase) == expected


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("abstract black and navy pattern", "an abstract black and navy pattern"),
        ("landscape under a clear sky", "a landscape under a clear sky"),
        ("close-up of a black and brown texture", "a close-up of a black and brown texture"),
        ("night scene", "a night scene"),
        ("outer space", "outer space"),
        ("aircraft", "aircraft"),
        ("abstract white art with smooth gradients", "abstract white art with smooth gradients"),
        ("lush green plants", "lush green plants"),
        ("mountains at sunset", "mountains at sunset"),
        ("two people", "two people"),
        ("a portrait of a person", "a portrait of a person"),
        ("beautiful sunset: two people", "beautiful sunset: two people"),
        ('"Be kind" on pink', '"Be kind" on pink'),
    ],
)
def test_a_phrase_after_a_frame_gets_its_article(phrase, expected):
    """ "Presenting abstract blue pattern" is not English: the frame needs the article the bare phrase lacks."""
    assert with_article(phrase) == expected


def test_a_plural_landscape_phrase_gets_no_article():
    cliff = Subject("cliff", "cliffs", "landscape", 0.8, 1, ("classifier",))
    assert compose(_ev(cliff)) == "Cliffs"
    assert is_plural("cliffs") and not is_plural("cliff")


# -- hedging -------------------------------------------------------------------------------
# Raw mass as the confidence, so these tests check the hierarchy, not the fitted calibration.
RAW = {"weights": [1.0, 0.0, 0.0], "bias": 0.0, "bar": 0.8, "box_support": 0.1}


def test_sure_of_the_species_names_it_unsure_names_what_it_is_sure_of():
    assert hedge(_probs(c330=0.5, c331=0.45), bar=0.8, model=RAW).node.noun == "rabbit"  # wood rabbit + hare
    spread = hedge(_probs(c330=0.3, c335=0.3, c277=0.3), bar=0.8, model=RAW)  # rabbit, squirrel, fox
    assert spread.node is not None and spread.node.noun == "animal"
    assert hedge(_probs(c330=0.2), bar=0.8, model=RAW).node is None  # nothing clears the bar


def test_food_spread_over_dishes_is_named_food():
    reading = hedge(_probs(c959=0.3, c963=0.25, c923=0.3), bar=0.8, model=RAW)  # carbonara, pizza, plate
    assert reading.node is not None and reading.node.noun == "food"


def test_nodes_are_unique_sets_ordered_from_specific_to_general():
    nodes = hierarchy().nodes
    assert len({n.leaves for n in nodes}) == len(nodes)
    assert [len(n.leaves) for n in nodes] == sorted(len(n.leaves) for n in nodes)


# -- the rule table: one test per rule -----------------------------------------------------

RABBIT = Subject("rabbit", "rabbits", "animal", 0.9, 1, ("classifier",))
CASES = {
    "text_graphic": (_ev(kind="text_graphic", ocr="Be kind"), 'Text on a pink background: "Be kind"'),
    "screenshot": (_ev(kind="screenshot", ocr="Main menu"), "A screenshot"),
    "chart": (_ev(kind="chart"), "A chart"),
    "painting": (_ev(RABBIT, kind="painting"), "A painting of a rabbit"),
    "drawing": (_ev(kind="drawing"), "An illustration in pink and white tones"),
    "rendered_subject": (_ev(RABBIT, kind="abstract"), "Illustration of a rabbit in pink and white tones, digital art"),
    "abstract": (_ev(kind="abstract"), "Abstract pink and white art with flowing shapes"),
    "scene_only": (_ev(scene=SceneCues(snow=0.9)), "A snowy landscape"),
    "colours_only": (_ev(), "A photo in pink and white tones"),
    "concept": (
        _ev(
            Subject("beach", "beach", "landscape", 0.8, 1, (CONCEPT_SOURCE,)),
            concepts=(("beach", 0.8), ("sea", 0.7), ("sunset", 0.6)),
        ),
        "A beach at sunset",
    ),
    "landscape": (_ev(Subject("cliff", "cliffs", "landscape", 0.8, 1, ("classifier",))), "Cliffs"),
    "subject": (_ev(RABBIT, kind="photo"), "A rabbit"),
}


def test_every_rule_has_a_case_and_the_last_rule_always_applies():
    assert [r.name for r in RULES] == list(CASES)
    assert RULES[-1].applies(_ev())


@pytest.mark.parametrize("name", list(CASES))
def test_rule_fires_and_writes(name):
    ev, expected = CASES[name]
    text, rule = compose_with_rule(ev)
    assert rule == name
    assert text == expected


def test_a_text_graphic_without_readable_text_is_not_quoted():
    text, rule = compose_with_rule(_ev(kind="text_graphic"))
    assert rule == "abstract" and '"' not in text


# -- records, split ------------------------------------------------------------------------


def test_the_composer_reports_which_rule_wrote_the_caption():
    from snapscribe.caption import GroundedComposer

    draft = GroundedComposer().caption(_ev(RABBIT, kind="photo"), [], None)  # type: ignore[arg-type]
    assert (draft.text, draft.rule) == ("A rabbit", "subject")


def test_the_split_is_by_package_and_stable_when_packages_are_added():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from make_split import make_split

    def img(pkg):
        return {"origin": {"package": pkg}}

    tuned = [img("dev-a"), img("dev-b")]
    fresh = [img(f"pkg-{i}") for i in range(40)]
    first = make_split(tuned, fresh, 0.4)
    more = make_split(tuned, fresh + [img(f"new-{i}") for i in range(10)], 0.4)
    assert first["dev-a"] == first["dev-b"] == "train"
    assert all(more[p] == side for p, side in first.items())
    assert 0.2 < sum(v == "validation" for v in first.values()) / 40 < 0.6


# -- photo or rendered ---------------------------------------------------------------------


def test_fusion_judges_photo_or_rendered_by_the_kind_model():
    """One judgement: one minus the kind model's P(photo); the pixel model only without a kind reading."""
    probs = _probs(n281=0.9)
    photo = KindReading("photo", {"photo": 0.9, "drawing": 0.1})
    drawing = KindReading("drawing", {"photo": 0.25, "drawing": 0.75})
    assert fuse([], probs, SceneCues(), STATS, kind=photo).abstract == pytest.approx(0.1)
    ev = fuse([], probs, SceneCues(), STATS, kind=drawing)
    assert ev.abstract == pytest.approx(0.75) and ev.rendered and ev.kind is drawing
    assert rendered_probability(None, probs, 0, None) == 0.0  # neither model has read the image
    assert rendered_probability(None, probs, 0, KindReading("photo", {})) == 0.0
