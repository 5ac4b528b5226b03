"""Outputs appear whole or not at all; the CLI runs as `python -m broadcaster`."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from broadcaster.fsutil import atomic_path, write_text
from conftest import ROOT, write


def test_failed_write_leaves_neither_target_nor_temp(tmp_path):
    target = tmp_path / "a.mp3"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half a file")
            raise RuntimeError("disk went away")
    assert list(tmp_path.iterdir()) == []


def test_replacing_keeps_old_file_until_complete(tmp_path):
    target = tmp_path / "a.txt"
    write_text(target, "old")
    with atomic_path(target) as tmp:
        tmp.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)


def test_python_dash_m_works(tmp_path):
    r = subprocess.run([sys.executable, "-m", "broadcaster", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "render" in r.stdout


@pytest.mark.slow
def test_killed_render_leaves_no_partial_audio(tmp_path):
    """kill -9 at random moments during a render: every .mp3 present decodes completely."""
    from audiotools import FFMPEG

    notices = [write(tmp_path / f"n{i}.yaml", f"id: n{i}\ntext: 各位村民请注意，今天下午三点在村委会门口发放物资，请大家戴好口罩。\nrepeat: 3\n")
               for i in range(6)]
    out = tmp_path / "out"
    env = {**os.environ, "BROADCASTER_OFFLINE": "1"}
    for delay in (0.6, 1.0, 1.4):
        proc = subprocess.Popen([sys.executable, "-m", "broadcaster", "render", *map(str, notices), "-o", str(out),
                                 "--engine", "espeak"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for mp3 in out.glob("*.mp3") if out.exists() else []:
            r = subprocess.run([FFMPEG, "-v", "error", "-xerror", "-i", str(mp3), "-f", "null", "-"],
                               capture_output=True, text=True)
            assert r.returncode == 0 and not r.stderr, (mp3, r.stderr)
