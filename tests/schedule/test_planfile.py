"""plan.json has one writer and one reader (schedule/planfile.py), and a plan window groups its plays by day."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from broadcaster.errors import BadInput
from broadcaster.schedule import planfile
from broadcaster.schedule.load import Channel, Schedule
from broadcaster.schedule.model import Play
from broadcaster.schedule.window import PlanWindow

TZ = ZoneInfo("Asia/Shanghai")


def _schedule(tmp_path) -> Schedule:
    return Schedule(path=tmp_path / "s.yaml", quiet_hours=((23 * 3600, 5 * 3600), (12 * 3600 + 1800, 13 * 3600)),
                    channels={"village": Channel("village", "大喇叭", sink="null"),
                              "truck": Channel("truck", "宣传车", kind="truck", sink=["aplay", "-D", "plughw:1,0"])})


def _plays(tmp_path) -> list[Play]:
    start = datetime(2021, 10, 27, 7, 0, tzinfo=TZ)
    return [Play(start, start + timedelta(seconds=42.5), "village", "hesuan", str(tmp_path / "a.mp3"), "urgent",
                 title="第八轮全员核酸检测通知", slot="p0:village:x"),
            Play(start + timedelta(days=1, hours=16), start + timedelta(days=1, hours=16, seconds=30), "truck", "water",
                 str(tmp_path / "b.mp3"), status="moved", reason="让给紧急通知", slot="p1:truck:y"),
            Play(start + timedelta(days=1, hours=16), start + timedelta(days=1, hours=16, seconds=30), "village",
                 "water", str(tmp_path / "b.mp3"), status="dropped", reason="静音时段", slot="p1:village:y")]


def test_a_dumped_plan_loads_back_as_the_same_plays_channels_and_quiet_hours(tmp_path):
    schedule, plays = _schedule(tmp_path), _plays(tmp_path)
    path = tmp_path / "plan.json"
    path.write_text(planfile.dump(schedule, plays), encoding="utf-8")
    saved = planfile.load(path)
    assert list(saved.plays) == plays
    assert saved.timezone == "Asia/Shanghai" and saved.quiet_hours == schedule.quiet_hours
    assert saved.sinks == {"village": "null", "truck": ["aplay", "-D", "plughw:1,0"]}
    assert saved.names == {"village": "大喇叭", "truck": "宣传车"}
    assert "第八轮全员核酸检测通知" in path.read_text(encoding="utf-8")  # written as text, not \\u escapes


def test_the_sink_rule_is_the_callers_and_its_refusal_names_the_sink_line(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(planfile.dump(_schedule(tmp_path), _plays(tmp_path)), encoding="utf-8")

    def refuse_lists(spec):
        if isinstance(spec, list):
            raise BadInput("no lists here", "write a name")
        return spec

    with pytest.raises(BadInput) as caught:
        planfile.load(path, sink=refuse_lists)
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if '"sink": [' in text)
    assert caught.value.path == str(path) and caught.value.line == line


def test_a_window_groups_its_plays_by_local_day_and_draws_each(tmp_path):
    schedule, plays = _schedule(tmp_path), _plays(tmp_path)
    window = PlanWindow(schedule, date(2021, 10, 27), 3, {}, tuple(plays))
    days = window.by_day()
    assert [d.day for d in days] == [date(2021, 10, 27), date(2021, 10, 28)]  # the 29th has no plays
    assert [len(d.plays) for d in days] == [1, 2]
    svg = window.picture(days[1])
    assert svg.count('class="play ') == 2 and "宣传车" in svg and 'class="quiet"' in svg
    assert window.note() == ""
