"""Hypothesis strategies: data for a schema, and random *valid* rule files over a fixed schema.

Data (contacts, events, as-of) is drawn for any schema given as plain dicts::

    properties = {"industry": ("text", False), "tags": ("text", True), "employees": ("int", False)}
    events = {"page_view": {"url": "text"}, "email_bounce": {}}

and aims at the edges of the language: missing values (absent key or ``None``), empty and
white-space texts, case variants of the literals the rules use, events exactly on window edges
(and one microsecond either side), events after as-of, ties, heavy-tailed counts, no events.

Rule files are drawn as source text over :data:`SCHEMA_TEXT` by :func:`rule_files`. Every file is
valid per docs/language.md: names unique, types right, bands ascending and non-overlapping, tier
thresholds reachable, decay steps in order. Rule literals come from the same vocabularies as the
data (:data:`TEXTS`, :data:`NUMBERS`, :data:`DURATIONS`) so that rules and data meet often.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from typing import Callable, Mapping

import attrs
from hypothesis import strategies as st

from scoredsl.data.records import Event

UTC = dt.timezone.utc
MICROSECOND = dt.timedelta(microseconds=1)
MINUTE = dt.timedelta(minutes=1)

# ====================================================================== shared vocabularies

# Interesting texts, in the case a rule writer would use. Data gets case variants of them.
TEXTS = ("vp", "VP of Sales", "director", "saas", "software", "fintech", "student", "/pricing",
         "/blog/", "demo-request", "@acme.com", "Straße", "x")
NUMBERS = (0, 1, 2, 3, 5, 9, 10, 49, 50, 100, 999, 1000, 1001)
DURATIONS = ("45m", "12h", "1d", "7d", "2w", "30d", "90d", "180d")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
REGEXES = (r"\bvp\b", r"^dir", r"(saas|software)$", r"acme\.com", r"^/blog/", r"[0-9]+", r"straße",
           r"s.ft", r"^$|x")
WHITESPACE = ("", " ", "   ", "\t", "\n ", "\u00a0")

AS_OF = dt.datetime(2024, 7, 1, tzinfo=UTC)


def duration(text: str) -> dt.timedelta:
    """``"30d"`` -> ``timedelta(days=30)``."""
    return dt.timedelta(seconds=int(text[:-1]) * _UNIT_SECONDS[text[-1]])


# ====================================================================== data for a schema

def case_variants(text: str) -> st.SearchStrategy[str]:
    """The text as written, lower, upper, title-cased, or with a random case per character."""
    mixed = st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda flips: "".join(c.upper() if f else c.lower() for c, f in zip(text, flips)))
    return st.one_of(st.sampled_from([text, text.lower(), text.upper(), text.title()]), mixed)


def texts(vocabulary=TEXTS) -> st.SearchStrategy[str | None]:
    """Texts that are missing, blank, vocabulary words (any case, bare or inside other text), or random."""
    word = st.sampled_from(vocabulary).flatmap(case_variants)
    return st.one_of(
        st.none(),
        st.sampled_from(WHITESPACE),
        word,
        st.tuples(st.sampled_from(["", " ", "the ", "x"]), word, st.sampled_from(["", " ", " inc", "s"]))
          .map("".join),
        st.text(max_size=8),
    )


def ints(numbers=NUMBERS) -> st.SearchStrategy[int | None]:
    near = st.sampled_from(numbers).flatmap(lambda n: st.sampled_from([n - 1, n, n + 1, -n]))
    return st.one_of(st.none(), near, st.integers(-10, 2000), st.integers(-(2 ** 40), 2 ** 40))


def floats(numbers=NUMBERS) -> st.SearchStrategy[float | None]:
    near = st.sampled_from(numbers).flatmap(
        lambda n: st.sampled_from([n - 0.5, float(n), n + 0.5, n + 1e-9, n - 1e-9]))
    return st.one_of(st.none(), near, st.floats(allow_nan=False, allow_infinity=False, min_value=-1e7,
                                                max_value=1e7))


def instants_near(as_of: dt.datetime, durations=DURATIONS) -> st.SearchStrategy[dt.datetime]:
    """Aware-UTC datetimes on window edges (exactly ``as_of - D``, and one microsecond either
    side), at as-of (and just after), later than as-of, or anywhere in the year before."""
    edge = st.tuples(st.sampled_from(durations), st.sampled_from([-1, 0, 0, 1])).map(
        lambda d: as_of - duration(d[0]) + d[1] * MICROSECOND)
    now = st.sampled_from([as_of, as_of - MICROSECOND, as_of + MICROSECOND])
    after = st.integers(1, 40 * 86400 * 10 ** 6).map(lambda us: as_of + us * MICROSECOND)
    before = st.integers(0, 400 * 86400 * 10 ** 6).map(lambda us: as_of - us * MICROSECOND)
    return st.one_of(edge, edge, now, after, before)


def dates_near(as_of: dt.datetime, durations=DURATIONS) -> st.SearchStrategy[dt.date | None]:
    days = [duration(d).days for d in durations if duration(d).days]
    edge = st.tuples(st.sampled_from(days), st.sampled_from([-1, 0, 0, 1])).map(
        lambda d: as_of.date() - dt.timedelta(days=d[0] + d[1]))
    anywhere = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))
    return st.one_of(st.none(), edge, st.just(as_of.date()), anywhere)


def values_of(base: str, is_list: bool, as_of: dt.datetime) -> st.SearchStrategy:
    """A typed value (see scoredsl.data.records) or None, for one declared type."""
    if is_list:
        return st.one_of(st.none(), st.lists(texts().filter(lambda t: t is not None), max_size=4).map(tuple))
    if base == "text":
        return texts()
    if base == "int":
        return ints()
    if base == "number":
        return floats()
    if base == "bool":
        return st.one_of(st.none(), st.booleans())
    if base == "date":
        return dates_near(as_of)
    if base == "datetime":
        return st.one_of(st.none(), instants_near(as_of))
    raise ValueError(f"unknown type {base!r}")


@st.composite
def contacts(draw, properties: Mapping[str, tuple[str, bool]], as_of: dt.datetime = AS_OF,
             contact_id: str = "c1") -> dict:
    """A contact dict: an ``id`` and each property either absent, None, or a drawn value."""
    contact = {"id": contact_id}
    for name, (base, is_list) in properties.items():
        if draw(st.integers(0, 9)) == 0:
            continue                                  # absent key: missing
        contact[name] = draw(values_of(base, is_list, as_of))
    return contact


def _event_count() -> st.SearchStrategy[int]:
    """Heavy-tailed: often none or a few, sometimes dozens."""
    return st.one_of(st.just(0), st.integers(1, 3), st.integers(4, 12), st.integers(13, 60))


@st.composite
def event_lists(draw, events: Mapping[str, Mapping[str, str]], as_of: dt.datetime = AS_OF,
                contact_id: str = "c1") -> list[Event]:
    """A contact's events, in random order, with many ties and window-edge timestamps."""
    count = draw(_event_count())
    if count == 0 or not events:
        return []
    kinds = draw(st.lists(st.sampled_from(sorted(events)), min_size=1, max_size=len(events), unique=True))
    pool = draw(st.lists(instants_near(as_of), min_size=1, max_size=5))      # shared: ties
    drawn = []
    for _ in range(count):
        kind = draw(st.sampled_from(kinds))
        timestamp = draw(st.one_of(st.sampled_from(pool), instants_near(as_of)))
        attrs_ = {}
        for name, base in events[kind].items():
            if draw(st.integers(0, 9)) != 0:          # otherwise absent: missing
                attrs_[name] = draw(values_of(base, False, as_of))
        drawn.append(Event(contact_id=contact_id, type=kind, timestamp=timestamp, attrs=attrs_))
    return drawn


def as_of_times() -> st.SearchStrategy[dt.datetime]:
    fixed = st.sampled_from([AS_OF, dt.datetime(2024, 2, 29, 12, 34, 56, 789012, tzinfo=UTC),
                             dt.datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)])
    anywhere = st.datetimes(min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2039, 12, 31),
                            timezones=st.just(UTC))
    return st.one_of(fixed, fixed, anywhere)


@attrs.frozen(kw_only=True)
class Scenario:
    """One contact, its events and the as-of time: the data of one evaluation; and, for a
    schema with companies, the source's companies by id (the contact's ``company_id`` may name
    one of them, with white space around it, or none)."""
    contact: dict
    events: list
    as_of: dt.datetime
    companies: dict = attrs.field(factory=dict)


COMPANY_IDS = ("acme", "Globex", "co 3")


@st.composite
def company_pool(draw, properties: Mapping[str, tuple[str, bool]], as_of: dt.datetime = AS_OF) -> dict:
    """Some companies by id, each with drawn properties (as contacts are drawn)."""
    chosen = draw(st.lists(st.sampled_from(COMPANY_IDS), max_size=len(COMPANY_IDS), unique=True))
    return {cid: draw(contacts(properties, as_of, cid)) for cid in chosen}


def company_ids() -> st.SearchStrategy[str | None]:
    """What a contact's company_id holds: a company's id (maybe padded or in another case),
    an id no company has, blank, or nothing."""
    known = st.sampled_from(COMPANY_IDS)
    return st.one_of(known, known, known.map(lambda c: f" {c}\t"), known.map(str.upper),
                     st.sampled_from(["nobody", "", "  "]), st.none())


@st.composite
def scenarios(draw, properties: Mapping[str, tuple[str, bool]],
              events: Mapping[str, Mapping[str, str]],
              company: Mapping[str, tuple[str, bool]] | None = None) -> Scenario:
    as_of = draw(as_of_times())
    contact_id = draw(st.sampled_from(["c1", "C-2", "id 3"]))
    contact = draw(contacts(properties, as_of, contact_id))
    pool = {}
    if company is not None:
        pool = draw(company_pool(company, as_of))
        if draw(st.integers(0, 9)):
            contact["company_id"] = draw(company_ids())
    return Scenario(contact=contact, events=draw(event_lists(events, as_of, contact_id)), as_of=as_of,
                    companies=pool)


def with_company(contact: dict, companies: Mapping[str, dict], schema) -> dict:
    """``contact`` as an engine hands it to an evaluator: its company's values in
    (:mod:`scoredsl.data.companies`); unchanged when the schema declares no company."""
    if schema.company is None:
        return contact
    from scoredsl.data.companies import Companies

    return Companies(schema, companies).attach(contact)


# ====================================================================== the fixed schema

SCHEMA_PROPERTIES: dict[str, tuple[str, bool]] = {
    "title": ("text", False), "industry": ("text", False), "email": ("text", False),
    "employees": ("int", False), "revenue": ("number", False), "opted_out": ("bool", False),
    "created": ("date", False), "last_seen": ("datetime", False), "tags": ("text", True),
}
# The companies of the fixed schema: contact rules read them as company.NAME.
SCHEMA_COMPANY: dict[str, tuple[str, bool]] = {
    "industry": ("text", False), "employees": ("int", False), "revenue": ("number", False),
    "active": ("bool", False), "founded": ("date", False), "tags": ("text", True),
}
SCHEMA_EVENTS: dict[str, dict[str, str]] = {
    "email_open": {"campaign": "text", "newsletter": "bool"},
    "email_click": {"url": "text"},
    # `industry` shadows the contact property inside `where` (event attributes come first)
    "page_view": {"url": "text", "seconds": "int", "industry": "text"},
    "form_submit": {"form": "text", "amount": "number", "sent": "datetime"},
    "email_bounce": {},
}


def _schema_text() -> str:
    def fields(items):
        return ", ".join(f"{n}: list[{b}]" if lst else f"{n}: {b}" for n, (b, lst) in items)
    lines = ["schema {", f"  contact {{ {fields(SCHEMA_PROPERTIES.items())} }}",
             f"  company {{ {fields(SCHEMA_COMPANY.items())} }}"]
    for name, attributes in SCHEMA_EVENTS.items():
        body = fields((a, (b, False)) for a, b in attributes.items())
        lines.append(f"  event {name} {{ {body} }}" if body else f"  event {name}")
    lines.append("}")
    return "\n".join(lines) + "\n"


SCHEMA_TEXT = _schema_text()


def fixed_scenarios() -> st.SearchStrategy[Scenario]:
    """Data for :data:`SCHEMA_TEXT`, the schema of every file :func:`rule_files` draws."""
    return scenarios(SCHEMA_PROPERTIES, SCHEMA_EVENTS, SCHEMA_COMPANY)


# ====================================================================== rule files

def quote(text: str) -> str:
    """A string literal for ``text``, with the language's escapes."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


# Precedence levels of generated expressions, loosest first (see grammar/scoredsl.lark).
OR, AND, NOT, PRED, SUM, PRODUCT, UNARY, ATOM = range(1, 9)


@attrs.frozen
class Code:
    """Source text of an expression and the precedence level of its outermost operator."""
    text: str
    level: int

    def at(self, level: int) -> str:
        """The text, parenthesised if it binds looser than ``level`` requires."""
        return self.text if self.level >= level else f"({self.text})"


@attrs.frozen
class Context:
    """Where an expression appears: in a ``where`` of ``event``, or in a tier (score names)."""
    event: str | None = None
    scores: tuple[str, ...] = ()


CONTACT = Context()


@attrs.frozen(kw_only=True)
class Constant:
    name: str
    kind: str            # int, number, text, bool, date, duration, list_text, list_number
    text: str            # the literal as written in `let`
    value: object        # its value, for band order and tier reachability (durations in minutes)


@attrs.frozen(kw_only=True)
class Scale:
    """How to write ordered band bounds for one kind of subject, on a scale of whole numbers."""
    constant_kind: str                  # constants of this kind can be bounds
    starts: tuple[int, ...]             # candidate lowest bounds
    gaps: tuple[int, ...]               # candidate steps from one bound to the next
    values: bool                        # single values and lists are bands too
    write: Callable[[int], st.SearchStrategy[str]]


def _duration_text(minutes: int) -> st.SearchStrategy[str]:
    """``minutes`` in any unit that divides it: 1440 -> "1d", "24h" or "1440m"."""
    units = [(unit, size) for unit, size in (("w", 10080), ("d", 1440), ("h", 60), ("m", 1))
             if minutes % size == 0]
    return st.sampled_from(units).map(lambda u: f"{minutes // u[1]}{u[0]}")


NUMBER_SCALE = Scale(constant_kind="int", starts=(-20, 0, 5, 10, 50), gaps=(0, 1, 2, 5, 10, 40), values=True,
                     write=lambda v: st.just(str(v)))
DURATION_SCALE = Scale(constant_kind="duration", starts=(45, 720, 1440, 10080, 43200),
                       gaps=(0, 1, 60, 720, 1440, 10080, 43200), values=False, write=_duration_text)


class FileWriter:
    """Writes one random valid rule file; every choice is a Hypothesis draw."""

    def __init__(self, draw: Callable, event_only: bool = False):
        self.draw = draw
        #: every ``where`` reads only its event's attributes (:meth:`event_condition`)
        self.event_only = event_only
        self.counter = itertools.count(1)
        self.constants: list[Constant] = []
        self.outputs: tuple[list[str], list[str]] = ([], [])     # this model's scores and tiers

    # ------------------------------------------------------------------ helpers
    def pick(self, options):
        return self.draw(st.sampled_from(list(options)))

    def chance(self, p: float) -> bool:
        """Roughly probability ``p`` (Hypothesis leans towards small integers, so a bit more)."""
        return self.draw(st.integers(0, 999)) < p * 1000

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def consts(self, kind: str) -> list[Constant]:
        return [c for c in self.constants if c.kind == kind]

    def text_literal(self) -> str:
        return self.draw(st.sampled_from(TEXTS).flatmap(case_variants))

    # ------------------------------------------------------------------ file
    def file(self) -> str:
        parts = ["# generated by tests/strategies.py", SCHEMA_TEXT, self.lets()]
        for _ in range(self.draw(st.integers(1, 2))):
            parts.append(self.model())
        return "\n".join(parts) + "\n"

    def lets(self) -> str:
        distinct = self.draw(st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3,
                                      unique_by=str.lower))
        words = [self.draw(case_variants(w)) for w in distinct]
        sizes = sorted(set(self.draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3))))
        limit = self.pick(NUMBERS)
        word = self.text_literal()
        window = self.pick(DURATIONS)
        candidates = [
            Constant(name="k_limit", kind="int", text=str(limit), value=limit),
            Constant(name="k_ratio", kind="number", text="2.5", value=2.5),
            Constant(name="k_word", kind="text", text=quote(word), value=word),
            Constant(name="k_flag", kind="bool", text=self.pick(["true", "false"]), value=None),
            Constant(name="k_launch", kind="date", text=self.pick(["2024-01-01", "2024-06-01"]), value=None),
            Constant(name="k_window", kind="duration", text=window, value=duration(window) // MINUTE),
            Constant(name="k_targets", kind="list_text", text="[" + ", ".join(map(quote, words)) + "]",
                     value=tuple(words)),
            Constant(name="k_sizes", kind="list_number", text="[" + ", ".join(map(str, sizes)) + "]",
                     value=tuple(sizes)),
        ]
        self.constants = [c for c in candidates if self.chance(0.7)]
        return "".join(f"let {c.name} = {c.text}\n" for c in self.constants)

    def model(self) -> str:
        lines = [f"model {self.fresh('m')} {{"]
        scores = [self.fresh("s") for _ in range(self.draw(st.integers(1, 3)))]
        tiers = [self.fresh("t") for _ in range(self.draw(st.integers(0, 3)))]
        # what previous(...) may name: some of this model's scores and tiers
        self.outputs = ([s for s in scores if self.chance(0.3)], [t for t in tiers if self.chance(0.3)])
        if self.chance(0.15):
            lines.append(f"  scope {self.condition(CONTACT, 1).text}")
        for _ in range(self.draw(st.integers(0, 2))):
            lines.append(f"  disqualify {self.fresh('dq')}: {self.condition(CONTACT, 1).text}")
        for name in scores:
            lines.append(self.score(name))
        for name in tiers:
            lines.append(self.tier(name, scores))
        lines.append("}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ scores
    def score(self, name: str) -> str:
        weighted = self.chance(0.2)
        maximum = None if weighted else self.draw(st.one_of(st.none(), st.integers(1, 300)))
        items = []
        if self.chance(0.4):
            items.append(self.inactivity())
        if self.chance(0.4):
            items.append(f"decay half_life {self.pick(DURATIONS)}")
        if weighted:
            items += self.shares()
        else:
            for _ in range(self.draw(st.integers(0, 2))):
                items.append(self.group(maximum))
            for _ in range(self.draw(st.integers(0 if items else 1, 4))):
                items.append(self.rule())
        items = self.draw(st.permutations(items))
        head = f"score {name}"
        if self.chance(0.2):
            floor = self.pick([f for f in (-10, 0, 5, 20) if maximum is None or f < maximum])
            head += f" min {floor}"
        head += f" max {maximum}" if maximum is not None else ""
        return f"  {head} {{\n" + "".join(f"    {item}\n" for item in items) + "  }"

    def inactivity(self) -> str:
        seconds = sorted(set(self.draw(st.lists(st.sampled_from(DURATIONS).map(duration), min_size=1,
                                                max_size=3))))
        written = {duration(d): d for d in DURATIONS}
        percents = sorted(self.draw(st.lists(st.integers(0, 100), min_size=len(seconds),
                                             max_size=len(seconds), unique=True)), reverse=True)
        steps = ", ".join(f"{written[s]} => {p}%" for s, p in zip(seconds, percents))
        text = f"decay inactivity {{ {steps} }}"
        if self.chance(0.6):
            kinds = self.draw(st.lists(st.sampled_from(sorted(SCHEMA_EVENTS)), min_size=1, unique=True))
            text += f" activity [{', '.join(kinds)}]"
        return text

    def shares(self) -> list[str]:
        """The groups of a weighted score: shares that mostly add up to 100, maxes in points."""
        count = self.draw(st.integers(1, 4))
        if self.chance(0.8):
            cuts = sorted(self.draw(st.lists(st.integers(1, 99), min_size=count - 1, max_size=count - 1,
                                             unique=True)))
            shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100])]
        else:
            shares = self.draw(st.lists(st.integers(1, 100), min_size=count, max_size=count))
        groups = []
        for share in shares:
            rules = "; ".join(self.rule() for _ in range(self.draw(st.integers(1, 3))))
            cap = self.pick([1, 3, 7, 10, 30, 40, 100, 999])
            groups.append(f"group {self.fresh('g')} share {share}% max {cap} {{ {rules} }}")
        return groups

    def group(self, score_max: int | None) -> str:
        cap = ""
        if score_max is not None and self.chance(0.4):
            cap = f" max {self.draw(st.integers(1, 100))}%"
        elif self.chance(0.7):
            cap = f" max {self.draw(st.integers(1, 120))}"
        rules = "; ".join(self.rule() for _ in range(self.draw(st.integers(1, 3))))
        return f"group {self.fresh('g')}{cap} {{ {rules} }}"

    def rule(self) -> str:
        kind = self.pick(["when", "when", "bands", "each", "each"])
        name = self.fresh("r")
        if kind == "when":
            points = self.points()
            if self.chance(0.15):      # points from an int property, bounded
                low = self.pick([-30, -5, 0, 3])
                points = f"{self.pick(['+ ', '- ', ''])}employees in {low}..{low + self.pick([0, 1, 20, 60])}"
            return f"rule {name}: {self.condition(CONTACT, 2).text} => {points}"
        if kind == "bands":
            return f"rule {name}: {self.bands()}"
        return f"rule {name}: {self.each()}"

    def points(self) -> str:
        amount = self.pick([0, 1, 3, 5, 10, 15, 20, 25, 40, 90])
        return self.pick(["+", "-", ""]) + str(amount) if amount else self.pick(["0", "+0"])

    def each(self) -> str:
        event = self.pick(sorted(SCHEMA_EVENTS))
        text = f"each {event}" + self.distinct(event) + self.filters(event)
        sign = self.pick(["+", "-", ""])
        amount = self.pick([1, 3, 5, 10, 20])
        text += f" => {sign}{amount}"
        limit = self.pick(["", "", " once", f" max {self.pick([1, 5, 10, 12, 40])}"])
        return text + limit

    def filters(self, event: str) -> str:
        text = ""
        if self.chance(0.5):
            condition = self.event_condition(event, 1) if self.event_only else self.condition(Context(event=event), 1)
            text += f" where {condition.text}"
        if self.chance(0.5):
            text += f" within {self.pick(DURATIONS)}"
        return text

    def event_condition(self, event: str, depth: int) -> Code:
        """A ``where`` condition over only ``event``'s own attributes and literals."""
        attributes = SCHEMA_EVENTS[event]
        if depth > 0 and self.chance(0.3):
            op = self.pick(["and", "or", "not"])
            if op == "not":
                return Code(f"not {self.event_condition(event, depth - 1).at(NOT)}", NOT)
            level = AND if op == "and" else OR
            left = self.event_condition(event, depth - 1).at(level)
            right = self.event_condition(event, depth - 1).at(level + 1)
            return Code(f"{left} {op} {right}", level)
        if not attributes:
            return Code(self.pick(["true", "false"]), ATOM)
        name = self.pick(sorted(attributes))
        base = attributes[name]
        if self.chance(0.15):
            return Code(f"{name} is {self.pick(['set', 'missing'])}", PRED)
        if base == "text":
            kind = self.pick(["==", "contains", "starts_with", "in", "matches"])
            if kind == "in":
                return Code(f"{name} in {self.text_list()}", PRED)
            if kind == "matches":
                return Code(f"{name} matches {self.pick(['/^d/', '/demo|trial/', '/E$/i'])}", PRED)
            return Code(f"{name} {kind} {quote(self.text_literal())}", PRED)
        if base == "bool":
            return Code(name if self.chance(0.5) else f"{name} == {self.pick(['true', 'false'])}", PRED)
        if base == "datetime":
            return Code(f"age({name}) {self.pick(['<', '>='])} {self.pick(DURATIONS)}", PRED)
        scale = self.pick(["", " * 2", " - 5", " + 0.5"]) if base == "number" else self.pick(["", " * 2", " - 5"])
        return Code(f"{name}{scale} {self.pick(['<', '>=', '=='])} {self.pick(NUMBERS)}", PRED)

    # ------------------------------------------------------------------ bands
    def bands(self) -> str:
        kind = self.pick(["text", "number", "number", "duration"])
        if kind == "text":
            subject = self.pick(["industry", "title", "email", "company.industry"]) + (
                " case_sensitive" if self.chance(0.25) else "")
            bands = self.text_bands()
        elif kind == "number":
            subject = self.numeric(CONTACT, 1, integer=self.chance(0.5)).at(SUM)
            bands = self.ordered_bands(NUMBER_SCALE)
        else:
            subject = self.duration_value(CONTACT, band_subject=True).at(SUM)
            bands = self.ordered_bands(DURATION_SCALE)
        if self.chance(0.4):
            bands.append("otherwise")
        return f"{subject} {{ " + "; ".join(f"{b} => {self.points()}" for b in bands) + " }"

    def text_bands(self) -> list[str]:
        """Text bands: no string (case-insensitively) in two bands, or twice in one."""
        used: set[str] = set()
        bands = []
        for _ in range(self.draw(st.integers(1, 4))):
            choice = self.pick(["single", "list", "const"])
            if choice == "const" and self.consts("list_text") + self.consts("text"):
                const = self.pick(self.consts("list_text") + self.consts("text"))
                values = _as_tuple(const.value)
                if not used & {v.lower() for v in values}:
                    used |= {v.lower() for v in values}
                    bands.append(const.name)
                continue
            count = 1 if choice == "single" else self.draw(st.integers(1, 3))
            words = self.draw(st.lists(st.sampled_from(TEXTS), min_size=count, max_size=count, unique=True))
            # compare the variants as written: "STRASSE".lower() is not "straße".lower()
            words = [self.draw(case_variants(w)) for w in words]
            words = [w for w in dict.fromkeys(words) if w.lower() not in used]
            words = list({w.lower(): w for w in words}.values())
            if not words:
                continue
            used |= {w.lower() for w in words}
            bands.append(quote(words[0]) if choice == "single" else "[" + ", ".join(map(quote, words)) + "]")
        return bands or ['"no such value"']

    def ordered_bands(self, scale: "Scale") -> list[str]:
        """Ascending, non-overlapping bands over a number or duration (kept as whole minutes).

        ``floor``/``taken`` say what earlier bands claimed: every value below ``floor``, and
        ``floor`` itself when ``taken``. Each new band claims only higher values.
        """
        floor, taken = None, True
        bands: list[str] = []

        def bound(min_gap: int) -> tuple[str, int]:
            """A bound at least ``min_gap`` above the floor: a constant if one fits, else a literal."""
            low = None if floor is None else floor + min_gap
            fits = [c for c in self.consts(scale.constant_kind) if low is None or c.value >= low]
            if fits and self.chance(0.25):
                const = self.pick(fits)
                return const.name, const.value
            value = self.pick(scale.starts) if floor is None else low + self.pick(scale.gaps)
            return self.draw(scale.write(value)), value

        if self.chance(0.5):
            op = self.pick(["<", "<="])
            text, floor = bound(0)
            bands.append(f"{op} {text}")
            taken = op == "<="
        for _ in range(self.draw(st.integers(0 if bands else 1, 3))):
            kind = self.pick(["range", "range", "open range"] + (["single", "list", "const"] if scale.values else []))
            gap = 1 if taken else 0
            if kind == "const":
                fits = [c for c in self.consts("int") + self.consts("list_number")
                        if floor is None or min(_as_tuple(c.value)) >= floor + gap]
                if fits:
                    const = self.pick(fits)
                    bands.append(const.name)
                    floor, taken = max(_as_tuple(const.value)), True
                continue
            low_text, low = bound(gap)
            if kind == "single":
                bands.append(low_text)
                floor, taken = low, True
            elif kind == "list":
                items = sorted({low + step for step in self.draw(st.lists(st.integers(0, 30), min_size=1,
                                                                          max_size=3))})
                bands.append("[" + ", ".join(map(str, items)) + "]")
                floor, taken = items[-1], True
            else:
                exclusive = kind == "open range"
                floor, taken = low, True
                high_text, high = bound(1 if exclusive else 0)      # a..<a would be empty
                bands.append(f"{low_text}..{'<' if exclusive else ''}{high_text}")
                floor, taken = high, not exclusive
        if self.chance(0.5):
            op = self.pick([">", ">="])
            text, _ = bound(1 if taken and op == ">=" else 0)
            bands.append(f"{op} {text}")
        return bands or [self.draw(scale.write(self.pick(scale.starts)))]

    # ------------------------------------------------------------------ tiers
    def tier(self, name: str, scores: list[str]) -> str:
        if self.chance(0.5):
            entries = [self.condition(Context(scores=tuple(scores)), 2).text
                       for _ in range(self.draw(st.integers(1, 4)))]
            if self.chance(0.6):
                entries.append("otherwise")
            head = f"tier {name}"
        else:
            subject = self.pick([scores[0], " + ".join(scores), f"{scores[-1]} * 2", f"{scores[0]} - 10"])
            entries = self.thresholds()
            head = f"tier {name} by {subject}"
        if self.chance(0.35):
            head += " monotonic"
            if self.chance(0.5):
                head += f" unless {self.condition(Context(scores=tuple(scores)), 1).text}"
        body = "\n".join(f"    L{i}: {entry}" for i, entry in enumerate(entries, 1))
        return f"  {head} {{\n{body}\n  }}"

    def thresholds(self) -> list[str]:
        """Threshold entries none of which earlier ones pre-empt (each has an integer witness)."""
        ints = {c.name: c.value for c in self.consts("int")}
        chosen: list[tuple[str, int]] = []
        entries = []
        for _ in range(self.draw(st.integers(1, 4))):
            op = self.pick([">=", ">=", ">", "<=", "<", "=="])
            written = self.pick([str(v) for v in (-10, 0, 5, 10, 20, 35, 65, 100)] + list(ints))
            value = ints.get(written, None)
            value = int(written) if value is None else value
            if _witness([(op, value)], chosen) is not None:
                chosen.append((op, value))
                entries.append(f"{op} {written}")
        if _witness([], chosen) is not None and self.chance(0.7):
            entries.append("otherwise")
        return entries

    # ------------------------------------------------------------------ expressions
    def condition(self, ctx: Context, depth: int) -> Code:
        """A bool expression: a predicate, or (depth permitting) and/or/not of conditions."""
        if depth > 0 and self.chance(0.35):
            kind = self.pick(["and", "or", "not", "paren"])
            if kind == "not":
                return Code("not " + self.condition(ctx, depth - 1).at(NOT), NOT)
            if kind == "paren":
                return Code("(" + self.condition(ctx, depth - 1).text + ")", ATOM)
            level = AND if kind == "and" else OR
            parts = [self.condition(ctx, depth - 1).at(level + 1)
                     for _ in range(self.draw(st.integers(2, 3)))]
            return Code(f" {kind} ".join(parts), level)
        return self.predicate(ctx, depth)

    def predicate(self, ctx: Context, depth: int) -> Code:
        kind = self.pick(["number", "number", "text", "text", "member", "list", "textop", "regex", "presence",
                          "time", "duration", "bool"])
        cs = " case_sensitive" if self.chance(0.2) else ""
        if kind == "number":
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            left, right = self.numeric(ctx, depth), self.numeric(ctx, 0)
            return Code(f"{left.at(SUM)} {op} {right.at(SUM)}", PRED)
        if kind == "text":
            op = self.pick(["==", "==", "!=", "<", ">="])
            flag = cs if op in ("==", "!=") else ""
            return Code(f"{self.text(ctx).at(SUM)} {op} {self.text_operand(ctx)}{flag}", PRED)
        if kind == "member":
            negated = self.pick(["in", "not in"])
            if self.chance(0.7):
                return Code(f"{self.text(ctx).at(SUM)} {negated} {self.text_list()}{cs}", PRED)
            return Code(f"{self.numeric(ctx, 0).at(SUM)} {negated} {self.number_list()}", PRED)
        if kind == "list":
            return Code(f"{self.list_value(ctx).text} contains {self.text_operand(ctx)}{cs}", PRED)
        if kind == "textop":
            op = self.pick(["contains", "starts_with", "ends_with"])
            return Code(f"{self.text(ctx).at(SUM)} {op} {self.text_operand(ctx)}{cs}", PRED)
        if kind == "regex":
            pattern = self.pick(REGEXES).replace("/", "\\/")
            flag = "" if cs else self.pick(["", "", "i"])      # `i` is the default anyway
            return Code(f"{self.text(ctx).at(SUM)} matches /{pattern}/{flag}{cs}", PRED)
        if kind == "presence":
            value = self.pick([self.text, self.any_number, self.time, self.duration_value, self.list_value])(ctx)
            return Code(f"{value.at(SUM)} is {self.pick(['set', 'missing'])}", PRED)
        if kind == "time":
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            return Code(f"{self.time(ctx).at(SUM)} {op} {self.time(ctx).at(SUM)}", PRED)
        if kind == "duration":
            op = self.pick(["<", "<=", ">", ">=", "=="])
            return Code(f"{self.duration_value(ctx).at(SUM)} {op} {self.duration_value(ctx).at(SUM)}", PRED)
        return self.boolean(ctx)

    def boolean(self, ctx: Context) -> Code:
        options = ["opted_out", "company.active"] + [c.name for c in self.consts("bool")]
        if ctx.event is None:                          # no aggregate inside a `where`
            options.append("has")
        if ctx.event is not None:
            options += [a for a, t in SCHEMA_EVENTS[ctx.event].items() if t == "bool"]
        choice = self.pick(options)
        if choice == "has":
            return self.aggregate("has", ctx)
        if self.chance(0.3):
            return Code(f"{choice} {self.pick(['==', '!='])} {self.pick(['true', 'false'])}", PRED)
        return Code(choice, ATOM)

    def names(self, ctx: Context, base: str) -> list[str]:
        """Names of ``base`` type visible in ``ctx`` (event attributes shadow properties)."""
        found = [n for n, (b, lst) in SCHEMA_PROPERTIES.items() if b == base and not lst]
        found += [f"company.{n}" for n, (b, lst) in SCHEMA_COMPANY.items() if b == base and not lst]
        if base == "text":
            found += ["id", "company_id", "company.id"]
        if ctx.event is not None:
            found += [a for a, b in SCHEMA_EVENTS[ctx.event].items() if b == base and a not in found]
        if base == "int":
            found += list(ctx.scores)
            found += [f"previous({name})" for name in self.outputs[0]]
            found += [f"change({name}, {self.pick(['1d', '7d', '30d'])})" for name in ctx.scores if name in self.outputs[0]]
        if base == "text":
            found += [f"previous({name})" for name in self.outputs[1]]
        return found

    def text(self, ctx: Context) -> Code:
        return Code(self.pick(self.names(ctx, "text")), ATOM)

    def text_operand(self, ctx: Context) -> str:
        """The right side of a text test: mostly a literal, sometimes a constant or a property."""
        choice = self.pick(["literal", "literal", "literal", "const", "name"])
        if choice == "const" and self.consts("text"):
            return self.pick(self.consts("text")).name
        if choice == "name":
            return self.text(ctx).text
        return quote(self.text_literal())

    def text_list(self) -> str:
        if self.consts("list_text") and self.chance(0.3):
            return "k_targets"
        words = self.draw(st.lists(st.sampled_from(TEXTS).flatmap(case_variants), min_size=1, max_size=3))
        return "[" + ", ".join(map(quote, words)) + "]"

    def number_list(self) -> str:
        if self.consts("list_number") and self.chance(0.3):
            return "k_sizes"
        items = self.draw(st.lists(st.sampled_from(NUMBERS + (-1, 2.5)), min_size=1, max_size=3))
        return "[" + ", ".join(map(str, items)) + "]"

    def list_value(self, ctx: Context) -> Code:
        return Code(self.pick(["tags", "tags", "company.tags"]), ATOM)

    def any_number(self, ctx: Context) -> Code:
        return self.numeric(ctx, 1)

    def numeric(self, ctx: Context, depth: int, integer: bool = False) -> Code:
        """An int or number expression: literals, names, counts, and (depth permitting) arithmetic."""
        if depth > 0 and self.chance(0.3):
            op = self.pick(["+", "-", "*", "neg"])
            if op == "neg":
                return Code("-" + self.numeric(ctx, depth - 1, integer).at(UNARY), UNARY)
            level = PRODUCT if op == "*" else SUM
            left = self.numeric(ctx, depth - 1, integer).at(level)
            right = self.numeric(ctx, depth - 1, integer).at(level + 1)
            return Code(f"{left} {op} {right}", level)
        choice = self.pick(["literal", "name", "name", "count", "const"])
        if choice == "count" and ctx.event is None:
            return self.aggregate("count", ctx)
        if choice == "const":
            consts = self.consts("int") + ([] if integer else self.consts("number"))
            if consts:
                return Code(self.pick(consts).name, ATOM)
        if choice in ("name", "const", "count"):
            names = self.names(ctx, "int") + ([] if integer else self.names(ctx, "number"))
            return Code(self.pick(names), ATOM)
        value = self.pick(NUMBERS + ((-3,) if integer else (-3, 2.5, 0.5)))
        return Code(str(value), UNARY if value < 0 else ATOM)

    def time(self, ctx: Context) -> Code:
        choice = self.pick(["name", "name", "date", "datetime", "first", "const"])
        if choice in ("first",) and ctx.event is None:
            return self.aggregate(self.pick(["first", "last"]), ctx)
        if choice == "const" and self.consts("date"):
            return Code("k_launch", ATOM)
        if choice == "date":
            return Code(self.pick(["2024-06-01", "2024-05-02", "2023-07-01", "2024-07-01"]), ATOM)
        if choice == "datetime":
            return Code(self.pick(["2024-06-01T00:00:00Z", "2024-06-30T23:59:59.999999Z", "2024-06-01T09:30",
                                   "2024-06-01T02:00:00+02:00", "2024-04-02T00:00Z"]), ATOM)
        names = self.names(ctx, "date") + self.names(ctx, "datetime")
        return Code(self.pick(names), ATOM)

    def duration_value(self, ctx: Context, band_subject: bool = False) -> Code:
        choice = "age" if band_subject else self.pick(["age", "age", "literal", "const"])
        if choice == "const" and self.consts("duration"):
            return Code("k_window", ATOM)
        if choice == "age":
            return Code(f"age({self.time(ctx).text})", ATOM)
        return Code(self.pick(DURATIONS), ATOM)

    def aggregate(self, func: str, ctx: Context) -> Code:
        """``count/has/first/last(EVENT [where C] [within D])``, never nested in another ``where``."""
        event = self.pick(sorted(SCHEMA_EVENTS))
        distinct = self.distinct(event) if func == "count" else ""
        return Code(f"{func}({event}{distinct}{self.filters(event)})", ATOM)

    def distinct(self, event: str) -> str:
        """Sometimes `` distinct ATTR [case_sensitive]`` over one of the event's attributes."""
        attributes = SCHEMA_EVENTS[event]
        if not attributes or not self.chance(0.3):
            return ""
        name = self.pick(sorted(attributes))
        exact = attributes[name] == "text" and self.chance(0.3)
        return f" distinct {name}" + (" case_sensitive" if exact else "")


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


_TESTS = {">=": lambda x, v: x >= v, ">": lambda x, v: x > v, "<=": lambda x, v: x <= v,
          "<": lambda x, v: x < v, "==": lambda x, v: x == v}


def _witness(candidate: list[tuple[str, int]], earlier: list[tuple[str, int]]) -> int | None:
    """An integer that satisfies every test in ``candidate`` and none in ``earlier``, if any.

    A tier threshold with such a witness is never pre-empted, for integer or real subjects alike.
    Tests change truth only next to their values, so a few points around each suffice.
    """
    values = [v for _, v in candidate + earlier] or [0]
    points = {v + d for v in values for d in (-1, 0, 1)} | {min(values) - 1000, max(values) + 1000}
    for x in sorted(points):
        if all(_TESTS[op](x, v) for op, v in candidate) and not any(_TESTS[op](x, v) for op, v in earlier):
            return x
    return None


@st.composite
def previous_values(draw, model) -> dict:
    """What a previous run may have recorded for one contact of compiled ``model``: by name,
    each score it reads (an int or missing) and each tier (one of its labels, a label it no
    longer has, or missing)."""
    from scoredsl.check.ir import state_reads

    labels = {t.name: [e.label for e in t.entries] for t in model.ir.tiers}
    out = {}
    for read in state_reads(model.ir):
        if read.kind == "score":
            out[read.label] = draw(st.one_of(st.none(), st.sampled_from((-20, 0, 3, 10, 35, 100, 250))))
        else:
            out[read.label] = draw(st.one_of(st.none(), st.sampled_from(labels[read.name] + ["gone"])))
    return out


def with_previous(contact: dict, model, previous: dict) -> dict:
    """``contact`` as an engine hands it to ``model``'s evaluator, the previous run's values in."""
    from scoredsl.check.ir import state_reads

    return {**contact, **{p.key: previous.get(p.label) for p in state_reads(model.ir)}}


def scenarios_for(program) -> st.SearchStrategy[Scenario]:
    """Random data shaped by a compiled program's own schema."""
    properties = {name: (spec.base, spec.is_list) for name, spec in program.schema.contact.items()}
    events = {name: {attr: spec.base for attr, spec in attrs.items()}
              for name, attrs in program.schema.events.items()}
    return scenarios(properties, events)


@st.composite
def rule_files(draw, event_only: bool = False) -> str:
    """Source text of a random valid rule file over :data:`SCHEMA_TEXT` (no includes);
    ``event_only``: every ``where`` reads only its event's attributes."""
    return FileWriter(draw, event_only).file()


def examples(n: int) -> int:
    """How many examples a property draws: ``n``, ten times that under the ``explore``
    Hypothesis profile (see tests/conftest.py)."""
    return n * 10 if os.environ.get("SCOREDSL_HYPOTHESIS", "ci") == "explore" else n
