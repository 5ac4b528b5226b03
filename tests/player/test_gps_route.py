"""GPS routes end to end: a real gpsd fed by gpsfake with tracks these tests write, and `broadcaster run`.

Each track is one fix every 0.5 s (gpsfake -c 0.25 with an RMC and a GGA sentence per fix;
the NMEA clock steps one second per fix, so the receiver's time runs at double speed). The
truck covers 20 m a fix. Stops A, B and C lie 400 m apart on a line west to east, 60 m circles.
"""
from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from datetime import time as dtime
from pathlib import Path

import pytest
from tests.gpstrack import Drive
from tests.guards import needs_gpsd
from tests.helpers import ROOT, free_port
from tests.player_fixtures import TZ

from broadcaster.geo import distance_m, offset

pytestmark = [pytest.mark.slow, needs_gpsd]

STEP = 0.5                   # wall seconds per fix
PACE = 20.0                  # metres per fix
LEAD = 4.0                   # seconds from starting gpsfake to the first fix we count on
A = (29.5300, 108.7700)
B = offset(*A, 0, 400)
C = offset(*A, 0, 800)
RADIUS = 60
STOP = "title: 物资车到站\ntext: 物资车到{{ place }}了。\nrepeat: 1\nchime: false\nlead: false\nvars: {place: 某处}\n"
FILL = ("title: 防疫顺口溜\ntext: |\n  戴口罩，勤洗手。\n  少聚集，多通风。\nrepeat: 1\nchime: false\nlead: false\n")


def clock(t: float) -> str:
    return datetime.fromtimestamp(t, TZ).strftime("%H:%M:%S")


def schedule(tmp_path: Path, times: list[float]) -> Path:
    day = {datetime.fromtimestamp(t, TZ).date() for t in times + [time.time(), times[-1] + 120]}
    if len(day) > 1:
        pytest.skip("too close to midnight for a same-day route")
    (tmp_path / "stop.yaml").write_text(STOP, encoding="utf-8")
    (tmp_path / "fill.yaml").write_text(FILL, encoding="utf-8")
    stops = ",\n      ".join(f'{{at: "{clock(t)}", place: {name}, lat: {lat:.7f}, lon: {lon:.7f}, radius: {RADIUS}}}'
                             for t, name, (lat, lon) in zip(times, "ABC", (A, B, C)))
    path = tmp_path / "truck.yaml"
    path.write_text(f"""quiet_hours: []
channels:
  truck: {{name: 物资配送车, kind: truck, sink: "file:onair"}}
programs:
  - route:
      [{stops}]
    notice: stop.yaml
    channel: truck
    between_stops: fill.yaml
""", encoding="utf-8")
    return path


def cli(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "broadcaster", *args], env=env, **kw)


def drive_run(tmp_path: Path, drive: Drive, offsets: list[float], until: str = "ABC",
              timeout: str = "60s") -> dict:
    """Plan stops at track start + offsets (s), replay the drive through gpsfake, run the player over it.

    The player runs until every stop named in `until` has its as-run row (it is written when the
    notice ends), then gets SIGTERM: the test waits for what the player did, never for a time,
    so a loaded machine that starts gpsfake or the player late changes no outcome."""
    start = time.time() + LEAD
    sched = schedule(tmp_path, [start + o for o in offsets])
    # render the notices first, so that `run` starts in a moment
    subprocess.run([sys.executable, "-m", "broadcaster", "plan", str(sched)], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    start = time.time() + LEAD
    sched = schedule(tmp_path, [start + o for o in offsets])  # same notices, fresh times
    track = drive.write(tmp_path / "track.nmea", datetime.fromtimestamp(start, TZ))
    port = free_port()
    log = tmp_path / "asrun.sqlite"
    fake = subprocess.Popen(["gpsfake", "-q", "-1", "-c", str(STEP / 2), "-P", str(port), str(track)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        length = len(drive.samples) * STEP + LEAD + 1
        out = open(tmp_path / "run.out", "w")
        # --for is only a backstop: the test stops the player once the stops have aired
        player = cli("run", str(sched), "--log", str(log), "--gpsd", f"127.0.0.1:{port}", "--gps-timeout", timeout,
                     "--for", f"{int(length) + 300}s", cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + length + 120
            while set(until) - set(stop_rows({"rows": asrun_rows(log)})):
                assert player.poll() is None, (tmp_path / "run.out").read_text()
                assert time.time() < deadline, f"no as-run row for every stop of {until}"
                time.sleep(0.1)
        finally:
            player.send_signal(signal.SIGTERM)
            assert player.wait(timeout=60) == 0, (tmp_path / "run.out").read_text()
    finally:
        stop_group(fake)
    db = sqlite3.connect(log)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM asrun ORDER BY id")]
    events = [dict(r) for r in db.execute("SELECT * FROM events ORDER BY id")]
    db.close()
    return {"rows": rows, "events": events, "start": start, "out": (tmp_path / "run.out").read_text()}


def asrun_rows(log: Path) -> list[dict]:
    """The as-run rows so far (none while the player has not made its log yet)."""
    if not log.exists():
        return []
    db = sqlite3.connect(log)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM asrun ORDER BY id")]
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def stop_group(proc: subprocess.Popen) -> None:
    """gpsfake and the gpsd it started (its own session): TERM, then KILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def stop_rows(got: dict) -> dict:
    """Stop name -> its as-run rows (the stop notices are `stop-stop01` ...)."""
    out: dict = {}
    for r in got["rows"]:
        if "-stop0" in r["notice"]:
            out.setdefault("ABC"[int(r["notice"][-2:]) - 1], []).append(r)
    return out


def assert_played_inside(row: dict, centre: tuple[float, float]) -> None:
    assert row["status"] in ("played", "late"), row
    assert row["lat"] is not None, row
    assert distance_m(row["lat"], row["lon"], *centre) <= RADIUS, row
    # from the fix that entered the circle to the start of the audio: a filler on air may end its
    # sentence first (8 s at most, RouteSettings.boundary_wait), plus room for a loaded machine
    assert 0 <= row["actual_start"] - row["planned"] <= 8 + 4, row


def clock_time(row: dict) -> float:
    """The stop's clock time from the timetable, as the player's as-run reason quotes it."""
    at = re.search(r"clock time (\d\d:\d\d:\d\d)", row["reason"])
    assert at, row
    day = datetime.fromtimestamp(row["planned"], TZ).date()
    return datetime.combine(day, dtime.fromisoformat(at.group(1)), TZ).timestamp()


def fillers(got: dict) -> list[dict]:
    return [r for r in got["rows"] if r["notice"] == "fill"]


def standard() -> Drive:
    """Wait, drive to A, stop, to B, stop, to C, stop: entering A at ~8 s, B at ~22 s, C at ~36 s."""
    west = offset(*A, 0, -200)
    return (Drive(*west).wait(8).to(*A, PACE).wait(8).to(*B, PACE).wait(8).to(*C, PACE).wait(8))


def test_on_time_run_plays_each_stop_once_where_it_is(tmp_path):
    # the clock times leave the truck seconds to spare even when gpsfake starts slowly: fillers begin
    # at A's clock time, and this run is about a truck that reaches A before then
    got = drive_run(tmp_path, standard(), [13, 27, 41])
    stops = stop_rows(got)
    assert sorted(stops) == ["A", "B", "C"], got["out"]
    for name, centre in zip("ABC", (A, B, C)):
        assert len(stops[name]) == 1, stops[name]
        assert_played_inside(stops[name][0], centre)
        assert "entered the 60 m circle" in stops[name][0]["reason"]
    # the drive between stops is filled, and no filler plays before the route starts
    fills = fillers(got)
    assert fills and all(f["lat"] is not None for f in fills)
    assert min(f["actual_start"] for f in fills) >= stops["A"][0]["actual_start"]
    # a filler on air when the truck arrives gives way to the stop notice
    for name in "BC":
        s = stops[name][0]
        on_air = [f for f in fills if f["actual_start"] < s["actual_start"] < (f["actual_end"] or 0) + 0.2]
        assert all(f["status"] == "interrupted" for f in on_air), on_air


def test_late_run_plays_the_stops_on_arrival_not_at_their_clock_times(tmp_path):
    got = drive_run(tmp_path, standard(), [1, 6, 12])   # the truck is 6 to 24 s behind its timetable
    stops = stop_rows(got)
    arrivals = []
    for name, centre in zip("ABC", (A, B, C)):
        assert len(stops[name]) == 1, stops
        row = stops[name][0]
        assert_played_inside(row, centre)
        assert "entered the 60 m circle" in row["reason"], row
        # it waited for the truck: the fix that entered the circle (the row's `planned`, the
        # player's own time) came after the stop's clock time, and the notice started after it
        assert row["planned"] > clock_time(row) + 1, row
        arrivals.append(row["planned"])
    assert arrivals == sorted(arrivals)


def test_a_skipped_stop_is_logged_missed_and_the_others_play(tmp_path):
    west = offset(*A, 0, -200)
    north_a, north_c = offset(*A, 300, 0), offset(*C, 300, 0)   # around B, 300 m from it
    drive = Drive(*west).wait(8).to(*A, PACE).wait(8).to(*north_a, PACE).to(*north_c, PACE).to(*C, PACE).wait(8)
    got = drive_run(tmp_path, drive, [9, 30, 60])
    stops = stop_rows(got)
    assert_played_inside(stops["A"][0], A)
    assert_played_inside(stops["C"][0], C)
    assert [r["status"] for r in stops["B"]] == ["missed"], stops["B"]
    assert "reached C without coming within 60 m of B" in stops["B"][0]["reason"]
    assert stops["B"][0]["actual_start"] is None


def test_a_60_s_gps_outage_falls_back_to_the_clock_and_position_takes_over_again(tmp_path):
    # 60 fixes without a fix (60 s of receiver time, 30 s here); the player gives up on GPS after 4 s
    west = offset(*A, 0, -200)
    past_b = offset(*A, 0, 520)
    drive = Drive(*west).wait(8).to(*A, PACE).wait(4).outage(60)
    drive.lat, drive.lon = past_b
    drive.wait(2).to(*C, PACE).wait(8)
    got = drive_run(tmp_path, drive, [9, 24, 50], timeout="4s")
    stops = stop_rows(got)
    assert_played_inside(stops["A"][0], A)
    b = stops["B"][0]
    assert b["status"] in ("played", "late") and b["lat"] is None, b
    assert "no GPS fix: played at its clock time" in b["reason"]
    # at its clock time (whole seconds in the timetable), as soon as a filler on air let it
    assert b["planned"] == int(got["start"] + 24), b
    assert 0 <= b["actual_start"] - b["planned"] <= 8 + 4, b
    assert_played_inside(stops["C"][0], C)
    messages = [e["message"] for e in got["events"]]
    assert any("no GPS fix for 4 s" in m for m in messages), messages
    assert "GPS fix again" in got["out"]


def test_a_truck_waiting_at_a_stops_edge_hears_its_notice_once(tmp_path):
    west = offset(*A, 0, -200)
    edge = offset(*A, 0, -58)                          # parked at the edge of A's 60 m circle
    jitter = [(0, 0), (3, -8), (-4, 6), (2, -12), (0, 9), (-3, -5), (5, 14), (0, -2)]   # ±14 m of GPS noise
    drive = Drive(*west).wait(6).to(*edge, PACE).wait(50, jitter).to(*B, PACE).wait(6)
    got = drive_run(tmp_path, drive, [7, 40, 300], until="AB")
    stops = stop_rows(got)
    assert len(stops["A"]) == 1, stops["A"]
    assert stops["A"][0]["status"] in ("played", "late")
    assert len(stops["B"]) == 1 and stops["B"][0]["lat"] is not None
