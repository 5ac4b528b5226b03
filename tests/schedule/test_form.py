"""schedule/when.py: the days and times the desk's schedule form accepts are the ones notices are written
with (12月12日, 明天, 2026-12-12, 8点, 下午3点, 15:00), read to the right date and time of day."""
from __future__ import annotations

from datetime import date, time

import pytest

from broadcaster.errors import BadInput
from broadcaster.schedule.when import parse_days, parse_times
from broadcaster.speech.normalize import normalize

TODAY = date(2026, 12, 7)  # a Monday


@pytest.mark.parametrize("written, read", [
    ("8点", "08:00"), ("8点半", "08:30"), ("8点15分", "08:15"), ("8:00", "08:00"), ("15:00", "15:00"),
    ("15：00", "15:00"), ("下午3点", "15:00"), ("下午3点半", "15:30"), ("下午3:30", "15:30"), ("晚上8点", "20:00"),
    ("早上7点", "07:00"), ("上午10点", "10:00"), ("中午12点", "12:00"), ("中午1点", "13:00"), ("凌晨5点", "05:00"),
    ("晚上12点", "00:00"), ("夜里11点", "23:00"), ("夜里2点", "02:00"), ("八点", "08:00"), ("下午三点", "15:00"), ("十二点一刻", "12:15"), ("18:30:30", "18:30:30"),
])
def test_a_time_reads_as_a_notice_says_it(written, read):
    assert [t.isoformat("seconds" if read.count(":") == 2 else "minutes") for t in parse_times(written)] == [read]
    normalize(f"广播时间{written}。")  # the notice reader takes it too (it raises on a time it refuses)


def test_several_times_in_one_field():
    assert parse_times("早上7:30, 下午3点半、20:00 12点") == (time(7, 30), time(15, 30), time(20, 0), time(12, 0))


@pytest.mark.parametrize("written, piece", [("25:00", "25:00"), ("8点70", "8点70"), ("下午", "下午"), ("abc", "abc"),
                                            ("8点 后天", "后天"), ("上午15点", "上午15点")])
def test_a_wrong_time_is_named_in_its_message(written, piece):
    with pytest.raises(BadInput) as caught:
        parse_times(written)
    assert f"'{piece}'" in caught.value.what and caught.value.path is None and caught.value.fix


@pytest.mark.parametrize("written, first, last", [
    ("12月12日", date(2026, 12, 12), None), ("12月12号", date(2026, 12, 12), None),
    ("2026-12-12", date(2026, 12, 12), None), ("2026/12/12", date(2026, 12, 12), None),
    ("2027年1月5日", date(2027, 1, 5), None), ("12月12日（星期六）", date(2026, 12, 12), None),
    ("今天", TODAY, None), ("明天", date(2026, 12, 8), None), ("后天", date(2026, 12, 9), None),
    ("1月3日", date(2027, 1, 3), None),  # past this year: the next one
    ("12月12日到14日", date(2026, 12, 12), date(2026, 12, 14)),
    ("12月30日至1月2日", date(2026, 12, 30), date(2027, 1, 2)),
    ("2026-12-12..2026-12-14", date(2026, 12, 12), date(2026, 12, 14)),
])
def test_a_day_reads_as_a_notice_writes_it(written, first, last):
    days = parse_days(written, TODAY)
    if last is None:
        assert days.dates == (first,) and days.as_yaml() == first.isoformat()
    else:
        assert days.span == (first, last) and days.as_yaml() == f"{first.isoformat()}..{last.isoformat()}"
    if "..." not in written and ".." not in written and "天" not in written:
        normalize(f"{written}上午")  # the notice reader takes it too


def test_several_days_become_a_list():
    days = parse_days("12月12日、12月14日 12月20日", TODAY)
    assert days.as_yaml() == ["2026-12-12", "2026-12-14", "2026-12-20"] and days.first == date(2026, 12, 12)


@pytest.mark.parametrize("written, words", [
    ("12月32日", "no day '12月32日'"), ("2月30日", "no day '2月30日'"), ("13月1日", "no day '13月1日'"),
    ("12月12日（星期三）", "2026-12-12 is a Saturday, not a Wednesday"), ("12月14日到12日", "ends before it starts"),
    ("下周", "'下周' is not a day"), ("12月12日到14日、12月20日", "span of days"),
])
def test_a_wrong_day_is_refused_with_what_is_wrong(written, words):
    with pytest.raises(BadInput) as caught:
        parse_days(written, TODAY)
    assert words in caught.value.what and caught.value.fix


def test_nothing_given_is_a_mistake_of_its_own():
    for parse in (parse_times, lambda text: parse_days(text, TODAY)):
        with pytest.raises(BadInput, match="no (time|day) is given"):
            parse("  ")
