"""The daemon's as-run writes: every outcome becomes a row, even while the log cannot be written.

A mixin of Daemon (player/daemon.py). It uses the daemon's `log`, `clock`, `seen`, `settled`,
`settings`, `_problem`, `_loud_at`, `_emit` and `_when`. Accounting at start-up for what an earlier
player left unfinished (a play on air, an accepted request) is here too: both are rows to write.
"""
from __future__ import annotations

from dataclasses import replace

from broadcaster.i18n import _
from broadcaster.player.asrun import Entry
from broadcaster.player.model import Item


class AsRunWrites:
    """Daemon methods that write outcomes to the as-run log (and say so loudly when it cannot)."""

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

    def _loud(self, message: str, now: float) -> None:
        self._loud_at = now + self.settings.loud_every
        self._emit("error", "", _("AS-RUN LOG PROBLEM: {message}").format(message=message), "log")

    def _entry(self, item: Item, status: str, reason: str, sha256: str = "", sink: str = "") -> Entry:
        return Entry(slot=item.slot, channel=item.channel, notice=item.notice, title=item.title,
                     priority=item.priority, planned=item.planned, status=status, reason=reason,
                     file=item.file, sha256=sha256, sink=sink, **position_columns(item))

    def _record(self, entry: Entry) -> None:
        if not entry.channel_name:  # the name the schedule gives the channel now, for next month's report
            entry = replace(entry, channel_name=self._channel_name(entry.channel, ""))
        self.seen.add(entry.slot)
        if not entry.replay:
            self.settled.add(entry.slot)
        if not self.log.append(entry):
            now = self.clock.now()
            if self.log.problem != self._problem or now >= self._loud_at:
                self._problem = self.log.problem
                self._loud(_("{problem} — playback goes on; {n} row(s) waiting").format(
                    problem=self.log.problem, n=len(self.log.backlog)), now)


def position_columns(item: Item) -> dict:
    """The as-run log's position columns for an item (empty when it has no fix)."""
    fix = item.where
    return {"lat": fix.lat, "lon": fix.lon, "speed": fix.speed} if fix is not None else {}
