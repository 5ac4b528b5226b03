"""Readings a pinyin-reading voice receives (polyphones, tone sandhi) and the honest dialect choice."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.helpers import EXAMPLES
from broadcaster.speech.lexicon import Pronunciation
from broadcaster.speech.pinyin import mandarin_pinyin
from broadcaster.speech.spoken import spoken_text
from broadcaster.speech.voices import get_profile

CASES = yaml.safe_load((Path(__file__).parent / "data" / "readings.yaml").read_text(encoding="utf-8"))
HAN = re.compile(r"[\u4e00-\u9fff]")
CANTONESE_NOTICE = EXAMPLES / "notices" / "supplies-cantonese.yaml"


def han_pinyin(text: str, fixes: tuple = ()) -> str:
    return " ".join(s for c, s in zip(text, mandarin_pinyin(text, fixes)) if HAN.match(c))


@pytest.mark.parametrize("case", CASES, ids=[c["text"] for c in CASES])
def test_the_engine_receives_the_right_reading(case):
    assert han_pinyin(case["text"]) == case["pinyin"]


def test_one_syllable_per_character_for_any_text():
    text = "WiFi密码：幺二三，不要外传！一共3个。"
    assert len(mandarin_pinyin(text)) == len(text)
    assert mandarin_pinyin(text)[:4] == list("WiFi")


def test_a_users_pinyin_is_said_as_written():
    """Sandhi never changes what the user fixed in lexicon.yaml (they heard it and chose)."""
    assert han_pinyin("一米线").startswith("yi4")
    fix = Pronunciation(word="一米", pinyin=("yi1", "mi3"))
    assert han_pinyin("一米线", (fix,)).startswith("yi1 mi3")


def test_the_neural_engine_gets_the_sandhi_tones():
    from broadcaster.engines import neural

    symbols = neural.phonemes("保持一米距离")
    assert neural.split_syllable("yi4")[1] in symbols
    assert neural.split_syllable("yi1")[1] not in symbols
    assert neural.split_syllable("bao2")[1] not in symbols  # 保持: 3 before 2, no change


def test_normalize_json_shows_the_pinyin_the_engine_receives(run):
    r = run("normalize", "--engine", "neural", "--json", "不要着凉，以通知为准")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["pinyin"][:2] == ["bu2", "yao4"] and "zhao2" in doc["pinyin"] and "wei2" in doc["pinyin"]


def test_latin_words_are_said_the_mandarin_way_but_not_for_cantonese():
    assert "诶屁屁" in spoken_text("下载APP", get_profile("mandarin")).text
    assert "APP" in spoken_text("下载APP", get_profile("cantonese")).text


def test_who_may_speak_a_profile():
    yue, cq = get_profile("cantonese"), get_profile("sichuan_chongqing")
    assert yue.cannot_say("neural") and not yue.cannot_say("espeak") and not yue.cannot_say("edge")
    assert (yue.spoken_as("espeak"), yue.engine_voice("espeak")) == ("dialect", "yue")
    assert yue.spoken_as("edge") == "dialect"
    # 川渝 words are Mandarin-readable: a Mandarin voice may read them, and says it is Mandarin
    assert not cq.cannot_say("neural") and cq.spoken_as("espeak") == "mandarin"
    assert get_profile("mandarin").spoken_as("neural") == "mandarin"


@pytest.mark.slow
def test_a_cantonese_notice_offline_is_spoken_by_a_cantonese_voice_and_says_so(run, tmp_path):
    out = tmp_path / "out"
    r = run("render", CANTONESE_NOTICE, "-o", out)  # auto, offline (tests set BROADCASTER_OFFLINE)
    assert r.code == 0, r.err
    line = next(l for l in r.out.splitlines() if l.startswith("furongli-supplies-yue."))
    assert " espeak " in line and "dialect voice yue" in line
    assert "neural skipped: its voice is Mandarin only" in line
    entry = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["notices"][0]
    assert (entry["engine"], entry["engine_voice"], entry["spoken_as"]) == ("espeak", "yue", "dialect")
    assert "Mandarin only" in entry["skipped"]["neural"]
    transcript = (out / entry["transcript"]).read_text(encoding="utf-8")
    assert "唔好" in transcript and "喺" in transcript  # the Cantonese text is what was spoken
    assert Path(out / entry["file"]).stat().st_size > 10_000


def test_a_cantonese_notice_is_refused_by_a_mandarin_only_engine(run, tmp_path):
    out = tmp_path / "out"
    r = run("render", CANTONESE_NOTICE, "-o", out, "--engine", "neural")
    assert r.code == 1
    assert "Mandarin only" in r.err and "粤语" in r.err
    assert not out.exists() or not list(out.glob("*.mp3"))
