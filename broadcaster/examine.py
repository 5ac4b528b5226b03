"""Checking notices before synthesis: every mistake at once, the program each makes, its recordings cleaned."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster import yamlsource
from broadcaster.errors import BadInput, BadInputs, InputWarning, in_line_order, raise_all
from broadcaster.i18n import _
from broadcaster.jingle.beats import build_jingle_script
from broadcaster.notice import FOLDER_FILES, Alternate, Notice, read_notice
from broadcaster.resources import templates_dir
from broadcaster.script import Recording, Script, Speech, build_script, frame_program, recording_path
from broadcaster.script.checks import check_notice, today
from broadcaster.script.template import PLACES
from broadcaster.speech.accent import load_accent
from broadcaster.speech.lexicon import USER_LEXICON, user_lexicon_for
from broadcaster.speech.spoken import SpokenText, spoken_text
from broadcaster.speech.voices import VoiceProfile, get_profile
from broadcaster.transcripts import recording_line

if TYPE_CHECKING:
    from broadcaster.audio.recording import Cleaned, Level


@dataclass(frozen=True)
class OtherVoice:
    """One more voice a notice's readings take turns in (`alternate:`), with its spoken sentences."""

    voice: VoiceProfile
    spoken: dict  # written sentence -> SpokenText, in this voice's words


@dataclass(frozen=True)
class Prepared:
    """A notice that passed every check: its program, with the spoken form of each speech and its
    recordings checked and cleaned."""

    notice: Notice
    voice: VoiceProfile
    script: Script
    spoken: dict  # written sentence -> SpokenText (engine-neutral: also the transcript)
    pronunciations: tuple = ()  # the folder's lexicon.yaml pronunciations, applied per engine
    recordings: dict = field(default_factory=dict)  # recording path -> audio.recording.Cleaned
    level: object = None  # the audio.recording.Level the recordings were cleaned to
    warnings: tuple[InputWarning, ...] = ()  # what it says that may be wrong (a date past...): said, not stopping
    others: dict = field(default_factory=dict)  # voice key (Speech.voice) -> OtherVoice (`alternate:`)

    def spoken_for(self, speech: Speech) -> SpokenText:
        """What `speech` is given to its voice (the notice's, or one of `alternate:`)."""
        return (self.others[speech.voice].spoken if speech.voice else self.spoken)[speech.text]

    def voice_for(self, speech: Speech) -> VoiceProfile:
        return self.others[speech.voice].voice if speech.voice else self.voice

    def transcript(self, words: dict | None = None) -> str:
        """What is said, a line per sentence or recording; `words`: recording path -> Words (render)."""
        words = words or {}
        return "\n".join(self.spoken_for(s).text if isinstance(s, Speech) else recording_line(s, words.get(s.path))
                         for s in self.script.voiced())

    def recording_warnings(self, recordings: dict | None = None) -> list[InputWarning]:
        """Things to fix in its recordings (as cleaned here, or `recordings`) that do not stop the render:
        a recording that distorts."""
        out = []
        for rec in self.script.recordings():
            cleaned = (self.recordings if recordings is None else recordings).get(rec.path)
            if cleaned is not None and cleaned.too_loud():
                error = self.notice.error(
                    _("the recording '{name}' is too loud and distorts: {share:.1%} of its samples are clipped").format(
                        name=rec.name, share=cleaned.clipped),
                    _("record it again a little further from the phone, or speak more softly"), *rec.key)
                out.append(InputWarning(error.what, error.fix, error.path, error.line, error.key))
        return out


def is_folder_file(path: Path) -> bool:
    return path.name in FOLDER_FILES


def prepare(notice: Notice, voice_override: str | None = None, program=None,
            speaker: str | None = None, level: Level | None = None, takes: dict | None = None,
            timezone: str | None = None) -> Prepared:
    """Everything that can be checked before synthesis; BadInput(s) on any mistake, all of them at once.

    speaker: who speaks on engines with several speakers (Kokoro): male, female or a speaker's name,
    instead of the voice profile's `speaker` (VoiceProfile.with_speaker); None: the profile's.
    level: the loudness recordings are cleaned to (the output profile's; None: the default
    profile's). A notice's recordings are checked and cleaned here (once: the result is cached by
    content), so that a bad recording is bad input before anything is written.
    takes: recordings not saved in the notice's folder yet, name -> file (takes.py, the desk's preview).
    timezone: the zone whose today a date is past in (a schedule's); default Asia/Shanghai.
    """
    found = examine_notice(notice, (), voice_override, program, speaker, level, takes, timezone)
    raise_all(list(found.errors))
    return found.prepared


@dataclass(frozen=True)
class Examined:
    """A notice file looked at as far as its mistakes allow: all `check` says about it."""

    path: Path
    prepared: Prepared | None  # None when it has mistakes
    errors: tuple[BadInput, ...] = ()
    warnings: tuple[InputWarning, ...] = ()  # the notice's and its recordings'


def examine(path: Path, program=None, timezone: str | None = None, level: Level | None = None) -> Examined:
    """Load a notice file and look for every mistake in it: its fields, its template filled in, the times,
    dates and numbers it says, its recordings; and for what may be wrong (warnings)."""
    try:
        notice, errors = read_notice(yamlsource.load(path))
    except BadInput as exc:  # not a notice at all (unreadable, not YAML, a list...): nothing more to see
        return Examined(Path(path), None, tuple(exc.errors))
    return examine_notice(notice, errors, program=program, level=level, timezone=timezone)


MAX_BAD_VALUES = 10  # invalid times and dates looked past in one sentence, to find the next


def examine_notice(notice: Notice, errors=(), voice_override: str | None = None, program=None,
                   speaker: str | None = None, level: Level | None = None, takes: dict | None = None,
                   timezone: str | None = None) -> Examined:
    """prepare(), collecting: `errors` (the loader's) and every later stage's mistakes."""
    errors = list(errors)
    warnings = list(notice.warnings)
    voices = [t for t in notice.alternate if t.recording is None]
    first = voices[0] if voices and not (voice_override or notice.voice) else None
    try:  # without `voice:`, the notice's own voice (lead line, emphasis) is the first of `alternate:`
        voice = get_profile(voice_override or notice.voice or (first.voice if first else None))
    except BadInput as exc:
        key = ("alternate", notice.alternate.index(first)) if first else ("voice",)
        errors.append(exc.located(notice.path, notice.doc.line(*key) if notice.doc else None, key))
        voice = get_profile(None)  # the rest is still worth checking with the default voice
    voice = _as_notice_says(notice, voice, speaker)
    own = notice.accent is not None or not first
    try:
        voice = _accented(notice, voice, notice.accent if own else first.accent,
                          ("accent",) if own else ("alternate", notice.alternate.index(first)))
    except BadInput as exc:
        errors += exc.errors
    others = {}
    for i, turn in enumerate(notice.alternate):
        if turn.recording is None and turn.key not in others:
            try:
                others[turn.key] = _other_voice(notice, turn, i, voice, speaker)
            except BadInput as exc:
                errors += exc.errors
    script = None
    broken = {e.key[0] for e in errors if e.key}  # a jingle's form or lines in error: no beat grid to make
    says = notice.text is not None or notice.template is not None or notice.lines or notice.recording or notice.parts
    if says and not broken & {"form", "lines", "parts"}:
        script, stage = _script(notice, voice, program, takes)
        errors += [e.located(notice.path) for e in stage]
    if script is None:
        return _examined(notice, None, errors, warnings)
    user = user_lexicon_for(notice.path)  # the folder's own lexicon.yaml, if any
    sounds = user.pronounce if user else ()
    spoken: dict = {}
    by_voice: dict = {key: {} for key in others}
    for speech in script.speeches():
        if speech.voice and speech.voice not in others:
            continue  # its voice under `alternate:` is in error, said above
        who = others[speech.voice].voice if speech.voice else voice
        table = by_voice[speech.voice] if speech.voice else spoken
        if speech.text in table:
            continue
        words = user.words_for(who.name) if user else ()
        text = speech.text
        for _tries in range(MAX_BAD_VALUES):
            try:
                table[speech.text] = spoken_text(text, who, words, extra_pronunciations=sounds)
                break
            except BadInput as exc:
                errors.append(_in_vars(notice, speech.text, exc))
                if not exc.value or exc.value not in text:
                    break
                text = text.replace(exc.value, "", 1)  # and look past it for the sentence's next mistake
    found = check_notice(notice, "\n".join(s.text for s in script.speeches()), today(timezone))
    errors += found.errors
    warnings += found.warnings
    recordings: dict = {}
    if script.recordings():
        level = level or default_level()
        try:
            recordings = clean_recordings(notice, script, level)
        except BadInput as exc:
            errors += exc.errors
    prepared = Prepared(notice=notice, voice=voice, script=script, spoken=spoken, pronunciations=tuple(sounds),
                        recordings=recordings, level=level, warnings=tuple(in_line_order(warnings)),
                        others={k: OtherVoice(v.voice, by_voice[k]) for k, v in others.items()})
    return _examined(notice, prepared, errors, warnings + prepared.recording_warnings())


def _as_notice_says(notice: Notice, voice: VoiceProfile, speaker: str | None) -> VoiceProfile:
    """A voice profile with the notice's (or the caller's) speaker and clock."""
    if speaker:
        voice = voice.with_speaker(speaker)
    if "clock" in notice.options:  # the notice's own `clock: 24` over the voice profile's
        voice = replace(voice, clock=int(notice.options["clock"]))
    return voice


def _accented(notice: Notice, voice: VoiceProfile, accent: str | None, key: tuple) -> VoiceProfile:
    """`voice` with a notice's choice of accent: None its own, "" none, or an accent's name."""
    if accent is None:
        return voice
    if not accent:
        return voice.with_accent(None)
    try:
        return voice.with_accent(load_accent(accent))
    except BadInput as exc:
        raise exc.located(notice.path, notice.doc.line(*key) if notice.doc else None, key) from None


def _other_voice(notice: Notice, turn: Alternate, i: int, own: VoiceProfile, speaker: str | None) -> OtherVoice:
    """The voice profile of one item of `alternate:` (the notice's `accent:` goes with its own voice)."""
    try:
        voice = get_profile(turn.voice)
    except BadInput as exc:
        raise exc.located(notice.path, notice.doc.line("alternate", i) if notice.doc else None,
                          ("alternate", i)) from None
    voice = _as_notice_says(notice, voice, speaker)
    accent = turn.accent if turn.accent is not None or voice.name != own.name else notice.accent
    key = ("alternate", i, "accent") if turn.accent else ("accent",)
    return OtherVoice(_accented(notice, voice, accent, key), {})


def _script(notice: Notice, voice: VoiceProfile, program, takes: dict | None) -> tuple[Script | None, list[BadInput]]:
    """The notice's script, and the mistakes filling it in. With variables missing, the script is
    made again with them empty, so that what the rest says can still be checked."""
    def build(n: Notice) -> Script:
        # program: the output profile's ProgramDefaults; a jingle's lines go on a beat grid, not sentences
        if n.kind == "jingle":
            return frame_program(n, voice, build_jingle_script(n, voice), program)
        return build_script(n, voice, program, takes)

    try:
        return build(notice), []
    except BadInput as exc:
        errors = list(exc.errors)
    missing = {e.key[1] for e in errors if len(e.key) == 2 and e.key[0] == "vars" and e.key[1] not in notice.vars}
    if not missing or len(missing) < len(errors):
        return None, errors
    try:
        return build(replace(notice, vars={**notice.vars, **{name: "" for name in missing}})), errors
    except BadInput:
        return None, errors


def _examined(notice: Notice, prepared: Prepared | None, errors: list[BadInput],
              warnings: list[InputWarning]) -> Examined:
    """The mistakes once each (two sentences may hold one bad value), in line order."""
    kept = list({e.message(): e for e in errors}.values())
    return Examined(notice.path, None if kept else prepared, tuple(in_line_order(kept)),
                    tuple(in_line_order(warnings)))


def default_level() -> Level:
    """The loudness of the default output profile, which recordings are cleaned to unless told."""
    from broadcaster.audio.profiles import get_output_profile
    from broadcaster.audio.recording import Level

    profile = get_output_profile(None)
    return Level.of(profile)


def clean_recordings(notice: Notice, script: Script, level: Level) -> dict[Path, Cleaned]:
    """Every recording of the script checked and cleaned (audio/recording.py); a bad one is bad input
    at the line that names it. All are checked, so that every bad one is reported at once."""
    from broadcaster.audio.recording import RecordingRefused, clean_recording

    out: dict[Path, Cleaned] = {}
    problems: list[BadInput] = []
    for rec in script.recordings():
        try:
            out[rec.path] = clean_recording(rec.path, level, name=rec.name)
        except RecordingRefused as exc:
            problems.append(notice.error(exc.what, exc.fix, *rec.key))
    if problems:
        raise BadInputs(problems) if len(problems) > 1 else problems[0]
    return out


def check_recordings(notice: Notice) -> None:
    """A notice's recordings checked on their own (their files and sound), before its variables are
    known: a villages batch refuses a bad recording once, not once per village."""
    if not _named_recordings(notice):
        return
    script = Script(notice_id=notice.id, body="", segments=tuple(
        Recording(recording_path(notice, name, key), name, None, key) for name, key in _named_recordings(notice)))
    clean_recordings(notice, script, default_level())


def _named_recordings(notice: Notice) -> list[tuple[str, tuple]]:
    """(name, key) of every recording a notice names."""
    if notice.recording is not None:
        return [(notice.recording, ("recording",))]
    return ([(p.recording, ("parts", i, "recording")) for i, p in enumerate(notice.parts) if p.recording is not None]
            + [(t.recording, ("alternate", i, "recording")) for i, t in enumerate(notice.alternate)
               if t.recording is not None])


def input_files(notice: Notice) -> list[Path]:
    """Every file that shapes a notice's audio besides broadcaster itself: the notice, its folder's
    defaults.yaml, lexicon.yaml and templates, its built-in template, its music and its recordings.

    Batch and schedule renders hash these to skip unchanged work; a cluster ships them to workers.
    """
    folder = notice.path.parent
    found = [notice.path, folder / "defaults.yaml", folder / USER_LEXICON, *sorted(folder.glob("*.j2")),
             templates_dir() / PLACES]  # the words that follow the place (村民/居民), the lead line's too
    if notice.template:
        name = notice.template
        found.append(folder / name if name.endswith(".j2") else templates_dir() / f"{name}.j2")
    named = [notice.options.get("music")] + [name for name, _key in _named_recordings(notice)]
    for name in named:
        if name:
            path = Path(name).expanduser()
            found.append(path if path.is_absolute() else folder / path)
    unique: dict[Path, None] = {}
    for path in found:
        if path.is_file():
            unique.setdefault(path, None)
    return list(unique)


def _in_vars(notice: Notice, sentence: str, exc: BadInput) -> BadInput:
    """A bad time or date placed at the var that holds it, and named: "… (variable date)"."""
    # the value it names, e.g. '25:00' (“25:00” in Chinese messages)
    var = _var_of_value(notice, exc.value)
    if var is None or notice.doc is None:
        return exc.located(notice.path, _line_of_sentence(notice, sentence))
    return type(exc)(_("{what} (variable {name})").format(what=exc.what, name=var), exc.fix, notice.path,
                     notice.doc.line("vars", var), ("vars", var))


def _var_of_value(notice: Notice, wrong: str | None) -> str | None:
    """The var whose value holds the wrong value an error names (BadInput.value)."""
    for name, value in notice.vars.items():
        if wrong and isinstance(value, (str, int, float)) and wrong in str(value):
            return name
    return None


def _line_of_sentence(notice: Notice, sentence: str) -> int | None:
    """Best guess of the line that produced a sentence whose mistake no variable holds: a var whose
    value the sentence contains, else the text's."""
    if notice.doc is None:
        return None
    for name, value in notice.vars.items():
        if isinstance(value, str) and value and value in sentence:
            return notice.doc.line("vars", name)
    return notice.doc.line("text") or notice.doc.line("vars") or notice.doc.line("template")


def load_all(paths: list[Path], program=None, level: Level | None = None) -> tuple[list[Prepared], list[BadInput]]:
    """Load and prepare every file; collect all bad-input errors rather than stopping at one."""
    examined = examine_all(paths, program, level=level)
    return ([e.prepared for e in examined if e.prepared is not None],
            [BadInputs(list(e.errors)) if len(e.errors) > 1 else e.errors[0] for e in examined if e.errors])


def examine_all(paths: list[Path], program=None, timezone: str | None = None,
                level: Level | None = None) -> list[Examined]:
    """examine() each file, in order; two files with one id is a mistake of the second."""
    out = []
    seen: dict[str, Path] = {}
    for path in paths:
        found = examine(path, program, timezone, level)
        p = found.prepared
        if p is not None and p.notice.id in seen:
            found = replace(found, prepared=None, errors=(p.notice.id_clash(seen[p.notice.id]),))
        elif p is not None:
            seen[p.notice.id] = path
        out.append(found)
    return out
