"""An official's take (a recording just made in the browser or on the phone): heard as the program it
makes, then kept in the notice's folder. The web desk's record button stands on these two calls.

`preview_take` puts the uploaded bytes where the notice's recording goes (its `recording:`, one of
its `parts:`, or, for a notice written as text, a recording of that text read aloud) and renders
the whole program, cleaned and mastered like any other, into a folder of the caller's; nothing is
written into the notice's folder. `save_take` checks the take the same way and only then writes it
into the notice's folder, under `录音/`, and returns the name to write in the notice (the desk
updates the YAML). A bad take is bad input, as in a notice: not audio, silent, too short, too long.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from broadcaster.errors import BadInput
from broadcaster.fsutil import write_bytes
from broadcaster.i18n import _
from broadcaster.notice import Notice, Part, load_notice
from broadcaster.examine import check_recordings, prepare
from broadcaster.render import Rendered, RenderOptions, render_prepared

FOLDER = "录音"  # where takes are kept, beside the notice (the name officials see)
# what phones and browsers write (WeChat's voice messages are .silk or .slk)
SUFFIXES = (".m4a", ".mp4", ".aac", ".mp3", ".wav", ".ogg", ".oga", ".opus", ".webm", ".amr", ".3gp",
            ".silk", ".slk")
MAX_BYTES = 200_000_000  # 15 minutes of 48 kHz stereo WAV is 173 MB; phones' files are far smaller


@dataclass(frozen=True)
class Preview:
    """A take heard as its program: the rendered file (in the caller's folder) and what it is made of."""

    name: str            # where the take would be kept, relative to the notice's folder
    rendered: Rendered   # file, duration, loudness, made_of, transcript_source, warnings ...
    notice: Notice       # the notice as it would read with the take in place


def take_name(notice: Notice, filename: str, part: int | None = None) -> str:
    """The take's name in the notice's folder: 录音/<id>.<ext>, or 录音/<id>-<part>.<ext> for a part."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise BadInput(_("'{file}' is not a recording a phone or browser makes").format(file=filename),
                       _("send the file as it was recorded: {suffixes}").format(suffixes=" ".join(SUFFIXES)))
    stem = notice.id if part is None else f"{notice.id}-{part + 1}"
    return f"{FOLDER}/{stem}{suffix}"


def refuse_untakeable(notice: Notice) -> None:
    """BadInput for a notice no take can go into: a jingle, read on its beat."""
    if notice.kind != "notice":
        raise notice.error(_("a jingle is read on its beat; it cannot be a recording"),
                           _("record a notice instead"), "kind")


def with_take(notice: Notice, name: str, part: int | None = None) -> Notice:
    """The notice with the take `name` where its recording goes.

    A recording notice: its `recording:`. A notice in parts: part `part` (a recording part, or a
    `say:` part whose text the take reads aloud), or a new part at the end when `part` is one past the
    last. A notice written as text or from a template: a recording notice whose words are that text.
    """
    if part is not None:
        if not notice.parts or not 0 <= part <= len(notice.parts):
            raise notice.error(_("the notice has no part {n}").format(n=part + 1),
                               _("choose one of its parts: 1 to {count}").format(count=len(notice.parts)),
                               "parts")
        if part == len(notice.parts):  # one past the last: a new recording part at the end
            return replace(notice, parts=(*notice.parts, Part(recording=name)))
        old = notice.parts[part]
        parts = list(notice.parts)
        parts[part] = Part(recording=name, text=old.text if old.recording is not None else old.say)
        return replace(notice, parts=tuple(parts))
    if notice.parts:
        raise notice.error(_("the notice is in parts: say which part the recording is for"),
                           _("choose one of its parts: 1 to {count}").format(count=len(notice.parts)), "parts")
    refuse_untakeable(notice)
    if notice.alternate:  # a recording of the whole notice would silently end the turns of voices
        raise notice.error(_("the notice takes turns in voices (`alternate`): a recording of all of it would "
                             "replace them"),
                           _("write the recording in as one of the readings: `- {recording: 录音/川渝话.m4a}` "
                             "under `alternate:`"), "alternate")
    if notice.recording is not None:
        return replace(notice, recording=name)
    from broadcaster.script import fill

    words = fill(notice).strip()  # the text the official reads aloud
    return replace(notice, recording=name, template=None, text=words or None)


def _checked_bytes(data: bytes) -> bytes:
    if not data:
        raise BadInput(_("the recording is empty"), _("record again, and stop only after speaking"))
    if len(data) > MAX_BYTES:
        raise BadInput(_("the recording is too big ({mb:.0f} MB; at most {limit:.0f} MB)").format(
            mb=len(data) / 1e6, limit=MAX_BYTES / 1e6), _("record the notice in several parts"))
    return data


def preview_take(notice_path: Path, data: bytes, filename: str, out_dir: Path, part: int | None = None,
                 engine: str = "auto", profile: str = "loudspeaker") -> Preview:
    """The program the notice makes with this take in place, rendered (cleaned, mastered) into `out_dir`.

    Nothing is written into the notice's folder. BadInput for a bad take (placed at the notice).
    """
    from broadcaster.audio.profiles import output_profile
    from broadcaster.audio.recording import Level

    notice = load_notice(notice_path)
    name = take_name(notice, filename, part)
    variant = with_take(notice, name, part)
    chosen = output_profile(profile)
    with tempfile.TemporaryDirectory(prefix="broadcaster-take-") as scratch:
        take = Path(scratch) / Path(name).name
        take.write_bytes(_checked_bytes(data))
        prepared = prepare(variant, program=chosen.program, level=Level.of(chosen),
                           takes={name: take})
        rendered = render_prepared(prepared, RenderOptions(out_dir=out_dir, engine=engine, profile=chosen.name))
    return Preview(name=name, rendered=rendered, notice=variant)


def check_take(notice_path: Path, data: bytes, filename: str, part: int | None = None) -> Notice:
    """The notice as it would read with this take in place, once the take and the rest of the notice are
    checked (the take is cleaned once: cached by content). BadInput for a bad take; nothing is written."""
    notice = load_notice(notice_path)
    name = take_name(notice, filename, part)
    variant = with_take(notice, name, part)
    with tempfile.TemporaryDirectory(prefix="broadcaster-take-") as scratch:
        take = Path(scratch) / Path(name).name
        take.write_bytes(_checked_bytes(data))
        prepare(variant, takes={name: take})  # the take's sound, and the rest of the notice
    return variant


def save_take(notice_path: Path, data: bytes, filename: str, part: int | None = None) -> str:
    """Keep a take in the notice's folder (录音/<id>.<ext>, written whole or not at all) and return the name
    to write in the notice. The take is checked first: a bad one is bad input and nothing is written."""
    variant = check_take(notice_path, data, filename, part)
    name = take_name(variant, filename, part)
    write_bytes(notice_path.parent / name, data)
    check_recordings(variant)  # as saved: inside the folder, an ordinary file (cleaned already: cached)
    return name
