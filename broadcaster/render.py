"""The render pipeline: notice files -> checked programs -> audio files, transcript, manifest."""
from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from broadcaster import __version__, yamlsource
from broadcaster.audio.profiles import output_profile
from broadcaster.engines.base import Boundary, Clip, auto_order
from broadcaster.engines.speak import SpeakJob, program_srt, speak, speak_then, srt_cues
from broadcaster.errors import BadInput, BadInputs, CouldNotDo  # noqa: F401 (BadInputs: callers import it from here too)
from broadcaster.errors import InputWarning, in_line_order, raise_all
from broadcaster.fsutil import (check_folder, locked, remove_stale_temps, sha256_file, write_text,
                                 write_text_if_changed)
from broadcaster.i18n import _
from broadcaster.jingle.beats import build_jingle_script, with_percussion
from broadcaster.notice import FOLDER_FILES, Alternate, Notice, read_notice
from broadcaster.resources import templates_dir
from broadcaster.script import Recording, Script, Speech, build_script, frame_program, recording_path
from broadcaster.script.checks import check_notice, today
from broadcaster.script.template import PLACES
from broadcaster.speech.accent import load_accent
from broadcaster.speech.lexicon import USER_LEXICON, user_lexicon_for
from broadcaster.speech.spoken import SpokenText, spoken_text
from broadcaster.speech.voices import VoiceProfile, get_profile
from broadcaster.transcripts import FROM_TEXT, RECORDING, made_of, recording_line, recording_words, source, with_cues

if TYPE_CHECKING:
    from broadcaster.audio.recording import Cleaned, Level

FORMATS = ("mp3", "wav")


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


@dataclass(frozen=True)
class RenderOptions:
    out_dir: Path
    engine: str = "auto"
    fmt: str | None = None  # None: the output profile's format
    profile: str = "loudspeaker"  # output profile (data/audio/profiles.yaml): mastering, format, program parts
    concurrency: int = 3  # parallel requests to online engines (render --concurrency)
    beat: bool = False  # jingles: a synthesized woodblock on every beat


@dataclass(frozen=True)
class Rendered:
    """What one render produced; this is also the notice's manifest entry."""

    id: str
    title: str
    file: str
    transcript: str
    duration: float
    engine: str
    voice: str
    sha256: str
    skipped: dict = field(default_factory=dict)  # engine -> why it did not speak
    profile: str = "loudspeaker"
    loudness_lufs: float | None = None   # integrated, measured on the written file (ebur128)
    true_peak_dbtp: float | None = None
    engine_voice: str = ""  # the engine's voice that spoke (yue, zh-HK-HiuGaaiNeural, ...)
    # dialect: a voice of the profile's dialect; accent: a Mandarin voice saying the profile's accent
    # (`accent` names it); mandarin: a Mandarin voice; recording: all of it the official's own
    spoken_as: str = ""
    # what the notice's body is made of, part by part: {"spoken_as": "recording", "recording": ...,
    # "transcript_source": ...} or {"spoken_as": <the voice's>}; and who wrote down the words of the
    # transcript (text: all written; machine: some heard by the listener; not checked: some by nobody)
    made_of: list = field(default_factory=list)
    transcript_source: str = FROM_TEXT
    warnings: list = field(default_factory=list)  # InputWarnings; the manifest keeps their lines
    accent: str = ""
    # what listeners heard, in words (in the language of the render): the render line and the desk
    # show it, e.g. "川渝口音（普通话声音 zm_yunxi + 本地词）" (heard_label)
    heard: str = ""
    # with `alternate:`, each reading: n, voice (or recording), engine, engine_voice, spoken_as, accent,
    # heard, start, end (seconds in the program)
    readings: tuple = ()


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
                named = [n for n in re.findall(r"['“]([^'”]+)['”]", exc.what) if n in text]
                if not named:
                    break
                text = text.replace(named[0], "", 1)  # and look past it for the sentence's next mistake
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
    return Level(profile.target_lufs, profile.true_peak)


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
    named = re.findall(r"['“]([^'”]+)['”]", exc.what)
    var = _var_of_value(notice, named)
    if var is None or notice.doc is None:
        return exc.located(notice.path, _line_of_value(notice, sentence, named))
    return type(exc)(_("{what} (variable {name})").format(what=exc.what, name=var), exc.fix, notice.path,
                     notice.doc.line("vars", var), ("vars", var))


def _var_of_value(notice: Notice, named: list[str]) -> str | None:
    """The var whose value holds one of the values an error names."""
    for name, value in notice.vars.items():
        if named and isinstance(value, (str, int, float)) and any(n in str(value) for n in named):
            return name
    return None


def _line_of_value(notice: Notice, sentence: str, named: list[str] | None = None) -> int | None:
    """Best guess of the line that produced a sentence: the var holding the value an error
    names, else a var whose value it contains."""
    if notice.doc is None:
        return None
    for name, value in notice.vars.items():
        if named and isinstance(value, (str, int, float)) and any(n in str(value) for n in named):
            return notice.doc.line("vars", name)
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


def engine_order(requested: str, notice: Notice) -> tuple[str, ...]:
    """Engines to try: an explicit choice alone; `auto` (or a notice's pin) in order."""
    if requested == "auto" and notice.engine and notice.engine != "auto":
        requested = notice.engine
    return auto_order() if requested == "auto" else (requested,)


def synthesize_all(prepared: Prepared, engines: tuple[str, ...]) -> tuple[str, dict, dict]:
    """Speak every distinct sentence with the first engine that manages all of them.

    Returns (engine name, written sentence -> Clip, skipped engine -> reason) of the notice's own
    voice (`speak(speak_job(...))` has the other voices' clips too).
    """
    spoken = speak(speak_job(prepared, engines))
    return spoken.engine, spoken.clips, spoken.skipped


def speak_job(prepared: Prepared, engines: tuple[str, ...]):
    """The notice's distinct sentences for the engines (cached clips are reused by engines/speak.py),
    with those of its other voices (`alternate:`) as jobs of their own."""
    def job(voice: VoiceProfile, spoken: dict, also: dict | None = None) -> SpeakJob:
        return SpeakJob(texts={text: s.text for text, s in spoken.items()}, voice=voice, engines=engines,
                        where=str(prepared.notice.path), pronunciations=prepared.pronunciations, also=also or {})

    return job(prepared.voice, prepared.spoken,
               {key: job(other.voice, other.spoken) for key, other in prepared.others.items() if other.spoken})


def render_prepared(prepared: Prepared, options: RenderOptions, spoken=None) -> Rendered:
    """Synthesize (unless `spoken` already holds the clips), assemble and write one program atomically."""
    # the audio modules load numpy, pydub and mutagen: imported when a program is made, so that
    # checking and planning stay quick
    from broadcaster.audio.chime import chime_segment
    from broadcaster.audio.master import master_program
    from broadcaster.audio.program import assemble, export
    from broadcaster.audio.tags import tags_for

    if not prepared.spoken and not prepared.others:  # all the notice says is recorded: no engine is asked
        spoken = None
        engine, clips, skipped = RECORDING, {}, {}
    else:
        if spoken is None:
            spoken = speak(speak_job(prepared, engine_order(options.engine, prepared.notice)))
        # the notice's own voice may say nothing itself when its readings take turns (`alternate:`)
        engine = spoken.engine or next((s.engine for s in spoken.also.values()), RECORDING)
        clips, skipped = spoken.clips, spoken.skipped
    profile = output_profile(options.profile, options.fmt)
    recordings = _recordings_at(prepared, profile)
    words = recording_words(prepared, recordings)
    recorded = {path: with_cues(cleaned.clip, words[path]) for path, cleaned in recordings.items()}

    def clip_for(segment: Speech | Recording) -> Clip:
        if isinstance(segment, Recording):
            return recorded[segment.path]
        return (spoken.also[segment.voice].clips if segment.voice else clips)[segment.text]

    script = prepared.script
    if options.beat and prepared.notice.kind == "jingle":
        script = with_percussion(script)
    program = assemble(script, clip_for, chime_for=chime_segment)
    nid = prepared.notice.id
    target = options.out_dir / f"{nid}.{profile.format}"
    transcript = options.out_dir / f"{nid}.txt"
    level = master_program(program, profile, target, music=script.music, tags=tags_for(prepared.notice))
    if profile.keep_speech:  # archive: the speech as the engine gave it, no chime, bed or mastering
        export(assemble(script, clip_for).audio, options.out_dir / f"{nid}.speech.wav", "wav")
    write_text(transcript, prepared.transcript(words) + "\n")
    if profile.leading_silence:  # subtitles follow the silence the loop-player profile puts first
        program = replace(program, speech_spans=tuple((a + profile.leading_silence, b + profile.leading_silence)
                                                      for a, b in program.speech_spans))
    readings = _readings(prepared, script, program, spoken, words)
    if readings:  # whose reading is whose, in the subtitles too
        _write_reading_srt(options.out_dir / f"{nid}.srt", prepared, script, program, readings, words, engine)
    else:
        _write_srt(options.out_dir / f"{nid}.srt", script, program, clip_for, prepared)
    spoken_as = RECORDING if engine == RECORDING else prepared.voice.spoken_as(engine)
    return Rendered(id=nid, title=prepared.notice.title, file=target.name, transcript=transcript.name,
                    duration=level.duration, engine=engine, voice=prepared.voice.name,
                    sha256=sha256_file(target), skipped=skipped, profile=profile.name,
                    loudness_lufs=level.integrated, true_peak_dbtp=level.true_peak,
                    engine_voice="" if engine == RECORDING else prepared.voice.engine_voice(engine),
                    spoken_as=spoken_as, made_of=made_of(prepared, recordings, words, spoken_as),
                    transcript_source=source(words.values()),
                    warnings=[*prepared.warnings, *prepared.recording_warnings(recordings)],
                    accent="" if engine == RECORDING else _accent_name(prepared.voice, engine),
                    heard="" if engine == RECORDING else heard_label(prepared.voice, engine,
                                                                     prepared.voice.engine_voice(engine)),
                    readings=readings)


def _accent_name(voice: VoiceProfile, engine: str) -> str:
    accent = voice.accent_for(engine)
    return accent.name if accent else ""


def _readings(prepared: Prepared, script: Script, program, spoken, words: dict) -> tuple[dict, ...]:
    """With `alternate:`, each reading's voice (or recording), engine, how it was heard, and where it
    is in the program (seconds)."""
    out: dict[int, dict] = {}
    for part, (start, end) in zip(script.voiced(), program.speech_spans):
        if not part.reading:
            continue
        if isinstance(part, Recording):
            entry = out.setdefault(part.reading, {
                "n": part.reading, "voice": "", "recording": part.name, "engine": RECORDING, "engine_voice": "",
                "spoken_as": RECORDING, "accent": "", "heard": _("own recording"), "start": round(start, 3)})
        else:
            voice = prepared.voice_for(part)
            engine = spoken.also[part.voice].engine if part.voice else spoken.engine
            entry = out.setdefault(part.reading, {
                "n": part.reading, "voice": voice.name, "engine": engine, "engine_voice": voice.engine_voice(engine),
                "spoken_as": voice.spoken_as(engine), "accent": _accent_name(voice, engine),
                "heard": heard_label(voice, engine, voice.engine_voice(engine)), "start": round(start, 3)})
        entry["end"] = round(end, 3)
    return tuple(out[n] for n in sorted(out))


def heard_label(voice: VoiceProfile, engine: str, engine_voice: str = "") -> str:
    """What listeners heard, for people (the render line, subtitles, the desk): "Mandarin voice
    zm_yunxi", "dialect voice yue", "川渝口音（普通话声音 zm_yunxi + 本地词）", or a Mandarin voice
    saying why it left the profile's accent out."""
    accent = voice.accent_label(engine, engine_voice)
    if accent:
        return accent
    if voice.spoken_as(engine) == "dialect":
        said = _("dialect voice {voice}").format(voice=engine_voice) if engine_voice else _("dialect voice")
    else:
        said = _("Mandarin voice {voice}").format(voice=engine_voice) if engine_voice else _("Mandarin voice")
    skipped = voice.accent_skipped(engine)
    return _("{heard}; {why}").format(heard=said, why=skipped) if skipped else said


def _recordings_at(prepared: Prepared, profile) -> dict:
    """The notice's recordings cleaned to this output profile's loudness (again only if prepare used another)."""
    if not prepared.script.recordings():
        return {}
    from broadcaster.audio.recording import Level

    level = Level(profile.target_lufs, profile.true_peak)
    if prepared.level == level:
        return prepared.recordings
    return clean_recordings(prepared.notice, prepared.script, level)


def _write_srt(path: Path, script: Script, program, clip_for, prepared: Prepared) -> None:
    """Subtitles beside the audio when the engine gave sentence timings (edge does; eSpeak does not), or
    the program holds a recording with words: the rest of its speech gets one cue a sentence then."""
    voiced = script.voiced()
    pieces = [(span[0], clip_for(s)) for s, span in zip(voiced, program.speech_spans)]
    if not any(clip.boundaries for _, clip in pieces):
        if path.exists():
            path.unlink()  # an older render's subtitles would not match this audio
        return
    whole = [(start, clip if clip.boundaries or not isinstance(s, Speech) else
              replace(clip, boundaries=(Boundary(0.0, clip.duration, prepared.spoken[s.text].text),)))
             for s, (start, clip) in zip(voiced, pieces)]
    write_text(path, program_srt(whole))


def _write_reading_srt(path: Path, prepared: Prepared, script: Script, program, readings: tuple[dict, ...],
                       words: dict, engine: str) -> None:
    """Subtitles of a notice read in turns: one cue a sentence (a recording: one cue), each saying whose
    reading it is; `engine` spoke the notice's own voice (its lead line)."""
    engines = {r["n"]: r["engine"] for r in readings}
    cues = []
    for part, (start, end) in zip(script.voiced(), program.speech_spans):
        if isinstance(part, Recording):
            label = _("own recording")
            said = recording_line(part, words.get(part.path))
        else:
            voice = prepared.voice_for(part)
            said_by = engines.get(part.reading, engine)
            label = _("{display}: {heard}").format(display=voice.display,
                                                   heard=heard_label(voice, said_by, voice.engine_voice(said_by)))
            said = prepared.spoken_for(part).text
        text = (_("[reading {n}, {label}] {text}").format(n=part.reading, label=label, text=said) if part.reading
                else _("[{label}] {text}").format(label=label, text=said))
        cues.append((start, end, text))
    write_text(path, srt_cues(cues))


def write_manifest(out_dir: Path, rendered: list[Rendered]) -> Path:
    """manifest.json: this run's notices, plus earlier entries whose audio is still there.

    Read, merged and written under a lock: renders running in parallel into one folder
    would otherwise each write back what they read and drop each other's entries.
    """
    path = out_dir / "manifest.json"
    with locked(path):
        entries: dict[str, dict] = {}
        if path.exists():
            try:
                for item in json.loads(path.read_text(encoding="utf-8")).get("notices", []):
                    if (out_dir / item.get("file", "")).exists():
                        entries[item["id"]] = item
            except (ValueError, KeyError, AttributeError):
                entries = {}  # a damaged manifest is rebuilt from this run
        for r in rendered:
            entries[r.id] = asdict(r) | {"warnings": [w.message() for w in r.warnings]}
        doc = {"generator": f"broadcaster {__version__}",
               "notices": sorted(entries.values(), key=lambda e: e["id"])}
        write_text_if_changed(path, json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return path


def render_files(paths: list[Path], options: RenderOptions,
                 on_done: Callable[[Rendered], None] | None = None) -> tuple[list[Rendered], list[CouldNotDo]]:
    """Render notice files. Bad input anywhere: raise before any audio is written.

    Returns what was rendered and the per-notice failures (engine/device trouble).
    """
    started = time.time()
    profile = output_profile(options.profile, options.fmt)  # a bad --profile/--format: before any work
    from broadcaster.audio.recording import Level  # numpy: see render_prepared

    prepared, errors = load_all(paths, program=profile.program, level=Level(profile.target_lufs, profile.true_peak))
    if errors:
        raise BadInputs(errors)
    check_folder(options.out_dir)  # read-only, or under a file: one line now, not one per notice
    remove_stale_temps(options.out_dir, started)  # what a killed run left
    # speech for later notices (online requests in parallel) overlaps export of earlier ones
    jobs = [speak_job(p, engine_order(options.engine, p.notice)) for p in prepared]

    def reported(i: int, outcome) -> None:
        if on_done and isinstance(outcome, Rendered):
            on_done(outcome)

    outcomes = speak_then(jobs, lambda i, spoken: render_prepared(prepared[i], options, spoken),
                          options.concurrency, reported)
    done = [o for o in outcomes if isinstance(o, Rendered)]
    failed = [o for o in outcomes if isinstance(o, CouldNotDo)]
    if done:
        try:
            write_manifest(options.out_dir, done)
        except CouldNotDo as exc:  # e.g. the disk filled up: reported with the notices that failed
            failed.append(exc)
    return done, failed


def say_text(text: str, target: Path, voice: str | None = None, engine: str = "auto") -> Rendered:
    """Render one line of text to `target` (format from its suffix)."""
    from broadcaster.audio.program import assemble, export  # numpy, pydub: see render_prepared

    fmt = target.suffix.lstrip(".").lower() or "mp3"
    if fmt not in FORMATS:
        raise BadInput(_("cannot write '{suffix}' files").format(suffix=target.suffix),
                       _("name the output .mp3 or .wav"), target)
    if not text.strip():
        raise BadInput(_("the text is empty"), _("give the words to say in quotes"))
    notice = Notice(path=Path("<say>"), id="say", title=text[:20], text=text, voice=voice, repeat=1,
                    engine=None if engine == "auto" else engine,
                    options={"chime": False, "lead": False})  # say exactly the text, nothing around it
    prepared = prepare(notice)
    name, clips, skipped = synthesize_all(prepared, engine_order(engine, notice))
    program = assemble(prepared.script, lambda s: clips[s.text])
    export(program.audio, target, fmt)
    return Rendered(id="say", title=notice.title, file=str(target), transcript="",
                    duration=round(program.duration, 3), engine=name, voice=prepared.voice.name,
                    sha256=sha256_file(target), skipped=skipped, engine_voice=prepared.voice.engine_voice(name),
                    spoken_as=prepared.voice.spoken_as(name), accent=_accent_name(prepared.voice, name),
                    heard=heard_label(prepared.voice, name, prepared.voice.engine_voice(name)))
