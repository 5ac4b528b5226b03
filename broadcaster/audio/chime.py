"""Chimes synthesized with numpy from chimes.yaml: attention 叮咚, urgent and closing variants."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import yaml

from broadcaster.audio.ffmpeg import pydub
from broadcaster.resources import data_path
from broadcaster.vocabulary import PRIORITY_CHIME

DATA = data_path("audio", "chimes.yaml")


@dataclass(frozen=True)
class Note:
    freq: float
    start: float
    ring: float


@dataclass(frozen=True)
class ChimeSpec:
    name: str
    notes: tuple[Note, ...]
    partials: tuple[tuple[float, float], ...]
    decay: float
    peak: float  # dBFS

    @property
    def duration(self) -> float:
        return max(n.start + n.ring for n in self.notes)

    def frequencies(self) -> tuple[float, ...]:
        return tuple(dict.fromkeys(n.freq for n in self.notes))


@lru_cache(maxsize=1)
def chime_specs() -> dict[str, ChimeSpec]:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return {name: ChimeSpec(name=name, notes=tuple(Note(*map(float, n)) for n in spec["notes"]),
                            partials=tuple((float(m), float(a)) for m, a in spec["partials"]),
                            decay=float(spec["decay"]), peak=float(spec["peak"]))
            for name, spec in raw.items()}


def chime_kind(priority: str) -> str:
    """The opening chime for a notice priority."""
    return PRIORITY_CHIME.get(priority, "attention")


@lru_cache(maxsize=16)
def chime_samples(kind: str, rate: int) -> np.ndarray:
    """The chime as float samples in [-1, 1] (read-only array; cached)."""
    spec = chime_specs()[kind]
    out = np.zeros(int(round(spec.duration * rate)) + 1, dtype=np.float64)
    for note in spec.notes:
        n = int(note.ring * rate)
        t = np.arange(n) / rate
        # a 5 ms attack avoids a click; exponential decay, and a short fade so the tail ends at zero
        env = np.minimum(1.0, t / 0.005) * np.exp(-spec.decay * t)
        env[-int(0.03 * rate):] *= np.linspace(1.0, 0.0, int(0.03 * rate))
        tone = sum(a * np.sin(2 * np.pi * note.freq * m * t) for m, a in spec.partials
                   if note.freq * m < rate / 2)
        start = int(note.start * rate)
        out[start:start + n] += env * tone
    out *= 10 ** (spec.peak / 20) / np.max(np.abs(out))
    out.setflags(write=False)
    return out


def chime_pcm(kind: str, rate: int) -> bytes:
    """The chime as mono 16-bit PCM."""
    return (chime_samples(kind, rate) * 32767).astype("<i2").tobytes()


def chime_segment(kind: str, rate: int):
    """The chime as a pydub segment (the shape audio.program.assemble asks for)."""
    return pydub()(data=chime_pcm(kind, rate), sample_width=2, frame_rate=rate, channels=1)
