"""A compiled model and the compiled program that holds it: the generated evaluators, and how
they are called for one contact."""

from __future__ import annotations

import hashlib
import traceback
from typing import Callable, Iterable, Mapping

import attrs

from scoredsl.check import ir
from scoredsl.compiler.python.emitter import Emitter
from scoredsl.compiler.python.packing import pack_events
from scoredsl.data.records import DataSchema, Event, ResultRow, to_micros
from scoredsl.diagnostics import Diagnostic, SourceMap, Span


GENERATED_FILE = "<scoredsl-generated>"
#: The file name of a model's accumulators (:meth:`CompiledModel.folding`).
FOLD_FILE = "<scoredsl-generated-fold>"


class EvaluationError(Exception):
    """Generated code failed for one contact; points at the rule file line responsible."""

    def __init__(self, message: str, span: Span | None, contact_id: str | None):
        self.span = span
        self.contact_id = contact_id
        where = f"{span}: " if span else ""
        who = f" (contact {contact_id})" if contact_id is not None else ""
        super().__init__(f"{where}{message}{who}")


class CompiledModel:
    def __init__(self, model: ir.Model, program: "Program", fast, explain, emitter: Emitter,
                 plugin_versions: Mapping[str, str] | None = None, contacts=None,
                 make_fold: Callable[[], tuple | None] | None = None):
        self.ir = model
        self.name = model.name
        self.subject = model.subject
        #: a company model's aggregates over contacts, and what one contact adds to each
        #: (:class:`~scoredsl.compiler.python.codegen.RollupCompiler`)
        self.contact_aggs = ir.contact_aggs(model)
        self._contacts = contacts
        self.score_names = tuple(s.name for s in model.scores)
        self.tier_names = tuple(t.name for t in model.tiers)
        # the compiled model's meaning, and the versions of the plugins whose functions it calls
        used = sorted({e.plugin for e in ir.model_exprs(model) if isinstance(e, ir.Call)})
        stamp = repr(model) + "".join(f"\n{p}=={(plugin_versions or {}).get(p, '')}" for p in used)
        if model.scores_companies:
            stamp += "\nfor company"
        self.version = hashlib.sha256(stamp.encode("utf-8")).hexdigest()[:12]
        self.program = program
        self._fast = fast
        self._explain = explain
        self._emitter = emitter
        self._make_fold = make_fold
        self._fold: Fold | None = None

    # ---------------------------------------------------------------- hot path
    def evaluate_packed(self, contact: Mapping, events: Mapping[str, list], as_of: int):
        """``(status, reason, scores, tiers)`` for already packed events (see :func:`pack_events`)."""
        try:
            return self._fast(contact, events, as_of)
        except Exception as exc:  # report at the rule that failed, never as a bare traceback
            raise self._evaluation_error(exc, contact) from exc

    def folding(self) -> "Fold | None":
        """The model as accumulators, generated on first use; ``None`` when its event filters
        read more than the event (see :func:`~scoredsl.compiler.python.codegen.foldable`)."""
        if self._make_fold is not None:
            made, self._make_fold = self._make_fold(), None
            if made is not None:
                self._fold = Fold(self, *made)
        return self._fold

    def contact_part(self, contact: Mapping) -> tuple:
        """A company model: what one contact of the company adds, per :attr:`contact_aggs`,
        ``(counts, value)`` each."""
        try:
            return self._contacts(contact)
        except Exception as exc:
            raise self._evaluation_error(exc, contact) from exc

    def row(self, contact: Mapping, result) -> ResultRow:
        status, reason, scores, tiers = result[:4]
        if scores is None:
            return ResultRow(contact_id=contact["id"], model=self.name, status=status, reason=reason,
                             scores=dict.fromkeys(self.score_names), tiers=dict.fromkeys(self.tier_names))
        return ResultRow(contact_id=contact["id"], model=self.name, status=status, reason=reason,
                         scores=dict(zip(self.score_names, scores)), tiers=dict(zip(self.tier_names, tiers)))

    # ---------------------------------------------------------------- convenience
    def evaluate(self, contact: Mapping, events: Iterable[Event], as_of) -> ResultRow:
        packed = pack_events(events, self.program.schema)
        return self.row(contact, self.evaluate_packed(contact, packed, to_micros(as_of)))

    def trace(self, contact: Mapping, events: Iterable[Event], as_of):
        """Everything the model computed for one contact (see :mod:`scoredsl.compiler.explain`)."""
        return self.trace_packed(contact, pack_events(events, self.program.schema), to_micros(as_of))

    def trace_packed(self, contact: Mapping, events: Mapping[str, list], as_of: int):
        """:meth:`trace` for already packed events and an as-of in epoch microseconds."""
        try:
            return self._explain(contact, events, as_of)
        except Exception as exc:
            raise self._evaluation_error(exc, contact) from exc

    def _evaluation_error(self, exc: Exception, contact: Mapping, emitter: Emitter | None = None,
                          file: str = GENERATED_FILE) -> EvaluationError:
        span = None
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            if frame.f_code.co_filename == file:
                span = (emitter or self._emitter).span_at(lineno)
        return EvaluationError(f"error evaluating model '{self.name}': {type(exc).__name__}: {exc}", span,
                               contact.get("id"))


class Fold:
    """A model as accumulators (:class:`~scoredsl.compiler.python.codegen.FoldCompiler`): a
    contact's totals start as :meth:`fresh`, take each of its events, in any order, through
    the function :meth:`folds` gives for the event's type, and are scored by :meth:`finish`,
    with the result :meth:`CompiledModel.evaluate_packed` gives for the same events. Totals
    of one contact folded apart are combined with :meth:`merge`."""

    def __init__(self, model: CompiledModel, init: tuple, folds, merge, finish, fold_events, emitter: Emitter):
        self.model = model
        self.init = init
        self._folds = folds
        self.merge = merge
        self._finish = finish
        #: ``(events, memory, fresh, budget, as_of, tick=None) -> (how many, None or the event
        #: that found memory full)``: the events of a run of this model alone folded in one loop
        #: into ``memory[contact id][1]``, the count of a contact's events in
        #: ``memory[contact id][0]`` (see the generated source)
        self.fold_events = fold_events
        self._emitter = emitter

    def fresh(self) -> list:
        return list(self.init)

    @property
    def source(self) -> str:
        """The generated Python source of the accumulators (``compile --emit fold``)."""
        return self._emitter.source()

    def folds(self, as_of: int) -> dict:
        """``{event type: fold(totals, packed event)}`` for the types the model reads."""
        return self._folds(as_of)

    def finish(self, contact: Mapping, totals: list, as_of: int):
        """``(status, reason, scores, tiers)`` from a contact's totals."""
        try:
            return self._finish(contact, totals, as_of)
        except Exception as exc:
            raise self.model._evaluation_error(exc, contact, self._emitter, FOLD_FILE) from exc


@attrs.define
class Program:
    """A compiled unit: its models in file order, its schema, and the generated source."""
    schema: DataSchema
    models: dict[str, CompiledModel]
    python_source: str
    warnings: list[Diagnostic]
    sources: SourceMap
    ir: ir.Program

    def model(self, name: str | None = None) -> CompiledModel:
        if name is None:
            if len(self.models) != 1:
                raise KeyError(f"choose a model: {', '.join(self.models)}")
            return next(iter(self.models.values()))
        return self.models[name]
