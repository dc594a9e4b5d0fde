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
}


def is_plural(phrase: str) -> bool:
    """Whether the phrase's head noun (its last word) is a plural: "cliffs", "sea creatures"."""
    last = phrase.lower().split()[-1] if phrase.split() else ""
    if len(last) <= 3 or not last.endswith("s") or last.endswith(("ss", "us", "is")):
        return last in load_lexicon().plurals
    lemma = load_lexicon().lemma(last)
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
