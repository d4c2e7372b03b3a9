"""Hand-computed scoring cases, checked against the reference interpreter.

Every case is a complete rule file (the shared :data:`CASE_SCHEMA` plus one model), a contact,
its events, an as-of time and the result worked out by hand from docs/language.md; ``why``
says how. The same :data:`CASES` are meant to be run against the compiled engine too
(``engine.compile_text(case.source).models[case.model].evaluate(...)``), so they use nothing
but the public data types.

``expected`` is ``(status, reason, scores, tiers)`` as :func:`reference.evaluate` returns it:
scores and tiers are ``None`` unless the status is ``scored``.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import attrs
import pytest

import reference
from scoredsl.data.records import Event

UTC = dt.timezone.utc
AS_OF = dt.datetime(2024, 7, 1, tzinfo=UTC)
US = dt.timedelta(microseconds=1)

CASE_SCHEMA = """\
schema {
  contact {
    job_title: text, industry: text, email: text, lifecycle_stage: text
    employees: int, revenue: number, opted_out: bool
    created: date, last_seen: datetime, tags: list[text]
  }
  company { industry: text, employees: int, plan: text, tags: list[text] }
  event email_open { campaign: text }
  event email_click { url: text }
  event email_sent
  event email_bounce
  event page_view { url: text, industry: text }
  event form_submit { form: text }
}
let targets = ["software", "saas"]
let big = 1000
let stale = 30d
"""


@attrs.frozen(kw_only=True)
class Case:
    id: str
    why: str
    source: str
    model: str
    contact: dict
    events: tuple[Event, ...]
    as_of: dt.datetime
    expected: tuple
    companies: dict = attrs.field(factory=dict)     # the source's companies, by id


def case(id: str, why: str, model: str, *, contact: dict | None = None, events=(), as_of=AS_OF,
         expect: tuple, name: str = "m", companies: dict | None = None) -> Case:
    return Case(id=id, why=why, source=CASE_SCHEMA + model, model=name,
                contact={"id": "c1", **(contact or {})}, events=tuple(events), as_of=as_of, expected=expect,
                companies=companies or {})


def rules(text: str, *, score: str = "s") -> str:
    """A model ``m`` with one score holding ``text``."""
    return f"model m {{\n  score {score} {{\n{text}\n  }}\n}}\n"


def ago(days: float = 0, *, micros: int = 0) -> dt.datetime:
    return AS_OF - dt.timedelta(days=days) - micros * US


def ev(kind: str, when: dt.datetime, **attrs_) -> Event:
    return Event(contact_id="c1", type=kind, timestamp=when, attrs=attrs_)


def scored(scores: dict, tiers: dict | None = None) -> tuple:
    return ("scored", None, scores, tiers or {})


def disqualified(reason: str) -> tuple:
    return ("disqualified", reason, None, None)


OUT_OF_SCOPE = ("out_of_scope", None, None, None)

SIZE_BANDS = rules("rule size: employees { < 10 => -10; 10..49 => +5; 50..1000 => +10; > 1000 => +20 }")
REVENUE_BANDS = rules("rule rev: revenue { < 1000000 => -10; 1000000..50000000 => +5; > 50000000 => +10 }")
INDUSTRY_BANDS = rules('rule ind: industry { "software" => 10; ["saas", "fintech"] => 8; otherwise => 1 }')
HALF_OPEN_BANDS = rules("rule rev: revenue { < 1000000 => 0; 1000000..<50000000 => +5; >= 50000000 => +10 }")
RECENCY_BANDS = rules("rule recency: age(last(email_open)) { < 7d => +5; 7d..<30d => +2; >= 180d => -5 }")
VISIT_BANDS = rules("rule visits: count(page_view within 90d) { 2..5 => +3; >= 6 => +6 }")
INACTIVITY = rules("""
    decay inactivity { 30d => 75%, 90d => 50%, 180d => 25% } activity [email_open, email_click, page_view]
    rule titled: job_title is set => +40
    rule unsubscribed: opted_out => -40""")
MISSING_TESTS = rules("""
    rule a: industry not in targets => +1
    rule b: not (industry in targets) => +2
    rule c: industry != "saas" => +4
    rule d: industry is missing or industry not in targets => +8
    rule e: industry is missing => +16""")
KLEENE = rules("""
    rule a: opted_out and industry == "x" => +1
    rule b: not (opted_out and industry == "x") => +2
    rule c: not opted_out or industry == "x" => +4
    rule d: not opted_out and industry == "x" => +8
    rule e: not (not opted_out and industry == "x") => +16
    rule f: opted_out or industry == "x" => +32""")
WINDOW_EDGES = [ev("page_view", ago(30)),                 # exactly as_of - 30d: inside
                ev("page_view", ago(30, micros=1)),       # one microsecond earlier: outside
                ev("page_view", AS_OF),                   # exactly as_of: inside
                ev("page_view", AS_OF + US)]              # after as_of: ignored everywhere
LIFECYCLE = """
model m {
  score s { rule opens: each email_open => +1 }
  tier lifecycle by s { sql: >= 65; mql: >= 35; lead: otherwise }
}
"""
STATUS = """
model m {
  scope employees >= 10
  disqualify customer: lifecycle_stage == "customer"
  disqualify competitor: email ends_with "@rival.com" or lifecycle_stage == "customer"
  score s { rule always: employees > 0 => +1 }
}
"""


COMPANY_FIT = """
model m {
  score s {
    rule industry: company.industry in targets => +10
    rule size: company.employees { < 50 => 0; 50..999 => +5; >= 1000 => +10 }
    rule vip: company.tags contains "vip" => +3
    rule free: company.plan == "free" => +2
    rule not_retail: not (company.industry == "retail") => +100
    rule none: company.id is missing => -1
  }
  tier t by s { a: >= 15; b: otherwise }
}
"""
ACME = {"acme": {"id": "acme", "industry": "SaaS", "employees": 250, "plan": "Pro", "tags": ("VIP", "x")},
        "globex": {"id": "globex", "industry": None, "employees": None, "plan": "free", "tags": None}}


def opens(n: int, when: dt.datetime = AS_OF) -> list[Event]:
    return [ev("email_open", when) for _ in range(n)]


CASES: list[Case] = [
    # ------------------------------------------------------------------ band edges
    case("band_below_first", "9 is < 10", SIZE_BANDS, contact={"employees": 9}, expect=scored({"s": -10})),
    case("band_range_low_edge", "10..49 includes 10", SIZE_BANDS, contact={"employees": 10},
         expect=scored({"s": 5})),
    case("band_range_high_edge", "10..49 includes 49", SIZE_BANDS, contact={"employees": 49},
         expect=scored({"s": 5})),
    case("band_next_range_low_edge", "50 is in 50..1000, not 10..49", SIZE_BANDS, contact={"employees": 50},
         expect=scored({"s": 10})),
    case("band_range_top", "1000 is in 50..1000 (both ends included), not > 1000", SIZE_BANDS,
         contact={"employees": 1000}, expect=scored({"s": 10})),
    case("band_above", "1001 is > 1000", SIZE_BANDS, contact={"employees": 1001}, expect=scored({"s": 20})),
    case("band_negative_value", "-5 is < 10", SIZE_BANDS, contact={"employees": -5}, expect=scored({"s": -10})),
    case("band_missing", "a missing value gets 0, not the < 10 band", SIZE_BANDS, contact={},
         expect=scored({"s": 0})),
    case("band_missing_none", "None is missing too", SIZE_BANDS, contact={"employees": None},
         expect=scored({"s": 0})),
    case("band_number_between_ranges", "50000000.5 is above 1000000..50000000 and in > 50000000",
         REVENUE_BANDS, contact={"revenue": 50000000.5}, expect=scored({"s": 10})),
    case("band_number_just_below", "999999.99 is < 1000000", REVENUE_BANDS, contact={"revenue": 999999.99},
         expect=scored({"s": -10})),
    case("band_number_range_edge", "1000000.0 is in 1000000..50000000", REVENUE_BANDS,
         contact={"revenue": 1000000.0}, expect=scored({"s": 5})),
    case("band_gap", "with bands { 1..5; >= 10 }, 7 is in no band: 0",
         rules("rule r: employees { 1..5 => +3; >= 10 => +6 }"), contact={"employees": 7},
         expect=scored({"s": 0})),
    case("band_count_not_cumulative", "6 views in 90d: the >= 6 band alone gives 6, not 3 + 6", VISIT_BANDS,
         events=[ev("page_view", ago(d)) for d in range(6)], expect=scored({"s": 6})),
    case("band_count_window", "one view in 90d (the other is 91d old): 1 is in no band", VISIT_BANDS,
         events=[ev("page_view", ago(1)), ev("page_view", ago(91))], expect=scored({"s": 0})),
    case("band_count_zero", "no events: count is 0 (not missing), which is in no band", VISIT_BANDS,
         expect=scored({"s": 0})),
    case("band_text_case", '"SaaS" is in ["saas", "fintech"] case-insensitively', INDUSTRY_BANDS,
         contact={"industry": "SaaS"}, expect=scored({"s": 8})),
    case("band_text_single", '"SOFTWARE" equals "software" case-insensitively', INDUSTRY_BANDS,
         contact={"industry": "SOFTWARE"}, expect=scored({"s": 10})),
    case("band_text_otherwise", '"retail" falls to otherwise', INDUSTRY_BANDS, contact={"industry": "retail"},
         expect=scored({"s": 1})),
    case("band_text_missing_skips_otherwise", "a missing value gets 0 even with otherwise", INDUSTRY_BANDS,
         contact={"industry": None}, expect=scored({"s": 0})),
    case("band_text_blank_is_missing", "white space only is missing: 0, not otherwise", INDUSTRY_BANDS,
         contact={"industry": " \t "}, expect=scored({"s": 0})),
    case("band_text_padded", '" saas" is not blank and not "saas": otherwise', INDUSTRY_BANDS,
         contact={"industry": " saas"}, expect=scored({"s": 1})),
    case("band_list_constant", '"Software" is in the constant targets', rules("rule r: industry { targets => +10 }"),
         contact={"industry": "Software"}, expect=scored({"s": 10})),
    case("band_number_list", "3 is in [1, 2, 3]", rules("rule r: employees { [1, 2, 3] => +7; 4 => +1 }"),
         contact={"employees": 3}, expect=scored({"s": 7})),
    case("band_number_equality_float", "5.0 equals the band 5", rules("rule r: revenue { 5 => +1 }"),
         contact={"revenue": 5.0}, expect=scored({"s": 1})),
    case("band_constant_number", "1000 equals the constant big", rules("rule r: employees { < 10 => 1; big => +4 }"),
         contact={"employees": 1000}, expect=scored({"s": 4})),

    case("band_half_open_excludes_high", "50000000.0 is not in 1000000..<50000000; it is >= 50000000",
         HALF_OPEN_BANDS, contact={"revenue": 50000000.0}, expect=scored({"s": 10})),
    case("band_half_open_just_below", "49999999.99 is in 1000000..<50000000 (no gap before the next band)",
         HALF_OPEN_BANDS, contact={"revenue": 49999999.99}, expect=scored({"s": 5})),
    case("band_half_open_low_edge", "1000000 is in 1000000..<50000000 (the low end is included)",
         HALF_OPEN_BANDS, contact={"revenue": 1000000.0}, expect=scored({"s": 5})),
    case("band_duration_edge", "last open exactly 7d ago: not < 7d, in 7d..<30d", RECENCY_BANDS,
         events=[ev("email_open", ago(7)), ev("email_open", ago(20))], expect=scored({"s": 2})),
    case("band_duration_below", "7d - 1us ago: < 7d", RECENCY_BANDS,
         events=[ev("email_open", ago(7, micros=-1))], expect=scored({"s": 5})),
    case("band_duration_gap", "exactly 30d ago: 30d is excluded from 7d..<30d and below 180d: no band",
         RECENCY_BANDS, events=[ev("email_open", ago(30))], expect=scored({"s": 0})),
    case("band_duration_top", "180d ago: >= 180d", RECENCY_BANDS, events=[ev("email_open", ago(180))],
         expect=scored({"s": -5})),
    case("band_duration_missing", "never opened: age(last(...)) is missing: 0", RECENCY_BANDS,
         expect=scored({"s": 0})),
    case("band_constant_bounds", "employees 1000 >= big; created exactly 30d ago: not < stale, >= stale",
         rules("rule r1: employees { < big => +1; >= big => +2 }\n"
               "    rule r2: age(created) { < stale => +4; stale..<60d => +8 }"),
         contact={"employees": 1000, "created": dt.date(2024, 6, 1)}, expect=scored({"s": 10})),

    # ------------------------------------------------------------------ caps
    case("cap_binds", "3 clicks x 20 = 60, rule max 40 -> 40, group cap 30 -> 30",
         rules("group email max 30 { rule clicks: each email_click => +20 max 40 }"),
         events=[ev("email_click", ago(1)) for _ in range(3)], expect=scored({"s": 30})),
    case("cap_not_binding", "1 click = 20 < cap 30",
         rules("group email max 30 { rule clicks: each email_click => +20 max 40 }"),
         events=[ev("email_click", ago(1))], expect=scored({"s": 20})),
    case("cap_negative_rule_subtracts_in_full",
         "positives 40 capped to 30, then -15 in full: 15 (not min(30, 40 - 15) = 25)",
         rules("group g max 30 { rule clicks: each email_click => +20; rule unsub: opted_out => -15 }"),
         contact={"opted_out": True}, events=[ev("email_click", ago(1)) for _ in range(2)],
         expect=scored({"s": 15})),
    case("cap_only_negative", "a cap never raises a negative group: -15",
         rules("group g max 30 { rule unsub: opted_out => -15 }"), contact={"opted_out": True},
         expect=scored({"s": -15})),
    case("cap_percent", "score max 200, group max 20% -> cap 40; 5 clicks x 10 = 50 -> 40",
         rules("group g max 20% { rule c: each email_click => +10 }", score="s max 200"),
         events=[ev("email_click", ago(1)) for _ in range(5)], expect=scored({"s": 40})),
    case("cap_percent_floor", "floor(99 * 25 / 100) = floor(24.75) = 24; 3 clicks x 10 = 30 -> 24",
         rules("group g max 25% { rule c: each email_click => +10 }", score="s max 99"),
         events=[ev("email_click", ago(1)) for _ in range(3)], expect=scored({"s": 24})),
    case("score_max_binds", "positives 60 + min(30, 40) = 90 -> max 50, then -10: 40", rules("""
    rule clicks: each email_click => +20
    rule unsub: opted_out => -10
    group web max 30 { rule views: each page_view => +10 }""", score="s max 50"),
         contact={"opted_out": True},
         events=[ev("email_click", ago(1)) for _ in range(3)] + [ev("page_view", ago(1)) for _ in range(4)],
         expect=scored({"s": 40})),
    case("score_max_negative_group", "group = min(10, 5) - 30 = -25 is a negative contribution; "
         "min(20, 30) - 25 = -5", rules("""
    rule clicks: each email_click => +15
    group g max 10 { rule v: each page_view => +5; rule unsub: opted_out => -30 }""", score="s max 20"),
         contact={"opted_out": True}, events=[ev("email_click", ago(1)), ev("email_click", ago(2)),
                                              ev("page_view", ago(1))], expect=scored({"s": -5})),

    # ------------------------------------------------------------------ each, once, max
    case("once", "3 opens, +10 once: 10", rules("rule first_open: each email_open => +10 once"),
         events=opens(3, ago(1)), expect=scored({"s": 10})),
    case("once_negative", "3 bounces, -5 once: -5", rules("rule b: each email_bounce => -5 once"),
         events=[ev("email_bounce", ago(d)) for d in (1, 2, 3)], expect=scored({"s": -5})),
    case("max_negative", "3 bounces x -5 = -15, at most 12 subtracted: -12",
         rules("rule b: each email_bounce => -5 max 12"),
         events=[ev("email_bounce", ago(d)) for d in (1, 2, 3)], expect=scored({"s": -12})),
    case("max_not_reached", "one click: 20 <= 40", rules("rule c: each email_click => +20 max 40"),
         events=[ev("email_click", ago(1))], expect=scored({"s": 20})),
    case("max_below_points", "max 5 bounds even one +20 event", rules("rule c: each email_click => +20 max 5"),
         events=[ev("email_click", ago(1))], expect=scored({"s": 5})),
    case("each_no_events", "no matching event: 0", rules("rule c: each email_click => +20 max 40"),
         events=opens(2), expect=scored({"s": 0})),
    case("each_where_case", 'form "DEMO-request" == "Demo-Request" case-insensitively: +70 once',
         rules('rule demo: each form_submit where form == "Demo-Request" => +70 once'),
         events=[ev("form_submit", ago(3), form="DEMO-request"), ev("form_submit", ago(2), form="demo-request")],
         expect=scored({"s": 70})),
    case("each_where_attribute_first",
         "page_view has its own industry: the event's 'retail' is tested, not the contact's 'saas'; "
         "an event without it has a missing industry (unknown), not the contact's",
         rules('rule r: each page_view where industry == "saas" => +1'), contact={"industry": "saas"},
         events=[ev("page_view", ago(1), industry="retail"), ev("page_view", ago(2)),
                 ev("page_view", ago(3), industry="SAAS")], expect=scored({"s": 1})),
    case("each_where_contact_property", "where falls back to contact properties: 2 views x 2",
         rules('rule r: each page_view where job_title contains "vp" => +2'), contact={"job_title": "VP Sales"},
         events=[ev("page_view", ago(1)), ev("page_view", ago(2))], expect=scored({"s": 4})),
    case("each_where_constant", 'and then to constants: url "SaaS" is in targets',
         rules("rule r: each page_view where url in targets => +2"),
         events=[ev("page_view", ago(1), url="SaaS"), ev("page_view", ago(2), url="/pricing")],
         expect=scored({"s": 2})),
    case("each_where_missing_attribute", "a missing attribute makes the filter unknown: not counted, "
         "even under not",
         rules('rule r: each email_click where not (url starts_with "/blog") => +1'),
         events=[ev("email_click", ago(1)), ev("email_click", ago(2), url="   "),
                 ev("email_click", ago(3), url="/pricing")], expect=scored({"s": 1})),

    # ------------------------------------------------------------------ windows and as-of
    case("window_each_edges", "as_of - 30d exactly and as_of exactly are inside; 1us earlier and after as_of "
         "are not: 2", rules("rule r: each page_view within 30d => +1"), events=WINDOW_EDGES,
         expect=scored({"s": 2})),
    case("window_count_edges", "count(... within 30d) is 2 (same events)",
         rules("rule r: count(page_view within 30d) { 1 => 1; 2 => 2; 3 => 3; >= 4 => 4 }"),
         events=WINDOW_EDGES, expect=scored({"s": 2})),
    case("window_count_unbounded", "without a window: 3 (the event after as_of is still ignored)",
         rules("rule r: count(page_view) { 1 => 1; 2 => 2; 3 => 3; >= 4 => 4 }"),
         events=WINDOW_EDGES, expect=scored({"s": 3})),
    case("window_units", "12h window: an event 12h old is in, 12h + 1us is out",
         rules("rule r: each email_open within 12h => +1"),
         events=[ev("email_open", AS_OF - dt.timedelta(hours=12)),
                 ev("email_open", AS_OF - dt.timedelta(hours=12) - US)], expect=scored({"s": 1})),
    case("after_as_of_ignored", "the only click is 1us after as_of: has() is false, each gives 0",
         rules("rule never: not has(email_click) => +5\n    rule each_click: each email_click => +100"),
         events=[ev("email_click", AS_OF + US)], expect=scored({"s": 5})),
    case("after_as_of_last", "last() ignores the later open: age = 40d > 30d",
         rules("rule stale_opener: age(last(email_open)) > 30d => +1"),
         events=[ev("email_open", ago(40)), ev("email_open", AS_OF + dt.timedelta(days=5))],
         expect=scored({"s": 1})),
    case("age_of_never_is_unknown", "never opened: age(last(...)) > 180d is unknown; count(... within 180d) == 0 "
         "is true", rules("rule r1: age(last(email_open)) > 180d => +1\n"
                          "    rule r2: count(email_open within 180d) == 0 => +2\n"
                          "    rule r3: last(email_open) is missing => +4"),
         expect=scored({"s": 6})),
    case("age_of_date", "created 2024-06-01 is midnight UTC: age exactly 30d; >= 30d yes, > 30d no",
         rules("rule r1: age(created) >= 30d => +1\n    rule r2: age(created) > 30d => +2\n"
               "    rule r3: age(created) >= stale => +4"),
         contact={"created": dt.date(2024, 6, 1)}, expect=scored({"s": 5})),
    case("age_weeks_vs_days", "2w == 14d as durations; age 14d of a datetime",
         rules("rule r1: age(last_seen) == 2w => +1\n    rule r2: 2w == 14d => +2"),
         contact={"last_seen": ago(14)}, expect=scored({"s": 3})),
    case("first_vs_date_literal", "first open at 2024-05-31T23:59:59.999999Z is before the date 2024-06-01 "
         "(midnight UTC); last open at midnight equals it",
         rules("rule r1: first(email_open) < 2024-06-01 => +1\n    rule r2: last(email_open) == 2024-06-01 => +2"),
         events=[ev("email_open", dt.datetime(2024, 6, 1, tzinfo=UTC) - US),
                 ev("email_open", dt.datetime(2024, 6, 1, tzinfo=UTC))], expect=scored({"s": 3})),
    case("date_vs_datetime", "last_seen 2024-06-01T00:00Z equals created 2024-06-01 and the literal "
         "2024-06-01T02:00:00+02:00", rules("rule r1: last_seen == created => +1\n"
                                            "    rule r2: last_seen == 2024-06-01T02:00:00+02:00 => +2\n"
                                            "    rule r3: last_seen > 2024-05-31T23:59 => +4"),
         contact={"last_seen": dt.datetime(2024, 6, 1, tzinfo=UTC), "created": dt.date(2024, 6, 1)},
         expect=scored({"s": 7})),

    # ------------------------------------------------------------------ missing values
    case("missing_negative_tests", "industry missing: only the explicit 'is missing' rules fire: 8 + 16",
         MISSING_TESTS, contact={}, expect=scored({"s": 24})),
    case("blank_text_is_missing", "white space only is missing: same as absent", MISSING_TESTS,
         contact={"industry": "  \n"}, expect=scored({"s": 24})),
    case("empty_text_is_missing", "the empty string is missing", MISSING_TESTS, contact={"industry": ""},
         expect=scored({"s": 24})),
    case("present_negative_tests", '"retail": a, b, c, d fire: 1 + 2 + 4 + 8', MISSING_TESTS,
         contact={"industry": "retail"}, expect=scored({"s": 15})),
    case("present_in_targets", '"SaaS" is in targets and == "saas": nothing fires', MISSING_TESTS,
         contact={"industry": "SaaS"}, expect=scored({"s": 0})),
    case("missing_arithmetic", "arithmetic with a missing operand is unknown, even * 0 and under not",
         rules("rule r1: employees + 10 > 5 => +1\n    rule r2: employees * 0 == 0 => +2\n"
               "    rule r3: not (employees - 1 < 0) => +4\n    rule r4: employees is missing => +8"),
         expect=scored({"s": 8})),
    case("missing_bool", "a missing bool is unknown: neither it nor its negation applies",
         rules("rule r1: opted_out => +1\n    rule r2: not opted_out => +2\n    rule r3: opted_out == false => +4"),
         expect=scored({"s": 0})),
    case("missing_list", "missing tags: contains is unknown either way",
         rules('rule r1: tags contains "x" => +1\n    rule r2: not tags contains "x" => +2\n'
               '    rule r3: tags is missing => +4'), contact={"tags": None}, expect=scored({"s": 4})),
    case("missing_number_membership", "employees missing: not in is unknown",
         rules("rule r1: employees in [10, 20] => +1\n    rule r2: employees not in [10, 20] => +2"),
         expect=scored({"s": 0})),
    case("empty_list_is_missing", "reading of the spec: an empty list is missing, like an empty CSV cell",
         rules('rule r1: tags contains "x" => +1\n    rule r2: not tags contains "x" => +2\n'
               '    rule r3: tags is missing => +4'), contact={"tags": ()}, expect=scored({"s": 4})),
    case("number_membership", "20 is in [10, 20]; 20.0 too",
         rules("rule r1: employees in [10, 20] => +1\n    rule r2: revenue in [10, 20] => +2"),
         contact={"employees": 20, "revenue": 20.0}, expect=scored({"s": 3})),

    # ------------------------------------------------------------------ Kleene logic
    case("kleene_false_and_unknown", "opted_out false, industry missing: false and unknown = false (b fires), "
         "true or unknown = true (c), true and unknown = unknown (d, e do not), false or unknown = unknown "
         "(f does not): 2 + 4", KLEENE, contact={"opted_out": False}, expect=scored({"s": 6})),
    case("kleene_true_and_unknown", "opted_out true, industry missing: a unknown, b unknown, c unknown, "
         "d false, e true, f true: 16 + 32", KLEENE, contact={"opted_out": True}, expect=scored({"s": 48})),
    case("kleene_all_known", "opted_out false, industry \"X\" (== \"x\"): a f, b t, c t, d t, e f, f t",
         KLEENE, contact={"opted_out": False, "industry": "X"}, expect=scored({"s": 2 + 4 + 8 + 32})),

    # ------------------------------------------------------------------ case
    case("case_equality", '"vp" == "VP" but not case_sensitive; != likewise: 1 + 8',
         rules('rule r1: job_title == "VP" => +1\n    rule r2: job_title == "VP" case_sensitive => +2\n'
               '    rule r3: job_title != "VP" => +4\n    rule r4: job_title != "VP" case_sensitive => +8'),
         contact={"job_title": "vp"}, expect=scored({"s": 9})),
    case("case_text_tests", 'ends_with "@acme.com" (ci) yes, "@Acme.com" cs no ("COM"), starts_with "JOHN" yes, '
         'contains "acme" yes, contains "acme" cs no: 1 + 4 + 8',
         rules('rule r1: email ends_with "@acme.com" => +1\n'
               '    rule r2: email ends_with "@Acme.com" case_sensitive => +2\n'
               '    rule r3: email starts_with "JOHN" => +4\n    rule r4: email contains "acme" => +8\n'
               '    rule r5: email contains "acme" case_sensitive => +16'),
         contact={"email": "John@Acme.COM"}, expect=scored({"s": 13})),
    case("case_membership", '"SaaS" in ["saas"] yes, case_sensitive no (so not in ... case_sensitive yes)',
         rules('rule r1: industry in ["saas"] => +1\n    rule r2: industry in ["saas"] case_sensitive => +2\n'
               '    rule r3: industry not in ["saas"] case_sensitive => +4'),
         contact={"industry": "SaaS"}, expect=scored({"s": 5})),
    case("list_contains_is_membership", 'tags contains "vip" (ci) yes; cs no; "VIP" cs yes; "web" is a '
         'substring of an element, not an element: no',
         rules('rule r1: tags contains "vip" => +1\n    rule r2: tags contains "vip" case_sensitive => +2\n'
               '    rule r3: tags contains "VIP" case_sensitive => +4\n    rule r4: tags contains "web" => +8'),
         contact={"tags": ("Webinar", "VIP")}, expect=scored({"s": 5})),
    case("regex", r'/\bvp\b/ matches "Senior VP, Sales" (ci); case_sensitive no; /\bVP\b/ cs yes; '
         r'/^vp/ no (unanchored search, but ^ anchors); /sales$/ yes: 1 + 4 + 16',
         rules(r"""
    rule r1: job_title matches /\bvp\b/ => +1
    rule r2: job_title matches /\bvp\b/ case_sensitive => +2
    rule r3: job_title matches /\bVP\b/ case_sensitive => +4
    rule r4: job_title matches /^vp/ => +8
    rule r5: job_title matches /sales$/i => +16"""),
         contact={"job_title": "Senior VP, Sales"}, expect=scored({"s": 21})),
    case("regex_escaped_slash", r'/^\/blog\// matches "/Blog/post" (ci) but not "/pricing"',
         rules(r"rule r: each page_view where url matches /^\/blog\// => +1"),
         events=[ev("page_view", ago(1), url="/Blog/post"), ev("page_view", ago(2), url="/pricing")],
         expect=scored({"s": 1})),
    case("regex_missing", "a regex on a missing value is unknown",
         rules(r"rule r1: job_title matches /x/ => +1" "\n    rule r2: not job_title matches /x/ => +2"),
         expect=scored({"s": 0})),
    case("text_ordering_case_sensitive", '"B" < "a" in code-point order (66 < 97); "B" > "A"; == "b" is ci',
         rules('rule r1: industry < "a" => +1\n    rule r2: industry > "A" => +2\n    rule r3: industry == "b" => +4'),
         contact={"industry": "B"}, expect=scored({"s": 7})),

    # ------------------------------------------------------------------ arithmetic, constants, names
    case("arithmetic", "50 * 2 - 10 = 90 >= 90; -3.0 < -2.5; 3.0 == 3",
         rules("rule r1: employees * 2 - 10 >= 90 => +1\n    rule r2: -revenue < -2.5 => +2\n"
               "    rule r3: revenue == 3 => +4\n    rule r4: employees - 10 - 20 == 20 => +8"),
         contact={"employees": 50, "revenue": 3.0}, expect=scored({"s": 15})),
    case("constants", "employees >= big (1000); age(last_seen) = 31d >= stale (30d)",
         rules("rule r1: employees >= big => +1\n    rule r2: age(last_seen) >= stale => +2"),
         contact={"employees": 1000, "last_seen": ago(31)}, expect=scored({"s": 3})),
    case("implicit_id", 'every contact has an id: "VIP-7" starts_with "vip-" (ci)',
         rules('rule r: id starts_with "vip-" => +5'), contact={"id": "VIP-7"}, expect=scored({"s": 5})),
    case("has_where", 'has(form_submit where form in ["ebook"]) with form "EBook"',
         rules('rule r: has(form_submit where form in ["ebook"] within 7d) => +5'),
         events=[ev("form_submit", ago(7), form="EBook")], expect=scored({"s": 5})),

    # ------------------------------------------------------------------ inactivity decay
    case("inactivity_exactly_at_step", "last activity exactly 30d ago: 75% of 40 = 30", INACTIVITY,
         contact={"job_title": "vp"}, events=[ev("page_view", ago(30))], expect=scored({"s": 30})),
    case("inactivity_just_below_step", "30d - 1us of inactivity is below the first step: 40", INACTIVITY,
         contact={"job_title": "vp"}, events=[ev("page_view", ago(30, micros=-1))], expect=scored({"s": 40})),
    case("inactivity_second_step", "exactly 90d: the last step reached is 50%: 20", INACTIVITY,
         contact={"job_title": "vp"}, events=[ev("page_view", ago(90)), ev("page_view", ago(120))],
         expect=scored({"s": 20})),
    case("inactivity_beyond_last", "200d: 25%: 10", INACTIVITY, contact={"job_title": "vp"},
         events=[ev("email_open", ago(200))], expect=scored({"s": 10})),
    case("inactivity_no_activity", "no events at all: maximally inactive, last step 25%: 10", INACTIVITY,
         contact={"job_title": "vp"}, expect=scored({"s": 10})),
    case("inactivity_non_activity_events", "email_sent today is not activity: no activity, 25%", INACTIVITY,
         contact={"job_title": "vp"}, events=[ev("email_sent", AS_OF)], expect=scored({"s": 10})),
    case("inactivity_future_activity_ignored", "the only view is after as_of: no activity, 25%", INACTIVITY,
         contact={"job_title": "vp"}, events=[ev("page_view", AS_OF + US)], expect=scored({"s": 10})),
    case("inactivity_ignores_undeclared_events", "reading of the spec: an event type the schema does not "
         "declare is not data, so it is not activity either: no activity, 25%", INACTIVITY.replace(
             " activity [email_open, email_click, page_view]", ""),
         contact={"job_title": "vp"}, events=[ev("newsletter_signup", AS_OF)], expect=scored({"s": 10})),
    case("inactivity_negative_not_decayed", "raw -40 is not decayed (and 0 is not either)", INACTIVITY,
         contact={"opted_out": True}, expect=scored({"s": -40})),
    case("inactivity_all_kinds", "without activity [...], any event counts: an email_sent 1d ago, no decay",
         rules("decay inactivity { 30d => 50% }\n    rule titled: job_title is set => +40"),
         contact={"job_title": "vp"}, events=[ev("email_sent", ago(1)), ev("page_view", ago(60))],
         expect=scored({"s": 40})),
    case("inactivity_rounding_half", "33 at 50% = 16.5 -> floor(17.0) = 17",
         rules("decay inactivity { 30d => 50% }\n    rule r: job_title is set => +33"),
         contact={"job_title": "vp"}, expect=scored({"s": 17})),
    case("inactivity_rounding_down", "no activity, so the only step applies: 33 at 75% = 24.75 -> 25; "
         "10 at 24% = 2.4 -> 2", """
model m {
  score s { decay inactivity { 30d => 75% }; rule r: job_title is set => +33 }
  score t { decay inactivity { 1d => 24% }; rule r2: job_title is set => +10 }
}
""", contact={"job_title": "vp"}, expect=scored({"s": 25, "t": 2})),
    case("inactivity_after_cap", "decay applies to the capped raw value: min(50, 60) = 50 at 50% = 25",
         rules("decay inactivity { 7d => 50% }\n    rule c: each email_click => +20", score="s max 50"),
         events=[ev("email_click", ago(10)) for _ in range(3)], expect=scored({"s": 25})),

    # ------------------------------------------------------------------ half-life decay
    case("half_life", "+10 per open, half-life 30d: ages 60d, 30d, 0d give 2.5 + 5 + 10 = 17.5 -> 18",
         rules("decay half_life 30d\n    rule o: each email_open => +10"),
         events=[ev("email_open", ago(60)), ev("email_open", ago(30)), ev("email_open", AS_OF)],
         expect=scored({"s": 18})),
    case("half_life_max_bounds_decayed_sum", "two fresh opens: 10 + 10 = 20 -> max 12; "
         "in score t two 30d-old opens: 5 + 5 = 10 < 12",
         "model m {\n  score s { decay half_life 30d; rule o: each email_open within 1d => +10 max 12 }\n"
         "  score t { decay half_life 30d; rule o2: each email_open where campaign is set => +10 max 12 }\n}\n",
         events=opens(2) + [ev("email_open", ago(30), campaign="x"), ev("email_open", ago(30), campaign="y")],
         expect=scored({"s": 12, "t": 10})),
    case("half_life_once", "once = max 10 on the decayed sum: 30d-old opens 5 + 5 = 10; "
         "in t, 30d and 60d: 5 + 2.5 = 7.5 -> 8",
         "model m {\n  score s { decay half_life 30d; rule o: each email_open where campaign == \"a\" => +10 once }\n"
         "  score t { decay half_life 30d; rule o2: each email_open where campaign == \"b\" => +10 once }\n}\n",
         events=[ev("email_open", ago(30), campaign="a"), ev("email_open", ago(30), campaign="a"),
                 ev("email_open", ago(30), campaign="b"), ev("email_open", ago(60), campaign="b")],
         expect=scored({"s": 10, "t": 8})),
    case("half_life_negative_not_decayed", "-10 per bounce is not decayed: 60d-old bounce gives -10",
         rules("decay half_life 30d\n    rule b: each email_bounce => -10"),
         events=[ev("email_bounce", ago(60))], expect=scored({"s": -10})),
    case("half_life_negative_half_rounds_up", "2.5 (decayed +5) - 5 = -2.5 -> floor(-2.0) = -2",
         rules("decay half_life 30d\n    rule o: each email_open => +5\n    rule u: opted_out => -5"),
         contact={"opted_out": True}, events=[ev("email_open", ago(30))], expect=scored({"s": -2})),
    case("half_life_not_on_condition_rules", "has(...) is a condition rule: not decayed",
         rules("decay half_life 30d\n    rule h: has(email_open) => +10"),
         events=[ev("email_open", ago(60))], expect=scored({"s": 10})),
    case("half_life_in_group", "decayed results are capped like others: 10 + 10 + 5 = 25 -> cap 20",
         rules("decay half_life 30d\n    group g max 20 { rule o: each email_open => +10 }"),
         events=opens(2) + [ev("email_open", ago(30))], expect=scored({"s": 20})),
    case("both_decays", "half-life 30d: one 30d-old open = 5; inactivity exactly 30d: 50% -> 2.5 -> 3",
         rules("decay half_life 30d\n    decay inactivity { 30d => 50% }\n    rule o: each email_open => +10"),
         events=[ev("email_open", ago(30))], expect=scored({"s": 3})),

    # ------------------------------------------------------------------ tiers
    case("tier_first_match_top_edge", "65 >= 65: sql", LIFECYCLE, events=opens(65),
         expect=scored({"s": 65}, {"lifecycle": "sql"})),
    case("tier_first_match_middle", "64: not sql, >= 35: mql", LIFECYCLE, events=opens(64),
         expect=scored({"s": 64}, {"lifecycle": "mql"})),
    case("tier_first_match_low_edge", "35: mql", LIFECYCLE, events=opens(35),
         expect=scored({"s": 35}, {"lifecycle": "mql"})),
    case("tier_otherwise", "34: lead", LIFECYCLE, events=opens(34), expect=scored({"s": 34}, {"lifecycle": "lead"})),
    case("tier_by_sum_and_conditions", "fit 30, engagement 60: by fit + engagement = 90 >= 65; priority A "
         "(both hold) before B", """
model m {
  score fit { rule f: job_title is set => +30 }
  score engagement { rule e: each email_open => +20 }
  tier lifecycle by fit + engagement { sql: >= 65; mql: >= 35; lead: otherwise }
  tier priority { A: fit >= 30 and engagement >= 60; B: fit >= 30; C: otherwise }
}
""", contact={"job_title": "vp"}, events=opens(3),
         expect=scored({"fit": 30, "engagement": 60}, {"lifecycle": "sql", "priority": "A"})),
    case("tier_condition_second", "engagement 40 < 60: priority B", """
model m {
  score fit { rule f: job_title is set => +30 }
  score engagement { rule e: each email_open => +20 }
  tier priority { A: fit >= 30 and engagement >= 60; B: fit >= 30; C: otherwise }
}
""", contact={"job_title": "vp"}, events=opens(2), expect=scored({"fit": 30, "engagement": 40}, {"priority": "B"})),
    case("tier_none_true", "no otherwise and nothing true: the tier is empty (None)", """
model m {
  score s { rule o: each email_open => +1 }
  tier t by s { hot: >= 10; warm: == 5 }
}
""", events=opens(4), expect=scored({"s": 4}, {"t": None})),
    case("tier_equality_threshold", "== 5 matches 5", """
model m {
  score s { rule o: each email_open => +1 }
  tier t by s { hot: >= 10; warm: == 5 }
}
""", events=opens(5), expect=scored({"s": 5}, {"t": "warm"})),
    case("tier_uses_final_rounded_score", "33 at 50% = 16.5, final 17: >= 17 is hot (16.5 would not be)", """
model m {
  score s { decay inactivity { 30d => 50% }; rule r: job_title is set => +33 }
  tier t by s { hot: >= 17; cold: otherwise }
}
""", contact={"job_title": "vp"}, expect=scored({"s": 17}, {"t": "hot"})),
    case("tier_missing_property", "a tier condition on a missing value is unknown: otherwise", """
model m {
  score s { rule r: employees > 0 => +1 }
  tier t { known: industry != "x"; other: otherwise }
}
""", expect=scored({"s": 0}, {"t": "other"})),
    case("tier_constant_threshold_and_aggregate", "by s with >= big (1000) no; condition tier with has()", """
model m {
  score s { rule r: employees > 0 => +5 }
  tier size by s { huge: >= big; small: otherwise }
  tier active { yes: has(email_open within 7d) and s > 1; no: otherwise }
}
""", contact={"employees": 3}, events=opens(1, ago(7)),
         expect=scored({"s": 5}, {"size": "small", "active": "yes"})),

    # ------------------------------------------------------------------ distinct counts
    case("count_distinct_folds_case", "Spring, spring, FALL, fall: two values; a missing campaign is not one",
         rules('    rule r: count(email_open distinct campaign) { 2 => +5; >= 3 => +50 }'),
         events=[ev("email_open", ago(1), campaign="Spring"), ev("email_open", ago(2), campaign="spring"),
                 ev("email_open", ago(3), campaign="FALL"), ev("email_open", ago(4), campaign="fall"),
                 ev("email_open", ago(5)), ev("email_open", ago(6), campaign="  ")],
         expect=scored({"s": 5})),
    case("count_distinct_case_sensitive", "Spring, spring, FALL, fall compared exactly: four values",
         rules('    rule r: count(email_open distinct campaign case_sensitive) { 2 => +5; >= 4 => +50 }'),
         events=[ev("email_open", ago(1), campaign="Spring"), ev("email_open", ago(2), campaign="spring"),
                 ev("email_open", ago(3), campaign="FALL"), ev("email_open", ago(4), campaign="fall")],
         expect=scored({"s": 50})),
    case("count_distinct_where_within", "within 7d and url not /blog: /pricing (twice) and /demo: 2; "
         "the 8-day-old /careers is outside the window",
         rules('    rule r: count(page_view distinct url where not (url starts_with "/blog") within 7d) == 2 => +3'),
         events=[ev("page_view", ago(1), url="/pricing"), ev("page_view", ago(2), url="/Pricing"),
                 ev("page_view", ago(3), url="/demo"), ev("page_view", ago(3), url="/blog/x"),
                 ev("page_view", ago(8), url="/careers")],
         expect=scored({"s": 3})),
    case("each_distinct_max", "+5 for each campaign first opened: a, b, c (a twice) = 15, max 12",
         rules('    rule opens: each email_open distinct campaign => +5 max 12'),
         events=[ev("email_open", ago(1), campaign="a"), ev("email_open", ago(2), campaign="a"),
                 ev("email_open", ago(3), campaign="b"), ev("email_open", ago(4), campaign="c")],
         expect=scored({"s": 12})),
    case("each_distinct_half_life_first_event", "campaign a first opened 30d ago (half-life 30d: 5) and again "
         "today; b today: 10; 15 in all, not 20",
         rules('    decay half_life 30d\n    rule opens: each email_open distinct campaign => +10'),
         events=[ev("email_open", AS_OF, campaign="A"), ev("email_open", ago(30), campaign="a"),
                 ev("email_open", AS_OF, campaign="b")],
         expect=scored({"s": 15})),

    # ------------------------------------------------------------------ weighted scores
    case("weighted_four_groups", "emails 20 of 40 -> 12.5; events 0; pages 6 of 10 -> 15; webinars 10 of 30 -> "
         "8.333333; 35.833333 -> 36", """
model m {
  score s {
    group emails share 25% max 40 { rule opens: each email_open => +10 }
    group events share 25% max 20 { rule clicks: each email_click => +5 }
    group pages share 25% max 10 { rule views: each page_view => +2 }
    group webinars share 25% max 30 { rule webinar: each form_submit where form == "webinar" => +10 }
  }
  tier t by s { hot: >= 36; cold: otherwise }
}
""", events=[*opens(2), *[ev("page_view", ago(1)) for _ in range(3)], ev("form_submit", ago(1), form="Webinar")],
         expect=scored({"s": 36}, {"t": "hot"})),
    case("weighted_group_full_and_negative", "pages: 5 views = 10 of 10 -> 50 (more adds nothing); fit: +5 - 20 "
         "= -15, bounded to 0 -> 0: a group never takes from another", """
model m {
  score s {
    group pages share 50% max 10 { rule views: each page_view => +2 }
    group fit share 50% max 10 { rule titled: job_title is set => +5; rule student: job_title contains "student" => -20 }
  }
}
""", contact={"job_title": "Student"}, events=[ev("page_view", ago(1)) for _ in range(7)],
         expect=scored({"s": 50})),
    case("weighted_rounds_millionths_first", "999999 of 2000000 points at 1% is 0.4999995, rounded half up to "
         "0.500000, then to 1 (the exact value would round to 0)", """
model m {
  score s { group g share 1% max 2000000 { rule r: true => + employees in 0..2000000 } }
}
""", contact={"employees": 999999}, expect=scored({"s": 1})),
    case("weighted_with_inactivity_and_min", "60 of 100 (pages 6 of 10 at 100%), idle 40 days: 50% -> 30; "
         "min 35 -> 35", """
model m {
  score s min 35 {
    decay inactivity { 30d => 50% }
    group pages share 100% max 10 { rule views: each page_view => +2 }
  }
}
""", events=[ev("page_view", ago(40)) for _ in range(3)], expect=scored({"s": 35})),

    # ------------------------------------------------------------------ companies
    case("company_properties", "acme: saas (+10), 250 employees (band +5), tags hold VIP (+3), not retail "
         "(+100)", COMPANY_FIT, contact={"company_id": "acme"}, companies=ACME, expect=scored({"s": 118}, {"t": "a"})),
    case("company_id_padded", "' acme ' names acme: ids are stripped, as every id", COMPANY_FIT,
         contact={"company_id": " acme\t"}, companies=ACME, expect=scored({"s": 118}, {"t": "a"})),
    case("company_id_other_case", "'ACME' names no company: ids compare exactly; every company.NAME is "
         "missing, so only 'none' (-1) applies", COMPANY_FIT, contact={"company_id": "ACME"}, companies=ACME,
         expect=scored({"s": -1}, {"t": "b"})),
    case("company_missing", "no company_id: no company (-1); 'not (company.industry == x)' is unknown, not true",
         COMPANY_FIT, contact={}, companies=ACME, expect=scored({"s": -1}, {"t": "b"})),
    case("company_missing_property", "globex has no industry and no employees: those rules are unknown; "
         "its plan 'free' (+2)", COMPANY_FIT, contact={"company_id": "globex"}, companies=ACME,
         expect=scored({"s": 2}, {"t": "b"})),
    case("company_in_where", "page views counted only while the company is on plan Pro: acme is, so 2 views",
         rules('    rule pro_views: count(page_view where company.plan == "pro" and url contains "/pricing") '
               '{ >= 2 => +4 }'),
         contact={"company_id": "acme"}, companies=ACME,
         events=[ev("page_view", ago(1), url="/pricing"), ev("page_view", ago(2), url="/Pricing/x")],
         expect=scored({"s": 4})),

    # ------------------------------------------------------------------ scope and disqualifiers
    case("scored", "in scope, no disqualifier true", STATUS, contact={"employees": 10, "lifecycle_stage": "lead"},
         expect=scored({"s": 1})),
    case("out_of_scope_false", "employees 9: scope false", STATUS, contact={"employees": 9}, expect=OUT_OF_SCOPE),
    case("out_of_scope_missing", "employees missing: scope unknown, which is not true", STATUS, contact={},
         expect=OUT_OF_SCOPE),
    case("out_of_scope_before_disqualified", "scope is checked first", STATUS,
         contact={"employees": 1, "lifecycle_stage": "customer"}, expect=OUT_OF_SCOPE),
    case("disqualified_first_true", "both disqualifiers are true ('Customer' == 'customer'); the first in file "
         "order is the reason", STATUS, contact={"employees": 50, "lifecycle_stage": "Customer"},
         expect=disqualified("customer")),
    case("disqualified_second", "the first is false, the second true", STATUS,
         contact={"employees": 50, "lifecycle_stage": "lead", "email": "a@RIVAL.com"},
         expect=disqualified("competitor")),
    case("disqualifier_unknown_does_not_apply", "lifecycle_stage and email missing: both unknown: scored",
         STATUS, contact={"employees": 50}, expect=scored({"s": 1})),
    case("several_models", "a file with two models: model b is evaluated on its own", """
model a { score s { rule r: employees > 0 => +1 } }
model b {
  disqualify small: employees < 5
  score s { rule r: employees > 0 => +2 }
}
""", name="b", contact={"employees": 3}, expect=disqualified("small")),
]


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_reference_case(case: Case):
    files = reference.load(case.source)
    result = reference.evaluate(files, case.model, case.contact, list(case.events), case.as_of,
                                companies=case.companies)
    assert result == case.expected, case.why


# ---------------------------------------------------------------------- load()

def test_load_follows_relative_includes(tmp_path: pathlib.Path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "schema.score").write_text(CASE_SCHEMA)
    (tmp_path / "model.score").write_text('include "shared/schema.score"\n'
                                          + rules("rule r: industry in targets => +3"))
    files = reference.load(tmp_path / "model.score")
    assert len(files) == 2
    assert reference.evaluate(files, "m", {"id": "c1", "industry": "SaaS"}, [], AS_OF) == scored({"s": 3})


def test_load_parses_each_file_once(tmp_path: pathlib.Path):
    (tmp_path / "schema.score").write_text(CASE_SCHEMA)
    (tmp_path / "a.score").write_text('include "schema.score"\n')
    (tmp_path / "main.score").write_text('include "a.score"\ninclude "schema.score"\n' + rules("rule r: true => +1"))
    assert len(reference.load(tmp_path / "main.score")) == 3


def test_load_rejects_cycles_and_syntax_errors(tmp_path: pathlib.Path):
    (tmp_path / "a.score").write_text('include "b.score"\n')
    (tmp_path / "b.score").write_text('include "a.score"\n')
    with pytest.raises(reference.LoadError, match="cycle"):
        reference.load(tmp_path / "a.score")
    with pytest.raises(reference.LoadError):
        reference.load("model m { score s { rule r: x = 1 => +1 } }")
