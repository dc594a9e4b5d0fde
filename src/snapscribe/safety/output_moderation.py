"""Output moderation: what any engine writes is untrusted until it passes here.

Every caption, caption option, alt text and hashtag goes through :func:`moderate` before it
is stored, whichever engine wrote it (composer, polish LLM, remote VLM). A *finding* is one
match of a rule in :data:`RULES` (URLs, e-mail addresses, phone numbers, street addresses,
licence plates, profanity and slurs, instructions aimed at the reader or a model, prompt
leakage, an echo of OCR text the injection detector flagged). What happens to it depends on
the field:

* ``caption`` / ``option``: the sentence holding a finding is dropped; nothing left means the
  text is rejected (``text=None``) and the caller falls back to the grounded caption.
* ``alt``: personal data and URLs are replaced by "text in the image"; any other finding
  drops its sentence.
* ``hashtag``: a tag with any finding is dropped.

The word list is ``data/moderation_words.txt`` (provenance and licence in its header).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

from .injection import detect_injection

Field = Literal["caption", "option", "alt", "hashtag"]
ALT_PLACEHOLDER = "text in the image"

_TLDS = (
    "com|net|org|io|co|ai|app|dev|xyz|info|biz|me|ly|gg|tv|us|uk|de|fr|es|pt|br|ru|cn|in|example|online|site|"
    "shop|store|click|link|top|win|club|live|pro|fun|vip|icu|zip|mov|crypto|eth|onion|to|cc|ws|tk|ml|ga|cf"
)
_URL = re.compile(
    r"(?:https?://|hxxps?://|www\.)\S+"
    r"|\b[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\s?(?:\.|\[\.\]|\(dot\)|\[dot\]|\bdot\b)\s?"
    r"[a-z0-9-]{1,63}){0,3}\s?(?:\.|\[\.\]|\(dot\)|\[dot\]|\bdot\b)\s?(?:" + _TLDS + r")\b(?:/\S*)?"
    r"|\b(?:bit\.ly|t\.me|wa\.me|discord\.gg)/\S+",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"[\w.+-]+\s?(?:@|\(at\)|\[at\]|\bat\b)\s?[\w-]+\s?(?:\.|\(dot\)|\[dot\]|\bdot\b)\s?[a-z]{2,}", re.IGNORECASE
)
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?(?![\w@])")
_EMAIL_STRICT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w.])(?:\+|00)?\(?\d[\d\s().\-/]{5,}\d(?![\w])")
_PHONE_WORDS = re.compile(
    r"\b(?:call|text|whatsapp|phone|tel|telephone|mobile|ring)\b[:\s]*(?:us|me|now)?[:\s]*"
    r"\+?\d[\d\s().\-]{3,}\d",
    re.IGNORECASE,
)
_STREET = (
    r"Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Lane|Ln\.?|Drive|Dr\.?|Way|Court|Ct\.?|"
    r"Place|Pl\.?|Terrace|Square|Sq\.?|Highway|Hwy\.?|Parkway|Close|Crescent|Strasse|Straße|Str\.|Gasse|"
    r"Weg|Platz"
)
_ADDRESS = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){1,3}(?:" + _STREET + r")(?![\w])"
    r"|\b(?:Calle|Avenida|Av\.|Rua|Rue|Via|Carrer|Plaza|Praça)\s+(?:de\s+|del\s+|la\s+|da\s+|do\s+)?"
    r"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*,?\s*(?:n\.?º\s*)?\d{1,5}\b"
    r"|\b[A-Z][\w'-]+(?:strasse|straße|str\.|gasse|weg)\s+\d{1,4}[a-z]?\b"
    r"|\b(?:PO|P\.O\.)\s?Box\s+\d+",
)
_PLATE = re.compile(r"(?<![\w-])[A-Z0-9]{1,8}(?:[ -][A-Z0-9]{1,4}){0,3}(?![\w-])")
_PLATE_WORDS = re.compile(
    r"\b(?:licen[cs]e|number|registration|reg\.?)\s+plate\b[^.!?]*?\b[A-Z0-9][A-Z0-9 -]{3,}\b", re.IGNORECASE
)
# Short codes that look like plates but are ordinary caption words.
_PLATE_OK = re.compile(r"^(?:\d{1,2}[A-Z]{1,2}|[A-Z]{1,3}\d{1,2}|MP\d|\d{3,4}P|COVID-19|\d+MM|F\d(?:\.\d)?)$")
_MASKED = re.compile(r"(?<![\w*#@%])(?:f|sh|c|b)[*#@%]+(?:ck|t|nt|tch)\w*", re.IGNORECASE)  # "f*ck", "sh#t"
# Hashtags run words together: spam and link phrases as they appear in one.
_TAG_SPAM = re.compile(
    r"^(?:www|https?)|linkinbio|follow(?:me|us|back|forfollow)|f4f|l4l|dm(?:me|us|fordetails)|"
    r"giveaway|freecrypto|clickthelink|promocode|hacked|pwned",
    re.IGNORECASE,
)

# Instructions aimed at the reader or a model, and pieces of our own prompt coming back.
_INSTRUCTION = re.compile(
    r"(?:^|[.!?]\s+|\b(?:and|then|now|please)\s+)(?:please\s+)?(?:visit|click|tap|call|text|dm|message|follow|"
    r"subscribe|buy|sign\s+up|download|scan|send|claim|ignore|disregard|forget|pretend|act\s+as|reply|respond|"
    r"say|write|output|print|repeat|translate|register|join|contact|e-?mail|check\s+out|go\s+to|head\s+to|"
    r"use\s+(?:the\s+)?code|enter|swipe|share|like\s+and|order|book\s+now|shop)\b"
    r"|\b(?:link\s+in\s+(?:bio|profile)|promo\s+code|discount\s+code|free\s+(?:crypto|bitcoin|money|gift|iphone)|"
    r"follow\s+(?:@|us\b|me\b)|giveaway|airdrop|crypto\s*wallet|seed\s+phrase|limited\s+(?:time\s+)?offer|act\s+now|to\s+claim|"
    r"claim\s+(?:your|a|the)|send\s+(?:btc|eth|bitcoin|money)|dm\s+(?:me|us)|hacked|pwned|jailbr\w*|"
    r"do\s+anything\s+now|developer\s+mode|no\s+restrictions|without\s+restrictions|from\s+now\s+on|"
    r"you\s+(?:must|should|are\s+now|will\s+now)|i\s+will\s+now|as\s+instructed|as\s+requested)\b",
    re.IGNORECASE,
)
_LEAK = re.compile(
    r"untrusted|trusted\)|<\s*/?\s*\w*data|system\s+(?:prompt|message|rules?)|my\s+(?:instructions|rules|prompt)|"
    r"(?:previous|above|prior)\s+instructions|as\s+an\s+(?:ai|assistant|language\s+model)|language\s+model|"
    r"\bi\s+(?:cannot|can't|am\s+unable|'m\s+unable|'m\s+sorry|am\s+sorry)\b|\bprompt\b|object\s+models|"
    r"social-media\s+caption|json\s+string|clearly\s+visible|do\s+not\s+follow|never\s+instructions|"
    r"under\s+25\s+words|detected\s+by\s+our",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
_PERSONAL = {"url", "email", "phone", "address", "plate", "handle"}  # replaced by ALT_PLACEHOLDER in alt text
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_STOP = {
    "the",
    "and",
    "with",
    "this",
    "that",
    "from",
    "your",
    "you",
    "for",
    "are",
    "was",
    "not",
    "all",
    "any",
    "its",
    "our",
    "into",
    "onto",
    "over",
    "under",
    "what",
    "when",
    "then",
    "than",
    "them",
    "they",
    "have",
    "has",
    "had",
    "will",
    "just",
    "only",
    "about",
    "image",
    "photo",
    "picture",
    "text",
    "sign",
    "reads",
    "reading",
    "says",
    "saying",
    "words",
    "written",
    "letters",
    "there",
    "here",
    "some",
    "very",
}


@dataclass(frozen=True)
class Finding:
    """One rule match: ``kind`` names the rule, ``span`` the matched text."""

    kind: str
    span: str


@dataclass(frozen=True)
class Moderated:
    """The text after moderation (None: rejected, use the fallback) and what was found."""

    text: str | None
    findings: tuple[Finding, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.findings)

    @property
    def reasons(self) -> list[str]:
        return list(dict.fromkeys(f.kind for f in self.findings))


_LEET_MAP: dict[str, str | int | None] = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "@": "a",
    "$": "s",
    "!": "i",
    "ß": "ss",
}
_LEET = str.maketrans(_LEET_MAP)


@lru_cache(maxsize=1)
def _word_pattern() -> re.Pattern[str]:
    raw = resources.files("snapscribe.data").joinpath("moderation_words.txt").read_text(encoding="utf-8")
    alts = []
    for line in raw.splitlines():
        entry = line.split("#", 1)[0].strip().lower()
        if not entry:
            continue
        star = entry.endswith("*")
        body = re.escape(_fold(entry.rstrip("*"))).replace(r"\ ", r"[\s_-]*")
        alts.append(body + (r"\w*" if star else ""))
    alts.sort(key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alts) + r")(?![^\W_])")


def _fold(text: str) -> str:
    """Lower case, accents dropped, leetspeak digits read as letters (for the word list only)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return text.translate(_LEET)


def _flagged_terms(flagged: str | None, allowed: Iterable[str]) -> tuple[set[str], set[tuple[str, ...]]]:
    """Distinctive words and word trigrams of flagged OCR text (minus what the evidence supports)."""
    if not flagged:
        return set(), set()
    ok = {a.lower() for a in allowed}
    words = [w.lower() for w in _WORD.findall(flagged)]
    singles = {w for w in words if len(w) >= 4 and w not in _STOP and w not in ok}
    grams = {tuple(words[i : i + 3]) for i in range(len(words) - 2)}
    return singles, grams


def findings(text: str, *, flagged_text: str | None = None, allowed: Iterable[str] = ()) -> list[Finding]:
    """Every rule match in ``text``."""
    out: list[Finding] = []
    if not text:
        return out
    for kind, rx in (
        ("url", _URL),
        ("email", _EMAIL_STRICT),
        ("email", _EMAIL),
        ("address", _ADDRESS),
        ("handle", _HANDLE),
    ):
        for m in rx.finditer(text):
            if (
                kind == "email"
                and not re.search(r"@|\(at\)|\[at\]", m.group(0))
                and not re.search(r"\bdot\b", m.group(0), re.IGNORECASE)
            ):
                continue  # "a cat at home": the spoken form needs "at" and "dot"
            out.append(Finding(kind, m.group(0)))
    for rx in (_PHONE_WORDS, _PHONE):
        for m in rx.finditer(text):
            digits = sum(c.isdigit() for c in m.group(0))
            if digits >= 7 or (rx is _PHONE_WORDS and digits >= 5):
                out.append(Finding("phone", m.group(0).strip()))
    for m in _PLATE.finditer(text):
        if _is_plate(m.group(0)):
            out.append(Finding("plate", m.group(0)))
    for m in _MASKED.finditer(text):
        out.append(Finding("profanity", m.group(0)))
    for m in _PLATE_WORDS.finditer(text):
        out.append(Finding("plate", m.group(0)))
    for m in _word_pattern().finditer(_fold(text)):
        out.append(Finding("profanity", m.group(0)))
    for m in _INSTRUCTION.finditer(text):
        out.append(Finding("instruction", m.group(0).strip(" .!?")))
    for m in _LEAK.finditer(text):
        out.append(Finding("leak", m.group(0)))
    # The explainable rules only: the learned scorer is fitted to OCR text, and on short captions
    # ("An illustration in red and yellow tones") it fires where no instruction is.
    if detect_injection(text, model=False).detected:
        out.append(Finding("instruction", "injection detector"))
    singles, grams = _flagged_terms(flagged_text, allowed)
    if singles or grams:
        words = [w.lower() for w in _WORD.findall(text)]
        echoed = sorted({w for w in words if w in singles})
        echoed += [" ".join(words[i : i + 3]) for i in range(len(words) - 2) if tuple(words[i : i + 3]) in grams]
        out += [Finding("ocr_echo", e) for e in echoed]
    return out


def _is_plate(span: str) -> bool:
    """Letter and digit groups shaped like a registration plate ("KX-5521", "LK19 XMR", "7ABC123"),
    not a sign's words ("OPEN 24", "ROUTE 66", "BUS 42") or a code like "COVID-19"."""
    groups = re.split(r"[ -]", span)
    chars = "".join(groups)
    letters, digits = sum(c.isalpha() for c in chars), sum(c.isdigit() for c in chars)
    if not 5 <= len(chars) <= 10 or letters < 1 or digits < 2 or _PLATE_OK.match(span):
        return False
    if any(g.isalpha() and len(g) > 3 for g in groups):
        return False
    mixed = any(any(c.isalpha() for c in g) and any(c.isdigit() for c in g) for g in groups)
    return mixed or (digits >= 3 and letters >= 2)


def _sentences(text: str) -> list[str]:
    # Keep dots inside URLs, e-mails, numbers and abbreviations with the sentence they belong to.
    protected = re.sub(r"(?<=\w)\.(?=\w)", "\u2024", text)
    return [s.replace("\u2024", ".").strip() for s in _SENTENCE.findall(protected) if s.strip()]


def moderate(
    text: str | None, field: Field = "caption", *, flagged_text: str | None = None, allowed: Iterable[str] = ()
) -> Moderated:
    """Moderate one output (see the module docstring for what each ``field`` does)."""
    if not text or not text.strip():
        return Moderated(text)
    allowed = tuple(allowed)
    found = findings(text, flagged_text=flagged_text, allowed=allowed)
    if not found:
        return Moderated(text)
    if field == "hashtag":
        return Moderated(None, tuple(found))
    kept: list[str] = []
    for sentence in _sentences(text):
        here = findings(sentence, flagged_text=flagged_text, allowed=allowed)
        if not here:
            kept.append(sentence)
            continue
        if field == "alt" and all(f.kind in _PERSONAL for f in here):
            for f in sorted(here, key=lambda f: -len(f.span)):
                sentence = sentence.replace(f.span, ALT_PLACEHOLDER)
            if not findings(sentence, flagged_text=flagged_text, allowed=allowed):
                kept.append(sentence)
    result = " ".join(kept).strip()
    if not result or len(_WORD.findall(result)) < 2:
        return Moderated(None, tuple(found))
    if result[-1] not in ".!?" and text.rstrip()[-1:] in ".!?":
        result += "."
    return Moderated(result, tuple(found))


def moderate_tags(
    tags: Sequence[str], *, flagged_text: str | None = None, allowed: Iterable[str] = ()
) -> tuple[list[str], list[Finding]]:
    """The hashtags that pass, and the findings of those dropped."""
    allowed = tuple(allowed)
    kept, dropped = [], []
    for tag in tags:
        # "#freecryptoexample" and "#call5551234" are read as words: split camel case and digits.
        spaced = re.sub(r"(?<=[a-z])(?=[A-Z0-9])|(?<=\d)(?=[A-Za-z])", " ", tag.lstrip("#"))
        res = moderate(spaced, "hashtag", flagged_text=flagged_text, allowed=allowed)
        joined = findings(tag.lstrip("#"), flagged_text=flagged_text, allowed=allowed)
        joined += [Finding("instruction", m.group(0)) for m in _TAG_SPAM.finditer(tag.lstrip("#"))]
        if res.text is None or joined:
            dropped += list(res.findings) + joined
        else:
            kept.append(tag)
    return kept, dropped
