"""Where the truck is: a gpsd client, and the route logic that turns fixes into stop notices.

The plan stays pure: it still gives every route stop a clock time. For a route whose stops
have positions, the player hands those plays to a RoutePlayer, which starts a stop's notice
when the truck enters the stop's circle (once per visit), loops the `between_stops` filler
while the truck drives, and falls back to the stops' clock times when gpsd has given no fix
for `timeout` seconds. The decisions are pure functions of (circles, state, fix, now); only
GpsdClient does I/O (a socket to gpsd, in its own thread).

gpsd speaks newline-delimited JSON on TCP port 2947: after `?WATCH={"enable":true,"json":true}`
it sends a TPV ("time-position-velocity") object per fix. That is all we need, so the client
is our own rather than a PyPI package: the packages there are unmaintained (gps3,
gpsd-py3) or asyncio-only, and none reconnects by itself after gpsd restarts. Every line from
gpsd is untrusted (whoever answers on the address controls it): `read_report` judges each one
and never raises, lines are capped, and no line ends the reader.
"""
from __future__ import annotations

import json
import math
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from broadcaster.errors import BroadcasterError
from broadcaster.geo import distance_m
from broadcaster.i18n import _, ngettext
from broadcaster.player.model import Item

GPSD_PORT = 2947


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


# ---------------------------------------------------------------- gpsd
# gpsd's own longest report is 10240 bytes (GPS_JSON_RESPONSE_MAX in gpsd 3.2x); anything much
# longer is not from gpsd. The cap bounds the reader's memory and the JSON parser's work.
MAX_LINE = 64 * 1024
# Beyond any road vehicle; a receiver's glitch or a forged report. Only the speed is dropped.
MAX_SPEED = 150.0  # m/s
FIX_MODES = (2, 3)  # gpsd's `mode`: 0 unknown, 1 no fix, 2 2D fix, 3 3D fix


@dataclass(frozen=True)
class Unusable:
    """A line from gpsd that cannot be used: not gpsd's JSON, or a TPV report whose fix cannot be one.

    Ignored like a report without a fix; the client counts them and the player warns once.
    """

    what: str  # what was wrong, for the warning (short: values are cut)


def plausible(lat: object, lon: object) -> bool:
    """True for a position a receiver can report: finite degrees, lat within ±90, lon within ±180."""
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (lat, lon)):
        return False
    try:
        return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
    except OverflowError:  # an int too big for a float
        return False


def _shown(value: object) -> str:
    """A value as JSON, cut short (a hostile report may hold a 400-digit number)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 24 else text[:20] + "…"


def _number(value: object) -> float | None:
    """A JSON number as a float; None for anything else (bool, text, a number too big for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def parse_tpv(line: str, now: float) -> Fix | None:
    """A gpsd JSON line -> Fix when it is a TPV report with a usable 2D/3D fix; None for anything else."""
    got = read_report(line, now)
    return got if isinstance(got, Fix) else None


def read_report(line: str, now: float) -> Fix | Unusable | None:
    """One line from gpsd: a usable Fix, None for a report without one (SKY, VERSION, mode 1), or Unusable.

    Unusable is a line that is not gpsd's JSON, or a TPV report that claims a fix which cannot be
    used (NaN or infinite or out-of-range degrees, a mode that is not gpsd's, a number JSON
    allows and a float cannot hold). Whatever the line holds, this returns; it never raises.
    """
    try:
        return _read_report(line, now)
    except Exception as exc:  # noqa: BLE001 - a line we failed to foresee is one more unusable report
        return Unusable(_("a report that could not be read ({error})").format(error=type(exc).__name__))


def _read_report(line: str, now: float) -> Fix | Unusable | None:
    if not line.strip():
        return None  # gpsd ends lines with CR LF; a blank line says nothing
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: a line of ten thousand `[`
        return Unusable(_("a line that is not gpsd's JSON"))
    if not isinstance(msg, dict) or msg.get("class") != "TPV":
        return None
    mode = msg.get("mode", 0)
    if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 3:
        return Unusable(_("a TPV report with mode {value}").format(value=_shown(mode)))
    if mode not in FIX_MODES:
        return None  # gpsd says so itself: no fix
    lat, lon = _number(msg.get("lat")), _number(msg.get("lon"))
    if lat is None or lon is None or not plausible(lat, lon):
        return Unusable(_("an impossible position: lat {lat}, lon {lon}").format(
            lat=_shown(msg.get("lat")), lon=_shown(msg.get("lon"))))
    speed = _number(msg.get("speed"))
    if speed is not None and not (math.isfinite(speed) and 0.0 <= speed <= MAX_SPEED):
        speed = None
    stamp = msg.get("time", "")
    return Fix(at=now, lat=lat, lon=lon, speed=speed,
               gps_time=stamp if isinstance(stamp, str) and len(stamp) <= 40 else "")


class LineSplitter:
    """Cuts a byte stream into lines of at most `limit` bytes; a longer line is skipped to its newline.

    Each byte is looked at once (the old reader split the whole buffer again on every read:
    quadratic on a line without end), and no more than `limit` bytes of one line are held.
    """

    def __init__(self, limit: int = MAX_LINE) -> None:
        self.limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._skipping = False  # inside a line that was too long: drop bytes up to its newline

    @property
    def held(self) -> int:
        """Bytes of an unfinished line kept for the next chunk (never more than `limit`)."""
        return self._size

    def feed(self, chunk: bytes) -> tuple[list[bytes], int]:
        """(the complete lines in `chunk`, with what came before it; how many lines were too long)."""
        lines: list[bytes] = []
        too_long = 0
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not self._skipping:
                if self._size + len(piece) > self.limit:
                    too_long += 1
                    self._skipping = True
                    self._parts, self._size = [], 0
                elif end >= 0:
                    lines.append(b"".join(self._parts) + piece if self._parts else piece)
                    self._parts, self._size = [], 0
                elif piece:
                    self._parts.append(piece)
                    self._size += len(piece)
            if end < 0:
                return lines, too_long
            self._skipping = False
            start = end + 1


class GpsdClient:
    """Reads TPV reports from gpsd in a thread; `latest()` is the newest usable fix. Reconnects on its own.

    Every line is untrusted: an unusable one is counted (`ignored`, the first kept in
    `ignored_first`) and never ends the reader; a fault of ours in the reader is reported in
    `problem` and the reader connects again.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = GPSD_PORT, retry: float = 1.0) -> None:
        self.host, self.port, self.retry = host, port, retry
        self.ignored = 0            # unusable reports and lines since start
        self.ignored_first = ""     # what the first of them was
        self._since_fix = 0         # unusable ones since the last usable fix
        self._link = ""             # why the connection is down or was lost ("" when fine)
        self._fix: Fix | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def problem(self) -> str:
        """Why there may be no fresh fix ("" when nothing is known to be wrong)."""
        if self._thread is not None and not self._thread.is_alive() and not self._stop.is_set():
            return _("the gpsd reader stopped")
        if self._link:
            return self._link
        if self._since_fix:
            return ngettext("{n} report from gpsd could not be used: {what}",
                            "{n} reports from gpsd could not be used, the first: {what}",
                            self._since_fix).format(n=self._since_fix, what=self.ignored_first)
        return ""

    def latest(self) -> Fix | None:
        return self._fix

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="gpsd", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with socket.create_connection((self.host, self.port), timeout=5) as sock:
                    sock.sendall(b'?WATCH={"enable":true,"json":true}\n')
                    sock.settimeout(1.0)
                    self._link = ""  # connected: an earlier refusal is no longer the reason
                    self._read(sock)
            except OSError as exc:
                self._link = _("gpsd at {host}:{port} cannot be reached ({error})").format(
                    host=self.host, port=self.port, error=exc.strerror or exc)
            except Exception as exc:  # noqa: BLE001 - a fault of ours must not end the reader for good
                self._link = _("the gpsd reader failed ({error}); connecting again").format(
                    error=f"{type(exc).__name__}: {exc}"[:200])
            self._stop.wait(self.retry)

    def _read(self, sock: socket.socket) -> None:
        lines = LineSplitter()
        while not self._stop.is_set():
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                self._link = _("gpsd at {host}:{port} closed the connection").format(host=self.host,
                                                                                     port=self.port)
                return
            complete, too_long = lines.feed(chunk)
            if too_long:
                self._ignore(Unusable(_("a line longer than {limit} bytes").format(limit=MAX_LINE)), too_long)
            for line in complete:
                got = read_report(line.decode("utf-8", "replace"), time.time())
                if isinstance(got, Fix):
                    self._fix = got
                    self._link = ""
                    self._since_fix = 0
                elif got is not None:
                    self._ignore(got)

    def _ignore(self, what: Unusable, n: int = 1) -> None:
        if not self.ignored:
            self.ignored_first = what.what
        self.ignored += n
        self._since_fix += n


def parse_address(text: str) -> tuple[str, int]:
    """'HOST:PORT', 'HOST' or ':PORT' -> (host, port); ValueError when the port is not a number."""
    host, _sep, port = text.rpartition(":") if ":" in text else (text, "", "")
    return host or "127.0.0.1", int(port) if port else GPSD_PORT
