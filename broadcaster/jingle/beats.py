"""Jingle -> Script: lines cut at 、 and laid on an even beat grid (the audio stage sets the tempo)."""
from __future__ import annotations

import re
from dataclasses import replace

from broadcaster.jingle.check import check_jingle, form_error
from broadcaster.script import BeatBlock, BeatLine, Pause, Script, Segment, Speech, reading_voice
from broadcaster.speech.characters import mark_class

HALF_LINE_GAIN_DB = 3.0   # the 三句半 punch line, a little louder


def phrases(line: str) -> list[str]:
    """A line cut at 、，；： and spaces (each cut is a short pause)."""
    return re.findall(f"[^{mark_class('comma', 'clause_stop', 'colon')}\\s]+", line)


def beat_line(text: str, comma_ms: int, role: str = "line", rest_beats: int = 0,
              gain_db: float = 0.0, voice: str = "", reading: int = 0) -> BeatLine:
    parts: list[Speech | Pause] = []
    for i, phrase in enumerate(phrases(text)):
        if i:
            parts.append(Pause(comma_ms))
        parts.append(Speech(phrase, role, voice, reading))
    return BeatLine(tuple(parts), rest_beats, gain_db)


def build_jingle_script(notice, voice) -> Script:
    """The readings of a `kind: jingle` notice (frame them with script.frame_program); BadInput when
    a line breaks its declared form."""
    report = check_jingle(notice, voice=voice)
    if report.form_given:
        error = form_error(notice, report)
        if error is not None:
            raise error
    gap = int(notice.options.get("gap", voice.pauses.repeat_gap / 1000) * 1000)
    segments: list[Segment] = []
    for n in range(notice.repeat):
        if n:
            segments.append(Pause(gap))
        who, number = reading_voice(notice, n)  # `alternate:` readings take turns in their voices
        lines = []
        for i, text in enumerate(notice.lines):
            half = report.form == "三句半" and i % 4 == 3
            lines.append(beat_line(text, voice.pauses.comma, "half-line" if half else "line",
                                   rest_beats=1 if half else 0, gain_db=HALF_LINE_GAIN_DB if half else 0.0,
                                   voice=who, reading=number))
        segments.append(BeatBlock(tuple(lines), line_pause_ms=voice.pauses.line))
    return Script(notice_id=notice.id, segments=tuple(segments), body="\n".join(notice.lines))


def with_percussion(script: Script, sound: str = "woodblock") -> Script:
    """The same script with `sound` struck on every beat of its jingle blocks (and a bar to count in)."""
    segments = tuple(replace(s, percussion=sound, intro_beats=s.beats_per_line) if isinstance(s, BeatBlock) else s
                     for s in script.segments)
    return replace(script, segments=segments)
