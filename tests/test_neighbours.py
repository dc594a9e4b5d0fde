"""The neighbour memory: label transfer from the nearest labelled training images, blended into the
kind model's and the concept probe's probabilities."""

import numpy as np
import pytest

from snapscribe.concepts import probe
from snapscribe.kinds import classify_kind, embedding_basis, kind_model
from snapscribe.neighbours import blended, memory, vote


def _kind_model() -> dict:
    """A two-kind model over one feature that cannot tell the kinds apart (always 50/50)."""
    return {
        "kinds": ["photo", "drawing"],
        "features": ["x"],
        "mean": [0.0],
        "std": [1.0],
        "weights": [[0.0], [0.0]],
        "bias": [0.0, 0.0],
    }


def test_the_nearest_images_vote_their_labels_weighted_by_similarity():
    mem = memory(np.array([[1.0, 0.0], [0.8, 0.2], [0.0, 1.0]]), np.array([[1, 0], [1, 0], [0, 1]]), k=2)
    assert vote(np.array([1.0, 0.1]), mem).tolist() == [1.0, 0.0]  # both neighbours are photos
    mixed = vote(np.array([0.5, 0.5]), memory(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1, 0], [0, 1]]), k=2))
    assert mixed == pytest.approx([0.5, 0.5])  # equally near: an even vote
    nearer = vote(np.array([0.6, 0.4]), memory(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1, 0], [0, 1]]), k=2))
    assert nearer[0] > 0.5 > nearer[1]
    assert vote(np.array([3.0, 0.3]), mem).tolist() == vote(np.array([1.0, 0.1]), mem).tolist()  # cosine: scale-free


def test_blending_averages_the_model_and_the_vote_at_the_memory_weight():
    mem = memory(np.array([[1.0, 0.0]]), np.array([[1, 0]]), k=1, blend=0.25)
    assert blended(np.array([0.2, 0.8]), np.array([1.0, 0.0]), mem) == pytest.approx([0.4, 0.6])
    assert blended(np.array([0.2, 0.8]), np.array([1.0, 0.0]), None).tolist() == [0.2, 0.8]


def test_the_kind_model_reads_its_memory_from_the_embedding_coordinates():
    model = _kind_model()
    mem = memory(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1, 0], [0, 1]]), k=1)
    near_drawing = {"x": 0.0, "emb0": 0.1, "emb1": 0.9}
    assert classify_kind(near_drawing, model).probs == {"photo": 0.5, "drawing": 0.5}  # a model passed alone
    with_memory = classify_kind(near_drawing, model, mem)
    assert with_memory.kind == "drawing" and with_memory.probs["drawing"] == pytest.approx(0.75)
    assert classify_kind({"x": 0.0}, model, mem).probs == {"photo": 0.5, "drawing": 0.5}  # no embedding: no vote


def test_the_shipped_memories_match_their_models():
    concepts = probe()
    if concepts is not None and "bank" in concepts:
        n, d = concepts["bank"].shape
        assert d == concepts["basis"].shape[0] and concepts["basis"].shape[1] == concepts["mean"].shape[0]
        assert concepts["bank_labels"].shape == (n, len(concepts["names"]))
        assert np.allclose(np.linalg.norm(concepts["bank"].astype(np.float32), axis=1), 1, atol=1e-2)
    kinds, basis = kind_model(), embedding_basis()
    if kinds is None or basis is None or "bank" not in basis:
        pytest.skip("no kind memory fitted (scripts/train_kinds.py)")
    assert [str(k) for k in basis["bank_kinds"]] == kinds["kinds"]
    assert basis["bank"].shape[1] == len(basis["basis"]) and basis["bank_labels"].shape[1] == len(kinds["kinds"])
