"""Company models (``model NAME for company``): the compiled company stage against the
reference interpreter on random models and data, and hand-computed cases.

A random company model is appended to a random rule file (whose contact models it reads as
``MODEL.SCORE`` and ``MODEL.TIER``), and scored over a random source: a pool of companies and
up to six contacts, each naming a company (padded, in another case, unknown, blank or none)
with its own events.
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference
import strategies
from scoredsl.compiler.pipeline import compile_text
from scoredsl.data.records import Event
from scoredsl.data.sinks import Sink
from scoredsl.data.sources import Source
from scoredsl.engines.base import RunOptions
from scoredsl.engines.frame import run
from scoredsl.engines.python import PythonEngine
from scoredsl.syntax.parser import parse

SETTINGS = settings(max_examples=strategies.examples(50), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
UTC = dt.timezone.utc


class Memory(Source):
    """Contacts, their events and companies held in memory."""

    def __init__(self, contacts, events, companies):
        self._contacts, self._events, self._companies = contacts, events, companies

    def contacts(self, schema, on_error):
        yield from (dict(c) for c in self._contacts)

    def events(self, schema, on_error):
        yield from self._events

    def companies(self, schema, on_error):
        return iter([{"id": cid, **{k: v for k, v in record.items() if k != "id"}}
                     for cid, record in self._companies.items()])


class Collect(Sink):
    def __init__(self):
        self.rows, self.state = [], "open"

    def open(self, run):
        self.run = run

    def write(self, row):
        self.rows.append(row)

    def commit(self):
        self.state = "committed"

    def abort(self):
        self.state = "aborted"


def score_companies(text: str, contacts, events, companies, as_of, models=None):
    """The rows of every company model of ``text`` (or ``models``), by (company, model)."""
    program = compile_text(text, "m.score", use_plugins=False)
    chosen = [m for m in program.models.values() if m.subject == "company" and (models is None or m.name in models)]
    sink = Collect()
    run(PythonEngine(), chosen, Memory(contacts, events, companies), sink, as_of, RunOptions())
    assert sink.state == "committed"
    return {(r.company_id, r.model): (r.status, r.reason, dict(r.scores), dict(r.tiers)) if r.status == "scored"
            else (r.status, r.reason, None, None) for r in sink.rows}


# ---------------------------------------------------------------------- random company models

CONTACT_TESTS = ('title contains "vp"', 'title == "director"', "employees >= 10", "employees < 50",
                 "opted_out", "not opted_out", "tags contains \"saas\"", "company.industry == \"saas\"",
                 "company.employees > 100", "created is set", "industry in [\"saas\", \"fintech\"]")
COMPANY_TESTS = ('industry == "saas"', "employees >= 50", "active", "not active", "revenue > 1000",
                 'tags contains "software"', "founded is set", 'id == "acme"')
EVENT_TESTS = ("count(page_view within 30d) >= 2", "has(email_open where newsletter)",
               "count(email_click) > 1", "last(form_submit) is set", "count(page_view where seconds > 10) >= 1",
               "count(email_open distinct campaign) >= 2", "first(page_view within 7d) is set")


@st.composite
def company_models(draw, outputs: list[tuple[str, str, str]]) -> str:
    """A company model reading the contact models' ``outputs`` ((model, name, kind) each)."""
    def pick(options):
        return draw(st.sampled_from(options))

    def contact_test(depth=0) -> str:
        options = list(CONTACT_TESTS)
        for model, name, kind in outputs:
            options.append(f"{model}.{name} >= {pick([0, 1, 5, 20])}" if kind == "score"
                           else f"{model}.{name} is set" if pick([0, 1]) else f'{model}.{name} == "hot"')
        test = pick(options)
        if depth == 0 and draw(st.integers(0, 3)) == 0:
            return f"{test} {pick(['and', 'or'])} {contact_test(1)}"
        return test

    def where() -> str:
        return "" if draw(st.integers(0, 2)) == 0 else f" where {contact_test()}"

    scores = [f"{m}.{n}" for m, n, k in outputs if k == "score"]

    def contact_value() -> str:
        options = [f"count(contacts{where()})"]
        if scores:
            options += [f"{pick(['best', 'total'])}({pick(scores)}{where()})"]
        return pick(options)

    def condition(depth=0) -> str:
        kind = draw(st.integers(0, 4))
        if kind == 0:
            test = pick(COMPANY_TESTS)
        elif kind == 1:
            test = pick(EVENT_TESTS)
        elif kind == 2:
            test = f"has(contacts{where()})"
        else:
            test = f"{contact_value()} {pick(['>=', '>', '==', '<'])} {pick([0, 1, 2, 5, 20])}"
        if depth == 0 and draw(st.integers(0, 3)) == 0:
            return f"{test} {pick(['and', 'or'])} {condition(1)}"
        if depth == 0 and draw(st.integers(0, 5)) == 0:
            return f"not ({test})"
        return test

    rules = []
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            rules.append(f"rule r{i}: {contact_value()} "
                         f"{{ 0 => +1; 1..2 => +{pick([3, 7])}; >= 3 => +{pick([10, 15])} }}")
        elif kind == 1:
            event = pick(["page_view", "email_open", "email_click"])
            limits = ["", " within 30d"] + ([' where url contains "pricing"'] if event != "email_open" else [])
            rules.append(f"rule r{i}: each {event}{pick(limits)} => +{pick([1, 2, 5])}{pick(['', ' max 10'])}")
        else:
            rules.append(f"rule r{i}: {condition()} => {pick(['+', '-'])}{pick([1, 5, 10, 25])}")
    body = "\n    ".join(rules)
    cap = pick(["", " max 50"])
    tier = pick(["", "\n  tier heat by total { hot: >= 20; warm: >= 5; cold: otherwise }"])
    scope = pick(["", "\n  scope not (industry == \"student\")", "\n  disqualify tiny: employees < 2"])
    return f"model account for company {{{scope}\n  score total{cap} {{\n    {body}\n  }}{tier}\n}}\n"


def outputs_of(text: str) -> list[tuple[str, str, str]]:
    tree, diagnostics = parse(text, "m.score")
    assert tree is not None, diagnostics
    found = []
    for model in tree.models:
        found += [(model.name.name, s.name.name, "score") for s in model.scores]
        found += [(model.name.name, t.name.name, "tier") for t in model.tiers]
    return found


@st.composite
def sources(draw):
    """``(companies by id, contacts, events, as_of)``."""
    as_of = draw(strategies.as_of_times())
    pool = draw(strategies.company_pool(strategies.SCHEMA_COMPANY, as_of))
    contacts, events = [], []
    for i in range(draw(st.integers(0, 6))):
        contact = draw(strategies.contacts(strategies.SCHEMA_PROPERTIES, as_of, f"c{i}"))
        if draw(st.integers(0, 7)):
            contact["company_id"] = draw(strategies.company_ids())
        contacts.append(contact)
        events += draw(strategies.event_lists(strategies.SCHEMA_EVENTS, as_of, f"c{i}"))
    return pool, contacts, events, as_of


def later_models(draw, company_model: str) -> str:
    """A contact model reading its company's results in ``account``."""
    tiered = "tier heat" in company_model
    rules = [f"rule a: account.total >= {draw(st.sampled_from([0, 1, 5, 20]))} => +3",
             "rule b: account.total is missing => +1",
             'rule d: company.industry == "saas" and account.total > 0 => +2',
             "rule e: title is set => +1"]
    if tiered:
        rules.append('rule c: account.heat in ["hot", "warm"] => +5')
    body = "\n    ".join(draw(st.lists(st.sampled_from(rules), min_size=1, max_size=4, unique=True)))
    return f"model later {{\n  score p {{\n    {body}\n  }}\n  tier lt by p {{ high: >= 5; low: otherwise }}\n}}\n"


def score_all(text: str, contacts, events, companies, as_of):
    """The rows of every model of ``text``: contacts' by (contact, model), companies' by (company, model)."""
    program = compile_text(text, "m.score", use_plugins=False)
    sink, company_sink = Collect(), Collect()
    run(PythonEngine(), list(program.models.values()), Memory(contacts, events, companies), sink, as_of,
        RunOptions(), company_sink=company_sink)
    assert sink.state == company_sink.state == "committed"

    def result(r):
        scored = r.status == "scored"
        return (r.status, r.reason, dict(r.scores) if scored else None, dict(r.tiers) if scored else None)
    return ({(r.contact_id, r.model): result(r) for r in sink.rows},
            {(r.company_id, r.model): result(r) for r in company_sink.rows})


@SETTINGS
@given(st.data(), strategies.rule_files(), sources())
def test_company_stage_agrees_with_the_reference(data, contact_file, source):
    """Company models, and a contact model that reads their results, against the reference."""
    companies, contacts, events, as_of = source
    company_model = data.draw(company_models(outputs_of(contact_file)))
    text = contact_file + "\n" + company_model + "\n" + later_models(data.draw, company_model)
    got_contacts, got_companies = score_all(text, contacts, events, companies, as_of)
    files = reference.load(text)
    by_contact: dict[str, list[Event]] = {}
    for event in events:
        by_contact.setdefault(event.contact_id, []).append(event)
    expected = {cid: reference.evaluate_company(files, "account", cid, companies, contacts, by_contact, as_of)
                for cid in companies}
    assert got_companies == {(cid, "account"): result for cid, result in expected.items()}
    for contact in contacts:
        named = contact.get("company_id")
        own = expected.get(named.strip()) if isinstance(named, str) else None
        want = reference.evaluate(files, "later", contact, by_contact.get(contact["id"], []), as_of,
                                  companies=companies, company_results={"account": own} if own else None)
        assert got_contacts[(contact["id"], "later")] == want, contact["id"]


# ---------------------------------------------------------------------- hand-computed cases

SCHEMA = """
schema {
  contact { title: text, seniority: text }
  company { industry: text, employees: int }
  event page_view { url: text }
  event email_open { campaign: text }
}
model person {
  score fit max 100 {
    rule vp: seniority in ["vp", "c-level"] => +40
    rule title: title is set => +10
  }
  score engagement {
    rule views: each page_view => +5 max 30
  }
  tier stage by fit { mql: >= 40; lead: otherwise }
}
"""
AS_OF = dt.datetime(2026, 11, 1, tzinfo=UTC)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=UTC)


def view(contact: str, day: str, url: str = "/") -> Event:
    return Event(contact_id=contact, type="page_view", timestamp=at(day), attrs={"url": url})


COMPANIES = {"a1": {"industry": "SaaS", "employees": 120}, "a2": {"industry": "retail", "employees": 8},
             "a3": {"industry": None, "employees": None}}
CONTACTS = [
    {"id": "c1", "title": "VP Sales", "seniority": "vp", "company_id": "a1"},
    {"id": "c2", "title": "Engineer", "seniority": "ic", "company_id": " a1 "},     # padded: still a1
    {"id": "c3", "title": None, "seniority": "C-Level", "company_id": "a1"},
    {"id": "c4", "title": "Buyer", "seniority": "ic", "company_id": "A2"},         # another case: no company
    {"id": "c5", "title": "Owner", "seniority": "c-level", "company_id": "a2"},
    {"id": "c6", "title": "Ghost", "seniority": "vp", "company_id": "gone"},       # names no company
    {"id": "c7", "title": "Solo", "seniority": "vp"},                              # no company
]
EVENTS = [view("c1", "2026-10-30"), view("c1", "2026-10-20"), view("c2", "2026-10-25", "/pricing"),
          view("c2", "2026-08-01"), view("c4", "2026-10-31"), view("c6", "2026-10-31"),
          view("c5", "2026-11-02"),      # after as-of: counts nowhere
          Event(contact_id="c3", type="email_open", timestamp=at("2026-10-29"), attrs={"campaign": "Launch"}),
          Event(contact_id="c1", type="email_open", timestamp=at("2026-10-28"), attrs={"campaign": "launch"})]


def account(body: str, extra: str = "") -> str:
    return SCHEMA + f"model account for company {{\n  score s {{\n    {body}\n  }}\n{extra}}}\n"


def s_of(body: str, company: str, extra: str = ""):
    rows = score_companies(account(body, extra), CONTACTS, EVENTS, {k: {"id": k, **v} for k, v in COMPANIES.items()},
                           AS_OF)
    status, _reason, scores, tiers = rows[(company, "account")]
    return scores["s"] if status == "scored" else status


@pytest.mark.parametrize("body, company, expected, why", [
    ("rule n: count(contacts) { 0 => +100; 1..2 => +10; 3 => +3 }", "a1", 3,
     "a1 has c1, c2 (padded id) and c3"),
    ("rule n: count(contacts) { 0 => +100; 1..2 => +10; 3 => +3 }", "a2", 10,
     "a2 has only c5: 'A2' names no company, ids compare exactly"),
    ("rule n: count(contacts) { 0 => +100; 1..2 => +10; 3 => +3 }", "a3", 100, "a company without contacts: 0"),
    ("rule dm: count(contacts where person.stage == \"mql\") { 2 => +7 }", "a1", 7,
     "c1 (vp) and c3 (C-Level, case-folded) are mql"),
    ("rule dm: has(contacts where seniority == \"c-level\") => +4", "a1", 4, "c3's C-Level folds to c-level"),
    ("rule b: best(person.fit) { 40 => +1; 50 => +9 }", "a1", 9, "c1: 40 + 10 for the title"),
    ("rule b: best(person.fit where title is missing) { 40 => +6 }", "a1", 6, "only c3 has no title: 40"),
    ("rule b: best(person.fit) is missing => +5", "a3", 5, "no contacts: best is missing"),
    ("rule t: total(person.engagement) { 20 => +2 }", "a1", 2, "c1: two views (10), c2: two views (10), c3: 0"),
    ("rule t: total(person.engagement where seniority == \"ic\") { 10 => +2 }", "a1", 2, "only c2"),
    ("rule t: total(person.engagement) { 0 => +8 }", "a3", 8, "no contacts: total is 0"),
    ("rule w: count(page_view within 7d) { 2 => +6 }", "a1", 6,
     "c1 on 10-30 and c2 on 10-25 (exactly 7 days: the window includes it); not c1's 10-20"),
    ("rule w: count(page_view) { 0 => +6 }", "a2", 6, "c5's view is after as-of; c4 is not a2's"),
    ("rule d: count(email_open distinct campaign) { 1 => +5 }", "a1", 5,
     "c3's Launch and c1's launch are one campaign, across two contacts"),
    ("rule e: each page_view where url contains \"pricing\" => +3", "a1", 3, "c2's /pricing view"),
    ("rule e: each page_view => +1", "a1", 4, "every view of a1's contacts up to as-of"),
    ("rule i: industry == \"saas\" => +1\n    rule j: employees { >= 100 => +3 }", "a1", 4,
     "company properties by bare name; text compared case-insensitively"),
    ("rule i: id == \"a2\" => +1", "a2", 1, "the company's id"),
    ("rule i: industry is missing => +1", "a3", 1, "a missing company property"),
])
def test_hand_computed(body, company, expected, why):
    assert s_of(body, company) == expected, why


def test_inactivity_reads_the_last_event_of_any_contact():
    body = "decay inactivity { 30d => 50% }\n    rule n: count(contacts) >= 1 => +10"
    assert s_of(body, "a1") == 10, "c1 was active two days ago"
    assert s_of(body, "a2") == 5, "c5's only event is after as-of: no activity, so decayed"


def test_scope_disqualifiers_and_tiers_of_companies():
    extra = ("  tier heat by s { hot: >= 10; cold: otherwise }\n")
    text = account("rule n: count(contacts) { 1 => +1; 3 => +10 }", extra).replace(
        "for company {", "for company {\n  scope employees is set\n  disqualify small: employees < 10")
    rows = score_companies(text, CONTACTS, EVENTS, {k: {"id": k, **v} for k, v in COMPANIES.items()}, AS_OF)
    assert rows[("a1", "account")] == ("scored", None, {"s": 10}, {"heat": "hot"})
    assert rows[("a2", "account")] == ("disqualified", "small", None, None)
    assert rows[("a3", "account")] == ("out_of_scope", None, None, None)


def test_results_do_not_depend_on_the_order_of_contacts_or_events():
    companies = {k: {"id": k, **v} for k, v in COMPANIES.items()}
    text = account("rule e: each page_view => +1\n    rule b: best(person.fit) { 50 => +100 }\n"
                   "    rule d: count(email_open distinct campaign) { 1 => +1000 }")
    forward = score_companies(text, CONTACTS, EVENTS, companies, AS_OF)
    backward = score_companies(text, CONTACTS[::-1], EVENTS[::-1], companies, AS_OF)
    assert forward == backward
    assert forward[("a1", "account")][2] == {"s": 1104}


def test_a_contact_model_reads_its_companys_score_after_the_companies_are_scored():
    extra = "  tier heat by s { hot: >= 10; cold: otherwise }\n"
    text = account("rule n: count(contacts) { 1 => +1; 3 => +10 }", extra) + """
model routing {
  score priority {
    rule hot: account.heat == "hot" => +10
    rule size: account.s >= 1 => +1
    rule none: account.s is missing => -1
  }
}
"""
    companies = {k: {"id": k, **v} for k, v in COMPANIES.items()}
    contacts, _companies = score_all(text, CONTACTS, EVENTS, companies, AS_OF)
    priority = {cid: result[2]["priority"] for (cid, model), result in contacts.items() if model == "routing"}
    assert priority == {"c1": 11, "c2": 11, "c3": 11,     # a1: 3 contacts, hot
                        "c4": -1,                          # 'A2' names no company
                        "c5": 1,                           # a2: one contact, cold
                        "c6": -1, "c7": -1}                # an unknown company; none
    # the contact rows: the models that read no company score first, then those that do
    assert [m for _c, m in contacts][:7] == ["person"] * 7 and [m for _c, m in contacts][7:] == ["routing"] * 7


STATEFUL = """
schema {
  contact { title: text }
  company { industry: text }
  event page_view { url: text }
}
model account for company {
  score engagement {
    rule views: each page_view within 1d => +10
    rule before: previous(engagement) >= 10 => +1
  }
  tier heat by engagement monotonic { hot: >= 20; cold: otherwise }
}
"""


def test_state_is_kept_per_company(invoke, tmp_path):
    """previous() and monotonic tiers of a company model read the company's earlier runs; the
    transitions and explain name the company."""
    (tmp_path / "m.score").write_text(STATEFUL, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "companies.csv").write_text("id,industry\na1,saas\na2,retail\n", encoding="utf-8")
    (data / "contacts.csv").write_text("id,title,company_id\nc1,VP,a1\nc2,CEO,a1\nc3,Eng,a2\n", encoding="utf-8")
    (data / "events.csv").write_text("contact_id,type,timestamp,url\nc1,page_view,2026-11-01T00:00:00Z,/a\n"
                                     "c2,page_view,2026-11-01T00:00:00Z,/b\nc3,page_view,2026-11-01T00:00:00Z,/c\n",
                                     encoding="utf-8")

    def run_at(day: str):
        out = tmp_path / f"{day}.csv"
        result = invoke("run", tmp_path / "m.score", "--source", f"csv:{data}", "--as-of", day,
                        "--state", tmp_path / "state.db", "--sink", f"csv:{out}",
                        "--transitions", f"csv:{tmp_path / (day + '.moves.csv')}")
        assert result.exit_code == 0, result.output
        with open(out, encoding="utf-8") as f:
            return {r["company_id"]: (r["engagement"], r["heat"]) for r in csv.DictReader(f)}

    assert run_at("2026-11-01") == {"a1": ("20", "hot"), "a2": ("10", "cold")}
    # a day later the views are out of the window: only previous(engagement) counts; a1 stays hot
    assert run_at("2026-11-03") == {"a1": ("1", "hot"), "a2": ("1", "cold")}
    assert (tmp_path / "2026-11-03.moves.csv").read_text(encoding="utf-8").count("\n") == 1   # no move
    result = invoke("explain", tmp_path / "m.score", "--source", f"csv:{data}", "--as-of", "2026-11-04",
                    "--company", "a1", "--state", tmp_path / "state.db")
    assert "previous run: engagement 1, heat hot" in result.output
