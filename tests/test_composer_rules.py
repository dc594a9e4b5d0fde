"""Composer and fusion rules that keep one animal from being named twice or given a scene it isn't in."""

import numpy as np

from snapscribe.attributes import PixelStats
from snapscribe.caption import compose
from snapscribe.evidence import Evidence, Subject, _name_unknown_animal, close_up
from snapscribe.scene import SceneCues
from snapscribe.taxonomy import coco_classes

COCO_NOUNS = {info.basic for info in coco_classes().values()}
STATS = PixelStats(brightness=0.5, contrast=0.2, colourfulness=40.0, sharpness=300.0,
                   dominant_colours=[("green", 0.6), ("brown", 0.3)], flat_fraction=0.05)


def _evidence(*subjects: Subject, scene: SceneCues = SceneCues()) -> Evidence:
    return Evidence(subjects=subjects, objects=(), class_top=(), scene=scene, stats=STATS, abstract=0.05)


def test_an_animal_coco_lacks_keeps_the_classifier_name_and_the_detector_box():
    subjects = {
        "bird": Subject("bird", "birds", "bird", 0.98, 1, ("detector",), area=0.2),
        "squirrel": Subject("squirrel", "squirrels", "animal", 0.9, 1, ("classifier",)),
    }
    _name_unknown_animal(subjects, COCO_NOUNS)
    assert list(subjects) == ["squirrel"]
    squirrel = subjects["squirrel"]
    assert squirrel.area == 0.2 and set(squirrel.sources) == {"classifier", "detector"}
    assert squirrel.score > 0.98


def test_two_boxed_animals_or_an_unsure_classifier_stay_as_they_are():
    two_birds = {
        "bird": Subject("bird", "birds", "bird", 0.9, 2, ("detector",), area=0.1),
        "squirrel": Subject("squirrel", "squirrels", "animal", 0.9, 1, ("classifier",)),
    }
    _name_unknown_animal(two_birds, COCO_NOUNS)
    assert set(two_birds) == {"bird", "squirrel"}
    unsure = {
        "dog": Subject("dog", "dogs", "pet", 0.9, 1, ("detector",), area=0.3),
        "fox": Subject("fox", "foxes", "animal", 0.4, 1, ("classifier",)),
    }
    _name_unknown_animal(unsure, COCO_NOUNS)
    assert set(unsure) == {"dog", "fox"}


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
    from snapscribe.engines.base import Detection
    from snapscribe.evidence import fuse

    probs = np.full(1000, 1 / 1000, dtype=np.float32)
    tie = Detection(label="tie", class_id=32, score=0.94, box=(0.3, 0.1, 0.5, 0.9))
    person = Detection(label="person", class_id=1, score=0.9, box=(0.1, 0.0, 0.9, 1.0))
    alone = fuse([tie], probs, SceneCues(), STATS)
    assert not alone.objects and alone.main is None
    worn = fuse([person, tie], probs, SceneCues(), STATS)
    assert {d.label for d in worn.objects} == {"person", "tie"}
