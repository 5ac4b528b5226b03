"""schedule.yaml -> Schedule: channels, rules and quiet hours, every error with file and line.

A rule is one item of the file's `programs:` list (the key stays: it is what users write); the
code calls it Rule, because "program" also means a rendered notice (docs/glossary.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from broadcaster import yamlsource
from broadcaster.errors import BadInput, InputWarning, RangeMistake, in_line_order, raise_all
from broadcaster.fsutil import CONTROL_RE
from broadcaster.geo import distance_m
from broadcaster.i18n import _
from broadcaster.notice import ID_RE, id_like
from broadcaster.vocabulary import DEFAULT_QUIET_HOURS, PRIORITIES, TIMEZONE
from broadcaster.yamlsource import YamlDoc

SCHEDULE_KEYS = {"timezone", "quiet_hours", "channels", "programs", "max_delay"}
CHANNEL_KEYS = {"name", "kind", "sink"}
CHANNEL_KINDS = ("loudspeaker", "truck")
RULE_KEYS = {"notice", "notices", "channel", "channels", "dates", "weekdays", "times", "every", "between",
                "until", "loop", "cron", "priority", "route", "between_stops"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# matched with fullmatch: `$` also matches before a final newline, so "07:00\n" would pass
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_DURATION = re.compile(r"(\d+)\s*(s|m|min|h)")


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    kind: str = "loudspeaker"
    sink: object = "auto"  # a sink name or an argument list (the player resolves it)


# GPS receivers in the open are good to about 5-15 m, but a truck between buildings sees
# 20-30 m; a circle smaller than this would be missed or entered and left on noise alone.
GPS_ACCURACY_M = 30.0
DEFAULT_RADIUS_M = 100.0
POSITION_KEYS = ("lat", "lon", "radius")


@dataclass(frozen=True)
class Position:
    """Where a route stop is: a circle around a point (WGS84 degrees, metres)."""

    lat: float
    lon: float
    radius: float = DEFAULT_RADIUS_M


@dataclass(frozen=True)
class Stop:
    """One stop of a truck route: its time and the variables the notice gets there.

    With a position the stop's notice plays when the truck enters the circle; `at` stays the
    time it plays when there is no GPS fix (the route's clock fallback).
    """

    at: time
    vars: dict
    position: Position | None = None
    line: int = 0

    @property
    def place(self) -> str:
        return str(self.vars.get("place", self.at.isoformat()))


@dataclass(frozen=True)
class Rule:
    """One rule of the schedule (an item of `programs:`): what plays, where, when."""

    index: int
    line: int
    notices: tuple[Path, ...]
    channels: tuple[str, ...]
    priority: str = "normal"
    dates: frozenset | None = None          # None: every day
    date_range: tuple[date, date] | None = None
    weekdays: frozenset | None = None        # 0 = Monday
    times: tuple[time, ...] = ()
    every: timedelta | None = None
    between: tuple[time, time] | None = None
    until: datetime | None = None
    loop: bool = False
    cron: str | None = None
    route: tuple[Stop, ...] = ()
    between_stops: Path | None = None

    def on(self, day: date) -> bool:
        if self.dates is not None and day not in self.dates:
            return False
        if self.date_range is not None and not self.date_range[0] <= day <= self.date_range[1]:
            return False
        return self.weekdays is None or day.weekday() in self.weekdays


@dataclass(frozen=True)
class Schedule:
    path: Path
    timezone: str = TIMEZONE
    quiet_hours: tuple[tuple[int, int], ...] = field(  # seconds after midnight
        default_factory=lambda: quiet_ranges(list(DEFAULT_QUIET_HOURS)))
    max_delay: timedelta = timedelta(minutes=10)
    channels: dict = field(default_factory=dict)   # id -> Channel
    programs: tuple[Rule, ...] = ()                 # the rules, named as the file's key
    warnings: tuple[InputWarning, ...] = field(default=(), compare=False)  # a time in quiet hours...: said

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def known_zone(name: str) -> bool:
    """Whether `name` is a time zone this machine knows ("Asia/Shanghai"); never raises.

    ZoneInfo refuses a bad name in three ways: not found, not a zone's form ("../x", ""), or a
    folder of the zone database ("Asia": IsADirectoryError) and other file errors.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def is_schedule_data(data: object) -> bool:
    return isinstance(data, dict) and "programs" in data


def load_schedule(path: str | Path) -> Schedule:
    """Load and validate a schedule; notice files must exist (their contents are checked by render)."""
    doc = yamlsource.load(path)
    return schedule_from_doc(doc)


def schedule_from_doc(doc: YamlDoc) -> Schedule:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error(_("a schedule holds fields such as `channels:` and `programs:`"), _("see docs/schedules.md"))
    yamlsource.check_keys(doc, data, SCHEDULE_KEYS)
    cut, warnings = yamlsource.comment_problems(doc, _comment_kind)
    raise_all(cut)
    tzname = data.get("timezone", TIMEZONE)
    if not known_zone(str(tzname)):
        raise doc.error(_("unknown time zone '{zone}'").format(zone=tzname), _("use e.g. Asia/Shanghai"), "timezone") from None
    quiet = parse_quiet_hours(doc, data.get("quiet_hours", list(DEFAULT_QUIET_HOURS)))
    max_delay = parse_duration(doc, data.get("max_delay", "10m"), "max_delay")
    channels = _channels(doc, data.get("channels"))
    programs = data.get("programs")
    if not isinstance(programs, list) or not programs:
        raise doc.error(_("`programs:` must list at least one program"), _("add items that start with `- notice: ...`"),
                        "programs")
    rules, problems = [], []
    for i, p in enumerate(programs):  # each program's mistake is its own: all of them at once
        try:
            rules.append(_rule(doc, i, p, channels))
        except BadInput as exc:
            problems.append(exc)
    raise_all(problems)
    warnings += _in_quiet_hours(doc, rules, quiet)
    return Schedule(path=doc.path, timezone=str(tzname), quiet_hours=quiet, max_delay=max_delay,
                    channels=channels, programs=tuple(rules), warnings=tuple(in_line_order(warnings)))


def _comment_kind(key: tuple, value: str) -> str | None:
    """A ` #` after a channel's name or a stop's words cuts them short (yamlsource.comment_problems)."""
    if len(key) == 3 and key[0] == "channels" and key[2] == "name":
        return yamlsource.FREE_TEXT
    if len(key) == 5 and key[0] == "programs" and key[2] == "route" and key[4] not in ("at", *POSITION_KEYS):
        return yamlsource.NAME_OR_NUMBER if re.fullmatch(r"[\d\s.:-]+", value) else yamlsource.FREE_TEXT
    return None


def _in_quiet_hours(doc: YamlDoc, rules: list[Rule], quiet: tuple) -> list[InputWarning]:
    """A time a program asks for that falls in quiet hours never plays (only emergencies do): said at
    its line, as the plan would otherwise only drop it."""
    out = []

    def inside(t: time) -> str:
        s = _sec(t)
        for a, b in quiet:
            if (a <= s < b) if a < b else (s >= a or s < b):
                return f"{a // 3600:02d}:{a % 3600 // 60:02d}-{b // 3600:02d}:{b % 3600 // 60:02d}"
        return ""

    for rule in rules:
        if rule.priority == "emergency":
            continue
        k = ("programs", rule.index)
        listed = isinstance(doc.data["programs"][rule.index].get("times"), list)
        asked = [(t, k + (("times", j) if listed else ("times",))) for j, t in enumerate(rule.times)]
        asked += [(stop.at, None, stop.line) for stop in rule.route]
        for t, key, *line in asked:
            hours = inside(t)
            if hours:
                out.append(InputWarning(
                    _("{time} falls in the quiet hours {hours}: it will never play (only emergencies do)").format(
                        time=t.strftime("%H:%M:%S" if t.second else "%H:%M"), hours=hours),
                    _("choose a time outside the quiet hours, or change quiet_hours"),
                    doc.path, line[0] if line else doc.line(*key), key or k))
    return out


def parse_clock(doc: YamlDoc, value: object, *keys) -> time:
    text = str(doc.raw.get(tuple(keys), value)).strip()
    m = _TIME.fullmatch(text)
    if not m:
        raise doc.error(_("'{value}' is not a time of day").format(value=text),
                        _('write it as "07:00" or "18:30:30", in quotes'), *keys)
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or s > 59:
        raise doc.error(_("invalid time '{value}'").format(value=text), _("hours 0-23, minutes and seconds 0-59"), *keys)
    return time(h, mi, s)


def window(text: str) -> tuple[time, time]:
    """"08:00-11:00" -> (08:00, 11:00); "24:00" is the last second of the day."""
    parts = [p.strip() for p in text.split("-")]
    if len(parts) != 2:
        raise RangeMistake(_("'{value}' is not a time range").format(value=text), _('write it as "08:00-11:00"'))
    return _clock_of(parts[0]), _clock_of(parts[1])


def _clock_of(text: str) -> time:
    m = _TIME.fullmatch(text)
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise RangeMistake(_("invalid time '{value}'").format(value=text), _('write times as "08:00"'))
    if int(m.group(1)) == 24:
        return time(23, 59, 59)
    return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def parse_window(doc: YamlDoc, value: object, *keys) -> tuple[time, time]:
    text = str(doc.raw.get(tuple(keys), value))  # as written: YAML 1.1 reads 22:00 as a number
    try:
        return window(text)
    except RangeMistake as exc:
        raise doc.error(exc.what, exc.fix, *keys) from None


def quiet_ranges(texts: list[str]) -> tuple[tuple[int, int], ...]:
    """["22:00-06:00", "12:30-14:30"] -> seconds after midnight; RangeMistake names the bad item.

    Shared by schedule files and saved plans, so both refuse the same mistakes.
    """
    out = []
    for i, text in enumerate(texts):
        try:
            a, b = window(text)
        except RangeMistake as exc:
            raise RangeMistake(exc.what, exc.fix, index=i) from None
        sa, sb = _sec(a), _sec(b)
        if sa == sb:
            raise RangeMistake(_("quiet hours '{value}' is an empty range").format(value=text),
                               _("give different start and end times"), index=i)
        out.append((sa, sb))
    for i, r1 in enumerate(out):
        for r2 in out[:i]:
            if _ranges_overlap(r1, r2):
                raise RangeMistake(_("quiet hours '{value}' overlap another range").format(value=texts[i]),
                                   _("merge the overlapping ranges into one"), index=i)
    return tuple(out)


def parse_quiet_hours(doc: YamlDoc, value: object) -> tuple[tuple[int, int], ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise doc.error(_("quiet_hours must be a list of time ranges"),
                        _('write e.g. quiet_hours: ["22:00-06:00"]'), "quiet_hours")
    try:
        return quiet_ranges([str(doc.raw.get(("quiet_hours", i), v)) for i, v in enumerate(value)])
    except RangeMistake as exc:
        raise doc.error(exc.what, exc.fix, "quiet_hours", exc.index) from None


def _ranges_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    def spans(r):
        return [(r[0], r[1])] if r[0] < r[1] else [(r[0], 86400), (0, r[1])]
    return any(x0 < y1 and y0 < x1 for x0, x1 in spans(a) for y0, y1 in spans(b))


MAX_DURATION = timedelta(days=366)  # far beyond any schedule's need; bigger ones overflow timedelta


def parse_duration(doc: YamlDoc, value: object, *keys) -> timedelta:
    m = _DURATION.fullmatch(str(value).strip())
    if not m or int(m.group(1)) == 0:
        raise doc.error(_("'{value}' is not a length of time").format(value=value),
                        _('write e.g. "30m", "90s" or "2h"'), *keys)
    n, unit = int(m.group(1)), m.group(2)
    seconds = n * {"s": 1, "m": 60, "min": 60, "h": 3600}[unit]
    if seconds > MAX_DURATION.total_seconds():
        raise doc.error(_("'{value}' is longer than a year").format(value=str(value)[:40]),
                        _('write e.g. "30m", "90s" or "2h"'), *keys)
    return timedelta(seconds=seconds)


def _sec(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _channels(doc: YamlDoc, value: object) -> dict:
    if not isinstance(value, dict) or not value:
        raise doc.error(_("a schedule needs `channels:`"),
                        _("e.g. channels: {village: {name: 大喇叭, kind: loudspeaker}}"), "channels")
    out = {}
    for cid, conf in value.items():
        # channel ids go into file names, unit names and commands: the notice-id rule, whole string
        if not isinstance(cid, str) or not ID_RE.fullmatch(cid):
            suggestion = id_like(str(cid), "village")
            raise doc.error(_("channel id '{id}' may use only a-z, 0-9, - and _").format(id=cid),
                            _("write it as e.g. {suggestion}").format(suggestion=suggestion), "channels", cid)
        conf = conf or {}
        if not isinstance(conf, dict):
            raise doc.error(_("channel '{id}' must hold fields such as `name:` and `kind:`").format(id=cid),
                            _("write {name: ..., kind: loudspeaker}"), "channels", cid)
        yamlsource.check_keys(doc, conf, CHANNEL_KEYS, ("channels", cid))
        kind = conf.get("kind", "loudspeaker")
        if kind not in CHANNEL_KINDS:
            raise doc.error(_("unknown channel kind '{kind}'").format(kind=kind), _("use loudspeaker or truck"),
                            "channels", cid, "kind")
        name = str(conf.get("name", cid))
        if CONTROL_RE.search(name):
            raise doc.error(_("the name of channel '{id}' must be one line of text").format(id=cid),
                            _("remove the line breaks and tabs from `name:`"), "channels", cid, "name")
        out[str(cid)] = Channel(id=str(cid), name=name, kind=kind,
                                sink=conf.get("sink", "auto"))
    return out


def _notice_path(doc: YamlDoc, value: object, *keys) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise doc.error(_("a notice must be the name of a file"), _("write e.g. notice: notices/hesuan.yaml"), *keys)
    path = (doc.path.parent / value).resolve()
    if not path.is_file():
        raise doc.error(_("notice file '{file}' not found").format(file=value),
                        _("paths are relative to the schedule file"), *keys)
    return path


def _rule(doc: YamlDoc, i: int, p: object, channels: dict) -> Rule:
    k = ("programs", i)
    if not isinstance(p, dict):
        raise doc.error(_("each program must hold fields such as `notice:` and `times:`"),
                        _("start it with `- notice: ...`"), *k)
    yamlsource.check_keys(doc, p, RULE_KEYS, k)
    if ("notice" in p) == ("notices" in p):
        raise doc.error(_("give a program either `notice:` or `notices:`"), _("one file, or a list for a playlist"), *k)
    if "notice" in p:
        notices = (_notice_path(doc, p["notice"], *k, "notice"),)
    else:
        if not isinstance(p["notices"], list) or not p["notices"]:
            raise doc.error(_("`notices:` must be a list of files"), _("write notices: [a.yaml, b.yaml]"), *k, "notices")
        notices = tuple(_notice_path(doc, n, *k, "notices", j) for j, n in enumerate(p["notices"]))
    if ("channel" in p) == ("channels" in p):
        raise doc.error(_("give a program either `channel:` or `channels:`"), _("name a channel from `channels:`"), *k)
    names = [p["channel"]] if "channel" in p else p["channels"]
    if not isinstance(names, list):
        raise doc.error(_("`channels:` must be a list"), _("write channels: [village, truck]"), *k, "channels")
    for j, name in enumerate(names):
        if name not in channels:
            hint = yamlsource.did_you_mean(str(name), list(channels))
            listed = _(", ").join(channels)
            fix = (_("did you mean '{word}'? The schedule's channels: {channels}").format(
                       word=yamlsource.closest(str(name), list(channels)), channels=listed) if hint
                   else _("the schedule's channels: {channels}").format(channels=listed))
            raise doc.error(_("unknown channel '{name}'").format(name=name), fix,
                            *k, "channel" if "channel" in p else "channels", *(() if "channel" in p else (j,)))
    priority = p.get("priority", "normal")
    if priority not in PRIORITIES:
        raise doc.error(_("unknown priority '{value}'").format(value=priority),
                        _("use emergency, urgent, normal or background"), *k, "priority")
    dates, date_range = _dates(doc, p.get("dates"), k)
    weekdays = None
    if "weekdays" in p:
        wd = p["weekdays"] if isinstance(p["weekdays"], list) else [p["weekdays"]]
        bad = [w for w in wd if str(w).lower()[:3] not in WEEKDAYS]
        if bad:
            raise doc.error(_("unknown weekday '{value}'").format(value=bad[0]), _("use mon tue wed thu fri sat sun"),
                            *k, "weekdays")
        weekdays = frozenset(WEEKDAYS.index(str(w).lower()[:3]) for w in wd)
    times = ()
    if "times" in p:
        tv = p["times"] if isinstance(p["times"], list) else [p["times"]]
        times = tuple(parse_clock(doc, t, *k, "times", j) if isinstance(p["times"], list)
                      else parse_clock(doc, t, *k, "times") for j, t in enumerate(tv))
    every = parse_duration(doc, p["every"], *k, "every") if "every" in p else None
    if every is not None and every < timedelta(minutes=1):
        # a loudspeaker notice lasts longer than that; a tiny step would only flood the planner
        raise doc.error(_("`every: {value}` is too often").format(value=p["every"]),
                        _('repeat at most once a minute, e.g. every: "30m"'), *k, "every")
    between = parse_window(doc, p["between"], *k, "between") if "between" in p else None
    if between and between[0] >= between[1]:
        raise doc.error(_("the time window '{value}' is empty").format(value=p["between"]),
                        _("the end must be after the start (same day)"), *k, "between")
    loop = bool(p.get("loop", False))
    cron = p.get("cron")
    if cron is not None:
        from croniter import croniter
        if not croniter.is_valid(str(cron)):
            raise doc.error(_("invalid cron rule '{value}'").format(value=cron),
                            _('write five fields: minute hour day month weekday, e.g. "0 19 * * 6"'), *k, "cron")
    until = None
    if "until" in p:
        text = str(doc.raw.get(k + ("until",), p["until"]))
        try:
            until = datetime.fromisoformat(text)
        except ValueError:
            raise doc.error(_("'{value}' is not a date and time").format(value=text), _("write e.g. 2021-10-28T11:00"),
                            *k, "until") from None
    route = ()
    if "route" in p:
        if not isinstance(p["route"], list) or not p["route"]:
            raise doc.error(_("`route:` must be a list of stops"), _('write [{at: "09:00", place: 1号楼}, ...]'),
                            *k, "route")
        stops = []
        for j, s in enumerate(p["route"]):
            if not isinstance(s, dict) or "at" not in s:
                raise doc.error(_("each stop needs `at:`"), _('write {at: "09:00", place: 1号楼}'), *k, "route", j)
            at = parse_clock(doc, s["at"], *k, "route", j, "at")
            vars_ = {key: str(doc.raw.get(k + ("route", j, key), v)) for key, v in s.items()
                     if key != "at" and key not in POSITION_KEYS}
            stops.append(Stop(at=at, vars=vars_, position=_position(doc, s, *k, "route", j),
                              line=doc.line(*k, "route", j) or 0))
        _check_positions(doc, stops, k)
        route = tuple(sorted(stops, key=lambda s: s.at))
    between_stops = _notice_path(doc, p["between_stops"], *k, "between_stops") if "between_stops" in p else None
    kinds = sum(bool(x) for x in (times, every, loop, cron, route))
    if kinds != 1:
        raise doc.error(_("a program needs exactly one of times, every, loop, cron or route"),
                        _('e.g. times: ["07:00", "12:00"]'), *k)
    if (every or loop) and not between:
        raise doc.error(_("`every:` and `loop:` need a time window"), _('add between: "08:00-11:00"'), *k)
    return Rule(index=i, line=doc.line(*k) or 0, notices=notices, channels=tuple(names), priority=priority,
                dates=dates, date_range=date_range, weekdays=weekdays, times=times, every=every,
                between=between, until=until, loop=loop, cron=str(cron) if cron else None, route=route,
                between_stops=between_stops)


def _dates(doc: YamlDoc, value: object, k: tuple) -> tuple[frozenset | None, tuple[date, date] | None]:
    if value is None:
        return None, None

    def one(v: object, *keys) -> date:
        if isinstance(v, date):
            return v
        try:
            return date.fromisoformat(str(v).strip())
        except ValueError:
            raise doc.error(_("invalid date '{value}'").format(value=v), _("write dates as 2021-10-27"),
                            *keys) from None

    if isinstance(value, list):
        return frozenset(one(v, *k, "dates", j) for j, v in enumerate(value)), None
    text = str(doc.raw.get(k + ("dates",), value))
    if ".." in text:
        a, b = (one(x, *k, "dates") for x in text.split("..", 1))
        if b < a:
            raise doc.error(_("date range '{value}' ends before it starts").format(value=text),
                            _("write the earlier date first"), *k, "dates")
        return None, (a, b)
    return frozenset({one(value, *k, "dates")}), None


def _number(doc: YamlDoc, value: object, *keys) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise doc.error(_("'{value}' is not a number").format(value=value),
                        _("write degrees as decimals, e.g. lat: 29.53, and the radius in metres, e.g. radius: 80"),
                        *keys)
    try:
        return float(value)  # yamlsource has refused .nan and .inf already
    except OverflowError:  # a whole number of hundreds of digits
        raise doc.error(_("'{value}…' is far too big a number").format(value=str(value)[:12]),
                        _("write degrees as decimals, e.g. lat: 29.53, and the radius in metres, e.g. radius: 80"),
                        *keys) from None


def _position(doc: YamlDoc, s: dict, *keys) -> Position | None:
    """A stop's `lat`/`lon`/`radius` as a Position (None when it has none); BadInput on nonsense."""
    given = [key for key in POSITION_KEYS if key in s]
    if not given:
        return None
    if "lat" not in s or "lon" not in s:
        missing = "lon" if "lat" in s else "lat"
        raise doc.error(_("this stop has a position but no `{key}:`").format(key=missing),
                        _("give both lat and lon in decimal degrees, e.g. {lat: 29.53, lon: 108.77}"), *keys)
    lat = _number(doc, s["lat"], *keys, "lat")
    lon = _number(doc, s["lon"], *keys, "lon")
    if not -90 <= lat <= 90:
        raise doc.error(_("latitude {value} is outside -90..90").format(value=s["lat"]),
                        _("lat is degrees north (China: about 18 to 54); check that lat and lon are not swapped"),
                        *keys, "lat")
    if not -180 <= lon <= 180:
        raise doc.error(_("longitude {value} is outside -180..180").format(value=s["lon"]),
                        _("lon is degrees east (China: about 73 to 135)"), *keys, "lon")
    radius = _number(doc, s.get("radius", DEFAULT_RADIUS_M), *keys, "radius")
    if radius < GPS_ACCURACY_M:
        raise doc.error(_("radius {radius:g} m is smaller than GPS accuracy ({accuracy:g} m)").format(
                            radius=radius, accuracy=GPS_ACCURACY_M),
                        _("give the stop a radius of at least {accuracy:g} m, e.g. radius: 80").format(
                            accuracy=GPS_ACCURACY_M), *keys, "radius")
    return Position(lat=lat, lon=lon, radius=radius)


def _check_positions(doc: YamlDoc, stops: list[Stop], k: tuple) -> None:
    """Every stop of a route has a position or none does, and no two circles overlap."""
    placed = [s.position is not None for s in stops]
    if any(placed) and not all(placed):
        j = placed.index(False)
        raise doc.error(_("stop '{place}' has no position, but other stops of this route do").format(
                            place=stops[j].place),
                        _("give every stop lat, lon and radius, or none of them"), *k, "route", j)
    for j, a in enumerate(stops):
        for b in stops[:j]:
            if a.position is None or b.position is None:
                continue
            d = distance_m(a.position.lat, a.position.lon, b.position.lat, b.position.lon)
            if d < a.position.radius + b.position.radius:
                raise doc.error(
                    _("the circle of stop '{place}' overlaps the circle of '{other}' ({distance:.0f} m apart, "
                      "radii {r1:g} m + {r2:g} m)").format(place=a.place, other=b.place, distance=d,
                                                           r1=a.position.radius, r2=b.position.radius),
                    _("make the radii smaller than half the distance, or merge the two stops into one"),
                    *k, "route", j)
