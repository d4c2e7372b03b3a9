"""The engine interface, and the run frame around every engine: open the sink, let the engine
score, count every row written, then commit, or abort on any failure so that the previous
output stays whole.

An engine (:class:`Engine`) only turns contacts and events into result rows: it never opens,
commits or aborts the sink and never times the run.

:func:`run` is the one way a batch is scored::

    summary = run(engine, models, source, sink, as_of, options)
"""

from __future__ import annotations

import collections
import datetime as dt
import time
from typing import Protocol, Sequence

import attrs

from scoredsl.compiler.model import CompiledModel
from scoredsl.data.records import DataError, ResultRow, to_micros
from scoredsl.data.sinks import ModelInfo, RunInfo, Sink
from scoredsl.engines.base import RunOptions


class Engine(Protocol):
    """Where a model runs. Engines are chosen by name (:mod:`scoredsl.engines.registry`)."""

    name: str

    def refusal(self, models: Sequence[CompiledModel], source) -> str | None:
        """Why this engine cannot run ``models`` on ``source``; ``None`` when it can."""

    def score(self, models: Sequence[CompiledModel], source, as_of: int, options: RunOptions,
              out: "Output") -> None:
        """Score every contact of ``source`` with every model at ``as_of`` (epoch microseconds).

        Each result row goes to ``out.write`` (one per contact and model, in the source's contact
        order, the models in their given order); what was read is counted in ``out.summary``.
        A data error is raised or skipped as ``options.on_error`` says.
        """


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
    mode: str = ""                                 # python engine: "sorted", "memory" or "spilled"
    peak_events: int = 0                           # python engine: the most events in memory at once

    @classmethod
    def for_models(cls, models: Sequence[CompiledModel]) -> "RunSummary":
        """An empty summary with a zero count for every model's statuses and tiers."""
        summary = cls()
        for model in models:
            summary.statuses[model.name] = collections.Counter()
            for tier in model.tier_names:
                summary.tiers[(model.name, tier)] = collections.Counter()
        return summary

    def count(self, row: ResultRow) -> None:
        """Count one result row's status and tiers."""
        self.statuses[row.model][row.status] += 1
        if row.status == "scored":
            for tier, label in row.tiers.items():
                self.tiers[(row.model, tier)][label if label is not None else "(none)"] += 1


class ErrorPolicy:
    """``fail``: the first data error stops the run. ``skip``: the row is skipped and counted.

    The first few skipped errors are kept in ``errors`` (default: the summary's list)."""

    KEEP = 20

    def __init__(self, mode: str, summary: RunSummary, errors: list | None = None):
        if mode not in ("fail", "skip"):
            raise ValueError(f"unknown error mode {mode!r}")
        self.mode = mode
        self.summary = summary
        self.errors = summary.errors if errors is None else errors

    def __call__(self, problem: DataError) -> None:
        if self.mode == "fail":
            raise problem
        self.summary.skipped_rows += 1
        if len(self.errors) < self.KEEP:
            self.errors.append(problem)


class Output:
    """Where an engine's result rows go: each is counted in ``summary``, then written to the
    sink; a contact is counted once, on its first model's row."""

    def __init__(self, sink: Sink, summary: RunSummary, models: Sequence[CompiledModel]):
        self.summary = summary
        self._sink_write = sink.write
        self._first = models[0].name

    def write(self, row: ResultRow) -> None:
        self.summary.count(row)
        self._sink_write(row)
        if row.model == self._first:
            self.summary.contacts += 1


def run_info(models: Sequence[CompiledModel], as_of: dt.datetime) -> RunInfo:
    """What a sink is told when it is opened: the models' shapes and versions, and the as-of."""
    return RunInfo(as_of=as_of, models=[ModelInfo(name=m.name, scores=m.score_names, tiers=m.tier_names,
                                                  version=m.version) for m in models])


def run(engine: Engine, models: Sequence[CompiledModel], source, sink: Sink, as_of: dt.datetime,
        options: RunOptions = RunOptions()) -> RunSummary:
    """Score ``source`` with ``models`` on ``engine`` into ``sink`` (not yet opened); the summary.

    The sink is opened, then committed when the engine is done, or aborted when anything fails
    (the exception goes on). The source is the caller's to close.
    """
    summary = RunSummary.for_models(models)
    sink.open(run_info(models, as_of))
    started = time.perf_counter()
    try:
        engine.score(models, source, to_micros(as_of), options, Output(sink, summary, models))
        sink.commit()
    except BaseException:
        sink.abort()
        raise
    summary.seconds = time.perf_counter() - started
    return summary
