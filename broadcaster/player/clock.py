"""Wall clocks for the daemon: the real one, and one tests can drive."""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Callable, Protocol


class Clock(Protocol):
    """Seconds since the epoch (wall clock) and a way to wait."""

    def now(self) -> float:
        """Current wall-clock time, epoch seconds."""

    def sleep(self, seconds: float) -> None:
        """Wait about `seconds`; callers re-read now() afterwards (clocks may jump)."""


class SystemClock:
    """time.time(): plays follow the wall clock, so a clock set by NTP is obeyed.

    The daemon only ever sleeps in short steps and re-reads the time after each, so a
    jump forward or back is noticed within one step.
    """

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that only moves when slept on, firing callbacks set for given times.

    Tests drive the daemon with it: `clock.at(t, fn)` runs fn when the time reaches t
    (a request arriving, a file edited, a clock jump via `clock.set`).
    """

    def __init__(self, start: float) -> None:
        self._now = float(start)
        self._hooks: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._jumped = False

    def now(self) -> float:
        return self._now

    def set(self, when: float) -> None:
        """Jump the clock (forward or back), as NTP or an operator might."""
        self._now = float(when)
        self._jumped = True

    def at(self, when: float, fn: Callable[[], None]) -> None:
        with self._lock:
            heapq.heappush(self._hooks, (float(when), next(self._order), fn))

    def sleep(self, seconds: float) -> None:
        target = self._now + max(0.0, seconds)
        self._jumped = False
        while True:
            with self._lock:
                if not self._hooks or self._hooks[0][0] > target:
                    break
                when, _, fn = heapq.heappop(self._hooks)
            self._now = max(self._now, when)
            fn()
            if self._jumped:  # the sleep ends where the jump landed
                return
        self._now = max(self._now, target)
