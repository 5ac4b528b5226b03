"""Independent measurements of audio files with ffmpeg, for tests (no broadcaster code)."""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class Probe:
    sample_rate: int
    channels: int
    duration: float
    codec: str
    bitrate_kbps: int | None


def probe(path: str | Path) -> Probe:
    """Stream facts from `ffmpeg -i` (the wheel has no ffprobe)."""
    err = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    m = re.search(r"Audio: (\w+).*?, (\d+) Hz, (mono|stereo|[\d.]+ channels)", err)
    assert m, err
    d = re.search(r"Duration: (\d+):(\d+):([\d.]+)", err)
    br = re.search(r"Audio:.*?(\d+) kb/s", err)
    channels = {"mono": 1, "stereo": 2}.get(m.group(3)) or int(float(m.group(3).split()[0]))
    duration = int(d.group(1)) * 3600 + int(d.group(2)) * 60 + float(d.group(3)) if d else 0.0
    return Probe(int(m.group(2)), channels, duration, m.group(1), int(br.group(1)) if br else None)


def decode(path: str | Path, rate: int = 16000) -> np.ndarray:
    """Decoded mono float samples in [-1, 1] at `rate`."""
    raw = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768.0


def loudness(path: str | Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) from ffmpeg's ebur128 filter."""
    err = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    summary = err[err.rfind("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    return i, float(peak.group(1)) if peak else float("-inf")


def silences(samples: np.ndarray, rate: int = 16000, min_len: float = 0.3, floor_db: float = -45.0) -> list[tuple[float, float]]:
    """(start, end) seconds of stretches quieter than floor_db for at least min_len."""
    win = int(rate * 0.02)
    n = len(samples) // win
    if n == 0:
        return []
    frames = samples[: n * win].reshape(n, win)
    rms = np.sqrt((frames ** 2).mean(axis=1) + 1e-12)
    quiet = 20 * np.log10(rms) < floor_db
    out, start = [], None
    for i, q in enumerate(list(quiet) + [False]):
        if q and start is None:
            start = i
        elif not q and start is not None:
            if (i - start) * win / rate >= min_len:
                out.append((start * win / rate, i * win / rate))
            start = None
    return out


def rms_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt((samples ** 2).mean()) + 1e-12))


def hanzi(text: str) -> int:
    """How many Chinese characters a text has (speech length is judged by them)."""
    return sum("\u4e00" <= c <= "\u9fff" for c in text)


def clip_samples(clip) -> np.ndarray:
    """A synthesized clip's 16-bit PCM as float samples in [-1, 1]."""
    return np.frombuffer(clip.pcm, dtype="<i2").astype(np.float32) / 32768.0
