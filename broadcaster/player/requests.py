"""Plays asked for by hand (`broadcaster play`, the desk's emergency button): taken, answered and queued.

A mixin of Daemon (player/daemon.py): requests arrive through the as-run log's tables. It uses the
daemon's `log`, `clock`, `settings`, `channels`, `daemon_id`, `_last_request`, `_quiet`, `_hms`,
`_record`, `_entry`, `_emit` and `_interrupt`. `manual_item` and `parse_mode` serve `play` without a daemon.
"""
from __future__ import annotations

import uuid

from broadcaster.errors import BadInput, LogUnavailable, Unplayable
from broadcaster.i18n import _, ngettext
from broadcaster.player.audiofile import inspect
from broadcaster.player.model import Channel, Item
from broadcaster.vocabulary import priority_label


class Requests:
    """Daemon methods that take play requests from the log, answer them and queue the plays."""

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
                     "played again").format(time=self._hms(oa.started), notice=oa.item.notice,
                                            channel=self._channel_name(ch.name))
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
                                                               channel=self._channel_name(ch.name))
        try:
            aired = self.log.aired_since(ch.name, "emergency", now - self.settings.repeat_window)
        except LogUnavailable:
            aired = []
        for row in reversed(aired):
            if row["sha256"] == sha256:
                return _("already aired from {start} to {end}: the same emergency {notice} is not played again "
                         "on {channel} before {until} ({minutes:g} min after its end)").format(
                             start=self._hms(row["actual_start"]), end=self._hms(row["actual_end"]),
                             notice=row["notice"], channel=self._channel_name(ch.name),
                             until=self._hms(row["actual_end"] + self.settings.repeat_window),
                             minutes=self.settings.repeat_window / 60)
        return ""

    def _plan_for(self, ch: Channel, item: Item, mode: str, wait: float) -> str:
        """What will happen to a request, in words (the `play` command prints it)."""
        oa = ch.onair
        if oa is None:
            ahead = [q for q in ch.queue if q.rank >= item.rank]
            if not ahead:
                return _("playing now on {channel}").format(channel=self._channel_name(ch.name))
            return ngettext("queued after {n} request", "queued after {n} request(s)", len(ahead)).format(
                n=len(ahead))
        if oa.item.rank >= item.rank:
            return _("after {notice} ends ({priority} is not below {mine})").format(
                notice=oa.item.notice, priority=priority_label(oa.item.priority), mine=priority_label(item.priority))
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
