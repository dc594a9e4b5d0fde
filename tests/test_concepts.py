"""The scene-concept probe: the embedding the classifier returns, the probe's reading, and how fusion,
the composer and the grounding guard use a held concept."""

from dataclasses import replace

import numpy as np
import pytest
from sight_models import STATS as SIGHT_STATS

from snapscribe.caption import compose_with_rule
from snapscribe.concepts import (
    CONCEPTS,
    ConceptReading,
    concept_probabilities,
    fingerprint,
    probe,
    read_concepts,
)
from snapscribe.evidence import CONCEPT_SOURCE, fuse
from snapscribe.grounding import GroundingGuard
from snapscribe.neighbours import vote
from snapscribe.scene import SceneCues
from snapscribe.understand import Features

STATS = replace(SIGHT_STATS, dominant_colours=[("grey", 0.6), ("white", 0.3)])
D = 1280


def _model(hot: dict[str, int], bars: float = 0.6) -> dict[str, np.ndarray]:
    """A probe where concept k fires on embedding dimension hot[k] (others never)."""
    names = np.array([c.name for c in CONCEPTS])
    w = np.zeros((len(names), D), dtype=np.float32)
    b = np.full(len(names), -2.0, dtype=np.float32)
    for name, dim in hot.items():
        w[list(names).index(name), dim] = 8.0
    return {"names": names, "weights": w, "bias": b, "bars": np.full(len(names), bars), "mean": np.zeros(D)}


def _embedding(*dims: int, weights: tuple[float, ...] = ()) -> np.ndarray:
    e = np.zeros(D, dtype=np.float32)
    for i, dim in enumerate(dims):
        e[dim] = weights[i] if weights else 1.0
    return e


def test_concepts_clearing_their_bars_are_held_most_confident_first():
    model = _model({"street": 3, "night": 7})
    reading = read_concepts(_embedding(3, 7, weights=(0.45, 1.0)), model=model)
    assert [n for n, _ in reading.scores] == ["night", "street"]
    assert reading.top is not None and reading.top[0].name == "night"
    assert read_concepts(_embedding(11), model=model).scores == ()
    assert read_concepts(None, model=model) == ConceptReading()
    probs = concept_probabilities(_embedding(3), model)
    assert probs["street"] > 0.99 and probs["room"] < 0.2


def test_with_nothing_else_named_the_concept_is_the_subject_and_the_guard_keeps_it(monkeypatch):
    import snapscribe.evidence as evidence

    monkeypatch.setattr(evidence, "read_concepts", lambda emb, cues: read_concepts(emb, cues, _model({"street": 3})))
    probs = np.full(1000, 1e-3, dtype=np.float32)  # a flat classifier: no node is sure of anything
    ev = fuse([], probs, SceneCues(), STATS, embedding=_embedding(3))
    assert ev.main is not None and ev.main.sources == (CONCEPT_SOURCE,) and ev.main.noun == "street"
    text, rule = compose_with_rule(ev)
    assert (text, rule) == ("A street", "concept")
    assert GroundingGuard().check(text, ev, ()).caption == "A street"
    # Without the embedding nothing is named and the concept never appears.
    ev = fuse([], probs, SceneCues(), STATS)
    assert ev.main is None and "street" not in compose_with_rule(ev)[0].lower()


def test_a_held_concept_comes_before_the_held_concept_that_subsumes_it():
    model = _model({"building": 3, "city": 7})
    names = [str(n) for n in model["names"]]
    both = _embedding(3, 7, weights=(1.0, 0.45))  # building more probable than city
    assert [n for n, _ in read_concepts(both, model=model).scores] == ["building", "city"]  # no hierarchy: by p
    parents = np.full(len(names), -1)
    parents[names.index("city")] = names.index("building")
    model["parents"] = parents
    reading = read_concepts(both, model=model)
    assert [n for n, _ in reading.scores] == ["city", "building"]  # a city, not "a building"
    assert reading.top is not None and reading.top[0].phrase == "a city"
    # the parent alone is still named
    assert [n for n, _ in read_concepts(_embedding(3), model=model).scores] == ["building"]


def test_subsumption_is_learned_from_label_co_occurrence_and_settings_have_no_parent():
    from scripts_support import load_script

    train_concepts = load_script("train_concepts")
    names = [c.name for c in CONCEPTS]
    y = np.zeros((50, len(names)))
    city, building, snow, mountain = (names.index(n) for n in ("city", "building", "snow", "mountain"))
    y[:12, city] = 1
    y[:11, building] = 1  # 11 of 12 city images show buildings ...
    y[40:50, building] = 1  # ... and buildings are common without a city
    y[20:32, snow] = 1
    y[20:40, mountain] = 1  # every snow image shows mountains, but snow is a setting
    parents = train_concepts.subsumption(y)
    assert parents[city] == building
    assert parents[building] == -1 and parents[snow] == -1 and parents[mountain] == -1


def test_tied_bars_take_the_middle_of_the_run():
    from scripts_support import load_script

    train_concepts = load_script("train_concepts")
    p = np.array([0.9, 0.88, 0.5, 0.2])
    y = np.array([1, 1, 0, 0])
    bar, gain = train_concepts.best_bar(p, y)
    tied = [b for b in train_concepts.BARS if 0.5 < b <= 0.88]  # every such bar says exactly the two right ones
    assert gain == 2 and bar == tied[(len(tied) - 1) // 2]
    assert train_concepts.best_bar(np.array([0.9]), np.array([0]))[0] > 1  # nothing pays: never named


def test_a_concept_is_a_training_positive_only_where_its_caption_phrase_is_true():
    from types import SimpleNamespace

    from scripts_support import load_script

    train_concepts = load_script("train_concepts")
    names = [c.name for c in CONCEPTS]
    trees = SimpleNamespace(label={"subject": ["trees"], "present": ["trees", "grass", "sky"]})
    woods = SimpleNamespace(label={"subject": ["forest"], "present": ["forest", "trees", "path"]})
    y = train_concepts.targets([trees, woods])
    assert y[0, names.index("forest")] == 0  # "a forest" would name an absent forest
    assert y[1, names.index("forest")] == 1


def test_a_reading_already_made_replaces_the_probe():
    """Training reads cross-fitted concepts (the probe fitted without the image's package)."""
    probs = np.full(1000, 1e-3, dtype=np.float32)
    ev = fuse([], probs, SceneCues(), STATS, embedding=_embedding(3), concepts=ConceptReading((("room", 0.9),), True))
    assert ev.main is not None and ev.main.noun == "room" and ev.concepts.has("room")
    ev = fuse([], probs, SceneCues(), STATS, embedding=_embedding(3), concepts=ConceptReading((), True))
    assert ev.main is None


def test_probe_fingerprint_tells_fitted_probes_apart():
    a, b = _model({"street": 3}), _model({"street": 3}, bars=0.7)
    assert fingerprint(a) == fingerprint(dict(a)) and fingerprint(a) != fingerprint(b)


def test_the_guard_removes_a_scene_word_no_concept_holds():
    probs = np.full(1000, 1e-3, dtype=np.float32)
    ev = fuse([], probs, SceneCues(), STATS)
    assert "street" not in (GroundingGuard().check("A busy street", ev, ()).caption or "").lower()


def _with_memory(model: dict[str, np.ndarray], bank: list[list[float]], labels: list[dict[str, int]], k: int = 2):
    """``model`` plus a neighbour memory in a 2-d subspace spanned by embedding dimensions 3 and 7."""
    names = [str(n) for n in model["names"]]
    basis = np.zeros((2, D), dtype=np.float32)
    basis[0, 3] = basis[1, 7] = 1.0
    rows = np.array(bank, dtype=np.float32)
    y = np.array([[lab.get(n, 0) for n in names] for lab in labels], dtype=np.uint8)
    knn = np.array([k, 10.0, 0.5], dtype=np.float32)
    return {
        **model,
        "basis": basis,
        "bank": rows / np.linalg.norm(rows, axis=1, keepdims=True),
        "bank_labels": y,
        "knn": knn,
    }


def test_the_neighbours_vote_their_labels_and_the_vote_is_blended_with_the_probe():
    bank = [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]
    labels = [{"beach": 1}, {"beach": 1, "sea": 1}, {"room": 1}, {"room": 1}]
    model = _with_memory(_model({}, bars=0.5), bank, labels)
    votes = vote(np.array([1.0, 0.05], dtype=np.float32), model)
    names = [str(n) for n in model["names"]]
    assert votes[names.index("beach")] == pytest.approx(1.0)
    assert 0.2 < votes[names.index("sea")] < 0.8  # one of the two nearest says sea
    assert votes[names.index("room")] == 0.0  # the room photos are not among the 2 nearest
    probs = concept_probabilities(_embedding(3), model)  # probe alone: sigmoid(-2) for every concept
    assert probs["beach"] == pytest.approx(0.5 * (1 / (1 + np.exp(2))) + 0.5)
    assert probs["room"] == pytest.approx(0.5 * (1 / (1 + np.exp(2))))
    assert [n for n, _ in read_concepts(_embedding(3), model=model).scores] == ["beach"]  # bar 0.5
    assert [n for n, _ in read_concepts(_embedding(7), model=model).scores] == ["room"]


def test_features_keep_the_embedding_through_the_cache():
    f = Features((), np.full(1000, 1e-3, dtype=np.float32), STATS, SceneCues(), {}, embedding=_embedding(5))
    back = Features.from_bytes(f.to_bytes())
    assert back.embedding is not None and back.embedding.shape == (D,) and back.embedding[5] == 1.0
    old = Features((), f.probs, STATS, SceneCues(), {})
    assert Features.from_bytes(old.to_bytes()).embedding is None


def test_the_shipped_probe_matches_the_concept_table():
    model = probe()
    if model is None:
        pytest.skip("no probe fitted yet (scripts/train_concepts.py)")
    assert [str(n) for n in model["names"]] == [c.name for c in CONCEPTS]
    assert model["weights"].shape == (len(CONCEPTS), D) and model["mean"].shape == (D,)


def test_the_classifier_returns_probabilities_and_a_pooled_embedding():
    from pathlib import Path

    from snapscribe.config import load_settings
    from snapscribe.engines.effnet_classifier import EfficientNetClassifier
    from snapscribe.intake import decode
    from snapscribe.normalize import prepare

    settings = load_settings(None)
    data = (Path(__file__).parent.parent / "samples" / "cat.jpg").read_bytes()
    inputs = prepare(decode(data, settings.intake), settings.models)
    clf = EfficientNetClassifier()
    probs, emb = clf.classify_with_embedding(inputs)
    assert probs.shape == (1000,) and abs(float(probs.sum()) - 1) < 1e-3
    assert emb is not None and emb.shape == (D,) and float(emb.max()) > 0 and float(emb.min()) >= 0  # ReLU6 pool
    np.testing.assert_array_equal(clf.classify(inputs), probs)
    other, emb2 = clf.classify_with_embedding(inputs)
    np.testing.assert_array_equal(emb, emb2)
