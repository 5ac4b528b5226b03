"""Dialect words on word boundaries, users' lexicon.yaml, and pronunciation fixes per engine."""
from __future__ import annotations

import json

import pytest
from pypinyin import Style, lazy_pinyin

from broadcaster.examine import prepare
from broadcaster.notice import load_notice
from broadcaster.speech.lexicon import replace_words
from broadcaster.speech.pronounce import builtin, for_engine, pinyin_for
from broadcaster.speech.spoken import spoken_text
from broadcaster.speech.voices import get_profile

from tests.helpers import write


def _naive(text: str, pairs) -> str:
    for k, v in pairs:
        text = text.replace(k, v)
    return text


# (voice, written, must contain, must not contain): places where str.replace changes the meaning
BOUNDARY_CASES = [
    ("sichuan_chongqing", "这点小事不要紧，不要出门", "不要紧", "莫紧"),
    ("sichuan_chongqing", "别人家的事别去管", "别人", "莫人"),
    ("sichuan_chongqing", "特别是老人，别出门", "特别", "特莫"),
    ("sichuan_chongqing", "玩具要消毒，孩子不要玩", "玩具", "耍具"),
    ("sichuan_chongqing", "有区别吗", "区别", "区莫"),
    ("sichuan_chongqing", "我们不知道怎么回事", "晓得", "知道"),
    ("shaanxi", "特别是不要串门", "特别", "特甭"),
    ("shaanxi", "别墅区的住户", "别墅", "甭墅"),
    ("northeastern", "怎么办呢", "咋整", "咋办"),
    ("cantonese", "现在不要出门", "而家", "现喺"),
    ("cantonese", "目的是保护大家", "目的", "目嘅"),
    ("cantonese", "这是我们的村", "我哋嘅村", "我们"),
    ("cantonese", "不要紧的", "不要紧", "唔好紧"),
    ("cantonese", "存在问题要说", "存在", "存喺"),
]


@pytest.mark.parametrize("voice,text,keep,never", BOUNDARY_CASES, ids=lambda x: str(x)[:12])
def test_dialect_words_respect_word_boundaries(voice, text, keep, never):
    profile = get_profile(voice)
    got = spoken_text(text, profile).text
    assert keep in got, got
    assert never not in got, got


def test_the_boundary_cases_do_go_wrong_with_plain_replace():
    """The table above is a real test: a plain str.replace fails most of it."""
    failures = 0
    for voice, text, keep, never in BOUNDARY_CASES:
        naive = _naive(text, sorted(get_profile(voice).lexicon, key=lambda kv: -len(kv[0])))
        failures += keep not in naive or never in naive
    assert failures >= 10


def test_runs_of_whole_words_and_longest_first():
    assert replace_words("在家待着不要乱跑", {"在家待着": "在屋头待到", "不要": "莫"}) == "在屋头待到莫乱跑"
    assert replace_words("怎么办", {"怎么": "咋", "怎么办": "咋整"}) == "咋整"
    assert replace_words("没有关键词", {"不要": "莫"}) == "没有关键词"


def test_sichuan_and_cantonese_examples():
    assert spoken_text("不要出门，在家待着，知道了吗", get_profile("sichuan_chongqing")).text == "莫出门，在屋头待到，晓得了吗"
    assert spoken_text("我们现在不要出门", get_profile("cantonese")).text == "我哋而家唔好出街"


# ---------------------------------------------------------------- users' lexicon.yaml
def test_folder_lexicon_words_voices_and_pronunciations(tmp_path):
    folder = tmp_path / "village"
    write(folder / "lexicon.yaml", "words:\n  宏福苑: 宏福院\nvoices:\n  sichuan_chongqing:\n    核酸: 核酸嘛\n"
          "pronounce:\n  - {word: 曾家, pinyin: zeng1 jia1, say: 增家}\n")
    notice = write(folder / "n.yaml", "title: t\nrepeat: 1\nvoice: sichuan_chongqing\nlead: false\n"
                   "text: 宏福苑的村民不要出门，曾家村做核酸。\n")
    p = prepare(load_notice(notice))
    transcript = p.transcript()
    assert "宏福院" in transcript and "莫出门" in transcript and "核酸嘛" in transcript
    spoken = spoken_text("曾家村", p.voice, extra_pronunciations=_user_sounds(folder), engine="edge")
    assert spoken.text == "增家村"
    assert pinyin_for("曾家村", _user_sounds(folder))[:2] == ["zeng1", "jia1"]


def _user_sounds(folder):
    from broadcaster.speech.lexicon import load_user_lexicon
    return load_user_lexicon(folder / "lexicon.yaml").pronounce


@pytest.mark.parametrize("body,line,what", [
    ("words:\n  不要: 莫\nwrods: {}\n", 3, "unknown key 'wrods'"),
    ("pronounce:\n  - {word: 曾家, pinyin: zeng1}\n", 2, "2 characters but 1 pinyin"),
    ("pronounce:\n  - {word: 曾, pinyin: zeng}\n", 2, "not pinyin with a tone number"),
    ("voices:\n  sichuan_chongqing: [莫]\n", 2, "written word: spoken word"),
    ("voices:\n  sichuan: {不要: 莫}\n", 2, "unknown voice 'sichuan'"),
])
def test_bad_folder_lexicon_is_one_line_exit_2(run, tmp_path, body, line, what):
    lexicon = write(tmp_path / "lexicon.yaml", body)
    notice = write(tmp_path / "n.yaml", "title: t\ntext: 不要出门\n")
    r = run("check", notice)
    assert r.code == 2
    assert r.err.startswith(f"{lexicon}:{line}: ") and what in r.err
    assert len(r.err.strip().splitlines()) == 1


# ---------------------------------------------------------------- pronunciation
@pytest.mark.parametrize("text,index,reading", [
    ("已接种疫苗", 2, "zhong4"), ("真是不得了", 4, "liao3"), ("你得戴口罩", 1, "dei3"),
    ("长时间聚集", 0, "chang2"), ("还款请到银行", 0, "huan2"), ("大伙儿注意", 2, "er5"),
])
def test_pinyin_for_fixes_what_pypinyin_misreads(text, index, reading):
    raw = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, strict=True)
    assert raw[index] != reading  # pypinyin alone gets it wrong ...
    got = pinyin_for(text)
    assert got[index] == reading  # ... and our data file fixes it
    assert len(got) == len(text)


def test_pinyin_fixes_respect_word_boundaries():
    assert pinyin_for("你得到了吗")[1] == "de2"  # 你得 is not a word here: 得到 is
    assert pinyin_for("你得戴口罩")[1] == "dei3"


def test_pinyin_for_lines_up_with_any_text():
    text = "N九五口罩，第八轮！ok"
    got = pinyin_for(text)
    assert len(got) == len(text) and got[0] == "N" and got[5] == "，" and got[1] == "jiu3"


def test_every_builtin_fix_is_well_formed_and_unique():
    words = [p.word for p in builtin()]
    assert len(words) == len(set(words)) >= 30
    for p in builtin():
        assert len(p.pinyin) == len(p.word)
        assert not p.say or len(p.say) == len(p.word)


def test_edge_gets_homophones_espeak_gets_pinyin_neural_plain():
    text = "已接种的村民一会儿还钱"
    assert for_engine(text, "edge") == "已接众的村民一会儿环钱"
    assert for_engine(text, "espeak") == "已接种的村民 yi2hui4er5 huan2qian2"
    assert for_engine(text, "neural") == text
    assert for_engine(text, None) == text
    # the engine-neutral text (transcripts, `normalize` without --engine) carries no pinyin
    assert spoken_text(text, get_profile("mandarin")).text == text
    # Mandarin fixes are not forced on Cantonese
    assert "huan2" not in spoken_text(text, get_profile("cantonese"), engine="espeak").text


def _espeak(text: str):
    from broadcaster.engines.espeak import ENGINE
    return ENGINE.synthesize(text, get_profile("mandarin"))


def _pitch_change(text: str) -> float:
    """Median F0 over the last quarter minus the first quarter of the voiced frames, in Hz."""
    import numpy as np

    clip = _espeak(text)
    x = np.frombuffer(clip.pcm, dtype=np.int16).astype(float)
    sr = clip.sample_rate
    win, hop = int(0.04 * sr), int(0.01 * sr)
    lo, hi = int(sr / 400), int(sr / 70)
    floor = 0.05 * np.abs(x).max()
    track = []
    for i in range(0, len(x) - win, hop):
        frame = x[i:i + win] - x[i:i + win].mean()
        if np.sqrt((frame ** 2).mean()) < floor:
            continue
        ac = np.correlate(frame, frame, "full")[win - 1:]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[0] > 0 and ac[lag] / ac[0] > 0.5:
            track.append(sr / lag)
    assert len(track) >= 8, f"too little voiced sound in {text}"
    q = len(track) // 4
    return float(np.median(track[-q:]) - np.median(track[:q]))


@pytest.mark.slow
def test_espeak_reads_tone_numbered_pinyin_measured_from_pitch():
    """eSpeak's cmn voice reads zhong4 as the syllable with its tone: the F0 contour shows it."""
    assert _pitch_change("zhong4") < -5     # 4th tone falls ...
    assert _pitch_change("众") < -5         # ... as 众 (zhòng) does
    assert _pitch_change("zhong2") > 4      # 2nd tone rises
    assert abs(_pitch_change("zhong1")) < 4  # 1st tone stays level
    assert _pitch_change("huan2") > 4


@pytest.mark.slow
@pytest.mark.parametrize("word", ["大伙儿", "一会儿"])
def test_espeak_erhua_fix_measured(word):
    """eSpeak spells its own 大伙儿/一会儿 entries in English: about twice as long as the fix."""
    fixed = for_engine(word, "espeak")
    assert fixed != word
    assert _espeak(word).duration > 1.6 * _espeak(fixed).duration


@pytest.mark.parametrize("engine", ["espeak", "edge", "neural"])
@pytest.mark.parametrize("voice", ["mandarin", "sichuan_chongqing", "cantonese"])
def test_engine_text_from_neutral_equals_spoken_text_for_that_engine(engine, voice):
    from broadcaster.speech.spoken import engine_text

    profile = get_profile(voice)
    written = "大伙儿注意，已接种的村民不要出门，一会儿还钱，电话13911112222"
    neutral = spoken_text(written, profile).text
    assert engine_text(neutral, profile, engine) == spoken_text(written, profile, engine=engine).text


def test_normalize_cli_with_a_folder_lexicon(run, tmp_path):
    lexicon = write(tmp_path / "lexicon.yaml", "words: {宏福苑: 宏福院}\n"
                    "pronounce:\n  - {word: 曾家, pinyin: zeng1 jia1, say: 增家}\n")
    r = run("normalize", "--lexicon", lexicon, "--engine", "edge", "宏福苑曾家村的村民")
    assert r.code == 0 and r.out.strip() == "宏福院增家村的村民"
    r = run("normalize", "--lexicon", lexicon, "--engine", "neural", "--json", "曾家村")
    assert json.loads(r.out)["pinyin"][:2] == ["zeng1", "jia1"]
    r = run("normalize", "--lexicon", tmp_path / "missing.yaml", "你好")
    assert r.code == 2 and "missing.yaml" in r.err


@pytest.mark.slow
def test_neural_engine_speaks_the_users_pinyin(run, tmp_path):
    """lexicon.yaml's pinyin reaches the neural voice (it takes pinyin, not a rewritten text)."""
    from tests.audiotools import decode
    from broadcaster.engines.neural import phonemes
    from broadcaster.speech.lexicon import Pronunciation

    fix = (Pronunciation("解家", ("xie4", "jia1")),)  # the surname Xiè, read jiě without it
    assert phonemes("解家村的村民")[1:3] == ["j", "ie3"] and phonemes("解家村的村民", fix)[1:3] == ["x", "ie4"]
    notice = "id: n\ntext: 解家村的村民请注意。\nrepeat: 1\nengine: neural\nchime: false\n"
    write(tmp_path / "fixed" / "lexicon.yaml", "pronounce:\n  - {word: 解家, pinyin: xie4 jia1, say: 谢家}\n")
    for folder in ("fixed", "plain", "again"):
        write(tmp_path / folder / "n.yaml", notice)
        assert run("render", tmp_path / folder / "n.yaml", "-o", tmp_path / "out" / folder).code == 0
        if folder == "plain":  # the clip cache must not hand the plain reading to the fixed notice
            write(tmp_path / "again" / "lexicon.yaml", (tmp_path / "fixed" / "lexicon.yaml").read_text())
    fixed, plain, again = (decode(tmp_path / "out" / f / "n.mp3") for f in ("fixed", "plain", "again"))
    assert len(fixed) == len(again) and (fixed == again).all()
    n = min(len(fixed), len(plain))
    assert abs(len(fixed) - len(plain)) < 0.2 * n and not (fixed[:n] == plain[:n]).all()
