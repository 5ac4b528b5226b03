"""County scale: one notice per CSV row, in parallel processes, incremental and resumable."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.audiotools import probe
from tests.helpers import ROOT, write

NOTICE = "id: kaifang\ntitle: 核酸检测\ntext: 各位村民请注意，{{ village }}明天在{{ place }}做核酸检测。\nrepeat: 1\nengine: espeak\n"
ROWS = [("v1", "宏福苑", "北门广场"), ("v2", "芙蓉里", "西区北门"), ("v3", "黔江", "卫生院"),
        ("v4", "丽湾", "服务中心")]


def csv_text(rows=ROWS) -> str:
    return "village_id,village,place\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)


@pytest.mark.slow
def test_each_village_gets_its_own_program(run, tmp_path):
    notice = write(tmp_path / "n.yaml", NOTICE)
    villages = write(tmp_path / "v.csv", csv_text())
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out", "-j", "2", "--quiet")
    assert r.code == 0, r.err
    for vid, name, place in ROWS:
        audio = tmp_path / "out" / vid / "kaifang.mp3"
        assert probe(audio).duration > 2
        assert place in (tmp_path / "out" / vid / "kaifang.txt").read_text(encoding="utf-8")
        assert json.loads((tmp_path / "out" / vid / "manifest.json").read_text())["notices"][0]["id"] == "kaifang"
    overall = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [e["village"] for e in overall["villages"]] == [v for v, _, _ in ROWS]


@pytest.mark.slow
def test_gbk_csv_from_excel(run, tmp_path):
    notice = write(tmp_path / "n.yaml", NOTICE)
    villages = write(tmp_path / "v.csv", csv_text(ROWS[:2]), "gbk")
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out", "-j", "1", "--quiet")
    assert r.code == 0, r.err
    assert "西区北门" in (tmp_path / "out" / "v2" / "kaifang.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_bad_row_is_reported_with_its_line_and_the_rest_render(run, tmp_path):
    notice = write(tmp_path / "n.yaml", NOTICE)
    villages = write(tmp_path / "v.csv", csv_text([ROWS[0], ("v2", "芙蓉里", "-"), ROWS[2]]))
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out", "-j", "2", "--quiet")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{villages}:3: missing variable 'place'"), r.err
    assert (tmp_path / "out" / "v1" / "kaifang.mp3").is_file() and (tmp_path / "out" / "v3" / "kaifang.mp3").is_file()
    assert not (tmp_path / "out" / "v2").exists()


@pytest.mark.slow
def test_unchanged_rows_are_not_rendered_again(run, tmp_path):
    notice = write(tmp_path / "n.yaml", NOTICE)
    villages = write(tmp_path / "v.csv", csv_text())
    out = tmp_path / "out"
    assert run("render", notice, "--villages", villages, "-o", out, "-j", "2", "--quiet").code == 0
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert out / "manifest.json" in mtimes
    r = run("render", notice, "--villages", villages, "-o", out, "-j", "2", "--quiet")
    assert r.code == 0 and r.out.startswith("0 rendered, 4 unchanged")
    assert mtimes == {p: p.stat().st_mtime_ns for p in mtimes}
    # one changed row is the only one rendered again
    rows = list(ROWS)
    rows[1] = ("v2", "芙蓉里", "东门")
    write(tmp_path / "v.csv", csv_text(rows))
    r = run("render", notice, "--villages", villages, "-o", out, "-j", "2", "--quiet")
    assert r.out.startswith("1 rendered, 3 unchanged"), r.out
    assert "东门" in (out / "v2" / "kaifang.txt").read_text(encoding="utf-8")


def test_csv_mistakes_are_one_line(run, tmp_path):
    notice = write(tmp_path / "n.yaml", NOTICE)
    no_id = write(tmp_path / "a.csv", "village,place\n宏福苑,北门\n")
    dup = write(tmp_path / "b.csv", "village_id,village,place\nv1,甲,乙\nv1,丙,丁\n")
    bad = write(tmp_path / "c.csv", "village_id,village,place\n宏福苑,甲,乙\n")
    for path, line, needle in ((no_id, 1, "no village_id"), (dup, 3, "also on line 2"), (bad, 2, "may use only")):
        r = run("render", notice, "--villages", path, "-o", tmp_path / "out")
        assert r.code == 2 and r.err.strip().startswith(f"{path}:{line}: ") and needle in r.err, r.err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_killed_batch_resumes_and_every_file_decodes(tmp_path):
    from tests.audiotools import FFMPEG
    notice = write(tmp_path / "n.yaml", NOTICE)
    rows = [(f"v{i:02d}", f"村{i}", f"{i}号楼") for i in range(12)]
    villages = write(tmp_path / "v.csv", csv_text(rows))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "broadcaster", "render", str(notice), "--villages", str(villages), "-o", str(out),
           "-j", "2", "--quiet"]
    env = {**os.environ, "BROADCASTER_OFFLINE": "1"}
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    # killed once the first village's file is there (not after a fixed time: a busy machine may not
    # have started by then), so the kill lands in the middle of the batch
    deadline = time.monotonic() + 120
    while not list(out.glob("*/kaifang.mp3")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 1 <= len(list(out.glob("*/kaifang.mp3"))) < len(rows), "killed in the middle of the batch"
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for vid, _, _ in rows:
        mp3 = out / vid / "kaifang.mp3"
        check = subprocess.run([FFMPEG, "-v", "error", "-xerror", "-i", str(mp3), "-f", "null", "-"],
                               capture_output=True, text=True)
        assert check.returncode == 0 and not check.stderr, (mp3, check.stderr)


@pytest.mark.slow
def test_files_beside_the_notice_are_inputs_too(run, tmp_path):
    # a changed lexicon.yaml or template must reach the air, not be skipped as "unchanged"
    notice = write(tmp_path / "n" / "n.yaml", NOTICE)
    villages = write(tmp_path / "v.csv", csv_text(ROWS[:1]))
    out = tmp_path / "out"
    assert run("render", notice, "--villages", villages, "-o", out, "-j", "1", "--quiet").code == 0
    write(tmp_path / "n" / "lexicon.yaml", "words:\n  北门广场: 北大门广场\n")
    r = run("render", notice, "--villages", villages, "-o", out, "-j", "1", "--quiet")
    assert r.out.startswith("1 rendered, 0 unchanged"), r.out
    assert "北大门广场" in (out / "v1" / "kaifang.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_blank_cell_is_refused_with_its_line_and_column(run, tmp_path):
    # a blank cell used to take the notice's own value: another village's phone number went on air
    notice = write(tmp_path / "n.yaml", NOTICE.replace("repeat: 1", "repeat: 1\nvars: {place: 村委会}"))
    villages = write(tmp_path / "v.csv", csv_text([ROWS[0], ("v2", "芙蓉里", ""), ("v3", "黔江", "-")]))
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out", "-j", "1", "--quiet")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{villages}:3: ") and "'place'" in lines[0], r.err
    assert "column 3" in lines[0] and "-" in lines[0]
    assert r.out.startswith("2 rendered, 0 unchanged, 1 failed"), r.out
    assert not (tmp_path / "out" / "v2").exists()
    # `-` is the way to say "the notice's own value"
    assert "村委会" in (tmp_path / "out" / "v3" / "kaifang.txt").read_text(encoding="utf-8")


def test_the_example_villages_csv_renders_no_blank_refusals():
    from broadcaster.batch import read_villages
    from tests.helpers import EXAMPLES
    rows = read_villages(EXAMPLES / "villages.csv")
    assert rows and not [r.refused for r in rows if r.refused]


@pytest.mark.slow
@pytest.mark.parametrize("body, line, needles", [
    ("v1,甲,北门,多出来的\n", 2, ("4 cells", "3 columns")),
    ("v1,甲,北门\nv2,乙\n", 3, ("2 cells", "3 columns")),
    ("v1,甲,北\x00门\n", 2, ("'place'", "column 3", "control character")),
    ('v1,"甲\n乙",北门\n', 2, ("'village'", "column 2", "control character")),
    ("v1,甲\x07,北门\n", 2, ("'village'", "column 2", "control character")),
])
def test_bad_cells_are_refused_per_row(run, tmp_path, body, line, needles):
    notice = write(tmp_path / "n.yaml", NOTICE)
    villages = write(tmp_path / "v.csv", "village_id,village,place\n" + body + "v9,丙,南门\n")
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out", "-j", "1", "--quiet")
    assert r.code == 2, r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{villages}:{line}: "), r.err
    assert all(n in lines[0] for n in needles), r.err
    assert "internal error" not in r.err
    assert (tmp_path / "out" / "v9" / "kaifang.mp3").is_file()


def test_a_very_long_village_id_is_bad_input(run, tmp_path):
    notice = write(tmp_path / "n.yaml", NOTICE)
    villages = write(tmp_path / "v.csv", "village_id,village,place\n" + "v" * 300 + ",甲,北门\n")
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out", "-j", "1", "--quiet")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{villages}:2: ") and "too long" in lines[0], r.err
    assert "64" in lines[0] and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_leftover_temporary_files_in_village_folders_are_removed(run, tmp_path):
    notice = write(tmp_path / "n.yaml", NOTICE)
    villages = write(tmp_path / "v.csv", csv_text(ROWS[:2]))
    out = tmp_path / "out"
    assert run("render", notice, "--villages", villages, "-o", out, "-j", "1", "--quiet").code == 0
    stale = [out / "v1" / ".kaifang.mp3.ab12cd34.tmp", out / ".manifest.json.zz99yy88.tmp"]
    for p in stale:
        p.write_bytes(b"half")
        os.utime(p, (time.time() - 60, time.time() - 60))
    r = run("render", notice, "--villages", villages, "-o", out, "-j", "1", "--quiet")
    assert r.code == 0 and r.out.startswith("0 rendered, 2 unchanged"), r.out
    assert not [p for p in stale if p.exists()]
