"""What a program's recordings say and who wrote it down: the notice, the listener (a draft), or nobody;
and what the program is made of, part by part, for the manifest (render.py writes them)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from broadcaster.engines.base import Boundary, Clip
from broadcaster.errors import CouldNotDo
from broadcaster.i18n import _
from broadcaster.script import Recording

# Who wrote down what a recording says (the manifest's `transcript_source`):
FROM_TEXT = "text"              # the notice: the official's own words
BY_MACHINE = "machine"          # the listener (Whisper), a draft
NOT_CHECKED = "not checked"     # nobody: a dialect recording, or no listener installed


@dataclass(frozen=True)
class Words:
    """What a recording says and who wrote it down; `cues` are the listener's (start, end, text)."""

    source: str
    text: str = ""
    why: str = ""      # why NOT_CHECKED
    cues: tuple = ()


RECORDING = "recording"  # the manifest's engine and spoken_as for what an official recorded


def recording_line(rec: Recording, words: Words | None) -> str:
    """A recording's line in the transcript: its words, marked when a machine wrote them down."""
    if rec.text:
        return rec.text
    if words is None:
        return _("(recording {name})").format(name=rec.name)
    if words.source == BY_MACHINE:
        return _("(heard by machine, a draft) {text}").format(text=words.text)
    return _("(recording {name}: words not checked — {why})").format(name=rec.name, why=words.why)


def recording_words(prepared, recordings: dict) -> dict[Path, Words]:
    """Who wrote down what each recording says: the notice (`text:`), else for a Mandarin recording the
    listener (a draft, when it is installed; cached by the recording's content), else nobody.

    A dialect recording is not heard by machine: the listener understands Mandarin only."""
    from broadcaster import listen
    from broadcaster.audio.recording import code_version

    out: dict[Path, Words] = {}
    for rec in prepared.script.recordings():
        if rec.text:
            out[rec.path] = Words(FROM_TEXT, rec.text)
        elif prepared.voice.dialect:
            out[rec.path] = Words(NOT_CHECKED, why=_("a {dialect} recording: the listener understands only "
                                                     "Mandarin").format(dialect=prepared.voice.dialect))
        elif rec.key[:1] == ("alternate",):  # the turn in the local form: not Mandarin, whatever the voice
            out[rec.path] = Words(NOT_CHECKED, why=_("a reading in the local form: the listener understands only "
                                                     "Mandarin"))
        else:
            ok, why = listen.available()
            if not ok:
                out[rec.path] = Words(NOT_CHECKED, why=_("the listener is not installed (pip install "
                                                         "'broadcaster[verify]')"))
                continue
            cleaned = recordings[rec.path]
            try:
                heard = listen.draft(cleaned.clip.pcm, cleaned.clip.sample_rate, f"{cleaned.sha256}:{code_version()}")
            except CouldNotDo as exc:  # a damaged listener costs the draft, never the program
                out[rec.path] = Words(NOT_CHECKED, why=str(exc))
                continue
            out[rec.path] = Words(BY_MACHINE, "".join(h.text for h in heard).strip(),
                                  cues=tuple((h.start, h.end, h.text.strip()) for h in heard if h.text.strip()))
    return out


def with_cues(clip: Clip, words: Words) -> Clip:
    """A recording's clip with subtitle cues: its written text over the whole clip, or the listener's
    pieces marked as a machine's draft."""
    if words.source == FROM_TEXT and words.text:
        return replace(clip, boundaries=(Boundary(0.0, clip.duration, words.text),))
    if words.source == BY_MACHINE:
        return replace(clip, boundaries=tuple(
            Boundary(a, min(b, clip.duration), _("(heard by machine, a draft) {text}").format(text=t))
            for a, b, t in words.cues))
    return clip


def made_of(prepared, recordings: dict, words: dict, spoken_as: str) -> list[dict]:
    """The body's parts: a recording's file, length and who wrote its words down; or the voice's speech."""
    notice = prepared.notice
    by_key = {rec.key: rec for rec in prepared.script.segments if isinstance(rec, Recording)}
    keys = ([("recording",)] if notice.recording is not None else
            [("parts", i, "recording") if p.recording is not None else None for i, p in enumerate(notice.parts)]
            if notice.parts else
            # `alternate:`: the text, and each recording that is one of the readings
            [None] + [("alternate", i, "recording") for i, t in enumerate(notice.alternate) if t.recording is not None])
    out = []
    for key in keys:
        rec = by_key.get(key) if key else None
        if rec is None:
            out.append({"spoken_as": spoken_as, "transcript_source": FROM_TEXT})
            continue
        cleaned, said = recordings[rec.path], words[rec.path]
        entry = {"spoken_as": RECORDING, "recording": rec.name, "seconds": round(cleaned.seconds, 3),
                 "sha256": cleaned.sha256, "clipped": cleaned.clipped,
                 "transcript_source": FROM_TEXT if rec.text else said.source}
        if said.why and not rec.text:
            entry["why"] = said.why
        out.append(entry)
    return out


def source(words) -> str:
    """The transcript's source over all recordings: text, machine (some drafts), or not checked (some unknown)."""
    sources = {w.source for w in words}
    if NOT_CHECKED in sources:
        return NOT_CHECKED
    return BY_MACHINE if BY_MACHINE in sources else FROM_TEXT
