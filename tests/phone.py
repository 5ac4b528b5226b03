"""Phone-like recordings for tests and benches: real eSpeak speech with handling noise, hum and a quiet level.

Every file is made here from real parts: eSpeak NG speaks, numpy adds what a phone in a village
office picks up, and ffmpeg (or silk-python, for WeChat voice messages) encodes it the way phones
and browsers do. Nothing of broadcaster's recording code is used to make them.
"""
from __future__ import annotations

import io
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
RATE = 22050
TEXT = "各位村民请注意，明天上午八点到十二点停水，请大家提前储水。"

# format -> (file suffix, ffmpeg output options): what phones and browsers write
FORMATS = {
    "m4a": (".m4a", ["-c:a", "aac", "-b:a", "64k", "-f", "ipod"]),
    "mp3": (".mp3", ["-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"]),
    "wav": (".wav", ["-c:a", "pcm_s16le", "-f", "wav"]),
    "ogg": (".ogg", ["-c:a", "libopus", "-b:a", "32k", "-f", "ogg"]),
    "webm": (".webm", ["-c:a", "libopus", "-b:a", "32k", "-f", "webm"]),
    "amr": (".amr", ["-ar", "8000", "-c:a", "libopencore_amrnb", "-b:a", "12.2k", "-f", "amr"]),
    "3gp": (".3gp", ["-ar", "8000", "-c:a", "libopencore_amrnb", "-b:a", "12.2k", "-f", "3gp"]),
}


@dataclass(frozen=True)
class Made:
    """A made recording: where the speech is in it (seconds) and how it was made."""

    path: Path
    speech_start: float
    speech_end: float
    speech: np.ndarray   # the clean speech alone, at RATE
    hum_hz: float


def espeak_speech(text: str = TEXT) -> np.ndarray:
    """Mandarin speech from the real eSpeak NG engine, float samples at RATE."""
    from broadcaster.engines.base import get_engine
    from broadcaster.speech.voices import get_profile

    clip = get_engine("espeak").synthesize(text, get_profile("mandarin"))
    samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float32) / 32768.0
    assert clip.sample_rate == RATE, clip.sample_rate
    return samples


def _trim_silence(samples: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    return samples[loud[0]:loud[-1] + 1] if len(loud) else samples[:0]


def handling_noise(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Thumb on the phone before speaking: a thump, clicks of the record button, a rub of the case;
    then a moment's quiet (the last third) before the voice."""
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float32)
    t = np.arange(int(0.25 * RATE)) / RATE
    thump = 0.5 * np.sin(2 * np.pi * 35 * t) * np.exp(-t * 18)
    at = int(0.05 * n)
    out[at:at + len(thump)] += thump[: n - at]
    for k in (0.2, 0.22, 0.3):  # button clicks
        i = int(k * n)
        out[i:i + 30] += rng.uniform(-0.6, 0.6, min(30, n - i))
    rub = rng.normal(0, 0.05, int(0.3 * RATE)).astype(np.float32)
    rub *= np.hanning(len(rub))
    at = int(0.35 * n)
    out[at:at + len(rub)] += rub[: n - at]
    return out


def decode_any(path: Path, rate: int = RATE) -> np.ndarray:
    """A made file decoded back: by ffmpeg, or by silk-python for SILK (ffmpeg cannot read it)."""
    if path.suffix == ".silk":
        import pysilk

        out = io.BytesIO()
        pysilk.decode(io.BytesIO(path.read_bytes()), out, 24000)
        return resample(np.frombuffer(out.getvalue(), dtype="<i2").astype(np.float32) / 32768, 24000, rate)
    raw = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-ar", str(rate), "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<f4")


def phone_mix(speech: np.ndarray, lead: float = 1.2, tail: float = 1.2, speech_db: float = -32.0,
              hum_hz: float = 50.0, hum_db: float = -42.0, noise_db: float = -58.0, seed: int = 7,
              handling: bool = True, clip_gain_db: float = 0.0) -> tuple[np.ndarray, float, float]:
    """Speech placed between handling noise, with hum and room noise under it all, at a quiet level.

    Returns (samples, speech start, speech end) in seconds."""
    rng = np.random.default_rng(seed)
    speech = _trim_silence(speech)
    if len(speech):
        rms = np.sqrt(np.mean(speech ** 2))
        speech = speech * (10 ** (speech_db / 20) / rms) * 10 ** (clip_gain_db / 20)
    head = handling_noise(lead, rng) if handling else np.zeros(int(lead * RATE), np.float32)
    tail_part = handling_noise(tail, rng)[::-1].copy() if handling else np.zeros(int(tail * RATE), np.float32)
    mix = np.concatenate([head, speech, tail_part]).astype(np.float32)
    t = np.arange(len(mix)) / RATE
    hum = np.sin(2 * np.pi * hum_hz * t) + 0.3 * np.sin(2 * np.pi * 3 * hum_hz * t)  # mains and its 3rd harmonic
    mix += 10 ** (hum_db / 20) * np.sqrt(2) * hum
    mix += rng.normal(0, 10 ** (noise_db / 20), len(mix)).astype(np.float32)
    return np.clip(mix, -1.0, 1.0), lead, lead + len(speech) / RATE


def wav_bytes(samples: np.ndarray, rate: int = RATE) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def encode(samples: np.ndarray, target: Path, fmt: str) -> Path:
    """The samples written as a phone or browser would: ffmpeg's encoders, or silk-python for WeChat."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "silk":
        import pysilk

        pcm = io.BytesIO((np.clip(resample(samples, RATE, 24000), -1, 1) * 32767).astype("<i2").tobytes())
        out = io.BytesIO()
        pysilk.encode(pcm, out, 24000, 24000, tencent=True)  # WeChat's files start with 0x02 "#!SILK_V3"
        target.write_bytes(out.getvalue())
        return target
    _suffix, args = FORMATS[fmt]
    subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "wav", "-i", "-", "-ac", "1", *args, str(target)],
                   input=wav_bytes(samples), check=True)
    return target


def resample(samples: np.ndarray, rate: int, to: int) -> np.ndarray:
    proc = subprocess.run([FFMPEG, "-v", "error", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "-",
                           "-ar", str(to), "-f", "f32le", "-"], input=samples.astype("<f4").tobytes(),
                          capture_output=True, check=True)
    return np.frombuffer(proc.stdout, dtype="<f4")


def phone_recording(target: Path, fmt: str, text: str = TEXT, **mix) -> Made:
    """A phone-like recording of eSpeak speaking `text`, in `fmt` (a key of FORMATS, or "silk")."""
    speech = espeak_speech(text)
    samples, start, end = phone_mix(speech, **mix)
    encode(samples, target, fmt)
    return Made(target, start, end, _trim_silence(speech), mix.get("hum_hz", 50.0))
