"""An accent's exact tone contours: each syllable's pitch reshaped after synthesis (Praat's PSOLA).

A Mandarin voice can only say Mandarin tone shapes, so an accent's `say_as` picks the nearest one
(川渝 阳平 21 said as the half-third tone). With `contours: exact` a profile asks for the accent's own
Chao contour instead: the piece the model said, and each syllable's start and end from the model's
durations, go to Praat (praat-parselmouth): `To Manipulation`, a new pitch tier, overlap-add
resynthesis. Targets per syllable with a category: its Chao digits spread over 10-90% of its voiced
stretch, Chao level 3 at the piece's median F0 and one level a quarter of the piece's own range
(5th to 95th percentile). Syllables without one (neutral tones, a user's fix) keep their pitch.

Three things keep it from sounding sung (a flat Chao line for every syllable of a minute of speech):
the targets fall along the phrase (declination, as speech does), they move the voice only part of the
way from its own pitch (strength), and the tier's straight lines between the last target of a syllable
and the first of the next make glides rather than steps. The numbers are the accent's data
(`exact_contours:` in its file), so they are in the clip key like the rest of it.

Praat is a well-kept library for exactly this (pitch tracking and PSOLA); WORLD (pyworld) was the other
candidate and would need its own F0 and spectral envelope handling for the same result.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from broadcaster.speech.accent import Accent

TIME_STEP = 0.01          # Praat's manipulation step (s)
FLOOR, CEILING = 60.0, 500.0
SPREAD = (0.1, 0.9)       # where a contour's first and last digit sit in the syllable's voiced stretch
# the semitones of one Chao level: a quarter of the piece's own range, but at least 2.5 (speech spans
# about 10 st; a short piece of one tone has almost no range of its own, measured: its 21 then stayed
# flat) and at most 3.5 (a piece with a wild pitch track)
MIN_STEP_ST, MAX_STEP_ST = 2.5, 3.5


def reshape(samples: np.ndarray, rate: int, spans: tuple[tuple[float, float], ...], categories: tuple[str, ...],
            accent: Accent) -> np.ndarray:
    """`samples` (one piece, float) with each categorized syllable's pitch moved toward the accent's
    Chao contour; the same samples when there is too little voiced speech to place targets."""
    import parselmouth
    from parselmouth.praat import call

    sound = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=rate)
    pitch = sound.to_pitch_ac(time_step=TIME_STEP / 2, pitch_floor=FLOOR, pitch_ceiling=CEILING)
    times, f0 = pitch.xs(), pitch.selected_array["frequency"]
    voiced = f0[f0 > 0]
    if len(voiced) < 8:
        return samples
    points = targets(times, f0, spans, categories, accent, float(np.median(voiced)),
                     _step(voiced), len(samples) / rate)
    if not points:
        return samples
    manipulation = call(sound, "To Manipulation", TIME_STEP, FLOOR, CEILING)
    tier = call("Create PitchTier", "accent", sound.xmin, sound.xmax)
    for t, hz in points:
        call(tier, "Add point", t, hz)
    call([tier, manipulation], "Replace pitch tier")
    out = call(manipulation, "Get resynthesis (overlap-add)")
    shaped = np.asarray(out.values[0], dtype=np.float32)
    return shaped[:len(samples)] if len(shaped) >= len(samples) else np.pad(shaped, (0, len(samples) - len(shaped)))


def _step(voiced: np.ndarray) -> float:
    low, high = np.percentile(12 * np.log2(voiced), [5, 95])
    return float(np.clip((high - low) / 4, MIN_STEP_ST, MAX_STEP_ST))


def targets(times: np.ndarray, f0: np.ndarray, spans, categories, accent: Accent, median_hz: float,
            step_st: float, length: float) -> list[tuple[float, float]]:
    """Pitch-tier points (time, Hz): per syllable with a category, its contour's digits; other
    syllables keep their own F0 at three points."""
    strength, declination = accent.exact_strength, accent.exact_declination_st
    points = []
    for (start, end), category in zip(spans, categories):
        t, hz = voiced_run(times, f0, start, end)
        if len(t) < 4:
            continue
        if category:
            digits = [int(d) for d in accent.tone(category).chao]
            digits = digits if len(digits) > 1 else digits * 2
            where = np.linspace(*SPREAD, len(digits))
        else:
            digits, where = [], np.array([0.1, 0.5, 0.9])
        for k, q in enumerate(where):
            at = t[0] + q * (t[-1] - t[0])
            own = float(np.interp(at, t, hz))
            if not digits:
                points.append((at, own))
                continue
            # the phrase falls by `declination` st from its start to its end, around the median
            fall = declination * (0.5 - at / max(length, 1e-6))
            goal_st = (digits[k] - 3) * step_st + fall
            own_st = 12 * np.log2(own / median_hz)
            points.append((at, median_hz * 2 ** ((own_st + strength * (goal_st - own_st)) / 12)))
    return points


def voiced_run(times: np.ndarray, f0: np.ndarray, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    """The longest voiced stretch inside [start, end): the syllable's vowel and voiced coda."""
    inside = np.append((times >= start) & (times < end) & (f0 > 0), False)
    best, run = (0, 0), None
    for k, voiced in enumerate(inside):
        if voiced and run is None:
            run = k
        elif not voiced and run is not None:
            if k - run > best[1] - best[0]:
                best = (run, k)
            run = None
    return times[best[0]:best[1]], f0[best[0]:best[1]]


def contours_digest() -> str:
    """Changes when this reshaping could sound otherwise: its code and Praat's version (clip keys)."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    try:
        praat = version("praat-parselmouth")
    except PackageNotFoundError:
        praat = "missing"
    return hashlib.sha256(Path(__file__).read_bytes() + praat.encode()).hexdigest()[:12]
