"""Batch on a Dask cluster: the cost of shipping notices and audio through a scheduler.

60 villages (BENCH_CLUSTER_ROWS) × the test-round notice with eSpeak NG, rendered once by
local processes (-j 2) and once on a scheduler with two single-threaded workers on loopback,
on the same 2 cores. The ratio is what the cluster's bookkeeping costs per village; across
machines the workers add their cores on top.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import Measure

ROOT = Path(__file__).resolve().parent.parent
NOTICE = ROOT / "examples" / "notices" / "hesuan-round8.yaml"


def _csv(path: Path, rows: int) -> None:
    lines = ["village_id,village,date,start,end,place,phone"]
    lines += [f"v{i:04d},第{i}村,10月27日,8:00,11:30,{i}号楼前,139{i:08d}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _render(csv: Path, out: Path, env: dict, *extra: str) -> float:
    cmd = [sys.executable, "-m", "broadcaster", "render", str(NOTICE), "--villages", str(csv), "-o", str(out),
           "--engine", "espeak", "--quiet", *extra]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, env=env)
    return time.perf_counter() - t0


def _cluster(home: Path, env: dict) -> tuple[str, list[subprocess.Popen]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--dashboard-address", ":0"], cwd=home, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
             subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                               "--nworkers", "2", "--no-dashboard", "--local-directory", str(home)], cwd=home,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    from distributed import Client
    deadline = time.monotonic() + 60
    while True:
        try:
            with Client(address, timeout="2s") as client:
                client.wait_for_workers(2, timeout=30)
            return address, procs
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def run() -> list[Measure]:
    rows = int(os.environ.get("BENCH_CLUSTER_ROWS", "60"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    env = {**os.environ, "BROADCASTER_OFFLINE": "1", "XDG_CACHE_HOME": str(tmp / "cache")}
    procs: list[subprocess.Popen] = []
    try:
        csv = tmp / "villages.csv"
        _csv(csv, rows)
        local = _render(csv, tmp / "local", env, "-j", "2")
        shutil.rmtree(tmp / "cache", ignore_errors=True)
        address, procs = _cluster(tmp, env)
        remote = _render(csv, tmp / "cluster", env, "--cluster", address)
        return [Measure(f"batch {rows} villages on a loopback Dask cluster / local -j 2", remote / local, 1.2,
                        detail=f"cluster {remote:.1f} s, local {local:.1f} s, 2 workers on {os.cpu_count()} cores")]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
