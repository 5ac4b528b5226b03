"""The daemon's GPS route step: start the stops the truck has reached, fill the drive between them.

A mixin of Daemon (player/daemon.py); the decisions are player/position.py's RoutePlayer
(`self.route`). It uses the daemon's `channels`, `settled`, `_route_faults`, `_record`, `_entry`,
`_emit`, `_enqueue`, `_interrupt`, `_begin`, `_quiet` and `_skip_if_quiet`.
"""
from __future__ import annotations

from broadcaster.i18n import _
from broadcaster.vocabulary import URGENT_PRIORITIES


class RouteSteps:
    """Daemon methods that run the GPS route hook once a loop turn, behind a guard."""

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
