"""scoredsl.modeltests: test files next to a model, their cases, mismatches, mistakes and coverage."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import paths
from scoredsl.compiler.model import CompiledModel, EvaluationError
from scoredsl.modeltests import render
from scoredsl.modeltests.cases import Programs, discover, load_suite, parse_offset
from scoredsl.modeltests.coverage import KINDS
from scoredsl.modeltests.runner import run_paths, run_suites

ROOT = paths.ROOT
UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)
AS_OF = dt.datetime(2026, 11, 1, tzinfo=UTC)

MODEL = """
schema {
  contact { email: text, job_title: text, employees: int, revenue: number, vip: bool,
            created: date, seen: datetime, tags: list[text] }
  event page_view { url: text }
  event form_submit { form: text }
  event purchase { amount: number, at_date: date }
}
model b2b {
  disqualify employee: email ends_with "@acme.com"
  score fit {
    rule vp:   job_title matches /\\bvp\\b/ => +20
    rule size: employees { < 10 => -5; 10..499 => +10; >= 500 => +15 }
  }
  score engagement max 100 {
    decay inactivity { 30d => 50% }
    rule pricing: count(page_view where url contains "/pricing" within 30d) >= 2 => +30
    rule demo:    each form_submit where form == "demo" => +50 once
  }
  tier lifecycle by fit + engagement { sql: >= 60; mql: >= 30; lead: otherwise }
}
"""

HEADER = 'rules = "model.score"\nas_of = "2026-11-01"\n'

# c1 in every test below: vp (+20) and 10..499 (+10) = fit 30; two pricing views in 30 days (+30)
# and two demo forms (+50 once) = engagement 80; lifecycle 110 -> sql.
GOOD_CASE = """
[[case]]
name = "VP with a demo"
contact = { job_title = "VP Sales", employees = 120 }
events = [
  { type = "page_view", at = "-1d", url = "/pricing", repeat = 2, every = "-1d" },
  { type = "form_submit", at = "-2d", form = "Demo", repeat = 2 },
]
"""


def write(tmp_path: Path, body: str, *, header: str = HEADER, model: str = MODEL,
          name: str = "model.test.toml") -> Path:
    (tmp_path / "model.score").write_text(model)
    path = tmp_path / name
    path.write_text(header + body)
    return path


def only_case(tmp_path: Path, body: str, **kwargs):
    suite = load_suite(write(tmp_path, body, **kwargs))
    assert suite.error is None, suite.error
    assert len(suite.cases) == 1
    return suite, suite.cases[0]


def run_one(tmp_path: Path, body: str, **kwargs):
    suite = load_suite(write(tmp_path, body, **kwargs))
    assert suite.error is None, suite.error
    report = run_suites([suite])
    (result,) = report.suites[0].results
    return result


def case_error(tmp_path: Path, body: str, **kwargs) -> str:
    _suite, case = only_case(tmp_path, body, **kwargs)
    assert case.error is not None, "expected the case to be rejected"
    return case.error


def file_error(tmp_path: Path, body: str, **kwargs) -> str:
    suite = load_suite(write(tmp_path, body, **kwargs))
    assert suite.error is not None, "expected the file to be rejected"
    assert suite.cases == []
    return suite.error


# ------------------------------------------------------------------ offsets and instants

@pytest.mark.parametrize("text, micros", [
    ("-5d", -5 * 86_400_000_000), ("-12h", -12 * 3_600_000_000), ("-2w", -14 * 86_400_000_000),
    ("-45m", -45 * 60_000_000), ("-1d12h", -36 * 3_600_000_000), ("+2d", 2 * 86_400_000_000),
    ("0d", 0), ("-0m", 0), (" -60d1m ", -(60 * 1440 + 1) * 60_000_000),
])
def test_offsets_use_the_language_units(text, micros):
    assert parse_offset(text) == micros


@pytest.mark.parametrize("text", ["5d", "-5", "-5s", "-5 d", "d", "", "-5d-1h", "2026-11-01"])
def test_not_an_offset(text):
    assert parse_offset(text) is None


def test_events_at_relative_iso_and_toml_times_with_repeat(tmp_path):
    _suite, case = only_case(tmp_path, """
[[case]]
name = "times"
events = [
  { type = "page_view", at = "-5d", url = "/a" },
  { type = "page_view", at = "2026-10-30T10:00:00+02:00", url = "/b" },
  { type = "page_view", at = 2026-10-01T00:00:00Z, url = "/c" },
  { type = "page_view", at = 2026-09-01, url = "/d" },
  { type = "page_view", at = "+1h", url = "/e" },
  { type = "page_view", at = "-1d", url = "/f", repeat = 3, every = "-12h" },
  { type = "purchase", at = "0d", amount = 12, at_date = 2026-10-31 },
]
expect = { status = "scored" }
""")
    stamps = [(e.attrs.get("url"), e.timestamp) for e in case.events]
    assert stamps == [
        ("/a", AS_OF - 5 * DAY),
        ("/b", dt.datetime(2026, 10, 30, 8, tzinfo=UTC)),
        ("/c", dt.datetime(2026, 10, 1, tzinfo=UTC)),
        ("/d", dt.datetime(2026, 9, 1, tzinfo=UTC)),
        ("/e", AS_OF + dt.timedelta(hours=1)),
        ("/f", AS_OF - DAY), ("/f", AS_OF - 1.5 * DAY), ("/f", AS_OF - 2 * DAY),
        (None, AS_OF),
    ]
    assert case.events[-1].attrs == {"amount": 12.0, "at_date": dt.date(2026, 10, 31)}
    assert all(e.contact_id == "case-1" for e in case.events)


def test_case_as_of_overrides_the_file_and_moves_relative_events(tmp_path):
    _suite, case = only_case(tmp_path, """
[[case]]
name = "later"
as_of = 2026-12-01T12:00:00Z
events = [{ type = "page_view", at = "-1d" }]
expect = { status = "scored" }
""")
    assert case.as_of == dt.datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert case.events[0].timestamp == dt.datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_contact_values_are_read_by_the_schema_types(tmp_path):
    _suite, case = only_case(tmp_path, """
[[case]]
name = "typed"
expect = { status = "scored" }

[case.contact]
id = "c9"
email = "a@b.c"
employees = 12
revenue = 1_500
vip = true
created = 2024-06-01
seen = "2024-06-01T09:30:00+02:00"
tags = ["x", "y"]
job_title = "  "
""")
    assert case.contact == {
        "id": "c9", "email": "a@b.c", "employees": 12, "revenue": 1500.0, "vip": True,
        "created": dt.date(2024, 6, 1), "seen": dt.datetime(2024, 6, 1, 7, 30, tzinfo=UTC),
        "tags": ("x", "y"), "job_title": None}


def test_default_contact_id_is_the_case_position(tmp_path):
    suite = load_suite(write(tmp_path, """
[[case]]
name = "one"
expect = { status = "scored" }

[[case]]
name = "two"
expect = { status = "scored" }
"""))
    assert [c.contact["id"] for c in suite.cases] == ["case-1", "case-2"]
    assert [c.line for c in suite.cases] == [4, 8]


# ------------------------------------------------------------------ passing and failing

def test_a_case_passes_when_every_expectation_holds(tmp_path):
    result = run_one(tmp_path, GOOD_CASE + """
expect = { status = "scored", fit = 30, engagement = 80, lifecycle = "sql" }
expect_rules = { vp = true, size = "10..499", pricing = 30, demo = 50 }
""")
    assert result.outcome == "pass", [m.describe() for m in result.mismatches]
    assert result.result == {"status": "scored", "reason": None, "scores": {"fit": 30, "engagement": 80},
                             "tiers": {"lifecycle": "sql"}}
    assert result.explanation is None


@pytest.mark.parametrize("expect, message", [
    ('expect = { status = "disqualified" }', "status: expected disqualified, got scored"),
    ('expect = { fit = 31 }', "fit: expected 31, got 30"),
    ('expect = { fit = ">= 31" }', "fit: expected >= 31, got 30"),
    ('expect = { fit = "< 30" }', "fit: expected < 30, got 30"),
    ('expect = { engagement = "0..<80" }', "engagement: expected 0..<80, got 80"),
    ('expect = { fit = false }', "fit: expected no score, got 30"),
    ('expect = { lifecycle = "mql" }', "lifecycle: expected mql, got sql"),
    ('expect = { lifecycle = false }', "lifecycle: expected no label, got sql"),
    ('expect_rules = { vp = false }', "rule vp: expected not matched, got matched (+20)"),
    ('expect_rules = { demo = 100 }', "rule demo: expected +100, got 2 events (+50)"),
    ('expect_rules = { demo = false }', "rule demo: expected not matched, got 2 events (+50)"),
    ('expect_rules = { size = ">= 500" }', "rule size: expected band >= 500, got band 10..499 (+10)"),
    ('expect_rules = { size = -5 }', "rule size: expected -5, got band 10..499 (+10)"),
    ('expect_rules = { vp = "unknown" }', "rule vp: expected unknown, got matched (+20)"),
])
def test_every_kind_of_mismatch_is_reported_with_expected_and_actual(tmp_path, expect, message):
    result = run_one(tmp_path, GOOD_CASE + expect + "\n")
    assert result.outcome == "fail"
    assert [m.describe() for m in result.mismatches] == [message]
    # the explain table of the contact comes with every failure
    assert result.explanation is not None
    assert "score fit = 30" in result.explanation.render()


def test_expectations_on_a_disqualified_contact(tmp_path):
    body = """
[[case]]
name = "employee"
contact = { email = "x@ACME.com", job_title = "vp", employees = 5 }
"""
    result = run_one(tmp_path, body + """
expect = { status = "disqualified", reason = "employee", fit = false, lifecycle = false }
expect_rules = { vp = 20, size = "< 10", pricing = false }
""")
    assert result.outcome == "pass", [m.describe() for m in result.mismatches]
    result = run_one(tmp_path, body + 'expect = { status = "scored", fit = 15, lifecycle = "lead" }\n')
    assert [m.describe() for m in result.mismatches] == [
        "status: expected scored, got disqualified",
        "fit: expected 15, got nothing (the contact is disqualified)",
        "lifecycle: expected lead, got nothing (the contact is disqualified)"]


def test_reason_mismatch(tmp_path):
    model = MODEL.replace('disqualify employee: email ends_with "@acme.com"',
                          'disqualify employee: email ends_with "@acme.com"\n  disqualify tiny: employees < 2')
    result = run_one(tmp_path, """
[[case]]
name = "tiny"
contact = { employees = 1 }
expect = { status = "disqualified", reason = "employee" }
""", model=model)
    assert [m.describe() for m in result.mismatches] == ["reason: expected employee, got tiny"]


def test_unknown_and_missing_values(tmp_path):
    result = run_one(tmp_path, """
[[case]]
name = "nothing known"
expect = { fit = 0 }
expect_rules = { vp = "unknown", size = false, demo = 0 }
""")
    assert result.outcome == "pass"
    result = run_one(tmp_path, """
[[case]]
name = "nothing known"
expect_rules = { vp = false }
""")
    assert result.outcome == "pass", "false means not matched, unknown included"


def test_decayed_points_compare_to_two_decimals(tmp_path):
    model = MODEL.replace("decay inactivity { 30d => 50% }", "decay half_life 30d")
    body = """
[[case]]
name = "half-life"
events = [{ type = "form_submit", at = "-1d", form = "demo" }]
"""
    # 50 * 0.5 ** (1 / 30) = 50 * 0.97716 = 48.858
    assert run_one(tmp_path, body + "expect_rules = { demo = 48.86 }\n", model=model).outcome == "pass"
    failed = run_one(tmp_path, body + "expect_rules = { demo = 48.8 }\n", model=model)
    assert [m.describe() for m in failed.mismatches] == ["rule demo: expected +48.8, got 1 event (+48.86)"]
    assert failed.mismatches[0].actual == {"points": pytest.approx(48.858, abs=1e-3), "matched": True,
                                           "detail": 1}


def test_band_labels_may_differ_in_spacing_quotes_and_case(tmp_path):
    model = MODEL.replace('rule vp:   job_title matches /\\bvp\\b/ => +20',
                          'rule vp: job_title { "VP Sales" => +20; ["cto", "ceo"] => +10; otherwise => 1 }')
    for label in ['"VP Sales"', "vp sales", "VP SALES"]:
        result = run_one(tmp_path, f"""
[[case]]
name = "band"
contact = {{ job_title = "vp sales" }}
expect_rules = {{ vp = '{label}' }}
""", model=model)
        assert result.outcome == "pass", label
    result = run_one(tmp_path, """
[[case]]
name = "band"
contact = { job_title = "cto" }
expect_rules = { vp = '[ "cto",  "ceo" ]', size = false }
""", model=model)
    assert result.outcome == "pass"


def test_an_evaluation_error_is_the_case_error(tmp_path, monkeypatch):
    def broken(self, contact, events, as_of):
        raise EvaluationError("error evaluating model 'b2b': ZeroDivisionError: boom", None, contact["id"])

    monkeypatch.setattr(CompiledModel, "evaluate", broken)
    result = run_one(tmp_path, GOOD_CASE + "expect = { fit = 30 }\n")
    assert result.outcome == "error"
    assert "ZeroDivisionError: boom" in result.error


# ------------------------------------------------------------------ mistakes in test files

@pytest.mark.parametrize("body, message", [
    # keys
    ('[[case]]\nname = "x"\nexpcet = { fit = 1 }\n',
     "expcet: unknown key in a case: did you mean 'expect'?"),
    ('[[case]]\nexpect = { fit = 1 }\n', "name: every case needs a name"),
    ('[[case]]\nname = "x"\n', "the case checks nothing: add expect"),
    ('[[case]]\nname = "x"\nexpect = {}\nexpect_rules = {}\n', "the case checks nothing"),
    ('[[case]]\nname = "x"\nmodel = "b2c"\nexpect = { fit = 1 }\n',
     "model: no model named 'b2c': did you mean 'b2b'? (the rule file defines b2b)"),
    # contact
    ('[[case]]\nname = "x"\ncontact = { employes = 5 }\nexpect = { fit = 1 }\n',
     "contact.employes: the schema declares no such contact property: did you mean 'employees'?"),
    ('[[case]]\nname = "x"\ncontact = { employees = "350" }\nexpect = { fit = 1 }\n',
     'contact.employees: "350" is not an int (expected a TOML integer)'),
    ('[[case]]\nname = "x"\ncontact = { employees = 3.5 }\nexpect = { fit = 1 }\n',
     "contact.employees: 3.5 is not an int"),
    ('[[case]]\nname = "x"\ncontact = { created = "14/03/2025" }\nexpect = { fit = 1 }\n',
     "contact.created: '14/03/2025' is not a date (expected YYYY-MM-DD)"),
    ('[[case]]\nname = "x"\ncontact = { created = 2025-03-14T10:00:00 }\nexpect = { fit = 1 }\n',
     "contact.created: '2025-03-14T10:00:00' is not a date"),
    ('[[case]]\nname = "x"\ncontact = { email = 2025-03-14 }\nexpect = { fit = 1 }\n',
     "contact.email: the TOML date/time 2025-03-14 is not text"),
    ('[[case]]\nname = "x"\ncontact = { tags = "a;b" }\nexpect = { fit = 1 }\n',
     "contact.tags: \"a;b\" is not a list[text] (expected a TOML array of strings)"),
    ('[[case]]\nname = "x"\ncontact = { vip = "yes" }\nexpect = { fit = 1 }\n',
     "contact.vip: \"yes\" is not a bool (expected TOML true or false)"),
    ('[[case]]\nname = "x"\ncontact = { id = 7 }\nexpect = { fit = 1 }\n', "contact.id: must be a non-empty string"),
    ('[[case]]\nname = "x"\ncontact = "c1"\nexpect = { fit = 1 }\n', "contact: must be a table"),
    # events
    ('[[case]]\nname = "x"\nevents = [{ type = "pageview", at = "-1d" }]\nexpect = { fit = 1 }\n',
     "events[1].type: the schema declares no event 'pageview': did you mean 'page_view'?"),
    ('[[case]]\nname = "x"\nevents = [{ at = "-1d" }]\nexpect = { fit = 1 }\n', "events[1].type: every event needs a type"),
    ('[[case]]\nname = "x"\nevents = [{ type = "page_view", url = "/a" }]\nexpect = { fit = 1 }\n',
     "events[1].at: every event needs a time"),
    ('[[case]]\nname = "x"\nevents = [{ type = "page_view", at = "5d" }]\nexpect = { fit = 1 }\n',
     "events[1].at: '5d' needs a sign: '-5d' is before as_of, '+5d' after"),
    ('[[case]]\nname = "x"\nevents = [{ type = "page_view", at = "yesterday" }]\nexpect = { fit = 1 }\n',
     "events[1].at: 'yesterday' is neither an offset from as_of"),
    ('[[case]]\nname = "x"\nevents = [{ type = "page_view", at = "-1d", uri = "/a" }]\nexpect = { fit = 1 }\n',
     "events[1].uri: event 'page_view' has no attribute 'uri': did you mean 'url'?"),
    ('[[case]]\nname = "x"\nevents = [{ type = "purchase", at = "-1d", amount = "12" }]\nexpect = { fit = 1 }\n',
     'events[1].amount: "12" is not a number (expected a TOML number)'),
    ('[[case]]\nname = "x"\nevents = [{ type = "page_view", at = "-1d", repeat = 0 }]\nexpect = { fit = 1 }\n',
     "events[1].repeat: must be a whole number from 1 to 10000"),
    ('[[case]]\nname = "x"\nevents = [{ type = "page_view", at = "-1d", repeat = 2, every = "1d" }]\n'
     'expect = { fit = 1 }\n', "events[1].every: must be a signed offset"),
    ('[[case]]\nname = "x"\nevents = { type = "page_view" }\nexpect = { fit = 1 }\n', "events: must be an array"),
    # expect
    ('[[case]]\nname = "x"\nexpect = { fitt = 1 }\n',
     "expect.fitt: model 'b2b' has no score or tier 'fitt': did you mean 'fit'?"),
    ('[[case]]\nname = "x"\nexpect = { lifecycle = "SQL" }\n',
     "expect.lifecycle: 'SQL' is not a label of tier 'lifecycle': did you mean 'sql'?"),
    ('[[case]]\nname = "x"\nexpect = { status = "disqualifed" }\n',
     "expect.status: 'disqualifed' is not a status (scored, out_of_scope, disqualified)"),
    ('[[case]]\nname = "x"\nexpect = { reason = "employe" }\n',
     "expect.reason: 'employe' is not a disqualifier of model 'b2b': did you mean 'employee'?"),
    ('[[case]]\nname = "x"\nexpect = { fit = 30.5 }\n', "expect.fit: 30.5 is not a score"),
    ('[[case]]\nname = "x"\nexpect = { fit = "30" }\n', "expect.fit: '30' is not a score"),
    ('[[case]]\nname = "x"\nexpect = { fit = "50..10" }\n', "expect.fit: '50..10' is an empty range"),
    ('[[case]]\nname = "x"\nexpect = { fit = true }\n', "expect.fit: true is not a score"),
    # expect_rules
    ('[[case]]\nname = "x"\nexpect_rules = { demo_request = 50 }\n',
     "expect_rules.demo_request: model 'b2b' has no rule 'demo_request': did you mean 'demo'?"),
    ('[[case]]\nname = "x"\nexpect_rules = { size = "10..500" }\n',
     "expect_rules.size: rule 'size' has no band '10..500' (bands: < 10; 10..499; >= 500)"),
    ('[[case]]\nname = "x"\nexpect_rules = { demo = "unknown" }\n',
     "expect_rules.demo: 'unknown' is not an expectation for rule 'demo'"),
    ('[[case]]\nname = "x"\nexpect_rules = { vp = "yes" }\n',
     "expect_rules.vp: 'yes' is not an expectation for rule 'vp': write true (matched), false (not matched), "
     "the points it gives, or \"unknown\""),
    ('[[case]]\nname = "x"\nexpect_rules = { vp = [20] }\n', "expect_rules.vp: an array is not an expectation"),
])
def test_a_mistake_in_a_case_is_an_error_naming_the_field(tmp_path, body, message):
    assert message in case_error(tmp_path, body)


def test_no_as_of_anywhere(tmp_path):
    error = case_error(tmp_path, '[[case]]\nname = "x"\nexpect = { fit = 1 }\n', header='rules = "model.score"\n')
    assert error.startswith("as_of: no as-of instant")


def test_duplicate_case_names(tmp_path):
    suite = load_suite(write(tmp_path, '[[case]]\nname = "x"\nexpect = { fit = 0 }\n' * 2))
    assert suite.cases[0].error is None
    assert suite.cases[1].error == "name: another case (number 1) has the same name"


def test_a_bad_case_does_not_stop_the_others(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    suite = load_suite(write(tmp_path, """
[[case]]
name = "typo"
expect = { fitt = 0 }

[[case]]
name = "fine"
expect = { fit = 0 }
"""))
    report = run_suites([suite])
    assert [r.outcome for r in report.suites[0].results] == ["error", "pass"]
    assert (report.passed, report.failed, report.errors, report.ok) == (1, 0, 1, False)
    text = render.render_text(report)
    assert "ERROR model.test.toml:4  typo\n      expect.fitt: model 'b2b' has no score or tier 'fitt'" in text


@pytest.mark.parametrize("header, body, message", [
    (HEADER, "[[case]\n", "not valid TOML: "),
    ('rule = "model.score"\n', "", "rule: unknown key in the top level of a test file: did you mean 'rules'?"),
    ('as_of = "2026-11-01"\n', '[[case]]\nname = "x"\n', 'no rule file: add rules = "model.score"'),
    ('rules = 3\n', "", "rules: must be the path of a rule file"),
    ('rules = "model.score"\nas_of = "November"\n', "", "as_of: 'November' is not a datetime"),
    ('rules = "model.score"\nas_of = 12\n', "", "as_of: 12 is not an ISO date or datetime"),
    (HEADER, "", "no cases: add [[case]] tables"),
    (HEADER, "case = []\n", "case: must be an array of tables"),
    (HEADER + 'model = "b2c"\n', '[[case]]\nname = "x"\n', "model: no model named 'b2c'"),
    ('rules = "missing.score"\n', '[[case]]\nname = "x"\n', "rules: missing.score does not compile (1 error)"),
    (HEADER + 'root = "nowhere"\n', '[[case]]\nname = "x"\n', "root: nowhere is not a directory"),
])
def test_a_mistake_outside_the_cases_stops_the_file(tmp_path, monkeypatch, header, body, message):
    monkeypatch.chdir(tmp_path)
    assert message in file_error(tmp_path, body, header=header)


def test_a_rule_file_that_does_not_compile_keeps_its_diagnostics(tmp_path):
    path = write(tmp_path, '[[case]]\nname = "x"\nexpect = { fit = 1 }\n',
                 model=MODEL.replace("=> +20", "=> +20 +"))
    suite = load_suite(path)
    assert "does not compile" in suite.error
    assert suite.compile_error is not None and suite.compile_error.diagnostics
    report = run_suites([suite])
    assert (report.errors, report.ok) == (1, False)
    assert "diagnostics" in render.to_json(report)["files"][0]


def test_a_model_is_needed_when_the_rule_file_has_several(tmp_path):
    two = MODEL + '\nmodel other { score fit { rule x: employees > 1 => +1 } }\n'
    error = case_error(tmp_path, '[[case]]\nname = "x"\nexpect = { fit = 1 }\n', model=two)
    assert error == ('model: the rule file has several models (b2b, other): say which, with model = "..." '
                     'in the case or at the top')
    _suite, case = only_case(tmp_path, '[[case]]\nname = "x"\nexpect = { fit = 1 }\n', model=two,
                             header=HEADER + 'model = "other"\n')
    assert case.error is None and case.model == "other"


def test_a_rule_file_is_compiled_once_for_several_test_files(tmp_path):
    calls = []

    def counting(path, root=None):
        calls.append(path)
        from scoredsl.compiler.pipeline import compile_file
        return compile_file(path, root=root)

    write(tmp_path, '[[case]]\nname = "x"\nexpect = { fit = 0 }\n', name="a.test.toml")
    write(tmp_path, '[[case]]\nname = "x"\nexpect = { fit = 0 }\n', name="b.test.toml")
    programs = Programs(counting)
    suites = [load_suite(tmp_path / n, programs) for n in ("a.test.toml", "b.test.toml")]
    assert suites[0].program is suites[1].program
    assert len(calls) == 1


# ------------------------------------------------------------------ discovery

def test_discover_searches_directories_and_skips_hidden_ones(tmp_path):
    for rel in ["a.test.toml", "sub/b.test.toml", "sub/deeper/c.test.toml", ".hidden/d.test.toml",
                "sub/.venv/e.test.toml", "notes.toml", "sub/f.toml"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    found = discover([tmp_path, tmp_path / "a.test.toml", tmp_path / "sub" / "f.toml"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.test.toml", "sub/b.test.toml", "sub/deeper/c.test.toml", "sub/f.toml"]


# ------------------------------------------------------------------ coverage

COVERAGE_MODEL = """
schema {
  contact { email: text, employees: int, interest: list[text] }
  event page_view { url: text }
}
model m {
  scope interest contains "x"
  disqualify employee: email ends_with "@acme.com"
  disqualify giant: employees > 100000
  score fit {
    rule known: email is set => +5
    rule size:  employees { < 10 => -5; 10..99 => +5; >= 100 => +10 }
  }
  score engagement {
    rule views:   each page_view => +1 max 5
    rule pricing: has(page_view where url == "/pricing") => +10
  }
  tier level by fit + engagement { high: >= 20; low: otherwise }
}
"""

COVERAGE_CASES = """
[[case]]
name = "in scope, scored low"
contact = { interest = ["x"], email = "a@b.c", employees = 50 }
events = [{ type = "page_view", at = "-1d", url = "/blog" }]
expect = { status = "scored", fit = 10, engagement = 1, level = "low" }

[[case]]
name = "out of scope, and an employee"
contact = { email = "a@acme.com" }
expect = { status = "out_of_scope" }

[[case]]
name = "disqualified: its tier would be high but a disqualified contact gets no label"
contact = { interest = ["x"], email = "b@acme.com", employees = 500 }
events = [{ type = "page_view", at = "-1d", url = "/pricing" }]
expect = { status = "disqualified", level = false }
"""


def test_coverage_counts_items_as_computed_by_hand(tmp_path):
    suite = load_suite(write(tmp_path, COVERAGE_CASES, model=COVERAGE_MODEL))
    report = run_suites([suite])
    assert report.ok, render.render_text(report)
    (model,) = report.coverage.models
    # 12 items: scope in/out, 2 disqualifiers, rules known/views/pricing, 3 bands, 2 labels.
    # case 1: scope in, known, size 10..99, views, low
    # case 2: scope out, employee (true, although out of scope), known
    # case 3: employee, known, size >= 100, views, pricing; its tier (high) does not count
    assert (model.covered, model.total) == (9, 12)
    assert model.percent == 75.0
    assert {k: model.by_kind(k) for k in KINDS} == {
        "scope": (2, 2), "disqualifier": (1, 2), "rule": (3, 3), "band": (2, 3), "tier": (1, 2)}
    assert [(i.describe(), i.span.line) for i in model.uncovered()] == [
        ("disqualify giant: never true", 9),
        ("rule size, band < 10: never hit", 12),
        ("tier level, label high: never assigned", 18)]
    assert not report.coverage.below(75) and report.coverage.below(75.01)


def test_coverage_without_cases_and_uncounted_each_rules(tmp_path):
    suite = load_suite(write(tmp_path, """
[[case]]
name = "out of scope"
expect = { status = "out_of_scope" }
""", model=COVERAGE_MODEL))
    report = run_suites([suite])
    (model,) = report.coverage.models
    assert (model.covered, model.total) == (1, 12)        # only "scope out"
    assert "rule views: never counted an event" in [i.describe() for i in model.uncovered()]
    assert "scope: no case was in scope" in [i.describe() for i in model.uncovered()]


def test_coverage_reports_every_model_of_the_rule_file(tmp_path):
    two = COVERAGE_MODEL + '\nmodel other { score fit { rule x: employees > 1 => +1 } }\n'
    suite = load_suite(write(tmp_path, 'model = "m"\n' + COVERAGE_CASES, model=two))
    report = run_suites([suite])
    assert [(m.model, m.covered, m.total) for m in report.coverage.models] == [("m", 9, 12), ("other", 0, 1)]
    assert (report.coverage.covered, report.coverage.total) == (9, 13)
    table = render.render_coverage(report.coverage)
    lines = table.splitlines()
    assert lines[0].split() == ["coverage", "scope", "disqualify", "rules", "bands", "tiers", "total", "%"]
    assert lines[1].split()[2:] == ["2/2", "1/2", "3/3", "2/3", "1/2", "9/12", "75.0%"]
    assert lines[2].split()[2:] == ["-", "-", "0/1", "-", "-", "0/1", "0.0%"]
    assert lines[3].split() == ["all", "models", "9/13", "69.2%"]
    assert "model.score:21  other: rule x: never matched" in table


# ------------------------------------------------------------------ reports

def mixed_report(tmp_path):
    write(tmp_path, GOOD_CASE + 'expect = { fit = 30 }\n' + GOOD_CASE.replace("VP with a demo", "wrong")
          + 'expect = { fit = 31, lifecycle = "mql" }\n' + '[[case]]\nname = "typo"\nexpect = { fitt = 1 }\n')
    (tmp_path / "broken.test.toml").write_text('rules = "model.score"\n[[case]\n')
    return run_paths([tmp_path])


def test_text_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = mixed_report(Path("."))
    text = render.render_text(report, coverage=True)
    lines = text.splitlines()
    assert lines[0].startswith("ERROR broken.test.toml: not valid TOML: ")
    assert lines[1] == "PASS  model.test.toml:4  VP with a demo"
    assert lines[2] == "FAIL  model.test.toml:13  wrong"
    assert lines[3:5] == ["      fit: expected 31, got 30", "      lifecycle: expected mql, got sql"]
    assert "        contact case-2 · model b2b" in text
    assert "ERROR model.test.toml:21  typo" in text
    assert "coverage" in text and "not covered:" in text
    assert lines[-1] == "1 passed, 1 failed, 2 errors (2 test files)"


def test_json_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = json.loads(json.dumps(render.to_json(mixed_report(Path(".")))))
    assert data["summary"] == {"passed": 1, "failed": 1, "errors": 2, "deselected": 0, "files": 2, "ok": False}
    broken, good = data["files"]
    assert broken["file"] == "broken.test.toml" and broken["error"].startswith("not valid TOML")
    assert broken["cases"] == []
    assert good["rules"] == "model.score"
    passed, failed, errored = good["cases"]
    assert passed["outcome"] == "pass" and passed["mismatches"] == [] and passed["explanation"] is None
    assert passed["result"]["scores"] == {"fit": 30, "engagement": 80}
    assert (passed["line"], passed["model"], passed["contact_id"], passed["as_of"]) == \
        (4, "b2b", "case-1", "2026-11-01T00:00:00Z")
    assert failed["outcome"] == "fail"
    assert failed["mismatches"][0] == {"field": "fit", "kind": "score", "name": "fit", "expected": 31,
                                       "actual": 30, "message": "fit: expected 31, got 30"}
    assert failed["explanation"]["scores"][0]["value"] == 30
    assert errored["outcome"] == "error" and errored["error"].startswith("expect.fitt:")
    coverage = data["coverage"]
    assert set(coverage) == {"covered", "total", "percent", "models"}
    assert coverage["models"][0]["model"] == "b2b"
    assert coverage["models"][0]["kinds"]["band"] == {"covered": 1, "total": 3}
    assert {"kind", "name", "detail", "file", "line", "message"} <= set(coverage["models"][0]["uncovered"][0])


def test_junit_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    xml = render.to_junit(mixed_report(Path(".")))
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "2")
    broken, good = root.findall("testsuite")
    assert broken.get("name") == "broken.test.toml"
    assert (broken.get("tests"), broken.get("errors"), broken.get("failures")) == ("1", "1", "0")
    (case,) = broken.findall("testcase")
    assert case.get("name") == "(test file)" and case.find("error").get("type") == "test file"
    assert good.get("name") == "model.test.toml"
    assert (good.get("tests"), good.get("failures"), good.get("errors"), good.get("skipped")) == ("3", "1", "1", "0")
    assert good.find("properties/property").attrib == {"name": "rules", "value": "model.score"}
    cases = good.findall("testcase")
    assert [c.get("name") for c in cases] == ["VP with a demo", "wrong", "typo"]
    assert [c.get("line") for c in cases] == ["4", "13", "21"]
    assert {c.get("classname") for c in cases} == {"model"}
    assert all(float(c.get("time")) >= 0 for c in cases)
    assert list(cases[0]) == []
    failure = cases[1].find("failure")
    assert failure.get("type") == "mismatch"
    assert failure.get("message") == "fit: expected 31, got 30; lifecycle: expected mql, got sql"
    assert "score fit = 30" in failure.text and "fit: expected 31, got 30" in failure.text
    error = cases[2].find("error")
    assert error.get("type") == "test case" and "fitt" in error.get("message")


def test_junit_classname_and_invalid_characters(tmp_path):
    assert render._classname("examples/b2b_saas/model.test.toml") == "examples.b2b_saas.model"
    assert render._classname("./x.test.toml") == "x"
    path = write(tmp_path, GOOD_CASE.replace("VP with a demo", "bell \x07 here") + 'expect = { fit = 1 }\n')
    # TOML has no raw control characters in strings; an escaped one is legal, XML 1.0 has none
    path.write_text(path.read_text().replace("\x07", "\\u0007"))
    root = ET.fromstring(render.to_junit(run_paths([path])))
    assert root.find("testsuite/testcase").get("name") == "bell \ufffd here"


def test_match_deselects_cases(tmp_path):
    path = write(tmp_path, GOOD_CASE + 'expect = { fit = 30 }\n' + GOOD_CASE.replace("VP with a demo", "other")
                 + 'expect = { fit = 31 }\n')
    report = run_paths([path], match="vp WITH")
    assert (report.passed, report.failed, report.deselected) == (1, 0, 1)
    assert report.summary() == "1 passed, 0 failed, 1 deselected (1 test file)"


# ------------------------------------------------------------------ the example suites

@pytest.mark.parametrize("project, cases", [("b2b_saas", 27), ("product_lines", 18)])
def test_the_example_suites_pass_with_full_coverage(project, cases):
    report = run_paths([ROOT / "examples" / project / "model.test.toml"])
    assert report.ok, render.render_text(report)
    assert report.passed == cases
    assert report.coverage.percent == 100.0, render.render_coverage(report.coverage)


# ------------------------------------------------------------------ the previous run

STATEFUL = MODEL.replace("tier lifecycle by fit + engagement {",
                         'tier lifecycle by fit + engagement monotonic unless job_title == "left" {').replace(
    "rule vp:", "rule loyal: previous(fit) >= 30 => +5\n    rule vp:")


def test_a_case_may_say_what_the_previous_run_recorded(tmp_path):
    held = run_one(tmp_path, """
[[case]]
name = "SQL holds while the contact cools off"
previous = { lifecycle = "sql", fit = 30 }
expect = { lifecycle = "sql", fit = 5, engagement = 0 }
expect_rules = { loyal = true }
""", model=STATEFUL)
    assert held.outcome == "pass", held.mismatches
    released = run_one(tmp_path, """
[[case]]
name = "the contact left: the stage goes back"
contact = { job_title = "left" }
previous = { lifecycle = "sql" }
expect = { lifecycle = "lead" }
expect_rules = { loyal = "unknown" }
""", model=STATEFUL)
    assert released.outcome == "pass", released.mismatches


@pytest.mark.parametrize("previous, message", [
    ('{ lifecycle = "SQL" }', "previous.lifecycle: tier lifecycle has no label 'SQL' (its labels: sql, mql, lead)"),
    ('{ lifecycle = 3 }', "previous.lifecycle: tier lifecycle has no label 3"),
    ('{ fit = "high" }', "previous.fit: a score is a whole number"),
    ('{ fitt = 3 }', "previous.fitt: model b2b has no score or tier by that name: did you mean 'fit'?"),
    ('"sql"', "previous: must be a table of scores and tiers"),
])
def test_a_wrong_previous_value_is_an_error_naming_it(tmp_path, previous, message):
    error = case_error(tmp_path, f'[[case]]\nname = "c"\nprevious = {previous}\nexpect = {{ fit = 0 }}\n',
                       model=STATEFUL)
    assert message in error


def test_every_mistake_of_a_case_is_reported_at_once(tmp_path):
    error = case_error(tmp_path, """
[[case]]
name = "three mistakes"
contact = { job_titel = "VP", employees = 120 }
events = [{ type = "page_veiw", at = "-1d" }]
expect = { fitt = 30 }
""")
    assert error.splitlines() == [
        "contact.job_titel: the schema declares no such contact property: did you mean 'job_title'?",
        "events[1].type: the schema declares no event 'page_veiw': did you mean 'page_view'? "
        "(an undeclared event would count for nothing)",
        "expect.fitt: model 'b2b' has no score or tier 'fitt': did you mean 'fit'? "
        "(expect may check: status, reason, fit, engagement, lifecycle)",
    ]
