"""Jingles speak Chinese to a Chinese official, English otherwise: the checker's lines, compose, the bank's
topics (and the notice templates beside them).

Each case runs the real CLI on a malformed or realistic input under BROADCASTER_LANG=zh_CN and
asserts the exit code, the Chinese message, the file:line, and that no English prose or Python
names are left; the same input under BROADCASTER_LANG=en gives the English message.
"""
from __future__ import annotations

import re

from tests.helpers import write
from tests.zhtext import _both, _clean

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


