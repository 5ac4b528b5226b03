"""Options and steps shared by several commands: files given, the engine and as-run log options, the cache trim.

Imports of the work behind them stay inside the functions: `broadcaster --help` loads none of it.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import click

from broadcaster.i18n import _
from broadcaster.notice import ENGINES

LOG_HELP = "As-run log database (default: asrun.sqlite in your data folder)."


def engine_option(help: str | None = None) -> Callable:
    """`--engine`, one of the speech engines or auto (the default)."""
    return click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True, help=help)


def log_option(help: str = LOG_HELP) -> Callable:
    """`--log PATH`, the as-run log database."""
    return click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help=help)


def expand(files: tuple[str, ...]) -> list[Path]:
    """Files as given; a folder means every notice .yaml in it."""
    from broadcaster.examine import is_folder_file
    out: list[Path] = []
    for f in files:
        p = Path(f)
        if p.is_dir():
            out.extend(q for q in sorted(p.glob("*.yaml")) if not is_folder_file(q))
        elif not is_folder_file(p):
            out.append(p)
    return out


def trims_cache(command: Callable) -> Callable:
    """After the command, trim the clip cache to its limit (the limit is checked before any work)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from broadcaster.config import cache_settings

        limit = int(cache_settings().max_mb * 1e6)
        try:
            return command(*args, **kwargs)
        finally:
            from broadcaster.audio.cache import CACHE
            CACHE.trim(limit)
    return wrapper


def log_file_path(path: str | None) -> Path:
    """The as-run log given with --log, else the one `run` and `play` use by default."""
    from broadcaster.config import default_log_path
    return Path(path) if path else default_log_path()


def parse_min_heard(value: str | None) -> float | None:
    """--min-heard as a fraction: 0.9, 90 and 90% all mean 90% of characters heard right."""
    if value is None:
        return None
    text = value.strip().rstrip("%")
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if value.strip().endswith("%") or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        raise click.BadParameter(_("'{value}' is not a share of characters: give e.g. 0.9 or 90%").format(
            value=value), param_hint="--min-heard")
    return number
