"""The hubspot: outcome source (deals) against the fake portal: classification, paging,
contacts per deal, ids that join the source's, bad deals, retries, and scoredsl backtest."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from scoredsl.api import DataError, SpecError, epoch_micros, open_outcomes, parse_datetime
from scoredsl_hubspot.errors import RunStopped
from scoredsl_hubspot.testing import generate_deals, generate_portal

from conftest import AS_OF, RULES, TOKEN, read_rows, scoredsl, spec

UTC = dt.timezone.utc
DEALS = "/crm/v3/objects/deals"


def people(fake, n):
    return [fake.add_contact({"email": f"p{i}@x.io", "jobtitle": "VP Sales"}) for i in range(n)]


def read(fake, **options):
    return [(o.contact_id, o.outcome, o.at) for o in open_outcomes(spec(fake, **options))]


def at(text):
    return epoch_micros(parse_datetime(text))


def test_won_lost_and_open_deals_are_classified_by_hubspots_flags(fake):
    a, b, c, d = people(fake, 4)
    fake.add_deal({"dealname": "Won", "dealstage": "closedwon", "closedate": "2026-03-01T10:00:00.000Z"}, contacts=[a])
    fake.add_deal({"dealname": "Lost", "dealstage": "closedlost", "closedate": "2026-04-02T00:00:00Z"}, contacts=[b])
    fake.add_deal({"dealname": "Open", "dealstage": "contractsent", "closedate": "2026-12-01T00:00:00.000Z"},
                  contacts=[c])
    # a custom pipeline: stage ids say nothing, the calculated flags do
    fake.add_deal({"dealname": "Renewal", "pipeline": "884321", "dealstage": "1029384",
                   "hs_is_closed": "true", "hs_is_closed_won": "true", "closedate": "1767225600000"}, contacts=[d])
    fake.add_deal({"dealname": "Churned", "pipeline": "884321", "dealstage": "1029385",
                   "hs_is_closed": "true", "hs_is_closed_won": "false", "closedate": "2026-05-05"}, contacts=[d])
    assert read(fake) == [(a, "won", at("2026-03-01T10:00:00Z")), (b, "lost", at("2026-04-02T00:00:00Z")),
                          (d, "won", at("2026-01-01T00:00:00Z")), (d, "lost", at("2026-05-05T00:00:00Z"))]
    [request] = fake.calls("GET", DEALS)
    assert request.query["limit"] == ["100"] and request.query["associations"] == ["contacts"]
    assert set(request.query["properties"][0].split(",")) >= {"closedate", "hs_is_closed", "hs_is_closed_won"}
    # only some pipelines
    assert [o[1] for o in read(fake, pipelines="884321")] == ["won", "lost"]
    assert read(fake, pipelines="default,other")[:2] == [(a, "won", at("2026-03-01T10:00:00Z")),
                                                          (b, "lost", at("2026-04-02T00:00:00Z"))]


def test_paging_across_more_than_100_deals(fake):
    contacts = people(fake, 5)
    for i in range(230):
        fake.add_deal({"dealname": f"d{i}", "dealstage": "closedwon" if i % 2 else "closedlost",
                       "closedate": f"2026-02-{1 + i % 28:02d}T00:00:00.000Z"}, contacts=[contacts[i % 5]])
    outcomes = read(fake)
    assert len(outcomes) == 230
    assert sum(1 for o in outcomes if o[1] == "won") == 115
    pages = fake.calls("GET", DEALS)
    assert len(pages) == 3 and "after" not in pages[0].query
    assert pages[1].query["after"] and pages[2].query["after"]
    assert read(fake, page_size=50) == outcomes and len(fake.calls("GET", DEALS)) == 3 + 5


def test_a_deal_with_two_contacts_gives_two_outcomes_and_labels_do_not_repeat_them(fake):
    a, b, c = people(fake, 3)
    fake.add_deal({"dealname": "Team", "dealstage": "closedwon", "closedate": "2026-03-01"}, contacts=[a, b],
                  labels={a: ["decision_maker", "champion"]})       # HubSpot lists a three times
    fake.add_deal({"dealname": "Nobody", "dealstage": "closedwon", "closedate": "2026-03-02"})
    fake.add_deal({"dealname": "Later", "dealstage": "closedlost", "closedate": "2026-06-01"}, contacts=[a])
    day = at("2026-03-01")
    assert read(fake) == [(a, "won", day), (b, "won", day), (a, "lost", at("2026-06-01"))]
    assert c not in {o[0] for o in read(fake)}


def test_a_deal_with_more_than_100_contacts_reads_the_rest_of_its_associations(fake):
    contacts = people(fake, 130)
    fake.add_deal({"dealname": "Company-wide", "dealstage": "closedwon", "closedate": "2026-03-01"},
                  contacts=contacts)
    assert [o[0] for o in read(fake)] == contacts
    [rest] = [r for r in fake.requests if r.path.endswith("/associations/contacts")]
    assert rest.method == "GET" and rest.query["after"]


def test_outcome_ids_are_the_ids_the_source_gives_contacts(fake, tmp_path):
    portal = generate_deals(generate_portal(60, seed=11), seed=4)
    portal.load(fake)
    out = tmp_path / "scores.csv"
    result = scoredsl("run", str(RULES), "--source", spec(fake), "--sink", f"csv:{out}", "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.output
    scored = set(read_rows(out))
    outcomes = read(fake)
    assert outcomes and {o[0] for o in outcomes} <= scored
    assert sorted(outcomes) == sorted((c, o, at(when)) for c, o, when in portal.outcomes())


def test_a_closed_deal_without_closedate_is_an_error_naming_it(fake, tmp_path):
    a, b = people(fake, 2)
    fake.add_deal({"dealname": "Fine", "dealstage": "closedwon", "closedate": "2026-03-01"}, contacts=[a])
    bad = fake.add_deal({"dealname": "Acme expansion", "dealstage": "closedwon", "closedate": None}, contacts=[b])
    fake.add_deal({"dealname": "No contacts, no date", "dealstage": "closedlost"})      # gives nothing: no error
    fake.add_deal({"dealname": "Open, no date", "dealstage": "qualifiedtobuy"}, contacts=[a])
    with pytest.raises(DataError) as caught:
        read(fake)
    message = caught.value.describe()
    assert f"deal {bad} ('Acme expansion') is closed won but has no closedate" in message
    assert caught.value.column == "closedate" and caught.value.file.startswith("hubspot:test")
    fake.deals[bad]["properties"]["closedate"] = "next tuesday"
    with pytest.raises(DataError, match=f"deal {bad} .*closedate 'next tuesday'"):
        read(fake)
    result = scoredsl("backtest", str(RULES), "--source", spec(fake), "--outcomes", spec(fake))
    assert result.exit_code == 1 and "bad outcomes: hubspot:test" in result.stderr
    assert f"deal {bad} ('Acme expansion')" in result.stderr


def test_429_and_5xx_are_retried(fake):
    a, = people(fake, 1)
    for i in range(150):
        fake.add_deal({"dealname": f"d{i}", "dealstage": "closedwon", "closedate": "2026-03-01"}, contacts=[a])
    fake.fault_on = {1: "429", 3: "503"}
    assert len(read(fake)) == 150
    assert [(r.status, r.fault) for r in fake.calls("GET", DEALS)] == [(429, "429"), (200, None), (503, "503"),
                                                                        (200, None)]


def test_rate_limits_are_kept_not_hit():
    from scoredsl_hubspot.testing import FakeHubSpot

    with FakeHubSpot(token=TOKEN, rate_limit=4, rate_window=1.0) as fake:
        a, = people(fake, 1)
        for i in range(700):
            fake.add_deal({"dealname": f"d{i}", "dealstage": "closedlost", "closedate": "2026-03-01"}, contacts=[a])
        fake.reset_log()
        assert len(read(fake, rate_limit=4, rate_window=1, rate_margin=0.05)) == 700
        assert all(r.status == 200 for r in fake.requests) and fake.max_in_window(1.0) <= 4


def test_auth_and_give_up_errors_stop_cleanly_without_the_token(fake, monkeypatch):
    a, = people(fake, 1)
    fake.add_deal({"dealname": "x", "dealstage": "closedwon", "closedate": "2026-03-01"}, contacts=[a])
    fake.token = "another-token"
    with pytest.raises(RunStopped, match="rejected the access token from \\$HUBSPOT_ACCESS_TOKEN"):
        read(fake)
    fake.token = TOKEN
    fake.fault_rate, fake.fault_kinds = 1.0, ("503",)
    with pytest.raises(RunStopped, match="503 to reading deals") as caught:
        read(fake, max_retries=1)
    assert TOKEN not in str(caught.value)
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN")
    result = scoredsl("backtest", str(RULES), "--source", spec(fake), "--outcomes", spec(fake))
    assert result.exit_code == 2 and "cannot read outcomes 'hubspot:test" in result.stderr
    assert "HUBSPOT_ACCESS_TOKEN is not set" in result.stderr
    with pytest.raises(SpecError, match="unknown option 'events'"):
        read(fake, events="on")


def test_a_missing_deals_scope_is_named(fake):
    fake.deals_scope = False
    with pytest.raises(RunStopped, match="403, MISSING_SCOPES.*scope crm.objects.deals.read"):
        read(fake)


# ---------------------------------------------------------------- scoredsl backtest, end to end

def test_backtest_with_hubspot_contacts_and_deals_matches_the_same_data_as_files(fake, tmp_path):
    portal = generate_deals(generate_portal(400, seed=5), seed=3)
    portal.load(fake)
    portal.write_csv(tmp_path / "data")
    portal.write_outcomes(tmp_path / "data" / "outcomes.csv")
    common = ["--format", "json", "--bootstrap", "20", "--capacity", "20"]
    on_hubspot = scoredsl("backtest", str(RULES), "--source", spec(fake), "--outcomes", spec(fake), *common)
    assert on_hubspot.exit_code == 0, on_hubspot.output
    result = json.loads(on_hubspot.stdout)
    won = sum(1 for _, outcome, _ in portal.outcomes() if outcome == "won")
    lost = sum(1 for _, outcome, _ in portal.outcomes() if outcome == "lost")
    assert result["outcomes"] == {"won": won, "lost": lost}
    assert result["model"] == "leads" and result["converters"] > 0 and len(result["as_of"]) == 12
    on_files = scoredsl("backtest", str(RULES), "--source", f"csv:{tmp_path / 'data' / 'contacts.csv'}",
                        "--outcomes", str(tmp_path / "data" / "outcomes.csv"), *common)
    assert on_files.exit_code == 0, on_files.output
    assert json.loads(on_files.stdout) == result
    # outcomes are read once, source contacts once: one list page per 100 deals and per 100 contacts
    assert len(fake.calls("GET", DEALS)) == -(-len(portal.deals) // 100)
