"""render, villages batches, plan, profiles, export-card, say and disk errors speak Chinese to a zh_* user.

Each case runs the real command on a realistic or broken input under BROADCASTER_LANG=zh_CN and
checks the exit status, the Chinese words, the file:line, and that neither English prose nor
Python names are left; the same input under BROADCASTER_LANG=en gives the English line.
"""
from __future__ import annotations

import errno
import os
import re

import pytest

from conftest import write

ENGLISH_PROSE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;]+[A-Za-z]{2,}){3,}\b")  # four English words in a row
PYTHON_NAMES = re.compile(r"Error|None|Traceback|\bdict\b|\bstr\b")
IDS = re.compile(r"\b(?:loudspeaker|truck|loop-player|archive|espeak|mandarin|urgent)\b")  # typed as they are

NOTICE = "id: kaifang\ntitle: 核酸检测\ntext: 各位村民请注意，{{ village }}明天在{{ place }}做核酸检测。\nrepeat: 1\n" \
         "engine: espeak\n"
WATER = "id: water\ntitle: 停水通知\ntext: 各位村民请注意，明天上午停水。\nrepeat: 1\n"
HESUAN = "id: hesuan\ntitle: 核酸检测\ntext: 请到村委会做核酸。\nrepeat: 1\n"


def prose(text: str) -> list[str]:
    """English prose left in what a command printed, after removing `code`, --options and paths."""
    found = []
    for line in IDS.sub(" ", text).splitlines():
        line = re.sub(r"`[^`]*`|--?[\w-]+|\S+\.(?:yaml|mp3|wav|txt|json|csv)\b|\S*/\S*", " ", line)
        found += ENGLISH_PROSE.findall(line)
    return found


def chinese_only(text: str) -> None:
    assert not prose(text), f"English left: {prose(text)} in {text!r}"
    assert not PYTHON_NAMES.search(text), text


@pytest.fixture
def zh(monkeypatch):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")


def test_damaged_village_rows_are_named_in_chinese_with_their_csv_line(run, tmp_path, monkeypatch):
    notice = write(tmp_path / "n.yaml", NOTICE)
    villages = write(tmp_path / "v.csv", "village_id,village,place\n"
                                         "v1,宏福苑,北门广场\n"
                                         "v2,芙蓉里,\n"            # a blank cell
                                         "v3,黔江,卫生院,北门\n")  # an extra cell (a comma in a value)
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out", "-j", "1")
    assert r.code == 2, r.err
    rows = [line for line in r.err.splitlines() if line.startswith(f"{villages}:")]
    assert rows[0] == (f"{villages}:3: “place”列（第 3 列）的格子是空的 — 请填上值，或填 `-` 表示用通知里原有的值")
    assert rows[1].startswith(f"{villages}:4: 这一行有 4 个格子，但表头有 3 列 — ")
    # the plain progress lines (not a terminal) and the summary
    assert re.search(r"^3/3 个村庄（每秒 [\d.]+ 个）$", r.err, re.M), r.err
    assert re.match(r"新生成 1 个，没变 0 个，失败 2 个，用时 [\d.]+ 秒；\S+/manifest.json 里有清单", r.out), r.out
    chinese_only(r.out + r.err)
    assert (tmp_path / "out" / "v1" / "kaifang.mp3").is_file() and not (tmp_path / "out" / "v2").exists()

    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out", "-j", "1")
    assert r.code == 2
    assert f"{villages}:3: the cell in column 'place' (column 3) is empty" in r.err
    assert f"{villages}:4: this line has 4 cells but the header has 3 columns" in r.err
    assert r.out.startswith("0 rendered, 1 unchanged, 2 failed in ")


@pytest.mark.parametrize("rows, line, zh_text, en_text", [
    ("v" * 70 + ",甲,乙\n", 2, "村庄 id“vvvvvvvvvvvvvvvv…”有 70 个字符，太长了（最多 64 个） — 请用短一些的 id，例如 hongfuyuan",
     "is 70 characters long, too long (at most 64)"),
    ("v1,甲,乙\n村一,丙,丁\n", 3, "村庄 id“村一”只能用 a-z、0-9、- 和 _ — 例如 hongfuyuan",
     "village id '村一' may use only a-z, 0-9, - and _"),
    ("v1,甲,乙\nv1,丙,丁\n", 3, "村庄 id“v1”在第 2 行也用了 — 请给每个村庄一个不同的 id", "village id 'v1' is also on line 2"),
    ("", 2, "这个 CSV 里没有村庄 — 请在表头下面每个村庄写一行", "the CSV has no villages"),
], ids=["too-long-id", "chinese-id", "repeated-id", "no-rows"])
def test_a_bad_villages_file_is_one_chinese_line(run, tmp_path, monkeypatch, rows, line, zh_text, en_text):
    notice = write(tmp_path / "n.yaml", NOTICE)
    villages = write(tmp_path / "v.csv", "village_id,village,place\n" + rows)
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out")
    assert r.code == 2
    assert r.err.strip() == f"{villages}:{line}: {zh_text}"
    chinese_only(r.err)
    assert not (tmp_path / "out").exists()
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out")
    assert r.code == 2 and r.err.startswith(f"{villages}:{line}: ") and en_text in r.err


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


SCHEDULE = """\
timezone: Asia/Shanghai
quiet_hours: ["22:00-06:00"]
channels:
  village: {name: 大喇叭, sink: null}
programs:
  - notice: w.yaml
    channel: village
    times: ["08:00", "23:00"]
  - notice: h.yaml
    channel: village
    times: ["08:00"]
    priority: urgent
"""


def test_plan_gives_its_moves_and_drops_in_chinese(run, tmp_path, zh, monkeypatch):
    write(tmp_path / "w.yaml", WATER)
    write(tmp_path / "h.yaml", HESUAN)
    sched = write(tmp_path / "s.yaml", SCHEDULE)
    r = run("plan", sched, "--from", "2021-10-27", "--engine", "espeak")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    moved = next(line for line in lines if line.startswith("→"))
    assert re.search(r"停水通知  （推迟了 0 分 \d+ 秒：核酸检测（加急）占了 08:00:00-08:00:\d\d）$", moved), moved
    dropped = next(line for line in lines if line.startswith("✕"))
    assert "23:00:00" in dropped and dropped.endswith("（落在静音时段 22:00-06:00 里）")
    assert lines[-1] == "共 3 次播出：按时 1 次，挪后 1 次，取消 1 次"
    chinese_only(r.out)
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run("plan", sched, "--from", "2021-10-27", "--engine", "espeak")
    assert re.search(r"\(moved 0 min \d+ s later: 核酸检测 \(urgent\) holds 08:00:00-08:00:\d\d\)$", r.out, re.M)
    assert "(inside quiet hours 22:00-06:00)" in r.out
    assert r.out.splitlines()[-1] == "3 plays: 1 planned, 1 moved, 1 dropped"


def test_profiles_are_listed_in_chinese(run, zh, monkeypatch):
    r = run("profiles")
    assert r.code == 0
    assert re.search(r"^loudspeaker +-16 LUFS，峰值 ≤ -1 dBTP，mp3 22050 Hz 64k  \[chime, lead\]$", r.out, re.M), r.out
    assert re.search(r"^loop-player .*，不带标签  \[", r.out, re.M)
    chinese_only(r.out)
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run("profiles")
    assert "-16 LUFS, peak <= -1 dBTP, mp3 22050 Hz 64k" in r.out and ", no tags  [" in r.out


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


@pytest.mark.parametrize("code, zh_text, en_text", [
    (errno.ENOSPC, "没有剩余空间了 — 请清理出一些空间，或写到另一块磁盘", "no space left on"),
    (errno.EROFS, "无法写入 {file}：磁盘是只读的 — 请把它改为可写", "cannot write {file}: the disk is read-only"),
    (errno.EIO, "无法写入 {file}：磁盘读写出错（是不是坏了，或者被拔出了？）", "cannot write {file}: the disk could not be read or written"),
], ids=["full", "read-only", "failing"])
def test_disk_errors_are_one_chinese_line_naming_the_file(monkeypatch, tmp_path, code, zh_text, en_text):
    from broadcaster.fsutil import could_not_write

    target = tmp_path / "out" / "water.mp3"
    exc = OSError(code, os.strerror(code), str(target))
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    line = str(could_not_write(exc, target))
    assert zh_text.format(file=target) in line and str(target) in line
    chinese_only(line.replace(str(target), ""))
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    assert en_text.format(file=target) in str(could_not_write(exc, target))


def test_an_os_error_reaching_the_command_line_is_chinese(zh):
    from broadcaster.fsutil import os_error_line

    line = os_error_line(FileNotFoundError(errno.ENOENT, "No such file or directory", "村委会/通知.yaml"))
    assert line == "村委会/通知.yaml：没有这个文件或文件夹"
