"""The player's data: the plan it airs (AirPlan, from a PlanSource), its settings, and what is on each channel.

Shared by the daemon (player/daemon.py) and its parts: requests, GPS route steps, as-run writes and
catch-up (player/requests.py, routes.py, asrun_writes.py, catchup.py), and by player/position.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Protocol

from broadcaster.i18n import N_, _
from broadcaster.player.sinks import Playback, Sink
from broadcaster.schedule.model import Play
from broadcaster.vocabulary import PRIORITY_RANK, TIMEZONE

MODES = ("cut", "next", "wait")
# how an item came to air, in the `▶` line (the values stay English in the log and in JSON)
KIND_LABELS = {"scheduled": N_("scheduled"), "replay": N_("replay"), "manual": N_("manual"), "fill": N_("fill")}


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


@dataclass(frozen=True)
class AirPlan:
    """What the daemon plays: the plan's plays plus what it needs from the schedule."""

    plays: tuple[Play, ...]
    sinks: Mapping[str, object]                   # channel -> sink spec (name or argument list)
    quiet_hours: tuple[tuple[int, int], ...] = ()  # (start, end) seconds after local midnight
    timezone: str = TIMEZONE
    base_dir: Path | None = None                  # relative `file:` sinks are resolved here
    names: Mapping[str, str] = field(default_factory=dict)  # channel -> display name
    routes: tuple = ()                            # GPS routes (player/position.py GpsRoute)
    note: str = ""                                # why nothing is left to air ('' when something is)

    def channels(self) -> list[str]:
        seen = dict.fromkeys(self.sinks)
        for p in self.plays:
            seen.setdefault(p.channel, None)
        return list(seen)


class PlanSource(Protocol):
    """Where plans come from: a schedule file in real use, a fixed plan in tests."""

    name: str

    def stamp(self) -> object:
        """Changes whenever the source changes (the daemon then reloads)."""

    def load(self, now: float) -> AirPlan:
        """The plan around `now`; BadInput when the source is broken."""


class StaticSource:
    """A plan given in code (tests, `play` without a daemon); `set` swaps it like an edit."""

    def __init__(self, plan: AirPlan | Callable[[float], AirPlan], name: str = "<plan>") -> None:
        self.name = name
        self._plan = plan
        self._version = 0

    def set(self, plan: AirPlan | Callable[[float], AirPlan]) -> None:
        self._plan = plan
        self._version += 1

    def stamp(self) -> object:
        return self._version

    def load(self, now: float) -> AirPlan:
        return self._plan(now) if callable(self._plan) else self._plan


@dataclass(frozen=True)
class Settings:
    grace: float = 600.0         # a slot missed by less than this is played late
    due_again: float = 300.0     # ... unless its notice is due again this soon anyway (catching up)
    repeat_window: float = 180.0  # the same emergency is not played again this soon after it ended
    late_after: float = 1.0      # a start later than this (s) is logged `late`
    poll: float = 0.05           # longest sleep: requests and endings are noticed this fast
    housekeeping: float = 1.0    # heartbeat, schedule reload check, log retry
    lookahead: float = 30.0      # files are checked and converted this long before their start
    history: float = 86400.0     # after a restart, slots this far back are accounted for at most
    request_max_age: float = 30.0
    channels: tuple[str, ...] = ()   # serve only these (empty: every channel of the plan)
    background_reload: bool = True   # plan in a thread so a slow render never delays a start
    exit_when_idle: bool = False     # `play` without a daemon: stop when the queue is empty
    loud_every: float = 60.0         # repeat an unresolved log problem this often


@dataclass(frozen=True)
class Event:
    """Something the operator should see; the CLI prints these, the daemon never does."""

    at: float
    level: str        # info | warn | error
    channel: str
    message: str
    kind: str = ""    # start | end | log | reload | request | sink | stop | plan


@dataclass(frozen=True)
class Item:
    """Something to air on a channel: a planned slot, a replay of a cut one, or a request."""

    slot: str
    channel: str
    notice: str
    title: str
    priority: str
    planned: float
    file: str
    # scheduled | replay | manual | fill (a GPS route's between-stops loop) | missed (a route stop the
    # truck passed by: RoutePlayer hands it over only to be logged, it never airs)
    kind: str = "scheduled"
    request: int | None = None
    cut_by: str = ""
    note: str = ""           # why it started now (GPS routes: the circle the truck entered)
    where: object = None     # position.Fix at the start, on channels with a GPS route

    @property
    def rank(self) -> int:
        return PRIORITY_RANK.get(self.priority, 1)


@dataclass
class OnAir:
    item: Item
    playback: Playback
    started: float
    onair_id: int | None
    attempt: int
    note: str
    sha256: str
    sink: str


@dataclass
class Channel:
    name: str
    spec: object = None
    sink: Sink | None = None
    sink_error: str = ""
    onair: OnAir | None = None
    queue: list[Item] = field(default_factory=list)     # requests, highest priority first
    replays: list[Item] = field(default_factory=list)   # scheduled items that a request cut
    plays: list[Play] = field(default_factory=list)     # this channel's plan, by start
    cursor: int = 0                                     # plays before it are decided
    cut_at: float | None = None                         # a `wait:S` request's deadline
    cut_for: Item | None = None


def slot_of(play: Play) -> str:
    return play.slot or f"{play.channel}|{play.notice}|{play.start.isoformat()}"
