"""TEMPORARY: the old home of `check_schedule` and `render_media`, kept only because cli.py still imports them
from here. Delete this file when the CLI imports `broadcaster.player.check.check_schedule` and
`broadcaster.schedule.prepare.render_media` (issue 21; the lead makes that change after merging)."""
from __future__ import annotations

from broadcaster.schedule.prepare import render_media  # noqa: F401


def check_schedule(path, text=None):
    """See broadcaster.player.check.check_schedule (imported here, not above: schedule/ may not import player/)."""
    from broadcaster.player.check import check_schedule as check

    return check(path, text)
