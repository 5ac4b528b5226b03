"""Helpers for the player tests: real speech WAVs from eSpeak, plans, reading a file: sink, driving a daemon on
a clock of ours, and reading a player's as-run log while it runs."""
from __future__ import annotations

import re
import sqlite3
import time
import wave
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from broadcaster.player.asrun import AsRunLog
from broadcaster.player.clock import ManualClock
from broadcaster.player.daemon import Daemon, Settings, StaticSource
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


def drive(tmp_path: Path, plan, start: datetime, until: datetime, hooks=(), settings: Settings | None = None,
          log: AsRunLog | None = None, clock=None):
    """Run a daemon on a ManualClock from `start` to `until`; returns (log, events, daemon, clock)."""
    clock = clock or ManualClock(start.timestamp())
    events = []
    log = log or AsRunLog(tmp_path / "asrun.sqlite")
    source = plan if isinstance(plan, StaticSource) else StaticSource(plan)
    daemon = Daemon(source, log, clock, settings or Settings(background_reload=False), on_event=events.append)
    for when, fn in hooks:
        clock.at(when.timestamp(), lambda fn=fn: fn(daemon, clock))
    daemon.run(until=until.timestamp())
    return log, events, daemon, clock


def rows(log: AsRunLog) -> list[dict]:
    """As-run rows in the order they happened."""
    return sorted(log.report().rows, key=lambda r: (ts(r["actual_start"]) or ts(r["planned"])))


def ts(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso).timestamp() if iso else None


def query(log: Path, sql: str, params: tuple = ()) -> list[dict]:
    """Rows of an as-run log another process writes; [] before the file or its tables exist."""
    if not log.exists():
        return []
    db = sqlite3.connect(str(log))
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(sql, params)]
    except sqlite3.OperationalError:  # the player has not made its tables yet
        return []
    finally:
        db.close()


def wait_until(predicate, timeout: float, what: str):
    """predicate()'s first true value, asked every 20 ms; AssertionError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
