"""The daemon's catch-up rules: which overdue slot is played late, and what quiet hours skip.

A mixin of Daemon (player/daemon.py). It uses the daemon's `clock`, `settings`, `first_start`,
`started_at`, `settled`, `route`, `_catchup_skipped`, `_skip_decided`, `_quiet`, `_hms`, `_record`,
`_entry` and `_emit`.
"""
from __future__ import annotations

from broadcaster.i18n import _, ngettext
from broadcaster.player.model import Channel, Item, slot_of
from broadcaster.schedule.model import Play


class CatchUp:
    """Daemon methods that decide what an overdue or quiet-hours slot becomes."""

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
