"""Hashtags people search for, from the grounded tags.

Every hashtag comes from a tag the evidence supports, through one readable table
(``data/hashtags.tsv``: concept -> the specific hashtag, then the community tag people follow,
e.g. cat -> #cat #catsofinstagram). What is left out, and why, is decided here in one place:

* colour and mood words (#beige, #happy) — nobody follows them, and moods are not evidence;
  the one salient colour fact, a greyscale photo, arrives as the tagger's "black and white" tag
  and becomes #blackandwhite #bnw;
* fine-grained guesses (breeds, species: words the classifier names but the table does not
  know) below ``caption.fine_grained_floor``;
* anything on the blocklist (``data/hashtag_blocklist.txt`` plus ``caption.hashtag_blocklist``:
  engagement bait, spam, unsafe searches), and, when ``caption.hashtag_allowlist`` is set,
  anything not on it;
* generic filler (#photography, #photooftheday) ranks last: when the grounded tags give fewer
  than ``caption.min_hashtags``, the broad community tags of the image's kind or subject family
  (:data:`BROAD`, rows of the same table) fill up, and for a photo only then the generic
  photo-sharing tags (the filler the quality target caps at 10%).

:func:`is_filler` is the one definition of a colour or filler hashtag (what the quality
measurement counts). A caption written by an engine (the VLM) gives hashtags from the nouns the
grounding guard found supported in it (:meth:`HashtagPolicy.noun_tags`), first, through the
same table and rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .attributes import COLOUR_NAMES
from .caption import compose_with_rule
from .config import CaptionConfig
from .evidence import Evidence
from .records import Tag
from .taxonomy import VocabularyTag
from .taxonomy import default_hashtag as clean

# Vocabulary kinds that never become hashtags on their own (see the module docstring).
_NEVER = frozenset({"colour", "mood"})
# Style words that are filler on their own; the others in the vocabulary's "style" kind
# (abstract, black and white, macro, ...) describe what the image is and stay.
_FILLER_STYLES = frozenset({"colourful", "minimal", "pastel", "moody", "hdr", "wallpaper", "gradient"})
# A community tag ranks below every concept's own hashtag of similar strength.
_COMMUNITY_WEIGHT = 0.8
# Hashtags that say nothing about the image: generic photo-sharing filler.
_GENERIC_FILLER = frozenset(
    {"photography", "photo", "photooftheday", "picoftheday", "instagood", "colorful", "colourful"}
)
# Broad community concepts (rows of data/hashtags.tsv) that fill up to caption.min_hashtags when
# the grounded tags give fewer: keyed by the composer rule when it names the image kind, else by
# the subject family (caption_options.family). A photo's last resort is the generic photo-sharing
# row ("photo sharing": #photography #photooftheday), the only filler ever emitted (is_filler counts
# it); put those tags on caption.hashtag_blocklist to get fewer hashtags instead.
PHOTO_FILL = "photo sharing"
BROAD: dict[str, tuple[str, ...]] = {
    "painting": ("painting", "art"),
    "drawing": ("drawing", "art"),
    "rendered_subject": ("illustration",),
    "abstract": ("abstract",),
    "screenshot": ("screenshot",),
    "chart": ("chart",),
    "text_graphic": ("text graphic",),
    "people": ("people", PHOTO_FILL),
    "pets": ("pet", PHOTO_FILL),
    "food": ("food", PHOTO_FILL),
    "travel": ("travel", PHOTO_FILL),
    "nature": ("nature", PHOTO_FILL),
    "city": ("city", PHOTO_FILL),
    "art": ("art", "illustration"),
    "text": ("text graphic",),
    "generic": (PHOTO_FILL,),
}
# The score of a word of the composer's sentence the table knows: a stated fact, ranked with sure tags.
_COMPOSER_SCORE = 0.9
# A scene concept the probe holds (concepts.py: a room, a street, mountains) beside the named subject
# gives its hashtags at this share of its probability: below the subject's own, above the fill.
_CONCEPT_WEIGHT = 0.8
# Held concepts that give hashtags only as the subject itself: beside a named subject they are the probe
# reading the subject (an astronaut's suit is not #astrophotography).
_SUBJECT_ONLY_CONCEPTS = frozenset({"space"})
# Tags a sure image kind (the composer rule that names it) makes wrong as hashtags: the tagger's
# "abstract" is the rendered-image probability, so on a screenshot, chart or drawing it would
# post #abstractart where the kind's own tags (BROAD) say what the image is.
SUPERSEDED_BY_KIND: dict[str, frozenset[str]] = {
    kind: frozenset({"abstract"})
    for kind in ("painting", "drawing", "rendered_subject", "screenshot", "chart", "text_graphic")
}
# The score a caption noun the table or vocabulary knows gets: above every tag, so the hashtags
# of what the caption talks about come first.
_NOUN_SCORE = 1.0


@lru_cache(maxsize=1)
def concept_table() -> dict[str, tuple[str, ...]]:
    """``data/hashtags.tsv``: concept -> hashtags, most specific first."""
    text = resources.files("snapscribe").joinpath("data/hashtags.tsv").read_text(encoding="utf-8")
    table: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("concept\t"):
            continue
        concept, _, tags = line.partition("\t")
        table[concept.strip().lower()] = tuple(clean(t) for t in tags.split() if clean(t))
    return table


@lru_cache(maxsize=1)
def default_blocklist() -> frozenset[str]:
    text = resources.files("snapscribe").joinpath("data/hashtag_blocklist.txt").read_text(encoding="utf-8")
    return frozenset(clean(w) for w in text.splitlines() if w.strip() and not w.startswith("#"))


def is_filler(hashtag: str, vocabulary: Iterable[VocabularyTag] = ()) -> bool:
    """Filler: a hashtag that names no subject, place, kind or style of the image — a colour
    (#beige, #lightblue), a mood (#happy), a filler style (#colourful, #minimal, #wallpaper) or
    generic photo-sharing filler (#photography, #photooftheday). #blackandwhite (a greyscale
    photo) and the broad community tags of a kind or family (#nature, #art) are not filler."""
    words = {clean(v.hashtag or v.tag) for v in vocabulary if v.kind in _NEVER or v.tag in _FILLER_STYLES}
    words |= {clean(c) for c in COLOUR_NAMES} | {clean(w) for w in _FILLER_STYLES}
    return hashtag in words | _GENERIC_FILLER


def for_kind(tags: Sequence[Tag], rule: str | None) -> list[Tag]:
    """``tags`` without those the image's kind supersedes (:data:`SUPERSEDED_BY_KIND`)."""
    drop = SUPERSEDED_BY_KIND.get(rule or "", frozenset())
    return [t for t in tags if t.label.lower() not in drop]


def fact_tags(ev: Evidence) -> list[Tag]:
    """Tags from facts the evidence holds beyond the tagger's: the words of the composer's own sentence
    that the table knows (every one grounded by construction: "A portrait of a person" → portrait,
    "A screenshot" → screenshot, "Lush green plants" → plant; quoted OCR text is not read), and
    every scene concept the probe holds (the tagger names only the one that became the subject), so
    a portrait in a room also gets #interiordesign."""
    text = re.sub(r'["“][^"”]*["”]', " ", compose_with_rule(ev)[0]).lower()
    table = concept_table()
    out = []
    for word in dict.fromkeys(re.findall(r"[a-z]+", text)):
        concept = word if word in table else word[:-1] if word.endswith("s") and word[:-1] in table else None
        if concept is not None:
            out.append(Tag(label=concept, score=_COMPOSER_SCORE))
    subject = ev.main.noun if ev.main is not None else None
    held = [(n, p) for n, p in ev.concepts.scores if n not in _SUBJECT_ONLY_CONCEPTS or n == subject]
    return out + [Tag(label=name, score=round(p * _CONCEPT_WEIGHT, 3)) for name, p in held]


def broad_concepts(rule: str | None, family: str) -> tuple[str, ...]:
    """The broad concepts that may fill up an image's hashtags (:data:`BROAD`)."""
    return BROAD.get(rule or "", ()) or BROAD.get(family, ())


@dataclass(frozen=True)
class HashtagPolicy:
    """Turns ranked tags into ranked hashtags under the caption config's rules."""

    cfg: CaptionConfig
    vocabulary: dict[str, VocabularyTag]

    @classmethod
    def build(cls, cfg: CaptionConfig, vocabulary: Sequence[VocabularyTag]) -> HashtagPolicy:
        by_word: dict[str, VocabularyTag] = {}
        for v in vocabulary:
            for word in (v.tag, *v.aliases):
                by_word.setdefault(word.lower(), v)
        return cls(cfg, by_word)

    def _blocked(self, hashtag: str) -> bool:
        if hashtag in default_blocklist() or hashtag in {clean(w) for w in self.cfg.hashtag_blocklist}:
            return True
        allow = {clean(w) for w in self.cfg.hashtag_allowlist}
        return bool(allow) and hashtag not in allow

    def candidates(self, tag: Tag) -> list[tuple[str, float]]:
        """The hashtags one tag may give, with their ranking scores (empty when it gives none)."""
        label = tag.label.lower()
        entry = self.vocabulary.get(label)
        if label in COLOUR_NAMES:
            return []
        if entry is not None and (entry.kind in _NEVER or entry.tag in _FILLER_STYLES):
            return []
        table = concept_table()
        tags = table.get(label) or (table.get(entry.tag) if entry else None)
        if tags is None:
            if entry is None and tag.score < self.cfg.fine_grained_floor:
                return []  # a breed or species the classifier guessed, not sure enough to post
            tags = (clean(entry.hashtag or entry.tag) if entry else clean(label),)
        return [(h, tag.score * (1.0 if i == 0 else _COMMUNITY_WEIGHT)) for i, h in enumerate(tags) if h]

    def noun_tags(self, nouns: Sequence[str], tags: Sequence[Tag]) -> list[Tag]:
        """Tags for the grounded nouns of an engine's caption, to rank first: a noun the table or
        vocabulary knows scores :data:`_NOUN_SCORE`; another (a breed, a species: "tabby cat")
        keeps the score of the tag with its name, so it meets the fine-grained floor like any
        tag, and its head noun ("cat"), when known, stands in for it."""
        by_label = {t.label.lower(): t.score for t in tags}
        out = []
        for noun in nouns:
            if self._known(noun):
                out.append(Tag(label=noun, score=_NOUN_SCORE))
                continue
            if by_label.get(noun, 0.0) > 0:
                out.append(Tag(label=noun, score=by_label[noun]))
            head = noun.rsplit(" ", 1)[-1]
            if head != noun and self._known(head):
                out.append(Tag(label=head, score=_NOUN_SCORE))
        return out

    def _known(self, word: str) -> bool:
        return word in concept_table() or word in self.vocabulary

    def choose(self, tags: Sequence[Tag], *, broad: Sequence[str] = ()) -> list[str]:
        """Ranked, unique hashtags (without '#'), at most ``max_hashtags``; ``broad`` concepts
        (the image's kind or family) fill up to ``min_hashtags`` when the tags give too few."""
        scored: dict[str, float] = {}
        for tag in tags:
            if tag.score < self.cfg.min_hashtag_score:
                continue
            for hashtag, score in self.candidates(tag):
                if not self._blocked(hashtag):
                    scored[hashtag] = max(scored.get(hashtag, 0.0), score)
        ranked = sorted(scored, key=lambda h: scored[h], reverse=True)[: self.cfg.max_hashtags]
        fill = [h for concept in broad for h in concept_table().get(concept, (clean(concept),))]
        for hashtag in dict.fromkeys(fill):
            if len(ranked) >= self.cfg.min_hashtags:
                break
            if hashtag and hashtag not in ranked and not self._blocked(hashtag):
                ranked.append(hashtag)
        return ranked[: self.cfg.max_hashtags]
