"""Data passed between planning, exports and the player: one Play per planned airing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Play:
    """One planned airing of one program on one channel."""

    start: datetime          # timezone-aware
    end: datetime
    channel: str
    notice: str              # notice id
    file: str                # audio file path
    priority: str = "normal"
    status: str = "planned"  # planned | moved | dropped
    reason: str = ""
    title: str = ""
    slot: str = ""           # stable identity of the scheduled slot (program, channel, planned time)
