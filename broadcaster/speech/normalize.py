"""Text normalization: digits and symbols in a notice -> the Chinese words a loudspeaker says.

Why our own rules over a library (measured on the issue's cases, Nov 2026):
- wetext 0.1.8 (WeNet rules, 45 MB + kaldifst): best general coverage, but reads 14:30集合 as a
  score (十四比三零), 下午2点 as 二点, N95 as N九十五, 90后 as 九十后, 3号楼2单元301室 as 三百零一室,
  leaves −2℃ with the sign, and costs ~1.5 ms a sentence.
- zh-normalization 0.0.2 (PaddleSpeech rules): tiny and fast, but reads 7+7, 2元/斤, N95, 90后, 2米,
  下午2点 and −2℃ wrongly, splits sentences, rewrites punctuation and turns 係 into 系.
- cn2an 0.5: numbers only; reads 023- as 负 and 7:30 as 七:三十.
None refuses 25:00 or 2月30日, which we must. Every structured form (time, date, phone, code,
temperature, price, room) must be parsed by us anyway to validate it and pick 两/二/幺, so the
rules below recognise them and cn2an, a well-kept library, verbalises the plain quantities.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from broadcaster.errors import BadInput
from broadcaster.i18n import _
import yaml

from broadcaster.speech.numbers import DATA, cardinal, count, digits, measure_words, number_data, ordinal

# Engines read these badly or in English; none may be left after normalization.
FORBIDDEN = re.compile(r"[0-9:\-/%℃+~]")

_NUM = r"\d+(?:\.\d+)?"
_RANGE = r"\s*(?:-|~|至|到)\s*"
_FULLWIDTH = str.maketrans("０１２３４５６７８９％＋～／", "0123456789%+~/")
_DASHES = re.compile(r"(?<=[\d:点时日号月%℃])\s*(?:——|[−－–—~～〜])\s*(?=[−\d零上下])|(?<=\d)\s*[−－–—]\s*(?=\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_SIGNS = {"≥": "大于等于", "≤": "小于等于", "＞": "大于", "＜": "小于", ">": "大于", "<": "小于", "×": "乘"}
_SIGN_RE = re.compile(r"\s*([≥≤＞＜><×])\s*(?=[\d零])")
_HASH_RE = re.compile(r"(?<=\d)\s*[#＃](?=\s*[\u4e00-\u9fff])")


@dataclass(frozen=True)
class Hit:
    """One rewrite: which rule turned which written text into which spoken text."""

    rule: str
    written: str
    spoken: str


class _Pass:
    """Applies one rule over a text, recording its hits."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits

    def sub(self, rule: str, pattern: re.Pattern, fn: Callable[[re.Match], str], text: str) -> str:
        def one(m: re.Match) -> str:
            spoken = fn(m)
            if spoken != m.group(0):
                self.hits.append(Hit(rule, m.group(0), spoken))
            return spoken
        return pattern.sub(one, text)


def bad_time(value: str) -> BadInput:
    return BadInput(_("invalid time '{value}'").format(value=value),
                    _("hours go from 0 to 24 and minutes from 00 to 59, e.g. 8:00 or 14:30"), value=value)


def bad_date(value: str, fix: str) -> BadInput:
    return BadInput(_("invalid date '{value}'").format(value=value), fix, value=value)


# ---------------------------------------------------------------- times
@lru_cache(maxsize=1)
def clock_data() -> dict:
    """data/clock.yaml: the parts of the day a time is said with, and the words that already say one."""
    return yaml.safe_load((DATA / "clock.yaml").read_text(encoding="utf-8"))


def period_of(hour: int) -> tuple[str, str]:
    """(word, range word) of the part of the day `hour` (0-24) falls in: 17 -> (下午, 下午)."""
    data = clock_data()
    if hour >= 24:
        return data["midnight"], data["midnight"]
    found = data["periods"][0]
    for period in data["periods"]:
        if hour >= int(period["from"]):
            found = period
    return str(found["word"]), str(found.get("range", found["word"]))


_HOURS_WORDS = "|".join(sorted((re.escape(str(w)) for w in clock_data()["written"]), key=len, reverse=True))
_WRITTEN_BEFORE = re.compile(rf"(?:{_HOURS_WORDS})[\s（(]*$")


@dataclass(frozen=True)
class _Clock:
    """One written clock time: its hour, how its minutes are said, and the part of the day written before it."""

    hour: int
    tail: str = ""          # 半, 整, 零五分, 三十分秒...: the minutes as they are said
    word: str | None = None  # 上午, 今晚...: written just before it
    unit: str = "点"
    colon: bool = True      # 8:00 (always the 24-hour clock) rather than 8点 (either clock)

    def hour_words(self, twelve: bool) -> str:
        h = self.hour
        if twelve:
            h = 12 if h in (0, 24) else h - 12 if h > 12 else h
        return "两" if h == 2 else ordinal(str(h))

    def said(self, word: str, twelve: bool) -> str:
        # the 12-hour figure takes 点: 下午五点, not 下午五时 (nobody says that)
        return word + self.hour_words(twelve) + ("点" if twelve else self.unit) + self.tail


def clock(hour: str, minute: str | None, written: str, second: str | None = None) -> str:
    """8:00 -> 八点, 11:30 -> 十一点半, 14:05 -> 十四点零五分, 2:00 -> 两点 (the 24-hour reading)."""
    c = _colon_clock(None, hour, minute, second, written)
    return c.said("", False)


def _colon_clock(word: str | None, hour: str, minute: str | None, second: str | None, written: str) -> _Clock:
    h = int(hour)
    m = int(minute) if minute else 0
    s = int(second) if second else 0
    if h > 24 or m > 59 or s > 59 or (h == 24 and (m or s)):
        raise bad_time(written)
    tail = ""
    if m == 30 and not s:
        tail = "半"
    elif m:
        tail = ("零" if m < 10 else "") + ordinal(str(m)) + "分"
    if s:
        tail += ("零" if s < 10 else "") + ordinal(str(s)) + "秒"
    return _Clock(h, tail, word)


def _say_times(first: _Clock, second: _Clock | None, joiner: str, twelve: bool) -> str:
    """A time or a range said the village way (twelve) or as written on the 24-hour clock.

    With `twelve`, a time gets its part of the day (17:00 -> 下午五点) unless one is written
    before it; a range says it once when both ends share it (上午八点到十一点半), and each end
    its own otherwise (早上八点到下午五点). See data/clock.yaml for the parts and why 1:00-5:59
    written without one are left as written.
    """
    if not twelve:
        out = (first.word or "") + first.said("", False)
        return out if second is None else out + joiner + (second.word or "") + second.said("", False)
    unmarked = {int(h) for h in clock_data()["unmarked"]}

    def evident(c: _Clock) -> bool:  # written on the 24-hour clock beyond doubt
        return c.hour == 0 or c.hour > 12

    in_24 = evident(first) or (second is not None and evident(second))

    def ours(c: _Clock) -> tuple[str, str] | None:
        """The part of the day to add to a time written without one, or None to leave it as written."""
        if evident(c) or ((c.colon or in_24) and c.hour not in unmarked):
            return period_of(c.hour)
        return None

    def plain(c: _Clock) -> str:  # as written (up to 12 both clocks read the same)
        return c.said("", c.hour > 12)

    p1 = None if first.word is not None else ours(first)
    if first.word is not None:
        head = first.said(first.word, True)
    elif p1 is not None:
        head = first.said(p1[0], True)
    else:
        head = plain(first)
    if second is None:
        return head
    if second.word is not None:
        return head + joiner + second.said(second.word, True)
    if first.word is not None:  # 下午2:30至5:00: the second end goes with the written word
        if not evident(second):
            return head + joiner + plain(second)
        p2 = period_of(second.hour)
        return head + joiner + second.said("" if p2[0] == first.word else p2[0], True)
    p2 = ours(second)
    if p2 is None:
        return head + joiner + plain(second)
    if p1 is not None and p1[0] == p2[0]:
        return head + joiner + second.said("", True)
    if p1 is not None and p1[1] == p2[1]:  # 早上 and 上午 in one range: 上午七点半到十点
        return first.said(p1[1], True) + joiner + second.said("", True)
    return head + joiner + second.said(p2[0], True)


def _written_before(m: re.Match) -> str | None:
    """上午（11:30前）: a part of the day written just before the time, outside the match."""
    return "" if _WRITTEN_BEFORE.search(m.string[max(0, m.start() - 6):m.start()]) else None


_CLOCK = r"(\d{1,2})\s*[:：]\s*(\d{2})(?:[:：](\d{2}))?"
_CLOCK_RE = re.compile(rf"(?<![\d.:])({_HOURS_WORDS})?{_CLOCK}(?:(\s*(?:-|~|至|到)\s*)({_HOURS_WORDS})?{_CLOCK})?(?![\d:])")
_DIAN_RE = re.compile(rf"(?<![\d.])({_HOURS_WORDS})?(\d{{1,2}})\s*([点时])\s*(?:(半|整)|(\d{{1,2}})\s*分)?"
                      rf"(?:(\s*(?:-|~|至|到)\s*)({_HOURS_WORDS})?(\d{{1,2}})\s*([点时])\s*(?:(半|整)|(\d{{1,2}})\s*分)?)?")
_DOT_CLOCK_RE = re.compile(rf"({_HOURS_WORDS})(\d{{1,2}})\.(\d{{2}})(?![\d.])"
                           rf"(?:(\s*(?:-|~|至|到)\s*)({_HOURS_WORDS})?(\d{{1,2}})\.(\d{{2}})(?![\d.]))?")
_HOUR_RANGE_RE = re.compile(rf"(?<![\d.])({_HOURS_WORDS})?(\d{{1,2}})\s*(?:-|~|至|到)\s*(\d{{1,2}})\s*([点时])(?!钟)")


def _joiner(sep: str | None) -> str:
    sep = (sep or "").strip()
    return sep if sep in ("至", "到") else "到"


def _clock_match(m: re.Match, twelve: bool) -> str:
    first = _colon_clock(m.group(1) or _written_before(m), m.group(2), m.group(3), m.group(4), _written_clock(m, 2))
    second = None
    if m.group(5) is not None:
        second = _colon_clock(m.group(6), m.group(7), m.group(8), m.group(9), _written_clock(m, 7))
    return _say_times(first, second, _joiner(m.group(5)), twelve)


def _written_clock(m: re.Match, i: int) -> str:
    return f"{m.group(i)}:{m.group(i + 1)}" + (f":{m.group(i + 2)}" if m.group(i + 2) else "")


def _dian(prefix: str | None, hour: str, unit: str, half: str | None, minute: str | None, written: str) -> _Clock:
    if minute is not None and int(minute) > 59 or int(hour) > 24:
        raise bad_time(written)
    tail = half or ""
    if not half and minute is not None and int(minute):
        m = int(minute)
        tail = ("零" if m < 10 else "") + ordinal(str(m)) + "分"
    return _Clock(int(hour), tail, prefix, unit, colon=False)


def _dian_match(m: re.Match, twelve: bool) -> str:
    first = _dian(m.group(1) or _written_before(m), m.group(2), m.group(3), m.group(4), m.group(5), m.group(0))
    second = None
    if m.group(6) is not None:
        second = _dian(m.group(7), m.group(8), m.group(9), m.group(10), m.group(11), m.group(0))
    return _say_times(first, second, _joiner(m.group(6)), twelve)


def _dot_clock_match(m: re.Match, twelve: bool) -> str:
    first = _colon_clock(m.group(1), m.group(2), m.group(3), None, f"{m.group(1)}{m.group(2)}.{m.group(3)}")
    second = None
    if m.group(4) is not None:
        second = _colon_clock(m.group(5), m.group(6), m.group(7), None, f"{m.group(6)}.{m.group(7)}")
    return _say_times(first, second, _joiner(m.group(4)), twelve)


def _hour_range_match(m: re.Match, twelve: bool) -> str:
    for h in (m.group(2), m.group(3)):
        if int(h) > 24:
            raise bad_time(m.group(0))
    unit = m.group(4)
    first = _Clock(int(m.group(2)), "", m.group(1) or _written_before(m), unit, colon=False)
    second = _Clock(int(m.group(3)), "", None, unit, colon=False)
    said = _say_times(first, second, "到", twelve)
    if said == (first.word or "") + first.said("", False) + "到" + second.said("", False):
        return (first.word or "") + first.hour_words(False) + "到" + second.said("", False)  # 8-10点: 八到十点
    return said


# ---------------------------------------------------------------- dates
def _check_date(year: str | None, month: str, day: str | None, written: str) -> None:
    mo = int(month)
    if not 1 <= mo <= 12:
        raise bad_date(written, _("months go from 1 to 12"))
    if day is None:
        return
    d = int(day)
    last = calendar.monthrange(int(year), mo)[1] if year else (29 if mo == 2 else calendar.monthrange(2021, mo)[1])
    if not 1 <= d <= last:
        where = f"{year}年{mo}月" if year else f"{mo}月"
        raise bad_date(written, _("{month} has {days} days; check the day").format(month=where, days=last))


def _ymd(year: str | None, month: str | None, day: str | None, mark: str = "日") -> str:
    out = digits(year) + "年" if year else ""
    if month:
        out += ordinal(str(int(month))) + "月"
    if day:
        out += ordinal(str(int(day))) + mark
    return out


_ISO_RE = re.compile(r"(?<![\d.])(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})(?![\d.])(日|号)?")
_CN_DATE_RE = re.compile(
    r"(?<!\d)(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*([日号])"
    r"(?:(\s*(?:-|~|至|到)\s*)(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*([日号]))?")
_SHORT_RANGE_RE = re.compile(r"(?<!\d)(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*(?:-|~)\s*(\d{1,2})\s*([日号])")
_YEAR_MONTH_RE = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月(?!\s*\d)")
_YEAR_RE = re.compile(r"(?<![\d.])(\d{4})(?:(\s*(?:-|~|至|到)\s*)(\d{4}))?\s*(?=年)")
_MONTH_RE = re.compile(r"(?<![\d.])(\d{1,2})\s*(?=月(?!\s*\d)(?!亮|饼|球|子|嫂|龄|薪|租))")


def _iso_match(m: re.Match) -> str:
    year, month, day = m.group(1), m.group(3), m.group(4)
    _check_date(year, month, day, m.group(0))
    return _ymd(year, month, day, m.group(5) or "日")


def _cn_date_match(m: re.Match) -> str:
    year, month, day, mark = m.group(1), m.group(2), m.group(3), m.group(4)
    _check_date(year, month, day, m.group(0).strip())
    out = _ymd(year, month, day, mark)
    if m.group(5) is None:
        return out
    month2 = m.group(6)
    _check_date(year, month2 or month, m.group(7), m.group(0).strip())
    return out + _joiner(m.group(5)) + _ymd(None, month2, m.group(7), m.group(8))


def _short_range_match(m: re.Match) -> str:
    year, month = m.group(1), m.group(2)
    _check_date(year, month, m.group(3), m.group(0))
    _check_date(year, month, m.group(4), m.group(0))
    return _ymd(year, month, m.group(3), "") + "到" + ordinal(str(int(m.group(4)))) + m.group(5)


def _year_month_match(m: re.Match) -> str:
    _check_date(m.group(1), m.group(2), None, m.group(0))
    return _ymd(m.group(1), m.group(2), None)


def _year_match(m: re.Match) -> str:
    if m.group(2) is None:
        return digits(m.group(1))
    return digits(m.group(1)) + _joiner(m.group(2)) + digits(m.group(3))


def _month_match(m: re.Match) -> str:
    _check_date(None, m.group(1), None, m.group(1) + "月")
    return ordinal(str(int(m.group(1))))


# ---------------------------------------------------------------- phones, codes, rooms
@lru_cache(maxsize=1)
def _phone_res() -> tuple[re.Pattern, ...]:
    data = number_data()
    cues = "|".join(sorted(data["phone_cues"], key=len, reverse=True))
    after = "|".join(sorted(data["phone_cues_after"], key=len, reverse=True))
    hotlines = "|".join(sorted(data["hotlines"], key=len, reverse=True))
    measure = _measure_alt()
    cued = re.compile(rf"((?:{cues})[^\d。；！？\n]{{0,8}}?)(\d[\d\- ]{{1,}}\d)(?![\d.])(?!\s*(?:{measure}))")
    bare = re.compile(r"(?<![\d.])(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}|[(（]0\d{2,3}[)）]\s*\d{7,8}|0\d{2,3}-\d{7,8}"
                      r"|[48]00-?\d{3}-?\d{4}|0\d{2,3}-?\d{7,8}(?=\D|$))(?![\d.])")
    post = re.compile(rf"(?<![\d.第])(\d{{3,}})(?=\s*(?:{after}))")
    known = re.compile(rf"(?<![\d.第])({hotlines})(?![\d.])(?!\s*(?:{measure}|[%℃多余来几]|万|亿|[A-Za-z]))")
    return cued, bare, post, known


def _measure_alt() -> str:
    return "|".join(re.escape(w) for w in measure_words())


def phone(number: str) -> str:
    """010-12345678 -> 零幺零，幺二三四五六七八 (written groups kept as pauses; the engine stage adds 3-4-4)."""
    return "，".join(digits(g, yao=True) for g in re.split(r"\D+", number) if g)


_DATE_SHAPED = re.compile(r"\d{4}\s*-\s*\d{1,2}\s*-\s*\d{1,2}")


def _cued_phone_match(m: re.Match) -> str:
    number = m.group(2)
    follows = m.string[m.end():m.end() + 1]
    if len(re.sub(r"\D", "", number)) < 3 or _DATE_SHAPED.fullmatch(number.strip()) or follows in "年月日号点时:：":
        return m.group(0)  # a count, a date or a time after 咨询/联系, not a number to dial
    return m.group(1) + phone(number)


_PHONE_LIST_RE = re.compile(r"(?<=[幺零二三四五六七八九])(\s*[、/或和及,，转]\s*)(\d[\d\-]{1,}\d)(?![\d.])")
_DECADE_RE = re.compile(r"(?<![\d.])([05-9]\d|10)\s*(?=后)")  # 90后, 95后, 00后, 10后
_CODE_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,6})\s*[-·]?\s*(\d+)(?![\d.])")


@lru_cache(maxsize=1)
def _room_re() -> re.Pattern:
    words = sorted(number_data()["identifier_words"], key=len, reverse=True)
    alt = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\d.])(\d+)((?:\s*[、，,和及]\s*\d+)*)\s*(?=(?:{alt}))")


def _room_match(m: re.Match) -> str:
    """5号楼 -> 五号楼, 301室 -> 三零幺室, and lists sharing one word: 401、402室."""
    after = m.string[m.end():m.end() + 2]

    def one(number: str) -> str:
        if len(number) >= 3 and (after[:1] in "室房号岗门" or number.startswith("0")):
            return digits(number, yao=True)  # room and gate numbers are read digit by digit
        if number == "2" and not m.group(2):
            return count(number, m.string[m.end():m.end() + 4])  # 2栋楼 is two buildings: 两栋楼
        return ordinal(number)
    rest = re.sub(r"\d+", lambda n: one(n.group(0)), m.group(2) or "")
    return one(m.group(1)) + rest


# ---------------------------------------------------------------- quantities and symbols
_TEMP_RE = re.compile(rf"(零下|(?<![\d℃度°A-Za-z])[-−])?\s*({_NUM})\s*(?:(?:℃|°C|°c|摄氏度|度|°)\s*)?"
                      rf"(?:(?:-|~|至|到)\s*(零下|[-−])?\s*({_NUM})\s*)?(℃|°C|°c|摄氏度|度|°)")
_PERCENT_RE = re.compile(rf"({_NUM})\s*(%|‰)?\s*(?:-|~|至|到)\s*({_NUM})\s*(%|‰)|({_NUM})\s*(%|‰)")
_ORDINAL_RE = re.compile(rf"第\s*({_NUM})((?:\s*(?:、|,|，|和|及|与|至|到|-|~)\s*{_NUM})*)")
_PLUS_RE = re.compile(r"(?<![\d.])(\d+)((?:\s*\+\s*\d+)+)")

_FRACTION_RE = re.compile(r"(?<![\d.])(\d+)\s*/\s*(\d+)(?![\d.])")
# the unit written after the number too (¥120元, $5美元) is said once, as written
_CURRENCY_RE = re.compile(rf"([¥￥$])\s*({_NUM})(万|亿)?(?:\s*(元|块钱|块|美元))?")
_NUMBER_SIGN_RE = re.compile(r"(?<![A-Za-z])(?:No\.|NO\.|no\.|№)\s*(\d+)")  # No.3 -> 三号
_RANGE_RE = re.compile(rf"(?<![\d.])({_NUM})(万|亿)?\s*(?:-|~)\s*(?=\d)")
_NUMBER_RE = re.compile(rf"(?<![\d.])({_NUM})(?![\d.])")
_RATIO_RE = re.compile(r"(?<=\d)\s*[:：]\s*(?=\d)")


@lru_cache(maxsize=1)
def _per_re() -> re.Pattern:
    """2元/斤, 1人/次: a slash before a measure word or unit means 每 (not in 记者 / 高磊)."""
    return re.compile(rf"(?<=[\u4e00-\u9fffA-Za-z\d])/(?=(?:{_measure_alt()}|日|周|月|年|人次|双|盒|亩|台|辆))")


@lru_cache(maxsize=1)
def _name_re() -> re.Pattern:
    alt = "|".join(re.escape(w) for w in number_data()["digit_names_before"])
    return re.compile(rf"(?<![\d.])(\d+)(?=(?:{alt}))")


@lru_cache(maxsize=1)
def _unit_re() -> re.Pattern:
    units = sorted(number_data()["units"], key=len, reverse=True)
    alt = "|".join(re.escape(u) for u in units)
    return re.compile(rf"(?<![\d.])({_NUM})\s*({alt})(?![A-Za-z])")


def _signed(sign: str | None, value: str) -> str:
    return ("零下" if sign else "") + ordinal(value)


def _temp_match(m: re.Match) -> str:
    unit = m.group(5)
    negative = bool(m.group(1)) or bool(m.group(3))
    word = "度" if unit in ("度", "°") or negative else "摄氏度"
    first = _signed(m.group(1), m.group(2))
    if m.group(4) is None:
        return first + word
    if negative:  # 零下三度到五度: each end says its own sign, so nobody hears 零下 for both
        return first + "度到" + _signed(m.group(3), m.group(4)) + "度"
    return first + "到" + _signed(m.group(3), m.group(4)) + word


def _percent_match(m: re.Match) -> str:
    def pct(value: str, sign: str | None) -> str:
        return ("千分之" if sign == "‰" else "百分之") + cardinal(value)
    if m.group(5) is not None:
        return pct(m.group(5), m.group(6))
    return pct(m.group(1), m.group(2) or m.group(4)) + "到" + pct(m.group(3), m.group(4))


def _ordinal_match(m: re.Match) -> str:
    out = "第" + ordinal(m.group(1))
    rest = m.group(2)
    if rest:
        for sep, num in re.findall(rf"\s*(、|,|，|和|及|与|至|到|-|~)\s*({_NUM})", rest):
            out += ("到" if sep in "-~" else "、" if sep in ",，" else sep) + ordinal(num)
    return out


def _plus_match(m: re.Match) -> str:
    parts = [m.group(1)] + re.findall(r"\d+", m.group(2))
    return "加".join(ordinal(p) for p in parts)


def _unit_match(m: re.Match) -> str:
    word = number_data()["units"][m.group(2)]
    return count(m.group(1), word) + word


def _currency_match(m: re.Match) -> str:
    big = m.group(3) or ""
    word = m.group(4) or number_data()["currency_before"][m.group(1)]
    return count(m.group(2), big + word) + big + word


@lru_cache(maxsize=1)
def latin_words() -> tuple[re.Pattern, dict[str, str]]:
    """data/latin.yaml as one pattern (longest first, whole words, any case) and its table."""
    table = yaml.safe_load((DATA / "latin.yaml").read_text(encoding="utf-8")) or {}
    table = {str(k).lower(): str(v) for k, v in table.items()}
    alt = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alt})(?![A-Za-z])", re.IGNORECASE), table


def _range_match(m: re.Match) -> str:
    # 2-3岁 -> 两到三岁: the first number takes 两 when the range is a count
    after = re.sub(r"^[\d.]+", "", m.string[m.end():m.end() + 12])
    first = count(m.group(1), (m.group(2) or "") + after)
    return first + (m.group(2) or "") + "到"


def _number_match(m: re.Match) -> str:
    value = m.group(1)
    if len(value) > 1 and value.startswith("0") and "." not in value:
        return digits(value)  # 007, 01: a label, not a quantity
    return count(value, m.string[m.end():m.end() + 3])


def _leftover(text: str) -> str:
    text = re.sub(r"(?<=[\u4e00-\u9fff])\s*[-~～]\s*(?=[\u4e00-\u9fff])", "到", text)
    text = text.replace("℃", "摄氏度").replace("+", "加").replace(":", "：").replace("%", "")
    text = re.sub(r"\s*/\s*", "、", text).replace("~", "").replace("-", "，")
    return digits(text)  # a digit no rule claimed is still better read than spelled in English


def normalize(text: str, clock: int = 12) -> str:
    """The spoken form of `text`; BadInput naming the value for an invalid time or date."""
    return normalize_with_hits(text, clock=clock)[0]


def normalize_with_hits(text: str, latin: bool = True, clock: int = 12) -> tuple[str, tuple[Hit, ...]]:
    """The spoken form of `text` and the rewrites that produced it, in order.

    `latin`: say the Latin words of data/latin.yaml the Chinese way (WiFi, APP, CT, COVID-19);
    off for voices that read English letters as English (Cantonese).
    `clock`: 12 says times the village way, with the part of the day (17:00 -> 下午五点);
    24 as written on the 24-hour clock (十七点). See data/clock.yaml.
    """
    twelve = clock != 24
    hits: list[Hit] = []
    p = _Pass(hits)
    text = text.translate(_FULLWIDTH)
    if latin:
        pattern, table = latin_words()
        text = p.sub("latin", pattern, lambda m: table[m.group(0).lower()], text)
    text = p.sub("number sign", _NUMBER_SIGN_RE, lambda m: ordinal(m.group(1)) + "号", text)
    text = _DASHES.sub("-", text)
    text = _THOUSANDS.sub("", text)  # 1,000 -> 1000
    text = _HASH_RE.sub("号", text)  # 3#楼 -> 3号楼
    text = p.sub("sign", _SIGN_RE, lambda m: _SIGNS[m.group(1)], text)
    cued, bare, post, known = _phone_res()
    text = p.sub("phone", bare, lambda m: phone(m.group(0)), text)
    text = p.sub("phone", cued, _cued_phone_match, text)
    text = p.sub("phone", post, lambda m: phone(m.group(1)), text)
    text = p.sub("phone", known, lambda m: phone(m.group(1)), text)
    text = p.sub("phone", _PHONE_LIST_RE, lambda m: m.group(1) + phone(m.group(2)), text)
    text = p.sub("date", _ISO_RE, _iso_match, text)
    text = p.sub("date", _SHORT_RANGE_RE, _short_range_match, text)
    text = p.sub("date", _CN_DATE_RE, _cn_date_match, text)
    text = p.sub("date", _YEAR_MONTH_RE, _year_month_match, text)
    text = p.sub("year", _YEAR_RE, _year_match, text)
    text = p.sub("month", _MONTH_RE, _month_match, text)
    text = p.sub("time", _CLOCK_RE, lambda m: _clock_match(m, twelve), text)
    text = p.sub("time", _DOT_CLOCK_RE, lambda m: _dot_clock_match(m, twelve), text)
    text = p.sub("time", _HOUR_RANGE_RE, lambda m: _hour_range_match(m, twelve), text)
    text = p.sub("time", _DIAN_RE, lambda m: _dian_match(m, twelve), text)
    text = p.sub("temperature", _TEMP_RE, _temp_match, text)
    text = p.sub("percent", _PERCENT_RE, _percent_match, text)
    text = p.sub("decade", _DECADE_RE, lambda m: digits(m.group(1)), text)
    text = p.sub("name", _name_re(), lambda m: digits(m.group(1)), text)
    text = p.sub("code", _CODE_RE, lambda m: m.group(1) + digits(m.group(2)), text)
    text = p.sub("ordinal", _ORDINAL_RE, _ordinal_match, text)
    text = p.sub("plus", _PLUS_RE, _plus_match, text)
    text = p.sub("currency", _CURRENCY_RE, _currency_match, text)
    text = p.sub("unit", _unit_re(), _unit_match, text)
    text = p.sub("per", _per_re(), lambda m: "每", text)
    text = p.sub("fraction", _FRACTION_RE, lambda m: cardinal(m.group(2)) + "分之" + cardinal(m.group(1)), text)
    text = p.sub("room", _room_re(), _room_match, text)
    text = p.sub("ratio", _RATIO_RE, lambda m: "比", text)
    text = p.sub("range", _RANGE_RE, _range_match, text)
    text = p.sub("number", _NUMBER_RE, _number_match, text)
    before = text
    text = _leftover(text)
    if text != before:
        hits.append(Hit("symbols", before, text))
    return text, tuple(hits)
