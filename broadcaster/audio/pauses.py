"""Where the sentences of a rendered program end: its pauses, found with ffmpeg's silencedetect.

A GPS stop notice cuts the between-stops filler at the next sentence end rather than
mid-word. The renderer puts a pause between sentences (and longer ones between repeats),
so the pauses in the audio are the sentence ends, whatever engine spoke.
"""
from __future__ import annotations

import re
from pathlib import Path

from broadcaster.audio.ffmpeg import run

_START = re.compile(r"silence_start:\s*(-?[\d.]+)")

# Speech at the horn-speaker loudness target sits near -16 LUFS; a pause is far below -40 dB.
# Word gaps inside a sentence are shorter than 0.25 s; the renderer's sentence pauses are longer.
NOISE_DB = -40
MIN_PAUSE = 0.25


def sentence_ends(path: Path) -> tuple[float, ...]:
    """Seconds from the file's start at which a pause begins (a sentence has just ended), ascending."""
    proc = run(["-i", str(path), "-af", f"silencedetect=noise={NOISE_DB}dB:d={MIN_PAUSE}", "-f", "null", "-"],
               timeout=60)
    text = proc.stderr.decode("utf-8", "replace")
    return tuple(sorted(t for t in (float(m.group(1)) for m in _START.finditer(text)) if t > 0))
