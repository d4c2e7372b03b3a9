"""The SQL backend agrees with the Python engine exactly: every status, reason, score and tier,
on random valid models and random contacts and events (the same strategies as the reference
agreement tests), and on the bundled example models.

DuckDB runs every example (``SCOREDSL_SQL_EXAMPLES``); PostgreSQL and Spark (local mode) smaller
samples.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import strategies
import paths
from scoredsl.compiler.pipeline import compile_file, compile_text
from scoredsl.compiler.sql.dialects import DIALECTS
from scoredsl.compiler.sql.generator import compile_model, model_sql, unsupported
from sqltargets import DuckTarget, PostgresTarget, SparkTarget

EXAMPLES = int(os.environ.get("SCOREDSL_SQL_EXAMPLES", "60"))
ROOT = paths.ROOT


def settings_for(n, shrink=True):
    phases = list(Phase) if shrink else [Phase.explicit, Phase.reuse, Phase.generate]
    return settings(max_examples=strategies.examples(n), deadline=None, phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def duck():
    target = DuckTarget()
    yield target
    target.close()


@pytest.fixture(scope="module")
def spark():
    target = SparkTarget()
    yield target
    target.close()


@pytest.fixture(scope="module")
def postgres():
    target = PostgresTarget()
    yield target
    target.close()


def python_results(models, contacts, events, as_of, previous=None):
    by_contact = {}
    for event in events:
        by_contact.setdefault(event.contact_id, []).append(event)
    out = {}
    for model in models:
        rows = []
        for contact in contacts:
            before = (previous or {}).get(model.name, {}).get(contact["id"], {})
            row = model.evaluate(strategies.with_previous(contact, model, before),
                                 by_contact.get(contact["id"], []), as_of)
            scored = row.status == "scored"
            rows.append((row.contact_id, row.status, row.reason, dict(row.scores) if scored else None,
                         dict(row.tiers) if scored else None))
        out[model.name] = rows
    return out


@st.composite
def batches(draw, properties, events, ids=("c1", "C-2", "id 3", "c'4", "c5"), company=None):
    """Several contacts (with their events) scored at one as-of time; with ``company``, each
    contact as an engine loads it, its company's values in."""
    as_of = draw(strategies.as_of_times())
    chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
    pool = draw(strategies.company_pool(company, as_of)) if company is not None else {}
    contacts, all_events = [], []
    for contact_id in chosen:
        contact = draw(strategies.contacts(properties, as_of, contact_id))
        if company is not None:
            contact["company_id"] = draw(strategies.company_ids())
            contact = strategies.with_company(contact, pool, _COMPANY_SCHEMA)
        contacts.append(contact)
        all_events.extend(draw(strategies.event_lists(events, as_of, contact_id)))
    return contacts, all_events, as_of


# what the fixed schema declares of companies, for attaching them
_COMPANY_SCHEMA = compile_text(strategies.SCHEMA_TEXT + "model m { score s { rule r: true => +1 } }",
                               "schema.score").schema


def previous_runs(data, models, contacts):
    """What a previous run recorded: for each model, some of the contacts (the rest are new)."""
    return {m.name: {c["id"]: data.draw(strategies.previous_values(m)) for c in contacts if data.draw(st.booleans())}
            for m in models}


def fixed_batches():
    return batches(strategies.SCHEMA_PROPERTIES, strategies.SCHEMA_EVENTS, company=strategies.SCHEMA_COMPANY)


def runnable(program, dialect):
    return [m for m in program.models.values() if not unsupported(m.ir, dialect)]


def check_agreement(target, program, contacts, events, as_of, data=None):
    models = runnable(program, target.dialect)
    if not models:
        return
    previous = previous_runs(data, models, contacts) if data is not None else None
    expected = python_results(models, contacts, events, as_of, previous)
    actual = target.run(models, program.schema, contacts, events, as_of, previous)
    for model in models:
        assert actual[model.name] == expected[model.name], model.name


@settings_for(max(EXAMPLES // 10, 5))        # (random files hold several models: 1 s an example)
@given(source=strategies.rule_files(), as_of=strategies.as_of_times())
def test_the_query_is_written_without_a_copy_and_the_same(source, as_of):
    """model_sql writes the query tree without SQLGlot's copy of it first: that is only sound
    while no node of the tree is in two places (SQLGlot changes nodes as it writes them)."""
    from scoredsl.data.records import to_micros

    program = compile_text(source, "random.score")
    for model in program.models.values():
        for dialect in DIALECTS:
            if unsupported(model.ir, dialect):
                continue
            tree = compile_model(model.ir, program.schema, to_micros(as_of), dialect)
            nodes = list(tree.walk())
            assert len({id(node) for node in nodes}) == len(nodes), dialect
            if dialect in ("duckdb", "spark"):      # (writing is slow: the engines' dialect, the most rewritten)
                assert model_sql(model.ir, program.schema, to_micros(as_of), dialect) == tree.sql(dialect=dialect)


@settings_for(EXAMPLES)
@given(source=strategies.rule_files(), data=st.data())
def test_random_models_agree_on_duckdb(duck, source, data):
    program = compile_text(source, "random.score")
    contacts, events, as_of = data.draw(fixed_batches())
    check_agreement(duck, program, contacts, events, as_of, data)


@pytest.mark.services
@settings_for(max(EXAMPLES // 3, 10), shrink=False)
@given(source=strategies.rule_files(), data=st.data())
def test_random_models_agree_on_postgres(postgres, source, data):
    program = compile_text(source, "random.score")
    contacts, events, as_of = data.draw(fixed_batches())
    check_agreement(postgres, program, contacts, events, as_of, data)


FIXED_MODELS = paths.FIXED_MODELS
_COMPILED = {path: compile_file(path) for path in FIXED_MODELS}


def batches_for(program):
    properties = {name: (spec.base, spec.is_list) for name, spec in program.schema.contact.items()}
    events = {name: {attr: spec.base for attr, spec in attrs.items()}
              for name, attrs in program.schema.events.items()}
    return batches(properties, events)


@settings_for(EXAMPLES)
@given(data=st.data())
def test_fixed_models_agree_on_duckdb(duck, data):
    program = _COMPILED[data.draw(st.sampled_from(FIXED_MODELS))]
    contacts, events, as_of = data.draw(batches_for(program))
    check_agreement(duck, program, contacts, events, as_of)


@pytest.mark.services
@settings_for(max(EXAMPLES // 3, 10), shrink=False)
@given(data=st.data())
def test_fixed_models_agree_on_postgres(postgres, data):
    program = _COMPILED[data.draw(st.sampled_from(FIXED_MODELS))]
    contacts, events, as_of = data.draw(batches_for(program))
    check_agreement(postgres, program, contacts, events, as_of)


@settings_for(max(EXAMPLES // 12, 4), shrink=False)
@given(source=strategies.rule_files(), data=st.data())
def test_random_models_agree_on_spark(spark, source, data):
    program = compile_text(source, "random.score")
    contacts, events, as_of = data.draw(fixed_batches())
    check_agreement(spark, program, contacts, events, as_of, data)


@settings_for(max(EXAMPLES // 12, 4), shrink=False)
@given(data=st.data())
def test_fixed_models_agree_on_spark(spark, data):
    program = _COMPILED[data.draw(st.sampled_from(FIXED_MODELS))]
    contacts, events, as_of = data.draw(batches_for(program))
    check_agreement(spark, program, contacts, events, as_of)


_FLAG_FIRST = """
schema {
  contact { flag: bool }
}
model m {
  score s {
    rule flagged: flag => +1
  }
}
"""
_TEXT_FIRST = _FLAG_FIRST.replace("flag: bool", "flag: text").replace("flagged: flag", 'flagged: flag == "Software"')


@pytest.mark.services
def test_postgres_target_follows_a_table_recreated_with_other_types(postgres):
    """The same INSERT text into ``_sd_contacts`` re-created with a text column where a boolean
    one was (two models, the first run often enough to be prepared) reads the new types."""
    import datetime as dt

    as_of = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    flags, texts = compile_text(_FLAG_FIRST, "flag.score"), compile_text(_TEXT_FIRST, "text.score")
    for _ in range(8):
        check_agreement(postgres, flags, [{"id": "c1", "flag": None}], [], as_of)
    check_agreement(postgres, texts, [{"id": "c1", "flag": "Software"}], [], as_of)
