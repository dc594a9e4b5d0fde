"""The NSFW gate: open_nsfw's score, a second opinion when it is high, and the decision.

The second opinion (person detection + the skin reading) runs only for images whose
score could lead to a review or a block (``moderation.needs_second_opinion``), so the
average cost stays close to the model's alone; the detections are handed on, and the
pipeline does not run the detector twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import NSFWConfig
from ..engines.base import Detection, Detector
from ..normalize import ModelInputs
from ..records import NSFWCategory, NSFWScore, NSFWSignal
from .moderation import Judgement, judge, needs_second_opinion
from .nsfw import NSFWScorer
from .skin import SkinReading, read_skin


@dataclass(frozen=True)
class NSFWOutcome:
    record: NSFWScore  # what the image record carries under safety.nsfw
    judgement: Judgement
    skin: SkinReading | None  # None when the score was too low to need it
    detections: tuple[Detection, ...] | None  # None when the detector did not run


class NSFWGate:
    """open_nsfw + (when needed) the detector's people and the skin reading -> :class:`NSFWOutcome`.

    Without a detector no person is ever found, so nothing can be corroborated and nothing
    is blocked (high scores go to review)."""

    def __init__(self, scorer: NSFWScorer, detector: Detector | None, cfg: NSFWConfig):
        self.scorer = scorer
        self.detector = detector
        self.cfg = cfg

    def check(self, inputs: ModelInputs) -> NSFWOutcome:
        score = self.scorer.score(inputs.work)
        return self.decide(score, inputs)

    def decide(self, score: float, inputs: ModelInputs) -> NSFWOutcome:
        skin, detections = None, None
        if needs_second_opinion(score, self.cfg):
            detections = tuple(self.detector.detect(inputs)) if self.detector is not None else ()
            skin = read_skin(inputs.work, detections)
        verdict = judge(score, skin, self.cfg)
        record = NSFWScore(
            score=round(score, 4),
            decision=verdict.decision,
            agree=verdict.agree,
            categories=[
                NSFWCategory(name=c.name, likelihood=c.likelihood.name, decision=c.decision) for c in verdict.categories
            ],
            signals=[NSFWSignal(name=s.name, value=s.value, says=s.says) for s in verdict.signals],
        )
        return NSFWOutcome(record, verdict, skin, detections)
