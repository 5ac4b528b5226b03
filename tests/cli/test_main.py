"""The command line itself: `python -m broadcaster`, a bad option is exit 2 in one line, --traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import write


@pytest.mark.slow
def test_python_dash_m_works(tmp_path):
    r = subprocess.run([sys.executable, "-m", "broadcaster", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "render" in r.stdout


def test_bad_option_is_exit_2(run, tmp_path):
    r = run("render", "x.yaml", "-o", tmp_path, "--format", "ogg")
    assert r.code == 2 and "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1


def test_traceback_flag_shows_traceback(tmp_path):
    from broadcaster.cli import main
    from broadcaster.errors import BadInput

    path = write(tmp_path / "bad.yaml", "id: a\ntitel: x\n")
    with pytest.raises(BadInput):
        main(["--traceback", "check", str(path)])
