"""Where audio goes: players found on PATH, a folder of files, or nowhere; a registry by name.

A sink spec in a channel config is a name or an argument list (no shell):
`aplay`, `[aplay, -D, "plughw:1,0"]`, `file:out/onair`, `null`, `auto`, or
`[command, cvlc, --play-and-exit, "{file}"]` for any other player.
A schedule or plan file (which anyone who can edit it controls) may name only the built-in
sinks, a player's output device, or a sink defined by name in config.yaml (`sinks:`);
`command` and other player options come only from config.yaml or `--sink`.
Two kinds of failure, as for engines: PlayFailed (this play failed; retry or log it)
and SinkUnavailable (the sink cannot be used here at all).
"""
from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Protocol
from zoneinfo import ZoneInfo

import yaml

from broadcaster.errors import BadInput, BroadcasterError, DeviceError, PlayFailed, SinkUnavailable, Unplayable
from broadcaster.fsutil import write_bytes
from broadcaster.i18n import N_, _
from broadcaster.player.audiofile import convert, inspect, truncate
from broadcaster.player.clock import Clock
from broadcaster.resources import data_path
from broadcaster.vocabulary import TIMEZONE

SPECIAL = ("auto", "file", "null", "command")
# sinks.yaml's `about:` texts, marked here so the catalog holds them (shown with `_()`)
_ABOUT = (N_("FFmpeg's player; plays every format"), N_("PipeWire (recent desktops, Raspberry Pi OS Bookworm)"),
          N_("PulseAudio"), N_("ALSA (alsa-utils); the usual choice on a Raspberry Pi without a desktop"),
          N_("MP3 player for small boards"))


class Playback(Protocol):
    """A play in progress."""

    def poll(self) -> bool:
        """True once it has finished; PlayFailed if it failed."""

    def stop(self) -> None:
        """Stop now (cut, shutdown)."""

    @property
    def ends_at(self) -> float | None:
        """When it will end, if known in advance (lets the daemon wake exactly then)."""


class Sink(Protocol):
    name: str

    def available(self) -> tuple[bool, str]:
        """(True, "") when usable, else (False, why and how to fix)."""

    def describe(self) -> str:
        """What this sink is, for messages and the as-run log (e.g. `aplay -D plughw:1`)."""

    def prepare(self, path: Path) -> Path:
        """The file this sink will actually play (converted ahead of time if needed)."""

    def start(self, path: Path, channel: str, notice: str, started: float) -> Playback:
        """Begin playing `path` now; `started` is the wall-clock start to name outputs by."""


@dataclass(frozen=True)
class Player:
    name: str
    args: tuple[str, ...]
    formats: tuple[str, ...]
    about: str
    device: tuple[str, ...] = ()  # options that choose the output device (allowed in schedules)


@lru_cache(maxsize=1)
def players() -> dict[str, Player]:
    """The players from sinks.yaml, in `auto` order."""
    doc = yaml.safe_load((data_path("player", "sinks.yaml")).read_text(encoding="utf-8"))
    return {name: Player(name, tuple(str(a) for a in d.get("args", [])), tuple(d.get("formats", [])),
                         d.get("about", ""), tuple(d.get("device", []))) for name, d in doc["players"].items()}


def sink_names() -> tuple[str, ...]:
    return (*players(), "file:DIR", "null", "auto", "command")


def parse_spec(spec: object) -> tuple[str, tuple[str, ...]]:
    """(sink name, its arguments) from a channel's `sink:` value; BadInput when unusable."""
    if spec is None or spec == "":
        return "auto", ()
    if isinstance(spec, str):
        items = [spec]
    elif isinstance(spec, (list, tuple)) and spec and all(isinstance(a, (str, int, float)) for a in spec):
        items = [str(a) for a in spec]
    else:
        raise BadInput(_("sink {value} is not a name or a list of words").format(value=_as_written(spec)),
                       _("write e.g. `sink: aplay`, `sink: [aplay, -D, \"plughw:1,0\"]` or `sink: file:out/onair`"))
    head, rest = items[0].strip(), tuple(items[1:])
    if head.startswith("file:"):
        folder = head[len("file:"):].strip()
        if not folder:
            raise BadInput(_("sink `file:` needs a folder"), _("write e.g. `sink: file:out/onair`"))
        return "file", (folder, *rest)
    if head in players() or head in ("auto", "null"):
        return head, rest
    if head == "command":
        if not rest:
            raise BadInput(_("sink `command` needs the program to run"),
                           _("write e.g. `sink: [command, cvlc, --play-and-exit, \"{file}\"]`"))
        return "command", rest
    close = difflib.get_close_matches(head, [*players(), "auto", "null", "command", "file:"], n=1)
    listed = _(", ").join(sink_names())
    raise BadInput(_("unknown sink '{name}'").format(name=head),
                   _("did you mean `{word}`? Use one of {choices}").format(word=close[0], choices=listed) if close
                   else _("use one of {choices}").format(choices=listed))


def _as_written(spec: object) -> str:
    """A sink value as the user wrote it in YAML (not as Python would print it)."""
    try:
        return yaml.safe_dump(spec, default_flow_style=True, allow_unicode=True, width=1000).strip().removesuffix("...").strip()
    except yaml.YAMLError:
        return str(spec)


def is_builtin(name: str) -> bool:
    return name in players() or name in SPECIAL or name.startswith("file:")


def check_named(conf: Mapping[str, object], where: Path) -> dict[str, object]:
    """config.yaml's `sinks:` checked: names that are not built-in, specs that parse (commands allowed)."""
    out: dict[str, object] = {}
    for name, spec in conf.items():
        name = str(name)
        if is_builtin(name):
            raise BadInput(_("sink name '{name}' is a built-in sink").format(name=name),
                           _("give your sink another name in config.yaml `sinks:`"), where)
        try:
            parse_spec(spec)
        except BadInput as exc:
            raise exc.located(where) from None
        out[name] = spec
    return out


def from_file(spec: object, named: Mapping[str, object]) -> object:
    """A `sink:` written in a schedule or plan file, resolved to the spec to use.

    Such files are edited by many hands (and copied between villages), so they may name a
    built-in sink, give a player's output device, or name a sink from config.yaml; never run
    a program or pass other options. BadInput (without a place: the caller adds it) otherwise.
    """
    if isinstance(spec, str) and spec.strip() in named:
        return named[spec.strip()]
    name, args = parse_spec(spec)
    fix = _("define it in config.yaml under `sinks:` and give its name here, or give it with --sink")
    if name == "command":
        raise BadInput(_("a schedule or plan cannot run a program as its sink"), fix)
    if name in players() and args:
        device = players()[name].device
        pairs = [args[i:i + 2] for i in range(0, len(args), 2)]
        if not all(len(p) == 2 and p[0] in device and not p[1].startswith("-") for p in pairs):
            if device:
                what = _("a schedule or plan may only choose {player}'s output device (only {options} DEVICE)").format(
                    player=name, options=_(", ").join(device))
            else:
                what = _("a schedule or plan may only choose {player}'s output device").format(player=name)
            raise BadInput(what, fix)
    return spec


def from_option(text: str, named: Mapping[str, object]) -> object:
    """A `--sink` value (trusted: the operator typed it): a config name, a sink, or a list such as
    `[command, cvlc, --play-and-exit, "{file}"]` written as in YAML."""
    text = text.strip()
    if text in named:
        return named[text]
    spec: object = text
    if text.startswith("["):
        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError:
            raise BadInput(_("--sink '{text}' is not a list of words").format(text=text),
                           _('write e.g. --sink "[command, cvlc, --play-and-exit, \'{file}\']"')) from None
    parse_spec(spec)
    return spec


def make_sink(spec: object, clock: Clock, timezone: str = TIMEZONE,
              base_dir: Path | None = None, cache_dir: Path | None = None) -> Sink:
    """A sink for a channel spec. `auto` resolves here: SinkUnavailable if nothing is found."""
    name, args = parse_spec(spec)
    cache = cache_dir or Path(tempfile.gettempdir()) / "broadcaster-sink-cache"
    if name == "auto":
        tried = []
        for player in players().values():
            sink = PlayerSink(player, (), cache)
            ok, why = sink.available()
            if ok:
                return sink
            tried.append(player.name)
        raise SinkUnavailable(_("no audio player found on PATH (tried {players}): install one "
                                "(e.g. `apt install alsa-utils` for aplay) or set `sink: file:DIR` for a dry run")
                              .format(players=_(", ").join(tried)))
    if name == "file":
        folder = Path(args[0])
        if not folder.is_absolute() and base_dir is not None:
            folder = base_dir / folder
        return FileSink(folder, clock, timezone)
    if name == "null":
        return NullSink(clock)
    if name == "command":
        return CommandSink(args, cache)
    return PlayerSink(players()[name], args, cache)


def available_sinks() -> list[tuple[str, bool, str]]:
    """Every player sink with whether it is usable here (for `broadcaster sinks`)."""
    out = []
    for player in players().values():
        ok, why = PlayerSink(player, (), Path(tempfile.gettempdir())).available()
        out.append((player.name, ok, why or _(player.about)))
    out.append(("file:DIR", True, _("writes each play into DIR, named by its start time (dry runs, tests)")))
    out.append(("null", True, _("plays nothing, taking the audio's duration")))
    return out


# ------------------------------------------------------------------ players (subprocesses)
class ProcessPlayback:
    """A player subprocess; its exit status decides success."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self._err = tempfile.TemporaryFile()
        try:
            # own session: a Ctrl-C at the terminal reaches the daemon, which stops us cleanly
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=self._err, start_new_session=True)
        except FileNotFoundError:
            self._err.close()
            raise SinkUnavailable(_("{program} is not installed (not found on PATH)").format(program=argv[0])) from None
        except OSError as exc:
            self._err.close()
            raise PlayFailed(_("could not start {program}: {reason}").format(program=argv[0],
                                                                             reason=exc.strerror or exc)) from None

    ends_at = None  # a player process ends when it ends

    def poll(self) -> bool:
        code = self.proc.poll()
        if code is None:
            return False
        if code != 0:
            message = self._last_error()
            self._err.close()
            raise PlayFailed(_("{program} exited with status {code}: {message}").format(
                program=Path(self.argv[0]).name, code=code, message=message))
        self._err.close()
        return True

    def _last_error(self) -> str:
        try:
            self._err.seek(0)
            lines = self._err.read().decode("utf-8", "replace").strip().splitlines()
        except (OSError, ValueError):
            lines = []
        return lines[-1] if lines else _("it said nothing")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self._err.closed:
            self._err.close()


class PlayerSink:
    """A known player from sinks.yaml, with extra arguments from the channel config."""

    def __init__(self, player: Player, extra: tuple[str, ...], cache_dir: Path) -> None:
        self.player = player
        self.name = player.name
        self.extra = extra
        self.cache_dir = cache_dir

    def available(self) -> tuple[bool, str]:
        if shutil.which(self.player.name):
            return True, ""
        return False, _("{program} is not installed ({about})").format(program=self.player.name,
                                                                        about=_(self.player.about))

    def describe(self) -> str:
        return " ".join([self.player.name, *self.extra])

    def prepare(self, path: Path) -> Path:
        fmt = path.suffix.lower().lstrip(".")
        if fmt in self.player.formats:
            return path
        try:
            return convert(path, self.player.formats[0], self.cache_dir)
        except DeviceError:
            raise
        except (BroadcasterError, OSError) as exc:  # AudioError from ffmpeg: the file does not decode
            raise Unplayable(_("cannot convert {file} for {player}: {reason}").format(
                file=path.name, player=self.name, reason=exc)) from None

    def start(self, path: Path, channel: str, notice: str, started: float) -> Playback:
        exe = shutil.which(self.player.name)
        if exe is None:
            raise SinkUnavailable(_("{program} is not installed ({about})").format(program=self.player.name,
                                                                                    about=_(self.player.about)))
        return ProcessPlayback([exe, *self.player.args, *self.extra, str(self.prepare(path))])


class CommandSink:
    """Any other player, given as an argument list; `{file}` marks where the file goes."""

    name = "command"

    def __init__(self, argv: tuple[str, ...], cache_dir: Path) -> None:
        self.argv = argv
        self.cache_dir = cache_dir

    def available(self) -> tuple[bool, str]:
        if shutil.which(self.argv[0]):
            return True, ""
        return False, _("{program} is not installed (not found on PATH)").format(program=self.argv[0])

    def describe(self) -> str:
        return " ".join(self.argv)

    def prepare(self, path: Path) -> Path:
        return path

    def start(self, path: Path, channel: str, notice: str, started: float) -> Playback:
        if "{file}" in self.argv:
            argv = [str(path) if a == "{file}" else a for a in self.argv]
        else:
            argv = [*self.argv, str(path)]
        return ProcessPlayback(argv)


# ------------------------------------------------------------------ file and null
class TimedPlayback:
    """A play that lasts the audio's duration on the daemon's clock (file and null sinks)."""

    def __init__(self, clock: Clock, started: float, duration: float, written: Path | None) -> None:
        self.clock = clock
        self.started = started
        self.duration = duration
        self.written = written

    @property
    def ends_at(self) -> float:
        return self.started + self.duration

    def poll(self) -> bool:
        return self.clock.now() >= self.started + self.duration

    def stop(self) -> None:
        aired = self.clock.now() - self.started
        if self.written is not None and aired < self.duration:
            try:
                truncate(self.written, aired)  # the file shows what really went out
            except (BroadcasterError, OSError):  # ffmpeg failed or could not start, or the disk refused
                pass  # the full file stays; the as-run log has the true end time


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileSink:
    """Writes each play into a folder as `<start>_<channel>_<notice>.<ext>` (start in ms, with offset)."""

    name = "file"

    def __init__(self, folder: Path, clock: Clock, timezone: str = TIMEZONE) -> None:
        self.folder = folder
        self.clock = clock
        self.tz = ZoneInfo(timezone)

    def available(self) -> tuple[bool, str]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return False, _("cannot create the folder {folder}: {reason}").format(folder=self.folder,
                                                                                  reason=exc.strerror or exc)
        if not os.access(self.folder, os.W_OK):
            return False, _("cannot write into the folder {folder}").format(folder=self.folder)
        return True, ""

    def describe(self) -> str:
        return f"file:{self.folder}"

    def prepare(self, path: Path) -> Path:
        return path

    def file_name(self, started: float, channel: str, notice: str, suffix: str) -> str:
        when = datetime.fromtimestamp(started, self.tz)
        stamp = when.strftime("%Y%m%dT%H%M%S") + f".{when.microsecond // 1000:03d}" + when.strftime("%z")
        return f"{stamp}_{_SAFE.sub('-', channel)}_{_SAFE.sub('-', notice)}{suffix.lower()}"

    def start(self, path: Path, channel: str, notice: str, started: float) -> Playback:
        info = inspect(path)
        target = self.folder / self.file_name(started, channel, notice, path.suffix)
        try:
            write_bytes(target, path.read_bytes())
        except OSError as exc:
            raise PlayFailed(_("cannot write {file}: {reason}").format(file=target, reason=exc.strerror or exc)) from None
        return TimedPlayback(self.clock, started, info.duration, target)


class NullSink:
    """Plays nothing, but takes the audio's duration, so timing behaves as on air."""

    name = "null"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def available(self) -> tuple[bool, str]:
        return True, ""

    def describe(self) -> str:
        return "null"

    def prepare(self, path: Path) -> Path:
        return path

    def start(self, path: Path, channel: str, notice: str, started: float) -> Playback:
        return TimedPlayback(self.clock, started, inspect(path).duration, None)
