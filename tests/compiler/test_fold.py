"""A model as accumulators (``CompiledModel.folding``) scores exactly as its evaluator does.

The evaluator reads a contact's events sorted by timestamp; the accumulators take them one by
one, in whatever order the source gives them, possibly in several parts folded apart and then
merged (as totals come back from disk). Every random model whose event filters read only the
event is compared on random data, with the events shuffled and split at random.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies
import paths
from scoredsl.compiler.model import EvaluationError
from scoredsl.compiler.pipeline import compile_file, compile_text
from scoredsl.compiler.python.packing import pack_event, event_layouts
from scoredsl.data.records import Event, to_micros
from scoredsl.engines.python import Totals
from scoredsl.engines.results import RunSummary

SETTINGS = settings(max_examples=strategies.examples(40), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def folded(model, contact, events, as_of, parts: list[list[int]]):
    """The result of ``model``'s accumulators: the events folded in the given parts (lists of
    indexes into ``events``, in that order), each part into its own totals, then merged."""
    fold = model.folding()
    layouts = event_layouts(model.program.schema)
    micros = to_micros(as_of)
    folds = fold.folds(micros)
    totals = []
    for part in parts:
        part_totals = fold.fresh()
        for i in part:
            event = events[i]
            function = folds.get(event.type)
            if function is not None:
                function(part_totals, pack_event(event.timestamp, event.attrs, layouts[event.type]))
        totals.append(part_totals)
    result = fold.fresh()
    for part_totals in totals:
        fold.merge(result, part_totals)
    return model.row(contact, fold.finish(contact, result, micros))


@st.composite
def partitions(draw, count: int) -> list[list[int]]:
    """``range(count)`` shuffled and cut into one to four parts (some maybe empty)."""
    order = draw(st.permutations(list(range(count))))
    cuts = sorted(draw(st.lists(st.integers(0, count), max_size=3)))
    edges = [0, *cuts, count]
    return [order[a:b] for a, b in zip(edges, edges[1:])]


def stored(model, contact, events, as_of):
    return model.evaluate(contact, events, as_of)


@settings(SETTINGS, max_examples=strategies.examples(25))
@given(source=strategies.rule_files(event_only=True), data=st.data())
def test_random_models_fold_as_they_evaluate(source, data):
    program = compile_text(source, "random.score")
    for _ in range(3):
        scenario = data.draw(strategies.fixed_scenarios())
        for model in program.models.values():
            if model.folding() is None:
                continue
            contact = strategies.with_company(scenario.contact, scenario.companies, model.program.schema)
            previous = data.draw(strategies.previous_values(model))
            contact = strategies.with_previous(contact, model, previous)
            parts = data.draw(partitions(len(scenario.events)))
            assert folded(model, contact, scenario.events, scenario.as_of, parts) == \
                stored(model, contact, scenario.events, scenario.as_of), model.name


@SETTINGS
@given(source=strategies.rule_files(event_only=True), data=st.data())
def test_random_models_fold_through_the_engines_store_at_any_budget(source, data):
    """What a run does with the accumulators: several contacts' events shuffled together,
    folded by the generated loop (one model) or each model's functions (two), held within a
    budget of a few contacts or partitioned to disk beyond it, then taken contact by contact."""
    program = compile_text(source, "random.score")
    models = [m for m in program.models.values() if m.folding() is not None]
    if not models:
        return
    as_of = data.draw(strategies.as_of_times())
    layouts = event_layouts(program.schema)
    contacts, events, packed = {}, {}, []
    for contact_id in ("c1", "c2", "c3", "c4"):
        contact = data.draw(strategies.contacts(strategies.SCHEMA_PROPERTIES, as_of, contact_id))
        contacts[contact_id] = strategies.with_company(contact, {}, program.schema)
        events[contact_id] = data.draw(strategies.event_lists(strategies.SCHEMA_EVENTS, as_of, contact_id))
        packed += [(contact_id, e.type, pack_event(e.timestamp, e.attrs, layouts[e.type])) for e in events[contact_id]]
    packed = data.draw(st.permutations(packed))
    chosen = data.draw(st.sampled_from([models[:1], models[-1:] + models[:1]]))
    micros = to_micros(as_of)
    with Totals([m.folding() for m in chosen], micros, data.draw(st.sampled_from([2, 4, 6, 10, 1000]))) as totals:
        summary = RunSummary()
        totals.add(iter(packed), summary)
        assert summary.events == len(packed)
        for contact_id, contact in contacts.items():
            record = totals.take(contact_id)
            assert record[0] == len(events[contact_id])
            for index, model in enumerate(chosen, 1):
                assert model.row(contact, model.folding().finish(contact, record[index], micros)) == \
                    stored(model, contact, events[contact_id], as_of), (model.name, contact_id)


FIXED_MODELS = paths.FIXED_MODELS
_COMPILED = {path: compile_file(path) for path in FIXED_MODELS}


@SETTINGS
@given(data=st.data())
def test_fixed_models_fold_as_they_evaluate(data):
    path = data.draw(st.sampled_from(FIXED_MODELS))
    program = _COMPILED[path]
    scenario = data.draw(strategies.scenarios_for(program))
    for model in program.models.values():
        if model.folding() is None:
            continue
        parts = data.draw(partitions(len(scenario.events)))
        assert folded(model, scenario.contact, scenario.events, scenario.as_of, parts) == \
            stored(model, scenario.contact, scenario.events, scenario.as_of), (path.name, model.name)


def test_the_example_models_fold():
    """The bundled models' event filters read only their events: every one of them folds."""
    for path in FIXED_MODELS[1:]:
        assert all(m.folding() is not None for m in _COMPILED[path].models.values()), path


SCHEMA = """
schema {
  contact { plan: text, seats: int }
  event visit { url: text, seconds: number }
  event mail { campaign: text, hops: int }
}
"""
UTC = dt.timezone.utc
AS_OF = dt.datetime(2024, 7, 1, tzinfo=UTC)


def model_of(body: str):
    return compile_text(SCHEMA + body, "m.score").model()


@pytest.mark.parametrize("rule, folds", [
    ('rule r: count(visit where url contains "pricing") >= 1 => +5', True),
    ("rule r: each visit where seconds * 2 > 30 within 30d => +5", True),
    ("rule r: each mail distinct campaign => +5 max 20", True),
    ("rule r: count(visit where url == plan) >= 1 => +5", False),            # reads the contact
    ("rule r: each visit where seconds > seats => +1", False),
    ('rule r: has(visit where url matches /pricing/) => +5', False),          # RE2 cannot take every text
    ("rule r: each mail where hops * 1.5 > 10 => +1", False),                # an int as a float can overflow
    ("rule r: each mail where hops * 2 > 10 => +1", True),
])
def test_a_model_folds_when_its_event_filters_read_only_the_event(rule, folds):
    model = model_of(f"model m {{ score s {{ {rule} }} }}")
    assert (model.folding() is not None) == folds


RICH = compile_text(SCHEMA + """
model m {
  score s max 500 {
    decay inactivity { 30d => 50%, 90d => 25% } activity [visit]
    rule first_visit: age(first(visit)) { < 10d => +1; 10d..60d => +2; > 60d => +4 }
    rule first_pricing: age(first(visit where url contains "pricing")) { < 20d => +8; >= 20d => +16 }
    rule last_mail: age(last(mail within 90d)) { < 5d => +32; >= 5d => +64 }
    rule visits: count(visit within 30d) { 1..2 => +1; >= 3 => +3 }
    rule campaigns: count(mail distinct campaign) { 1 => +5; >= 2 => +9 }
    rule long: has(visit where seconds > 60) => +7
    rule each_visit: each visit where seconds >= 10 => +2 max 20
    rule each_campaign: each mail distinct campaign within 60d => +3 max 12
  }
  score d {
    decay half_life 14d
    rule decayed: each visit => +10
    rule decayed_campaigns: each mail distinct campaign => +20
  }
  tier t { hot: s >= 40; warm: d >= 10; cold: otherwise }
}
""", "rich.score").model()


@st.composite
def rich_events(draw):
    days = st.integers(-5, 120)
    visits = draw(st.lists(st.tuples(days, st.sampled_from(["/pricing", "/blog", None]),
                                     st.sampled_from([5, 10, 61, None])), max_size=12))
    mails = draw(st.lists(st.tuples(days, st.sampled_from(["a", "A", "b", " c", None])), max_size=8))
    events = [Event(contact_id="c", type="visit", timestamp=AS_OF - dt.timedelta(days=d, hours=h),
                    attrs={"url": u, "seconds": sec}) for (d, u, sec), h in zip(visits, range(99))]
    events += [Event(contact_id="c", type="mail", timestamp=AS_OF - dt.timedelta(days=d), attrs={"campaign": c})
               for d, c in mails]
    return events


@SETTINGS
@given(events=rich_events(), data=st.data())
def test_every_kind_of_total_folds_and_merges_as_the_model_evaluates(events, data):
    """Every total a model keeps (counts, has, first, last, distinct values, each, each distinct,
    decayed sums, the last activity), folded in any order and merged from any parts."""
    contact = {"id": "c"}
    parts = data.draw(partitions(len(events)))
    assert folded(RICH, contact, events, AS_OF, parts) == stored(RICH, contact, events, AS_OF)


def test_values_held_in_sets_count_against_the_budget():
    """Distinct values grow a contact's totals with its events: two contacts with 600 distinct
    urls each hold more than a budget of 200 contacts allows, so the totals go to disk."""
    model = model_of("model m { score s { rule many: count(visit distinct url) >= 500 => +5 } }")
    layouts = event_layouts(model.program.schema)
    packed = [(cid, "visit", pack_event(AS_OF, {"url": f"/page/{i}"}, layouts["visit"]))
              for i in range(600) for cid in ("a", "b")]
    for budget, spills in ((400, True), (10_000, False)):
        with Totals([model.folding()], to_micros(AS_OF), budget) as totals:
            totals.add(iter(packed), RunSummary())
            assert totals.spilled is spills
            records = [totals.take(c) for c in "ab"]
            assert [record[0] for record in records] == [600, 600]
            assert model.folding().finish({"id": "a"}, records[0][1], to_micros(AS_OF))[2] == (5,)


def test_each_distinct_value_keeps_its_earliest_event_for_decay():
    """A decaying score's ``each ... distinct`` rule earns the decayed points of each value's
    first matching event: folding the later event first must not change which one counts."""
    model = model_of("model m { score s { decay half_life 30d\n rule r: each mail distinct campaign => +30 } }")
    events = [Event(contact_id="c", type="mail", timestamp=AS_OF - dt.timedelta(days=days), attrs={"campaign": c})
              for days, c in ((60, "a"), (1, "a"), (30, "b"))]
    contact = {"id": "c"}
    expected = stored(model, contact, events, AS_OF)
    for parts in ([[1, 2, 0]], [[1], [0, 2]], [[], [2], [1, 0]]):
        assert folded(model, contact, events, AS_OF, parts) == expected
    assert expected.scores["s"] == 8 + 15      # 30 points after two and after one half-life


def test_an_error_in_the_finish_is_reported_at_the_rule(monkeypatch):
    model = model_of('model m { score s { rule big: seats > 10 => +5 } }')
    fold = model.folding()
    with pytest.raises(EvaluationError) as caught:
        fold.finish({"id": "c", "seats": "many"}, fold.fresh(), to_micros(AS_OF))    # not an int
    assert caught.value.span is not None and caught.value.span.line == 7
    assert caught.value.contact_id == "c"
