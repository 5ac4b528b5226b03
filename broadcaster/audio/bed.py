"""A music bed under the speech: levelled to the voice, ducked while anyone speaks, faded at its ends."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from broadcaster.audio.decode import decode
from broadcaster.audio.profiles import BedSettings
from broadcaster.audio.signal import moving_average, runs
from broadcaster.errors import AudioError
from broadcaster.i18n import _

_FRAME = 0.02          # s: the envelope follows the voice in 20 ms steps
_VOICE_FLOOR_DB = -45  # a frame louder than this (dBFS) holds voice or chime


def voice_mask(voice: np.ndarray, rate: int) -> np.ndarray:
    """Per-sample True where the program (speech or chime) is sounding."""
    win = max(1, int(rate * _FRAME))
    n = -(-len(voice) // win)
    padded = np.zeros(n * win, dtype=np.float32)
    padded[:len(voice)] = voice
    rms = np.sqrt((padded.reshape(n, win) ** 2).mean(axis=1) + 1e-12)
    return np.repeat(20 * np.log10(rms) > _VOICE_FLOOR_DB, win)[:len(voice)]


def duck_envelope(mask: np.ndarray, rate: int, settings: BedSettings, length: int) -> np.ndarray:
    """The bed's gain (linear) over `length` samples: fully ducked wherever `mask` is set,
    ramps of duck_attack before and duck_release after, fades at both ends."""
    held = np.zeros(length, dtype=bool)
    held[:len(mask)] = mask
    # widen the ducked stretches so that after smoothing the duck is complete on every word
    pre, post = int(settings.duck_attack * rate), int(settings.duck_release * rate)
    spans = runs(held)
    starts = np.array([a for a, _ in spans], dtype=np.int64)
    ends = np.array([b for _, b in spans], dtype=np.int64)
    wide = np.zeros(length + 1, dtype=np.int32)
    np.add.at(wide, np.maximum(starts - pre // 2, 0), 1)
    np.add.at(wide, np.minimum(ends + post // 2, length), -1)
    ducked = np.cumsum(wide[:length]) > 0
    gain_db = np.where(ducked, -settings.duck, 0.0)
    # smooth in steps of 10 ms (cheap), then spread back to samples
    step = max(1, rate // 100)
    coarse = gain_db[::step]
    coarse = np.minimum(coarse, moving_average(coarse, max(1, int(pre / step))))
    coarse = np.minimum(coarse, moving_average(coarse, max(1, int(post / step))))
    gain = 10 ** (np.repeat(coarse, step)[:length] / 20)
    fade_in = min(length, int(settings.fade_in * rate))
    fade_out = min(length, int(settings.fade_out * rate))
    gain[:fade_in] *= np.linspace(0.0, 1.0, fade_in)
    gain[length - fade_out:] *= np.linspace(1.0, 0.0, fade_out)
    return gain


def lay_bed(voice: np.ndarray, rate: int, bed_path: Path, settings: BedSettings) -> np.ndarray:
    """The program with the music file under it; the bed runs on fade_out seconds after the
    last word so it can fade out under nothing."""
    try:
        bed = decode(bed_path, rate).astype(np.float32)
    except AudioError as exc:
        raise AudioError(_("could not read the music file {file}: {reason}").format(file=bed_path, reason=exc)) \
            from None
    if len(bed) == 0:
        raise AudioError(_("the music file {file} holds no sound").format(file=bed_path))
    length = len(voice) + int(settings.fade_out * rate)
    bed = np.tile(bed, -(-length // len(bed)))[:length]
    mask = voice_mask(voice, rate)
    voice_rms = np.sqrt(np.mean(voice[mask] ** 2)) if mask.any() else 0.1
    bed_rms = np.sqrt(np.mean(bed ** 2))
    if bed_rms > 1e-6:
        bed *= 10 ** (settings.level / 20) * voice_rms / bed_rms
    out = bed * duck_envelope(mask, rate, settings, length)
    out[:len(voice)] += voice
    return out.astype(np.float32)
