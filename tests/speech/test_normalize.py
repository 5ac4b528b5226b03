"""Text normalization: written notice text -> what the loudspeaker says; bad times and dates refused."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from broadcaster.errors import BadInput
from broadcaster.speech.normalize import FORBIDDEN, normalize, normalize_with_hits
from broadcaster.speech.spoken import spoken_text
from broadcaster.speech.voices import get_profile

from tests.helpers import ROOT, write

HERE = Path(__file__).resolve().parent
PUBLIC = ROOT.parent / "shared" / "tn_public.yaml"
CASES = yaml.safe_load((HERE / "data" / "normalize_cases.yaml").read_text(encoding="utf-8"))


def _judge(case: dict) -> list[str]:
    """What is wrong with normalizing one case (empty: accepted)."""
    got = normalize(case["in"])
    problems = []
    for alternatives in case["need"]:
        if not any(a in got for a in alternatives):
            problems.append(f"needs one of {alternatives}")
    for never in case.get("never", []):
        if never in got:
            problems.append(f"must not say {never}")
    if FORBIDDEN.search(got):
        problems.append(f"left {FORBIDDEN.findall(got)} for the engine")
    return [f"{case['in']} -> {got}: {p}" for p in problems]


def _public_cases() -> list[dict]:
    if not PUBLIC.exists():
        return []
    return yaml.safe_load(PUBLIC.read_text(encoding="utf-8"))


@pytest.mark.skipif(not PUBLIC.exists(), reason="shared/tn_public.yaml is not beside this checkout")
@pytest.mark.parametrize("case", _public_cases(), ids=lambda c: c["in"])
def test_public_conventions(case):
    assert _judge(case) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["in"][:24])
def test_case_table(case):
    assert _judge(case) == []


def test_case_table_is_large_and_covers_every_kind():
    assert len(CASES) >= 100
    rules = {h.rule for case in CASES for h in normalize_with_hits(case["in"])[1]}
    for kind in ("time", "date", "year", "phone", "number", "ordinal", "percent", "temperature", "plus",
                 "per", "unit", "code", "room", "decade", "currency", "fraction"):
        assert kind in rules, f"no case exercises the {kind} rule"


@pytest.mark.parametrize("text,value", [
    ("会议时间25:00", "25:00"), ("24:30开始", "24:30"), ("7:60集合", "7:60"),
    ("2月30日检测", "2月30日"), ("13月1日", "13月1日"), ("2023年2月29日", "2023年2月29日"),
    ("4月31日", "4月31日"), ("2022-02-30", "2022-02-30"), ("下午3点70分", "下午3点70分"),
    ("5月3日至32日", "5月3日至32日"), ("2022年13月", "2022年13月"),
])
def test_invalid_time_or_date_is_refused_naming_the_value(text, value):
    with pytest.raises(BadInput) as info:
        normalize(text)
    assert value in info.value.what
    assert info.value.exit_code == 2
    assert info.value.fix  # says how to fix it


@pytest.mark.parametrize("text,spoken", [("2024年2月29日", "二零二四年二月二十九日"), ("2月29日", "二月二十九日"),
                                         ("24:00", "晚上十二点"), ("0:00", "凌晨十二点")])
def test_edge_values_that_are_valid(text, spoken):
    assert normalize(text) == spoken


def test_no_digit_or_symbol_ever_survives():
    """Random mixes of digits, symbols and notice words: refused, or clean for the engine."""
    rnd = random.Random(20211027)
    parts = ["0", "1", "2", "3", "12", "25", "30", "2022", "13911112222", ":", "-", "/", "%", "℃", "+", "~",
             ".", "年", "月", "日", "号", "点", "下午", "第", "米", "元", "斤", "、", "，", "人", "楼", "N", "kg",
             "时", "分", "至", "−", " ", "°C", "万", "个", "１", "：", "，", "#"]
    refused = 0
    for _ in range(3000):
        text = "".join(rnd.choice(parts) for _ in range(rnd.randint(1, 9)))
        try:
            got = normalize(text)
        except BadInput:
            refused += 1
            continue
        assert not FORBIDDEN.search(got), (text, got)
    assert refused < 300  # refusing is for invalid values, not a way out of hard input


def test_rewrites_are_recorded_in_order():
    text, hits = normalize_with_hits("5月8号8:00-11:30，电话13911112222")
    assert [h.rule for h in hits] == ["phone", "date", "time"]
    assert hits[2].written == "8:00-11:30" and hits[2].spoken == "上午八点到十一点半"
    assert text == "五月八号上午八点到十一点半，电话幺三九幺幺幺幺二二二二"


def test_cantonese_reads_one_as_yat_not_yao():
    got = spoken_text("电话13911112222", get_profile("cantonese")).text
    assert "幺" not in got and "一三九一一一一" in got


# ---------------------------------------------------------------- CLI and render
def test_cli_prints_what_the_engine_gets(run):
    r = run("normalize", "核酸检测时间7:30-10:00，咨询电话13911112222")
    assert r.code == 0
    assert r.out.strip() == "核酸检测时间上午七点半到十点，咨询电话幺三九幺幺幺幺二二二二"


def test_cli_json_shows_steps_and_rewrites(run):
    r = run("normalize", "--json", "--voice", "sichuan_chongqing", "不要出门，体温37.3℃以上请报告")
    assert r.code == 0
    doc = json.loads(r.out)
    assert [s["step"] for s in doc["steps"]] == ["normalize", "lexicon"]
    assert doc["text"] == "莫出门，体温三十七点三摄氏度以上请报告"
    assert {"rule": "temperature", "written": "37.3℃", "spoken": "三十七点三摄氏度"} in doc["rewrites"]


@pytest.mark.parametrize("value", ["25:00", "2月30日"])
def test_cli_invalid_value_exit_2_one_line(run, value):
    r = run("normalize", f"请于{value}到村委会")
    assert r.code == 2
    assert value in r.err and len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err


def test_render_refuses_invalid_time_at_its_line_and_writes_nothing(run, tmp_path):
    notice = write(tmp_path / "n" / "hesuan.yaml",
                   "title: 核酸检测\nrepeat: 1\ntext: |\n  各位村民请注意，\n  今天25:00在村委会检测。\n")
    out = tmp_path / "out"
    r = run("render", notice, "-o", out, "--engine", "espeak")
    assert r.code == 2
    assert str(notice) in r.err and "25:00" in r.err
    line = int(r.err.split(str(notice) + ":")[1].split(":")[0])
    assert line == 3  # the `text:` key
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("var,bad", [("start", '"25:00"'), ("date", "2月30日")])
def test_check_points_at_the_var_holding_the_invalid_value(run, tmp_path, var, bad):
    body = {"village": "宏福苑社区", "round": "8", "date": "10月27日", "start": '"8:00"', "end": '"11:30"',
            "place": "北门广场", "bring": "身份证", "phone": '"13911112222"'}
    body[var] = bad
    lines = ["title: 核酸检测", "template: nucleic-test", "vars:"] + [f"  {k}: {v}" for k, v in body.items()]
    notice = write(tmp_path / "n.yaml", "\n".join(lines) + "\n")
    r = run("check", notice)
    assert r.code == 2
    expected = 4 + list(body).index(var)
    assert r.err.startswith(f"{notice}:{expected}: ") and bad.strip('"') in r.err


def test_engines_hear_long_digit_runs_in_groups_while_the_transcript_keeps_them_whole():
    voice = get_profile("mandarin")
    neutral = spoken_text("电话13911112222，身份证号110101199003071234", voice)
    assert "幺三九幺幺幺幺二二二二" in neutral.text
    for engine in ("espeak", "neural", "edge"):
        heard = spoken_text("电话13911112222，身份证号110101199003071234", voice, engine=engine).text
        assert "幺三九，幺幺幺幺，二二二二" in heard, engine
        assert "一一零一零一，一九九零零三零七，一二三四" in heard, engine
    from broadcaster.speech.spoken import engine_text
    assert engine_text(neutral.text, voice, "neural") == spoken_text(
        "电话13911112222，身份证号110101199003071234", voice, engine="neural").text
    assert "二零二一" in spoken_text("2021年", voice, engine="neural").text  # short runs stay whole
