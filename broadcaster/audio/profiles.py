"""Output profiles (profiles.yaml): loudness target, band, compression and file format per playback."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from broadcaster.errors import BadInput
from broadcaster.i18n import _
from broadcaster.resources import data_path
from broadcaster.script import ProgramDefaults
from broadcaster.yamlsource import did_you_mean

DATA = data_path("audio", "profiles.yaml")
DEFAULT_PROFILE = "loudspeaker"


@dataclass(frozen=True)
class Compressor:
    """ffmpeg acompressor settings: threshold in dBFS, ratio, times in ms, makeup in dB."""

    threshold: float = -20.0
    ratio: float = 2.5
    attack: float = 10.0
    release: float = 200.0
    makeup: float = 2.0


@dataclass(frozen=True)
class BedSettings:
    """How a music bed sits under the speech (dB and seconds)."""

    level: float = -10.0
    duck: float = 20.0
    duck_attack: float = 0.25
    duck_release: float = 0.5
    fade_in: float = 1.5
    fade_out: float = 2.5


@dataclass(frozen=True)
class OutputProfile:
    """How a program is mastered and written for one kind of playback."""

    name: str
    description: str = ""
    format: str = "mp3"
    sample_rate: int = 22050
    bitrate: str = "64k"
    tags: bool = True
    leading_silence: float = 0.0       # seconds of silence before the chime
    target_lufs: float = -16.0
    true_peak: float = -1.0
    highpass: float | None = None      # Hz
    lowpass: float | None = None       # Hz
    compressor: Compressor | None = None
    keep_speech: bool = False          # also write the unprocessed speech (<id>.speech.wav)
    program: ProgramDefaults = field(default_factory=ProgramDefaults)
    bed: BedSettings | None = None     # None: the file's common `bed:` settings


@lru_cache(maxsize=1)
def _data() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def _profile(name: str, raw: dict) -> OutputProfile:
    raw = dict(raw)
    comp = raw.pop("compressor", None)
    program = raw.pop("program", None) or {}
    bed = raw.pop("bed", None)
    return OutputProfile(name=name, compressor=Compressor(**comp) if comp else None,
                         program=ProgramDefaults(**program),
                         bed=BedSettings(**{**(_data().get("bed") or {}), **bed}) if bed else None, **raw)


@lru_cache(maxsize=1)
def all_output_profiles() -> dict[str, OutputProfile]:
    return {name: _profile(name, raw) for name, raw in _data()["profiles"].items()}


def profile_names() -> tuple[str, ...]:
    return tuple(all_output_profiles())


def get_output_profile(name: str | None) -> OutputProfile:
    """The output profile called `name` (None: loudspeaker); BadInput listing the choices."""
    profiles = all_output_profiles()
    name = name or DEFAULT_PROFILE
    if name not in profiles:
        hint = did_you_mean(name, list(profiles))
        choices = _("use one of: {names}").format(names=", ".join(profiles))
        raise BadInput(_("unknown output profile '{name}'").format(name=name),
                       (hint + " " if hint else "") + choices)
    return profiles[name]


@lru_cache(maxsize=1)
def bed_settings() -> BedSettings:
    return BedSettings(**(_data().get("bed") or {}))


def output_profile(name: str | None, fmt: str | None = None) -> OutputProfile:
    """The profile, with the file format the user asked for (loop-player and archive fix theirs)."""
    from dataclasses import replace

    profile = get_output_profile(name)
    if fmt is None or fmt == profile.format:
        return profile
    if profile.name in FIXED_FORMAT:
        raise BadInput(_("--format {format} does not go with --profile {profile}").format(format=fmt,
                                                                                          profile=profile.name),
                       _("leave out --format: {profile} always writes {format}").format(profile=profile.name,
                                                                                        format=profile.format))
    return replace(profile, format=fmt)


FIXED_FORMAT = ("loop-player", "archive")
