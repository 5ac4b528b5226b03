"""Schedule + program durations -> the plan: concrete plays, conflicts and quiet hours resolved.

Pure and deterministic: the same schedule and durations always give the same plan.
Rules: plays never overlap on a channel; the higher priority keeps its time and a lower one
moves to just after it (at most `max_delay`) or is dropped; nothing but emergencies plays
inside quiet hours; loops fill their window back to back and never run past it.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from broadcaster.schedule.load import Program, Schedule
from broadcaster.schedule.model import PRIORITY_RANK, Play


@dataclass(frozen=True)
class Media:
    """A rendered program: what the plan needs to know of it."""

    notice: str
    title: str
    file: str
    duration: float


MediaKey = tuple  # (notice path, route stop index or None)


@dataclass(frozen=True)
class _Candidate:
    play: Play
    window_end: datetime | None  # loops and route fillers must end by this
    order: int


def plan(schedule: Schedule, media: dict, start: date, days: int) -> list[Play]:
    """Every play from `start` for `days` days, sorted by start then channel."""
    tz = schedule.tz
    candidates: list[_Candidate] = []
    for day_offset in range(days):
        day = start + timedelta(days=day_offset)
        for program in schedule.programs:
            if program.on(day):
                candidates.extend(_expand(program, day, tz, media, len(candidates)))
    placed: list[Play] = []
    by_channel: dict[str, list[tuple[datetime, datetime]]] = {}
    # higher priority first; then time, then the schedule's own order: deterministic
    candidates.sort(key=lambda c: (-PRIORITY_RANK[c.play.priority], c.play.start, c.order))
    for cand in candidates:
        placed.append(_place(cand, schedule, by_channel))
    placed.sort(key=lambda p: (p.start, p.channel, p.slot))
    return placed


def _expand(program: Program, day: date, tz, media: dict, base: int) -> list[_Candidate]:
    out: list[_Candidate] = []

    def at(t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=tz)

    def add(key: MediaKey, start: datetime, channel: str, window_end: datetime | None = None) -> datetime:
        m: Media = media[key]
        end = start + timedelta(seconds=m.duration)
        slot = f"p{program.index}:{channel}:{start.isoformat()}:{m.notice}"
        out.append(_Candidate(Play(start=start, end=end, channel=channel, notice=m.notice, file=m.file,
                                   priority=program.priority, title=m.title, slot=slot),
                              window_end, base + len(out)))
        return end

    def sequence(start: datetime, channel: str) -> None:
        t = start
        for path in program.notices:
            t = add((path, None), t, channel)

    for channel in program.channels:
        if program.times:
            for t in program.times:
                sequence(at(t), channel)
        elif program.every:
            t, end = at(program.between[0]), at(program.between[1])
            while t < end:
                sequence(t, channel)
                t += program.every
        elif program.loop:
            t, end = at(program.between[0]), at(program.between[1])
            i = 0
            while True:
                key = (program.notices[i % len(program.notices)], None)
                if t + timedelta(seconds=media[key].duration) > end:
                    break
                t = add(key, t, channel, end)
                i += 1
        elif program.cron:
            from croniter import croniter
            it = croniter(program.cron, at(time(0, 0)) - timedelta(seconds=1))
            while True:
                nxt = it.get_next(datetime)
                if nxt.date() != day:
                    break
                sequence(nxt, channel)
        elif program.route:
            for n, stop in enumerate(program.route):
                end = add((program.notices[0], n), at(stop.at), channel)
                if program.between_stops and n + 1 < len(program.route):
                    nxt = at(program.route[n + 1].at)
                    key = (program.between_stops, None)
                    while end + timedelta(seconds=media[key].duration) <= nxt:
                        end = add(key, end, channel, nxt)
    if program.until is not None:
        until = program.until if program.until.tzinfo else program.until.replace(tzinfo=tz)
        out = [c for c in out if c.play.start < until]
    return out


def _place(cand: _Candidate, schedule: Schedule, by_channel: dict) -> Play:
    play = cand.play
    busy = by_channel.setdefault(play.channel, [])
    length = play.end - play.start
    quiet = _quiet_reason(play.start, play.end, schedule)
    if quiet and play.priority != "emergency":
        return replace(play, status="dropped", reason=f"inside quiet hours {quiet}")
    start = play.start
    blocker = None
    while True:
        clash = _clash(busy, start, start + length)
        if clash is None:
            break
        blocker = clash
        start = clash[1]
    if start == play.start:
        _book(busy, play)
        return play
    moved = replace(play, start=start, end=start + length)
    reason_at = f"{blocker[2]} ({blocker[3]}) holds {blocker[0].strftime('%H:%M:%S')}-{blocker[1].strftime('%H:%M:%S')}"
    if start - play.start > schedule.max_delay:
        return replace(play, status="dropped",
                       reason=f"{reason_at}; moving after it would delay more than {_fmt(schedule.max_delay)}")
    if cand.window_end is not None and moved.end > cand.window_end:
        return replace(play, status="dropped", reason=f"{reason_at}; after it the loop would run past its window")
    quiet = _quiet_reason(moved.start, moved.end, schedule)
    if quiet and play.priority != "emergency":
        return replace(play, status="dropped", reason=f"{reason_at}; after it would be inside quiet hours {quiet}")
    _book(busy, moved)
    return replace(moved, status="moved", reason=f"moved {_fmt(start - play.start)} later: {reason_at}")


def _clash(busy: list, start: datetime, end: datetime):
    i = bisect.bisect_left(busy, (start,))
    for j in (i - 1, i):
        if 0 <= j < len(busy):
            b = busy[j]
            if b[0] < end and start < b[1]:
                return b
    k = i + 1
    while k < len(busy) and busy[k][0] < end:
        if start < busy[k][1]:
            return busy[k]
        k += 1
    return None


def _book(busy: list, play: Play) -> None:
    """Mark a channel busy for a placed play (kept sorted by start for bisect)."""
    bisect.insort(busy, (play.start, play.end, play.notice, play.priority))


def _quiet_reason(start: datetime, end: datetime, schedule: Schedule) -> str:
    """The quiet-hours range a play touches, as text ('' when none)."""
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    s = (start - midnight).total_seconds()
    e = s + (end - start).total_seconds()
    for a, b in schedule.quiet_hours:
        spans = [(a, b)] if a < b else [(a, 86400), (0, b)]
        for day in (-86400, 0, 86400):
            for x, y in spans:
                if x + day < e and s < y + day:
                    return clock_range(a, b)
    return ""


def clock_range(a: int, b: int) -> str:
    """(79200, 21600) -> '22:00-06:00'."""
    return f"{_clock(a)}-{_clock(b)}"


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _fmt(delta: timedelta) -> str:
    s = int(delta.total_seconds())
    return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"


def needed_media(schedule: Schedule) -> list[tuple[MediaKey, Path, dict]]:
    """Every (key, notice file, extra vars) the schedule needs rendered."""
    out: dict = {}
    for program in schedule.programs:
        if program.route:
            for n, stop in enumerate(program.route):
                out[(program.notices[0], n)] = (program.notices[0], stop.vars)
            if program.between_stops:
                out[(program.between_stops, None)] = (program.between_stops, {})
        else:
            for path in program.notices:
                out[(path, None)] = (path, {})
    return [(k, p, v) for k, (p, v) in out.items()]
