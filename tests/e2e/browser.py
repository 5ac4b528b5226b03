"""What the browser suites share: a real `broadcaster serve` on loopback, Debian's chromium, and screenshots."""
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


def serve(folder: Path, tmp_path: Path, *extra: str, host: str = "127.0.0.1", address: str = "127.0.0.1",
          env: dict[str, str] | None = None) -> tuple[str, subprocess.Popen]:
    """Start `broadcaster serve` over `folder` (espeak for speed) and wait until it answers; (url, process)."""
    import httpx

    port = free_port()
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "broadcaster.cli", "serve", str(folder), "--port", str(port),
                             "--host", host, "--engine", "espeak", "--log", str(tmp_path / "asrun.sqlite"), *extra],
                            env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://{address}:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url + "/login", timeout=5)
            return url, proc
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the desk did not start: " + (proc.stderr.read() if proc.stderr else ""))
            time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def chromium(tmp_path: Path, *flags: str, phone: bool = False):
    """Headless Chromium in Chinese; a 390×844 phone by mobile emulation when `phone`. Skips if it cannot start."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.common.exceptions import WebDriverException

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars", "--autoplay-policy=no-user-gesture-required",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--lang=zh-CN", *flags):
        options.add_argument(flag)
    if phone:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844,
                                                                             "pixelRatio": 2}})
    else:
        options.add_argument("--window-size=1400,1000")
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    try:
        return webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=options)
    except WebDriverException as exc:
        pytest.skip(f"chromium could not start here: {exc.msg}")


class Shots:
    """Screenshots numbered in order (prefixed when `prefix`), kept in the test's folder and in out/screenshots/."""

    def __init__(self, driver, folder: Path, prefix: str = "") -> None:
        self.driver, self.folder, self.n, self.prefix = driver, folder, 0, prefix
        self.keep = ROOT / "out" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        self.keep.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str, whole: bool = False) -> None:
        self.n += 1
        path = self.folder / f"{self.prefix}{self.n:02d}-{name}.png"
        wide = self.driver.get_window_size()["width"] >= 1000
        if whole and wide:  # the whole page, not only the window
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(1400, min(max(height + 140, 1000), 4000))
        self.driver.save_screenshot(str(path))
        if whole and wide:
            self.driver.set_window_size(1400, 1000)
        shutil.copy2(path, self.keep / path.name)
