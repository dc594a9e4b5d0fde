"""The relevance gate: is this image worth the expensive captioner?

The GPU VLM is ~1,000x the cost of everything else (DESIGN.md), so it only sees images
where it can add something the grounded composer cannot: detected people, animals or
objects, whose actions and relations a VLM can describe. Rendered art, textures, plain
skies and landscapes the detector finds nothing in are captioned well enough by the
composer. The decision is recorded in every record (``provenance.relevant``), so the
pass rate is measured, not assumed (``snapscribe plan --gate-pass-rate``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .evidence import Evidence


@dataclass(frozen=True)
class Relevance:
    worth_captioning: bool
    reason: str


def judge(ev: Evidence, min_score: float = 0.5) -> Relevance:
    if ev.rendered:
        return Relevance(False, "rendered art: the composer describes it")
    detected = [s for s in ev.subjects if "detector" in s.sources and s.score >= min_score]
    if detected:
        return Relevance(True, f"detected {', '.join(s.noun for s in detected[:3])}")
    return Relevance(False, "no detected subject: scene or close-up the composer describes")
