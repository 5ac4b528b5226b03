"""The I/O edge of planning: check and render the notices a schedule needs (incrementally), with durations.

Checking a whole schedule as `broadcaster check` does (sinks too) is player/check.py's `check_schedule`:
the sink rules are the player's.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from broadcaster import __version__
from broadcaster.errors import BadInput, InputWarning, raise_all
from broadcaster.fsutil import read_stamp, sha256_file, write_text
from broadcaster.notice import load_notice
from broadcaster.examine import input_files, prepare
from broadcaster.render import RenderOptions, render_prepared
from broadcaster.schedule.load import Schedule
from broadcaster.schedule.plan import Media, needed_media


def default_audio_dir(schedule: Schedule) -> Path:
    """Audio for a schedule lives beside it, in `<schedule stem>-audio/`."""
    return schedule.path.parent / f"{schedule.path.stem}-audio"


def check_notices(schedule: Schedule) -> list[InputWarning]:
    """Every notice the schedule names loads and fills in (BadInput otherwise, every notice's mistakes at
    once); nothing is written. Returns their warnings (once each), dates judged in the schedule's zone."""
    warnings: dict[str, InputWarning] = {}
    for _key, prepared in _prepare_all(schedule):
        for warning in (*prepared.warnings, *prepared.recording_warnings()):
            warnings.setdefault(warning.message(), warning)
    return list(warnings.values())


def _prepare_all(schedule: Schedule) -> list[tuple]:
    """(media key, Prepared) for every program the schedule needs; BadInput for broken notices (all of
    their mistakes, once each), or for two notice files with one id: they would render into one audio
    file (the later one overwriting the earlier) and share slots. Refused at the second one."""
    out, seen = [], {}
    problems: dict[str, BadInput] = {}  # a notice two programs play is broken once
    for key, path, extra in needed_media(schedule):
        try:
            prepared = _prepare(path, extra, key[1], schedule.timezone)
        except BadInput as exc:
            problems.update((e.message(), e) for e in exc.errors)
            continue
        other = seen.setdefault(prepared.notice.id, path)
        if Path(other).resolve() != Path(path).resolve():
            clash = prepared.notice.id_clash(other)
            problems.setdefault(clash.message(), clash)
            continue
        out.append((key, prepared))
    raise_all(list(problems.values()))
    return out


def _prepare(path: Path, extra: dict, stop: int | None, timezone: str | None = None):
    notice = load_notice(path)
    if extra:
        notice = replace(notice, id=f"{notice.id}-stop{stop + 1:02d}", vars={**notice.vars, **extra})
    try:
        return prepare(notice, timezone=timezone)
    except BadInput as exc:
        raise exc.located(path) from None


def render_media(schedule: Schedule, audio_dir: Path | None = None, engine: str = "auto",
                 profile: str = "loudspeaker") -> dict:
    """Render every program the schedule needs into `audio_dir` (skipping unchanged ones).

    Returns {(notice path, stop index or None): Media}. BadInput for a broken notice.
    """
    audio_dir = audio_dir or default_audio_dir(schedule)
    options = RenderOptions(out_dir=audio_dir, engine=engine, profile=profile)
    out: dict = {}
    for key, prepared in _prepare_all(schedule):  # every notice checked before anything is rendered
        notice = prepared.notice
        files = [sha256_file(p) for p in input_files(notice)]  # the notice, its template, lexicon, music
        inputs = hashlib.sha256(json.dumps([__version__, engine, profile, files, prepared.pronunciations,
                                            prepared.transcript(), sorted(notice.vars.items(), key=str),
                                            notice.options, notice.repeat, prepared.voice.name],
                                           default=str, sort_keys=True).encode()).hexdigest()
        stamp = audio_dir / f".{notice.id}.inputs.json"
        known = read_stamp(stamp)
        audio = audio_dir / known.get("file", "-") if known else None
        if known.get("inputs") == inputs and audio is not None and audio.is_file():
            out[key] = Media(notice.id, notice.title, str(audio), float(known["duration"]))
            continue
        rendered = render_prepared(prepared, options)
        write_text(stamp, json.dumps({"inputs": inputs, "file": rendered.file, "duration": rendered.duration}))
        out[key] = Media(notice.id, notice.title, str(audio_dir / rendered.file), rendered.duration)
    return out
