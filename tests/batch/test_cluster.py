"""Batch render on a real Dask cluster: a scheduler and workers in their own processes on loopback."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.audiotools import probe
from tests.guards import require_cluster
from tests.helpers import ROOT, write
from tests.helpers import free_port as _free_port

require_cluster()

NOTICE = "id: kaifang\ntitle: 核酸检测\ntemplate: round.j2\nrepeat: 1\nvars:\n  village: 本村\n"
# the folder's own template and lexicon: a worker has them only if they were shipped to it
TEMPLATE = "各位村民请注意，{{ village }}明天在{{ place }}做核酸检测，请带好身份证。\n"
LEXICON = "words:\n  身份证: 身份证件\n"
ROWS = [("v1", "宏福苑", "北门广场", "-"), ("v2", "芙蓉里", "西区北门", "-"), ("v3", "黔江", "卫生院", "sichuan_chongqing"),
        ("v4", "丽湾", "-", "-"), ("v5", "丹棱", "文化广场", "-")]


def _csv(rows=ROWS) -> str:
    return "village_id,village,place,voice\n" + "".join(",".join(r) + "\n" for r in rows)


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _start_cluster(home: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and `workers` single-threaded worker processes on loopback, started as a user would."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "BROADCASTER_OFFLINE": "1", "XDG_CACHE_HOME": str(home / "cache")}
    log = open(home / "dask.log", "w")
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--dashboard-address", ":0"],
                              cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)]
    worker_dir = home / "worker"  # not the test's folder: workers get the notice as bytes
    worker_dir.mkdir()
    procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                   "--nworkers", str(workers), "--no-dashboard", "--local-directory",
                                   str(worker_dir)], cwd=worker_dir, env=env, stdout=log, stderr=subprocess.STDOUT))
    log.close()
    from distributed import Client
    deadline = time.monotonic() + 60
    while True:
        try:
            with Client(address, timeout="2s") as client:
                client.wait_for_workers(workers, timeout=30)
            return address, procs
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                _stop(procs)
                raise RuntimeError((home / "dask.log").read_text())
            time.sleep(0.5)


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """tcp://127.0.0.1:PORT with two worker processes."""
    address, procs = _start_cluster(tmp_path_factory.mktemp("dask"), 2)
    try:
        yield address
    finally:
        _stop(procs)


def _folder(tmp_path: Path) -> tuple[Path, Path]:
    write(tmp_path / "notice" / "round.j2", TEMPLATE)
    write(tmp_path / "notice" / "lexicon.yaml", LEXICON)
    return write(tmp_path / "notice" / "n.yaml", NOTICE), write(tmp_path / "v.csv", _csv())


@pytest.mark.slow
def test_cluster_run_makes_the_same_files_as_the_local_run(run, tmp_path, scheduler):
    # the neural engine is deterministic: the same row gives the same bytes in any process
    notice, villages = _folder(tmp_path)
    write(villages, _csv(ROWS[1:4]))
    args = ("render", notice, "--villages", villages, "--engine", "neural", "--quiet", "-o")
    local = run(*args, tmp_path / "local", "-j", "2")
    remote = run(*args, tmp_path / "dask", "--cluster", scheduler)
    # the row without a place fails the same way on both, with its CSV line; the others render
    assert local.code == remote.code == 2, (local.err, remote.err)
    assert local.err == remote.err and remote.err.startswith(f"{villages}:4: missing variable 'place'"), remote.err
    assert remote.out.startswith("2 rendered, 0 unchanged, 1 failed"), remote.out
    tree = _tree(tmp_path / "dask")
    assert sorted(f for f in tree if f.endswith(".mp3")) == ["v2/kaifang.mp3", "v3/kaifang.mp3"]
    assert tree == _tree(tmp_path / "local")  # every file, manifests and input stamps included
    assert "身份证件" in (tmp_path / "dask" / "v2" / "kaifang.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_espeak_on_the_cluster_matches_local_but_for_flutter(run, tmp_path, scheduler):
    # eSpeak NG keeps its pitch-flutter phase from one sentence to the next in a process, so a
    # village's audio depends on which villages that process spoke before: equal text, equal
    # length to a few milliseconds, not equal bytes
    notice, villages = _folder(tmp_path)
    args = ("render", notice, "--villages", villages, "--engine", "espeak", "--quiet", "-o")
    assert run(*args, tmp_path / "local", "-j", "2").code == 2
    assert run(*args, tmp_path / "dask", "--cluster", scheduler).code == 2
    for vid in ("v1", "v2", "v3", "v5"):
        here, there = tmp_path / "local" / vid, tmp_path / "dask" / vid
        assert (here / "kaifang.txt").read_bytes() == (there / "kaifang.txt").read_bytes()
        a, b = probe(here / "kaifang.mp3").duration, probe(there / "kaifang.mp3").duration
        assert a > 5 and abs(a - b) < 0.005 * a, (vid, a, b)


@pytest.mark.slow
def test_cluster_rerun_leaves_unchanged_villages_alone(run, tmp_path, scheduler):
    notice, villages = _folder(tmp_path)
    write(villages, _csv(ROWS[:2]))
    out = tmp_path / "out"
    args = ("render", notice, "--villages", villages, "-o", out, "--engine", "espeak", "--cluster", scheduler,
            "--quiet")
    assert run(*args).code == 0
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.parent != out}
    r = run(*args)
    assert r.code == 0 and r.out.startswith("0 rendered, 2 unchanged"), r.out
    assert mtimes == {p: p.stat().st_mtime_ns for p in mtimes}
    # the folder's lexicon is an input: changing it renders every village again, on the cluster
    write(tmp_path / "notice" / "lexicon.yaml", "words:\n  身份证: 居民身份证\n")
    r = run(*args)
    assert r.out.startswith("2 rendered, 0 unchanged"), r.out
    assert "居民身份证" in (out / "v2" / "kaifang.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_unreachable_scheduler_is_exit_1_and_writes_nothing(tmp_path):
    notice, villages = _folder(tmp_path)
    out = tmp_path / "out"
    env = {**os.environ, "BROADCASTER_OFFLINE": "1", "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    r = subprocess.run([sys.executable, "-m", "broadcaster", "render", str(notice), "--villages", str(villages),
                        "-o", str(out), "--cluster", f"tcp://127.0.0.1:{_free_port()}", "--quiet"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not reach the Dask scheduler" in lines[0] and "dask worker" in lines[0]
    assert not out.exists()


def test_cluster_mistakes_are_exit_2_before_any_work(run, tmp_path):
    notice, villages = _folder(tmp_path)
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out", "--cluster", "scheduler:8786")
    assert r.code == 2 and "tcp://10.0.0.5:8786" in r.err, r.err
    r = run("render", notice, "-o", tmp_path / "out", "--cluster", "local")
    assert r.code == 2 and "--villages" in r.err
    # workers receive only the notice's folder: music elsewhere is named with its line
    music = write(tmp_path / "elsewhere" / "bed.mp3", "not read")
    write(notice, NOTICE + f"music: {music}\n")
    r = run("render", notice, "--villages", villages, "-o", tmp_path / "out", "--cluster", "local")
    assert r.code == 2 and r.err.startswith(f"{notice}:7: music file") and "beside the notice" in r.err, r.err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_losing_the_scheduler_is_exit_1_and_what_finished_stays(run, tmp_path):
    from tests.audiotools import FFMPEG

    address, procs = _start_cluster(tmp_path, 1)
    notice, villages = _folder(tmp_path)
    rows = [(f"v{i:02d}", f"村{i}", f"{i}号楼", "-") for i in range(12)]
    write(villages, _csv(rows))
    out = tmp_path / "out"
    env = {**os.environ, "BROADCASTER_OFFLINE": "1", "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"}
    batch = subprocess.Popen([sys.executable, "-m", "broadcaster", "render", str(notice), "--villages", str(villages),
                              "-o", str(out), "--engine", "espeak", "--cluster", address, "--quiet"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while not list(out.glob("*/.inputs.json")) and time.monotonic() < deadline:
            time.sleep(0.2)
        procs[0].kill()  # the scheduler machine goes away mid-batch
        _, err = batch.communicate(timeout=180)
    finally:
        batch.kill()
        _stop(procs)
    assert batch.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "lost the Dask scheduler" in lines[0] and "run the same command again" in lines[0]
    finished = sorted(p.parent.name for p in out.glob("*/.inputs.json"))
    assert 1 <= len(finished) < len(rows)
    assert not list(out.rglob("*.tmp"))
    for mp3 in out.glob("*/kaifang.mp3"):
        check = subprocess.run([FFMPEG, "-v", "error", "-xerror", "-i", str(mp3), "-f", "null", "-"],
                               capture_output=True, text=True)
        assert check.returncode == 0 and not check.stderr, (mp3, check.stderr)
    # here, without the cluster, it picks up where it stopped
    r = run("render", notice, "--villages", villages, "-o", out, "--engine", "espeak", "-j", "2", "--quiet")
    assert r.code == 0 and r.out.startswith(f"{len(rows) - len(finished)} rendered, {len(finished)} unchanged"), r.out
