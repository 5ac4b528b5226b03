"""Spoken text and voices speak Chinese to a Chinese official, English otherwise: invalid times and dates,
unknown voices, a broken lexicon.yaml, the `voices` listing.

Each case runs the real CLI on a malformed or realistic input under BROADCASTER_LANG=zh_CN and
asserts the exit code, the Chinese message, the file:line, and that no English prose or Python
names are left; the same input under BROADCASTER_LANG=en gives the English message.
"""
from __future__ import annotations

import pytest

from tests.helpers import write
from tests.zhtext import _both, _clean


@pytest.mark.parametrize("text, zh_msg, en_msg", [
    ("今天25:00集合", "时间“25:00”不对 — 小时只能是 0 到 24，分钟只能是 00 到 59，比如 8:00 或 14:30",
     "invalid time '25:00' — hours go from 0 to 24"),
    ("2月30日打疫苗", "日期“2月30日”不对 — 2月只有 29 天；请核对日子",
     "invalid date '2月30日' — 2月 has 29 days; check the day"),
    ("13月1日", "日期“13月1日”不对 — 月份只能是 1 到 12", "invalid date '13月1日' — months go from 1 to 12"),
])
def test_normalize_refuses_invalid_times_and_dates_in_chinese(run, monkeypatch, text, zh_msg, en_msg):
    zh, en = _both(run, monkeypatch, "normalize", text)
    assert zh.code == en.code == 2 and zh.out == ""
    assert zh.err.strip() == zh_msg
    _clean(zh.err)
    assert en.err.startswith(en_msg)


def test_an_invalid_time_in_a_notice_points_at_its_variable(run, monkeypatch, tmp_path):
    """The Chinese message quotes the value with “”: the line of the var holding it is still found."""
    path = write(tmp_path / "n.yaml", "title: 核酸检测通知\ntemplate: nucleic-test\nvars:\n  village: 宏福苑社区\n"
                 "  date: 2021-10-27\n  start: \"8:00\"\n  end: \"25:00\"\n  place: 北门广场\n")
    zh, en = _both(run, monkeypatch, "check", path)
    assert zh.code == en.code == 2
    assert zh.err.startswith(f"{path}:7: 时间“25:00”不对（变量 end） — ")
    assert en.err.startswith(f"{path}:7: invalid time '25:00' (variable end) — ")


def test_an_unknown_voice_profile(run, monkeypatch, tmp_path):
    path = write(tmp_path / "n.yaml", "title: 通知\ntext: 各位村民请注意。\nvoice: hakka\n")
    zh, en = _both(run, monkeypatch, "check", path)
    assert zh.code == en.code == 2
    assert zh.err.startswith(f"{path}:3: 没有叫“hakka”的声音 — 请从这些里选一个：") and "mandarin" in zh.err
    _clean(zh.err)
    assert en.err.startswith(f"{path}:3: unknown voice 'hakka' — choose one of: ")
    zh, en = _both(run, monkeypatch, "normalize", "--voice", "hakka", "你好")
    assert zh.code == 2 and zh.err.startswith("没有叫“hakka”的声音")


@pytest.mark.parametrize("body, line, zh_msg, en_msg", [
    ("pronounce:\n  - {word: 曾家, pinyin: zeng1}\n", 2,
     "“曾家”有 2 个字，拼音却有 1 个音节 — 请每个字写一个音节，带声调数字，比如 jie1 zhong4",
     "'曾家' has 2 characters but 1 pinyin syllables"),
    ("pronounce:\n  - {word: 曾, pinyin: zeng}\n", 2, "“zeng”不是带声调数字的拼音 — 请写成 zhong4 这样（轻声写 5）",
     "'zeng' is not pinyin with a tone number"),
    ("voices:\n  sichuan_chongqing: [莫]\n", 2, "这里要一行一条“写的词: 读的词” — 比如 不要: 莫",
     "expected lines of written word: spoken word"),
    ("words:\n  不要:\n", 2, "“不要”后面要写上改读成什么词 — 请写成 不要: 新词", "'不要' needs the word to say instead"),
])
def test_a_broken_lexicon_yaml(run, monkeypatch, tmp_path, body, line, zh_msg, en_msg):
    lexicon = write(tmp_path / "lexicon.yaml", body)
    notice = write(tmp_path / "n.yaml", "title: t\ntext: 不要出门\n")
    zh, en = _both(run, monkeypatch, "check", notice)
    assert zh.code == en.code == 2
    assert zh.err.strip() == f"{lexicon}:{line}: {zh_msg}"
    _clean(zh.err)
    assert en.err.startswith(f"{lexicon}:{line}: {en_msg}")


def test_voices_listing_in_chinese(run, monkeypatch):
    zh, en = _both(run, monkeypatch, "voices")
    assert zh.code == en.code == 0
    assert zh.out.startswith("语音引擎：\n") and "\n声音：\n" in zh.out
    assert "用不了：现在是离线模式" in zh.out  # tests run with BROADCASTER_OFFLINE=1
    assert "（语速 0.85，21 个方言词，说话人 male）" in zh.out
    line = next(ln for ln in zh.out.splitlines() if "川渝" in ln and ln.strip().startswith("espeak"))
    assert line.endswith("川渝话：方言词，普通话声音（eSpeak 没有川渝话声音）；不带川渝口音：espeak 的声音不能加口音")
    _clean(zh.out)
    assert en.out.startswith("engines:\n") and "(rate 0.85, 21 dialect words, speaker male)" in en.out
    assert "川渝话: dialect words, Mandarin voice (eSpeak has no 川渝 voice)" in en.out
