"""A jingle BeatBlock -> audio: lines on an even beat grid, with optional percussion on the beats."""
from __future__ import annotations

from typing import Callable

import numpy as np

from broadcaster.audio.clip import Clip
from broadcaster.audio.ffmpeg import pydub
from broadcaster.audio.percussion import strike
from broadcaster.script import BeatBlock, BeatLine, Pause, Speech

PERCUSSION_DB = -14.0     # below the voice: it keeps time, it must not cover the words
MIN_BEAT_MS = 300         # faster than this the words cannot keep up


def _samples(clip: Clip, sample_rate: int) -> np.ndarray:
    seg = pydub()(data=clip.pcm, sample_width=2, frame_rate=clip.sample_rate, channels=1)
    if seg.frame_rate != sample_rate:
        seg = seg.set_frame_rate(sample_rate)
    return _trimmed(np.frombuffer(seg.raw_data, dtype=np.int16).astype(np.float32) / 32768.0, sample_rate)


def _trimmed(samples: np.ndarray, rate: int, floor_db: float = -45.0, keep_ms: int = 30) -> np.ndarray:
    """Without the silence engines put around a clip: the beat, not the engine, sets the pauses."""
    win = max(1, rate // 100)
    n = len(samples) // win
    if n == 0:
        return samples
    rms = np.sqrt((samples[: n * win].reshape(n, win) ** 2).mean(axis=1) + 1e-12)
    loud = np.nonzero(20 * np.log10(rms) > floor_db)[0]
    if len(loud) == 0:
        return samples
    keep = rate * keep_ms // 1000
    return samples[max(0, loud[0] * win - keep):min(len(samples), (loud[-1] + 1) * win + keep)]


def _line_audio(line: BeatLine, clip_for: Callable[[Speech], Clip], rate: int) -> tuple[np.ndarray, list]:
    """One line's phrases and short pauses, and where each phrase sits in it (seconds)."""
    pieces, spans, pos = [], [], 0
    for part in line.parts:
        if isinstance(part, Pause):
            piece = np.zeros(int(rate * part.ms / 1000), dtype=np.float32)
        else:
            piece = _samples(clip_for(part), rate)
            spans.append((pos / rate, (pos + len(piece)) / rate))
        pieces.append(piece)
        pos += len(piece)
    audio = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    if line.gain_db:
        audio = audio * (10 ** (line.gain_db / 20))
    return audio, spans


def beat_ms(block: BeatBlock, line_lengths: list[int], rate: int) -> int:
    """The beat, in whole milliseconds: the longest line plus its rest fills `beats_per_line` beats."""
    longest = max(line_lengths or [0]) * 1000 // rate + block.line_pause_ms
    return max(MIN_BEAT_MS, -(-longest // block.beats_per_line))


def block_audio(block: BeatBlock, clip_for: Callable[[Speech], Clip], rate: int):
    """(pydub segment, speech spans in seconds, line onsets in seconds) for one reading of a jingle."""
    lines = [_line_audio(line, clip_for, rate) for line in block.lines]
    beat = beat_ms(block, [len(a) for a, _ in lines], rate)
    beat_n = rate * beat // 1000
    onsets_beats, at = [], block.intro_beats
    for line in block.lines:
        at += line.rest_beats
        onsets_beats.append(at)
        at += block.beats_per_line
    total_beats = at
    length = total_beats * beat_n
    last_end = onsets_beats[-1] * beat_n + len(lines[-1][0]) if lines else 0
    out = np.zeros(max(length, last_end), dtype=np.float32)
    spans = []
    for (audio, line_spans), start_beat in zip(lines, onsets_beats):
        start = start_beat * beat_n
        out[start:start + len(audio)] += audio
        spans.extend((start / rate + a, start / rate + b) for a, b in line_spans)
    if block.percussion:
        level = 10 ** (PERCUSSION_DB / 20)
        downbeats = set(onsets_beats) | {0}
        for k in range(total_beats):
            hit = strike(block.percussion, rate, accent=k in downbeats) * level
            start = k * beat_n
            end = min(len(out), start + len(hit))
            out[start:end] += hit[:end - start]
    pcm = (np.clip(out, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    segment = pydub()(data=pcm, sample_width=2, frame_rate=rate, channels=1)
    return segment, tuple(spans), tuple(b * beat / 1000 for b in onsets_beats)
