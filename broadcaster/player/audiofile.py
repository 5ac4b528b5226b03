"""An audio file as the player needs to know it before it goes on air (length, hash), converted or cut."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from broadcaster.audio.ffmpeg import run
from broadcaster.errors import Unplayable
from broadcaster.fsutil import atomic_path, sha256_file
from broadcaster.i18n import _


@dataclass(frozen=True)
class AudioInfo:
    path: str
    duration: float   # seconds
    sha256: str
    size: int
    mtime_ns: int


_cache: dict[tuple[str, int, int], AudioInfo] = {}


def inspect(path: str | Path) -> AudioInfo:
    """Duration and hash of an audio file; Unplayable when it is missing or undecodable.

    mutagen reads only the headers (no decoding subprocess), so this is quick enough to
    run just before a play; results are cached by size and mtime.
    """
    import mutagen

    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        raise Unplayable(_("audio file not found: {path}").format(path=p)) from None
    if not stat.S_ISREG(st.st_mode):  # reading a FIFO would block the play loop
        raise Unplayable(_("audio file is not a regular file (a pipe, a device or a folder): {path}").format(
            path=p))
    key = (str(p), st.st_size, st.st_mtime_ns)
    if key in _cache:
        return _cache[key]
    if st.st_size == 0:
        raise Unplayable(_("audio file is empty: {path}").format(path=p))
    try:
        parsed = mutagen.File(str(p))
    except Exception:  # noqa: BLE001 - mutagen raises many kinds on damaged or hostile files
        raise Unplayable(_("cannot read the sound in {path}: the file is damaged or is not audio").format(
            path=p)) from None
    length = float(getattr(getattr(parsed, "info", None), "length", 0) or 0)
    if parsed is None or length <= 0:
        raise Unplayable(_("not a playable audio file: {path}").format(path=p))
    info = AudioInfo(str(p), length, sha256_file(p), st.st_size, st.st_mtime_ns)
    _cache[key] = info
    return info


def convert(path: Path, fmt: str, cache_dir: Path) -> Path:
    """The same audio as `fmt` (for players that take one format), cached by content."""
    info = inspect(path)
    target = cache_dir / f"{info.sha256[:20]}.{fmt}"
    if not target.exists():
        with atomic_path(target) as tmp:
            codec = ["-c:a", "pcm_s16le"] if fmt == "wav" else ["-c:a", "libmp3lame", "-b:a", "96k"]
            run(["-y", "-i", str(path), "-vn", *codec, "-f", fmt, str(tmp)])
    return target


def truncate(path: Path, seconds: float) -> None:
    """Cut a written play file down to what actually aired (after an interruption)."""
    fmt = {".wav": "wav", ".mp3": "mp3"}.get(path.suffix.lower())
    if fmt is None or not path.exists():
        return
    with atomic_path(path) as tmp:
        # PCM is re-encoded losslessly to cut at the sample; MP3 is cut at a frame (26 ms)
        codec = ["-c:a", "pcm_s16le"] if fmt == "wav" else ["-c", "copy"]
        run(["-y", "-i", str(path), "-t", f"{max(seconds, 0.0):.3f}", *codec, "-f", fmt, str(tmp)])
    os.utime(path)
