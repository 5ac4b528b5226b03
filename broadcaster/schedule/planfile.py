"""plan.json, a plan saved to play without its schedule: written by `plan --json`, read by `run plan.json`.

The one place that knows the file's shape (a user contract, see docs/player.md):

    {"timezone": "Asia/Shanghai", "quiet_hours": ["22:00-06:00"],
     "channels": {"village": {"name": "大喇叭", "kind": "loudspeaker", "sink": "auto"}},
     "plays": [{"start": "2021-10-27T07:00:00+08:00", "end": ..., "channel": ..., "notice": ...,
                "file": ..., "priority": ..., "status": ..., "reason": ..., "title": ..., "slot": ...}]}

A bare list of plays is read too (every other field then has its default). Reading checks every
field and says which line is wrong; which sinks a file may name is the player's rule, passed in.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from broadcaster import yamlsource
from broadcaster.errors import BadInput, RangeMistake
from broadcaster.i18n import _
from broadcaster.schedule.load import Schedule, known_zone, quiet_ranges
from broadcaster.schedule.model import Play
from broadcaster.schedule.plan import clock_range
from broadcaster.vocabulary import DEFAULT_QUIET_HOURS, PRIORITY_RANK, TIMEZONE


@dataclass(frozen=True)
class PlanFile:
    """What a plan.json holds, checked."""

    plays: tuple[Play, ...]
    timezone: str
    quiet_hours: tuple[tuple[int, int], ...]            # seconds after midnight, as a schedule's
    sinks: dict[str, object] = field(default_factory=dict)  # channel -> its `sink:` (through `sink` when given)
    names: dict[str, str] = field(default_factory=dict)     # channel -> display name


# ---------------------------------------------------------------- writing
def play_fields(play: Play) -> dict:
    """One play as plan.json holds it."""
    return {"start": play.start.isoformat(), "end": play.end.isoformat(), "channel": play.channel,
            "notice": play.notice, "file": play.file, "priority": play.priority,
            "status": play.status, "reason": play.reason, "title": play.title, "slot": play.slot}


def dump(schedule: Schedule, plays) -> str:
    """The plan.json text for these plays of `schedule` (what `broadcaster plan --json` prints)."""
    doc = {"timezone": schedule.timezone,
           "quiet_hours": [clock_range(a, b) for a, b in schedule.quiet_hours],
           "channels": {c.id: {"name": c.name, "kind": c.kind, "sink": c.sink} for c in schedule.channels.values()},
           "plays": [play_fields(p) for p in plays]}
    return json.dumps(doc, ensure_ascii=False, indent=2)


# ---------------------------------------------------------------- reading
def load(path: Path, sink: Callable[[object], object] | None = None) -> PlanFile:
    """A plan.json checked field by field; BadInput with the line of the first mistake.

    `sink(spec)` turns each channel's `sink:` into what the caller plays it on (the player's rule
    for what a file may name); its BadInput is placed at that `sink:` line. Without it the spec is
    kept as written.
    """
    # Read as a schedule is: a FIFO or a device is refused without blocking, GBK is read too. No
    # size limit: a plan for weeks of plays is longer than any notice, and the file is the operator's.
    text = yamlsource.read_text(path)
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise BadInput(_("not valid JSON (a comma, bracket or quote is wrong or missing)"),
                       _("fix the file, or write it again with `broadcaster plan --json`"), path,
                       getattr(exc, "lineno", None)) from None
    lines = _play_lines(text)
    if isinstance(doc, list):
        doc = {"plays": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("plays"), list):
        raise BadInput(_("a plan file holds a list of plays (or an object with `plays`)"),
                       _("write it with `broadcaster plan --json`"), path, 1)
    timezone = str(doc.get("timezone", TIMEZONE))
    if not known_zone(timezone):
        raise BadInput(_("unknown time zone '{zone}'").format(zone=timezone), _("use e.g. Asia/Shanghai"), path)
    quiet = parse_quiet(doc.get("quiet_hours", list(DEFAULT_QUIET_HOURS)), path)
    sinks: dict[str, object] = {}
    names: dict[str, str] = {}
    for name, conf in (doc.get("channels") or {}).items():
        conf = conf if isinstance(conf, dict) else {}
        spec = conf.get("sink") or "auto"
        try:
            sinks[name] = sink(spec) if sink is not None else spec
        except BadInput as exc:
            raise exc.located(path, _sink_line(text, name)) from None
        names[name] = str(conf.get("name", name))
    plays = []
    for i, p in enumerate(doc["plays"]):
        line = lines[i] if i < len(lines) else None
        plays.append(_play(p, path, line))
    return PlanFile(tuple(plays), timezone, quiet, sinks, names)


def parse_quiet(ranges: object, where: Path, line: int | None = None) -> tuple[tuple[int, int], ...]:
    """A saved plan's quiet hours, read by the same rules as a schedule's."""
    if isinstance(ranges, str):
        ranges = [ranges]
    if not isinstance(ranges, (list, tuple)):
        raise BadInput(_("quiet_hours must be a list of time ranges"), _('write e.g. quiet_hours: ["22:00-06:00"]'),
                       where, line)
    try:
        return quiet_ranges([str(r) for r in ranges])
    except RangeMistake as exc:
        raise BadInput(exc.what, exc.fix, where, line) from None


def _sink_line(text: str, channel: str) -> int | None:
    """Line of a channel's `"sink"` key in a plan's JSON text (the first after the channel's name)."""
    at = text.find(json.dumps(channel, ensure_ascii=False), max(text.find('"channels"'), 0))
    m = re.compile(r'"sink"\s*:').search(text, at) if at >= 0 else None
    return text.count("\n", 0, m.start()) + 1 if m else None


def _play_lines(text: str) -> list[int]:
    """Line of each play object's `"start"` key, in order (for line-numbered errors)."""
    return [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r'"start"\s*:', text)]


def _play(p: object, path: Path, line: int | None) -> Play:
    if not isinstance(p, dict):
        raise BadInput(_("each play must give start, end, channel, notice and file"),
                       _("write the plan with `broadcaster plan --json`"), path, line)
    missing = [k for k in ("start", "channel", "notice", "file") if not p.get(k)]
    if missing:
        raise BadInput(_("a play has no {field}").format(field=missing[0]),
                       _("give start, end, channel, notice and file"), path, line)
    try:
        start = datetime.fromisoformat(str(p["start"]))
        end = datetime.fromisoformat(str(p.get("end") or p["start"]))
    except ValueError:
        raise BadInput(_("'{value}' is not an ISO 8601 time").format(value=p["start"]),
                       _("write e.g. 2021-10-27T07:00:00+08:00"), path, line) from None
    if start.tzinfo is None:
        raise BadInput(_("'{value}' has no UTC offset").format(value=p["start"]),
                       _("write e.g. 2021-10-27T07:00:00+08:00"), path, line)
    priority = str(p.get("priority", "normal"))
    if priority not in PRIORITY_RANK:
        raise BadInput(_("unknown priority '{value}'").format(value=priority),
                       _("use one of {choices}").format(choices=", ".join(PRIORITY_RANK)), path, line)
    file = Path(str(p["file"]))
    if not file.is_absolute():
        file = path.parent / file
    return Play(start=start, end=end, channel=str(p["channel"]), notice=str(p["notice"]), file=str(file),
                priority=priority, status=str(p.get("status", "planned")), reason=str(p.get("reason", "")),
                title=str(p.get("title", "")), slot=str(p.get("slot", "")))
