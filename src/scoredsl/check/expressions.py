"""Type-check one expression and lower it to the intermediate form.

:class:`ExprChecker` resolves names in a :class:`Scope` (contact properties, constants, event
attributes inside a ``where``, scores inside a tier), infers types, reports every problem it
finds, and returns an :mod:`ir` expression, or ``None`` where the expression is invalid (its
problem has been reported; callers stop lowering but keep checking).
"""

from __future__ import annotations

from typing import Mapping

import attrs
import re2

from scoredsl.check import ir
from scoredsl.check.types import Type, arith_result, comparable, element_fits, fold_case, list_of
from scoredsl.data.records import epoch_micros
from scoredsl.diagnostics import Diagnostic, Span, error, suggest, warning
from scoredsl.syntax import nodes

MICROS = 1_000_000
MAX_REGEX_MEMORY = 8 << 20


@attrs.frozen(kw_only=True)
class Scope:
    """What names mean at one place in a model."""
    properties: Mapping[str, Type]
    constants: Mapping[str, ir.Const]
    events: Mapping[str, Mapping[str, Type]]
    event: str | None = None                    # inside ``where`` of this event
    scores: tuple[str, ...] = ()                # inside tiers
    outputs: Mapping[str, str] = attrs.field(factory=dict)   # the model's scores and tiers: name -> kind
    functions: Mapping[str, object] = attrs.field(factory=dict)
    #: in a company model: the scope of one of its contacts, for ``count(contacts where ...)``,
    #: ``best(...)`` and ``total(...)``
    contacts: "Scope | None" = None
    #: this is that scope: expressions over one contact, which never read events
    per_contact: bool = False
    #: names that exist but cannot be read here, and why (a contact model scored after companies)
    later: Mapping[str, str] = attrs.field(factory=dict)

    def within_event(self, event: str) -> "Scope":
        return attrs.evolve(self, event=event)

    def visible(self) -> list[str]:
        names = [*self.properties, *self.constants, *self.scores]
        if self.event is not None:
            names.extend(self.events.get(self.event, {}))
        return names


#: How a contact model names its company's properties: ``company.industry``.
COMPANY_PREFIX = "company."


def duration_micros(d: nodes.Duration) -> int:
    return d.seconds * MICROS


def literal(node) -> ir.Const | None:
    """The constant of a literal node (lists of literals included), or None."""
    if isinstance(node, nodes.Number):
        return ir.Const(value=node.value, type=Type.INT if node.is_integer else Type.NUMBER, span=node.span)
    if isinstance(node, nodes.Text):
        return ir.Const(value=node.value, type=Type.TEXT, span=node.span)
    if isinstance(node, nodes.Bool):
        return ir.Const(value=node.value, type=Type.BOOL, span=node.span)
    if isinstance(node, nodes.Duration):
        return ir.Const(value=duration_micros(node), type=Type.DURATION, span=node.span)
    if isinstance(node, nodes.DateLit):
        import datetime as dt
        return ir.Const(value=epoch_micros(dt.date.fromisoformat(node.text)), type=Type.DATE, span=node.span)
    if isinstance(node, nodes.DateTimeLit):
        import datetime as dt
        value = dt.datetime.fromisoformat(node.text.replace("Z", "+00:00"))
        return ir.Const(value=epoch_micros(value), type=Type.DATETIME, span=node.span)
    return None


def fold_value(value):
    if isinstance(value, str):
        return fold_case(value)
    if isinstance(value, tuple):
        return tuple(fold_value(v) for v in value)
    return value


def validate_regex(pattern: str, case_sensitive: bool) -> str | None:
    """None if RE2 accepts the pattern, else the reason."""
    options = re2.Options()
    options.max_mem = MAX_REGEX_MEMORY
    options.case_sensitive = case_sensitive
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except Exception as exc:  # re2.error, or another error of the binding for odd input
        reason = exc.args[0] if exc.args else "invalid pattern"
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


class ExprChecker:
    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics

    def err(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(error(code, message, span, hint))

    def warn(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(warning(code, message, span, hint))

    # ------------------------------------------------------------ entry points
    def condition(self, node, scope: Scope, what: str) -> ir.Expr | None:
        """An expression that must be true/false."""
        expr = self.expr(node, scope)
        if expr is not None and expr.type != Type.BOOL:
            self.err("SD301", f"{what} must be a condition (true or false), not {expr.type}", node.span,
                     "compare it, e.g. 'employees > 10', or test it with 'is set'")
            return None
        return expr

    def expr(self, node, scope: Scope) -> ir.Expr | None:
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node, scope)

    # ------------------------------------------------------------ literals and names
    def _number(self, node, scope):
        return literal(node)

    _text = _bool = _duration = _number

    def _datelit(self, node, scope):
        return literal(node)

    _datetimelit = _datelit

    def _listlit(self, node, scope):
        items = [self.expr(item, scope) for item in node.items]
        if any(i is None for i in items):
            return None
        if not items:
            self.err("SD302", "a list needs at least one item", node.span)
            return None
        for item, source in zip(items, node.items):
            if not isinstance(item, ir.Const) or item.type.is_list:
                self.err("SD302", "list items must be plain strings or numbers", source.span)
                return None
        kind = list_of(items[0].type)
        if kind is None or any(not element_fits(kind, i.type) for i in items):
            self.err("SD302", "list items must be all strings or all numbers", node.span)
            return None
        return ir.Const(value=tuple(i.value for i in items), type=kind, span=node.span)

    def _paren(self, node, scope):
        return self.expr(node.inner, scope)

    def _name(self, node, scope: Scope):
        name = node.name
        if scope.event is not None and name in scope.events.get(scope.event, {}):
            return ir.Attr(event=scope.event, name=name, type=scope.events[scope.event][name], span=node.span)
        if name in scope.scores:
            return ir.ScoreRef(name=name, span=node.span)
        if name == "id":
            return ir.Prop(name="id", type=Type.TEXT, nullable=False, span=node.span)
        if name in scope.properties:
            return ir.Prop(name=name, type=scope.properties[name], span=node.span)
        if name in scope.constants:
            return attrs.evolve(scope.constants[name], span=node.span)
        if "." in name:
            return self._dotted(node, scope)
        what = "name"
        if scope.event is not None:
            what = f"attribute of '{scope.event}', property or constant"
        elif scope.scores:
            what = "score, property or constant"
        else:
            what = "property or constant"
        hint = suggest(name, scope.visible())
        if hint is None and name in scope.events:
            hint = f"'{name}' is an event: count it with count({name}) or test it with has({name})"
        if hint is None and name == "contacts":
            hint = "count(contacts where ...) counts a company's contacts, in a company model"
        if hint is None and scope.contacts is not None and name in scope.contacts.properties:
            hint = (f"'{name}' is a property of each contact; read it through the company's contacts: "
                    f"count(contacts where {name} ...)")
        self.err("SD201", f"unknown {what} '{name}'", node.span, hint)
        return None

    def _dotted(self, node, scope: Scope):
        """``company.NAME`` that is not a property of the company: say why."""
        owner, field = node.name.split(".", 1)
        company = [n.split(".", 1)[1] for n in scope.properties if n.startswith(COMPANY_PREFIX)]
        if scope.contacts is not None and owner == "company":
            self.err("SD201", f"a company model reads the company's properties by name, not as '{node.name}'",
                     node.span, f"write {field}" if field in scope.properties or field == "id" else
                     suggest(field, list(scope.properties)))
        elif scope.contacts is not None and node.name in scope.contacts.properties:
            kind = "score" if scope.contacts.properties[node.name] == Type.INT else "tier"
            self.err("SD322", f"'{node.name}' is one contact's {kind}, and a company model reads its contacts "
                              "together", node.span,
                     f"aggregate it: best({node.name}), total({node.name}) or count(contacts where ...)")
        elif node.name in scope.later:
            self.err("SD322", f"a company model cannot read '{node.name}': {scope.later[node.name]}", node.span,
                     "read a contact model that does not use company scores")
        elif scope.per_contact and "." in node.name and owner != "company":
            self.err("SD201", f"unknown name '{node.name}'", node.span,
                     suggest(node.name, [n for n in scope.properties if "." in n])
                     or "a contact's models are read as MODEL.SCORE or MODEL.TIER of a contact model")
        elif owner != "company":
            self.err("SD201", f"unknown name '{node.name}'", node.span,
                     suggest(node.name, [n for n in scope.properties if "." in n and not n.startswith(COMPANY_PREFIX)])
                     or "a dotted name reads the contact's company (company.NAME) or its score in a company model "
                        "(MODEL.SCORE)")
        elif not company:
            self.err("SD201", f"'{node.name}' reads the contact's company, and the schema declares none",
                     node.span, "declare the company's properties: schema { company { industry: text } }")
        else:
            self.err("SD201", f"the company has no property '{field}'", node.span,
                     suggest(field, company) or "declare it in the schema's company block")
        return None

    # ------------------------------------------------------------ functions and aggregates
    def _call(self, node, scope: Scope):
        func = node.func.name
        if func == "previous":
            return self._previous(node, scope)
        if func == "change":
            return self._change(node, scope)
        if func in ("best", "total") and scope.contacts is not None:
            return self._contact_value(node, scope)
        if node.where is not None:
            self.err("SD322", f"{func}() takes no 'where'", node.where.span,
                     "'where' filters a company's contacts in best(...) and total(...) of a company model")
            return None
        args = [self.expr(a, scope) for a in node.args]
        if func == "age":
            if len(args) != 1:
                self.err("SD303", f"age() takes one date or datetime, got {len(args)} arguments", node.span)
                return None
            arg = args[0]
            if arg is None:
                return None
            if not arg.type.is_temporal:
                self.err("SD304", f"age() needs a date or datetime, not {arg.type}", node.args[0].span)
                return None
            return ir.Age(operand=arg, nullable=arg.nullable, span=node.span)
        plugin_function = scope.functions.get(func)
        if plugin_function is None:
            hint = suggest(func, ["age", "previous", "change", "count", "has", "first", "last", *scope.functions])
            if func in ("best", "total"):
                hint = (f"{func}(...) aggregates a company's contacts, in a company model: "
                        "model NAME for company { ... }")
            self.err("SD201", f"unknown function '{func}'", node.func.span,
                     hint or "functions come from plugins: 'scoredsl plugins' lists them")
            return None
        params = plugin_function.params
        if len(args) != len(params):
            signature = ", ".join(str(p) for p in params)
            self.err("SD303", f"{func}() takes {len(params)} argument{'s' if len(params) != 1 else ''} "
                              f"({signature}), got {len(args)}", node.span)
            return None
        ok = True
        for arg, param, source in zip(args, params, node.args):
            if arg is None:
                ok = False
            elif not (arg.type == param or (param == Type.NUMBER and arg.type == Type.INT)
                      or (param == Type.DATETIME and arg.type == Type.DATE)):
                self.err("SD304", f"argument of {func}() must be {param}, not {arg.type}", source.span)
                ok = False
        if not ok:
            return None
        return ir.Call(function=func, plugin=plugin_function.plugin, args=tuple(args),
                       type=plugin_function.returns, span=node.span)

    def _contact_value(self, node, scope: Scope):
        """``best(V where C)`` / ``total(V where C)`` over a company's contacts."""
        func = node.func.name
        if len(node.args) != 1:
            self.err("SD303", f"{func}() takes one value of a contact, like {func}(b2b.fit), got "
                              f"{len(node.args)} arguments", node.span)
            return None
        value = self.expr(node.args[0], scope.contacts)
        ok, filt = self.contact_filter(node.where, scope)
        if value is None or not ok:
            return None
        if value.type != Type.INT:
            self.err("SD304", f"{func}() takes a whole number of each contact (a score, an int property), "
                              f"not {value.type}", node.args[0].span)
            return None
        return ir.ContactAgg(func=func, filter=filt, value=value, type=Type.INT, nullable=func == "best",
                             span=node.span)

    def contact_filter(self, where, scope: Scope) -> tuple[bool, ir.Expr | None]:
        if where is None:
            return True, None
        expr = self.condition(where, scope.contacts, "a 'where' filter of contacts")
        return expr is not None, expr

    def _previous(self, node, scope: Scope):
        """``previous(NAME)``: the previous run's value of a score or tier of this model."""
        if len(node.args) != 1 or not isinstance(node.args[0], nodes.Name):
            self.err("SD319", "previous() takes the name of one score or tier of this model", node.span,
                     "for example previous(engagement) or previous(lifecycle)")
            return None
        arg = node.args[0]
        kind = scope.outputs.get(arg.name)
        if kind is None:
            self.err("SD319", f"previous() takes a score or tier of this model, and '{arg.name}' is neither",
                     arg.span, suggest(arg.name, list(scope.outputs)))
            return None
        return ir.Previous(name=arg.name, kind=kind, type=Type.INT if kind == "score" else Type.TEXT,
                           span=node.span)

    def _change(self, node, scope: Scope):
        """``change(SCORE, DURATION)``: the score now minus the score at the contact's latest run
        at least DURATION before this one."""
        usage = "for example change(engagement, 7d): the score now minus the score 7 days before"
        if len(node.args) != 2 or not isinstance(node.args[0], nodes.Name):
            self.err("SD319", "change() takes a score of this model and a duration", node.span, usage)
            return None
        arg = node.args[0]
        if scope.outputs.get(arg.name) != "score":
            self.err("SD319", f"change() takes a score of this model, and '{arg.name}' is not one", arg.span,
                     suggest(arg.name, [n for n, k in scope.outputs.items() if k == "score"]))
            return None
        if arg.name not in scope.scores:
            self.err("SD319", "change() compares with the score computed now, so it is used in tiers",
                     node.span, "use previous(...) in rules, or move the test into a tier")
            return None
        window = self.expr(node.args[1], scope)
        if window is None:
            return None
        if not isinstance(window, ir.Const) or window.type != Type.DURATION or window.value <= 0:
            self.err("SD319", "the second argument of change() is a duration longer than zero, like 7d",
                     node.args[1].span)
            return None
        past = ir.Previous(name=arg.name, kind="score", type=Type.INT, window=window.value, span=node.span)
        return ir.Arith(op=nodes.ArithOp.SUB, left=ir.ScoreRef(name=arg.name, span=arg.span), right=past,
                        type=Type.INT, nullable=True, span=node.span)

    def event_known(self, ident: nodes.Ident, scope: Scope) -> bool:
        if ident.name in scope.events:
            return True
        hint = suggest(ident.name, scope.events) or "declare it in the schema: event NAME { ... }"
        if ident.name == "contacts":
            hint = "count(contacts where ...) counts a company's contacts, in a model NAME for company { ... }"
        self.err("SD201", f"unknown event '{ident.name}'", ident.span, hint)
        return False

    def window(self, within: nodes.Duration | None) -> int | None:
        if within is None:
            return None
        if within.amount <= 0:
            self.err("SD305", "a window must be longer than zero", within.span)
        return duration_micros(within)

    def event_filter(self, where, event: str, scope: Scope) -> tuple[bool, ir.Expr | None]:
        if where is None:
            return True, None
        expr = self.condition(where, scope.within_event(event), "a 'where' filter")
        return expr is not None, expr

    def _aggregate(self, node, scope: Scope):
        if scope.per_contact:
            self.err("SD322", f"{node.func.value}(...) reads events, and a filter of contacts tests one contact",
                     node.span, "score the contact's events in a contact model and read its score here: "
                                "count(contacts where b2b.engagement >= 20)")
            return None
        if node.event.name == "contacts" and scope.contacts is not None and scope.event is None:
            return self._contact_count(node, scope)
        if scope.event is not None:
            self.err("SD318", f"{node.func.value}(...) cannot be used inside a 'where' filter", node.span,
                     "a filter tests one event's attributes; move the aggregate to the rule's condition")
            return None
        if not self.event_known(node.event, scope):
            if node.where is not None:  # still check the filter's own names where possible
                self.expr(node.where, attrs.evolve(scope, event=None))
            return None
        ok, filt = self.event_filter(node.where, node.event.name, scope)
        window = self.window(node.within)
        distinct, fold = None, False
        if node.distinct is not None:
            if node.func is not nodes.AggFunc.COUNT:
                self.err("SD321", f"'distinct' counts values, and {node.func.value}(...) does not count",
                         node.distinct.span, f"count(EVENT distinct ATTR) is the number of different values; "
                         f"{node.func.value}(...) is the same with or without it")
                return None
            distinct, fold = self.distinct(node.distinct, node.event.name, scope)
            ok &= distinct is not None
        if not ok:
            return None
        func = node.func
        rtype, nullable = {
            nodes.AggFunc.COUNT: (Type.INT, False), nodes.AggFunc.HAS: (Type.BOOL, False),
            nodes.AggFunc.FIRST: (Type.DATETIME, True), nodes.AggFunc.LAST: (Type.DATETIME, True),
        }[func]
        return ir.Agg(func=func, event=node.event.name, filter=filt, window=window, type=rtype,
                      nullable=nullable, distinct=distinct, fold=fold, span=node.span)

    def _contact_count(self, node, scope: Scope):
        """``count(contacts where C)`` / ``has(contacts where C)`` over a company's contacts."""
        func = node.func.value
        if node.func not in (nodes.AggFunc.COUNT, nodes.AggFunc.HAS):
            self.err("SD322", f"{func}(contacts) is not an aggregate of contacts", node.span,
                     "count(contacts where ...) and has(contacts where ...) count them; best(...) and total(...) "
                     "aggregate a value of each")
            return None
        for extra, what in ((node.within, "within"), (node.distinct, "distinct")):
            if extra is not None:
                self.err("SD322", f"'{what}' applies to events, not to contacts", extra.span,
                         "windows go on events: count(page_view within 30d) counts the events of every contact")
                return None
        ok, filt = self.contact_filter(node.where, scope)
        if not ok:
            return None
        counting = node.func is nodes.AggFunc.COUNT
        return ir.ContactAgg(func=func, filter=filt, value=None, type=Type.INT if counting else Type.BOOL,
                             span=node.span)

    def distinct(self, node: nodes.Distinct, event: str, scope: Scope) -> tuple[ir.Attr | None, bool]:
        """The attribute whose values ``distinct`` counts once each, and whether text is
        lower-cased first; ``(None, False)`` after reporting why not."""
        name = node.attr.name
        attributes = scope.events[event]
        if name not in attributes:
            self.err("SD201", f"event '{event}' has no attribute '{name}'", node.attr.span,
                     suggest(name, list(attributes)) or f"'distinct' names an attribute of {event}")
            return None, False
        kind = attributes[name]
        if kind == Type.TEXT_LIST:
            self.err("SD321", f"'{name}' holds a list; 'distinct' counts single values", node.attr.span,
                     f"test the list in a filter instead: where {name} contains \"...\"")
            return None, False
        if node.case_sensitive and kind != Type.TEXT:
            self.warn("SD306", f"case_sensitive has no effect on {kind} values", node.span)
        attr = ir.Attr(event=event, name=name, type=kind, span=node.attr.span)
        return attr, kind == Type.TEXT and not node.case_sensitive

    # ------------------------------------------------------------ predicates
    def _operands(self, node, scope):
        return self.expr(node.left, scope), self.expr(node.right, scope)

    def _case(self, node, text_involved: bool) -> bool:
        """Whether to fold case; warns when ``case_sensitive`` has nothing to act on."""
        if node.case_sensitive and not text_involved:
            self.warn("SD306", "case_sensitive has no effect on a test that does not compare text", node.span)
        return text_involved and not node.case_sensitive

    def _compare(self, node, scope):
        left, right = self._operands(node, scope)
        if left is None or right is None:
            return None
        op = node.op
        if not comparable(left.type, right.type):
            self.err("SD307", f"cannot compare {left.type} with {right.type}", node.span,
                     _compare_hint(left.type, right.type))
            return None
        if left.type in (Type.BOOL, Type.TEXT_LIST, Type.NUMBER_LIST) and op not in (nodes.CmpOp.EQ, nodes.CmpOp.NE):
            self.err("SD307", f"'{op.value}' does not order {left.type} values", node.span)
            return None
        if left.type.is_list:
            self.err("SD307", "lists cannot be compared with ==; use 'contains' or 'in'", node.span)
            return None
        text = left.type == Type.TEXT
        fold = self._case(node, text) if op in (nodes.CmpOp.EQ, nodes.CmpOp.NE) else False
        if text and node.case_sensitive and op not in (nodes.CmpOp.EQ, nodes.CmpOp.NE):
            self.warn("SD306", "ordering comparisons of text are always case-sensitive", node.span)
        return ir.Cmp(op=op, left=_fold_const(left, fold), right=_fold_const(right, fold), fold=fold,
                      nullable=left.nullable or right.nullable, span=node.span)

    def _membership(self, node, scope):
        left, right = self._operands(node, scope)
        if left is None or right is None:
            return None
        if right.type == Type.TEXT_LIST and not isinstance(right, ir.Const):
            # "x in tags" where tags is a list[text] property
            if left.type != Type.TEXT:
                self.err("SD307", f"a list[text] can only contain text, not {left.type}", node.left.span)
                return None
            fold = self._case(node, True)
            has = ir.ListHas(container=right, item=_fold_const(left, fold), fold=fold,
                             nullable=left.nullable or right.nullable, span=node.span)
            return ir.Not(item=has, nullable=has.nullable, span=node.span) if node.negated else has
        if not (isinstance(right, ir.Const) and right.type.is_list):
            self.err("SD308", "'in' needs a list, like [\"a\", \"b\"], or a list constant", node.right.span)
            return None
        if not element_fits(right.type, left.type):
            self.err("SD307", f"cannot look for a {left.type} in a {right.type}", node.span)
            return None
        fold = self._case(node, left.type == Type.TEXT)
        items = fold_value(right.value) if fold else right.value
        return ir.InList(operand=left, items=tuple(dict.fromkeys(items)), fold=fold, negated=node.negated,
                         nullable=left.nullable, span=node.span)

    def _texttest(self, node, scope):
        left, right = self._operands(node, scope)
        if left is None or right is None:
            return None
        if right.type != Type.TEXT:
            self.err("SD304", f"'{node.op.value}' needs text on its right, not {right.type}", node.right.span)
            return None
        if left.type == Type.TEXT_LIST and node.op is nodes.TextOp.CONTAINS:
            fold = self._case(node, True)
            return ir.ListHas(container=left, item=_fold_const(right, fold), fold=fold,
                              nullable=left.nullable or right.nullable, span=node.span)
        if left.type != Type.TEXT:
            self.err("SD304", f"'{node.op.value}' tests text, but this is {left.type}", node.left.span,
                     "compare numbers with ==, <, >= ..." if left.type.is_numeric else None)
            return None
        fold = self._case(node, True)
        return ir.TextTest(op=node.op, left=left, right=_fold_const(right, fold), fold=fold,
                           nullable=left.nullable or right.nullable, span=node.span)

    def _matches(self, node, scope):
        left = self.expr(node.left, scope)
        case_sensitive = node.case_sensitive
        problem = validate_regex(node.regex.pattern, case_sensitive)
        if problem is not None:
            self.err("SD309", f"invalid regular expression: {problem}", node.regex.span,
                     "patterns use RE2 syntax: no backreferences or look-around")
        if "i" in node.regex.flags and case_sensitive:
            self.err("SD309", "the regex flag 'i' contradicts case_sensitive", node.regex.span)
            return None
        if left is None or problem is not None:
            return None
        if left.type != Type.TEXT:
            self.err("SD304", f"'matches' tests text, but this is {left.type}", node.left.span)
            return None
        return ir.RegexMatch(operand=left, pattern=node.regex.pattern, fold=not case_sensitive,
                             nullable=left.nullable, span=node.span)

    def _isset(self, node, scope):
        operand = self.expr(node.operand, scope)
        if operand is None:
            return None
        if not operand.nullable:
            word = "missing" if node.negated else "set"
            self.warn("SD310", f"this value is never missing, so 'is {word}' is always "
                               f"{'false' if node.negated else 'true'}", node.span)
        return ir.IsSet(operand=operand, negated=node.negated, span=node.span)

    def _boolop(self, node, scope):
        items = [self.expr(o, scope) for o in node.operands]
        ok = True
        for item, source in zip(items, node.operands):
            if item is not None and item.type != Type.BOOL:
                self.err("SD301", f"'{node.op.value}' combines conditions, but this is {item.type}", source.span)
                ok = False
        if not ok or any(i is None for i in items):
            return None
        cls = ir.And if node.op is nodes.BoolOpKind.AND else ir.Or
        return cls(items=tuple(items), nullable=any(i.nullable for i in items), span=node.span)

    def _not(self, node, scope):
        item = self.expr(node.operand, scope)
        if item is None:
            return None
        if item.type != Type.BOOL:
            self.err("SD301", f"'not' negates a condition, but this is {item.type}", node.operand.span)
            return None
        return ir.Not(item=item, nullable=item.nullable, span=node.span)

    def _arith(self, node, scope):
        left, right = self._operands(node, scope)
        if left is None or right is None:
            return None
        rtype = arith_result(node.op.value, left.type, right.type)
        if rtype is None:
            self.err("SD307", f"cannot compute {left.type} {node.op.value} {right.type}", node.span)
            return None
        return ir.Arith(op=node.op, left=left, right=right, type=rtype,
                        nullable=left.nullable or right.nullable, span=node.span)

    def _neg(self, node, scope):
        operand = self.expr(node.operand, scope)
        if operand is None:
            return None
        if not (operand.type.is_numeric or operand.type == Type.DURATION):
            self.err("SD307", f"cannot negate {operand.type}", node.span)
            return None
        if isinstance(operand, ir.Const):
            return attrs.evolve(operand, value=-operand.value, span=node.span)
        return ir.Neg(operand=operand, type=operand.type, nullable=operand.nullable, span=node.span)


def _fold_const(expr: ir.Expr, fold: bool) -> ir.Expr:
    if fold and isinstance(expr, ir.Const) and expr.type == Type.TEXT:
        return attrs.evolve(expr, value=fold_case(expr.value))
    return expr


def _compare_hint(a: Type, b: Type) -> str | None:
    if Type.DURATION in (a, b) and (a.is_numeric or b.is_numeric):
        return "write durations with a unit, e.g. 30d"
    if Type.TEXT in (a, b) and (a.is_numeric or b.is_numeric):
        return "quote text, and leave numbers unquoted"
    if Type.DURATION in (a, b) and (a.is_temporal or b.is_temporal):
        return "use age(...) to turn a date into a duration, e.g. age(created) > 30d"
    return None
