"""The report for the township (issue 23): `log --report` and the desk's 下载报表 give the same bytes, a CSV
that Excel opens as it is (UTF-8 with a BOM, CRLF lines, no live formulas), headed 日期, 时间, 频道, 通知,
结果, 说明 in Chinese, with titles, the channels' names and 插播 marked. The names come from the as-run
log itself, so a report of last month still names the channels. The machine CSV stays as it was."""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from tests.player_fixtures import T0, TZ, plays, speech_wav

from broadcaster.player.asrun import SCHEMA_VERSION, AsRunLog, Entry
from broadcaster.player.clock import ManualClock
from broadcaster.player.daemon import AirPlan, Daemon, Settings, StaticSource

HEADERS_ZH = ["日期", "时间", "频道", "通知", "结果", "说明"]
MACHINE_COLUMNS = "planned,actual_start,actual_end,channel,notice,title,priority,status,reason,sha256,file,sink,slot"


def at(minutes: float) -> float:
    return (T0 + timedelta(minutes=minutes)).timestamp()


def filled_log(path: Path) -> AsRunLog:
    """A morning on 长乐村大喇叭: a played notice, an emergency asked for from the desk, a missed slot, a title
    someone wrote as a formula, and a row written before names were kept (no channel_name)."""
    log = AsRunLog(path)
    base = Entry(slot="", channel="village", notice="tingshui-tongzhi", title="停水通知", status="played",
                 channel_name="长乐村大喇叭", file="/srv/a.mp3")
    log.append(replace(base, slot="village/tingshui/1", planned=at(0), actual_start=at(0) + 0.2,
                       actual_end=at(1)))
    log.append(replace(base, slot="request:1:7", notice="huojing", title="火警", priority="emergency",
                       planned=at(5), actual_start=at(5) + 0.1, actual_end=at(6)))
    log.append(replace(base, slot="village/tingshui/2", status="missed", planned=at(30),
                       reason="the player was not running"))
    log.append(replace(base, slot="village/x/3", notice="x", title='=HYPERLINK("http://evil.example","点这里")',
                       planned=at(60), actual_start=at(60), actual_end=at(61)))
    log.append(replace(base, slot="village/old/4", notice="old", title="旧通知", channel_name="",
                       planned=at(90), actual_start=at(90), actual_end=at(91)))
    return log


def report_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_log_report_is_a_chinese_table_for_excel(run, tmp_path, monkeypatch):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    log = filled_log(tmp_path / "asrun.sqlite")
    out = tmp_path / "播出报表.csv"
    r = run("log", "--log", log.path, "--from", "2021-10-27", "--to", "2021-10-27", "--report", "-o", out)
    assert r.code == 0, r.err
    assert r.out.strip() == f"已把 5 条播出记录写到 {out}（用 Excel 或 WPS 打开）"
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "Excel on Chinese Windows reads UTF-8 only after a BOM"
    assert data.count(b"\r\n") == 6 and b"\n" not in data.replace(b"\r\n", b"")  # CRLF, one line per row
    rows = report_rows(data)
    assert rows[0] == HEADERS_ZH
    assert rows[1] == ["2021-10-27", "08:00:00", "长乐村大喇叭", "停水通知", "已播", ""]
    assert rows[2] == ["2021-10-27", "08:05:00", "长乐村大喇叭", "火警", "已播", "插播（紧急）"]
    assert rows[3] == ["2021-10-27", "08:30:00", "长乐村大喇叭", "停水通知", "错过", "the player was not running"]
    assert rows[4][3] == '\'=HYPERLINK("http://evil.example","点这里")'  # shown as text, never a live link
    assert rows[5][2:4] == ["长乐村大喇叭", "旧通知"]  # a row from before names were kept: the name the log knows
    # printed, it is the same bytes
    assert run("log", "--log", log.path, "--from", "2021-10-27", "--to", "2021-10-27", "--report").out == \
        data.decode("utf-8")


def test_the_report_is_in_english_for_an_english_user_and_the_machine_csv_is_unchanged(run, tmp_path):
    log = filled_log(tmp_path / "asrun.sqlite")
    r = run("log", "--log", log.path, "--report")
    assert r.code == 0, r.err
    rows = report_rows(r.out.encode("utf-8"))
    assert rows[0] == ["date", "time", "channel", "notice", "result", "remarks"]
    assert rows[2] == ["2021-10-27", "08:05:00", "长乐村大喇叭", "火警", "played", "cut-in (emergency)"]
    machine = run("log", "--log", log.path, "--csv").out
    assert machine.removeprefix("\ufeff").split("\r\n")[0] == MACHINE_COLUMNS
    assert "长乐村大喇叭" not in machine  # the machine CSV's columns stay as docs/player.md lists them


def test_a_request_by_hand_is_marked_whatever_its_priority(tmp_path):
    from broadcaster.player.asrun_report import report_row

    row = {"slot": "direct:ab12", "priority": "urgent", "status": "played", "channel": "local",
           "actual_start": "2021-10-27T08:00:00.000+08:00", "title": "", "notice": "huojing",
           "reason": "", "channel_name": ""}
    assert report_row(row) == ("2021-10-27", "08:00:00", "local", "huojing", "played", "cut-in (urgent)")
    late = {**row, "slot": "village/n/1", "priority": "normal", "status": "late", "reason": "started 42.0 s late"}
    assert report_row(late)[4:] == ("late", "started 42.0 s late")


@pytest.mark.parametrize("args", [("--report", "--csv"), ("--report", "--json"), ("--report", "--totals"),
                                  ("-o", "x.csv")])
def test_report_options_that_do_not_go_together_exit_2(run, tmp_path, args):
    log = filled_log(tmp_path / "asrun.sqlite")
    r = run("log", "--log", log.path, *args)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and not (tmp_path / "x.csv").exists()


def test_the_desks_download_is_the_same_bytes_as_log_report(run, tmp_path, monkeypatch):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from broadcaster.desk.app import DeskSettings, create_app

    log = filled_log(tmp_path / "asrun.sqlite")
    (tmp_path / "folder").mkdir()
    settings = DeskSettings(folder=(tmp_path / "folder").resolve(), jobs_dir=tmp_path / "jobs", log_path=log.path,
                            secret="s" * 40, testing=True)
    with TestClient(create_app(settings)) as client:
        zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
        page = client.get("/report", params={"day": "2021-10-27"}, headers=zh).text
        link = re.search(r'<a href="([^"]+)" id="report">([^<]+)</a>', page)
        assert link.group(2) == "下载报表"
        assert "<td>长乐村大喇叭</td>" in page  # the page shows the name too
        got = client.get(link.group(1).replace("&amp;", "&"), headers=zh)
        english = client.get("/report/download", params={"day": "2021-10-27"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    disposition = got.headers["content-disposition"]
    assert 'filename="report-2021-10-27.csv"' in disposition  # ASCII for old browsers
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "播出报表 2021-10-27.csv"
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    out = tmp_path / "report.csv"
    assert run("log", "--log", log.path, "--from", "2021-10-27", "--to", "2021-10-27", "--report", "-o", out).code == 0
    assert got.content == out.read_bytes()
    assert report_rows(got.content)[0] == HEADERS_ZH
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    assert english.content == run("log", "--log", log.path, "--from", "2021-10-27", "--to", "2021-10-27",
                                  "--report").out.encode("utf-8")


# ---------------------------------------------------------------- where the names come from
def _drive(tmp_path: Path, plan: AirPlan, start: datetime, until: datetime, log: AsRunLog) -> Daemon:
    daemon = Daemon(StaticSource(plan), log, ManualClock(start.timestamp()), Settings(background_reload=False))
    daemon.run(until=until.timestamp())
    return daemon


def test_the_player_writes_each_rows_channel_name_and_a_later_rename_does_not_change_last_month(tmp_path):
    audio = speech_wav(tmp_path / "a.wav", "注意")
    log = AsRunLog(tmp_path / "asrun.sqlite")
    sinks = {"village": f"file:{tmp_path / 'onair'}"}
    october = AirPlan(plays(audio, T0, every=60, count=1), sinks, names={"village": "长乐村大喇叭"})
    _drive(tmp_path, october, T0 - timedelta(seconds=1), T0 + timedelta(seconds=30), log)
    november = T0 + timedelta(days=30)
    renamed = AirPlan(plays(audio, november, every=60, count=1, prefix="m"), sinks, names={"village": "长乐新村喇叭"})
    _drive(tmp_path, renamed, november - timedelta(seconds=1), november + timedelta(seconds=30), log)
    names = {r["day"]: r["channel_name"] for r in log.report().rows}
    assert names == {"2021-10-27": "长乐村大喇叭", "2021-11-26": "长乐新村喇叭"}


def test_a_log_written_before_names_were_kept_is_migrated_and_still_reports(tmp_path):
    path = tmp_path / "asrun.sqlite"
    db = sqlite3.connect(path)
    from broadcaster.player import asrun

    db.executescript(asrun._SCHEMA)
    db.executescript(";".join(asrun._MIGRATIONS[2]))
    db.execute("INSERT INTO meta VALUES ('schema', '2')")
    db.execute("INSERT INTO asrun (slot, channel, notice, title, planned, planned_iso, status, logged) VALUES "
               "('s', 'village', 'n', '通知', ?, '2021-10-27T08:00:00.000+08:00', 'missed', 0)", (at(0),))
    db.execute("INSERT INTO daemons (pid, host, started, heartbeat, channels) VALUES (1, 'h', 0, 0, '[\"village\"]')")
    db.commit()
    db.close()
    log = AsRunLog(path)
    [row] = log.report().rows
    assert row["channel_name"] == "" and row["channel"] == "village"
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == str(SCHEMA_VERSION) == "3"
    assert "names" in {r[1] for r in db.execute("PRAGMA table_info(daemons)")}
    db.close()
    assert log.append(Entry(slot="t", channel="village", notice="n", status="played", planned=at(1),
                            channel_name="长乐村大喇叭"))
    assert [r["channel_name"] for r in log.report().rows] == ["长乐村大喇叭", "长乐村大喇叭"]


def test_log_shows_channel_names_in_its_rows_and_totals(run, tmp_path):
    log = filled_log(tmp_path / "asrun.sqlite")
    r = run("log", "--log", log.path, "--from", "2021-10-27", "--to", "2021-10-27")
    assert r.code == 0, r.err
    assert " village " not in r.out
    assert re.search(r"^2021-10-27 +长乐村大喇叭 +4 ", r.out, re.M), r.out
    rows = json.loads(run("log", "--log", log.path, "--json").out)["rows"]
    assert {row["channel_name"] for row in rows} == {"长乐村大喇叭"}


def test_date_and_time_are_where_it_aired_in_the_logged_zone(tmp_path):
    """A play planned at 23:59 that started after midnight is in the next day's row (as the clock said)."""
    from broadcaster.player.asrun_report import report_row

    late = datetime(2021, 10, 27, 23, 59, tzinfo=TZ)
    row = {"planned": late.isoformat(), "actual_start": (late + timedelta(minutes=2)).isoformat(),
           "status": "late", "slot": "v/n/1", "priority": "normal", "channel": "v", "title": "t", "reason": ""}
    assert report_row(row)[:2] == (str(date(2021, 10, 28)), "00:01:00")
