"""The playback daemon on a clock we drive: timing, restarts, grace, quiet hours, failures, interrupts."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import textwrap
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from tests.audiotools import probe
from tests.player_fixtures import T0, TZ, drive, plays, rows, sink_files, speech_wav, ts, wav_seconds

from broadcaster.errors import BadInput
from broadcaster.player.asrun import AsRunLog, Entry
from broadcaster.player.clock import ManualClock, SystemClock
from broadcaster.player.daemon import AirPlan, Daemon, Settings, StaticSource


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    d = tmp_path_factory.mktemp("audio")
    garbage = d / "garbage.mp3"
    garbage.write_bytes(b"this is not audio at all " * 200)
    return SimpleNamespace(
        short=speech_wav(d / "short.wav", "注意"),
        fire=speech_wav(d / "fire.wav", "请注意"),
        long=speech_wav(d / "long.wav", "各位村民请注意，今天下午三点在村委会门口发放物资，请大家带好证件。"),
        garbage=garbage,
    )


def by_slot(log: AsRunLog) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows(log):
        out.setdefault(r["slot"], []).append(r)
    return out


def test_every_item_airs_on_time_once_and_the_log_holds_what_aired(tmp_path, audio):
    out = tmp_path / "onair"
    ps = plays(audio.short, T0, every=5, count=6)
    log, events, _, _ = drive(tmp_path, AirPlan(ps, {"village": f"file:{out}"}), T0 - timedelta(seconds=3),
                              T0 + timedelta(seconds=40))
    files = sink_files(out)
    assert [f[2] for f in files] == [p.notice for p in ps]
    for (start, channel, _, path), p in zip(files, ps):
        assert abs((start - p.start).total_seconds()) <= 0.001
        assert channel == "village"
        assert path.read_bytes() == audio.short.read_bytes()
    got = rows(log)
    assert [r["status"] for r in got] == ["played"] * 6
    digest = hashlib.sha256(audio.short.read_bytes()).hexdigest()
    for r, p in zip(got, ps):
        assert r["planned"] == p.start.isoformat(timespec="milliseconds")
        assert r["planned"].endswith("+08:00") and r["actual_end"].endswith("+08:00")
        assert ts(r["actual_start"]) - p.start.timestamp() <= 0.001
        assert ts(r["actual_end"]) - ts(r["actual_start"]) == pytest.approx(wav_seconds(audio.short), abs=0.01)
        assert r["sha256"] == digest and r["title"] == p.title
    assert not [e for e in events if e.level == "error"]


def test_restart_accounts_for_the_gap_late_within_grace_missed_beyond(tmp_path, audio):
    out = tmp_path / "onair"
    ps = plays(audio.short, T0, every=5, count=20)  # 08:00:00 .. 08:01:35
    plan = AirPlan(ps, {"village": f"file:{out}"})
    settings = Settings(background_reload=False, grace=30)
    log = AsRunLog(tmp_path / "asrun.sqlite")
    drive(tmp_path, plan, T0 - timedelta(seconds=1), T0 + timedelta(seconds=12), settings=settings, log=log)
    restart = T0 + timedelta(seconds=60)
    drive(tmp_path, plan, restart, T0 + timedelta(seconds=120), settings=settings, log=log)

    slots = by_slot(log)
    assert set(slots) == {p.slot for p in ps}
    assert all(len(v) == 1 for v in slots.values()), "every slot logged exactly once"
    names = [f[2] for f in sink_files(out)]
    assert len(names) == len(set(names)), "no slot aired twice"
    for p in ps:
        r = slots[p.slot][0]
        lateness = restart.timestamp() - p.start.timestamp()
        if p.start <= T0 + timedelta(seconds=10):
            assert r["status"] == "played"             # aired by the first run
        elif lateness > settings.grace:
            assert r["status"] == "missed", r
            assert "not running" in r["reason"] and r["actual_start"] is None
        elif p.start < restart:
            assert r["status"] == "late" and "late" in r["reason"]
            assert ts(r["actual_start"]) - p.start.timestamp() <= settings.grace
        elif p.start < restart + timedelta(seconds=15):
            assert r["status"] in ("played", "late")  # the catching-up backlog delays these a little
        else:
            assert r["status"] == "played"
    assert {r["status"] for v in slots.values() for r in v} == {"played", "late", "missed"}


def test_a_play_cut_by_a_crash_is_logged_interrupted_and_not_replayed(tmp_path, audio):
    out = tmp_path / "onair"
    ps = plays(audio.long, T0, every=20, count=3)
    plan = AirPlan(ps, {"village": f"file:{out}"})
    log = AsRunLog(tmp_path / "asrun.sqlite")
    # what a daemon killed 3 s into the first play leaves on disk: a journal row, a stale heartbeat
    dead = log.register(["village"], "schedule.yaml", T0.timestamp() - 5)
    log.heartbeat(dead, T0.timestamp() + 3)
    log.journal_start(ps[0].slot, "village", ps[0].notice, ps[0].title, "normal", ps[0].start.timestamp(),
                      ps[0].start.timestamp(), str(audio.long), "", "file")
    log.close()
    log = AsRunLog(tmp_path / "asrun.sqlite")
    drive(tmp_path, plan, T0 + timedelta(seconds=15), T0 + timedelta(seconds=70), log=log)
    slots = by_slot(log)
    first = slots[ps[0].slot]
    assert [r["status"] for r in first] == ["interrupted"]
    assert "crash" in first[0]["reason"]
    assert ts(first[0]["actual_end"]) == pytest.approx(T0.timestamp() + 3, abs=0.01)
    assert [f[2] for f in sink_files(out)] == ["n1", "n2"]
    assert [r["status"] for r in slots[ps[1].slot]] == ["played"]


def test_quiet_hours_are_checked_again_at_play_time(tmp_path, audio):
    night = datetime(2021, 10, 27, 21, 59, 50, tzinfo=TZ)
    normal = plays(audio.short, night, every=5, count=2)                       # 21:59:50, 21:59:55
    alarm = plays(audio.short, night + timedelta(seconds=7), every=1, count=1, prefix="alarm",
                  priority="emergency")
    plan = AirPlan(normal + alarm, {"village": f"file:{tmp_path / 'out'}"}, quiet_hours=((22 * 3600, 6 * 3600),))
    # the player, which first served the channel an hour before, comes up again at 22:00:30 after a
    # crash: all three are within grace, but it is night now
    log = AsRunLog(tmp_path / "asrun.sqlite")
    log.register(["village"], "schedule.yaml", night.timestamp() - 3600)
    log.close()
    log, *_ = drive(tmp_path, plan, night + timedelta(seconds=40), night + timedelta(seconds=60))
    status = {r["notice"]: (r["status"], r["reason"]) for r in rows(log)}
    assert status["n0"][0] == status["n1"][0] == "skipped"
    assert "quiet hours 22:00-06:00" in status["n0"][1]
    assert status["alarm0"][0] == "late"
    assert [f[2] for f in sink_files(tmp_path / "out")] == ["alarm0"]


class _NoFix:
    """A GPS receiver that never gets a fix (stands in for gpsd; the route logic is the real one)."""

    problem = "no receiver"

    def latest(self):
        return None

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def test_a_gps_route_stop_in_quiet_hours_is_skipped_like_a_clock_play(tmp_path, audio):
    from broadcaster.player.position import Circle, GpsRoute, RoutePlayer, RouteSettings, RouteStop

    night = datetime(2021, 10, 27, 23, 0, tzinfo=TZ)
    clocked, stop = plays(audio.short, night, every=5, count=2)
    route = GpsRoute(key="r", channel="village", priority="normal", slots=frozenset({stop.slot}),
                     stops=(RouteStop(stop.slot, "1号楼", Circle(29.5, 108.7, 50), stop.start.timestamp(),
                                      "23:00:05", stop.file, stop.notice, stop.title),))
    plan = AirPlan((clocked, stop), {"village": f"file:{tmp_path / 'out'}"}, quiet_hours=((22 * 3600, 6 * 3600),),
                   routes=(route,))
    clock = ManualClock((night - timedelta(seconds=1)).timestamp())
    log, events = AsRunLog(tmp_path / "asrun.sqlite"), []
    # no fix at all: the stop falls back to its clock time, 23:00:05, inside quiet hours
    daemon = Daemon(StaticSource(plan), log, clock, Settings(background_reload=False), on_event=events.append,
                    route=RoutePlayer(_NoFix(), RouteSettings(timeout=0)))
    daemon.run(until=(night + timedelta(seconds=10)).timestamp())
    got = {r["notice"]: (r["status"], r["reason"]) for r in rows(log)}
    assert got == {n: ("skipped", "quiet hours 22:00-06:00 (only emergency plays then)") for n in ("n0", "n1")}
    assert [e.message for e in events if e.kind == "end"] == ["n0 skipped: quiet hours 22:00-06:00",
                                                             "n1 skipped: quiet hours 22:00-06:00"]
    assert not sink_files(tmp_path / "out")


def test_dropped_missing_and_undecodable_items_are_logged_and_the_next_airs_on_time(tmp_path, audio):
    ps = list(plays(audio.short, T0, every=5, count=4))
    ps[0] = replace(ps[0], status="dropped", reason="quiet hours 22:00-06:00")
    ps[1] = replace(ps[1], file=str(tmp_path / "gone.wav"))
    ps[2] = replace(ps[2], file=str(audio.garbage))
    log, events, *_ = drive(tmp_path, AirPlan(tuple(ps), {"village": f"file:{tmp_path / 'out'}"}),
                            T0 - timedelta(seconds=1), T0 + timedelta(seconds=30))
    got = {r["notice"]: r for r in rows(log)}
    assert got["n0"]["status"] == "skipped" and got["n0"]["reason"] == "quiet hours 22:00-06:00"
    assert got["n1"]["status"] == "skipped" and "not found" in got["n1"]["reason"]
    assert got["n2"]["status"] == "skipped" and "garbage.mp3" in got["n2"]["reason"]
    assert got["n3"]["status"] == "played"
    assert ts(got["n3"]["actual_start"]) == pytest.approx(ps[3].start.timestamp(), abs=0.001)
    assert [f[2] for f in sink_files(tmp_path / "out")] == ["n3"]


def _player_script(tmp_path: Path, name: str, fail_times: int) -> Path:
    """A stand-in audio player (a real program) that fails its first `fail_times` runs per file."""
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(f"""
        import sys, pathlib
        tally = pathlib.Path({str(tmp_path)!r}) / ({name!r} + "-" + pathlib.Path(sys.argv[1]).name + ".count")
        n = int(tally.read_text()) if tally.exists() else 0
        tally.write_text(str(n + 1))
        if n < {fail_times}:
            sys.stderr.write("cannot open audio device hw:0\\n")
            sys.exit(1)
    """))
    return script


@pytest.mark.slow
def test_a_failing_sink_is_retried_once_then_logged_failed_and_the_daemon_carries_on(tmp_path, audio):
    broken = _player_script(tmp_path, "broken", fail_times=99)
    flaky = _player_script(tmp_path, "flaky", fail_times=1)
    # real player processes take real time: this one runs on the wall clock
    start = datetime.fromtimestamp(time.time() + 0.3, TZ)
    ps = plays(audio.short, start, every=1.0, count=2, channel="a") + plays(audio.fire, start, every=1.0, count=2,
                                                                              channel="b")
    sinks = {"a": ["command", sys.executable, str(broken), "{file}"],
             "b": ["command", sys.executable, str(flaky), "{file}"]}
    # it runs until all four have an outcome (each player process may start slowly on a busy machine)
    # the test reads the log over a connection of its own, as another process would; it makes the
    # log before the daemon starts (two connections creating one log at once may find it locked)
    reader = AsRunLog(tmp_path / "asrun.sqlite")
    reader.connect()
    log, events = AsRunLog(tmp_path / "asrun.sqlite"), []
    daemon = Daemon(StaticSource(AirPlan(ps, sinks)), log, SystemClock(), Settings(background_reload=False),
                    on_event=events.append)
    runner = threading.Thread(target=daemon.run, kwargs={"until": time.time() + 120}, daemon=True)
    runner.start()
    deadline = time.time() + 120
    while len(reader.report().rows) < 4 and runner.is_alive() and time.time() < deadline:
        time.sleep(0.05)
    daemon.stop("the test has every outcome")
    runner.join(30)
    assert not runner.is_alive()
    got = {(r["channel"], r["notice"]): r for r in rows(log)}
    for n in ("n0", "n1"):
        assert got[("a", n)]["status"] == "failed"
        assert "status 1: cannot open audio device hw:0 (after one retry)" in got[("a", n)]["reason"]
    assert (tmp_path / "broken-short.wav.count").read_text() == "4"  # two items, each tried twice
    assert got[("b", "n0")]["status"] in ("played", "late")
    assert "first try failed" in got[("b", "n0")]["reason"]
    assert (tmp_path / "flaky-fire.wav.count").read_text() == "3"   # failed once, then two good plays
    assert got[("b", "n1")]["status"] in ("played", "late")
    assert len(rows(log)) == 4
    assert any(e.level == "warn" and "trying once more" in e.message for e in events)


def _request(priority: str, mode: str, file: Path, wait: float = 0.0, channel: str = "village",
             notice: str = "fire"):
    def send(daemon, clock):
        daemon.log.send(channel, str(file), notice, "火警", priority, mode, wait, daemon.daemon_id, clock.now())
    return send


@pytest.mark.slow
def test_emergency_cut_interrupts_within_a_second_and_the_cut_item_is_replayed(tmp_path, audio):
    out = tmp_path / "onair"
    ps = plays(audio.long, T0, every=60, count=1)
    asked = T0 + timedelta(seconds=2)
    log, events, daemon, _ = drive(tmp_path, AirPlan(ps, {"village": f"file:{out}"}), T0 - timedelta(seconds=1),
                                   T0 + timedelta(seconds=40), hooks=[(asked, _request("emergency", "cut", audio.fire))])
    got = rows(log)
    assert [(r["notice"], r["status"]) for r in got] == [("n0", "interrupted"), ("fire", "played"), ("n0", "late")]
    cut, fire, again = got
    assert ts(cut["actual_end"]) - asked.timestamp() <= 1.0
    assert ts(fire["actual_start"]) - asked.timestamp() <= 1.0
    assert fire["priority"] == "emergency" and "cut by emergency play fire" in cut["reason"]
    assert ts(again["actual_start"]) >= ts(fire["actual_end"]) and "replayed after emergency play fire" in again["reason"]
    # the file sink shows what really went out: the cut play is as long as it was on air
    files = sink_files(out)
    assert [f[2] for f in files] == ["n0", "fire", "n0"]
    aired = ts(cut["actual_end"]) - ts(cut["actual_start"])
    assert probe(files[0][3]).duration == pytest.approx(aired, abs=0.1)
    assert probe(files[2][3]).duration == pytest.approx(wav_seconds(audio.long), abs=0.05)
    assert log.answer_of(1) == (True, "cutting n0 now")


@pytest.mark.slow
def test_next_waits_for_the_item_and_wait_mode_cuts_after_its_seconds(tmp_path, audio):
    ps = plays(audio.long, T0, every=60, count=1)
    plan = AirPlan(ps, {"village": f"file:{tmp_path / 'a'}"})
    log, *_ = drive(tmp_path, plan, T0 - timedelta(seconds=1), T0 + timedelta(seconds=30),
                    hooks=[(T0 + timedelta(seconds=2), _request("urgent", "next", audio.fire))])
    n0, fire = rows(log)
    assert n0["status"] == "played" and fire["status"] == "played"
    assert ts(fire["actual_start"]) == pytest.approx(ts(n0["actual_end"]), abs=0.06)

    plan = AirPlan(ps, {"village": f"file:{tmp_path / 'b'}"})
    log, *_ = drive(tmp_path / "w", plan, T0 - timedelta(seconds=1), T0 + timedelta(seconds=30),
                    hooks=[(T0 + timedelta(seconds=2), _request("urgent", "wait", audio.fire, wait=3))])
    got = rows(log)
    assert [(r["notice"], r["status"]) for r in got] == [("n0", "interrupted"), ("fire", "played"), ("n0", "late")]
    assert ts(got[0]["actual_end"]) - (T0.timestamp() + 2) == pytest.approx(3.0, abs=0.06)


def test_requests_in_quiet_hours_need_emergency(tmp_path, audio):
    night = datetime(2021, 10, 27, 23, 0, tzinfo=TZ)
    plan = AirPlan((), {"village": f"file:{tmp_path / 'out'}"}, quiet_hours=((22 * 3600, 6 * 3600),))
    log, *_ = drive(tmp_path, plan, night, night + timedelta(seconds=20), hooks=[
        (night + timedelta(seconds=1), _request("urgent", "cut", audio.fire, notice="notice")),
        (night + timedelta(seconds=5), _request("emergency", "cut", audio.fire, notice="flood"))])
    assert log.answer_of(1)[0] is False and "quiet hours 22:00-06:00" in log.answer_of(1)[1]
    assert log.answer_of(2) == (True, "playing now on village")
    assert [(r["notice"], r["status"]) for r in rows(log)] == [("notice", "skipped"), ("flood", "played")]


def test_a_new_plan_takes_effect_between_plays_and_a_broken_one_keeps_the_old(tmp_path, audio):
    out = tmp_path / "onair"
    first = AirPlan(plays(audio.short, T0, every=10, count=6), {"village": f"file:{out}"})
    second = AirPlan(plays(audio.short, T0 + timedelta(seconds=25), every=10, count=3, prefix="new"),
                     {"village": f"file:{out}"})
    source = StaticSource(first, "schedule.yaml")

    def broken(now):
        raise BadInput("'25:00' is not a time of day", "write HH:MM, e.g. 07:30", "schedule.yaml", 7)

    log, events, *_ = drive(tmp_path, source, T0 - timedelta(seconds=1), T0 + timedelta(seconds=60), hooks=[
        (T0 + timedelta(seconds=12), lambda d, c: source.set(second)),
        (T0 + timedelta(seconds=37), lambda d, c: source.set(broken))])
    aired = [f[2] for f in sink_files(out)]
    # n0, n1 from the first plan; then the new plan's three (the broken edit changed nothing)
    assert aired == ["n0", "n1", "new0", "new1", "new2"]
    errors = [e for e in log.events() if e["level"] == "error"]
    assert len(errors) == 1
    assert "schedule edit not used, still playing the previous plan" in errors[0]["message"]
    assert "schedule.yaml:7: '25:00' is not a time of day — write HH:MM" in errors[0]["message"]


def test_clock_jumps_forward_and_back_never_replay_a_slot(tmp_path, audio):
    ps = plays(audio.short, T0, every=10, count=30)  # 08:00:00 .. 08:04:50
    settings = Settings(background_reload=False, grace=60)
    log, *_ = drive(tmp_path, AirPlan(ps, {"village": f"file:{tmp_path / 'out'}"}), T0 - timedelta(seconds=1),
                    T0 + timedelta(seconds=320), settings=settings, hooks=[
                        (T0 + timedelta(seconds=15), lambda d, c: c.set((T0 + timedelta(seconds=135)).timestamp())),
                        (T0 + timedelta(seconds=180), lambda d, c: c.set((T0 + timedelta(seconds=100)).timestamp()))])
    slots = by_slot(log)
    assert set(slots) == {p.slot for p in ps} and all(len(v) == 1 for v in slots.values())
    status = {p.notice: slots[p.slot][0]["status"] for p in ps}
    assert status["n0"] == status["n1"] == "played"
    assert status["n2"] == status["n7"] == "missed"          # 20 s .. 70 s: more than 60 s behind at 135 s
    assert status["n8"] == status["n13"] == "late"           # 80 s .. 130 s: inside the grace window
    assert status["n29"] == "played"
    names = [f[2] for f in sink_files(tmp_path / "out")]
    assert len(names) == len(set(names))


def test_two_channels_play_at_the_same_time_on_their_own_sinks(tmp_path, audio):
    ps = plays(audio.long, T0, every=30, count=2, channel="village") + \
        plays(audio.short, T0, every=3, count=4, channel="truck")
    plan = AirPlan(ps, {"village": f"file:{tmp_path / 'v'}", "truck": f"file:{tmp_path / 't'}"})
    log, *_ = drive(tmp_path, plan, T0 - timedelta(seconds=1), T0 + timedelta(seconds=50))
    assert len(sink_files(tmp_path / "v")) == 2 and len(sink_files(tmp_path / "t")) == 4
    for r in rows(log):
        assert r["status"] == "played"
        assert ts(r["actual_start"]) == pytest.approx(ts(r["planned"]), abs=0.001)


def test_an_unusable_log_is_reported_loudly_and_playback_goes_on(tmp_path, audio):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log's folder should be")
    ps = plays(audio.short, T0, every=5, count=3)
    log, events, *_ = drive(tmp_path, AirPlan(ps, {"village": f"file:{tmp_path / 'out'}"}),
                            T0 - timedelta(seconds=1), T0 + timedelta(seconds=20),
                            log=AsRunLog(blocker / "asrun.sqlite"))
    assert [f[2] for f in sink_files(tmp_path / "out")] == ["n0", "n1", "n2"]
    loud = [e for e in events if e.level == "error" and "AS-RUN LOG PROBLEM" in e.message]
    assert loud and "cannot open the as-run log" in loud[0].message
    assert len(log.backlog) == 3


def test_a_locked_log_keeps_rows_and_writes_them_when_free(tmp_path, audio):
    path = tmp_path / "asrun.sqlite"
    AsRunLog(path).connect()
    holder = sqlite3.connect(str(path), isolation_level=None)

    def lock(d, c):
        holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock

    def unlock(d, c):
        holder.execute("COMMIT")

    ps = plays(audio.short, T0, every=5, count=4)
    log, events, *_ = drive(tmp_path, AirPlan(ps, {"village": f"file:{tmp_path / 'out'}"}),
                            T0 - timedelta(seconds=1), T0 + timedelta(seconds=25),
                            hooks=[(T0 + timedelta(seconds=3), lock), (T0 + timedelta(seconds=13), unlock)])
    assert [f[2] for f in sink_files(tmp_path / "out")] == ["n0", "n1", "n2", "n3"]
    assert [r["notice"] for r in rows(log)] == ["n0", "n1", "n2", "n3"]
    assert all(r["status"] == "played" for r in rows(log))
    assert any("AS-RUN LOG PROBLEM" in e.message and "locked" in e.message for e in events)
    assert any("writable again" in e.message for e in events)


def _damaged(kind: str, path: Path, audio) -> bytes:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(b"\x00\x17 not a database at all " * 300)
    else:  # a real log whose pages were overwritten in the middle (a bad SD card)
        log = AsRunLog(path)
        for i in range(300):
            log.append(Entry(slot=f"old/{i}", channel="village", notice="old", status="played",
                             planned=T0.timestamp() - 86400 + i, reason="x" * 200))
        log.close()
        data = bytearray(path.read_bytes())
        data[4096:len(data) - 4096] = b"\xde\xad" * ((len(data) - 8192) // 2)
        path.write_bytes(bytes(data))
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["empty", "garbage", "corrupt"])
def test_a_damaged_log_is_moved_aside_and_nothing_from_the_past_is_replayed(tmp_path, audio, kind):
    path = tmp_path / "asrun.sqlite"
    before = _damaged(kind, path, audio)
    # two slots just before the start (inside the grace window) and one after it
    ps = plays(audio.short, T0 - timedelta(seconds=120), every=60, count=3)   # 07:58, 07:59, 08:00
    start = T0 - timedelta(seconds=10)
    log, events, *_ = drive(tmp_path, AirPlan(ps, {"village": f"file:{tmp_path / 'out'}"}), start,
                            T0 + timedelta(seconds=10))
    assert [f[2] for f in sink_files(tmp_path / "out")] == ["n2"], "nothing from before the start airs"
    aside = sorted(tmp_path.glob("asrun.sqlite.damaged-*"))
    assert [p.name for p in aside if not p.name.endswith(("-wal", "-shm"))] == [
        "asrun.sqlite.damaged-" + start.strftime("%Y%m%dT%H%M%S")]
    assert aside[0].read_bytes() == before, "the damaged file is kept as it was"
    warn = [e for e in events if e.level == "warn" and "moved it to" in e.message]
    assert warn and str(aside[0]) in warn[0].message
    status = {r["notice"]: (r["status"], r["reason"]) for r in rows(log)}
    assert status["n2"][0] == "played"
    assert status["n0"][0] == status["n1"][0] == "skipped" and "not known whether it aired" in status["n0"][1]
    assert any("moved it to" in e["message"] for e in log.events())


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_log_is_moved_aside_too(tmp_path, audio):
    path = tmp_path / "asrun.sqlite"
    AsRunLog(path).connect()
    path.chmod(0)
    ps = plays(audio.short, T0 - timedelta(seconds=60), every=60, count=2)
    log, events, *_ = drive(tmp_path, AirPlan(ps, {"village": f"file:{tmp_path / 'out'}"}),
                            T0 - timedelta(seconds=10), T0 + timedelta(seconds=10))
    assert [f[2] for f in sink_files(tmp_path / "out")] == ["n1"]
    assert list(tmp_path.glob("asrun.sqlite.damaged-*"))


@pytest.mark.slow
def test_a_locked_log_at_start_is_not_moved_aside_and_nothing_is_replayed(tmp_path, audio):
    path = tmp_path / "asrun.sqlite"
    AsRunLog(path).connect()
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    ps = plays(audio.short, T0 - timedelta(seconds=60), every=60, count=2)
    try:
        drive(tmp_path, AirPlan(ps, {"village": f"file:{tmp_path / 'out'}"}),
              T0 - timedelta(seconds=10), T0 + timedelta(seconds=10))
    finally:
        holder.execute("COMMIT")
    assert [f[2] for f in sink_files(tmp_path / "out")] == ["n1"]
    assert not list(tmp_path.glob("asrun.sqlite.damaged-*"))


def _run_guarded(daemon: Daemon, until: float, fifos: list[Path], timeout: float = 30.0) -> None:
    """Run the daemon in a thread; if it blocks (on a FIFO), unblock it and fail."""
    import threading

    t = threading.Thread(target=daemon.run, kwargs={"until": until}, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        daemon.stop("test timeout")
        for f in fifos:  # a writer that opens and closes releases a reader blocked on open
            try:
                fd = os.open(f, os.O_WRONLY | os.O_NONBLOCK)
                os.close(fd)
            except OSError:
                pass
        t.join(10)
        pytest.fail("the play loop blocked on a file that is not a regular file")


def test_a_schedule_replaced_by_a_fifo_is_a_broken_edit_and_the_loop_goes_on(tmp_path, audio):
    from broadcaster.player.source import ScheduleSource

    path = tmp_path / "plan.json"
    ps = plays(audio.short, T0, every=5, count=4)
    doc = {"quiet_hours": [], "channels": {"village": {"sink": f"file:{tmp_path / 'out'}"}},
           "plays": [{"start": p.start.isoformat(), "channel": p.channel, "notice": p.notice, "file": p.file,
                      "slot": p.slot} for p in ps]}
    path.write_text(__import__("json").dumps(doc))
    clock = ManualClock((T0 - timedelta(seconds=1)).timestamp())
    events = []
    daemon = Daemon(ScheduleSource(path), AsRunLog(tmp_path / "asrun.sqlite"), clock,
                    Settings(background_reload=False), on_event=events.append)

    def to_fifo():
        path.unlink()
        os.mkfifo(path)

    clock.at((T0 + timedelta(seconds=6)).timestamp(), to_fifo)
    _run_guarded(daemon, (T0 + timedelta(seconds=20)).timestamp(), [path])
    assert [f[2] for f in sink_files(tmp_path / "out")] == ["n0", "n1", "n2", "n3"]
    broken = [e.message for e in events if e.kind == "reload" and e.level == "error"]
    assert len(broken) == 1 and "not an ordinary file" in broken[0] and str(path) in broken[0]


def test_an_audio_file_that_is_a_fifo_is_skipped_and_the_next_airs_on_time(tmp_path, audio):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    ps = plays(audio.short, T0, every=5, count=3)
    ps = (ps[0], replace(ps[1], file=str(fifo)), ps[2])
    clock = ManualClock((T0 - timedelta(seconds=1)).timestamp())
    log = AsRunLog(tmp_path / "asrun.sqlite")
    daemon = Daemon(StaticSource(AirPlan(ps, {"village": f"file:{tmp_path / 'out'}"})), log, clock,
                    Settings(background_reload=False))
    _run_guarded(daemon, (T0 + timedelta(seconds=15)).timestamp(), [fifo])
    status = {r["notice"]: (r["status"], r["reason"]) for r in rows(log)}
    assert status["n1"][0] == "skipped" and "not a regular file" in status["n1"][1]
    assert [f[2] for f in sink_files(tmp_path / "out")] == ["n0", "n2"]
