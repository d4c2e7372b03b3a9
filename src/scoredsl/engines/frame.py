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
from typing import Mapping, Protocol, Sequence

import attrs

from scoredsl.check.ir import state_reads
from scoredsl.compiler.model import CompiledModel
from scoredsl.data.records import DataError, ResultRow, from_epoch_micros, to_micros
from scoredsl.data.sinks import ModelInfo, RunInfo, Sink
from scoredsl.data.state import RunRecord, StateError, previous_values, run_id, started_now
from scoredsl.data.values import format_datetime
from scoredsl.engines.base import RunOptions


class Engine(Protocol):
    """Where a model runs. Engines are chosen by name (:mod:`scoredsl.engines.registry`)."""

    name: str

    def refusal(self, models: Sequence[CompiledModel], source) -> str | None:
        """Why this engine cannot run ``models`` on ``source``; ``None`` when it can."""

    def score(self, models: Sequence[CompiledModel], source, as_of: int, options: RunOptions,
              out: "Output", previous: "Previous | None" = None) -> None:
        """Score every contact of ``source`` with every model at ``as_of`` (epoch microseconds).

        A model that reads the previous run (:func:`~scoredsl.check.ir.state_reads`) finds its
        values in ``previous`` (none: every contact is new).

        Each result row goes to ``out.write`` (one per contact and model, in the source's contact
        order, the models in their given order); what was read is counted in ``out.summary``.
        A data error is raised or skipped as ``options.on_error`` says.
        """


class Previous:
    """What the models of a run read of the previous run: for each model that reads state,
    ``contact_id -> values`` in :func:`~scoredsl.check.ir.state_reads` order."""

    def __init__(self, values: Mapping[str, Mapping[str, tuple]] | None = None):
        self.values = dict(values or {})

    @classmethod
    def load(cls, models: Sequence[CompiledModel], store, as_of: int) -> "Previous":
        """Each model's previous values from ``store`` (``None``: no state, every contact new)."""
        values = {}
        for model in models:
            reads = state_reads(model.ir)
            if reads and store is not None:
                values[model.name] = previous_values(lambda before: store.previous(model.name, before), as_of,
                                                     [(p.kind, p.name, p.window) for p in reads])
        return cls(values)

    def of(self, model: CompiledModel) -> Mapping[str, tuple]:
        return self.values.get(model.name, {})


@attrs.define
class RunSummary:
    contacts: int = 0
    skipped_rows: int = 0
    ignored_events: int = 0
    orphan_events: int = 0
    unknown_companies: int = 0                     # contacts whose company id names no company
    events: int = 0
    seconds: float = 0.0
    statuses: dict = attrs.field(factory=dict)     # model -> Counter(status)
    tiers: dict = attrs.field(factory=dict)        # (model, tier) -> Counter(label)
    errors: list = attrs.field(factory=list)       # DataErrors skipped (first few kept)
    transitions: dict | None = None                # (model, tier) -> count; None: no state kept
    first_runs: tuple = ()                         # models whose first recorded run this was
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
    sink (and recorded in the state store, when the run keeps state); a contact is counted once,
    on its first model's row."""

    def __init__(self, sink: Sink, summary: RunSummary, models: Sequence[CompiledModel], store=None):
        self.summary = summary
        self._sink_write = sink.write
        self._record = store.add if store is not None else None
        self._first = models[0].name

    def write(self, row: ResultRow) -> None:
        self.summary.count(row)
        self._sink_write(row)
        if self._record is not None:
            self._record(row)
        if row.model == self._first:
            self.summary.contacts += 1


def run_info(models: Sequence[CompiledModel], as_of: dt.datetime) -> RunInfo:
    """What a sink is told when it is opened: the models' shapes and versions, and the as-of."""
    return RunInfo(as_of=as_of, models=[ModelInfo(name=m.name, scores=m.score_names, tiers=m.tier_names,
                                                  version=m.version) for m in models])


def run(engine: Engine, models: Sequence[CompiledModel], source, sink: Sink, as_of: dt.datetime,
        options: RunOptions = RunOptions(), state: "RunState | None" = None) -> RunSummary:
    """Score ``source`` with ``models`` on ``engine`` into ``sink`` (not yet opened); the summary.

    The sink is opened, then committed when the engine is done, or aborted when anything fails
    (the exception goes on). With ``state``, the models read the previous run from its store
    and the run is recorded there, after the sink has committed: a run that fails before then
    leaves the store as it was, and rerunning it reads the same state. The source is the
    caller's to close.
    """
    summary = RunSummary.for_models(models)
    micros = to_micros(as_of)
    store = state.store if state is not None else None
    sink.open(run_info(models, as_of))
    started = time.perf_counter()
    try:
        if store is not None:
            # under the store's lock from here on: what is read is what the run records beside
            store.begin(state.record(models, micros))
            summary.first_runs = _check_as_of(store, models, micros, state.replay)
        previous = Previous.load(models, store, micros)
        engine.score(models, source, micros, options, Output(sink, summary, models, store), previous)
        sink.commit()
        if store is not None:
            summary.transitions = store.commit(summary.contacts, state.actions)
    except BaseException:
        sink.abort()
        if store is not None:
            store.abort()
        raise
    summary.seconds = time.perf_counter() - started
    return summary


def _check_as_of(store, models: Sequence[CompiledModel], as_of: int, replay: bool) -> tuple[str, ...]:
    """The models whose first recorded run this is; a StateError when a model was recorded
    at a later as-of and the run is not a replay."""
    latest = {m.name: store.latest(m.name) for m in models}
    later = {name: when for name, when in latest.items() if when is not None and when > as_of}
    if later and not replay:
        name, when = next(iter(later.items()))
        raise StateError(f"model {name} was last recorded as of {format_datetime(from_epoch_micros(when))}, "
                         f"after this run's as-of {format_datetime(from_epoch_micros(as_of))}; scoring an "
                         "earlier as-of reads the state of that time and records beside the later runs: pass "
                         "--replay to do so")
    return tuple(name for name, when in latest.items() if when is None)


@attrs.frozen(kw_only=True)
class RunState:
    """A run's state store, and what the runs table says of the run."""
    store: object                      # scoredsl.data.state.SqliteState or a plugin's store
    replay: bool = False               # an as-of older than the latest recorded one is allowed
    actions: tuple = ()                # ActionRules whose transitions go to the outbox
    source: str = ""                   # as written, secrets masked
    sink: str = ""

    def record(self, models: Sequence[CompiledModel], as_of: int) -> RunRecord:
        versions = {m.name: m.version for m in models}
        return RunRecord(run_id=run_id(as_of, versions), as_of=as_of, models=versions, source=self.source,
                         sink=self.sink, started=started_now())
