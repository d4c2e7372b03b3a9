"""Rule coverage: which scopes, disqualifiers, rules, bands and tier labels the cases of a
run exercised."""

from __future__ import annotations

from typing import Mapping

import attrs

from scoredsl.check import ir
from scoredsl.compiler.model import CompiledModel, Program
from scoredsl.diagnostics import Span
from scoredsl.modeltests.cases import RuleOutcome

KINDS = ("scope", "disqualifier", "rule", "band", "tier")
KIND_HEADERS = {"scope": "scope", "disqualifier": "disqualify", "rule": "rules", "band": "bands",
                 "tier": "tiers"}


@attrs.frozen(kw_only=True)
class Item:
    """One thing a case can exercise. ``name`` is the scope side (in/out), disqualifier, rule,
    or the rule or tier a band or label belongs to; ``detail`` the band or label."""
    kind: str
    name: str
    detail: str | None = None
    span: Span
    counts_events: bool = False     # an ``each`` rule: covered when it counted an event

    @property
    def key(self) -> tuple:
        return (self.kind, self.name, self.detail)

    @property
    def location(self) -> str:
        return f"{self.span.file}:{self.span.line}"

    def describe(self) -> str:
        if self.kind == "scope":
            return "scope: no case was " + ("in scope" if self.name == "in" else "out of scope")
        if self.kind == "disqualifier":
            return f"disqualify {self.name}: never true"
        if self.kind == "rule":
            return f"rule {self.name}: " + ("never counted an event" if self.counts_events else "never matched")
        if self.kind == "band":
            return f"rule {self.name}, band {self.detail}: never hit"
        return f"tier {self.name}, label {self.detail}: never assigned"


@attrs.define
class ModelCoverage:
    file: str
    model: str
    items: list[Item]
    hit: set = attrs.field(factory=set)

    @property
    def covered(self) -> int:
        return sum(item.key in self.hit for item in self.items)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def percent(self) -> float:
        return _percent(self.covered, self.total)

    def by_kind(self, kind: str) -> tuple[int, int]:
        items = [item for item in self.items if item.kind == kind]
        return sum(item.key in self.hit for item in items), len(items)

    def uncovered(self) -> list[Item]:
        return [item for item in self.items if item.key not in self.hit]

    def to_json(self) -> dict:
        return {"file": self.file, "model": self.model, "covered": self.covered, "total": self.total,
                "percent": round(self.percent, 1),
                "kinds": {kind: dict(zip(("covered", "total"), self.by_kind(kind))) for kind in KINDS},
                "uncovered": [{"kind": i.kind, "name": i.name, "detail": i.detail, "file": i.span.file,
                               "line": i.span.line, "message": i.describe()} for i in self.uncovered()]}


class Coverage:
    """Which scopes, disqualifiers, rules, bands and tier labels the cases exercised, per model.

    * a scope is two items: some case in scope, some case out of scope (false or unknown);
    * a disqualifier: its condition was true in some case;
    * a condition rule: it matched (its condition was true); an ``each`` rule: it counted an event;
    * a band rule is one item per band: the band was hit;
    * a tier is one item per entry: its label was assigned to a scored contact.

    Rules, bands and disqualifiers count in every case, whatever its status (the explain
    evaluator computes them all, and ``expect_rules`` can check them); tier labels count only
    for scored contacts, the only ones that get one.
    """

    def __init__(self) -> None:
        self._models: dict[tuple[str, str], ModelCoverage] = {}

    def add(self, rules_file: str | None, program: Program) -> None:
        for model in program.models.values():
            key = _key(rules_file, model)
            if key not in self._models:
                self._models[key] = ModelCoverage(file=key[0], model=model.name, items=_items(model.ir))

    def record(self, rules_file: str, model: CompiledModel, status: str, trace: Mapping) -> None:
        entry = self._models.get(_key(rules_file, model))
        if entry is None:
            self.add(rules_file, model.program)
            entry = self._models[_key(rules_file, model)]
        hit = entry.hit
        if model.ir.scope is not None:
            hit.add(("scope", "in" if trace.get("scope") is True else "out", None))
        for name, value in trace["disqualifiers"]:
            if value is True:
                hit.add(("disqualifier", name, None))
        for score in model.ir.scores:
            for rule in score.rules():
                points, detail = trace["rules"][rule.name]
                if isinstance(rule, ir.BandRule):
                    if detail is not None:
                        hit.add(("band", rule.name, detail))
                elif RuleOutcome(rule, points, detail).matched:
                    hit.add(("rule", rule.name, None))
        if status == "scored":
            for tier, label in trace["tiers"].items():
                if label is not None:
                    hit.add(("tier", tier, label))

    @property
    def models(self) -> list[ModelCoverage]:
        return list(self._models.values())

    @property
    def covered(self) -> int:
        return sum(m.covered for m in self._models.values())

    @property
    def total(self) -> int:
        return sum(m.total for m in self._models.values())

    @property
    def percent(self) -> float:
        return _percent(self.covered, self.total)

    def below(self, minimum: float) -> bool:
        """Whether coverage is below ``minimum`` percent (compared exactly, not rounded)."""
        return self.covered * 100 < minimum * self.total

    def to_json(self) -> dict:
        return {"covered": self.covered, "total": self.total, "percent": round(self.percent, 1),
                "models": [m.to_json() for m in self._models.values()]}


def _key(rules_file: str | None, model: CompiledModel) -> tuple[str, str]:
    """A model is the same wherever it is used: the file that defines it (a model included by
    several rule files is covered by the cases of all of them), and its name."""
    return (model.ir.span.file if model.ir.span.line else (rules_file or ""), model.name)


def _items(model: ir.Model) -> list[Item]:
    items = []
    if model.scope is not None:
        items += [Item(kind="scope", name=side, span=model.scope.span) for side in ("in", "out")]
    items += [Item(kind="disqualifier", name=d.name, span=d.span) for d in model.disqualifiers]
    for score in model.scores:
        for rule in score.rules():
            if isinstance(rule, ir.BandRule):
                items += [Item(kind="band", name=rule.name, detail=b.label, span=b.span) for b in rule.bands]
            else:
                items.append(Item(kind="rule", name=rule.name, span=rule.span,
                                  counts_events=isinstance(rule, ir.EachRule)))
    for tier in model.tiers:
        items += [Item(kind="tier", name=tier.name, detail=e.label, span=e.span) for e in tier.entries]
    return items


def _percent(covered: int, total: int) -> float:
    return 100.0 if total == 0 else covered * 100 / total
