"""Parse tree -> typed nodes. One method per grammar rule (see grammar/scoredsl.lark).

Lexical problems found here (bad escapes, bad duration units, fractional points) are collected
as diagnostics rather than raised, so that one file reports all of them.
"""

from __future__ import annotations

import datetime as dt
import re

from scoredsl.diagnostics import Diagnostic, Span, error
from scoredsl.syntax import nodes
from scoredsl.syntax.descent import Token

MAX_NAME_LENGTH = 64
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_UNIT_HINTS = {"mo": "months differ in length: write days, e.g. 60d for two months",
               "y": "years are not a unit: write days, e.g. 365d",
               "s": "seconds are not a unit: the smallest is minutes (m)"}


def with_meta(method):
    """A rule's method that takes the node's position too: ``method(self, meta, children)``."""
    method.with_meta = True
    return method


class ConstructError(Exception):
    """An unexpected failure building the node of grammar rule ``rule``; ``orig_exc`` is why."""

    def __init__(self, rule: str, orig_exc: Exception):
        super().__init__(f"{rule}: {orig_exc}")
        self.rule, self.orig_exc = rule, orig_exc


class ToNodes:
    """Builds the nodes of a parse tree, bottom up: the tree of :mod:`scoredsl.syntax.descent`
    or Lark's (they have the same attributes). Tokens and ``None`` children are passed as they are."""

    def __init__(self, file: str):
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self._methods: dict[str, object] = {}

    def transform(self, tree):
        children = [child if child is None or isinstance(child, str) else self.transform(child)
                    for child in tree.children]
        try:
            method = self._methods[tree.data]
        except KeyError:
            method = self._methods[tree.data] = getattr(self, tree.data, None)
        if method is None:
            return self.__default__(tree.data, children, tree.meta)
        try:
            if getattr(method, "with_meta", False):
                return method(tree.meta, children)
            return method(children)
        except Exception as exc:
            raise ConstructError(tree.data, exc) from exc

    # ------------------------------------------------------------ helpers
    def span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span.point(self.file, 1, 1)
        return Span(file=self.file, line=meta.line, column=meta.column,
                    end_line=meta.end_line, end_column=meta.end_column)

    def tspan(self, token: Token) -> Span:
        return Span(file=self.file, line=token.line, column=token.column,
                    end_line=token.end_line, end_column=token.end_column)

    def report(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(error(code, message, span, hint))

    def ident(self, token: Token) -> nodes.Ident:
        span = self.tspan(token)
        name = str(token)
        if name.startswith("__"):
            self.report("SD104", f"names may not start with two underscores: '{name}'", span)
        elif len(name) > MAX_NAME_LENGTH:
            self.report("SD104", f"name is longer than {MAX_NAME_LENGTH} characters", span)
        return nodes.Ident(name=name, span=span)

    def string_value(self, token: Token) -> str:
        body = str(token)[1:-1]
        out, i = [], 0
        while i < len(body):
            ch = body[i]
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            nxt = body[i + 1] if i + 1 < len(body) else ""
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
            elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2:i + 6]):
                code = int(body[i + 2:i + 6], 16)
                low = body[i + 6:i + 12]
                if 0xD800 <= code <= 0xDBFF and re.fullmatch(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", low):
                    # a surrogate pair, as JSON writes characters beyond U+FFFF: one character
                    code = 0x10000 + ((code - 0xD800) << 10) + (int(low[2:], 16) - 0xDC00)
                    length = 12
                else:
                    length = 6
                if code == 0 or 0xD800 <= code <= 0xDFFF:
                    col = token.column + 1 + i
                    self.report("SD112", f"a string cannot hold {body[i:i + 6]}",
                                Span(file=self.file, line=token.line, column=col, end_line=token.line,
                                     end_column=col + 6),
                                "no value in the data can hold U+0000 or a lone surrogate (U+D800 to "
                                "U+DFFF); write a character beyond U+FFFF as a surrogate pair, \\uD83D\\uDE00")
                    code = 0xFFFD
                out.append(chr(code))
                i += length
            else:
                col = token.column + 1 + i
                self.report("SD105", f"unknown escape '\\{nxt}' in string",
                            Span(file=self.file, line=token.line, column=col, end_line=token.line,
                                 end_column=col + 2),
                            'escapes are \\" \\\\ \\n \\t \\r and \\uXXXX')
                i += 2
        return "".join(out)

    def whole(self, token: Token, what: str) -> int:
        text = str(token)
        if "." in text:
            self.report("SD106", f"{what} must be a whole number, not {text}", self.tspan(token))
            return int(float(text))
        return int(text)

    def duration_of(self, token: Token) -> nodes.Duration:
        m = re.fullmatch(r"(\d+)([A-Za-z]+)", str(token))
        amount, unit = int(m.group(1)), m.group(2)
        try:
            kind = nodes.DurationUnit(unit)
        except ValueError:
            self.report("SD107", f"unknown duration unit '{unit}'", self.tspan(token),
                        _UNIT_HINTS.get(unit, "units are m (minutes), h (hours), d (days), w (weeks)"))
            kind = nodes.DurationUnit.DAYS
        return nodes.Duration(amount=amount, unit=kind, span=self.tspan(token))

    # ------------------------------------------------------------ file, schema, lets
    def start(self, children):
        return children

    @with_meta
    def include(self, meta, children):
        return nodes.Include(path=self.string_value(children[0]), span=self.span(meta))

    @with_meta
    def let(self, meta, children):
        return nodes.Let(name=self.ident(children[0]), value=children[1], span=self.span(meta))

    @with_meta
    def schema(self, meta, children):
        return nodes.Schema(contacts=tuple(c for c in children if isinstance(c, nodes.ContactDecl)),
                            events=tuple(c for c in children if isinstance(c, nodes.EventDecl)),
                            companies=tuple(c for c in children if isinstance(c, nodes.CompanyDecl)),
                            span=self.span(meta))

    @with_meta
    def company(self, meta, children):
        return nodes.CompanyDecl(fields=tuple(children), span=self.span(meta))

    @with_meta
    def contact(self, meta, children):
        return nodes.ContactDecl(fields=tuple(children), span=self.span(meta))

    @with_meta
    def event(self, meta, children):
        return nodes.EventDecl(name=self.ident(children[0]), fields=tuple(children[1:]),
                               span=self.span(meta))

    @with_meta
    def field(self, meta, children):
        return nodes.Field(name=self.ident(children[0]), type=children[1], span=self.span(meta))

    @with_meta
    def scalar_type(self, meta, children):
        return nodes.TypeRef(name=str(children[0]), span=self.span(meta))

    @with_meta
    def list_type(self, meta, children):
        if str(children[0]) != "list":
            self.report("SD108", f"unknown type constructor '{children[0]}'", self.tspan(children[0]),
                        "write a list of texts as list[text]")
        return nodes.TypeRef(name=str(children[1]), is_list=True, span=self.span(meta))

    # ------------------------------------------------------------ models
    @with_meta
    def model(self, meta, children):
        name, subject, *items = children
        return nodes.Model(name=self.ident(children[0]), subject=subject, items=tuple(items), span=self.span(meta))

    def subject(self, children):
        return self.ident(children[0])

    @with_meta
    def scope(self, meta, children):
        return nodes.Scope(condition=children[0], span=self.span(meta))

    @with_meta
    def disqualify(self, meta, children):
        return nodes.Disqualify(name=self.ident(children[0]), condition=children[1], span=self.span(meta))

    @with_meta
    def score(self, meta, children):
        name, floor, maximum, *items = children
        return nodes.Score(name=self.ident(name),
                           max=None if maximum is None else self.whole(maximum, "a score's max"),
                           items=tuple(items), floor=floor, span=self.span(meta))

    def score_min(self, children):
        return children[0]

    @with_meta
    def decay_inactivity(self, meta, children):
        activity = children[-1]
        steps = tuple(children[:-1])
        return nodes.InactivityDecay(steps=steps, activity=activity, span=self.span(meta))

    @with_meta
    def decay_step(self, meta, children):
        return nodes.DecayStep(after=self.duration_of(children[0]),
                               percent=self.whole(children[1], "a decay percentage"),
                               span=self.span(meta))

    def activity(self, children):
        return tuple(self.ident(t) for t in children if t is not None)

    def __default__(self, data, children, meta):  # pragma: no cover - every rule has a method
        raise AssertionError(f"no transformer method for grammar rule {data!r}")

    @with_meta
    def decay_half_life(self, meta, children):
        return nodes.HalfLifeDecay(half_life=self.duration_of(children[0]), span=self.span(meta))

    @with_meta
    def group(self, meta, children):
        name, share, cap, *rules = children
        return nodes.Group(name=self.ident(name), share=share, cap=cap, rules=tuple(rules), span=self.span(meta))

    @with_meta
    def share(self, meta, children):
        return nodes.Share(percent=self.whole(children[0], "a share"), span=self.span(meta))

    @with_meta
    def distinct(self, meta, children):
        name, case = children
        return nodes.Distinct(attr=self.ident(name), case_sensitive=case is not None, span=self.span(meta))

    @with_meta
    def cap(self, meta, children):
        return nodes.Cap(amount=self.whole(children[0], "a cap"), percent=children[1] is not None,
                         span=self.span(meta))

    @with_meta
    def rule(self, meta, children):
        return nodes.Rule(name=self.ident(children[0]), body=children[1], span=self.span(meta))

    @with_meta
    def when_rule(self, meta, children):
        return nodes.When(condition=children[0], points=children[1], span=self.span(meta))

    @with_meta
    def band_rule(self, meta, children):
        subject, case, *bands = children
        return nodes.Bands(subject=subject, bands=tuple(bands), case_sensitive=case is not None,
                           span=self.span(meta))

    @with_meta
    def each_rule(self, meta, children):
        event, distinct, where, within, points = children
        return nodes.Each(event=self.ident(event), distinct=distinct, where=where,
                          within=None if within is None else self.duration_of(within),
                          points=points, span=self.span(meta))

    @with_meta
    def points(self, meta, children):
        sign, amount, limit = children
        value = self.whole(amount, "points")
        if sign is not None and str(sign) == "-":
            value = -value
        return nodes.Points(amount=value, max=limit if isinstance(limit, int) else None,
                            once=limit == "once", explicit_sign=sign is not None, span=self.span(meta))

    @with_meta
    def points_from(self, meta, children):
        sign, name, low, high = children
        return nodes.PointsFrom(name=self.ident(name), negative=sign is not None and str(sign) == "-",
                                low=low, high=high, explicit_sign=sign is not None, span=self.span(meta))

    def points_max(self, children):
        return self.whole(children[0], "a max")

    def points_once(self, children):
        return "once"

    @with_meta
    def band(self, meta, children):
        return nodes.Band(test=children[0], points=children[1], span=self.span(meta))

    @with_meta
    def signed_number(self, meta, children):
        sign, number = children
        text = str(number)
        if sign is not None and str(sign) == "-":
            text = "-" + text
        return nodes.Number(text=text, span=self.span(meta))

    @with_meta
    def band_compare(self, meta, children):
        return nodes.BandCompare(op=nodes.CmpOp(str(children[0])), value=children[1], span=self.span(meta))

    @with_meta
    def band_range(self, meta, children):
        return nodes.BandRange(low=children[0], high=children[1], span=self.span(meta))

    @with_meta
    def band_range_open(self, meta, children):
        return nodes.BandRange(low=children[0], high=children[1], high_exclusive=True, span=self.span(meta))

    @with_meta
    def band_number(self, meta, children):
        return nodes.BandValue(value=children[0], span=self.span(meta))

    @with_meta
    def band_text(self, meta, children):
        return nodes.BandValue(value=nodes.Text(value=self.string_value(children[0]),
                                                span=self.tspan(children[0])), span=self.span(meta))

    @with_meta
    def band_list(self, meta, children):
        return nodes.BandValue(value=children[0], span=self.span(meta))

    @with_meta
    def band_const(self, meta, children):
        return nodes.BandValue(value=nodes.Name(name=str(children[0]), span=self.tspan(children[0])),
                               span=self.span(meta))

    @with_meta
    def band_otherwise(self, meta, children):
        return nodes.BandOtherwise(span=self.span(meta))

    @with_meta
    def tier(self, meta, children):
        name, by, monotonic, *entries = children
        return nodes.Tier(name=self.ident(name), by=by, entries=tuple(entries), monotonic=monotonic,
                          span=self.span(meta))

    @with_meta
    def monotonic(self, meta, children):
        return nodes.Monotonic(unless=children[0], span=self.span(meta))

    @with_meta
    def tier_threshold(self, meta, children):
        label, op, value = children
        return nodes.TierEntry(label=self.ident(label),
                               test=nodes.Threshold(op=nodes.CmpOp(str(op)), value=value,
                                                    span=self.span(meta)),
                               span=self.span(meta))

    @with_meta
    def tier_otherwise(self, meta, children):
        return nodes.TierEntry(label=self.ident(children[0]), test=nodes.Otherwise(span=self.span(meta)),
                               span=self.span(meta))

    @with_meta
    def tier_condition(self, meta, children):
        return nodes.TierEntry(label=self.ident(children[0]), test=children[1], span=self.span(meta))

    # ------------------------------------------------------------ expressions
    @with_meta
    def or_(self, meta, children):
        return self._boolop(nodes.BoolOpKind.OR, children, meta)

    @with_meta
    def and_(self, meta, children):
        return self._boolop(nodes.BoolOpKind.AND, children, meta)

    def _boolop(self, kind, children, meta):
        operands = []
        for child in children:
            if isinstance(child, nodes.BoolOp) and child.op is kind:
                operands.extend(child.operands)
            else:
                operands.append(child)
        return nodes.BoolOp(op=kind, operands=tuple(operands), span=self.span(meta))

    @with_meta
    def not_(self, meta, children):
        return nodes.Not(operand=children[0], span=self.span(meta))

    @with_meta
    def compare(self, meta, children):
        left, op, right, case = children
        return nodes.Compare(op=nodes.CmpOp(str(op)), left=left, right=right,
                             case_sensitive=case is not None, span=self.span(meta))

    @with_meta
    def in_(self, meta, children):
        left, right, case = children
        return nodes.Membership(left=left, right=right, case_sensitive=case is not None,
                                span=self.span(meta))

    @with_meta
    def not_in(self, meta, children):
        left, right, case = children
        return nodes.Membership(left=left, right=right, negated=True, case_sensitive=case is not None,
                                span=self.span(meta))

    @with_meta
    def text_test(self, meta, children):
        left, op, right, case = children
        return nodes.TextTest(op=nodes.TextOp(str(op)), left=left, right=right,
                              case_sensitive=case is not None, span=self.span(meta))

    @with_meta
    def matches(self, meta, children):
        left, token, case = children
        raw = str(token)
        end = raw.rindex("/")
        pattern = raw[1:end].replace("\\/", "/")
        flags = raw[end + 1:]
        span = self.tspan(token)
        if flags.replace("i", ""):
            self.report("SD109", f"unknown regex flag(s) '{flags.replace('i', '')}'", span,
                        "regexes are case-insensitive by default; add case_sensitive after the regex "
                        "for an exact match")
        return nodes.Matches(left=left, regex=nodes.Regex(pattern=pattern, flags=flags, span=span),
                             case_sensitive=case is not None, span=self.span(meta))

    @with_meta
    def is_set(self, meta, children):
        return nodes.IsSet(operand=children[0], span=self.span(meta))

    @with_meta
    def is_missing(self, meta, children):
        return nodes.IsSet(operand=children[0], negated=True, span=self.span(meta))

    @with_meta
    def arith(self, meta, children):
        left, op, right = children
        return nodes.Arith(op=nodes.ArithOp(str(op)), left=left, right=right, span=self.span(meta))

    @with_meta
    def unary(self, meta, children):
        sign, operand = children
        if str(sign) == "+":
            return operand
        if isinstance(operand, nodes.Number) and not operand.text.startswith("-"):
            return nodes.Number(text="-" + operand.text, span=self.span(meta))
        return nodes.Neg(operand=operand, span=self.span(meta))

    @with_meta
    def number(self, meta, children):
        return nodes.Number(text=str(children[0]), span=self.span(meta))

    @with_meta
    def string(self, meta, children):
        return nodes.Text(value=self.string_value(children[0]), span=self.span(meta))

    def duration(self, children):
        return self.duration_of(children[0])

    @with_meta
    def date(self, meta, children):
        text = str(children[0])
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            self.report("SD110", f"invalid date {text}", self.span(meta), "dates are YYYY-MM-DD")
        return nodes.DateLit(text=text, span=self.span(meta))

    @with_meta
    def datetime(self, meta, children):
        text = str(children[0])
        try:
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.report("SD110", f"invalid datetime {text}", self.span(meta),
                        "datetimes are YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]")
        return nodes.DateTimeLit(text=text, span=self.span(meta))

    @with_meta
    def true(self, meta, children):
        return nodes.Bool(value=True, span=self.span(meta))

    @with_meta
    def false(self, meta, children):
        return nodes.Bool(value=False, span=self.span(meta))

    @with_meta
    def list_lit(self, meta, children):
        return nodes.ListLit(items=tuple(c for c in children if c is not None), span=self.span(meta))

    @with_meta
    def name(self, meta, children):
        return nodes.Name(name=str(children[0]), span=self.span(meta))

    @with_meta
    def dotted(self, meta, children):
        return nodes.Name(name=f"{children[0]}.{children[1]}", span=self.span(meta))

    @with_meta
    def aggregate(self, meta, children):
        func, event, distinct, where, within = children
        return nodes.Aggregate(func=nodes.AggFunc(str(func)), event=self.ident(event), distinct=distinct, where=where,
                               within=None if within is None else self.duration_of(within),
                               span=self.span(meta))

    @with_meta
    def call_where(self, meta, children):
        func, arg, where = children
        return nodes.Call(func=self.ident(func), args=(arg,), where=where, span=self.span(meta))

    @with_meta
    def call(self, meta, children):
        func, *args = children
        return nodes.Call(func=self.ident(func), args=tuple(a for a in args if a is not None),
                          span=self.span(meta))

