"""The Engine interface, the Clip it returns, and the loader of engines by name (engine_specs.py names them)."""
from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable

# what an engine returns: the audio stage's type, below the engines (audio/clip.py)
from broadcaster.audio.clip import Boundary, Clip  # noqa: F401 - Boundary re-exported for the engines
from broadcaster.engine_specs import AUTO_ORDER, ENGINE_NAMES, ENGINE_SPECS, engine_spec
from broadcaster.errors import BadInput, EngineUnavailable
from broadcaster.i18n import _

if TYPE_CHECKING:
    from broadcaster.speech.voices import VoiceProfile


@runtime_checkable
class Engine(Protocol):
    """What every speech engine offers. Each extends its spec in engine_specs.py (the registry),
    which gives the flags below and the defaults of `speed_for`, `speakers` and `reading`."""

    name: str
    pronunciation_form: str   # how pronunciation fixes reach it: engine_specs.PINYIN_WORDS, ...
    speed_setting: str        # the key of its settings that a voice profile's rate fills
    takes_pinyin: bool        # synthesize() takes the user's pronunciation fixes as a third argument
    asynchronous: bool        # offers synthesize_async(text, voice, limit) (edge)
    several_speakers: bool
    licence: str              # N_ text: `broadcaster voices` translates it
    note: str                 # N_ text, "" when there is nothing users must know

    def speed_for(self, rate: float) -> object:
        """The engine's speed setting for a voice profile's speaking rate."""

    def speakers(self) -> dict[str, str]:
        """Speaker name -> male | female ({} for an engine with one voice)."""

    def reading(self, text: str, pronunciations: tuple = (), accent=None) -> dict:
        """What the voice reads for a spoken text (pinyin, phonemes; with a profile's accent where
        it takes one), for `normalize --json`."""

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
        """Speak normalized text; raises SynthesisFailed (this text) or EngineUnavailable (any text).

        An engine with `takes_pinyin` accepts a third argument, the user's pronunciation fixes
        (lexicon.yaml) for words in the text.
        """


_instances: dict[str, Engine] = {}


def engine_names() -> tuple[str, ...]:
    return ENGINE_NAMES


def auto_order() -> tuple[str, ...]:
    """AUTO_ORDER, or the order a site sets in BROADCASTER_AUTO_ORDER (comma-separated engine names)."""
    raw = os.environ.get("BROADCASTER_AUTO_ORDER", "").strip()
    if not raw:
        return AUTO_ORDER
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    unknown = [n for n in names if n not in ENGINE_SPECS]
    if unknown or not names:
        raise BadInput(_("BROADCASTER_AUTO_ORDER names an unknown engine: {names}").format(
                           names=_(", ").join(unknown) or raw),
                       _("use engine names separated by commas, e.g. kokoro,neural,espeak"))
    return names


def get_engine(name: str) -> Engine:
    """The engine called `name`, loaded on first use; EngineUnavailable if its module cannot load."""
    spec = engine_spec(name)
    if spec is None:
        raise EngineUnavailable(_("unknown engine '{name}' (known: {known})").format(
            name=name, known=_(", ").join(ENGINE_NAMES)))
    if name not in _instances:
        try:  # imported here: heavy engines cost nothing unused
            module = importlib.import_module(spec.module)
        except ImportError as exc:
            raise EngineUnavailable(_("engine '{name}' is not installed here ({error})").format(
                name=name, error=exc)) from None
        _instances[name] = module.ENGINE
    return _instances[name]


def available_engines() -> list[tuple[str, bool, str]]:
    """(name, usable, reason) for every engine, in auto order (then any that auto leaves out)."""
    out = []
    order = auto_order()
    for name in (*order, *(n for n in AUTO_ORDER if n not in order)):
        try:
            ok, why = get_engine(name).available()
        except EngineUnavailable as exc:
            ok, why = False, str(exc)
        out.append((name, ok, why))
    return out
