"""Notice -> Script: the template filled in (script/template.py) and cut into the parts of a program."""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from broadcaster.errors import BadInput, raise_all
from broadcaster.i18n import _
from broadcaster.notice import Notice
from broadcaster.script.template import TemplateInfo, builtin_templates, fill, place_lead, template_info
from broadcaster.speech.characters import mark_class, marks
from broadcaster.speech.voices import VoiceProfile
from broadcaster.vocabulary import PRIORITY_CHIME

__all__ = ["BEATS_PER_LINE", "BeatBlock", "BeatLine", "Chime", "Pause", "ProgramDefaults", "Recording", "Script",
           "Segment", "Speech", "TemplateInfo", "build_script", "builtin_templates", "fill", "frame_program",
           "lead_line", "reading_recording", "reading_voice", "recording_path", "sentences", "template_info"]
BEATS_PER_LINE = 4  # a jingle line and its rest fill this many beats


@dataclass(frozen=True)
class Speech:
    """Text to be spoken, as written (normalization comes later)."""

    text: str
    role: str = "body"  # lead | body | emphasis | line | half-line
    # who says it when a notice's readings take turns (`alternate:`): the key of one of its voices
    # (notice.Alternate.key), "" for the notice's own voice; and which reading it belongs to (1, 2 …;
    # 0 outside the readings or without `alternate:`)
    voice: str = ""
    reading: int = 0


@dataclass(frozen=True)
class Recording:
    """An official's own recording, said as it is (audio/recording.py checks and cleans it)."""

    path: Path                  # inside the notice's folder
    name: str                   # as the notice writes it (messages, manifest)
    text: str | None = None     # what is said in it, when the notice writes it
    key: tuple = ("recording",)  # where the notice names it: ("recording",), ("parts", i, "recording") or
    #                              ("alternate", i, "recording")
    reading: int = 0            # with `alternate:`, the reading it is (1, 2 …); else 0


@dataclass(frozen=True)
class Pause:
    ms: int


@dataclass(frozen=True)
class Chime:
    kind: str = "attention"  # attention | urgent | closing


@dataclass(frozen=True)
class BeatLine:
    """One jingle line: its phrases with short pauses, starting on a beat."""

    parts: tuple[Speech | Pause, ...]
    rest_beats: int = 0        # extra beats of rest before it (the 三句半 half line waits one)
    gain_db: float = 0.0

    def speeches(self) -> tuple[Speech, ...]:
        return tuple(p for p in self.parts if isinstance(p, Speech))


@dataclass(frozen=True)
class BeatBlock:
    """A reading of a jingle: every line starts `beats_per_line` beats after the one before.

    The beat length comes from the longest line once its speech is synthesized, so the grid
    is even whatever engine speaks.
    """

    lines: tuple[BeatLine, ...]
    line_pause_ms: int = 700          # the least rest after the longest line
    beats_per_line: int = BEATS_PER_LINE
    percussion: str | None = None     # None, or a sound of audio/percussion.py, struck on every beat
    intro_beats: int = 0              # beats struck before the first line (with percussion)

    def speeches(self) -> tuple[Speech, ...]:
        return tuple(s for line in self.lines for s in line.speeches())


Segment = Speech | Pause | Chime | BeatBlock | Recording


@dataclass(frozen=True)
class ProgramDefaults:
    """An output profile's program parts; a notice's own options (chime, lead, ...) override them."""

    chime: bool = True
    closing_chime: bool = False
    lead: bool = True
    emphasis_intro: str = "重要的事情说三遍"  # said before the emphasized sentences
    emphasis_times: int = 3


@dataclass(frozen=True)
class Script:
    """A program as a sequence of segments; the audio stage turns it into sound."""

    notice_id: str
    segments: tuple[Segment, ...]
    body: str  # the filled-in text, as written
    music: Path | None = None  # a music bed to lay under the program (the notice's `music:`)

    def speeches(self) -> tuple[Speech, ...]:
        out: list[Speech] = []
        for s in self.segments:
            if isinstance(s, Speech):
                out.append(s)
            elif isinstance(s, BeatBlock):  # a jingle's beat block holds its lines' speeches
                out.extend(s.speeches())
        return tuple(out)

    def voiced(self) -> tuple[Speech | Recording, ...]:
        """What is said, in order: each Speech (a jingle's too) and each Recording."""
        out: list[Speech | Recording] = []
        for s in self.segments:
            if isinstance(s, (Speech, Recording)):
                out.append(s)
            elif isinstance(s, BeatBlock):
                out.extend(s.speeches())
        return tuple(out)

    def recordings(self) -> tuple[Recording, ...]:
        """Each distinct recording of the program, in order of first use."""
        seen: dict[Path, Recording] = {}
        for s in self.segments:
            if isinstance(s, Recording):
                seen.setdefault(s.path, s)
        return tuple(seen.values())


@lru_cache(maxsize=1)
def _sentence_re() -> re.Pattern:
    ends = mark_class("full_stop", "clause_stop")
    return re.compile(f"[^{ends}{mark_class('line_break')}]+[{ends}]*")


def sentences(text: str) -> list[str]:
    """Cut text at sentence ends (。！？；and line breaks), keeping the punctuation."""
    return [s.strip() for s in _sentence_re().findall(text) if s.strip(" \t" + marks("comma"))]


def build_script(notice: Notice, voice: VoiceProfile, program: ProgramDefaults | None = None,
                 takes: dict | None = None) -> Script:
    """The program for a notice: body sentences with pauses, read `repeat` times, framed by
    chime, lead line, emphasis and closing chime (`frame_program`).

    A jingle's lines go on a beat grid instead: jingle.beats.build_jingle_script, framed the same
    way (examine.prepare chooses; this module stays below the jingle package).

    takes: recordings not saved in the folder yet, by the name the notice gives them -> the file
    that holds them now (the desk's preview of a take)."""
    if notice.recording is not None or notice.parts:
        body, reading = _recorded_reading(notice, voice, takes or {})
    else:
        body, reading = _text_reading(notice, voice)
    gap = int(notice.options.get("gap", voice.pauses.repeat_gap / 1000) * 1000)
    segments: list[Segment] = []
    for n in range(notice.repeat):
        if n:
            segments.append(Pause(gap))
        recorded = reading_recording(notice, n, takes)
        if recorded is not None:  # this turn of `alternate:` is the official's own recording
            segments.append(recorded)
            continue
        who, number = reading_voice(notice, n)
        segments.extend(replace(s, voice=who, reading=number) if isinstance(s, Speech) and number else s
                        for s in reading)
    return frame_program(notice, voice, Script(notice_id=notice.id, segments=tuple(segments), body=body),
                         program)


def reading_voice(notice: Notice, n: int) -> tuple[str, int]:
    """(voice key, reading number) of reading `n` (from 0): with `alternate:` the voices take turns
    (examine.prepare gives each key its voice profile); without it ("", 0), the notice's own voice."""
    if not notice.alternate:
        return "", 0
    return notice.alternate[n % len(notice.alternate)].key, n + 1


def reading_recording(notice: Notice, n: int, takes: dict | None = None) -> Recording | None:
    """Reading `n` (from 0) when its turn of `alternate:` is an official's own recording, else None."""
    if not notice.alternate:
        return None
    i = n % len(notice.alternate)
    turn = notice.alternate[i]
    if turn.recording is None:
        return None
    key = ("alternate", i, "recording")
    text = _filled(notice, turn.text, ("alternate", i, "text")) if turn.text else None
    return Recording(recording_path(notice, turn.recording, key, takes), turn.recording, text, key, n + 1)


def _text_reading(notice: Notice, voice: VoiceProfile) -> tuple[str, list[Segment]]:
    """The body of a notice or jingle written as text: its sentences with pauses between."""
    body = fill(notice) if notice.kind == "notice" else "\n".join(notice.lines)
    parts = sentences(body)
    if not parts:
        raise notice.error(_("the notice has nothing to say after filling in the template"),
                           _("write some text or check the variables"), "text" if notice.text else "template")
    reading: list[Segment] = []
    for i, sentence in enumerate(parts):
        if i:
            reading.append(Pause(voice.pauses.sentence))
        reading.append(Speech(sentence, "line" if notice.kind == "jingle" else "body"))
    return body, reading


def _recorded_reading(notice: Notice, voice: VoiceProfile, takes: dict) -> tuple[str, list[Segment]]:
    """The body of a recording notice, or of one in parts: recordings and sentences in order, with
    the voice profile's pause between sentences between the parts too. Every part is checked, and
    all its mistakes are reported together."""
    if notice.recording is not None:
        text = _filled(notice, notice.text, ("text",)) if notice.text else None
        return text or "", [Recording(recording_path(notice, notice.recording, ("recording",), takes),
                                      notice.recording, text, ("recording",))]
    reading: list[Segment] = []
    said: list[str] = []
    problems: list[BadInput] = []
    for i, part in enumerate(notice.parts):
        try:
            text, pieces = _part_reading(notice, voice, i, part, takes)
        except BadInput as exc:
            problems.append(exc)
            continue
        said.append(text)
        if reading:
            reading.append(Pause(voice.pauses.sentence))
        reading.extend(pieces)
    raise_all(problems)
    return "\n".join(s for s in said if s), reading


def _part_reading(notice: Notice, voice: VoiceProfile, i: int, part, takes: dict) -> tuple[str, list[Segment]]:
    """One of a notice's parts: (what it says as written, its segments)."""
    if part.recording is not None:
        key = ("parts", i, "recording")
        text = _filled(notice, part.text, ("parts", i, "text")) if part.text else None
        return text or "", [Recording(recording_path(notice, part.recording, key, takes), part.recording, text, key)]
    filled = _filled(notice, part.say, ("parts", i, "say"))
    lines = sentences(filled)
    if not lines:
        raise notice.error(_("part {n} has nothing to say").format(n=i + 1),
                           _("write the text to read after `say:`"), "parts", i, "say")
    pieces: list[Segment] = []
    for k, sentence in enumerate(lines):
        if k:
            pieces.append(Pause(voice.pauses.sentence))
        pieces.append(Speech(sentence, "body"))
    return filled, pieces


def _filled(notice: Notice, text: str, key: tuple) -> str:
    """A part's text with the notice's variables filled in, like the body's."""
    try:
        return fill(replace(notice, template=None, text=text, recording=None, parts=())).strip()
    except BadInput as exc:
        raise exc.located(notice.path, notice.doc.line(*key) if notice.doc else None, key) from None


def recording_path(notice: Notice, name: str, key: tuple, takes: dict | None = None) -> Path:
    """A recording the notice names: inside its folder, and an ordinary file there (like `music:`).
    `takes`: name -> file of recordings the caller holds that are not saved in the folder yet."""
    if takes and name in takes:
        return Path(takes[name])
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = notice.path.parent / path
    if not path.resolve().is_relative_to(notice.path.parent.resolve()):
        # a notice folder travels (batch, cluster, TF card): it may only use what is inside it
        raise notice.error(_("recording '{name}' is outside the notice's folder").format(name=name),
                           _("copy it into this notice's folder and name it relatively"), *key)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        raise notice.error(_("recording '{name}' not found").format(name=name),
                           _("put the audio file in this notice's folder and write its name"), *key) from None
    if not stat.S_ISREG(mode):
        raise notice.error(_("recording '{name}' is not an ordinary file (a folder, a pipe or a device)").format(
            name=name), _("name an audio file saved in this notice's folder"), *key)
    return path


# ---------------------------------------------------------------- program parts
_PUNCT_RE = re.compile(r"[\s，,。.！!？?；;：:、…—～~“”\"'（）()]+")
PAUSE_AFTER_CHIME_MS = 500


def _bare(text: str) -> str:
    return _PUNCT_RE.sub("", text)


def lead_line(notice: Notice, voice: VoiceProfile, program: ProgramDefaults, body: str) -> str | None:
    """The opening line to say after the chime, or None.

    Built-in templates already open with 各位村民请注意: saying it again as a lead would
    make three in a row, so the lead is skipped when the body starts with it. The profile's lead
    follows the place (`village`): 各位居民请注意 for a 社区 (data/notice_templates/places.yaml).
    """
    option = notice.options.get("lead", program.lead)
    if option is False:
        return None
    line = place_lead(voice.lead, notice.vars.get("village")) if option is True else str(option).strip()
    if not _bare(line) or _bare(body).startswith(_bare(line)):
        return None
    return line


def _emphasis(notice: Notice) -> list[str]:
    """The emphasized sentences, their variables filled in like the body."""
    out = []
    for i, item in enumerate(notice.options.get("emphasis") or []):
        if not isinstance(item, str) or not item.strip():
            raise notice.error(_("emphasis item {n} is not a sentence").format(n=i + 1),
                               _("write each sentence to repeat as text, e.g. - 不聚集"), "emphasis", i)
        filled = fill(replace(notice, template=None, text=item))
        out.extend(sentences(filled))
    return out


def _music(notice: Notice) -> Path | None:
    name = notice.options.get("music")
    if not name:
        return None
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = notice.path.parent / path
    if not path.resolve().is_relative_to(notice.path.parent.resolve()):
        # a notice folder travels (batch, cluster, TF card): it may only use what is inside it
        raise notice.error(_("music file '{name}' is outside the notice's folder").format(name=name),
                           _("copy it into this notice's folder and name it relatively"), "music")
    if not path.is_file():
        raise notice.error(_("music file '{name}' not found").format(name=name),
                           _("put the audio file in this notice's folder and write its name"), "music")
    return path


def frame_program(notice: Notice, voice: VoiceProfile, script: Script,
                  program: ProgramDefaults | None = None) -> Script:
    """Wrap the readings in the program parts: opening chime (urgent one for urgent/emergency
    notices), lead line, "重要的事情说三遍" emphasis, closing chime; and the music bed."""
    program = program or ProgramDefaults()
    opts = notice.options
    gap = int(opts.get("gap", voice.pauses.repeat_gap / 1000) * 1000)
    head: list[Segment] = []
    if opts.get("chime", program.chime):
        head += [Chime(PRIORITY_CHIME[notice.priority]),
                 Pause(PAUSE_AFTER_CHIME_MS)]
    lead = lead_line(notice, voice, program, script.body)
    if lead:
        head += [Speech(lead, "lead"), Pause(voice.pauses.after_lead)]
    tail: list[Segment] = []
    emphasized = _emphasis(notice)
    if emphasized:
        tail += [Pause(gap), Speech(program.emphasis_intro, "lead"), Pause(voice.pauses.after_lead)]
        for k, sentence in enumerate(emphasized):
            for n in range(program.emphasis_times):
                if k or n:
                    tail.append(Pause(voice.pauses.sentence))
                tail.append(Speech(sentence, "emphasis"))
    if opts.get("closing_chime", program.closing_chime):
        tail += [Pause(voice.pauses.after_lead), Chime("closing")]
    return replace(script, segments=tuple(head) + tuple(script.segments) + tuple(tail),
                   music=_music(notice))
