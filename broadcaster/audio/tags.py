"""ID3 tags for MP3 programs (title, notice id, village, date), written with mutagen."""
from __future__ import annotations

import re
from pathlib import Path

from mutagen.id3 import ID3, TDRC, TIT2, TPE1, TXXX, COMM

_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")  # used with fullmatch


def tags_for(notice) -> dict:
    """The tags of a notice: title, id, and the village and date variables when it has them."""
    tags = {"title": notice.title, "notice_id": notice.id}
    for name in ("village", "date"):
        value = notice.vars.get(name)
        if isinstance(value, str) and value.strip():
            tags[name] = value.strip()
    return tags


def write_tags(path: Path, tags: dict) -> None:
    """Write tags as ID3v2.3 (the version most players read) into an MP3 file."""
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags["title"]))
    id3.add(TXXX(encoding=3, desc="notice_id", text=tags["notice_id"]))
    if "village" in tags:
        id3.add(TPE1(encoding=3, text=tags["village"]))  # shown as the artist on most players
        id3.add(TXXX(encoding=3, desc="village", text=tags["village"]))
    if "date" in tags:
        id3.add(TXXX(encoding=3, desc="date", text=tags["date"]))
        if _ISO_DATE.fullmatch(tags["date"]):
            id3.add(TDRC(encoding=3, text=tags["date"]))
    id3.add(COMM(encoding=3, lang="chi", desc="", text="broadcaster"))
    id3.save(str(path), v2_version=3)


def read_tags(path: Path) -> dict:
    """The tags we write, read back (empty when the file has none)."""
    from mutagen.id3 import ID3NoHeaderError
    try:
        id3 = ID3(str(path))
    except ID3NoHeaderError:
        return {}
    out = {}
    if "TIT2" in id3:
        out["title"] = str(id3["TIT2"])
    for frame in id3.getall("TXXX"):
        out[frame.desc] = str(frame)
    return out
