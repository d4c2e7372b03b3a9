"""What a change to a rule file means: a semantic diff of two compiled models.

:func:`diff` compares the intermediate form (:mod:`scoredsl.check.ir`) of two compiled rule files,
not their text. IR nodes compare equal whatever their layout, comments and constant names
(spans are excluded from equality), so reformatting a file, renaming a ``let`` or moving a
rule within its group gives no change, while a constant whose value changes shows up in every
rule, threshold and condition that uses it.

Models are matched by name, rules by name within a model (a rule that moves to another group
or score is *moved*), groups by score and name, tier entries by label. Every change is a
:class:`Change` with a stable ``kind`` (see :data:`KINDS`), the thing it is about
(``subject``), a one-line ``detail``, and the source text of that thing in the old and the
new file, taken from the spans.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Sequence

import attrs

from scoredsl.check import ir
from scoredsl.compiler.model import Program
from scoredsl.data.records import DataSchema
from scoredsl.diagnostics import Span
from scoredsl.syntax import nodes
from scoredsl.syntax.formatter import expr
from scoredsl.syntax.parser import parse

DAY = 86_400_000_000

#: Every kind of change, in the order a report lists a model's changes.
KINDS = (
    "file-added", "file-removed",
    "schema-property-added", "schema-property-removed", "schema-property-type",
    "schema-event-added", "schema-event-removed",
    "schema-attribute-added", "schema-attribute-removed", "schema-attribute-type",
    "model-added", "model-removed",
    "scope-added", "scope-removed", "scope-changed",
    "disqualifier-added", "disqualifier-removed", "disqualifier-changed", "disqualifier-order",
    "score-added", "score-removed", "score-max", "score-min",
    "decay-inactivity", "decay-activity", "decay-half-life",
    "group-added", "group-removed", "group-cap", "group-share",
    "rule-added", "rule-removed", "rule-moved", "rule-kind", "rule-condition", "rule-points",
    "rule-bands", "rule-limit",
    "tier-added", "tier-removed", "tier-by", "tier-entry-added", "tier-entry-removed",
    "tier-order", "tier-threshold", "tier-condition", "tier-monotonic", "tier-unless",
)


@attrs.frozen(kw_only=True)
class RuleSet:
    """One side of a diff: a compiled rule file, and how to show where its parts are.

    ``program`` is ``None`` when the file does not exist on that side (a file added by the
    change). ``label`` names the side as the user did (``origin/main:model.score``);
    ``relabel`` turns a span's file into the name to show (the file as it is known in a
    git ref, rather than the temporary copy it was compiled from); ``sources`` gives the
    text of a line (a :class:`~scoredsl.diagnostics.SourceMap` or anything with ``line``).
    """
    program: Program | None
    label: str
    sources: object = None
    relabel: Callable[[str], str] = attrs.field(default=lambda file: file)
    commit: str | None = None            # the commit a git side was read from

    @property
    def models(self) -> dict[str, ir.Model]:
        return {} if self.program is None else {m.name: m.ir for m in self.program.models.values()}

    @property
    def schema(self) -> DataSchema | None:
        return None if self.program is None else self.program.schema

    def location(self, span: Span | None) -> str | None:
        if span is None or span.line == 0:
            return None
        return f"{self.relabel(span.file)}:{span.line}"

    def text(self, span: Span | None, *, first_line: bool = False) -> str | None:
        """The source text of ``span`` (continuation lines joined by one space)."""
        sources = self.sources if self.sources is not None else \
            (self.program.sources if self.program is not None else None)
        if span is None or span.line == 0 or sources is None:
            return None
        last = span.line if first_line else span.end_line
        parts = []
        for number in range(span.line, last + 1):
            line = sources.line(span.file, number)
            if line is None:
                return None
            if number == span.end_line:
                line = line[:span.end_column - 1]
            if number == span.line:
                line = line[span.column - 1:]
            parts.append(line.strip())
        text = " ".join(p for p in parts if p)
        if first_line and span.end_line != span.line:
            text = text.rstrip("{").rstrip() + " { ... }"
        return text


@attrs.frozen(kw_only=True)
class Change:
    """One semantic change. ``model`` is ``None`` for changes of the schema or the file."""
    kind: str
    model: str | None
    subject: str                      # "rule fit.email.clicks", "tier lifecycle", "contact.employees"
    detail: str                       # one line for people: "points +20 -> +25"
    before: object = None             # JSON-friendly values, where a value changed
    after: object = None
    old_text: str | None = None       # source text as written in the old file
    new_text: str | None = None
    old_location: str | None = None   # "file:line"
    new_location: str | None = None

    def to_json(self) -> dict:
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class ModelDiff:
    """Every change between two rule files, and the model versions on each side."""
    old: RuleSet
    new: RuleSet
    changes: tuple[Change, ...]
    versions: tuple[tuple[str, str | None, str | None], ...]   # (model, old version, new version)

    def for_model(self, name: str | None) -> list[Change]:
        return [c for c in self.changes if c.model == name]

    @property
    def models(self) -> list[str]:
        return [name for name, _o, _n in self.versions]


# ------------------------------------------------------------------ entry point

def diff(old: RuleSet, new: RuleSet, models: Sequence[str] | None = None) -> ModelDiff:
    """The semantic changes from ``old`` to ``new`` (only of ``models``, when given)."""
    changes: list[Change] = []
    if old.program is None and new.program is not None:
        changes.append(Change(kind="file-added", model=None, subject="file",
                              detail=f"{new.label} is new: it does not exist in {old.label}"))
    elif new.program is None and old.program is not None:
        changes.append(Change(kind="file-removed", model=None, subject="file",
                              detail=f"{old.label} is removed: it does not exist in {new.label}"))
    elif old.program is not None and new.program is not None:
        changes.extend(_schema(old.schema, new.schema))
    old_models, new_models = old.models, new.models
    names = list(new_models) + [n for n in old_models if n not in new_models]
    if models:
        names = [n for n in names if n in models]
    versions = []
    for name in names:
        a, b = old_models.get(name), new_models.get(name)
        versions.append((name, _version(old, name), _version(new, name)))
        if a is None:
            changes.append(Change(kind="model-added", model=name, subject=f"model {name}",
                                  detail="new model", new_text=new.text(b.span, first_line=True),
                                  new_location=new.location(b.span)))
        elif b is None:
            changes.append(Change(kind="model-removed", model=name, subject=f"model {name}",
                                  detail="model removed", old_text=old.text(a.span, first_line=True),
                                  old_location=old.location(a.span)))
        else:
            changes.extend(_Differ(old, new, name).model(a, b))
    return ModelDiff(old=old, new=new, changes=tuple(changes), versions=tuple(versions))


def _version(side: RuleSet, name: str) -> str | None:
    if side.program is None or name not in side.program.models:
        return None
    return side.program.models[name].version


# ------------------------------------------------------------------ schema

def _schema(old: DataSchema, new: DataSchema) -> Iterable[Change]:
    def change(kind, subject, detail, before=None, after=None):
        return Change(kind=kind, model=None, subject=subject, detail=detail, before=before, after=after)

    for name, spec in new.contact.items():
        if name not in old.contact:
            yield change("schema-property-added", f"contact.{name}", f"new contact property: {spec}",
                         after=str(spec))
        elif old.contact[name] != spec:
            yield change("schema-property-type", f"contact.{name}", f"type {old.contact[name]} -> {spec}",
                         str(old.contact[name]), str(spec))
    for name, spec in old.contact.items():
        if name not in new.contact:
            yield change("schema-property-removed", f"contact.{name}", f"contact property removed (was {spec})",
                         before=str(spec))
    for event, attributes in new.events.items():
        if event not in old.events:
            yield change("schema-event-added", f"event {event}", "new event type" +
                         (f" with {', '.join(f'{a}: {s}' for a, s in attributes.items())}" if attributes else ""))
            continue
        previous = old.events[event]
        for name, spec in attributes.items():
            if name not in previous:
                yield change("schema-attribute-added", f"event {event}.{name}", f"new attribute: {spec}",
                             after=str(spec))
            elif previous[name] != spec:
                yield change("schema-attribute-type", f"event {event}.{name}", f"type {previous[name]} -> {spec}",
                             str(previous[name]), str(spec))
        for name, spec in previous.items():
            if name not in attributes:
                yield change("schema-attribute-removed", f"event {event}.{name}",
                             f"attribute removed (was {spec})", before=str(spec))
    for event in old.events:
        if event not in new.events:
            yield change("schema-event-removed", f"event {event}", "event type removed: its events now count "
                                                                   "for nothing")


# ------------------------------------------------------------------ models

class _Differ:
    """The changes of one model present on both sides."""

    def __init__(self, old: RuleSet, new: RuleSet, model: str):
        self.old, self.new, self.name = old, new, model
        self.out: list[Change] = []

    def add(self, kind: str, subject: str, detail: str, a=None, b=None, *, before=None, after=None,
            first_line: bool = False, prefix: str = "") -> None:
        """Record a change; ``a``/``b`` are the old/new nodes whose source text is shown."""
        def text(side, node):
            if node is None:
                return None
            shown = side.text(node.span, first_line=first_line)
            return prefix + shown if shown is not None else None
        old_text, new_text = text(self.old, a), text(self.new, b)
        if old_text is not None and old_text == new_text:
            # the same words, another meaning: say which constant's value changed
            moved = _changed_constants(old_text, self.old, self.new)
            if moved:
                detail += " (" + "; ".join(f"{name}: {x} -> {y}" for name, x, y in moved) + ")"
        self.out.append(Change(
            kind=kind, model=self.name, subject=subject, detail=detail, before=before, after=after,
            old_text=old_text, new_text=new_text,
            old_location=self.old.location(a.span) if a is not None else None,
            new_location=self.new.location(b.span) if b is not None else None))

    def model(self, a: ir.Model, b: ir.Model) -> list[Change]:
        self.scope(a, b)
        self.disqualifiers(a, b)
        self.scores(a, b)
        self.rules(a, b)
        self.tiers(a, b)
        return self.out

    # ---------------------------------------------------------------- scope, disqualifiers
    def scope(self, a: ir.Model, b: ir.Model) -> None:
        if a.scope == b.scope:
            return
        if a.scope is None:
            self.add("scope-added", "scope", "the model now scores only the contacts in scope; the others are "
                     "out_of_scope", None, b.scope, prefix="scope ")
        elif b.scope is None:
            self.add("scope-removed", "scope", "the model now scores every contact", a.scope, None,
                     prefix="scope ")
        else:
            self.add("scope-changed", "scope", "scope condition changed", a.scope, b.scope, prefix="scope ")

    def disqualifiers(self, a: ir.Model, b: ir.Model) -> None:
        old = {d.name: d for d in a.disqualifiers}
        new = {d.name: d for d in b.disqualifiers}
        for name, d in new.items():
            if name not in old:
                self.add("disqualifier-added", f"disqualify {name}", "new disqualifier", None, d)
            elif old[name].condition != d.condition:
                self.add("disqualifier-changed", f"disqualify {name}", "condition changed", old[name], d)
        for name, d in old.items():
            if name not in new:
                self.add("disqualifier-removed", f"disqualify {name}", "disqualifier removed", d, None)
        common_old = [n for n in old if n in new]
        common_new = [n for n in new if n in old]
        if common_old != common_new:
            self.add("disqualifier-order", "disqualifiers", "order changed (the first true one gives the "
                     f"reason): {', '.join(common_old)} -> {', '.join(common_new)}",
                     before=common_old, after=common_new)

    # ---------------------------------------------------------------- scores, groups, decay
    def scores(self, a: ir.Model, b: ir.Model) -> None:
        old = {s.name: s for s in a.scores}
        new = {s.name: s for s in b.scores}
        for name, s in new.items():
            if name not in old:
                self.add("score-added", f"score {name}", "new score", None, s, first_line=True)
                continue
            o = old[name]
            if o.max != s.max:
                self.add("score-max", f"score {name}", f"max {_cap(o.max)} -> {_cap(s.max)}",
                         before=o.max, after=s.max)
            if o.floor != s.floor:
                self.add("score-min", f"score {name}", f"min {_floor(o.floor)} -> {_floor(s.floor)}",
                         before=o.floor, after=s.floor)
            self.decay(o, s)
            self.groups(o, s)
        for name, s in old.items():
            if name not in new:
                self.add("score-removed", f"score {name}", "score removed", s, None, first_line=True)

    def decay(self, o: ir.Score, s: ir.Score) -> None:
        subject = f"score {s.name}"
        a, b = o.inactivity, s.inactivity
        if a is None or b is None:
            if a != b:
                detail = "inactivity decay added" if a is None else "inactivity decay removed"
                self.add("decay-inactivity", subject, detail, a, b,
                         before=_steps_json(a), after=_steps_json(b))
        else:
            if a.steps != b.steps:
                self.add("decay-inactivity", subject, f"inactivity steps {_steps(a)} -> {_steps(b)}", a, b,
                         before=_steps_json(a), after=_steps_json(b))
            if a.activity != b.activity:
                self.add("decay-activity", subject, f"activity {_activity(a.activity)} -> "
                         f"{_activity(b.activity)}", a, b,
                         before=list(a.activity) if a.activity is not None else None,
                         after=list(b.activity) if b.activity is not None else None)
        if o.half_life != s.half_life:
            self.add("decay-half-life", subject, f"half-life {_duration_or_none(o.half_life)} -> "
                     f"{_duration_or_none(s.half_life)}", before=_duration_or_none(o.half_life),
                     after=_duration_or_none(s.half_life))

    def groups(self, o: ir.Score, s: ir.Score) -> None:
        old = {g.name: g for g in o.items if isinstance(g, ir.Group)}
        new = {g.name: g for g in s.items if isinstance(g, ir.Group)}
        for name, g in new.items():
            subject = f"group {s.name}.{name}"
            if name not in old:
                self.add("group-added", subject, f"new group (cap {_cap(g.cap)})", None, g, first_line=True)
                continue
            if old[name].cap != g.cap:
                self.add("group-cap", subject, f"cap {_cap(old[name].cap)} -> {_cap(g.cap)}",
                         old[name], g, first_line=True, before=old[name].cap, after=g.cap)
            if old[name].share != g.share:
                self.add("group-share", subject, f"share {_share(old[name].share)} -> {_share(g.share)}",
                         old[name], g, first_line=True, before=old[name].share, after=g.share)
        for name, g in old.items():
            if name not in new:
                self.add("group-removed", f"group {s.name}.{name}", "group removed", g, None, first_line=True)

    # ---------------------------------------------------------------- rules
    def rules(self, a: ir.Model, b: ir.Model) -> None:
        old = dict(_rules_of(a))
        new = dict(_rules_of(b))
        for name, (rule, where) in new.items():
            if name not in old:
                self.add("rule-added", f"rule {where}.{name}", "new rule", None, rule)
                continue
            previous, was = old[name]
            subject = f"rule {where}.{name}"
            if was != where:
                self.add("rule-moved", subject, f"moved from {was} to {where}", previous, rule,
                         before=was, after=where)
            if previous != rule:
                self.rule(subject, previous, rule)
        for name, (rule, where) in old.items():
            if name not in new:
                self.add("rule-removed", f"rule {where}.{name}", "rule removed", rule, None)

    def rule(self, subject: str, o, r) -> None:
        if type(o) is not type(r):
            self.add("rule-kind", subject, f"{_KIND[type(o)]} -> {_KIND[type(r)]}", o, r)
            return
        if isinstance(r, ir.WhenRule):
            if o.condition != r.condition:
                self.add("rule-condition", subject, "condition changed", o, r)
            if (o.points, o.value) != (r.points, r.value):
                self.add("rule-points", subject, f"points {_when_points(o)} -> {_when_points(r)}", o, r,
                         before=o.points if o.value is None else _when_points(o),
                         after=r.points if r.value is None else _when_points(r))
        elif isinstance(r, ir.EachRule):
            parts = [what for what, x, y in (("event", o.event, r.event), ("where", o.filter, r.filter),
                                             ("within", o.window, r.window),
                                             ("distinct", (o.distinct, o.fold), (r.distinct, r.fold))) if x != y]
            if parts:
                self.add("rule-condition", subject, f"{', '.join(parts)} changed" + _each_detail(o, r), o, r)
            if o.points != r.points:
                self.add("rule-points", subject, f"points per event {_signed(o.points)} -> {_signed(r.points)}",
                         o, r, before=o.points, after=r.points)
            once = o.limit == abs(o.points) and r.limit == abs(r.points)
            if o.limit != r.limit and not (once and o.points != r.points):
                self.add("rule-limit", subject, f"{_limit(o)} -> {_limit(r)}", o, r, before=o.limit,
                         after=r.limit)
        else:
            self.bands(subject, o, r)

    def bands(self, subject: str, o: ir.BandRule, r: ir.BandRule) -> None:
        if o.subject != r.subject or o.fold != r.fold:
            self.add("rule-condition", subject, "banded value changed", o, r)
        old = {_band_key(band): band for band in o.bands}
        new = {_band_key(band): band for band in r.bands}
        repointed = [k for k, band in new.items() if k in old and old[k].points != band.points]
        if repointed:
            moved = [f"{new[k].label} {_signed(old[k].points)} -> {_signed(new[k].points)}" for k in repointed]
            self.add("rule-points", subject, "points " + "; ".join(moved), o, r,
                     before=[[old[k].label, old[k].points] for k in repointed],
                     after=[[new[k].label, new[k].points] for k in repointed])
        added = [f"{band.label} => {_signed(band.points)}" for key, band in new.items() if key not in old]
        removed = [f"{band.label} => {_signed(band.points)}" for key, band in old.items() if key not in new]
        order_old = [k for k in old if k in new]
        order_new = [k for k in new if k in old]
        if added or removed or order_old != order_new:
            parts = []
            if added:
                parts.append("added " + "; ".join(added))
            if removed:
                parts.append("removed " + "; ".join(removed))
            if order_old != order_new and not parts:
                parts.append("bands reordered")
            self.add("rule-bands", subject, "bands " + ", ".join(parts), o, r,
                     before=[[b.label, b.points] for b in o.bands], after=[[b.label, b.points] for b in r.bands])

    # ---------------------------------------------------------------- tiers
    def tiers(self, a: ir.Model, b: ir.Model) -> None:
        old = {t.name: t for t in a.tiers}
        new = {t.name: t for t in b.tiers}
        for name, t in new.items():
            if name not in old:
                self.add("tier-added", f"tier {name}", "new tier: " + ", ".join(e.label for e in t.entries),
                         None, t, first_line=True)
            else:
                self.tier(old[name], t)
        for name, t in old.items():
            if name not in new:
                self.add("tier-removed", f"tier {name}", "tier removed", t, None, first_line=True)

    def tier(self, o: ir.Tier, t: ir.Tier) -> None:
        subject = f"tier {t.name}"
        old = {e.label: e for e in o.entries}
        new = {e.label: e for e in t.entries}
        by_old, by_new = _by(o), _by(t)
        by_changed = by_old is not None and by_new is not None and by_old != by_new
        if by_changed:
            self.add("tier-by", subject, "the value the thresholds apply to changed", o, t, first_line=True)
        if o.monotonic != t.monotonic:
            self.add("tier-monotonic", subject, "now monotonic: a stage never goes back" if t.monotonic
                     else "no longer monotonic: a stage may go back", o, t, first_line=True,
                     before=o.monotonic, after=t.monotonic)
        elif t.monotonic and o.unless != t.unless:
            detail = ("an 'unless' now releases the stage" if o.unless is None else
                      "the 'unless' was removed: nothing releases the stage" if t.unless is None else
                      "the 'unless' that releases the stage changed")
            self.add("tier-unless", subject, detail, o, t, first_line=True)
        for label, e in new.items():
            if label not in old:
                self.add("tier-entry-added", subject, f"new entry {label}", None, e,
                         before=None, after=label)
                continue
            previous = old[label]
            if previous.condition == e.condition:
                continue
            x, y = _threshold(previous), _threshold(e)
            if x is not None and y is not None and (x[0] == y[0] or by_changed):
                if x[1:] != y[1:]:
                    self.add("tier-threshold", subject, f"{label}: {x[1]} {_num(x[2])} -> {y[1]} {_num(y[2])}",
                             previous, e, before=[x[1], x[2]], after=[y[1], y[2]])
            else:
                self.add("tier-condition", subject, f"condition of {label} changed", previous, e)
        for label, e in old.items():
            if label not in new:
                self.add("tier-entry-removed", subject, f"entry {label} removed", e, None, before=label)
        common_old = [label for label in old if label in new]
        common_new = [label for label in new if label in old]
        if common_old != common_new:
            self.add("tier-order", subject, "entries reordered (the first true one gives the label): "
                     f"{', '.join(common_old)} -> {', '.join(common_new)}", before=common_old, after=common_new)


# ------------------------------------------------------------------ helpers

_KIND = {ir.WhenRule: "condition rule", ir.BandRule: "band rule", ir.EachRule: "per-event rule"}


def _rules_of(model: ir.Model):
    """(name, (rule, "score" or "score.group")) for every rule of the model, in file order."""
    for score in model.scores:
        for item in score.items:
            if isinstance(item, ir.Group):
                for rule in item.rules:
                    yield rule.name, (rule, f"{score.name}.{item.name}")
            else:
                yield item.name, (item, score.name)


def rule_scores(model: ir.Model) -> dict[str, list[str]]:
    """Score name -> the names of its rules, in file order."""
    return {score.name: [r.name for r in score.rules()] for score in model.scores}


def _band_key(band: ir.Band) -> tuple:
    return (band.low, band.low_inclusive, band.high, band.high_inclusive, band.values, band.otherwise)


def _by(tier: ir.Tier):
    """The value a threshold tier compares (``fit + engagement``), or None for other tiers."""
    lefts = {_threshold(e)[0] if _threshold(e) else None for e in tier.entries if e.condition is not None}
    if len(lefts) == 1 and None not in lefts:
        return lefts.pop()
    return None


def _threshold(entry: ir.TierEntry):
    c = entry.condition
    if isinstance(c, ir.Cmp) and isinstance(c.right, ir.Const) and isinstance(c.right.value, (int, float)) \
            and not isinstance(c.right.value, bool):
        return (c.left, c.op.value, c.right.value)
    return None


def _each_detail(o: ir.EachRule, r: ir.EachRule) -> str:
    if o.event == r.event and o.filter == r.filter and o.window != r.window:
        return f": within {_duration_or_none(o.window)} -> {_duration_or_none(r.window)}"
    if o.event != r.event:
        return f": {o.event} -> {r.event}"
    return ""


def _limit(rule: ir.EachRule) -> str:
    if rule.limit is None:
        return "no max"
    if rule.limit == abs(rule.points):
        return "once"
    return f"max {rule.limit}"


def _constants(side: RuleSet) -> dict[str, str]:
    """Each constant of a side, as written (``let NAME = ...`` of its files)."""
    sources = side.sources if side.sources is not None else (side.program.sources if side.program else None)
    texts = getattr(sources, "texts", None)
    if texts is None:
        return {}
    found = {}
    for file, text in texts().items():
        tree, _diagnostics = parse(text, file)
        for item in tree.items if tree is not None else ():
            if isinstance(item, nodes.Let):
                found[item.name.name] = expr(item.value)
    return found


def _changed_constants(text: str, old: RuleSet, new: RuleSet) -> list[tuple[str, str, str]]:
    """``(name, old value, new value)`` of each constant ``text`` names whose value changed."""
    before, after = _constants(old), _constants(new)
    names = dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    return [(n, before[n], after[n]) for n in names if n in before and n in after and before[n] != after[n]]


def _when_points(rule: ir.WhenRule):
    """A condition rule's points as written: ``+20``, or ``+ manual in -50..50``."""
    if rule.value is None:
        return _signed(rule.points)
    v = rule.value
    return f"{'-' if v.sign < 0 else '+'} {v.prop.name} in {v.low}..{v.high}"


def _floor(value) -> str:
    return "none" if value is None else str(value)


def _share(value) -> str:
    return "none" if value is None else f"{value}%"


def _cap(value) -> str:
    return "none" if value is None else str(value)


def duration(micros: int) -> str:
    """Microseconds as the language writes a duration: 30d, 12h, 45m (or seconds)."""
    for unit, size in (("d", DAY), ("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000)):
        if micros % size == 0:
            return f"{micros // size}{unit}"
    return f"{micros}us"


def _duration_or_none(micros) -> str:
    return "none" if micros is None else duration(micros)


def _steps(decay: ir.Inactivity) -> str:
    return "{ " + ", ".join(f"{duration(m)} => {p}%" for m, p in decay.steps) + " }"


def _steps_json(decay: ir.Inactivity | None):
    return None if decay is None else [[duration(m), p] for m, p in decay.steps]


def _activity(activity) -> str:
    return "every event" if activity is None else "[" + ", ".join(activity) + "]"


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _signed(value) -> str:
    return f"+{value}" if value > 0 else str(value)


__all__ = ["RuleSet", "Change", "ModelDiff", "diff", "KINDS", "rule_scores", "duration"]
