"""What a new machine shows: no pydub warning about ffmpeg, scripts/demo's own lines in the user's
language, and install notes that name what the desk needs (a CJK font on Linux)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.zhtext import _help_prose as _prose

from tests.helpers import ROOT  # noqa: E402
NO_FFMPEG = "Couldn't find ffmpeg"


def _python(code: str, **env) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter whose PATH has no ffmpeg (as on a new machine), every warning shown."""
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if not (Path(p) / "ffmpeg").exists())
    return subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PATH": path, "PYTHONPATH": str(ROOT), **env})


def test_pydub_is_imported_only_through_broadcaster_audio_and_says_nothing_about_ffmpeg():
    importers = [p for p in [*(ROOT / "broadcaster").rglob("*.py"), *(ROOT / "scripts").iterdir()]
                 if p.is_file() and re.search(r"^\s*(from pydub|import pydub)|\bpydub\b,", p.read_text(errors="replace"),
                                              re.M)]
    assert [p.relative_to(ROOT).as_posix() for p in importers] == ["broadcaster/audio/ffmpeg.py"]
    got = _python("from broadcaster.audio.ffmpeg import pydub, ffmpeg_exe\n"
                  "segment = pydub()\nassert segment.converter == ffmpeg_exe(), segment.converter")
    assert got.returncode == 0 and NO_FFMPEG not in got.stderr, got.stderr


def test_the_install_check_of_the_scripts_says_nothing_about_ffmpeg():
    env = (ROOT / "scripts" / "_env.sh").read_text(encoding="utf-8")
    code = re.search(r'"\$VENV/bin/python" -c "(.*?)" \\', env, re.S).group(1)  # what _env.sh runs after installing
    got = _python(code)
    assert got.returncode == 0, got.stderr
    assert NO_FFMPEG not in got.stderr, got.stderr


def test_the_demos_own_lines_follow_the_language():
    demo = (ROOT / "scripts" / "demo").read_text(encoding="utf-8")
    assert not re.search(r"^\s*echo\b", demo, re.M)  # nothing it says bypasses the catalog
    for step in ("check", "render", "done"):
        assert re.search(rf"^say {step}\b", demo, re.M), step
    zh = _python("from broadcaster.cli.demo import main; main(['done', 'out/demo', '/home/cun'])",
                 LANG="zh_CN.UTF-8", BROADCASTER_LANG="")
    assert "做好了。音频在 /home/cun/out/demo/ 里" in zh.stdout and "broadcaster serve examples/" in zh.stdout
    for step in (["check"], ["render", "out/demo"]):
        said = _python(f"from broadcaster.cli.demo import main; main({step!r})", LANG="zh_CN.UTF-8",
                       BROADCASTER_LANG="").stdout
        assert re.search(r"[\u4e00-\u9fff]", said) and not _prose(said), said
    assert not _prose(zh.stdout), zh.stdout
    en = _python("from broadcaster.cli.demo import main; main(['check'])", LANG="C", BROADCASTER_LANG="")
    assert en.stdout.startswith("Checking every example")


def test_the_install_notes_name_the_font_the_desk_needs():
    for doc in ("README.md", "docs/desk.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert "fonts-noto-cjk" in text, doc
    assert "fonts-noto-cjk" in (ROOT / "docs" / "zh" / "README.md").read_text(encoding="utf-8") or \
        "fonts-noto-cjk" in (ROOT / "docs" / "desk.md").read_text(encoding="utf-8").split("## What it is")[0]
