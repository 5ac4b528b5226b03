"""Fixtures of the browser suites: a real `broadcaster serve` on loopback, and Debian's chromium driven by Selenium."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.browser import chromium, serve, stop
from tests.helpers import ROOT


@pytest.fixture
def desk(tmp_path):
    """A real `broadcaster serve` on 127.0.0.1 over a copy of examples/."""
    folder = tmp_path / "village"
    shutil.copytree(ROOT / "examples", folder)
    url, proc = serve(folder, tmp_path)
    yield url, folder
    stop(proc)


@pytest.fixture
def browser(tmp_path):
    driver = chromium(tmp_path)
    yield driver
    driver.quit()


def pytest_collection_modifyitems(config, items):
    """Every suite here starts processes and renders audio: all of them are `slow`, new ones too."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)
