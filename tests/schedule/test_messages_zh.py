"""Malformed schedules, plans and the schedule's pictures under a Chinese locale.

Each case is a schedule an official or technician might really get wrong. With LANG=zh_CN.UTF-8
`broadcaster check` must answer in Chinese on the right line, with no English prose and no Python
or parser name left; with LANG=C the same file gets the English message on the same line. The
`plan`, `export` and `run` notes on what airs are checked the same way.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import write
from tests.zhtext import (CHANNELS, HESUAN, PROGRAM, SCHEDULE, TIMES, WATER, _chinese, _folder, _lines_without_english,
                          _locale, _one_line, _prose, _python, chinese_only)

ROUTE = "    route:\n"

# name -> (schedule text, line, Chinese fragment, English fragment)
CASES: dict[str, tuple[str, int, str, str]] = {
    "unknown top-level key": ("colour: red\n" + CHANNELS + PROGRAM + TIMES, 1, "不认识的项“colour” — 可以写的有：",
                              "unknown key 'colour'"),
    "misspelt program key": (CHANNELS + PROGRAM + "    tmes: ['07:00']\n", 6, "是不是想写“times”？",
                             "did you mean 'times'?"),
    "channel id in Chinese": ("channels:\n  大喇叭: {name: x}\n" + PROGRAM.replace("village", "大喇叭") + TIMES, 2,
                              "频道编号“大喇叭”只能用", "channel id '大喇叭' may use only"),
    "misspelt channel": (CHANNELS + PROGRAM.replace("channel: village", "channel: vilage") + TIMES, 5,
                         "不认识的频道“vilage” — 是不是想写“village”？", "unknown channel 'vilage' — did you mean"),
    "25:00": (CHANNELS + PROGRAM + "    times: ['25:00']\n", 6, "时间“25:00”不对 — 小时是 0-23",
              "invalid time '25:00'"),
    "a time in words": (CHANNELS + PROGRAM + "    times: ['早上七点']\n", 6, "“早上七点”不是一天里的时刻",
                        "'早上七点' is not a time of day"),
    "7:60 unquoted": (CHANNELS + PROGRAM + "    times: [7:60]\n", 6, "时间“7:60”不对", "invalid time '7:60'"),
    "February 30": (CHANNELS + PROGRAM + "    dates: 2021-02-30\n" + TIMES, 6, "不是一个真实的日期",
                    "is not a real date"),
    "a date in Chinese": (CHANNELS + PROGRAM + "    dates: [10月27日]\n" + TIMES, 6, "日期“10月27日”不对",
                          "invalid date '10月27日'"),
    "date range backwards": (CHANNELS + PROGRAM + "    dates: 2021-10-29..2021-10-27\n" + TIMES, 6,
                             "结束得比开始还早", "ends before it starts"),
    "overlapping quiet hours": ("quiet_hours: ['22:00-06:00', '05:00-07:00']\n" + CHANNELS + PROGRAM + TIMES, 1,
                                "静音时段“05:00-07:00”和另一段重叠了", "overlap another range"),
    "empty quiet hours": ("quiet_hours: ['12:00-12:00']\n" + CHANNELS + PROGRAM + TIMES, 1,
                          "开始和结束是同一时间", "is an empty range"),
    "quiet hours in words": ("quiet_hours: ['all night']\n" + CHANNELS + PROGRAM + TIMES, 1,
                             "“all night”不是一个时间段", "'all night' is not a time range"),
    "cron hour 25": (CHANNELS + PROGRAM + "    cron: '0 25 * * *'\n", 6, "定时规则“0 25 * * *”写得不对 — 写五项",
                     "invalid cron rule '0 25 * * *'"),
    "cron in words": (CHANNELS + PROGRAM + "    cron: 每周六晚上\n", 6, "定时规则“每周六晚上”写得不对",
                      "invalid cron rule"),
    "latitude out of range": (CHANNELS + PROGRAM + ROUTE + "      - {at: '09:00', place: 1号楼, lat: 129.5, lon: 108.7}\n",
                              7, "纬度 129.5 超出", "latitude 129.5 is outside"),
    "latitude in words": (CHANNELS + PROGRAM + ROUTE + "      - {at: '09:00', place: 1号楼, lat: 北纬29, lon: 108.7}\n",
                          7, "“北纬29”不是数字", "'北纬29' is not a number"),
    "stop without lon": (CHANNELS + PROGRAM + ROUTE + "      - {at: '09:00', place: 1号楼, lat: 29.5}\n", 7,
                         "缺少 `lon:`", "no `lon:`"),
    "circles overlap": (CHANNELS + PROGRAM + ROUTE
                        + "      - {at: '09:00', place: 1号楼, lat: 29.5, lon: 108.7, radius: 80}\n"
                        + "      - {at: '09:20', place: 2号楼, lat: 29.5001, lon: 108.7, radius: 80}\n", 8,
                        "站点“2号楼”的范围圈和“1号楼”的重叠", "overlaps the circle of '1号楼'"),
    "radius below GPS accuracy": (CHANNELS + PROGRAM + ROUTE
                                  + "      - {at: '09:00', place: 1号楼, lat: 29.5, lon: 108.7, radius: 10}\n", 7,
                                  "小于 GPS 定位精度", "smaller than GPS accuracy"),
    "one stop without a position": (CHANNELS + PROGRAM + ROUTE
                                    + "      - {at: '09:00', place: 1号楼, lat: 29.5, lon: 108.7}\n"
                                    + "      - {at: '09:30', place: 2号楼}\n", 8, "站点“2号楼”没有写位置",
                                    "stop '2号楼' has no position"),
    "stop without at": (CHANNELS + PROGRAM + ROUTE + "      - {place: 1号楼}\n", 7, "每个停靠点都要写 `at:`",
                        "each stop needs `at:`"),
    "a sink that runs a program": ("channels:\n  village: {name: 大喇叭, sink: [command, cvlc, '{file}']}\n"
                                   + PROGRAM + TIMES, 2, "不能指定要运行的程序", "cannot run a program as its sink"),
    "a sink with other options": ("channels:\n  village: {name: 大喇叭, sink: [paplay, --volume, '5']}\n"
                                  + PROGRAM + TIMES, 2, "只能用 -d、--device 设备名",
                                  "may only choose paplay's output device (only -d, --device DEVICE)"),
    "misspelt sink": ("channels:\n  village: {name: 大喇叭, sink: aplya}\n" + PROGRAM + TIMES, 2,
                      "不认识的播放方式“aplya” — 是不是想写 `aplay`？", "unknown sink 'aplya' — did you mean `aplay`?"),
    "sink written as fields": ("channels:\n  village: {name: 大喇叭, sink: {a: 1}}\n" + PROGRAM + TIMES, 2,
                               "播放方式 {a: 1} 既不是一个名字", "sink {a: 1} is not a name"),
    "missing notice file": (CHANNELS + PROGRAM.replace("a.yaml", "b.yaml") + TIMES, 4,
                            "找不到通知文件“notices/b.yaml”", "notice file 'notices/b.yaml' not found"),
    "unknown priority": (CHANNELS + PROGRAM + TIMES + "    priority: high\n", 7, "不认识的优先级“high”",
                         "unknown priority 'high'"),
    "every without between": (CHANNELS + PROGRAM + "    every: 30m\n", 4, "`every:` 和 `loop:` 要配一个时间段",
                              "`every:` and `loop:` need a time window"),
    "every in words": (CHANNELS + PROGRAM + "    every: 半小时\n    between: '08:00-11:00'\n", 6,
                       "“半小时”不是一段时长", "'半小时' is not a length of time"),
    "window backwards": (CHANNELS + PROGRAM + "    every: 30m\n    between: '11:00-08:00'\n", 7,
                         "时间段“11:00-08:00”是空的", "the time window '11:00-08:00' is empty"),
    "no rule": (CHANNELS + PROGRAM, 4, "times、every、loop、cron、route 里写一个", "exactly one of times"),
    "two rules": (CHANNELS + PROGRAM + TIMES + "    loop: true\n    between: '08:00-09:00'\n", 4, "而且只写一个",
                  "exactly one of times"),
    "weekday in Chinese": (CHANNELS + PROGRAM + "    weekdays: [周一]\n" + TIMES, 6, "不认识的星期“周一”",
                           "unknown weekday '周一'"),
    "unknown time zone": ("timezone: Beijing\n" + CHANNELS + PROGRAM + TIMES, 1, "不认识的时区“Beijing”",
                          "unknown time zone 'Beijing'"),
    "until in words": (CHANNELS + PROGRAM + "    every: 30m\n    between: '08:00-11:00'\n    until: 明天\n", 8,
                       "“明天”不是日期加时间", "'明天' is not a date and time"),
    "no channels": (PROGRAM + TIMES, 1, "排期文件要写 `channels:`".replace("排期", "节目表"),
                    "a schedule needs `channels:`"),
    "program as a bare file name": (CHANNELS + "programs:\n  - notices/a.yaml\n", 4, "每个节目下面要写",
                                    "each program must hold fields"),
    "unknown channel kind": ("channels:\n  village: {name: 大喇叭, kind: radio}\n" + PROGRAM + TIMES, 2,
                             "不认识的频道类型“radio”", "unknown channel kind 'radio'"),
    "channel as a bare name": ("channels:\n  village: 大喇叭\n" + PROGRAM + TIMES, 2, "频道“village”下面要写",
                               "channel 'village' must hold fields"),
    "max_delay in words": ("max_delay: 十分钟\n" + CHANNELS + PROGRAM + TIMES, 1, "“十分钟”不是一段时长",
                           "'十分钟' is not a length of time"),
    "notice and notices": (CHANNELS + PROGRAM + "    notices: [notices/a.yaml]\n" + TIMES, 4, "二者只写一个",
                           "either `notice:` or `notices:`"),
    "duplicate times": (CHANNELS + PROGRAM + TIMES + "    times: ['08:00']\n", 7, "“times”写了两遍",
                        "duplicate key 'times'"),
    "full-width colon": (CHANNELS + PROGRAM + "    times：['07:00']\n", 6, "全角冒号", "full-width"),
}


def _check(run, tmp_path: Path, text: str) -> tuple[Path, object]:
    path = write(_folder(tmp_path) / "schedule.yaml", text)
    return path, run("check", path)


def test_the_table_is_big_enough():
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", list(CASES))
def test_a_malformed_schedule_is_explained_in_chinese(run, tmp_path, monkeypatch, name):
    text, line, zh, en = CASES[name]
    _locale(monkeypatch, "zh_CN.UTF-8")
    path, r = _check(run, tmp_path, text)
    message = _one_line(path, r, line)
    assert zh in message, message
    assert not _prose(message), f"English left: {_prose(message)} in {message}"
    assert not _python(message, chinese=True), message
    what, fix = message.split(" — ", 1)
    assert _chinese(fix), "the fix is in Chinese too: " + message


@pytest.mark.parametrize("name", list(CASES))
def test_the_same_schedule_gets_english_with_lang_c(run, tmp_path, monkeypatch, name):
    text, line, zh, en = CASES[name]
    _locale(monkeypatch, "C")
    path, r = _check(run, tmp_path, text)
    message = _one_line(path, r, line)
    assert en in message, message
    assert not _chinese(message.replace(path.parent.name, "")) or zh not in message
    assert not _python(message, chinese=False), message


PAST = """channels:
  village: {name: 大喇叭, sink: "file:onair"}
programs:
  - notice: notices/a.yaml
    channel: village
    dates: 2021-10-27
    times: ["07:00"]
"""


@pytest.mark.slow
def test_export_and_run_say_why_nothing_airs(run, tmp_path, monkeypatch):
    _locale(monkeypatch, "zh_CN.UTF-8")
    path = write(_folder(tmp_path) / "schedule.yaml", PAST)
    export = run("export", path, "--to", "m3u", "-o", tmp_path / "export", "--engine", "espeak")
    assert export.code == 0, export.err
    assert "所有节目的日期都已经过去（最后一个播出日是 2021-10-27）" in export.err
    assert "--from 2021-10-27" in export.err
    log = tmp_path / "asrun.sqlite"
    on_air = run("run", path, "--for", "1s", "--log", log)
    assert on_air.code == 0, on_air.err
    warning = [line for line in on_air.err.splitlines() if line.startswith("注意：")]
    assert warning and "每个节目的日期都已经过去了（最后一个播出日是 2021-10-27）" in warning[0]
    assert "给节目写上新的日期" in warning[0]
    assert "开始播出：1 个频道（village）" in on_air.out and "已停止：运行时间到了" in on_air.out
    assert not _lines_without_english(on_air.out + on_air.err), on_air.out + on_air.err

    _locale(monkeypatch, "C")
    export = run("export", path, "--to", "m3u", "-o", tmp_path / "export", "--engine", "espeak")
    assert "every program's dates are in the past (the last play day was 2021-10-27)" in export.err
    on_air = run("run", path, "--for", "1s", "--log", log)
    assert "WARN:" in on_air.err and "(the last play day was 2021-10-27)" in on_air.err


def test_pictures_follow_the_language(tmp_path, monkeypatch):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from broadcaster.schedule.model import Play
    from broadcaster.schedule.routemap import MapRoute, MapStop, route_map
    from broadcaster.schedule.svg import timeline

    tz = ZoneInfo("Asia/Shanghai")
    start = datetime(2021, 10, 27, 7, tzinfo=tz)
    plays = [Play(start, start + timedelta(seconds=40), "village", "hs", "hs.mp3", "urgent", "moved", "", "通知", "s")]
    route = [MapRoute("物资车", ("truck",), (MapStop("1号楼", "09:00", 29.5, 108.7, 80.0, "hs-stop01"),))]
    rows = [{"lat": 29.5, "lon": 108.7, "speed": 2.0, "notice": "hs-stop01", "status": "late",
             "actual_start": "2021-10-27T09:00:03+08:00", "title": "通知"}]
    _locale(monkeypatch, "zh_CN.UTF-8")
    zh_plan = timeline(plays, start.date(), {"village": "大喇叭"}, ((22 * 3600, 6 * 3600),), tz)
    zh_map = route_map(route, rows)
    assert "<title>播出计划 2021-10-27</title>" in zh_plan and "<title>静音时段</title>" in zh_plan
    assert "（urgent，挪后）" in zh_plan
    assert "车载广播路线 物资车" in zh_map and "（半径 80 米）" in zh_map and "（晚播, 7 km/h）" in zh_map
    _locale(monkeypatch, "C")
    en_plan = timeline(plays, start.date(), {"village": "大喇叭"}, ((22 * 3600, 6 * 3600),), tz)
    en_map = route_map(route, rows)
    assert "<title>Broadcast plan 2021-10-27</title>" in en_plan and "(urgent, moved)" in en_plan
    assert "Truck route 物资车" in en_map and "(radius 80 m)" in en_map and "(late, 7 km/h)" in en_map


@pytest.mark.slow
def test_plan_gives_its_moves_and_drops_in_chinese(run, tmp_path, zh, monkeypatch):
    write(tmp_path / "w.yaml", WATER)
    write(tmp_path / "h.yaml", HESUAN)
    sched = write(tmp_path / "s.yaml", SCHEDULE)
    r = run("plan", sched, "--from", "2021-10-27", "--engine", "espeak")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    moved = next(line for line in lines if line.startswith("→"))
    assert re.search(r"停水通知  （推迟了 0 分 \d+ 秒：核酸检测（加急）占了 08:00:00-08:00:\d\d）$", moved), moved
    dropped = next(line for line in lines if line.startswith("✕"))
    assert "23:00:00" in dropped and dropped.endswith("（落在静音时段 22:00-06:00 里）")
    assert lines[-1] == "共 3 次播出：按时 1 次，挪后 1 次，取消 1 次"
    chinese_only(r.out)
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run("plan", sched, "--from", "2021-10-27", "--engine", "espeak")
    assert re.search(r"\(moved 0 min \d+ s later: 核酸检测 \(urgent\) holds 08:00:00-08:00:\d\d\)$", r.out, re.M)
    assert "(inside quiet hours 22:00-06:00)" in r.out
    assert r.out.splitlines()[-1] == "3 plays: 1 planned, 1 moved, 1 dropped"
