"""The cyclic garbage collector, paused while many objects that form no cycle are built.

A run holds up to millions of events and totals (tuples and lists), and a parse makes a node or
two per token: none forms a reference cycle, yet the collector would traverse them again and
again while they pile up (a quarter of a run's time, half of a large file's parse). What garbage
with cycles is made meanwhile (little) is collected after.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

__all__ = ["collector_paused"]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the ``with`` block (as it was after it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
