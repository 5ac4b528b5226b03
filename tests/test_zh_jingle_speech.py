"""Jingles, spoken text, voices and the cache speak Chinese to a Chinese official, English otherwise.

Each case runs the real CLI on a malformed or realistic input under BROADCASTER_LANG=zh_CN and
asserts the exit code, the Chinese message, the file:line, and that no English prose or Python
names are left; the same input under BROADCASTER_LANG=en gives the English message.
"""
from __future__ import annotations

import re

import pytest

from conftest import write
from test_i18n import _prose

PYTHON_NAMES = re.compile(r"\b(?:\w*Error|None|Traceback|Exception|dict|str)\b")


def _clean(text: str) -> None:
    assert not _prose(text), f"English left: {_prose(text)} in\n{text}"
    assert not PYTHON_NAMES.search(text), text


def _both(run, monkeypatch, *args):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    zh = run(*args)
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    en = run(*args)
    return zh, en


QIYAN_LONG = ("kind: jingle\nform: 七言\nlines:\n  - 防疫知识要记牢\n  - 出门记得戴口罩\n"
              "  - 饭前便后勤洗手\n  - 病毒见了就绕道跑\n")


def test_a_line_of_the_wrong_length_names_the_line_in_chinese(run, monkeypatch, tmp_path):
    path = write(tmp_path / "j.yaml", QIYAN_LONG)
    zh, en = _both(run, monkeypatch, "check", path)
    assert zh.code == en.code == 2
    assert zh.err.strip() == (f"{path}:7: 顺口溜第 4 行“病毒见了就绕道跑”有 8 个字，七言每行要 7 个字"
                              " — 删掉 1 个字")
    _clean(zh.err)
    assert en.err.strip() == (f"{path}:7: jingle line 4 '病毒见了就绕道跑' has 8 characters, 七言 needs 7"
                              " — drop 1 character")


def test_a_problem_of_the_whole_jingle_is_not_worded_as_a_line(run, monkeypatch, tmp_path):
    """三句半 with 5 lines: the stanza count is the jingle's problem, not the 5th line's."""
    path = write(tmp_path / "s.yaml", "kind: jingle\nform: 三句半\nlines:\n  - 人多莫去凑热闹\n"
                 "  - 出门记得戴口罩\n  - 勤洗手来多消毒\n  - 要记到\n  - 防疫知识要记牢\n")
    zh, en = _both(run, monkeypatch, "check", path)
    assert zh.code == en.code == 2
    line = zh.err.strip()
    assert line.startswith(f"{path}:8: 顺口溜：三句半每段是三句加半句，这里却有 5 行 — ")
    assert "第 5 行" not in line and "4 的倍数" in line
    _clean(zh.err)
    assert en.err.startswith(f"{path}:8: jingle: 三句半 comes in stanzas of 3 lines and a half line, "
                             "but there are 5 lines — make the line count a multiple of 4")


def test_jingle_check_reports_a_jingle_that_does_not_rhyme_in_chinese(run, monkeypatch, tmp_path):
    path = write(tmp_path / "k.yaml", "kind: jingle\nform: 快板\nlines:\n  - 出门记得戴口罩\n"
                 "  - 饭前便后勤洗手\n")
    zh, en = _both(run, monkeypatch, "jingle", "check", path)
    assert zh.code == en.code == 1
    assert "体裁 快板，押韵要求 group，声音 mandarin" in zh.out
    assert re.search(r"罩（第 1 行） zhao4 ~ 手 shou3  遥条/由求  不押韵：遥条和由求不是一道辙", zh.out), zh.out
    assert "快板，1 对韵脚：1 对不押韵 — 不符合 --rhyme group" in zh.out
    _clean(zh.out)
    assert "NONE: 遥条 and 由求 are different groups" in en.out
    assert "快板, 1 rhyme pairs: 1 none — does NOT meet --rhyme group" in en.out


def test_a_dialect_voice_warns_in_chinese(run, monkeypatch, tmp_path):
    path = write(tmp_path / "j.yaml", "kind: jingle\nform: 快板\nlines:\n  - 出门记得戴口罩\n  - 病毒见了绕道跑\n")
    zh, en = _both(run, monkeypatch, "jingle", "check", path, "--voice", "cantonese")
    assert zh.code == en.code == 0
    assert "注意：声音“cantonese”用粤语读" in zh.out and "完全押韵：韵母相同（ao）" in zh.out
    _clean(zh.out)
    assert "warning: voice 'cantonese' reads Cantonese" in en.out


def test_compose_with_an_unknown_topic(run, monkeypatch, tmp_path):
    out = tmp_path / "j.yaml"
    zh, en = _both(run, monkeypatch, "jingle", "compose", "--form", "三三七", "--topics", "口罩,火星", "-o", out)
    assert zh.code == en.code == 2 and not out.exists()
    assert zh.err.startswith("顺口溜题库里没有“火星”这个话题 — 请从这些里选：") and "口罩、" in zh.err
    _clean(zh.err)
    assert en.err.startswith("unknown jingle topic '火星' — choose from: ")


def test_compose_writes_a_chinese_note_and_summary(run, monkeypatch, tmp_path):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    out = tmp_path / "j.yaml"
    r = run("jingle", "compose", "--form", "三三七", "--topics", "口罩", "-o", out)
    assert r.code == 0
    assert r.out.strip() == f"已写好 {out}：三三七，6 对韵脚：6 对完全押韵"
    head = out.read_text(encoding="utf-8").splitlines()[0]
    assert head.startswith("# 由 `broadcaster jingle compose` 编出（seed 0，话题 口罩，押韵 group）")
    _clean(r.out + head)
    assert run("jingle", "check", out).code == 0  # the composed file is a valid jingle


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


def test_templates_and_topics_listings(run, monkeypatch):
    zh, en = _both(run, monkeypatch, "templates")
    assert zh.code == en.code == 0
    assert "值班电话（可选）" in zh.out and "(optional)" not in zh.out
    assert "(optional)" in en.out and "（可选）" not in en.out
    _clean(zh.out)
    zh, en = _both(run, monkeypatch, "jingle", "topics")
    assert re.search(r"口罩\s+三三七开头\s+\d+\s+七字句\s+\d+\s+半句\s+\d+\s+（也可写：", zh.out), zh.out
    _clean(zh.out)
    assert re.search(r"口罩\s+三三七 openings\s+\d+\s+7-character lines\s+\d+\s+half lines\s+\d+\s+\(also: ", en.out)


def test_cache_commands_in_chinese(run, monkeypatch):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    info = run("cache", "info")
    assert info.code == 0 and info.out.startswith("语音缓存：") and "0 段语音，0.0 MB" in info.out
    assert "设置文件：" in info.out
    trim = run("cache", "trim", "--max-mb", "5")
    assert trim.out.strip() == "已删除 0 段语音（0.0 MB）；还剩 0.0 MB（上限 5 MB）"
    clear = run("cache", "clear")
    assert clear.out.startswith("已从 ") and clear.out.strip().endswith("删除 0 段语音")
    _clean(info.out + trim.out + clear.out)


def test_a_broken_settings_file(run, monkeypatch, tmp_path):
    from broadcaster.config import config_path

    write(config_path(), "cache:\n  max_mb: lots\n")
    zh, en = _both(run, monkeypatch, "cache", "trim")
    assert zh.code == en.code == 2
    assert zh.err.strip() == f"{config_path()}:2: cache max_mb 的值“lots”不对 — 请填 0 到 1e+07 之间的数"
    assert en.err.strip() == f"{config_path()}:2: cache max_mb is 'lots' — give a number from 0 to 1e+07"
