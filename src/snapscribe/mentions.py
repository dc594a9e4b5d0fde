"""Find the concrete claims in a caption: things, people, places and scenery, counts,
and claims to read text ("a sign that says 'OPEN'", "license plate").

A light, rule-based chunker, enough for one- or two-sentence captions: the longest
lexicon phrase wins ("golden retriever" over "retriever"); a noun directly followed by
another noun is a modifier ("dog bed" claims a bed); negated mentions ("no people") and
composition words ("background", "view") claim nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import Lexicon

# Scenery and place words, checked by scene rules (region cues, classes, tags), not WordNet.
_SCENE_RULES = {
    "sky": "sky, skies, blue sky, open sky",
    "clouds": "cloud, clouds, cloudy, overcast, storm clouds, cloudscape",
    "sunset": "sunset, sunsets, sunrise, dusk, dawn, sundown, golden hour, twilight, evening sky, afterglow",
    "night": "night, nighttime, night sky, stars, starry sky, starry night, moonlight, city lights, milky way",
    "water": "sea, seas, ocean, oceans, waves, wave, surf, seascape, water, lake, lakes, pond, river, rivers, "
    "stream, streams, creek, waterfall, waterfalls, harbour, harbor, bay, canal, canals, lagoon, fjord, "
    "reflection, reflections, shoreline, coast, coastline, tide, splash, drop, drops, droplets, raindrops",
    "beach": "beach, beaches, shore, sand, sandy beach, seaside, dunes, dune, sand dunes",
    "grass": "grass, lawn, meadow, meadows, field, fields, pasture, grassland, prairie",
    "vegetation": "tree, trees, forest, forests, woods, woodland, foliage, leaves, leaf, branches, branch, bushes, "
    "bush, jungle, greenery, vegetation, garden, gardens, park, shrubs, hedge, moss, twig, twigs, "
    "stem, stems",
    "landscape": "landscape, landscapes",
    "mountain": "mountain, mountains, hill, hills, hillside, peak, peaks, ridge, ridges, valley, valleys, cliff, "
    "cliffs, canyon, alps, summit, rocks, boulders, mountain range, slope, slopes",
    "snow": "snow, snowy, ice, glacier, frost, winter",
    "urban": "city, cities, street, streets, road, roads, town, downtown, traffic, skyline, avenue, sidewalk, "
    "alley, village, square, plaza, highway, intersection, crosswalk, neighbourhood, neighborhood",
    "indoor": "room, kitchen, bedroom, living room, office, restaurant, cafe, café, indoors, interior, studio, "
    "shop, store, classroom, bathroom, hallway, garage, workshop, kitchen table, museum, gallery, bar",
}
# Scenery and place words, checked by scene rules (region cues, classes, tags), not WordNet.
SCENE_WORDS: dict[str, str] = {w.strip(): rule for rule, words in _SCENE_RULES.items() for w in words.split(",")}

# Words a caption uses about the picture, never claims about its content.
NON_CLAIMS = {
    "photo",
    "photograph",
    "picture",
    "image",
    "shot",
    "snapshot",
    "scene",
    "view",
    "background",
    "foreground",
    "frame",
    "composition",
    "design",
    "pattern",
    "art",
    "artwork",
    "wallpaper",
    "texture",
    "detail",
    "details",
    "close-up",
    "closeup",
    "macro",
    "light",
    "lights",
    "colour",
    "colours",
    "color",
    "colors",
    "shade",
    "shades",
    "shadow",
    "shadows",
    "top",
    "bottom",
    "centre",
    "center",
    "middle",
    "side",
    "front",
    "back",
    "line",
    "lines",
    "shape",
    "shapes",
    "curve",
    "curves",
    "layer",
    "layers",
    "band",
    "bands",
    "stripe",
    "stripes",
    "gradient",
    "gradients",
    "tone",
    "tones",
    "hue",
    "hues",
    "edge",
    "edges",
    "corner",
    "piece",
    "set",
    "figure",
    "form",
    "subject",
    "display",
    "moment",
    "day",
    "time",
    "world",
    "life",
    "nature",
    "scenery",
    "vibes",
    "beauty",
    "portrait",
    "coffee break",
    "tea time",
    "lunch break",
    "classic",
    "vintage",
    "modern",
    "antique",
    "glow",
    "sunlight",
    "sun",
    "daylight",
    "air",
    "weather",
    "mist",
    "fog",
    "haze",
    "silhouette",
    "silhouettes",
    "outline",
    "surface",
    "blur",
    "bokeh",
    "focus",
    "camera",
    "lens",
    "angle",
    "perspective",
}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple of": 2,
    "a pair of": 2,
    "both": 2,
    "several": 3,
    "many": 4,
    "a group of": 3,
    "a crowd of": 5,
    "dozens of": 12,
    "lots of": 4,
    "a few": 3,
    "few": 3,
    "a dozen": 12,
}
_NEGATIONS = {"no", "without", "not", "never", "nor", "nobody", "none", "zero", "empty", "absent"}
DETERMINERS = {
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "his",
    "her",
    "their",
    "its",
    "my",
    "our",
    "your",
    "some",
    "several",
    "many",
    "few",
    "two",
    "three",
    "four",
    "five",
    "one",
    "each",
    "every",
}
# Materials: "a stone wall", "made of glass" describe, they do not claim an object.
_MATERIALS = {
    "stone",
    "wood",
    "glass",
    "paper",
    "metal",
    "steel",
    "leather",
    "cotton",
    "wool",
    "silk",
    "lace",
    "marble",
    "concrete",
    "brass",
    "copper",
    "bronze",
    "chrome",
    "plastic",
    "straw",
    "iron",
    "gold",
    "silver",
    "velvet",
    "denim",
    "linen",
    "ceramic",
    "porcelain",
    "clay",
    "rubber",
    "wire",
}
# Nouns that are more often verbs, colours or adjectives in captions; claims only after a determiner.
_AMBIGUOUS = {
    "fly",
    "watch",
    "bow",
    "duck",
    "match",
    "bear",
    "park",
    "seal",
    "rock",
    "crane",
    "star",
    "bat",
    "tank",
    "pen",
    "iron",
    "fan",
    "jack",
    "drum",
    "plant",
    "dish",
    "orange",
    "lime",
    "lemon",
    "olive",
    "peach",
    "cherry",
    "chocolate",
    "coffee",
    "cream",
    "salmon",
    "rose",
    "violet",
    "lavender",
    "gold",
    "silver",
    "plum",
    "wine",
    "mustard",
    "mint",
    "honey",
    "ivory",
    "tan",
    "rust",
    "brick",
    "charcoal",
    "coral",
    "turquoise",
    "amber",
    "jade",
    "ruby",
    "emerald",
    "pearl",
    "sand",
    "sky",
    "stone",
    "wood",
    "glass",
    "paper",
    "metal",
    "steel",
    "leather",
    "cotton",
    "wool",
    "silk",
    "lace",
    "marble",
    "concrete",
    "brass",
    "copper",
    "bronze",
    "chrome",
    "plastic",
    "straw",
    "ice",
    "snow",
    "fire",
    "light",
    "tie",
    "can",
    "cap",
    "box",
    "lock",
    "stick",
    "spring",
    "pitcher",
    "kite",
    "mouse",
    "pot",
    "glasses",
    "cook",
    "down",
    "back",
    "top",
    "bottom",
    "bit",
    "pick",
    "lead",
    "fall",
    "rest",
    "shed",
    "dock",
    "pool",
    "trunk",
    "launch",
    "pad",
    "burn",
    "burns",
    "set",
    "sink",
    "slide",
    "swing",
    "stall",
    "stand",
    "hang",
    "guide",
    "host",
    "runner",
    "hand",
    "nurse",
    "page",
    "judge",
    "guard",
    "pilot",
    "coach",
}
_LIST_WORDS = {"with", "and", "or", "of", "by", "near", "beside", "among", "between", "like", "plus"}
_COLOURS = {
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "brown",
    "black",
    "white",
    "grey",
    "gray",
    "beige",
    "teal",
    "navy",
    "gold",
    "golden",
    "silver",
    "violet",
    "turquoise",
    "cream",
    "tan",
}

_TOKEN = re.compile(r"#\w+|\d+(?:[.,]\d+)?|[^\W\d_](?:[\w'’-]*\w)?|[\"“”‘’']|[.,;:!?()]", re.UNICODE)
_QUOTED = re.compile(r"[\"“”]([^\"“”]{1,80})[\"“”]|(?:(?<=\s)|^)[‘']([^'’]{1,80})[’'](?=[\s.,;:!?)]|$)")
_READS = re.compile(
    r"\b(?:that|which)?\s*(?:says|say|saying|reads|read|reading|spells|spelling|spelled|spelt|written|writing|"
    r"lettering|inscription|inscribed|labell?ed|titled|printed|displaying the (?:words?|text|name|number)|"
    r"with the (?:words?|text|name|number|slogan)|the (?:words?|text|slogan))\b",
    re.IGNORECASE,
)
_PLATE = re.compile(r"\b(?:licen[cs]e|number|registration|car|vehicle)\s+plates?\b|\bplate number\b", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """One claim: ``kind`` is thing | person | scene | text; ``lemma`` is what is checked."""

    text: str
    lemma: str
    kind: str
    start: int
    end: int
    count: int | None = None
    hashtag: bool = False
    quoted: str | None = None  # for text claims: the text the caption says is written


@dataclass(frozen=True)
class Token:
    text: str
    lower: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.lower[:1].isalpha() or self.lower[:1] == "#" or self.lower[:1].isdigit()


def tokenize(text: str) -> list[Token]:
    out = []
    for m in _TOKEN.finditer(text):
        raw = m.group(0)
        low = raw.lower().replace("’", "'")
        if low.endswith("'s"):
            low = low[:-2]
        out.append(Token(raw, low, m.start(), m.end()))
    return out


def _classify(phrase: str, lexicon: Lexicon) -> tuple[str, str] | None:
    """(kind, lemma) for a phrase a caption may claim, or None."""
    if phrase in NON_CLAIMS:
        return None
    if phrase in SCENE_WORDS:
        return "scene", phrase
    person = lexicon.person(phrase)
    if person is not None:
        return "person", person
    lemma = lexicon.lemma(phrase)
    if lemma is not None and lemma not in NON_CLAIMS:
        head = lemma.rsplit(" ", 1)[-1]
        if lemma in SCENE_WORDS:
            return "scene", lemma
        if " " in lemma and (head in SCENE_WORDS or phrase.rsplit(" ", 1)[-1] in SCENE_WORDS):
            return "scene", head if head in SCENE_WORDS else phrase.rsplit(" ", 1)[-1]  # "pine tree", "beach grass"
        if lemma in lexicon.people:
            return "person", lemma
        return "thing", lemma
    return None


def _match_at(tokens: list[Token], i: int, lexicon: Lexicon) -> tuple[int, str, str] | None:
    """Longest phrase starting at token ``i``: (n_tokens, kind, lemma)."""
    for n in (4, 3, 2, 1):
        if i + n > len(tokens):
            continue
        span = tokens[i : i + n]
        if not all(t.is_word and not t.lower.startswith("#") for t in span):
            continue
        hit = _classify(" ".join(t.lower for t in span), lexicon)
        if hit:
            return n, hit[0], hit[1]
    return None


def _count_before(tokens: list[Token], i: int) -> int | None:
    """A number claimed just before token ``i`` ("two dogs", "a group of people"); not a model
    number ("Falcon 9 rocket", "Boeing 747")."""
    window = tokens[max(0, i - 4) : i]
    words = [t.lower for t in window]
    for n in (3, 2, 1):
        if len(words) >= n:
            phrase = " ".join(words[-n:])
            if phrase in _NUMBER_WORDS:
                return _NUMBER_WORDS[phrase]
    # skip up to two adjectives: "two small dogs", "three happy little kids"
    for k in (1, 2, 3):
        if len(words) < k:
            break
        w = words[-k]
        if w in _NUMBER_WORDS:
            return _NUMBER_WORDS[w]
        if w.isdigit():
            named = len(window) > k and window[-k - 1].text[:1].isupper()
            return int(w) if 1 < int(w) < 1000 and not named else None
    return None


def _negated(tokens: list[Token], i: int) -> bool:
    before = [t.lower for t in tokens[max(0, i - 3) : i]]
    return any(w in _NEGATIONS for w in before)


def text_claims(caption: str) -> list[Mention]:
    """Claims to read text: quoted strings, "says/reads ...", license plates."""
    out: list[Mention] = []
    for m in _QUOTED.finditer(caption):
        quoted = (m.group(1) or m.group(2) or "").strip()
        if quoted:
            out.append(Mention(m.group(0), "text", "text", m.start(), m.end(), quoted=quoted))
    for m in _READS.finditer(caption):
        if not any(o.start <= m.start() < o.end for o in out):
            out.append(Mention(m.group(0).strip(), "text", "text", m.start(), m.end()))
    for m in _PLATE.finditer(caption):
        out.append(Mention(m.group(0), "license plate", "text", m.start(), m.end()))
    return sorted(out, key=lambda x: x.start)


def extract(caption: str, lexicon: Lexicon) -> list[Mention]:
    """Every concrete claim in ``caption``, in order."""
    tokens = tokenize(caption)
    words = [t for t in tokens if t.lower[:1].isalpha()]
    # Title Case captions capitalise every word; otherwise a capitalised word mid-sentence is a name.
    proper = sum(1 for t in words if t.text[:1].isupper()) <= 0.5 * max(1, len(words))
    out: list[Mention] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.lower.startswith("#"):
            body = tok.lower[1:]
            hit = _classify(body, lexicon)
            if hit:
                out.append(Mention(tok.text, hit[1], hit[0], tok.start, tok.end, hashtag=True))
            i += 1
            continue
        if not tok.is_word:
            i += 1
            continue
        found = _match_at(tokens, i, lexicon)
        if found is None:
            i += 1
            continue
        n, kind, lemma = found
        end_tok = tokens[i + n - 1]
        nxt = tokens[i + n] if i + n < len(tokens) else None
        prev = tokens[i - 1].lower if i > 0 else ""
        skip = False
        if nxt is not None and nxt.is_word and not nxt.lower.startswith("#") and kind != "person":
            follow = _match_at(tokens, i + n, lexicon)
            verbish = nxt.lower in _AMBIGUOUS or (follow is not None and follow[2] in _AMBIGUOUS)
            if follow is not None and follow[1] != "person" and not verbish:
                skip = True  # a modifier: "dog bed", "beach towel", "orange flower"
            elif nxt.lower in NON_CLAIMS and kind == "thing" and nxt.lower not in ("view", "scene"):
                skip = True  # "bird figurine"-like compounds with a composition head: "coffee colour"
        if (
            n == 1
            and (tok.lower in _AMBIGUOUS or lemma in _AMBIGUOUS)
            and (
                prev not in DETERMINERS
                and not prev.isdigit()
                and not (prev == "of" and lemma not in _MATERIALS)
                and not (prev in _LIST_WORDS and _is_plural(tok.lower, lemma))
            )
        ):
            skip = True
        if nxt is not None and nxt.lower[:1].isdigit() and kind == "thing":
            skip = True  # a model name: "Falcon 9", "Boeing 747"
        if proper and tok.text[:1].isupper() and not _sentence_start(tokens, i) and kind != "person":
            skip = True  # a name: "Summer Palace", "Yamaha", "Picos de Europa"
        if n == 1 and tok.lower in _MATERIALS and prev not in ("a", "an"):
            skip = True
        if tok.lower in _COLOURS and n == 1:
            skip = True
        if not skip and _negated(tokens, i):
            skip = True
        if not skip:
            out.append(
                Mention(
                    caption[tok.start : end_tok.end],
                    lemma,
                    kind,
                    tok.start,
                    end_tok.end,
                    count=_count_before(tokens, i),
                )
            )
        i += n
    out.extend(text_claims(caption))
    return sorted(out, key=lambda m: m.start)


def _sentence_start(tokens: list[Token], i: int) -> bool:
    return i == 0 or tokens[i - 1].lower in (".", "!", "?", ":", '"', "“", "(")


def _is_plural(word: str, lemma: str) -> bool:
    return word != lemma and word.endswith("s")
