"""An official's own recording (phone, browser, WeChat) -> a checked, cleaned clip, cached by content.

Phones write AAC (.m4a), AMR (.amr, .3gp), MP3 or WAV; browsers Opus in WebM or Ogg; WeChat voice
messages are SILK, which ffmpeg cannot read: silk-python decodes those to PCM first. One ffmpeg
process then decodes, downmixes and resamples the file and hands back two channels: the sound as
it is (for the checks: clipping) and the sound high-passed and gently denoised (ffmpeg highpass,
afftdn), which it also measures (ebur128: the first loudness pass). numpy finds where the speech
starts and ends on the cleaned channel; a second ffmpeg process applies the gain to the output
profile's loudness, with ffmpeg's limiter only when the peaks would pass the ceiling, and measures
the result (loudness and true peak), correcting once more if it missed: the two-pass loudness of
audio/master.py, on a clip. Settings: data/audio/recordings.yaml.

Trimming is ours, not ffmpeg's silenceremove: handling noise (the thumb on the case, the record
button, a rub) is louder than any silence threshold, so a stretch is taken as speech by where its
energy lies (the voice band) and how long it lasts, which silenceremove cannot tell.

A bad recording is bad input (`RecordingRefused`, placed by the caller at the notice's line): not
audio, silent, too short, too long. Heavy clipping is only a warning (`clipped`). The cleaned clip
is cached under the SHA-256 of the file's bytes, the settings, the output level and the code
version (the digest of this module and of its settings, and the ffmpeg build), beside the speech
clips (audio/cache.py), so a recording is cleaned once.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from broadcaster.audio import ffmpeg
from broadcaster.audio.cache import CACHE, ClipCache, clip_key
from broadcaster.audio.clip import Clip
from broadcaster.audio.master import ebur128_summary, limiter_filters  # the one parser of ebur128's summary
from broadcaster.audio.signal import moving_average, runs
from broadcaster.errors import AudioError, BadInput
from broadcaster.i18n import _
from broadcaster.resources import data_path

SETTINGS = data_path("audio", "recordings.yaml")
SILK_MAGIC = (b"#!SILK_V3", b"\x02#!SILK_V3")  # plain, and WeChat's with a leading 0x02
SILK_RATE = 24000   # SILK's widest band: decoded at this rate
MAX_SILK_BYTES = 50_000_000  # 15 minutes of SILK is under 3 MB
ENGINE = "recording"  # the `engine` of a cleaned clip, and its cache key's engine
_LIMIT_MARGIN_DB = 0.5  # sample peak this far under the true-peak ceiling (true peaks run higher)
# A cleaned clip is within this of the target (the limiter takes some loudness away: it is measured
# and asked back); the program's mastering then levels the whole program (audio/master.py).
_TOLERANCE_LU = 0.5


class RecordingRefused(BadInput):
    """A recording that cannot go on air; the caller places it at the notice's `recording:` line."""


@dataclass(frozen=True)
class Settings:
    """data/audio/recordings.yaml: limits, cleaning and trimming."""

    limits: dict
    cleaning: dict
    trim: dict


@lru_cache(maxsize=1)
def settings() -> Settings:
    raw = yaml.safe_load(SETTINGS.read_text(encoding="utf-8"))
    return Settings(limits=raw["limits"], cleaning=raw["cleaning"], trim=raw["trim"])


@lru_cache(maxsize=1)
def code_version() -> str:
    """Changes whenever the same file would be cleaned differently: this module, its settings, ffmpeg."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(SETTINGS.read_bytes())
    h.update(Path(ffmpeg.ffmpeg_exe()).name.encode())  # imageio-ffmpeg names its binary by version
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Level:
    """The loudness a recording is cleaned to: the output profile's target and true-peak ceiling."""

    target_lufs: float = -16.0
    true_peak: float = -1.0

    @classmethod
    def of(cls, profile) -> "Level":
        """The level an output profile (audio/profiles.py) masters to."""
        return cls(profile.target_lufs, profile.true_peak)


@dataclass(frozen=True)
class Cleaned:
    """A recording ready for a program, and what was measured on the way."""

    clip: Clip              # mono 16-bit PCM at the program's rate
    sha256: str             # of the file's bytes
    codec: str              # what the file held: aac, mp3, opus, amr_nb, silk, pcm_s16le ...
    source_seconds: float   # the whole file
    kept: tuple[float, float]  # the stretch kept (speech and its pads), seconds into the file
    source_lufs: float      # the whole file after high-pass and denoise (the first loudness pass)
    loudness_lufs: float    # the cleaned clip
    clipped: float          # share of the file's samples at full scale

    @property
    def seconds(self) -> float:
        return self.clip.duration

    def as_meta(self) -> dict:
        return {"sha256": self.sha256, "codec": self.codec, "source_seconds": self.source_seconds,
                "kept": list(self.kept), "source_lufs": self.source_lufs, "loudness_lufs": self.loudness_lufs,
                "clipped": self.clipped}

    @classmethod
    def from_meta(cls, clip: Clip, meta: dict) -> Cleaned:
        return cls(clip=clip, sha256=str(meta["sha256"]), codec=str(meta["codec"]),
                   source_seconds=float(meta["source_seconds"]), kept=tuple(float(x) for x in meta["kept"]),
                   source_lufs=float(meta["source_lufs"]), loudness_lufs=float(meta["loudness_lufs"]),
                   clipped=float(meta["clipped"]))

    def too_loud(self) -> bool:
        """Heavy clipping: the recording distorts (a warning, not a refusal)."""
        return self.clipped >= float(settings().limits["clipped_warn"])


def _refuse(what: str, fix: str) -> RecordingRefused:
    return RecordingRefused(what, fix)


def _read(path: Path, name: str) -> tuple[str, bytes | None]:
    """(SHA-256 of the file's bytes, the bytes if it is SILK). Only an ordinary file is read:
    a FIFO or a device would make the reader wait for ever, or read without end."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _refuse(_("cannot read recording '{name}' ({reason})").format(
            name=name, reason=exc.strerror or exc), _("check the file and its permissions")) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise _refuse(_("recording '{name}' is not an ordinary file (a pipe or a device)").format(name=name),
                          _("name an audio file saved in this notice's folder"))
        head = handle.read(16)
        h = hashlib.sha256(head)
        silk = head.startswith(SILK_MAGIC)
        chunks = [head] if silk else []
        size = len(head)
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
            if silk:
                if size > MAX_SILK_BYTES:
                    raise _too_long(name)
                chunks.append(chunk)
    return h.hexdigest(), b"".join(chunks) if silk else None


def _too_long(name: str) -> RecordingRefused:
    minutes = f"{float(settings().limits['max_seconds']) / 60:g}"
    return _refuse(_("recording '{name}' is longer than {minutes} minutes").format(name=name, minutes=minutes),
                   _("cut it, or record the notice in several parts (`parts:`)"))


def _not_audio(name: str) -> RecordingRefused:
    return _refuse(_("recording '{name}' is not audio, or in a format that cannot be read").format(name=name),
                   _("use the file as the phone or WeChat made it: m4a, mp3, wav, ogg, webm, amr, 3gp or silk"))


def _silk_pcm(data: bytes, name: str) -> bytes:
    import pysilk  # silk-python: only WeChat voice messages need it

    out = io.BytesIO()
    try:
        pysilk.decode(io.BytesIO(data), out, SILK_RATE)
    except pysilk.SilkError:  # a damaged or cut-off voice message (measured: INVALID, DEC_PAYLOAD_TOO_LARGE)
        raise _not_audio(name) from None
    return out.getvalue()


def _filters(s: Settings) -> str:
    c = s.cleaning
    hp = f"highpass=f={float(c['highpass']):g}:poles=2"
    return f"{hp},{hp},afftdn=nr={float(c['denoise']):g}:nf={float(c['noise_floor']):g}:tn=1"


def cleaning_filters(rate: int | None = None) -> str:
    """The ffmpeg filters a recording goes through (for the benchmark, which runs them alone)."""
    s = settings()
    rate = rate or int(s.cleaning["rate"])
    return f"aresample={rate},aformat=sample_fmts=flt:channel_layouts=mono,{_filters(s)}"


@dataclass(frozen=True)
class _Decoded:
    raw: np.ndarray      # the sound as it is (downmixed, resampled)
    clean: np.ndarray    # high-passed and denoised
    codec: str
    lufs: float          # integrated loudness of `clean` (ebur128): the first pass
    peak: float          # its sample peak, dBFS


def _decode_two(path: Path, silk: bytes | None, rate: int, s: Settings, name: str = "") -> _Decoded:
    """One ffmpeg: the file decoded, downmixed and resampled to `rate`, as it is and cleaned (high-pass,
    denoise), and the cleaned sound measured (the first loudness pass)."""
    limit = float(s.limits["max_seconds"]) + 1  # read no further than that: a longer file is refused
    if silk is not None:
        pcm = _silk_pcm(silk, name)
        source = ["-f", "s16le", "-ar", str(SILK_RATE), "-ac", "1", "-t", f"{limit:g}", "-i", "pipe:0"]
        stdin, codec = pcm, "silk"
    else:
        # "file:" so that no name is taken for a protocol; -t bounds the work on an endless file
        source = ["-t", f"{limit:g}", "-i", f"file:{path}"]
        stdin, codec = None, ""
    graph = (f"[0:a:0]aresample={rate},aformat=sample_fmts=flt:channel_layouts=mono,asplit=2[raw][f];"
             f"[f]{_filters(s)},ebur128=peak=sample:framelog=quiet[clean];[raw][clean]amerge=inputs=2[out]")
    try:
        proc = ffmpeg.run(["-nostats", *source, "-vn", "-filter_complex", graph, "-map", "[out]",
                           "-f", "f32le", "-ar", str(rate), "pipe:1"], stdin=stdin, timeout=600)
        lufs, peak, _lra = ebur128_summary(proc.stderr)
    except AudioError:
        raise _not_audio(name) from None
    if not codec:
        found = re.search(r"Stream #\d+:\d+.*?: Audio: (\w+)", proc.stderr.decode("utf-8", "replace"))
        codec = found.group(1) if found else "?"
    both = np.frombuffer(proc.stdout, dtype="<f4")
    both = both[: len(both) // 2 * 2].reshape(-1, 2)
    return _Decoded(both[:, 0], both[:, 1], codec, lufs, peak)


def _frames(x: np.ndarray, n: int) -> np.ndarray:
    frames = len(x) // n
    return x[: frames * n].reshape(frames, n)


@dataclass(frozen=True)
class VoiceSpan:
    """Where the speech is in a recording (seconds), and how loud (dBFS, the loudest 0.3 s): the
    whole recording, and the speech alone (-inf when none was found)."""

    start: float
    end: float
    peak_db: float
    voice_db: float = float("-inf")


def _db(power: float) -> float:
    return float(10 * np.log10(power)) if power > 0 else float("-inf")


def find_speech(clean: np.ndarray, rate: int, trim: dict | None = None) -> VoiceSpan:
    """The first and last speech in a (high-passed, denoised) recording; start == end when none."""
    t = trim or settings().trim
    n = max(1, int(rate * float(t["frame"])))
    frames = _frames(clean.astype(np.float32), n)
    if not len(frames):
        return VoiceSpan(0.0, 0.0, float("-inf"))
    steps = 1 / float(t["frame"])  # frames a second
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(n), axis=1)) ** 2 + 1e-20
    freqs = np.fft.rfftfreq(n, 1 / rate)
    low, high = (float(f) for f in t["voice_band"])
    band = spectrum[:, (freqs >= low) & (freqs <= high)]
    # spectral flatness (geometric over arithmetic mean): a voice's harmonics make it small, noise flat
    peaked = np.exp(np.log(band).mean(axis=1)) / band.mean(axis=1) <= float(t["flatness"])
    power = (frames.astype(np.float64) ** 2).mean(axis=1)
    wide = max(1, round(0.3 * steps))  # a click is loud for a moment, a voice for a while
    peak_db = _db(moving_average(power, wide).max())
    band_power = band.sum(axis=1)
    band_db = 10 * np.log10(moving_average(band_power, max(1, round(0.1 * steps))))
    # the threshold follows the loudest voice, not the loudest noise (a rub can be louder than a quiet voice)
    voice_peak = _db(moving_average(np.where(peaked, band_power, 0.0), wide).max())
    floor_db = float(np.percentile(band_db, 20))
    threshold = max(voice_peak - float(t["below_peak"]), floor_db + float(t["above_floor"]))
    voiced = (band_db > threshold) & peaked
    for a, b in runs(voiced, join=0):  # a frame or two alone is noise that happens to look voiced
        if b - a < float(t["vowel"]) * steps:
            voiced[a:b] = False
    spoken = [(a, b) for a, b in runs(voiced, join=round(float(t["join"]) * steps))
              if b - a >= float(t["shortest"]) * steps]
    if not spoken:
        return VoiceSpan(0.0, 0.0, peak_db)
    first, last = spoken[0][0], spoken[-1][1]
    voice_db = _db(moving_average(np.where(voiced, power, 0.0)[first:last], wide).max())
    return VoiceSpan(first / steps, last / steps, peak_db, voice_db)


def clipped_share(raw: np.ndarray, level: float) -> float:
    """Share of samples at full scale next to another one there: a clipped waveform is flat at its
    top, while one sample alone at the top is only a peak."""
    if len(raw) < 2:
        return 0.0
    hot = np.abs(raw) >= level
    return float((hot[1:] & hot[:-1]).sum()) / len(raw)


def _to_level(samples: np.ndarray, rate: int, level: Level, lufs: float, peak: float) -> tuple[np.ndarray, float]:
    """The second loudness pass: the gain that takes the first pass's measure (`lufs`, sample `peak`, of
    the whole file) to the target for the kept stretch, ffmpeg's limiter only when the peaks would pass
    the ceiling, and the result measured; the gain is corrected when it missed by more than half a loudness
    unit (the limiter takes some loudness away). Returns (samples, loudness).

    The clip's sample peaks stay under the ceiling; its true peak is the program's mastering's to hold
    (audio/master.py measures the written file), since the program is filtered and limited again.
    """
    gain = level.target_lufs - max(lufs, -70.0)  # -inf: all of it below ebur128's gate (refused before)
    ceiling = level.true_peak - _LIMIT_MARGIN_DB
    limit = peak + gain > ceiling
    if limit:  # ask for what the limiter will take away, as far as flattening the peaks takes it
        gain += _clip_loss(samples, gain, ceiling)
    out, after = samples, lufs
    for _attempt in range(3):
        graph = ",".join(limiter_filters(gain, ceiling if limit else None, 0.0))
        proc = ffmpeg.run(["-nostats", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                           "-filter_complex", f"[0:a]{graph},asplit=2[out][m];[m]ebur128=framelog=quiet[x]",
                           "-map", "[out]", "-f", "f32le", "pipe:1", "-map", "[x]", "-f", "null", "-"],
                          stdin=np.ascontiguousarray(samples, dtype="<f4").tobytes())
        after = ebur128_summary(proc.stderr)[0]
        out = np.frombuffer(proc.stdout, dtype="<f4")
        if abs(level.target_lufs - after) <= _TOLERANCE_LU:
            break
        gain += level.target_lufs - after
        limit = limit or float(np.abs(out).max()) > 10 ** (ceiling / 20)
    return out, after


def _gated_db(samples: np.ndarray, rate: int) -> float:
    """Mean power (dB) over the 0.4 s blocks that ebur128's gates keep (above -70 dB, and above 10 dB under
    the mean of those): the same gating, without the K-weighting, to compare two stretches of one sound."""
    n = max(1, rate // 10)
    frames = _frames(samples.astype(np.float64), n)
    if not len(frames):
        return float("-inf")
    blocks = np.convolve((frames ** 2).mean(axis=1), np.ones(4) / 4, mode="valid")
    blocks = blocks[blocks > 1e-7]  # -70 dB
    if not len(blocks):
        return float("-inf")
    blocks = blocks[blocks > blocks.mean() / 10]
    return float(10 * np.log10(blocks.mean()))


def _clip_loss(samples: np.ndarray, gain: float, ceiling: float) -> float:
    """dB of power lost when the samples, raised by `gain`, are held at `ceiling` (dBFS): a first guess of
    the limiter's loss (it holds a little more around each peak)."""
    x = samples.astype(np.float64) * 10 ** (gain / 20)
    power = float(np.mean(x ** 2))
    held = float(np.mean(np.minimum(np.abs(x), 10 ** (ceiling / 20)) ** 2))
    return 10 * np.log10(power / held) if held > 0 else 0.0


def cache_key(sha256: str, level: Level) -> str:
    """The cleaned clip's address: the file's bytes, the settings, the level and the code version."""
    s = settings()
    return clip_key(ENGINE, code_version(), {"limits": s.limits, "cleaning": s.cleaning, "trim": s.trim,
                                             "target_lufs": level.target_lufs, "true_peak": level.true_peak},
                    sha256)


def clean_recording(path: Path, level: Level = Level(), cache: ClipCache = CACHE, name: str = "") -> Cleaned:
    """A recording checked and cleaned for a program (from the cache when this file was cleaned before).

    RecordingRefused (bad input, without a place: the caller knows the notice's line) when it is
    not audio, silent, shorter than the least speech or longer than the most; `name` is the file as
    the notice writes it, for those messages.
    """
    name = name or path.name
    digest, silk = _read(path, name)
    key = cache_key(digest, level)
    entry = cache.get_entry(key)
    if entry is not None:
        try:
            return Cleaned.from_meta(*entry)
        except (KeyError, TypeError, ValueError):
            pass  # an entry of another shape: clean it again
    cleaned = _clean(path, silk, digest, level, name)
    cache.put(key, cleaned.clip, cleaned.as_meta())
    return cleaned


def _clean(path: Path, silk: bytes | None, digest: str, level: Level, name: str) -> Cleaned:
    s = settings()
    rate = int(s.cleaning["rate"])
    decoded = _decode_two(path, silk, rate, s, name)
    raw, clean = decoded.raw, decoded.clean
    seconds = len(raw) / rate
    if not len(raw):
        raise _not_audio(name)
    if seconds > float(s.limits["max_seconds"]):
        raise _too_long(name)
    speech = find_speech(clean, rate, s.trim)
    silent = float(s.limits["silent_db"])
    fix = _("check the phone's microphone and record again, close to the phone")
    if speech.peak_db < silent:
        what = (_("recording '{name}' is silent (no sound at all)").format(name=name)
                if speech.peak_db < -100 else
                _("recording '{name}' is almost silent (its loudest moment is {db:.0f} dB; speech is louder "
                  "than {limit:g} dB)").format(name=name, db=speech.peak_db, limit=silent))
        raise _refuse(what, fix)
    if speech.end > speech.start and speech.voice_db < silent:
        raise _refuse(_("the voice in recording '{name}' is almost silent (at its loudest {db:.0f} dB; speech is "
                        "louder than {limit:g} dB)").format(name=name, db=speech.voice_db, limit=silent), fix)
    said = speech.end - speech.start
    if said < float(s.limits["min_speech"]):
        what = (_("no speech was found in recording '{name}', only noise").format(name=name) if said <= 0 else
                _("recording '{name}' holds only {seconds:.1f} s of speech (at least {least:g} s)").format(
                    name=name, seconds=said, least=float(s.limits["min_speech"])))
        raise _refuse(what, _("record the whole notice again"))
    t = s.trim
    start = max(0, int((speech.start - float(t["pad_before"])) * rate))
    end = min(len(clean), int((speech.end + float(t["pad_after"])) * rate))
    kept = clean[start:end].astype(np.float32)
    fade = min(len(kept) // 2, int(float(t["fade"]) * rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        kept[:fade] *= ramp
        kept[-fade:] *= ramp[::-1]
    # the first pass measured the whole file; the kept stretch, without the handling noise, differs
    kept_lufs = decoded.lufs + _gated_db(kept, rate) - _gated_db(clean, rate)
    out, after = _to_level(kept, rate, level, kept_lufs, decoded.peak)
    pcm = (np.clip(out, -1.0, 32767 / 32768) * 32768).astype("<i2").tobytes()
    return Cleaned(clip=Clip(pcm=pcm, sample_rate=rate, engine=ENGINE), sha256=digest, codec=decoded.codec,
                   source_seconds=round(seconds, 3), kept=(round(start / rate, 3), round(end / rate, 3)),
                   source_lufs=round(decoded.lufs, 2), loudness_lufs=round(after, 2),
                   clipped=round(clipped_share(raw, float(s.limits["clipped_level"])), 5))
