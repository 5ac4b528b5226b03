"""render, say and export-card, and their options and output folders, speak Chinese to a zh_* user.

Each case runs the real command on a realistic or broken input under BROADCASTER_LANG=zh_CN and
checks the exit status, the Chinese words, the file:line, and that neither English prose nor
Python names are left; the same input under BROADCASTER_LANG=en gives the English line.
"""
from __future__ import annotations

import re

import pytest

from tests.helpers import write
from tests.zhtext import HESUAN, SCHEDULE, WATER, chinese_only


def test_an_output_folder_under_a_file_is_refused_in_chinese(run, tmp_path, zh, monkeypatch):
    notice = write(tmp_path / "w.yaml", WATER)
    blocker = write(tmp_path / "somefile", "not a folder")
    r = run("render", notice, "-o", tmp_path / "somefile" / "out", "--engine", "espeak")
    assert r.code == 2
    assert r.err.strip() == f"“{blocker}”是一个文件，不是文件夹 — 请换一个输出文件夹"
    chinese_only(r.err.replace(str(blocker), ""))
    assert blocker.read_text() == "not a folder"
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run("render", notice, "-o", tmp_path / "somefile" / "out", "--engine", "espeak")
    assert r.code == 2 and r.err.strip() == f"'{blocker}' is a file, not a folder — choose another output folder"


@pytest.mark.slow
def test_the_render_lines_and_summary_are_chinese(run, tmp_path, zh, monkeypatch):
    water, hesuan = write(tmp_path / "w.yaml", WATER), write(tmp_path / "h.yaml", HESUAN)
    out = tmp_path / "out"
    r = run("render", water, hesuan, "-o", out, "--engine", "espeak")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    water_line = next(line for line in lines if line.startswith("water.mp3"))
    assert re.match(r"water\.mp3 +[\d.]+ s +-?[\d.]+ LUFS +espeak +mandarin \(普通话语音 \S+\) +停水通知$", water_line)
    assert lines[-1] == f"已把 2 个节目写到 {out}/（manifest.json 里有清单）"
    chinese_only(r.out)
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run("render", water, "-o", out, "--engine", "espeak")
    assert r.out.splitlines()[-1] == f"wrote 1 program to {out}/ (manifest.json lists it)"


@pytest.mark.parametrize("args, zh_text, en_text", [
    (("render", "{w}", "-o", "{tmp}/out", "--profile", "loud"),
     "没有叫“loud”的输出方案 — 请用其中一个：loudspeaker, truck, loop-player, archive",
     "unknown output profile 'loud'"),
    (("render", "{w}", "-o", "{tmp}/out", "--profile", "archive", "--format", "mp3"),
     "--format mp3 不能和 --profile archive 一起用 — 请去掉 --format：archive 总是生成 wav",
     "--format mp3 does not go with --profile archive"),
    (("say", "  ", "-o", "{tmp}/x.mp3"), "没有要说的文字 — 请把要说的话写在引号里", "the text is empty"),
    (("say", "你好", "-o", "{tmp}/x.ogg"), "{tmp}/x.ogg: 不能生成“.ogg”文件 — 请把输出文件命名为 .mp3 或 .wav",
     "cannot write '.ogg' files"),
    (("export-card", "{tmp}/notes.txt", "-o", "{tmp}/card"),
     "{tmp}/notes.txt: 不能把“.txt”文件放到卡上 — 请给通知的 .yaml 文件或音频文件（.mp3、.wav 等）",
     "cannot put '.txt' files on a card"),
    (("export-card", "{tmp}/gone.mp3", "-o", "{tmp}/card"),
     "{tmp}/gone.mp3: 没有这个文件：{tmp}/gone.mp3 — 请检查路径（给文件夹就是用里面的通知）", "no such file:"),
    (("plan", "{tmp}/s.yaml", "--from", "2021-13-01"), "日期“2021-13-01”不对 — --from 请写成 2021-10-27 这样",
     "invalid date '2021-13-01'"),
], ids=["unknown-profile", "format-with-archive", "say-empty", "say-ogg", "card-txt", "card-missing", "plan-date"])
def test_bad_options_and_files_are_refused_in_chinese(run, tmp_path, monkeypatch, args, zh_text, en_text):
    w = write(tmp_path / "w.yaml", WATER)
    write(tmp_path / "h.yaml", HESUAN)
    write(tmp_path / "s.yaml", SCHEDULE)
    write(tmp_path / "notes.txt", "笔记")
    args = [a.format(w=w, tmp=tmp_path) for a in args]
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    r = run(*args)
    assert r.code == 2
    assert r.err.strip() == zh_text.format(tmp=tmp_path)
    chinese_only(r.err.replace(str(tmp_path), ""))
    assert not (tmp_path / "out").exists() and not (tmp_path / "card").exists() and not (tmp_path / "x.mp3").exists()
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run(*args)
    assert r.code == 2 and en_text in r.err


