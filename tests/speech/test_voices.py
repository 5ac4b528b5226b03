"""Dialect voice profiles: what each holds, what each makes the engine say, and honest stand-ins."""
from __future__ import annotations

import csv
import dataclasses
import json
import re

import pytest

from broadcaster.errors import BadInput
from broadcaster.notice import load_notice
from broadcaster.examine import prepare
from broadcaster.speech.spoken import spoken_text
from broadcaster.speech.voices import all_profiles, get_profile, load_profile

from tests.helpers import ROOT, write

REFERENCE = ROOT.parent / "shared" / "reference" / "dialect_lexicon.csv"
SHIPPED = ("mandarin", "sichuan_chongqing", "northeastern", "shaanxi", "cantonese")
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_the_five_profiles_ship():
    assert set(SHIPPED) <= set(all_profiles())
    assert get_profile(None).name == "mandarin"


@pytest.mark.parametrize("name", SHIPPED)
def test_profile_holds_everything_a_broadcast_needs(name):
    p = get_profile(name)
    assert HAN.search(p.display) and HAN.search(p.region) and HAN.search(p.lead)
    assert p.rate < 1.0  # slower than a newsreader for elderly listeners
    assert 100 <= p.pauses.comma < p.pauses.sentence < p.pauses.repeat_gap
    edge = p.engine_settings("edge")
    assert re.fullmatch(r"zh-(CN|HK)-[A-Za-z-]+Neural", edge["voice"])
    assert re.fullmatch(r"[+-]\d+%", edge["rate"]) and edge["rate"].startswith("-")
    assert re.fullmatch(r"[+-]\d+Hz", edge["pitch"]) and re.fullmatch(r"[+-]\d+%", edge["volume"])
    espeak = p.engine_settings("espeak")
    assert espeak["voice"] in ("cmn", "yue") and espeak["speed"] < 175 and "pitch" in espeak
    assert 1.0 < p.engine_settings("neural")["speed"] < 1.5  # a duration ratio: above 1 is slower
    if name != "mandarin":
        assert p.dialect and len(p.lexicon) >= 10
        for engine in p.engines:  # a dialect with a Mandarin stand-in says so (or is not used there)
            if p.accent_for(engine):  # an accent on a Mandarin voice, said as such
                assert p.honest(engine) == f"{p.accent.label} (Mandarin voice + local words)"
                continue
            assert p.honest(engine).startswith("not used: " if p.cannot_say(engine) else "dialect words, ")


@pytest.mark.parametrize("name,edge_voice", [("northeastern", "zh-CN-liaoning-XiaobeiNeural"),
                                             ("shaanxi", "zh-CN-shaanxi-XiaoniNeural"),
                                             ("cantonese", "zh-HK-HiuGaaiNeural")])
def test_dialect_edge_voices(name, edge_voice):
    assert get_profile(name).engine_settings("edge")["voice"] == edge_voice


@pytest.mark.parametrize("name", [n for n in SHIPPED if n != "mandarin"])
def test_every_lexicon_word_is_used_in_a_sentence(name):
    p = get_profile(name)
    for mandarin, dialect in p.lexicon:
        got = spoken_text(f"请注意，{mandarin}。", p).text
        assert dialect in got, (mandarin, got)


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference is not beside this checkout")
@pytest.mark.parametrize("name,ref", [("sichuan_chongqing", "sichuan_chongqing"), ("northeastern", "northeastern"),
                                      ("shaanxi", "shaanxi_guanzhong"), ("cantonese", "cantonese")])
def test_lexicon_agrees_with_the_checked_reference(name, ref):
    """Every word we ship is one the reference lists for that dialect (or its base word)."""
    with REFERENCE.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["dialect"] == ref]
    known = set()
    for r in rows:
        known.update(re.sub(r"[()（）]", "", f).strip() for f in r["dialect_form"].split("/"))
        known.update(f.split("(")[0] for f in r["dialect_form"].split("/"))
    for mandarin, dialect in get_profile(name).lexicon:
        if dialect == mandarin:
            continue
        assert dialect in known or any(k and k in dialect for k in known), (mandarin, dialect)


def test_voices_command_shows_stand_ins_honestly(run):
    r = run("voices")
    assert r.code == 0
    line = next(ln for ln in r.out.splitlines() if "川渝" in ln and ln.strip().startswith("espeak"))
    assert "川渝话: dialect words, Mandarin voice" in line
    assert re.search(r"edge\s+zh-CN-liaoning-XiaobeiNeural\s+东北话: dialect words, dialect voice", r.out)
    doc = json.loads(run("voices", "--json").out)
    heard = {v["name"]: v["heard"] for v in doc["voices"]}
    assert heard["sichuan_chongqing"]["edge"].startswith("dialect words, Mandarin voice")
    assert heard["cantonese"]["edge"] == "dialect words, dialect voice"


def test_normalize_cli_applies_dialects(run):
    r = run("normalize", "--voice", "sichuan_chongqing", "不要出门，不要紧，知道了吗？")
    assert r.out.strip() == "莫出门，不要紧，晓得了吗？"
    r = run("normalize", "--voice", "cantonese", "我们现在不要出门，没有事在家。")
    assert r.out.strip() == "我哋而家唔好出街，冇事喺屋企。"
    r = run("normalize", "--voice", "hakka", "你好")
    assert r.code == 2 and "unknown voice 'hakka'" in r.err


def test_notice_names_a_profile_and_a_folder_sets_the_default(tmp_path):
    folder = tmp_path / "cq"
    write(folder / "defaults.yaml", "voice: sichuan_chongqing\n")
    plain = write(folder / "a.yaml", "title: t\nlead: false\ntext: 不要出门。\n")
    named = write(folder / "b.yaml", "title: t\nlead: false\nvoice: shaanxi\ntext: 不要出门。\n")
    a, b = prepare(load_notice(plain)), prepare(load_notice(named))
    assert a.voice.name == "sichuan_chongqing" and "莫出门" in a.transcript()
    assert b.voice.name == "shaanxi" and "甭出门" in b.transcript()


def _seconds(text: str, profile) -> float:
    from broadcaster.engines.espeak import ENGINE
    return ENGINE.synthesize(text, profile).duration


@pytest.mark.slow
def test_profiles_speak_slower_than_newsreader_speed():
    """Measured: eSpeak with each profile's speed takes longer than at eSpeak's default 175 wpm."""
    text = "各位村民请注意，今天下午两点在村委会门口发放物资。"
    for name in SHIPPED:
        p = get_profile(name)
        fast = dataclasses.replace(p, engines={**p.engines, "espeak": {**p.engines["espeak"], "speed": 175}})
        assert _seconds(text, p) > 1.15 * _seconds(text, fast), name


@pytest.mark.slow
def test_cantonese_espeak_voice_speaks_written_cantonese():
    p = get_profile("cantonese")
    text = spoken_text("我们现在不要出门", p).text
    assert _seconds(text, p) > 1.0


def test_bad_profile_value_names_its_line(tmp_path):
    path = write(tmp_path / "x.yaml", "name: x\ndisplay: 测试\nrate: 3\n")
    with pytest.raises(BadInput) as info:
        load_profile(path)
    assert info.value.line == 3 and "rate" in info.value.what


@pytest.mark.slow
def test_render_a_dialect_notice_end_to_end(run, tmp_path):
    """The transcript is what eSpeak was given: dialect words and numbers as words; audio is real."""
    from tests.audiotools import decode, probe

    notice = write(tmp_path / "cq" / "hesuan.yaml",
                   "title: 核酸检测\nrepeat: 1\nvoice: sichuan_chongqing\n"
                   "text: 各位乡亲，10月27日8:00-11:30做核酸，不要乱跑，电话13911112222。\n")
    out = tmp_path / "out"
    r = run("render", notice, "-o", out, "--engine", "espeak", "--format", "wav")
    assert r.code == 0, r.err
    transcript = (out / "hesuan.txt").read_text(encoding="utf-8")
    assert "十月二十七日上午八点到十一点半" in transcript and "莫乱跑" in transcript
    assert "幺三九幺幺幺幺二二二二" in transcript
    assert not re.search(r"[0-9:\-/%℃+~]", transcript)
    wav = out / "hesuan.wav"
    assert probe(wav).duration > 5.0  # the digits are read one by one: a long sentence
    assert decode(wav).size > 0


@pytest.mark.slow
def test_rate_sets_the_speeds_a_profile_leaves_out(tmp_path):
    """A profile with only `rate` gets engine speeds from it; measured slower through eSpeak."""
    slow = load_profile(write(tmp_path / "slow.yaml", "name: slow\ndisplay: 慢\nrate: 0.7\n"
                              "engines: {espeak: {voice: cmn}, edge: {voice: zh-CN-XiaoxiaoNeural}, neural: {}}\n"))
    plain = dataclasses.replace(slow, rate=1.0)
    assert slow.engine_settings("edge")["rate"] == "-30%" and plain.engine_settings("edge")["rate"] == "+0%"
    assert slow.engine_settings("neural")["speed"] == round(1 / 0.7, 2)
    assert slow.engine_settings("espeak")["speed"] < plain.engine_settings("espeak")["speed"]
    text = "各位村民请注意，明天上午八点做核酸。"
    assert _seconds(text, slow) > 1.25 * _seconds(text, plain)


@pytest.mark.slow
def test_neural_speed_setting_slows_the_neural_voice():
    """Measured: the profiles' neural speed (a duration ratio) makes speech longer than 1.0."""
    from broadcaster.engines.base import get_engine
    from broadcaster.errors import EngineUnavailable

    try:
        engine = get_engine("neural")
        ok, why = engine.available()
    except EngineUnavailable as exc:
        ok, why = False, str(exc)
    if not ok:
        pytest.skip(f"neural engine not installed here: {why}")
    p = get_profile("mandarin")
    plain = dataclasses.replace(p, engines={**p.engines, "neural": {"speed": 1.0}})
    text = "各位村民请注意，明天上午八点做核酸。"
    assert engine.synthesize(text, p).duration > 1.08 * engine.synthesize(text, plain).duration
