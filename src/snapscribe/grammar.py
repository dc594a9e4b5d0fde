"""English articles for caption noun phrases: "a rabbit", "an owl", "an hour", "a unicorn", "cliffs"."""

from __future__ import annotations

from .lexicon import load_lexicon

# Spelling and sound disagree at the start of these words.
_AN_BEFORE_CONSONANT = ("hour", "honest", "honour", "honor", "heir")
_A_BEFORE_VOWEL = ("uni", "use", "usu", "uten", "eu", "ewe", "one", "once", "ufo", "ure", "uro")
# Mass nouns and plurals-only nouns take no article.
_NO_ARTICLE = {
    "food",
    "grass",
    "coffee",
    "fruit",
    "furniture",
    "water",
    "sand",
    "snow",
    "art",
    "clothing",
    "jeans",
    "sunglasses",
    "scissors",
    "binoculars",
    "stairs",
    "aircraft",
    "fish",
    "sheep",
    "deer",
    "space",
}
# Openers that make a phrase plural ("two people", "several cups").
_PLURAL_OPENERS = frozenset(
    {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "several", "many", "some", "few"}
)
# Openers of a singular phrase ("a cat", "this view").
_SINGULAR_OPENERS = frozenset({"a", "an", "one", "this", "that"})
# Words that already open a noun phrase with its determiner or count ("two people", "the sea").
_OPENERS = (
    _PLURAL_OPENERS
    | _SINGULAR_OPENERS
    | {"the", "these", "those", "no", "its", "his", "her", "their", "our", "my", "your"}
)
# Plurals without an -s that the lexicon's plural table does not hold; a bare "sheep" or "fish" (no article:
# the composer names a herd or a shoal so) is one too.
_IRREGULAR_PLURALS = frozenset(
    {"people", "men", "women", "children", "teeth", "feet", "mice", "geese", "cattle", "sheep", "deer", "fish"}
)
# Words after which a noun phrase's head has ended ("landscape under a clear sky": landscape).
_PREPOSITIONS = frozenset(
    {"of", "with", "under", "at", "in", "on", "by", "against", "over", "near", "from", "beside", "behind", "through"}
)


def is_plural(phrase: str) -> bool:
    """Whether the phrase's head noun (its last word) is a plural: "cliffs", "sea creatures"."""
    last = phrase.lower().split()[-1] if phrase.split() else ""
    if len(last) <= 3 or not last.endswith("s") or last.endswith(("ss", "us", "is")):
        return last in load_lexicon().plurals
    lex = load_lexicon()
    lemma = lex.lemma(last)
    if lemma == last:  # a plural can be a lemma of its own ("berries", "glasses"): is it also a plural of one?
        lemma = lex.singular(last) or last
    return (lemma is not None and lemma != last) or (lemma is None and not last.endswith("ous"))


def article(phrase: str) -> str:
    """``phrase`` with the indefinite article it needs (none for plurals and mass nouns)."""
    head = phrase.lower()
    if not head or (head.split()[-1] in _NO_ARTICLE and len(head.split()) == 1) or is_plural(phrase):
        return phrase
    if head.startswith(_AN_BEFORE_CONSONANT):
        return "an " + phrase
    if head.startswith(_A_BEFORE_VOWEL):
        return "a " + phrase
    return ("an " if head[0] in "aeiou" else "a ") + phrase


def _head_end(words: list[str]) -> int:
    """Where a noun phrase's head ends: before its first preposition ("landscape | under a clear sky")."""
    return next((i for i, w in enumerate(words) if i and w.lower() in _PREPOSITIONS), len(words))


def with_article(phrase: str) -> str:
    """A caption phrase that may stand after a frame ("Presenting …"): a bare singular head noun gets its
    article ("abstract blue pattern" → "an abstract blue pattern", "landscape under a clear sky" →
    "a landscape under …"); a phrase with its own determiner or count, a plural, a mass noun, a quote
    a proper name or a sentence with its own frame ("Beautiful sunset: …") stays as it is."""
    words = phrase.split()
    if not words or ":" in phrase or words[0].lower() in _OPENERS or not words[0][0].isalpha() or words[0][0].isupper():
        return phrase
    end = _head_end(words)
    head = " ".join(words[:end])
    if words[end - 1].lower() in _NO_ARTICLE:
        return phrase
    with_it = article(head)
    return phrase if with_it == head else with_it[: len(with_it) - len(head)] + phrase


def plural_phrase(phrase: str) -> bool:
    """Whether a caption phrase takes a plural verb: "two people", "flowers", "mountains at sunset" do;
    "a group of people", "outer space", "a cat" do not."""
    words = phrase.lower().split()
    if not words or words[0] in _SINGULAR_OPENERS:
        return False
    if words[0] in _PLURAL_OPENERS:
        return True
    head = words[_head_end(words) - 1].strip(".,!?:;")
    return head in _IRREGULAR_PLURALS or is_plural(head)
