"""Caption options in a tone: three distinct candidates from the template banks in
``data/caption_templates.tsv`` (family × tone), with the grounded composer phrase as ``{subject}``.

The family (people, pets, food, travel, nature, city, art, text, generic) comes from the evidence;
the choice among a bank's templates is keyed on the image hash, so re-runs are stable and photos
of one family spread over the bank. Templates add no nouns: the grounding guard passes every one.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

from .caption import compose_with_rule
from .config import TONES
from .evidence import Evidence
from .tagging import scene_tags

__all__ = ["FAMILIES", "OPTIONS", "TONES", "family", "fill", "options", "templates"]  # TONES: from config
FAMILIES: tuple[str, ...] = ("people", "pets", "food", "travel", "nature", "city", "art", "text", "generic")
OPTIONS = 3

_RULE_FAMILY = {
    "text_graphic": "text",
    "screenshot": "text",
    "chart": "text",
    "painting": "art",
    "drawing": "art",
    "rendered_subject": "art",
    "abstract": "art",
    "landscape": "travel",
    "colours_only": "generic",
}
_CATEGORY_FAMILY = {
    "person": "people",
    "person_related": "people",
    "pet": "pets",
    "animal": "pets",
    "bird": "pets",
    "insect": "pets",
    "sea_life": "pets",
    "food": "food",
    "drink": "food",
    "building": "city",
    "structure": "city",
    "vehicle": "city",
    "plant": "nature",
    "flower": "nature",
    "landscape": "travel",
    "water": "travel",
}


@cache
def _banks() -> dict[tuple[str, str], tuple[str, ...]]:
    text = resources.files("snapscribe").joinpath("data/caption_templates.tsv").read_text(encoding="utf-8")
    out: dict[tuple[str, str], list[str]] = {}
    for line in text.splitlines()[1:]:
        if not line.strip() or line.startswith(("#", "family\t")):
            continue
        family, tone, template = line.split("\t")
        out.setdefault((family, tone), []).append(template)
    return {k: tuple(v) for k, v in out.items()}


def templates(family: str, tone: str) -> tuple[str, ...]:
    """The family's bank for ``tone`` followed by the generic bank (more variety, same rules)."""
    own = _banks().get((family, tone), ())
    return own + tuple(t for t in _banks().get(("generic", tone), ()) if t not in own)


def emoji(family: str) -> str:
    return _banks().get((family, "emoji"), ("",))[0]


def family(ev: Evidence, rule: str) -> str:
    """The subject family of the image, from the composer rule and the main subject's category."""
    if rule in _RULE_FAMILY:
        return _RULE_FAMILY[rule]
    if rule == "scene_only":
        return "travel" if {"beach", "sea"} & set(scene_tags(ev)) else "nature"
    main = ev.main
    if main is not None and main.noun == "person":
        return "people"
    return _CATEGORY_FAMILY.get(main.category if main else "", "generic")


def fill(template: str, subject: str) -> str:
    """The template with ``subject`` in its slot, capitalised at the start."""
    text = template.format(subject=subject).replace("..", ".").replace("?.", "?").replace("!.", "!")
    return text[0].upper() + text[1:] if text else text


def _phrase(caption: str) -> str:
    """The caption as a phrase to slot in: no final stop, lower-case first letter (not a quote)."""
    phrase = caption.strip().rstrip(".")
    first = phrase.split(" ", 1)[0] if phrase else ""
    if first and first[0].isupper() and (len(first) == 1 or first[1:].islower()):
        return phrase[0].lower() + phrase[1:]  # "A cat" → "a cat"; "OK" and quotes stay
    return phrase


def options(
    ev: Evidence, sha: str, tone: str = "neutral", *, caption: str | None = None, with_emoji: bool = False
) -> list[str]:
    """Three distinct captions in ``tone``; the neutral ones start with the composer's own caption.

    ``caption`` is the (guarded) composer caption to build on; by default it is composed here."""
    text, rule = compose_with_rule(ev)
    base = caption if caption is not None else text
    fam = family(ev, rule)
    bank = templates(fam, tone)
    start = int(hashlib.sha256(f"{sha}:{tone}".encode()).hexdigest()[:8], 16)
    out: list[str] = [base] if tone == "neutral" else []
    subject = _phrase(base)
    for i in range(len(bank)):
        candidate = fill(bank[(start + i) % len(bank)], subject)
        if candidate not in out and candidate.rstrip(".") != base.rstrip("."):
            out.append(candidate)
        if len(out) == OPTIONS:
            break
    if with_emoji and emoji(fam):
        out = [f"{o} {emoji(fam)}" for o in out]
    return out
