"""The backend-neutral intermediate form of a checked model.

The checker produces it; backends (the Python code generator here, SQL later) consume it and
never look at the syntax tree. Everything is resolved and typed: names are properties,
attributes or scores; constants are folded in; durations and instants are integer
microseconds (an instant is microseconds since 1970-01-01T00:00Z); text constants that are
compared case-insensitively are already lower-cased. Each expression carries its ``type`` and
whether it can be missing (``nullable``); a backend can rely on a non-nullable expression never
being missing.
"""

from __future__ import annotations

import enum
from typing import Union

import attrs

from scoredsl.check.types import Type
from scoredsl.data.records import DataSchema
from scoredsl.diagnostics import Span
from scoredsl.syntax.nodes import AggFunc, ArithOp, CmpOp, TextOp, node

_NO_SPAN = Span(file="<none>", line=0, column=0, end_line=0, end_column=0)


def _span():
    return attrs.field(default=_NO_SPAN, eq=False, repr=False)


# ------------------------------------------------------------------ expressions

@node
class Const:
    value: object          # str, int, float, bool, or a tuple of those for lists
    type: Type
    nullable: bool = False
    span: Span = _span()


@node
class Prop:
    """A contact property (``id`` included)."""
    name: str
    type: Type
    nullable: bool = True
    span: Span = _span()


@node
class Attr:
    """An attribute of the event being filtered (only inside an aggregate's filter)."""
    event: str
    name: str
    type: Type
    nullable: bool = True
    span: Span = _span()


@node
class ScoreRef:
    """The final value of a score of the same model (only in tiers)."""
    name: str
    type: Type = Type.INT
    nullable: bool = False
    span: Span = _span()


@node
class Previous:
    """The value a score or tier of the same model had for the contact at the previous run,
    read from the state store; missing for a contact the previous run did not score. With a
    ``window``: at its latest run at least ``window`` microseconds before this one's as-of."""
    name: str
    kind: str                   # "score" or "tier"
    type: Type
    window: int | None = None
    nullable: bool = True
    span: Span = _span()

    @property
    def key(self) -> str:
        """Where an engine finds the value: a contact key no property can have."""
        return f"previous({self.name})" if self.window is None else f"previous({self.name}, {self.window}us)"

    @property
    def label(self) -> str:
        """How explain names the value."""
        if self.window is None:
            return self.name
        days, rest = divmod(self.window, 86_400_000_000)
        return f"{self.name} {days}d ago" if not rest else f"{self.name} {self.window // 1_000_000}s ago"


@node
class Agg:
    func: AggFunc
    event: str
    filter: "Expr | None"
    window: int | None          # microseconds; events with as_of - window <= ts <= as_of
    type: Type
    nullable: bool
    #: ``count(EVENT distinct ATTR)``: matching events whose attribute is present, each value
    #: counted once (lower-cased first when ``fold``)
    distinct: Attr | None = None
    fold: bool = False
    span: Span = _span()


@node
class ContactAgg:
    """In a company model, an aggregate over the company's contacts:

    ``count(contacts where C)``: how many contacts ``C`` is true for (all of them without ``C``);
    ``has(contacts where C)``: whether there is one; ``best(V where C)``: the highest value of
    ``V`` among them, missing when none has one; ``total(V where C)``: the sum of the values
    present, 0 when none has one.

    ``filter`` and ``value`` are expressions over one contact (its properties, ``company.NAME``,
    and its contact models' scores and tiers as props named ``MODEL.NAME``), never over events.
    A company evaluator reads the result under :attr:`key`, computed before it runs."""
    func: str                   # "count", "has", "best" or "total"
    filter: "Expr | None"
    value: "Expr | None"        # best and total: an int expression over the contact
    type: Type
    nullable: bool = False
    span: Span = _span()

    @property
    def key(self) -> str:
        """Where a company evaluator finds the value: a key no property can have."""
        import hashlib      # (here: only company models ask)

        digest = hashlib.sha256(repr((self.func, self.filter, self.value)).encode("utf-8")).hexdigest()[:16]
        return f"contacts:{self.func}:{digest}"


@node
class Cmp:
    op: CmpOp
    left: "Expr"
    right: "Expr"
    fold: bool                  # lower-case both text operands first
    type: Type = Type.BOOL
    nullable: bool = False
    span: Span = _span()


@node
class InList:
    operand: "Expr"
    items: tuple                # constants, lower-cased when fold
    fold: bool
    negated: bool
    type: Type = Type.BOOL
    nullable: bool = False
    span: Span = _span()


@node
class ListHas:
    """A ``list[text]`` value contains an item."""
    container: "Expr"
    item: "Expr"
    fold: bool
    type: Type = Type.BOOL
    nullable: bool = False
    span: Span = _span()


@node
class TextTest:
    op: TextOp
    left: "Expr"
    right: "Expr"
    fold: bool
    type: Type = Type.BOOL
    nullable: bool = False
    span: Span = _span()


@node
class RegexMatch:
    operand: "Expr"
    pattern: str                # RE2 syntax, validated by the checker
    fold: bool
    type: Type = Type.BOOL
    nullable: bool = False
    span: Span = _span()


@node
class IsSet:
    operand: "Expr"
    negated: bool               # True: "is missing"
    type: Type = Type.BOOL
    nullable: bool = False
    span: Span = _span()


@node
class And:
    items: tuple["Expr", ...]
    type: Type = Type.BOOL
    nullable: bool = False
    span: Span = _span()


@node
class Or:
    items: tuple["Expr", ...]
    type: Type = Type.BOOL
    nullable: bool = False
    span: Span = _span()


@node
class Not:
    item: "Expr"
    type: Type = Type.BOOL
    nullable: bool = False
    span: Span = _span()


@node
class Arith:
    op: ArithOp
    left: "Expr"
    right: "Expr"
    type: Type
    nullable: bool = False
    span: Span = _span()


@node
class Neg:
    operand: "Expr"
    type: Type
    nullable: bool = False
    span: Span = _span()


@node
class Age:
    """``as_of - operand`` for an instant; a duration in microseconds."""
    operand: "Expr"
    type: Type = Type.DURATION
    nullable: bool = False
    span: Span = _span()


@node
class Call:
    """A plugin function (``plugin`` names the plugin that provides it); missing if any
    argument is missing."""
    function: str
    plugin: str
    args: tuple["Expr", ...]
    type: Type
    nullable: bool = True
    span: Span = _span()


Expr = Union[Const, Prop, Attr, ScoreRef, Previous, Agg, ContactAgg, Cmp, InList, ListHas, TextTest, RegexMatch, IsSet,
             And, Or, Not, Arith, Neg, Age, Call]


# ------------------------------------------------------------------ rules and models

@node
class PropPoints:
    """Points that are an ``int`` property's value, bounded to ``low..high``, then signed."""
    prop: Prop
    low: int
    high: int
    sign: int                   # 1 or -1


@node
class WhenRule:
    name: str
    condition: Expr
    points: int                 # 0 when ``value`` gives them
    value: PropPoints | None = None
    span: Span = _span()

    @property
    def sign(self) -> int:
        """1: never negative, -1: never positive, 0: either."""
        if self.value is None:
            return -1 if self.points < 0 else 1
        low, high = sorted((self.value.low * self.value.sign, self.value.high * self.value.sign))
        return 1 if low >= 0 else (-1 if high <= 0 else 0)


class Bound(enum.Enum):
    INCLUSIVE = "inclusive"
    EXCLUSIVE = "exclusive"


@node
class Band:
    """One band. Numeric bands are intervals (``low``/``high`` None = unbounded); value bands
    are a set of constants; ``otherwise`` matches any present value."""
    points: int
    low: int | float | None = None
    low_inclusive: bool = True
    high: int | float | None = None
    high_inclusive: bool = True
    values: tuple | None = None
    otherwise: bool = False
    label: str = ""             # as written, for explain and coverage
    span: Span = _span()


@node
class BandRule:
    name: str
    subject: Expr
    fold: bool                  # text subject compared case-insensitively
    bands: tuple[Band, ...]
    span: Span = _span()


@node
class EachRule:
    name: str
    event: str
    filter: Expr | None
    window: int | None
    points: int                 # per event, signed
    limit: int | None           # bound on the rule's absolute total
    #: ``each EVENT distinct ATTR``: points for the first matching event of each present value
    distinct: Attr | None = None
    fold: bool = False
    span: Span = _span()


Rule = Union[WhenRule, BandRule, EachRule]


@node
class Group:
    name: str
    cap: int | None             # in a weighted score: the points that earn the whole share
    rules: tuple[Rule, ...]
    share: int | None = None    # percent of a weighted score (see ``Score.weighted``)
    span: Span = _span()


@node
class Inactivity:
    steps: tuple[tuple[int, int], ...]     # (microseconds, percent), increasing
    activity: tuple[str, ...] | None       # None: every event type
    span: Span = _span()


@node
class Score:
    name: str
    max: int | None
    items: tuple[Union[Rule, Group], ...]
    inactivity: Inactivity | None
    half_life: int | None                  # microseconds
    floor: int | None = None               # ``min N``: the final value is at least N
    span: Span = _span()

    @property
    def weighted(self) -> bool:
        """Its groups carry shares: each contributes ``share * min(max(points, 0), cap) / cap``
        (rounded to millionths), and the score runs from 0 to the sum of the shares."""
        return any(isinstance(item, Group) and item.share is not None for item in self.items)

    def rules(self):
        for item in self.items:
            if isinstance(item, Group):
                yield from item.rules
            else:
                yield item


@node
class TierEntry:
    label: str
    condition: Expr | None                 # None: otherwise
    span: Span = _span()


@node
class Tier:
    name: str
    entries: tuple[TierEntry, ...]
    #: never moves down between runs (entries are listed from the highest down), unless
    #: ``unless`` is true; the previous label is ``previous(name)``.
    monotonic: bool = False
    unless: Expr | None = None
    span: Span = _span()

    @property
    def previous(self) -> Previous:
        return Previous(name=self.name, kind="tier", type=Type.TEXT)


@node
class Disqualifier:
    name: str
    condition: Expr
    span: Span = _span()


@node
class Model:
    name: str
    scope: Expr | None
    disqualifiers: tuple[Disqualifier, ...]
    scores: tuple[Score, ...]
    tiers: tuple[Tier, ...]
    #: "contact", or "company": the model scores companies, from their properties, the events
    #: of all their contacts, and aggregates over those contacts (:class:`ContactAgg`). Left
    #: out of the repr, so that a contact model's version is what it was before companies
    #: (a compiled model's version stamps its subject when it scores companies)
    subject: str = attrs.field(default="contact", repr=False)
    span: Span = _span()

    @property
    def scores_companies(self) -> bool:
        return self.subject == "company"


@node
class Program:
    schema: DataSchema = attrs.field(eq=False)
    models: tuple[Model, ...]


# ------------------------------------------------------------------ traversal

def children(expr: Expr) -> tuple:
    """The direct sub-expressions of an expression (filters included)."""
    if isinstance(expr, (And, Or)):
        return expr.items
    if isinstance(expr, Not):
        return (expr.item,)
    if isinstance(expr, (Cmp, TextTest, Arith)):
        return (expr.left, expr.right)
    if isinstance(expr, ListHas):
        return (expr.container, expr.item)
    if isinstance(expr, (InList, RegexMatch, IsSet, Neg, Age)):
        return (expr.operand,)
    if isinstance(expr, Agg):
        return () if expr.filter is None else (expr.filter,)
    if isinstance(expr, Call):
        return expr.args
    return ()


def walk(expr: Expr):
    """Every expression in the tree, parents before children."""
    yield expr
    for child in children(expr):
        yield from walk(child)


def walk_postorder(expr: Expr):
    """Every expression in the tree, children before parents."""
    for child in children(expr):
        yield from walk_postorder(child)
    yield expr


def model_exprs(model: Model):
    """Every expression of a model, sub-expressions included."""
    roots = [model.scope] if model.scope is not None else []
    roots += [d.condition for d in model.disqualifiers]
    for score in model.scores:
        for rule in score.rules():
            roots.append(getattr(rule, "condition", None) or getattr(rule, "subject", None)
                         or getattr(rule, "filter", None))
            if isinstance(rule, WhenRule) and rule.value is not None:
                roots.append(rule.value.prop)
    roots += [e.condition for t in model.tiers for e in t.entries]
    roots += [t.unless for t in model.tiers]
    for root in roots:
        if root is not None:
            yield from walk(root)


def contact_aggs(model: Model) -> tuple[ContactAgg, ...]:
    """A company model's aggregates over contacts, each once, in the order first read."""
    return tuple({e: None for e in model_exprs(model) if isinstance(e, ContactAgg)})


def contact_exprs(agg: ContactAgg):
    """Every expression an aggregate over contacts evaluates for one contact."""
    for root in (agg.filter, agg.value):
        if root is not None:
            yield from walk(root)


def models_read(model: Model) -> tuple[str, ...]:
    """The other models whose scores or tiers a model reads (as ``MODEL.NAME`` props), in order:
    for a company model the contact models its aggregates read, for a contact model the company
    models whose scores it reads of its company."""
    if model.scores_companies:
        exprs = (e for agg in contact_aggs(model) for e in contact_exprs(agg))
    else:
        exprs = model_exprs(model)
    found: dict[str, None] = {}
    for e in exprs:
        if isinstance(e, Prop) and "." in e.name and not e.name.startswith("company."):
            found.setdefault(e.name.split(".", 1)[0], None)
    return tuple(found)


def state_reads(model: Model) -> tuple[Previous, ...]:
    """What a model reads from the previous run, each once, in the order first read: its
    ``previous(...)`` values, and the previous label of each monotonic tier."""
    found = {e: None for e in model_exprs(model) if isinstance(e, Previous)}
    for tier in model.tiers:
        if tier.monotonic:
            found.setdefault(tier.previous, None)
    return tuple(found)


# Under event-age decay a score counts in millionths of a point (see "Rounding" in the
# language reference): integers, so sums are exact in any order and on any backend.
DECAY_SCALE = 1_000_000
