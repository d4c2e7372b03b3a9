"""Check a loaded unit and lower it to the intermediate form.

``check(unit)`` reports every problem in every file (names, types, structure, lints) and
returns the :class:`ir.Program` when there is no error. Expressions are handled by
:mod:`exprcheck`; the model-structure lints (bands, tiers, caps, decay) live in :mod:`lints`.
"""

from __future__ import annotations

import math
from typing import Mapping

import attrs

from scoredsl.check import ir, lints
from scoredsl.check.expressions import COMPANY_PREFIX, ExprChecker, Scope, duration_micros, literal
from scoredsl.check.types import Type, fold_case, from_schema
from scoredsl.data.records import COMPANY_ID, DataSchema, TypeSpec
from scoredsl.diagnostics import Diagnostic, error, suggest, warning
from scoredsl.syntax import nodes
from scoredsl.syntax.formatter import band_test, bound_text
from scoredsl.syntax.loader import Unit
from scoredsl.syntax.parser import _RESERVED

#: The largest max of a group in a weighted score: its share arithmetic, in millionths of a
#: point, stays inside 64-bit integers on every engine.
WEIGHTED_MAX = 1_000_000_000

OUTPUT_COLUMNS = ("contact_id", "model", "status", "reason", "model_version", "as_of", "id")


def check(unit: Unit, functions: Mapping[str, object] | None = None) -> tuple[ir.Program | None, list[Diagnostic]]:
    """Check ``unit``; ``functions`` are the plugin functions rules may call (name -> function
    with ``params``, ``returns`` and ``plugin``, see :class:`scoredsl.plugins.registries.PluginFunction`)."""
    checker = Checker(functions or {})
    program = checker.run(unit)
    has_error = any(d.is_error for d in checker.diagnostics)
    return (None if has_error else program), checker.diagnostics


class Checker:
    def __init__(self, functions: Mapping[str, object]) -> None:
        self.functions = functions
        self.diagnostics: list[Diagnostic] = []
        self.exprs = ExprChecker(self.diagnostics)

    def err(self, code, message, span, hint=None):
        self.diagnostics.append(error(code, message, span, hint))

    def warn(self, code, message, span, hint=None):
        self.diagnostics.append(warning(code, message, span, hint))

    def declare(self, seen: dict, ident: nodes.Ident, what: str) -> bool:
        """Record a declaration; report a duplicate or a reserved word. True if it is new."""
        if ident.name in _RESERVED:
            self.err("SD203", f"'{ident.name}' is a reserved word and cannot name a {what}", ident.span)
            return False
        if ident.name in seen:
            first = seen[ident.name]
            self.err("SD202", f"duplicate {what} '{ident.name}' (first declared at {first.span})", ident.span)
            return False
        seen[ident.name] = ident
        return True

    # ------------------------------------------------------------ unit
    def run(self, unit: Unit) -> ir.Program:
        properties, events, company = self.schema(unit)
        constants = self.constants(unit, properties)
        visible = dict(properties)
        if company is not None:     # contact rules read the company's properties as company.NAME
            visible.update({COMPANY_PREFIX + "id": Type.TEXT}, **{COMPANY_PREFIX + n: t for n, t in company.items()})
        company_outputs: dict[str, Type] = {}
        if company is not None:     # contact rules read their company's scores as MODEL.SCORE
            for file in unit.files:
                for model in file.models:
                    if model.scores_companies:
                        company_outputs.update(_outputs(model))
            visible.update(company_outputs)
        scope = Scope(properties=visible, constants=constants, events=events, functions=self.functions)
        company_scope = self.company_scope(unit, scope, company, company_outputs)
        models, seen = [], {}
        for file in unit.files:
            for model in file.models:
                if self.declare(seen, model.name, "model"):
                    lowered = self.model(model, scope if not model.scores_companies else company_scope)
                    if lowered is not None:
                        models.append(lowered)
        if not seen:
            self.err("SD220", "no model: the file defines no 'model NAME { ... }'", unit.main.span,
                     "a rule file needs at least one model (an included schema file alone cannot be run)")
        schema = DataSchema(
            contact={n: _spec(t) for n, t in properties.items()},
            events={e: {a: _spec(t) for a, t in attrs_.items()} for e, attrs_ in events.items()},
            company=None if company is None else {n: _spec(t) for n, t in company.items()})
        return ir.Program(schema=schema, models=tuple(models))

    def schema(self, unit: Unit):
        properties: dict[str, Type] = {}
        events: dict[str, dict[str, Type]] = {}
        seen_props: dict = {}
        seen_events: dict = {}
        contact_blocks, company_blocks = [], []
        company: dict[str, Type] | None = None
        seen_company: dict = {}
        for file in unit.files:
            for schema in file.schemas:
                contact_blocks.extend(schema.contacts)
                company_blocks.extend(schema.companies)
                for block in schema.companies:
                    company = {} if company is None else company
                    self.record_fields(block.fields, "company", seen_company, company)
                for contact in schema.contacts:
                    self.record_fields(contact.fields, "contact", seen_props, properties)
                for event in schema.events:
                    if not self.declare(seen_events, event.name, "event"):
                        continue
                    attributes, seen_attrs = {}, {}
                    for f in event.fields:
                        if f.name.name == "timestamp":
                            self.err("SD204", "'timestamp' is implicit: every event has one", f.name.span)
                            continue
                        t = self.field_type(f)
                        if self.declare(seen_attrs, f.name, f"attribute of '{event.name.name}'") and t is not None:
                            attributes[f.name.name] = t
                    events[event.name.name] = attributes
        for extra in contact_blocks[1:]:
            self.err("SD202", "the schema declares 'contact' more than once", extra.span,
                     "declare every contact property in one contact block")
        for extra in company_blocks[1:]:
            self.err("SD202", "the schema declares 'company' more than once", extra.span,
                     "declare every company property in one company block")
        if company is not None:
            # the association: a contact belongs to at most one company, by the id in company_id
            declared = properties.get(COMPANY_ID)
            if declared is None:
                properties[COMPANY_ID] = Type.TEXT
            elif declared != Type.TEXT:
                self.err("SD204", f"'{COMPANY_ID}' is the id of the contact's company, a text, not {declared}",
                         seen_props[COMPANY_ID].span, f"declare it {COMPANY_ID}: text, or leave it out")
        return properties, events, company

    def company_scope(self, unit: Unit, contact: Scope, company: dict[str, Type] | None,
                      company_outputs: Mapping[str, Type]) -> Scope | None:
        """What names mean in a company model: the company's properties, the events of all its
        contacts, and, inside an aggregate of contacts, one contact with its contact models'
        scores and tiers as MODEL.NAME. A contact model that reads company scores is scored
        after the companies, so a company model cannot read it. ``None`` without a company block."""
        if company is None:
            return None
        outputs: dict[str, Type] = {}
        later: dict[str, str] = {}
        for file in unit.files:
            for model in file.models:
                if not model.scores_companies:
                    own = _outputs(model)
                    reads = next((n for n in _names(model) if n in company_outputs), None)
                    if reads is None:
                        outputs.update(own)
                    else:
                        later.update(dict.fromkeys(own, f"model {model.name.name} reads the company score {reads}, "
                                                         "so it is scored after the companies"))
        per_contact = attrs.evolve(contact, properties={**{n: t for n, t in contact.properties.items()
                                                           if n not in company_outputs}, **outputs},
                                   per_contact=True, later=later)
        return attrs.evolve(contact, properties=dict(company), contacts=per_contact)

    def record_fields(self, fields, what: str, seen: dict, out: dict[str, Type]) -> None:
        """The declared properties of a contact or company block into ``out`` (``id`` is implicit)."""
        for f in fields:
            if f.name.name == "id":
                self.err("SD204", f"'id' is implicit: every {what} has a text id", f.name.span,
                         "remove this line; sources map their id column to it")
                continue
            t = self.field_type(f)
            if self.declare(seen, f.name, f"{what} property") and t is not None:
                out[f.name.name] = t

    def field_type(self, f: nodes.Field) -> Type | None:
        t = from_schema(f.type.name, f.type.is_list)
        if t is None:
            known = ["text", "int", "number", "bool", "date", "datetime"]
            hint = "the only list type is list[text]" if f.type.is_list else suggest(f.type.name, known)
            self.err("SD311", f"unknown type '{f.type}'", f.type.span,
                     hint or "types are text, int, number, bool, date, datetime, list[text]")
        return t

    def constants(self, unit: Unit, properties) -> dict[str, ir.Const]:
        constants: dict[str, ir.Const] = {}
        seen: dict = {}
        for file in unit.files:
            for let in file.lets:
                if let.name.name in properties:
                    self.err("SD202", f"constant '{let.name.name}' has the name of a contact property",
                             let.name.span, "rename the constant")
                    continue
                if not self.declare(seen, let.name, "constant"):
                    continue
                scope = Scope(properties={}, constants=constants, events={})
                value = self.exprs.expr(let.value, scope)
                if value is None:
                    continue
                if not isinstance(value, ir.Const):
                    self.err("SD312", "a constant must be a literal value or a list of them", let.value.span)
                    continue
                constants[let.name.name] = value
        return constants

    # ------------------------------------------------------------ models
    def model(self, model: nodes.Model, base: Scope | None) -> ir.Model | None:
        subject = "contact" if model.subject is None else model.subject.name
        if subject not in ("contact", "company"):
            self.err("SD223", f"a model scores contacts or companies, not '{subject}'", model.subject.span,
                     "model NAME for company { ... } scores companies; without 'for' a model scores contacts")
            return None
        if model.name.name == "company" and base is not None and any(n.startswith(COMPANY_PREFIX)
                                                                     for n in base.properties):
            self.err("SD223", "a model cannot be named 'company' in a schema with companies: company.NAME reads "
                              "the contact's company", model.name.span, "rename the model")
            return None
        if base is None:
            self.err("SD223", f"model '{model.name.name}' scores companies, and the schema declares none",
                     model.subject.span, "declare the companies' properties: schema { company { industry: text } }")
            return None
        ok = True
        outputs = {s.name.name: "score" for s in model.scores}
        outputs.update((t.name.name, "tier") for t in model.tiers if t.name.name not in outputs)
        base = attrs.evolve(base, outputs=outputs)
        scope_expr = None
        scopes = model.scopes
        for extra in scopes[1:]:
            self.err("SD202", "a model has at most one scope", extra.span, "combine the conditions with 'and'")
        if scopes:
            scope_expr = self.exprs.condition(scopes[0].condition, base, "a scope")
            ok &= scope_expr is not None

        names: dict = {}       # disqualifiers and rules share the model's namespace of named checks
        disqualifiers = []
        for d in model.disqualifiers:
            self.declare(names, d.name, "rule or disqualifier")
            cond = self.exprs.condition(d.condition, base, "a disqualifier")
            ok &= cond is not None
            if cond is not None:
                disqualifiers.append(ir.Disqualifier(name=d.name.name, condition=cond, span=d.span))

        outputs: dict = {}
        scores = []
        for s in model.scores:
            self.output_name(outputs, s.name, "score", base)
            lowered = self.score(s, base, names)
            ok &= lowered is not None
            if lowered is not None:
                scores.append(lowered)
        if not model.scores:
            self.warn("SD221", f"model '{model.name.name}' has no score", model.name.span)

        score_names = tuple(s.name.name for s in model.scores)
        tiers = []
        for t in model.tiers:
            self.output_name(outputs, t.name, "tier", base)
            lowered = self.tier(t, attrs.evolve(base, scores=score_names))
            ok &= lowered is not None
            if lowered is not None:
                tiers.append(lowered)
        if not ok:
            return None
        return ir.Model(name=model.name.name, scope=scope_expr, disqualifiers=tuple(disqualifiers),
                        scores=tuple(scores), tiers=tuple(tiers), subject=subject, span=model.span)

    def output_name(self, outputs: dict, ident: nodes.Ident, what: str, scope: Scope) -> None:
        if ident.name in OUTPUT_COLUMNS:
            self.err("SD205", f"'{ident.name}' is a column of every result row and cannot name a {what}",
                     ident.span)
            return
        if ident.name in scope.properties or ident.name in scope.constants:
            kind = "constant"
            if ident.name in scope.properties:
                kind = "company property" if scope.contacts is not None else "contact property"
            self.err("SD205", f"{what} '{ident.name}' has the name of a {kind}", ident.span,
                     "tiers refer to scores by name, so the two must differ")
            return
        self.declare(outputs, ident, "score or tier")

    # ------------------------------------------------------------ scores
    def score(self, score: nodes.Score, scope: Scope, names: dict) -> ir.Score | None:
        ok = True
        if score.max is not None and score.max <= 0:
            self.err("SD313", "a score's max must be positive", score.span)
            ok = False
        inactivity = half_life = None
        for decay in score.decays:
            if isinstance(decay, nodes.InactivityDecay):
                if inactivity is not None:
                    self.err("SD407", "a score has at most one inactivity decay", decay.span)
                    continue
                inactivity = self.inactivity(decay, scope)
                ok &= inactivity is not None
            else:
                if half_life is not None:
                    self.err("SD407", "a score has at most one half-life decay", decay.span)
                    continue
                if decay.half_life.amount <= 0:
                    self.err("SD305", "a half-life must be longer than zero", decay.half_life.span)
                    ok = False
                    continue
                half_life = duration_micros(decay.half_life)

        items = []
        groups: dict = {}
        for item in score.contributions:
            if isinstance(item, nodes.Group):
                self.declare(groups, item.name, f"group of score '{score.name.name}'")
                lowered = self.group(item, score, scope, names)
            else:
                lowered = self.rule(item, scope, names)
            ok &= lowered is not None
            if lowered is not None:
                items.append(lowered)
        if half_life is not None and not any(isinstance(r, ir.EachRule) for r in _rules(items)):
            self.warn("SD408", "half-life decay applies to 'each' rules, and this score has none",
                      score.span)
        floor = self.floor(score)
        if any(isinstance(item, nodes.Group) and item.share is not None for item in score.contributions):
            ok &= self.weighted(score)
        if not ok or floor is False:
            return None
        lowered = ir.Score(name=score.name.name, max=score.max, items=tuple(items), inactivity=inactivity,
                           half_life=half_life, floor=floor, span=score.span)
        lints.caps(lowered, score, self.diagnostics)
        return lowered

    def weighted(self, score: nodes.Score) -> bool:
        """A score whose groups carry shares: every rule in a group, every group with a share
        and a max in points, no max of its own. Warns when the shares do not add up to 100%."""
        ok = True
        name = score.name.name
        if score.max is not None:
            self.err("SD416", f"score '{name}' is weighted: it runs from 0 to the sum of its shares, "
                              "and takes no max", score.span, "drop the score's max; each group has its own")
            ok = False
        total = 0
        for item in score.contributions:
            if isinstance(item, nodes.Rule):
                self.err("SD416", f"rule '{item.name.name}' is outside the groups of weighted score '{name}'",
                         item.span, "in a weighted score every rule belongs to a group with a share")
                ok = False
            elif item.share is None:
                self.err("SD416", f"group '{item.name.name}' has no share, and score '{name}' is weighted",
                         item.name.span, f"give it one: group {item.name.name} share 25% max 40 {{ ... }}")
                ok = False
            else:
                total += item.share.percent
                if not 0 < item.share.percent <= 100:
                    self.err("SD315", "a share is between 1% and 100%", item.share.span)
                    ok = False
                if item.cap is None or item.cap.percent:
                    self.err("SD416", f"group '{item.name.name}' needs a max in points: the points that earn "
                                      f"its whole {item.share.percent}%", item.span,
                             f"for example: group {item.name.name} share {item.share.percent}% max 40 {{ ... }}")
                    ok = False
                elif item.cap.amount > WEIGHTED_MAX:
                    self.err("SD315", f"a share group's max is at most {WEIGHTED_MAX:,} points", item.cap.span)
                    ok = False
        if ok and total != 100:
            self.warn("SD417", f"the shares of score '{name}' add up to {total}%, not 100%", score.span,
                      f"the score runs from 0 to {total}; make the shares add up to 100 for a 0-100 score")
        return ok

    def floor(self, score: nodes.Score):
        """The score's ``min`` (``None`` if it has none), or ``False`` after reporting why not."""
        if score.floor is None:
            return None
        if not score.floor.is_integer:
            self.err("SD106", f"a score's min must be a whole number, not {score.floor.text}", score.floor.span)
            return False
        floor = int(score.floor.text)
        if score.max is not None and floor >= score.max:
            self.err("SD313", f"score '{score.name.name}' has min {floor}, not below its max {score.max}",
                     score.floor.span, "max caps the points a score collects; min is the lowest it may be")
            return False
        return floor

    def inactivity(self, decay: nodes.InactivityDecay, scope: Scope) -> ir.Inactivity | None:
        ok = lints.decay_steps(decay, self.diagnostics)
        activity = None
        if decay.activity is not None:
            known = [a for a in decay.activity if self.exprs.event_known(a, scope)]
            ok &= len(known) == len(decay.activity)
            activity = tuple(dict.fromkeys(a.name for a in known))
            if not decay.activity:
                self.err("SD314", "an empty activity list makes every contact inactive", decay.span,
                         "name the events that count as activity, or drop 'activity [...]' for all events")
                ok = False
        if not ok:
            return None
        steps = tuple((duration_micros(s.after), s.percent) for s in decay.steps)
        return ir.Inactivity(steps=steps, activity=activity, span=decay.span)

    def group(self, group: nodes.Group, score: nodes.Score, scope: Scope, names: dict) -> ir.Group | None:
        cap = None
        ok = True
        if group.cap is not None:
            c = group.cap
            if c.percent:
                if group.share is not None:
                    ok = False      # reported with the score's other share errors (SD416)
                elif score.max is None:
                    self.err("SD405", "a percentage cap is a share of the score's max, and this score has none",
                             c.span, f"declare one: score {score.name.name} max 100 {{ ... }}")
                    ok = False
                elif not 0 < c.amount <= 100:
                    self.err("SD315", "a percentage cap is between 1% and 100%", c.span)
                    ok = False
                else:
                    cap = math.floor(score.max * c.amount / 100)
            elif c.amount <= 0:
                self.err("SD315", "a cap must be positive", c.span,
                         "a cap bounds positive points; negative rules always subtract in full")
                ok = False
            else:
                cap = c.amount
        if not group.rules:
            self.warn("SD222", f"group '{group.name.name}' has no rule", group.name.span)
        rules = [self.rule(r, scope, names) for r in group.rules]
        if not ok or any(r is None for r in rules):
            return None
        share = None if group.share is None else group.share.percent
        return ir.Group(name=group.name.name, cap=cap, rules=tuple(rules), share=share, span=group.span)

    # ------------------------------------------------------------ rules
    def rule(self, rule: nodes.Rule, scope: Scope, names: dict):
        self.declare(names, rule.name, "rule or disqualifier")
        body = rule.body
        name = rule.name.name
        if isinstance(body, nodes.When):
            cond = self.exprs.condition(body.condition, scope, f"rule '{name}'")
            if isinstance(body.points, nodes.PointsFrom):
                value = self.points_from(body.points, scope, name)
                if cond is None or value is None:
                    return None
                return ir.WhenRule(name=name, condition=cond, points=0, value=value, span=rule.span)
            points_ok = self.plain_points(body.points, "a condition rule awards its points once anyway")
            if cond is None or not points_ok:
                return None
            return ir.WhenRule(name=name, condition=cond, points=body.points.amount, span=rule.span)
        if isinstance(body, nodes.Bands):
            return self.bands(name, body, scope, rule)
        return self.each(name, body, scope, rule)

    def points_from(self, points: nodes.PointsFrom, scope: Scope, rule: str) -> ir.PropPoints | None:
        """``=> + PROPERTY in LOW..HIGH``: an ``int`` property, bounded."""
        name = points.name.name
        sign = "-" if points.negative else "+"
        example = f"=> {sign} {name} in -50..50"
        kind = scope.properties.get(name)
        if kind is None:
            hint = suggest(name, list(scope.properties))
            if name in scope.constants:
                hint = f"'{name}' is a constant: points from a constant are written as a number"
            self.err("SD320", f"rule '{rule}': points come from a contact property, and '{name}' is none",
                     points.name.span, hint)
            return None
        if kind != Type.INT:
            self.err("SD320", f"rule '{rule}': points are whole numbers, and '{name}' is {kind}", points.name.span,
                     "declare the property int (a decimal would need rounding, which the rule file should say)")
            return None
        if points.low is None:
            self.err("SD320", f"rule '{rule}': points from a property need a range, so that a typo in the CRM "
                              "cannot award a million points", points.span, f"for example {example}")
            return None
        if not points.low.is_integer or not points.high.is_integer:
            self.err("SD106", "the range of points must be whole numbers", points.span)
            return None
        low, high = int(points.low.text), int(points.high.text)
        if low > high:
            self.err("SD320", f"rule '{rule}': the range {low}..{high} is empty", points.span,
                     f"write the lower bound first: {high}..{low}")
            return None
        return ir.PropPoints(prop=ir.Prop(name=name, type=Type.INT, span=points.name.span), low=low, high=high,
                             sign=-1 if points.negative else 1)

    def plain_points(self, points: nodes.Points, why: str) -> bool:
        if points.once or points.max is not None:
            word = "once" if points.once else "max"
            self.err("SD404", f"'{word}' applies only to 'each' rules", points.span, why)
            return False
        return True

    def each(self, name: str, body: nodes.Each, scope: Scope, rule: nodes.Rule):
        ok = self.exprs.event_known(body.event, scope)
        filt = distinct = None
        fold = False
        if ok:
            ok, filt = self.exprs.event_filter(body.where, body.event.name, scope)
            if body.distinct is not None:
                distinct, fold = self.exprs.distinct(body.distinct, body.event.name, scope)
                ok &= distinct is not None
        window = self.exprs.window(body.within)
        points = body.points
        limit = points.max
        if points.once:
            limit = abs(points.amount)
        if limit is not None and limit <= 0:
            self.err("SD315", "max must be a positive number of points", points.span)
            ok = False
        if points.amount == 0:
            self.warn("SD409", f"rule '{name}' awards 0 points", points.span)
        if limit is not None and points.amount != 0 and limit < abs(points.amount) and not points.once:
            self.warn("SD410", f"max {limit} is below the {abs(points.amount)} points of a single event",
                      points.span, "the rule can never award its full points")
        if not ok:
            return None
        return ir.EachRule(name=name, event=body.event.name, filter=filt, window=window,
                           points=points.amount, limit=limit, distinct=distinct, fold=fold, span=rule.span)

    def bands(self, name: str, body: nodes.Bands, scope: Scope, rule: nodes.Rule):
        subject = self.exprs.expr(body.subject, scope)
        if subject is None:
            return None
        if not (subject.type.is_numeric or subject.type in (Type.TEXT, Type.DURATION)):
            self.err("SD316", f"bands need a number, a duration or a text, not {subject.type}",
                     body.subject.span)
            return None
        ok = True
        fold = subject.type == Type.TEXT and not body.case_sensitive
        if body.case_sensitive and subject.type != Type.TEXT:
            self.warn("SD306", "case_sensitive has no effect here: the bands are not text", body.subject.span)
        bands = []
        for band in body.bands:
            ok &= self.plain_points(band.points, "a band awards its points once")
            lowered = self.band(band, subject.type, scope, fold)
            ok &= lowered is not None
            if lowered is not None:
                bands.append(lowered)
        if not body.bands:
            self.err("SD316", "a band rule needs at least one band", body.span)
            ok = False
        if ok:
            ok = lints.band_order(bands, subject.type, self.diagnostics)
        if not ok:
            return None
        return ir.BandRule(name=name, subject=subject, fold=fold, bands=tuple(bands), span=rule.span)

    def bound(self, node, subject: Type, scope: Scope):
        """The constant value of a band bound, checked against the banded value's type."""
        const = self.exprs.expr(node, scope)
        if const is None:
            return None
        if not isinstance(const, ir.Const):
            self.err("SD316", "a band bound is a number, a duration or a constant", node.span)
            return None
        fits = const.type.is_numeric if subject.is_numeric else const.type == subject
        if not fits:
            want = "a number" if subject.is_numeric else "a duration like 30d"
            self.err("SD316", f"this band bound is {const.type}, but the value is {subject}: use {want}",
                     node.span)
            return None
        return const.value

    def band(self, band: nodes.Band, subject: Type, scope: Scope, fold: bool = True) -> ir.Band | None:
        test, points = band.test, band.points.amount
        label = band_test(test)
        if isinstance(test, nodes.BandOtherwise):
            return ir.Band(points=points, otherwise=True, label=label, span=band.span)
        if isinstance(test, (nodes.BandCompare, nodes.BandRange)):
            if not (subject.is_numeric or subject == Type.DURATION):
                self.err("SD316", f"a range band needs a number or a duration, but the value is {subject}",
                         test.span, 'write text bands as "value" => points or ["a", "b"] => points')
                return None
            bounds = [self.bound(b, subject, scope) for b in
                      ((test.low, test.high) if isinstance(test, nodes.BandRange) else (test.value,))]
            if any(b is None for b in bounds):
                return None
            if isinstance(test, nodes.BandRange):
                low, high = bounds
                if low > high or (low == high and test.high_exclusive):
                    self.err("SD401", f"band {label} is empty: {bound_text(test.low)} is not below "
                                      f"{bound_text(test.high)}", test.span)
                    return None
                return ir.Band(points=points, low=low, high=high, high_inclusive=not test.high_exclusive,
                               label=label, span=band.span)
            value = bounds[0]
            op = test.op
            if op in (nodes.CmpOp.LT, nodes.CmpOp.LE):
                return ir.Band(points=points, high=value, high_inclusive=op is nodes.CmpOp.LE, label=label,
                               span=band.span)
            if op in (nodes.CmpOp.GT, nodes.CmpOp.GE):
                return ir.Band(points=points, low=value, low_inclusive=op is nodes.CmpOp.GE, label=label,
                               span=band.span)
            self.err("SD316", f"'{op.value}' is not a band; write the value alone for equality", test.span)
            return None
        if subject == Type.DURATION:
            self.err("SD316", "a duration is banded by ranges, like < 30d or 30d..90d", test.span)
            return None
        const = self.exprs.expr(test.value, scope)
        if const is None:
            return None
        if not isinstance(const, ir.Const):
            self.err("SD316", "a band is a constant value or list", test.span)
            return None
        values = const.value if const.type.is_list else (const.value,)
        element = const.type.element if const.type.is_list else const.type
        fits = element == Type.TEXT if subject == Type.TEXT else element.is_numeric
        if not fits:
            self.err("SD316", f"band {label} is {element} but the value is {subject}", test.span)
            return None
        if subject == Type.TEXT and fold:
            values = tuple(fold_case(v) for v in values)
        return ir.Band(points=points, values=tuple(values), label=label, span=band.span)

    # ------------------------------------------------------------ tiers
    def tier(self, tier: nodes.Tier, scope: Scope) -> ir.Tier | None:
        by = None
        ok = True
        if tier.by is not None:
            by = self.exprs.expr(tier.by, scope)
            if by is not None and not by.type.is_numeric:
                self.err("SD317", f"'by' needs a number, like a score or a sum of scores, not {by.type}",
                         tier.by.span)
                by = None
            ok &= by is not None
        labels: dict = {}
        entries = []
        for i, entry in enumerate(tier.entries):
            self.declare(labels, entry.label, f"label of tier '{tier.name.name}'")
            test = entry.test
            if isinstance(test, nodes.Otherwise):
                if i != len(tier.entries) - 1:
                    self.err("SD411", "'otherwise' must be the last entry: the entries after it can never match",
                             entry.span)
                    ok = False
                entries.append(ir.TierEntry(label=entry.label.name, condition=None, span=entry.span))
                continue
            if isinstance(test, nodes.Threshold):
                if tier.by is None:
                    self.err("SD317", f"a threshold like '{test.op.value} N' needs 'tier {tier.name.name} by SCORE'",
                             entry.span, f"or write a condition: {entry.label.name}: SCORE {test.op.value} N")
                    ok = False
                    continue
                value = self.exprs.expr(test.value, scope)
                if value is not None and not value.type.is_numeric:
                    self.err("SD317", f"a threshold is a number, not {value.type}", test.value.span)
                    value = None
                if value is None or by is None:
                    ok = False
                    continue
                cond = ir.Cmp(op=test.op, left=by, right=value, fold=False,
                              nullable=by.nullable or value.nullable, span=entry.span)
                entries.append(ir.TierEntry(label=entry.label.name, condition=cond, span=entry.span))
                continue
            if tier.by is not None:
                self.err("SD317", f"tier '{tier.name.name}' is 'by' a value, so each entry is a threshold "
                                  "like '>= 35'", entry.span)
                ok = False
                continue
            cond = self.exprs.condition(test, scope, f"tier entry '{entry.label.name}'")
            ok &= cond is not None
            if cond is not None:
                entries.append(ir.TierEntry(label=entry.label.name, condition=cond, span=entry.span))
        if not tier.entries:
            self.err("SD317", f"tier '{tier.name.name}' has no entry", tier.span)
            ok = False
        unless = None
        if tier.monotonic is not None and tier.monotonic.unless is not None:
            unless = self.exprs.condition(tier.monotonic.unless, scope, f"the 'unless' of tier '{tier.name.name}'")
            ok &= unless is not None
        if not ok:
            return None
        lowered = ir.Tier(name=tier.name.name, entries=tuple(entries), monotonic=tier.monotonic is not None,
                          unless=unless, span=tier.span)
        lints.tier_reachability(lowered, self.diagnostics)
        if entries and entries[-1].condition is not None:
            self.warn("SD412", f"tier '{tier.name.name}' has no 'otherwise': some contacts get no {tier.name.name}",
                      tier.span, "end the tier with an entry like 'other: otherwise'")
        return lowered


def _rules(items):
    for item in items:
        if isinstance(item, ir.Group):
            yield from item.rules
        else:
            yield item


def _outputs(model: nodes.Model) -> dict[str, Type]:
    """A model's scores and tiers as other models read them: ``MODEL.NAME`` -> type."""
    out = {f"{model.name.name}.{score.name.name}": Type.INT for score in model.scores}
    for tier in model.tiers:
        out.setdefault(f"{model.name.name}.{tier.name.name}", Type.TEXT)
    return out


def _names(node):
    """Every name a syntax tree refers to (``nodes.Name``), in order."""
    if isinstance(node, nodes.Name):
        yield node.name
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _names(item)
    elif attrs.has(type(node)):
        for field in attrs.fields(type(node)):
            if field.name != "span":
                yield from _names(getattr(node, field.name))


def _spec(t: Type) -> TypeSpec:
    return TypeSpec("text", True) if t == Type.TEXT_LIST else TypeSpec(t.value)


__all__ = ["check", "literal"]
