"""The compiled evaluator and the reference interpreter agree, on random models and data.

``tests/reference.py`` follows docs/language.md with a plain tree walk over the syntax tree
and shares no code with the checker, the intermediate form or the code generator; any
difference is a bug in one of them (or an ambiguity in the reference).
"""

from __future__ import annotations

import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference
import strategies
import paths
from scoredsl.compiler.pipeline import compile_file, compile_text

SETTINGS = settings(max_examples=strategies.examples(int(__import__("os").environ.get("SCOREDSL_AGREEMENT_EXAMPLES", "60"))), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def engine_result(model, scenario, previous=None):
    contact = strategies.with_company(scenario.contact, scenario.companies, model.program.schema)
    contact = strategies.with_previous(contact, model, previous or {})
    row = model.evaluate(contact, scenario.events, scenario.as_of)
    if row.status != "scored":
        return (row.status, row.reason, None, None)
    return (row.status, row.reason, dict(row.scores), dict(row.tiers))


@SETTINGS
@given(source=strategies.rule_files(), data=st.data())
def test_random_models_agree_on_random_data(source, data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # generated code must compile without warnings
        program = compile_text(source, "random.score")
    files = reference.load([source])
    for _ in range(3):
        scenario = data.draw(strategies.fixed_scenarios())
        for name, model in program.models.items():
            previous = data.draw(strategies.previous_values(model))
            expected = reference.evaluate(files, name, scenario.contact, scenario.events, scenario.as_of, previous,
                                          scenario.companies)
            assert engine_result(model, scenario, previous) == expected, name


ROOT = paths.ROOT
FIXED_MODELS = paths.FIXED_MODELS
_COMPILED = {path: (compile_file(path), reference.load(path)) for path in FIXED_MODELS}


@SETTINGS
@given(data=st.data())
def test_fixed_models_agree_on_random_data(data):
    path = data.draw(st.sampled_from(FIXED_MODELS))
    program, files = _COMPILED[path]
    scenario = data.draw(strategies.scenarios_for(program))
    for name, model in program.models.items():
        expected = reference.evaluate(files, name, scenario.contact, scenario.events, scenario.as_of)
        assert engine_result(model, scenario) == expected, (path.name, name)
