"""Schedules: the plan keeps its rules; malformed files get one line with file and line; exports parse."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from broadcaster.schedule.load import load_schedule
from broadcaster.schedule.plan import Media, needed_media, plan
from tests.audiotools import probe
from tests.helpers import EXAMPLES, write

DATA = Path(__file__).parent / "data"
NOTICES = EXAMPLES / "notices"


def schedule_file(tmp_path: Path, body: str) -> Path:
    for name in ("supplies", "hesuan-round8", "free-text", "rumours"):
        shutil.copy(NOTICES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return write(tmp_path / "s.yaml", body)


def planned(path: Path, durations: dict, start: date, days: int = 1):
    s = load_schedule(path)
    media = {k: Media(p.stem, p.stem, str(p), durations.get(p.stem, 60.0)) for k, p, _ in needed_media(s)}
    return s, plan(s, media, start, days)


CONFLICTS = """
quiet_hours: ["22:00-06:00", "12:30-14:30"]
max_delay: 10m
channels:
  village: {name: 大喇叭}
  truck: {name: 物资车, kind: truck}
programs:
  - notice: supplies.yaml
    channel: village
    every: 30m
    between: "08:00-11:00"
    dates: 2021-10-27..2021-10-28
  - notice: hesuan-round8.yaml
    channel: village
    times: ["08:59", "12:00", "12:29", "23:00"]
    priority: urgent
    dates: 2021-10-27..2021-10-28
  - notice: rumours.yaml
    channel: village
    times: ["23:30"]
    priority: emergency
    dates: [2021-10-27]
  - notice: rumours.yaml
    channel: village
    times: ["09:00"]
    priority: background
    weekdays: [wed]
  - notices: [free-text.yaml, rumours.yaml]
    channels: [truck]
    loop: true
    between: "09:00-09:20"
    until: 2021-10-27T23:59
  - notice: free-text.yaml
    channel: truck
    times: ["09:05"]
    priority: urgent
"""


def test_plan_keeps_every_rule(tmp_path):
    path = schedule_file(tmp_path, CONFLICTS)
    sched, plays = planned(path, {"supplies": 90, "hesuan-round8": 120, "rumours": 70, "free-text": 50},
                           date(2021, 10, 27), 3)
    aired = [p for p in plays if p.status != "dropped"]
    # never two plays at once on a channel
    for ch in ("village", "truck"):
        spans = sorted((p.start, p.end) for p in aired if p.channel == ch)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), ch
    # nothing but emergencies in quiet hours
    for p in aired:
        minute = p.start.hour * 60 + p.start.minute
        end_minute = minute + (p.end - p.start).total_seconds() / 60
        in_quiet = minute >= 22 * 60 or minute < 6 * 60 or (12 * 60 + 30 <= end_minute and minute < 14 * 60 + 30)
        assert not in_quiet or p.priority == "emergency", p
    assert any(p.priority == "emergency" and p.start.hour == 23 for p in aired)
    # every move and drop says why; a move is at most max_delay
    for p in plays:
        if p.status != "planned":
            assert p.reason
    # moved plays: later than their slot by at most 10 min (the slot keeps the planned time)
    for p in plays:
        if p.status == "moved":
            slot_time = datetime.fromisoformat(p.slot.split(":", 2)[2].rsplit(":", 1)[0])
            assert timedelta(0) < p.start - slot_time <= timedelta(minutes=10)
    # the higher priority keeps its time: 08:59 urgent stays, the 09:00 supplies moves after it
    urgent = [p for p in plays if p.notice == "hesuan-round8" and p.start.date() == date(2021, 10, 27)]
    assert urgent[0].start.strftime("%H:%M") == "08:59" and urgent[0].status == "planned"
    supplies_9 = next(p for p in plays if p.notice == "supplies" and "T09:00:00" in p.slot and "2021-10-27" in p.slot)
    assert supplies_9.status == "moved" and supplies_9.start == urgent[0].end
    # the 23:00 urgent is dropped for quiet hours; 12:29 overlaps the noon rest and is dropped
    reasons = {p.start.strftime("%H:%M"): p for p in plays if p.notice == "hesuan-round8" and p.status == "dropped"}
    assert "23:00" in reasons and "quiet hours" in reasons["23:00"].reason
    assert "12:29" in reasons
    # the 12:00 one does not touch the noon rest: exactly as written
    assert any(p.start.strftime("%H:%M:%S") == "12:00:00" and p.status == "planned" for p in urgent)
    # weekdays: the background item only on Wednesday 27th
    assert [p.start.date() for p in plays if p.priority == "background"] == [date(2021, 10, 27)]
    # dates are inclusive ranges: the 29th has no supplies
    assert {p.start.date() for p in plays if p.notice == "supplies"} == {date(2021, 10, 27), date(2021, 10, 28)}
    # the loop fills 09:00-09:20 and never runs past it; `until` ends it after the 27th
    loop = [p for p in aired if p.channel == "truck" and p.priority == "normal"]
    assert loop and all(p.end.strftime("%H:%M:%S") <= "09:20:00" for p in loop)
    assert {p.start.date() for p in loop} == {date(2021, 10, 27)}
    # the urgent truck item keeps 09:05; a loop item yields
    truck_urgent = [p for p in plays if p.channel == "truck" and p.priority == "urgent"]
    assert all(p.start.strftime("%H:%M:%S") == "09:05:00" and p.status == "planned" for p in truck_urgent)


def test_times_untouched_by_conflicts_come_out_exactly(tmp_path):
    path = schedule_file(tmp_path, """
channels: {village: {name: 大喇叭}}
programs:
  - notice: supplies.yaml
    channel: village
    dates: 2021-10-27..2021-10-29
    times: ["07:00", "12:00", "18:30:30"]
""")
    _, plays = planned(path, {}, date(2021, 10, 27), 3)
    assert [p.start.strftime("%d %H:%M:%S") for p in plays] == [
        f"{d} {t}" for d in (27, 28, 29) for t in ("07:00:00", "12:00:00", "18:30:30")]
    assert all(p.status == "planned" and p.start.utcoffset() == timedelta(hours=8) for p in plays)


def test_plan_is_deterministic(tmp_path):
    path = schedule_file(tmp_path, CONFLICTS)
    a = planned(path, {"supplies": 90}, date(2021, 10, 27), 2)[1]
    b = planned(path, {"supplies": 90}, date(2021, 10, 27), 2)[1]
    assert a == b


def test_cron_and_route_with_loop_between_stops(tmp_path):
    path = schedule_file(tmp_path, """
channels: {truck: {name: 物资车, kind: truck}, village: {name: 大喇叭}}
programs:
  - notice: rumours.yaml
    channel: village
    cron: "0 19 * * 6"
  - route: [{at: "09:00", place: 1号楼}, {at: "09:20", place: 3号楼}, {at: "09:45", place: 北门}]
    notice: free-text.yaml
    channel: truck
    dates: 2021-10-30
    between_stops: rumours.yaml
""")
    sched = load_schedule(path)
    keys = needed_media(sched)
    assert sorted(v["place"] for _, _, v in keys if v) == ["1号楼", "3号楼", "北门"]
    media = {k: Media(f"{p.stem}-{k[1]}" if k[1] is not None else p.stem, p.stem, str(p), 100.0)
             for k, p, _ in keys}
    plays = plan(sched, media, date(2021, 10, 30), 1)  # a Saturday
    assert [p.start.strftime("%H:%M") for p in plays if p.channel == "village"] == ["19:00"]
    stops = [p for p in plays if p.notice.startswith("free-text")]
    assert [p.start.strftime("%H:%M") for p in stops] == ["09:00", "09:20", "09:45"]
    fillers = [p for p in plays if p.channel == "truck" and p.notice == "rumours"]
    assert fillers and all(any(f.end <= s.start for s in stops if s.start > f.start) for f in fillers)


@pytest.mark.parametrize("name,needle,line", [
    ("unknown-key", "did you mean 'times'", 6), ("unknown-channel", "did you mean 'village'", 5),
    ("missing-notice", "not found", 4), ("quiet-overlap", "overlap", 1), ("empty-window", "empty", 7),
    ("bad-time", "25:00", 6), ("bad-cron", "cron", 6), ("no-rule", "exactly one of", 4),
    ("every-without-window", "window", 4), ("bad-date-range", "ends before", 6),
    ("bad-priority", "priority", 7), ("bad-timezone", "time zone", 1),
])
def test_malformed_schedules(run, name, needle, line):
    path = DATA / f"{name}.yaml"
    r = run("check", path)
    assert r.code == 2, r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.err
    assert lines[0].startswith(f"{path}:{line}: "), lines[0]
    assert needle in lines[0] and " — " in lines[0]
    p = run("plan", path, "--engine", "espeak")
    assert p.code == 2 and p.err.strip() == lines[0]


@pytest.mark.slow
def test_plan_cli_json_svg_and_exports(run, tmp_path):
    src = EXAMPLES / "schedules" / "village.yaml"
    audio = tmp_path / "audio"
    r = run("plan", src, "--from", "2021-10-27", "--days", "2", "--engine", "espeak", "--audio", audio, "--json",
            "--svg", tmp_path / "day.svg")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["timezone"] == "Asia/Shanghai" and set(doc["channels"]) == {"village", "truck"}
    for p in doc["plays"]:
        assert {"start", "end", "channel", "notice", "file", "priority", "status", "reason"} <= set(p)
        assert re.search(r"\+08:00$", p["start"]) and Path(p["file"]).is_file()
    day1 = [p for p in doc["plays"] if p["start"].startswith("2021-10-27")]
    svg = ET.parse(tmp_path / "day.svg").getroot()
    blocks = [e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if "play" in (e.get("class") or "")]
    assert len(blocks) == len(day1)
    assert any("quiet" == (e.get("class") or "") for e in svg.iter("{http://www.w3.org/2000/svg}rect"))

    def export(fmt):
        out = tmp_path / fmt
        if fmt == "card":
            out.mkdir()  # a card is a mounted folder that exists; export-card refuses a missing one
        r = run("export", src, "--from", "2021-10-27", "--days", "2", "--engine", "espeak", "--audio", audio,
                "--to", fmt, "-o", out)
        assert r.code == 0, r.err
        return out

    aired = [p for p in doc["plays"] if p["status"] != "dropped"]
    from icalendar import Calendar
    cal = Calendar.from_ical((export("ics") / "schedule.ics").read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(aired)
    assert events[0].decoded("dtstart").utcoffset() == timedelta(hours=8)

    from croniter import croniter
    cron_lines = [line for line in (export("crontab") / "broadcaster.crontab").read_text().splitlines()
                  if line and not line.startswith("#") and "=" not in line.split()[0]]
    assert len(cron_lines) == len(aired)
    for line in cron_lines:
        assert croniter.is_valid(" ".join(line.split()[:5])), line
        assert re.search(r" && /\S*broadcaster play /\S+ --channel ", line), line  # full paths: cron has no PATH

    timers = sorted((export("systemd")).glob("*.timer"))
    assert len(timers) == len(aired)
    specs = [re.search(r"^OnCalendar=(.+)$", t.read_text(), re.M).group(1) for t in timers[:5]]
    analyze = shutil.which("systemd-analyze")
    for spec in specs:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} Asia/Shanghai", spec)
        if analyze:
            assert subprocess.run([analyze, "calendar", spec], capture_output=True).returncode == 0

    playlists = sorted(export("m3u").glob("*.m3u"))
    assert {p.name for p in playlists} == {"village-2021-10-27.m3u", "village-2021-10-28.m3u",
                                           "truck-2021-10-27.m3u", "truck-2021-10-28.m3u"}
    entries = sum(p.read_text().count("#EXTINF:") for p in playlists)
    assert entries == len(aired)

    # card: a folder per channel and day whose numbered tracks follow that day's plays in order
    card = export("card")
    days: dict = {}
    for p in sorted(aired, key=lambda p: p["start"]):
        days.setdefault(f"{p['channel']}-{p['start'][:10]}", []).append(p)
    assert sorted(d.name for d in card.iterdir()) == sorted(days)
    for folder, day in days.items():
        tracks = sorted((card / folder).glob("*.mp3"))
        assert [t.name[:3] for t in tracks] == [f"{n:03d}" for n in range(1, len(day) + 1)]
        for track, play in zip(tracks, day):
            assert re.fullmatch(rf"\d{{3}}_{re.escape(Path(play['file']).stem)}(-\d+)?\.mp3", track.name), \
                (track.name, play["file"])
        assert abs(sum(probe(t).duration for t in tracks) - sum(
            (datetime.fromisoformat(p["end"]) - datetime.fromisoformat(p["start"])).total_seconds()
            for p in day)) < 2.0 * len(day)


@pytest.mark.slow
def test_player_plans_a_schedule_file(tmp_path):
    """`broadcaster run schedule.yaml` gets its plays from the planner (plan_source)."""
    from broadcaster.player.source import plan_source

    path = schedule_file(tmp_path, """
quiet_hours: ["03:00-03:01"]
channels: {village: {name: 大喇叭, sink: "file:played"}}
programs:
  - notice: free-text.yaml
    channel: village
    times: ["08:00", "16:00"]
""")
    (tmp_path / "free-text.yaml").write_text("id: t\ntext: 请注意。\nrepeat: 1\nengine: espeak\n", encoding="utf-8")
    now = datetime(2021, 10, 27, 10, 0, tzinfo=load_schedule(path).tz).timestamp()
    air = plan_source(path, now)
    assert air.sinks == {"village": "file:played"} and air.timezone == "Asia/Shanghai"
    assert len(air.plays) == 6  # yesterday, today, tomorrow: two each
    assert all(Path(p.file).is_file() for p in air.plays)
    assert air.quiet_hours == ((3 * 3600, 3 * 3600 + 60),)


@pytest.mark.slow
def test_a_schedule_that_would_flood_the_planner_is_refused_at_once(run, tmp_path):
    write(tmp_path / "n.yaml", "id: n\ntext: 各位村民请注意。\n")
    every_second = write(tmp_path / "s.yaml", 'channels:\n  v: {name: x}\nprograms:\n  - notice: n.yaml\n'
                         '    channel: v\n    every: 1s\n    between: "00:00-23:59"\n')
    r = run("check", every_second)
    assert r.code == 2 and "s.yaml:6:" in r.err and "too often" in r.err
    every_minute = write(tmp_path / "m.yaml", every_second.read_text().replace("every: 1s", "every: 1m"))
    r = run("plan", every_minute, "--from", "2021-10-27", "--days", "3660", "--engine", "espeak")
    assert r.code == 2 and "more than 1000000 plays" in r.err and r.out == ""
