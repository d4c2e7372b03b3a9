"""What an engine writes and counts: the result rows of a run go to an :class:`Output`, what
was read is counted in a :class:`RunSummary`, a bad row goes to an :class:`ErrorPolicy`, and the
models that read state find the previous run in :class:`Previous`. The run frame
(:mod:`scoredsl.engines.frame`) makes them; every engine and the company stage use them."""

from __future__ import annotations

import collections
from typing import Iterable, Mapping, Sequence

import attrs

from scoredsl.check.ir import state_reads
from scoredsl.compiler.model import CompiledModel
from scoredsl.data.records import DataError, ResultRow
from scoredsl.data.sinks import Sink
from scoredsl.data.state import previous_values


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
    companies: int = 0                             # companies scored by company models
    events: int = 0
    seconds: float = 0.0
    statuses: dict = attrs.field(factory=dict)     # model -> Counter(status)
    tiers: dict = attrs.field(factory=dict)        # (model, tier) -> Counter(label)
    errors: list = attrs.field(factory=list)       # DataErrors skipped (first few kept)
    transitions: dict | None = None                # (model, tier) -> count; None: no state kept
    first_runs: tuple = ()                         # models whose first recorded run this was
    mode: str = ""                                 # python engine: "sorted", "memory", "spilled", "folded"
    #                                                or "folded, spilled"
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

    def count(self, row: ResultRow, times: int = 1) -> None:
        """Count one result row's status and tiers (``times`` such rows)."""
        self.statuses[row.model][row.status] += times
        if row.status == "scored":
            for tier, label in row.tiers.items():
                self.tiers[(row.model, tier)][label if label is not None else "(none)"] += times


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

    def __init__(self, sink: Sink, summary: RunSummary, models: Sequence[CompiledModel], store=None,
                 count: bool = True):
        self.summary = summary
        self._sink = sink
        self._sink_write = sink.write
        self._record = store.add if store is not None else None
        # ``count``: this output's first model counts the contacts (or companies) scored
        self._first = models[0].name if count else None
        self._counted = "companies" if models[0].subject == "company" else "contacts"

    def write(self, row: ResultRow) -> None:
        self.summary.count(row)
        self._sink_write(row)
        if self._record is not None:
            self._record(row)
        if row.model == self._first:
            setattr(self.summary, self._counted, getattr(self.summary, self._counted) + 1)

    @property
    def text_form(self) -> str | None:
        """The form in which the sink takes rows ready-made (:attr:`Sink.text_form`), when
        nothing else needs them one by one; None while a state store records every row."""
        return None if self._record is not None else getattr(self._sink, "text_form", None)

    def write_text(self, file, counts: Iterable[tuple[ResultRow, int]]) -> None:
        """Rows already written in :attr:`text_form`, read from binary ``file``, go to the sink;
        ``counts`` gives each kind of row among them (its model, status and tiers) and how many
        there are, to be counted as :meth:`write` counts."""
        for row, times in counts:
            self.summary.count(row, times)
            if row.model == self._first:
                setattr(self.summary, self._counted, getattr(self.summary, self._counted) + times)
        self._sink.write_text(file)
