"""County scale: 300 villages x the test-round notice with eSpeak: -j 2 vs -j 1, and an unchanged re-run.

Rows default to 300 (BENCH_BATCH_ROWS overrides). Peak memory is measured on a second batch
of 3,000 rows (BENCH_BATCH_MEMORY_ROWS) of a one-sentence notice, so that it takes minutes,
not half an hour: the sum of the resident sizes of the CLI and all its workers, sampled every
0.1 s. What grows with the row count is the batch's bookkeeping, not the audio of one row.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from measure import Measure

ROOT = Path(__file__).resolve().parent.parent


def _csv(path: Path, rows: int) -> None:
    lines = ["village_id,village,date,start,end,place,phone"]
    lines += [f"v{i:04d},第{i}村,10月27日,8:00,11:30,{i}号楼前,139{i:08d}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


NOTICE = ROOT / "examples" / "notices" / "hesuan-round8.yaml"
SHORT = "id: tongzhi\ntitle: 通知\ntext: '{{ village }}的村民请注意，明天{{ start }}在{{ place }}做核酸检测。'\nrepeat: 1\n"


def _render(csv: Path, out: Path, jobs: int, notice: Path = NOTICE) -> float:
    cmd = [sys.executable, "-m", "broadcaster", "render", str(notice),
           "--villages", str(csv), "-o", str(out), "--engine", "espeak", "-j", str(jobs), "--quiet"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True,
                   env={**os.environ, "BROADCASTER_OFFLINE": "1"})
    return time.perf_counter() - t0


def _tree_rss_kb(root: int) -> int:
    """Resident size of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        parents[int(entry)] = int(fields["PPid"])
        rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def _peak_memory_mb(csv: Path, out: Path, notice: Path) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "broadcaster", "render", str(notice), "--villages", str(csv), "-o", str(out),
           "--engine", "espeak", "-j", "2", "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "BROADCASTER_OFFLINE": "1"})
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    code = proc.wait()
    sampler.join()
    if code != 0:
        raise RuntimeError(f"batch of {csv} failed with exit status {code}")
    return peak[0] / 1024, time.perf_counter() - t0


def run() -> list[Measure]:
    rows = int(os.environ.get("BENCH_BATCH_ROWS", "300"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
    try:
        csv = tmp / "villages.csv"
        _csv(csv, rows)
        one = _render(csv, tmp / "j1", 1)
        shutil.rmtree(tmp / "cache", ignore_errors=True)
        two = _render(csv, tmp / "j2", 2)
        mtimes = {p: p.stat().st_mtime_ns for p in (tmp / "j2").rglob("*.mp3")}
        again = _render(csv, tmp / "j2", 2)
        untouched = mtimes == {p: p.stat().st_mtime_ns for p in mtimes}
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        big = int(os.environ.get("BENCH_BATCH_MEMORY_ROWS", "3000"))
        _csv(tmp / "big.csv", big)
        short = tmp / "short.yaml"
        short.write_text(SHORT, encoding="utf-8")
        tree_mb, big_s = _peak_memory_mb(tmp / "big.csv", tmp / "big", short)
        return [
            Measure(f"batch {rows} villages: -j 1 time / -j 2 time", one / two, 1.6, higher_is_better=True,
                    detail=f"-j 1 {one:.1f} s, -j 2 {two:.1f} s, {os.cpu_count()} cores"),
            Measure("batch unchanged re-run: first run / re-run", two / again, 20, higher_is_better=True,
                    detail=f"re-run {again:.2f} s; mtimes unchanged: {untouched}"),
            Measure("batch peak memory of one process", peak_mb, 1024, unit="MB",
                    detail=f"{rows} rows: largest resident size of the CLI or any worker"),
            Measure(f"batch peak memory, {big} rows, CLI + workers", tree_mb, 1024, unit="MB",
                    detail=f"-j 2, one-sentence notice, {big_s:.0f} s"),
        ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
