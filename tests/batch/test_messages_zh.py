"""A villages batch speaks Chinese to a zh_* user: damaged rows and bad villages files, progress, summary.

Each case runs the real command on a realistic or broken input under BROADCASTER_LANG=zh_CN and
checks the exit status, the Chinese words, the file:line, and that neither English prose nor
Python names are left; the same input under BROADCASTER_LANG=en gives the English line.
"""
from __future__ import annotations

import re

import pytest

from tests.helpers import write
from tests.zhtext import chinese_only

NOTICE = "id: kaifang\ntitle: 核酸检测\ntext: 各位村民请注意，{{ village }}明天在{{ place }}做核酸检测。\nrepeat: 1\n" \
         "engine: espeak\n"


@pytest.mark.slow
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
