"""CLIP (transformers ``CLIPModel``) for zero-shot tags and search embeddings.

Loaded from a local folder only (``clip.model_path``: ``config.json``, the weights and
the tokenizer files, as ``save_pretrained`` writes them, e.g. a copy of
``openai/clip-vit-base-patch32``); nothing is downloaded. Images are preprocessed in
NumPy (shorter side to the model's size, centre crop, CLIP mean/std), so neither
torchvision nor an image processor class is needed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..config import ClipConfig, TaggingConfig
from ..errors import ConfigError
from ..evidence import Evidence
from ..normalize import ModelInputs
from ..records import Tag
from ..taxonomy import VocabularyTag, load_vocabulary

if TYPE_CHECKING:
    import torch

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def _features(out) -> torch.Tensor:
    """transformers 4 returns a tensor, 5 a model output whose pooler_output is projected."""
    return out if hasattr(out, "shape") else out.pooler_output


def _normalise(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


class ClipEngine:
    """A CLIP image and text encoder sharing one embedding space (``ImageEmbedder``)."""

    def __init__(self, model_path: str | Path, *, threads: int | None = None):
        path = Path(model_path).expanduser()
        if not (path / "config.json").is_file():
            raise ConfigError(
                f"no CLIP model at {path} (expected a transformers folder with config.json)", "missing_model"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import torch
            from transformers import AutoTokenizer, CLIPModel
        except ImportError as exc:
            raise ConfigError(
                f"the CLIP engine needs torch and transformers ({exc.name} is not installed): "
                "pip install 'snapscribe[clip]'",
                "missing_model",
            ) from exc

        if threads:
            torch.set_num_threads(threads)
        self.path = path
        self.name = f"clip:{path.name}"
        self._torch = torch
        self.model = CLIPModel.from_pretrained(str(path), local_files_only=True).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        pre = path / "preprocessor_config.json"
        conf = json.loads(pre.read_text()) if pre.is_file() else {}
        self.image_size = int(_crop_size(conf) or self.model.config.vision_config.image_size)
        self.mean = np.array(conf.get("image_mean", CLIP_MEAN), dtype=np.float32)
        self.std = np.array(conf.get("image_std", CLIP_STD), dtype=np.float32)
        self.max_length = int(self.model.config.text_config.max_position_embeddings)
        self._lock = threading.Lock()
        self._text_cache: dict[str, np.ndarray] = {}

    @classmethod
    def from_config(cls, cfg: ClipConfig) -> ClipEngine:
        if not cfg.model_path:
            raise ConfigError(
                "the CLIP tagger needs clip.model_path (a local CLIP folder); none is packaged", "missing_model"
            )
        return cls(cfg.model_path)

    def pixel_values(self, inputs: ModelInputs) -> np.ndarray:
        """(1, 3, S, S) float32, CLIP-normalised."""
        rgb = inputs.square(self.image_size).astype(np.float32) / 255.0
        return ((rgb - self.mean) / self.std).transpose(2, 0, 1)[None]

    def embed_image(self, inputs: ModelInputs) -> np.ndarray:
        torch = self._torch
        with self._lock, torch.inference_mode():
            out = self.model.get_image_features(pixel_values=torch.from_numpy(self.pixel_values(inputs)))
        return _normalise(_features(out).float().numpy()[0])

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._text_cache]
        if missing:
            torch = self._torch
            with self._lock, torch.inference_mode():
                for start in range(0, len(missing), 256):
                    batch = missing[start : start + 256]
                    enc = self.tokenizer(
                        batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
                    )
                    vecs = _normalise(
                        _features(
                            self.model.get_text_features(
                                input_ids=enc["input_ids"], attention_mask=enc.get("attention_mask")
                            )
                        )
                        .float()
                        .numpy()
                    )
                    self._text_cache.update(zip(batch, vecs))
        dim = int(self.model.config.projection_dim)
        return np.stack([self._text_cache[t] for t in texts]) if texts else np.zeros((0, dim), np.float32)


def _crop_size(conf: dict) -> int | None:
    crop = conf.get("crop_size")
    if isinstance(crop, dict):
        return crop.get("height") or crop.get("shortest_edge")
    return crop


class ClipTagger:
    """Zero-shot tags: softmax over "a photo of {tag}" for every vocabulary tag, plus the
    measured colour/style tags (CLIP does not see our palette names)."""

    name = "clip"

    def __init__(self, engine: ClipEngine, tagging: TaggingConfig, cfg: ClipConfig):
        self.engine = engine
        self._tagging = tagging
        self._cfg = cfg
        self.vocabulary: tuple[VocabularyTag, ...] = tuple(
            v for v in load_vocabulary(tagging.extra_vocabulary) if v.kind != "colour"
        )
        self._by_word = {w.lower(): v for v in load_vocabulary(tagging.extra_vocabulary) for w in v.names}
        self.name = f"clip:{engine.path.name}"

    def vocabulary_entry(self, tag: str) -> VocabularyTag | None:
        return self._by_word.get(tag.lower())

    def prompts(self) -> list[str]:
        return [self._cfg.prompt.format(tag=v.tag) for v in self.vocabulary]

    def probabilities(self, image_vec: np.ndarray) -> np.ndarray:
        """Probability of each vocabulary tag for an image embedding: softmax(cosine / temperature)."""
        text = self.engine.embed_text(self.prompts())
        logits = (text @ _normalise(image_vec)) / max(self._cfg.temperature, 1e-6)
        logits -= logits.max()
        p = np.exp(logits)
        return p / p.sum()

    def scores(self, inputs: ModelInputs) -> np.ndarray:
        return self.probabilities(self.engine.embed_image(inputs))

    def tag(self, evidence: Evidence, inputs: ModelInputs | None = None) -> list[Tag]:
        from ..tagging import style_tags

        out: dict[str, float] = {}
        if inputs is not None:
            probs = self.scores(inputs)
            for i in np.argsort(probs)[::-1][: self._cfg.max_tags]:
                if probs[i] >= self._cfg.min_score:
                    out[self.vocabulary[int(i)].tag] = round(float(probs[i]), 3)
        for label, value in style_tags(evidence).items():
            out.setdefault(label, round(value, 3))
        ranked = sorted(out.items(), key=lambda kv: kv[1], reverse=True)
        return [Tag(label=k, score=v) for k, v in ranked][: self._tagging.max_tags]
