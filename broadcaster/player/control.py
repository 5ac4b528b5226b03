"""`broadcaster play`: hand a play to the running daemon, or play it here when none runs."""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from broadcaster.config import default_log_path  # noqa: F401 - re-exported: `run`, `play` and `log` use it
from broadcaster.errors import BadInput, CouldNotDo, Unplayable
from broadcaster.i18n import _
from broadcaster.notice import ID_RE
from broadcaster.player.asrun import AsRunLog, DaemonInfo, pid_alive
from broadcaster.player.audiofile import inspect
from broadcaster.speech.romanize import ascii_name
from broadcaster.vocabulary import TIMEZONE

AUDIO_SUFFIXES = (".wav", ".mp3", ".ogg", ".flac", ".m4a")
NOTICE_SUFFIXES = (".yaml", ".yml")


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|min|s|sec)?", re.I)


def parse_duration(text: str, option: str) -> float:
    """'10m', '90s', '1h30m', '45' (seconds) -> seconds; BadInput otherwise."""
    s = text.strip().lower()
    pos, total = 0, 0.0
    for m in _DURATION.finditer(s):
        if m.start() != pos:
            break
        unit = (m.group(2) or "s")[0]
        total += float(m.group(1)) * {"h": 3600, "m": 60, "s": 1}[unit]
        pos = m.end()
    if not s or pos != len(s) or not math.isfinite(total):  # 400 digits make an infinite float
        raise BadInput(_("{option} '{value}' is not a duration").format(option=option, value=text),
                       _("write e.g. {option} 10m, 90s or 1h30m").format(option=option))
    return total


def parse_day(text: str, option: str, today: date | None = None) -> date:
    """'2021-10-27', 'today', 'yesterday' -> a date; BadInput otherwise."""
    today = today or date.today()
    t = text.strip().lower()
    if t in ("today", "今天"):
        return today
    if t in ("yesterday", "昨天"):
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(t)
    except ValueError:
        raise BadInput(_("{option} '{value}' is not a date").format(option=option, value=text),
                       _("write it as YYYY-MM-DD, e.g. {option} 2021-10-27").format(option=option)) from None


@dataclass(frozen=True)
class Audio:
    file: str
    notice: str
    title: str


def resolve_audio(what: str, cache_dir: Path | None = None) -> Audio:
    """The audio to play: an audio file as is, or a notice rendered now (through the cache)."""
    path = Path(what)
    if path.suffix.lower() in NOTICE_SUFFIXES:
        if not path.is_file():
            raise BadInput(_("notice file not found"), _("check the name, or give an audio file (.mp3, .wav)"), path)
        return _render_notice(path, cache_dir)
    if not path.exists():
        raise BadInput(_("file not found"), _("give an audio file (.mp3, .wav) or a notice (.yaml)"), path)
    try:
        inspect(path)
    except Unplayable as exc:
        raise BadInput(_("not a playable audio file ({reason})").format(reason=exc),
                       _("give an .mp3 or .wav file, or a notice .yaml"), path) from None
    nid = _notice_id(path.stem)
    # a name such as 火警.mp3 is the title people know it by (the report shows it); an id-like name is not
    return Audio(str(path.resolve()), nid, "" if nid == path.stem.lower() else path.stem)


def _notice_id(stem: str) -> str:
    """An audio file's name as a notice id: 火警.mp3 -> huojing, as a notice file without `id:` gets one."""
    return stem.lower() if ID_RE.fullmatch(stem.lower()) else ascii_name(stem) or "play"


def _render_notice(path: Path, cache_dir: Path | None) -> Audio:
    import platformdirs

    # here, not at the top: render brings jinja2 and the speech front end, which `log` and `play FILE.mp3` never need
    from broadcaster.errors import BadInputs
    from broadcaster.examine import load_all
    from broadcaster.render import RenderOptions, render_prepared

    prepared, errors = load_all([path])
    if errors:
        raise BadInputs(errors)
    out = cache_dir or Path(platformdirs.user_cache_dir("broadcaster", appauthor=False)) / "play"
    rendered = render_prepared(prepared[0], RenderOptions(out_dir=out, fmt="wav"))
    return Audio(str((out / rendered.file).resolve()), rendered.id, rendered.title)


@dataclass(frozen=True)
class Answer:
    channel: str
    daemon: DaemonInfo
    request: int
    accepted: bool
    note: str
    already: bool = False  # the same emergency is airing, waiting or just aired: not played again (done)

    @property
    def channel_name(self) -> str:
        """The channel as the player's schedule names it (长乐村大喇叭), else its id."""
        return self.daemon.name(self.channel)


def daemons_for(log: AsRunLog, channel: str | None) -> list[tuple[DaemonInfo, str]]:
    """(daemon, channel) pairs that take this play; [] when no player is registered for it.

    A channel belongs to the player that registered for it last. If that one has not signed
    off but does not answer (no heartbeat: hung, or killed without a trace), playing here
    instead would be a surprise on air: CouldNotDo says so (`play --here` plays here anyway).
    A channel no running player serves, while one runs, is most likely a typo: BadInput.
    """
    if not log.path.exists():
        return []
    owners = log.owners()
    running = {ch: r for ch, r in owners.items() if r["stopped"] is None}
    if channel is not None and channel not in running:
        if running and channel not in owners:
            raise BadInput(_("the running player does not serve channel '{channel}'").format(channel=channel),
                           _("{hint}use one of: {channels}").format(
                               hint=did_you_mean(channel, list(running)), channels=", ".join(running)))
        return []
    live = {d.id: d for d in log.live_daemons()}
    pairs = []
    for ch, r in running.items():
        if channel is not None and ch != channel:
            continue
        if r["id"] not in live:
            raise CouldNotDo(_not_answering(r, ch))
        pairs.append((live[r["id"]], ch))
    return pairs


def did_you_mean(word: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1)
    return _("did you mean `{word}`? ").format(word=close[0]) if close else ""


def _not_answering(r, channel: str) -> str:
    import socket

    age = max(0.0, time.time() - r["heartbeat"])
    if r["host"] == socket.gethostname() and not pid_alive(r["pid"]):
        return _("the player (pid {pid}) registered for channel {channel} stopped without signing off "
                 "{age:.0f} s ago (crash, kill or power cut); start `broadcaster run` again, or add --here "
                 "to play on this machine anyway").format(pid=r["pid"], channel=channel, age=age)
    return _("the player (pid {pid} on {host}) running channel {channel} has not answered for {age:.0f} s; "
             "it may be hung: check it (its output, `systemctl status`) and restart it, or add --here to play "
             "on this machine anyway").format(pid=r["pid"], host=r["host"], channel=channel, age=age)


def send(log: AsRunLog, targets: list[tuple[DaemonInfo, str]], audio: Audio, priority: str, mode: str,
         wait: float, timeout: float = 5.0) -> list[Answer]:
    """Queue the play on each running daemon and wait for their answers."""
    sent = [(d, ch, log.send(ch, audio.file, audio.notice, audio.title, priority, mode, wait, d.id))
            for d, ch in targets]
    answers: list[Answer] = []
    deadline = time.monotonic() + timeout
    pending = list(sent)
    while pending:
        for item in list(pending):
            d, ch, rid = item
            got = log.answer_state(rid)
            if got is not None:
                answers.append(Answer(ch, d, rid, got[0] != "refused", got[1], already=got[0] == "already"))
                pending.remove(item)
        if pending and time.monotonic() > deadline:
            d, ch, rid = pending[0]
            raise CouldNotDo(_("the player (pid {pid}) running channel {channel} did not answer within "
                               "{seconds:g} s; check that it is not stuck (its output, or `broadcaster log`)").format(
                                   pid=d.pid, channel=ch, seconds=timeout))
        if pending:
            time.sleep(0.02)
    return answers


def wait_for_outcome(log: AsRunLog, answers: list[Answer], timeout: float) -> list[dict]:
    """The as-run rows of accepted requests once each has finished (for `play --wait`)."""
    deadline = time.monotonic() + timeout
    results: dict[int, dict] = {}
    while True:
        for a in answers:
            if a.accepted and a.request not in results:
                rows = log.outcome_of(f"request:{a.daemon.id}:{a.request}")
                if rows:
                    results[a.request] = rows[-1]
        if len(results) == sum(1 for a in answers if a.accepted) or time.monotonic() > deadline:
            return list(results.values())
        time.sleep(0.05)


def local_time(ts: float, timezone: str = TIMEZONE) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(timezone)).strftime("%H:%M:%S.%f")[:-3]
