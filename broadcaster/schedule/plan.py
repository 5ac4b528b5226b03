"""Schedule + notice durations -> the plan: concrete plays, conflicts and quiet hours resolved.

Pure and deterministic: the same schedule and durations always give the same plan.
Rules: plays never overlap on a channel; the higher priority keeps its time and a lower one
moves to just after it (at most `max_delay`) or is dropped; nothing but emergencies plays
inside quiet hours; loops fill their window back to back and never run past it.
"""
from __future__ import annotations

import bisect
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from broadcaster.errors import BadInput
from broadcaster.i18n import _
from broadcaster.schedule.load import Rule, Schedule
from broadcaster.schedule.model import Play
from broadcaster.vocabulary import PRIORITY_RANK, priority_label


@dataclass(frozen=True)
class Media:
    """A rendered program: what the plan needs to know of it."""

    notice: str
    title: str
    file: str
    duration: float
    length: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "length", timedelta(seconds=self.duration))  # added to every play's start


MediaKey = tuple  # (notice path, route stop index or None)


# A candidate play, as a plain tuple (the planner handles one per play of the year):
# (-priority rank, start, schedule order, end, channel, media, priority, slot, window end or None),
# laid out so that a plain sort puts the higher priority first, then time, then schedule order.
# Times carry the schedule's zone; Python adds and compares datetimes of one zone as
# wall-clock times, which is what a broadcast schedule means.
_Candidate = tuple


MAX_PLAYS = 1_000_000  # a year of 20 channels x 30 rules is about 110,000


def plan(schedule: Schedule, media: dict, start: date, days: int) -> list[Play]:
    """Every play from `start` for `days` days, sorted by start then channel."""
    tz = schedule.tz
    candidates: list[_Candidate] = []
    media = {(str(k[0]), k[1]): v for k, v in media.items()}  # str keys hash far faster than Paths
    for day_offset in range(days):
        day = start + timedelta(days=day_offset)
        for rule in schedule.programs:
            if rule.on(day):
                candidates.extend(_expand(rule, day, tz, media, len(candidates)))
        if len(candidates) > MAX_PLAYS:
            raise BadInput(_("the plan would hold more than {n} plays by {day}").format(n=MAX_PLAYS, day=day),
                           _("plan fewer days at a time (--days), or repeat the programs less often"),
                           schedule.path)
    by_channel: dict[str, list] = {}
    candidates.sort()  # higher priority first; then time, then the schedule's own order: deterministic
    placed = []
    for cand in candidates:
        begin, finish, status, reason = _place(cand, schedule, by_channel)
        channel, m, priority, slot = cand[4:8]
        placed.append(Play(begin, finish, channel, m.notice, m.file,
                           priority, status, reason, m.title, slot))
    placed.sort(key=lambda p: (p.start, p.channel, p.slot))
    return placed


def _expand(rule: Rule, day: date, tz, media: dict, base: int) -> list[_Candidate]:
    out: list[_Candidate] = []
    rank = -PRIORITY_RANK[rule.priority]

    def at(t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=tz)

    def add(m: Media, start: datetime, channel: str, window_end: datetime | None = None) -> datetime:
        end = start + m.length
        slot = f"p{rule.index}:{channel}:{start.isoformat()}:{m.notice}"
        out.append((rank, start, base + len(out), end, channel, m, rule.priority, slot, window_end))
        return end

    def sequence(start: datetime, channel: str) -> None:
        t = start
        for m in playlist:
            t = add(m, t, channel)

    playlist = [] if rule.route else [media[(str(p), None)] for p in rule.notices]

    for channel in rule.channels:
        if rule.times:
            for t in rule.times:
                sequence(at(t), channel)
        elif rule.every:
            t, end = at(rule.between[0]), at(rule.between[1])
            while t < end:
                sequence(t, channel)
                t += rule.every
        elif rule.loop:
            t, end = at(rule.between[0]), at(rule.between[1])
            i = 0
            while True:
                m = playlist[i % len(playlist)]
                if t + m.length > end:
                    break
                t = add(m, t, channel, end)
                i += 1
        elif rule.cron:
            from croniter import croniter
            it = croniter(rule.cron, at(time(0, 0)) - timedelta(seconds=1))
            while True:
                nxt = it.get_next(datetime)
                if nxt.date() != day:
                    break
                sequence(nxt, channel)
        elif rule.route:
            for n, stop in enumerate(rule.route):
                end = add(media[(str(rule.notices[0]), n)], at(stop.at), channel)
                if rule.between_stops and n + 1 < len(rule.route):
                    nxt = at(rule.route[n + 1].at)
                    filler = media[(str(rule.between_stops), None)]
                    while end + filler.length <= nxt:
                        end = add(filler, end, channel, nxt)
    if rule.until is not None:
        until = rule.until if rule.until.tzinfo else rule.until.replace(tzinfo=tz)
        out = [c for c in out if c[1] < until]
    return out


def _place(cand: _Candidate, schedule: Schedule, by_channel: dict) -> tuple:
    """(start, end, status, reason) for one candidate, booking its channel time when it airs."""
    _rank, first, _order, end, channel, m, priority, _slot, window_end = cand
    busy = by_channel.setdefault(channel, [])
    length = end - first
    quiet = quiet_hours_hit(first, length, priority, schedule.quiet_hours)
    if quiet:
        return first, end, "dropped", _("inside quiet hours {hours}").format(hours=quiet)
    start = first
    blocker = None
    while True:
        clash = _clash(busy, start, start + length)
        if clash is None or clash[1] - first > schedule.max_delay:
            blocker = clash or blocker
            start = clash[1] if clash else start
            break
        blocker = clash
        start = clash[1]
    if start == first:
        bisect.insort(busy, (first, end, m.title or m.notice, priority))
        return first, end, "planned", ""
    held = {"notice": blocker[2], "priority": priority_label(blocker[3]),  # its title and priority, in words
            "start": blocker[0].time().isoformat("seconds"), "end": blocker[1].time().isoformat("seconds")}
    if start - first > schedule.max_delay:
        return first, end, "dropped", _("{notice} ({priority}) holds {start}-{end}; moving after it would delay "
                                        "more than {delay}").format(**held, delay=_fmt(schedule.max_delay))
    if window_end is not None and start + length > window_end:
        return first, end, "dropped", _("{notice} ({priority}) holds {start}-{end}; after it the loop would run "
                                        "past its window").format(**held)
    quiet = quiet_hours_hit(start, length, priority, schedule.quiet_hours)
    if quiet:
        return first, end, "dropped", _("{notice} ({priority}) holds {start}-{end}; after it would be inside "
                                        "quiet hours {hours}").format(**held, hours=quiet)
    bisect.insort(busy, (start, start + length, m.title or m.notice, priority))
    return start, start + length, "moved", _("moved {delay} later: {notice} ({priority}) holds {start}-{end}").format(
        **held, delay=_fmt(start - first))


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


def quiet_hours_hit(start: datetime | time, length: timedelta, priority: str, quiet: tuple) -> str:
    """The quiet-hours range ('22:00-06:00') that drops a play of `priority` starting at `start` (a
    time of day) and lasting `length`, '' when it may play: only emergencies play in quiet hours.

    The planner's own rule; the desk's schedule form asks it too, to warn as a time is typed.
    """
    if priority == "emergency":
        return ""
    s = start.hour * 3600 + start.minute * 60 + start.second
    return _quiet_at(s, s + length.total_seconds(), quiet)


@lru_cache(maxsize=4096)  # a year of plays repeats the same few times of day
def _quiet_at(s: int, e: float, quiet: tuple) -> str:
    for x, y, label in _quiet_spans(quiet):
        if x < e and s < y:
            return label
    return ""


@lru_cache(maxsize=32)
def _quiet_spans(quiet: tuple) -> tuple:
    """Quiet ranges as (start, end, label) spans in seconds from a play's midnight (today and tomorrow)."""
    out = []
    for a, b in quiet:
        spans = [(a, b)] if a < b else [(a, 86400), (0, b)]
        for day in (0, 86400):  # a play starts within its day and may run past midnight
            out.extend((x + day, y + day, clock_range(a, b)) for x, y in spans)
    return tuple(out)


def clock_range(a: int, b: int) -> str:
    """(79200, 21600) -> '22:00-06:00'."""
    return f"{_clock(a)}-{_clock(b)}"


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _fmt(delta: timedelta) -> str:
    s = int(delta.total_seconds())
    if s % 60:
        return _("{minutes} min {seconds} s").format(minutes=s // 60, seconds=s % 60)
    return _("{minutes} min").format(minutes=s // 60)


def needed_media(schedule: Schedule) -> list[tuple[MediaKey, Path, dict]]:
    """Every (key, notice file, extra vars) the schedule needs rendered."""
    out: dict = {}
    for rule in schedule.programs:
        if rule.route:
            for n, stop in enumerate(rule.route):
                out[(rule.notices[0], n)] = (rule.notices[0], stop.vars)
            if rule.between_stops:
                out[(rule.between_stops, None)] = (rule.between_stops, {})
        else:
            for path in rule.notices:
                out[(path, None)] = (path, {})
    return [(k, p, v) for k, (p, v) in out.items()]


def _runs_on(rule: Rule, day: date) -> bool:
    if not rule.on(day) or (rule.until is not None and day > rule.until.date()):
        return False
    if rule.cron:
        from croniter import croniter
        midnight = datetime.combine(day, time(0, 0))
        return croniter(rule.cron, midnight - timedelta(seconds=1)).get_next(datetime).date() == day
    return True


def _last_date(rule: Rule) -> date | None:
    """The last day a rule can run by its dates and `until` (None: no end)."""
    ends = []
    if rule.dates is not None:
        ends.append(max(rule.dates) if rule.dates else date.min)
    if rule.date_range is not None:
        ends.append(rule.date_range[1])
    if rule.until is not None:
        ends.append(rule.until.date())
    return min(ends) if ends else None


def _last_play_day(schedule: Schedule, on_or_before: date, horizon: int) -> date | None:
    """The last day on or before `on_or_before` that a rule runs (searched `horizon` days back
    from there, or from where the rules' dates end, so dates years ago are still found)."""
    ends = [_last_date(p) for p in schedule.programs]
    start = on_or_before
    if ends and all(e is not None for e in ends):
        start = min(on_or_before, max(ends))
    return next((start - timedelta(days=n) for n in range(0, horizon)
                 if any(_runs_on(p, start - timedelta(days=n)) for p in schedule.programs)), None)


def why_no_plays(schedule: Schedule, start: date, days: int, plays: list[Play]) -> str:
    """One line that says why a window airs nothing ('' when something airs), in the user's language."""
    if any(p.status != "dropped" for p in plays):
        return ""
    if plays:
        return _("nothing airs: every play falls in quiet hours or clashes (the reasons are shown above)")
    if not schedule.programs:
        return _("the schedule has no programs — add one under `programs:`")
    end = start + timedelta(days=days - 1)
    horizon = 400  # a year and a bit covers yearly dates and weekly cron lines
    later = next((start + timedelta(days=n) for n in range(days, days + horizon)
                  if any(_runs_on(p, start + timedelta(days=n)) for p in schedule.programs)), None)
    earlier = _last_play_day(schedule, start - timedelta(days=1), horizon)
    if later is not None:
        return _("no plays from {start} to {end}: the next play day is {day} — try --from {day}").format(
            start=start, end=end, day=later)
    if earlier is not None:
        first = earlier
        while any(_runs_on(p, first - timedelta(days=1)) for p in schedule.programs):
            first -= timedelta(days=1)
        return _("no plays from {start} on: every program's dates are in the past (the last play day was "
                 "{last}) — try --from {first}, or give the programs new dates").format(
            start=start, last=earlier, first=first)
    return _("no plays from {start} to {end}: no program runs on these days — check the programs' "
             "dates, weekdays and cron lines").format(start=start, end=end)


def why_nothing_ahead(schedule: Schedule, today: date, days: int, plays: list[Play], now: datetime) -> str:
    """For a running player: why nothing is left to air from `now` to the end of its window ('' when
    something is), in the user's language. The player re-plans each day, so a later play day is
    picked up by itself; dates all past need an edit."""
    if any(p.status != "dropped" and p.end > now for p in plays):
        return ""
    ahead = [p for p in plays if p.end > now]
    if ahead:
        return _("nothing airs from now on: every play left falls in quiet hours or clashes "
                 "(see `broadcaster plan` for the reasons)")
    end = today + timedelta(days=days - 1)
    horizon = 400
    later = next((today + timedelta(days=n) for n in range(days, days + horizon)
                  if any(_runs_on(p, today + timedelta(days=n)) for p in schedule.programs)), None)
    if later is not None:
        return _("nothing to play from now to {end}: the next play day is {day}; the player keeps running "
                 "and plays it then").format(end=end, day=later)
    earlier = _last_play_day(schedule, today, horizon)
    if earlier is not None:
        return _("nothing to play: every program's dates are in the past (the last play day was {last}) — "
                 "give the programs new dates; the player picks up the edit while it runs").format(last=earlier)
    return _("nothing to play from now to {end}: no program runs on these days — check the programs' "
             "dates, weekdays and cron lines").format(end=end)
