"""The hand-computed scoring cases of tests/test_reference.py, run on the compiled engine.

Each case is a rule file, a contact, its events and an as-of instant, with the result worked
out by hand from docs/language.md: band and window edges, caps, once/max, decay and its
rounding, missing values and three-valued logic, case, tiers, scope and disqualifiers.
"""

from __future__ import annotations

import warnings

import pytest

import strategies
from scoredsl.compiler.pipeline import compile_text
from test_reference import CASES


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_engine_case(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # generated code must compile without warnings
        program = compile_text(case.source, f"{case.id}.score")
    contact = strategies.with_company(case.contact, case.companies, program.schema)
    row = program.models[case.model].evaluate(contact, list(case.events), case.as_of)
    scored = row.status == "scored"
    got = (row.status, row.reason, dict(row.scores) if scored else None, dict(row.tiers) if scored else None)
    assert got == case.expected, case.why


def test_text_bands_may_be_case_sensitive():
    """`industry case_sensitive { ... }` compares exactly; without it, case is ignored."""
    from scoredsl.compiler.pipeline import compile_text
    source = """
schema { contact { industry: text } }
model m {
  score s {
    rule exact: industry case_sensitive { "SaaS" => +10; ["saas", "Fintech"] => +1 }
    rule loose: industry { "SaaS" => +100 }
  }
}
"""
    model = compile_text(source, "m.score").model()
    import datetime as dt
    as_of = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    scores = {value: model.evaluate({"id": "c", "industry": value}, [], as_of).scores["s"]
              for value in ("SaaS", "saas", "SAAS", "fintech")}
    assert scores == {"SaaS": 110, "saas": 101, "SAAS": 100, "fintech": 0}
