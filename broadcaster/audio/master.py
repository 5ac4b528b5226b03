"""Mastering for horn speakers with ffmpeg: band-pass, gentle compression, two-pass loudness.

Pass 1 filters and compresses the program and measures it with ffmpeg's ebur128 (integrated
loudness and true peak). Pass 2 applies the one linear gain that reaches the target, a
look-ahead limiter only when that gain would push the true peak over the ceiling, the
profile's leading silence, and encodes. ffmpeg's loudnorm filter would do the same two
passes but resamples to 192 kHz and takes ~1.3 s per pass on a 60 s notice, over the 1 s
budget; ebur128 + volume + alimiter are the same ffmpeg, ten times faster.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from broadcaster.audio import ffmpeg
from broadcaster.audio.bed import lay_bed
from broadcaster.audio.decode import pcm16_to_float
from broadcaster.audio.profiles import OutputProfile, bed_settings
from broadcaster.audio.tags import write_tags
from broadcaster.errors import AudioError
from broadcaster.fsutil import atomic_path
from broadcaster.i18n import _

# Lossy encoding adds inter-sample overs; keep this much below the profile's true-peak ceiling.
_MARGIN_DB = {"mp3": 0.9, "wav": 0.5}  # sample-peak limit; true peaks run ~0.4 dB higher
_SILENT_LUFS = -60.0  # quieter than this there is nothing to normalize
_TOLERANCE_LU = 0.5   # pass 2 is repeated with a corrected gain when it lands further off
# A decoded MP3 from libmp3lame measures 0.4 dB quieter than what went in (imageio-ffmpeg's
# LAME 3.100); aiming this much higher saves a second encode. Another encoder that differs
# is still caught by measuring the written file.
_ENCODER_GAIN_DB = {"mp3": -0.4}


@dataclass(frozen=True)
class Loudness:
    """What ffmpeg's ebur128 measured."""

    integrated: float  # LUFS
    true_peak: float   # dBTP
    lra: float         # LU
    duration: float    # seconds


def band_filters(profile: OutputProfile) -> list[str]:
    """The profile's horn band and compressor as ffmpeg filters."""
    out = []
    if profile.highpass:
        out.append(f"highpass=f={profile.highpass:g}:poles=2")
    if profile.lowpass:
        out.append(f"lowpass=f={profile.lowpass:g}:poles=2")
    c = profile.compressor
    if c:
        out.append(f"acompressor=threshold={10 ** (c.threshold / 20):.6f}:ratio={c.ratio:g}"
                   f":attack={c.attack:g}:release={c.release:g}:makeup={10 ** (c.makeup / 20):.4f}")
    return out


def encode_args(profile: OutputProfile) -> list[str]:
    """ffmpeg output options for the profile's file format (no metadata of ffmpeg's own)."""
    args = ["-map_metadata", "-1", "-ac", "1", "-ar", str(profile.sample_rate)]
    if profile.format == "mp3":
        # -b:a without -abr is constant bitrate in libmp3lame
        # no ID3 from ffmpeg: mutagen writes ours (tags.py) when the profile wants tags
        args += ["-c:a", "libmp3lame", "-b:a", profile.bitrate, "-id3v2_version", "0", "-write_id3v1", "0"]
        if not profile.tags:
            args += ["-write_xing", "0"]  # bare MPEG frames for simple players: no Info frame either
        args += ["-f", "mp3"]
    else:
        args += ["-c:a", "pcm_s16le", "-fflags", "+bitexact", "-f", "wav"]
    return args


def ebur128_summary(stderr: bytes) -> tuple[float, float, float]:
    """Integrated loudness (LUFS), true peak (dBTP) and loudness range (LU) from ebur128's summary."""
    text = stderr.decode("utf-8", "replace")
    summary = text[text.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    lra = re.search(r"LRA:\s+(-?[\d.]+) LU", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if not i:
        raise AudioError(_("ffmpeg did not report the loudness (is the ebur128 filter missing?)"))
    return float(i.group(1)), float(peak.group(1)) if peak else float("-inf"), float(lra.group(1)) if lra else 0.0


def _f32(samples: np.ndarray) -> bytes:
    return np.ascontiguousarray(samples, dtype="<f4").tobytes()


@dataclass(frozen=True)
class Mastered:
    """What pass 2 handed to the encoder: loudness, sample peak, and the program's length."""

    integrated: float  # LUFS
    sample_peak: float  # dBFS
    duration: float    # seconds


def master(samples: np.ndarray, rate: int, profile: OutputProfile, target: Path,
           tags: dict | None = None, trim: float = 0.0, headroom: float = 0.0) -> Mastered:
    """Master mono float samples at `rate` and write `target` atomically in the profile's format.

    `trim` (dB louder) and `headroom` (dB lower ceiling) are corrections for a second try
    after the written file was measured (`master_checked`).
    """
    chain = band_filters(profile)
    if rate != profile.sample_rate:
        chain.append(f"aresample={profile.sample_rate}")
    # pass 1: filtered, compressed PCM and its loudness (sample peak is enough to decide on the limiter)
    first = ffmpeg.run(["-nostats", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "-",
                        "-af", ",".join(chain + ["ebur128=peak=sample:framelog=quiet"]), "-f", "f32le", "-"],
                       stdin=_f32(samples))
    processed = first.stdout
    measured_i, measured_peak, _ = ebur128_summary(first.stderr)
    silent = measured_i < _SILENT_LUFS
    aim = profile.target_lufs - _ENCODER_GAIN_DB.get(profile.format, 0.0) + trim
    gain = 0.0 if silent else aim - measured_i
    ceiling = profile.true_peak - _MARGIN_DB.get(profile.format, 0.5) - headroom
    limit = not silent and measured_peak + gain > ceiling
    for _trial in range(2 if limit else 0):  # the limiter takes loudness away: measure it, ask it back
        trial = ffmpeg.run(["-nostats", "-f", "f32le", "-ar", str(profile.sample_rate), "-ac", "1", "-i", "-",
                            "-af", ",".join(limiter_filters(gain, ceiling, 0.0) + ["ebur128=framelog=quiet"]),
                            "-f", "null", "-"], stdin=processed)
        miss = aim - ebur128_summary(trial.stderr)[0]
        gain += miss
        if abs(miss) <= 1.0:  # asking back this little changes the limiting only a little more
            break

    with atomic_path(target) as tmp:
        for _attempt in range(2):
            # one ffmpeg: encode, and meter the very samples handed to the encoder
            graph = ",".join(limiter_filters(gain, ceiling if limit else None, profile.leading_silence))
            proc = ffmpeg.run(["-nostats", "-f", "f32le", "-ar", str(profile.sample_rate), "-ac", "1", "-i", "-",
                               "-filter_complex", f"[0:a]{graph},asplit=2[out][m];"
                               "[m]ebur128=peak=sample:framelog=quiet[metered]",
                               "-map", "[out]", *encode_args(profile), "-y", str(tmp),
                               "-map", "[metered]", "-f", "null", "-"], stdin=processed)
            out_i, out_peak, _ = ebur128_summary(proc.stderr)
            if silent or abs(aim - out_i) <= _TOLERANCE_LU:
                break
            gain += aim - out_i
        if tags and profile.tags and profile.format == "mp3":
            write_tags(tmp, tags)
    duration = len(processed) / 4 / profile.sample_rate + profile.leading_silence
    return Mastered(round(out_i, 2), round(out_peak, 2), round(duration, 3))


def master_checked(samples: np.ndarray, rate: int, profile: OutputProfile, target: Path,
                   tags: dict | None = None) -> Loudness:
    """`master`, then the written file measured (ebur128, true peak); one corrected second
    try if it missed the target or the true-peak ceiling. Returns the file's measurement."""
    master(samples, rate, profile, target, tags)
    level = measure(target)
    trim = profile.target_lufs - level.integrated
    over = level.true_peak - profile.true_peak
    if level.integrated > _SILENT_LUFS and (abs(trim) > _TOLERANCE_LU or over > 0):
        master(samples, rate, profile, target, tags, trim=trim, headroom=max(over, 0.0) + (0.2 if over > 0 else 0))
        level = measure(target)
    return level


def limiter_filters(gain: float, ceiling: float | None, leading_silence: float) -> list[str]:
    """Pass 2 filters: the linear gain, the limiter when needed, the leading silence."""
    out = [f"volume={gain:.3f}dB"]
    if ceiling is not None:
        out.append(f"alimiter=limit={10 ** (ceiling / 20):.5f}:level=false:latency=true:attack=5:release=80")
    if leading_silence > 0:
        out.append(f"adelay=delays={int(round(leading_silence * 1000))}:all=1")
    return out


def measure(path: Path) -> Loudness:
    """Loudness, true peak and decoded duration of an audio file (ffmpeg ebur128)."""
    proc = ffmpeg.run(["-nostats", "-i", str(path), "-af", "ebur128=peak=true:framelog=quiet",
                       "-f", "s16le", "-ac", "1", "-ar", "8000", "-"])
    i, tp, lra = ebur128_summary(proc.stderr)
    return Loudness(round(i, 2), round(tp, 2), round(lra, 2), round(len(proc.stdout) / 2 / 8000, 3))


def master_program(program, profile: OutputProfile, target: Path, music: Path | None = None,
                   tags: dict | None = None) -> Loudness:
    """An assembled program (audio.program.ProgramAudio) with its music bed, mastered and
    written to `target`; returns the loudness measured on the written file."""
    samples = pcm16_to_float(program.audio.raw_data)
    rate = program.audio.frame_rate
    if music is not None:
        samples = lay_bed(samples, rate, music, profile.bed or bed_settings())
    return master_checked(samples, rate, profile, target, tags)  # the manifest reports the file itself
