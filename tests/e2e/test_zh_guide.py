"""The Chinese guide for officials (docs/zh/) is true: its files are written, its commands run, and
what it shows each command printing is what the command prints."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.helpers import ROOT

GUIDE = ROOT / "docs" / "zh" / "README.md"
FENCE = re.compile(r"^```(\w+)(?: +file=(\S+))?\n(.*?)^```", re.M | re.S)


def steps(text: str) -> list[tuple[str, str, str]]:
    """('file', name, content) and ('console', command, expected output) in the guide's order."""
    out = []
    for lang, name, body in FENCE.findall(text):
        if name:
            out.append(("file", name, body))
        elif lang == "console":
            command, expected = None, []
            for line in body.splitlines():
                if line.startswith("$ "):
                    if command:
                        out.append(("console", command, "\n".join(expected)))
                    command, expected = line[2:], []
                else:
                    expected.append(line)
            if command:
                out.append(("console", command, "\n".join(expected)))
    return out


def _same(line: str) -> str:
    # measured figures (seconds, LUFS, MB) may move in the last digit between machines; words may not
    return re.sub(r"\d+(?:\.\d+)?", "#", line.rstrip())


def shows(expected: str, actual: str) -> bool:
    """The expected lines appear in order; a line '…' stands for any lines left out."""
    want = [_same(x) for x in expected.splitlines()]
    have = [_same(x) for x in actual.splitlines()]
    i = 0
    skipping = False
    for line in want:
        if line == "…":
            skipping = True
            continue
        while i < len(have) and have[i] != line and skipping:
            i += 1
        if i >= len(have) or have[i] != line:
            return False
        i += 1
        skipping = False
    return skipping or i == len(have)


@pytest.mark.slow
def test_the_guide_runs_as_written(tmp_path):
    text = GUIDE.read_text(encoding="utf-8")
    todo = steps(text)
    assert sum(kind == "console" for kind, *_ in todo) >= 8
    env = {**os.environ, "LANG": "zh_CN.UTF-8", "BROADCASTER_LANG": "", "BROADCASTER_OFFLINE": "1",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "COLUMNS": "100"}
    env.pop("BROADCASTER_LANG")
    # the reader works in the broadcaster folder, with its examples (the guide's recordings are there)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for kind, name, body in todo:
        if kind == "file":
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(body, encoding="utf-8")
            continue
        proc = subprocess.run(name, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        printed = proc.stdout + proc.stderr
        assert shows(body, printed), f"`{name}` printed:\n{printed}\nthe guide shows:\n{body}"


def test_matching_rules():
    assert shows("a 1.0 s\n…\nc", "a 1.2 s\nb\nb2\nc")
    assert not shows("a\nc", "a\nb\nc")
    assert shows("a\n…", "a\nb")
    assert not shows("a 秒", "a s")
    assert shlex.split("broadcaster check 核酸.yaml")[2] == "核酸.yaml"
