"""One registry for caption and tag engines: a name (the value of ``engines.captioner`` /
``engines.tagger``, and what ``provenance`` records) maps to a factory.

Adding an engine is one class and one entry here (plus its name in ``config.EnginesConfig``).
Optional abilities are attributes the pipeline reads, declared on the class:
``expensive = True`` (the relevance gate decides which images reach it), ``remote = True``
with ``slots`` (it waits on the network: the pipeline keeps ``slots`` images in flight for it
on top of the CPU threads), and a ``cfg.mask_text`` flag (flagged text regions are masked in
the image it gets). Every engine's output goes through moderation and the grounding guard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..caption import Captioner
    from ..config import Settings
    from ..tagging import Tagger

CaptionerFactory = Callable[["Settings", Any], "Captioner"]
TaggerFactory = Callable[["Settings"], "Tagger"]

CAPTIONERS: dict[str, CaptionerFactory] = {}
TAGGERS: dict[str, TaggerFactory] = {}


def captioner(name: str) -> Callable[[CaptionerFactory], CaptionerFactory]:
    def register(factory: CaptionerFactory) -> CaptionerFactory:
        CAPTIONERS[name] = factory
        return factory

    return register


def tagger(name: str) -> Callable[[TaggerFactory], TaggerFactory]:
    def register(factory: TaggerFactory) -> TaggerFactory:
        TAGGERS[name] = factory
        return factory

    return register


@captioner("default")
def _grounded(settings: Settings, guard: Any) -> Captioner:
    from ..caption import GroundedComposer

    return GroundedComposer()


@captioner("vlm")
def _vlm(settings: Settings, guard: Any) -> Captioner:
    from .vlm import VLMCaptioner

    vlm = VLMCaptioner(settings.vlm)
    vlm.tone = settings.caption.tone
    return vlm


@captioner("polish")
def _polish(settings: Settings, guard: Any) -> Captioner:
    from .polish import PolishCaptioner

    return PolishCaptioner(settings.polish, guard)


@tagger("default")
def _conse(settings: Settings) -> Tagger:
    from ..tagging import ConseTagger
    from .minilm import MiniLMEmbedder

    return ConseTagger(MiniLMEmbedder(cache_dir=settings.data_dir()), settings.tagging)


@tagger("clip")
def _clip(settings: Settings) -> Tagger:
    from .clip import ClipEngine, ClipTagger

    return ClipTagger(ClipEngine.from_config(settings.clip), settings.tagging, settings.clip)


def build_captioner(settings: Settings, guard: Any) -> Captioner:
    """The captioner ``engines.captioner`` names."""
    name = settings.engines.captioner
    if name not in CAPTIONERS:
        raise ConfigError(f"unknown captioner {name!r}; registered: {sorted(CAPTIONERS)}")
    return CAPTIONERS[name](settings, guard)


def build_tagger(settings: Settings) -> Tagger:
    """The tagger ``engines.tagger`` names."""
    name = settings.engines.tagger
    if name not in TAGGERS:
        raise ConfigError(f"unknown tagger {name!r}; registered: {sorted(TAGGERS)}")
    return TAGGERS[name](settings)
