"""Player timing on the wall clock: start-time error, emergency cut latency, idle CPU.

The start error is compared with a bare `time.sleep` loop aiming at the same times in
the same run (the floor this machine allows); the targets themselves are the issue's:
starts within 250 ms at p95, a cut within 1 s.
"""
from __future__ import annotations

import tempfile
import threading
import time
import wave
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from measure import Measure

from broadcaster.player.asrun import AsRunLog
from broadcaster.player.daemon import AirPlan, Daemon, Settings, StaticSource
from broadcaster.schedule.model import Play

TZ = ZoneInfo("Asia/Shanghai")


def _clip(path: Path, text: str) -> Path:
    from broadcaster.engines.base import get_engine
    from broadcaster.speech.voices import get_profile

    clip = get_engine("espeak").synthesize(text, get_profile("mandarin"))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(clip.sample_rate)
        w.writeframes(clip.pcm)
    return path


def _plays(file: Path, first: float, every: float, count: int) -> tuple[Play, ...]:
    out = []
    for i in range(count):
        s = datetime.fromtimestamp(first + every * i, TZ)
        out.append(Play(start=s, end=s + timedelta(seconds=1), channel="village", notice=f"n{i}", file=str(file),
                        slot=f"bench/{i}/{s.isoformat()}"))
    return tuple(out)


def _raw_sleep_errors(first: float, every: float, count: int) -> list[float]:
    errors = []
    for i in range(count):
        target = first + every * i
        while (left := target - time.time()) > 0:
            time.sleep(min(left, 0.05))
        errors.append(time.time() - target)
    return errors


def run() -> list[Measure]:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        short = _clip(d / "short.wav", "注意")
        long = _clip(d / "long.wav", "各位村民请注意，今天下午三点在村委会门口发放物资，请大家带好证件。")
        count, every = 12, 1.6

        raw = _raw_sleep_errors(time.time() + 0.5, 0.2, count)

        log = AsRunLog(d / "asrun.sqlite")
        first = time.time() + 1.0
        plan = AirPlan(_plays(short, first, every, count), {"village": f"file:{d / 'out'}"})
        daemon = Daemon(StaticSource(plan), log, settings=Settings(background_reload=False))
        cpu0 = time.process_time()
        daemon.run(until=first + every * count + 0.5)
        busy_cpu = time.process_time() - cpu0
        errors = [r["actual_start"] - r["planned"] for r in log._read("SELECT * FROM asrun")]
        p95 = float(np.percentile(np.abs(errors), 95)) * 1000
        raw95 = float(np.percentile(np.abs(raw), 95)) * 1000

        # an idle daemon: nothing due for 5 s
        log2 = AsRunLog(d / "idle.sqlite")
        far = _plays(short, time.time() + 3600, 60, 1)
        idle = Daemon(StaticSource(AirPlan(far, {"village": f"file:{d / 'idle'}"})), log2,
                      settings=Settings(background_reload=False))
        cpu0 = time.process_time()
        idle.run(until=time.time() + 5)
        idle_cpu = (time.process_time() - cpu0) / 5 * 100

        # emergency cut: a request lands 1 s into a long item
        log3 = AsRunLog(d / "cut.sqlite")
        first = time.time() + 0.5
        cutter = Daemon(StaticSource(AirPlan(_plays(long, first, 60, 1), {"village": f"file:{d / 'cut'}"})), log3,
                        settings=Settings(background_reload=False))
        sent: list[float] = []

        def ask() -> None:
            time.sleep(first + 1.0 - time.time())
            while cutter.daemon_id is None:
                time.sleep(0.01)
            sender = AsRunLog(d / "cut.sqlite")
            sent.append(time.time())
            sender.send("village", str(short), "fire", "", "emergency", "cut", 0, cutter.daemon_id)

        threading.Thread(target=ask, daemon=True).start()
        cutter.run(until=first + 4)
        cut = log3._read("SELECT actual_end FROM asrun WHERE status = 'interrupted'")
        cut_ms = (cut[0]["actual_end"] - sent[0]) * 1000 if cut and sent else float("inf")

    return [
        Measure("player start error p95", p95, 250, "ms",
                detail=f"({count} plays on a file: sink; bare sleep loop p95 {raw95:.1f} ms; "
                       f"CPU {busy_cpu:.2f} s over {every * count:.0f} s)"),
        Measure("player emergency cut latency", cut_ms, 1000, "ms", detail="(request row -> item stopped)"),
        Measure("player idle CPU", idle_cpu, 5, "%", detail="(daemon waiting, polling requests every 50 ms)"),
    ]


if __name__ == "__main__":
    for m in run():
        print(m.line())
