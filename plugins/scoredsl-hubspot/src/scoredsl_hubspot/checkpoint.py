"""The sink's checkpoint: a journal of the batches a run sent, so that a run that stopped (daily
limit, a failure, Ctrl-C, a killed process) can be re-run without duplicating or losing updates.

One JSON object per line, appended and flushed (``fsync``) as the run goes::

    {"kind": "run", "portal": "prod", "started": "...", "models": {"b2b": "3f2a..."}, "as_of": "...",
     "contacts": 9812, "batches": 99}
    {"kind": "send", "batch": 1, "ids": ["1001", ...]}                    # before the request
    {"kind": "done", "batch": 1, "values": {"1001": {"scoredsl_b2b_fit": "40", ...}, ...}}
    {"kind": "failed", "batch": 7, "ids": [...], "error": "..."}
    {"kind": "stopped", "reason": "..."}

The file is deleted when a run finishes with every batch written. What a re-run does with a
journal it finds (:class:`Journal.load`):

* every run re-reads the current values of the contacts it scores (that alone makes a re-run
  idempotent: a contact already at its target values is not sent again);
* values written by the interrupted run (``done``) are trusted when the current values were
  read through CRM search, whose index can lag behind a write by a few seconds;
* contacts of a batch that was sent but never confirmed (``send`` without ``done``) are
  re-read with a batch read, which is consistent, before anything is sent for them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import attrs

__all__ = ["Journal", "Previous"]


@attrs.define
class Previous:
    """What a journal left by an earlier run says."""
    header: dict
    written: dict[str, dict[str, str]] = attrs.field(factory=dict)     # contact -> values written
    unconfirmed: set[str] = attrs.field(factory=set)                   # sent, outcome unknown
    batches_done: int = 0
    stopped: str | None = None


class Journal:
    def __init__(self, path: str):
        self.path = path
        self._file = None

    def load(self) -> Previous | None:
        """The previous run's journal, if one was left behind (a torn last line is ignored)."""
        try:
            with open(self.path, encoding="utf-8") as file:
                lines = file.read().splitlines()
        except FileNotFoundError:
            return None
        previous: Previous | None = None
        sent: dict[int, list[str]] = {}
        for line in lines:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            kind = item.get("kind")
            if kind == "run":
                previous = Previous(header=item)
            elif previous is None:
                continue
            elif kind == "send":
                sent[item["batch"]] = list(item.get("ids", []))
            elif kind == "done":
                sent.pop(item["batch"], None)
                previous.written.update(item.get("values", {}))
                previous.batches_done += 1
            elif kind == "failed":
                sent.pop(item["batch"], None)
                previous.unconfirmed.update(item.get("ids", []))
            elif kind == "stopped":
                previous.stopped = item.get("reason")
        if previous is not None:
            for ids in sent.values():
                previous.unconfirmed.update(ids)
        return previous

    def start(self, header: dict[str, Any]) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        self._file = open(self.path, "w", encoding="utf-8")
        self._write({"kind": "run", "started": _now(), **header})

    def send(self, batch: int, ids: list[str]) -> None:
        self._write({"kind": "send", "batch": batch, "ids": ids})

    def done(self, batch: int, values: dict[str, dict[str, str]]) -> None:
        self._write({"kind": "done", "batch": batch, "values": values})

    def failed(self, batch: int, ids: list[str], error: str) -> None:
        self._write({"kind": "failed", "batch": batch, "ids": ids, "error": error})

    def stopped(self, reason: str) -> None:
        if self._file is not None:
            self._write({"kind": "stopped", "reason": reason, "at": _now()})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def remove(self) -> None:
        self.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def _write(self, item: dict) -> None:
        assert self._file is not None
        self._file.write(json.dumps(item, separators=(",", ":")) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
