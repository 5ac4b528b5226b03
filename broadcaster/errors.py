"""The one error tree; each class knows its exit status, and only the CLI catches them."""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from broadcaster.i18n import _


class ExitStatus(IntEnum):
    """The exit statuses of `broadcaster`, defined once: the error classes and the CLI use these."""

    OK = 0
    FAILED = 1  # could not do it: network, device, disk
    BAD_INPUT = 2  # the input is wrong: one line per mistake, nothing written
    INTERRUPTED = 130  # Ctrl-C, as a shell reports 128 + SIGINT


class BroadcasterError(Exception):
    """Anything broadcaster reports to the user instead of a traceback."""

    exit_code = ExitStatus.FAILED

    def __str__(self) -> str:  # the message the CLI prints, one line
        return self.args[0] if self.args else self.__class__.__name__

    def lines(self) -> list[str]:
        """The lines to show, one per mistake (one here; BadInputs has several)."""
        return [str(self)]


class BadInput(BroadcasterError):
    """The user's input is wrong: exit 2 with `path:line: what — how to fix`.

    `key` is the path of YAML keys the mistake is at (("vars", "end"), ("titel",)), () when not
    known: the web desk shows the message at that key's form field. `value`: the written value that
    is wrong, when the mistake is one value in a text (an invalid time): found in the notice's
    variables to place the mistake, and looked past for the next one.
    """

    exit_code = ExitStatus.BAD_INPUT
    value: str | None = None

    def __init__(self, what: str, fix: str = "", path: str | Path | None = None,
                 line: int | None = None, key: tuple = (), value: str | None = None) -> None:
        self.what = what
        self.fix = fix
        self.path = str(path) if path is not None else None
        self.line = line
        self.key = tuple(key)
        if value is not None:
            self.value = value
        super().__init__(self.message())

    @property
    def errors(self) -> list["BadInput"]:
        """The independent mistakes inside: this one (BadInputs: each of them)."""
        return [self]

    def message(self) -> str:
        return _one_line(self.path, self.line, self.what, self.fix)

    def located(self, path: str | Path, line: int | None = None, key: tuple = ()) -> "BadInput":
        """The same error, placed in a file (keeps a more precise place if it has one)."""
        if self.path is None:
            placed = type(self)(self.what, self.fix, path, line if self.line is None else self.line,
                                self.key or key)
            placed.value = self.value
            return placed
        return self


class BadInputs(BadInput):
    """Several independent bad-input errors at once; the CLI prints one line each (`lines()`).

    `warnings`: InputWarnings about the same files, said among the mistakes in the order of their lines
    (`check` lists everything about a file at once)."""

    def __init__(self, errors: list[BadInput], warnings: tuple | list = ()) -> None:
        flat: list[BadInput] = []
        for e in errors:  # a file's own collection inside a run's collection: one flat list
            flat.extend(e.errors)
        self._errors = flat
        self.warnings = tuple(warnings)
        first = flat[0]
        super().__init__(first.what, first.fix, first.path, first.line, first.key)

    @property
    def errors(self) -> list[BadInput]:
        return self._errors

    def lines(self) -> list[str]:
        if not self.warnings:
            return [e.message() for e in self.errors]
        by_file: dict = {}
        for item in [*self.errors, *self.warnings]:
            by_file.setdefault(item.path, []).append(item)
        return [item.message() if isinstance(item, BadInput) else item.shown()
                for items in by_file.values() for item in in_line_order(items)]

    def located(self, path: str | Path, line: int | None = None, key: tuple = ()) -> "BadInput":
        return BadInputs([e.located(path, line, key) for e in self.errors])


def _one_line(path: str | None, line: int | None, what: str, fix: str) -> str:
    """`path:line: what — fix`, the one line every mistake and warning is shown as."""
    where = ""
    if path:
        where = f"{path}:{line}: " if line else f"{path}: "
    text = f"{where}{what}"
    if fix:
        text += f" — {fix}"
    # the contract is one line: YAML values can hold newlines
    return " ".join(text.splitlines())


@dataclass(frozen=True)
class InputWarning:
    """Something in the input that is probably wrong but may be meant (a date already past, a comment
    after a value): said with its place and a fix, never stopping the work. `check --strict` counts it
    as a mistake. `key` as BadInput's."""

    what: str
    fix: str = ""
    path: str | None = None
    line: int | None = None
    key: tuple = ()

    def __post_init__(self) -> None:
        if self.path is not None:
            object.__setattr__(self, "path", str(self.path))
        object.__setattr__(self, "key", tuple(self.key))

    def message(self) -> str:
        """`path:line: what — fix`, as a mistake's (the manifest keeps it so)."""
        return _one_line(self.path, self.line, self.what, self.fix)

    def shown(self) -> str:
        """The line printed: `warning: path:line: what — fix` (注意： in Chinese), as every warning is."""
        return _("warning: {message}").format(message=self.message())


def in_line_order(items: list) -> list:
    """Mistakes and warnings of one run sorted by file and line (stable: a file's order is kept)."""
    return sorted(items, key=lambda e: (e.path or "", e.line or 0))


def raise_all(errors: list[BadInput]) -> None:
    """Raise the one error, or all of them in the order of their lines; nothing when empty."""
    if not errors:
        return
    if len(errors) == 1:
        raise errors[0]
    raise BadInputs(in_line_order(errors))


class CouldNotDo(BroadcasterError):
    """The input was fine but the work could not be done (network, device, disk): exit 1."""

    exit_code = ExitStatus.FAILED


class EngineUnavailable(CouldNotDo):
    """A speech engine cannot be used at all here (not installed, offline)."""


class SynthesisFailed(CouldNotDo):
    """A speech engine failed on one item; another engine may still manage it."""


class AudioError(CouldNotDo):
    """ffmpeg or the audio pipeline failed."""


class DeviceError(CouldNotDo):
    """An audio sink or output device failed."""


# ---------------------------------------------------------------- the player, schedules, the desk, the listener
class Unplayable(CouldNotDo):
    """This audio file cannot be aired (missing, empty, or not audio); the play is skipped."""


class LogUnavailable(CouldNotDo):
    """The as-run log cannot be opened or written."""


class SinkUnavailable(DeviceError):
    """The sink cannot be used here at all (player not installed, folder not writable)."""


class PlayFailed(DeviceError):
    """One play failed on a working sink (player exited with an error); worth one retry."""


class ListenerUnavailable(CouldNotDo):
    """The offline listener is not installed or its model is damaged."""


class RangeMistake(BadInput):
    """A time range that cannot be read; the caller places it (file, line), `index` is its place in a list."""

    def __init__(self, what: str, fix: str = "", path: str | Path | None = None, line: int | None = None,
                 key: tuple = (), index: int | None = None) -> None:
        super().__init__(what, fix, path, line, key)
        self.index = index


class OutsideFolder(BadInput):
    """A path from the browser that would leave the desk's folder (the desk answers 403)."""


class EditConflict(CouldNotDo):
    """The file changed since the desk's form was opened (another browser saved it): nothing was written."""


class RequestError(BroadcasterError):
    """The desk refuses a request with an HTTP status and one plain line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
