"""Readings villagers would hear wrong (issue 23): 数一数, 要还回来, 曾家村, 单县, 得 meaning "must";
every engine says what the front end reads, and verify's reference reading is the front end's."""
from __future__ import annotations

import ctypes
import re

import pytest

from broadcaster.engine_specs import HOMOPHONES, PINYIN_WORDS
from broadcaster.speech.pinyin import mandarin_pinyin
from broadcaster.speech.pronounce import in_form

HAN = re.compile(r"[\u4e00-\u9fff]")

# (sentence, the character, its reading in that sentence: TONE3 before tone sandhi changes a 3rd tone)
READINGS = [
    ("请大家数一数自家的人数", 3, "shu3"),
    ("请大家数一数自家的人数", 5, "shu3"),
    ("请大家数一数自家的人数", 10, "shu4"),        # 人数 stays shù
    ("领票时数一下人数", 3, "shu3"),
    ("借的工具用完要还回来", 7, "huan2"),
    ("借的东西要还回来", 5, "huan2"),
    ("用完请及时还给村委会", 5, "huan2"),
    ("明天还要开会", 2, "hai2"),                  # before 要 it is still hái
    ("曾家村的村民请注意", 0, "zeng1"),
    ("曾家湾组明天停电", 0, "zeng1"),
    ("请曾书记到村委会", 1, "zeng1"),
    ("这里曾经是学校", 2, "ceng2"),
    ("山东单县的客车", 2, "shan4"),
    ("请核对名单", 4, "dan1"),
    ("老人得去村委会登记", 2, "dei3"),
    ("得赶紧转移到安置点", 0, "dei3"),
    ("每户得派一个人参加", 2, "dei3"),
    ("这事得抓紧办", 2, "dei3"),
    ("都得去", 1, "dei3"),
    ("不得去河边玩水", 1, "de2"),                 # 不得: must not, dé
    ("记得去领", 1, "de5"),
    ("得到通知后", 0, "de2"),
    ("难得去一趟县城", 1, "de2"),
]


@pytest.mark.parametrize("text,i,reading", READINGS, ids=[f"{t}@{i}" for t, i, _ in READINGS])
def test_the_front_end_reads_it_the_village_way(text, i, reading):
    from broadcaster.speech.pronounce import pinyin_for

    assert pinyin_for(text)[i] == reading  # citation reading (data/polyphones.yaml)
    assert mandarin_pinyin(text)[i].rstrip("12345") == reading.rstrip("12345")  # what the voices say


@pytest.mark.parametrize("text,word", [
    ("借的东西要还回来", "huan2"), ("曾家村的村民", "zeng1"), ("都得去", "dei3"), ("得赶紧转移", "dei3"),
    ("大家还得排队", "dei3"),
])
def test_espeak_is_given_the_reading_as_pinyin(text, word):
    assert word in in_form(text, PINYIN_WORDS)


@pytest.mark.parametrize("text,said", [
    ("借的东西要还回来", "借的东西要环回来"), ("曾家湾组", "增家湾组"), ("山东单县", "山东善县"),
    ("大家数一数", "大家属一属"), ("这里曾经是学校", "这里曾经是学校"), ("请核对名单", "请核对名单"),
])
def test_edge_is_given_a_homophone(text, said):
    assert in_form(text, HOMOPHONES) == said


def _espeak_phonemes(text: str) -> str:
    """eSpeak NG's own phonemes for `text` (its cmn voice), through the library render uses."""
    from broadcaster.engines.espeak import ENGINE
    from broadcaster.speech.voices import get_profile

    ENGINE.synthesize("好", get_profile("mandarin"))  # loads the library and selects the cmn voice
    lib = ENGINE._load()
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
    with ENGINE._lock:
        pointer = ctypes.pointer(ctypes.c_char_p(text.encode()))
        out = []
        while pointer.contents.value:
            out.append(lib.espeak_TextToPhonemes(pointer, 1, 0x02).decode())
    return " ".join(out)


@pytest.mark.parametrize("text,said,not_said", [
    ("借的东西要还回来", "uaɜn", "χˈaiɜ"),     # huán, not hái
    ("曾家村", "tsˈə5ŋ", "tshˈəɜŋ"),           # zēng, not céng
    ("都得去", "tˈei2", "tˈə1"),               # děi, not de
])
def test_espeak_says_the_front_ends_reading(text, said, not_said):
    """Measured on eSpeak itself: the text render gives it is phonemized the front end's way."""
    from broadcaster.speech.spoken import spoken_text
    from broadcaster.speech.voices import get_profile

    given = spoken_text(text, get_profile("mandarin"), engine="espeak").text
    phonemes = _espeak_phonemes(given)
    assert said in phonemes and not_said not in phonemes, (given, phonemes)
    assert not_said in _espeak_phonemes(text)  # eSpeak alone reads it the other way


# ---------------------------------------------------------------- verify hears with the same front end
def test_verify_reads_the_reference_with_the_voices_front_end():
    from broadcaster.verify import syllables

    for text in ("天冷了要及时添衣，着凉了就麻烦了。", "借的东西要还回来，曾家村的村民得去登记。", "大家数一数。"):
        front = [s.rstrip("12345") for c, s in zip(text, mandarin_pinyin(text)) if HAN.match(c)]
        assert syllables(text) == front
        assert syllables(text, tones=True) == [s for c, s in zip(text, mandarin_pinyin(text)) if HAN.match(c)]


def test_verify_does_not_flag_zhaoliang_the_voice_says_right():
    """添衣，着凉: verify cleaned the punctuation away before reading, so 衣着 made 着 zhuó, and a
    listener's 找凉 (zhǎo liáng, what the voice said) was flagged as a different syllable."""
    pytest.importorskip("rapidfuzz")
    from broadcaster.verify import score

    said = "天冷了请及时添衣，着凉了就麻烦了。"
    result = score(said, "天冷了请及时添衣找凉了就麻烦了")
    assert result.pinyin_edits == 0 and result.differences == ()
    assert result.char_edits == 1  # the character is still counted as written otherwise
    assert score("曾家村的村民请注意", "增家村的村民请注意").pinyin_edits == 0
    assert score("借的东西要还回来", "借的东西要环回来").pinyin_edits == 0
