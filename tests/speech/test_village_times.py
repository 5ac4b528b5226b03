"""Times said the way villagers say them: the part of the day and the 12-hour clock by default
(17:00 -> 下午五点), the 24-hour reading by a voice profile's or a notice's `clock: 24` (issue 23)."""
from __future__ import annotations

import json

import pytest
import yaml

from broadcaster.errors import BadInput
from broadcaster.speech.normalize import FORBIDDEN, normalize

from tests.helpers import ROOT, write

PUBLIC = ROOT.parent / "shared" / "tn_public.yaml"

# written -> said, by default (each on its own: the whole output must be exactly this)
VILLAGE = [
    ("17:00", "下午五点"),
    ("20:00", "晚上八点"),
    ("8:00-17:00", "早上八点到下午五点"),
    ("8:00-11:30", "上午八点到十一点半"),       # one part of the day: said once
    ("7:30-10:00", "上午七点半到十点"),         # 早上 and 上午 in one range: 上午 once
    ("12:30", "中午十二点半"),
    ("0:30", "凌晨十二点半"),
    ("0:00", "凌晨十二点"),
    ("24:00", "晚上十二点"),
    ("14:05", "下午两点零五分"),
    ("13:00-17:00", "下午一点到五点"),
    ("19:00-21:00", "晚上七点到九点"),
    ("22:00-6:00", "晚上十点到早上六点"),
    ("12:00-14:00", "中午十二点到下午两点"),
    ("下午3:00", "下午三点"),                   # written with its part of the day: never a second one
    ("下午15:00", "下午三点"),
    ("晚上8点", "晚上八点"),
    ("今晚20:00", "今晚八点"),
    ("下午2:30至5:00", "下午两点半至五点"),
    ("下午2:00-17:00", "下午两点到五点"),
    ("17点", "下午五点"),
    ("17时30分", "下午五点三十分"),
    ("8点到17点", "早上八点到下午五点"),
    ("8-17点", "早上八点到下午五点"),
    ("8-10点", "八到十点"),                     # 8点 may mean either clock: left as written
    ("2:30", "两点半"),                         # a village 2:30 often means the afternoon: no 凌晨
    ("5:00", "五点"),
    ("上午9点至下午5点", "上午九点至下午五点"),
    ("上午8.30", "上午八点半"),
]


@pytest.mark.parametrize("written,said", VILLAGE)
def test_times_are_said_with_the_part_of_the_day(written, said):
    assert normalize(written) == said


@pytest.mark.parametrize("written,said", [
    ("17:00", "十七点"), ("8:00-17:00", "八点到十七点"), ("0:30", "零点半"), ("24:00", "二十四点"),
    ("下午3:00", "下午三点"), ("截至11月2日24时", "截至十一月二日二十四时"), ("14:05", "十四点零五分"),
])
def test_the_24_hour_reading_by_setting(written, said):
    assert normalize(written, clock=24) == said


@pytest.mark.parametrize("text,said,never", [
    ("小区在上午（11:30前）开放", "上午（十一点半前）", "上午十一点半"),
    ("下午 3:00在村委会", "下午 三点", "下午 下午"),
    ("今天12:00停水", "今天中午十二点停水", None),
    ("10月28日0:00起封闭", "十月二十八日凌晨十二点起", None),
    ("接种时间：11月8日，上午8:30至11:30，下午2:30至5:00", "上午八点半至十一点半，下午两点半至五点", "下午下午"),
])
def test_a_part_of_the_day_already_written_is_not_said_twice(text, said, never):
    got = normalize(text)
    assert said in got
    assert never is None or never not in got
    assert not FORBIDDEN.search(got)


def test_invalid_times_are_still_refused_on_either_clock():
    for clock in (12, 24):
        for text in ("25:00", "17:60", "下午3点70分", "24:30"):
            with pytest.raises(BadInput):
                normalize(text, clock=clock)


@pytest.mark.skipif(not PUBLIC.exists(), reason="shared/tn_public.yaml is not beside this checkout")
def test_the_public_table_passes_on_the_village_clock():
    """shared/tn_public.yaml: its two time cases (7:30-10:00, 12:00) hold with the part of the day."""
    for case in yaml.safe_load(PUBLIC.read_text(encoding="utf-8")):
        got = normalize(case["in"])
        assert all(any(a in got for a in alts) for alts in case["need"]), (case["in"], got)


def test_the_boundaries_are_data():
    from broadcaster.speech.normalize import clock_data, period_of

    assert [p["word"] for p in clock_data()["periods"]] == ["凌晨", "早上", "上午", "中午", "下午", "晚上"]
    assert [period_of(h)[0] for h in (0, 4, 5, 8, 9, 11, 12, 13, 17, 18, 23, 24)] == [
        "凌晨", "凌晨", "早上", "早上", "上午", "上午", "中午", "下午", "下午", "晚上", "晚上", "晚上"]


# ---------------------------------------------------------------- the CLI, a notice, a voice profile
def test_normalize_shows_the_village_reading_and_the_24_hour_one(run):
    r = run("normalize", "开放时间8:00-17:00")
    assert r.code == 0 and r.out.strip() == "开放时间早上八点到下午五点"
    r = run("normalize", "--clock", "24", "开放时间8:00-17:00")
    assert r.code == 0 and r.out.strip() == "开放时间八点到十七点"
    r = run("normalize", "--json", "晚上20:00熄灯")
    assert json.loads(r.out)["text"] == "晚上八点熄灯"


def test_a_notice_may_ask_for_the_24_hour_reading(run, tmp_path):
    base = "title: 停水\nrepeat: 1\ntext: 明天8:00-17:00停水。\n"
    village = write(tmp_path / "a" / "water.yaml", "id: water\n" + base)
    station = write(tmp_path / "b" / "water.yaml", "id: water\nclock: 24\n" + base)
    assert run("check", village).code == 0 and run("check", station).code == 0
    from broadcaster.notice import load_notice
    from broadcaster.examine import prepare

    said = {name: prepare(load_notice(path)).transcript() for name, path in (("12", village), ("24", station))}
    assert "明天早上八点到下午五点停水" in said["12"]
    assert "明天八点到十七点停水" in said["24"]


@pytest.mark.parametrize("value", ["13", "\"24\"", "true", "二十四"])
def test_a_wrong_clock_setting_is_one_line_at_its_line(run, tmp_path, value):
    notice = write(tmp_path / "n.yaml", f"id: n\ntitle: t\nclock: {value}\ntext: 明天8:00停水。\n")
    r = run("check", notice)
    assert r.code == 2
    assert "n.yaml:3:" in r.err and "clock" in r.err and len(r.err.strip().splitlines()) == 1


def test_a_voice_profile_may_read_the_24_hour_clock(tmp_path):
    from broadcaster.speech.spoken import spoken_text
    from broadcaster.speech.voices import load_profile

    text = (ROOT / "voices" / "mandarin.yaml").read_text(encoding="utf-8")
    profile = load_profile(write(tmp_path / "station.yaml", text.replace("name: mandarin", "name: station")
                                 + "clock: 24\n"))
    assert profile.clock == 24
    assert spoken_text("17:00集合", profile).text == "十七点集合"
    bad = write(tmp_path / "bad.yaml", text + "clock: 25\n")
    with pytest.raises(BadInput) as info:
        load_profile(bad)
    assert info.value.line == text.count("\n") + 1


def test_the_zh_error_for_a_wrong_clock(run, tmp_path, monkeypatch):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    notice = write(tmp_path / "n.yaml", "id: n\ntitle: t\nclock: 13\ntext: 明天8:00停水。\n")
    r = run("check", notice)
    assert r.code == 2 and "clock: 24" in r.err and "十七点" in r.err
