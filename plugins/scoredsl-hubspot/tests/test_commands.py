"""scoredsl hubspot setup / check, and the hubspot-data lint of scoredsl check."""

from __future__ import annotations

import json

from conftest import RULES, scoredsl, spec

def line_of(text: str, path=RULES) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# ---------------------------------------------------------------- (9) setup

def test_setup_creates_the_group_and_typed_properties_idempotently(fake):
    result = scoredsl("hubspot", "setup", str(RULES), "--sink", spec(fake))
    assert result.exit_code == 0, result.output
    assert fake.groups["scoredsl"]["label"] == "scoredsl scores"
    p = fake.properties
    for name in ("scoredsl_leads_fit", "scoredsl_leads_engagement"):
        assert (p[name]["type"], p[name]["fieldType"], p[name]["groupName"]) == ("number", "number", "scoredsl")
    assert (p["scoredsl_leads_lifecycle"]["type"], p["scoredsl_leads_lifecycle"]["fieldType"]) == ("enumeration", "select")
    assert [o["value"] for o in p["scoredsl_leads_lifecycle"]["options"]] == ["sql", "mql", "lead"]
    assert [o["label"] for o in p["scoredsl_leads_priority"]["options"]] == ["A", "B", "C"]
    assert [o["value"] for o in p["scoredsl_leads_status"]["options"]] == ["scored", "out_of_scope", "disqualified"]
    assert (p["scoredsl_leads_reason"]["type"], p["scoredsl_leads_reason"]["fieldType"]) == ("string", "text")
    assert not p["scoredsl_leads_fit"]["formField"]
    assert "7 changed, 0 already in place" in result.stderr
    writes = [r for r in fake.requests if r.method != "GET"]
    assert len(writes) == 7                                                    # a group and six properties
    fake.reset_log()
    again = scoredsl("hubspot", "setup", str(RULES), "--sink", spec(fake))
    assert again.exit_code == 0 and "0 changed, 6 already in place" in again.stderr
    assert all(r.method == "GET" for r in fake.requests)                       # nothing written


def test_setup_adds_new_tier_labels_and_refuses_a_wrong_type(fake, tmp_path):
    assert scoredsl("hubspot", "setup", str(RULES), "--sink", spec(fake)).exit_code == 0
    rules = tmp_path / "m.score"
    rules.write_text(RULES.read_text().replace("mql: >= 35;", "mql: >= 35; warm: >= 20;"))
    dry = scoredsl("hubspot", "setup", str(rules), "--sink", spec(fake), "--dry-run")
    assert dry.exit_code == 0 and "add options  scoredsl_leads_lifecycle  warm" in dry.stdout
    assert [o["value"] for o in fake.properties["scoredsl_leads_lifecycle"]["options"]] == ["sql", "mql", "lead"]
    assert scoredsl("hubspot", "setup", str(rules), "--sink", spec(fake)).exit_code == 0
    assert [o["value"] for o in fake.properties["scoredsl_leads_lifecycle"]["options"]] == ["sql", "mql", "lead", "warm"]
    fake.properties["scoredsl_leads_fit"]["type"] = "string"
    wrong = scoredsl("hubspot", "setup", str(rules), "--sink", spec(fake))
    assert wrong.exit_code == 1 and "scoredsl_leads_fit exists as a string property; scores need number" in wrong.stderr


def test_setup_dry_run_changes_nothing(fake):
    result = scoredsl("hubspot", "setup", str(RULES), "--sink", spec(fake), "--dry-run")
    assert result.exit_code == 0 and "create group  scoredsl" in result.stdout and "7 would change" in result.stderr
    assert all(r.method == "GET" for r in fake.requests) and "scoredsl_leads_fit" not in fake.properties


def test_setup_needs_a_hubspot_sink(fake):
    result = scoredsl("hubspot", "setup", str(RULES), "--sink", "csv:-")
    assert result.exit_code == 2 and "is a csv: sink, not hubspot:" in result.stderr


# ---------------------------------------------------------------- check

def test_check_reports_rules_that_need_events_with_their_location():
    result = scoredsl("hubspot", "check", str(RULES))
    assert result.exit_code == 1
    assert f"hubspot.score:{line_of('rule pricing:')}:21: warning[HS101]: rule 'pricing' counts page_view events " \
           "matching a where filter within 60d, but source hubspot: reads no events (events=off) and maps page " \
           "views only as a count (hs_analytics_num_page_views, as page_views) and a last time " \
           "(hs_analytics_last_visit_timestamp, as last_visit): windows need the events API (e_visited_page)" \
           in result.stderr
    assert f":{line_of('rule careers:')}:21: warning[HS101]: rule 'careers' tests for a page_view event" in result.stderr
    assert "email_opens: int           <- hs_email_open  (count of email_open" in result.stdout
    assert "page_view  <- e_visited_page only with events=on" in result.stdout
    assert "2 rules need data this source cannot provide" in result.stderr
    fed = scoredsl("hubspot", "check", str(RULES), "--source", "hubspot:prod?events=on")
    assert fed.exit_code == 0, fed.output
    assert "0 rules need data this source cannot provide" in fed.stderr


EMAIL_RULES = """schema {
  contact { email_opens: int, last_open: datetime }
  event email_open { campaign: text }
  event email_bounce
  event form_submit { form: text }
}
model m {
  score engagement {
    decay inactivity { 30d => 50% } activity [email_open]
    rule first_open: each email_open => +10 once
    rule recent: count(email_open within 30d) >= 2 => +5
    rule bounced: has(email_bounce) => -50
    rule demo: has(form_submit where form == "demo") => +40
  }
}
"""


def test_check_explains_what_hubspot_cannot_provide_and_the_closest_property(tmp_path):
    rules = tmp_path / "email.score"
    rules.write_text(EMAIL_RULES)
    result = scoredsl("hubspot", "check", str(rules), "--format", "json", "--source", "hubspot:prod?events=on")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    found = {(d["code"], d["start"]["line"]): d for d in report["diagnostics"]}
    decay = found[("HS102", 9)]
    assert "decays on inactivity measured from email_open events, but HubSpot's events API has no marketing " \
           "email opens: HubSpot keeps email open events only as a count (hs_email_open, as email_opens) and a " \
           "last time (hs_email_last_open_date, as last_open)" in decay["message"]
    assert "age(last_open)" in decay["hint"]
    assert "awards points for each email_open event" in found[("HS102", 10)]["message"]
    assert "`age(last_open) <= 30d`" in found[("HS102", 11)]["hint"]
    assert "<property mapped to hs_email_bounce> >= 1` says the same" in found[("HS102", 12)]["hint"]
    demo = found[("HS103", 13)]
    assert "maps no HubSpot event type to form_submit" in demo["message"] and "event_types" in demo["hint"]
    assert [e["event"] for e in report["events"]] == ["email_open", "email_bounce", "form_submit"]


def test_check_online_verifies_the_mapped_properties(fake, tmp_path):
    rules = tmp_path / "m.score"
    rules.write_text("schema { contact { job_title: text, favorite_color: text } }\n"
                     "model m { score s { rule r: job_title is set => +1 } }\n")
    result = scoredsl("hubspot", "check", str(rules), "--source", spec(fake), "--online")
    assert result.exit_code == 1 and "HubSpot has no contact properties favorite_color" in result.stderr
    sent = len(fake.requests)
    offline = scoredsl("hubspot", "check", str(rules), "--source", spec(fake))
    assert offline.exit_code == 0 and len(fake.requests) == sent                 # no request without --online


def test_the_lint_follows_the_projects_hubspot_source(tmp_path):
    rules = tmp_path / "leads.score"
    rules.write_text(RULES.read_text())
    plain = scoredsl("check", str(rules))
    assert plain.exit_code == 0 and "HS101" not in plain.output                # no hubspot source: no warnings
    (tmp_path / "scoredsl.toml").write_text('[defaults]\nsource = "crm"\n\n[sources.crm]\nspec = "hubspot:prod"\n'
                                            'properties = { last_form = "recent_conversion_event_name" }\n')
    linted = scoredsl("check", str(rules))
    assert "warning[HS101]: rule 'pricing'" in linted.output and "the hubspot source 'crm'" in linted.output
    assert scoredsl("check", str(rules), "--strict").exit_code == 1
    (tmp_path / "scoredsl.toml").write_text('[sources.crm]\nspec = "hubspot:prod"\nevents = "on"\n')
    assert "HS101" not in scoredsl("check", str(rules)).output
