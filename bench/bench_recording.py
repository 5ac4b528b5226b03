"""Cleaning an official's recording: a 60 s phone recording (AAC in .m4a, handling noise, hum, quiet),
checked, trimmed, high-passed, denoised and brought to the loudness target, on one core.

Measured against the raw components in the same run, pinned to one core (sched_setaffinity, which
the ffmpeg children inherit; `taskset -c 0` does the same from a shell): the same ffmpeg filters
run alone, as one would with ffmpeg by hand in two passes (decode, resample, high-pass twice,
afftdn and ebur128 to measure; then the same with the gain and limiter, writing the samples).
Targets: at least 20x real time, and at most 1.3x the filters alone. Nothing is taken from the
cache: each run cleans into an empty one.
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
SECONDS = 60.0
TEXT = ("各位村民请注意，明天上午八点到十二点停水，请大家提前储水。停水期间请关好水龙头，"
        "来水以后先放一会儿再用。有困难的老人请打村委会电话，我们上门送水。")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _best(fn, runs: int = 3) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the least disturbed of `runs` calls (see bench_master.py)."""
    best = (float("inf"), float("inf"))
    for _ in range(runs):
        before = _cpu()
        t0 = time.perf_counter()
        fn()
        best = min(best, (_cpu() - before, time.perf_counter() - t0))
    return best


def _recording(target: Path) -> float:
    """A 60 s phone-like recording in .m4a (tests/phone.py makes it: eSpeak speech, handling noise,
    hum, room noise, a quiet level); returns its length in seconds."""
    sys.path.insert(0, str(ROOT / "tests"))
    import numpy as np
    from phone import RATE, encode, espeak_speech, phone_mix

    speech = espeak_speech(TEXT)
    pause = np.zeros(int(0.8 * RATE), dtype=np.float32)
    body = np.concatenate([speech, pause] * int(SECONDS // (len(speech) / RATE + 0.8) + 1))
    body = body[: int((SECONDS - 2.4) * RATE)]
    samples, _start, _end = phone_mix(body)
    encode(samples, target, "m4a")
    return len(samples) / RATE


def run() -> list[Measure]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-recording-"))
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
    os.environ["BROADCASTER_OFFLINE"] = "1"
    pinned = hasattr(os, "sched_setaffinity")
    cores = os.sched_getaffinity(0) if pinned else set()
    try:
        from broadcaster.audio.ffmpeg import ffmpeg_exe
        from broadcaster.audio.recording import Level, clean_recording, cleaning_filters
        from broadcaster.audio.cache import ClipCache

        source = tmp / "take.m4a"
        seconds = _recording(source)
        if pinned:
            os.sched_setaffinity(0, {min(cores)})  # one core, for us and every ffmpeg we start
        runs = iter(range(1000))
        cleaned = clean_recording(source, Level(), ClipCache(tmp / "first"))
        gain = Level().target_lufs - cleaned.source_lufs

        def ours() -> None:
            clean_recording(source, Level(), ClipCache(tmp / f"c{next(runs)}"))  # an empty cache each time

        def filters_alone() -> None:
            chain = cleaning_filters()
            subprocess.run([ffmpeg_exe(), "-v", "error", "-nostats", "-i", str(source),
                            "-af", f"{chain},ebur128=peak=sample", "-f", "null", "-"], check=True,
                           capture_output=True)
            subprocess.run([ffmpeg_exe(), "-v", "error", "-nostats", "-i", str(source), "-af",
                            f"{chain},volume={gain:.2f}dB,alimiter=limit=0.84:level=false",
                            "-f", "f32le", "-"], check=True, capture_output=True)

        raw_cpu, raw_wall = _best(filters_alone)
        cpu, wall = _best(ours)
        return [
            Measure("clean a 60 s phone recording (m4a), times real time on one core", seconds / cpu, 20.0,
                    higher_is_better=True,
                    detail=f"{cpu:.2f} s CPU, {wall:.2f} s wall for {seconds:.0f} s of audio; kept "
                           f"{cleaned.seconds:.1f} s, {cleaned.source_lufs:.1f} -> {cleaned.loudness_lufs:.1f} LUFS"),
            Measure("clean a recording / the same ffmpeg filters run alone (two passes), CPU time",
                    cpu / raw_cpu, 1.3,
                    detail=f"filters alone {raw_cpu:.2f} s CPU, {raw_wall:.2f} s wall"
                           + ("" if pinned else "; not pinned: this system cannot set CPU affinity")),
        ]
    finally:
        if pinned and cores:
            os.sched_setaffinity(0, cores)
        shutil.rmtree(tmp, ignore_errors=True)
