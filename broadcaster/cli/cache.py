"""`broadcaster cache`: where the clip cache is, clearing and trimming it (audio/cache.py does the work)."""
from __future__ import annotations


import click

from broadcaster.cli.output import echo_json
from broadcaster.i18n import _


@click.group("cache")
def cache_command() -> None:
    """The cache of synthesized speech: an unchanged notice re-renders without synthesis.

    \b
    Examples:
      broadcaster cache info          # where it is, how many clips, how big
      broadcaster cache clear         # delete every clip (they are made again when needed)
      broadcaster cache trim --max-mb 500   # keep the 500 MB used most recently

    \b
    The cache is trimmed to its limit after every render (2000 MB unless config.yaml says
    `cache: {max_mb: N}` or BROADCASTER_CACHE_MAX_MB=N), least recently used clips first.
    """


@cache_command.command("info")
@click.option("--json", "as_json", is_flag=True)
def cache_info_command(as_json: bool) -> None:
    """Show where the clip cache is and how much it holds."""
    from broadcaster.config import config_path
    from broadcaster.audio.cache import CACHE

    info = CACHE.info()
    if as_json:
        echo_json({"path": str(info.path), "entries": info.entries, "bytes": info.bytes,
                   "config": str(config_path())})
        return
    click.echo(_("clip cache: {path}").format(path=info.path))
    click.echo("  " + _("{n} clip(s), {mb} MB").format(n=info.entries, mb=f"{info.bytes / 1e6:.1f}"))
    click.echo(_("settings file: {path}").format(path=config_path()))


@cache_command.command("clear")
def cache_clear_command() -> None:
    """Delete every cached clip."""
    from broadcaster.audio.cache import CACHE

    removed = CACHE.clear()
    click.echo(_("removed {n} clip(s) from {path}").format(n=removed, path=CACHE.root))


@cache_command.command("trim")
@click.option("--max-mb", type=click.FloatRange(0, 1e7), default=None,
              help="Size to trim to (default: the configured limit).")
@click.option("--json", "as_json", is_flag=True)
def cache_trim_command(max_mb: float | None, as_json: bool) -> None:
    """Delete the least recently used clips until the cache fits its limit."""
    from broadcaster.config import cache_settings
    from broadcaster.audio.cache import CACHE

    limit = cache_settings().max_mb if max_mb is None else max_mb
    done = CACHE.trim(int(limit * 1e6))
    if as_json:
        echo_json({"removed": done.removed, "freed_bytes": done.freed, "left_bytes": done.left,
                   "max_mb": limit}, indent=None)
        return
    click.echo(_("removed {n} clip(s) ({freed} MB); {left} MB left (limit {limit} MB)").format(
        n=done.removed, freed=f"{done.freed / 1e6:.1f}", left=f"{done.left / 1e6:.1f}", limit=f"{limit:g}"))
