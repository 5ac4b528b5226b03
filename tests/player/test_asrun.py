"""The as-run log: SQLite in WAL mode, append-only, reports with daily totals; the `log` command."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from tests.helpers import ROOT
from tests.player_fixtures import T0, TZ

from broadcaster.player.asrun import AsRunLog, Entry


def entry(slot: str, when: datetime, status: str = "played", channel: str = "village", seconds: float = 30.0,
          **kw) -> Entry:
    start = when.timestamp() + 0.02 if status not in ("missed", "skipped") else None
    return Entry(slot=slot, channel=channel, notice=slot.split("/")[0], status=status, planned=when.timestamp(),
                 actual_start=start, actual_end=start + seconds if start else None, title="核酸检测通知",
                 sha256="ab" * 32, **kw)


@pytest.fixture
def filled(tmp_path):
    log = AsRunLog(tmp_path / "asrun.sqlite")
    day2 = T0 + timedelta(days=1)
    for e in [entry("hesuan/1", T0), entry("hesuan/2", T0 + timedelta(hours=4), "late", reason="started 42.0 s late"),
              entry("supplies/1", T0, channel="truck", seconds=60), entry("hesuan/3", day2, "missed",
                                                                          reason="the player was not running"),
              entry("hesuan/4", day2 + timedelta(hours=1), "interrupted", seconds=12.5, cut_by="fire"),
              entry("hesuan/5", day2 + timedelta(hours=2), "failed", reason="aplay exited with status 1")]:
        assert log.append(e)
    return log


def test_the_log_is_sqlite_in_wal_mode_and_append_only(filled):
    db = sqlite3.connect(str(filled.path))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT COUNT(*) FROM asrun").fetchone()[0] == 6
    for sql in ("UPDATE asrun SET status = 'played'", "DELETE FROM asrun"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)
    assert db.execute("SELECT COUNT(*) FROM asrun WHERE status = 'played'").fetchone()[0] == 2
    with pytest.raises(sqlite3.IntegrityError):  # only the six outcomes exist
        db.execute("INSERT INTO asrun (slot, channel, notice, status, logged) VALUES ('x','v','n','aired',0)")


def test_report_rows_and_daily_totals_per_channel(filled):
    report = filled.report()
    assert [r["status"] for r in report.rows] == ["played", "played", "late", "missed", "interrupted", "failed"]
    r = report.rows[0]
    assert r["planned"] == "2021-10-27T08:00:00.000+08:00"
    assert r["actual_start"] == "2021-10-27T08:00:00.020+08:00"
    assert r["actual_end"] == "2021-10-27T08:00:30.020+08:00"
    assert report.rows[3]["actual_start"] is None and report.rows[3]["reason"] == "the player was not running"
    totals = {(t["day"], t["channel"]): t for t in report.totals}
    assert set(totals) == {("2021-10-27", "village"), ("2021-10-27", "truck"), ("2021-10-28", "village")}
    first = totals[("2021-10-27", "village")]
    assert (first["played"], first["late"], first["total"], first["seconds_on_air"]) == (1, 1, 2, 60.0)
    second = totals[("2021-10-28", "village")]
    assert (second["missed"], second["interrupted"], second["failed"], second["seconds_on_air"]) == (1, 1, 1, 12.5)
    only = filled.report(date(2021, 10, 28), date(2021, 10, 28), "village")
    assert [r["slot"] for r in only.rows] == ["hesuan/3", "hesuan/4", "hesuan/5"]


def test_log_json_and_csv_carry_the_contract_fields(run, filled):
    res = run("log", "--log", filled.path, "--json", "--from", "2021-10-27", "--to", "2021-10-27")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert len(doc["rows"]) == 3 and len(doc["totals"]) == 2
    for row in doc["rows"]:
        for key in ("planned", "actual_start", "actual_end", "channel", "notice", "status", "reason", "title",
                    "sha256"):
            assert key in row
        datetime.fromisoformat(row["actual_start"]).utcoffset() == timedelta(hours=8)
    res = run("log", "--log", filled.path, "--csv", "--channel", "truck")
    got = list(csv.DictReader(io.StringIO(res.out.removeprefix("\ufeff"))))
    assert [(r["notice"], r["status"], r["actual_end"]) for r in got] == [
        ("supplies", "played", "2021-10-27T08:01:00.020+08:00")]
    res = run("log", "--log", filled.path, "--csv", "--totals")
    got = list(csv.DictReader(io.StringIO(res.out.removeprefix("\ufeff"))))
    assert [(r["day"], r["channel"], r["total"]) for r in got] == [
        ("2021-10-27", "truck", "1"), ("2021-10-27", "village", "2"), ("2021-10-28", "village", "3")]
    res = run("log", "--log", filled.path)
    assert res.code == 0 and "started 42.0 s late" in res.out and "2021-10-28  village" in res.out


@pytest.mark.parametrize("args, code, words", [
    (["--from", "2021-13-01"], 2, "--from '2021-13-01' is not a date — write it as YYYY-MM-DD"),
    (["--from", "2021-10-28", "--to", "2021-10-27"], 2, "is before --from"),
])
def test_log_bad_dates_exit_2_with_one_line(run, filled, args, code, words):
    res = run("log", "--log", filled.path, *args)
    assert res.code == code and words in res.err and len(res.err.strip().splitlines()) == 1


def test_log_without_a_log_file_says_where_it_looked(run, tmp_path):
    res = run("log", "--log", tmp_path / "none.sqlite")
    assert res.code == 1 and "no as-run log at" in res.err and not (tmp_path / "none.sqlite").exists()


def test_default_log_lives_in_the_user_data_folder(run, tmp_path, monkeypatch):
    from broadcaster.player.control import default_log_path
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_log_path() == tmp_path / "data" / "broadcaster" / "asrun.sqlite"


def test_rows_kept_while_locked_are_written_in_order_later(tmp_path):
    log = AsRunLog(tmp_path / "asrun.sqlite", busy_ms=20)
    log.connect()
    holder = sqlite3.connect(str(log.path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    assert log.append(entry("a/1", T0)) is False and "locked" in log.problem
    assert log.append(entry("a/2", T0 + timedelta(minutes=1))) is False
    assert len(log.backlog) == 2
    holder.execute("COMMIT")
    assert log.append(entry("a/3", T0 + timedelta(minutes=2))) is True
    assert [r["slot"] for r in log.report().rows] == ["a/1", "a/2", "a/3"] and log.problem == ""


def test_timezone_of_the_rows_is_explicit(tmp_path):
    log = AsRunLog(tmp_path / "asrun.sqlite", timezone="Asia/Urumqi")
    log.append(entry("x/1", datetime(2021, 10, 27, 8, 0, tzinfo=TZ)))
    assert log.report().rows[0]["planned"] == "2021-10-27T06:00:00.000+06:00"


def _doc_row_fields() -> list[str]:
    """The row fields docs/player.md promises for `--json` rows and `--csv` columns, in order."""
    import re

    text = (ROOT / "docs" / "player.md").read_text(encoding="utf-8")
    table = text.split("Each row (`--json` rows, `--csv` columns):", 1)[1].split("\n\n", 2)[1]
    fields = []
    for line in table.splitlines()[2:]:
        fields += re.findall(r"`([a-z_0-9]+)`", line.split("|")[1])
    return fields


def test_log_csv_opens_safely_in_a_spreadsheet_with_the_documented_columns(run, tmp_path):
    log = AsRunLog(tmp_path / "asrun.sqlite")
    hostile = replace(entry("x/1", T0), title='=HYPERLINK("http://evil.example","点这里")',
                      reason="+cmd|' /C calc'!A0", file="-2+3", sink="@SUM(A1:A9)")
    assert log.append(hostile)
    assert log.append(replace(entry("y/1", T0 + timedelta(minutes=1)), title="\t=1+1", reason="\r=2"))
    res = run("log", "--log", log.path, "--csv")
    assert res.code == 0, res.err
    assert res.out.startswith("\ufeff"), "Excel on Chinese Windows reads UTF-8 only after a BOM"
    got = list(csv.DictReader(io.StringIO(res.out[1:])))
    assert list(got[0]) == _doc_row_fields()
    first, second = got
    assert first["title"] == '\'=HYPERLINK("http://evil.example","点这里")'
    assert first["reason"] == "'+cmd|' /C calc'!A0" and first["file"] == "'-2+3" and first["sink"] == "'@SUM(A1:A9)"
    assert second["title"] == "'\t=1+1" and second["reason"] == "'\r=2"
    assert first["notice"] == "x" and first["planned"] == "2021-10-27T08:00:00.000+08:00"
    # the same bytes into a file with -o, written whole
    res = run("log", "--log", log.path, "--csv", "-o", tmp_path / "播出记录.csv")
    assert res.code == 0 and res.out == ""
    data = (tmp_path / "播出记录.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "点这里".encode() in data
    totals = run("log", "--log", log.path, "--csv", "--totals").out
    assert totals.startswith("\ufeffday,channel,")


def test_log_json_rows_have_the_documented_fields(run, filled):
    rows = json.loads(run("log", "--log", filled.path, "--json").out)["rows"]
    assert set(_doc_row_fields()) <= set(rows[0])


@pytest.mark.slow
def test_several_openers_of_a_brand_new_log_all_get_it(tmp_path):
    """The daemon and `play` (or a report) may create the log at the same moment; none may fail."""
    import threading

    for round_ in range(300):  # the race hit about 1 round in 100 before the retry
        path = tmp_path / f"{round_}" / "asrun.sqlite"
        errors: list = []

        def open_it() -> None:
            try:
                AsRunLog(path).connect()
            except Exception as exc:  # what the test is about: any failure to open counts
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
