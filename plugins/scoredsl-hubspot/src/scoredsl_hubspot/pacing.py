"""Client-side pacing: never send more requests than HubSpot allows, instead of finding out.

HubSpot limits a private app by a rolling ten-second window (190 requests for Professional and
Enterprise portals), CRM search separately to a few requests per second, and by a daily total.
:class:`RollingWindow` keeps the send times of the last ``limit`` requests and waits until
the oldest is older than the window (plus a small margin for network jitter: HubSpot counts
arrivals, the client counts departures). A 429 blocks the window for the time HubSpot asks
(:meth:`RollingWindow.block_for`), so every request of the client waits, not just the one
that was refused.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Callable

__all__ = ["RollingWindow"]


class RollingWindow:
    """At most ``limit`` acquisitions within any ``window`` seconds (a sliding log)."""

    def __init__(self, limit: int, window: float, *, margin: float = 0.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if limit < 1 or window <= 0:
            raise ValueError("a rolling window needs a limit >= 1 and a window > 0")
        self.limit, self.window, self.margin = limit, window, margin
        self._clock, self._sleep = clock, sleep
        self._times: collections.deque[float] = collections.deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> float:
        """Wait for a free slot, take it, and return how long this call waited."""
        waited = 0.0
        span = self.window + self.margin
        while True:
            with self._lock:
                now = self._clock()
                while self._times and self._times[0] <= now - span:
                    self._times.popleft()
                if now < self._blocked_until:
                    delay = self._blocked_until - now
                elif len(self._times) < self.limit:
                    self._times.append(now)
                    self.waited += waited
                    return waited
                else:
                    delay = self._times[0] + span - now
            delay = max(delay, 0.001)
            self._sleep(delay)
            waited += delay

    def block_for(self, seconds: float) -> None:
        """No acquisition succeeds for the next ``seconds`` (after a 429)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def in_window(self) -> int:
        """How many acquisitions are inside the window now."""
        with self._lock:
            now = self._clock()
            return sum(1 for t in self._times if t > now - self.window - self.margin)
