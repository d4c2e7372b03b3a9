"""Progress of long runs on stderr: one live line on a terminal, a plain line every
``interval`` seconds otherwise (logs, CI), nothing with ``progress=off``.

    hubspot prod: 12,400 contacts read, 3 of 41 batches written; 151 requests (18.7/s)
"""

from __future__ import annotations

import sys
import time
from typing import IO, Callable

__all__ = ["Progress"]


class Progress:
    def __init__(self, label: str, mode: str = "auto", *, stream: IO[str] | None = None,
                 interval: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        terminal = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.mode = "off" if mode == "off" else ("live" if terminal else "lines")
        self.interval = 0.25 if self.mode == "live" else interval
        self._clock = clock
        self._started = clock()
        self._last = self._started
        self._shown = False
        self.counters: dict[str, int] = {}
        self.requests = lambda: 0

    def add(self, name: str, amount: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + amount
        self.tick()

    def set(self, name: str, value: int) -> None:
        self.counters[name] = value
        self.tick()

    def tick(self, force: bool = False) -> None:
        if self.mode == "off":
            return
        now = self._clock()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        line = self.line(now)
        if self.mode == "live":
            self.stream.write("\r" + line[:120].ljust(min(120, max(len(line), 60))))
            self._shown = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def line(self, now: float | None = None) -> str:
        now = self._clock() if now is None else now
        elapsed = max(now - self._started, 1e-9)
        parts = []
        c = self.counters
        if c.get("contacts"):
            parts.append(f"{c['contacts']:,} contacts read")
        if c.get("events"):
            parts.append(f"{c['events']:,} events")
        if c.get("deals"):
            parts.append(f"{c['deals']:,} deals read")
        if c.get("batches_total"):
            parts.append(f"{c.get('batches', 0):,} of {c['batches_total']:,} batches written")
        requests = self.requests()
        parts.append(f"{requests:,} requests ({requests / elapsed:.1f}/s) in {elapsed:.0f}s")
        return f"  hubspot {self.label}: " + ", ".join(parts)

    def clear(self) -> None:
        """Remove the live line before something else is printed."""
        if self.mode == "live" and self._shown:
            self.stream.write("\r" + " " * 120 + "\r")
            self.stream.flush()
            self._shown = False

    def say(self, message: str) -> None:
        """A line that is always shown (unless progress=off): summaries, warnings."""
        if self.mode == "off":
            return
        self.clear()
        self.stream.write(message + "\n")
        self.stream.flush()
