"""The company stage: company models (``model NAME for company``), scored after the contacts.

A company model reads a company's own properties, the events of all its contacts together, and
aggregates over its contacts (:class:`~scoredsl.check.ir.ContactAgg`: ``count(contacts where
C)``, ``has(...)``, ``best(V where C)``, ``total(V where C)``), which may read each contact's
scores and tiers in contact models as ``MODEL.NAME``.

The stage reads the source's contacts and events once, in Python, whichever engine scored the
contacts: for each contact that belongs to a company it evaluates the contact models the
company models read, folds what the contact adds into its company's aggregates, and keeps its
events. Then every company the source has is scored, in the order the source gives them, with
the same compiled evaluator a contact model uses: the company's properties and aggregates are
its record, the events of its contacts merged by type its events. A company without contacts
is scored too (no events, ``count(contacts)`` 0). A contact without a company, or whose
company the source does not have, adds to no company.

The merged events of one type are ordered by timestamp (events with the same timestamp in the
order the source gave them: no aggregate, rule or decay depends on that order). The events of
the contacts that belong to a company are held until the companies are scored: in memory up
to the run's event budget (``--max-events-in-memory``), then in a temporary file on disk, as
the python engine holds a run's events (:class:`~scoredsl.engines.python.EventStore`).
"""

from __future__ import annotations

from typing import Iterator, Mapping, Sequence

import attrs

from scoredsl.check.ir import Prop, model_exprs, models_read, state_reads
from scoredsl.compiler.model import CompiledModel
from scoredsl.data.companies import Companies
from scoredsl.data.records import COMPANY_ID, ResultRow
from scoredsl.engines.base import DEFAULT_EVENT_BUDGET, RunOptions
from scoredsl.engines.python import EventStore, contacts_with_events, state_plan
from scoredsl.engines.results import ErrorPolicy, Output, Previous, RunSummary


class CompanyStage:
    """Companies as their company models read them, built from the contacts added one by one.

    ``contact_models`` are the contact models whose outputs the company models read (see
    :func:`~scoredsl.check.ir.models_read`); ``previous`` gives those that read state their
    previous values. With ``keep`` set, :attr:`parts` records what each contact added, for
    explain."""

    def __init__(self, models: Sequence[CompiledModel], contact_models: Sequence[CompiledModel],
                 companies: Companies, as_of: int, previous: Previous | None = None, keep: bool = False,
                 event_budget: int = DEFAULT_EVENT_BUDGET, spill_dir: str | None = None):
        self.models = list(models)
        self.companies = companies
        self.as_of = as_of
        self._contact_plan = state_plan(contact_models, previous)
        self._folds = [[agg.func for agg in model.contact_aggs] for model in self.models]
        self._acc: dict[str, list[list]] = {}
        # the events of each company's contacts: in memory up to the budget, then on disk
        self._events = EventStore(event_budget, spill_dir)
        self.keep = keep
        self.parts: dict[str, list[tuple[dict, list[tuple]]]] = {}

    def _start(self) -> list[list]:
        return [[_START[func] for func in funcs] for funcs in self._folds]

    def company_of(self, contact: Mapping) -> str | None:
        """The id of the contact's company when the source has it, else ``None``."""
        company_id = contact.get(COMPANY_ID)
        if company_id is None:
            return None
        company_id = company_id.strip()
        return company_id if company_id in self.companies else None

    def add(self, contact: Mapping, per_type: Mapping[str, list], known: Mapping[str, tuple] | None = None) -> None:
        """One contact of the source with its packed events (see the python engine); ``known``:
        its results in contact models already evaluated, by model name."""
        company_id = self.company_of(contact)
        if company_id is None:
            return
        seen = dict(contact)
        for model, keys, values, missing in self._contact_plan:
            result = known.get(model.name) if known is not None else None
            if result is None:
                state = seen
                if keys:
                    state = dict(seen)
                    state.update(zip(keys, values.get(contact["id"], missing)))
                result = model.evaluate_packed(state, per_type, self.as_of)
            _status, _reason, scores, tiers = result[:4]
            for name, value in zip(model.score_names, scores or (None,) * len(model.score_names)):
                seen[f"{model.name}.{name}"] = value
            for name, value in zip(model.tier_names, tiers or (None,) * len(model.tier_names)):
                seen[f"{model.name}.{name}"] = value
        acc = self._acc.get(company_id)
        if acc is None:
            acc = self._acc[company_id] = self._start()
        added = []
        for model, funcs, totals in zip(self.models, self._folds, acc):
            part = model.contact_part(seen)
            added.append(part)
            for i, func in enumerate(funcs):
                if part[2 * i]:
                    totals[i] = _FOLD[func](totals[i], part[2 * i + 1])
        if per_type:
            self._events.put(company_id, per_type)
        if self.keep:
            self.parts.setdefault(company_id, []).append((seen, added))

    def companies_with_events(self) -> Iterator[tuple[dict, list[dict], Mapping[str, list]]]:
        """``(company record, its record for each model, its contacts' events by type)`` for every
        company, in the source's order: each model's record adds its aggregates under their keys."""
        self._events.seal()
        try:
            for company in self.companies.records():
                company_id = company["id"]
                acc = self._acc.pop(company_id, None) or self._start()
                records = []
                for model, totals in zip(self.models, acc):
                    record = dict(company)
                    record.update(zip((agg.key for agg in model.contact_aggs), totals))
                    records.append(record)
                yield company, records, self._events.take(company_id)
        finally:
            self._events.close()


def _best(held, value):
    if value is None:
        return held
    return value if held is None or value > held else held


def _total(held, value):
    return held if value is None else held + value


_START = {"count": 0, "has": False, "best": None, "total": 0}
_FOLD = {"count": lambda held, _value: held + 1, "has": lambda _held, _value: True, "best": _best,
         "total": _total}


def contact_models_read(models: Sequence[CompiledModel], program) -> list[CompiledModel]:
    """The contact models whose scores and tiers the company ``models`` read, in the program's order."""
    wanted = {name for model in models for name in models_read(model.ir)}
    return [m for m in program.models.values() if m.name in wanted and m.subject == "contact"]


@attrs.frozen
class Plan:
    """The stages of a run, in order: ``contacts`` (contact models that read no company score,
    scored by the chosen engine), ``companies`` (every company model to evaluate: those chosen,
    and those whose scores a later contact model reads; only ``written`` ones give rows), and
    ``later`` (contact models that read their company's scores, scored after the companies,
    in Python)."""
    contacts: tuple
    companies: tuple
    later: tuple
    written: frozenset

    @classmethod
    def of(cls, models: Sequence[CompiledModel]) -> "Plan":
        chosen = [m for m in models if m.subject == "company"]
        later = [m for m in models if m.subject == "contact" and models_read(m.ir)]
        contacts = [m for m in models if m.subject == "contact" and m not in later]
        needed = {name for m in later for name in models_read(m.ir)}
        companies = chosen + [m for m in models[0].program.models.values() if m.name in needed and m not in chosen] \
            if models else []
        return cls(tuple(contacts), tuple(companies), tuple(later), frozenset(m.name for m in chosen))


def score_companies(models: Sequence[CompiledModel], source, as_of: int, options: RunOptions, out: Output | None,
                    previous: Previous | None = None, summary: RunSummary | None = None,
                    written: frozenset | None = None,
                    contacts: tuple[Sequence[CompiledModel], Output] | None = None) -> dict[str, dict] | None:
    """Score every company of ``source`` with the company ``models``; the rows of the ``written``
    ones (default: all) go to ``out``.

    With ``contacts`` (contact models and their output), the same pass also scores every
    contact with those models, as the python engine does (same rows, same order), and the
    company models reuse what they computed: one read of the source instead of two.

    What is read is counted in ``summary`` (default: a summary of its own, when the contacts
    were counted by the engine that scored them); a bad row is skipped or raised as
    ``options.on_error`` says. Returns each company's scores and tiers by ``MODEL.NAME``, for
    the contact models that read them (see :class:`Plan`)."""
    program = models[0].program
    schema = program.schema
    counted = summary if summary is not None else RunSummary()
    event_errors: list = []
    contact_errors: list = []
    contact_policy = ErrorPolicy(options.on_error, counted, contact_errors)
    event_policy = ErrorPolicy(options.on_error, counted, event_errors)
    companies = Companies.read(source, schema, contact_policy)
    stage = CompanyStage(models, contact_models_read(models, program), companies, as_of, previous,
                         event_budget=options.event_budget, spill_dir=options.spill_dir)
    scoring = state_plan(contacts[0], previous) if contacts is not None else []
    write = contacts[1].write if contacts is not None else None
    progress = options.progress if contacts is not None else None
    with contacts_with_events(source, schema, options, counted, event_policy, contact_policy, companies) as pairs:
        for contact, per_type in pairs:
            if summary is not None and contacts is None:
                counted.contacts += 1
            known = None
            if scoring:
                known = {}
                for model, keys, values, missing in scoring:
                    seen = contact
                    if keys:
                        seen = dict(contact)
                        seen.update(zip(keys, values.get(contact["id"], missing)))
                    result = known[model.name] = model.evaluate_packed(seen, per_type, as_of)
                    write(model.row(contact, result))
                if progress is not None and counted.contacts % 1000 == 0:
                    progress("contacts scored", counted.contacts)
            stage.add(contact, per_type, known)
    if summary is not None:
        summary.errors[:] = (event_errors + contact_errors)[:ErrorPolicy.KEEP]
    state = [(model, tuple(p.key for p in state_reads(model.ir)),
              previous.of(model) if previous is not None else {}) for model in models]
    values: dict[str, dict] = {}
    for company, records, per_type in stage.companies_with_events():
        held = values[company["id"]] = {}
        for (model, keys, earlier), record in zip(state, records):
            if keys:
                record.update(zip(keys, earlier.get(company["id"], (None,) * len(keys))))
            row = company_row(model, company["id"], model.evaluate_packed(record, per_type, as_of))
            held.update(company_values(model, row))
            if out is not None and (written is None or model.name in written):
                out.write(row)
    return values


def company_values(model: CompiledModel, row: ResultRow) -> dict:
    """A company's result in ``model`` as contact models read it: ``MODEL.NAME`` -> value
    (missing when the company is not scored)."""
    return {**{f"{model.name}.{n}": v for n, v in row.scores.items()},
            **{f"{model.name}.{n}": v for n, v in row.tiers.items()}}


def score_later(models: Sequence[CompiledModel], source, as_of: int, options: RunOptions, out: Output,
                values: Mapping[str, Mapping], previous: Previous | None = None,
                summary: RunSummary | None = None) -> None:
    """Score every contact with the contact ``models`` that read their company's scores
    (``values``: by company id, ``MODEL.NAME`` -> value), in the source's contact order. A
    contact without a company, or naming one the source does not have, reads them missing.
    Counting as :func:`score_companies` does."""
    schema = models[0].program.schema
    counted = summary if summary is not None else RunSummary()
    errors: list = []
    contact_policy = ErrorPolicy(options.on_error, counted, errors)
    event_policy = ErrorPolicy(options.on_error, counted, errors)
    companies = Companies.read(source, schema, contact_policy)
    plan = []
    for model in models:
        keys = tuple(p.key for p in state_reads(model.ir))
        names = tuple(n for e in model_exprs(model.ir) if isinstance(e, Prop) for n in (e.name,)
                      if "." in n and not n.startswith("company."))
        plan.append((model, keys, previous.of(model) if previous is not None else {}, (None,) * len(keys),
                     tuple(dict.fromkeys(names))))
    with contacts_with_events(source, schema, options, counted, event_policy, contact_policy, companies) as pairs:
        for contact, per_type in pairs:
            company_id = contact.get(COMPANY_ID)
            held = values.get(company_id.strip(), {}) if company_id is not None else {}
            for model, keys, earlier, missing, names in plan:
                seen = dict(contact)
                seen.update((n, held.get(n)) for n in names)
                if keys:
                    seen.update(zip(keys, earlier.get(contact["id"], missing)))
                out.write(model.row(contact, model.evaluate_packed(seen, per_type, as_of)))
    if summary is not None:
        summary.errors[:] = errors[:ErrorPolicy.KEEP]


def company_row(model: CompiledModel, company_id: str, result) -> ResultRow:
    row = model.row({"id": company_id}, result)
    return ResultRow(contact_id=None, company_id=company_id, model=row.model, status=row.status,
                     reason=row.reason, scores=row.scores, tiers=row.tiers)


def one_company(models: Sequence[CompiledModel], source, company_id: str, as_of: int, options: RunOptions):
    """Everything the company ``models`` read of one company, for explain: ``(company record,
    each model's record, its contacts' events by type, what each contact added)``; ``None``
    when the source has no such company. Reads every contact of the source (any of them may
    belong to it); bad rows are skipped as ``options.on_error`` says."""
    program = models[0].program
    schema = program.schema
    counted = RunSummary()
    policy = ErrorPolicy(options.on_error, counted)
    companies = Companies.read(source, schema, policy)
    if company_id not in companies:
        return None
    stage = CompanyStage(models, contact_models_read(models, program), companies, as_of, keep=True,
                         event_budget=options.event_budget, spill_dir=options.spill_dir)
    with contacts_with_events(source, schema, options, counted, policy, policy, companies) as pairs:
        for contact, per_type in pairs:
            if stage.company_of(contact) == company_id:
                stage.add(contact, per_type)
    for company, records, per_type in stage.companies_with_events():
        if company["id"] == company_id:
            return company, records, per_type, stage.parts.get(company_id, [])
    return None


def given_company(models: Sequence[CompiledModel], company: Mapping, members: Sequence[tuple[dict, Mapping]],
                  as_of: int):
    """One company given with its contacts and their packed events, as a test case gives them:
    ``(each model's record, the contacts' events by type, what each contact added)``."""
    program = models[0].program
    companies = Companies(program.schema, {company["id"]: company})
    stage = CompanyStage(models, contact_models_read(models, program), companies, as_of, keep=True)
    for contact, per_type in members:
        stage.add(companies.attach(contact), per_type)
    _company, records, per_type = next(stage.companies_with_events())
    return records, per_type, stage.parts.get(company["id"], [])
