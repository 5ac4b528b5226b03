"""The daemon's plan source: a schedule file, loaded and planned around now by broadcaster.schedule."""
from __future__ import annotations

import hashlib
from pathlib import Path

from broadcaster.errors import BadInput, CouldNotDo
from broadcaster.player.daemon import AirPlan


class ScheduleSource:
    """A schedule file; `stamp` is a hash of its bytes, so any saved edit is noticed."""

    def __init__(self, path: Path, days_before: int = 1, days_after: int = 1) -> None:
        self.path = path
        self.name = str(path)
        self.days_before = days_before
        self.days_after = days_after

    def stamp(self) -> object:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError as exc:
            return f"unreadable: {exc}"

    def load(self, now: float) -> AirPlan:
        if not self.path.is_file():
            raise BadInput("schedule file not found", "check the path given to `broadcaster run`", self.path)
        return plan_source(self.path, now, self.days_before, self.days_after)


def plan_source(schedule_path: Path, now: float, days_before: int = 1, days_after: int = 1) -> AirPlan:
    """The plays around `now` (yesterday..tomorrow) with the channels' sinks and quiet hours."""
    try:
        from broadcaster.schedule import load as schedule_load  # noqa: F401
        from broadcaster.schedule import plan as schedule_plan  # noqa: F401
    except ImportError:
        raise CouldNotDo("the schedule planner is not installed in this build") from None
    raise CouldNotDo("the schedule planner is not connected yet")
