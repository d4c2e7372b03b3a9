"""A plain tree-walking interpreter of docs/language.md: the oracle for the compiled engine.

It reads the typed syntax tree of :mod:`scoredsl.syntax.nodes` directly and follows the language
reference section by section, favouring clarity over speed. It deliberately shares no code with
the checker, the intermediate form, the code generator or the engine, so that a bug there
cannot hide here.

It assumes a *valid* unit (one the checker accepts). When it meets something the reference
says is invalid, it raises :class:`SpecError` rather than guessing.

Values while evaluating:

==========================  ==============================================================
``None``                    missing (for a value) or *unknown* (for a condition)
``bool``, ``int``, ``float`` booleans and numbers
``str``                     text (never empty or white space only: that is missing)
``tuple[str, ...]``         ``list[text]`` values (never empty: that is missing), list literals
                            and list constants
:class:`Instant`            a date (midnight UTC) or a datetime, as epoch microseconds
:class:`Elapsed`            a duration, in microseconds
==========================  ==============================================================

Every time and duration is an exact integer number of microseconds; floating point appears
only in ``number`` values and in event-age (half-life) decay.

Where docs/language.md is silent, this interpreter reads it as follows (each is a question for
the spec's author, not a settled rule):

* an empty ``list[text]`` value is missing, like the empty CSV cell it comes from; blank
  elements of a non-empty list are kept;
* events of a type the schema does not declare are ignored (also by inactivity decay without
  an ``activity`` list);
* event-age decay of one event is ``points * 10**6 * 0.5 ** (age_us / half_life_us)`` (the
  exponent one correctly rounded division of exact integers) rounded half up to an integer
  number of millionths of a point; from there on every value is an exact fraction;
* ``once`` bounds the *decayed* sum by ``|POINTS|`` (so two half-decayed events make one full
  award), as "once is exactly max |POINTS|" and "max and once bound the decayed sum" say;
* an aggregate inside a ``where`` sees its own event's attributes, not the enclosing event's;
* a score name that is also a constant or a property is an error (:class:`SpecError`);
* ``out_of_scope`` has no reason (``None``);
* a membership list holding a missing item is SQL-like: true if some item matches, else unknown;
* ``distinct`` values of a date or datetime attribute compare as instants; numbers by value.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
import os
import pathlib
from fractions import Fraction
from typing import Any, Iterable, Mapping

import attrs
import re2

from scoredsl.data.records import Event, epoch_micros
from scoredsl.syntax import nodes
from scoredsl.syntax.parser import parse

MICROS_PER_SECOND = 1_000_000

Status = str        # "scored" | "out_of_scope" | "disqualified"
Result = tuple[Status, "str | None", "dict[str, int] | None", "dict[str, str | None] | None"]


class SpecError(Exception):
    """The rule file or the data is not valid per docs/language.md (the checker rejects it)."""


class LoadError(Exception):
    """A rule file that does not parse, or an include that cannot be followed."""


@attrs.frozen(order=True)
class Instant:
    """A point in time: a datetime, or a date taken as its midnight UTC."""
    micros: int


@attrs.frozen(order=True)
class Elapsed:
    """A duration."""
    micros: int


# ====================================================================== loading

def load(paths_or_texts: "str | os.PathLike | Iterable[str | os.PathLike]", *,
         root: "str | os.PathLike | None" = None) -> list[nodes.RuleFile]:
    """Parse rule files and, transitively, the files they include.

    Each item is either a path (``pathlib.Path`` or any ``os.PathLike``: the file is read) or a
    ``str`` holding rule-file *text*. Includes are relative to the including file; those of a
    text are relative to ``root`` (default: the current directory). Each file is parsed once,
    however often it is included. Raises :class:`LoadError` on a diagnostic or a bad include.
    """
    if isinstance(paths_or_texts, (str, os.PathLike)):
        paths_or_texts = [paths_or_texts]
    base = pathlib.Path(root if root is not None else os.getcwd()).resolve()
    files: list[nodes.RuleFile] = []
    seen: set[pathlib.Path] = set()

    def visit(text: str, name: str, directory: pathlib.Path, chain: tuple[pathlib.Path, ...]) -> None:
        tree, diagnostics = parse(text, name)
        if diagnostics or tree is None:
            raise LoadError("\n".join(f"{d.span}: {d.message}" for d in diagnostics))
        files.append(tree)
        for include in tree.includes:
            if os.path.isabs(include.path) or not include.path.endswith(".score"):
                raise LoadError(f"{include.span}: bad include path {include.path!r}")
            path = (directory / include.path).resolve()
            if path in chain:
                raise LoadError(f"{include.span}: include cycle through {path}")
            if path not in seen:
                seen.add(path)
                visit(path.read_text("utf-8"), str(path), path.parent, chain + (path,))

    for index, item in enumerate(paths_or_texts):
        if isinstance(item, os.PathLike):
            path = pathlib.Path(item).resolve()
            if path not in seen:
                seen.add(path)
                visit(path.read_text("utf-8"), str(path), path.parent, (path,))
        else:
            visit(item, f"<text {index}>", base, ())
    return files


# ====================================================================== the compiled unit

@attrs.frozen(kw_only=True)
class Unit:
    """What a set of files declares, merged: properties, events, constants and models."""
    properties: Mapping[str, nodes.TypeRef]        # includes the implicit "id"
    events: Mapping[str, Mapping[str, nodes.TypeRef]]
    constants: Mapping[str, Any]                   # evaluated let values
    models: Mapping[str, nodes.Model]
    company: Mapping[str, nodes.TypeRef] | None = None   # the company block's properties, if any

    @classmethod
    def of(cls, files: Iterable[nodes.RuleFile]) -> "Unit":
        files = list(files)
        properties: dict[str, nodes.TypeRef] = {"id": nodes.TypeRef(name="text")}
        events: dict[str, dict[str, nodes.TypeRef]] = {}
        lets: dict[str, nodes.Let] = {}
        models: dict[str, nodes.Model] = {}
        company = None
        for file in files:
            for schema in file.schemas:
                for contact in schema.contacts:
                    for field in contact.fields:
                        _declare(properties, field.name.name, field.type, "contact property")
                for event in schema.events:
                    _declare(events, event.name.name, {f.name.name: f.type for f in event.fields}, "event")
                for block in schema.companies:
                    if company is not None:
                        raise SpecError("the schema declares 'company' more than once")
                    company = {f.name.name: f.type for f in block.fields}
            for let in file.lets:
                if let.name.name in properties:
                    raise SpecError(f"constant {let.name.name!r} has the name of a contact property")
                _declare(lets, let.name.name, let, "constant")
            for model in file.models:
                _declare(models, model.name.name, model, "model")
        constants: dict[str, Any] = {}
        for name in lets:
            _constant(name, lets, constants, ())
        if company is not None:
            # "Companies": a contact's company is named by its company_id, a text property
            properties.setdefault("company_id", nodes.TypeRef(name="text"))
        return cls(properties=properties, events=events, constants=constants, models=models, company=company)


def _declare(table: dict, name: str, value: Any, what: str) -> None:
    if name in table:
        raise SpecError(f"duplicate {what} {name!r}")
    table[name] = value


def _constant(name: str, lets: Mapping[str, nodes.Let], done: dict, chain: tuple[str, ...]) -> Any:
    """The value of ``let name = ...``: a literal, or a list of them (constants may name constants)."""
    if name in done:
        return done[name]
    if name in chain:
        raise SpecError(f"constant {name!r} is defined in terms of itself")

    def literal(expr: nodes.Expr) -> Any:
        if isinstance(expr, nodes.Name):
            if expr.name not in lets:
                raise SpecError(f"constant {name!r} refers to {expr.name!r}, which is not a constant")
            return _constant(expr.name, lets, done, chain + (name,))
        if isinstance(expr, nodes.ListLit):
            return tuple(literal(item) for item in expr.items)
        if isinstance(expr, nodes.Neg):
            return -literal(expr.operand)
        if isinstance(expr, nodes.Paren):
            return literal(expr.inner)
        return literal_value(expr)

    done[name] = literal(lets[name].value)
    return done[name]


def literal_value(expr: nodes.Expr) -> Any:
    """The value of a literal node."""
    if isinstance(expr, nodes.Number):
        return expr.value
    if isinstance(expr, nodes.Text):
        return expr.value
    if isinstance(expr, nodes.Bool):
        return expr.value
    if isinstance(expr, nodes.Duration):
        return Elapsed(expr.seconds * MICROS_PER_SECOND)
    if isinstance(expr, nodes.DateLit):
        return Instant(epoch_micros(dt.date.fromisoformat(expr.text)))
    if isinstance(expr, nodes.DateTimeLit):
        value = dt.datetime.fromisoformat(expr.text.replace("Z", "+00:00"))
        return Instant(epoch_micros(value))   # no offset: UTC (epoch_micros treats naive as UTC)
    if isinstance(expr, nodes.ListLit):
        return tuple(literal_value(item) for item in expr.items)
    raise SpecError(f"not a literal: {type(expr).__name__}")


def data_value(value: Any) -> Any:
    """A contact property or event attribute as the interpreter sees it (see the module doc)."""
    if value is None:
        return None
    if isinstance(value, str):
        return None if value.strip() == "" else value     # empty or white space only: missing
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return Instant(epoch_micros(value))               # a date is its midnight UTC
    if isinstance(value, (tuple, list)):
        # An empty list is missing, like the empty CSV cell it comes from (the spec names empty
        # cells, not JSON []; treating both alike keeps CSV and JSON sources in agreement).
        # Elements are kept as they are, blank ones included.
        return tuple(value) or None
    raise SpecError(f"unexpected data value {value!r}")


# ====================================================================== evaluation

def evaluate(files: list[nodes.RuleFile], model: str, contact: Mapping[str, Any], events: list[Event],
             as_of: dt.datetime, previous: Mapping[str, Any] | None = None,
             companies: Mapping[str, Mapping[str, Any]] | None = None,
             company_results: Mapping[str, Result] | None = None) -> Result:
    """``(status, reason, scores, tiers)`` of one contact under one model (see "Models").

    ``events`` are the contact's events, in any order. For ``out_of_scope`` and
    ``disqualified`` the scores and tiers are ``None``. ``previous`` holds the previous run's
    scores and tier labels of this contact and model by name (see "State" in the reference);
    a name it lacks, or ``None``, is missing. ``companies`` are the source's companies by id
    (each a record with its properties); the contact's is the one its ``company_id`` names.
    ``company_results`` are its company's results in the company models, by model (see
    "Company models": a contact model reads them as ``MODEL.NAME``).
    """
    unit = Unit.of(files)
    if model not in unit.models:
        raise SpecError(f"no model {model!r}")
    company = None
    if unit.company is not None:
        # "Companies": ids match after surrounding white space is stripped; no such company,
        # or no company id, and every company.NAME is missing
        named = data_value(contact.get("company_id"))
        company = (companies or {}).get(named.strip()) if named is not None else None
    if company is None:
        company_results = None
    return Interpreter(unit, contact, events, as_of, previous, company,
                       company_results=company_results or {}).model(unit.models[model])


def evaluate_company(files: list[nodes.RuleFile], model: str, company_id: str,
                     companies: Mapping[str, Mapping[str, Any]], contacts: Iterable[Mapping[str, Any]],
                     events: Mapping[str, list[Event]], as_of: dt.datetime) -> Result:
    """``(status, reason, scores, tiers)`` of one company under a company model (see "Company
    models"). ``companies`` are every company by id, ``contacts`` every contact of the source
    and ``events`` each contact's events by contact id. The company's contacts are those whose
    ``company_id``, stripped, is ``company_id``; its events are all of theirs."""
    unit = Unit.of(files)
    found = unit.models.get(model)
    if found is None or found.subject is None or found.subject.name != "company":
        raise SpecError(f"no company model {model!r}")
    members = []
    for contact in contacts:
        named = data_value(contact.get("company_id"))
        if named is None or named.strip() != company_id:
            continue
        outputs: dict[str, Any] = {}
        for other in unit.models.values():          # "MODEL.NAME": the contact's scores and tiers
            if other.subject is not None and other.subject.name == "company":
                continue
            _status, _reason, scores, tiers = evaluate(files, other.name.name, contact,
                                                       events.get(contact["id"], []), as_of, companies=companies)
            for score in other.scores:
                outputs[f"{other.name.name}.{score.name.name}"] = None if scores is None else scores[score.name.name]
            for tier in other.tiers:
                outputs[f"{other.name.name}.{tier.name.name}"] = None if tiers is None else tiers[tier.name.name]
        members.append(ContactInterpreter(unit, contact, (), as_of, company=companies[company_id], outputs=outputs))
    own = [e for c in members for e in events.get(c.contact["id"], [])]
    return CompanyInterpreter(unit, companies[company_id], members, own, as_of).model(found)


@attrs.frozen
class Scope:
    """Extra names visible to an expression: a ``where`` filter's event, or a tier's scores."""
    event: Event | None = None
    scores: Mapping[str, int] | None = None


NO_SCOPE = Scope()

_ORDER = {
    nodes.CmpOp.EQ: operator.eq, nodes.CmpOp.NE: operator.ne,
    nodes.CmpOp.LT: operator.lt, nodes.CmpOp.LE: operator.le,
    nodes.CmpOp.GT: operator.gt, nodes.CmpOp.GE: operator.ge,
}


class Interpreter:
    """Evaluates one contact: its properties, its events (those up to ``as_of``) and ``as_of``."""

    def __init__(self, unit: Unit, contact: Mapping[str, Any], events: Iterable[Event], as_of: dt.datetime,
                 previous: Mapping[str, Any] | None = None, company: Mapping[str, Any] | None = None,
                 company_results: Mapping[str, Result] | None = None):
        self.unit = unit
        self.company_results = company_results or {}
        self.contact = contact
        self.company = company
        self.previous = previous or {}
        self.outputs: set[str] = set()
        self.as_of = epoch_micros(as_of)
        # "Events with a timestamp after as_of are ignored by every aggregate, rule and decay."
        # Events of a type the schema does not declare are not data the model reads.
        # Sorted by timestamp (stably) because event-age decay sums in timestamp order.
        kept = [e for e in events if e.type in unit.events and epoch_micros(e.timestamp) <= self.as_of]
        self.events = sorted(kept, key=lambda e: epoch_micros(e.timestamp))

    # ------------------------------------------------------------------ models
    def model(self, model: nodes.Model) -> Result:
        self.outputs = {s.name.name for s in model.scores} | {t.name.name for t in model.tiers}
        if len(model.scopes) > 1:
            raise SpecError("a model has at most one scope")
        for scope in model.scopes:
            if self.condition(scope.condition) is not True:
                return "out_of_scope", None, None, None
        for disqualifier in model.disqualifiers:          # file order; the first true one wins
            if self.condition(disqualifier.condition) is True:
                return "disqualified", disqualifier.name.name, None, None
        scores = {score.name.name: self.score(score) for score in model.scores}
        clash = set(scores) & (set(self.unit.constants) | set(self.unit.properties))
        if clash:
            raise SpecError(f"score names that are also constants or properties: {sorted(clash)}")
        tiers = {tier.name.name: self.tier(tier, Scope(scores=scores)) for tier in model.tiers}
        return "scored", None, scores, tiers

    # ------------------------------------------------------------------ scores
    def score(self, score: nodes.Score) -> int:
        """"Order of evaluation of one score": rules, groups, the score's max, inactivity, rounding."""
        half_life = None
        inactivity = None
        for decay in score.decays:
            if isinstance(decay, nodes.HalfLifeDecay):
                if half_life is not None:
                    raise SpecError("a score has at most one half-life decay")
                half_life = decay.half_life.seconds * MICROS_PER_SECOND
            else:
                if inactivity is not None:
                    raise SpecError("a score has at most one inactivity decay")
                inactivity = decay

        contributions = []
        weighted = any(isinstance(item, nodes.Group) and item.share is not None for item in score.contributions)
        for item in score.contributions:
            if weighted:
                # "Weighted scores": share * min(max(points, 0), max) / max, rounded half up to
                # millionths; every rule is in such a group
                if not isinstance(item, nodes.Group) or item.share is None or item.cap is None or item.cap.percent:
                    raise SpecError("every rule of a weighted score is in a group with a share and a max")
                points = sum(Fraction(self.rule(rule, half_life)) for rule in item.rules)
                bounded = min(max(points, 0), item.cap.amount)
                millionths = math.floor(item.share.percent * bounded * 1_000_000 / item.cap.amount + Fraction(1, 2))
                contributions.append(Fraction(millionths, 1_000_000))
            elif isinstance(item, nodes.Group):
                results = [self.rule(rule, half_life) for rule in item.rules]
                contributions.append(capped(self.cap(item.cap, score), results))
            else:
                contributions.append(self.rule(item, half_life))
        if weighted and score.max is not None:
            raise SpecError("a weighted score takes no max")
        value = capped(score.max, contributions)

        if inactivity is not None and value > 0:
            percent = self.inactivity_percent(inactivity)
            if percent is not None:
                value = value * percent / 100
        value = math.floor(value + Fraction(1, 2))
        # "min N": the final score is never below N
        if score.floor is not None:
            value = max(value, int(score.floor.text))
        return value

    @staticmethod
    def cap(cap: nodes.Cap | None, score: nodes.Score) -> int | None:
        if cap is None:
            return None
        if not cap.percent:
            return cap.amount
        if score.max is None:
            raise SpecError("a percentage cap needs the score to declare max N")
        return math.floor(score.max * cap.amount / 100)

    def inactivity_percent(self, decay: nodes.InactivityDecay) -> int | None:
        """The percentage of the last step whose duration is reached, or None below the first."""
        if not decay.steps:
            raise SpecError("an inactivity decay needs at least one step")
        kinds = None if decay.activity is None else {ident.name for ident in decay.activity}
        activity = [e for e in self.events if kinds is None or e.type in kinds]
        if not activity:
            return decay.steps[-1].percent          # no activity at all: maximally inactive
        inactive_for = self.as_of - max(epoch_micros(e.timestamp) for e in activity)
        percent = None
        for step in decay.steps:
            if inactive_for >= step.after.seconds * MICROS_PER_SECOND:
                percent = step.percent
        return percent

    # ------------------------------------------------------------------ rules
    def rule(self, rule: nodes.Rule, half_life: int | None) -> int | float:
        body = rule.body
        if isinstance(body, nodes.When):
            if isinstance(body.points, nodes.PointsFrom):
                # "=> + PROPERTY in LOW..HIGH": the int property's value, bounded, signed; nothing
                # when the property is missing
                p = body.points
                value = data_value(self.contact.get(p.name.name))
                if value is None or self.condition(body.condition) is not True:
                    return 0
                bounded = min(max(value, int(p.low.text)), int(p.high.text))
                return -bounded if p.negative else bounded
            self.plain_points(body.points)
            return body.points.amount if self.condition(body.condition) is True else 0
        if isinstance(body, nodes.Bands):
            return self.bands(body)
        return self.each(body, half_life)

    @staticmethod
    def plain_points(points: nodes.Points) -> None:
        if points.once or points.max is not None:
            raise SpecError("'once' and 'max' apply only to 'each' rules")

    def bands(self, rule: nodes.Bands) -> int:
        """The points of the first band containing the value; 0 if none does or it is missing."""
        subject = self.value(rule.subject)
        if subject is None:
            return 0
        for band in rule.bands:
            self.plain_points(band.points)
            if self.band_contains(band.test, subject, rule.case_sensitive):
                return band.points.amount
        return 0

    def band_contains(self, test: nodes.BandTest, subject: Any, case_sensitive: bool = False) -> bool:
        """Whether the subject (a number, a duration or a text) is in the band.

        Bounds are numbers, durations or constants naming either; ``A..B`` includes both
        ends, ``A..<B`` excludes B.
        """
        if isinstance(test, nodes.BandOtherwise):
            return True
        if isinstance(test, nodes.BandCompare):
            return compare(test.op, subject, self.value(test.value), case_sensitive=True) is True
        if isinstance(test, nodes.BandRange):
            below_high = nodes.CmpOp.LT if test.high_exclusive else nodes.CmpOp.LE
            return (compare(nodes.CmpOp.LE, self.value(test.low), subject, case_sensitive=True) is True
                    and compare(below_high, subject, self.value(test.high), case_sensitive=True) is True)
        band = self.value(test.value)                 # a number, a text, a list, or a constant
        if isinstance(band, tuple):                   # a list: membership
            return membership(subject, band, case_sensitive=case_sensitive) is True
        return compare(nodes.CmpOp.EQ, subject, band, case_sensitive=case_sensitive) is True

    def each(self, rule: nodes.Each, half_life: int | None) -> int | float:
        """POINTS per matching event (decayed by age if positive), then bounded by max/once."""
        matching = self.select(rule.event.name, rule.where, rule.within)
        if rule.distinct is not None:
            matching = self.first_of_each(rule.event.name, matching, rule.distinct)
        points = rule.points.amount
        if half_life is not None and points > 0:
            total = Fraction(0)
            for event in matching:                    # each rounded to a millionth: exact sums
                age = self.as_of - epoch_micros(event.timestamp)
                total += Fraction(math.floor(points * 1_000_000 * 0.5 ** (age / half_life) + 0.5),
                                  1_000_000)
        else:
            total = points * len(matching)
        limit = abs(points) if rule.points.once else rule.points.max
        if limit is not None:
            if limit <= 0:
                raise SpecError("max must be positive")
            total = min(limit, total) if points > 0 else max(-limit, total)
        return total

    # ------------------------------------------------------------------ tiers
    def tier(self, tier: nodes.Tier, scope: Scope) -> str | None:
        """The label of the first entry whose test is true, or None; a monotonic tier keeps the
        previous label when that ranks higher (comes earlier), unless ``unless`` is true."""
        label = self.first_entry(tier, scope)
        if tier.monotonic is None:
            return label
        labels = [e.label.name for e in tier.entries]
        before = self.previous.get(tier.name.name)
        if before not in labels:
            return label
        if tier.monotonic.unless is not None and self.condition(tier.monotonic.unless, scope) is True:
            return label
        if label is None or labels.index(before) < labels.index(label):
            return before
        return label

    def first_entry(self, tier: nodes.Tier, scope: Scope) -> str | None:
        subject = None if tier.by is None else self.value(tier.by, scope)
        for entry in tier.entries:
            test = entry.test
            if isinstance(test, nodes.Otherwise):
                return entry.label.name
            if isinstance(test, nodes.Threshold):
                if tier.by is None:
                    raise SpecError("a threshold entry needs 'tier NAME by EXPRESSION'")
                holds = compare(test.op, subject, self.value(test.value, scope), case_sensitive=True)
            else:
                if tier.by is not None:
                    raise SpecError("the entries of a 'by' tier are thresholds")
                holds = self.condition(test, scope)
            if holds is True:
                return entry.label.name
        return None

    # ------------------------------------------------------------------ events
    def select(self, event: str, where: nodes.Expr | None, within: nodes.Duration | None) -> list[Event]:
        """This contact's events of one kind, in timestamp order, kept by ``within`` and ``where``.

        ``within D`` keeps ``as_of - D <= timestamp <= as_of`` (events after as_of are gone
        already); ``where C`` keeps an event only when C is *true* for it.
        """
        if event not in self.unit.events:
            raise SpecError(f"unknown event {event!r}")
        start = None if within is None else self.as_of - within.seconds * MICROS_PER_SECOND
        kept = []
        for e in self.events:
            if e.type != event:
                continue
            if start is not None and epoch_micros(e.timestamp) < start:
                continue
            if where is not None and self.condition(where, Scope(event=e)) is not True:
                continue
            kept.append(e)
        return kept

    def first_of_each(self, event: str, matching: list[Event], distinct: nodes.Distinct) -> list[Event]:
        """"Distinct counts": the first (earliest) of the events with each present value of the
        attribute; texts compare after simple lower-casing unless ``case_sensitive``."""
        name = distinct.attr.name
        if name not in self.unit.events[event]:
            raise SpecError(f"event {event!r} has no attribute {name!r}")
        firsts: dict = {}
        for e in sorted(matching, key=lambda e: epoch_micros(e.timestamp)):
            value = data_value(e.attrs.get(name))
            if value is None:
                continue
            if isinstance(value, tuple):
                raise SpecError("'distinct' takes a single-valued attribute")
            if isinstance(value, str) and not distinct.case_sensitive:
                value = simple_lower(value)
            firsts.setdefault(value, e)
        return list(firsts.values())

    # ------------------------------------------------------------------ expressions
    def condition(self, expr: nodes.Expr, scope: Scope = NO_SCOPE) -> bool | None:
        """True, False, or None for *unknown*."""
        value = self.value(expr, scope)
        if value is not None and not isinstance(value, bool):
            raise SpecError(f"a condition is a bool, not {value!r}")
        return value

    def value(self, expr: nodes.Expr, scope: Scope = NO_SCOPE) -> Any:
        method = getattr(self, "eval_" + type(expr).__name__, None)
        if method is None:
            return literal_value(expr)
        return method(expr, scope)

    def eval_Paren(self, expr: nodes.Paren, scope: Scope) -> Any:
        return self.value(expr.inner, scope)

    def eval_ListLit(self, expr: nodes.ListLit, scope: Scope) -> tuple:
        return tuple(self.value(item, scope) for item in expr.items)

    def eval_Name(self, expr: nodes.Name, scope: Scope) -> Any:
        """Event attributes (in ``where``), then contact properties, then constants, then scores."""
        name = expr.name
        if scope.event is not None and name in self.unit.events[scope.event.type]:
            return data_value(scope.event.attrs.get(name))
        if name in self.unit.properties:
            return data_value(self.contact.get(name))
        owner, _, field = name.partition(".")
        if field and owner in self.unit.models and self.unit.models[owner].subject is not None \
                and self.unit.models[owner].subject.name == "company":
            # "A contact model reads its company's score": missing without a company, or when
            # the company is out of scope or disqualified in that model
            _status, _reason, scores, tiers = self.company_results.get(owner, (None, None, None, None))
            found = {**(scores or {}), **(tiers or {})}
            return found.get(field)
        if name.startswith("company.") and self.unit.company is not None:
            field = name[len("company."):]
            if field != "id" and field not in self.unit.company:
                raise SpecError(f"the company has no property {field!r}")
            return None if self.company is None else data_value(self.company.get(field))
        if name in self.unit.constants:
            return self.unit.constants[name]
        if scope.scores is not None and name in scope.scores:
            return scope.scores[name]
        raise SpecError(f"unknown name {name!r}")

    def eval_Call(self, expr: nodes.Call, scope: Scope) -> Elapsed | None:
        if expr.func.name == "previous":
            (arg,) = expr.args
            if not isinstance(arg, nodes.Name) or arg.name not in self.outputs:
                raise SpecError("previous() takes a score or tier of the model")
            return data_value(self.previous.get(arg.name))
        if expr.func.name == "change":
            # "change(SCORE, D)": the score now minus the score at the latest run D or more before
            name, window = expr.args
            if scope.scores is None or name.name not in scope.scores:
                raise SpecError("change() takes a score of the model, in a tier")
            past = self.previous.get(f"{name.name} {self.value(window, scope).micros // 86_400_000_000}d ago")
            return None if past is None else scope.scores[name.name] - past
        if expr.func.name != "age" or len(expr.args) != 1:
            raise SpecError(f"unknown function {expr.func.name!r}")
        when = self.value(expr.args[0], scope)
        if when is None:
            return None
        if not isinstance(when, Instant):
            raise SpecError("age() takes a date or a datetime")
        return Elapsed(self.as_of - when.micros)

    def eval_Aggregate(self, expr: nodes.Aggregate, scope: Scope) -> Any:
        # The where filter sees the aggregated event's attributes, never an enclosing event's.
        matching = self.select(expr.event.name, expr.where, expr.within)
        if expr.distinct is not None:
            if expr.func is not nodes.AggFunc.COUNT:
                raise SpecError("'distinct' applies to count only")
            matching = self.first_of_each(expr.event.name, matching, expr.distinct)
        if expr.func is nodes.AggFunc.COUNT:
            return len(matching)
        if expr.func is nodes.AggFunc.HAS:
            return len(matching) > 0
        if not matching:
            return None
        pick = min if expr.func is nodes.AggFunc.FIRST else max
        return Instant(pick(epoch_micros(e.timestamp) for e in matching))

    def eval_Compare(self, expr: nodes.Compare, scope: Scope) -> bool | None:
        return compare(expr.op, self.value(expr.left, scope), self.value(expr.right, scope),
                       expr.case_sensitive)

    def eval_Membership(self, expr: nodes.Membership, scope: Scope) -> bool | None:
        found = membership(self.value(expr.left, scope), self.value(expr.right, scope), expr.case_sensitive)
        return kleene_not(found) if expr.negated else found

    def eval_TextTest(self, expr: nodes.TextTest, scope: Scope) -> bool | None:
        left, right = self.value(expr.left, scope), self.value(expr.right, scope)
        if left is None or right is None:
            return None
        if isinstance(left, tuple):                   # list[text] contains "x": membership
            if expr.op is not nodes.TextOp.CONTAINS:
                raise SpecError(f"{expr.op.value} on a list")
            return membership(right, left, expr.case_sensitive)
        if not (isinstance(left, str) and isinstance(right, str)):
            raise SpecError(f"{expr.op.value} needs texts")
        if not expr.case_sensitive:
            left, right = simple_lower(left), simple_lower(right)
        if expr.op is nodes.TextOp.CONTAINS:
            return right in left
        if expr.op is nodes.TextOp.STARTS_WITH:
            return left.startswith(right)
        return left.endswith(right)

    def eval_Matches(self, expr: nodes.Matches, scope: Scope) -> bool | None:
        text = self.value(expr.left, scope)
        if text is None:
            return None
        if not isinstance(text, str):
            raise SpecError("matches needs a text")
        return _regex(expr.regex.pattern, expr.case_sensitive).search(text) is not None

    def eval_IsSet(self, expr: nodes.IsSet, scope: Scope) -> bool:
        present = self.value(expr.operand, scope) is not None
        return not present if expr.negated else present

    def eval_BoolOp(self, expr: nodes.BoolOp, scope: Scope) -> bool | None:
        values = [self.condition(operand, scope) for operand in expr.operands]
        if expr.op is nodes.BoolOpKind.AND:
            if False in values:
                return False
            return None if None in values else True
        if True in values:
            return True
        return None if None in values else False

    def eval_Not(self, expr: nodes.Not, scope: Scope) -> bool | None:
        return kleene_not(self.condition(expr.operand, scope))

    def eval_Arith(self, expr: nodes.Arith, scope: Scope) -> int | float | None:
        left, right = self.value(expr.left, scope), self.value(expr.right, scope)
        if left is None or right is None:
            return None
        if not (_is_number(left) and _is_number(right)):
            raise SpecError("arithmetic needs numbers")
        if expr.op is nodes.ArithOp.ADD:
            return left + right
        if expr.op is nodes.ArithOp.SUB:
            return left - right
        return left * right

    def eval_Neg(self, expr: nodes.Neg, scope: Scope) -> int | float | None:
        value = self.value(expr.operand, scope)
        if value is None:
            return None
        if not _is_number(value):
            raise SpecError("unary minus needs a number")
        return -value


# ====================================================================== value-level helpers

def kleene_not(value: bool | None) -> bool | None:
    return None if value is None else not value


def capped(cap: int | None, results: Iterable[int | float]) -> int | float:
    """``min(cap, sum of positive results) + sum of negative results`` ("Groups and caps").

    Sums run one addition at a time in the order given (the file order), so that floating-point
    results do not depend on the Python version's ``sum``.
    """
    positive: int | float = 0
    negative: int | float = 0
    for result in results:
        if result > 0:
            positive += result
        elif result < 0:
            negative += result
    if cap is not None:
        positive = min(cap, positive)
    return positive + negative


def simple_lower(text: str) -> str:
    """"Case": each character's simple lowercase mapping (no final sigma, U+0130 -> i)."""
    return "".join("i" if ch == "\u0130" else ("\u03c3" if ch == "\u03a3" else ch.lower()) for ch in text)


def compare(op: nodes.CmpOp, left: Any, right: Any, case_sensitive: bool) -> bool | None:
    """A comparison; unknown if an operand is missing.

    ``==`` and ``!=`` between texts lower-case both sides unless ``case_sensitive``; ordering
    between texts is always case-sensitive (code-point order). Dates and datetimes are both
    :class:`Instant` here, so a date compares as its midnight UTC.
    """
    if left is None or right is None:
        return None
    kind = _kind(left)
    if kind != _kind(right):
        raise SpecError(f"cannot compare {left!r} with {right!r}")
    if kind in ("bool", "list") and op not in (nodes.CmpOp.EQ, nodes.CmpOp.NE):
        raise SpecError(f"cannot order {kind} values")
    if kind == "text" and op in (nodes.CmpOp.EQ, nodes.CmpOp.NE) and not case_sensitive:
        left, right = simple_lower(left), simple_lower(right)
    return _ORDER[op](left, right)


def membership(needle: Any, items: Any, case_sensitive: bool) -> bool | None:
    """``needle in items``: unknown if the needle is missing (or, SQL-like, if no item matches
    and some item is missing); text compares case-insensitively unless ``case_sensitive``."""
    if needle is None or items is None:
        return None
    if not isinstance(items, tuple):
        raise SpecError(f"membership needs a list, not {items!r}")
    found = [compare(nodes.CmpOp.EQ, needle, item, case_sensitive) for item in items]
    if True in found:
        return True
    return None if None in found else False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, tuple):
        return "list"
    if isinstance(value, Instant):
        return "instant"
    if isinstance(value, Elapsed):
        return "duration"
    raise SpecError(f"unexpected value {value!r}")


@functools.lru_cache(maxsize=None)
def _regex(pattern: str, case_sensitive: bool):
    """An RE2 pattern; case-insensitive (the default) by RE2's own ``(?i)`` flag."""
    return re2.compile(pattern if case_sensitive else "(?i)" + pattern)



class ContactInterpreter(Interpreter):
    """One contact inside an aggregate of a company model: its properties, ``company.NAME``,
    and its scores and tiers in the contact models as ``MODEL.NAME``; never events."""

    def __init__(self, *args, outputs: Mapping[str, Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.model_outputs = outputs

    def eval_Name(self, expr: nodes.Name, scope: Scope) -> Any:
        if expr.name in self.model_outputs:
            return self.model_outputs[expr.name]
        return super().eval_Name(expr, scope)

    def eval_Aggregate(self, expr: nodes.Aggregate, scope: Scope) -> Any:
        raise SpecError("a filter of contacts reads no events")


class CompanyInterpreter(Interpreter):
    """One company: its properties by bare name (and ``id``), the events of all its contacts,
    and aggregates over its contacts (``count/has(contacts where C)``, ``best/total(V where C)``)."""

    def __init__(self, unit: Unit, company: Mapping[str, Any], members: list[ContactInterpreter],
                 events: Iterable[Event], as_of: dt.datetime):
        # a company model's names are the company's properties; company.NAME means nothing here
        own = attrs.evolve(unit, properties={"id": nodes.TypeRef(name="text"), **(unit.company or {})}, company=None)
        super().__init__(own, company, events, as_of)
        self.members = members

    def chosen(self, where: nodes.Expr | None) -> list[ContactInterpreter]:
        """The contacts a ``where`` is *true* for (all of them without one)."""
        return [m for m in self.members if where is None or m.condition(where) is True]

    def eval_Aggregate(self, expr: nodes.Aggregate, scope: Scope) -> Any:
        if expr.event.name != "contacts":
            return super().eval_Aggregate(expr, scope)
        chosen = self.chosen(expr.where)
        if expr.func is nodes.AggFunc.COUNT:
            return len(chosen)
        if expr.func is nodes.AggFunc.HAS:
            return bool(chosen)
        raise SpecError("contacts are counted with count() or has()")

    def eval_Call(self, expr: nodes.Call, scope: Scope) -> Any:
        if expr.func.name not in ("best", "total"):
            return super().eval_Call(expr, scope)
        (arg,) = expr.args
        values = [v for m in self.chosen(expr.where) if (v := m.value(arg)) is not None]
        if expr.func.name == "best":
            return max(values) if values else None
        return sum(values)
