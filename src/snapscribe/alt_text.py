"""Accessibility alt text: a literal, hedged description from the same evidence as the caption.

One template per situation, as automatic alt text on social networks reads ("May be an image of
two people on a beach"); every noun comes from the composer's grounded phrases, never a new one.
"""

from __future__ import annotations

from .caption import _colour_phrase, _counted, _scene_only_caption, _setting, safe_text
from .evidence import Evidence, same_creature

_HEDGE = "May be"
_KIND_PHRASES = {
    "painting": "a painting",
    "drawing": "an illustration",
    "screenshot": "a screenshot",
    "chart": "a chart",
    "text_graphic": "an image of text",
    "abstract": "abstract art",
}


def _subjects(ev: Evidence) -> str | None:
    """The main subject (counted) and one clearly different other, or None when nothing is named."""
    main = ev.main
    if main is None or main.score < 0.5:
        return None
    phrase = _counted(main)
    other = next(
        (
            s
            for s in ev.subjects[1:3]
            if s.score >= 0.5 and s.noun != main.noun and s.category != main.category and not same_creature(s, main)
        ),
        None,
    )
    return phrase + (" and " + _counted(other) if other is not None else "")


def _with_text(ev: Evidence) -> str:
    quote = safe_text(ev)
    return f' with text that says "{quote}"' if quote else ""


def alt_text(ev: Evidence) -> str:
    """What, how many, where and any clean text, hedged: "May be an image of a dog on the grass"."""
    kind = ev.image_kind
    subjects = _subjects(ev)
    if kind in _KIND_PHRASES:
        body = _KIND_PHRASES[kind]
        if subjects and kind in ("painting", "drawing", "abstract", "text_graphic"):
            body = ("an illustration" if kind in ("abstract", "text_graphic") else body) + " of " + subjects
        return f"{_HEDGE} {body}{_with_text(ev)}"
    if subjects is not None:
        setting = _setting(ev, ev.main)
        return f"{_HEDGE} an image of {subjects}{' ' + setting if setting else ''}{_with_text(ev)}"
    scene = _scene_only_caption(ev)
    if scene is not None:
        scene = scene.removeprefix("Beautiful ")
        return f"{_HEDGE} an image of {scene[0].lower() + scene[1:]}{_with_text(ev)}"
    return f"{_HEDGE} an image in {_colour_phrase(ev)} tones{_with_text(ev)}"
