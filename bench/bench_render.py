"""Backbone speed: `render` of 20 notices vs eSpeak NG alone plus ffmpeg's MP3 encode of the same texts."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from measure import Measure

ROOT = Path(__file__).resolve().parent.parent


def _notices(folder: Path, count: int = 20) -> list[Path]:
    sources = sorted((ROOT / "examples" / "notices").glob("*.yaml"))
    out = []
    for i in range(count):
        src = sources[i % len(sources)]
        text = src.read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if not line.startswith("id:")]
        dst = folder / f"bench-{i:02d}.yaml"
        dst.write_text(f"id: bench-{i:02d}\n" + "\n".join(lines) + "\n", encoding="utf-8")
        out.append(dst)
    return out


def run() -> list[Measure]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-render-"))
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")  # no warm synthesis cache: measure real work
    os.environ["BROADCASTER_OFFLINE"] = "1"
    try:
        from broadcaster.audio.ffmpeg import ffmpeg_exe
        from broadcaster.engines.espeak import ENGINE
        from broadcaster.examine import load_all
        from broadcaster.render import RenderOptions, render_files

        paths = _notices(tmp)
        prepared, errors = load_all(paths)
        assert not errors, errors
        ENGINE.available()  # library load outside both timings

        # raw components: the same spoken sentences through eSpeak, the PCM through ffmpeg's MP3 encoder
        t0 = time.perf_counter()
        for p in prepared:
            pcm = b"".join(ENGINE.synthesize(s.text, p.voice).pcm for s in p.spoken.values())
            repeated = pcm * p.notice.repeat
            subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "s16le", "-ar", "22050", "-ac", "1", "-i", "-",
                            "-b:a", "64k", str(tmp / "raw.mp3"), "-y"], input=repeated, check=True)
        raw = time.perf_counter() - t0

        shutil.rmtree(tmp / "cache", ignore_errors=True)
        t0 = time.perf_counter()
        done, failed = render_files(paths, RenderOptions(out_dir=tmp / "out", engine="espeak"))
        ours = time.perf_counter() - t0
        assert len(done) == len(paths) and not failed
        return [Measure("render 20 notices / (eSpeak + ffmpeg MP3 encode)", ours / raw, 1.5,
                        detail=f"render {ours:.2f} s, raw {raw:.2f} s")]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
