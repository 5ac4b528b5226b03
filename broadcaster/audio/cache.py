"""Content-addressed cache of synthesized clips, so an unchanged notice renders without synthesis.

One file per clip, named by the SHA-256 of (engine, engine version, parameters, text). A file
holds a one-line JSON header (sample rate, boundaries, the payload's own SHA-256, and for a cleaned
recording what was measured on it: `meta`) and the PCM.
Writes are atomic; reads are checked, and an entry that fails the check is deleted and re-made.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from broadcaster.audio.clip import Boundary, Clip
from broadcaster.config import cache_dir
from broadcaster.fsutil import write_bytes

MAGIC = b"broadcaster-clip 1\n"
SUFFIX = ".clip"


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    entries: int
    bytes: int


def clip_key(engine: str, version: str, parameters: dict, text: str) -> str:
    """The address of a clip: anything that changes the sound changes the key."""
    doc = json.dumps({"engine": engine, "version": version, "parameters": parameters, "text": text},
                     ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(doc.encode("utf-8")).hexdigest()


def encode(clip: Clip, meta: dict | None = None) -> bytes:
    header = {"engine": clip.engine, "sample_rate": clip.sample_rate, "length": len(clip.pcm),
              "sha256": hashlib.sha256(clip.pcm).hexdigest(),
              "boundaries": [[b.start, b.end, b.text] for b in clip.boundaries]}
    if meta:
        header["meta"] = meta
    return MAGIC + json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n" + clip.pcm


def decode(data: bytes) -> Clip | None:
    """The clip in a cache file, or None when the file is not whole and valid."""
    entry = decode_entry(data)
    return entry[0] if entry else None


def decode_entry(data: bytes) -> tuple[Clip, dict] | None:
    """The clip in a cache file and its `meta` ({} when it has none), or None when not whole and valid."""
    if not data.startswith(MAGIC):
        return None
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        return None
    try:
        header = json.loads(data[len(MAGIC):end].decode("utf-8"))
        pcm = data[end + 1:]
        if len(pcm) != header["length"] or hashlib.sha256(pcm).hexdigest() != header["sha256"]:
            return None
        bounds = tuple(Boundary(float(s), float(e), str(t)) for s, e, t in header["boundaries"])
        meta = header.get("meta") or {}
        if not isinstance(meta, dict):
            return None
        return Clip(pcm=pcm, sample_rate=int(header["sample_rate"]), engine=str(header["engine"]),
                    boundaries=bounds), meta
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class Trimmed:
    removed: int
    freed: int     # bytes
    left: int      # bytes still in the cache


class ClipCache:
    """Clips on disk under the user cache folder (looked up each time: tests move it per test)."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root

    @property
    def root(self) -> Path:
        return self._root or cache_dir() / "clips"

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{SUFFIX}"

    def get(self, key: str) -> Clip | None:
        entry = self.get_entry(key)
        return entry[0] if entry else None

    def get_entry(self, key: str) -> tuple[Clip, dict] | None:
        """The clip stored under `key` and its `meta`, or None."""
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        entry = decode_entry(data)
        try:
            if entry is None:  # damaged (disk, crash, hand edit): drop it so it is made again
                path.unlink()
            else:
                os.utime(path)  # used now: trim() deletes the least recently used first
        except OSError:
            pass
        return entry

    def put(self, key: str, clip: Clip, meta: dict | None = None) -> None:
        """Store a clip (and what was measured on it); a full or read-only disk only costs the
        speed-up, never the render."""
        try:
            write_bytes(self._path(key), encode(clip, meta))
        except OSError:
            pass

    def _files(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [p for p in self.root.glob(f"*/*{SUFFIX}") if p.is_file()]

    def info(self) -> CacheInfo:
        files = self._files()
        size = 0
        for p in files:
            try:
                size += p.stat().st_size
            except OSError:
                pass
        return CacheInfo(path=self.root, entries=len(files), bytes=size)

    def trim(self, max_bytes: int) -> Trimmed:
        """Delete the least recently used clips until the cache holds at most `max_bytes`."""
        entries = []
        for p in self._files():
            try:
                st = p.stat()
            except OSError:
                continue
            entries.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in entries)
        removed = freed = 0
        for _, size, p in sorted(entries, key=lambda e: e[0]):
            if total - freed <= max_bytes:
                break
            try:
                p.unlink()
            except OSError:
                continue
            removed, freed = removed + 1, freed + size
        return Trimmed(removed=removed, freed=freed, left=total - freed)

    def clear(self) -> int:
        """Delete every clip (and stray temporary files); the number of clips removed."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for p in self.root.glob("*/*"):
            try:
                p.unlink()
                removed += p.suffix == SUFFIX
            except OSError:
                pass
        for d in self.root.glob("*"):
            try:
                d.rmdir()
            except OSError:
                pass
        return removed


CACHE = ClipCache()
