"""A plan -> files for broadcast hardware: m3u playlists, iCalendar, crontab, systemd timers.

What these files say is run or played later, by cron, systemd or a player, from another folder
and with an almost empty environment: so commands name the program, the audio and the as-run
log by absolute path, and nothing a schedule or notice holds can add a line to them (a title's
line breaks become spaces; a path or channel that cannot be written safely is refused).
"""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path

from broadcaster.config import default_log_path
from broadcaster.errors import BadInput
from broadcaster.fsutil import CONTROL_RE, one_line, write_text
from broadcaster.i18n import _
from broadcaster.schedule.model import Play

FORMATS = ("m3u", "ics", "crontab", "systemd", "card")


@dataclass(frozen=True)
class Invocation:
    """How a written command calls broadcaster on this box: the program, the as-run log, the sinks."""

    program: tuple[str, ...]
    log: Path                                   # absolute
    sinks: dict = field(default_factory=dict)   # channel id -> its `sink:` value from the schedule
    base_dir: Path | None = None                # relative `file:` sinks are read from here (as `run` does)

    def command(self, p: Play) -> list[str]:
        """`broadcaster play` for one play, every path absolute; BadInput if a word cannot be written."""
        argv = [*self.program, "play", str(Path(p.file).resolve()), "--channel", p.channel]
        if p.priority in ("urgent", "emergency"):
            argv += ["--priority", p.priority]
        argv += ["--log", str(self.log)]
        sink = self._sink(p.channel)
        if sink:
            argv += ["--sink", sink]
        for word in argv:
            _refuse_control(word)
        return argv

    def _sink(self, channel: str) -> str | None:
        spec = self.sinks.get(channel)
        if spec is None or spec == "" or spec == "auto":
            return None
        if not isinstance(spec, str):
            # `play --sink` takes one word; a list would be read as one unknown sink name
            raise BadInput(_("channel '{channel}' plays on a sink with arguments ({sink}), which a crontab "
                             "or systemd line cannot pass to `broadcaster play`").format(
                                 channel=channel, sink=" ".join(map(str, spec))),
                           _("give the channel a sink name (e.g. aplay, ffplay, file:FOLDER), "
                             "or let `broadcaster run` play the schedule"))
        if spec.startswith("file:") and self.base_dir is not None:
            return "file:" + str((self.base_dir / spec[len("file:"):].strip()).resolve())
        return spec


def program() -> tuple[str, ...]:
    """The command that starts this broadcaster, usable without PATH or a working folder.

    The `broadcaster` script that was run, else the one installed beside this Python (the same
    install: another `broadcaster` on PATH may be another version), else `python -m broadcaster`.
    """
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name == "broadcaster":
        found = shutil.which(argv0) if os.sep in argv0 else shutil.which("broadcaster")
        if found:
            return (os.path.abspath(found),)
    beside = shutil.which("broadcaster", path=os.path.dirname(os.path.abspath(sys.executable)))
    if beside:
        return (os.path.abspath(beside),)
    return (os.path.abspath(sys.executable), "-m", "broadcaster")


def invocation(log: str | Path | None = None, channels: dict | None = None,
               base_dir: Path | None = None) -> Invocation:
    """The Invocation for this box: the as-run log given (else the one `run` and `play` use)."""
    if log is None:
        log = default_log_path()
    sinks = {cid: getattr(ch, "sink", "auto") for cid, ch in (channels or {}).items()}
    return Invocation(program=program(), log=Path(log).resolve(), sinks=sinks,
                      base_dir=base_dir.resolve() if base_dir is not None else None)


def on_air(plays: list[Play]) -> list[Play]:
    """The plays that will air (planned or moved), in time order."""
    return sorted((p for p in plays if p.status != "dropped"), key=lambda p: (p.start, p.channel))


def m3u(plays: list[Play], out: Path) -> list[Path]:
    """One extended M3U playlist per channel per day, with #EXTINF durations.

    Entries are relative to the playlist's folder, as players read them, so the playlist plays
    from any working folder (and still does when its folder and the audio move together).
    """
    groups: dict = defaultdict(list)
    for p in on_air(plays):
        groups[(p.channel, p.start.date())].append(p)
    files = []
    for (channel, day), items in sorted(groups.items()):
        lines = ["#EXTM3U"]
        for p in items:
            entry = os.path.relpath(Path(p.file).resolve(), out.resolve())
            _refuse_control(entry)
            lines.append(f"#EXTINF:{round((p.end - p.start).total_seconds())},"
                         f"{p.start:%H:%M:%S} {one_line(p.title or p.notice)}")
            lines.append(f"./{entry}" if entry.startswith("#") else entry)  # `#...` would read as a comment
        files.append((out / f"{_ascii(channel)}-{day.isoformat()}.m3u", "\n".join(lines) + "\n"))
    return _write_all(files)


def ics(plays: list[Play], out: Path, names: dict | None = None) -> list[Path]:
    """iCalendar (RFC 5545) with one event per play; the audio file as attachment."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//broadcaster//schedule export//ZH")
    cal.add("version", "2.0")
    for p in on_air(plays):
        ev = Event()
        ev.add("uid", hashlib.sha256(p.slot.encode() or repr(p).encode()).hexdigest()[:32] + "@broadcaster")
        ev.add("summary", one_line(p.title or p.notice))  # TEXT may not hold control characters
        ev.add("dtstart", p.start)
        ev.add("dtend", p.end)
        ev.add("dtstamp", p.start.astimezone(timezone.utc))
        ev.add("location", one_line(str((names or {}).get(p.channel, p.channel))))
        ev.add("categories", [p.priority])
        ev.add("attach", Path(p.file).resolve().as_uri())
        ev.add("description", one_line(f"{p.notice} · {p.priority}" + (f" · {p.reason}" if p.reason else "")))
        cal.add_component(ev)
    path = out / "schedule.ics"
    write_text(path, cal.to_ical().decode("utf-8"))
    return [path]


def crontab(plays: list[Play], out: Path, how: Invocation | None = None) -> list[Path]:
    """Crontab lines that call `broadcaster play` at each play's minute (cron has no seconds).

    cron runs in the system's time zone, so the lines carry CRON_TZ for the plan's zone. A
    crontab line has no year: each command first checks the year (in the plan's zone), or the
    line would play again on the same day a year later. cron turns `%` into a line break,
    so every `%` is written `\\%`.
    """
    how = how or invocation()
    zone = _zone(plays)
    lines = ["# broadcaster: one line per play; cron runs at whole minutes and each line checks its year",
             "SHELL=/bin/sh", "PATH=/usr/local/bin:/usr/bin:/bin"]
    if zone:
        lines.append(f"CRON_TZ={zone}")
    now_year = f"TZ={shlex.quote(zone)} date +%Y" if zone else "date +%Y"
    for p in on_air(plays):
        command = f'[ "$({now_year})" = {p.start:%Y} ] && ' + " ".join(shlex.quote(c) for c in how.command(p))
        lines.append(f"# {p.start:%Y-%m-%d %H:%M:%S} {p.channel}: {one_line(p.title or p.notice)}")
        lines.append(f"{p.start.minute} {p.start.hour} {p.start.day} {p.start.month} * "
                     + command.replace("%", "\\%"))
    return _write_all([(out / "broadcaster.crontab", "\n".join(lines) + "\n")])


def systemd(plays: list[Play], out: Path, how: Invocation | None = None) -> list[Path]:
    """A .timer and .service pair per play; OnCalendar carries the full date (a one-shot), time and zone."""
    how = how or invocation()
    files = []
    for i, p in enumerate(on_air(plays), 1):
        unit = f"broadcaster-{_ascii(p.channel)}-{p.start:%Y%m%d-%H%M%S}-{i:04d}"
        zone = getattr(p.start.tzinfo, "key", None) or "UTC"
        when = p.start if zone != "UTC" else p.start.astimezone(timezone.utc)
        title = _unit_text(one_line(p.title or p.notice))
        timer = (f"[Unit]\nDescription=broadcaster: {title} on {p.channel}\n\n"
                 f"[Timer]\nOnCalendar={when:%Y-%m-%d %H:%M:%S} {zone}\nAccuracySec=1s\nUnit={unit}.service\n\n"
                 f"[Install]\nWantedBy=timers.target\n")
        service = (f"[Unit]\nDescription=broadcaster: play {_unit_text(one_line(p.notice))} on {p.channel}\n\n"
                   f"[Service]\nType=oneshot\nExecStart={' '.join(_systemd_quote(a) for a in how.command(p))}\n")
        files += [(out / f"{unit}.timer", timer), (out / f"{unit}.service", service)]
    return _write_all(files)


def _write_all(files: list[tuple[Path, str]]) -> list[Path]:
    """Write files only once all of them were made: a refusal leaves nothing half exported."""
    for path, text in files:
        write_text(path, text)
    return [path for path, _text in files]


def _refuse_control(word: str) -> None:
    if CONTROL_RE.search(word):
        raise BadInput(_("'{word}' holds a line break or another control character, which cannot be written "
                         "into an export").format(
                           word=CONTROL_RE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), word)),
                       _("rename the file or folder (or the channel) without it"))


def _unit_text(text: str) -> str:
    return text.replace("%", "%%")  # systemd expands %-specifiers in Description= and ExecStart=


def _systemd_quote(arg: str) -> str:
    """One ExecStart word: specifiers (%), variables ($), backslashes and quotes escaped."""
    if re.fullmatch(r"[A-Za-z0-9_./:=+,@-]+", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$") + '"'


def _zone(plays: list[Play]) -> str | None:
    for p in plays:
        return getattr(p.start.tzinfo, "key", None)
    return None


def _ascii(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "channel"
