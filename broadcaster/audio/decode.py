"""Audio in -> samples, through ffmpeg: an engine's MP3 as 16-bit PCM, any audio file as float samples."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from broadcaster.audio.ffmpeg import run


def decode_mp3(data: bytes, sample_rate: int = 24000, timeout: float = 60) -> bytes:
    """Mono s16le PCM at `sample_rate` from MP3 bytes; AudioError when ffmpeg cannot read them."""
    proc = run(["-v", "error", "-f", "mp3", "-i", "pipe:0", "-f", "s16le", "-acodec", "pcm_s16le",
                "-ac", "1", "-ar", str(sample_rate), "pipe:1"], stdin=data, timeout=timeout)
    return proc.stdout


def decode(path: Path, rate: int) -> np.ndarray:
    """Any audio file ffmpeg reads, as mono float32 samples at `rate`."""
    proc = run(["-i", str(path), "-f", "f32le", "-ac", "1", "-ar", str(rate), "-"])
    return np.frombuffer(proc.stdout, dtype="<f4")


def pcm16_at(pcm: bytes, rate: int, to: int) -> np.ndarray:
    """Mono s16le PCM at `rate` as float32 samples at `to` (ffmpeg's resampler)."""
    if rate == to:
        return pcm16_to_float(pcm)
    proc = run(["-v", "error", "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                "-f", "f32le", "-ar", str(to), "pipe:1"], stdin=pcm)
    return np.frombuffer(proc.stdout, dtype="<f4")


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
