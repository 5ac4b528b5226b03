"""Safe on air: parallel renders, killed renders and their leftovers, full and read-only disks, bad output folders."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, write

SHORT = "各位村民请注意。"
LONG = "各位村民请注意，今天下午三点在村委会门口发放物资，请大家戴好口罩，排队领取，不要扎堆。"
ENV = {**os.environ, "BROADCASTER_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def notice(folder: Path, nid: str, text: str = SHORT, repeat: int = 1) -> Path:
    return write(folder / f"{nid}.yaml", f"id: {nid}\ntitle: 测试\ntext: {text}\nrepeat: {repeat}\n")


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


@pytest.fixture
def tmpfs(tmp_path):
    """A tiny tmpfs of its own (root only): mount(size) -> the mounted folder."""
    mounted: list[Path] = []

    def mount(size: str = "200k", name: str = "disk") -> Path:
        where = tmp_path / name
        where.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.mark.slow
def test_sixteen_parallel_renders_into_one_folder_keep_every_manifest_entry(tmp_path):
    out = tmp_path / "out"
    files = [notice(tmp_path, f"n{i:02d}") for i in range(16)]
    procs = [subprocess.Popen([sys.executable, "-m", "broadcaster", "render", str(f), "-o", str(out),
                               "--engine", "espeak"], env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for f in files]
    for proc in procs:
        _, err = proc.communicate()
        assert proc.returncode == 0, err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(e["id"] for e in manifest["notices"]) == [f"n{i:02d}" for i in range(16)]
    assert temps(out) == []


@pytest.mark.slow
def test_an_output_folder_holds_only_outputs_after_a_render(run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".manifest.json.lock").write_bytes(b"")  # what earlier versions left after every render
    r = run("render", notice(tmp_path, "n"), "-o", out, "--engine", "espeak")
    assert r.code == 0, r.err
    assert sorted(os.listdir(out)) == ["manifest.json", "n.mp3", "n.txt"]  # what a TF card gets
    r = run("render", notice(tmp_path, "m"), "-o", out, "--engine", "espeak")
    assert r.code == 0, r.err
    assert sorted(os.listdir(out)) == ["m.mp3", "m.txt", "manifest.json", "n.mp3", "n.txt"]


@pytest.mark.slow
def test_a_second_writer_of_the_manifest_waits_for_the_first(tmp_path):
    """The folder lock excludes other processes (the parallel-render test shows the merge)."""
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from broadcaster.fsutil import locked
        with locked({str(out / 'manifest.json')!r}):
            print("holding", flush=True)
            sys.stdin.readline()
            print("released", flush=True)
        """)], env=ENV, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        waiter = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
            from broadcaster.fsutil import locked
            print("trying", flush=True)
            with locked({str(out / 'manifest.json')!r}):
                print("in", flush=True)
            """)], env=ENV, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert waiter.stdout.readline().strip() == "trying"
        with pytest.raises(subprocess.TimeoutExpired):  # still waiting while the first holds it
            waiter.wait(timeout=1.5)
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        assert waiter.stdout.readline().strip() == "in"
        assert waiter.wait(timeout=30) == 0
    finally:
        holder.kill()
    assert sorted(os.listdir(out)) == []  # and the lock left nothing behind


@pytest.mark.slow
def test_a_killed_runs_temporary_files_are_removed_by_the_next_run(run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stale = [out / ".n.mp3.k3x_9abc.tmp", out / ".manifest.json.q1w2e3r4.tmp"]
    for p in stale:
        p.write_bytes(b"half a file")
        os.utime(p, (time.time() - 60, time.time() - 60))
    others = [out / "notes.tmp", out / ".notes.tmp", out / "keep.mp3"]  # not our temp-name pattern
    for p in others:
        p.write_bytes(b"not ours")
    r = run("render", notice(tmp_path, "n"), "-o", out, "--engine", "espeak")
    assert r.code == 0, r.err
    assert temps(out) == sorted(p.name for p in others if p.suffix == ".tmp")
    assert all(p.read_bytes() == b"not ours" for p in others)


@pytest.mark.slow
def test_a_live_writers_temporary_file_is_left_alone(run, tmp_path):
    """Another process still writing (an old temp name, but held) keeps its file and finishes."""
    out = tmp_path / "out"
    out.mkdir()
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import os, sys, time
        from broadcaster.fsutil import atomic_path
        with atomic_path({str(out / 'slow.mp3')!r}) as tmp:
            tmp.write_bytes(b"still writing")
            os.utime(tmp, (time.time() - 60, time.time() - 60))
            print(tmp.name, flush=True)
            sys.stdin.readline()
            tmp.write_bytes(b"done")
        """)], env=ENV, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        name = writer.stdout.readline().strip()
        assert name.startswith(".slow.mp3.") and (out / name).exists()
        r = run("render", notice(tmp_path, "n"), "-o", out, "--engine", "espeak")
        assert r.code == 0, r.err
        assert (out / name).exists()
        writer.communicate("go\n", timeout=30)
    finally:
        writer.kill()
    assert writer.returncode == 0
    assert (out / "slow.mp3").read_bytes() == b"done" and temps(out) == []


@pytest.mark.slow
def test_killed_render_then_next_run_leaves_no_temporary_file(tmp_path):
    import signal
    files = [notice(tmp_path, f"n{i}", LONG, 3) for i in range(4)]
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "broadcaster", "render", *map(str, files), "-o", str(out), "--engine", "espeak"]
    left = False
    for delay in (0.8, 1.2, 1.6, 2.0, 2.4):
        proc = subprocess.Popen(cmd, env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        left = left or bool(out.exists() and temps(out))
    time.sleep(0.05)  # the next run starts after the killed ones' files were last touched
    r = subprocess.run(cmd, env=ENV, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert temps(out) == []
    if not left:
        pytest.skip("no kill landed mid-write this time (the rest was checked)")


@pytest.mark.slow
def test_full_disk_names_the_notice_and_leaves_no_half_file(run, tmp_path, tmpfs):
    disk = tmpfs("200k")
    out = disk / "out"
    out.mkdir()
    (disk / "filler").write_bytes(b"\0" * 1024)
    while True:  # fill it up but for a few KB: the transcript fits, the audio does not
        try:
            with open(disk / "filler", "ab") as fh:
                fh.write(b"\0" * 4096)
        except OSError:
            break
    os.truncate(disk / "filler", os.path.getsize(disk / "filler") - 8192)
    r = run("render", notice(tmp_path, "hesuan", LONG, 3), "-o", out, "--engine", "espeak")
    assert r.code == 1
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert "no space left" in lines[0] and str(disk) in lines[0] and "hesuan.mp3" in lines[0], r.err
    assert "internal error" not in r.err and "Traceback" not in r.err
    assert not (out / "hesuan.mp3").exists() and temps(out) == []


@pytest.mark.slow
def test_read_only_output_disk_is_one_line_and_exit_1(run, tmp_path, tmpfs):
    disk = tmpfs("1m")
    (disk / "out").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    for target in (disk / "out", disk / "new"):
        r = run("render", notice(tmp_path, "n"), "-o", target, "--engine", "espeak")
        assert r.code == 1, r.err
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and "read-only" in lines[0] and "internal error" not in r.err, r.err


@pytest.mark.slow
def test_read_only_output_disk_for_a_villages_batch_is_one_line(run, tmp_path, tmpfs):
    disk = tmpfs("1m")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    villages = write(tmp_path / "v.csv", "village_id,place\nv1,北门\nv2,南门\n")
    text = "id: k\ntext: 请到{{ place }}做核酸检测。\nrepeat: 1\nengine: espeak\n"
    r = run("render", write(tmp_path / "k.yaml", text), "--villages", villages, "-o", disk / "out", "-j", "1",
            "--quiet")
    assert r.code == 1
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "read-only" in lines[0], r.err


def test_output_folder_under_a_file_is_bad_input(run, tmp_path):
    (tmp_path / "somefile").write_text("x")
    r = run("render", notice(tmp_path, "n"), "-o", tmp_path / "somefile" / "out", "--engine", "espeak")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "somefile" in lines[0] and "not a folder" in lines[0], r.err
    assert "internal error" not in r.err


@pytest.mark.slow
def test_os_errors_below_the_cli_are_one_line(run, tmp_path):
    (tmp_path / "somefile").write_text("x")
    r = run("say", "各位村民请注意。", "-o", tmp_path / "somefile" / "t.mp3", "--engine", "espeak")
    assert r.code in (1, 2)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "somefile" in lines[0] and "internal error" not in r.err, r.err


@pytest.mark.slow
def test_killed_render_leaves_no_partial_audio(tmp_path):
    """kill -9 at random moments during a render: every .mp3 present decodes completely."""
    from tests.audiotools import FFMPEG

    notices = [write(tmp_path / f"n{i}.yaml", f"id: n{i}\ntext: 各位村民请注意，今天下午三点在村委会门口发放物资，请大家戴好口罩。\nrepeat: 3\n")
               for i in range(6)]
    out = tmp_path / "out"
    env = {**os.environ, "BROADCASTER_OFFLINE": "1"}
    for delay in (0.6, 1.0, 1.4):
        proc = subprocess.Popen([sys.executable, "-m", "broadcaster", "render", *map(str, notices), "-o", str(out),
                                 "--engine", "espeak"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for mp3 in out.glob("*.mp3") if out.exists() else []:
            r = subprocess.run([FFMPEG, "-v", "error", "-xerror", "-i", str(mp3), "-f", "null", "-"],
                               capture_output=True, text=True)
            assert r.returncode == 0 and not r.stderr, (mp3, r.stderr)
