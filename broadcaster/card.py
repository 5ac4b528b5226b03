"""export-card: a folder of loop-player MP3s for USB/TF players, written in play order.

Cheap loop players play a FAT folder in directory-entry order, which is the order files
were created, not name order. So every file is first converted on the local disk, then
copied to the card one at a time in play order, each flushed (fsync) before the next
starts. The copies are written under their final names rather than a temporary name and
a rename: on FAT a rename makes a new directory entry wherever the driver finds room,
which can put a later file's entry ahead of an earlier one. A failed copy is deleted,
and PLAYLIST.txt is written last, so a card without it is known to be unfinished.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from broadcaster.audio.decode import decode
from broadcaster.audio.master import master_checked
from broadcaster.audio.profiles import get_output_profile
from broadcaster.errors import BadInput, BadInputs, CouldNotDo
from broadcaster.fsutil import one_line, os_reason
from broadcaster.i18n import _, ngettext
from broadcaster.examine import load_all
from broadcaster.render import RenderOptions, render_prepared
from broadcaster.speech.romanize import ascii_name

AUDIO_SUFFIXES = (".mp3", ".wav", ".m4a", ".aac", ".ogg", ".opus", ".flac")
NOTICE_SUFFIXES = (".yaml", ".yml")
PLAYLIST = "PLAYLIST.txt"
_OURS_RE = re.compile(r"\d{3}_[a-z0-9_-]+\.mp3")  # fullmatch: `$` lets "001_a.mp3\n" pass
_SLACK = 64 * 1024  # per file: FAT allocates whole clusters (up to 32-64 KiB on cards)


@dataclass(frozen=True)
class CardTrack:
    """One file on the card."""

    number: int
    name: str      # 001_<ascii-id>.mp3
    title: str
    duration: float
    size: int


@dataclass(frozen=True)
class CardResult:
    target: Path
    tracks: tuple[CardTrack, ...]
    playlist: Path

    @property
    def total_bytes(self) -> int:
        return sum(t.size for t in self.tracks)


def ascii_id(text: str) -> str:
    """An ASCII name part for FAT short-name-safe file names: pinyin for Chinese (as a notice's id)."""
    return ascii_name(text) or "track"


def _manifest_entries(folder: Path) -> dict[str, dict]:
    path = folder / "manifest.json"
    try:
        return {e["file"]: e for e in json.loads(path.read_text(encoding="utf-8")).get("notices", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _check_inputs(files: list[Path]) -> None:
    for f in files:
        if not f.exists():
            raise BadInput(_("no such file: {file}").format(file=f), _("check the path (a folder means its notices)"),
                           f)
        suffix = f.suffix.lower()
        if suffix not in NOTICE_SUFFIXES + AUDIO_SUFFIXES:
            raise BadInput(_("cannot put '{suffix}' files on a card").format(suffix=f.suffix),
                           _("give notice .yaml files or audio files (.mp3, .wav, ...)"), f)


def check_target(target: Path, replace: bool) -> list[Path]:
    """Refuse an unusable card folder before anything is written; returns our old files to remove."""
    folder = target if target.exists() else target.parent
    if target.exists() and not target.is_dir():
        raise BadInput(_("{path} is a file, not a folder").format(path=target),
                       _("give the card's folder, e.g. -o /media/TF"))
    if not folder.exists():
        raise CouldNotDo(_("cannot write to {target}: {folder} does not exist — is the card inserted and mounted?")
                         .format(target=target, folder=folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CouldNotDo(_("cannot write to {folder}: it is read-only or not yours — "
                           "check the card's lock switch and mount, or choose another folder").format(folder=folder))
    if not target.exists():
        return []
    audio = [p for p in target.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES]
    ours = [p for p in audio if _OURS_RE.fullmatch(p.name)]
    if audio and not replace:
        raise CouldNotDo(ngettext("{target} already holds {n} audio file ({first}); players play in write order, "
                                  "so a card must start empty — pass --replace to remove our old NNN_*.mp3 files "
                                  "first, or empty the folder",
                                  "{target} already holds {n} audio files ({first}, ...); players play in write "
                                  "order, so a card must start empty — pass --replace to remove our old NNN_*.mp3 "
                                  "files first, or empty the folder", len(audio))
                         .format(target=target, n=len(audio), first=audio[0].name))
    others = [p for p in audio if p not in ours]
    if others:
        raise CouldNotDo(_("{target} holds audio that export-card did not write ({first}, ...) — "
                           "move it away first: players would play it in between")
                         .format(target=target, first=others[0].name))
    return ours + ([target / PLAYLIST] if (target / PLAYLIST).exists() else [])


def export_card(files: list[Path], target: Path, engine: str = "auto", replace: bool = False,
                on_track: Callable[[CardTrack], None] | None = None, channel: str = "",
                day: str = "", labels: dict[Path, tuple[str, str]] | None = None) -> CardResult:
    """Convert notices and audio files to the loop-player profile and write them to `target`
    in the given order, with PLAYLIST.txt (headed by the channel's name and the day when given:
    a schedule's card folder is named in ASCII, `village-2021-10-27`). `labels`: an audio file's
    (id, title) when the caller knows them (a schedule's plays), else they come from the manifest
    beside it. Refuses (before writing) a bad input, an unwritable target, or a card without room."""
    if not files:
        raise BadInput(_("no files to put on the card"), _("give notice .yaml files or audio files"))
    _check_inputs(files)
    profile = get_output_profile("loop-player")
    notice_paths = [f for f in files if f.suffix.lower() in NOTICE_SUFFIXES]
    prepared, errors = load_all(notice_paths, program=profile.program)
    if errors:
        raise BadInputs(errors)
    stale = check_target(target, replace)

    by_path = {p.notice.path: p for p in prepared}
    staging = Path(tempfile.mkdtemp(prefix="broadcaster-card-"))
    try:
        staged = _convert(files, by_path, staging, profile, engine, labels or {})
        need = sum(size + _SLACK for _, _, _, size, _ in staged)
        free = shutil.disk_usage(target if target.exists() else target.parent).free
        freed = sum(p.stat().st_size for p in stale)
        if need > free + freed:
            raise CouldNotDo(_("the card is too small: these {n} files need {need:.1f} MB, {target} has "
                               "{free:.1f} MB free — free some space or put fewer files")
                             .format(n=len(staged), need=need / 1e6, target=target, free=(free + freed) / 1e6))
        for old in stale:
            old.unlink()
        target.mkdir(parents=True, exist_ok=True)
        tracks = []
        for number, (src, ident, title, size, duration) in enumerate(staged, start=1):
            track = CardTrack(number, f"{number:03d}_{ident}.mp3", title, duration, size)
            _copy_in_order(src, target / track.name)
            tracks.append(track)
            if on_track:
                on_track(track)
        playlist = _write_playlist(target, tracks, channel, day)
        return CardResult(target=target, tracks=tuple(tracks), playlist=playlist)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _convert(files: list[Path], by_path: dict, staging: Path, profile, engine: str,
             labels: dict[Path, tuple[str, str]]) -> list[tuple]:
    """Each file as a loop-player MP3 in `staging`: (path, ascii id, title, size, duration)."""
    out = []
    used: set[str] = set()
    done: dict[Path, tuple] = {}  # a schedule airs the same file many times a day: convert it once
    for i, f in enumerate(files):
        work = staging / f"{i:03d}"
        if f in done:
            src, ident, title, duration = done[f]
        elif f.suffix.lower() in NOTICE_SUFFIXES:
            p = by_path[f]
            r = render_prepared(p, RenderOptions(out_dir=work, engine=engine, profile=profile.name))
            src, ident, title, duration = work / r.file, p.notice.id, p.notice.title, r.duration
        else:
            entry = (dict(zip(("id", "title"), labels[f])) if f in labels
                     else _manifest_entries(f.parent).get(f.name, {}))
            ident = entry.get("id") or ascii_id(f.stem)
            title = entry.get("title") or f.stem
            src = work / "track.mp3"
            samples = decode(f, profile.sample_rate)
            if len(samples) == 0:
                raise CouldNotDo(_("{file}: the file holds no sound").format(file=f))
            duration = master_checked(samples, profile.sample_rate, profile, src).duration
        done[f] = (src, ident, title, duration)
        ident = ident if re.fullmatch(r"[a-z0-9_-]+", ident) else ascii_id(ident)
        base, n = ident, 2
        while ident in used:  # the same notice twice still gets two names
            ident, n = f"{base}-{n}", n + 1
        used.add(ident)
        out.append((src, ident, title, src.stat().st_size, duration))
    return out


def _copy_in_order(src: Path, dst: Path) -> None:
    """Copy under the final name, flush it to the card, and flush the folder entry too."""
    with open(src, "rb") as fin:
        _write_in_order(dst, lambda fout: shutil.copyfileobj(fin, fout, 1 << 20))


def _write_in_order(dst: Path, fill: Callable) -> None:
    # not fsutil.atomic_path: FAT has no file modes (its chmod fails) and a rename reorders entries
    try:
        with open(dst, "wb") as fout:
            fill(fout)
            fout.flush()
            os.fsync(fout.fileno())
        _fsync_dir(dst.parent)
    except OSError as exc:
        try:
            dst.unlink()
        except OSError:
            pass
        raise CouldNotDo(_("writing {file} failed: {reason} — the card may be full or removed")
                         .format(file=dst, reason=os_reason(exc))) from None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some systems cannot open folders; the file itself is already flushed
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def playlist_text(tracks: list[CardTrack], channel: str = "", day: str = "") -> str:
    """PLAYLIST.txt: number, file, length and title; CRLF and a BOM so Windows Notepad shows it.

    A title is one row: its tabs and line breaks become spaces. The file is the card's table of
    contents for people (loop players ignore it), in Chinese like the officials who read it; a
    schedule's card folder starts with a row naming its channel and day."""
    lines = [f"频道\t{one_line(channel)}\t日期\t{one_line(day)}"] if channel or day else []
    lines.append("编号\t文件\t时长\t标题")
    for t in tracks:
        minutes, seconds = divmod(int(round(t.duration)), 60)
        lines.append(f"{t.number:03d}\t{t.name}\t{minutes}:{seconds:02d}\t{one_line(t.title)}")
    return "\r\n".join(lines) + "\r\n"


def _write_playlist(target: Path, tracks: list[CardTrack], channel: str = "", day: str = "") -> Path:
    path = target / PLAYLIST
    data = playlist_text(tracks, channel, day).encode("utf-8-sig")
    _write_in_order(path, lambda fout: fout.write(data))
    return path
