"""Speech as the audio stage takes it: a clip of mono 16-bit PCM, and where its sentences sit.

An engine returns a Clip (engines/base.py); the type lives here, below the engines, so that the
audio stage lays clips out without knowing any engine, and an engine may use the audio stage's
decoder (edge's MP3) without an import circle.
"""
from __future__ import annotations

from dataclasses import dataclass


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
