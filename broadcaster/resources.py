"""Where the package's data lives, in a wheel install and in a source checkout alike."""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """A data folder: inside the package (wheel: `voices/` is copied in), else the checkout's."""
    inside = PACKAGE / name
    if inside.is_dir():
        return inside
    beside = PACKAGE.parent / name
    if beside.is_dir():
        return beside
    raise FileNotFoundError(f"broadcaster data folder '{name}' is missing; reinstall broadcaster")


def templates_dir() -> Path:
    return data_dir("templates")


def voices_dir() -> Path:
    return data_dir("voices")
