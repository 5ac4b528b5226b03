"""User settings that are not part of a notice: environment variables over config.yaml over defaults.

config.yaml lives in the platform's user config folder (`broadcaster cache info` prints it), e.g.

    edge:
      url: wss://tts.example.org/edge/v1?TrustedClientToken=abc   # a self-hosted compatible endpoint
      timeout: 20      # seconds allowed for one request
      retries: 3       # attempts after the first, for transient failures only
    cache:
      max_mb: 2000     # the clip cache is trimmed to this size, least recently used first
    sinks:             # sinks a schedule may name; the only place (besides --sink) for `command`
      hall: [command, cvlc, --play-and-exit, "{file}"]
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import yaml

from broadcaster.errors import BadInput
from broadcaster.i18n import _

APP = "broadcaster"


def config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.yaml"


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP))


def default_log_path() -> Path:
    """The as-run log in the user's data folder (e.g. ~/.local/share/broadcaster/asrun.sqlite)."""
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "asrun.sqlite"


def offline() -> bool:
    """BROADCASTER_OFFLINE=1: never reach for the internet (tests, air-gapped machines)."""
    return os.environ.get("BROADCASTER_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class EdgeSettings:
    """How to reach the edge-tts service and how patient to be with it."""

    url: str | None = None        # None: Microsoft's endpoint built into edge-tts
    timeout: float = 30.0         # our own deadline per request, seconds
    retries: int = 3              # further attempts after a transient failure
    backoff: float = 0.5          # first backoff, seconds; doubles each time, with jitter
    configured: bool = False      # url came from the user (env or config), not the default


def _file_settings(section: str = "edge") -> tuple[dict, Path]:
    """One section of config.yaml (empty when the file or the section is absent)."""
    path = config_path()
    if not path.is_file():
        return {}, path
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise BadInput(_("the settings file is not valid YAML"), _("fix it or delete it"), path,
                       line + 1 if line is not None else None) from None
    part = data.get(section) if isinstance(data, dict) else None
    if part is not None and not isinstance(part, dict):
        example = {"edge": "`url:`, `timeout:`", "cache": "`max_mb:`",
                   "sinks": "`NAME: [command, PROGRAM, ARGS...]`"}.get(section, "`...:`")
        raise BadInput(_("'{section}' must hold settings, one `name: value` per line").format(section=section),
                       _("write `{section}:` then indented {example}").format(section=section, example=example),
                       path)
    return dict(part or {}), path


def _number(raw, kind, name: str, where: str | Path, lo: float, hi: float, line: int | None = None):
    try:
        # bool is an int to Python, and `retries: .inf` overflows int(); neither is a setting
        value = None if isinstance(raw, bool) else kind(raw)
    except (TypeError, ValueError, OverflowError):
        value = None
    if value is None or not lo <= value <= hi:  # NaN fails this too: every comparison with it is false
        raise BadInput(_("{name} is '{value}'").format(name=name, value=str(raw)[:40]),
                       _("give a number from {lo} to {hi}").format(lo=f"{lo:g}", hi=f"{hi:g}"), where, line)
    return value


def _line(path: Path, section: str, key: str) -> int | None:
    """The line of `section: key:` in config.yaml (for a message; None when it cannot be found)."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
        part = next(v for k, v in root.value if k.value == section)
        return next(k.start_mark.line + 1 for k, _v in part.value if k.value == key)
    except Exception:  # noqa: BLE001 - only the message's line number is at stake
        return None


def edge_settings() -> EdgeSettings:
    """The edge engine's settings; BadInput naming the variable or file when one is wrong."""
    conf, path = _file_settings()
    env = os.environ
    url = env.get("BROADCASTER_EDGE_URL") or conf.get("url") or None
    if url is not None:
        url = str(url).strip()
        if not url.startswith(("ws://", "wss://")):
            where = "BROADCASTER_EDGE_URL" if env.get("BROADCASTER_EDGE_URL") else path
            raise BadInput(_("edge url '{url}' is not a websocket address").format(url=url),
                           _("write it as wss://host/path?TrustedClientToken=... (or ws:// on a LAN)"), where)
    values = {}
    for key, kind, lo, hi in (("timeout", float, 1, 600), ("retries", int, 0, 10), ("backoff", float, 0, 60)):
        var = f"BROADCASTER_EDGE_{key.upper()}"
        if env.get(var):
            values[key] = _number(env[var], kind, var, var, lo, hi)
        elif key in conf:
            values[key] = _number(conf[key], kind, f"edge {key}", path, lo, hi, _line(path, "edge", key))
    return EdgeSettings(url=url, configured=url is not None, **values)


@dataclass(frozen=True)
class CacheSettings:
    """How big the clip cache may grow before the least recently used clips are deleted."""

    max_mb: float = 2000.0


def cache_settings() -> CacheSettings:
    """BROADCASTER_CACHE_MAX_MB over config.yaml's `cache: max_mb:` over 2000 MB."""
    conf, path = _file_settings("cache")
    var = "BROADCASTER_CACHE_MAX_MB"
    if os.environ.get(var):
        return CacheSettings(max_mb=_number(os.environ[var], float, var, var, 0, 1e7))
    if "max_mb" in conf:
        return CacheSettings(max_mb=_number(conf["max_mb"], float, "cache max_mb", path, 0, 1e7,
                                            _line(path, "cache", "max_mb")))
    return CacheSettings()


def named_sinks() -> tuple[dict[str, object], Path]:
    """config.yaml's `sinks:` (name -> sink spec) and the file's path; checked by the player."""
    return _file_settings("sinks")
