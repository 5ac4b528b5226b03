"""A schedule as the player will take it: its fields, each channel's sink under the player's rules, its notices.

`load_with_sinks` is what the player loads; `check_schedule` is what `broadcaster check` and the
web desk run on a schedule. Both live here, above schedule/, because the sink rules are the
player's (player/sinks.py): a schedule file may name no program (see docs/player.md).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Mapping

from broadcaster import yamlsource
from broadcaster.config import named_sinks
from broadcaster.errors import BadInput
from broadcaster.player.sinks import check_named, from_file
from broadcaster.schedule.load import Schedule, schedule_from_doc
from broadcaster.schedule.prepare import check_notices


def load_with_sinks(schedule_path: Path, named: Mapping[str, object] | None = None,
                    text: str | None = None) -> tuple[Schedule, dict[str, object]]:
    """(Schedule, its channel sinks resolved); BadInput at the `sink:` line for one it may not use.

    `text`: the file's would-be text instead of what is on disk (the web desk checks before it saves).
    """
    doc = yamlsource.load(schedule_path, text)
    schedule = schedule_from_doc(doc)
    sinks = {}
    for c in schedule.channels.values():
        try:
            sinks[c.id] = from_file(c.sink, named or {})
        except BadInput as exc:
            raise exc.located(schedule.path, doc.line("channels", c.id, "sink")) from None
    return schedule, sinks


def check_schedule(path: Path, text: str | None = None) -> Schedule:
    """Everything `broadcaster check` checks in a schedule (the web desk calls it too): its fields, the
    sink of each channel (never a program; config.yaml's named sinks allowed), and every notice it names.

    `text`: the schedule's would-be text instead of the file's (the desk checks before it writes).
    """
    schedule, _sinks = load_with_sinks(path, check_named(*named_sinks()), text)
    warnings = check_notices(schedule)
    return replace(schedule, warnings=schedule.warnings + tuple(warnings))
