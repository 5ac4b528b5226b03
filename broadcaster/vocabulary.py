"""The domain's shared words: as-run statuses (and, below, priorities, forms and defaults), in one place.

The lowest layer: constants only, plus the one lookup that shows a status in the user's
language. The English values are what files, the log, CSV and JSON keep; people see the words.
"""
from __future__ import annotations

from broadcaster.i18n import N_, _

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
