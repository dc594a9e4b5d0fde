"""The ceiling script counts an image for a source only when one of that source's readings names its subject."""

import numpy as np
from scripts_support import load_script
from sight_models import STATS

from snapscribe.engines.base import Detection
from snapscribe.scene import SceneCues
from snapscribe.understand import Features


def _item(subject: list[str], split: str = "validation"):
    data = load_script("sight_data")
    probs = np.full(1000, 0.1 / 999, dtype=np.float32)
    probs[330] = 0.9  # wood rabbit
    box = Detection(label="dog", class_id=18, score=0.8, box=(0.1, 0.1, 0.9, 0.9))
    features = Features(detections=(box,), probs=probs, stats=STATS, scene=SceneCues(), synthetic={})
    label = {"file": "x.jpg", "subject": subject, "present": subject, "origin": {"package": "p"}}
    return data.Item(label, features, None, split)


def test_a_source_counts_only_where_a_candidate_names_the_subject():
    ceiling = load_script("sight_ceiling")
    rabbit = ceiling.hits(_item(["rabbit", "animal"]), floor=0.05, top=5)
    assert rabbit["classifier"] and rabbit["wordnet"] and rabbit["any"]
    assert not rabbit["detector"]  # the box says dog
    dog = ceiling.hits(_item(["dog"]), floor=0.05, top=5)
    assert dog["detector"] and dog["objects (classifier, zoom, detector)"] and not dog["classifier"]
    lighthouse = ceiling.hits(_item(["lighthouse"]), floor=0.05, top=5)
    assert not any(lighthouse.values())  # nothing these models read is a lighthouse


def test_counts_are_kept_per_split():
    ceiling = load_script("sight_ceiling")
    counts = ceiling.ceiling([_item(["rabbit"]), _item(["lighthouse"]), _item(["rabbit"], split="train")])
    assert counts["validation"]["images"] == 2 and counts["validation"]["any"] == 1
    assert counts["train"]["images"] == 1 and counts["train"]["classifier"] == 1
