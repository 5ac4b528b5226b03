"""The domain's shared words and defaults: priorities, jingle forms, the time zone, quiet hours, as-run
statuses, and what counts as a Chinese character.

The lowest layer: constants only, plus the lookups that show a priority or a status in the user's
language. The English values are what files, the log, CSV and JSON keep; people see the words.
"""
from __future__ import annotations

import re

from broadcaster.i18n import N_, _

# ---------------------------------------------------------------- written Chinese
# CJK Unified Ideographs Extension A, the Unified Ideographs, and the Compatibility Ideographs
HAN_CLASS = "\u3400-\u9fff\uf900-\ufaff"
HAN = re.compile(f"[{HAN_CLASS}]")
HAN_RUN = re.compile(f"[{HAN_CLASS}]+")

# ---------------------------------------------------------------- notices
PRIORITIES = ("background", "normal", "urgent", "emergency")   # lowest first
PRIORITY_RANK = {p: rank for rank, p in enumerate(PRIORITIES)}  # a higher one keeps its time in a plan
URGENT_PRIORITIES = ("urgent", "emergency")                     # cut in on a route, open with the urgent chime
PRIORITY_CHIME = {p: "urgent" if p in URGENT_PRIORITIES else "attention" for p in PRIORITIES}  # opening chime
JINGLE_FORMS = ("三三七", "三句半", "七言", "快板")
# how times are read: 12 with the part of the day (下午五点, the default), 24 as written (十七点);
# a voice profile's or a notice's `clock:` (speech/normalize.py, data/speech/clock.yaml)
CLOCKS = (12, 24)
CLOCK_FIX = N_("write clock: 12 (下午五点, the default) or clock: 24 (十七点)")
# the priorities in words, for people (files, the log, CSV and JSON keep the English values above)
PRIORITY_LABELS = {"background": N_("background"), "normal": N_("normal"), "urgent": N_("urgent"),
                   "emergency": N_("emergency")}

# ---------------------------------------------------------------- schedules and the player
TIMEZONE = "Asia/Shanghai"            # a schedule's and a saved plan's zone when they name none
DEFAULT_QUIET_HOURS = ("22:00-06:00",)  # only emergencies play then, unless a schedule says otherwise

# ---------------------------------------------------------------- the as-run log
# what happened to one play of one slot; the log's CHECK constraint holds the same list
STATUSES = ("played", "late", "missed", "skipped", "failed", "interrupted")
ON_AIR = ("played", "late", "interrupted")  # outcomes whose seconds count as air time
# the statuses in words, for people (the log, CSV and JSON keep the English values above)
STATUS_LABELS = {"played": N_("played"), "late": N_("late"), "missed": N_("missed"), "skipped": N_("skipped"),
                 "failed": N_("failed"), "interrupted": N_("interrupted")}


def status_label(status: str) -> str:
    """A status as the user reads it ('played' -> '已播' in Chinese); unknown values as they are."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def priority_label(priority: str) -> str:
    """A priority as the user reads it ('emergency' -> '紧急' in Chinese); unknown values as they are."""
    return _(PRIORITY_LABELS[priority]) if priority in PRIORITY_LABELS else priority
