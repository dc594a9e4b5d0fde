"""The grounding guard: every thing, person, place or number a caption claims must be
supported by the evidence (detections, classifier classes, scene cues, tags, readable
OCR text), whichever engine wrote the caption.

Support is checked through the WordNet hypernym graph (:mod:`snapscribe.lexicon`): a
detected cocker spaniel supports "dog", "animal" and "pet"; a plain "dog" does not
support "golden retriever". Unsupported mentions are cut out with the clause that
carries them when the sentence survives ("A cat on a sofa next to a laptop" → "A cat
on a sofa"); when the claim is the sentence's subject, the caption is replaced by the
grounded composer's. On blurry images every claim to read text is removed.

Each unsupported claim is classed (:data:`CLAIM_CLASSES`): *contradicted* when the evidence
rules it out (a person where none is detected, a count above the detected one, text not
read, a scene the cues measure otherwise, an animal or any thing some ImageNet class is a
kind of, which the classifier would have seen), else *plausible* (a detail no packaged
model can see: a flag, a poster, a lamp post). ``check(..., keep_plausible=True)`` keeps
plausible details (``grounding.plausible_from`` names the engines that get it, the VLM by
default) and always removes contradicted ones. A removal that leaves no well-formed
sentence (:func:`is_sentence`) falls back to the grounded caption.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import pairwise

from .attributes import BLUR_THRESHOLD
from .caption import compose
from .concepts import BY_NAME as CONCEPTS_BY_NAME
from .evidence import Evidence
from .lexicon import Lexicon, imagenet_offset, load_lexicon
from .mentions import DETERMINERS, SCENE_WORDS, Mention, extract
from .records import Grounding, Tag

# Minimum evidence per source for a "kind of" match.
CLASSIFIER_MIN = 0.02  # summed probability of top-10 classes under the mentioned synset
DETECTOR_MIN = 0.3  # accepted detections
CANDIDATE_MIN = 0.35  # raw detections the fusion did not accept
TAG_MIN = 0.3
SIBLING_MIN = 0.06  # a close relative (shared ancestor over <= SIBLING_MAX classes) at this probability
SIBLING_MAX = 8

# Words the guard would check that name what an image is (not what it shows), each the name of the
# image kind that supports it: the fitted kind model's reading (Evidence.image_kind) is the evidence, as it is for
# the composer ("drawing", "illustration" and "chart" are not extracted as claims at all).
KIND_WORDS = frozenset({"painting", "screenshot"})

# Settings and parts a caption names around its subject; no packaged model can see them, so
# they are accepted on any photo (not on abstract art) instead of failing every faithful caption.
_CONTEXT = {
    "table",
    "floor",
    "ground",
    "shelf",
    "board",
    "plank",
    "deck",
    "counter",
    "tray",
    "mat",
    "rug",
    "carpet",
    "blanket",
    "towel",
    "cloth",
    "tablecloth",
    "window",
    "door",
    "doorway",
    "roof",
    "wall",
    "facade",
    "balcony",
    "chimney",
    "stairs",
    "step",
    "staircase",
    "arch",
    "column",
    "pillar",
    "gate",
    "fence",
    "railing",
    "balustrade",
    "pier",
    "jetty",
    "dock",
    "boardwalk",
    "path",
    "trail",
    "track",
    "footpath",
    "pavement",
    "cable",
    "wire",
    "rope",
    "pole",
    "post",
    "sill",
    "windowsill",
    "ledge",
    "bricks",
    "brick",
    "tile",
    "concrete",
    "stone",
    "wood",
    "paint",
    "ladder",
    "bench",
    "shore",
    "launch pad",
    "pebble",
    "rock",
    "log",
    "sidewalk",
    "bollard",
    "lamppost",
    "streetlight",
}
_CONTAINERS = {
    "pot",
    "jar",
    "vase",
    "bucket",
    "basket",
    "box",
    "tin",
    "can",
    "crate",
    "bag",
    "holder",
    "bowl",
    "cup",
    "mug",
    "tray",
}
_PLANT_PARTS = {
    "bloom",
    "blossom",
    "bud",
    "petal",
    "seed",
    "seed head",
    "stem",
    "thorn",
    "pollen",
    "blade",
    "trunk",
    "bark",
    "root",
    "moss",
    "twig",
    "branch",
    "flower head",
    "shoot",
    "sprout",
    "leaf",
    "dandelion",
    "tree trunk",
    "tree",
    "seedpod",
    "pod",
    "grass",
    "stalk",
    "reed",
    "needle",
    "cone",
    "acorn",
}
_TABLEWARE = {"spoon", "fork", "knife", "saucer", "napkin", "plate", "straw", "lid", "teaspoon", "glass", "jar"}
_POLLINATED = {"flower", "blossom", "plant", "petal", "bloom"}
_WEAK_SCENE = {"sky", "clouds", "sunset", "night"}
_CLOTHING = (3051540, 3381126, 3380867, 3502509)  # clothing, footwear (2 senses), headdress: worn by a person
_FLOWER, _PLANT, _BUILDING = 11669921, 17222, 2913152
_ANIMAL = 15388
# People words that also describe animals ("best friends", "a happy family" of ducks).
_SOCIAL = {
    "friend",
    "friends",
    "family",
    "couple",
    "buddy",
    "buddies",
    "baby",
    "babies",
    "kids",
    "besties",
    "mom",
    "mother",
    "pair",
    "duo",
    "team",
}
# Not counted as extra people: they refer to someone already named.
_NOT_COUNTED = {"he", "she", "him", "her", "his", "herself", "himself", "portrait", "selfie", "someone", "somebody"}
_COLLECTIVE = {"people", "crowd", "family", "group", "team", "crew", "audience", "couple", "friends", "choir"}
_WEAK_SCENE_WORDS = {
    "hill",
    "hills",
    "hillside",
    "slope",
    "slopes",
    "ridge",
    "ridges",
    "rocks",
    "boulders",
    "field",
    "fields",
    "grass",
    "lawn",
    "meadow",
    "meadows",
    "pasture",
    "drop",
    "drops",
    "droplets",
    "raindrops",
    "splash",
    "reflection",
    "reflections",
    "stream",
    "streams",
    "creek",
    "leaves",
    "leaf",
    "twig",
    "twigs",
    "branch",
    "branches",
    "stem",
    "stems",
    "moss",
    "foliage",
    "bush",
    "bushes",
    "shrubs",
    "greenery",
    "vegetation",
    "park",
    "garden",
    "gardens",
    "water",
    "horizon",
    "tree",
    "trees",
}
_INDOOR_CATEGORIES = ("household", "furniture", "electronics", "food", "drink", "clothing", "accessory", "tool")

_PEOPLE_TAGS = {"people", "person", "portrait", "crowd", "man", "woman", "child", "family", "friends", "selfie"}
_PLURAL_PEOPLE = {
    "people": 2,
    "men": 2,
    "women": 2,
    "girls": 2,
    "boys": 2,
    "children": 2,
    "kids": 2,
    "babies": 2,
    "ladies": 2,
    "gentlemen": 2,
    "guys": 2,
    "friends": 2,
    "couple": 2,
    "family": 2,
    "tourists": 2,
    "players": 2,
    "students": 2,
    "pedestrians": 2,
    "workers": 2,
    "dancers": 2,
    "crowd": 3,
}


_LENIENT = (
    "setting",
    "scenery",
    "plant part",
    "tableware",
    "container",
    "insects are seen",
    "clothing",
    "plant or flower seen",
    "buildings seen",
    "animals seen",
)


CLAIM_CLASSES = ("supported", "plausible", "contradicted")


@dataclass(frozen=True)
class Verdict:
    """The check of one mention: ``why`` names the evidence, or what is missing;
    ``claim`` is its class (:data:`CLAIM_CLASSES`)."""

    mention: Mention
    supported: bool
    why: str
    claim: str = "supported"

    @property
    def lenient(self) -> bool:
        """Accepted by a plausibility rule (settings, scenery, parts), not by a model's evidence."""
        return self.supported and self.why.startswith(_LENIENT)

    @property
    def term(self) -> str:
        m = self.mention
        return f"text: {m.quoted}" if m.kind == "text" and m.quoted else m.text.lower()


@dataclass(frozen=True)
class GuardResult:
    caption: str
    grounding: Grounding
    verdicts: tuple[Verdict, ...] = ()


@dataclass(frozen=True)
class _Item:
    offset: int
    weight: float
    source: str  # detector | classifier | subject | tag
    label: str
    count: int = 1


class _Support:
    """The evidence, indexed for mention checks."""

    def __init__(self, ev: Evidence, tags: Sequence[Tag], lexicon: Lexicon):
        self.ev = ev
        self.lex = lexicon
        self.items: list[_Item] = []
        counts: dict[int, int] = {}
        for d in ev.objects:
            counts[d.class_id] = counts.get(d.class_id, 0) + 1
        for d in ev.objects:
            off = lexicon.coco.get(d.class_id)
            if off is not None:
                self.items.append(_Item(off, d.score, "detector", d.label, counts[d.class_id]))
        accepted = {id(d) for d in ev.objects}
        for d in ev.candidates:
            off = lexicon.coco.get(d.class_id)
            if off is not None and id(d) not in accepted and d not in ev.objects:
                self.items.append(_Item(off, d.score, "candidate", d.label))
        for cls, p in ev.class_top:
            self.items.append(_Item(imagenet_offset(cls.wnid), p, "classifier", cls.specific))
        for s in ev.subjects:
            for word in (s.noun, s.specific):
                for off in lexicon.senses(word or "")[:1]:
                    self.items.append(_Item(off, s.score, "subject", word or "", s.count))
        self.tag_scores: dict[str, float] = {}
        for t in tags:
            label = t.label.lower()
            self.tag_scores[label] = max(self.tag_scores.get(label, 0.0), t.score)
            if t.score >= TAG_MIN:
                for off in lexicon.senses(label)[:1]:
                    self.items.append(_Item(off, t.score, "tag", label))
        self.class_names = {cls.specific.lower() for cls, p in ev.class_top if p >= 0.02} | {
            cls.basic.lower() for cls, p in ev.class_top if p >= 0.02
        }
        self.categories: dict[str, float] = {}
        for cls, p in ev.class_top:
            self.categories[cls.category] = self.categories.get(cls.category, 0.0) + p
        for s in ev.subjects:
            self.categories[s.category] = max(self.categories.get(s.category, 0.0), s.score)

    # -- things ------------------------------------------------------------------------
    def thing(self, m: Mention) -> tuple[bool, str, int]:
        """(supported, why, count seen) for an object/animal/plant/food mention."""
        senses = self.lex.all_senses(m.lemma)
        by_source: dict[str, float] = {}
        best_label: dict[str, str] = {}
        count = 0
        for it in self.items:
            if any(s in self.lex.closure(it.offset) for s in senses):
                if it.source == "classifier":
                    by_source["classifier"] = by_source.get("classifier", 0.0) + it.weight
                elif it.weight > by_source.get(it.source, 0.0):
                    by_source[it.source] = it.weight
                best_label.setdefault(it.source, it.label)
                if it.source in ("detector", "subject"):
                    count = max(count, it.count)
        for source, minimum in (
            ("detector", DETECTOR_MIN),
            ("subject", DETECTOR_MIN),
            ("tag", TAG_MIN),
            ("classifier", CLASSIFIER_MIN),
            ("candidate", CANDIDATE_MIN),
        ):
            if by_source.get(source, 0.0) >= minimum:
                return True, f"{source}: {best_label[source]} {by_source[source]:.2f}", count
        if self.tag_scores.get(m.lemma, 0.0) >= TAG_MIN:
            return True, f"tag: {m.lemma}", count
        by_concept = self.concept(m.lemma)
        if by_concept:
            return True, by_concept, count
        named = self._named(m.lemma)
        if named:
            return True, named, count
        near = self._sibling(senses)
        if near:
            return True, near, count
        if m.lemma in KIND_WORDS and m.lemma == self.ev.image_kind:
            return True, f"image kind: {self.ev.image_kind}", count
        context = self._context(m.lemma)
        if context:
            return True, context, count
        compound = self._compound(m)
        if compound:
            return True, compound, count
        kinds = set().union(*(self.lex.closure(x) for x in senses)) if senses else set()
        if kinds & set(_CLOTHING) and self.people_seen() > 0:
            return True, "clothing worn by a detected person", count
        if (_FLOWER in kinds or _PLANT in kinds) and self._plants() >= 0.3:
            return True, "plant or flower seen (species not checkable)", count
        if _BUILDING in kinds and self.categories.get("building", 0.0) >= 0.3:
            return True, "buildings seen (building types not told apart)", count
        return False, "no detection, class or tag is a kind of it", 0

    def _compound(self, m: Mention) -> str | None:
        """ "coffee cup": a cup is seen and coffee is seen. Not "golden retriever" from a retriever."""
        words = m.lemma.split()
        if len(words) < 2:
            return None
        parts = []
        for w in words:
            lemma = self.lex.lemma(w)
            if lemma is None:
                return None
            part = Mention(w, lemma, "scene" if lemma in SCENE_WORDS else "thing", m.start, m.end)
            ok = self.scene(part)[0] if part.kind == "scene" else self.thing(part)[0]
            if not ok:
                return None
            parts.append(lemma)
        return "compound of seen things: " + " + ".join(parts)

    def _plants(self) -> float:
        cat = self.categories.get
        return max(
            cat("flower", 0) + cat("plant", 0),
            max((s.score for s in self.ev.subjects if s.category in ("flower", "plant")), default=0.0),
        )

    def animals(self) -> float:
        cat = self.categories.get
        return max(
            sum(cat(c, 0) for c in ("animal", "pet", "bird", "insect", "sea_life")),
            max(
                (d.score for d in self.ev.objects if self.lex.is_a(self.lex.coco.get(d.class_id, 0), _ANIMAL)),
                default=0.0,
            ),
        )

    def _named(self, lemma: str) -> str | None:
        """A top class whose name ends in the mention ("bell tower" names a tower)."""
        for cls, p in self.ev.class_top:
            if p < CLASSIFIER_MIN:
                continue
            name = cls.specific.lower()
            if " " in name and (name.endswith(" " + lemma) or name.endswith(" " + lemma + "s")):
                return f"classifier: {cls.specific} {p:.2f}"
        return None

    def _context(self, lemma: str) -> str | None:
        cat = self.categories.get
        if lemma.endswith("s") and lemma[:-1] in _CONTEXT | _PLANT_PARTS | _TABLEWARE | _CONTAINERS:
            lemma = lemma[:-1]
        if lemma in _CONTEXT and self.ev.abstract < 0.8:
            return "setting (not checkable, accepted on photos)"
        if lemma in _PLANT_PARTS and (self._vegetation() or cat("insect", 0) + cat("bird", 0) >= 0.1):
            return "plant part: plants or greenery seen"
        if lemma in _TABLEWARE and sum(cat(c, 0) for c in ("food", "drink", "household")) >= 0.1:
            return "tableware: food, drink or dishes seen"
        if lemma in _CONTAINERS and sum(cat(c, 0) for c in _INDOOR_CATEGORIES + ("plant", "flower")) >= 0.3:
            return "container: household objects seen"
        if lemma in _POLLINATED and cat("insect", 0) >= 0.3:
            return "insects are seen on flowers"
        return None

    def _vegetation(self) -> bool:
        sc, cat = self.ev.scene, self.categories.get
        return (
            sc.trees >= 0.1
            or sc.greenery >= 0.1
            or sc.grass >= 0.1
            or cat("plant", 0) + cat("flower", 0) >= 0.05
            or bool({"green", "dark green"} & _colour_names(self.ev.stats))
        )

    def _outdoorish(self) -> bool:
        """Not clearly an indoor close-up: some outdoor cue or outdoor class."""
        sc, cat = self.ev.scene, self.categories.get
        if self.ev.abstract >= 0.6 and sc.outdoor < 0.2:
            return False
        cues = max(
            sc.sky, sc.clouds, sc.sunset, sc.night, sc.greenery, sc.grass, sc.trees, sc.water, sc.snow, sc.outdoor
        )
        outdoor_classes = sum(
            cat(c, 0)
            for c in (
                "landscape",
                "water",
                "plant",
                "flower",
                "insect",
                "bird",
                "animal",
                "vehicle",
                "building",
                "structure",
            )
        )
        indoor_classes = sum(cat(c, 0) for c in _INDOOR_CATEGORIES)
        return cues >= 0.1 or outdoor_classes >= 0.1 or indoor_classes < 0.5

    def _sibling(self, senses: Sequence[int]) -> str | None:
        for it in self.items:
            if it.source != "classifier" or it.weight < SIBLING_MIN:
                continue
            evidence_up = self.lex.closure(it.offset)
            for s in senses:
                common = self.lex.closure(s) & evidence_up
                spans = [self.lex.imagenet_descendants(a) for a in common]
                spans = [n for n in spans if n >= 2]
                if spans and min(spans) <= SIBLING_MAX:
                    return f"classifier: close relative {it.label} {it.weight:.2f}"
        return None

    # -- people ------------------------------------------------------------------------
    def people_seen(self) -> int:
        n = max(self.ev.people, sum(1 for d in self.ev.objects if d.label == "person"))
        return n

    def people_candidates(self) -> int:
        return sum(1 for d in self.ev.candidates if d.label == "person" and d.score >= DETECTOR_MIN)

    def person(self, m: Mention) -> tuple[bool, str]:
        seen = self.people_seen()
        if seen == 0:
            if any(self.tag_scores.get(t, 0.0) >= TAG_MIN for t in _PEOPLE_TAGS):
                return True, "tag: people"
            if m.lemma in _SOCIAL and self.animals() >= 0.3:
                return True, "animals seen (said of animals)"
            claimed = people_claimed(m)
            wearer = [(c.specific, p) for c, p in self.ev.class_top if c.person_context and p >= 0.15]
            if wearer and claimed <= 1:
                return True, f"classifier: {wearer[0][0]} {wearer[0][1]:.2f} (worn by a person)"
            return False, "no person detected"
        return True, f"detector: {seen} person{'s' if seen > 1 else ''}"

    def people_count(self, mentions: Sequence[Mention]) -> tuple[bool, str]:
        """All people a caption names together must fit the detected count."""
        persons = [m for m in mentions if m.kind == "person" and m.lemma not in _NOT_COUNTED]
        if not persons:
            return True, ""
        seen = max(self.people_seen(), self.people_candidates())
        if seen == 0:
            return True, ""  # judged per mention
        collective = [people_claimed(m) for m in persons if m.lemma in _COLLECTIVE or m.count]
        singles = [people_claimed(m) for m in persons if not (m.lemma in _COLLECTIVE or m.count)]
        claimed = max(collective, default=0) + sum(singles) if collective else sum(singles)
        allowed = seen if seen < 4 else seen + seen // 2
        if claimed > allowed:
            return False, f"names {claimed} people, {seen} detected"
        return True, ""

    def count_ok(self, m: Mention, seen: int) -> tuple[bool, str]:
        if m.count is None or seen == 0:
            return True, ""
        if m.count > seen + max(1, seen // 2):
            return False, f"claims {m.count}, {seen} detected"
        return True, ""

    # -- scenery -----------------------------------------------------------------------
    def concept(self, lemma: str) -> str | None:
        """The held scene concept that names this word, if any (the probe saw a street, a room, a beach)."""
        for name, p in self.ev.concepts.scores:
            c = CONCEPTS_BY_NAME[name]
            if lemma == name or lemma in c.words or lemma in c.phrase.split():
                return f"concept: {name} {p:.2f}"
        return None

    def scene(self, m: Mention) -> tuple[bool, str]:
        by_concept = self.concept(m.lemma)
        if by_concept:
            return True, by_concept
        rule = SCENE_WORDS[m.lemma]
        sc, st = self.ev.scene, self.ev.stats
        if (rule in _WEAK_SCENE or m.lemma in _WEAK_SCENE_WORDS) and self._outdoorish():
            return True, "scenery (accepted on outdoor photos)"
        tag = max((self.tag_scores.get(w, 0.0) for w, r in SCENE_WORDS.items() if r == rule), default=0.0)
        if self.tag_scores.get(m.lemma, 0.0) >= 0.2 or tag >= TAG_MIN:
            return True, "tag"
        cat = self.categories.get
        names = self.class_names
        checks: dict[str, list[tuple[bool, str]]] = {
            "sky": [
                (sc.sky >= 0.15, "sky region"),
                (sc.clouds >= 0.15, "clouds"),
                (sc.sunset >= 0.2, "sunset sky"),
                (sc.outdoor >= 0.25, "outdoor"),
                (sc.night >= 0.3, "night sky"),
                (cat("landscape", 0) + cat("water", 0) >= 0.1, "landscape classes"),
            ],
            "clouds": [
                (sc.clouds >= 0.1, "clouds"),
                (sc.sky >= 0.3, "sky region"),
                (sc.sunset >= 0.3, "sunset sky"),
                (cat("landscape", 0) >= 0.2 and sc.outdoor >= 0.1, "landscape"),
            ],
            "sunset": [
                (sc.sunset >= 0.2, "sunset colours"),
                (sc.sky >= 0.3 and _warm(st.dominant_colours), "warm sky"),
            ],
            "night": [(sc.night >= 0.2, "night cue"), (st.brightness < 0.25, "dark image")],
            "water": [
                (sc.water >= 0.15, "water region"),
                (cat("water", 0) >= 0.05, "water classes"),
                (bool(names & _WATER_HINTS), "boats/shore classes"),
                (sc.sky >= 0.5 and sc.outdoor >= 0.5 and "blue" in _colour_names(st), "blue open view"),
            ],
            "beach": [
                (sc.sand >= 0.25 and sc.outdoor >= 0.1, "sand region"),
                (bool(names & _BEACH_HINTS), "shore classes"),
                (sc.water >= 0.4 and sc.outdoor >= 0.4, "water and sky"),
            ],
            "grass": [
                (sc.grass >= 0.1, "grass region"),
                (sc.greenery >= 0.15, "greenery"),
                (cat("plant", 0) + cat("flower", 0) >= 0.2, "plant classes"),
                (bool(names & _GRASS_HINTS), "field classes"),
            ],
            "vegetation": [
                (sc.trees >= 0.1, "trees"),
                (sc.greenery >= 0.1, "greenery"),
                (sc.grass >= 0.15, "grass"),
                (cat("plant", 0) + cat("flower", 0) >= 0.1, "plant classes"),
                (cat("insect", 0) + cat("bird", 0) >= 0.3, "wildlife classes"),
                ("green" in _colour_names(st) or "dark green" in _colour_names(st), "green"),
            ],
            "landscape": [
                (cat("landscape", 0) + cat("water", 0) >= 0.05, "landscape classes"),
                (
                    any(CONCEPTS_BY_NAME[n].category in ("landscape", "water") for n, _ in self.ev.concepts.scores),
                    "scene concept",
                ),
            ],
            "mountain": [
                (cat("landscape", 0) >= 0.05, "landscape classes"),
                (bool(names & _MOUNTAIN_HINTS), "mountain classes"),
            ],
            "snow": [(sc.snow >= 0.2, "snow region"), (bool(names & _SNOW_HINTS), "snow classes")],
            "urban": [
                (cat("building", 0) + cat("structure", 0) >= 0.15, "buildings"),
                (any(d.label in _STREET_OBJECTS for d in self.ev.objects), "street objects"),
                (bool(names & _STREET_HINTS), "street classes"),
            ],
            "indoor": [(sc.outdoor < 0.5, "not an outdoor view")],
        }
        for ok, why in checks[rule]:
            if ok:
                return True, why
        return False, f"no {rule} evidence"

    # -- text --------------------------------------------------------------------------
    def text(self, m: Mention, caption: str) -> tuple[bool, str]:
        if self.ev.stats.sharpness < BLUR_THRESHOLD:
            return (
                False,
                f"blurry image (sharpness {self.ev.stats.sharpness:.0f} < {BLUR_THRESHOLD:.0f}): text cannot be read",
            )
        ocr = self.ev.ocr_text
        if not ocr:
            return False, "no readable text found"
        claim = m.quoted
        if m.lemma == "license plate":
            return (bool(re.search(r"(?=\S*\d)(?=\S*[A-Za-z])[A-Za-z0-9-]{4,}", ocr)), "plate-like text in OCR")
        if claim is None:
            tail = caption[m.end :].split()
            claim = " ".join(tail[:4]).strip(" .,:;!?\"'“”")
            if not claim:
                return True, "OCR text present"
        if _fuzzy_in(claim, ocr):
            return True, "matches OCR text"
        return False, f"not in OCR text {ocr[:40]!r}"


_WATER_HINTS = {
    "lakeshore",
    "lake",
    "seashore",
    "beach",
    "sandbar",
    "dock",
    "pier",
    "boathouse",
    "canoe",
    "boat",
    "gondola",
    "speedboat",
    "breakwater",
    "paddle",
    "coral reef",
    "geyser",
    "fountain",
    "submarine",
    "fireboat",
    "lifeboat",
    "catamaran",
    "trimaran",
    "yawl",
    "schooner",
    "sailboat",
    "container ship",
    "liner",
    "ocean liner",
    "wreck",
    "aircraft carrier",
    "promontory",
    "headland",
    "coast",
    "snorkel",
    "scuba diver",
    "water ouzel",
    "swimming trunks",
    "oil rig",
    "bubble",
    "sea",
}
_BEACH_HINTS = {"seashore", "beach", "sandbar", "coast", "headland", "promontory", "lakeshore"}
_GRASS_HINTS = {"hay bales", "hay", "rapeseed field", "field", "valley", "daisy", "golf cart", "lawn mower"}
_MOUNTAIN_HINTS = {
    "alpine peaks",
    "alp",
    "mountain",
    "valley",
    "volcano",
    "cliff",
    "promontory",
    "geyser",
    "mountain tent",
    "tent",
    "ski",
    "mountain bike",
    "ibex",
    "marmot",
}
_SNOW_HINTS = {
    "alpine peaks",
    "alp",
    "ski",
    "dogsled",
    "snowmobile",
    "snowplough",
    "snowplow",
    "igloo",
    "toboggan",
    "glacier",
    "mountain",
}
_STREET_HINTS = {
    "streetcar",
    "tram",
    "traffic light",
    "street sign",
    "parking meter",
    "taxi",
    "cab",
    "minibus",
    "trolleybus",
    "police van",
    "moving van",
    "car",
    "bus",
    "truck",
    "motorbike",
    "scooter",
    "moped",
    "bicycle",
    "building",
    "shop",
    "tower",
    "palace",
    "church",
    "mosque",
    "cinema",
    "restaurant",
    "bakery",
    "barbershop",
    "bookshop",
    "butcher shop",
    "toyshop",
    "tobacco shop",
    "confectionery",
    "grocery store",
    "prison",
    "triumphal arch",
    "fountain",
    "pole",
    "manhole cover",
    "castle",
    "bell tower",
    "dome",
    "stupa",
    "obelisk",
    "mailbox",
    "lamp",
}
_STREET_OBJECTS = {
    "car",
    "bus",
    "truck",
    "traffic light",
    "stop sign",
    "parking meter",
    "fire hydrant",
    "motorcycle",
    "bicycle",
    "train",
}


def people_claimed(m: Mention) -> int:
    """How many people one mention claims: its number, or 2+ for plurals and collectives."""
    if m.count:
        return m.count
    word = m.text.lower().split()[-1]
    return (
        _PLURAL_PEOPLE.get(word)
        or _PLURAL_PEOPLE.get(m.lemma)
        or (2 if word.endswith("s") and word != m.lemma and m.lemma not in _NOT_COUNTED else 1)
    )


def _colour_names(st) -> set[str]:
    return {name for name, share in st.dominant_colours if share >= 0.1}


def _warm(colours) -> bool:
    return any(
        name in ("orange", "red", "pink", "gold", "yellow", "magenta", "purple") and share >= 0.1
        for name, share in colours
    )


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _fuzzy_in(claim: str, ocr: str) -> bool:
    """Most of the claimed words appear (approximately) in the OCR text."""
    words, seen = _norm(claim).split(), _norm(ocr).split()
    if not words or not seen:
        return False
    hits = sum(1 for w in words if any(SequenceMatcher(None, w, s).ratio() >= 0.75 for s in seen))
    return hits / len(words) >= 0.6


# -- rewriting -------------------------------------------------------------------------
_CONNECTORS = sorted(
    [
        "in front of",
        "next to",
        "close to",
        "on top of",
        "along with",
        "together with",
        "as well as",
        "alongside",
        "with",
        "and",
        "beside",
        "besides",
        "near",
        "by",
        "behind",
        "holding",
        "carrying",
        "wearing",
        "while",
        "under",
        "over",
        "on",
        "in",
        "at",
        "across",
        "through",
        "against",
        "among",
        "between",
        "past",
        "into",
        "onto",
        "toward",
        "towards",
        "around",
        "beneath",
        "above",
        "below",
        "from",
        "where",
        "as",
        "plus",
        "featuring",
        "including",
        "surrounded by",
        "overlooking",
        "facing",
        "watching",
        "chasing",
        "riding",
        "walking",
        "sitting",
        "standing",
        "that",
        "which",
        "who",
        "reading",
        "showing",
        "or",
    ],
    key=lambda c: -len(c.split()),
)
_DANGLING = set(_CONNECTORS) | DETERMINERS | {"of", "to", "for", "is", "are", "a", "an", "the"}
_PRONOUN_FOLLOW = {"it", "them", "him", "her", "its", "their", "his"}
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")


def _connector_starts(text: str) -> list[tuple[int, int]]:
    """(start, end) char spans of connectors and commas in ``text``."""
    spans: list[tuple[int, int]] = []
    for c in _CONNECTORS:
        for m in re.finditer(r"(?<![\w'-])" + re.escape(c) + r"(?![\w'-])", text, re.IGNORECASE):
            if not any(s <= m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
    for m in re.finditer(r"[,;:]|\s[-–—]\s", text):
        spans.append((m.start(), m.end()))
    return sorted(spans)


def _cut(sentence: str, start: int, end: int) -> str | None:
    """Remove the clause holding [start, end) from ``sentence``; None when it is the subject."""
    spans = _connector_starts(sentence)
    before = [s for s in spans if s[0] <= start and (s[1] <= start or s[0] == start)]
    if not before:
        return None
    head_words = sentence[: before[-1][0]].split()
    if not any(w.strip(",;:").isalpha() for w in head_words):
        return None
    cut_from = before[-1][0]
    after = [s for s in spans if s[0] >= end]
    cut_to = after[0][0] if after else len(sentence.rstrip(".!? \n"))
    rest = sentence[cut_to:]
    # "... with a boat floating on it": the follow-up clause refers to what was removed.
    m = re.match(r"\s*(?:\w+\s+){0,2}?(" + "|".join(_PRONOUN_FOLLOW) + r")\b", rest, re.IGNORECASE)
    if m and after:
        nxt = [s for s in spans if s[0] > cut_to + m.end() - 1]
        cut_to = nxt[0][0] if nxt else len(sentence.rstrip(".!? \n"))
    return sentence[:cut_from].rstrip() + " " + sentence[cut_to:].lstrip()


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])\s*([,;:.!?])", r"\2", text)
    text = re.sub(r"^[,;:\s]+", "", text)
    words = text.rstrip(".!? ").split()
    while words and (words[-1].lower().strip(",;:") in _DANGLING or words[-1] in ",;:"):
        words.pop()
    end = text[len(text.rstrip(".!?")) :] if text.rstrip(".!?") != text else ""
    text = " ".join(words).rstrip(",;: ") + end
    return text[:1].upper() + text[1:] if text else text


_MODEL_SUPPORT = re.compile(r"^(?:detector|subject|tag|classifier): .*?(\d+(?:\.\d+)?)(?: \(worn by a person\))?$")


def _hashtag_grade(v: Verdict) -> bool:
    """A supported mention strong enough to become a hashtag, a search claim: an accepted detection
    or subject, a tag, or classifier mass, each at ``TAG_MIN`` or more (a detected person counts);
    or a scene a measured cue shows. The leniency a caption gets is not enough: unaccepted
    detector candidates, plausibility rules (:data:`_LENIENT`) and "not an outdoor view"."""
    m = v.mention
    if not v.supported or v.lenient or m.hashtag or m.kind == "text":
        return False
    if m.kind == "scene":
        return bool(v.why) and v.why != "not an outdoor view"
    if v.why.startswith("detector: ") and m.kind == "person":
        return True
    if v.why in ("tag", "tag: people") or v.why == f"tag: {m.lemma}":
        return True
    found = _MODEL_SUPPORT.match(v.why)
    return found is not None and float(found.group(1)) >= TAG_MIN


def _rejected(v: Verdict, keep_plausible: bool) -> bool:
    return not v.supported and not (keep_plausible and v.claim == "plausible")


_ARTICLES = {"a", "an", "the", "this", "these", "those", "its", "their", "his", "her", "my", "our", "your"}
_FUNCTION = _ARTICLES | {
    "with",
    "and",
    "or",
    "but",
    "of",
    "in",
    "on",
    "at",
    "to",
    "from",
    "by",
    "for",
    "is",
    "are",
    "was",
    "were",
    "while",
    "as",
    "into",
    "onto",
    "under",
    "over",
    "near",
    "beside",
}
_OPENERS = {"with", "and", "or", "but", "of", "to", "while", "as", "into", "onto", "for", "by", "is", "are"}


def is_sentence(text: str, lexicon: Lexicon | None = None) -> bool:
    """A cheap well-formedness check for an edited caption: at least two words, no opening
    connector, no article followed by a function word or punctuation ("A with a camera",
    "the , and"), no function word at the end, and at least one thing, person or scene named."""
    words = re.findall(r"[\w'-]+|[,;:]", text.lower())
    if len([w for w in words if w not in ",;:"]) < 2 or words[0] in _OPENERS:
        return False
    for a, b in pairwise(words):
        if a in _ARTICLES and (b in _FUNCTION or b in ",;:"):
            return False
    if words[-1] in _FUNCTION or words[-1] in ",;:":
        return False
    return bool(extract(text, lexicon or load_lexicon()))


def _sentences(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in _SENTENCE.finditer(text) if m.group(0).strip()]


class GroundingGuard:
    """Check a caption against the evidence; remove or replace what is unsupported."""

    name = "grounding"

    def __init__(self, lexicon: Lexicon | None = None, composer: Callable[[Evidence], str] = compose):
        self.lexicon = lexicon or load_lexicon()
        self.composer = composer

    def verdicts(self, caption: str, evidence: Evidence, tags: Sequence[Tag] = ()) -> list[Verdict]:
        """One verdict per concrete mention in ``caption``."""
        sup = _Support(evidence, tags, self.lexicon)
        out = []
        mentions = extract(caption, self.lexicon)
        total_ok, total_why = sup.people_count(mentions)
        counted = [m for m in mentions if m.kind == "person" and m.lemma not in _NOT_COUNTED]
        for m in mentions:
            claim = "contradicted"
            if m.kind == "thing":
                ok, why, seen = sup.thing(m)
                if ok:
                    c_ok, c_why = sup.count_ok(m, seen)
                    if not c_ok:
                        ok, why = False, c_why
                elif m.count is None or m.count <= 1:
                    claim = self._thing_claim(m)
            elif m.kind == "person":
                ok, why = sup.person(m)
                if ok and not total_ok and counted and m is counted[-1]:
                    ok, why = False, total_why  # the last-named person is the extra one
            elif m.kind == "scene":
                ok, why = sup.scene(m)
            else:
                ok, why = sup.text(m, caption)
            out.append(Verdict(m, ok, why, "supported" if ok else claim))
        return out

    def grounded_nouns(self, caption: str, evidence: Evidence, tags: Sequence[Tag] = ()) -> list[str]:
        """The things, people and scenes ``caption`` names with the evidence a hashtag needs
        (:func:`_hashtag_grade`), as lemmas in caption order: what hashtags may be made from."""
        out: dict[str, None] = {}
        for v in self.verdicts(caption, evidence, tags):
            lemma = v.mention.lemma.lower()
            if _hashtag_grade(v):
                out.setdefault(lemma, None)
            elif v.supported and v.mention.kind == "thing" and " " in lemma:
                # "tabby cat" on a weak breed reading: its head noun may still be well supported
                head = lemma.rsplit(" ", 1)[-1]
                if any(_hashtag_grade(h) for h in self.verdicts(f"A {head}.", evidence, tags)):
                    out.setdefault(head, None)
        return list(out)

    def _thing_claim(self, m: Mention) -> str:
        """contradicted when the classifier or detector would have seen it: an animal, a COCO
        class or a kind of one (any sense), or a kind some ImageNet class belongs to (the word's
        first sense); plausible otherwise (a flag, a windmill, a newspaper)."""
        lex = self.lexicon
        senses = lex.lemmas.get(m.lemma, ())
        if not senses:
            return "plausible"
        coco = [off for off in lex.coco.values() if off]
        for off in senses:
            if _ANIMAL in lex.closure(off) or any(off in lex.closure(c) for c in coco):
                return "contradicted"
        return "contradicted" if lex.imagenet_descendants(senses[0]) > 0 else "plausible"

    def check(
        self, caption: str, evidence: Evidence, tags: Sequence[Tag] = (), *, keep_plausible: bool = False
    ) -> GuardResult:
        """Remove (or, when the sentence breaks, replace) every claim the policy does not keep:
        contradicted always, plausible unless ``keep_plausible``."""
        original = caption
        verdicts = self.verdicts(caption, evidence, tags)
        bad = [v for v in verdicts if _rejected(v, keep_plausible)]
        kept = [
            f"{v.term}: plausible, kept ({v.why})"
            for v in verdicts
            if not v.supported and not _rejected(v, keep_plausible)
        ]
        if not bad:
            return GuardResult(caption, Grounding(supported=True, action="kept", reasons=kept), tuple(verdicts))
        terms = list(dict.fromkeys(v.term for v in bad))
        reasons = [f"{v.term}: {v.claim}: {v.why}" for v in bad] + kept
        edited = self._remove(caption, evidence, tags, keep_plausible)
        if edited is not None:
            return GuardResult(
                edited,
                Grounding(
                    supported=False, unsupported_terms=terms, action="removed", original=original, reasons=reasons
                ),
                tuple(verdicts),
            )
        replacement = self._grounded(evidence, tags)
        return GuardResult(
            replacement,
            Grounding(supported=False, unsupported_terms=terms, action="replaced", original=original, reasons=reasons),
            tuple(verdicts),
        )

    def _remove(
        self, caption: str, evidence: Evidence, tags: Sequence[Tag], keep_plausible: bool = False
    ) -> str | None:
        """The caption without its rejected clauses, or None when that breaks it."""
        text = caption
        for _ in range(8):
            bad = [v for v in self.verdicts(text, evidence, tags) if _rejected(v, keep_plausible)]
            if not bad:
                break
            v = bad[0]
            m = v.mention
            if m.hashtag:
                text = _tidy(text[: m.start] + text[m.end :])
                continue
            pieces = _sentences(text)
            idx = next((i for i, (s, seg) in enumerate(pieces) if s <= m.start < s + len(seg)), None)
            if idx is None:
                return None
            s0, seg = pieces[idx]
            cut = _cut(seg, m.start - s0, m.end - s0)
            if cut is None or len(_tidy(cut).split()) < 2:
                if len(pieces) == 1:
                    return None
                cut = ""  # drop the sentence whose subject is unsupported
            new_pieces = [p for _, p in pieces]
            new_pieces[idx] = (_tidy(cut) + " ") if cut.strip() else ""
            text = _tidy(" ".join(p.strip() for p in new_pieces if p.strip()))
            if not text:
                return None
        else:
            return None
        if any(_rejected(v, keep_plausible) for v in self.verdicts(text, evidence, tags)) or len(text.split()) < 2:
            return None
        if text != caption and not all(is_sentence(seg, self.lexicon) for _, seg in _sentences(text)):
            return None  # the cut left a broken sentence ("A with a built-in camera.")
        return text

    def _grounded(self, evidence: Evidence, tags: Sequence[Tag]) -> str:
        """The composer's caption, itself guarded (it too may overreach)."""
        composed = self.composer(evidence)
        if all(v.supported for v in self.verdicts(composed, evidence, tags)):
            return composed
        edited = self._remove(composed, evidence, tags)
        if edited:
            return edited
        colours = [n for n, share in evidence.stats.dominant_colours[:2] if share >= 0.12]
        return f"A photo in {' and '.join(colours)} tones" if colours else "A photo"
