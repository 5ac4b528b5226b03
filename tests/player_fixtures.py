"""Helpers for the player tests: real speech WAVs from eSpeak, plans, and reading a file: sink."""
from __future__ import annotations

import re
import wave
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from broadcaster.schedule.model import Play

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2021, 10, 27, 8, 0, 0, tzinfo=TZ)  # a morning broadcast, outside quiet hours


def speech_wav(path: Path, text: str) -> Path:
    """Mandarin speech from the real eSpeak NG engine, written as a mono 16-bit WAV."""
    from broadcaster.engines.base import get_engine
    from broadcaster.speech.voices import get_profile

    clip = get_engine("espeak").synthesize(text, get_profile("mandarin"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(clip.sample_rate)
        w.writeframes(clip.pcm)
    return path


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def plays(file: Path, start: datetime, every: float, count: int, channel: str = "village",
          prefix: str = "n", priority: str = "normal", duration: float = 1.0) -> tuple[Play, ...]:
    out = []
    for i in range(count):
        s = start + timedelta(seconds=every * i)
        out.append(Play(start=s, end=s + timedelta(seconds=duration), channel=channel, notice=f"{prefix}{i}",
                        file=str(file), priority=priority, title=f"通知{i}", slot=f"{channel}/{prefix}{i}/{s.isoformat()}"))
    return tuple(out)


_NAME = re.compile(r"^(\d{8}T\d{6}\.\d{3}[+-]\d{4})_(.+?)_(.+)\.(wav|mp3)$")


def sink_files(folder: Path) -> list[tuple[datetime, str, str, Path]]:
    """(start, channel, notice, path) of each play a file: sink wrote, by start."""
    out = []
    for p in sorted(folder.iterdir()) if folder.exists() else []:
        m = _NAME.match(p.name)
        if m:
            out.append((datetime.strptime(m.group(1), "%Y%m%dT%H%M%S.%f%z"), m.group(2), m.group(3), p))
    return sorted(out, key=lambda r: r[0])
