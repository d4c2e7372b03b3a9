"""Score every contact of a source with one or more compiled models and write the results.

Events are read first and grouped by contact (timestamp-sorted tuples per event type, as the
generated evaluators expect); contacts are then streamed, each evaluated by every selected
model, and each result row handed to the sink. A failure at any point aborts the sink, which
leaves any previous output untouched.
"""

from __future__ import annotations

import collections
import time
from typing import Callable, Sequence

import attrs

from .data import DataError, ResultRow
from .engine import CompiledModel, event_layouts, pack_event


@attrs.define
class RunSummary:
    contacts: int = 0
    skipped_rows: int = 0
    ignored_events: int = 0
    orphan_events: int = 0
    events: int = 0
    seconds: float = 0.0
    statuses: dict = attrs.field(factory=dict)     # model -> Counter(status)
    tiers: dict = attrs.field(factory=dict)        # (model, tier) -> Counter(label)
    errors: list = attrs.field(factory=list)       # DataErrors skipped (first few kept)


class ErrorPolicy:
    """``fail``: the first data error stops the run. ``skip``: the row is skipped and counted."""

    KEEP = 20

    def __init__(self, mode: str, summary: RunSummary):
        if mode not in ("fail", "skip"):
            raise ValueError(f"unknown error mode {mode!r}")
        self.mode = mode
        self.summary = summary

    def __call__(self, problem: DataError) -> None:
        if self.mode == "fail":
            raise problem
        self.summary.skipped_rows += 1
        if len(self.summary.errors) < self.KEEP:
            self.summary.errors.append(problem)


def group_events(source, schema, on_error, summary: RunSummary,
                 progress: Callable[[str, int], None] | None = None) -> dict[str, dict[str, list]]:
    layouts = event_layouts(schema)
    grouped: dict[str, dict[str, list]] = collections.defaultdict(dict)
    for event in source.events(schema, on_error):
        if progress is not None and summary.events % 100_000 == 0 and summary.events:
            progress("events read", summary.events)
        layout = layouts.get(event.type)
        if layout is None:
            summary.ignored_events += 1
            continue
        summary.events += 1
        grouped[event.contact_id].setdefault(event.type, []).append(
            pack_event(event.timestamp, event.attrs, layout))
    for per_type in grouped.values():
        for items in per_type.values():
            items.sort(key=_first)
    return grouped


def _first(item: tuple) -> int:
    return item[0]


def run(models: Sequence[CompiledModel], source, sink, as_of: int, *, on_error: str = "fail",
        progress: Callable[[str, int], None] | None = None) -> RunSummary:
    """Evaluate ``models`` on every contact of ``source``; returns the summary.

    ``sink`` must already be opened; it is committed on success and aborted on any failure.
    """
    summary = RunSummary()
    policy = ErrorPolicy(on_error, summary)
    schema = models[0].program.schema
    started = time.perf_counter()
    for model in models:
        summary.statuses[model.name] = collections.Counter()
        for tier in model.tier_names:
            summary.tiers[(model.name, tier)] = collections.Counter()
    try:
        grouped = group_events(source, schema, policy, summary, progress)
        empty: dict = {}
        seen = 0
        for contact in source.contacts(schema, policy):
            events = grouped.pop(contact["id"], empty)
            for model in models:
                row = model.row(contact, model.evaluate_packed(contact, events, as_of))
                _count(summary, row)
                sink.write(row)
            seen += 1
            if progress is not None and seen % 1000 == 0:
                progress("contacts scored", seen)
        summary.contacts = seen
        summary.orphan_events = sum(len(v) for per_type in grouped.values() for v in per_type.values())
        summary.ignored_events += getattr(source, "ignored_events", 0)
        sink.commit()
    except BaseException:
        sink.abort()
        raise
    summary.seconds = time.perf_counter() - started
    return summary


def _count(summary: RunSummary, row: ResultRow) -> None:
    summary.statuses[row.model][row.status] += 1
    if row.status == "scored":
        for tier, label in row.tiers.items():
            summary.tiers[(row.model, tier)][label if label is not None else "(none)"] += 1
