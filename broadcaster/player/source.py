"""The daemon's plan source: a schedule file planned around now, or a plan saved as JSON.

`broadcaster run schedule.yaml` plans with broadcaster.schedule; `broadcaster run plan.json`
plays a plan written by `broadcaster plan --json` (planned on another machine, or by hand).
Either file is watched: a saved edit is reloaded. A channel's `sink:` in either file goes
through `sinks.from_file`: such a file may not run programs (see docs/player.md).
"""
from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Mapping

from broadcaster import yamlsource
from broadcaster.errors import BadInput
from broadcaster.i18n import _
from broadcaster.player.check import load_with_sinks
from broadcaster.player.daemon import AirPlan
from broadcaster.player.position import gps_routes
from broadcaster.player.sinks import from_file
from broadcaster.schedule.load import RangeMistake, quiet_ranges
from broadcaster.schedule.model import PRIORITY_RANK, Play
from broadcaster.schedule.plan import plan, why_nothing_ahead
from broadcaster.schedule.prepare import render_media

DEFAULT_QUIET = ("22:00-06:00",)


class ScheduleSource:
    """A schedule (or plan JSON) file; `stamp` is a hash of its bytes, so any saved edit is noticed."""

    def __init__(self, path: Path, sinks: dict[str, object] | None = None, days_before: int = 1,
                 days_after: int = 1, named: Mapping[str, object] | None = None) -> None:
        self.path = path
        self.name = str(path)
        self.sinks = dict(sinks or {})  # --sink CHANNEL=SPEC overrides (trusted: the operator's own)
        self.named = dict(named or {})  # config.yaml `sinks:` a file may name
        self.days_before = days_before
        self.days_after = days_after

    def stamp(self) -> object:
        """The file's identity and times, from stat alone: the play loop calls this, and reading
        there could block it (a FIFO put in the file's place blocks a read forever)."""
        try:
            st = os.stat(self.path)
        except OSError as exc:
            return f"unreadable: {exc}"
        if not stat.S_ISREG(st.st_mode):
            return f"not a regular file: {stat.filemode(st.st_mode)}"
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def load(self, now: float) -> AirPlan:
        if not self.path.exists():
            raise BadInput(_("schedule file not found"), _("check the path given to `broadcaster run`"), self.path)
        if self.path.suffix.lower() == ".json":
            plan = plan_from_json(self.path, self.named)
        else:
            plan = plan_source(self.path, now, self.days_before, self.days_after, self.named)
        if self.sinks:
            plan = replace(plan, sinks={**plan.sinks, **self.sinks})
        if not plan.note and not any(p.status != "dropped" and p.end.timestamp() > now for p in plan.plays):
            plan = replace(plan, note=_("nothing to play from now on: every play of this plan is over or dropped "
                                        "— write a new plan with `broadcaster plan --json`"))
        return plan


def plan_source(schedule_path: Path, now: float, days_before: int = 1, days_after: int = 1,
                named: Mapping[str, object] | None = None) -> AirPlan:
    """The plays around `now` (yesterday..tomorrow) with the channels' sinks and quiet hours.

    Programs are rendered first where they changed (through the clip cache, so this is cheap).
    """
    schedule, sinks = load_with_sinks(schedule_path, named)  # refused before anything is rendered
    today = datetime.fromtimestamp(now, schedule.tz).date()
    media = render_media(schedule)
    plays = plan(schedule, media, today - timedelta(days=days_before), days_before + 1 + days_after)
    local = datetime.fromtimestamp(now, schedule.tz)
    return AirPlan(plays=tuple(plays), sinks=sinks,
                   quiet_hours=schedule.quiet_hours, timezone=schedule.timezone, base_dir=schedule.path.parent,
                   names={c.id: c.name for c in schedule.channels.values()},
                   routes=gps_routes(schedule, media, plays),
                   note=why_nothing_ahead(schedule, today, 1 + days_after, plays, local))


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


def plan_from_json(path: Path, named: Mapping[str, object] | None = None) -> AirPlan:
    """A plan saved as JSON: a list of plays, or {plays: [...], channels: {..: {sink}}, quiet_hours, timezone}."""
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
    timezone = str(doc.get("timezone", "Asia/Shanghai"))
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(timezone)
    except Exception:
        raise BadInput(_("unknown time zone '{zone}'").format(zone=timezone), _("use e.g. Asia/Shanghai"),
                       path) from None
    quiet = parse_quiet(doc.get("quiet_hours", list(DEFAULT_QUIET)), path)
    sinks: dict[str, object] = {}
    names: dict[str, str] = {}
    for name, conf in (doc.get("channels") or {}).items():
        conf = conf if isinstance(conf, dict) else {}
        try:
            sinks[name] = from_file(conf.get("sink") or "auto", named or {})
        except BadInput as exc:
            raise exc.located(path, _sink_line(text, name)) from None
        names[name] = str(conf.get("name", name))
    plays = []
    for i, p in enumerate(doc["plays"]):
        line = lines[i] if i < len(lines) else None
        plays.append(_play(p, path, line))
    return AirPlan(tuple(plays), sinks, quiet, timezone, path.parent, names)


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
