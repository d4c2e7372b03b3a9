"""What each name of a unit means and where it is declared: the editor's view of rule files.

An :class:`Outline` is built from the parsed files of a unit (the open file and what it
includes). It knows every declaration (:class:`Symbol`: properties, events and their
attributes, constants, models, scores, groups, rules, tiers and their labels) and every use of
a name (:class:`Reference`), by file, line and column as the parser counts them (1-based, in
characters). Hover, go to definition, completion and document symbols are questions to it;
the language server (:mod:`scoredsl.lsp.server`) only translates positions and messages.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator, Mapping, Sequence

import attrs

from scoredsl.check.checker import Checker
from scoredsl.check.ir import Const
from scoredsl.diagnostics import Span
from scoredsl.syntax import nodes
from scoredsl.syntax.formatter import band_test, bound_text, expr, points
from scoredsl.syntax.loader import Unit
from scoredsl.syntax.parser import _RESERVED

#: The functions of the language itself (plugins add more), with what they take and give.
BUILTINS = {
    "count": "count(EVENT [where CONDITION] [within DURATION]) -> int: how many such events",
    "has": "has(EVENT [where CONDITION] [within DURATION]) -> bool: whether there is such an event",
    "first": "first(EVENT [where CONDITION] [within DURATION]) -> datetime: the earliest such event's time",
    "last": "last(EVENT [where CONDITION] [within DURATION]) -> datetime: the latest such event's time",
    "age": "age(DATE OR DATETIME) -> duration: the time from it to the run's as-of instant",
    "previous": "previous(SCORE OR TIER): its value at the contact's latest earlier run",
    "change": "change(SCORE, DURATION) -> int: the score now minus the score at least DURATION before "
              "(tiers only)",
}
#: Functions whose first argument names an event type.
EVENT_FUNCTIONS = frozenset({"count", "has", "first", "last"})
KEYWORDS = tuple(sorted(_RESERVED))


@attrs.frozen(kw_only=True)
class Symbol:
    """A declaration. ``span`` is its name, ``extent`` the whole declaration."""
    kind: str               # property, event, attribute, constant, model, score, group, rule, tier, label,
    #                         disqualifier, scope, decay, schema, contact
    name: str
    span: Span
    extent: Span
    detail: str = ""        # one line: a type, a value, points
    doc: str = ""           # Markdown, for hover
    parent: "Symbol | None" = attrs.field(default=None, eq=False, repr=False)
    children: list["Symbol"] = attrs.field(factory=list, eq=False, repr=False)


@attrs.frozen(kw_only=True)
class Reference:
    """A use of a declared name (or of an included file) at ``span``."""
    span: Span
    target: Symbol


@attrs.frozen(kw_only=True)
class Completion:
    label: str
    kind: str               # as Symbol.kind, or "keyword", "function", "file"
    detail: str = ""
    insert: str | None = None


class Outline:
    """Declarations and references of one unit. ``files`` are its parsed files, includes first
    (as :attr:`Unit.files`); ``functions`` the plugin functions conditions may call."""

    def __init__(self, files: Sequence[nodes.RuleFile], functions: Mapping[str, object] | None = None,
                 include_targets: Mapping[tuple[str, int, int], str] | None = None) -> None:
        self.files = tuple(files)
        self.functions = dict(functions or {})
        self.symbols: list[Symbol] = []         # every declaration, in file order
        self.top: dict[str, list[Symbol]] = {}  # file -> its top-level symbols (document symbols)
        self.references: list[Reference] = []
        self.properties: dict[str, Symbol] = {}
        self.events: dict[str, Symbol] = {}
        self.attributes: dict[str, dict[str, Symbol]] = {}
        self.constants: dict[str, Symbol] = {}
        self.models: dict[str, Symbol] = {}
        self.includes: list[tuple[Span, str]] = []   # (the include line, the included file's name)
        self._include_targets = dict(include_targets or {})
        self._hovers: list[tuple[Span, str]] = []    # bands, points: places with a hover of their own
        self._declare_schema_and_constants()
        for file in self.files:
            for model in file.models:
                self._model(model, file.path)
        self._order()

    @classmethod
    def of_unit(cls, unit: Unit, functions: Mapping[str, object] | None = None,
                include_targets: Mapping[tuple[str, int, int], str] | None = None) -> "Outline":
        return cls(unit.files, functions, include_targets)

    # ------------------------------------------------------------ declarations
    def _add(self, symbol: Symbol, parent: Symbol | None = None) -> Symbol:
        self.symbols.append(symbol)
        if parent is not None:
            parent.children.append(symbol)
            object.__setattr__(symbol, "parent", parent)
        else:
            self.top.setdefault(symbol.span.file, []).append(symbol)
        return symbol

    def _declare_schema_and_constants(self) -> None:
        for file in self.files:
            for item in file.items:
                if isinstance(item, nodes.Include):
                    target = self._include_targets.get((item.span.file, item.span.line, item.span.column))
                    if target is not None:
                        self.includes.append((item.span, target))
                elif isinstance(item, nodes.Schema):
                    self._schema(item)
        # constants' values and types as the checker sees them
        unit = Unit(main=self.files[-1], files=self.files, root="") if self.files else None
        checker = Checker(self.functions)
        known = checker.constants(unit, {}) if unit is not None else {}
        for file in self.files:
            for let in file.lets:
                if let.name.name in self.constants:
                    continue
                const = known.get(let.name.name)
                kind = str(const.type) if isinstance(const, Const) else "constant"
                value = expr(let.value)
                self.constants[let.name.name] = self._add(Symbol(
                    kind="constant", name=let.name.name, span=let.name.span, extent=let.span,
                    detail=f"{kind} = {_short(value)}",
                    doc=f"**constant** `{let.name.name}`: {kind}\n\n```scoredsl\nlet {let.name.name} = {value}\n```"))

    def _schema(self, schema: nodes.Schema) -> None:
        block = self._add(Symbol(kind="schema", name="schema", span=_first_line(schema.span), extent=schema.span))
        for contact in schema.contacts:
            holder = self._add(Symbol(kind="contact", name="contact", span=_first_line(contact.span),
                                      extent=contact.span, detail="contact properties"), block)
            # the implicit id: its declaration is the contact block (not listed among its children)
            self.properties.setdefault("id", Symbol(
                kind="property", name="id", span=holder.span, extent=contact.span, detail="text",
                doc="**contact property** `id`: text\n\nimplicit: every contact has one, never missing"))
            for field in contact.fields:
                if field.name.name in self.properties:
                    continue
                self.properties[field.name.name] = self._add(Symbol(
                    kind="property", name=field.name.name, span=field.name.span, extent=field.span,
                    detail=str(field.type),
                    doc=f"**contact property** `{field.name.name}`: {field.type}\n\nmissing when the source "
                        f"has no value; a test of a missing value is unknown"), holder)
        for company in schema.companies:
            holder = self._add(Symbol(kind="company", name="company", span=_first_line(company.span),
                                      extent=company.span, detail="company properties"), block)
            # implicit with companies: the company's id, and the contact's company_id naming it
            self.properties.setdefault("company.id", Symbol(
                kind="property", name="company.id", span=holder.span, extent=company.span, detail="text",
                doc="**company property** `company.id`: text\n\nthe id of the contact's company; missing when "
                    "the contact has no company"))
            self.properties.setdefault("company_id", Symbol(
                kind="property", name="company_id", span=holder.span, extent=company.span, detail="text",
                doc="**contact property** `company_id`: text\n\nimplicit with a company block: the id of "
                    "the contact's company"))
            for field in company.fields:
                key = f"company.{field.name.name}"
                if key in self.properties:
                    continue
                self.properties[key] = self._add(Symbol(
                    kind="property", name=field.name.name, span=field.name.span, extent=field.span,
                    detail=str(field.type),
                    doc=f"**company property** `{key}`: {field.type}\n\nmissing when the contact has no "
                        f"company, or its company has no value"), holder)
        for event in schema.events:
            if event.name.name in self.events:
                continue
            fields = ", ".join(f"{f.name.name} {f.type}" for f in event.fields)
            symbol = self._add(Symbol(
                kind="event", name=event.name.name, span=event.name.span, extent=event.span,
                detail=f"event ({fields})" if fields else "event",
                doc=f"**event** `{event.name.name}`\n\nattributes: "
                    + (", ".join(f"`{f.name.name}` {f.type}" for f in event.fields) or "none")
                    + ", and the implicit `timestamp`"), block)
            self.events[event.name.name] = symbol
            attributes = self.attributes.setdefault(event.name.name, {})
            for field in event.fields:
                attributes.setdefault(field.name.name, self._add(Symbol(
                    kind="attribute", name=field.name.name, span=field.name.span, extent=field.span,
                    detail=f"{field.type}, of {event.name.name}",
                    doc=f"**attribute** `{field.name.name}` of event `{event.name.name}`: {field.type}"), symbol))

    def _model(self, model: nodes.Model, file: str) -> None:
        if model.name.name in self.models:
            return
        outputs: dict[str, Symbol] = {}
        parts = []
        for item in model.items:
            if isinstance(item, nodes.Score):
                parts.append(f"score `{item.name.name}`")
            elif isinstance(item, nodes.Tier):
                parts.append(f"tier `{item.name.name}`")
        subject = " for company" if model.scores_companies else ""
        if subject:
            parts.insert(0, "scores companies")
        symbol = self._add(Symbol(kind="model", name=model.name.name, span=model.name.span, extent=model.span,
                                  detail=", ".join(p.replace("`", "") for p in parts),
                                  doc=f"**model** `{model.name.name}`{subject}: " + (", ".join(parts) or "no score")))
        self.models[model.name.name] = symbol
        # declare the outputs first: tiers and previous() may name a score declared below them
        for item in model.items:
            if isinstance(item, nodes.Score):
                outputs[item.name.name] = self._add(Symbol(
                    kind="score", name=item.name.name, span=item.name.span, extent=item.span,
                    detail=_score_detail(item), doc=_score_doc(item, model.name.name)), symbol)
            elif isinstance(item, nodes.Tier):
                outputs[item.name.name] = self._add(Symbol(
                    kind="tier", name=item.name.name, span=item.name.span, extent=item.span,
                    detail=_tier_detail(item), doc=_tier_doc(item, model.name.name)), symbol)
        scores = {n: s for n, s in outputs.items() if s.kind == "score"}
        for item in model.items:
            if isinstance(item, nodes.Scope):
                self._add(Symbol(kind="scope", name="scope", span=_first_line(item.span), extent=item.span,
                                 detail=_short(expr(item.condition))), symbol)
                self._expr(item.condition, None, {}, outputs)
            elif isinstance(item, nodes.Disqualify):
                self._add(Symbol(kind="disqualifier", name=item.name.name, span=item.name.span, extent=item.span,
                                 detail=_short(expr(item.condition)),
                                 doc=f"**disqualifier** `{item.name.name}`: a contact for whom this holds is "
                                     f"not scored (status `disqualified`)\n\n```scoredsl\n"
                                     f"{expr(item.condition)}\n```"), symbol)
                self._expr(item.condition, None, {}, outputs)
            elif isinstance(item, nodes.Score):
                self._score(item, outputs[item.name.name], outputs)
            elif isinstance(item, nodes.Tier):
                self._tier(item, outputs[item.name.name], scores, outputs)

    def _score(self, score: nodes.Score, symbol: Symbol, outputs) -> None:
        for item in score.items:
            if isinstance(item, nodes.Rule):
                self._rule(item, symbol, None, outputs, _caps(score, None))
            elif isinstance(item, nodes.Group):
                cap = _group_cap(item) or "no cap"
                if item.share is not None:
                    top = f"{item.cap.amount} points" if item.cap is not None and not item.cap.percent else "its max"
                    what = (f"{item.share.percent}% of the weighted score, reached at {top}; fewer points "
                            f"give that share in proportion")
                    cap = f"share {item.share.percent}% {cap}"
                elif item.cap is not None:
                    what = (f"its rules' positive points are capped at {item.cap.amount}"
                            f"{'% of the score' if item.cap.percent else ''}")
                else:
                    what = "no cap"
                group = self._add(Symbol(
                    kind="group", name=item.name.name, span=item.name.span, extent=item.span,
                    detail=cap, doc=f"**group** `{item.name.name}` of score `{score.name.name}`: {what}"
                                    + "\n\n" + _rule_list(item.rules)), symbol)
                for rule in item.rules:
                    self._rule(rule, symbol, group, outputs, _caps(score, item))
            elif isinstance(item, nodes.InactivityDecay):
                steps = ", ".join(f"{_duration(s.after)} => {s.percent}%" for s in item.steps)
                self._add(Symbol(kind="decay", name="decay inactivity", span=_first_line(item.span), extent=item.span,
                                 detail=steps), symbol)
                for ident in item.activity or ():
                    self._event_ref(ident)
            elif isinstance(item, nodes.HalfLifeDecay):
                self._add(Symbol(kind="decay", name="decay half_life", span=_first_line(item.span), extent=item.span,
                                 detail=_duration(item.half_life)), symbol)

    def _rule(self, rule: nodes.Rule, score: Symbol, group: Symbol | None, outputs, caps: str) -> None:
        where = f"score `{score.name}`" + (f", group `{group.name}` ({group.detail})" if group else "")
        body = rule.body
        if isinstance(body, nodes.When):
            award = points(body.points)
            text = f"{award} when `{_short(expr(body.condition), 80)}`"
        elif isinstance(body, nodes.Bands):
            award = "; ".join(f"{band_test(b.test)} => {points(b.points)}" for b in body.bands)
            text = f"the one band of `{expr(body.subject)}` that holds: {award}"
        else:
            award = points(body.points)
            text = f"{award} for each `{body.event.name}` event" + (
                f" where `{_short(expr(body.where), 60)}`" if body.where is not None else "") + (
                f" within {_duration(body.within)}" if body.within is not None else "")
        self._add(Symbol(kind="rule", name=rule.name.name, span=rule.name.span, extent=rule.span,
                         detail=_short(award, 60),
                         doc=f"**rule** `{rule.name.name}` in {where}\n\n{text}" + caps),
                  group or score)
        if isinstance(body, nodes.When):
            self._expr(body.condition, None, {}, outputs)
            self._points(body.points, rule, where)
        elif isinstance(body, nodes.Bands):
            self._expr(body.subject, None, {}, outputs)
            subject = expr(body.subject)
            for band in body.bands:
                self._band(band, subject, rule, where)
                for bound in _bounds(band.test):
                    self._expr(bound, None, {}, outputs)
        else:
            self._event_ref(body.event)
            self._distinct_ref(body.distinct, body.event.name)
            if body.where is not None:
                self._expr(body.where, body.event.name, {}, outputs)
            self._points(body.points, rule, where)

    def _points(self, award, rule: nodes.Rule, where: str) -> None:
        if isinstance(award, nodes.PointsFrom):
            self._name(award.name, None, {}, {})
            return
        self._hovers.append((award.span, f"**{points(award)}** points from rule `{rule.name.name}` in {where}"
                             + (": at most once per contact" if award.once else "")
                             + (f": at most {award.max} in all" if award.max is not None and not award.once else "")))

    def _band(self, band: nodes.Band, subject: str, rule: nodes.Rule, where: str) -> None:
        self._hovers.append((band.span, f"**band** `{band_test(band.test)}` of rule `{rule.name.name}` in {where}"
                             f"\n\n{_edges(band.test, subject)} => **{points(band.points)}** points"))

    def _tier(self, tier: nodes.Tier, symbol: Symbol, scores: Mapping[str, Symbol], outputs) -> None:
        if tier.by is not None:
            self._expr(tier.by, None, scores, outputs)
        if tier.monotonic is not None and tier.monotonic.unless is not None:
            self._expr(tier.monotonic.unless, None, scores, outputs)
        for rank, entry in enumerate(tier.entries, 1):
            test = entry.test
            if isinstance(test, nodes.Threshold):
                text = f"{expr(tier.by) if tier.by is not None else 'value'} {test.op.value} {expr(test.value)}"
                self._expr(test.value, None, scores, outputs)
            elif isinstance(test, nodes.Otherwise):
                text = "otherwise"
            else:
                text = expr(test)
                self._expr(test, None, scores, outputs)
            self._add(Symbol(kind="label", name=entry.label.name, span=entry.label.span, extent=entry.span,
                             detail=_short(text, 60),
                             doc=f"**tier label** `{entry.label.name}` of tier `{tier.name.name}` (rank {rank} "
                                 f"of {len(tier.entries)}): the first entry that holds gives the label\n\n"
                                 f"```scoredsl\n{entry.label.name}: {text}\n```"), symbol)

    # ------------------------------------------------------------ references
    def _expr(self, node, event: str | None, scores: Mapping[str, Symbol], outputs: Mapping[str, Symbol]) -> None:
        """Record every name used in an expression; ``event`` is the event whose attributes
        ``where`` sees, ``scores`` the scores a tier sees, ``outputs`` the model's scores and tiers."""
        if isinstance(node, nodes.Name):
            self._name(node, event, scores, outputs)
        elif isinstance(node, nodes.Aggregate):
            self._event_ref(node.event)
            self._distinct_ref(node.distinct, node.event.name)
            if node.where is not None:
                self._expr(node.where, node.event.name, scores, outputs)
        elif isinstance(node, nodes.Call):
            if node.func.name in ("previous", "change") and node.args and isinstance(node.args[0], nodes.Name):
                target = outputs.get(node.args[0].name)
                if target is not None:
                    self.references.append(Reference(span=node.args[0].span, target=target))
                for arg in node.args[1:]:
                    self._expr(arg, event, scores, outputs)
                return
            for arg in node.args:
                self._expr(arg, event, scores, outputs)
        else:
            for child in _children(node):
                self._expr(child, event, scores, outputs)

    def _name(self, node, event, scores, outputs) -> None:
        name = node.name
        target = (self.attributes.get(event, {}).get(name) if event is not None else None) \
            or scores.get(name) or self.properties.get(name) or self.constants.get(name)
        if target is not None:
            self.references.append(Reference(span=node.span, target=target))

    def _distinct_ref(self, distinct: nodes.Distinct | None, event: str) -> None:
        """``distinct ATTR`` names an attribute of the event."""
        if distinct is None:
            return
        target = self.attributes.get(event, {}).get(distinct.attr.name)
        if target is not None:
            self.references.append(Reference(span=distinct.attr.span, target=target))

    def _event_ref(self, ident: nodes.Ident) -> None:
        target = self.events.get(ident.name)
        if target is not None:
            self.references.append(Reference(span=ident.span, target=target))

    def _order(self) -> None:
        self.references.sort(key=lambda r: r.span.sort_key())
        for symbol in self.symbols:
            symbol.children.sort(key=lambda s: s.extent.sort_key())
        for symbols in self.top.values():
            symbols.sort(key=lambda s: s.extent.sort_key())

    # ------------------------------------------------------------ questions
    def symbol_at(self, file: str, line: int, column: int) -> Symbol | None:
        """The declaration whose name is at this place, or the one a name used here means."""
        for reference in self.references:
            if _inside(reference.span, file, line, column):
                return reference.target
        for symbol in self.symbols:
            if _inside(symbol.span, file, line, column) and symbol.kind not in ("schema", "contact", "scope", "decay"):
                return symbol
        return None

    def include_at(self, file: str, line: int, column: int) -> str | None:
        """The file an include at this place names."""
        for span, target in self.includes:
            if _inside(span, file, line, column):
                return target
        return None

    def hover(self, file: str, line: int, column: int) -> tuple[str, Span] | None:
        """Markdown for the place, and the span it is about."""
        for reference in self.references:
            if _inside(reference.span, file, line, column):
                return reference.target.doc or reference.target.detail, reference.span
        for symbol in self.symbols:
            if _inside(symbol.span, file, line, column) and symbol.doc:
                return symbol.doc, symbol.span
        # the innermost band or points here
        best = None
        for span, text in self._hovers:
            if _inside(span, file, line, column) and (best is None or _size(span) < _size(best[1])):
                best = (text, span)
        if best is not None:
            return best
        return None

    def definition(self, file: str, line: int, column: int) -> Span | None:
        symbol = self.symbol_at(file, line, column)
        return symbol.span if symbol is not None else None

    def model_at(self, file: str, line: int) -> Symbol | None:
        for model in self.models.values():
            if model.extent.file == file and model.extent.line <= line <= model.extent.end_line:
                return model
        return None

    def completions(self, file: str, line: int, before: str) -> list[Completion]:
        """What may be written at the end of ``before`` (the text of the line up to the cursor)."""
        model = self.model_at(file, line)
        outputs = [c for c in (model.children if model else []) if c.kind in ("score", "tier")]
        if re.search(r"\b(previous|change)\s*\(\s*\w*$", before):
            return [_completion(s) for s in outputs]
        if re.search(r"\b(each|count|has|first|last)\s*\(?\s*\w*$", before) or re.search(
                r"\bactivity\s*\[[^\]]*$", before):
            return [_completion(s) for s in self.events.values()]
        found: list[Completion] = []
        event = _event_before(before)
        if event is not None:
            found += [_completion(s) for s in self.attributes.get(event, {}).values()]
        found += [_completion(s) for s in self.properties.values()]
        found += [_completion(s) for s in self.constants.values()]
        found += [_completion(s) for s in outputs if s.kind == "score"]
        found += [Completion(label=name, kind="function", detail=text.split(": ")[0], insert=f"{name}(")
                  for name, text in BUILTINS.items()]
        found += [Completion(label=name, kind="function",
                             detail=f"{name}({', '.join(str(p) for p in getattr(f, 'params', ()))}) -> "
                                    f"{getattr(f, 'returns', '')}", insert=f"{name}(")
                  for name, f in sorted(self.functions.items())]
        found += [Completion(label=word, kind="keyword") for word in KEYWORDS]
        return found

    def document_symbols(self, file: str) -> list[Symbol]:
        """The top-level declarations of ``file``, each with its children."""
        return list(self.top.get(file, []))


# ------------------------------------------------------------------ helpers

def _children(node) -> Iterator:
    if not attrs.has(type(node)):
        return
    for field in attrs.fields(type(node)):
        if field.name == "span":
            continue
        value = getattr(node, field.name)
        if isinstance(value, tuple):
            yield from (v for v in value if attrs.has(type(v)))
        elif attrs.has(type(value)):
            yield value


def _bounds(test) -> Iterable:
    if isinstance(test, nodes.BandCompare):
        return (test.value,)
    if isinstance(test, nodes.BandRange):
        return (test.low, test.high)
    if isinstance(test, nodes.BandValue):
        return (test.value,)
    return ()


def _edges(test, subject: str) -> str:
    """A band's test as the values it holds: ``10 <= employees <= 49``."""
    if isinstance(test, nodes.BandOtherwise):
        return f"any value of `{subject}` that no other band holds (a missing value is in no band)"
    if isinstance(test, nodes.BandCompare):
        return f"`{subject} {test.op.value} {bound_text(test.value)}`"
    if isinstance(test, nodes.BandRange):
        high = "<" if test.high_exclusive else "<="
        return (f"`{bound_text(test.low)} <= {subject} {high} {bound_text(test.high)}` (both ends included)"
                if not test.high_exclusive else
                f"`{bound_text(test.low)} <= {subject} < {bound_text(test.high)}` ({bound_text(test.high)} excluded)")
    value = test.value
    if isinstance(value, nodes.ListLit):
        return f"`{subject}` is one of {expr(value)}"
    return f"`{subject} == {expr(value)}`"


def _duration(d: nodes.Duration) -> str:
    return f"{d.amount}{d.unit.value}"


def _first_line(span: Span) -> Span:
    return Span(file=span.file, line=span.line, column=span.column, end_line=span.line, end_column=span.column + 1)


def _inside(span: Span, file: str, line: int, column: int) -> bool:
    if span.file != file:
        return False
    if (line, column) < (span.line, span.column):
        return False
    return (line, column) <= (span.end_line, span.end_column)


def _size(span: Span) -> tuple[int, int]:
    return span.end_line - span.line, span.end_column - span.column


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _score_bounds(score: nodes.Score) -> list[str]:
    """``["min 0", "max 100"]``: what the score's header bounds it by."""
    return ([f"min {score.floor.text}"] if score.floor is not None else []) + (
        [f"max {score.max}"] if score.max is not None else [])


def _group_cap(group: nodes.Group) -> str | None:
    """``max 30`` or ``max 30%``: the group's cap, if it has one."""
    return f"max {group.cap.amount}{'%' if group.cap.percent else ''}" if group.cap is not None else None


def _score_detail(score: nodes.Score) -> str:
    rules = sum(1 for _ in _all_rules(score))
    return ", ".join(_score_bounds(score) + [f"{rules} rule{'s' if rules != 1 else ''}"])


def _score_doc(score: nodes.Score, model: str) -> str:
    lines = [f"**score** `{score.name.name}` of model `{model}`"]
    if score.max is not None or score.floor is not None:
        lines.append("the final score is " + " and ".join(
            ([f"never below {score.floor.text}"] if score.floor is not None else [])
            + ([f"never above {score.max}"] if score.max is not None else [])))
    for item in score.items:
        if isinstance(item, nodes.InactivityDecay):
            lines.append("decay: after " + ", ".join(f"{_duration(s.after)} without activity, {s.percent}%"
                                                     for s in item.steps))
        elif isinstance(item, nodes.HalfLifeDecay):
            lines.append(f"decay: event points halve every {_duration(item.half_life)}")
    return "\n\n".join(lines) + "\n\n" + _rule_list(tuple(_all_rules(score)))


def _all_rules(score: nodes.Score) -> Iterator[nodes.Rule]:
    for item in score.items:
        if isinstance(item, nodes.Rule):
            yield item
        elif isinstance(item, nodes.Group):
            yield from item.rules


def _rule_list(rules: Sequence[nodes.Rule]) -> str:
    rows = []
    for rule in rules:
        body = rule.body
        if isinstance(body, nodes.Bands):
            award = " / ".join(points(b.points) for b in body.bands)
        else:
            award = points(body.points)
        rows.append(f"- `{rule.name.name}`: {award}")
    return "\n".join(rows) if rows else "no rules"


def _caps(score: nodes.Score, group: nodes.Group | None) -> str:
    """What bounds the points of a rule of ``group`` (or of the score itself) in ``score``."""
    notes = []
    if group is not None and group.cap is not None:
        notes.append(f"group `{group.name.name}`: {_group_cap(group)}")
    if _score_bounds(score):
        notes.append(f"score `{score.name.name}`: {', '.join(_score_bounds(score))}")
    return ("\n\ncaps: " + "; ".join(notes)) if notes else ""


def _tier_detail(tier: nodes.Tier) -> str:
    labels = ", ".join(e.label.name for e in tier.entries)
    return ("monotonic, " if tier.monotonic is not None else "") + labels


def _tier_doc(tier: nodes.Tier, model: str) -> str:
    head = f"**tier** `{tier.name.name}` of model `{model}`" + (
        f" by `{expr(tier.by)}`" if tier.by is not None else "")
    if tier.monotonic is not None:
        head += "\n\nmonotonic: a contact never moves to a lower label between runs" + (
            f", unless `{expr(tier.monotonic.unless)}`" if tier.monotonic.unless is not None else "")
    rows = []
    for entry in tier.entries:
        test = entry.test
        if isinstance(test, nodes.Threshold):
            text = f"{test.op.value} {expr(test.value)}"
        elif isinstance(test, nodes.Otherwise):
            text = "otherwise"
        else:
            text = expr(test)
        rows.append(f"- `{entry.label.name}`: {text}")
    return head + "\n\n" + "\n".join(rows)


def _completion(symbol: Symbol) -> Completion:
    return Completion(label=symbol.name, kind=symbol.kind, detail=symbol.detail)


_EVENT_BEFORE = re.compile(r"\b(?:each\s+|(?:count|has|first|last)\s*\(\s*)(\w+)\s+where\b")


def _event_before(before: str) -> str | None:
    """The event whose ``where`` the end of ``before`` is in, if any."""
    found = None
    for match in _EVENT_BEFORE.finditer(before):
        tail = before[match.end():]
        if "=>" in tail or tail.count(")") > tail.count("("):
            continue
        found = match.group(1)
    return found


