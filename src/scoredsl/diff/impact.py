"""What a change does to the funnel: score the same contacts with both sides of a diff.

:func:`compare` reads the source once and evaluates every contact with the old and the new
model of each name, and summarises the results per model:

* **statuses** and **tiers**: a transition matrix from the old label to the new one. A contact
  that is not scored gets the pseudo-label ``(disqualified)`` or ``(out_of_scope)`` in every
  tier, and a scored contact with no label ``(none)``, so every contact is in every matrix;
* **scores**: the values before and after (contacts scored by that side), the changes of the
  contacts scored by both, and :func:`histogram` buckets shared by both sides;
* **top movers**: the contacts whose score moved most (ties by contact id), with the rules
  that moved them, taken from both models' explain traces.

When both sides declare a property or event attribute with different types, one reading of
the source cannot serve both: the source is then read once per side and the contacts joined
by id (the only case with two passes). :func:`parse_guard` and :func:`check_guards` implement
the ``--fail-on`` grammar (see ``docs/workflow.md``).
"""

from __future__ import annotations

import collections
import datetime as dt
import math
import re
from fractions import Fraction
from typing import Callable, Iterator, Mapping, Sequence

import attrs

from scoredsl.check.ir import models_read
from scoredsl.compiler.model import CompiledModel
from scoredsl.compiler.python.packing import event_layouts, pack_event
from scoredsl.data.companies import Companies
from scoredsl.data.records import DataSchema, Event, TypeSpec, from_epoch_micros
from scoredsl.diff.model import RuleSet, rule_scores
from scoredsl.engines.companies import CompanyStage, contact_models_read
from scoredsl.engines.frame import ErrorPolicy, RunSummary

DISQUALIFIED, OUT_OF_SCOPE, NO_LABEL = "(disqualified)", "(out_of_scope)", "(none)"
STATUS_ORDER = ("scored", "disqualified", "out_of_scope")
MAX_BUCKETS = 20


# ------------------------------------------------------------------ results

@attrs.frozen(kw_only=True)
class Transitions:
    """Contacts per (old label, new label); ``labels`` in display order. One side may be
    missing (a tier or model that exists on one side only): then only its counts are known."""
    name: str
    labels: tuple[str, ...]
    counts: Mapping[tuple[str, str], int]          # both sides present
    before: Mapping[str, int]
    after: Mapping[str, int]
    sides: str                                     # "both", "old" or "new"

    @property
    def changed(self) -> int:
        return sum(n for (a, b), n in self.counts.items() if a != b)

    def cell(self, old: str, new: str) -> int:
        return self.counts.get((old, new), 0)

    def to_json(self) -> dict:
        return {"name": self.name, "sides": self.sides, "labels": list(self.labels),
                "changed": self.changed if self.sides == "both" else None,
                "before": {k: self.before[k] for k in self.labels if k in self.before},
                "after": {k: self.after[k] for k in self.labels if k in self.after},
                "transitions": [{"from": a, "to": b, "count": self.counts[(a, b)]}
                                for a in self.labels for b in self.labels if (a, b) in self.counts]}


@attrs.frozen(kw_only=True)
class Stats:
    count: int
    mean: float | None
    median: float | None
    min: int | None
    max: int | None

    @classmethod
    def of(cls, values: Mapping[int, int]) -> "Stats":
        n = sum(values.values())
        if n == 0:
            return cls(count=0, mean=None, median=None, min=None, max=None)
        ordered = sorted(values)
        total = sum(v * c for v, c in values.items())
        return cls(count=n, mean=round(total / n, 2), median=_median(values, ordered, n),
                   min=ordered[0], max=ordered[-1])


def _median(values, ordered, n) -> float:
    def nth(k):
        seen = 0
        for v in ordered:
            seen += values[v]
            if seen > k:
                return v
    return (nth((n - 1) // 2) + nth(n // 2)) / 2


@attrs.frozen(kw_only=True)
class Bucket:
    low: int
    high: int               # inclusive
    before: int
    after: int

    @property
    def label(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}..{self.high}"


@attrs.frozen(kw_only=True)
class Histogram:
    width: int
    buckets: tuple[Bucket, ...]

    def to_json(self) -> dict:
        return {"width": self.width, "buckets": [attrs.asdict(b) for b in self.buckets]}


@attrs.frozen(kw_only=True)
class RuleDelta:
    """How much one rule gave a contact before and after (0 where the rule does not exist)."""
    name: str
    before: int | float
    after: int | float

    @property
    def delta(self) -> int | float:
        return _clean(self.after - self.before)


@attrs.frozen(kw_only=True)
class Mover:
    contact_id: str
    score: str
    before: int
    after: int
    rules: tuple[RuleDelta, ...]      # rules whose points changed, largest first
    caps: int | float                 # what group caps and the score's max changed
    decay: int | float                # what decay (and rounding) changed
    tiers: tuple[tuple[str, str, str], ...]   # (tier, old label, new label) that changed

    @property
    def delta(self) -> int:
        return self.after - self.before

    def to_json(self) -> dict:
        return {"contact_id": self.contact_id, "score": self.score, "before": self.before, "after": self.after,
                "delta": self.delta,
                "rules": [{"name": r.name, "before": r.before, "after": r.after, "delta": r.delta}
                          for r in self.rules],
                "caps": self.caps, "decay": self.decay,
                "tiers": [{"name": n, "before": a, "after": b} for n, a, b in self.tiers]}


@attrs.frozen(kw_only=True)
class ScoreImpact:
    name: str
    sides: str
    before: Mapping[int, int]         # value -> contacts scored by the old model
    after: Mapping[int, int]
    deltas: Mapping[int, int]         # change -> contacts scored by both
    largest: tuple[int, str, int, int] | None   # (|change|, contact, before, after), ties by id
    movers: tuple[Mover, ...]

    @property
    def changed(self) -> int:
        return sum(n for d, n in self.deltas.items() if d != 0)

    @property
    def compared(self) -> int:
        return sum(self.deltas.values())

    @property
    def stats(self) -> tuple[Stats, Stats]:
        return Stats.of(self.before), Stats.of(self.after)

    @property
    def histogram(self) -> Histogram:
        return histogram(self.before, self.after)

    def to_json(self) -> dict:
        before, after = self.stats
        return {"name": self.name, "sides": self.sides, "before": attrs.asdict(before),
                "after": attrs.asdict(after), "compared": self.compared, "changed": self.changed,
                "largest_change": None if self.largest is None else
                {"contact_id": self.largest[1], "before": self.largest[2], "after": self.largest[3],
                 "delta": self.largest[3] - self.largest[2]},
                "histogram": self.histogram.to_json(),
                "movers": [m.to_json() for m in self.movers]}


@attrs.frozen(kw_only=True)
class ModelImpact:
    name: str
    old_version: str | None
    new_version: str | None
    contacts: int
    statuses: Transitions
    tiers: tuple[Transitions, ...]
    scores: tuple[ScoreImpact, ...]
    tier_changed: int = 0      # contacts whose label changes in at least one tier both sides have
    subject: str = "contact"   # "company": a company model, its counts are of companies

    @property
    def noun(self) -> str:
        """What its counts count: ``contacts`` or ``companies``."""
        return "companies" if self.subject == "company" else "contacts"

    @property
    def sides(self) -> str:
        return self.statuses.sides

    def tier(self, name: str) -> Transitions | None:
        return next((t for t in self.tiers if t.name == name), None)

    def score(self, name: str) -> ScoreImpact | None:
        return next((s for s in self.scores if s.name == name), None)

    def to_json(self) -> dict:
        return {"name": self.name, "old_version": self.old_version, "new_version": self.new_version,
                "sides": self.sides, "contacts": self.contacts, "subject": self.subject,
                "tier_changed": self.tier_changed if self.sides == "both" else None,
                "statuses": self.statuses.to_json(), "tiers": [t.to_json() for t in self.tiers],
                "scores": [s.to_json() for s in self.scores]}


@attrs.frozen(kw_only=True)
class Impact:
    as_of: dt.datetime
    contacts: int
    events: int
    skipped_rows: int
    ignored_events: int
    orphan_events: int
    passes: int
    top: int
    models: tuple[ModelImpact, ...]

    def model(self, name: str) -> ModelImpact | None:
        return next((m for m in self.models if m.name == name), None)

    def to_json(self) -> dict:
        from scoredsl.data.values import iso

        return {"as_of": iso(self.as_of), "contacts": self.contacts, "events": self.events,
                "skipped_rows": self.skipped_rows, "ignored_events": self.ignored_events,
                "orphan_events": self.orphan_events, "passes": self.passes, "top": self.top,
                "models": [m.to_json() for m in self.models]}


# ------------------------------------------------------------------ histogram

def bucket_width(low: int, high: int, max_buckets: int = MAX_BUCKETS) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that covers ``low..high`` in at most
    ``max_buckets`` buckets aligned on multiples of the width."""
    width = 1
    steps = (2, 2.5, 2)        # 1 -> 2 -> 5 -> 10 -> 20 -> 50 -> ...
    i = 0
    while high // width - low // width + 1 > max_buckets:
        width = int(width * steps[i % 3])
        i += 1
    return width


def histogram(before: Mapping[int, int], after: Mapping[int, int], max_buckets: int = MAX_BUCKETS) -> Histogram:
    """Buckets shared by both sides, from the smallest to the largest value of either."""
    values = [v for v, n in before.items() if n] + [v for v, n in after.items() if n]
    if not values:
        return Histogram(width=1, buckets=())
    low, high = min(values), max(values)
    width = bucket_width(low, high, max_buckets)
    first = (low // width) * width
    count = high // width - low // width + 1
    old = collections.Counter()
    new = collections.Counter()
    for v, n in before.items():
        old[(v - first) // width] += n
    for v, n in after.items():
        new[(v - first) // width] += n
    return Histogram(width=width, buckets=tuple(
        Bucket(low=first + i * width, high=first + (i + 1) * width - 1, before=old[i], after=new[i])
        for i in range(count)))


# ------------------------------------------------------------------ schemas

def merge_schemas(a: DataSchema | None, b: DataSchema | None) -> tuple[DataSchema, list[str]]:
    """One schema that reads what both sides declare, and the names declared with two types."""
    if a is None or b is None:
        schema = a or b
        return schema if schema is not None else DataSchema(contact={}, events={}), []
    conflicts: list[str] = []
    contact: dict[str, TypeSpec] = dict(a.contact)
    for name, spec in b.contact.items():
        if name in contact and contact[name] != spec:
            conflicts.append(f"contact.{name}")
        contact.setdefault(name, spec)
    events: dict[str, dict[str, TypeSpec]] = {k: dict(v) for k, v in a.events.items()}
    for kind, attributes in b.events.items():
        merged = events.setdefault(kind, {})
        for name, spec in attributes.items():
            if name in merged and merged[name] != spec:
                conflicts.append(f"event {kind}.{name}")
            merged.setdefault(name, spec)
    company: dict[str, TypeSpec] | None = None
    if a.company is not None or b.company is not None:
        company = dict(a.company or {})
        for name, spec in (b.company or {}).items():
            if name in company and company[name] != spec:
                conflicts.append(f"company.{name}")
            company.setdefault(name, spec)
    return DataSchema(contact=contact, events=events, company=company), conflicts


# ------------------------------------------------------------------ comparing

@attrs.frozen
class _Pair:
    name: str
    old: CompiledModel | None
    new: CompiledModel | None

    @property
    def subject(self) -> str:
        return "company" if any(m.subject == "company" for m in (self.old, self.new) if m is not None) else "contact"


def pairs(old: RuleSet, new: RuleSet, models: Sequence[str] | None = None) -> list[_Pair]:
    """The models of both sides matched by name: the new file's order, then removed ones."""
    a = {} if old.program is None else old.program.models
    b = {} if new.program is None else new.program.models
    names = list(b) + [n for n in a if n not in b]
    # contact models that read company scores are not measured (the report lists their model
    # changes), nor a model that scores contacts on one side and companies on the other
    names = [n for n in names if not any(m.subject == "contact" and models_read(m.ir)
                                         for m in (a.get(n), b.get(n)) if m is not None)
             and len({m.subject for m in (a.get(n), b.get(n)) if m is not None}) == 1]
    return [_Pair(n, a.get(n), b.get(n)) for n in names if not models or n in models]


def compare(old: RuleSet, new: RuleSet, open_source: Callable[[DataSchema], object], as_of: dt.datetime, *,
            models: Sequence[str] | None = None, top: int = 10, on_error: str = "fail",
            progress: Callable[[str, int], None] | None = None) -> Impact:
    """Score every contact of the source with both sides; ``open_source(schema)`` opens it."""
    from scoredsl.data.records import to_micros

    matched = pairs(old, new, models)
    when = to_micros(as_of)
    summary = RunSummary()
    policy = ErrorPolicy(on_error, summary)
    accs = {p.name: _ModelAcc(p, top) for p in matched if p.subject == "contact"}
    companies = [p for p in matched if p.subject == "company"]
    # company models: each side's company stage takes every contact, then scores the companies
    stages = [_stage([getattr(p, side) for p in companies if getattr(p, side) is not None], open_source, when,
                     policy) if companies else None for side in ("old", "new")]
    stream, passes = _stream(old.schema, new.schema, open_source, policy, summary)
    seen = 0
    for contact_old, events_old, contact_new, events_new in stream:
        for acc in accs.values():
            acc.add(contact_old, events_old, contact_new, events_new, when)
        for stage, contact, events in ((stages[0], contact_old, events_old), (stages[1], contact_new, events_new)):
            if stage is not None:
                stage.add(contact, events)
        seen += 1
        if progress is not None and seen % 1000 == 0:
            progress("contacts scored", seen)
    if companies:
        accs.update(_company_impact(companies, stages, top, when))
    return Impact(as_of=from_epoch_micros(when), contacts=seen, events=summary.events,
                  skipped_rows=summary.skipped_rows, ignored_events=summary.ignored_events,
                  orphan_events=summary.orphan_events, passes=passes, top=top,
                  models=tuple(accs[p.name].result(when) for p in matched))


def _stage(models: list[CompiledModel], open_source, as_of: int, policy) -> CompanyStage | None:
    """One side's company stage for its company ``models`` (none: ``None``), with that side's
    companies read from the source."""
    if not models:
        return None
    program = models[0].program
    source = open_source(program.schema)
    try:
        companies = Companies.read(source, program.schema, policy)
    finally:
        source.close()
    return CompanyStage(models, contact_models_read(models, program), companies, as_of)


def _company_impact(pairs_: list[_Pair], stages, top: int, as_of: int) -> dict[str, "_ModelAcc"]:
    """The accumulators of the company model pairs, fed company by company (those both sides
    read; a company only one side has is not compared)."""
    accs = {p.name: _ModelAcc(p, top) for p in pairs_}
    sides = []
    for stage in stages:
        if stage is None:
            sides.append(({}, []))
            continue
        names = [m.name for m in stage.models]
        sides.append(({company["id"]: (records, per_type) for company, records, per_type
                       in stage.companies_with_events()}, names))
    (old_companies, old_names), (new_companies, new_names) = sides
    order = list(new_companies) + [c for c in old_companies if c not in new_companies]
    for company_id in order:
        old_side, new_side = old_companies.get(company_id), new_companies.get(company_id)
        if (old_side is None and old_names) or (new_side is None and new_names):
            continue
        for p in pairs_:
            a = (old_side[0][old_names.index(p.name)], old_side[1]) if p.old is not None else ({}, {})
            b = (new_side[0][new_names.index(p.name)], new_side[1]) if p.new is not None else ({}, {})
            accs[p.name].add(a[0], a[1], b[0], b[1], as_of)
    return accs


def _stream(old_schema, new_schema, open_source, policy, summary):
    """(contact, events) for the old and the new side of every contact, and the pass count."""
    merged, conflicts = merge_schemas(old_schema, new_schema)
    if not conflicts:
        layouts = [event_layouts(s) if s is not None else {} for s in (old_schema, new_schema)]
        return _one_pass(open_source, merged, layouts, policy, summary), 1
    return _two_passes(open_source, old_schema, new_schema, policy, summary), 2


def _one_pass(open_source, schema, layouts, policy, summary) -> Iterator[tuple]:
    same = layouts[0] == layouts[1]
    source = open_source(schema)
    try:
        grouped = _group_events(source, schema, layouts[:1] if same else layouts, policy, summary)
        empty: tuple = ({}, {})
        for contact in _contacts(source, schema, policy):
            per_layout = grouped.pop(contact["id"], empty)
            old_events = per_layout[0]
            new_events = per_layout[0] if same else per_layout[1]
            yield contact, old_events, contact, new_events
        summary.orphan_events = sum(len(v) for per in grouped.values() for v in per[0].values())
        summary.ignored_events += getattr(source, "ignored_events", 0)
    finally:
        source.close()


def _two_passes(open_source, old_schema, new_schema, policy, summary) -> Iterator[tuple]:
    scratch = RunSummary()
    olds: dict[str, tuple] = {}
    source = open_source(old_schema)
    try:
        grouped = _group_events(source, old_schema, [event_layouts(old_schema)], policy, scratch)
        for contact in _contacts(source, old_schema, policy):
            olds[contact["id"]] = (contact, grouped.pop(contact["id"], ({},))[0])
    finally:
        source.close()
    source = open_source(new_schema)
    try:
        grouped = _group_events(source, new_schema, [event_layouts(new_schema)], policy, summary)
        for contact in _contacts(source, new_schema, policy):
            previous = olds.pop(contact["id"], None)
            if previous is None:       # its row is bad under the old schema only: skipped there
                continue
            yield previous[0], previous[1], contact, grouped.pop(contact["id"], ({},))[0]
        summary.orphan_events = sum(len(v) for per in grouped.values() for v in per[0].values())
        summary.ignored_events += getattr(source, "ignored_events", 0)
    finally:
        source.close()


def _contacts(source, schema: DataSchema, policy) -> Iterator[dict]:
    """The source's contacts, each with its company's values when the schema declares companies."""
    companies = Companies.read(source, schema, policy)
    contacts = source.contacts(schema, policy)
    return contacts if companies is None else companies.attached(contacts)


def _group_events(source, schema, layouts, policy, summary) -> dict[str, tuple[dict, ...]]:
    grouped: dict[str, tuple[dict, ...]] = {}
    for event in source.events(schema, policy):
        per = grouped.get(event.contact_id)
        if per is None:
            per = grouped[event.contact_id] = tuple({} for _ in layouts)
        summary.events += 1
        for i, layout in enumerate(layouts):
            fields = layout.get(event.type)
            if fields is not None:
                per[i].setdefault(event.type, []).append(pack_event(event.timestamp, event.attrs, fields))
    for per in grouped.values():
        for by_type in per:
            for items in by_type.values():
                items.sort(key=_first)
    return grouped


def _first(item: tuple) -> int:
    return item[0]


def unpack_events(contact_id: str, packed: Mapping[str, list], schema: DataSchema) -> list[Event]:
    """The events of packed tuples again (to hand them to :meth:`CompiledModel.trace`)."""
    layouts = event_layouts(schema)
    events = []
    for kind, items in packed.items():
        layout = layouts[kind]
        for item in items:
            values = {}
            for (name, base), value in zip(layout, item[1:]):
                if value is not None and base == "datetime":
                    value = from_epoch_micros(value)
                elif value is not None and base == "date":
                    value = from_epoch_micros(value).date()
                values[name] = value
            events.append(Event(contact_id=contact_id, type=kind, timestamp=from_epoch_micros(item[0]),
                                attrs=values))
    return events


# ------------------------------------------------------------------ accumulating one model

def status_key(status: str, reason: str | None) -> str:
    return f"{status}: {reason}" if reason else status


def tier_key(row, tier: str) -> str:
    if row.status == "disqualified":
        return DISQUALIFIED
    if row.status == "out_of_scope":
        return OUT_OF_SCOPE
    label = row.tiers.get(tier)
    return NO_LABEL if label is None else label


class _ModelAcc:
    """The counts of one model pair, contact by contact; :meth:`result` turns them into a
    :class:`ModelImpact`. Mover candidates (the contact and its events on both sides) are
    kept in a pool trimmed to the best ``top`` whenever it reaches four times that, and only
    the final ones are traced."""

    def __init__(self, pair: _Pair, top: int):
        self.pair = pair
        self.top = top
        self.contacts = 0
        self.statuses: collections.Counter = collections.Counter()
        old_tiers = pair.old.tier_names if pair.old else ()
        new_tiers = pair.new.tier_names if pair.new else ()
        self.tiers = list(new_tiers) + [t for t in old_tiers if t not in new_tiers]
        self.common_tiers = [t for t in self.tiers if t in old_tiers and t in new_tiers]
        old_scores = pair.old.score_names if pair.old else ()
        new_scores = pair.new.score_names if pair.new else ()
        self.scores = list(new_scores) + [s for s in old_scores if s not in new_scores]
        self.common_scores = [s for s in self.scores if s in old_scores and s in new_scores]
        self.tier_counts = {t: collections.Counter() for t in self.tiers}
        self.before = {s: collections.Counter() for s in self.scores}
        self.after = {s: collections.Counter() for s in self.scores}
        self.deltas = {s: collections.Counter() for s in self.scores}
        self.largest: dict[str, tuple] = {}
        self.candidates: dict[str, list] = {s: [] for s in self.common_scores}
        self.tier_changed = 0

    def add(self, contact_old, events_old, contact_new, events_new, as_of: int) -> None:
        p = self.pair
        self.contacts += 1
        a = p.old.row(contact_old, p.old.evaluate_packed(contact_old, events_old, as_of)) if p.old else None
        b = p.new.row(contact_new, p.new.evaluate_packed(contact_new, events_new, as_of)) if p.new else None
        self.statuses[(status_key(a.status, a.reason) if a else None,
                       status_key(b.status, b.reason) if b else None)] += 1
        moved_tier = False
        for tier in self.tiers:
            x = tier_key(a, tier) if a is not None and tier in a.tiers else None
            y = tier_key(b, tier) if b is not None and tier in b.tiers else None
            self.tier_counts[tier][(x, y)] += 1
            moved_tier |= x is not None and y is not None and x != y
        self.tier_changed += moved_tier
        for score in self.scores:
            x = a.scores.get(score) if a is not None and a.status == "scored" else None
            y = b.scores.get(score) if b is not None and b.status == "scored" else None
            if x is not None:
                self.before[score][x] += 1
            if y is not None:
                self.after[score][y] += 1
            if x is None or y is None or score not in self.candidates:
                continue
            delta = y - x
            self.deltas[score][delta] += 1
            if delta == 0:
                continue
            key = (-abs(delta), contact_new["id"])
            best = self.largest.get(score)
            if best is None or key < best[0]:
                self.largest[score] = (key, x, y)
            if self.top > 0:
                pool = self.candidates[score]
                pool.append((key, contact_old, events_old, contact_new, events_new, a, b))
                if len(pool) >= 4 * self.top:
                    pool.sort(key=_key)
                    del pool[self.top:]

    def result(self, as_of: int) -> ModelImpact:
        p = self.pair
        sides = "both" if p.old and p.new else ("old" if p.old else "new")
        statuses = _transitions("status", self.statuses, _status_labels(self.statuses), sides)
        tiers = []
        for tier in self.tiers:
            order = []
            if p.new and tier in p.new.tier_names:
                order += _entry_labels(p.new, tier)
            if p.old and tier in p.old.tier_names:
                order += _entry_labels(p.old, tier)
            order += [NO_LABEL, DISQUALIFIED, OUT_OF_SCOPE]
            tier_sides = "both" if tier in self.common_tiers else \
                ("old" if p.old and tier in p.old.tier_names else "new")
            tiers.append(_transitions(tier, self.tier_counts[tier], list(dict.fromkeys(order)), tier_sides))
        scores = []
        for score in self.scores:
            in_old = bool(p.old) and score in p.old.score_names
            in_new = bool(p.new) and score in p.new.score_names
            largest = self.largest.get(score)
            movers = ()
            if score in self.candidates:
                pool = sorted(self.candidates[score], key=_key)[:self.top]
                movers = tuple(self._mover(score, entry, as_of) for entry in pool)
            scores.append(ScoreImpact(
                name=score, sides="both" if in_old and in_new else ("old" if in_old else "new"),
                before=dict(sorted(self.before[score].items())), after=dict(sorted(self.after[score].items())),
                deltas=dict(sorted(self.deltas[score].items())),
                largest=None if largest is None else (-largest[0][0], largest[0][1], largest[1], largest[2]),
                movers=movers))
        return ModelImpact(name=p.name, old_version=p.old.version if p.old else None,
                           new_version=p.new.version if p.new else None, contacts=self.contacts,
                           statuses=statuses, tiers=tuple(tiers), scores=tuple(scores),
                           tier_changed=self.tier_changed, subject=p.subject)

    def _mover(self, score: str, entry, as_of: int) -> Mover:
        _key_, contact_old, events_old, contact_new, events_new, a, b = entry
        old_model, new_model = self.pair.old, self.pair.new
        cid = contact_new["id"]
        old_trace = old_model.trace_packed(contact_old, events_old, as_of)[4]
        new_trace = new_model.trace_packed(contact_new, events_new, as_of)[4]
        old_rules = rule_scores(old_model.ir).get(score, [])
        new_rules = rule_scores(new_model.ir).get(score, [])
        names = list(dict.fromkeys(old_rules + new_rules))
        deltas = []
        for name in names:
            x = old_trace["rules"][name][0] if name in old_rules else 0
            y = new_trace["rules"][name][0] if name in new_rules else 0
            if x != y:
                deltas.append(RuleDelta(name=name, before=_clean(x), after=_clean(y)))
        deltas.sort(key=lambda r: (-abs(r.delta), r.name))
        sum_old = sum(old_trace["rules"][n][0] for n in old_rules)
        sum_new = sum(new_trace["rules"][n][0] for n in new_rules)
        so, sn = old_trace["scores"][score], new_trace["scores"][score]
        caps = (sn["raw"] - sum_new) - (so["raw"] - sum_old)
        decay = (sn["final"] - sn["raw"]) - (so["final"] - so["raw"])
        tiers = tuple((t, tier_key(a, t), tier_key(b, t)) for t in self.common_tiers
                      if tier_key(a, t) != tier_key(b, t))
        return Mover(contact_id=cid, score=score, before=a.scores[score], after=b.scores[score],
                     rules=tuple(deltas), caps=_clean(caps), decay=_clean(decay), tiers=tiers)


def _key(entry) -> tuple:
    return entry[0]


def _clean(value) -> int | float:
    """Points as shown: an integer when whole, else rounded to two decimals."""
    if isinstance(value, float):
        value = round(value, 2)
        if value.is_integer():
            return int(value)
        return value
    return value


def _entry_labels(model: CompiledModel, tier: str) -> list[str]:
    return [e.label for t in model.ir.tiers if t.name == tier for e in t.entries]


def _status_labels(counts) -> list[str]:
    seen = {k for pair in counts for k in pair if k is not None}
    return sorted(seen, key=lambda k: (STATUS_ORDER.index(k.split(":")[0]), k))


def _transitions(name, counts, labels, sides) -> Transitions:
    before: collections.Counter = collections.Counter()
    after: collections.Counter = collections.Counter()
    both = {}
    for (a, b), n in counts.items():
        if a is not None:
            before[a] += n
        if b is not None:
            after[b] += n
        if a is not None and b is not None:
            both[(a, b)] = n
    used = [label for label in labels if before.get(label) or after.get(label)
            or label not in (NO_LABEL, DISQUALIFIED, OUT_OF_SCOPE)]
    return Transitions(name=name, labels=tuple(used), counts=dict(sorted(both.items(), key=lambda kv: (
        used.index(kv[0][0]), used.index(kv[0][1])))), before={k: before[k] for k in used if before[k]},
                       after={k: after[k] for k in used if after[k]}, sides=sides)


# ------------------------------------------------------------------ --fail-on guards

class GuardError(ValueError):
    """A ``--fail-on`` expression that does not parse or names nothing."""


_GUARD = re.compile(r"\s*(?:(?P<model>[A-Za-z_]\w*)\s*\.\s*)?(?P<name>[A-Za-z_]\w*)-change\s*"
                    r"(?P<op>>=|>)\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<percent>%)?\s*")
GUARD_FORM = "[MODEL.]METRIC-change (>|>=) NUMBER[%]"


@attrs.frozen(kw_only=True)
class Guard:
    text: str
    model: str | None
    name: str               # "tier", "status", "score", or a tier or score name
    op: str
    amount: Fraction
    percent: bool

    def exceeds(self, value: Fraction) -> bool:
        return value > self.amount if self.op == ">" else value >= self.amount


@attrs.frozen(kw_only=True)
class GuardResult:
    guard: Guard
    tripped: bool
    details: tuple[str, ...]

    def to_json(self) -> dict:
        return {"guard": self.guard.text, "tripped": self.tripped, "details": list(self.details)}


def parse_guard(text: str) -> Guard:
    match = _GUARD.fullmatch(text)
    if match is None:
        raise GuardError(f"'{text}' is not a guard; write {GUARD_FORM}, e.g. tier-change>5%, "
                         "lifecycle-change>2%, score-change>10, status-change>0")
    return Guard(text=text.strip(), model=match["model"], name=match["name"], op=match["op"],
                 amount=Fraction(match["amount"]), percent=match["percent"] is not None)


def validate_guards(guards: Sequence[Guard], old: RuleSet, new: RuleSet,
                    models: Sequence[str] | None = None) -> None:
    """:class:`GuardError` for a guard that names no model, tier or score that both sides have.

    When no model is on both sides (a new file), no guard applies, so none is an error."""
    matched = [p for p in pairs(old, new, models) if p.old and p.new]
    if not matched:
        return
    for guard in guards:
        candidates = matched
        if guard.model is not None:
            candidates = [p for p in matched if p.name == guard.model]
            if not candidates:
                raise GuardError(f"--fail-on '{guard.text}': no model '{guard.model}' on both sides "
                                 f"(compared: {', '.join(p.name for p in matched) or 'none'})")
        if guard.name in ("tier", "status"):
            continue
        kinds = {_metric_kind(p, guard.name) for p in candidates} - {None}
        if guard.name == "score":
            kinds = {"score"}
        if not kinds:
            raise GuardError(f"--fail-on '{guard.text}': '{guard.name}' is not a tier or score of "
                             f"{'model ' + guard.model if guard.model else 'any model'} on both sides")
        if guard.percent and "score" in kinds:
            raise GuardError(f"--fail-on '{guard.text}': a score change is measured in points; "
                             f"write {guard.name}-change>N without %")


def _metric_kind(pair: _Pair, name: str) -> str | None:
    if name in pair.old.tier_names and name in pair.new.tier_names:
        return "tier"
    if name in pair.old.score_names and name in pair.new.score_names:
        return "score"
    return None


def check_guards(guards: Sequence[Guard], impact: Impact) -> list[GuardResult]:
    results = []
    for guard in guards:
        tripped, details = False, []
        for m in impact.models:
            if m.sides != "both" or (guard.model is not None and m.name != guard.model):
                continue
            outcome = _check(guard, m)
            if outcome is None:
                continue
            hit, detail = outcome
            tripped |= hit
            details.append(f"{m.name}: {detail}")
        results.append(GuardResult(guard=guard, tripped=tripped, details=tuple(details)))
    return results


def _check(guard: Guard, m: ModelImpact):
    if guard.name == "status":
        return _count_check(guard, m.statuses.changed, m.contacts, "change status")
    if guard.name == "tier":
        return _count_check(guard, m.tier_changed, m.contacts, "change at least one tier")
    scores = [s for s in m.scores if s.sides == "both"]
    if guard.name != "score":
        tier = m.tier(guard.name)
        if tier is not None and tier.sides == "both":
            return _count_check(guard, tier.changed, m.contacts, f"change {guard.name}")
        scores = [s for s in scores if s.name == guard.name]
        if not scores:
            return None
    found = [(s.largest, s.name) for s in scores if s.largest is not None]
    if not found:
        return guard.exceeds(Fraction(0)), "no contact's score changes"
    (size, contact, before, after), name = min(found, key=lambda f: (-f[0][0], f[0][1]))   # ties: by contact
    points = f"{size} point{'s' if size != 1 else ''}"
    return guard.exceeds(Fraction(size)), f"largest change {points} (contact {contact}, {name} {before} -> {after})"


def _count_check(guard: Guard, count: int, total: int, what: str):
    share = Fraction(count * 100, total) if total else Fraction(0)
    value = share if guard.percent else Fraction(count)
    return guard.exceeds(value), f"{count} of {total} contacts ({percent(count, total)}) {what}"


def percent(count: int, total: int) -> str:
    if not total:
        return "0.0%"
    return f"{math.floor(count * 1000 / total + 0.5) / 10:.1f}%"


__all__ = ["compare", "Impact", "ModelImpact", "ScoreImpact", "Transitions", "Mover", "RuleDelta", "Stats",
           "Histogram", "Bucket", "histogram", "bucket_width", "merge_schemas", "pairs", "unpack_events",
           "Guard", "GuardResult", "GuardError", "parse_guard", "validate_guards", "check_guards", "percent",
           "DISQUALIFIED", "OUT_OF_SCOPE", "NO_LABEL"]
