"""Caption options in a tone: three distinct candidates from the template banks in
``data/caption_templates.tsv`` (family × tone), with the grounded composer phrase as ``{subject}``.

The family (people, pets, food, travel, nature, city, art, text, generic) comes from the evidence;
the choice among a bank's templates is keyed on the image hash, so re-runs are stable and photos
of one family spread over the bank. Templates add no nouns: the grounding guard passes every one.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources

from .caption import compose_with_rule, safe_text
from .config import TONES
from .evidence import Evidence
from .grammar import plural_phrase, with_article
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


# "{Here's|Here are}" in a template: the words for a singular subject, then for a plural one.
_AGREEMENT = re.compile(r"\{([^{}|]*)\|([^{}|]*)\}")


def fill(template: str, subject: str) -> str:
    """The template with ``subject`` in its slot, its verbs agreeing with it ("{Here's|Here are}"),
    capitalised at the start of the text and of a sentence ("Who's a good one? A cat.")."""
    plural = plural_phrase(subject)
    template = _AGREEMENT.sub(lambda m: m.group(2 if plural else 1), template)
    before = template.split("{subject}", 1)[0]
    if subject and before.rstrip() != before and before.rstrip()[-1:] in {".", "?", "!"}:
        subject = subject[0].upper() + subject[1:]
    text = template.format(subject=subject).replace("..", ".").replace("?.", "?").replace("!.", "!")
    return text[0].upper() + text[1:] if text else text


def _phrase(caption: str) -> str:
    """The caption as a phrase to slot in: no final stop, lower-case first letter (not a quote)."""
    phrase = caption.strip().rstrip(".")
    first = phrase.split(" ", 1)[0] if phrase else ""
    if first and first[0].isupper() and (len(first) == 1 or first[1:].islower()):
        return phrase[0].lower() + phrase[1:]  # "A cat" → "a cat"; "OK" and quotes stay
    return phrase


# Kinds whose composer sentence is the kind alone ("A screenshot"): the options add the clean text the
# image shows (``caption.safe_text``, which the guard checks against the OCR reading), in every tone.
_QUOTED_KINDS = frozenset({"screenshot", "chart"})


def _detail(ev: Evidence, rule: str) -> str:
    """A fact the composer's short sentence leaves out, as a phrase to add to the subject ("" if none)."""
    quote = safe_text(ev) if rule in _QUOTED_KINDS else None
    return f' with the text "{quote}"' if quote else ""


def _awkward(template: str, subject: str) -> bool:
    """Whether the template's own words say again what the subject phrase says ("A view of a view of
    the beach", "Art: abstract blue art"), or frame a sentence that has its own frame ("A look at
    beautiful sunset: two people")."""
    if ":" in subject and not template.startswith("{subject}"):
        return True
    own = {w for w in re.findall(r"[a-z]+", template.replace("{subject}", "").lower()) if len(w) > 3}
    words = re.findall(r"[a-z]+", subject.lower())
    head = next((w for w in words if w not in {"a", "an", "the"}), "")
    if own & _DEPICTIONS and head in _DEPICTIONS:
        return True  # "A shot of a portrait of a person": a picture of a picture
    return bool(own & set(words))


# Nouns that say what kind of picture something is: a template built on one does not frame a subject
# phrase that starts with one.
_DEPICTIONS = frozenset(
    {
        "shot",
        "look",
        "view",
        "photo",
        "picture",
        "image",
        "snapshot",
        "glimpse",
        "portrait",
        "close",
        "illustration",
        "painting",
        "drawing",
        "screenshot",
        "scene",
        "sketch",
    }
)


def options(
    ev: Evidence,
    sha: str,
    tone: str = "neutral",
    *,
    caption: str | None = None,
    with_emoji: bool = False,
    count: int = OPTIONS,
) -> list[str]:
    """``count`` (3) distinct captions in ``tone`` from the family's bank, the start keyed on the image hash.

    ``caption`` is the (guarded) composer caption to build on; by default it is composed here. The
    neutral bank holds plain, literal frames around it ("Pictured: two people", and the sentence
    itself), so neutral captions vary over photos of one family as the other tones do."""
    text, rule = compose_with_rule(ev)
    base = caption if caption is not None else text
    fam = family(ev, rule)
    bank = templates(fam, tone)
    start = int(hashlib.sha256(f"{sha}:{tone}".encode()).hexdigest()[:8], 16)
    out: list[str] = []
    plain = with_article(_phrase(base))
    subject = plain + (_detail(ev, rule) if base == text else "")
    order = [bank[(start + i) % len(bank)] for i in range(len(bank))]
    # Awkward templates come last, only if the others give too few.
    for template in sorted(order, key=lambda t: _awkward(t, plain)):
        candidate = fill(template, subject)
        if candidate.rstrip(".") == base.rstrip("."):
            if tone != "neutral":
                continue  # the other tones always add their voice
            candidate = base  # the plain sentence, as the composer wrote it
        if candidate not in out:
            out.append(candidate)
        if len(out) == count:
            break
    if with_emoji and emoji(fam):
        out = [f"{o} {emoji(fam)}" for o in out]
    return out
