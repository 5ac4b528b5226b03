"""Mastering speed: a 60 s notice through band filters, compression, two-pass loudness and MP3 encode.

Measured against the raw component in the same run: ffmpeg encoding the same PCM to MP3
with no processing at all.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from measure import Measure

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 60.0


def _program_60s():
    """A real notice program (chime + eSpeak speech + pauses) cut to 60 s."""
    from broadcaster.audio.chime import chime_segment
    from broadcaster.audio.program import ProgramAudio, assemble
    from broadcaster.notice import load_notice
    from broadcaster.examine import prepare
    from broadcaster.render import synthesize_all

    prepared = prepare(load_notice(ROOT / "examples" / "notices" / "hesuan-round8.yaml"))
    _, clips, _ = synthesize_all(prepared, ("espeak",))
    program = assemble(prepared.script, lambda s: clips[s.text], chime_for=chime_segment)
    audio = program.audio
    while len(audio) < SECONDS * 1000:
        audio = audio + audio
    return ProgramAudio(audio=audio[: int(SECONDS * 1000)], speech_spans=())


def _best(fn, runs: int = 3) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the least disturbed of `runs` calls.

    CPU time counts our process and the ffmpeg processes it waits for; on a shared machine
    it says what the work costs on one core, where wall time mostly says how busy the
    machine was. Both are reported.
    """
    best = (float("inf"), float("inf"))
    for _ in range(runs):
        before = _cpu()
        t0 = time.perf_counter()
        fn()
        wall = time.perf_counter() - t0
        best = min(best, (_cpu() - before, wall))
    return best


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run() -> list[Measure]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-master-"))
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
    os.environ["BROADCASTER_OFFLINE"] = "1"
    try:
        from broadcaster.audio.ffmpeg import ffmpeg_exe
        from broadcaster.audio.decode import pcm16_to_float
        from broadcaster.audio.master import master, master_checked
        from broadcaster.audio.profiles import get_output_profile

        program = _program_60s()
        pcm = program.audio.raw_data
        rate = program.audio.frame_rate

        def raw_encode() -> None:
            subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "-",
                            "-c:a", "libmp3lame", "-b:a", "64k", "-y", str(tmp / "raw.mp3")], input=pcm, check=True)

        results = []
        raw_cpu, raw_wall = _best(raw_encode)
        for name in ("loudspeaker", "loop-player"):
            profile = get_output_profile(name)
            samples = pcm16_to_float(pcm)
            cpu, wall = _best(lambda: master(samples, rate, profile, tmp / f"{name}.mp3"))
            # loop-player works at 44.1 kHz, twice the samples of the 22.05 kHz default
            results.append(Measure(f"master a 60 s notice ({name}), CPU time", cpu,
                                   1.0 if name == "loudspeaker" else 1.5, unit="s",
                                   detail=f"wall {wall:.2f} s; plain MP3 encode of the same audio "
                                          f"{raw_cpu:.2f} s CPU, {raw_wall:.2f} s wall"))
            if name == "loudspeaker":
                results.append(Measure("master 60 s (loudspeaker) / plain ffmpeg MP3 encode, CPU time",
                                       cpu / raw_cpu, 3.0,
                                       detail="filters + loudness passes + limiter + metered encode"))
                # what render does: the same, plus decoding the written file to measure it for the manifest
                cpu, wall = _best(lambda: master_checked(samples, rate, profile, tmp / "checked.mp3"))
                results.append(Measure("master + measure the written file (loudspeaker), CPU time", cpu, 1.5,
                                       unit="s", detail=f"wall {wall:.2f} s"))
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
