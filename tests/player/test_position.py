"""GPS routes without gpsd: the visit logic, gpsd's TPV lines, the NMEA we feed gpsfake, stop positions in schedules."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest
from tests.gpstrack import nmea, Sample, sentence

from broadcaster.geo import distance_m, offset
from broadcaster.player.asrun import _SCHEMA, SCHEMA_VERSION, AsRunLog, Entry
from broadcaster.player.gpsd import parse_address, parse_tpv
from broadcaster.player.position import Circle, Fix, RouteSettings, Visits, gps_mode, visit_step

A = Circle(29.53, 108.77, 80.0)
S = RouteSettings(hysteresis=25.0, hold_off=120.0)


def fix_at(t: float, north: float, east: float = 0.0) -> Fix:
    lat, lon = offset(A.lat, A.lon, north, east)
    return Fix(at=t, lat=lat, lon=lon, speed=0.0)


def run(norths: list[float], step: float = 1.0) -> list[tuple[int, ...]]:
    state, out = Visits(), []
    for i, n in enumerate(norths):
        state, entered = visit_step((A,), state, fix_at(i * step, n), S)
        out.append(entered)
    return out


def test_distance_matches_a_known_length():
    # one minute of latitude is a nautical mile (1852 m) to within 0.5 %
    assert distance_m(29.0, 108.0, 29.0 + 1 / 60, 108.0) == pytest.approx(1852, rel=0.005)
    lat, lon = offset(29.53, 108.77, 300, -400)
    assert distance_m(29.53, 108.77, lat, lon) == pytest.approx(500, rel=0.002)


def test_entering_a_circle_is_one_visit():
    entered = run([300, 200, 100, 70, 10, 0, 0, 60])
    assert [i for i, e in enumerate(entered) if e] == [3]


def test_jitter_at_the_edge_does_not_repeat():
    # a truck parked at 80 m whose fixes wander 60..100 m: in and out of the radius, never past radius + 25 m
    entered = run([150, 79, 95, 70, 100, 78, 104, 66, 90, 80, 101])
    assert sum(bool(e) for e in entered) == 1


def test_leaving_and_coming_back_soon_is_the_same_visit_but_later_a_new_one():
    assert sum(bool(e) for e in run([0, 200, 0], step=60)) == 1      # back after 60 s: hold-off 120 s
    assert sum(bool(e) for e in run([0, 200, 0], step=200)) == 2     # back after 200 s: a new visit


def test_gps_mode_falls_back_to_the_clock_after_the_timeout():
    assert gps_mode(None, started=100, now=150, timeout=60)          # waiting for the first fix
    assert not gps_mode(None, started=100, now=161, timeout=60)
    f = Fix(at=200, lat=0, lon=0)
    assert gps_mode(f, started=100, now=259, timeout=60) and not gps_mode(f, 100, 261, 60)


def test_tpv_lines_from_gpsd():
    fix = parse_tpv('{"class":"TPV","device":"/dev/pts/3","mode":3,"time":"2024-05-01T07:00:07.000Z",'
                    '"lat":29.5307,"lon":108.77,"speed":10.289}', 5.0)
    assert fix == Fix(at=5.0, lat=29.5307, lon=108.77, speed=10.289, gps_time="2024-05-01T07:00:07.000Z")
    assert parse_tpv('{"class":"TPV","mode":1}', 5.0) is None         # no fix
    assert parse_tpv('{"class":"SKY","satellites":[]}', 5.0) is None
    assert parse_tpv('not json', 5.0) is None
    assert parse_address("10.0.0.2:3000") == ("10.0.0.2", 3000) and parse_address("") == ("127.0.0.1", 2947)


def test_nmea_checksums_are_the_xor_of_the_body():
    # a sentence from the NMEA 0183 standard's examples
    assert sentence("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,") == \
        "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
    text = nmea([Sample(29.5, 108.75, 10.0)], datetime(2024, 5, 1, 7, 0, tzinfo=timezone.utc))
    assert "2930.0000,N,10845.0000,E" in text


def test_an_old_log_gains_position_columns_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA)  # the version-1 tables, as an older broadcaster wrote them
    db.execute("INSERT INTO meta VALUES ('schema', '1')")
    db.execute("INSERT INTO asrun (slot, channel, notice, status, planned, planned_iso, logged) "
               "VALUES ('s1', 'village', 'old', 'played', 1635292800, '2021-10-27T08:00:00.000+08:00', 1)")
    db.commit()
    db.close()
    log = AsRunLog(path)
    rows = log.report().rows
    assert [(r["notice"], r["lat"], r["speed"]) for r in rows] == [("old", None, None)]
    log.append(Entry(slot="s2", channel="truck", notice="new", status="played", planned=1635292900,
                     actual_start=1635292900, actual_end=1635292905, lat=29.53, lon=108.77, speed=8.5))
    rows = AsRunLog(path).report().rows
    assert [(r["notice"], r["lat"], r["lon"], r["speed"]) for r in rows] == \
        [("old", None, None, None), ("new", 29.53, 108.77, 8.5)]
    assert sqlite3.connect(path).execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == str(SCHEMA_VERSION)


SCHED = """\
quiet_hours: []
channels:
  truck: {name: 物资配送车, kind: truck, sink: null}
programs:
  - route:
      - {at: "15:00", place: 1号楼, lat: 29.5300, lon: 108.7700, radius: 80}
      - {at: "15:20", place: 3号楼, %s}
    notice: stop.yaml
    channel: truck
"""


@pytest.mark.parametrize("second, message", [
    ("lat: 95.1, lon: 108.78, radius: 80", "latitude 95.1 is outside -90..90"),
    ("lat: 29.54, lon: 208.78, radius: 80", "longitude 208.78 is outside -180..180"),
    ("lat: 29.54, lon: 108.78, radius: 20", "radius 20 m is smaller than GPS accuracy (30 m)"),
    ("lat: 29.5305, lon: 108.7700, radius: 80", "overlaps the circle of '1号楼' (56 m apart, radii 80 m + 80 m)"),
    ("lat: 29.54, radius: 80", "has a position but no `lon:`"),
    ("lat: 二十九, lon: 108.78", "'二十九' is not a number"),
    ("radius: 80", "has a position but no `lat:`"),
])
def test_check_refuses_bad_positions_with_file_and_line(run, tmp_path, second, message):
    (tmp_path / "stop.yaml").write_text("title: 到站\ntext: 物资车到{{ place }}了。\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(SCHED % second, encoding="utf-8")
    r = run("check", str(tmp_path / "s.yaml"))
    assert r.code == 2, r.err
    assert "s.yaml:7: " in r.err and message in r.err, r.err


def test_check_accepts_a_route_with_positions(run, tmp_path):
    (tmp_path / "stop.yaml").write_text("title: 到站\ntext: 物资车到{{ place }}了。\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(SCHED % "lat: 29.5340, lon: 108.7700, radius: 80", encoding="utf-8")
    r = run("check", str(tmp_path / "s.yaml"))
    assert r.code == 0, r.err


def test_a_route_cannot_mix_stops_with_and_without_positions(run, tmp_path):
    (tmp_path / "stop.yaml").write_text("title: 到站\ntext: 物资车到{{ place }}了。\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(SCHED.replace(", %s", ""), encoding="utf-8")
    r = run("check", str(tmp_path / "s.yaml"))
    assert r.code == 2 and "s.yaml:7: stop '3号楼' has no position" in r.err, r.err


def test_route_svg_draws_circles_and_where_each_notice_played(run, tmp_path):
    import xml.etree.ElementTree as ET
    (tmp_path / "stop.yaml").write_text("id: stop\ntitle: 到站\ntext: 物资车到{{ place }}了。\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(SCHED % "lat: 29.5340, lon: 108.7700, radius: 80", encoding="utf-8")
    log = AsRunLog(tmp_path / "asrun.sqlite")
    for n, (lat, status) in enumerate([(29.5303, "played"), (29.5338, "late")], 1):
        log.append(Entry(slot=f"s{n}", channel="truck", notice=f"stop-stop0{n}", status=status, planned=1e9 + n,
                         actual_start=1e9 + n, actual_end=1e9 + n + 2, lat=lat, lon=108.7701, speed=4.0))
    log.append(Entry(slot="v", channel="village", notice="other", status="played", planned=1e9, actual_start=1e9,
                     actual_end=1e9 + 1, lat=30.0, lon=109.0))  # not this route's: not drawn
    r = run("route", str(tmp_path / "s.yaml"), "--svg", str(tmp_path / "map.svg"), "--log", str(tmp_path / "asrun.sqlite"))
    assert r.code == 0, r.err
    svg = ET.parse(tmp_path / "map.svg").getroot()
    ns = "{http://www.w3.org/2000/svg}"
    stops = [c for c in svg.iter(ns + "circle") if c.get("class") == "stop"]
    plays = [c for c in svg.iter(ns + "circle") if "stop-play" in (c.get("class") or "")]
    assert len(stops) == 2 and len(plays) == 2
    # each play is drawn inside its stop's circle (north is up)
    for stop, play in zip(stops, plays):
        d = ((float(stop.get("cx")) - float(play.get("cx"))) ** 2 + (float(stop.get("cy")) - float(play.get("cy"))) ** 2) ** .5
        assert d < float(stop.get("r"))
    assert float(stops[1].get("cy")) < float(stops[0].get("cy"))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_route_svg_without_positions_is_bad_input_and_writes_nothing(run, tmp_path):
    (tmp_path / "stop.yaml").write_text("title: 到站\ntext: 物资车到了。\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text("channels: {truck: {kind: truck}}\nprograms:\n"
                                     "  - {route: [{at: '15:00'}], notice: stop.yaml, channel: truck}\n",
                                     encoding="utf-8")
    r = run("route", str(tmp_path / "s.yaml"), "--svg", str(tmp_path / "map.svg"))
    assert r.code == 2 and "no route with positions" in r.err and not (tmp_path / "map.svg").exists()
