"""Some days of a schedule planned: load, render what it needs, plan, and draw each day.

The CLI (`plan`, `export`), the web desk's schedule page and the player all plan through
`plan_window`, so they render into the same places and plan the same plays.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from broadcaster.schedule.load import Schedule, load_schedule
from broadcaster.schedule.model import Play
from broadcaster.schedule.plan import plan, why_no_plays
from broadcaster.schedule.prepare import render_media
from broadcaster.schedule.svg import timeline


@dataclass(frozen=True)
class PlanDay:
    """One day of a window that has plays."""

    day: date
    plays: tuple[Play, ...]


@dataclass(frozen=True)
class PlanWindow:
    """`days` days of a schedule from `first`: what was rendered for it and the plays."""

    schedule: Schedule
    first: date
    days: int
    media: dict                # (notice path, route stop or None) -> plan.Media
    plays: tuple[Play, ...]    # sorted by start, then channel

    def by_day(self) -> list[PlanDay]:
        """The window's days that have plays (local dates in the schedule's zone), in order."""
        tz = self.schedule.tz
        grouped: dict[date, list[Play]] = {}
        for p in self.plays:
            grouped.setdefault(p.start.astimezone(tz).date(), []).append(p)
        days = (self.first + timedelta(days=n) for n in range(self.days))
        return [PlanDay(d, tuple(grouped[d])) for d in days if d in grouped]

    def picture(self, day: PlanDay, now: datetime | None = None) -> str:
        """The day as an SVG timeline (schedule/svg.py): a lane per channel, titles, quiet hours shaded, a
        legend; `now` is drawn as a line on its own day."""
        names = {c.id: c.name for c in self.schedule.channels.values()}
        return timeline(list(day.plays), day.day, names, self.schedule.quiet_hours, self.schedule.tz, now)

    def note(self) -> str:
        """Why the window airs nothing, in the user's language ('' when something airs)."""
        return why_no_plays(self.schedule, self.first, self.days, list(self.plays))


def plan_window(schedule: Schedule | str | Path, first: date | None = None, days: int = 1, engine: str = "auto",
                audio_dir: Path | None = None, on_rendered: Callable[[], None] | None = None) -> PlanWindow:
    """Plan `days` days from `first` (default: today in the schedule's zone).

    `schedule`: a loaded Schedule, or the path of its file. Notices are rendered into `audio_dir`
    (default: `<schedule>-audio/` beside it) where they changed, with `engine`; `on_rendered()` is
    called between rendering and planning (the desk shows its progress). BadInput for a broken
    schedule or notice.
    """
    if not isinstance(schedule, Schedule):
        schedule = load_schedule(schedule)
    if first is None:
        first = datetime.now(schedule.tz).date()
    media = render_media(schedule, audio_dir, engine=engine)
    if on_rendered is not None:
        on_rendered()
    return PlanWindow(schedule, first, days, media, tuple(plan(schedule, media, first, days)))
