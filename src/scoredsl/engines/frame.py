"""The engine interface, and the run frame around every engine: open the sink, let the engine
score, count every row written, then commit, or abort on any failure so that the previous
output stays whole.

An engine (:class:`Engine`) only turns contacts and events into result rows: it never opens,
commits or aborts the sink and never times the run.

:func:`run` is the one way a batch is scored::

    summary = run(engine, models, source, sink, as_of, options)
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol, Sequence

import attrs

from scoredsl.compiler.model import CompiledModel
from scoredsl.data.records import from_epoch_micros, to_micros
from scoredsl.data.sinks import ModelInfo, RunInfo, Sink, SinkError
from scoredsl.data.state import RunRecord, StateError, run_id, started_now
from scoredsl.data.values import format_datetime
from scoredsl.engines.base import RunOptions
from scoredsl.engines.companies import Plan, contact_models_read, score_companies, score_later
from scoredsl.engines.results import ErrorPolicy, Output, Previous, RunSummary

__all__ = ["Engine", "run", "run_info", "RunState", "ErrorPolicy", "Output", "Previous", "RunSummary"]


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


def run_info(models: Sequence[CompiledModel], as_of: dt.datetime) -> RunInfo:
    """What a sink is told when it is opened: the models' shapes and versions, and the as-of."""
    return RunInfo(as_of=as_of, models=[ModelInfo(name=m.name, scores=m.score_names, tiers=m.tier_names,
                                                  version=m.version) for m in models],
                   subject=models[0].subject if models else "contact")


def run(engine: Engine, models: Sequence[CompiledModel], source, sink: Sink, as_of: dt.datetime,
        options: RunOptions = RunOptions(), state: "RunState | None" = None,
        company_sink: Sink | None = None) -> RunSummary:
    """Score ``source`` with ``models`` on ``engine`` into ``sink`` (not yet opened); the summary.

    Company models (``model NAME for company``) are scored after the contacts, by the company
    stage (:mod:`scoredsl.engines.companies`), into ``company_sink``, or into ``sink`` when
    every model scores companies.

    The sinks are opened, then committed when every model is done, or aborted when anything
    fails (the exception goes on). With ``state``, the models read the previous run from its
    store and the run is recorded there, after the sinks have committed: a run that fails
    before then leaves the store as it was, and rerunning it reads the same state. The source
    is the caller's to close.
    """
    plan = Plan.of(models)
    contact_models = [m for m in models if m.subject == "contact"]
    company_models = [m for m in models if m.subject == "company"]
    if company_models and contact_models and company_sink is None:
        raise SinkError(f"model {company_models[0].name} scores companies: its rows need a sink of their own "
                        "(--company-sink)")
    company_target = company_sink if contact_models else sink
    sinks = [(s, ms) for s, ms in ((sink, contact_models), (company_target, company_models)) if ms]
    summary = RunSummary.for_models(models)
    micros = to_micros(as_of)
    store = state.store if state is not None else None
    opened = []
    started = time.perf_counter()
    try:
        for target, its_models in sinks:
            opened.append(target)
            target.open(run_info(its_models, as_of))
        if store is not None:
            # under the store's lock from here on: what is read is what the run records beside
            store.begin(state.record(models, micros))
            summary.first_runs = _check_as_of(store, models, micros, state.replay)
        extra = [m for m in contact_models_read(plan.companies, models[0].program) + list(plan.companies)
                 if m not in models]
        previous = Previous.load(list(models) + extra, store, micros)
        # each stage reads the source; the first one counts what it read. On the python engine
        # the company stage scores the contacts too, in the same pass
        fused = bool(plan.contacts) and bool(plan.companies) and engine.name == "python"
        contacts_out = Output(sink, summary, plan.contacts, store) if plan.contacts else None
        if plan.contacts and not fused:
            engine.score(list(plan.contacts), source, micros, options, contacts_out, previous)
        values = None
        if plan.companies:
            out = Output(company_target, summary, company_models, store) if company_models else None
            values = score_companies(plan.companies, source, micros, options, out, previous,
                                     summary if fused or not plan.contacts else None, plan.written,
                                     (plan.contacts, contacts_out) if fused else None)
        if plan.later:
            score_later(plan.later, source, micros, options,
                        Output(sink, summary, plan.later, store, count=not plan.contacts), values or {}, previous)
        for target in opened:
            target.commit()
        if store is not None:
            summary.transitions = store.commit(summary.contacts, state.actions)
    except BaseException:
        for target in opened:
            target.abort()
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
