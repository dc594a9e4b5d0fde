"""Hashtags people search: from grounded tags through the concept table, no colours or filler."""

from __future__ import annotations

import pytest

from snapscribe.attributes import COLOUR_NAMES, PixelStats
from snapscribe.caption import compose
from snapscribe.caption_options import FAMILIES
from snapscribe.concepts import ConceptReading
from snapscribe.config import CaptionConfig
from snapscribe.evidence import Evidence, Subject
from snapscribe.hashtags import (
    BROAD,
    PHOTO_FILL,
    SUPERSEDED_BY_KIND,
    HashtagPolicy,
    broad_concepts,
    clean,
    concept_table,
    default_blocklist,
    fact_tags,
    for_kind,
    is_filler,
)
from snapscribe.kinds import KindReading
from snapscribe.records import Tag
from snapscribe.scene import SceneCues
from snapscribe.taxonomy import load_vocabulary

VOCABULARY = load_vocabulary(())


def policy(**cfg) -> HashtagPolicy:
    return HashtagPolicy.build(CaptionConfig(**cfg), VOCABULARY)


def tags(**scores: float) -> list[Tag]:
    return [Tag(label=k.replace("_", " "), score=v) for k, v in scores.items()]


def test_specific_then_community_tags():
    out = policy().choose(tags(cat=0.9, grass=0.5))
    assert out[:2] == ["cat", "catsofinstagram"]
    assert "grass" in out


def test_colours_and_moods_never_become_hashtags():
    out = policy().choose(tags(beach=0.9, beige=0.9, light_blue=0.8, navy=0.7, happy=0.8, colourful=0.9))
    assert not {"beige", "lightblue", "navy", "happy", "colorful", "colourful"} & set(out)
    assert "beach" in out


def test_greyscale_is_the_one_colour_fact():
    out = policy().choose(tags(black_and_white=0.9, horse=0.8, grey=0.9))
    assert {"horse", "blackandwhite", "bnw", "horsesofinstagram"} <= set(out) and "grey" not in out


@pytest.mark.parametrize("score, kept", [(0.55, False), (0.75, True)])
def test_fine_grained_guesses_need_confidence(score, kept):
    out = policy().choose(tags(cat=0.9, egyptian_mau=score))
    assert ("egyptianmau" in out) is kept


def test_blocklist_and_allowlist():
    assert "foodporn" in default_blocklist()
    out = policy(hashtag_blocklist=["#catsofinstagram"]).choose(tags(cat=0.9))
    assert "catsofinstagram" not in out and "cat" in out
    only = policy(hashtag_allowlist=["cat", "pets"]).choose(tags(cat=0.9, grass=0.8))
    assert set(only) <= {"cat", "pets"} and only


def test_count_bounds_and_broad_fill():
    many = tags(
        **{
            name: 0.9 - i * 0.01
            for i, name in enumerate(
                ["cat", "dog", "beach", "sunset", "sea", "sky", "mountain", "forest", "lake", "river", "snow"]
            )
        }
    )
    assert len(policy(max_hashtags=10).choose(many)) == 10
    assert len(policy(max_hashtags=4).choose(many)) == 4
    thin = policy(min_hashtags=3).choose([], broad=("abstract", "art"))
    assert thin == ["abstractart", "abstract", "art"]
    assert policy().choose(tags(cat=0.2)) == []  # below the tag floor: nothing to say


def test_table_is_clean():
    table = concept_table()
    assert len(table) >= 80
    for concept, hashtags in table.items():
        assert hashtags, concept
        for h in hashtags:
            assert h == clean(h) and h not in default_blocklist(), (concept, h)
            assert h not in {clean(c) for c in COLOUR_NAMES}, (concept, h)
            # the one filler row is the photo's last resort
            assert is_filler(h, VOCABULARY) == (concept == PHOTO_FILL), (concept, h)


def test_filler_is_one_definition():
    for word in ("photography", "photooftheday", "picoftheday", "beige", "lightblue", "colorful", "wallpaper"):
        assert is_filler(word, VOCABULARY) and is_filler(word), word
    for word in ("nature", "art", "blackandwhite", "cat", "sunsetlovers", "abstractart"):
        assert not is_filler(word, VOCABULARY), word


def test_too_few_tags_fill_with_the_kind_or_family_then_photo_filler_last():
    assert set(FAMILIES) <= set(BROAD)
    for key, concepts in BROAD.items():
        for concept in concepts:
            assert concept in concept_table(), (key, concept)
        out = policy(min_hashtags=3).choose([], broad=concepts)
        assert len(out) == 3, (key, out)
        filler = [h for h in out if is_filler(h, VOCABULARY)]
        # filler only for photos, and only after every grounded and broad tag
        assert not filler or (PHOTO_FILL in concepts and out[-len(filler) :] == filler), (key, out)
    for kind in SUPERSEDED_BY_KIND:
        assert PHOTO_FILL not in broad_concepts(kind, "art"), kind  # a drawing is not #photography
    assert broad_concepts("painting", "art") == ("painting", "art")  # the kind first
    assert broad_concepts("subject", "pets") == ("pet", PHOTO_FILL)  # else the family
    generic = broad_concepts(None, "generic")
    assert policy(min_hashtags=3).choose([], broad=generic) == ["photography", "photooftheday", "picoftheday"]
    blocked = policy(min_hashtags=3, hashtag_blocklist=["photography", "photooftheday", "picoftheday"])
    assert blocked.choose([], broad=generic) == []  # fewer, not filler, when the user asks
    thin = policy(min_hashtags=3).choose(tags(beach=0.9), broad=broad_concepts(None, "travel"))
    assert thin == ["beach", "beachlife", "nature"]  # enough from the tag: no fill
    one = policy(min_hashtags=3).choose(tags(sunset=0.2), broad=broad_concepts(None, "nature"))
    assert one == ["nature", "naturephotography", "photography"]


@pytest.mark.parametrize("score, kept", [(0.5, False), (0.75, True)])
def test_caption_nouns_lead_and_meet_the_same_rules(score, kept):
    p = policy()
    lead = p.noun_tags(["kitten", "egyptian mau", "beach"], tags(cat=0.9, egyptian_mau=score))
    out = p.choose([*lead, *tags(cat=0.9, egyptian_mau=score)])
    assert out[:2] == ["kitten", "beach"]  # what the caption names comes first, in its order
    assert {"cat", "catsofinstagram"} <= set(out)
    assert ("egyptianmau" in out) is kept  # a breed only with the classifier's confidence
    blocked = policy(hashtag_blocklist=["kitten"])
    assert "kitten" not in blocked.choose(blocked.noun_tags(["kitten"], []))


def test_a_sure_kind_replaces_the_rendered_probability():
    rendered = tags(abstract=0.95, cat=0.5)
    assert "abstractart" in policy().choose(rendered, broad=broad_concepts("abstract", "art"))
    shot = policy(min_hashtags=3).choose(
        for_kind(tags(abstract=0.95), "screenshot"), broad=broad_concepts("screenshot", "text")
    )
    assert shot == ["screenshot", "ui", "tech"]  # the kind, rather than #abstractart on a screenshot
    drawn = policy(min_hashtags=3).choose(
        for_kind(tags(abstract=0.9), "drawing"), broad=broad_concepts("drawing", "art")
    )
    assert drawn == ["drawing", "illustration", "art"]


def _evidence(*subjects: Subject, kind: str | None = None, ocr: str | None = None, concepts=()) -> Evidence:
    stats = PixelStats(
        brightness=0.5,
        contrast=0.2,
        colourfulness=40.0,
        sharpness=300.0,
        dominant_colours=[("white", 0.6)],
        flat_fraction=0.05,
    )
    return Evidence(
        subjects=subjects,
        objects=(),
        class_top=(),
        scene=SceneCues(),
        stats=stats,
        abstract=0.05,
        kind=KindReading(kind, {kind: 1.0}) if kind else None,
        ocr_text=ocr,
        people=sum(s.count for s in subjects if s.noun == "person"),
        concepts=ConceptReading(scores=concepts, probed=bool(concepts)),
    )


def test_fact_tags_are_the_composer_words_the_table_knows_and_the_held_concepts():
    person = Subject(noun="person", plural="people", category="person", score=0.9, sources=("detector",), area=0.4)
    portrait = _evidence(person, concepts=(("room", 0.7), ("space", 0.9)))  # space: only as the subject
    assert compose(portrait) == "A portrait of a person"
    labels = {t.label: t.score for t in fact_tags(portrait)}
    assert set(labels) == {"portrait", "person", "room"} and labels["room"] < labels["portrait"]
    out = policy().choose([*tags(people=0.9), *fact_tags(portrait)])
    assert {"portrait", "portraitphotography", "interiordesign"} <= set(out) and len(out) >= 3
    quoted = _evidence(kind="text_graphic", ocr="cat and dog")  # quoted OCR words are not facts
    assert [t.label for t in fact_tags(quoted)] == ["text"]
    assert [t.label for t in fact_tags(_evidence(kind="screenshot"))] == ["screenshot"]


def test_everyday_objects_get_the_community_tags_people_follow():
    """COCO objects the table knows give their own tag and the community one (a sofa is home
    decor, a book #bookstagram); a computer keyboard is never a piano."""
    for label, community in {
        "sofa": "interiordesign",
        "book": "bookstagram",
        "teddy bear": "toys",
        "keyboard": "tech",
        "giraffe": "wildlifephotography",
        "surfboard": "surfing",
    }.items():
        out = policy().choose([Tag(label=label, score=0.9)])
        assert len(out) >= 2 and community in out, (label, out)
        assert "piano" not in out
    assert VOCABULARY and all("keyboard" not in v.aliases for v in VOCABULARY if v.tag == "piano")
