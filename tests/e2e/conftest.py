"""Fixtures of the browser suites: a real `broadcaster serve` on loopback, and Debian's chromium driven by Selenium."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.guards import CHROMIUM, DRIVER
from tests.helpers import ROOT, free_port


@pytest.fixture
def desk(tmp_path):
    """A real `broadcaster serve` on 127.0.0.1 over a copy of examples/ (espeak for speed)."""
    import httpx

    folder = tmp_path / "village"
    shutil.copytree(ROOT / "examples", folder)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "broadcaster.cli", "serve", str(folder), "--port", str(port),
                             "--engine", "espeak", "--log", str(tmp_path / "asrun.sqlite")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url + "/write", timeout=5)
            break
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the desk did not start: " + (proc.stderr.read() if proc.stderr else ""))
            time.sleep(0.2)
    yield url, folder
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.common.exceptions import WebDriverException

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--lang=zh-CN"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    try:
        driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=options)
    except WebDriverException as exc:
        pytest.skip(f"chromium could not start here: {exc.msg}")
    yield driver
    driver.quit()


def pytest_collection_modifyitems(config, items):
    """Every suite here starts processes and renders audio: all of them are `slow`, new ones too."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)
