"""What a filled-in notice says that cannot be right, or may not be: a time range that ends before it
starts, a phone number that fits no Chinese pattern, a date already past, a weekday that is not the
date's.

Errors stop the notice like any mistake; warnings are said (by `check`, and on `render`'s line) and
the notice still goes on air: a notice kept for the record may well be past. Each finding is placed
at the line that says it: the variable that holds it, else the line of the file with its words. The
patterns and words are data (data/script/checks.yaml), read once.

Which year a date without one is: the year written with another date of the same notice, else the
one nearest to today (11月20日 read on 11月27日 is a week past; 1月3日 read on 12月30日 is next week).
A weekday that does not fit a date is an error when the year is written, and a warning naming the
year taken when it is not (an old notice kept for the record was right in its own year).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import yaml

from broadcaster.errors import BadInput, InputWarning
from broadcaster.i18n import N_, _
from broadcaster.notice import Notice
from broadcaster.resources import data_path
from broadcaster.vocabulary import TIMEZONE

DATA = data_path("script", "checks.yaml")
TODAY_VARIABLE = "BROADCASTER_TODAY"  # 2021-10-25: check as of that day (tests, and the guide's examples)
_SEP = r"\s*(?:——|[-~～—–－至到])\s*"


def today(timezone: str | None = None) -> date:
    """Today in `timezone` (a schedule's; default Asia/Shanghai), or the day BROADCASTER_TODAY names."""
    fixed = os.environ.get(TODAY_VARIABLE, "").strip()
    if fixed:
        try:
            return date.fromisoformat(fixed)
        except ValueError:
            raise BadInput(_("{name}={value} is not a date").format(name=TODAY_VARIABLE, value=fixed),
                           _("write it as 2021-10-27, or unset it")) from None
    return datetime.now(ZoneInfo(timezone or TIMEZONE)).date()


@dataclass(frozen=True)
class Findings:
    """A notice's checks: errors stop it, warnings are said."""

    errors: tuple[BadInput, ...] = ()
    warnings: tuple[InputWarning, ...] = ()


def check_notice(notice: Notice, said: str, day: date) -> Findings:
    """Look at what the notice says (`said`: its filled-in text, every sentence) as of `day`."""
    found = _Found(notice)
    _time_ranges(found, said)
    _var_ranges(found)
    _dates(found, said, day)
    _phones(found, said)
    return Findings(tuple(found.errors), tuple(found.warnings))


# ---------------------------------------------------------------- the data, compiled once
def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class _Patterns:
    data: dict
    range_re: re.Pattern       # 8:00-11:30, 下午3点到5点半, 22:00到次日6:00
    hours_re: re.Pattern       # 8-11点
    moment_re: re.Pattern      # one variable's value: [date] [word] time
    date_re: re.Pattern
    weekday_re: re.Pattern
    day_after_re: re.Pattern   # 10月27日-29日: the 29日
    ongoing_re: re.Pattern
    as_of_re: re.Pattern
    cued_re: re.Pattern
    more_re: re.Pattern        # 、13822223333 after a number
    phones: tuple[re.Pattern, ...]
    mobile_start: re.Pattern


def _time(tag: str, words: str) -> str:
    """One time of day, its groups named after `tag`: 8:00, 8点, 8点半, 8点30分, 下午3点."""
    return (rf"(?P<{tag}w>{words})?\s*(?:(?P<{tag}h>\d{{1,2}})\s*[:：]\s*(?P<{tag}m>\d{{2}})(?![\d:：])"
            rf"|(?P<{tag}H>\d{{1,2}})\s*[点时](?:(?P<{tag}half>半)|\s*(?P<{tag}M>\d{{1,2}})\s*分)?)")


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    with open(DATA, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    hour_words = data["afternoon_words"] + data["night_words"] + data["noon_words"] + data["morning_words"]
    words = _alt(hour_words)
    next_day = _alt(data["next_day_words"])
    date_core = (r"(?:(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})"
                 rf"(?:{_SEP}(?P<d2>\d{{1,2}}))?\s*[日号]"
                 r"|(?P<Y>\d{4})\s*(?P<s>[-/.])\s*(?P<M>\d{1,2})\s*(?P=s)\s*(?P<D>\d{1,2})(?![\d.])[日号]?)")
    weekday = (rf"\s*[（(，,、]?\s*(?:{_alt(data['weekday_words'])})"
               rf"(?P<n>[{''.join(data['weekday_numbers'])}])\s*[）)]?")
    number = r"(?:[(（]0\d{2,3}[)）]\s*\d{7,8}|1\d{2}[ -]\d{4}[ -]\d{4}|\d[\d-]*\d)"
    after = _alt([str(w) for w in data["not_a_phone_after"]])
    return _Patterns(
        data=data,
        range_re=re.compile(rf"(?<![\d.:：]){_time('a', words)}(?P<sep>{_SEP})(?P<next>{next_day})?"
                            rf"{_time('b', words)}"),
        hours_re=re.compile(rf"(?<![\d.:：])(?P<aw>{words})?(?P<aH>\d{{1,2}}){_SEP}(?P<next>{next_day})?"
                            rf"(?P<bw>{words})?(?P<bH>\d{{1,2}})\s*[点时]"),
        moment_re=re.compile(rf"\s*(?:{date_core})?\s*(?:{_time('a', words)})?\s*"),
        date_re=re.compile(rf"(?<![\d.]){date_core}"),
        weekday_re=re.compile(weekday),
        day_after_re=re.compile(rf"{_SEP}(?P<d>\d{{1,2}})\s*[日号]"),
        # after the date, its time (18:00, 下午3点) and then 起: where something began
        ongoing_re=re.compile(rf"[\s\d:：点时分半整{re.escape(''.join(sorted(set(''.join(hour_words)))))}]{{0,12}}"
                              rf"(?:{_alt(data['ongoing_after'])})"),
        as_of_re=re.compile(rf"(?:{_alt(data['as_of_before'])})\s*$"),
        cued_re=re.compile(rf"(?:{_alt(data['phone_cues'])})[^\d。；！？\n]{{0,8}}?(?P<num>{number})(?![\d.])"
                           rf"(?!\s*(?:{after}))"),
        more_re=re.compile(rf"\s*[、/或和及,，]\s*(?P<num>{number})(?![\d.])(?!\s*(?:{after}))"),
        phones=tuple(re.compile(p) for p in data["phone_numbers"].values()),
        mobile_start=re.compile(data["mobile_start"]),
    )


# ---------------------------------------------------------------- where a finding is said
class _Found:
    """Collects a notice's findings at their lines, once each."""

    def __init__(self, notice: Notice) -> None:
        self.notice = notice
        self.errors: list[BadInput] = []
        self.warnings: list[InputWarning] = []
        self._said: set = set()

    def place(self, *fragments: str) -> tuple[int | None, tuple]:
        """(line, key) of the first fragment found: in a variable's value, else on a line of the file."""
        notice, doc = self.notice, self.notice.doc
        if doc is None:
            return None, ()
        lines = doc.source.splitlines()
        for fragment in fragments:  # the whole of what is wrong before its parts
            for name, value in notice.vars.items():
                if _holds(_flat(value), fragment):
                    return doc.line("vars", name), ("vars", name)
            for n, line in enumerate(lines, 1):
                if _holds(line, fragment) and not line.lstrip().startswith("#"):
                    return n, _field_at(doc, n)
        for key in ("text", "lines", "template"):
            if doc.line(key):
                return doc.line(key), (key,)
        return None, ()

    def add(self, error: bool, what: str, fix: str, *fragments: str, at: tuple | None = None,
            kind: str | None = None) -> None:
        """One finding; said once a line for its `kind` (a range of two variables is in the text too)."""
        line, key = at if at is not None else self.place(*fragments)
        if (line, kind or what) in self._said:
            return
        self._said.add((line, kind or what))
        if error:
            self.errors.append(BadInput(what, fix, self.notice.path, line, key))
        else:
            self.warnings.append(InputWarning(what, fix, self.notice.path, line, key))


def _holds(text: str, fragment: str) -> bool:
    """`fragment` is in `text` as a whole (8:00 is not in 18:00)."""
    return bool(fragment) and re.search(rf"(?<!\d){re.escape(fragment)}(?!\d)", text) is not None


def _flat(value) -> str:
    if isinstance(value, dict):
        return "\n".join(_flat(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return "\n".join(_flat(v) for v in value)
    return str(value)


def _field_at(doc, n: int) -> tuple:
    """The top-level field whose value holds line n."""
    best = None
    for key in doc.data if isinstance(doc.data, dict) else ():
        line = doc.line(key)
        if line is not None and line <= n and (best is None or line >= best[0]):
            best = (line, key)
    return (best[1],) if best else ()


# ---------------------------------------------------------------- times
def _minutes(m: re.Match, tag: str, inherit: str | None = None) -> tuple[int, str | None] | None:
    """(minutes after midnight, the hour word) of a time matched by _time(tag); None when invalid
    (normalize refuses those with its own message)."""

    def group(name: str) -> str | None:  # hours_re has only the hour and its word
        return m.group(tag + name) if tag + name in m.re.groupindex else None

    word = group("w")
    hour = group("h") or group("H")
    minute = group("m") or group("M") or ("30" if group("half") else "0")
    if hour is None:
        return None
    h, mi = int(hour), int(minute)
    if h > 24 or mi > 59:
        return None
    return hour_24(word or inherit, h) * 60 + mi, word


def day_parts() -> dict[str, tuple[str, ...]]:
    """The words written before a 12-hour time, by part of the day: afternoon, night, noon, morning."""
    data = _patterns().data
    return {part: tuple(data[f"{part}_words"]) for part in ("afternoon", "night", "noon", "morning")}


def hour_24(word: str | None, h: int) -> int:
    """The 24-hour hour of `h` written after a day-part word: 下午3点 15, 中午1点 13, 夜里11点 23,
    夜里2点 2, 晚上12点 0 (midnight), 下午12点 12. The one reading the checks and the schedule form share."""
    parts = day_parts()
    evening = parts["afternoon"] + parts["night"]
    if (word in parts["afternoon"] and h < 12 or word in parts["noon"] and h < 6
            or word in parts["night"] and 6 <= h < 12):
        return h + 12
    if word in evening and h == 12 and word != "下午":
        return 0
    return h


def _reversed(start: tuple[int, str | None], end_match: re.Match, tag: str, next_day: bool) -> bool:
    """Whether a range ends before it starts; an evening start with a morning end is overnight."""
    data = _patterns().data
    end = _minutes(end_match, tag)
    if end is None or next_day:
        return False
    if end[1] is None and start[1] is not None:  # 下午2点到5点: the end is in the afternoon too
        inherited = _minutes(end_match, tag, start[1])
        if inherited is not None and inherited[0] >= start[0]:
            end = inherited
    overnight = start[0] >= data["overnight_from"] * 60 and end[0] <= data["overnight_until"] * 60
    return end[0] < start[0] and not overnight


def _time_ranges(found: _Found, said: str) -> None:
    p = _patterns()
    spans = []
    for m in p.range_re.finditer(said):
        spans.append(m.span())
        start = _minutes(m, "a")
        if start is not None and _reversed(start, m, "b", bool(m.group("next"))):
            _range_error(found, m.group(0), _clock_text(m, "a"), _clock_text(m, "b"))
    for m in p.hours_re.finditer(said):
        if any(a < m.end() and m.start() < b for a, b in spans):
            continue
        start = _minutes(m, "a")
        if start is not None and _reversed(start, m, "b", bool(m.group("next"))):
            _range_error(found, m.group(0), m.group("aH"), m.group("bH"))


def _clock_text(m: re.Match, tag: str) -> str:
    """One end of a range as written, without its hour word (to find the variable that holds it)."""
    hour = m.start(f"{tag}h") if m.group(f"{tag}h") else m.start(f"{tag}H")
    return m.string[hour:m.start("sep") if tag == "a" else m.end()].strip()


_RANGE_FIX = N_("write the earlier time first; a range past midnight says so, e.g. 22:00到次日6:00")


def _range_error(found: _Found, written: str, start: str, end: str, at: tuple | None = None) -> None:
    found.add(True, _("the time range '{range}' ends before it starts").format(range=written.strip()),
              _(_RANGE_FIX), written.strip(), end, start, at=at, kind="range")


def _var_ranges(found: _Found) -> None:
    """start/end variables (or x_start/x_end, start_x/end_x) whose end comes before the start."""
    p = _patterns()
    variables = {k: v for k, v in found.notice.vars.items() if isinstance(v, str)}
    for name, end_value in variables.items():
        start_name = (name.replace("end", "start", 1) if name in ("end",) or name.startswith("end_")
                      or name.endswith("_end") else None)
        if start_name is None or start_name not in variables:
            continue
        start_value = variables[start_name]
        a, b = p.moment_re.fullmatch(start_value), p.moment_re.fullmatch(end_value)
        if not a or not b or not _minutes_or_none(a) or not _minutes_or_none(b):
            continue
        at = (found.notice.doc.line("vars", name) if found.notice.doc else None, ("vars", name))
        day_a, day_b = _month_day(a), _month_day(b)
        if day_a and day_b and day_a != day_b:
            if day_b < day_a:
                _range_error(found, f"{start_value}到{end_value}", start_value, end_value, at)
            continue
        start = _minutes(a, "a")
        if start is not None and _reversed(start, b, "a", False):
            _range_error(found, f"{start_value}到{end_value}", start_value, end_value, at)


def _minutes_or_none(m: re.Match) -> bool:
    return bool(m.group("ah") or m.group("aH"))


def _month_day(m: re.Match) -> tuple[int, int, int] | None:
    if m.group("m"):
        return int(m.group("y") or 0), int(m.group("m")), int(m.group("d"))
    if m.group("M"):
        return int(m.group("Y")), int(m.group("M")), int(m.group("D"))
    return None


# ---------------------------------------------------------------- dates and weekdays
@dataclass(frozen=True)
class _Date:
    written: str
    year: int | None
    month: int
    day: int
    weekday: str | None    # the 三 of 星期三, as written after it
    start: int
    end: int               # after the date and its weekday
    range_end: bool = False    # the end of a range (10月29日 of 10月27日-10月29日)
    range_start: bool = False


def _mentions(said: str) -> list[_Date]:
    p = _patterns()
    out: list[_Date] = []
    for m in p.date_re.finditer(said):
        year = m.group("y") or m.group("Y")
        month, day = (m.group("m"), m.group("d")) if m.group("m") else (m.group("M"), m.group("D"))
        end = m.end()
        wd = p.weekday_re.match(said, end)
        first = _Date(m.group(0), int(year) if year else None, int(month), int(day),
                      wd.group("n") if wd and not m.group("d2") else None, m.start(), wd.end() if wd else end)
        if m.group("d2"):  # 10月27-29日
            out += [_Date(m.group(0), first.year, first.month, first.day, None, m.start(), m.start(),
                          range_start=True),
                    _Date(m.group(0), first.year, first.month, int(m.group("d2")), wd.group("n") if wd else None,
                          m.start(), first.end, range_end=True)]
            continue
        more = p.day_after_re.match(said, first.end)
        if more:  # 10月27日-29日
            wd2 = p.weekday_re.match(said, more.end())
            out += [_Date(first.written, first.year, first.month, first.day, first.weekday, first.start,
                          first.end, range_start=True),
                    _Date(said[first.start:more.end()], first.year, first.month, int(more.group("d")),
                          wd2.group("n") if wd2 else None, more.start(), wd2.end() if wd2 else more.end(),
                          range_end=True)]
            continue
        if out and re.fullmatch(_SEP, said[out[-1].end:first.start]) and not out[-1].range_end:
            out[-1] = replace(out[-1], range_start=True)  # 10月27日至11月3日
            first = replace(first, range_end=True)
        out.append(first)
    return out


def _resolve(d: _Date, year_hint: int | None, day: date) -> tuple[date | None, bool]:
    """(the date, whether its year was only assumed); None for a date that does not exist."""
    year = d.year or year_hint
    if year:
        try:
            return date(year, d.month, d.day), False
        except ValueError:
            return None, False
    candidates = []
    for y in (day.year - 1, day.year, day.year + 1):
        try:
            candidates.append(date(y, d.month, d.day))
        except ValueError:
            continue
    if not candidates:
        return None, True
    return min(candidates, key=lambda c: abs((c - day).days)), True


def _shown(d: date) -> str:
    return _("{year}-{month:02d}-{day:02d}").format(year=d.year, month=d.month, day=d.day)


def _dates(found: _Found, said: str, day: date) -> None:
    p = _patterns()
    data = p.data
    mentions = _mentions(said)
    year_hint = next((m.year for m in mentions if m.year), None)
    resolved = [_resolve(m, year_hint, day) for m in mentions]
    names = data["weekday_names"]
    for i, (m, (when, assumed)) in enumerate(zip(mentions, resolved)):
        if when is None:
            continue  # 2月30日: normalize says what is wrong with it
        written = m.written.strip()
        if m.weekday is not None:
            said_day = data["weekday_numbers"][m.weekday]
            if said_day != when.weekday():
                what = _("{date} is a {weekday}, not a {written}").format(
                    date=_shown(when), weekday=names[when.weekday()], written=names[said_day])
                fix = (_("check the date and the weekday; a date without a year is taken as the nearest one, "
                         "so write the year if you mean another") if assumed
                       else _("check the date and the weekday"))
                found.add(not assumed, what, fix, said[m.start:m.end].strip(), written)
        if m.range_start and i + 1 < len(mentions) and resolved[i + 1][0] is not None:
            if resolved[i + 1][0] < when:
                what = _("the date range '{range}' ends before it starts").format(
                    range=said[m.start:mentions[i + 1].end].strip())
                found.add(True, what, _("write the earlier date first"), said[m.start:mentions[i + 1].end].strip(),
                          mentions[i + 1].written.strip(), written)
            continue  # a range is past when its end is
        if when >= day or p.ongoing_re.match(said, m.end) or p.as_of_re.search(said, 0, m.start):
            continue
        what = (_("the date {written} (taken as {date}) is already past; today is {today}") if assumed
                else _("the date {written} is already past; today is {today}")).format(
            written=written, date=_shown(when), today=_shown(day))
        found.add(False, what, _("if the notice is for a coming day, change the date; an old notice kept for the "
                                 "record needs no change"), written)


# ---------------------------------------------------------------- phone numbers
def _phones(found: _Found, said: str) -> None:
    p = _patterns()
    numbers: list[str] = []
    for m in p.cued_re.finditer(said):
        numbers.append(m.group("num"))
        end = m.end()
        while (more := p.more_re.match(said, end)) is not None:
            numbers.append(more.group("num"))
            end = more.end()
    names = set(p.data["phone_vars"])
    for name, value in found.notice.vars.items():
        if isinstance(value, str) and (name in names or name.endswith(("_phone", "_tel"))):
            numbers += [part for part in re.split(r"[、/或和及,，;；\s]+", re.split(r"转", value)[0])
                        if re.search(r"\d", part)]
    for number in numbers:
        digits = re.sub(r"\D", "", number)
        if len(digits) < 3 or any(pattern.fullmatch(digits) for pattern in p.phones):
            continue
        if p.mobile_start.match(digits):
            found.add(True, _("the mobile number {number} has {n} digits").format(number=number, n=len(digits)),
                      _("a mobile number has 11 digits, e.g. 13911112222: check the digits"), number)
        else:
            found.add(False, _("the phone number {number} fits no Chinese phone number").format(number=number),
                      _("a mobile number has 11 digits (13911112222), a landline an area code and 7 or 8 digits "
                        "(023-12345678), a service number is like 110 or 12345: check the digits"), number)
