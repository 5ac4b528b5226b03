"""The one error tree; each class knows its exit status, and only the CLI catches them."""
from __future__ import annotations

from pathlib import Path


class BroadcasterError(Exception):
    """Anything broadcaster reports to the user instead of a traceback."""

    exit_code = 1

    def __str__(self) -> str:  # the message the CLI prints, one line
        return self.args[0] if self.args else self.__class__.__name__


class BadInput(BroadcasterError):
    """The user's input is wrong: exit 2 with `path:line: what — how to fix`."""

    exit_code = 2

    def __init__(self, what: str, fix: str = "", path: str | Path | None = None,
                 line: int | None = None) -> None:
        self.what = what
        self.fix = fix
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(self.message())

    def message(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}{self.what}"
        if self.fix:
            text += f" — {self.fix}"
        # the contract is one line: YAML values can hold newlines
        return " ".join(text.splitlines())

    def located(self, path: str | Path, line: int | None = None) -> "BadInput":
        """The same error, placed in a file (keeps a more precise place if it has one)."""
        if self.path is None:
            return type(self)(self.what, self.fix, path, line if self.line is None else self.line)
        return self


class CouldNotDo(BroadcasterError):
    """The input was fine but the work could not be done (network, device, disk): exit 1."""

    exit_code = 1


class EngineUnavailable(CouldNotDo):
    """A speech engine cannot be used at all here (not installed, offline)."""


class SynthesisFailed(CouldNotDo):
    """A speech engine failed on one item; another engine may still manage it."""


class AudioError(CouldNotDo):
    """ffmpeg or the audio pipeline failed."""


class DeviceError(CouldNotDo):
    """An audio sink or output device failed."""
