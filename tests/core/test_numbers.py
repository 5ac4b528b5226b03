"""Numbers that are not numbers: `.nan`, `.inf`, `1.0e+999` and hundreds of digits, wherever a file gives one.

YAML reads `.nan` and `.inf` as floats, and every range check lets NaN through (comparisons with
it are all false): a stop's `radius: .nan` passed `check`, and `.inf` then crashed `route --svg`.
Each case is a place where one of our files is read for a number; each must be refused with one
line, `path:line: what — how to fix`, exit 2, in English and in Chinese.
"""
from __future__ import annotations

import pytest

from tests.helpers import write
from tests.zhtext import _locale, _prose, _python

STOP = "title: 到站\ntext: 物资车到{{ place }}了。\n"
NOTICE = "title: 通知\ntext: 各位村民请注意。\n"


def route(stop: str) -> str:
    return ("quiet_hours: []\nchannels:\n  truck: {name: 物资配送车, kind: truck, sink: null}\nprograms:\n"
            f"  - route:\n      - {{at: '15:00', place: 东门, {stop}}}\n    notice: stop.yaml\n    channel: truck\n")


def clocked(extra: str = "", channel: str = "{name: 大喇叭}", rule: str = "times: ['07:00']") -> str:
    return (f"{extra}channels:\n  village: {channel}\nprograms:\n"
            f"  - notice: stop.yaml\n    channel: village\n    {rule}\n")


# name -> (files, the file checked, line, what the message says); * marks the ones the old code let
# through or crashed on (the others it refused, by luck of a range check, and must still refuse)
CASES = {
    "*radius .nan": ({"s.yaml": route("lat: 29.53, lon: 108.77, radius: .nan")}, "s.yaml", 6,
                     "'radius: .nan' is read as “not a number” (NaN), which no setting can use"),
    "*radius .inf, one stop": ({"s.yaml": route("lat: 29.53, lon: 108.77, radius: .inf")}, "s.yaml", 6,
                               "'radius: .inf' is read as infinity, which no setting can use"),
    "*radius 1.0e+999": ({"s.yaml": route("lat: 29.53, lon: 108.77, radius: 1.0e+999")}, "s.yaml", 6,
                         "'radius: 1.0e+999' is read as infinity"),
    "*radius of 400 digits": ({"s.yaml": route("lat: 29.53, lon: 108.77, radius: 1" + "0" * 400)}, "s.yaml", 6,
                              "'100000000000…' is far too big a number"),
    "lat .nan": ({"s.yaml": route("lat: .nan, lon: 108.77")}, "s.yaml", 6,
                 "'lat: .nan' is read as “not a number” (NaN)"),
    "lon -.inf": ({"s.yaml": route("lat: 29.53, lon: -.inf")}, "s.yaml", 6, "'lon: -.inf' is read as infinity"),
    "*a sink's device .nan": ({"s.yaml": clocked(channel="{name: 大喇叭, sink: [aplay, -D, .nan]}")}, "s.yaml", 2,
                              "'sink: .nan' is read as “not a number” (NaN)"),
    "*every of 25 digits": ({"s.yaml": clocked(rule="every: 9999999999999999999999999m\n    between: '08:00-09:00'")},
                            "s.yaml", 6, "'9999999999999999999999999m' is longer than a year"),
    "*max_delay of 22 digits": ({"s.yaml": clocked("max_delay: 9999999999999999999999h\n")}, "s.yaml", 1,
                                "'9999999999999999999999h' is longer than a year"),
    "gap .inf": ({"n.yaml": NOTICE + "gap: .inf\n"}, "n.yaml", 3, "'gap: .inf' is read as infinity"),
    "jingle gap .nan": ({"j.yaml": "kind: jingle\nform: 三句半\nlines: [一, 二, 三, 四]\ngap: .nan\n"},
                        "j.yaml", 4,
                        "'gap: .nan' is read as “not a number” (NaN)"),
    "repeat .nan": ({"n.yaml": NOTICE + "repeat: .nan\n"}, "n.yaml", 3, "'repeat: .nan' is read as “not a number”"),
    "*defaults.yaml repeat .inf": ({"n.yaml": NOTICE, "defaults.yaml": "repeat: .inf\n"}, "defaults.yaml", 1,
                                   "'repeat: .inf' is read as infinity"),
    "*defaults.yaml repeat as text": ({"n.yaml": NOTICE, "defaults.yaml": "repeat: '3'\n"}, "defaults.yaml", 1,
                                      "'repeat' has the wrong kind of value (text)"),
    "lexicon.yaml word .nan": ({"n.yaml": NOTICE, "lexicon.yaml": "words:\n  核酸: .nan\n"}, "lexicon.yaml", 2,
                               "'核酸: .nan' is read as “not a number” (NaN)"),
}


def _setup(tmp_path, files: dict) -> None:
    write(tmp_path / "stop.yaml", STOP)
    for name, text in files.items():
        write(tmp_path / name, text)


def _one_line(r, path, line: int) -> str:
    assert r.code == 2, (r.code, r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith(f"{path}:{line}: ") and " — " in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_check_refuses_a_number_that_is_none_at_its_line(run, tmp_path, case):
    files, checked, line, what = CASES[case]
    _setup(tmp_path, files)
    target = "s.yaml" if "s.yaml" in files else next(n for n in files if n not in ("defaults.yaml", "lexicon.yaml"))
    message = _one_line(run("check", tmp_path / target), tmp_path / checked, line)
    assert what in message, message


def test_the_fix_says_how_and_chinese_says_it_in_chinese(run, tmp_path, monkeypatch):
    _setup(tmp_path, {"s.yaml": route("lat: 29.53, lon: 108.77, radius: .inf")})
    message = _one_line(run("check", tmp_path / "s.yaml"), tmp_path / "s.yaml", 6)
    assert message.endswith("— write an ordinary number, e.g. 80 or 1.5 (text that looks like this goes in quotes)")
    _locale(monkeypatch, "zh_CN.UTF-8")
    message = _one_line(run("check", tmp_path / "s.yaml"), tmp_path / "s.yaml", 6)
    assert "“radius: .inf”会被读成“无穷大”，哪一项设置都不能用 — 写一个普通的数" in message, \
        message
    assert not _prose(message) and not _python(message, chinese=True), message


def test_route_svg_refuses_an_infinite_radius_and_writes_no_map(run, tmp_path):
    # the old code passed `check` (one stop, nothing to overlap) and then crashed drawing the map
    _setup(tmp_path, {"s.yaml": route("lat: 29.53, lon: 108.77, radius: .inf")})
    r = run("route", tmp_path / "s.yaml", "--svg", tmp_path / "map.svg")
    _one_line(r, tmp_path / "s.yaml", 6)
    assert not (tmp_path / "map.svg").exists()


def test_route_svg_leaves_out_a_logged_position_that_cannot_be_drawn(run, tmp_path):
    import xml.etree.ElementTree as ET

    from broadcaster.player.asrun import AsRunLog, Entry

    # an older player logged what gpsd said; an infinite latitude must not break the map
    write(tmp_path / "stop.yaml", "id: stop\n" + STOP)
    write(tmp_path / "s.yaml", route("lat: 29.53, lon: 108.77, radius: 80"))
    log = AsRunLog(tmp_path / "asrun.sqlite")
    for n, lat in enumerate([29.5301, float("inf"), 2931.746]):
        log.append(Entry(slot=f"s{n}", channel="truck", notice="stop-stop01", status="played", planned=1e9 + n,
                         actual_start=1e9 + n, actual_end=1e9 + n + 2, lat=lat, lon=108.77, speed=float("inf")))
    r = run("route", tmp_path / "s.yaml", "--svg", tmp_path / "map.svg", "--log", tmp_path / "asrun.sqlite")
    assert r.code == 0, r.err
    svg = ET.parse(tmp_path / "map.svg").getroot()
    dots = [c for c in svg.iter("{http://www.w3.org/2000/svg}circle") if "stop-play" in (c.get("class") or "")]
    assert len(dots) == 1 and "km/h" not in ET.tostring(dots[0], encoding="unicode")


@pytest.mark.parametrize("pauses", ["{comma: .nan}", "{comma: '250 ms'}", "{comma: 1.0e+999}"])
def test_a_voice_profile_with_a_pause_that_is_no_number_is_bad_input_at_its_line(tmp_path, pauses):
    from broadcaster.errors import BadInput
    from broadcaster.speech.voices import load_profile

    path = write(tmp_path / "mine.yaml", f"name: mine\nrate: 0.85\npauses: {pauses}\n")
    with pytest.raises(BadInput) as caught:
        load_profile(path)
    assert caught.value.line == 3, caught.value


@pytest.mark.parametrize("setting, line, what", [
    ("edge:\n  url: wss://tts.example.org/x\n  retries: .inf\n", 3,
     "edge retries is 'inf' — give a number from 0 to 10"),
    ("edge:\n  timeout: .nan\n", 2, "edge timeout is 'nan' — give a number from 1 to 600"),
    ("edge:\n  backoff: 1" + "0" * 400 + "\n", 2, "edge backoff is '1000"),
    ("cache:\n  max_mb: -.inf\n", 2, "cache max_mb is '-inf' — give a number from 0 to 1e+07"),
])
def test_config_yaml_refuses_numbers_that_are_none_at_their_line(tmp_path, monkeypatch, setting, line, what):
    import os
    from pathlib import Path

    from broadcaster.config import cache_settings, edge_settings
    from broadcaster.errors import BadInput

    path = write(Path(os.environ["XDG_CONFIG_HOME"]) / "broadcaster" / "config.yaml", setting)
    with pytest.raises(BadInput) as caught:
        (cache_settings if setting.startswith("cache") else edge_settings)()
    assert caught.value.path == str(path) and caught.value.line == line, caught.value
    assert what in str(caught.value), caught.value


@pytest.mark.parametrize("option", ["--for", "--gps-timeout"])
def test_a_duration_of_400_digits_is_no_duration(run, tmp_path, option):
    # it read as infinity (never time out, never stop); the options are read before the schedule,
    # which is left broken (a missing variable) so that nothing here can run for ever
    write(tmp_path / "s.yaml", clocked())
    write(tmp_path / "stop.yaml", STOP)
    r = run("run", tmp_path / "s.yaml", option, "1" + "0" * 400 + "s", "--log", tmp_path / "asrun.sqlite")
    assert r.code == 2 and f"{option} '1000" in r.err and "is not a duration" in r.err, r.err
