"""The playback daemon: plays each planned item on time on its channel's sink, logs what aired.

One thread drives every channel: it sleeps in short steps (never past the next start),
re-reads the wall clock after each, and on waking starts what is due, ends what has
finished, takes play requests from the database and reloads an edited schedule. The
clock is injected, so tests drive a whole day in milliseconds.
"""
from __future__ import annotations

import concurrent.futures
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from broadcaster.errors import (BadInput, BroadcasterError, CouldNotDo, LogUnavailable, PlayFailed, SinkUnavailable,
                                Unplayable)
from broadcaster.i18n import _, ngettext
from broadcaster.player.asrun import AsRunLog, Entry
from broadcaster.player.asrun_writes import AsRunWrites, position_columns
from broadcaster.player.audiofile import inspect
from broadcaster.player.catchup import CatchUp
from broadcaster.player.clock import Clock, SystemClock
from broadcaster.player.model import AirPlan, Channel, Event, Item, OnAir, PlanSource, Settings, kind_label, slot_of
from broadcaster.player.model import StaticSource  # noqa: F401 - re-exported: the tests and bench import it here
from broadcaster.player.requests import Requests
from broadcaster.player.requests import manual_item, parse_mode  # noqa: F401 - re-exported for branches that import them here
from broadcaster.player.routes import RouteSteps
from broadcaster.player.sinks import make_sink
from broadcaster.schedule.model import Play
from broadcaster.vocabulary import TIMEZONE, priority_label, status_label


class Daemon(AsRunWrites, CatchUp, Requests, RouteSteps):
    """Plays an AirPlan on its channels' sinks and logs every outcome to an AsRunLog.

    This class is the clock loop: start-up and shutdown, swapping plans, and starting, polling and
    ending plays. Its other concerns are mixins, one module each: AsRunWrites (player/asrun_writes.py),
    CatchUp (catchup.py), Requests (requests.py) and RouteSteps (routes.py).
    """

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
        self.names: dict[str, str] = {}    # channel -> the schedule's name for it (长乐村大喇叭)
        self.tz = ZoneInfo(TIMEZONE)
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
        self.names = dict(plan.names)  # rows written while accounting for an earlier player carry them too
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
            self.daemon_id = self.log.register(wanted, self.source.name, now, self._names(plan, wanted))
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

    def _channel_name(self, channel: str, default: str | None = None) -> str:
        """The channel as the schedule names it (长乐村大喇叭); else `default`, or the id itself."""
        return self.names.get(channel) or (channel if default is None else default)

    @staticmethod
    def _names(plan: AirPlan, channels) -> dict[str, str]:
        return {c: plan.names[c] for c in channels if plan.names.get(c)}

    def _apply(self, plan: AirPlan, wanted: list[str] | None = None, first: bool = False) -> None:
        """Swap in a new plan in one step; what is on air keeps playing."""
        previous = self.plan.note if self.plan is not None else ""
        if not first and self.daemon_id is not None and self.plan is not None and plan.names != self.plan.names:
            try:
                self.log.rename(self.daemon_id, self._names(plan, self.channels))
            except LogUnavailable:
                pass  # `play` shows the old names until the next edit; playing goes on
        self.plan = plan
        self.names = dict(plan.names)
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
            except Exception as exc:  # noqa: BLE001 - a bug in planning must not stop the broadcast
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
                           sha256=oa.sha256, sink=oa.sink, onair=oa.onair_id, **position_columns(item)))
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
                           onair=oa.onair_id, **position_columns(item)))
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
            notice=item.notice, title=item.title, kind=kind_label(item.kind),
            priority=priority_label(item.priority), time=self._hms(item.planned), offset=when), "start")
        return True

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
