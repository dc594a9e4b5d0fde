"""NSFW categories, likelihoods and the decision table (SafeSearch-style likelihoods,
Rekognition-style explicit vs suggestive).

open_nsfw gives one score for "not safe"; it does not tell explicit nudity from swimwear,
skin and babies. So the score only *proposes*:

* ``suggestive`` (racy): the open_nsfw score on a low scale; it labels, it never blocks;
* ``explicit``: the open_nsfw score on a high scale, **corroborated** by a second,
  independent signal, the bare-skin share of the detected people's bodies
  (:mod:`.skin`: a detected person whose body is mostly bare skin, with no clothing band
  across the torso). Without that agreement ``explicit`` is at most ``POSSIBLE``.

Only ``explicit`` can block, and only when both signals agree and no child-sized person
is in the picture. The table, with *model* = open_nsfw's likelihood of ``explicit``:

======================  ============  ============  ==========================================
model                   skin agrees   child-sized   decision
======================  ============  ============  ==========================================
>= explicit.block_at    yes           no            block
>= explicit.block_at    yes           yes           review: child-sized person
>= explicit.block_at    no            any           review: the signals disagree
>= explicit.review_at   yes           any           review
>= explicit.review_at   no            yes           review: child-sized person
>= explicit.review_at   no            no            allow (suggestive label only)
below                   not read      not read      allow
======================  ============  ============  ==========================================

``suggestive`` can add a review of its own (``nsfw.suggestive.review_at``; off by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

from ..config import NSFWConfig
from .skin import SkinReading

Decision = Literal["allow", "review", "block"]


class Likelihood(IntEnum):
    """Google SafeSearch's likelihood scale."""

    VERY_UNLIKELY = 0
    UNLIKELY = 1
    POSSIBLE = 2
    LIKELY = 3
    VERY_LIKELY = 4


# open_nsfw score from which `suggestive` reaches UNLIKELY, POSSIBLE, LIKELY, VERY_LIKELY.
SUGGESTIVE_CUTS = (0.1, 0.25, 0.5, 0.75)
# ... and `explicit` UNLIKELY, POSSIBLE; LIKELY and VERY_LIKELY are nsfw.review / nsfw.block.
EXPLICIT_LOW_CUTS = (0.2, 0.5)


def likelihood(score: float, cuts: tuple[float, ...]) -> Likelihood:
    """The bucket of ``score`` given ascending cut points for UNLIKELY..VERY_LIKELY."""
    return Likelihood(sum(score >= c for c in cuts))


def explicit_cuts(cfg: NSFWConfig) -> tuple[float, ...]:
    """Ascending cut points of `explicit` (the low ones give way to a lower nsfw.review)."""
    return (*(min(c, cfg.review) for c in EXPLICIT_LOW_CUTS), cfg.review, cfg.block)


def needs_second_opinion(score: float, cfg: NSFWConfig) -> bool:
    """Is the score high enough that the skin reading (and so the detector) can change the decision?"""
    levels = [Likelihood[n] for n in (cfg.explicit.review_at, cfg.explicit.block_at) if n is not None]
    return bool(levels) and likelihood(score, explicit_cuts(cfg)) >= min(levels)


@dataclass(frozen=True)
class Signal:
    name: str  # open_nsfw | skin | child_size
    value: float
    says: str  # what this signal alone concludes


@dataclass(frozen=True)
class Category:
    name: str  # explicit | suggestive
    likelihood: Likelihood
    decision: Decision


@dataclass(frozen=True)
class Judgement:
    decision: Decision
    categories: tuple[Category, ...]
    signals: tuple[Signal, ...]
    agree: bool | None  # do open_nsfw and the skin reading agree? None when skin was not read
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _at_least(level: Likelihood, name: str | None) -> bool:
    return name is not None and level >= Likelihood[name]


def judge(score: float, skin: SkinReading | None, cfg: NSFWConfig) -> Judgement:
    """Categories, signals and the decision for one image (see the module's table)."""
    model = likelihood(score, explicit_cuts(cfg))
    suggestive = likelihood(score, SUGGESTIVE_CUTS)
    says_explicit = model >= Likelihood.LIKELY
    signals = [Signal("open_nsfw", round(score, 4), "explicit" if says_explicit else "not explicit")]
    agree: bool | None = None
    child = False
    if skin is not None:
        bare = skin.persons > skin.banded and skin.bare_body >= cfg.skin_agree
        agree = bare == says_explicit
        if bare:
            what = "bare skin"
        elif skin.persons == 0:
            what = "no person found"
        elif skin.banded and skin.body_skin >= cfg.skin_agree:
            what = "clothing band across the torso"
        else:
            what = "covered"
        signals.append(
            Signal(
                "skin",
                round(skin.bare_body if bare else skin.body_skin, 3),
                f"{what}: {'explicit' if bare else 'not explicit'}",
            )
        )
        child = skin.child_sized > 0
        if child:
            signals.append(Signal("child_size", float(skin.child_sized), "child-sized person"))
    corroborated = agree is True and says_explicit
    explicit = model if corroborated else min(model, Likelihood.POSSIBLE)

    reasons: list[str] = []
    pol = cfg.explicit
    decision: Decision = "allow"
    if _at_least(model, pol.block_at) and corroborated and not child:
        decision = "block"
        reasons.append(
            f"explicit {explicit.name}: open_nsfw {score:.2f} and bare skin "
            f"({skin.bare_body if skin else 0:.0%} of a body, no clothing band) agree"
        )
    elif _at_least(model, pol.review_at) and child:
        decision = "review"
        reasons.append(f"child-sized person in the picture and open_nsfw {score:.2f}: a human decides")
    elif _at_least(model, pol.block_at):
        decision = "review"
        reasons.append(
            f"signals disagree: open_nsfw {score:.2f} says explicit, the skin reading says "
            f"{signals[1].says if len(signals) > 1 else 'nothing (not read)'}"
        )
    elif _at_least(model, pol.review_at) and corroborated:
        decision = "review"
        reasons.append(
            f"explicit {explicit.name}: open_nsfw {score:.2f} with bare skin "
            f"({skin.bare_body if skin else 0:.0%} of a body, no clothing band)"
        )
    racy: Decision = "review" if _at_least(suggestive, cfg.suggestive.review_at) else "allow"
    categories = (Category("explicit", explicit, decision), Category("suggestive", suggestive, racy))
    if racy == "review" and decision == "allow":
        decision = "review"
        reasons.append(f"suggestive {suggestive.name} (open_nsfw {score:.2f})")
    return Judgement(decision, categories, tuple(signals), agree, tuple(reasons))
