"""Pitch per syllable and the tone-shape scoring rule of `scripts/bench accent` (bench_accent.py).

F0 by Praat's autocorrelation (praat-parselmouth, 5 ms steps, 60-500 Hz). Per syllable (its start
and end from the model's own durations, `synthesize_timed`) the longest voiced stretch inside it,
15% cut at both ends: level = mean semitones against the speaker's median F0 over its plain
readings, slope in st/s (least squares), and the contour at 15/50/85% of the stretch.

The rule (after docs/accent-research.md §3): a movement counts from 1.5 st (pitch moves
smaller than about 1.5-3 st are hardly told apart in speech: 't Hart 1981, JASA 69, 811-821); a point
is high from +1 st, low from -1 st. Shapes of the pooled contour (start, mid, end, level):
- high level: |end - start| < 1.5 and level >= -0.5;
- low falling: end - start <= -1.5, start < +1, level <= -1;
- high falling: end - start <= -1.5, start >= +1;
- low dipping (or rising): end - mid >= 1.5 and mid <= -1;
- rising: end - start >= 1.5 and end >= mid;
- Mandarin's tone 3, "low": mid or end <= -1 and not a high fall.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from broadcaster.engines.contours import voiced_run

STEP = 0.005
FLOOR, CEILING = 60.0, 500.0
EDGE = 0.15
MOVE, HIGH, LOW = 1.5, 1.0, -1.0


@dataclass(frozen=True)
class Contour:
    """One syllable's pitch (or a pooled mean of several), semitones against the speaker's median."""

    level: float
    slope: float
    start: float
    mid: float
    end: float


def track(samples: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(times, F0 in Hz, 0 where unvoiced)."""
    import parselmouth

    pitch = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=rate).to_pitch_ac(
        time_step=STEP, pitch_floor=FLOOR, pitch_ceiling=CEILING)
    return pitch.xs(), pitch.selected_array["frequency"]


def contour(times: np.ndarray, f0: np.ndarray, start: float, end: float, ref_hz: float) -> Contour | None:
    """The syllable's contour; None with fewer than 4 voiced frames."""
    t, hz = voiced_run(times, f0, start, end)
    if len(t) < 4:
        return None
    st = 12 * np.log2(hz / ref_hz)
    cut = int(round(len(t) * EDGE))
    core_t, core = (t[cut:len(t) - cut], st[cut:len(t) - cut]) if len(t) - 2 * cut >= 4 else (t, st)

    def at(q: float) -> float:
        return float(np.interp(t[0] + q * (t[-1] - t[0]), t, st))

    return Contour(float(core.mean()), float(np.polyfit(core_t, core, 1)[0]), at(0.15), at(0.5), at(0.85))


def pooled(contours: list[Contour]) -> Contour | None:
    if not contours:
        return None
    return Contour(*(float(np.mean([getattr(c, f) for c in contours])) for f in Contour.__dataclass_fields__))


SHAPES = {
    "high level": lambda c: abs(c.end - c.start) < MOVE and c.level >= LOW / 2,
    "low falling": lambda c: c.end - c.start <= -MOVE and c.start < HIGH and c.level <= LOW,
    "high falling": lambda c: c.end - c.start <= -MOVE and c.start >= HIGH,
    "low dipping": lambda c: c.end - c.mid >= MOVE and c.mid <= LOW,
    "rising": lambda c: c.end - c.start >= MOVE and c.end - c.mid >= 0,
    "low": lambda c: min(c.mid, c.end) <= LOW and not (c.end - c.start <= -MOVE and c.start >= HIGH),
}
# Mandarin's own shape of each category (its citation tone), for the check that plain Mandarin shows it
MANDARIN = {"阴平": "high level", "阳平": "rising", "上声": "low", "去声": "high falling"}


def shows(c: Contour | None, shape: str) -> bool:
    return c is not None and SHAPES[shape](c)
