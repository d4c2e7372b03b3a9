"""Semantic diff of two models (every kind of change), and the impact of a change on a small
data set whose transition matrix, distributions and top movers are computed by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from diffdata import CONTACTS, MODEL_BODY, SCHEMA, changed, events
from scoredsl.compiler.pipeline import compile_text
from scoredsl.compiler.python.packing import pack_events
from scoredsl.data.records import DataSchema, Event, TypeSpec
from scoredsl.diff.impact import (DISQUALIFIED, GuardError, bucket_width, check_guards, compare, histogram,
                                  merge_schemas, parse_guard, unpack_events)
from scoredsl.diff.model import KINDS, RuleSet, diff
from scoredsl.plugins.manager import open_source

BASE = r"""
schema {
  contact { title: text, employees: int, stage: text }
  event visit { url: text }
  event form { name: text }
  event mail { campaign: text }
}
let targets = ["cto", "cfo"]
model m {
  disqualify customer: stage == "customer"
  disqualify staff: title contains "acme"
  score fit {
    rule vp: title matches /\bvp\b/ => +20
    rule exec: title in targets => +15
    rule size: employees { < 10 => -5; 10..99 => +5; >= 100 => +10 }
  }
  score engagement max 100 {
    decay inactivity { 30d => 50%, 90d => 25% } activity [visit, form]
    group web max 20 {
      rule visits: each visit within 30d => +5 max 30
      rule pricing: count(visit where url == "/pricing") >= 2 => +10
    }
    rule demo: each form where name == "demo" => +40 once
  }
  score interest {
    group mails share 60% max 10 { rule opens: each form distinct name => +5 }
    group pages share 40% max 10 { rule views: each visit => +1 }
  }
  tier lifecycle by fit + engagement { sql: >= 50; mql: >= 25; lead: otherwise }
  tier grid {
    hot: engagement >= 40
    warm: fit >= 10
    cold: otherwise
  }
}
"""


def side(text: str, label: str) -> RuleSet:
    return RuleSet(program=compile_text(text, label), label=label)


def changes(new_text: str, old_text: str = BASE):
    return diff(side(old_text, "old.score"), side(new_text, "new.score")).changes


def edit(*pairs: str) -> str:
    text = BASE
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert old in text, old
        text = text.replace(old, new)
    return text


def only(found, kind: str):
    assert [c.kind for c in found] == [kind], [(c.kind, c.detail) for c in found]
    return found[0]


# ------------------------------------------------------------------ no change

def test_layout_comments_and_constant_names_are_no_change():
    relaid = (BASE.replace("let targets", "# executives\nlet execs").replace("title in targets", "title in execs")
              .replace("rule vp: title", "rule vp:     title").replace("\n  }\n  score engagement",
                                                                        "\n  }\n\n\n  score engagement"))
    result = diff(side(BASE, "old.score"), side(relaid, "new.score"))
    assert result.changes == ()
    assert result.versions[0][1] == result.versions[0][2]


# ------------------------------------------------------------------ every kind of change

CASES = [
    # rules
    (("rule vp: title matches /\\bvp\\b/ => +20", "rule vp: title matches /\\bvp\\b/ => +25"),
     "rule-points", "rule fit.vp", "points +20 -> +25"),
    (("rule vp: title matches /\\bvp\\b/", "rule vp: title matches /\\b(vp|svp)\\b/"),
     "rule-condition", "rule fit.vp", "condition changed"),
    (("    rule exec: title in targets => +15\n", ""), "rule-removed", "rule fit.exec", "rule removed"),
    (("    rule exec:", "    rule phone: title is set => +1\n    rule exec:"), "rule-added", "rule fit.phone", "new rule"),
    (("10..99 => +5", "10..99 => +8"), "rule-points", "rule fit.size", "points 10..99 +5 -> +8"),
    ((">= 100 => +10 }", "100..999 => +10; >= 1000 => +12 }"), "rule-bands", "rule fit.size",
     "bands added 100..999 => +10; >= 1000 => +12, removed >= 100 => +10"),
    (("employees { < 10", "employees * 2 { < 10"), "rule-condition", "rule fit.size", "banded value changed"),
    (("each visit within 30d => +5 max 30", "each visit within 60d => +5 max 30"),
     "rule-condition", "rule engagement.web.visits", "within changed: within 30d -> 60d"),
    (("each visit within 30d => +5 max 30", "each visit where url starts_with \"/p\" within 30d => +5 max 30"),
     "rule-condition", "rule engagement.web.visits", "where changed"),
    (("=> +5 max 30", "=> +5 max 40"), "rule-limit", "rule engagement.web.visits", "max 30 -> max 40"),
    (("=> +40 once", "=> +50 once"), "rule-points", "rule engagement.demo", "points per event +40 -> +50"),
    (("=> +40 once", "=> +40 max 80"), "rule-limit", "rule engagement.demo", "once -> max 80"),
    (("rule pricing: count(visit where url == \"/pricing\") >= 2 => +10",
      "rule pricing: count(visit where url == \"/pricing\") { 2..3 => +10; >= 4 => +15 }"),
     "rule-kind", "rule engagement.web.pricing", "condition rule -> band rule"),
    # groups, scores, decay
    (("group web max 20", "group web max 25"), "group-cap", "group engagement.web", "cap 20 -> 25"),
    (("mails share 60%", "mails share 50%"), "group-share", "group interest.mails", "share 60% -> 50%"),
    (("each form distinct name", "each form distinct name case_sensitive"), "rule-condition",
     "rule interest.mails.opens", "distinct changed"),
    (("score engagement max 100", "score engagement max 150"), "score-max", "score engagement", "max 100 -> 150"),
    ((r"rule vp: title matches /\bvp\b/ => +20", r"rule vp: title matches /\bvp\b/ => + employees in 0..20"),
     "rule-points", "rule fit.vp", "points +20 -> + employees in 0..20"),
    (("score engagement max 100", "score engagement min 0 max 100"), "score-min", "score engagement",
     "min none -> 0"),
    (("tier lifecycle by fit + engagement {", "tier lifecycle by fit + engagement monotonic {"), "tier-monotonic",
     "tier lifecycle", "now monotonic: a stage never goes back"),
    (("30d => 50%, 90d => 25%", "30d => 50%, 60d => 25%"), "decay-inactivity", "score engagement",
     "inactivity steps { 30d => 50%, 90d => 25% } -> { 30d => 50%, 60d => 25% }"),
    (("activity [visit, form]", "activity [visit, form, mail]"), "decay-activity", "score engagement",
     "activity [visit, form] -> [visit, form, mail]"),
    ((" activity [visit, form]", ""), "decay-activity", "score engagement", "activity [visit, form] -> every event"),
    (("activity [visit, form]\n", "activity [visit, form]\n    decay half_life 14d\n"), "decay-half-life",
     "score engagement", "half-life none -> 14d"),
    (("    decay inactivity { 30d => 50%, 90d => 25% } activity [visit, form]\n", ""), "decay-inactivity",
     "score engagement", "inactivity decay removed"),
    (("  tier lifecycle", "  score intent { rule asked: has(form) => +1 }\n  tier lifecycle"), "score-added",
     "score intent", "new score"),
    # disqualifiers, scope
    (("  disqualify staff", "  disqualify partner: stage == \"partner\"\n  disqualify staff"),
     "disqualifier-added", "disqualify partner", "new disqualifier"),
    (("  disqualify staff: title contains \"acme\"\n", ""), "disqualifier-removed", "disqualify staff",
     "disqualifier removed"),
    (("stage == \"customer\"", "stage in [\"customer\", \"evangelist\"]"), "disqualifier-changed",
     "disqualify customer", "condition changed"),
    (("model m {\n", "model m {\n  scope stage is set\n"), "scope-added", "scope",
     "the model now scores only the contacts in scope; the others are out_of_scope"),
    # tiers
    (("sql: >= 50", "sql: >= 45"), "tier-threshold", "tier lifecycle", "sql: >= 50 -> >= 45"),
    (("sql: >= 50", "sql: > 50"), "tier-threshold", "tier lifecycle", "sql: >= 50 -> > 50"),
    (("sql: >= 50; mql", "sql: >= 80; sal: >= 50; mql"), "tier-threshold", "tier lifecycle", "sql: >= 50 -> >= 80"),
    (("    warm: fit >= 10\n", ""), "tier-entry-removed", "tier grid", "entry warm removed"),
    (("hot: engagement >= 40", "hot: engagement >= 40 and fit >= 10"), "tier-condition", "tier grid",
     "condition of hot changed"),
    (("    hot: engagement >= 40\n    warm: fit >= 10\n", "    warm: fit >= 10\n    hot: engagement >= 40\n"),
     "tier-order", "tier grid", "entries reordered (the first true one gives the label): hot, warm, cold -> "
                                "warm, hot, cold"),
    (("tier lifecycle by fit + engagement", "tier lifecycle by fit"), "tier-by", "tier lifecycle",
     "the value the thresholds apply to changed"),
    (("  tier grid {", "  tier heat by engagement { high: >= 40; low: otherwise }\n  tier grid {"), "tier-added",
     "tier heat", "new tier: high, low"),
    # schema
    (("stage: text }", "stage: text, country: text }"), "schema-property-added", "contact.country",
     "new contact property: text"),
    (("employees: int", "employees: number"), "schema-property-type", "contact.employees", "type int -> number"),
    (("event mail { campaign: text }", "event mail { campaign: text, opened: bool }"), "schema-attribute-added",
     "event mail.opened", "new attribute: bool"),
    (("event mail { campaign: text }", "event mail { campaign: int }"), "schema-attribute-type",
     "event mail.campaign", "type text -> int"),
    (("event mail { campaign: text }", "event mail"), "schema-attribute-removed", "event mail.campaign",
     "attribute removed (was text)"),
    (("event mail { campaign: text }", "event mail { campaign: text }\n  event call"), "schema-event-added",
     "event call", "new event type"),
]


@pytest.mark.parametrize("pairs, kind, subject, detail", CASES, ids=[f"{c[1]}:{c[3]}" for c in CASES])
def test_each_kind_of_change(pairs, kind, subject, detail):
    found = [c for c in changes(edit(*pairs)) if c.kind == kind]
    assert found, [(c.kind, c.subject, c.detail) for c in changes(edit(*pairs))]
    assert (found[0].subject, found[0].detail) == (subject, detail)


def test_a_changed_unless_is_a_change_of_a_monotonic_tier():
    old = BASE.replace("tier lifecycle by fit + engagement {", "tier lifecycle by fit + engagement monotonic {")
    new = old.replace("monotonic {", "monotonic unless has(form) {")
    (change,) = [c for c in changes(new, old) if c.kind == "tier-unless"]
    assert (change.subject, change.detail) == ("tier lifecycle", "an 'unless' now releases the stage")


def test_every_kind_is_produced_by_some_test():
    seen = {kind for _p, kind, _s, _d in CASES}
    seen |= {"schema-property-removed", "schema-event-removed", "model-added", "model-removed", "file-added",
             "file-removed", "scope-removed", "scope-changed", "disqualifier-order", "score-removed",
             "group-added", "group-removed", "rule-moved", "tier-removed", "tier-entry-added", "tier-unless"}
    assert seen == set(KINDS)


def test_points_change_shows_the_rule_as_written_on_both_sides():
    c = only(changes(edit("=> +20", "=> +25")), "rule-points")
    assert c.old_text == r"rule vp: title matches /\bvp\b/ => +20"
    assert c.new_text == r"rule vp: title matches /\bvp\b/ => +25"
    assert (c.before, c.after) == (20, 25)
    assert c.old_location == "old.score:13" and c.new_location == "new.score:13"


def test_a_constant_whose_value_changes_changes_every_rule_that_uses_it():
    c = only(changes(edit('let targets = ["cto", "cfo"]', 'let targets = ["cto", "cfo", "coo"]')), "rule-condition")
    assert c.subject == "rule fit.exec"
    assert c.new_text == "rule exec: title in targets => +15"


def test_rule_moved_into_a_group():
    moved = edit("    rule demo: each form where name == \"demo\" => +40 once\n", "",
                 "      rule pricing:", "      rule demo: each form where name == \"demo\" => +40 once\n"
                                         "      rule pricing:")
    c = only(changes(moved), "rule-moved")
    assert (c.subject, c.detail) == ("rule engagement.web.demo", "moved from engagement to engagement.web")


def test_group_added_and_removed_and_rules_moved_with_them():
    regrouped = edit("group web max 20", "group site max 20")
    kinds = [(c.kind, c.subject) for c in changes(regrouped)]
    assert kinds == [("group-added", "group engagement.site"), ("group-removed", "group engagement.web"),
                     ("rule-moved", "rule engagement.site.visits"), ("rule-moved", "rule engagement.site.pricing")]


def test_disqualifier_order_changes_the_reason():
    swapped = edit("  disqualify customer: stage == \"customer\"\n  disqualify staff: title contains \"acme\"\n",
                   "  disqualify staff: title contains \"acme\"\n  disqualify customer: stage == \"customer\"\n")
    c = only(changes(swapped), "disqualifier-order")
    assert (c.before, c.after) == (["customer", "staff"], ["staff", "customer"])


def test_scope_removed_and_changed():
    scoped = edit("model m {\n", "model m {\n  scope stage is set\n")
    assert only(changes(BASE, scoped), "scope-removed").old_text == "scope stage is set"
    other = edit("model m {\n", "model m {\n  scope stage is missing\n")
    c = only(changes(other, scoped), "scope-changed")
    assert (c.old_text, c.new_text) == ("scope stage is set", "scope stage is missing")


def test_tier_entry_added_by_label():
    c = [c for c in changes(edit("sql: >= 50; mql", "sql: >= 80; sal: >= 50; mql")) if c.kind == "tier-entry-added"]
    assert [(x.subject, x.detail, x.new_text) for x in c] == [("tier lifecycle", "new entry sal", "sal: >= 50")]


def test_models_and_schema_removed():
    two = BASE + "\nmodel other {\n  score s { rule r: stage is set => +1 }\n}\n"
    assert [(c.kind, c.subject) for c in changes(two)] == [("model-added", "model other")]
    assert [(c.kind, c.subject) for c in changes(BASE, two)] == [("model-removed", "model other")]
    fewer = edit("  event mail { campaign: text }\n", "", " activity [visit, form]", " activity [visit, form]")
    assert [(c.kind, c.subject) for c in changes(fewer)] == [("schema-event-removed", "event mail")]
    dropped = edit("title: text, employees: int, stage: text", "title: text, employees: int, stage: text, x: int")
    assert [(c.kind, c.subject) for c in changes(BASE, dropped)] == [("schema-property-removed", "contact.x")]


def test_a_missing_side_is_a_file_added():
    empty = RuleSet(program=None, label="HEAD:new.score")
    result = diff(empty, side(BASE, "new.score"))
    assert [c.kind for c in result.changes] == ["file-added", "model-added"]
    assert result.versions[0][1] is None


def test_only_the_chosen_models():
    two = BASE + "\nmodel other {\n  score s { rule r: stage is set => +1 }\n}\n"
    result = diff(side(BASE, "a.score"), side(two.replace("=> +20", "=> +21"), "b.score"), models=["m"])
    assert [c.kind for c in result.changes] == ["rule-points"]
    assert result.models == ["m"]


# ------------------------------------------------------------------ impact on a small data set

IMPACT_OLD = "\n" + SCHEMA + MODEL_BODY
IMPACT_NEW = changed(IMPACT_OLD)


AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


@pytest.fixture()
def data(tmp_path: Path) -> str:
    (tmp_path / "contacts.csv").write_text(CONTACTS)
    (tmp_path / "events.csv").write_text(events())
    return f"csv:{tmp_path}"


def _impact(data, old=IMPACT_OLD, new=IMPACT_NEW, top=10):
    return compare(side(old, "old.score"), side(new, "new.score"), lambda schema: open_source(data, schema),
                   AS_OF, top=top)


def test_transition_matrix_by_hand(data):
    # old lifecycle: c1 30+50=80 sql, c2 5+15=20 lead, c3 25+10=35 mql, c4 15+20=35 mql, c5 -, c6 lead
    # new lifecycle: c1 35+50 sql, c2 8+15 lead, c3 disqualified, c4 20+25=45 sql, c5 -, c6 lead
    m = _impact(data).model("m")
    lifecycle = m.tier("lifecycle")
    assert lifecycle.labels == ("sql", "mql", "lead", DISQUALIFIED)
    assert dict(lifecycle.counts) == {("sql", "sql"): 1, ("mql", "sql"): 1, ("mql", DISQUALIFIED): 1,
                                      ("lead", "lead"): 2, (DISQUALIFIED, DISQUALIFIED): 1}
    assert lifecycle.changed == 2 and m.tier_changed == 2 and m.contacts == 6
    assert dict(m.statuses.counts) == {("scored", "scored"): 4, ("scored", "disqualified: competitor"): 1,
                                       ("disqualified: customer", "disqualified: customer"): 1}
    assert m.statuses.changed == 1


def test_score_distribution_by_hand(data):
    fit = _impact(data).model("m").score("fit")
    assert fit.before == {0: 1, 5: 1, 15: 1, 25: 1, 30: 1}          # c6, c2, c4, c3, c1
    assert fit.after == {0: 1, 8: 1, 20: 1, 35: 1}                   # c6, c2, c4, c1 (c3 disqualified)
    assert fit.deltas == {0: 1, 3: 1, 5: 2}
    assert (fit.changed, fit.compared) == (3, 4)
    before, after = fit.stats
    assert (before.count, before.mean, before.median, before.min, before.max) == (5, 15.0, 15.0, 0, 30)
    assert (after.count, after.mean, after.median) == (4, 15.75, 14.0)
    h = fit.histogram
    assert h.width == 2                                             # 0..35 in at most 20 buckets
    assert [(b.label, b.before, b.after) for b in h.buckets if b.before or b.after] == [
        ("0..1", 1, 1), ("4..5", 1, 0), ("8..9", 0, 1), ("14..15", 1, 0), ("20..21", 0, 1), ("24..25", 1, 0),
        ("30..31", 1, 0), ("34..35", 0, 1)]
    assert fit.largest == (5, "c1", 30, 35)                          # c1 and c4 both +5: by id


def test_top_movers_with_the_rules_that_moved_them(data):
    m = _impact(data).model("m")
    fit = m.score("fit")
    assert [(x.contact_id, x.before, x.after) for x in fit.movers] == [("c1", 30, 35), ("c4", 15, 20), ("c2", 5, 8)]
    c4 = fit.movers[1]
    assert [(r.name, r.before, r.after, r.delta) for r in c4.rules] == [("vp", 20, 25, 5)]
    assert (c4.caps, c4.decay) == (0, 0)
    assert c4.tiers == (("lifecycle", "mql", "sql"),)
    assert [(r.name, r.delta) for r in fit.movers[2].rules] == [("size", 3)]
    engagement = m.score("engagement")
    (only_mover,) = engagement.movers                               # c1 is held at max 50 on both sides
    assert (only_mover.contact_id, only_mover.delta, only_mover.rules, only_mover.caps) == ("c4", 5, (), 5)
    assert [x.contact_id for x in _impact(data, top=1).model("m").score("fit").movers] == ["c1"]


def test_decay_is_attributed_to_decay(tmp_path):
    old = """schema { contact { a: text } event visit }
    model d { score e { decay inactivity { 30d => 50% } rule v: each visit => +10 } }"""
    (tmp_path / "contacts.csv").write_text("id,a\nx,1\n")
    (tmp_path / "events.csv").write_text("contact_id,type,timestamp\nx,visit,2026-09-21T00:00:00Z\n")
    impact = _impact(f"csv:{tmp_path}", old, old.replace("30d => 50%", "60d => 50%"))
    (mover,) = impact.model("d").score("e").movers
    assert (mover.before, mover.after, mover.rules, mover.caps, mover.decay) == (5, 10, (), 0, 5)


def test_guards_on_the_small_data_set(data):
    impact = _impact(data)

    def tripped(text):
        (result,) = check_guards([parse_guard(text)], impact)
        return result.tripped

    assert tripped("tier-change>30%") and not tripped("tier-change>34%")     # 2 of 6 = 33.3%
    assert tripped("lifecycle-change>=2") and not tripped("lifecycle-change>2")
    assert tripped("status-change>0") and not tripped("status-change>1")
    assert tripped("score-change>=5") and not tripped("score-change>5")
    assert tripped("fit-change>4") and not tripped("engagement-change>5")
    assert not tripped("m.tier-change > 50%")
    (result,) = check_guards([parse_guard("tier-change>30%")], impact)
    assert result.details == ("m: 2 of 6 contacts (33.3%) change at least one tier",)


def test_guard_grammar():
    g = parse_guard(" b2b.lifecycle-change >= 2.5% ")
    assert (g.model, g.name, g.op, float(g.amount), g.percent) == ("b2b", "lifecycle", ">=", 2.5, True)
    for bad in ("tier-change", "tier>5%", "tier-change<5", "tier-change>5%%", "-change>1", "tier-change>-1"):
        with pytest.raises(GuardError):
            parse_guard(bad)


# ------------------------------------------------------------------ helpers

def test_bucket_width_is_a_nice_number():
    assert bucket_width(5, 5) == 1
    assert bucket_width(0, 19) == 1
    assert bucket_width(0, 20) == 2
    assert bucket_width(0, 35) == 2
    assert bucket_width(-105, 200) == 20
    assert bucket_width(0, 9_999) == 500
    assert bucket_width(0, 10_000) == 1000


def test_histogram_buckets_are_aligned_and_shared():
    h = histogram({-3: 1}, {12: 2}, max_buckets=4)
    assert h.width == 5
    assert [(b.low, b.high, b.before, b.after) for b in h.buckets] == [
        (-5, -1, 1, 0), (0, 4, 0, 0), (5, 9, 0, 0), (10, 14, 0, 2)]
    assert histogram({}, {}).buckets == ()


def test_merge_schemas_reports_conflicts():
    a = DataSchema(contact={"x": TypeSpec("int")}, events={"v": {"u": TypeSpec("text")}})
    b = DataSchema(contact={"x": TypeSpec("number"), "y": TypeSpec("text")},
                   events={"v": {"u": TypeSpec("text"), "w": TypeSpec("int")}, "z": {}})
    merged, conflicts = merge_schemas(a, b)
    assert conflicts == ["contact.x"]
    assert list(merged.contact) == ["x", "y"] and set(merged.events) == {"v", "z"}
    assert merge_schemas(a, None) == (a, [])


def test_unpacked_events_pack_to_the_same_tuples():
    schema = DataSchema(contact={}, events={"e": {"d": TypeSpec("date"), "t": TypeSpec("datetime"),
                                                  "b": TypeSpec("bool"), "s": TypeSpec("text")}})
    utc = dt.timezone.utc
    events = [Event(contact_id="x", type="e", timestamp=dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=utc),
                    attrs={"d": dt.date(2025, 5, 6), "t": dt.datetime(2025, 1, 1, tzinfo=utc), "b": True, "s": "hi"}),
              Event(contact_id="x", type="e", timestamp=dt.datetime(2026, 1, 1, tzinfo=utc),
                    attrs={"d": None, "t": None, "b": None, "s": None})]
    packed = pack_events(events, schema)
    assert pack_events(unpack_events("x", packed, schema), schema) == packed


def test_a_changed_constant_is_shown_where_the_text_stays_the_same():
    c = only(changes(edit('let targets = ["cto", "cfo"]', 'let targets = ["cto", "cfo", "ceo"]')), "rule-condition")
    assert c.old_text == c.new_text == "rule exec: title in targets => +15"
    assert c.detail == 'condition changed (targets: ["cto", "cfo"] -> ["cto", "cfo", "ceo"])'
