"""A hostile or broken GPS feed: whoever answers on `--gpsd` must not silence a channel or stop the player.

The parser and the line cap get hostile lines (and, with hypothesis, random ones); the real
client reads them over TCP from a stand-in gpsd (tests/fake_gpsd.py); the route code runs in a
daemon on a clock we drive; and a real `broadcaster run` plays a route schedule while the
stand-in sends it random and hostile lines.
"""
from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tests.fake_gpsd import FakeGpsd, tpv
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from tests.player_fixtures import T0, TZ, plays, sink_files, speech_wav
from tests.helpers import ROOT

from broadcaster.player.gpsd import GpsdClient, parse_tpv

# TPV reports that claim a fix at a position no receiver can give
IMPOSSIBLE = {
    "lat 1e400 (JSON reads it as infinity)": tpv("1e400", 108.77, raw=True),
    "lat Infinity": tpv("Infinity", 108.77, raw=True),
    "lon -Infinity": tpv(29.53, "-Infinity", raw=True),
    "lat NaN": tpv("NaN", 108.77, raw=True),
    "unconverted NMEA ddmm.mmmm": tpv(2931.746, 10846.2),
    "lat 95": tpv(95.0, 108.77),
    "lon 180.5": tpv(29.53, 180.5),
    "400-digit lat": tpv("9" * 400, 108.77, raw=True),
    "lat true": tpv("true", 108.77, raw=True),
    "lat as text": tpv("29.53", 108.77),
    "lat as a list": tpv("[29.53]", 108.77, raw=True),
}
# lines that broke the old parser (an exception in the reader thread ended it for good)
MALFORMED = {
    'mode "3d"': tpv(29.53, 108.77, mode="3d"),
    "mode [3]": tpv(29.53, 108.77, mode="[3]", raw=True),
    "mode 1e400": tpv(29.53, 108.77, mode="1e400", raw=True),
    "mode NaN": tpv(29.53, 108.77, mode="NaN", raw=True),
    "mode 7": tpv(29.53, 108.77, mode=7),
    "10,000 brackets": b"[" * 10_000 + b"\n",
    "a 5000-digit number": b'{"class":"TPV","mode":3,"lat":1' + b"0" * 5000 + b',"lon":108.77}\n',
}


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


# ---------------------------------------------------------------- the parser
@pytest.mark.parametrize("line", list(IMPOSSIBLE.values()) + list(MALFORMED.values()),
                         ids=list(IMPOSSIBLE) + list(MALFORMED))
def test_a_report_that_cannot_be_a_fix_is_no_fix(line):
    # the old parser took the impossible ones as fixes (1e400 then crashed the player on the
    # haversine's math domain error) and raised on the malformed ones
    assert parse_tpv(line.decode("utf-8", "replace"), 5.0) is None


@pytest.mark.parametrize("line, what", [
    (IMPOSSIBLE["unconverted NMEA ddmm.mmmm"], "an impossible position: lat 2931.746, lon 10846.2"),
    (IMPOSSIBLE["lat 1e400 (JSON reads it as infinity)"], "an impossible position: lat Infinity, lon 108.77"),
    (IMPOSSIBLE["400-digit lat"], "an impossible position: lat 99999999999999999999…, lon 108.77"),
    (MALFORMED['mode "3d"'], 'a TPV report with mode "3d"'),
    (b"$GPRMC,070007.00,A,2931.746,N,10846.200,E,0.0,90.0,010524,,,A*6C\n", "a line that is not gpsd's JSON"),
])
def test_the_client_is_told_what_was_wrong_in_a_few_words(line, what):
    from broadcaster.player.gpsd import Unusable, read_report

    assert read_report(line.decode(), 5.0) == Unusable(what)


def test_a_good_report_still_is_a_fix_and_a_wild_speed_is_dropped():
    fix = parse_tpv(tpv(29.5307, 108.77, speed=10.289).decode(), 5.0)
    assert (fix.lat, fix.lon, fix.speed) == (29.5307, 108.77, 10.289)
    assert parse_tpv(tpv(29.5307, 108.77, speed="1e400", raw=True).decode(), 5.0).speed is None
    assert parse_tpv(tpv(29.5307, 108.77, speed=-3).decode(), 5.0).speed is None
    assert parse_tpv(tpv(-90, 180, mode=2).decode(), 5.0) is not None  # the edges of the map are real
    from broadcaster.player.gpsd import read_report
    assert read_report("\r", 5.0) is None  # a blank line (gpsd ends lines with CR LF) is not counted


# hostile lines, built so that none can be a usable fix: hypothesis makes the combinations
BAD_NUMBERS = ["1e400", "-1e400", "Infinity", "-Infinity", "NaN", "2931.746", "10846.2", "95.0", "-90.5",
               "180.01", "-181", "9" * 400, "1" + "0" * 5000, "true", "false", "null", '"29.53"', "[29.53]",
               '{"v":29.53}', '""', "-0x1F", "1e", "--1"]
bad_number = st.one_of(st.sampled_from(BAD_NUMBERS),
                       st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) > 180).map(repr),
                       st.integers().filter(lambda n: abs(n) > 180).map(str))
good_lat = st.floats(-90, 90).map(repr)
good_lon = st.floats(-180, 180).map(repr)
any_mode = st.one_of(st.sampled_from(["0", "1", "2", "3", '"3d"', "[3]", "1e400", "NaN", "7", "-1", "true",
                                      "2.5", "null", '"2"', "{}"]), st.integers().map(str))
no_fix_mode = any_mode.filter(lambda m: m not in ("2", "3"))
# any JSON the speed may be (Python's json also reads NaN, Infinity and 1e400 as floats)
speed = st.one_of(st.sampled_from(["0", "5.5", "1e400", "NaN", "-Infinity", "-3", '"fast"', "null", "[]"]),
                  st.floats(allow_nan=False, allow_infinity=False).map(repr))


@st.composite
def tpv_without_a_usable_fix(draw) -> bytes:
    kind = draw(st.sampled_from(["bad lat", "bad lon", "no fix", "no lat"]))
    mode = draw(no_fix_mode if kind == "no fix" else any_mode)
    lat = draw(bad_number if kind == "bad lat" else st.one_of(good_lat, bad_number))
    lon = draw(bad_number if kind == "bad lon" else st.one_of(good_lon, bad_number))
    if kind == "no fix":
        lat, lon = draw(good_lat), draw(good_lon)
    fields = ['"class":"TPV"', f'"mode":{mode}', f'"lon":{lon}', f'"speed":{draw(speed)}',
              f'"time":{json.dumps(draw(st.text(max_size=30)))}']
    if kind != "no lat":
        fields.insert(2, f'"lat":{lat}')
    return ("{" + ",".join(draw(st.permutations(fields))) + "}\n").encode()


hostile_line = st.one_of(
    tpv_without_a_usable_fix(),
    tpv_without_a_usable_fix().map(lambda b: b[:-1] + b"\xff\xfe\n"),                 # not UTF-8
    st.text(max_size=300).map(lambda t: t.replace("\n", "") + "\n").map(str.encode),  # any text
    st.binary(max_size=300),                                                          # any bytes
    st.integers(1, 20_000).map(lambda n: b"[" * n + b"\n"),                           # deep nesting
    st.integers(60_000, 200_000).map(lambda n: b"x" * n + b"\n"),                     # around the cap
    st.integers(1, 70_000).map(lambda n: b'{"class":"TPV","mode":3,"lat":' + b"7" * n + b"\n"),
    st.just(b'{"class":"SKY","satellites":[{"PRN":1,"el":1e400,"az":NaN}]}\n'),
)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(hostile_line)
def test_property_no_line_raises_and_no_hostile_line_is_a_fix(line):
    from broadcaster.player.gpsd import Unusable, read_report

    got = read_report(line.decode("utf-8", "replace"), 5.0)
    assert got is None or isinstance(got, Unusable), got


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.just("2"), st.just("3")), good_lat, good_lon, speed)
def test_property_every_possible_fix_is_taken_and_every_fix_taken_is_possible(mode, lat, lon, v):
    fix = parse_tpv(f'{{"class":"TPV","mode":{mode},"lat":{lat},"lon":{lon},"speed":{v}}}', 5.0)
    assert fix is not None and (fix.lat, fix.lon) == (float(lat), float(lon))
    assert fix.speed is None or (math.isfinite(fix.speed) and 0 <= fix.speed <= 150)


# ---------------------------------------------------------------- lines of any length
@pytest.mark.slow
@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.one_of(st.binary(max_size=40), st.just(b"\n"), st.just(b"x" * 30)), max_size=30),
       st.integers(1, 50), st.data())
def test_property_lines_are_cut_as_split_would_and_a_long_one_is_skipped_to_its_newline(pieces, limit, data):
    from broadcaster.player.gpsd import LineSplitter

    stream = b"".join(pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    *complete, rest = stream.split(b"\n")
    splitter, got, too_long = LineSplitter(limit), [], 0
    for a, b in zip([0] + cuts, cuts + [len(stream)]):
        lines, n = splitter.feed(stream[a:b])
        got += lines
        too_long += n
        assert splitter.held <= limit
    assert got == [line for line in complete if len(line) <= limit]
    assert too_long == sum(len(line) > limit for line in complete + [rest])


# ---------------------------------------------------------------- the client, over TCP
def test_the_reader_survives_every_hostile_line_counts_them_and_reconnects():
    with FakeGpsd() as gpsd:
        client = GpsdClient("127.0.0.1", gpsd.port, retry=0.1)
        client.start()
        try:
            gpsd.wait_for_client()
            hostile = list(MALFORMED.values()) + list(IMPOSSIBLE.values())
            for line in hostile:
                gpsd.send(line)
            # the old reader died at the first of these, and then said only "gpsd sends no fix"
            wait_until(lambda: getattr(client, "ignored", 0) == len(hostile), 10,
                       f"the reader did not get through the hostile lines ({client.problem!r})")
            assert client.latest() is None
            assert client.problem.startswith(f"{len(hostile)} reports from gpsd could not be used, the first: "
                                             'a TPV report with mode "3d"'), client.problem
            gpsd.send(tpv(29.5301, 108.7702))
            wait_until(lambda: client.latest() is not None, 10, "a good fix after the hostile lines was not read")
            assert (client.latest().lat, client.latest().lon) == (29.5301, 108.7702)
            assert client.problem == ""
            gpsd.hang_up()  # gpsd restarts: the client connects again and reads on
            gpsd.wait_for_client(2, timeout=10)
            gpsd.send(tpv(29.5302, 108.7702))
            wait_until(lambda: client.latest().lat == 29.5302, 10, "no fix read after reconnecting")
        finally:
            client.stop()


def test_impossible_fixes_count_as_none_so_stops_fall_back_to_their_clock_times_with_one_warning():
    from broadcaster.player.position import Circle, GpsRoute, RoutePlayer, RouteSettings, RouteStop

    with FakeGpsd() as gpsd:
        t0 = time.time()
        stop = RouteStop("s1", "1号楼", Circle(29.53, 108.77, 60), planned=t0, at="now", file="stop.wav",
                         notice="stop-stop01", title="到站")
        route = GpsRoute(key="r", channel="truck", priority="normal", stops=(stop,), slots=frozenset({"s1"}))
        player = RoutePlayer(GpsdClient("127.0.0.1", gpsd.port, retry=0.1), RouteSettings(timeout=1.0))
        player.set_routes((route,), t0)
        notes, due = [], []
        try:
            gpsd.wait_for_client()
            # a receiver that keeps "fixing" at impossible places: the old player took each as a
            # fresh fix, so the stop played neither by position nor at its clock time
            while not due:
                assert time.time() < t0 + 20, notes
                gpsd.send(IMPOSSIBLE["lat NaN"] + IMPOSSIBLE["unconverted NMEA ddmm.mmmm"])
                now = time.time()
                notes += player.notes(now)
                due += player.due(now, set())
                time.sleep(0.1)
        finally:
            player.close()
    assert [(i.slot, i.kind, i.note) for i in due] == [("s1", "scheduled", "no GPS fix: played at its clock time")]
    said = [message for _level, message in notes]
    assert said[0] == ("gpsd sent a report that cannot be used (an impossible position: lat NaN, lon 108.77): it is "
                       "ignored like a report without a fix; later ones are only counted"), said
    assert len(said) == 2 and said[1].startswith("no GPS fix for 1 s ("), said
    assert said[1].endswith("reports from gpsd could not be used, the first: an impossible position: lat NaN, "
                            "lon 108.77): route stops play at their clock times"), said


_MEMORY_PROBE = """
import resource, sys, time
from broadcaster.player.gpsd import GpsdClient
client = GpsdClient("127.0.0.1", int(sys.argv[1]), retry=0.1)
client.start()
for lat in (29.53, 29.5301):
    while client.latest() is None or client.latest().lat != lat:
        time.sleep(0.005)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, client.ignored if hasattr(client, "ignored") else -1,
          flush=True)
"""


@pytest.mark.slow
def test_a_line_without_end_holds_no_memory():
    # the old reader kept the whole line and split it again on every read: 100 MB took 75 s and
    # 107 MB; the peak memory of a real client process is measured around a 50 MB line
    with FakeGpsd() as gpsd:
        probe = subprocess.Popen([sys.executable, "-c", _MEMORY_PROBE, str(gpsd.port)], stdout=subprocess.PIPE,
                                 text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            gpsd.wait_for_client()
            gpsd.send(tpv(29.53, 108.77))
            before, _ignored = map(int, probe.stdout.readline().split())
            chunk = b"x" * (1 << 20)
            for _ in range(50):
                gpsd.send(chunk)
            gpsd.send(b"\n" + tpv(29.5301, 108.77))
            after, ignored = map(int, probe.stdout.readline().split())  # ru_maxrss: KiB on Linux
        finally:
            probe.kill()
            probe.wait()
    assert after - before < 16 * 1024, f"peak memory grew by {(after - before) / 1024:.0f} MB"
    assert ignored == 1  # the one long line, counted


# ---------------------------------------------------------------- the daemon's guard
class _BrokenFeed:
    """A position feed that fails on every question (stands in for any bug behind the route code)."""

    problem = ""

    def latest(self):
        raise RuntimeError("the receiver's driver fell over")

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


@pytest.mark.slow
def test_a_fault_in_the_route_code_is_logged_and_every_channel_plays_on(tmp_path):
    from broadcaster.player.asrun import AsRunLog
    from broadcaster.player.clock import ManualClock
    from broadcaster.player.daemon import AirPlan, Daemon, Settings, StaticSource
    from broadcaster.player.position import Circle, GpsRoute, RoutePlayer, RouteSettings, RouteStop

    wav = speech_wav(tmp_path / "a.wav", "注意")
    village = plays(wav, T0 + timedelta(seconds=2), every=6, count=2)
    (stop,) = plays(wav, T0 + timedelta(seconds=5), every=1, count=1, channel="truck", prefix="stop")
    route = GpsRoute(key="r", channel="truck", priority="normal", slots=frozenset({stop.slot}),
                     stops=(RouteStop(stop.slot, "1号楼", Circle(29.5, 108.7, 50), stop.start.timestamp(),
                                      "08:00:05", stop.file, stop.notice, stop.title),))
    out = tmp_path / "out"
    plan = AirPlan(village + (stop,), {"village": f"file:{out}", "truck": f"file:{out}"}, routes=(route,))
    log, events = AsRunLog(tmp_path / "asrun.sqlite"), []
    daemon = Daemon(StaticSource(plan), log, ManualClock((T0 - timedelta(seconds=1)).timestamp()),
                    Settings(background_reload=False), on_event=events.append,
                    route=RoutePlayer(_BrokenFeed(), RouteSettings(timeout=60)))
    daemon.run(until=(T0 + timedelta(seconds=20)).timestamp())  # the old loop ended here with the exception
    rows = {r["notice"]: r for r in log.report().rows}
    assert {n: rows[n]["status"] for n in rows} == {"n0": "played", "n1": "played", "stop0": "played"}, rows
    for n, play in zip(("n0", "n1", "stop0"), village + (stop,)):  # each at its own time
        assert datetime.fromisoformat(rows[n]["actual_start"]).timestamp() == pytest.approx(
            play.start.timestamp(), abs=0.01)
    assert rows["stop0"]["reason"] == "no GPS fix: played at its clock time"
    faults = [e.message for e in events if e.kind == "route"]
    assert faults == ["the GPS route code failed (RuntimeError: the receiver's driver fell over): route stops "
                      "play at their clock times until the player is restarted — please report it"], faults
    assert [f[2] for f in sink_files(out)] == ["n0", "stop0", "n1"]


# ---------------------------------------------------------------- a live player under fire
NEWS = "title: 通知\ntext: 请注意。\nrepeat: 1\nchime: false\nlead: false\nengine: espeak\n"
STOP = "title: 到站\ntext: 物资车到{{ place }}了。\nrepeat: 1\nchime: false\nlead: false\nengine: espeak\n"
VILLAGE_AT = [12, 18, 24, 30, 36]   # seconds after the schedule is written
STOPS_AT = [15, 27]


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, TZ).strftime("%H:%M:%S")


def _schedule(folder: Path, t0: float) -> Path:
    if datetime.fromtimestamp(t0, TZ).date() != datetime.fromtimestamp(t0 + 120, TZ).date():
        pytest.skip("too close to midnight for a same-day schedule")
    times = ", ".join(f'"{_clock(t0 + s)}"' for s in VILLAGE_AT)
    stops = ", ".join(f'{{at: "{_clock(t0 + s)}", place: {p}, lat: {lat}, lon: 108.77, radius: 60}}'
                      for s, p, lat in zip(STOPS_AT, ("东门", "西门"), (29.53, 29.54)))
    path = folder / "truck.yaml"
    path.write_text(f"""quiet_hours: []
channels:
  village: {{name: 大喇叭, sink: "file:onair"}}
  truck: {{name: 物资配送车, kind: truck, sink: "file:onair"}}
programs:
  - notice: news.yaml
    channel: village
    times: [{times}]
  - notice: stop.yaml
    channel: truck
    route: [{stops}]
""", encoding="utf-8")
    return path


def _rows(log: Path, table: str = "asrun") -> list[dict]:
    if not log.exists():
        return []
    db = sqlite3.connect(log)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY id")]
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


@pytest.mark.slow
def test_fuzz_a_live_player_keeps_every_clock_play_on_time_whatever_gpsd_sends(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    (tmp_path / "news.yaml").write_text(NEWS, encoding="utf-8")
    (tmp_path / "stop.yaml").write_text(STOP, encoding="utf-8")
    # render first, so that `run` starts in a moment; then the same notices at fresh times
    subprocess.run([sys.executable, "-m", "broadcaster", "plan", str(_schedule(tmp_path, time.time()))],
                   check=True, capture_output=True, env=env)
    log, out = tmp_path / "asrun.sqlite", tmp_path / "run.out"
    with FakeGpsd() as gpsd, open(out, "w") as printed:
        t0 = float(int(time.time()))  # the schedule's times are whole seconds
        player = subprocess.Popen([sys.executable, "-m", "broadcaster", "run", str(_schedule(tmp_path, t0)),
                                   "--log", str(log), "--gpsd", gpsd.address, "--gps-timeout", "3s",
                                   "--for", "120s"], cwd=tmp_path, env=env, stdout=printed,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            gpsd.wait_for_client()
            sent: list[bytes] = []
            hang_ups: list[int] = []
            examples: list[int] = []

            # about 25 s of hostile lines, paced so that they span the plays; the first
            # examples are the lines each of which broke the old player
            @settings(max_examples=220, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(st.lists(st.one_of(hostile_line, st.sampled_from(list(IMPOSSIBLE.values()) +
                                                                   list(MALFORMED.values()))), min_size=1, max_size=4))
            @example([IMPOSSIBLE["lat 1e400 (JSON reads it as infinity)"]])
            @example([IMPOSSIBLE["lat Infinity"], IMPOSSIBLE["lat NaN"]])
            @example([IMPOSSIBLE["unconverted NMEA ddmm.mmmm"]])
            @example([MALFORMED['mode "3d"'], MALFORMED["mode [3]"], IMPOSSIBLE["400-digit lat"]])
            @example([b"y" * 3_000_000])  # no newline: the next example's first line ends it
            def feed(sends: list[bytes]) -> None:
                examples.append(len(sends))
                if len(examples) % 50 == 0:  # every 5 s or so gpsd hangs up: the player connects again
                    gpsd.hang_up()
                    hang_ups.append(len(examples))
                for data in sends:
                    gpsd.send(data)
                    sent.append(data[:200])
                time.sleep(0.1)
                assert player.poll() is None, f"the player ended after {sends!r:.400}: {out.read_text()}"

            feed()
            # the reader is alive at the end: it reconnects to a gpsd that hangs up once more
            connected = gpsd.accepted
            gpsd.hang_up()
            gpsd.wait_for_client(connected + 1, timeout=15)
            wanted = len(VILLAGE_AT) + len(STOPS_AT)
            wait_until(lambda: len([r for r in _rows(log) if r["actual_end"]]) >= wanted or player.poll() is not None,
                       t0 + 90 - time.time(), "not every play was logged")
            assert player.poll() is None, out.read_text()
        finally:
            player.send_signal(signal.SIGTERM)
            code = player.wait(timeout=60)
    text = out.read_text()
    assert code == 0, text
    rows = _rows(log)
    news = [r for r in rows if r["notice"] == "news"]
    stops = [r for r in rows if r["notice"].startswith("stop-")]
    # on time: the player's own verdict `played` is a start within a second of the planned time
    assert [(r["status"], round(r["planned"] - t0)) for r in news] == [("played", s) for s in VILLAGE_AT], text
    assert [(r["status"], r["reason"], round(r["planned"] - t0)) for r in stops] == \
        [("played", "no GPS fix: played at its clock time", s) for s in STOPS_AT], text
    assert all(r["lat"] is None for r in rows), rows  # nothing hostile reached the log as a position
    events = [e["message"] for e in _rows(log, "events")]
    assert sum(m.startswith("gpsd sent a report that cannot be used (") for m in events) == 1, events
    assert not [m for m in events if "route code failed" in m], events
    # why: the count of unusable reports, or the connection when gpsd had just hung up
    assert any(m.startswith("no GPS fix for 3 s (") for m in events), events
    # a connection at the start, one after each hang-up, one after the last
    assert len(sent) > 200 and len(hang_ups) >= 3, (len(sent), hang_ups)
    assert gpsd.accepted >= len(hang_ups) + 2, (gpsd.accepted, hang_ups)
