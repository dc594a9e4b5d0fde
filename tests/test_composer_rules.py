"""Composer and fusion rules that keep one animal from being named twice or given a scene it isn't in."""

import numpy as np
import pytest
from sight_models import STATS, pinned

from snapscribe.caption import compose
from snapscribe.engines.base import Detection
from snapscribe.evidence import Evidence, Subject, close_up, fuse
from snapscribe.scene import SceneCues


@pytest.fixture(autouse=True)
def _pinned_models():
    """Mechanism tests: fixed hedging, detection and scene settings, whatever the fitted models say."""
    with pinned():
        yield


def _evidence(*subjects: Subject, scene: SceneCues = SceneCues()) -> Evidence:
    return Evidence(subjects=subjects, objects=(), class_top=(), scene=scene, stats=STATS, abstract=0.05)


def _probs(**mass: float) -> np.ndarray:
    """Classifier output with the given mass on ImageNet class indices (``c330=0.5``), the rest spread thin
    over the artefact classes (400-999), so no animal node gains mass by accident."""
    p = np.zeros(1000, dtype=np.float32)
    for key, value in mass.items():
        p[int(key[1:])] = value
    p[400:] += max(0.0, 1.0 - float(p.sum())) / 600
    return p


def _box(label: str, class_id: int, score: float = 0.9, area_side: float = 0.45) -> Detection:
    return Detection(label=label, class_id=class_id, score=score, box=(0.2, 0.2, 0.2 + area_side, 0.2 + area_side))


def test_an_animal_coco_lacks_keeps_the_classifier_name_and_the_detector_box():
    ev = fuse([_box("bird", 16)], _probs(c335=0.9), SceneCues(), STATS)  # a "bird" box on a fox squirrel
    assert ev.main is not None and ev.main.noun == "squirrel"
    assert "detector" in ev.main.sources and ev.main.area > 0.15


def test_a_box_does_not_overrule_a_confident_reading_of_another_animal():
    rabbit = fuse([_box("dog", 18)], _probs(c330=0.55, c331=0.4), SceneCues(), STATS)  # wood rabbit + hare
    assert rabbit.main is not None and rabbit.main.noun == "rabbit"
    tiger = fuse([_box("cat", 17)], _probs(c292=0.9), SceneCues(), STATS)
    assert tiger.main is not None and tiger.main.noun == "big cat"


def test_a_box_the_classifier_agrees_with_or_cannot_judge_keeps_its_name():
    dog = fuse([_box("dog", 18)], _probs(c207=0.9), SceneCues(), STATS)  # golden retriever under a "dog" box
    assert dog.main is not None and dog.main.noun == "dog"
    giraffe = fuse([_box("giraffe", 25)], _probs(c277=0.3), SceneCues(), STATS)  # ImageNet has no giraffe
    assert giraffe.main is not None and giraffe.main.noun == "giraffe"


def test_an_unsure_classifier_leaves_the_box_alone():
    ev = fuse([_box("dog", 18)], _probs(c277=0.2), SceneCues(), STATS)  # a red fox at 0.2: not sure enough
    assert ev.main is not None and ev.main.noun == "dog"


def test_one_animal_named_by_each_source_is_not_captioned_as_two():
    dog = Subject("dog", "dogs", "pet", 0.9, 1, ("detector",), area=0.3)
    wolf = Subject("wolf", "wolves", "animal", 0.6, 1, ("classifier",))
    assert compose(_evidence(dog, wolf)) == "A dog"
    cup = Subject("cup", "cups", "household", 0.9, 1, ("detector",), area=0.2)
    coffee = Subject("coffee", "coffee", "drink", 0.7, 1, ("classifier",))
    assert compose(_evidence(cup, coffee)) == "A cup with coffee"  # different things may be paired


def test_an_unsure_indoor_thing_is_still_a_close_up_with_no_outdoor_setting():
    router = Subject("router", "routers", "electronics", 0.45, 1, ("classifier",))
    assert close_up(router)
    grass = SceneCues(greenery=1.0, grass=0.9, outdoor=0.8)
    assert compose(_evidence(router, scene=grass)) == "A router"
    horse = Subject("horse", "horses", "animal", 0.45, 1, ("detector",), area=0.1)
    assert not close_up(horse)


def test_a_tie_needs_someone_to_wear_it():
    probs = np.full(1000, 1 / 1000, dtype=np.float32)
    tie = Detection(label="tie", class_id=32, score=0.94, box=(0.3, 0.1, 0.5, 0.9))
    person = Detection(label="person", class_id=1, score=0.9, box=(0.1, 0.0, 0.9, 1.0))
    alone = fuse([tie], probs, SceneCues(), STATS)
    assert not alone.objects and alone.main is None
    worn = fuse([person, tie], probs, SceneCues(), STATS)
    assert {d.label for d in worn.objects} == {"person", "tie"}
