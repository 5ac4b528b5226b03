"""export-card: loop-player MP3s in play order, no tags, 44.1 kHz CBR, leading silence; refusals; names and
the playlist kept to one line whatever a manifest holds.

Directory-entry order is only meaningful on FAT, so the order tests write to a real FAT
image mounted with fusefat (apt install fusefat dosfstools); elsewhere they are skipped.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.audiotools import decode
from tests.helpers import write

BODY = "今天下午三点在村委会门口发放物资。"
BITRATES = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]  # MPEG-1 Layer III, kbit/s
RATES = [44100, 48000, 32000]


def notices(tmp_path: Path, ids: list[str]) -> list[Path]:
    return [write(tmp_path / "src" / f"{i}.yaml", f"id: {i}\ntitle: 通知{n}\ntext: {BODY}\nrepeat: 1\n")
            for n, i in enumerate(ids, start=1)]


def mp3_frames(data: bytes) -> list[tuple[int, int, int, int]]:
    """(version, layer, bitrate kbit/s, sample rate) of every frame; the file must be frames only."""
    out, i = [], 0
    while i < len(data):
        h = int.from_bytes(data[i:i + 4], "big")
        assert (h >> 21) & 0x7FF == 0x7FF, f"no frame sync at byte {i} of {len(data)}"
        version, layer, br, sr, pad = (h >> 19) & 3, (h >> 17) & 3, (h >> 12) & 15, (h >> 10) & 3, (h >> 9) & 1
        assert version == 3 and layer == 1, (version, layer)  # MPEG-1, Layer III
        out.append((version, layer, BITRATES[br], RATES[sr], (h >> 6) & 3))
        i += 144 * BITRATES[br] * 1000 // RATES[sr] + pad
    assert i == len(data)
    return out


def leading_silence(path: Path) -> float:
    x = decode(path, 16000)
    frames = x[: len(x) // 160 * 160].reshape(-1, 160)
    loud = np.flatnonzero(20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) + 1e-12) > -50)
    return loud[0] * 0.01


@pytest.mark.slow
def test_card_files_suit_loop_players(run, tmp_path):
    files = notices(tmp_path, ["zhang", "li", "wang"])
    card = tmp_path / "card"
    r = run("export-card", *files, "-o", card, "--engine", "espeak")
    assert r.code == 0, r.err
    names = ["001_zhang.mp3", "002_li.mp3", "003_wang.mp3"]
    assert sorted(p.name for p in card.iterdir()) == sorted(names + ["PLAYLIST.txt"])
    for name in names:
        data = (card / name).read_bytes()
        assert not data.startswith(b"ID3") and data[-128:-125] != b"TAG"
        frames = mp3_frames(data)
        assert {f[2] for f in frames} == {128} and {f[3] for f in frames} == {44100}  # CBR 128k, 44.1 kHz
        assert {f[4] for f in frames} == {3}  # single channel
        assert 0.3 <= leading_silence(card / name) <= 0.5
    playlist = (card / "PLAYLIST.txt").read_text(encoding="utf-8-sig").splitlines()
    rows = [line.split("\t") for line in playlist[1:]]
    assert [(row[0], row[1], row[3]) for row in rows] == [("001", names[0], "通知1"), ("002", names[1], "通知2"),
                                                          ("003", names[2], "通知3")]


@pytest.mark.slow
def test_finished_audio_is_converted_too(run, tmp_path):
    files = notices(tmp_path, ["a"])
    assert run("render", *files, "-o", tmp_path / "out", "--engine", "espeak").code == 0
    r = run("export-card", tmp_path / "out" / "a.mp3", "-o", tmp_path / "card", "--json")
    assert r.code == 0, r.err
    import json
    tracks = json.loads(r.out)["tracks"]
    assert [t["name"] for t in tracks] == ["001_a.mp3"] and tracks[0]["title"] == "通知1"  # from the manifest
    frames = mp3_frames((tmp_path / "card" / "001_a.mp3").read_bytes())
    assert {(f[2], f[3]) for f in frames} == {(128, 44100)}


def test_bad_notice_refused_before_writing(run, tmp_path):
    files = notices(tmp_path, ["ok"]) + [write(tmp_path / "src" / "bad.yaml", "id: bad\ntitle: x\nrepeat: 1\n")]
    r = run("export-card", *files, "-o", tmp_path / "card", "--engine", "espeak")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and "bad.yaml" in r.err
    assert not (tmp_path / "card").exists()


def test_existing_audio_needs_replace(run, tmp_path):
    card = tmp_path / "card"
    card.mkdir()
    (card / "song.mp3").write_bytes(b"x")
    r = run("export-card", *notices(tmp_path, ["a"]), "-o", card, "--engine", "espeak")
    assert r.code == 1 and "song.mp3" in r.err
    assert [p.name for p in card.iterdir()] == ["song.mp3"]


# ---------------------------------------------------------------- on a real FAT file system
def _fat_tools() -> str | None:
    missing = [t for t in ("mkfs.fat", "fusefat", "fusermount") if not shutil.which(t)]
    if missing:
        return "needs " + ", ".join(missing) + " (apt install fusefat dosfstools fuse)"
    if not os.path.exists("/dev/fuse"):
        return "needs /dev/fuse"
    return None


@pytest.fixture
def fat(tmp_path):
    """mount(size_kb, writable=True) -> a folder on a fresh FAT image."""
    why = _fat_tools()
    if why:
        pytest.skip(why)
    mounted = []

    def mount(size_kb: int = 16384, writable: bool = True) -> Path:
        image, point = tmp_path / f"fat{len(mounted)}.img", tmp_path / f"mnt{len(mounted)}"
        subprocess.run(["mkfs.fat", "-C", str(image), str(size_kb)], check=True, capture_output=True)
        point.mkdir()
        args = ["fusefat", "-o", "rw+" if writable else "ro", str(image), str(point)]
        proc = subprocess.run(args, capture_output=True)
        if proc.returncode != 0:
            pytest.skip(f"fusefat could not mount: {proc.stderr.decode(errors='replace')[:200]}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["fusermount", "-u", str(point)], capture_output=True)


@pytest.mark.slow
def test_directory_entry_order_is_play_order(run, tmp_path, fat):
    card = fat()
    # play order deliberately differs from the alphabetical order of the ids
    ids = ["zhen", "cun", "xiang", "an"]
    r = run("export-card", *notices(tmp_path, ids), "-o", card, "--engine", "espeak")
    assert r.code == 0, r.err
    listed = [e.name for e in os.scandir(card)]
    assert listed == [f"{n:03d}_{i}.mp3" for n, i in enumerate(ids, start=1)] + ["PLAYLIST.txt"]
    # again, in another order, replacing the old export
    r = run("export-card", *notices(tmp_path, ids[::-1]), "-o", card, "--engine", "espeak", "--replace")
    assert r.code == 0, r.err
    listed = [e.name for e in os.scandir(card) if e.name.endswith(".mp3")]
    assert listed == [f"{n:03d}_{i}.mp3" for n, i in enumerate(ids[::-1], start=1)]


@pytest.mark.slow
def test_read_only_card_refused(run, tmp_path, fat):
    card = fat(writable=False)
    r = run("export-card", *notices(tmp_path, ["a"]), "-o", card, "--engine", "espeak")
    assert r.code == 1 and "read-only" in r.err and len(r.err.strip().splitlines()) == 1
    assert list(card.iterdir()) == []


@pytest.mark.slow
def test_full_card_refused_before_writing(run, tmp_path, fat):
    card = fat(size_kb=400)  # room for about one program
    r = run("export-card", *notices(tmp_path, ["a", "b", "c", "d"]), "-o", card, "--engine", "espeak")
    assert r.code == 1 and "too small" in r.err
    assert list(card.iterdir()) == []


@pytest.mark.slow
def test_card_names_and_playlist_keep_to_one_line(tmp_path):
    """A manifest id `abc⏎` made `001_abc⏎.mp3`; a title with a newline made PLAYLIST.txt rows."""
    from broadcaster.card import PLAYLIST, export_card

    src = tmp_path / "audio"
    src.mkdir()
    with wave.open(str(src / "a.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"\x10\x00\xf0\xff" * 8000)
    (src / "manifest.json").write_text(json.dumps(
        {"notices": [{"file": "a.wav", "id": "abc\n", "title": "第一行\n002_x.mp3\tfake"}]}), encoding="utf-8")
    card = tmp_path / "card"
    card.mkdir()
    result = export_card([src / "a.wav"], card)
    names = sorted(p.name for p in card.iterdir())
    assert all(re.fullmatch(r"\d{3}_[a-z0-9_-]+\.mp3|PLAYLIST\.txt", n) for n in names), names
    rows = (card / PLAYLIST).read_bytes().decode("utf-8-sig").split("\r\n")
    assert rows[-1] == "" and len(rows) == 3, rows  # the header, one track, the final line end
    assert rows[1].count("\t") == 3 and "第一行" in rows[1]
    assert result.tracks[0].name == "001_abc.mp3"
