"""Where the truck is: the route logic that turns position fixes into stop notices (player/gpsd.py gets them).

The plan stays pure: it still gives every route stop a clock time. For a route whose stops
have positions, the player hands those plays to a RoutePlayer, which starts a stop's notice
when the truck enters the stop's circle (once per visit), loops the `between_stops` filler
while the truck drives, and falls back to the stops' clock times when gpsd has given no fix
for `timeout` seconds. The decisions are pure functions of (circles, state, fix, now); only
the gpsd client (player/gpsd.py) does I/O, feeding fixes through the PositionFeed interface.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from broadcaster.errors import BroadcasterError
from broadcaster.geo import distance_m
from broadcaster.i18n import _
from broadcaster.player.model import Item


# ---------------------------------------------------------------- fixes and visits (pure)
@dataclass(frozen=True)
class Fix:
    """One position from the receiver."""

    at: float                   # wall-clock time it arrived (epoch seconds)
    lat: float
    lon: float
    speed: float | None = None  # metres per second over ground
    gps_time: str = ""          # the receiver's own timestamp, as gpsd gave it


@dataclass(frozen=True)
class Circle:
    lat: float
    lon: float
    radius: float


@dataclass(frozen=True)
class Visits:
    """Which circles the truck is in. `left` remembers when it last left each, for the hold-off."""

    inside: frozenset = frozenset()
    left: tuple = ()  # ((circle index, time it left), ...)

    def left_at(self, i: int) -> float | None:
        return dict(self.left).get(i)


@dataclass(frozen=True)
class RouteSettings:
    timeout: float = 60.0     # no fix for this long: stops play by their clock times (logged)
    hysteresis: float = 25.0  # metres beyond the radius before the truck counts as gone
    hold_off: float = 120.0   # a re-entry this soon after leaving is the same visit
    early: float = 1800.0     # a stop can be reached this long before its clock time ...
    late: float = 1800.0      # ... and this long after; outside that window it is another day's stop
    boundary_wait: float = 8.0  # longest wait for the filler's sentence to end before a stop notice


def visit_step(circles: tuple[Circle, ...], state: Visits, fix: Fix, settings: RouteSettings) \
        -> tuple[Visits, tuple[int, ...]]:
    """The truck's visits after one fix, and the circles it has newly entered (a new visit).

    Inside means within the radius; gone means beyond radius + hysteresis, so a truck parked
    at the edge, whose fixes wander across the line, stays inside. A re-entry within
    `hold_off` seconds of leaving continues the previous visit.
    """
    inside = set(state.inside)
    left = dict(state.left)
    entered = []
    for i, c in enumerate(circles):
        d = distance_m(fix.lat, fix.lon, c.lat, c.lon)
        if i in inside:
            if d > c.radius + settings.hysteresis:
                inside.discard(i)
                left[i] = fix.at
        elif d <= c.radius:
            inside.add(i)
            gone = left.get(i)
            if gone is None or fix.at - gone > settings.hold_off:
                entered.append(i)
    return Visits(frozenset(inside), tuple(sorted(left.items()))), tuple(entered)


def gps_mode(last_fix: Fix | None, started: float, now: float, timeout: float) -> bool:
    """True while fixes are fresh (or until `timeout` after start, waiting for the first one)."""
    since = last_fix.at if last_fix is not None else started
    return now - since <= timeout


def plausible(lat: object, lon: object) -> bool:
    """True for a position a receiver can report: finite degrees, lat within ±90, lon within ±180."""
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (lat, lon)):
        return False
    try:
        return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
    except OverflowError:  # an int too big for a float
        return False


# ---------------------------------------------------------------- routes (pure data)
@dataclass(frozen=True)
class RouteStop:
    slot: str          # the plan's slot for this stop's play
    place: str
    circle: Circle
    planned: float     # the stop's clock time (epoch seconds): the fallback
    at: str            # the same, as written in the schedule ("15:20")
    file: str
    notice: str
    title: str


@dataclass(frozen=True)
class Filler:
    file: str
    notice: str
    title: str


@dataclass(frozen=True)
class GpsRoute:
    """One day's run of a route rule on one channel."""

    key: str
    channel: str
    priority: str
    stops: tuple[RouteStop, ...]
    filler: Filler | None = None
    slots: frozenset = frozenset()  # every plan slot this route takes over (stops and planned fillers)



def gps_routes(schedule, media: dict, plays) -> tuple[GpsRoute, ...]:
    """The plan's route plays whose stops have positions, grouped into one GpsRoute per day and channel."""
    out = []
    for rule in schedule.programs:
        if not rule.route or rule.route[0].position is None:
            continue
        stop_of = {}
        for n, stop in enumerate(rule.route):
            m = media[(rule.notices[0], n)] if (rule.notices[0], n) in media else \
                media[(str(rule.notices[0]), n)]
            stop_of[m.notice] = (n, stop, m)
        filler = None
        if rule.between_stops is not None:
            fm = media.get((rule.between_stops, None)) or media.get((str(rule.between_stops), None))
            filler = Filler(fm.file, fm.notice, fm.title) if fm else None
        for channel in rule.channels:
            prefix = f"p{rule.index}:{channel}:"
            days: dict = {}
            for p in plays:
                if p.slot.startswith(prefix) and p.status != "dropped":
                    days.setdefault(p.start.date(), []).append(p)
            for day, day_plays in sorted(days.items()):
                stops = []
                for p in day_plays:
                    if p.notice in stop_of:
                        n, stop, m = stop_of[p.notice]
                        pos = stop.position
                        stops.append(RouteStop(p.slot, stop.place, Circle(pos.lat, pos.lon, pos.radius),
                                               datetime.combine(day, stop.at, tzinfo=schedule.tz).timestamp(),
                                               stop.at.isoformat(), p.file, p.notice, p.title))
                stops.sort(key=lambda s: s.planned)
                out.append(GpsRoute(key=f"{prefix}{day.isoformat()}", channel=channel, priority=rule.priority,
                                    stops=tuple(stops), filler=filler,
                                    slots=frozenset(p.slot for p in day_plays)))
    return tuple(out)


# ---------------------------------------------------------------- the route player
class PositionFeed(Protocol):
    problem: str

    def latest(self) -> Fix | None:
        """The newest fix (None before the first)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class _RouteState:
    visits: Visits = field(default_factory=Visits)
    done: set = field(default_factory=set)  # stop slots handed out or logged missed
    started: bool = False


class RoutePlayer:
    """The daemon's hook for GPS routes: decides when each stop's notice starts.

    Lives on the daemon's thread; only the feed reads gpsd in its own thread.
    """

    def __init__(self, feed: PositionFeed, settings: RouteSettings = RouteSettings()) -> None:
        self.feed = feed
        self.settings = settings
        self.routes: tuple[GpsRoute, ...] = ()
        self._state: dict[str, _RouteState] = {}
        self._claimed: frozenset = frozenset()
        self._started_at: float | None = None
        self._feeding = False
        self._seen_fix: Fix | None = None
        self._gps: bool | None = None
        self._breaks: dict[str, tuple[float, ...]] = {}
        self._breaks_lock = threading.Lock()
        self._clock_only = False   # after a fault in the route code: stops play at their clock times
        self._told_ignored = False

    # -- set up
    def set_routes(self, routes: tuple[GpsRoute, ...], now: float) -> None:
        """A new plan's routes; what was already decided for a route (same key) is kept."""
        self.routes = tuple(routes)
        self._state = {r.key: self._state.get(r.key, _RouteState()) for r in self.routes}
        self._claimed = frozenset().union(*(r.slots for r in self.routes)) if self.routes else frozenset()
        if self.routes and not self._feeding:
            self._feeding = True
            self._started_at = now
            if not self._clock_only:
                self.feed.start()
        fillers = {r.filler.file for r in self.routes if r.filler}
        todo = [f for f in fillers if f not in self._breaks]
        if todo:  # find the filler's sentence ends off the daemon's thread: ffmpeg takes a moment
            threading.Thread(target=self._find_breaks, args=(todo,), daemon=True).start()

    def _find_breaks(self, files: list[str]) -> None:
        from broadcaster.audio.pauses import sentence_ends  # numpy: only routes with a filler need it
        for f in files:
            try:
                found = sentence_ends(Path(f))
            except (BroadcasterError, OSError):  # an unreadable filler, or no ffmpeg: reported when it plays
                found = ()  # and cut at its end then (another error is a bug: its traceback shows on stderr)
            with self._breaks_lock:
                self._breaks[f] = found

    def close(self) -> None:
        if self._feeding:
            self._feeding = False
            try:
                self.feed.stop()
            except Exception:  # noqa: BLE001 - stopping: nothing left to save
                pass

    def fall_back(self) -> None:
        """Stop using positions for good: every stop plays at its clock time (after a fault in the route code)."""
        self._clock_only = True
        self._gps = False

    def _fix(self) -> Fix | None:
        """The feed's newest fix when it is one a receiver can give (any feed's fix is checked here too)."""
        if self._clock_only:
            return None
        fix = self.feed.latest()
        if fix is None or not plausible(fix.lat, fix.lon) or not math.isfinite(fix.at):
            return None
        return fix

    # -- questions from the daemon
    def claims(self, slot: str) -> bool:
        """True for plan plays that belong to a GPS route (the route starts them, not the clock)."""
        return slot in self._claimed

    def channels(self) -> set[str]:
        return {r.channel for r in self.routes}

    def where(self, channel: str, now: float) -> Fix | None:
        """The truck's fresh position, for the log (None when the channel has no GPS route or no fix).

        Called for every play on the daemon's thread, outside its route guard: it never raises.
        """
        try:
            fix = self._fix()
            if fix is None or channel not in self.channels() or now - fix.at > self.settings.timeout:
                return None
            return fix
        except Exception:  # noqa: BLE001 - the position is only for the log; the play goes on without it
            return None

    def cut_at(self, file: str, started: float, now: float) -> float:
        """When a filler that started at `started` reaches its next sentence end after `now`."""
        with self._breaks_lock:
            breaks = self._breaks.get(file, ())
        for b in breaks:
            if started + b >= now:
                return min(started + b, now + self.settings.boundary_wait)
        return now + self.settings.boundary_wait

    # -- decisions
    def notes(self, now: float) -> list[tuple[str, str]]:
        """Changes between GPS and clock fallback, as (level, message) to show and log."""
        if not self.routes or self._started_at is None or self._clock_only:
            return []
        out = []
        ignored = getattr(self.feed, "ignored", 0)
        if ignored and not self._told_ignored:
            self._told_ignored = True
            out.append(("warn", _("gpsd sent a report that cannot be used ({what}): it is ignored like a report "
                                  "without a fix; later ones are only counted").format(
                                      what=getattr(self.feed, "ignored_first", ""))))
        fix = self._fix()
        gps = gps_mode(fix, self._started_at, now, self.settings.timeout)
        if gps != self._gps:
            if not gps:
                out.append(("warn", _("no GPS fix for {seconds:g} s ({problem}): route stops play at their "
                                      "clock times").format(seconds=self.settings.timeout,
                                                            problem=self.feed.problem or _("gpsd sends no fix"))))
            elif self._gps is not None:
                out.append(("info", _("GPS fix again: route stops play where the truck is")))
        self._gps = gps
        return out

    def due(self, now: float, settled: set) -> list[Item]:
        """Stops to start now, and stops to log missed (kind `missed`), in route order; `note` says why."""
        if not self.routes:
            return []
        fix = self._fix()
        gps = not self._clock_only and gps_mode(fix, self._started_at or now, now, self.settings.timeout)
        entered: dict[str, tuple[int, ...]] = {}
        if fix is not None and fix is not self._seen_fix:
            self._seen_fix = fix
            for r in self.routes:
                st = self._state[r.key]
                st.visits, entered[r.key] = visit_step(tuple(s.circle for s in r.stops), st.visits, fix,
                                                       self.settings)
        out = []
        for r in self.routes:
            st = self._state[r.key]
            st.done |= {s.slot for s in r.stops if s.slot in settled}
            new = set(entered.get(r.key, ()))
            reached = max((i for i in new if self._armed(r.stops[i], now)), default=-1) if gps else -1
            for i, s in enumerate(r.stops):
                if s.slot in st.done:
                    continue
                if s.planned + self.settings.late < (self._started_at or now):
                    st.done.add(s.slot)  # an earlier day's stop, over before this player started: not ours
                    continue
                item = None
                if gps and i == reached:
                    item = self._stop("scheduled", r, s, fix.at, fix,
                                      _("the truck entered the {radius:g} m circle of {place} (clock time {at})")
                                      .format(radius=s.circle.radius, place=s.place, at=s.at))
                elif gps and i < reached:
                    item = self._stop("missed", r, s, s.planned, fix,
                                      _("the truck reached {later} without coming within {radius:g} m of {place}")
                                      .format(later=r.stops[reached].place, radius=s.circle.radius, place=s.place))
                elif now > s.planned + self.settings.late:
                    item = self._stop("missed", r, s, s.planned, fix if gps else None,
                                      _("the truck did not come within {radius:g} m of {place} by {minutes:g} min "
                                        "after its time").format(radius=s.circle.radius, place=s.place,
                                                                 minutes=self.settings.late / 60))
                elif not gps and now >= s.planned:
                    item = self._stop("scheduled", r, s, s.planned, None, _("no GPS fix: played at its clock time"))
                if item is not None:
                    st.done.add(s.slot)
                    st.started = True
                    out.append(item)
        return out

    def _armed(self, s: RouteStop, now: float) -> bool:
        return s.planned - self.settings.early <= now <= s.planned + self.settings.late

    def _stop(self, kind: str, r: GpsRoute, s: RouteStop, planned: float, fix: Fix | None, reason: str) -> Item:
        return Item(slot=s.slot, channel=r.channel, notice=s.notice, title=s.title, priority=r.priority,
                    planned=planned, file=s.file, kind=kind, note=reason, where=fix)

    def fill(self, channel: str, now: float) -> Item | None:
        """The filler to play on an idle channel while its route is under way (between its stops)."""
        for r in self.routes:
            if r.channel != channel or r.filler is None or not r.stops:
                continue
            st = self._state[r.key]
            started = st.started or now >= r.stops[0].planned
            finished = all(s.slot in st.done for s in r.stops) or now > r.stops[-1].planned + self.settings.late
            if started and not finished:
                f = r.filler
                return Item(slot=f"{r.key}:fill:{now:.3f}", channel=channel, notice=f.notice, title=f.title,
                            priority=r.priority, planned=now, file=f.file, kind="fill", where=self.where(channel, now))
        return None
