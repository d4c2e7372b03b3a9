"""The hubspot: source on small portals: property checks, the search cap with ties, events,
incremental state, bad values."""

from __future__ import annotations

import datetime as dt
import json

from conftest import AS_OF, RULES, rows_of, scoredsl, spec

UTC = dt.timezone.utc
SCHEMA_ONLY = """schema { contact { job_title: text, email_opens: int, last_open: datetime, favorite_color: text }
  event page_view { url: text } }
model m { score s {
  rule vp: job_title matches /vp/ => +10
  rule opens: email_opens >= 1 => +5
  rule pricing: count(page_view where url == "/pricing") >= 1 => +20
} }
"""


def write_rules(tmp_path, text=SCHEMA_ONLY, name="m.score"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def contacts(fake, n, when=None, **props):
    base = when or dt.datetime(2026, 3, 1, tzinfo=UTC)
    return [fake.add_contact({"jobtitle": "VP Sales", "hs_email_open": "2", **props},
                             modified=base + dt.timedelta(seconds=i)) for i in range(n)]


# ---------------------------------------------------------------- (7) missing properties

def test_missing_mapped_properties_are_listed_before_anything_is_read(fake, tmp_path):
    rules = write_rules(tmp_path)
    result = scoredsl("run", rules, "--source", spec(fake, properties="job_title:job_title_x"), "--as-of", AS_OF)
    assert result.exit_code == 2
    message = result.stderr
    assert "HubSpot has no contact properties job_title_x (for job_title), favorite_color" in message
    assert "properties = { job_title = \"jobtitle\" }" in message and "Traceback" not in result.output
    assert [r.path for r in fake.requests] == ["/crm/v3/properties/contacts"]   # one request, no contact read


def test_a_mapping_that_does_not_fit_the_schema_type(fake, tmp_path):
    rules = write_rules(tmp_path, SCHEMA_ONLY.replace("favorite_color: text", "created: int"))
    result = scoredsl("run", rules, "--source", spec(fake), "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "created: int cannot be read from createdate, a HubSpot datetime property" in result.stderr


def test_mapping_a_property_the_schema_does_not_declare(fake, tmp_path):
    rules = write_rules(tmp_path, SCHEMA_ONLY.replace(", favorite_color: text", ""))
    result = scoredsl("run", rules, "--source", spec(fake, properties="jobb_title:jobtitle"), "--as-of", AS_OF)
    assert result.exit_code == 2 and "properties maps jobb_title, which the schema does not declare" in result.stderr


# ---------------------------------------------------------------- the search cap, with ties

def test_search_restarts_at_the_cap_and_pages_through_a_tie_larger_than_the_cap(fake, tmp_path):
    fake.search_cap = 50
    early = contacts(fake, 40, dt.datetime(2026, 3, 1, tzinfo=UTC))
    tied = [fake.add_contact({"jobtitle": "VP"}, modified=dt.datetime(2026, 4, 1, tzinfo=UTC)) for _ in range(70)]
    late = contacts(fake, 45, dt.datetime(2026, 5, 1, tzinfo=UTC))
    rules = write_rules(tmp_path, SCHEMA_ONLY.replace(", favorite_color: text", ""))
    result = scoredsl("run", rules, "--source", spec(fake, since="2026-01-01", search_cap=50, search_page_size=20),
                      "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    ids = [row["contact_id"] for row in rows_of(result.stdout).values()]
    assert sorted(ids, key=int) == sorted(early + tied + late, key=int) and len(ids) == len(set(ids)) == 155
    searches = fake.calls("POST", "/crm/v3/objects/contacts/search")
    assert all(r.status == 200 for r in searches)
    tie_queries = [r for r in searches if any(f["propertyName"] == "hs_object_id" for f in r.body["filterGroups"][0]["filters"])]
    assert tie_queries and tie_queries[0].body["sorts"] == [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]


# ---------------------------------------------------------------- events

def test_events_auto_without_the_events_api_warns_and_scores_without_events(fake, tmp_path):
    fake.events_api = False
    [contact] = contacts(fake, 1, hs_analytics_num_page_views="3")
    rules = write_rules(tmp_path, SCHEMA_ONLY.replace(", favorite_color: text", ""))
    result = scoredsl("run", rules, "--source", spec(fake, events="auto"), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "the events API is not available" in result.stderr and "scoring without events" in result.stderr
    assert rows_of(result.stdout)[contact]["s"] == "15"
    on = scoredsl("run", rules, "--source", spec(fake, events="on"), "--as-of", AS_OF)
    assert on.exit_code == 2
    assert "the events API is not available for this portal" in on.stderr and "events=off" in on.stderr


def test_events_become_scoredsl_events_with_mapped_attributes(fake, tmp_path):
    active, quiet = contacts(fake, 2)
    fake.set_property(active, "hs_analytics_num_page_views", "2")
    fake.set_property(quiet, "hs_analytics_num_page_views", "0")
    fake.add_event(active, "e_visited_page", dt.datetime(2026, 10, 1, tzinfo=UTC), {"hs_url": "/pricing"})
    fake.add_event(active, "e_visited_page", dt.datetime(2026, 10, 2, tzinfo=UTC), {"hs_url": "/blog"})
    fake.add_event(active, "e_visited_page", dt.datetime(2026, 12, 2, tzinfo=UTC), {"hs_url": "/pricing"})
    fake.add_event(quiet, "e_visited_page", dt.datetime(2026, 10, 1, tzinfo=UTC), {"hs_url": "/pricing"})
    rules = write_rules(tmp_path, SCHEMA_ONLY.replace(", favorite_color: text", ""))
    result = scoredsl("run", rules, "--source", spec(fake, events="on"), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    assert rows[active]["s"] == "35"      # vp + opens + pricing
    assert rows[quiet]["s"] == "15"       # skipped: its page-view count is 0 (skip_inactive)
    [request] = fake.calls("GET", "/events/v3/events")
    assert request.query["objectId"] == [active] and request.query["eventType"] == ["e_visited_page"]
    every = scoredsl("run", rules, "--source", spec(fake, events="on", skip_inactive="false"), "--as-of", AS_OF)
    assert rows_of(every.stdout)[quiet]["s"] == "35"


def test_events_since_limits_the_events_read(fake, tmp_path):
    [contact] = contacts(fake, 1, hs_analytics_num_page_views="1")
    fake.add_event(contact, "e_visited_page", dt.datetime(2026, 1, 1, tzinfo=UTC), {"hs_url": "/pricing"})
    rules = write_rules(tmp_path, SCHEMA_ONLY.replace(", favorite_color: text", ""))
    result = scoredsl("run", rules, "--source", spec(fake, events="on", events_since="2026-06-01"), "--as-of", AS_OF)
    assert rows_of(result.stdout)[contact]["s"] == "15"
    assert fake.calls("GET", "/events/v3/events")[0].query["occurredAfter"][0].startswith("2026-06-01T00:00:00")


# ---------------------------------------------------------------- incremental state

def test_incremental_state_advances_only_after_a_complete_run(fake, tmp_path):
    ids = contacts(fake, 30)
    rules = write_rules(tmp_path, SCHEMA_ONLY.replace(", favorite_color: text", ""))
    source = spec(fake, incremental="true", overlap=0)
    first = scoredsl("run", rules, "--source", source, "--as-of", AS_OF)
    assert first.exit_code == 0 and len(rows_of(first.stdout)) == 30
    assert fake.calls("GET", "/crm/v3/objects/contacts")                     # no state yet: a full read
    state = json.loads((tmp_path / ".scoredsl-hubspot" / "test.source-state.json").read_text())
    assert state["since"] > "2026-11"
    fake.set_property(ids[3], "jobtitle", "Intern")
    fake.reset_log()
    second = scoredsl("run", rules, "--source", source, "--as-of", AS_OF)
    assert list(rows_of(second.stdout)) == [ids[3]]                          # only what changed since
    assert fake.calls("POST", "/crm/v3/objects/contacts/search") and not fake.calls("GET", "/crm/v3/objects/contacts")


def test_incremental_state_does_not_advance_when_the_hubspot_sink_fails(fake, tmp_path):
    contacts(fake, 5)
    assert scoredsl("hubspot", "setup", str(RULES), "--sink", spec(fake)).exit_code == 0
    state = tmp_path / ".scoredsl-hubspot" / "test.source-state.json"
    fake.fault_filter = lambda method, path: path.endswith("/batch/update")
    fake.fault_rate, fake.fault_kinds = 1.0, ("500",)
    failed = scoredsl("run", str(RULES), "--source", spec(fake, incremental="true"),
                      "--sink", spec(fake, max_retries=1), "--as-of", AS_OF)
    assert failed.exit_code != 0 and not state.exists()
    fake.fault_rate = 0.0
    assert scoredsl("run", str(RULES), "--source", spec(fake, incremental="true"), "--sink", spec(fake),
                    "--as-of", AS_OF).exit_code == 0
    assert state.exists()


# ---------------------------------------------------------------- bad values

def test_a_value_that_does_not_fit_names_the_contact_and_property(fake, tmp_path):
    good, bad = contacts(fake, 2)
    fake.set_property(bad, "hs_email_open", "lots")
    rules = write_rules(tmp_path, SCHEMA_ONLY.replace(", favorite_color: text", ""))
    result = scoredsl("run", rules, "--source", spec(fake), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert f"column 'email_opens': contact {bad}" in result.stderr and "HubSpot property hs_email_open" in result.stderr
    skipped = scoredsl("run", rules, "--source", spec(fake), "--as-of", AS_OF, "--on-error", "skip")
    assert skipped.exit_code == 0 and list(rows_of(skipped.stdout)) == [good]


def test_hubspot_value_formats(fake, tmp_path):
    """Numbers as "3.0", datetimes as epoch milliseconds, dates with a midnight time."""
    [contact] = contacts(fake, 1, hs_email_open="3.0", hs_email_last_open_date="1790000000000")
    rules = write_rules(tmp_path, SCHEMA_ONLY.replace(", favorite_color: text", "").replace(
        "rule opens: email_opens >= 1 => +5", "rule opens: email_opens == 3 and last_open > 2026-09-01 => +5"))
    result = scoredsl("run", rules, "--source", spec(fake), "--as-of", AS_OF)
    assert rows_of(result.stdout)[contact]["s"] == "15", result.output
