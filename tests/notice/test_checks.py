"""Nothing wrong goes on air without a word (issue 23): a ` #` that cuts a value short, a time range
that ends before it starts, a phone number that fits no Chinese pattern, a date already past, a
weekday that is not the date's, a time in quiet hours, free text going on without indentation; and
`check` lists all of a file's mistakes at once.

Each case is checked with a Chinese locale (Chinese words, no English prose, the right line) and with
LANG=C (the English message on the same line). "Today" is 2021-10-20 (conftest), unless a case says.
"""
from __future__ import annotations

import json
import re

import pytest

from tests.helpers import write

ENGLISH_PROSE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;]+[A-Za-z]{2,}){3,}\b")  # as in tests/test_i18n.py

NUCLEIC = ("id: hs\ntemplate: nucleic-test\nvars:\n  village: 宏福苑社区\n  date: 10月27日\n"
           "  start: '8:00'\n  end: '11:30'\n  place: 北门广场\n")

# name -> (file text, line, Chinese fragment, English fragment): mistakes, exit 2
ERRORS: dict[str, tuple[str, int, str, str]] = {
    "a ' #' cuts the text": ("id: a\ntext: 物资车已经到 #3号楼 门口，请下楼领取。\n", 2,
                             "“text”的值到“ #”就断了：后面的“#3号楼 门口，请下楼领取。”被当成备注丢掉了 — 把整个值放进引号里："
                             "`text: '物资车已经到 #3号楼 门口，请下楼领取。'`",
                             "the value of 'text' stops at ' #'"),
    "a ' #' cuts a variable": (NUCLEIC.replace("北门广场", "3号楼 #2单元门口"), 8,
                               "后面的“#2单元门口”被当成备注丢掉了 — 把整个值放进引号里：`place: '3号楼 #2单元门口'`",
                               "put the whole value in quotes: `place: '3号楼 #2单元门口'`"),
    "a ' #' with nothing before it": ("id: a\ntext: 请到{{ place }}集合。\nvars:\n  place: #3号楼\n", 4,
                                      "“place”的值到“ #”就断了", "the value of 'place' stops at ' #'"),
    "a ' #' cuts a jingle line": ("kind: jingle\nid: j\nform: 七言\nlines:\n  - 出门记得戴口罩 #N95\n"
                                  "  - 回家勤洗手\n", 5, "`- '出门记得戴口罩 #N95'`", "the value of 'lines' stops"),
    "a ' #' cuts an emphasized sentence": ("id: a\ntext: 你好。\nemphasis:\n  - 不聚集 #1\n", 4,
                                           "“emphasis”的值到“ #”就断了", "the value of 'emphasis' stops"),
    "a ' #' inside brackets": ("id: a\ntext: 你好。\nemphasis: [不聚集 #1, 戴口罩]\n", 3,
                               "“不聚集 #1”里的“ #”把这一行后面的内容都变成了备注 — 把这个值放进引号里："
                               "`emphasis: ['不聚集 #1', 戴口罩]`", "starts a note that hides the rest of the line"),
    "a time range backwards in the text": ("id: a\ntext: |\n  各位村民请注意，\n  明天8:00-7:30停水。\n", 4,
                                           "时间段“8:00-7:30”结束得比开始还早", "the time range '8:00-7:30' ends"),
    "a time range backwards in vars": (NUCLEIC.replace("'8:00'", "'11:30'").replace("end: '11:30'", "end: '8:00'"),
                                       7, "时间段“11:30到8:00”结束得比开始还早 — 把早的时间写在前面",
                                       "the time range '11:30到8:00' ends before it starts"),
    "an afternoon range backwards": ("id: a\ntext: 下午3点到1点请在家等候。\n", 2, "时间段“下午3点到1点”结束得比开始还早",
                                     "ends before it starts"),
    "a date range backwards": ("id: a\ntext: 10月29日至10月27日暂停营业。\n", 2, "日期段“10月29日至10月27日”结束得比开始还早",
                               "the date range '10月29日至10月27日' ends before it starts"),
    "a mobile number one digit short": ("id: a\ntext: 有事请打电话1391111222。\n", 2,
                                        "手机号“1391111222”是 10 位数 — 手机号是 11 位数",
                                        "the mobile number 1391111222 has 10 digits"),
    "a mobile number in a variable": (NUCLEIC + "  phone: '139111122223'\n", 9, "手机号“139111122223”是 12 位数",
                                      "has 12 digits"),
    "a weekday that is not the date's (year written)": ("id: a\ntext: 2026年12月8日（星期三）停水。\n", 2,
                                                        "2026年12月8日是星期二，不是星期三 — 请核对日期和星期几",
                                                        "2026-12-08 is a 星期二, not a 星期三"),
    "a second line of text not indented": ("id: a\ntext: 明天停水\n后天来电\n", 3,
                                           "这一行像是第 2 行“text”的文字接着往下写的，但前面没有空格 — 改成 `text: |`，"
                                           "下面每行文字前空两格：`  明天停水` `  后天来电`",
                                           "write `text: |` and below it each line of the text, two spaces in"),
    "a second line of text with a colon": ("id: a\ntext: 明天停水\n后天来电: 八点\nrepeat: 2\n", 3,
                                           "改成 `text: |`，下面每行文字前空两格：`  明天停水` `  后天来电: 八点`",
                                           "more of the text of 'text' (line 2)"),
    "a second line of text with a full-width colon": ("id: a\ntext: 明天停水\n后天来电：八点\n", 3,
                                                      "`  明天停水` `  后天来电：八点`", "but it is not indented"),
    "a line after a | block not indented": ("id: a\ntext: |\n  明天停水\n后天来电\n大后天通气\n", 4,
                                            "`  明天停水` `  后天来电` `  大后天通气`", "but it is not indented"),
}

# name -> (file text, line, Chinese fragment, English fragment[, today]): warnings, exit 0 (2 with --strict)
WARNINGS: dict[str, tuple] = {
    "a note after the title": ("id: a\ntitle: 停水通知  # 第二版\ntext: 你好。\n", 2,
                               "“title”的值到“ #”就断了：后面的“# 第二版”被当成备注丢掉了 — 如果它是值的一部分，"
                               "就把整个值放进引号里（`title: '停水通知  # 第二版'`）；如果是备注，就把它单独写成一行",
                               "'# 第二版' is taken as a note and dropped"),
    "a note after a text variable": (NUCLEIC.replace("北门广场", "北门广场  # 改过"), 8, "后面的“# 改过”被当成备注丢掉了",
                                     "'# 改过' is taken as a note"),
    "a date already past": ("id: a\ntext: 各位村民请注意，10月18日上午九点到十一点停电。\n", 2,
                            "日期“10月18日”（按2021年10月18日算）已经过去了，今天是2021年10月20日 — 如果这是要播的新通知，"
                            "请改成新的日期；留作存档的旧通知不用改",
                            "the date 10月18日 (taken as 2021-10-18) is already past; today is 2021-10-20"),
    "a date with its year already past": ("id: a\ntext: 2021年10月1日起实行。2021年10月19日停电。\n", 2,
                                          "日期“2021年10月19日”已经过去了", "the date 2021年10月19日 is already past"),
    "a date in a variable already past": (NUCLEIC.replace("10月27日", "10月19日"), 5, "日期“10月19日”",
                                          "the date 10月19日 (taken as 2021-10-19)"),
    "a weekday that is not the date's (year taken)": ("id: a\ntext: 12月8日（星期三）停水。\n", 2,
                                                      "2026年12月8日是星期二，不是星期三 — 请核对日期和星期几；没写年份的日期"
                                                      "按离今天最近的那一天算", "2026-12-08 is a 星期二, not a 星期三",
                                                      "2026-12-01"),
    "a phone number that fits nothing": ("id: a\ntext: 咨询电话023-123456。\n", 2,
                                         "电话号码“023-123456”不像任何一种国内电话号码 — 手机号是 11 位",
                                         "the phone number 023-123456 fits no Chinese phone number"),
}

# Not mistakes: notes after numbers and names, overnight ranges, dates where something began.
FINE = {
    "notes after numbers and names": "id: a  # 编号\ntext: 你好。\nrepeat: 2  # 念两遍\nvoice: mandarin  # 普通话\n"
                                     "vars:\n  round: 8  # 第几轮\n  start: '8:00'  # 开始\n",
    "a quoted value with a note": "id: a\ntext: '物资车已经到 #3号楼 门口'  # 说明\n",
    "a '#' not after a space": "id: a\ntext: 请到3#楼门口集合。\n",
    "an overnight range": "id: a\ntext: 晚上20:00-6:00施工，22:00到次日6:00封路。\n",
    "an afternoon range": "id: a\ntext: 下午2点到5点，上午9点到下午1点。\n",
    "a night range (夜里2点 is 2:00, as the schedule form reads it)": "id: a\ntext: 夜里11点到夜里2点关好门窗。\n",
    "where something began, and as of when": "id: a\ntext: 从10月18日18:00起封控管理。截至10月19日，已完成登记。\n",
    "a range that is not over": "id: a\ntext: 10月18日至10月25日暂停营业。\n",
    "a weekday that fits": "id: a\ntext: 10月27日（星期三）、10月28日 周四、2021年12月8日礼拜三。\n",
    "phone numbers that fit": "id: a\ntext: 电话13911112222、023-65123456，值班电话8765432，热线12345、96110，"
                              "报警打110。联系3户。咨询时间8:00。\n",
    "a date with no year near new year": "id: a\ntext: 1月3日开会。\n",
}


def _locale(monkeypatch, lang: str) -> None:
    for var in ("BROADCASTER_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", lang)


def _check(run, tmp_path, text: str, *options: str):
    path = write(tmp_path / "村里" / "n.yaml", text)
    return path, run("check", *options, path)


def _message(path, line: int, err: str, warning: str = "") -> str:
    """The one line at `line` (there may be others), without its place and the warning word before it."""
    lines = [x for x in err.strip().splitlines() if x.startswith(f"{warning}{path}:{line}: ")]
    assert len(lines) == 1, err
    message = lines[0][len(f"{warning}{path}:{line}: "):]
    assert " — " in message, message
    return message


@pytest.mark.parametrize("name", list(ERRORS))
def test_a_mistake_is_said_at_its_line_in_chinese(run, tmp_path, monkeypatch, name):
    text, line, zh, _en = ERRORS[name]
    _locale(monkeypatch, "zh_CN.UTF-8")
    path, r = _check(run, tmp_path, text)
    assert r.code == 2, (r.out, r.err)
    message = _message(path, line, r.err)
    assert zh in message, message
    assert not ENGLISH_PROSE.findall(re.sub(r"`[^`]*`|“[^”]*”", " ", message)), message


@pytest.mark.parametrize("name", list(ERRORS))
def test_the_same_mistake_in_english(run, tmp_path, monkeypatch, name):
    text, line, _zh, en = ERRORS[name]
    _locale(monkeypatch, "C")
    path, r = _check(run, tmp_path, text)
    assert r.code == 2, (r.out, r.err)
    assert en in _message(path, line, r.err), r.err


@pytest.mark.parametrize("name", list(WARNINGS))
def test_a_warning_is_said_at_its_line_and_the_notice_is_ok(run, tmp_path, monkeypatch, name):
    text, line, zh, en, *day = WARNINGS[name]
    if day:
        monkeypatch.setenv("BROADCASTER_TODAY", day[0])
    _locale(monkeypatch, "zh_CN.UTF-8")
    path, r = _check(run, tmp_path, text)
    assert r.code == 0 and r.out.startswith(f"没问题  {path}"), (r.out, r.err)
    assert len(r.err.strip().splitlines()) == 1, r.err
    message = _message(path, line, r.err, "注意：")
    assert zh in message, message
    assert not ENGLISH_PROSE.findall(re.sub(r"`[^`]*`|“[^”]*”", " ", message)), message
    _locale(monkeypatch, "C")
    path, r = _check(run, tmp_path, text)
    assert r.code == 0 and en in _message(path, line, r.err, "warning: "), r.err
    strict = run("check", "--strict", path)
    assert strict.code == 2 and strict.err == r.err and strict.out == r.out


@pytest.mark.parametrize("name", list(FINE))
def test_what_is_fine_gets_no_word(run, tmp_path, name):
    path, r = _check(run, tmp_path, FINE[name])
    assert r.code == 0 and r.err == "", r.err
    assert r.out.startswith(f"ok  {path}")


def test_every_mistake_of_a_file_is_listed_at_once(run, tmp_path, monkeypatch):
    """Five mistakes and a warning: one round, each at its line, in the order of the lines (it took
    four rounds: the loader stopped the file at its first stage with mistakes, the spoken text at its
    first bad value)."""
    _locale(monkeypatch, "zh_CN.UTF-8")
    text = ("id: hs\ntitel: 核酸检测\ntemplate: nucleic-test\nrepeat: 12\nvars:\n  village: 宏福苑社区\n"
            "  date: 2月30日\n  start: '25:00'\n  end: '11:30'\n  phone: '1391111222'\n"
            "  bring: 身份证 #和手机\n  round: 8  # 第几轮\n")
    path, r = _check(run, tmp_path, text)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert [x.split(": ", 1)[0] for x in lines] == [f"{path}:{n}" for n in (2, 4, 5, 7, 8, 10, 11)], r.err
    for n, words in ((2, "不认识的字段“titel”"), (4, "超出了范围"), (5, "缺少变量“place”"), (7, "日期“2月30日”不对"),
                     (8, "时间“25:00”不对"), (10, "手机号“1391111222”是 10 位数"), (11, "“bring”的值到“ #”就断了")):
        assert words in _message(path, n, r.err)
    # render says the same and writes nothing
    out = tmp_path / "out"
    rendered = run("render", path, "-o", out, "--engine", "espeak")
    assert rendered.code == 2 and rendered.err == r.err and not out.exists()


def test_two_bad_values_in_one_sentence_are_both_named(run, tmp_path):
    path, r = _check(run, tmp_path, NUCLEIC.replace("'8:00'", "'25:00'").replace("'11:30'", "'26:00'"))
    assert r.code == 2
    assert "invalid time '25:00' (variable start)" in _message(path, 6, r.err)
    assert "invalid time '26:00' (variable end)" in _message(path, 7, r.err)


def test_warnings_and_mistakes_of_a_file_are_said_in_the_order_of_its_lines(run, tmp_path):
    path, r = _check(run, tmp_path, "id: a\ntitle: 通知  # 旧\ntext: 10月18日8:00-7:30停水。\n")
    assert r.code == 2 and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 3, r.err
    assert lines[0].startswith(f"warning: {path}:2: the value of 'title'"), r.err
    assert lines[1].startswith(f"{path}:3: the time range '8:00-7:30' ends before it starts"), r.err
    assert lines[2].startswith(f"warning: {path}:3: the date 10月18日"), r.err


def test_today_is_the_notices_zone_or_the_day_set(run, tmp_path, monkeypatch):
    monkeypatch.setenv("BROADCASTER_TODAY", "2021-10-28")
    _path, r = _check(run, tmp_path, "id: a\ntext: 10月27日停水。\n")
    assert r.code == 0 and "the date 10月27日 (taken as 2021-10-27) is already past; today is 2021-10-28" in r.err
    monkeypatch.setenv("BROADCASTER_TODAY", "十月")
    _path, r = _check(run, tmp_path, "id: a\ntext: 10月27日停水。\n")
    assert r.code == 2 and "BROADCASTER_TODAY=十月 is not a date" in r.err


@pytest.mark.slow
def test_render_says_the_warning_on_the_programs_line(run, tmp_path, monkeypatch):
    _locale(monkeypatch, "zh_CN.UTF-8")
    path = write(tmp_path / "n.yaml", "id: old\ntitle: 停电通知\ntext: 各位村民请注意，10月18日上午停电。\n")
    r = run("render", path, "-o", tmp_path / "out", "--engine", "espeak")
    assert r.code == 0, r.err
    line = r.out.splitlines()[0]
    assert line.startswith("old.mp3") and line.endswith(
        "停电通知  （注意：第 3 行：日期“10月18日”（按2021年10月18日算）已经过去了，今天是2021年10月20日）"), line
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["notices"][0]["warnings"] == [
        f"{path}:3: 日期“10月18日”（按2021年10月18日算）已经过去了，今天是2021年10月20日 — 如果这是要播的新通知，"
        "请改成新的日期；留作存档的旧通知不用改"]
    _locale(monkeypatch, "C")
    r = run("render", path, "-o", tmp_path / "out", "--engine", "espeak", "--json")
    assert json.loads(r.out)["rendered"][0]["warnings"] == [
        f"{path}:3: the date 10月18日 (taken as 2021-10-18) is already past; today is 2021-10-20 — "
        "if the notice is for a coming day, change the date; an old notice kept for the record needs no change"]


SCHEDULE = """\
timezone: Asia/Shanghai
quiet_hours: ["22:00-06:00", "12:30-14:30"]
channels:
  village: {name: 宏福苑大喇叭, sink: null}
programs:
  - notice: n.yaml
    channel: village
    dates: 2021-10-27
    times: ["07:00", "13:00"]
  - notice: n.yaml
    channel: village
    dates: 2021-10-27
    times: "23:30"
    priority: emergency
  - notice: n.yaml
    channel: village
    dates: 2021-10-27
    route:
      - {at: "12:45", place: 北门}
"""


def test_a_time_in_quiet_hours_is_said_with_the_schedules_line(run, tmp_path, monkeypatch):
    write(tmp_path / "n.yaml", "id: n\ntitle: 通知\ntext: 各位村民请注意。\n")
    sched = write(tmp_path / "s.yaml", SCHEDULE)
    _locale(monkeypatch, "zh_CN.UTF-8")
    r = run("check", sched)
    assert r.code == 0 and r.out.startswith("没问题"), r.err
    assert r.err.splitlines() == [
        f"注意：{sched}:9: 13:00 落在静音时段 12:30-14:30 里：这个时间永远不会播（静音时段里只播 emergency 紧急通知） — "
        "换一个静音时段以外的时间，或者改一改 quiet_hours",
        f"注意：{sched}:19: 12:45 落在静音时段 12:30-14:30 里：这个时间永远不会播（静音时段里只播 emergency 紧急通知） — "
        "换一个静音时段以外的时间，或者改一改 quiet_hours"]  # 23:30 is an emergency's: it plays
    assert run("check", "--strict", sched).code == 2
    _locale(monkeypatch, "C")
    r = run("plan", sched, "--from", "2021-10-27", "--engine", "espeak")
    assert r.code == 0 and "(inside quiet hours 12:30-14:30)" in r.out
    assert f"warning: {sched}:9: 13:00 falls in the quiet hours 12:30-14:30: it will never play" in r.err
    assert f"warning: {sched}:19: 12:45 falls in the quiet hours" in r.err


def test_a_schedule_says_its_notices_warnings_once(run, tmp_path):
    notice = write(tmp_path / "n.yaml", "id: n\ntitle: 通知\ntext: 各位村民请注意，10月18日停电。\n")
    sched = write(tmp_path / "s.yaml", SCHEDULE.replace('"13:00"', '"15:00"').replace('"12:45"', '"15:45"'))
    r = run("check", notice, sched)
    assert r.code == 0
    assert r.err.count("the date 10月18日") == 1 and r.err.startswith(f"warning: {notice}:3:"), r.err


def test_a_schedules_mistakes_are_listed_at_once(run, tmp_path):
    write(tmp_path / "n.yaml", "id: n\ntitle: 通知\ntext: 各位村民请注意。\n")
    text = SCHEDULE.replace('times: ["07:00", "13:00"]', 'times: ["25:00"]').replace("priority: emergency",
                                                                                     "priority: loud")
    sched = write(tmp_path / "s.yaml", text.replace("  village: {name: 宏福苑大喇叭, sink: null}",
                                                     "  village: {name: 宏福苑大喇叭 #1号, sink: null}"))
    r = run("check", sched)
    assert r.code == 2 and f"{sched}:4: the ' #' in '宏福苑大喇叭 #1号'" in r.err
    sched = write(tmp_path / "s.yaml", text)
    r = run("check", sched)
    assert r.code == 2
    assert [x.split(": ", 1)[0] for x in r.err.strip().splitlines()] == [f"{sched}:9", f"{sched}:14"], r.err
