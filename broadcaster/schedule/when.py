"""Days and times as officials write them in a notice (12月12日, 明天, 2026-12-12, 8点, 下午3点, 8点半,
15:00) read into dates and times of day: what the desk's schedule form accepts, written into a rule as
the file's own forms (`dates: 2026-12-12`, `times: ["15:00"]`).

The forms are the ones the notice reader speaks (speech/normalize.py), so a time that reads right in a
notice is accepted here too (tests/schedule/test_form.py holds the two together). Mistakes are BadInput
without a place: the caller puts them at its field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

import cn2an

from broadcaster.errors import BadInput
from broadcaster.i18n import N_, _
from broadcaster.script.checks import day_parts, hour_24

# a day part before a clock time: the notice checks' words and reading (script/checks.py hour_24)
_PART = "|".join(sorted((w for words in day_parts().values() for w in words), key=len, reverse=True))
_NUM = r"\d{1,2}|[零〇一二两三四五六七八九十]{1,3}"
_TIME = re.compile(
    rf"(?P<part>{_PART})?\s*(?:"
    rf"(?P<h>\d{{1,2}})\s*[:：]\s*(?P<m>\d{{2}})(?:\s*[:：]\s*(?P<s>\d{{2}}))?"
    rf"|(?P<hc>{_NUM})\s*[点時时]\s*(?:(?P<half>半|整|一刻|三刻)|(?P<mc>{_NUM})\s*分?)?)")
_LIST_GAP = re.compile(r"[\s,，、;；和及]*")

_ISO = r"(?P<{p}iy>\d{{4}})\s*[-/.]\s*(?P<{p}im>\d{{1,2}})\s*[-/.]\s*(?P<{p}id>\d{{1,2}})(?![\d])"
_CN = (r"(?:(?P<{p}y>\d{{4}})\s*年\s*)?(?P<{p}m>\d{{1,2}})\s*月\s*(?P<{p}d>\d{{1,2}})\s*[日号]"
       r"(?:\s*[（(]?\s*(?:星期|礼拜|周)(?P<{p}w>[一二三四五六日天])\s*[)）]?)?")
_REL = r"(?P<{p}r>今天|明天|后天)"
_DAY_END = r"(?P<{p}d>\d{{1,2}})\s*[日号]"  # the short end of a range: 12月12日到14日


def _day(prefix: str) -> str:
    return "(?:" + "|".join(f.format(p=prefix) for f in (_ISO, _CN, _REL)) + ")"


_DAYS = re.compile(rf"{_day('a')}(?:\s*(?P<sep>\.\.|到|至|~|～|—+|-)\s*(?:{_day('b')}|{_DAY_END.format(p='c')}))?")
_WEEKDAY = "一二三四五六日"
_RELATIVE = {"今天": 0, "明天": 1, "后天": 2}
WEEKDAY_WORDS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
                 N_("Sunday"))


def _time_fix() -> str:
    return _("write a time such as 8点, 8点半, 下午3点 or 15:00")


def _day_fix() -> str:
    return _("write a day such as 12月12日, 明天 or 2026-12-12; several: 12月12日、12月14日; a span: 12月12日到14日")


def _number(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text) if text.isdigit() else int(cn2an.cn2an(text.replace("〇", "零"), "smart"))


def _one_time(m: re.Match) -> time:
    written = m.group(0).strip()
    part = m.group("part") or ""
    try:
        if m.group("h") is not None:
            h, mi, s = int(m.group("h")), int(m.group("m")), int(m.group("s") or 0)
        else:
            h, s = _number(m.group("hc")), 0
            half = m.group("half")
            mi = {"半": 30, "一刻": 15, "三刻": 45, "整": 0}.get(half or "", None)
            mi = _number(m.group("mc")) if mi is None else mi
            mi = mi or 0
    except ValueError:  # a Chinese numeral cn2an cannot read (十十)
        raise BadInput(_("'{value}' is not a time of day").format(value=written), _time_fix()) from None
    if part and h > 12 and part not in day_parts()["afternoon"] + day_parts()["night"]:  # 上午15点
        raise BadInput(_("'{value}' is not a time of day").format(value=written),
                       _("{part} goes with a 12-hour clock: write e.g. {part}8点, or 15:00 without it").format(
                           part=part))
    h = hour_24(part, h) if h <= 12 else h
    if h == 24 and mi == 0 and s == 0:
        h = 0
    if h > 23 or mi > 59 or s > 59:
        raise BadInput(_("'{value}' is not a time of day").format(value=written),
                       _("hours go from 0 to 23 and minutes from 0 to 59; {fix}").format(fix=_time_fix()))
    return time(h, mi, s)


def _pieces(text: str, pattern: re.Pattern, what, fix) -> list[re.Match]:
    """Every match of `pattern` in `text`, which must hold nothing else but list separators."""
    found, at = [], 0
    text = text.strip()
    while at < len(text):
        gap = _LIST_GAP.match(text, at)
        at = gap.end()
        if at >= len(text):
            break
        m = pattern.match(text, at)
        if not m or not m.group(0).strip():
            rest = re.split(r"[\s,，、;；]", text[at:], maxsplit=1)[0]
            raise BadInput(what(rest), fix())
        found.append(m)
        at = m.end()
    return found


def parse_times(text: str) -> tuple[time, ...]:
    """'8点, 下午3点半、15:00' -> (08:00, 15:30, 15:00), in the order written; BadInput naming the piece
    that is no time, or when there is none."""
    found = _pieces(str(text or ""), _TIME, lambda rest: _("'{value}' is not a time of day").format(value=rest),
                    _time_fix)
    if not found:
        raise BadInput(_("no time is given"), _time_fix())
    return tuple(_one_time(m) for m in found)


@dataclass(frozen=True)
class Days:
    """The days a rule plays on: single days, or one span (first, last)."""

    dates: tuple[date, ...] = ()
    span: tuple[date, date] | None = None

    def as_yaml(self) -> str | list[str]:
        """What a rule's `dates:` holds: "2026-12-12", ["2026-12-12", "2026-12-14"] or "2026-12-12..2026-12-14"."""
        if self.span is not None:
            return f"{self.span[0].isoformat()}..{self.span[1].isoformat()}"
        if len(self.dates) == 1:
            return self.dates[0].isoformat()
        return [d.isoformat() for d in self.dates]

    @property
    def first(self) -> date:
        return self.span[0] if self.span is not None else min(self.dates)


def _make(year: int, month: int, day: int, written: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise BadInput(_("there is no day '{value}'").format(value=written),
                       _("months go from 1 to 12, and a month has 28 to 31 days")) from None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _one_day(m: re.Match, p: str, today: date, after: date | None = None) -> date:
    """One day of a match (group prefix `p`): a year-less day is the next such day from `today`
    (the end of a span: from its start)."""
    g = m.groupdict()
    if g.get(p + "r"):
        return today + timedelta(days=_RELATIVE[g[p + "r"]])
    written = m.group(0).strip()
    iso = g.get(p + "iy") is not None
    year = g[p + "iy"] if iso else g.get(p + "y")
    month, day = (int(g[p + "im"]), int(g[p + "id"])) if iso else (int(g[p + "m"]), int(g[p + "d"]))
    if year:
        found = _make(int(year), month, day, written)
    else:  # the next such day: this year's, else a later year's (2月29日 waits for a leap year)
        base = after or today
        found = next((d for d in (_valid(y, month, day) for y in range(base.year, base.year + 5))
                      if d is not None and d >= base), None)
        if found is None:
            _make(base.year, month, day, written)  # says why there is no such day
            found = _make(base.year + 1, month, day, written)
    weekday = g.get(p + "w")
    if weekday:
        said = _WEEKDAY.index("日" if weekday == "天" else weekday)
        if said != found.weekday():
            raise BadInput(_("{day} is a {weekday}, not a {said}").format(
                               day=found.isoformat(), weekday=_(WEEKDAY_WORDS[found.weekday()]),
                               said=_(WEEKDAY_WORDS[said])),
                           _("check the day and the weekday: one of them is wrong"))
    return found


def parse_days(text: str, today: date) -> Days:
    """'12月12日', '明天、后天', '12月12日到14日', '2026-12-12..2026-12-14' -> Days; a day without a year is
    the next such day from `today`. BadInput naming the piece that is no day."""
    found = _pieces(str(text or ""), _DAYS, lambda rest: _("'{value}' is not a day").format(value=rest), _day_fix)
    if not found:
        raise BadInput(_("no day is given"), _day_fix())
    days, span = [], None
    for m in found:
        first = _one_day(m, "a", today)
        if m.group("sep") is None:
            days.append(first)
            continue
        if len(found) > 1:
            raise BadInput(_("a span of days cannot be listed with other days"),
                           _("add each span as its own program, or list single days"))
        if m.group("cd"):
            last = _make(first.year, first.month, int(m.group("cd")), m.group(0).strip())
            if last < first:
                raise BadInput(_("'{value}' ends before it starts").format(value=m.group(0).strip()),
                               _("write the earlier day first"))
        else:
            has_year = m.group("by") is not None or m.group("biy") is not None
            last = _one_day(m, "b", today, None if has_year else first)
        if last < first:
            raise BadInput(_("'{value}' ends before it starts").format(value=m.group(0).strip()),
                           _("write the earlier day first"))
        span = (first, last)
    return Days(span=span) if span is not None else Days(dates=tuple(dict.fromkeys(days)))
