"""Written text -> exactly what the engine is given (normalization, then dialect words)."""
from __future__ import annotations

from dataclasses import dataclass

from broadcaster.speech.voices import VoiceProfile


@dataclass(frozen=True)
class SpokenText:
    """The text an engine receives, with the steps that produced it."""

    written: str
    text: str
    steps: tuple[tuple[str, str], ...] = ()


def spoken_text(text: str, voice: VoiceProfile, extra_lexicon: tuple[tuple[str, str], ...] = ()) -> SpokenText:
    """Placeholder until normalization lands: dialect words only."""
    out = text
    for mandarin, dialect in voice.lexicon + extra_lexicon:
        out = out.replace(mandarin, dialect)
    return SpokenText(written=text, text=out, steps=(("lexicon", out),))
