"""Compressed audio from engines (MP3) -> mono 16-bit PCM, through ffmpeg."""
from __future__ import annotations

from broadcaster.audio.ffmpeg import run


def decode_mp3(data: bytes, sample_rate: int = 24000, timeout: float = 60) -> bytes:
    """Mono s16le PCM at `sample_rate` from MP3 bytes; AudioError when ffmpeg cannot read them."""
    proc = run(["-v", "error", "-f", "mp3", "-i", "pipe:0", "-f", "s16le", "-acodec", "pcm_s16le",
                "-ac", "1", "-ar", str(sample_rate), "pipe:1"], stdin=data, timeout=timeout)
    return proc.stdout
