"""The backtest on data with a planted signal (examples/backtest): it must measure what was
planted, and it must never credit what only happens after the outcome."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys

import numpy as np
import pytest

import paths
from scoredsl.backtest.metrics import measure
from scoredsl.backtest.snapshots import DAY, Plan, collect, conversions, series
from scoredsl.compiler.pipeline import compile_file, compile_text
from scoredsl.data.outcomes import read_outcomes
from scoredsl.data.records import to_micros
from scoredsl.data.specs import parse_spec
from scoredsl.plugins.manager import open_source

HERE = paths.EXAMPLES / "backtest"
DATA = HERE / "data"
WINDOW_DAYS = 90


def _plan(**extra) -> Plan:
    first = to_micros(dt.datetime(2025, 5, 1, tzinfo=dt.timezone.utc))
    return Plan(as_ofs=series(first, first + 11 * 30 * DAY, 30 * DAY), window=WINDOW_DAYS * DAY,
                converted=frozenset({"won"}), created="created", **extra)


def _observe(model, plan=None):
    converting, _ = conversions(read_outcomes(str(DATA / "outcomes.csv")), frozenset({"won"}))
    source = open_source(parse_spec(f"csv:{DATA}"), model.program.schema)
    try:
        return collect(model, source, plan or _plan(), converting)
    finally:
        source.close()


@pytest.fixture(scope="module")
def planted():
    model = compile_file(str(HERE / "model.score")).model()
    obs = _observe(model)
    with open(DATA / "truth.csv", newline="") as handle:
        hazard = {row["id"]: float(row["hazard"]) for row in csv.DictReader(handle)}
    ids = np.array(obs.contact_ids)[obs.contact]
    # the chance each observation had of converting in the window, as planted
    truth = 1 - np.exp(-WINDOW_DAYS * np.array([hazard[i] for i in ids]))
    return obs, measure(obs, bootstrap=200), truth


def _auc(score, converted) -> float:
    """A plain reference: the share of (converter, non-converter) pairs ranked right, ties half."""
    pos = np.sort(score[converted])
    neg = np.sort(score[~converted])
    below = np.searchsorted(neg, pos, side="left")
    ties = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * ties).sum() / (len(pos) * len(neg)))


def test_the_example_data_is_what_its_generator_makes(tmp_path):
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--out", str(tmp_path)], check=True)
    for name in ("contacts.csv", "events.csv", "outcomes.csv", "truth.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_recovers_the_planted_auc(planted):
    obs, result, truth = planted
    converted = obs.converted
    planted_auc = _auc(truth, converted)
    assert result.auc.value == pytest.approx(_auc(np.nan_to_num(obs.scores["fit"] + obs.scores["interest"],
                                                                nan=-np.inf), converted), abs=1e-12)
    # the model's points follow the planted factors, plus two rules with no effect: its AUC is
    # within 0.01 of the planted one, which lies inside its interval
    assert abs(result.auc.value - planted_auc) < 0.01
    assert result.auc.low <= planted_auc <= result.auc.high
    # the base rate is what the planted chances predict
    assert result.converters == pytest.approx(truth.sum(), rel=0.05)


@pytest.mark.parametrize("rule,sign,verdict", [
    ("senior", "+", "earns its points"), ("big_company", "+", "earns its points"),
    ("pricing", "+", "earns its points"), ("demo", "+", "earns its points"),
    ("student", "-", "earns its penalty"),
    ("core_market", "+", "not clear"), ("blog_reader", "+", "not clear")])
def test_recovers_each_rules_planted_effect(planted, rule, sign, verdict):
    obs, result, truth = planted
    effect = next(e for e in result.rules if e.name == rule and e.sign == sign)
    fired = np.zeros(len(obs), dtype=bool)
    fired[obs.fired[rule + sign]] = True
    planted_rr = truth[fired].mean() / truth[~fired].mean()
    assert effect.relative_risk.low <= planted_rr <= effect.relative_risk.high
    assert effect.verdict == verdict
    if verdict == "not clear":
        assert effect.relative_risk.low < 1 < effect.relative_risk.high


def test_a_rule_only_customers_can_earn_is_never_credited(planted):
    _obs, result, _truth = planted
    effect = next(e for e in result.rules if e.name == "using_product")
    assert (effect.fired, effect.converters, effect.verdict) == (0, 0, "never gave points")


LEAK = """
schema {
  contact { email: text, job_title: text, employees: int, country: text, created: date }
  event page_view { url: text }
  event form_submit { form: text }
  event email_open
  event product_login
}
model leak {
  score usage { rule using_product: has(product_login) => +40 }
}
"""


def test_a_signal_from_after_the_outcome_is_ignored():
    """Scored today, product logins single out the customers perfectly; scored as each contact
    was at each as-of, they never show before the conversion, so the model ranks no better than
    chance."""
    model = compile_text(LEAK, "leak.score").model()
    end = to_micros(dt.datetime(2026, 6, 30, 23, 59, tzinfo=dt.timezone.utc))
    converting, _ = conversions(read_outcomes(str(DATA / "outcomes.csv")), frozenset({"won"}))
    # naive: every contact scored at the end of the data, customers included
    source = open_source(parse_spec(f"csv:{DATA}"), model.program.schema)
    try:
        leaked = collect(model, source, Plan(as_ofs=(end,), window=DAY, converted=frozenset({"nothing"})), {})
    finally:
        source.close()
    customers = np.array([cid in converting for cid in leaked.contact_ids])[leaked.contact]
    assert _auc(leaked.scores["usage"], customers) > 0.95
    result = measure(_observe(model), bootstrap=0)
    assert result.auc.value == 0.5
    assert result.rules[0].fired == 0


def test_the_same_data_gives_the_same_report(planted):
    obs, result, _truth = planted
    again = measure(_observe(obs.model), bootstrap=200)
    assert again.to_json() == result.to_json()


def test_a_model_that_reads_earlier_runs_reads_the_earlier_instants():
    """Each as-of is a run: a monotonic tier never moves down from one instant to the next, and
    ``previous(...)`` is the contact's value at the instant before."""
    text = (HERE / "model.score").read_text().replace("tier stage {", "tier stage monotonic {").replace(
        "=> +40\n", "=> +40\n    rule was_keen: previous(interest) >= 20 => +1\n")
    model = compile_text(text, "monotonic.score").model()
    obs = _observe(model)
    stage = obs.labels["stage"]                       # 0 sql, 1 mql, 2 lead: higher stages first
    keen = np.zeros(len(obs), dtype=bool)
    keen[obs.fired["was_keen+"]] = True
    moved_up = 0
    for contact in range(len(obs.contact_ids)):
        mine = np.flatnonzero(obs.contact == contact)          # in instant order
        assert (np.diff(stage[mine]) <= 0).all()
        moved_up += int((np.diff(stage[mine]) < 0).sum())
        for before, now in zip(mine, mine[1:]):
            assert keen[now] == (obs.scores["interest"][before] >= 20)
        assert not keen[mine[0]]
    assert moved_up > 100
