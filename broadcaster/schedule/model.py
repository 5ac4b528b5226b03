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

    def as_json(self) -> dict:
        """TEMPORARY, only while cli.py calls it: schedule.planfile.play_fields is the writer (the same fields);
        delete this method when the CLI prints plans with planfile.dump (issue 21)."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "channel": self.channel,
                "notice": self.notice, "file": self.file, "priority": self.priority,
                "status": self.status, "reason": self.reason, "title": self.title, "slot": self.slot}
