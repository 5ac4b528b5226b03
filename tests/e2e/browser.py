"""What the browser suites share: screenshots, kept in the test's folder and in out/screenshots/."""
from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import ROOT


class Shots:
    def __init__(self, driver, folder: Path) -> None:
        self.driver, self.folder, self.n = driver, folder, 0
        self.keep = ROOT / "out" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        self.keep.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str) -> None:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        shutil.copy2(path, self.keep / path.name)
