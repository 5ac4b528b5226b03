"""After a start the player catches up once, not in bursts: at most the latest overdue slot of a notice
airs late, none that is due again soon anyway, none from before the player first served the channel;
and an emergency that a crash cut short is said on screen once at the next start.

The daemon runs on a ManualClock (a whole quarter hour in a second, the same on a loaded machine);
the `run` tests start the real command and wait on its own as-run rows."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tests.helpers import ROOT
from tests.player_fixtures import T0, TZ, drive, plays, rows, sink_files, speech_wav, ts, wait_until
from tests.player_fixtures import query as _query

from broadcaster.player.asrun import AsRunLog
from broadcaster.player.daemon import AirPlan, Settings

FIRST_START = "before the player first served this channel"
SUPERSEDED = "only the latest missed play of a notice is played late"
DUE_AGAIN = "anyway (within 5 min); not played late"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return speech_wav(tmp_path_factory.mktemp("audio") / "short.wav", "注意")


def every(file: Path, first: datetime, seconds: float, count: int, channel: str, notice: str):
    """One program: the same notice on one channel every `seconds` (as the planner writes `every:`)."""
    return tuple(replace(p, notice=notice, title=notice, slot=f"{channel}/{notice}/{p.start.isoformat()}")
                 for p in plays(file, first, seconds, count, channel=channel, prefix=notice))


def test_a_first_start_with_an_empty_log_plays_nothing_from_before_it(tmp_path, clip):
    # the run from the report: five channels, `every: 1m`, twelve minutes from a first start
    channels = [f"ch{i}" for i in range(5)]
    ps = sum((every(clip, T0 - timedelta(minutes=10), 60, 23, ch, "notice") for ch in channels), ())
    start = T0 + timedelta(seconds=30)
    plan = AirPlan(ps, {ch: f"file:{tmp_path / ch}" for ch in channels})
    log, events, *_ = drive(tmp_path, plan, start, start + timedelta(minutes=12))

    got = rows(log)
    before = [r for r in got if ts(r["planned"]) < start.timestamp()]
    after = [r for r in got if ts(r["planned"]) >= start.timestamp()]
    assert not [r for r in before if r["actual_start"] is not None], "nothing from before the first start airs"
    # the ten slots inside the grace window (07:51 .. 08:00) are accounted for, each once, as skipped
    assert len(before) == 5 * 10 and len({r["slot"] for r in before}) == 50
    assert all(r["status"] == "skipped" and FIRST_START in r["reason"] for r in before), before[0]
    assert "(08:00:30)" in before[0]["reason"]
    # from the start on, every slot plays on time (the clock is ours: to the millisecond)
    assert len(after) == 5 * 12 and all(r["status"] == "played" for r in after)
    assert all(abs(ts(r["actual_start"]) - ts(r["planned"])) <= 0.001 for r in after)
    for ch in channels:
        aired = sink_files(tmp_path / ch)
        assert len(aired) == 12 and aired[0][0] >= start
    # one line per channel on screen, not one per slot
    said = [e for e in events if e.message.startswith("catching up")]
    assert sorted(e.channel for e in said) == channels
    assert said[0].message.startswith("catching up: 10 overdue plays skipped")


def test_a_restart_plays_only_the_latest_overdue_slot_and_none_due_again_soon(tmp_path, clip):
    # The player first started at 07:49 and died at 07:50; it comes back at 08:00:30 (grace 10 min).
    log = AsRunLog(tmp_path / "asrun.sqlite")
    dead = log.register(["village"], "schedule.yaml", (T0 - timedelta(minutes=11)).timestamp())
    log.heartbeat(dead, (T0 - timedelta(minutes=10)).timestamp())
    log.close()
    a = every(clip, T0 - timedelta(minutes=11), 60, 15, "village", "a")   # every minute, 07:49 .. 08:03
    b = tuple(p for p in every(clip, T0 - timedelta(minutes=8), 240, 13, "village", "b")
              if p.start < T0 or p.start >= T0 + timedelta(minutes=40))   # 07:52, 07:56, then 08:40
    c = every(clip, T0 - timedelta(minutes=3), 3600, 2, "village", "c")   # 07:57, then 08:57
    start = T0 + timedelta(seconds=30)
    log, events, *_ = drive(tmp_path, AirPlan(a + b + c, {"village": f"file:{tmp_path / 'out'}"}), start,
                            start + timedelta(minutes=4), settings=Settings(background_reload=False), log=log)

    got = {(r["notice"], r["planned"][11:19]): r for r in rows(log)}
    assert len(got) == len(rows(log)), "each slot logged once"
    # a: 07:49 and 07:50 are past the grace window; the nine before 08:00 are older copies; 08:00 is due
    # again at 08:01 anyway; so no `a` plays late, and from 08:01 on each plays on time
    assert got[("a", "07:49:00")]["status"] == got[("a", "07:50:00")]["status"] == "missed"
    for minute in range(51, 60):
        r = got[("a", f"07:{minute}:00")]
        assert r["status"] == "skipped" and SUPERSEDED in r["reason"] and "a is due again at" in r["reason"], r
    assert got[("a", "08:00:00")]["status"] == "skipped"
    assert "a is due again at 08:01:00 " + DUE_AGAIN in got[("a", "08:00:00")]["reason"]
    for minute in (1, 2, 3):
        assert got[("a", f"08:0{minute}:00")]["status"] == "played"
    # b: 07:52 gives way to 07:56, which plays late once (b is next due at 08:40)
    assert got[("b", "07:52:00")]["status"] == "skipped" and "due again at 07:56:00" in got[("b", "07:52:00")]["reason"]
    assert got[("b", "07:56:00")]["status"] == "late"
    # c: its only overdue slot plays late
    assert got[("c", "07:57:00")]["status"] == "late"
    aired = [f[2] for f in sink_files(tmp_path / "out")]
    assert aired == ["b", "c", "a", "a", "a"]
    said = [e.message for e in events if e.message.startswith("catching up")]
    assert said == ["catching up: 11 overdue plays skipped so that no notice airs several times late "
                    "(the reasons are in `broadcaster log`)"]


def test_the_log_remembers_when_each_channel_was_first_served(tmp_path, clip):
    # village has been served since 07:00 (stopped cleanly at 07:57); truck is served from 08:00:30 on.
    log = AsRunLog(tmp_path / "asrun.sqlite")
    old = log.register(["village"], "schedule.yaml", (T0 - timedelta(hours=1)).timestamp())
    log.unregister(old, (T0 - timedelta(minutes=3)).timestamp())
    log.close()
    ps = plays(clip, T0 - timedelta(minutes=2), 60, 4, channel="village", prefix="v") + \
        plays(clip, T0 - timedelta(minutes=2), 60, 4, channel="truck", prefix="t") + \
        plays(clip, T0 + timedelta(minutes=5), 60, 1, channel="truck", prefix="later")   # 07:58 .. 08:01, 08:05
    plan = AirPlan(ps, {"village": f"file:{tmp_path / 'v'}", "truck": f"file:{tmp_path / 't'}"})
    start = T0 + timedelta(seconds=30)
    log, *_ = drive(tmp_path, plan, start, start + timedelta(minutes=1), log=log)
    status = {(r["channel"], r["notice"]): r for r in rows(log)}
    # village's 07:58 .. 08:00 fell due while the player was down: played late, as after any restart
    assert [status[("village", f"v{i}")]["status"] for i in range(4)] == ["late", "late", "late", "played"]
    # truck's were never this player's to air: skipped, with the first start in the reason
    for i in range(3):
        assert status[("truck", f"t{i}")]["status"] == "skipped"
        assert FIRST_START + " (08:00:30)" in status[("truck", f"t{i}")]["reason"]
    assert status[("truck", "t3")]["status"] == "played"
    # the next start remembers truck's first start: what it misses while down is owed to it now
    log, *_ = drive(tmp_path, plan, T0 + timedelta(minutes=7), T0 + timedelta(minutes=8), log=log)
    later = [r for r in rows(log) if r["notice"] == "later0"]
    assert [r["status"] for r in later] == ["late"]


def _crashed_during(log: AsRunLog, notice: str, priority: str, started: float, last_heartbeat: float,
                    file: Path) -> None:
    """What a player killed while `notice` was on air leaves behind: a journal row, a stale heartbeat."""
    dead = log.register(["village"], "schedule.yaml", started - 60)
    log.heartbeat(dead, last_heartbeat)
    log.daemon_id = dead
    log.journal_start(f"request:{dead}:1", "village", notice, "火警", priority, started, started, str(file),
                      "", "file")
    log.close()


def test_an_emergency_a_crash_cut_short_is_said_once_at_the_next_start(tmp_path, clip):
    log = AsRunLog(tmp_path / "asrun.sqlite")
    _crashed_during(log, "fire", "emergency", T0.timestamp() - 20, T0.timestamp() - 17, clip)
    plan = AirPlan((), {"village": f"file:{tmp_path / 'out'}"})
    log, events, *_ = drive(tmp_path, plan, T0, T0 + timedelta(seconds=2), log=AsRunLog(tmp_path / "asrun.sqlite"))
    warned = [e for e in events if e.level == "warn" and "emergency fire 火警" in e.message]
    assert [e.message for e in warned] == [
        "emergency fire 火警 was cut short at 07:59:43 when the player stopped (crash, kill or power cut), 3 s "
        "after it started; it is logged interrupted and not played again — if it is still needed, play it again "
        "with `broadcaster play FILE --priority emergency`"]
    assert warned[0].channel == "village"
    assert [r["status"] for r in rows(log)] == ["interrupted"]
    assert any("emergency fire 火警 was cut short" in e["message"] for e in log.events())
    # it is said once: the next start finds the play accounted for
    _, events, *_ = drive(tmp_path, plan, T0 + timedelta(seconds=5), T0 + timedelta(seconds=7),
                          log=AsRunLog(tmp_path / "asrun.sqlite"))
    assert not [e for e in events if "cut short" in e.message]


def test_an_ordinary_play_cut_by_a_crash_raises_no_emergency_warning(tmp_path, clip):
    log = AsRunLog(tmp_path / "asrun.sqlite")
    _crashed_during(log, "supplies", "normal", T0.timestamp() - 20, T0.timestamp() - 17, clip)
    log, events, *_ = drive(tmp_path, AirPlan((), {"village": "null"}), T0, T0 + timedelta(seconds=2),
                            log=AsRunLog(tmp_path / "asrun.sqlite"))
    assert [r["status"] for r in rows(log)] == ["interrupted"]
    assert not [e for e in events if e.level == "warn"]


# ---------------------------------------------------------------- the real `broadcaster run`
def _wait_for(predicate, what: str, timeout: float = 120.0):
    return wait_until(predicate, timeout, what)


def _run(tmp_path: Path, plan: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "broadcaster", "run", str(plan), "--log", str(log)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stop(proc: subprocess.Popen) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out, err


@pytest.mark.slow
def test_run_on_a_first_start_skips_the_last_ten_minutes_and_says_so(tmp_path, clip):
    # every minute for the last nine minutes and the next hour, on a null sink; the log does not exist yet
    # (the oldest is 8.5 min old: inside the 10-min grace window even if the player takes a minute to start)
    now = datetime.now(TZ).replace(microsecond=0)
    first = now - timedelta(minutes=8, seconds=30)
    starts = [first + timedelta(minutes=i) for i in range(70)]
    plan, log = tmp_path / "plan.json", tmp_path / "asrun.sqlite"
    plan.write_text(json.dumps({
        "timezone": "Asia/Shanghai", "quiet_hours": [], "channels": {"village": {"sink": "null"}},
        "plays": [{"start": s.isoformat(), "channel": "village", "notice": "every-minute", "file": str(clip),
                   "slot": f"village/every-minute/{s.isoformat()}"} for s in starts]}))
    proc = _run(tmp_path, plan, log)
    try:
        _wait_for(lambda: len(_query(log, f"SELECT id FROM asrun WHERE planned < {now.timestamp()}")) >= 9,
                  "an outcome for the nine past slots")
    finally:
        out, err = _stop(proc)
    started = _query(log, "SELECT started FROM daemons")[0]["started"]
    past = _query(log, f"SELECT * FROM asrun WHERE planned < {started}")
    assert len(past) >= 9 and [r["status"] for r in past] == ["skipped"] * len(past), past
    assert all(FIRST_START in r["reason"] and r["actual_start"] is None for r in past)
    assert f"[village] catching up: {len(past)} overdue plays skipped" in out, out


@pytest.mark.slow
def test_run_says_at_start_that_a_crash_cut_an_emergency_short(tmp_path, clip):
    log = tmp_path / "asrun.sqlite"
    started = time.time() - 30
    _crashed_during(AsRunLog(log), "fire", "emergency", started, started + 4, clip)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"timezone": "Asia/Shanghai", "quiet_hours": [],
                                "channels": {"village": {"sink": "null"}}, "plays": []}))
    proc = _run(tmp_path, plan, log)
    try:
        _wait_for(lambda: _query(log, "SELECT id FROM asrun WHERE status = 'interrupted'"), "the interrupted row")
        _wait_for(lambda: _query(log, "SELECT id FROM daemons WHERE id = 2"), "the player to register")
    finally:
        out, err = _stop(proc)
    cut = datetime.fromtimestamp(started + 4, TZ)
    start = datetime.fromtimestamp(_query(log, "SELECT started FROM daemons WHERE id = 2")[0]["started"], TZ)
    cut = cut.strftime("%H:%M:%S" if cut.date() == start.date() else "%Y-%m-%d %H:%M:%S")  # near midnight
    warn = [line for line in err.splitlines() if "emergency fire 火警 was cut short" in line]
    assert len(warn) == 1 and warn[0].startswith("WARN: ") and "[village]" in warn[0], err
    assert f"cut short at {cut} " in warn[0] and "4 s after it started" in warn[0]
