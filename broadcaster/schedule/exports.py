"""A plan -> files for broadcast hardware: m3u playlists, iCalendar, crontab, systemd timers."""
from __future__ import annotations

import hashlib
import re
import shlex
from collections import defaultdict
from datetime import timezone
from pathlib import Path

from broadcaster.fsutil import write_text
from broadcaster.schedule.model import Play

FORMATS = ("m3u", "ics", "crontab", "systemd", "card")


def on_air(plays: list[Play]) -> list[Play]:
    """The plays that will air (planned or moved), in time order."""
    return sorted((p for p in plays if p.status != "dropped"), key=lambda p: (p.start, p.channel))


def m3u(plays: list[Play], out: Path) -> list[Path]:
    """One extended M3U playlist per channel per day, with #EXTINF durations."""
    groups: dict = defaultdict(list)
    for p in on_air(plays):
        groups[(p.channel, p.start.date())].append(p)
    written = []
    for (channel, day), items in sorted(groups.items()):
        lines = ["#EXTM3U"]
        for p in items:
            lines.append(f"#EXTINF:{round((p.end - p.start).total_seconds())},{p.start:%H:%M:%S} {p.title or p.notice}")
            lines.append(p.file)
        path = out / f"{_ascii(channel)}-{day.isoformat()}.m3u"
        write_text(path, "\n".join(lines) + "\n")
        written.append(path)
    return written


def ics(plays: list[Play], out: Path, names: dict | None = None) -> list[Path]:
    """iCalendar (RFC 5545) with one event per play; the audio file as attachment."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//broadcaster//schedule export//ZH")
    cal.add("version", "2.0")
    for p in on_air(plays):
        ev = Event()
        ev.add("uid", hashlib.sha256(p.slot.encode() or repr(p).encode()).hexdigest()[:32] + "@broadcaster")
        ev.add("summary", p.title or p.notice)
        ev.add("dtstart", p.start)
        ev.add("dtend", p.end)
        ev.add("dtstamp", p.start.astimezone(timezone.utc))
        ev.add("location", (names or {}).get(p.channel, p.channel))
        ev.add("categories", [p.priority])
        ev.add("attach", Path(p.file).resolve().as_uri())
        ev.add("description", f"{p.notice} · {p.priority}" + (f" · {p.reason}" if p.reason else ""))
        cal.add_component(ev)
    path = out / "schedule.ics"
    write_text(path, cal.to_ical().decode("utf-8"))
    return [path]


def crontab(plays: list[Play], out: Path, log: str | None = None) -> list[Path]:
    """Crontab lines that call `broadcaster play` at each play's minute (cron has no seconds).

    cron runs in the system's time zone, so the lines carry CRON_TZ for the plan's zone.
    """
    lines = ["# broadcaster: one line per play; cron runs at whole minutes", "SHELL=/bin/sh"]
    zone = _zone(plays)
    if zone:
        lines.append(f"CRON_TZ={zone}")
    for p in on_air(plays):
        cmd = ["broadcaster", "play", p.file, "--channel", p.channel]
        if p.priority in ("urgent", "emergency"):
            cmd += ["--priority", p.priority]
        if log:
            cmd += ["--log", log]
        lines.append(f"{p.start.minute} {p.start.hour} {p.start.day} {p.start.month} * "
                     f"{' '.join(shlex.quote(c) for c in cmd)}  # {p.start:%Y}")
    path = out / "broadcaster.crontab"
    write_text(path, "\n".join(lines) + "\n")
    return [path]


def systemd(plays: list[Play], out: Path) -> list[Path]:
    """A .timer and .service pair per play; OnCalendar carries the date, time and zone."""
    written = []
    for i, p in enumerate(on_air(plays), 1):
        unit = f"broadcaster-{_ascii(p.channel)}-{p.start:%Y%m%d-%H%M%S}-{i:04d}"
        zone = getattr(p.start.tzinfo, "key", None) or "UTC"
        when = p.start if zone != "UTC" else p.start.astimezone(timezone.utc)
        timer = (f"[Unit]\nDescription=broadcaster: {p.title or p.notice} on {p.channel}\n\n"
                 f"[Timer]\nOnCalendar={when:%Y-%m-%d %H:%M:%S} {zone}\nAccuracySec=1s\nUnit={unit}.service\n\n"
                 f"[Install]\nWantedBy=timers.target\n")
        argv = ["broadcaster", "play", p.file, "--channel", p.channel]
        if p.priority in ("urgent", "emergency"):
            argv += ["--priority", p.priority]
        service = (f"[Unit]\nDescription=broadcaster: play {p.notice} on {p.channel}\n\n"
                   f"[Service]\nType=oneshot\nExecStart={' '.join(_systemd_quote(a) for a in argv)}\n")
        write_text(out / f"{unit}.timer", timer)
        write_text(out / f"{unit}.service", service)
        written += [out / f"{unit}.timer", out / f"{unit}.service"]
    return written


def _systemd_quote(arg: str) -> str:
    return arg if re.fullmatch(r"[A-Za-z0-9_./:=+-]+", arg) else '"' + arg.replace('"', '\\"') + '"'


def _zone(plays: list[Play]) -> str | None:
    for p in plays:
        return getattr(p.start.tzinfo, "key", None)
    return None


def _ascii(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "channel"
