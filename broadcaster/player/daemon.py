"""The playback daemon: plays each planned item on time on its channel's sink, logs what aired.

One thread drives every channel: it sleeps in short steps (never past the next start),
re-reads the wall clock after each, and on waking starts what is due, ends what has
finished, takes play requests from the database and reloads an edited schedule. The
clock is injected, so tests drive a whole day in milliseconds.
"""
from __future__ import annotations

import concurrent.futures
import os
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping, Protocol
from zoneinfo import ZoneInfo

from broadcaster.errors import BadInput, BroadcasterError, CouldNotDo
from broadcaster.i18n import N_, _, ngettext
from broadcaster.player.asrun import AsRunLog, Entry, LogUnavailable, status_label
from broadcaster.player.clock import Clock, SystemClock
from broadcaster.player.media import Unplayable, inspect
from broadcaster.player.sinks import PlayFailed, Playback, Sink, SinkUnavailable, make_sink
from broadcaster.schedule.model import PRIORITY_RANK, Play

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
    timezone: str = "Asia/Shanghai"
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


class Daemon:
    """Plays an AirPlan on its channels' sinks and logs every outcome to an AsRunLog."""

    def __init__(self, source: PlanSource, log: AsRunLog, clock: Clock | None = None,
                 settings: Settings = Settings(), on_event: Callable[[Event], None] | None = None,
                 initial: list[Item] | None = None, cache_dir: Path | None = None, route=None) -> None:
        self.source = source
        self.route = route  # position.RoutePlayer: starts GPS route stops by position (None: no GPS)
        self._route_faults: set[str] = set()  # route code faults already logged
        self.log = log
        self.clock = clock or SystemClock()
        self.settings = settings
        self.on_event = on_event or (lambda e: None)
        self.initial = list(initial or [])
        self.cache_dir = cache_dir
        self.plan: AirPlan | None = None
        self.tz = ZoneInfo("Asia/Shanghai")
        self.channels: dict[str, Channel] = {}
        self.seen: set[str] = set()        # slots with any outcome
        self.settled: set[str] = set()     # slots that must not play again
        self.daemon_id: int | None = None
        self.started_at = 0.0
        self.lookback: dict[str, float] = {}   # channel -> slots before this are not accounted for
        self.first_start: dict[str, float] = {}  # channel -> when a player first served it with this log
        self._catchup_skipped: dict[str, int] = {}  # channel -> catch-up skips not yet reported
        self.repeats: dict[str, str] = {}  # slot -> why an initial item was not played (a repeated emergency)
        self._stop_reason = ""
        self._stamp: object = None
        self._failed_stamp: object = None
        self._loading: concurrent.futures.Future | None = None
        self._loading_stamp: object = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._next_housekeeping = 0.0
        self._last_request = 0
        self._loud_at = 0.0
        self._problem = ""
        self._plan_day: str = ""
        self._history_lost = ""  # why the log's history could not be read at start ("" when it could)
        self._spans: list[tuple[float, float]] = []  # (start, last heartbeat) of earlier daemons

    # ------------------------------------------------------------ public
    def stop(self, reason: str = "stopped") -> None:
        """Ask the loop to end (safe from a signal handler: it only sets a flag)."""
        self._stop_reason = reason

    def run(self, until: float | None = None) -> None:
        """Play until stopped (or `until`, or idle with exit_when_idle); log interruptions on the way out."""
        self._startup()
        try:
            while not self._stop_reason:
                now = self.clock.now()
                if until is not None and now >= until:
                    self._stop_reason = _("the run time ended")
                    break
                if now >= self._next_housekeeping:
                    self._housekeeping(now)
                self._take_requests(now)
                if self.route is not None:
                    self._route_step(now)
                for ch in list(self.channels.values()):
                    self._advance(ch, self.clock.now())
                if self.settings.exit_when_idle and self._idle():
                    self._stop_reason = _("nothing left to play")
                    break
                self._sleep_until_next(until)
        finally:
            self._shutdown()

    # ------------------------------------------------------------ startup and shutdown
    def _emit(self, level: str, channel: str, message: str, kind: str = "") -> None:
        now = self.clock.now()
        self.on_event(Event(now, level, channel, message, kind))
        if level in ("warn", "error") and kind != "log":
            self.log.event(level, channel, message, now)

    def _startup(self) -> None:
        now = self.clock.now()
        self.started_at = now
        plan = self.source.load(now)  # a broken schedule at start is the user's to fix: BadInput
        self._stamp = self.source.stamp()
        self._plan_day = self._day(now, plan.timezone)
        self.tz = ZoneInfo(plan.timezone)
        self.log.tz = self.tz
        wanted = list(self.settings.channels) or plan.channels()
        for c in self.initial:
            if c.channel not in wanted:
                wanted.append(c.channel)
        unknown = [c for c in self.settings.channels if c not in plan.channels()]
        if unknown:
            raise BadInput(_("channel '{channel}' is not in {schedule}").format(channel=unknown[0],
                                                                               schedule=self.source.name),
                           _("use one of: {channels}").format(channels=", ".join(plan.channels()) or _("(none)")))
        history = None
        try:
            self._history_lost = self._check_log(now)
            live = self.log.live_daemons(now)
            clash = [d for d in live if set(d.channels) & set(wanted)]
            if clash:
                d = clash[0]
                raise CouldNotDo(_("another player (pid {pid} on {host}) is already running channel "
                                   "{channels} with this log; stop it first, or send it plays with "
                                   "`broadcaster play`").format(
                                       pid=d.pid, host=d.host, channels=", ".join(sorted(set(d.channels) & set(wanted)))))
            history = self.log.first_starts(wanted)
            self._spans = self.log.daemon_spans(wanted)
            states = self.log.slot_states()
            self.seen = set(states)
            self.settled = {s for s, settled in states.items() if settled}
            self.daemon_id = self.log.register(wanted, self.source.name, now)
            self._account_orphans(wanted, [d.id for d in live])
            self._account_requests(wanted, [d.id for d in live])
        except LogUnavailable as exc:
            self._history_lost = self._history_lost or str(exc)
            self._loud(_("{problem} — playing anyway, but without a log slots may repeat after a restart").format(
                problem=exc), now)
        # after a restart, slots since the player first served the channel are accounted for (late
        # or missed). On a first start (for that channel) nothing before now was ever due: the slots
        # inside the grace window are logged skipped, none is played late. With the history lost, those
        # are logged skipped too: they may have aired.
        for name in wanted:
            first = (history or {}).get(name)
            self.first_start[name] = now if first is None else min(first, now)
            self.lookback[name] = max(now - self.settings.history, min(first, now)) if first is not None \
                else now - self.settings.grace
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1) \
            if self.settings.background_reload else None
        self._apply(plan, wanted, first=True)
        for item in self.initial:
            ch = self.channels[item.channel]
            already = self._repeat_of(ch, item, now)
            if already:  # `play` with no player running, pressed again: the same answer as a running player's
                self.repeats[item.slot] = already
                self._record(self._entry(item, "skipped", already))
                self._emit("info", ch.name, already, "end")
                continue
            self._enqueue(ch, item)
        self._emit("info", "", ngettext("on air: {n} channel ({channels}), log {log}",
                                        "on air: {n} channel(s) ({channels}), log {log}", len(self.channels)).format(
                       n=len(self.channels), channels=", ".join(self.channels), log=self.log.path), "start")

    def _check_log(self, now: float) -> str:
        """Move a damaged log aside before anything reads it; why the history is lost ("" if it is not)."""
        why = self.log.damage()
        if not why:
            return ""
        moved = self.log.set_aside(now)  # LogUnavailable when it cannot be
        self._emit("warn", "", _("the as-run log {path} could not be read ({why}): moved it to {moved} and "
                                 "started a new one; slots before now are not replayed").format(
                                     path=self.log.path, why=why, moved=moved), "history")
        return _("the as-run log was damaged ({why})").format(why=why)

    def _account_orphans(self, channels: list[str], live: list[int]) -> None:
        """Plays that were on air when an earlier daemon died: logged interrupted, not replayed."""
        for o in self.log.orphans(channels, live):
            end = o["last_seen"] if o["last_seen"] and o["last_seen"] > o["actual_start"] else None
            self._record(Entry(slot=o["slot"], channel=o["channel"], notice=o["notice"], title=o["title"],
                               priority=o["priority"], planned=o["planned"], actual_start=o["actual_start"],
                               actual_end=end, status="interrupted", file=o["file"], sha256=o["sha256"],
                               sink=o["sink"], onair=o["id"],
                               reason=_("the player stopped during this play (crash, kill or power cut); "
                                        "not replayed so that no slot airs twice")))
            if o["priority"] == "emergency":  # said once: from now on the play has its outcome
                name = f"{o['notice']} {o['title']}".strip()
                if end is not None:
                    said = _("emergency {notice} was cut short at {time} when the player stopped (crash, kill "
                             "or power cut), {seconds:.0f} s after it started; it is logged interrupted and "
                             "not played again — if it is still needed, play it again with `broadcaster play "
                             "FILE --priority emergency`").format(notice=name, time=self._when(end, self.clock.now()),
                                                                  seconds=end - o["actual_start"])
                else:
                    said = _("emergency {notice}, on air since {time}, was cut short when the player stopped "
                             "(crash, kill or power cut); it is logged interrupted and not played again — if "
                             "it is still needed, play it again with `broadcaster play FILE --priority "
                             "emergency`").format(notice=name, time=self._when(o["actual_start"], self.clock.now()))
                self._emit("warn", o["channel"], said, "history")

    def _account_requests(self, channels: list[str], live: list[int]) -> None:
        """Requests an earlier daemon accepted but died before playing: logged skipped, not played late
        (an urgent notice asked for minutes ago may be wrong now; ask again)."""
        for r in self.log.unfinished_requests(channels, live):
            item = Item(slot=f"request:{r['daemon']}:{r['id']}", channel=r["channel"], notice=r["notice"],
                        title=r["title"], priority=r["priority"], planned=r["created"], file=r["file"],
                        kind="manual", request=r["id"])
            self._record(self._entry(item, "skipped", _("the player stopped before it could play this request "
                                                        "(crash, kill or power cut); not played late — ask "
                                                        "again with `broadcaster play`")))
            if r["priority"] == "emergency":
                self._emit("warn", r["channel"], _(
                    "emergency {notice}, asked for at {time}, never aired: the player stopped (crash, kill or "
                    "power cut) before it could play it; it is logged skipped — if it is still needed, play "
                    "it again with `broadcaster play FILE --priority emergency`").format(
                        notice=f"{r['notice']} {r['title']}".strip(), time=self._when(r["created"], self.clock.now())),
                    "history")

    def _shutdown(self) -> None:
        reason = self._stop_reason or _("stopped")
        now = self.clock.now()
        for ch in self.channels.values():
            if ch.onair is not None:
                self._interrupt(ch, _("the player was stopped ({reason})").format(reason=reason), by=None)
            for item in ch.queue:
                self._record(self._entry(item, "skipped", reason=_("the player stopped before it could play "
                                                                   "({reason})").format(reason=reason)))
            ch.queue.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self.route is not None:
            self.route.close()
        if self.daemon_id is not None:
            try:
                self.log.retry()
                self.log.unregister(self.daemon_id, now)
            except LogUnavailable:
                pass
        if self.log.backlog:
            self._loud(_("{n} as-run row(s) could not be written: {problem}").format(
                n=len(self.log.backlog), problem=self.log.problem), now)
        self._emit("info", "", _("stopped: {reason}").format(reason=reason), "stop")

    # ------------------------------------------------------------ plans
    @staticmethod
    def _day(now: float, timezone: str) -> str:
        return datetime.fromtimestamp(now, ZoneInfo(timezone)).date().isoformat()

    def _apply(self, plan: AirPlan, wanted: list[str] | None = None, first: bool = False) -> None:
        """Swap in a new plan in one step; what is on air keeps playing."""
        previous = self.plan.note if self.plan is not None else ""
        self.plan = plan
        if plan.note and plan.note != previous:
            self._emit("warn", "", plan.note, "plan")
        self.tz = ZoneInfo(plan.timezone)
        self.log.tz = self.tz
        if self.route is not None:
            self.route.set_routes(plan.routes, self.clock.now())
        names = wanted if wanted is not None else (list(self.settings.channels) or plan.channels())
        for name in names:
            if name not in self.first_start:  # a channel an edit added: served from now on
                now = self.clock.now()
                self.first_start[name], self.lookback[name] = now, now - self.settings.grace
            ch = self.channels.setdefault(name, Channel(name))
            spec = plan.sinks.get(name, "auto")
            if first or spec != ch.spec or ch.sink is None:
                self._set_sink(ch, spec, plan)
        by_channel: dict[str, list[Play]] = {name: [] for name in self.channels}
        for play in plan.plays:
            if play.channel in by_channel:
                by_channel[play.channel].append(play)
        for name, ch in self.channels.items():
            ch.plays = sorted(by_channel.get(name, []), key=lambda p: (p.start.timestamp(), slot_of(p)))
            ch.cursor = 0
            if first:
                self._resume_replays(ch)
            self._skip_decided(ch)

    def _resume_replays(self, ch: Channel) -> None:
        """Slots an urgent play cut before the last daemon died were owed a replay: owe it again
        (played if still within the grace window, else logged missed)."""
        for p in ch.plays:
            slot = slot_of(p)
            if slot in self.seen and slot not in self.settled and p.start.timestamp() >= self.lookback[ch.name]:
                ch.replays.append(Item(slot=slot, channel=p.channel, notice=p.notice, title=p.title,
                                       priority=p.priority, planned=p.start.timestamp(), file=p.file,
                                       kind="replay", cut_by=_("an urgent play")))

    def _set_sink(self, ch: Channel, spec: object, plan: AirPlan) -> None:
        ch.spec = spec
        try:
            ch.sink = make_sink(spec, self.clock, plan.timezone, plan.base_dir, self.cache_dir)
            ok, why = ch.sink.available()
            if not ok:
                raise SinkUnavailable(why)
            ch.sink_error = ""
            if spec in (None, "", "auto"):
                said = _("sink {sink} (auto chose {name})").format(sink=ch.sink.describe(), name=ch.sink.name)
            else:
                said = _("sink {sink}").format(sink=ch.sink.describe())
            self._emit("info", ch.name, said, "sink")
        except (BroadcasterError, OSError) as exc:
            ch.sink = None
            ch.sink_error = str(exc)
            self._emit("error", ch.name, _("sink {sink} cannot be used: {error}").format(
                sink=" ".join(map(str, spec)) if isinstance(spec, (list, tuple)) else spec, error=exc), "sink")

    def _skip_decided(self, ch: Channel) -> None:
        while ch.cursor < len(ch.plays):
            p = ch.plays[ch.cursor]
            slot = slot_of(p)
            if slot in self.seen or p.start.timestamp() < self.lookback[ch.name] or \
                    (ch.onair is not None and ch.onair.item.slot == slot):
                ch.cursor += 1
            else:
                break

    def _check_reload(self, now: float) -> None:
        if self._loading is not None:
            if not self._loading.done():
                return
            future, stamp, self._loading = self._loading, self._loading_stamp, None
            try:
                plan = future.result()
            except BroadcasterError as exc:
                self._reload_failed(exc, stamp)
                return
            except Exception as exc:  # a bug in planning must not stop the broadcast
                self._reload_failed(CouldNotDo(f"{type(exc).__name__}: {exc}"), stamp)
                return
            self._reloaded(plan, stamp)
            return
        try:
            stamp = self.source.stamp()
        except OSError as exc:
            stamp = f"unreadable: {exc}"
        day = self._day(now, self.plan.timezone)
        if (stamp == self._stamp or stamp == self._failed_stamp) and day == self._plan_day:
            return
        self._plan_day = day
        if self._executor is not None:
            self._loading, self._loading_stamp = self._executor.submit(self.source.load, now), stamp
            return
        try:
            plan = self.source.load(now)
        except BroadcasterError as exc:
            self._reload_failed(exc, stamp)
            return
        self._reloaded(plan, stamp)

    def _reload_failed(self, exc: BroadcasterError, stamp: object) -> None:
        self._failed_stamp = stamp
        self._emit("error", "", _("schedule edit not used, still playing the previous plan: {error}").format(
            error=exc), "reload")

    def _reloaded(self, plan: AirPlan, stamp: object) -> None:
        self._stamp, self._failed_stamp = stamp, None
        self._apply(plan)
        upcoming = sum(len(ch.plays) - ch.cursor for ch in self.channels.values())
        self._emit("info", "", ngettext("schedule reloaded from {schedule}: {n} play ahead",
                                        "schedule reloaded from {schedule}: {n} play(s) ahead", upcoming).format(
                       schedule=self.source.name, n=upcoming), "reload")

    # ------------------------------------------------------------ the loop
    def _housekeeping(self, now: float) -> None:
        self._next_housekeeping = now + self.settings.housekeeping
        if self.daemon_id is not None:
            try:
                self.log.heartbeat(self.daemon_id, now)
            except LogUnavailable as exc:
                self.log.problem = self.log.problem or str(exc)
        if self.log.backlog:
            self.log.retry()
        problem = self.log.problem
        if problem and (problem != self._problem or now >= self._loud_at):
            self._loud(_("{problem} — playback goes on; {n} row(s) waiting").format(
                problem=problem, n=len(self.log.backlog)), now)
        elif not problem and self._problem:
            self._emit("info", "", _("the as-run log is writable again; waiting rows were written"), "log")
        self._problem = problem
        self._check_reload(now)
        self._preflight(now)

    def _loud(self, message: str, now: float) -> None:
        self._loud_at = now + self.settings.loud_every
        self._emit("error", "", _("AS-RUN LOG PROBLEM: {message}").format(message=message), "log")

    def _preflight(self, now: float) -> None:
        """Check and convert the files of the next plays ahead, so a start costs nothing."""
        for ch in self.channels.values():
            if ch.sink is None:
                continue
            for p in ch.plays[ch.cursor:ch.cursor + 3]:
                if p.start.timestamp() - now > self.settings.lookahead:
                    break
                try:
                    ch.sink.prepare(Path(p.file))
                    inspect(p.file)
                except (BroadcasterError, OSError):
                    pass  # reported at play time, when it is skipped

    def _sleep_until_next(self, until: float | None) -> None:
        now = self.clock.now()
        wake = now + self.settings.poll
        for ch in self.channels.values():
            if ch.onair is None and ch.cursor < len(ch.plays):
                wake = min(wake, ch.plays[ch.cursor].start.timestamp())
            elif ch.onair is not None and getattr(ch.onair.playback, "ends_at", None) is not None:
                wake = min(wake, ch.onair.playback.ends_at)
            if ch.cut_at is not None:
                wake = min(wake, ch.cut_at)
        wake = min(wake, self._next_housekeeping)
        if until is not None:
            wake = min(wake, until)
        if wake > now:
            self.clock.sleep(wake - now)

    def _idle(self) -> bool:
        return all(ch.onair is None and not ch.queue and not ch.replays for ch in self.channels.values())

    def _advance(self, ch: Channel, now: float) -> None:
        if ch.onair is not None:
            if ch.cut_at is not None and now >= ch.cut_at:
                by = ch.cut_for
                ch.cut_at, ch.cut_for = None, None
                self._interrupt(ch, _("cut after waiting for {priority} play {notice}").format(
                    priority=by.priority, notice=by.notice), by=by)
            else:
                self._poll(ch)
        while ch.onair is None and self._start_next(ch, self.clock.now()):
            pass
        if self._catchup_skipped.get(ch.name):
            self._report_catchup(ch, self.clock.now())

    def _poll(self, ch: Channel) -> None:
        oa = ch.onair
        try:
            done = oa.playback.poll()
        except PlayFailed as exc:
            ch.onair = None
            if oa.attempt == 1:
                self._emit("warn", ch.name, _("{notice}: {error}; trying once more").format(
                    notice=oa.item.notice, error=exc), "sink")
                self._begin(ch, oa.item, attempt=2, note=_("the first try failed ({error})").format(error=exc),
                            onair_id=oa.onair_id)
            else:
                self._finish(oa, "failed", _("{error} (after one retry)").format(error=exc))
            return
        if done:
            ch.onair = None
            ch.cut_at, ch.cut_for = None, None
            self._finish(oa, None, "")

    def _finish(self, oa: OnAir, status: str | None, reason: str) -> None:
        end = self.clock.now()
        item = oa.item
        notes = [n for n in (item.note, oa.note, reason) if n]
        if status is None:
            lateness = oa.started - item.planned
            if item.kind != "manual" and lateness > self.settings.late_after:
                status = "late"
                notes.insert(0, _("started {seconds:.1f} s late").format(seconds=lateness))
            else:
                status = "played"
        if item.kind == "replay":
            notes.append(_("replayed after {by} cut it").format(by=item.cut_by))
        self._record(Entry(slot=item.slot, channel=item.channel, notice=item.notice, title=item.title,
                           priority=item.priority, planned=item.planned, actual_start=oa.started,
                           actual_end=end, status=status, reason=_("; ").join(notes), file=item.file,
                           sha256=oa.sha256, sink=oa.sink, onair=oa.onair_id, **_position(item)))
        mark = "■" if status in ("played", "late") else "✗"
        said = _("{mark} {notice} {status} ({seconds:.1f} s)").format(
            mark=mark, notice=item.notice, status=status_label(status), seconds=end - oa.started)
        if notes:
            said = _("{said}: {notes}").format(said=said, notes=_("; ").join(notes))
        self._emit("info" if status in ("played", "late") else "error", item.channel, said, "end")

    def _interrupt(self, ch: Channel, reason: str, by: Item | None) -> None:
        oa = ch.onair
        oa.playback.stop()
        end = self.clock.now()
        ch.onair = None
        item = oa.item
        replay = by is not None and item.kind in ("scheduled", "replay")
        if replay:
            ch.replays.append(replace(item, kind="replay", cut_by=_("{priority} play {notice}").format(
                priority=by.priority, notice=by.notice)))
            reason = _("{reason}; to be replayed if it can start within {minutes:g} min of its time").format(
                reason=reason, minutes=self.settings.grace / 60)
        self._record(Entry(slot=item.slot, channel=item.channel, notice=item.notice, title=item.title,
                           priority=item.priority, planned=item.planned, actual_start=oa.started,
                           actual_end=end, status="interrupted", reason=reason, file=item.file,
                           sha256=oa.sha256, sink=oa.sink, cut_by=by.notice if by else "", replay=replay,
                           onair=oa.onair_id, **_position(item)))
        self._emit("warn", ch.name, _("⏹ {notice} interrupted after {seconds:.1f} s: {reason}").format(
            notice=item.notice, seconds=end - oa.started, reason=reason), "end")

    def _start_next(self, ch: Channel, now: float) -> bool:
        """Start the next thing due on an idle channel; True if something was decided (look again)."""
        if ch.queue:
            return self._begin(ch, ch.queue.pop(0)) or True
        while ch.replays:
            item = ch.replays.pop(0)
            if now - item.planned <= self.settings.grace:
                return self._begin(ch, item) or True
            why = _("cut by {by} and not replayed: more than {minutes} min past its time").format(
                by=item.cut_by, minutes=f"{self.settings.grace / 60:g}")
            self._record(self._entry(item, "missed", why))
            self._emit("info", ch.name, _("{notice} {why}").format(notice=item.notice, why=why), "end")
        self._skip_decided(ch)
        if ch.cursor >= len(ch.plays) or ch.plays[ch.cursor].start.timestamp() > now:
            return False
        play = ch.plays[ch.cursor]
        ch.cursor += 1
        item = Item(slot=slot_of(play), channel=play.channel, notice=play.notice, title=play.title,
                    priority=play.priority, planned=play.start.timestamp(), file=play.file)
        if self.route is not None and self.route.claims(item.slot):
            return True  # a GPS route's play: the truck's position (or the clock fallback) starts it
        if play.status == "dropped":
            self._record(self._entry(item, "skipped", play.reason or _("dropped by the plan")))
            return True
        if self._history_lost and item.planned < self.started_at:
            self._record(self._entry(item, "skipped", _("{why} when the player started, so it is not known "
                                                        "whether it aired; not replayed").format(
                                                            why=self._history_lost)))
            return True
        lateness = now - item.planned
        if lateness > self.settings.grace:
            if item.planned < self.started_at and any(a <= item.planned <= b for a, b in self._spans):
                why = _("the player stopped (crash, kill or power cut) before it could play this")
            elif item.planned < self.started_at:
                why = _("the player was not running at {time} (started {started})").format(
                    time=self._hms(item.planned), started=self._hms(self.started_at))
            else:
                why = _("the channel was busy")
            self._record(self._entry(item, "missed", _("{why}; more than {minutes:g} min past its time, so not "
                                                       "played late").format(why=why,
                                                                             minutes=self.settings.grace / 60)))
            self._emit("warn", ch.name, _("{notice} at {time} missed: {why}").format(
                notice=item.notice, time=self._hms(item.planned), why=why), "end")
            return True
        if lateness > self.settings.late_after:
            why = self._why_not_late(ch, item, now)
            if why:
                self._record(self._entry(item, "skipped", why))
                self._catchup_skipped[ch.name] = self._catchup_skipped.get(ch.name, 0) + 1
                return True
        if not self._skip_if_quiet(ch, item, now):
            self._begin(ch, item)
        return True

    def _report_catchup(self, ch: Channel, now: float) -> None:
        """Once a channel has nothing overdue left: one line for the overdue slots it skipped (each has
        its row and reason in the log), rather than one line per slot."""
        self._skip_decided(ch)
        if ch.cursor < len(ch.plays) and ch.plays[ch.cursor].start.timestamp() <= now:
            return  # still catching up (a late play is on air; the rest is decided after it)
        n = self._catchup_skipped.pop(ch.name)
        self._emit("info", ch.name, ngettext(
            "catching up: {n} overdue play skipped so that no notice airs several times late (the reason is "
            "in `broadcaster log`)",
            "catching up: {n} overdue plays skipped so that no notice airs several times late (the reasons are "
            "in `broadcaster log`)", n).format(n=n), "end")

    def _why_not_late(self, ch: Channel, item: Item, now: float) -> str:
        """Why an overdue slot is not played late ("" when it is): so that a start (or a channel held
        by a long urgent play) never airs a burst of stale copies of one notice. A notice here is a
        program on this channel: every slot with this notice id."""
        if item.planned < self.first_start.get(ch.name, 0.0):
            return _("its time {time} is before the player first served this channel ({started}); "
                     "nothing from before the first start is played late").format(
                         time=self._hms(item.planned), started=self._hms(self.first_start[ch.name]))
        latest, upcoming = self._same_notice_after(ch, item.notice, now)
        if latest is not None:
            return _("{notice} is due again at {time}, which has passed too; only the latest missed play of a "
                     "notice is played late").format(notice=item.notice, time=self._hms(latest.start.timestamp()))
        if upcoming is not None and item.planned < self.started_at:
            return _("{notice} is due again at {time} anyway (within {minutes:g} min); not played late").format(
                notice=item.notice, time=self._hms(upcoming.start.timestamp()),
                minutes=self.settings.due_again / 60)
        return ""

    def _same_notice_after(self, ch: Channel, notice: str, now: float) -> tuple[Play | None, Play | None]:
        """After the slot just taken from the plan: the latest slot of this notice that is due already,
        and the first one due within `due_again` from now (None when there is none)."""
        latest = None
        for i in range(ch.cursor, len(ch.plays)):
            p = ch.plays[i]
            start = p.start.timestamp()
            if start > now + self.settings.due_again:
                break
            if p.notice != notice or p.status == "dropped" or slot_of(p) in self.settled or \
                    (self.route is not None and self.route.claims(slot_of(p))):
                continue
            if start > now:
                return latest, p
            latest = p
        return latest, None

    def _skip_if_quiet(self, ch: Channel, item: Item, now: float) -> bool:
        """Log an item skipped when `now` is in quiet hours and it is no emergency; True when it was."""
        quiet = self._quiet(now)
        if not quiet or item.priority == "emergency":
            return False
        self._record(self._entry(item, "skipped", _("quiet hours {hours} (only emergency plays then)").format(
            hours=quiet)))
        self._emit("warn", ch.name, _("{notice} skipped: quiet hours {hours}").format(
            notice=item.notice, hours=quiet), "end")
        return True

    def _begin(self, ch: Channel, item: Item, attempt: int = 1, note: str = "",
               onair_id: int | None = None) -> bool:
        """Put an item on air; log it skipped or failed when it cannot be. True when it is on air."""
        self.seen.add(item.slot)
        if ch.sink is None:
            self._record(self._entry(item, "failed", _("the channel's sink cannot be used: {error}").format(
                error=ch.sink_error)))
            self._emit("error", ch.name, _("✗ {notice} failed: no usable sink ({error})").format(
                notice=item.notice, error=ch.sink_error), "end")
            return False
        try:
            info = inspect(item.file)
            path = ch.sink.prepare(Path(item.file))
        except Unplayable as exc:
            self._record(self._entry(item, "skipped", str(exc)))
            self._emit("error", ch.name, _("✗ {notice} skipped: {error}").format(notice=item.notice, error=exc),
                       "end")
            return False
        except (BroadcasterError, OSError) as exc:
            self._record(self._entry(item, "failed", str(exc)))
            self._emit("error", ch.name, _("✗ {notice} failed: {error}").format(notice=item.notice, error=exc),
                       "end")
            return False
        started = self.clock.now()
        if self.route is not None and item.where is None:
            item = replace(item, where=self.route.where(ch.name, started))
        try:
            playback = ch.sink.start(path, ch.name, item.notice, started)
        except PlayFailed as exc:
            if attempt == 1:
                self._emit("warn", ch.name, _("{notice}: {error}; trying once more").format(
                    notice=item.notice, error=exc), "sink")
                return self._begin(ch, item, 2, _("the first try failed ({error})").format(error=exc))
            failed = _("{error} (after one retry)").format(error=exc)
            self._record(self._entry(item, "failed", _("; ").join(n for n in (note, failed) if n),
                                     sha256=info.sha256, sink=ch.sink.describe()))
            self._emit("error", ch.name, _("✗ {notice} failed: {error}").format(notice=item.notice, error=exc),
                       "end")
            return False
        except Unplayable as exc:
            self._record(self._entry(item, "skipped", str(exc)))
            return False
        except (BroadcasterError, OSError) as exc:  # SinkUnavailable: retrying cannot help
            self._record(self._entry(item, "failed", str(exc), sha256=info.sha256, sink=ch.sink.describe()))
            self._emit("error", ch.name, _("✗ {notice} failed: {error}").format(notice=item.notice, error=exc),
                       "end")
            return False
        if onair_id is None:  # a retry keeps the first try's journal row: one slot, one outcome
            onair_id = self.log.journal_start(item.slot, item.channel, item.notice, item.title, item.priority,
                                              item.planned, started, item.file, info.sha256, ch.sink.describe())
        ch.onair = OnAir(item, playback, started, onair_id, attempt, note, info.sha256, ch.sink.describe())
        offset = (started - item.planned) * 1000
        when = f"{offset:+.0f} ms" if abs(offset) < 10000 else f"{offset / 1000:+.1f} s"
        self._emit("info", ch.name, _("▶ {notice} {title} ({kind}, {priority}; planned {time}, {offset})").format(
            notice=item.notice, title=item.title, kind=kind_label(item.kind), priority=item.priority,
            time=self._hms(item.planned), offset=when), "start")
        return True

    def _entry(self, item: Item, status: str, reason: str, sha256: str = "", sink: str = "") -> Entry:
        return Entry(slot=item.slot, channel=item.channel, notice=item.notice, title=item.title,
                     priority=item.priority, planned=item.planned, status=status, reason=reason,
                     file=item.file, sha256=sha256, sink=sink, **_position(item))

    def _record(self, entry: Entry) -> None:
        self.seen.add(entry.slot)
        if not entry.replay:
            self.settled.add(entry.slot)
        if not self.log.append(entry):
            now = self.clock.now()
            if self.log.problem != self._problem or now >= self._loud_at:
                self._problem = self.log.problem
                self._loud(_("{problem} — playback goes on; {n} row(s) waiting").format(
                    problem=self.log.problem, n=len(self.log.backlog)), now)

    def _hms(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self.tz).strftime("%H:%M:%S")

    def _when(self, ts: float, now: float) -> str:
        """A local time, with its date when that is not today."""
        local = datetime.fromtimestamp(ts, self.tz)
        if local.date() == datetime.fromtimestamp(now, self.tz).date():
            return local.strftime("%H:%M:%S")
        return local.strftime("%Y-%m-%d %H:%M:%S")

    def _quiet(self, now: float) -> str:
        """The quiet-hours range `now` falls in ("" when none)."""
        if not self.plan or not self.plan.quiet_hours:
            return ""
        local = datetime.fromtimestamp(now, self.tz)
        t = local.hour * 3600 + local.minute * 60 + local.second
        for start, end in self.plan.quiet_hours:
            inside = start <= t < end if start <= end else (t >= start or t < end)
            if inside:
                return f"{start // 3600:02d}:{start % 3600 // 60:02d}-{end // 3600:02d}:{end % 3600 // 60:02d}"
        return ""

    # ------------------------------------------------------------ requests
    def _take_requests(self, now: float) -> None:
        if self.daemon_id is None:
            return
        try:
            requests = self.log.requests(self.daemon_id, self._last_request)
        except LogUnavailable:
            return
        for r in requests:
            self._last_request = max(self._last_request, r.id)
            ch = self.channels.get(r.channel)
            item = Item(slot=f"request:{self.daemon_id}:{r.id}", channel=r.channel, notice=r.notice,
                        title=r.title, priority=r.priority, planned=r.created, file=r.file, kind="manual",
                        request=r.id)
            refusal = already = ""
            if ch is None:
                refusal = _("this player does not serve channel '{channel}' (it has {channels})").format(
                    channel=r.channel, channels=", ".join(self.channels))
            elif now - r.created > self.settings.request_max_age:
                refusal = _("the request waited {seconds:.0f} s and is too old").format(seconds=now - r.created)
            elif (quiet := self._quiet(now)) and r.priority != "emergency":
                refusal = _("quiet hours {hours}: only --priority emergency may play now").format(hours=quiet)
            else:
                try:
                    sha256 = inspect(r.file).sha256
                except Unplayable as exc:
                    refusal = str(exc)
                else:
                    if r.priority == "emergency":
                        already = self._same_emergency(ch, sha256, now)
            if already:  # done, as far as the requester is concerned: the notice is (or just was) on air
                if self.log.answer(r.id, True, already, now, already=True):
                    self._record(self._entry(item, "skipped", already))
                self._emit("info", r.channel, _("play request {id} ({priority} {notice}): {note}").format(
                    id=r.id, priority=r.priority, notice=r.notice, note=already), "request")
                continue
            if refusal:
                if self.log.answer(r.id, False, refusal, now) and ch is not None:
                    self._record(self._entry(item, "skipped", refusal))
                self._emit("warn", r.channel, _("play request {id} refused: {reason}").format(
                    id=r.id, reason=refusal), "request")
                continue
            note = self._plan_for(ch, item, r.mode, r.wait)
            if not self.log.answer(r.id, True, note, now):
                continue  # answered elsewhere, or the log is locked: seen again next time
            self._emit("info", ch.name, _("play request {id} ({priority} {notice}): {note}").format(
                id=r.id, priority=r.priority, notice=r.notice, note=note), "request")
            self._enqueue(ch, item, r.mode, r.wait)

    def _repeat_of(self, ch: Channel, item: Item, now: float) -> str:
        """Why this emergency is not played again ("" when it is played, or is no emergency)."""
        if item.priority != "emergency":
            return ""
        try:
            sha256 = inspect(item.file).sha256
        except Unplayable:
            return ""  # reported when it is due to start
        return self._same_emergency(ch, sha256, now)

    def _same_emergency(self, ch: Channel, sha256: str, now: float) -> str:
        """Why an emergency with this audio is not played again on this channel ("" when it may be):
        the same audio is on air, waiting its turn, or aired to its end less than `repeat_window` ago.
        A notice pressed three times on the desk airs once."""
        oa = ch.onair
        if oa is not None and oa.item.priority == "emergency" and oa.sha256 == sha256:
            return _("already airing since {time}: the same emergency {notice} is on air on {channel}; not "
                     "played again").format(time=self._hms(oa.started), notice=oa.item.notice, channel=ch.name)
        for q in ch.queue:
            if q.priority != "emergency":
                continue
            try:
                same = inspect(q.file).sha256 == sha256
            except Unplayable:
                same = False
            if same:
                return _("already waiting to air: the same emergency {notice} was asked for at {time} on "
                         "{channel}; not played again").format(notice=q.notice, time=self._hms(q.planned),
                                                               channel=ch.name)
        try:
            aired = self.log.aired_since(ch.name, "emergency", now - self.settings.repeat_window)
        except LogUnavailable:
            aired = []
        for row in reversed(aired):
            if row["sha256"] == sha256:
                return _("already aired from {start} to {end}: the same emergency {notice} is not played again "
                         "on {channel} before {until} ({minutes:g} min after its end)").format(
                             start=self._hms(row["actual_start"]), end=self._hms(row["actual_end"]),
                             notice=row["notice"], channel=ch.name,
                             until=self._hms(row["actual_end"] + self.settings.repeat_window),
                             minutes=self.settings.repeat_window / 60)
        return ""

    def _plan_for(self, ch: Channel, item: Item, mode: str, wait: float) -> str:
        """What will happen to a request, in words (the `play` command prints it)."""
        oa = ch.onair
        if oa is None:
            ahead = [q for q in ch.queue if q.rank >= item.rank]
            if not ahead:
                return _("playing now on {channel}").format(channel=ch.name)
            return ngettext("queued after {n} request", "queued after {n} request(s)", len(ahead)).format(
                n=len(ahead))
        if oa.item.rank >= item.rank:
            return _("after {notice} ends ({priority} is not below {mine})").format(
                notice=oa.item.notice, priority=oa.item.priority, mine=item.priority)
        if mode == "cut":
            return _("cutting {notice} now").format(notice=oa.item.notice)
        if mode == "wait":
            return _("after {notice} ends, or cutting it in {seconds:g} s").format(notice=oa.item.notice,
                                                                                  seconds=wait)
        return _("after {notice} ends").format(notice=oa.item.notice)

    def _enqueue(self, ch: Channel, item: Item, mode: str = "next", wait: float = 0.0) -> None:
        ch.queue.append(item)
        ch.queue.sort(key=lambda q: (-q.rank, q.planned))
        oa = ch.onair
        if oa is None or oa.item.rank >= item.rank:
            return
        if mode == "cut":
            self._interrupt(ch, _("cut by {priority} play {notice}").format(priority=item.priority,
                                                                            notice=item.notice), by=item)
        elif mode == "wait":
            deadline = self.clock.now() + max(0.0, wait)
            if ch.cut_at is None or deadline < ch.cut_at:
                ch.cut_at, ch.cut_for = deadline, item


    # ------------------------------------------------------------ GPS routes
    def _route_step(self, now: float) -> None:
        """_route_plays behind a guard: a fault in the route code is logged, the route's stops fall back
        to their clock times, and the loop (every other channel) goes on."""
        try:
            self._route_plays(now)
        except Exception as exc:  # noqa: BLE001 - one truck's GPS must never silence every channel
            fault = f"{type(exc).__name__}: {exc}"[:300]
            self.route.fall_back()
            if fault not in self._route_faults:  # once each: the loop comes back here many times a second
                self._route_faults.add(fault)
                self._emit("error", "", _("the GPS route code failed ({error}): route stops play at their clock "
                                          "times until the player is restarted — please report it").format(
                                              error=fault), "route")

    def _route_plays(self, now: float) -> None:
        """Start route stops the truck has reached and fill the drive (player/position.py decides)."""
        from broadcaster.script import URGENT_PRIORITIES  # loaded already: the plan rendered the route

        for level, message in self.route.notes(now):
            self._emit(level, "", message, "route")
        for item in self.route.due(now, self.settled):
            ch = self.channels.get(item.channel)
            if ch is None:
                continue
            if item.kind == "missed":
                self._record(self._entry(item, "missed", item.note))
                self._emit("warn", ch.name, _("{notice} not played: {why}").format(notice=item.notice,
                                                                                   why=item.note), "end")
                continue
            if self._skip_if_quiet(ch, item, now):
                continue
            urgent = item.priority in URGENT_PRIORITIES
            self._enqueue(ch, item, "cut" if urgent else "next")
            oa = ch.onair
            if oa is not None and oa.item.kind == "fill":  # the drive's loop gives way to the stop
                if urgent:
                    self._interrupt(ch, _("cut: {reason}").format(reason=item.note), by=item)
                else:
                    ch.cut_at, ch.cut_for = self.route.cut_at(oa.item.file, oa.started, now), item
        for ch in self.channels.values():
            if ch.onair is None and not ch.queue and not ch.replays and not self._quiet(now):
                item = self.route.fill(ch.name, now)
                if item is not None:
                    self._begin(ch, item)


def _position(item: Item) -> dict:
    """The as-run log's position columns for an item (empty when it has no fix)."""
    fix = item.where
    return {"lat": fix.lat, "lon": fix.lon, "speed": fix.speed} if fix is not None else {}


def manual_item(file: str, channel: str, notice: str, title: str, priority: str, now: float) -> Item:
    """A play asked for by hand when no daemon runs (`broadcaster play`)."""
    return Item(slot=f"direct:{uuid.uuid4().hex[:12]}", channel=channel, notice=notice, title=title,
                priority=priority, planned=now, file=file, kind="manual")


def parse_mode(text: str) -> tuple[str, float]:
    """`cut`, `next` or `wait:SECONDS` -> (mode, seconds); BadInput otherwise."""
    text = text.strip().lower()
    if text in ("cut", "next"):
        return text, 0.0
    if text.startswith("wait:"):
        try:
            seconds = float(text[5:].rstrip("s"))
        except ValueError:
            seconds = -1
        if seconds >= 0:
            return "wait", seconds
    raise BadInput(_("unknown mode '{mode}'").format(mode=text),
                   _("use --mode cut, --mode next or --mode wait:SECONDS (e.g. wait:30)"))


def pid() -> int:
    return os.getpid()
