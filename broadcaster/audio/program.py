"""Script segments + speech clips -> one mono program (pydub), then export to mp3/wav."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from broadcaster.audio.clip import Clip
from broadcaster.audio.ffmpeg import pydub
from broadcaster.audio.rhythm import block_audio
from broadcaster.fsutil import atomic_path
from broadcaster.script import BeatBlock, Chime, Pause, Recording, Script, Speech


@dataclass(frozen=True)
class ProgramAudio:
    """An assembled program: the pydub segment plus where each speech part starts."""

    audio: object  # pydub.AudioSegment
    speech_spans: tuple[tuple[float, float], ...]  # (start, end) seconds of each Speech and Recording

    @property
    def duration(self) -> float:
        return len(self.audio) / 1000.0


def clip_segment(clip: Clip):
    """A Clip as a mono pydub segment."""
    return pydub()(data=clip.pcm, sample_width=2, frame_rate=clip.sample_rate, channels=1)


def assemble(script: Script, clip_for: Callable[[Speech | Recording], Clip], sample_rate: int = 22050,
             chime_for: Callable[[str, int], object] | None = None):
    """Lay the segments end to end at `sample_rate`; clip_for(segment) gives the clip of each Speech and Recording."""
    AudioSegment = pydub()
    pieces = []
    spans = []
    pos = 0.0
    for seg in script.segments:
        if isinstance(seg, Pause):
            piece = AudioSegment.silent(duration=seg.ms, frame_rate=sample_rate)
        elif isinstance(seg, Chime):
            if chime_for is None:
                continue
            piece = chime_for(seg.kind, sample_rate)
        elif isinstance(seg, BeatBlock):  # a jingle reading on its beat grid
            piece, inner, _ = block_audio(seg, clip_for, sample_rate)
            spans.extend((pos + a, pos + b) for a, b in inner)
        else:
            piece = clip_segment(clip_for(seg))
            if piece.frame_rate != sample_rate:
                piece = piece.set_frame_rate(sample_rate)
            spans.append((pos, pos + len(piece) / 1000.0))
        pieces.append(piece)
        pos += len(piece) / 1000.0
    # joining raw bytes once is far faster than pydub's pairwise `+`
    raw = b"".join(p.raw_data for p in pieces)
    audio = AudioSegment(data=raw, sample_width=2, frame_rate=sample_rate, channels=1)
    return ProgramAudio(audio=audio, speech_spans=tuple(spans))


def export(audio, target: Path, fmt: str = "mp3", bitrate: str = "64k", extra: list[str] | None = None,
           tags: dict | None = None) -> Path:
    """Write audio atomically as mp3 or wav."""
    with atomic_path(target) as tmp:
        params = list(extra or [])
        kwargs = {"format": fmt, "parameters": params}
        if fmt == "mp3":
            kwargs["bitrate"] = bitrate
            if tags:
                kwargs["tags"] = tags
        audio.export(str(tmp), **kwargs)
    return target
