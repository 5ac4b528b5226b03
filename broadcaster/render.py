"""The render pipeline: notice files -> checked programs -> audio files, transcript, manifest."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from broadcaster import __version__
from broadcaster.audio.profiles import output_profile
from broadcaster.engines.base import Boundary, Clip, auto_order
from broadcaster.engines.speak import SpeakJob, program_srt, speak, speak_then, srt_cues
from broadcaster.errors import BadInput, BadInputs, CouldNotDo
from broadcaster.examine import Prepared, clean_recordings, load_all, prepare
from broadcaster.fsutil import (check_folder, locked, remove_stale_temps, sha256_file, write_text,
                                write_text_if_changed)
from broadcaster.i18n import _
from broadcaster.jingle.beats import with_percussion
from broadcaster.notice import Notice
from broadcaster.script import Recording, Script, Speech
from broadcaster.speech.voices import VoiceProfile
from broadcaster.transcripts import (FROM_TEXT, RECORDING, made_of, recording_line, recording_words, source,
                                     with_cues)

FORMATS = ("mp3", "wav")


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
                    heard="" if engine == RECORDING else heard_label(prepared.voice, engine),
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
                "heard": heard_label(voice, engine), "start": round(start, 3)})
        entry["end"] = round(end, 3)
    return tuple(out[n] for n in sorted(out))


def heard_label(voice: VoiceProfile, engine: str) -> str:
    """What listeners heard, for people (the render line, subtitles, the desk): "Mandarin voice
    zm_yunxi", "dialect voice yue", "川渝口音（普通话声音 zm_yunxi + 本地词）", or a Mandarin voice
    saying why it left the profile's accent out."""
    engine_voice = voice.engine_voice(engine)
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

    level = Level.of(profile)
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
                                                   heard=heard_label(voice, said_by))
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

    prepared, errors = load_all(paths, program=profile.program, level=Level.of(profile))
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
    from broadcaster.audio.program import (  # numpy, pydub: see render_prepared
        assemble,
        export,
    )

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
                    heard=heard_label(prepared.voice, name))
