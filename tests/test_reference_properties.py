"""Properties of the reference interpreter on random valid rule files and random data.

The laws here hold for any correct evaluator: it never fails on valid input, it is
deterministic, the order of the events does not matter, events after as-of do not matter, and
the three spellings of "missing" (absent key, None, blank text) mean the same thing.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference
import strategies
from scoredsl.data.records import STATUSES, epoch_micros
from scoredsl.syntax.parser import parse

SETTINGS = settings(max_examples=strategies.examples(150), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LAWS = settings(SETTINGS, max_examples=strategies.examples(60))          # each law re-evaluates every model twice


def evaluate_all(files, scenario, *, contact=None, events=None):
    """Every model of the unit on one scenario: ``{model: result}``."""
    unit = reference.Unit.of(files)
    return {name: reference.evaluate(files, name, scenario.contact if contact is None else contact,
                                     list(scenario.events if events is None else events), scenario.as_of,
                                     companies=scenario.companies)
            for name in unit.models}


@SETTINGS
@given(strategies.rule_files())
def test_generated_files_parse_without_diagnostics(source):
    tree, diagnostics = parse(source, "<generated>")
    assert diagnostics == []
    assert tree is not None and tree.models


@SETTINGS
@given(strategies.rule_files(), strategies.fixed_scenarios())
def test_never_raises_and_is_deterministic(source, scenario):
    files = reference.load(source)
    first = evaluate_all(files, scenario)
    assert evaluate_all(reference.load(source), scenario) == first
    unit = reference.Unit.of(files)
    for name, (status, reason, scores, tiers) in first.items():
        model = unit.models[name]
        assert status in STATUSES
        if status == "scored":
            assert reason is None
            assert list(scores) == [s.name.name for s in model.scores]
            assert all(type(v) is int for v in scores.values())
            assert list(tiers) == [t.name.name for t in model.tiers]
        else:
            assert scores is None and tiers is None
            assert (reason is None) == (status == "out_of_scope")


@LAWS
@given(strategies.rule_files(), strategies.fixed_scenarios(), st.randoms(use_true_random=False))
def test_event_order_does_not_matter(source, scenario, rnd: random.Random):
    files = reference.load(source)
    shuffled = list(scenario.events)
    rnd.shuffle(shuffled)
    assert evaluate_all(files, scenario, events=shuffled) == evaluate_all(files, scenario)


@LAWS
@given(strategies.rule_files(), strategies.fixed_scenarios())
def test_events_after_as_of_do_not_matter(source, scenario):
    files = reference.load(source)
    as_of = epoch_micros(scenario.as_of)
    kept = [e for e in scenario.events if epoch_micros(e.timestamp) <= as_of]
    assert evaluate_all(files, scenario, events=kept) == evaluate_all(files, scenario)


@LAWS
@given(strategies.rule_files(), strategies.fixed_scenarios(), st.sampled_from(strategies.WHITESPACE))
def test_absent_none_and_blank_are_the_same_missing(source, scenario, blank):
    files = reference.load(source)
    missing = [n for n in strategies.SCHEMA_PROPERTIES if reference.data_value(scenario.contact.get(n)) is None]
    absent = {k: v for k, v in scenario.contact.items() if k not in missing}
    as_none = {**absent, **dict.fromkeys(missing)}
    blank_texts = {**as_none, **{n: blank for n in missing if strategies.SCHEMA_PROPERTIES[n] == ("text", False)}}
    expected = evaluate_all(files, scenario, contact=absent)
    assert evaluate_all(files, scenario, contact=as_none) == expected
    assert evaluate_all(files, scenario, contact=blank_texts) == expected
