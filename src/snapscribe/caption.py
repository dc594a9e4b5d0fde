"""The grounded composer: a caption built only from accepted evidence.

Every noun it writes comes from an accepted subject, a scene cue or a measured
attribute; when the evidence is thin it says less ("a photo in blue and green
tones") rather than inventing an object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .concepts import BY_NAME as CONCEPTS_BY_NAME
from .concepts import SETTINGS as CONCEPT_SETTINGS
from .evidence import CONCEPT_SOURCE, UNSURE, Evidence, Subject, close_up, same_creature
from .grammar import article
from .normalize import ModelInputs
from .records import Tag
from .tagging import scene_tags

_AIRBORNE = {"parachute", "kite", "balloon", "airship", "airplane", "helicopter"}
_MASS_NOUNS = {"food", "grass", "coffee", "fruit"}
_WORN = {"suit", "jersey", "coat", "dress", "shirt", "hat", "tie", "glasses", "sunglasses", "mask"}
_NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five"}
_PEOPLE_CATEGORY = "person"
_LANDSCAPE_PHRASES = {
    "mountain": "mountain landscape",
    "valley": "valley landscape",
    "cliff": "cliffs",
    "volcano": "volcano",
    "beach": "beach",
    "lake": "lake view",
    "coast": "coastline",
    "waterfall": "waterfall",
    "landscape": "landscape",
}


@dataclass(frozen=True)
class CaptionDraft:
    text: str
    engine: str = "grounded"
    fallback: str | None = None
    rule: str | None = None  # the composer rule that wrote it


class Captioner(Protocol):
    name: str

    def caption(self, evidence: Evidence, tags: list[Tag], inputs: ModelInputs) -> CaptionDraft:
        """One sentence describing only what the evidence supports."""


def _article(phrase: str) -> str:
    return article(phrase)


def _counted(s: Subject) -> str:
    if s.sources == (CONCEPT_SOURCE,):
        return CONCEPTS_BY_NAME[s.noun].phrase  # a scene concept has its own phrase ("mountains", "a street")
    if s.noun == "person":
        if s.count == 1:
            return "a person"
        if s.count >= 4:
            return "a group of people"
        return f"{_NUMBERS.get(s.count, str(s.count))} people"
    if s.count >= 2:
        return f"{_NUMBERS.get(s.count, 'several')} {s.plural}" if s.count <= 5 else f"several {s.plural}"
    if s.noun in _MASS_NOUNS:
        return s.noun
    return _article(s.noun)


def _colour_words(ev: Evidence, n: int = 2) -> list[str]:
    return [name for name, share in ev.stats.dominant_colours[:n] if share >= 0.12]


def _colour_phrase(ev: Evidence) -> str:
    colours = _colour_words(ev)
    return " and ".join(colours) if colours else "muted"


def _setting(ev: Evidence, main: Subject | None) -> str:
    tags = scene_tags(ev)
    main_noun = main.noun if main else ""
    if main_noun in _AIRBORNE and ev.scene.sky_cover >= 0.6 and not ev.rendered:
        return "in the sky"  # a flying thing with sky filling most of the frame
    if "beach" in tags and main_noun != "beach":
        return "at the beach" + (" at sunset" if "sunset" in tags else "")
    if close_up(main):
        return ""  # a dark or warm background behind a close-up is not night or a sunset
    if "sunset" in tags:
        return "at sunset" + (" by the water" if "sea" in tags else "")
    if "night" in tags:
        return "at night"
    if "snow" in tags:
        return "in the snow"
    if "sea" in tags:
        return "by the water"
    if "grass" in tags and (main is None or main.category not in ("landscape", "plant", "flower")):
        return "on the grass"
    if "sky" in tags and main is not None and main.category in ("landscape", "building", "structure", "vehicle"):
        return "under a cloudy sky" if "clouds" in tags or ev.scene.overcast >= 0.5 else "under a clear sky"
    return ""


def _ground_below(ev: Evidence) -> bool:
    """Sky on top and something else (land, water, trees) filling the bottom: a landscape."""
    sc = ev.scene
    return sc.sky >= 0.5 and sc.sky_cover <= 0.7 and ev.stats.contrast >= 0.08


def _abstract_caption(ev: Evidence) -> str:
    st = ev.stats
    if st.flat_fraction > 0.6:
        form = "with smooth gradients"
    elif st.sharpness > 800:
        form = "with intricate detail"
    else:
        form = "with flowing shapes"
    return f"Abstract {_colour_phrase(ev)} art {form}"


def _scene_only_caption(ev: Evidence) -> str | None:
    """A caption from scene cues alone, or None when they recognise nothing."""
    tags = scene_tags(ev)
    sc = ev.scene
    if "stars" in tags:
        return "Stars scattered across the night sky"
    if "sunset" in tags:
        return "Beautiful sunset sky" + (" over the water" if "sea" in tags else "")
    if "night" in tags and sc.greenery < 0.3:
        return "A scene at night"
    if "beach" in tags:
        return "A sunny day at the beach" if "sky" in tags else "A view of the beach"
    if "sea" in tags:
        return "Calm water under an open sky"
    if "snow" in tags:
        return "A snowy landscape"
    if sc.uniform_texture >= 0.5:
        return f"Close-up of a {_colour_phrase(ev)} texture"
    if "flower" in tags:
        colours = _colour_words(ev, 3)
        petal = next((c for c in colours if c not in ("dark green", "green", "black", "grey", "brown")), "")
        return f"Close-up of a {petal + ' ' if petal else ''}flower"
    if sc.greenery >= 0.6:
        if sc.blades >= 0.6:
            return "Lush green grass"
        return "Lush green grass and plants" if sc.grass >= 0.6 and sc.trees < 0.3 else "Lush green plants"
    # A bright smooth band across the top of the frame is photographic evidence on its own:
    # it outweighs an unsure photo-vs-rendered judgement (rendered images never get here).
    shot = ev.abstract < UNSURE or sc.sky >= 0.95
    if "sky" in tags and sc.sky_cover < 0.75 and _ground_below(ev) and shot:
        sky = "a cloudy sky" if ("clouds" in tags or sc.overcast >= 0.5) else "a clear sky"
        return f"A landscape under {sky}" + (" with green fields" if sc.grass >= 0.5 else "")
    if "sky" in tags and shot:
        if sc.overcast >= 0.5 and sc.clouds < 0.3:
            # A flat pale frame could as well be a wall or paper: don't claim a sky.
            return None if sc.sky < 0.5 else "An overcast grey sky"
        if "clouds" in tags:
            return "Clouds in a blue sky"
        return "A clear blue sky" if {"blue", "light blue"} & set(_colour_words(ev)) else "A clear sky"
    # No "A green nature scene": on the training split it named nothing and kept the zoom pass from
    # looking closer (ablation in docs/sight.md).
    return None


def _unrecognised_caption(ev: Evidence) -> str:
    if ev.abstract >= UNSURE:
        return f"Abstract {_colour_phrase(ev)} pattern"  # nothing recognised and it looks made, not shot
    return f"A photo in {_colour_phrase(ev)} tones"


def recognises_something(ev: Evidence) -> bool:
    """Whether the composer can name a subject, a scene or the kind of image, rather than only the colours."""
    return ev.rendered or ev.main is not None or ev.image_kind != "photo" or _scene_only_caption(ev) is not None


_QUOTE_WORDS = 6
_PUNCT = "\"'“”‘’()[]{}<>.,;:!?…-_/\\|*#@"


def safe_text(ev: Evidence) -> str | None:
    """The first words of the clean OCR text, for quoting (the guard checks the quote against OCR again)."""
    if not ev.ocr_text:
        return None
    words = [w.strip(_PUNCT) for w in ev.ocr_text.split()]
    words = [w for w in words if w.isalpha() or w.isdigit()]  # OCR noise (mixed symbols) is not quoted
    if len(words) < 1:
        return None
    snippet = " ".join(words[:_QUOTE_WORDS])
    return snippet + ("…" if len(words) > _QUOTE_WORDS else "")


def _background(ev: Evidence) -> str:
    colours = _colour_words(ev, 1)
    return colours[0] if colours else "plain"


def _of_subject(ev: Evidence) -> str:
    main = ev.main
    if main is not None and main.score >= 0.5:
        return f" of {_counted(main)}"
    return f" in {_colour_phrase(ev)} tones"


def _rendered_subject_caption(ev: Evidence) -> str:
    main = ev.main
    assert main is not None
    return f"Illustration of {_counted(main)} in {_colour_phrase(ev)} tones, digital art"


def _landscape(ev: Evidence) -> str:
    main = ev.main
    assert main is not None
    phrase = _LANDSCAPE_PHRASES[main.noun]
    if ev.scene.trees >= 0.9 and ev.scene.sky < 0.3 and main.noun in ("mountain", "valley"):
        # Tree texture fills the top of the frame and there is no sky band: the forest is what is
        # seen; ImageNet's "valley" also fires on forest floors, so it is not claimed.
        phrase = "forest" if main.noun == "valley" else "forest on a mountainside"
    setting = _setting(ev, main)
    return f"{phrase.capitalize()} {setting}".strip() if setting else _article(phrase).capitalize()


# Settings a second held concept adds to a scene caption, first that holds wins ("A beach at sunset").
_WATERSIDE = {"beach", "sea", "lake"}
_SETTINGLESS = {"space"}  # a view of space has no sunset, night or sea around it


def _named_by_concept(ev: Evidence) -> bool:
    return ev.main is not None and ev.main.sources == (CONCEPT_SOURCE,)


def _concept_caption(ev: Evidence) -> str:
    main = ev.main
    assert main is not None
    concept = CONCEPTS_BY_NAME[main.noun]
    setting = next(
        (
            words
            for name, words in CONCEPT_SETTINGS
            if name != concept.name
            and ev.concepts.has(name)
            and not (name == "sea" and concept.name in _WATERSIDE)
            and not (name == "snow" and concept.name == "night")
            and concept.name not in _SETTINGLESS
        ),
        "",
    )
    phrase = f"{concept.phrase} {setting}".strip()
    return phrase[0].upper() + phrase[1:]


def _subject_sentence(ev: Evidence) -> str:
    main = ev.main
    assert main is not None
    phrase = _counted(main)
    if main.noun == "person" and main.count == 1 and main.area >= 0.25:
        phrase = "a portrait of a person"  # one person filling the frame
    others = [
        s
        for s in ev.subjects[1:3]
        if s.score >= 0.5
        and s.noun != main.noun
        and s.category not in ("landscape", "water", "clothing")
        and s.noun not in _WORN
        and s.category != main.category
        and not same_creature(s, main)
    ]
    if others:
        phrase += " with " + _counted(others[0])
    setting = _setting(ev, main)
    sentence = f"{phrase} {setting}".strip()
    if setting.startswith("at sunset"):
        sentence = "Beautiful sunset: " + sentence
    return sentence[0].upper() + sentence[1:]


@dataclass(frozen=True)
class Rule:
    """One composer rule: the first whose predicate holds writes the caption."""

    name: str
    applies: Callable[[Evidence], bool]
    write: Callable[[Evidence], str]


RULES: tuple[Rule, ...] = (
    Rule(
        "text_graphic",
        lambda ev: ev.image_kind == "text_graphic" and safe_text(ev) is not None,
        lambda ev: f'Text on {_article(_background(ev))} background: "{safe_text(ev)}"',
    ),
    Rule("screenshot", lambda ev: ev.image_kind == "screenshot", lambda ev: "A screenshot"),
    Rule("chart", lambda ev: ev.image_kind == "chart", lambda ev: "A chart"),
    Rule("painting", lambda ev: ev.image_kind == "painting", lambda ev: "A painting" + _of_subject(ev)),
    Rule("drawing", lambda ev: ev.image_kind == "drawing", lambda ev: "An illustration" + _of_subject(ev)),
    Rule(
        "rendered_subject",
        lambda ev: ev.image_kind in ("abstract", "text_graphic") and ev.main is not None and ev.main.score >= 0.6,
        _rendered_subject_caption,
    ),
    Rule("abstract", lambda ev: ev.image_kind in ("abstract", "text_graphic"), _abstract_caption),
    Rule(
        "scene_only",
        lambda ev: ev.main is None and _scene_only_caption(ev) is not None,
        lambda ev: _scene_only_caption(ev) or "",
    ),
    Rule("colours_only", lambda ev: ev.main is None, _unrecognised_caption),
    Rule("concept", _named_by_concept, _concept_caption),
    Rule(
        "landscape",
        lambda ev: (
            ev.main is not None and ev.main.category in ("landscape", "water") and ev.main.noun in _LANDSCAPE_PHRASES
        ),
        _landscape,
    ),
    Rule("subject", lambda ev: True, _subject_sentence),
)


def compose_with_rule(ev: Evidence) -> tuple[str, str]:
    """The grounded caption sentence and the name of the rule that wrote it."""
    for rule in RULES:
        if rule.applies(ev):
            return rule.write(ev), rule.name
    raise AssertionError("the last rule always applies")


def compose(ev: Evidence) -> str:
    """The grounded caption sentence."""
    return compose_with_rule(ev)[0]


class GroundedComposer:
    """The default captioner; needs no model beyond the evidence."""

    name = "default"

    def caption(self, evidence: Evidence, tags: list[Tag], inputs: ModelInputs) -> CaptionDraft:
        text, rule = compose_with_rule(evidence)
        return CaptionDraft(text=text, rule=rule)
