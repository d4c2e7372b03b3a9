"""The typed syntax tree of a rule file.

Nodes are frozen attrs classes; children are tuples; operators are enums. Every node has a
``span`` that is excluded from equality, so two parses of the same model compare equal
whatever their layout. Names that other parts refer to are :class:`Ident` nodes so that a
diagnostic can point at the exact name.
"""

from __future__ import annotations

import enum
import operator
from typing import Union

import attrs

from scoredsl.diagnostics import Span

_NO_SPAN = Span(file="<none>", line=0, column=0, end_line=0, end_column=0)


def _span() -> attrs.Attribute:
    return attrs.field(default=_NO_SPAN, eq=False, repr=False)


def _repr(self) -> str:
    return (f"{self.__class__.__qualname__}("
            + ", ".join(f"{field.name}={getattr(self, field.name)!r}" for field in attrs.fields(self.__class__)
                        if field.repr) + ")")


def _eq(self, other) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return self._compared(self) == other._compared(other)


def _hash(self) -> int:
    return hash((self.__class__, self._compared(self)))


def _tuple_of(names: tuple[str, ...]):
    """A function giving the tuple of these attributes of an object."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    get = operator.attrgetter(*names) if names else None
    return (lambda value: (get(value),)) if get else (lambda value: ())


def node(cls: type) -> type:
    """``@attrs.frozen(kw_only=True)``, with attrs' ``repr``, ``==`` and ``hash`` made by shared
    functions: attrs writes and compiles the source of each class's methods when the class is
    made, a sixth of `scoredsl check`'s start. The shared ones give what attrs' give: the repr
    of the fields attrs shows, equality of the tuples of the fields it compares (none of this
    class or of another), the hash of that tuple. (Nodes form no cycle, so the repr needs no
    guard against one.)"""
    made = attrs.frozen(kw_only=True, repr=False, eq=False)(cls)
    made._compared = staticmethod(_tuple_of(tuple(f.name for f in attrs.fields(made) if f.eq)))
    made.__repr__, made.__eq__, made.__hash__ = _repr, _eq, _hash
    return made


@node
class Ident:
    name: str
    span: Span = _span()


# ------------------------------------------------------------------ expressions

class CmpOp(enum.Enum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


class TextOp(enum.Enum):
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"


class BoolOpKind(enum.Enum):
    AND = "and"
    OR = "or"


class ArithOp(enum.Enum):
    ADD = "+"
    SUB = "-"
    MUL = "*"


class AggFunc(enum.Enum):
    COUNT = "count"
    HAS = "has"
    FIRST = "first"
    LAST = "last"


class DurationUnit(enum.Enum):
    MINUTES = "m"
    HOURS = "h"
    DAYS = "d"
    WEEKS = "w"

    @property
    def seconds(self) -> int:
        return {"m": 60, "h": 3600, "d": 86400, "w": 604800}[self.value]


@node
class Number:
    """A numeric literal; ``text`` is kept so that ``10`` and ``10.0`` stay distinct."""
    text: str
    span: Span = _span()

    @property
    def is_integer(self) -> bool:
        return "." not in self.text

    @property
    def value(self) -> int | float:
        return int(self.text) if self.is_integer else float(self.text)


@node
class Text:
    value: str
    span: Span = _span()


@node
class Bool:
    value: bool
    span: Span = _span()


@node
class Duration:
    amount: int
    unit: DurationUnit
    span: Span = _span()

    @property
    def seconds(self) -> int:
        return self.amount * self.unit.seconds


@node
class DateLit:
    text: str          # ISO date, validated by the transformer
    span: Span = _span()


@node
class DateTimeLit:
    text: str          # ISO datetime, validated by the transformer
    span: Span = _span()


@node
class ListLit:
    items: tuple["Expr", ...]
    span: Span = _span()


@node
class Name:
    """A reference to a contact property, an event attribute, a constant or a score; or, dotted,
    to a property of the contact's company (``company.industry``)."""
    name: str
    span: Span = _span()


@node
class Call:
    """``age(x)`` and plugin functions; in a company model also ``best(b2b.fit where C)``,
    whose ``where`` filters the company's contacts."""
    func: Ident
    args: tuple["Expr", ...]
    where: "Expr | None" = None
    span: Span = _span()


@node
class Distinct:
    """``distinct ATTR [case_sensitive]``: count each value of an event attribute once."""
    attr: Ident
    case_sensitive: bool = False
    span: Span = _span()


@node
class Aggregate:
    """``count(page_view where url contains "/pricing" within 60d)``,
    ``count(email_open distinct campaign)``."""
    func: AggFunc
    event: Ident
    where: "Expr | None" = None
    within: Duration | None = None
    distinct: Distinct | None = None
    span: Span = _span()


@node
class Regex:
    pattern: str       # the pattern as written between the slashes, ``\/`` already unescaped
    flags: str = ""
    span: Span = _span()


@node
class Compare:
    op: CmpOp
    left: "Expr"
    right: "Expr"
    case_sensitive: bool = False
    span: Span = _span()


@node
class Membership:
    """``x in [..]`` / ``x not in [..]``."""
    left: "Expr"
    right: "Expr"
    negated: bool = False
    case_sensitive: bool = False
    span: Span = _span()


@node
class TextTest:
    op: TextOp
    left: "Expr"
    right: "Expr"
    case_sensitive: bool = False
    span: Span = _span()


@node
class Matches:
    left: "Expr"
    regex: Regex
    case_sensitive: bool = False
    span: Span = _span()


@node
class IsSet:
    """``x is set`` (``negated=False``) / ``x is missing`` (``negated=True``)."""
    operand: "Expr"
    negated: bool = False
    span: Span = _span()


@node
class BoolOp:
    op: BoolOpKind
    operands: tuple["Expr", ...]     # at least two; nested ops of the same kind are flattened
    span: Span = _span()


@node
class Not:
    operand: "Expr"
    span: Span = _span()


@node
class Arith:
    op: ArithOp
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@node
class Neg:
    operand: "Expr"
    span: Span = _span()


@node
class Paren:
    """Parentheses as written; kept so that the formatter can reproduce them."""
    inner: "Expr"
    span: Span = _span()


Literal = Union[Number, Text, Bool, Duration, DateLit, DateTimeLit, ListLit]
Expr = Union[Number, Text, Bool, Duration, DateLit, DateTimeLit, ListLit, Name, Call, Aggregate,
             Compare, Membership, TextTest, Matches, IsSet, BoolOp, Not, Arith, Neg, Paren]


# ------------------------------------------------------------------ schema

@node
class TypeRef:
    name: str                # text, int, number, bool, date, datetime
    is_list: bool = False
    span: Span = _span()

    def __str__(self) -> str:
        return f"list[{self.name}]" if self.is_list else self.name


@node
class Field:
    name: Ident
    type: TypeRef
    span: Span = _span()


@node
class ContactDecl:
    fields: tuple[Field, ...]
    span: Span = _span()


@node
class CompanyDecl:
    fields: tuple[Field, ...]
    span: Span = _span()


@node
class EventDecl:
    name: Ident
    fields: tuple[Field, ...]
    span: Span = _span()


@node
class Schema:
    contacts: tuple[ContactDecl, ...]     # the checker accepts at most one
    events: tuple[EventDecl, ...]
    companies: tuple[CompanyDecl, ...] = ()   # at most one, too
    span: Span = _span()


@node
class Include:
    path: str
    span: Span = _span()


@node
class Let:
    name: Ident
    value: "Expr"
    span: Span = _span()


# ------------------------------------------------------------------ rules

@node
class Points:
    """``+20``, ``+20 max 40``, ``+10 once``. ``amount`` is signed."""
    amount: int
    max: int | None = None
    once: bool = False
    explicit_sign: bool = attrs.field(default=True, eq=False)   # layout, not meaning
    span: Span = _span()


@node
class PointsFrom:
    """``+ manual_points in -50..50``: the points are a property's value, bounded."""
    name: "Ident"
    negative: bool
    low: "Number | None"
    high: "Number | None"
    explicit_sign: bool = attrs.field(default=True, eq=False)   # layout, not meaning
    span: Span = _span()


@node
class When:
    """``CONDITION => POINTS``."""
    condition: "Expr"
    points: "Points | PointsFrom"
    span: Span = _span()


Bound = Union[Number, Duration, Name]


@node
class BandCompare:
    op: CmpOp                 # <, <=, >, >= (== and != are rejected by the checker)
    value: Bound
    span: Span = _span()


@node
class BandRange:
    """``low..high`` (both ends included) or ``low..<high`` (high excluded)."""
    low: Bound
    high: Bound
    high_exclusive: bool = False
    span: Span = _span()


@node
class BandValue:
    """A single number or string, a list literal, or a constant naming one of those."""
    value: "Number | Text | ListLit | Name"
    span: Span = _span()


@node
class BandOtherwise:
    span: Span = _span()


BandTest = Union[BandCompare, BandRange, BandValue, BandOtherwise]


@node
class Band:
    test: BandTest
    points: Points
    span: Span = _span()


@node
class Bands:
    """``VALUE [case_sensitive] { BAND => POINTS; ... }``: the one matching band's points."""
    subject: "Expr"
    bands: tuple[Band, ...]
    case_sensitive: bool = False
    span: Span = _span()


@node
class Each:
    """``each EVENT [distinct ATTR] [where C] [within D] => POINTS [max M | once]``."""
    event: Ident
    where: "Expr | None"
    within: Duration | None
    points: Points
    distinct: Distinct | None = None
    span: Span = _span()


RuleBody = Union[When, Bands, Each]


@node
class Rule:
    name: Ident
    body: RuleBody
    span: Span = _span()


@node
class Cap:
    amount: int
    percent: bool = False
    span: Span = _span()


@node
class Share:
    """``share P%``: the group's part of a weighted score."""
    percent: int
    span: Span = _span()


@node
class Group:
    name: Ident
    cap: Cap | None
    rules: tuple[Rule, ...]
    share: Share | None = None
    span: Span = _span()


@node
class DecayStep:
    after: Duration
    percent: int
    span: Span = _span()


@node
class InactivityDecay:
    steps: tuple[DecayStep, ...]
    activity: tuple[Ident, ...] | None      # None: every event kind
    span: Span = _span()


@node
class HalfLifeDecay:
    half_life: Duration
    span: Span = _span()


ScoreItem = Union[InactivityDecay, HalfLifeDecay, Group, Rule]


@node
class Score:
    name: Ident
    max: int | None
    items: tuple[ScoreItem, ...]
    floor: "Number | None" = None        # ``min N``: the final score is never below N
    span: Span = _span()

    @property
    def decays(self) -> tuple:
        return tuple(i for i in self.items if isinstance(i, (InactivityDecay, HalfLifeDecay)))

    @property
    def contributions(self) -> tuple["Rule | Group", ...]:
        return tuple(i for i in self.items if isinstance(i, (Rule, Group)))


# ------------------------------------------------------------------ tiers and models

@node
class Threshold:
    op: CmpOp
    value: "Expr"
    span: Span = _span()


@node
class Otherwise:
    span: Span = _span()


TierTest = Union[Threshold, Otherwise, "Expr"]


@node
class TierEntry:
    label: Ident
    test: TierTest
    span: Span = _span()


@node
class Tier:
    name: Ident
    by: "Expr | None"
    entries: tuple[TierEntry, ...]
    monotonic: "Monotonic | None" = None
    span: Span = _span()


@node
class Monotonic:
    """``monotonic [unless CONDITION]``: the tier never moves down between runs, unless the
    condition is true."""
    unless: "Expr | None"
    span: Span = _span()


@node
class Scope:
    condition: "Expr"
    span: Span = _span()


@node
class Disqualify:
    name: Ident
    condition: "Expr"
    span: Span = _span()


ModelItem = Union[Scope, Disqualify, Score, Tier]


@node
class Model:
    name: Ident
    items: tuple[ModelItem, ...]
    #: ``model NAME for company``: what the model scores (``None``: contacts, as ``for contact``)
    subject: Ident | None = None
    span: Span = _span()

    @property
    def scores_companies(self) -> bool:
        return self.subject is not None and self.subject.name == "company"

    def _of(self, kind):
        return tuple(i for i in self.items if isinstance(i, kind))

    @property
    def scopes(self) -> tuple[Scope, ...]:
        return self._of(Scope)

    @property
    def disqualifiers(self) -> tuple[Disqualify, ...]:
        return self._of(Disqualify)

    @property
    def scores(self) -> tuple[Score, ...]:
        return self._of(Score)

    @property
    def tiers(self) -> tuple[Tier, ...]:
        return self._of(Tier)


TopItem = Union[Include, Schema, Let, Model]


@node
class Comment:
    """A ``# ...`` comment: not part of the model, kept for the formatter."""
    text: str              # including the leading '#'
    line: int
    column: int


@node
class RuleFile:
    path: str = attrs.field(eq=False)
    items: tuple[TopItem, ...]
    comments: tuple[Comment, ...] = attrs.field(default=(), eq=False, repr=False)
    span: Span = _span()

    def _of(self, kind):
        return tuple(i for i in self.items if isinstance(i, kind))

    @property
    def includes(self) -> tuple[Include, ...]:
        return self._of(Include)

    @property
    def schemas(self) -> tuple[Schema, ...]:
        return self._of(Schema)

    @property
    def lets(self) -> tuple[Let, ...]:
        return self._of(Let)

    @property
    def models(self) -> tuple[Model, ...]:
        return self._of(Model)
