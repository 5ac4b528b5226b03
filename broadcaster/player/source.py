"""The daemon's plan source: a schedule file planned around now, or a plan saved as JSON.

`broadcaster run schedule.yaml` plans with broadcaster.schedule (`plan_window`); `broadcaster run plan.json`
plays a plan written by `broadcaster plan --json` (schedule/planfile.py; planned on another machine,
or by hand).
Either file is watched: a saved edit is reloaded. A channel's `sink:` in either file goes
through `sinks.from_file`: such a file may not run programs (see docs/player.md).
"""
from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Mapping

from broadcaster.errors import BadInput
from broadcaster.i18n import _
from broadcaster.player.check import load_with_sinks
from broadcaster.player.model import AirPlan
from broadcaster.player.position import gps_routes
from broadcaster.player.sinks import from_file
from broadcaster.schedule import planfile
from broadcaster.schedule.plan import why_nothing_ahead
from broadcaster.schedule.window import plan_window


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
    window = plan_window(schedule, today - timedelta(days=days_before), days_before + 1 + days_after)
    local = datetime.fromtimestamp(now, schedule.tz)
    return AirPlan(plays=window.plays, sinks=sinks,
                   quiet_hours=schedule.quiet_hours, timezone=schedule.timezone, base_dir=schedule.path.parent,
                   names={c.id: c.name for c in schedule.channels.values()},
                   routes=gps_routes(schedule, window.media, window.plays),
                   note=why_nothing_ahead(schedule, today, 1 + days_after, window.plays, local))


def plan_from_json(path: Path, named: Mapping[str, object] | None = None) -> AirPlan:
    """A plan saved as JSON (schedule/planfile.py reads it), each channel's sink under the player's rule."""
    saved = planfile.load(path, sink=lambda spec: from_file(spec, named or {}))
    return AirPlan(saved.plays, saved.sinks, saved.quiet_hours, saved.timezone, path.parent, saved.names)
