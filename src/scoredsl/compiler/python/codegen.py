"""Intermediate form -> Python source for one evaluator function per model.

The generated function takes ``(contact, events, as_of)``: the contact's typed property dict,
its events as ``{type: [tuple, ...]}`` (each tuple ``(timestamp, attr1, attr2, ...)`` in
schema order, timestamps and dates as integer microseconds, sorted by timestamp), and as_of
in microseconds. It returns ``(status, reason, scores, tiers)``, plus a trace in explain mode.

Three-valued logic without run-time helpers: every condition is compiled twice, as the Python
expression that is truthy exactly when the condition is *true* (:meth:`truth`) and the one that
is truthy exactly when it is *false* (:meth:`falsity`). ``not`` swaps the two; ``and``/``or``
follow De Morgan. A rule applies when its truth expression is truthy, so *unknown* never
applies. Literals enter the source only through ``repr()``; sets and regexes live in the
namespace under minted names.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Callable

import re2

from scoredsl.check import ir
from scoredsl.check.ir import DECAY_SCALE
from scoredsl.check.types import Type
from scoredsl.compiler.python.emitter import Emitter, Minter
from scoredsl.syntax.nodes import AggFunc, ArithOp, CmpOp, TextOp


_PY_OP = {CmpOp.EQ: "==", CmpOp.NE: "!=", CmpOp.LT: "<", CmpOp.LE: "<=", CmpOp.GT: ">", CmpOp.GE: ">="}
_NEGATED = {CmpOp.EQ: "!=", CmpOp.NE: "==", CmpOp.LT: ">=", CmpOp.LE: ">", CmpOp.GT: "<=", CmpOp.GE: "<"}
_ARITH = {ArithOp.ADD: "+", ArithOp.SUB: "-", ArithOp.MUL: "*"}


def compile_regex(pattern: str, fold: bool):
    options = re2.Options()
    options.case_sensitive = not fold
    options.max_mem = 8 << 20
    options.log_errors = False
    return re2.compile(pattern, options)


def regex_test(pattern: str, fold: bool) -> Callable[[str], bool]:
    """``text -> whether the pattern matches somewhere in text``, as ``compile_regex(pattern,
    fold).search(text) is not None`` says. The wrapper's ``search`` also works out where the
    match and each group are, in characters, and builds a match object: six times the cost
    of asking the compiled RE2 program itself, which is what this does, with the same
    program on the same UTF-8 bytes, when the installed google-re2 has that interface."""
    compiled = compile_regex(pattern, fold)
    match = getattr(getattr(compiled, "_regexp", None), "Match", None)
    anchor = getattr(getattr(getattr(re2, "_re2", None), "RE2", None), "Anchor", None)
    if match is None or anchor is None:
        return lambda text: compiled.search(text) is not None
    unanchored = anchor.UNANCHORED

    def test(text: str) -> bool:
        data = text.encode("utf-8")
        return match(unanchored, data, 0, len(data))[0][0] >= 0
    return test


class ModelCompiler:
    """Emits the evaluator of one model into a shared emitter and namespace."""

    def __init__(self, model: ir.Model, program: ir.Program, out: Emitter, mint: Minter,
                 namespace: dict, *, trace: bool, functions: dict | None = None):
        self.model = model
        self.functions = functions or {}
        self.calls: dict[tuple[ir.Call, bool], str] = {}
        self.events_schema = program.schema.events
        self.out = out
        self.mint = mint
        self.ns = namespace
        self.trace = trace
        self.props: dict[tuple[str, bool], str] = {}     # (name, folded) -> local
        self.attrs: dict[tuple[str, str, bool], str] = {}
        self.aggs: dict[ir.Agg, str] = {}
        self.scores: dict[str, str] = {}
        self._consts: dict[tuple, str] = {}

    # ------------------------------------------------------------ names and constants
    def const_name(self, kind: str, value, make, hint: str = "") -> str:
        key = (kind, value)
        if key not in self._consts:
            name = self.mint(f"_{kind}", hint)
            self.ns[name] = make()
            self._consts[key] = name
        return self._consts[key]

    def frozen_set(self, items: tuple) -> str:
        ordered = tuple(sorted(items, key=repr))
        return self.const_name("set", ordered, lambda: frozenset(ordered))

    def regex(self, pattern: str, fold: bool) -> str:
        return self.const_name("re", (pattern, fold), lambda: regex_test(pattern, fold))

    # ------------------------------------------------------------ values
    def val(self, e: ir.Expr, fold: bool = False) -> str:
        """A Python expression for the value of ``e``, ``None`` when missing."""
        if isinstance(e, ir.Const):
            return repr(e.value)
        if isinstance(e, ir.Prop):
            return self.props[(e.name, fold and e.type in (Type.TEXT, Type.TEXT_LIST))]
        if isinstance(e, ir.Previous):
            return self.props[(e.key, fold and e.type == Type.TEXT)]
        if isinstance(e, ir.ContactAgg):
            return self.props[(e.key, False)]
        if isinstance(e, ir.Attr):
            return self.attrs[(e.event, e.name, fold and e.type == Type.TEXT)]
        if isinstance(e, ir.ScoreRef):
            return self.scores[e.name]
        if isinstance(e, ir.Agg):
            return self.aggs[e]
        if isinstance(e, ir.Call):
            return self.calls[(e, fold and e.type == Type.TEXT)]
        if isinstance(e, ir.Age):
            inner = self.val(e.operand)
            return f"(None if {inner} is None else as_of - {inner})" if e.operand.nullable else f"(as_of - {inner})"
        if isinstance(e, ir.Arith):
            left, right = self.val(e.left), self.val(e.right)
            expr = f"{left} {_ARITH[e.op]} {right}"
            missing = " or ".join(f"{self.val(o)} is None" for o in (e.left, e.right) if o.nullable)
            return f"(None if {missing} else {expr})" if missing else f"({expr})"
        if isinstance(e, ir.Neg):
            inner = self.val(e.operand)
            return f"(None if {inner} is None else -{inner})" if e.operand.nullable else f"(-{inner})"
        # a condition used as a value: its three-valued result
        if not e.nullable:
            return f"bool({self.truth(e)})"
        return f"(True if {self.truth(e)} else (False if {self.falsity(e)} else None))"

    def guard(self, *operands: ir.Expr) -> str:
        """``x is not None and ...`` for the operands that can be missing; '' if none can."""
        return " and ".join(f"{self.val(o)} is not None" for o in operands if o.nullable)

    def guarded(self, guard: str, test: str) -> str:
        return f"({guard} and {test})" if guard else f"({test})"

    # ------------------------------------------------------------ conditions
    def truth(self, e: ir.Expr) -> str:
        return self._cond(e, True)

    def falsity(self, e: ir.Expr) -> str:
        return self._cond(e, False)

    def _cond(self, e: ir.Expr, want: bool) -> str:
        if isinstance(e, ir.Not):
            return self._cond(e.item, not want)
        if isinstance(e, (ir.And, ir.Or)):
            joiner = " and " if isinstance(e, ir.And) == want else " or "
            return "(" + joiner.join(self._cond(i, want) for i in e.items) + ")"
        if isinstance(e, ir.IsSet):
            present = want != e.negated
            if not e.operand.nullable:   # never missing: "is set" is simply true
                return repr(present)
            return f"({self.val(e.operand)} is {'not ' if present else ''}None)"
        if isinstance(e, ir.Cmp):
            op = _PY_OP[e.op] if want else _NEGATED[e.op]
            test = f"{self.val(e.left, e.fold)} {op} {self.val(e.right, e.fold)}"
            return self.guarded(self.guard(e.left, e.right), test)
        if isinstance(e, ir.InList):
            member = want != e.negated
            test = f"{self.val(e.operand, e.fold)} {'in' if member else 'not in'} {self.frozen_set(e.items)}"
            return self.guarded(self.guard(e.operand), test)
        if isinstance(e, ir.ListHas):
            test = f"{self.val(e.item, e.fold)} {'in' if want else 'not in'} {self.val(e.container, e.fold)}"
            return self.guarded(self.guard(e.container, e.item), test)
        if isinstance(e, ir.TextTest):
            left, right = self.val(e.left, e.fold), self.val(e.right, e.fold)
            test = {TextOp.CONTAINS: f"{right} in {left}", TextOp.STARTS_WITH: f"{left}.startswith({right})",
                    TextOp.ENDS_WITH: f"{left}.endswith({right})"}[e.op]
            return self.guarded(self.guard(e.left, e.right), test if want else f"not ({test})")
        if isinstance(e, ir.RegexMatch):
            rx = self.regex(e.pattern, e.fold)
            test = f"{rx}({self.val(e.operand)})" if want else f"not {rx}({self.val(e.operand)})"
            return self.guarded(self.guard(e.operand), test)
        # a bool-typed value: a property, attribute, constant or aggregate
        value = self.val(e)
        if e.nullable:
            return f"({value} is {want})"
        return value if want else f"(not {value})"

    def kleene(self, e: ir.Expr) -> str:
        """The three-valued result (True / False / None) as a Python expression."""
        if not e.nullable:
            return f"bool({self.truth(e)})"
        return f"(True if {self.truth(e)} else (False if {self.falsity(e)} else None))"

    # ------------------------------------------------------------ collection
    def exprs(self):
        """Every expression of the model (roots), for collecting what to load."""
        m = self.model
        if m.scope is not None:
            yield m.scope
        for d in m.disqualifiers:
            yield d.condition
        for score in m.scores:
            for rule in score.rules():
                if isinstance(rule, ir.WhenRule):
                    yield rule.condition
                    if rule.value is not None:
                        yield rule.value.prop
                elif isinstance(rule, ir.BandRule):
                    yield rule.subject
                elif rule.filter is not None:
                    yield rule.filter
        for tier in m.tiers:
            for entry in tier.entries:
                if entry.condition is not None:
                    yield entry.condition
            if tier.unless is not None:
                yield tier.unless

    def distinct_attrs(self, aggs):
        """The attributes that ``distinct`` counts (and whether any counts them lower-cased)."""
        self.distinct_fold: dict[tuple, bool] = {}
        counted = [a for a in aggs if a.distinct is not None]
        counted += [r for _s, r in self.each_rules() if r.distinct is not None]
        for item in counted:
            self.distinct_fold[item.distinct] = self.distinct_fold.get(item.distinct, False) or item.fold
        return list(self.distinct_fold)

    def each_rules(self):
        return self.each_rules_of(self.model)

    @staticmethod
    def each_rules_of(model: ir.Model):
        for score in model.scores:
            for rule in score.rules():
                if isinstance(rule, ir.EachRule):
                    yield score, rule

    # ------------------------------------------------------------ the function
    def collect(self) -> tuple[dict, dict, dict]:
        """What the model reads: ``(properties, event attributes by event, aggregates)``, each
        with its type and whether it is compared lower-cased; also the plugin calls by the event
        whose attributes they read (:attr:`calls_by_event`)."""
        used_props: dict[str, tuple[Type, bool]] = {}
        used_attrs: dict[str, dict[str, tuple[Type, bool]]] = {}
        aggs: dict[ir.Agg, None] = {}
        for root in self.exprs():
            for e in ir.walk(root):
                folded = _folds(e)
                if isinstance(e, ir.Prop):
                    t, f = used_props.get(e.name, (e.type, False))
                    used_props[e.name] = (t, f)
                elif isinstance(e, ir.Attr):
                    used_attrs.setdefault(e.event, {}).setdefault(e.name, (e.type, False))
                elif isinstance(e, (ir.Previous, ir.ContactAgg)):
                    used_props.setdefault(e.key, (e.type, False))
                elif isinstance(e, ir.Agg):
                    aggs[e] = None
                for operand in folded:
                    if isinstance(operand, ir.Prop):
                        used_props[operand.name] = (operand.type, True)
                    elif isinstance(operand, ir.Previous):
                        used_props[operand.key] = (operand.type, True)
                    elif isinstance(operand, ir.Attr):
                        used_attrs.setdefault(operand.event, {})[operand.name] = (operand.type, True)
        for distinct in self.distinct_attrs(aggs):
            _t, was_folded = used_attrs.setdefault(distinct.event, {}).get(distinct.name, (distinct.type, False))
            used_attrs[distinct.event][distinct.name] = (distinct.type, was_folded or self.distinct_fold[distinct])
        for subject in band_subjects_folded(self.model):
            for e in ir.walk(subject):
                if isinstance(e, ir.Prop):
                    used_props[e.name] = (e.type, True)
                elif isinstance(e, ir.Previous):
                    used_props[e.key] = (e.type, True)
        for tier in self.model.tiers:
            if tier.monotonic:
                used_props.setdefault(tier.previous.key, (Type.TEXT, False))

        # a call reading an event's attributes is made per event, in that event's loop; one
        # reading an aggregate, after the loops (_AFTER_EVENTS); any other, before them (None)
        self.calls_by_event: dict[str | None, list[ir.Call]] = {}
        for root in self.exprs():
            for e in ir.walk_postorder(root):
                if isinstance(e, ir.Call):
                    events = {a.event for a in _outside_aggs(e) if isinstance(a, ir.Attr)}
                    key = events.pop() if events else (
                        _AFTER_EVENTS if any(isinstance(a, ir.Agg) for a in ir.walk(e)) else None)
                    bucket = self.calls_by_event.setdefault(key, [])
                    if e not in bucket:
                        bucket.append(e)
        return used_props, used_attrs, aggs

    def compile(self, fname: str) -> None:
        out = self.out
        used_props, used_attrs, aggs = self.collect()
        with out.block(f"def {fname}(contact, events, as_of):", self.model.span):
            if self.trace:
                out.line("trace = {'rules': {}, 'groups': {}, 'scores': {}, 'tiers': {}, 'disqualifiers': []}")
            for name, (t, folded) in used_props.items():
                self.load_prop(name, t, folded)
            for call in self.calls_by_event.get(None, ()):
                self.emit_call(call)
            self.early = self.early_exits() if not self.trace else (False, 0)
            self.event_loops(aggs, used_attrs)
            for call in self.calls_by_event.get(_AFTER_EVENTS, ()):
                self.emit_call(call)
            self.body()

    def early_exits(self) -> tuple[bool, int]:
        """Emit the scope test and the leading disqualifiers that read no events before the
        event loops, so that a contact they exclude costs no event work. Returns whether the
        scope and how many disqualifiers were emitted."""
        m, out = self.model, self.out

        def reads_events(e) -> bool:
            return any(isinstance(x, (ir.Agg, ir.Attr)) for x in ir.walk(e))

        scope_done = False
        if m.scope is not None:
            if reads_events(m.scope):
                return False, 0
            with out.block(f"if not {self.truth(m.scope)}:", m.scope.span):
                out.line("return ('out_of_scope', None, None, None)")
            scope_done = True
        count = 0
        for d in m.disqualifiers:
            if reads_events(d.condition):
                break
            with out.block(f"if {self.truth(d.condition)}:", d.span):
                out.line(f"return ('disqualified', {d.name!r}, None, None)")
            count += 1
        return scope_done, count

    def emit_call(self, call: ir.Call) -> None:
        """Compute a plugin function call once, into a local (and its lower-cased text)."""
        function = self.const_name("fn", call.function, lambda: self.functions[call.function], call.function)
        local = self.mint("f", call.function)
        args = ", ".join(self.val(a) for a in call.args)
        missing = " or ".join(f"{self.val(a)} is None" for a in call.args if a.nullable)
        expr = f"{function}({args})"
        self.out.line(f"{local} = None if {missing} else {expr}" if missing else f"{local} = {expr}", call.span)
        self.calls[(call, False)] = local
        if call.type == Type.TEXT:
            low = self.mint("f", call.function + "_l")
            self.out.line(f"{low} = None if {local} is None else {_folded(local)}", call.span)
            self.calls[(call, True)] = low
        else:
            self.calls[(call, True)] = local

    def load_prop(self, name: str, t: Type, folded: bool) -> None:
        local = self.mint("p", name)
        self.props[(name, False)] = local
        key = repr(name)
        if t == Type.TEXT:
            self.out.line(f"{local} = _v if (_v := contact.get({key})) and not _v.isspace() else None")
        elif t.is_temporal:
            self.out.line(f"{local} = None if (_v := contact.get({key})) is None else _micros(_v)")
        elif t == Type.TEXT_LIST:
            self.out.line(f"{local} = tuple(_v) if (_v := contact.get({key})) else None")
        else:
            self.out.line(f"{local} = contact.get({key})")
        if folded:
            low = self.mint("p", name + "_l")
            self.props[(name, True)] = low
            if t == Type.TEXT_LIST:
                self.out.line(f"{low} = None if {local} is None else tuple(_fold(_x) for _x in {local})")
            else:
                self.out.line(f"{low} = None if {local} is None else {_folded(local)}")
        else:
            self.props[(name, True)] = local

    def event_plan(self, aggs: dict) -> list[tuple[str, list, list, bool]]:
        """``(event, its aggregates, its each-rules, whether its last timestamp is tracked)``
        for every event type the model reads, in schema order."""
        by_event: dict[str, list] = {}
        for agg in aggs:
            by_event.setdefault(agg.event, []).append(agg)
        each = list(self.each_rules())
        for _score, rule in each:
            by_event.setdefault(rule.event, [])
        activity_events = set()
        for score in self.model.scores:
            if score.inactivity is not None:
                kinds = score.inactivity.activity or tuple(self.events_schema)
                activity_events.update(kinds)
        for event in activity_events:
            by_event.setdefault(event, [])
        return [(event, by_event[event], [(s, r) for s, r in each if r.event == event], event in activity_events)
                for event in sorted(by_event, key=lambda e: list(self.events_schema).index(e))]

    def event_loops(self, aggs: dict, used_attrs: dict) -> None:
        self.last_seen: dict[str, str] = {}
        self.each_state: dict[str, tuple[str, str | None]] = {}
        for event, event_aggs, rules, track_last in self.event_plan(aggs):
            self.event_loop(event, event_aggs, rules, used_attrs.get(event, {}), track_last)

    def event_loop(self, event: str, aggs: list, rules: list, used: dict, track_last: bool) -> None:
        out = self.out
        windows = self.windows(aggs, rules)
        seen: dict[object, str] = {}      # an aggregate or rule counting distinct values -> its set
        for agg in aggs:
            local = self.mint(agg.func.value, event)
            self.aggs[agg] = local
            init = {AggFunc.COUNT: "0", AggFunc.HAS: "False"}.get(agg.func, "None")
            if agg.distinct is not None:
                seen[agg] = self.mint("seen", event)
                out.line(f"{seen[agg]} = set()", agg.span)
            else:
                out.line(f"{local} = {init}", agg.span)
        for score, rule in rules:
            acc = self.mint("n", rule.name)
            decayed = score.half_life is not None and rule.points > 0
            self.each_state[rule.name] = (acc, self.mint("sum", rule.name) if decayed else None)
            if rule.distinct is not None:
                seen[rule] = self.mint("seen", rule.name)
                out.line(f"{seen[rule]} = set()", rule.span)
            else:
                out.line(f"{acc} = 0", rule.span)
            if decayed:
                out.line(f"{self.each_state[rule.name][1]} = 0", rule.span)
        self.seen = seen
        if track_last:
            last = self.mint("last", event)
            self.last_seen[event] = last
            out.line(f"{last} = None")
        with out.block(f"for _ev in events.get({event!r}, ()):"):
            out.line("_t = _ev[0]")
            with out.block("if _t > as_of:"):
                out.line("break")
            if track_last:
                out.line(f"{self.last_seen[event]} = _t")
            self.load_attrs(event, used)
            for call in self.calls_by_event.get(event, ()):
                self.emit_call(call)
            for agg in aggs:
                self.agg_step(agg, windows)
            for score, rule in rules:
                self.each_step(score, rule, windows)
        for agg in aggs:
            if agg.distinct is not None:
                out.line(f"{self.aggs[agg]} = len({seen[agg]})", agg.span)
        for _score, rule in rules:
            if rule.distinct is not None:
                out.line(f"{self.each_state[rule.name][0]} = len({seen[rule]})", rule.span)

    def windows(self, aggs: list, rules: list) -> dict[int, str]:
        """Emit the start of each window the aggregates and rules of one event type count in."""
        windows: dict[int, str] = {}
        for window in sorted({a.window for a in aggs if a.window} | {r.window for _s, r in rules if r.window}):
            windows[window] = self.mint("since", f"{window // 86_400_000_000}d")
            self.out.line(f"{windows[window]} = as_of - {window!r}")
        return windows

    def load_attrs(self, event: str, used: dict) -> None:
        """Emit the loads of the attributes the model reads from the event in ``_ev``."""
        index = {name: i + 1 for i, name in enumerate(self.events_schema[event])}
        for name, (t, folded) in used.items():
            local = self.mint("a", f"{event}_{name}")
            self.attrs[(event, name, False)] = local
            self.out.line(f"{local} = _ev[{index[name]}]")
            if folded and t == Type.TEXT:
                low = self.mint("a", f"{event}_{name}_l")
                self.attrs[(event, name, True)] = low
                self.out.line(f"{low} = None if {local} is None else {_folded(local)}")
            else:
                self.attrs[(event, name, True)] = local

    def _matches(self, flt, window, windows) -> str:
        tests = []
        if window:
            tests.append(f"_t >= {windows[window]}")
        if flt is not None:
            tests.append(self.truth(flt))
        return " and ".join(tests)

    def distinct_value(self, item) -> str:
        """The local holding the value an aggregate or rule counts once (its event's attribute)."""
        return self.attrs[(item.distinct.event, item.distinct.name, item.fold)]

    def agg_step(self, agg: ir.Agg, windows: dict) -> None:
        local = self.aggs[agg]
        step = {AggFunc.COUNT: f"{local} += 1", AggFunc.HAS: f"{local} = True",
                AggFunc.LAST: f"{local} = _t"}.get(agg.func)
        test = self._matches(agg.filter, agg.window, windows)
        if agg.distinct is not None:
            value = self.distinct_value(agg)
            step = f"{self.seen[agg]}.add({value})"
            test = f"{value} is not None" + (f" and {test}" if test else "")
        if agg.func is AggFunc.FIRST:
            test = f"{local} is None" + (f" and {test}" if test else "")
            step = f"{local} = _t"
        if test:
            with self.out.block(f"if {test}:", agg.span):
                self.out.line(step, agg.span)
        else:
            self.out.line(step, agg.span)

    def each_step(self, score: ir.Score, rule: ir.EachRule, windows: dict) -> None:
        acc, decayed = self.each_state[rule.name]
        test = self._matches(rule.filter, rule.window, windows)
        lines = [f"{acc} += 1"]
        if rule.distinct is not None:     # the first matching event of each value
            value, seen = self.distinct_value(rule), self.seen[rule]
            test = f"{value} is not None and {value} not in {seen}" + (f" and {test}" if test else "")
            lines = [f"{seen}.add({value})"]
        if decayed:
            lines.append(f"{decayed} += {_decayed(score, rule, '_t')}")
        if test:
            with self.out.block(f"if {test}:", rule.span):
                for line in lines:
                    self.out.line(line, rule.span)
        else:
            for line in lines:
                self.out.line(line, rule.span)

    # ------------------------------------------------------------ scoring
    def body(self) -> None:
        out = self.out
        m = self.model
        early = not self.trace
        status = "'scored'"
        scope_done, disqualifiers_done = self.early
        if m.scope is not None and not scope_done:
            if early:
                with out.block(f"if not {self.truth(m.scope)}:", m.scope.span):
                    out.line("return ('out_of_scope', None, None, None)")
            else:
                out.line(f"trace['scope'] = {self.kleene(m.scope)}", m.scope.span)
        if self.trace:
            out.line("status, reason = 'scored', None")
            if m.scope is not None:
                with out.block("if trace['scope'] is not True:"):
                    out.line("status = 'out_of_scope'")
        for d in m.disqualifiers[disqualifiers_done:]:
            if early:
                with out.block(f"if {self.truth(d.condition)}:", d.span):
                    out.line(f"return ('disqualified', {d.name!r}, None, None)")
            else:
                out.line(f"_d = {self.kleene(d.condition)}", d.span)
                out.line(f"trace['disqualifiers'].append(({d.name!r}, _d))", d.span)
                with out.block("if _d is True and status == 'scored':"):
                    out.line(f"status, reason = 'disqualified', {d.name!r}")
        for score in m.scores:
            self.score(score)
        tiers = []
        for tier in m.tiers:
            tiers.append(self.tier(tier))
        scores = "".join(f"{self.scores[s.name]}, " for s in m.scores)
        labels = "".join(f"{t}, " for t in tiers)
        if self.trace:
            out.line(f"return (status, reason, ({scores}), ({labels}), trace)")
        else:
            out.line(f"return ({status}, None, ({scores}), ({labels}))")

    def rule(self, rule) -> tuple[str, int]:
        """Emit one rule; returns its local and the sign of its points (1, -1, or 0 for mixed)."""
        out = self.out
        local = self.mint("r", rule.name)
        scale = self.scale
        if isinstance(rule, ir.WhenRule):
            cond = rule.condition
            points = repr(rule.points * scale)
            applies = self.truth(cond)
            if rule.value is not None:     # the property's value, bounded, signed
                v, value = self.val(rule.value.prop), rule.value
                points = f"(min(max({v}, {value.low!r}), {value.high!r}) * {value.sign * scale!r})"
                applies = f"{v} is not None and {applies}"
            if self.trace:
                out.line(f"_m = {self.kleene(cond)}", rule.span)
                present = "" if rule.value is None else f"{self.val(rule.value.prop)} is not None and "
                out.line(f"{local} = {points} if {present}_m is True else 0", rule.span)
                out.line(f"trace['rules'][{rule.name!r}] = ({self.shown(local)}, _m)", rule.span)
            else:
                out.line(f"{local} = {points} if {applies} else 0", rule.span)
            return local, rule.sign
        if isinstance(rule, ir.BandRule):
            self.bands(rule, local)
            signs = {_sign(b.points) for b in rule.bands} - {0}
            return local, signs.pop() if len(signs) == 1 else 0
        acc, decayed = self.each_state[rule.name]
        total = decayed if decayed else f"{acc} * {rule.points * scale!r}"
        if rule.limit is None:
            out.line(f"{local} = {total}", rule.span)
        elif rule.points > 0:
            out.line(f"{local} = min({total}, {rule.limit * scale!r})", rule.span)
        else:
            out.line(f"{local} = max({total}, {-rule.limit * scale!r})", rule.span)
        if self.trace:
            out.line(f"trace['rules'][{rule.name!r}] = ({self.shown(local)}, {acc})", rule.span)
        return local, _sign(rule.points)

    def bands(self, rule: ir.BandRule, local: str) -> None:
        out = self.out
        subject = self.val(rule.subject, rule.fold)
        if not isinstance(rule.subject, (ir.Prop, ir.Agg, ir.Const)):
            local_subject = self.mint("b", rule.name)
            out.line(f"{local_subject} = {subject}", rule.span)
            subject = local_subject
        label = "_band" if self.trace else None
        out.line(f"{local} = 0", rule.span)
        if label:
            out.line(f"{label} = None", rule.span)
        keyword = "if"
        guard = out.block(f"if {subject} is not None:", rule.span) if rule.subject.nullable else nullcontext()
        with guard:
            for band in rule.bands:
                if band.otherwise:
                    header = "else:" if keyword == "elif" else "if True:"
                else:
                    header = f"{keyword} {self.band_test(subject, band)}:"
                with out.block(header, band.span):
                    out.line(f"{local} = {band.points * self.scale!r}", band.span)
                    if label:
                        out.line(f"{label} = {band.label!r}", band.span)
                keyword = "elif"
        if self.trace:
            out.line(f"trace['rules'][{rule.name!r}] = ({self.shown(local)}, {label})", rule.span)

    def band_test(self, subject: str, band: ir.Band) -> str:
        if band.values is not None:
            if len(band.values) == 1:
                return f"{subject} == {band.values[0]!r}"
            return f"{subject} in {self.frozen_set(band.values)}"
        tests = []
        if band.low is not None:
            tests.append(f"{subject} {'>=' if band.low_inclusive else '>'} {band.low!r}")
        if band.high is not None:
            tests.append(f"{subject} {'<=' if band.high_inclusive else '<'} {band.high!r}")
        return " and ".join(tests) or "True"

    def capped(self, name: str, parts: list[tuple[str, int]], cap, span) -> str:
        """Emit ``min(cap, positives) + negatives`` over parts; returns the local holding it.

        Positives and negatives are each added left to right in file order (no ``sum()``,
        whose float algorithm differs between Python versions), so that half-life sums are
        reproducible to the last bit."""
        out = self.out
        local = self.mint("v", name)
        pos = [p if s > 0 else f"({p} if {p} > 0 else 0)" for p, s in parts if s >= 0]
        neg = [p if s < 0 else f"({p} if {p} < 0 else 0)" for p, s in parts if s <= 0]
        _sum_lines(out, "_pos", pos, span)
        _sum_lines(out, "_neg", neg, span)
        if cap is None:
            out.line(f"{local} = _pos + _neg", span)
        else:
            out.line(f"{local} = min({cap * self.scale!r}, _pos) + _neg", span)
        return local

    def share(self, score: ir.Score, group: ir.Group, rules: list[tuple[str, int]]) -> str:
        """Emit a weighted group's contribution, in millionths of a point (a local, returned):
        ``share * min(max(points, 0), cap) / cap``, rounded half up to a whole millionth."""
        out = self.out
        points = self.capped(group.name, rules, None, group.span)
        top = group.cap * self.scale
        bounded = self.mint("b", group.name)
        out.line(f"{bounded} = {points} if 0 <= {points} <= {top!r} else (0 if {points} < 0 else {top!r})",
                 group.span)
        local = self.mint("c", group.name)
        factor = 2 * group.share * (DECAY_SCALE // self.scale)
        out.line(f"{local} = ({factor!r} * {bounded} + {group.cap!r}) // {2 * group.cap!r}", group.span)
        if self.trace:
            out.line(f"trace['groups'][({score.name!r}, {group.name!r})] = "
                     f"{{'positive': {self.shown('_pos')}, 'negative': {self.shown('_neg')}, "
                     f"'cap': {group.cap!r}, 'value': {self.shown(bounded)}, 'share': {group.share!r}, "
                     f"'contribution': _points({local}, {DECAY_SCALE!r})}}", group.span)
        return local

    def shown(self, local: str) -> str:
        """A value as the trace shows it: in points, however the score computes it."""
        return local if self.scale == 1 else f"_points({local}, {self.scale!r})"

    def score(self, score: ir.Score) -> None:
        out = self.out
        self.scale = DECAY_SCALE if score.half_life is not None else 1
        parts = []
        for item in score.items:
            if isinstance(item, ir.Group):
                rules = [self.rule(r) for r in item.rules]
                if item.share is not None:
                    parts.append((self.share(score, item, rules), 1))
                    continue
                value = self.capped(item.name, rules, item.cap, item.span)
                if self.trace:
                    out.line(f"trace['groups'][({score.name!r}, {item.name!r})] = "
                             f"{{'positive': {self.shown('_pos')}, 'negative': {self.shown('_neg')}, "
                             f"'cap': {item.cap!r}, 'value': {self.shown(value)}}}", item.span)
                signs = {s for _p, s in rules} - {0}
                sign = signs.pop() if len(signs) == 1 and all(s != 0 for _p, s in rules) else 0
                parts.append((value, sign))
            else:
                parts.append(self.rule(item))
        if score.weighted:      # the groups' contributions count in millionths of a point
            self.scale = DECAY_SCALE
        raw = self.capped(score.name, parts, score.max, score.span)
        final = self.mint("s", score.name)
        self.scores[score.name] = final
        if self.trace:
            out.line(f"_t_score = {{'positive': {self.shown('_pos')}, 'negative': {self.shown('_neg')}, "
                     f"'max': {score.max!r}, 'raw': {self.shown(raw)}}}", score.span)
        scale = self.scale
        rounded = raw if scale == 1 else f"({raw} + {scale // 2!r}) // {scale!r}"
        if score.inactivity is not None:
            pct = self.inactivity(score, raw)
            with out.block(f"if {raw} > 0 and {pct} != 100:", score.inactivity.span):
                out.line(f"{final} = ({raw} * {pct} + {50 * scale!r}) // {100 * scale!r}", score.span)
            with out.block("else:", score.inactivity.span):
                out.line(f"{final} = {rounded}", score.span)
        else:
            out.line(f"{final} = {rounded}", score.span)
        if score.floor is not None:
            out.line(f"{final} = {final} if {final} > {score.floor!r} else {score.floor!r}", score.span)
        if self.trace:
            out.line(f"_t_score['min'] = {score.floor!r}", score.span)
            out.line(f"_t_score['final'] = {final}", score.span)
            out.line(f"trace['scores'][{score.name!r}] = _t_score", score.span)

    def inactivity(self, score: ir.Score, raw: str) -> str:
        """Emit the percentage kept (a local, returned) for the score's inactivity."""
        out = self.out
        decay = score.inactivity
        kinds = decay.activity or tuple(self.events_schema)
        lasts = [self.last_seen[k] for k in kinds]
        last = self.mint("active", score.name)
        present = ", ".join(f"{x}" for x in lasts)
        out.line(f"{last} = max((_x for _x in ({present},) if _x is not None), default=None)", decay.span)
        pct = self.mint("keep", score.name)
        steps = list(decay.steps)
        out.line(f"_idle = None if {last} is None else as_of - {last}", decay.span)
        with out.block("if _idle is None:", decay.span):
            out.line(f"{pct} = {steps[-1][1]!r}", decay.span)
        for micros, percent in reversed(steps):
            with out.block(f"elif _idle >= {micros!r}:", decay.span):
                out.line(f"{pct} = {percent!r}", decay.span)
        with out.block("else:", decay.span):
            out.line(f"{pct} = 100", decay.span)
        if self.trace:
            out.line(f"_t_score.update(idle=_idle, keep={pct}, decayed=_points({raw} * {pct}"
                     f" if {raw} > 0 else {raw} * 100, {100 * self.scale!r}))", decay.span)
        return pct

    def tier(self, tier: ir.Tier) -> str:
        out = self.out
        local = self.mint("t", tier.name)
        out.line(f"{local} = None", tier.span)
        keyword = "if"
        for entry in tier.entries:
            if entry.condition is None:
                header = "else:" if keyword == "elif" else "if True:"
            else:
                header = f"{keyword} {self.truth(entry.condition)}:"
            with out.block(header, entry.span):
                out.line(f"{local} = {entry.label!r}", entry.span)
            keyword = "elif"
        if tier.monotonic:
            self.hold(tier, local)
        if self.trace:
            out.line(f"trace['tiers'][{tier.name!r}] = {local}", tier.span)
        return local

    def hold(self, tier: ir.Tier, local: str) -> None:
        """A monotonic tier keeps the previous run's label when it ranks above the one computed
        now (entries rank from the first down), unless its ``unless`` condition is true."""
        out = self.out
        ranks = {e.label: i for i, e in enumerate(tier.entries)}
        rank = self.const_name("rank", tuple(ranks.items()), lambda: dict(ranks), tier.name)
        prev = self.val(tier.previous)
        tests = [f"{prev} in {rank}", f"({local} is None or {rank}[{prev}] < {rank}[{local}])"]
        if tier.unless is not None:
            tests.insert(0, f"not {self.truth(tier.unless)}")
        with out.block(f"if {' and '.join(tests)}:", tier.span):
            if self.trace:
                out.line(f"trace.setdefault('held', {{}})[{tier.name!r}] = {local}", tier.span)
            out.line(f"{local} = {prev}", tier.span)


#: The key of :attr:`ModelCompiler.calls_by_event` for calls that read an aggregate.
_AFTER_EVENTS = "<after the event loops>"


def _outside_aggs(e):
    """Every expression in the tree of ``e`` but those inside an aggregate (its filter reads
    the aggregate's events, not the expression's)."""
    yield e
    if not isinstance(e, ir.Agg):
        for child in ir.children(e):
            yield from _outside_aggs(child)


def _decayed(score: ir.Score, rule: ir.EachRule, t: str) -> str:
    """The points, in millionths, that one event at ``t`` earns an each-rule of a decaying score."""
    return f"_floor({rule.points * DECAY_SCALE!r} * 0.5 ** ((as_of - {t}) / {score.half_life!r}) + 0.5)"


def _sign(points: int) -> int:
    return 1 if points > 0 else (-1 if points < 0 else 1)


def _folded(local: str) -> str:
    """``fold_case(local)``, with the common all-ASCII case inline."""
    return f"({local}.lower() if {local}.isascii() else _fold({local}))"


def _folds(e: ir.Expr) -> tuple:
    """The operands that ``e`` reads lower-cased."""
    if isinstance(e, (ir.Cmp, ir.TextTest)) and e.fold:
        return (e.left, e.right)
    if isinstance(e, ir.InList) and e.fold:
        return (e.operand,)
    if isinstance(e, ir.ListHas) and e.fold:
        return (e.container, e.item)
    return ()


def band_subjects_folded(model: ir.Model):
    for score in model.scores:
        for rule in score.rules():
            if isinstance(rule, ir.BandRule) and rule.fold:
                yield rule.subject


# Terms added in one expression at most: Python compiles ``a + b + c ...`` recursively, and a
# score of thousands of rules would exceed its recursion limit. Adding in chunks keeps the
# left-to-right order, so results are the same bits.
SUM_CHUNK = 64


def _sum_lines(out: Emitter, target: str, terms: list[str], span) -> None:
    """Emit ``target = terms[0] + terms[1] + ...``, in lines of at most :data:`SUM_CHUNK` terms."""
    out.line(f"{target} = {' + '.join(terms[:SUM_CHUNK]) or '0'}", span)
    for start in range(SUM_CHUNK, len(terms), SUM_CHUNK):
        out.line(f"{target} += {' + '.join(terms[start:start + SUM_CHUNK])}", span)


#: What an event filter may hold for its model to be folded (:func:`foldable`): nothing that
#: reads beyond the event, and nothing that can raise. A regex is left out (a text the reader
#: did not check, a lone surrogate from a plugin's source, cannot be encoded for RE2), and so is
#: arithmetic that turns an int into a float (an int beyond 1e308 overflows): the stored path
#: raises those only for a contact it scores, and reaches no orphan's events, nor those of a
#: contact it leaves early.
_EVENT_ONLY = (ir.Const, ir.Attr, ir.Cmp, ir.InList, ir.ListHas, ir.TextTest, ir.IsSet, ir.And, ir.Or, ir.Not,
               ir.Arith, ir.Neg, ir.Age)


def _cannot_raise(e) -> bool:
    if not isinstance(e, _EVENT_ONLY):
        return False
    if isinstance(e, ir.Arith) and e.type == Type.NUMBER:     # an int made a float: it must be small
        return all(operand.type != Type.INT or isinstance(operand, ir.Const) and abs(operand.value) < 1e300
                   for operand in (e.left, e.right))
    return True


def foldable(model: ir.Model) -> bool:
    """Whether :class:`FoldCompiler` can compile ``model``: a contact model whose event
    filters read only the event itself and cannot fail (:data:`_EVENT_ONLY`), and whose plugin
    calls read no event attribute. Each event can then be folded into its contact's totals as
    it is read, before anyone knows whether the contact exists or is scored."""
    if model.scores_companies:
        return False
    filters = [r.filter for _s, r in ModelCompiler.each_rules_of(model)]
    filters += [e.filter for root in ir.model_exprs(model) for e in ir.walk(root) if isinstance(e, ir.Agg)]
    return all(_cannot_raise(e) for f in filters if f is not None for e in ir.walk(f))


class FoldCompiler(ModelCompiler):
    """Emits a model as accumulators (for :func:`foldable` models): events are folded one by
    one, in any order, into a contact's totals, which are then scored.

    ``folds_N(as_of)`` gives ``{event type: fold(totals, event)}``, and ``fold_events_N`` is
    the same folding written out in one loop over a run's events (no call per event);
    ``init_N`` (in the namespace) is a fresh contact's totals, to copy with ``list()``; ``merge_N(a, b)`` adds
    totals ``b`` into ``a`` (totals of the same contact folded apart, as when they spill to
    disk); ``finish_N(contact, totals, as_of)`` returns what ``score_N`` returns for the same
    events. Every total is combined by an operation that ignores order: a sum, an or, a
    minimum or maximum timestamp, a set of values, or each value's earliest timestamp. So the
    results are those of ``score_N``, which reads the events sorted by timestamp: a first or
    last event is the smallest or largest timestamp, and a decaying rule's points are whole
    numbers per event, whose sum does not depend on the order."""

    def compile(self, suffix: str) -> None:
        out = self.out
        used_props, used_attrs, aggs = self.collect()
        plan = self.event_plan(aggs)
        inits = self.allocate(plan)
        self.ns[f"init_{suffix}"] = tuple(inits)
        with out.block(f"def folds_{suffix}(as_of):", self.model.span):
            functions = {}
            for event, event_aggs, rules, track_last in plan:
                windows = self.windows(event_aggs, rules)
                functions[event] = self.mint("fold", event)
                with out.block(f"def {functions[event]}(s, _ev):"):
                    out.line('"""Fold one event into totals ``s``; returns how many values it added to them."""')
                    out.line("_w = 0")
                    self.fold_body(event, event_aggs, rules, used_attrs.get(event, {}), track_last, windows,
                                   "return 0")
                    out.line("return _w")
            out.line("return {" + ", ".join(f"{e!r}: {f}" for e, f in functions.items()) + "}")
        with out.block(f"def fold_events_{suffix}(events, memory, fresh, budget, as_of, tick=None):",
                       self.model.span):
            out.line('"""Fold each ``(contact id, type, event)`` into ``memory[contact id]``: ``[events, '
                     'totals]`` (``fresh()`` when new); ``tick(n)`` every 100,000 events. Returns ``(how '
                     'many were folded, None)``, or as soon as a new contact would make memory hold more than '
                     '``budget`` (in contacts; two values held in sets weigh one), ``(how many, that '
                     'event)``, or once values held in sets take memory past it, ``(how many, ())``."""')
            windows = {event: self.windows(event_aggs, rules) for event, event_aggs, rules, _l in plan}
            out.line("_n = _w = 0")
            out.line("_next = -1 if tick is None else 100000")
            with out.block("for _cid, _kind, _ev in events:"):
                out.line("_n += 1")
                with out.block("if _n == _next:"):
                    out.line("tick(_n)")
                    out.line("_next += 100000")
                out.line("_r = memory.get(_cid)")
                with out.block("if _r is None:"):
                    # a value held in a set weighs about half what a contact's totals do
                    with out.block("if len(memory) + (_w >> 1) >= budget:"):
                        out.line("return _n - 1, (_cid, _kind, _ev)")
                    out.line("_r = memory[_cid] = fresh()")
                out.line("_r[0] += 1")
                out.line("s = _r[1]")
                keyword = "if"
                for event, event_aggs, rules, track_last in plan:
                    with out.block(f"{keyword} _kind == {event!r}:"):
                        self.fold_body(event, event_aggs, rules, used_attrs.get(event, {}), track_last,
                                       windows[event], "continue")
                    keyword = "elif"
                if any(merge in ("set", "earliest") for merge in self.merges):
                    with out.block("if _w and len(memory) + (_w >> 1) > budget:"):   # grown past it
                        out.line("return _n, ()")
            out.line("return _n, None")
        self.merge_function(f"merge_{suffix}")
        with out.block(f"def finish_{suffix}(contact, s, as_of):", self.model.span):
            for name, (t, folded) in used_props.items():
                self.load_prop(name, t, folded)
            for call in self.calls_by_event.get(None, ()):
                self.emit_call(call)
            self.early = self.early_exits()
            self.unpack(plan)
            for call in self.calls_by_event.get(_AFTER_EVENTS, ()):
                self.emit_call(call)
            self.body()

    def allocate(self, plan: list) -> list:
        """Give every total its slot and its merge; returns the initial totals."""
        self.merges: list[str] = []        # per slot: how two totals combine
        inits: list = []
        self.slot: dict[object, int] = {}
        self.decay_slot: dict[str, int] = {}

        def slot(key, merge: str, init) -> int:
            self.merges.append(merge)
            inits.append(init)
            self.slot[key] = len(inits) - 1
            return len(inits) - 1

        for event, event_aggs, rules, track_last in plan:
            for agg in event_aggs:
                if agg.distinct is not None:
                    slot(agg, "set", None)
                else:
                    slot(agg, *{AggFunc.COUNT: ("add", 0), AggFunc.HAS: ("or", False),
                                AggFunc.LAST: ("max", None), AggFunc.FIRST: ("min", None)}[agg.func])
            for score, rule in rules:
                decayed = score.half_life is not None and rule.points > 0
                if rule.distinct is not None:
                    slot(rule, "earliest" if decayed else "set", None)
                else:
                    slot(rule, "add", 0)
                    if decayed:
                        self.decay_slot[rule.name] = slot(("decay", rule.name), "add", 0)
            if track_last:
                slot(("last", event), "max", None)
        return inits

    def fold_body(self, event: str, aggs: list, rules: list, used: dict, track_last: bool, windows: dict,
                  leave: str) -> None:
        """Emit the folding of one event ``_ev`` of type ``event`` into totals ``s``; ``leave``
        (``return`` or ``continue``) passes over an event after as-of."""
        out = self.out
        out.line("_t = _ev[0]")
        with out.block("if _t > as_of:"):
            out.line(leave)
        if track_last:
            i = self.slot[("last", event)]
            with out.block(f"if (_x := s[{i}]) is None or _t > _x:"):
                out.line(f"s[{i}] = _t")
        self.load_attrs(event, used)
        for agg in aggs:
            self.fold_agg(agg, windows)
        for score, rule in rules:
            self.fold_rule(score, rule, windows)

    def fold_agg(self, agg: ir.Agg, windows: dict) -> None:
        i = self.slot[agg]
        test = self._matches(agg.filter, agg.window, windows)
        if agg.distinct is not None:
            value = self.distinct_value(agg)
            test = f"{value} is not None" + (f" and {test}" if test else "")
            self.guarded_lines(test, self.set_add(i, value), agg.span)
            return
        if agg.func in (AggFunc.FIRST, AggFunc.LAST):
            newer = "<" if agg.func is AggFunc.FIRST else ">"
            test = (f"{test} and " if test else "") + f"((_x := s[{i}]) is None or _t {newer} _x)"
            step = f"s[{i}] = _t"
        else:
            step = f"s[{i}] += 1" if agg.func is AggFunc.COUNT else f"s[{i}] = True"
        self.guarded_lines(test, [step], agg.span)

    def fold_rule(self, score: ir.Score, rule: ir.EachRule, windows: dict) -> None:
        i = self.slot[rule]
        test = self._matches(rule.filter, rule.window, windows)
        if rule.distinct is None:
            lines = [f"s[{i}] += 1"]
            if rule.name in self.decay_slot:
                lines.append(f"s[{self.decay_slot[rule.name]}] += {_decayed(score, rule, '_t')}")
        else:
            value = self.distinct_value(rule)
            test = f"{value} is not None" + (f" and {test}" if test else "")
            if score.half_life is not None and rule.points > 0:     # each value's earliest matching event
                lines = [f"if (_x := s[{i}]) is None:", f"    s[{i}] = {{{value}: _t}}", "    _w += 1",
                         f"elif (_y := _x.get({value})) is None:", f"    _x[{value}] = _t", "    _w += 1",
                         "elif _t < _y:", f"    _x[{value}] = _t"]
            else:
                lines = self.set_add(i, value)
        self.guarded_lines(test, lines, rule.span)

    @staticmethod
    def set_add(i: int, value: str) -> list[str]:
        """Lines that add ``value`` to the set in slot ``i``, counting in ``_w`` the values
        that are new (what the totals hold grows with them: :class:`~scoredsl.engines.python.Totals`
        weighs them against its budget)."""
        return [f"if (_x := s[{i}]) is None:", f"    s[{i}] = {{{value}}}", "    _w += 1",
                f"elif {value} not in _x:", f"    _x.add({value})", "    _w += 1"]

    def guarded_lines(self, test: str, lines: list[str], span) -> None:
        with (self.out.block(f"if {test}:", span) if test else nullcontext()):
            for line in lines:
                self.out.line(line, span)

    def merge_function(self, fname: str) -> None:
        out = self.out
        with out.block(f"def {fname}(a, b):"):
            if not self.merges:
                out.line("pass")
            for i, merge in enumerate(self.merges):
                if merge == "add":
                    out.line(f"a[{i}] += b[{i}]")
                elif merge == "or":
                    with out.block(f"if b[{i}]:"):
                        out.line(f"a[{i}] = True")
                elif merge in ("min", "max"):
                    op = "<" if merge == "min" else ">"
                    with out.block(f"if (_y := b[{i}]) is not None and ((_x := a[{i}]) is None or _y {op} _x):"):
                        out.line(f"a[{i}] = _y")
                elif merge == "set":
                    with out.block(f"if (_y := b[{i}]) is not None:"):
                        out.line(f"a[{i}] = _y if (_x := a[{i}]) is None else _x | _y")
                else:   # earliest: each value's smallest timestamp
                    with out.block(f"if (_y := b[{i}]) is not None:"):
                        with out.block(f"if (_x := a[{i}]) is None:"):
                            out.line(f"a[{i}] = _y")
                        with out.block("else:"):
                            with out.block("for _k, _t in _y.items():"):
                                with out.block("if (_z := _x.get(_k)) is None or _t < _z:"):
                                    out.line("_x[_k] = _t")

    def unpack(self, plan: list) -> None:
        """Emit the locals :meth:`body` reads, from the totals ``s``."""
        out = self.out
        self.last_seen = {}
        self.each_state = {}
        for event, aggs, rules, track_last in plan:
            for agg in aggs:
                local = self.aggs[agg] = self.mint(agg.func.value, event)
                i = self.slot[agg]
                out.line(f"{local} = 0 if (_x := s[{i}]) is None else len(_x)" if agg.distinct is not None
                         else f"{local} = s[{i}]", agg.span)
            for score, rule in rules:
                acc = self.mint("n", rule.name)
                i = self.slot[rule]
                decayed = score.half_life is not None and rule.points > 0
                total = self.mint("sum", rule.name) if decayed else None
                self.each_state[rule.name] = (acc, total)
                if rule.distinct is None:
                    out.line(f"{acc} = s[{i}]", rule.span)
                    if decayed:
                        out.line(f"{total} = s[{self.decay_slot[rule.name]}]", rule.span)
                elif decayed:
                    out.line(f"_x = s[{i}] or {{}}", rule.span)
                    out.line(f"{acc} = len(_x)", rule.span)
                    out.line(f"{total} = sum({_decayed(score, rule, '_y')} for _y in _x.values())", rule.span)
                else:
                    out.line(f"{acc} = 0 if (_x := s[{i}]) is None else len(_x)", rule.span)
            if track_last:
                last = self.last_seen[event] = self.mint("last", event)
                out.line(f"{last} = s[{self.slot[('last', event)]}]")


class RollupCompiler(ModelCompiler):
    """Emits, for a company model, the function that reads one of its contacts: for each
    aggregate over contacts (:func:`ir.contact_aggs`), whether the contact counts (its filter
    is true) and, for ``best`` and ``total``, its value (``None`` when missing). The company
    stage folds these over each company's contacts (:mod:`scoredsl.engines.companies`)."""

    def compile(self, fname: str) -> None:
        aggs = ir.contact_aggs(self.model)
        used: dict[str, tuple[Type, bool]] = {}
        calls: list[ir.Call] = []
        for agg in aggs:
            for e in ir.contact_exprs(agg):
                if isinstance(e, ir.Prop):
                    used.setdefault(e.name, (e.type, False))
                for operand in _folds(e):
                    if isinstance(operand, ir.Prop):
                        used[operand.name] = (operand.type, True)
            for root in (agg.filter, agg.value):
                for e in ir.walk_postorder(root) if root is not None else ():
                    if isinstance(e, ir.Call) and e not in calls:
                        calls.append(e)
        with self.out.block(f"def {fname}(contact):", self.model.span):
            for name, (t, folded) in used.items():
                self.load_prop(name, t, folded)
            for call in calls:
                self.emit_call(call)
            parts = []
            for agg in aggs:
                parts.append("True" if agg.filter is None else f"bool({self.truth(agg.filter)})")
                parts.append("None" if agg.value is None else self.val(agg.value))
            self.out.line(f"return ({', '.join(parts)}{',' if len(parts) == 1 else ''})")
