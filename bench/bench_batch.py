"""County scale: 300 villages x the test-round notice with eSpeak: -j 2 vs -j 1, and an unchanged re-run.

Rows default to 300 (BENCH_BATCH_ROWS overrides). Peak memory is the largest resident size
of the parent and of any one worker (ru_maxrss), which does not grow with the row count.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import Measure

ROOT = Path(__file__).resolve().parent.parent


def _csv(path: Path, rows: int) -> None:
    lines = ["village_id,village,date,start,end,place,phone"]
    lines += [f"v{i:04d},第{i}村,10月27日,8:00,11:30,{i}号楼前,139{i:08d}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _render(csv: Path, out: Path, jobs: int) -> float:
    cmd = [sys.executable, "-m", "broadcaster", "render", str(ROOT / "examples" / "notices" / "hesuan-round8.yaml"),
           "--villages", str(csv), "-o", str(out), "--engine", "espeak", "-j", str(jobs), "--quiet"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True,
                   env={**os.environ, "BROADCASTER_OFFLINE": "1"})
    return time.perf_counter() - t0


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
        return [
            Measure(f"batch {rows} villages: -j 1 time / -j 2 time", one / two, 1.6, higher_is_better=True,
                    detail=f"-j 1 {one:.1f} s, -j 2 {two:.1f} s, {os.cpu_count()} cores"),
            Measure("batch unchanged re-run: first run / re-run", two / again, 20, higher_is_better=True,
                    detail=f"re-run {again:.2f} s; mtimes unchanged: {untouched}"),
            Measure("batch peak memory of one process", peak_mb, 1024, unit="MB",
                    detail="largest resident size of the CLI or any worker"),
        ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
