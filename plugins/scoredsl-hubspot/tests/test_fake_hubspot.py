"""The fake HubSpot server answers like HubSpot: these tests pin the shapes the plugin relies on.

Where the shapes come from (HubSpot's public documentation and HubSpot's own client code):

* CRM search: ``POST /crm/v3/objects/{object}/search`` with ``filterGroups`` (OR of ANDed
  ``filters``), ``sorts``, ``properties``, ``limit``, ``after``; a page of at most 200; at most
  10,000 results per query (paging beyond is a 400); five requests per second per account
  (earlier four): https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm,
  https://developers.hubspot.com/docs-beta/crm/search,
  https://developers.hubspot.com/changelog/crm-search-api-rate-limit-increase
* Batch update: ``POST /crm/v3/objects/contacts/batch/update`` with ``{"inputs": [{"id",
  "properties"}]}``; the answer's ``status``, ``results``, ``startedAt``, ``completedAt`` and, for
  partial failures (207), ``errors`` and ``numErrors``; an empty string clears a value:
  https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/update-contacts,
  https://developers.hubspot.com/docs/api-reference/2026-03/crm/objects/contacts/batch/update-contacts.md
  (batch inputs are limited to 100 per request).
* Rate limits of private apps: 190 requests per 10 seconds for Professional and Enterprise
  (100 for Free and Starter), daily limits of 650,000 / 1,000,000:
  https://developers.hubspot.com/changelog/increasing-our-api-limits,
  https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines.md,
  https://developers.HubSpot.com/docs/api/usage-details
* Rate-limit headers ``X-HubSpot-RateLimit-Daily``, ``-Daily-Remaining``, ``-Interval-Milliseconds``,
  ``-Max``, ``-Remaining``:
  https://developers.hubspot.com/changelog/2018-11-06-rate-limit-information-headers-will-be-included-in-http-responses,
  https://developers.hubspot.com/changelog/rate-limit-headers-will-now-appear-for-oauth-authenticated-calls
* The 429 body (``status``, ``message``, ``errorType`` ``RATE_LIMIT``, ``correlationId``,
  ``policyName`` ``DAILY`` or ``TEN_SECONDLY_ROLLING``), quoted from the usage guidelines in
  https://community.hubspot.com/t5/APIs-Integrations/Hubspot-User-experience/m-p/511716
* Error bodies (``status``, ``message``, ``correlationId``, ``category``, ``errors``):
  https://developers.hubspot.com/docs/faq/api-error-responses,
  https://developers.hubspot.com/changelog/upcoming-changes-to-error-responses
* Events: ``GET /events/v3/events`` with ``objectType``, ``objectId`` (required unless an
  ``objectProperty.*`` is given), ``eventType`` (e.g. ``e_visited_page``), ``occurredAfter``,
  ``occurredBefore``, ``after``, ``limit`` (default 20), ``sort``; Enterprise only; marketing
  email events are not in it:
  https://developers.hubspot.com/docs/guides/api/analytics-and-events/event-analytics,
  https://developers.hubspot.com/docs/api-reference/2026-03/events/retrieve-events/get-events.md,
  HubSpot/hubspot-api-python ``hubspot/events/api/events_api.py``.
* Deals: ``GET /crm/v3/objects/deals`` takes ``associations`` (object types whose associated
  ids to return; unknown ones are ignored) besides ``limit``, ``after``, ``properties``,
  ``archived``; each result then carries ``associations.contacts.results`` of ``{"id",
  "type"}`` (HubSpot/hubspot-api-python ``hubspot/crm/deals/api/basic_api.py`` and the models
  ``SimplePublicObjectWithAssociations``, ``CollectionResponseAssociatedId``,
  ``AssociatedId``). A contact is listed once per association label (``deal_to_contact`` and
  each label), and more than 100 associations are paged per object with
  ``paging.next.after``, read on from ``/crm/v3/objects/deals/ID/associations/contacts``:
  https://community.hubspot.com/t5/APIs-Integrations/Object-data-fetch-sorting-out-associations/td-p/658333,
  https://developers.hubspot.com/changelog/announcing-a-change-to-how-v3-crm-apis-return-association-data.
  Without ``properties`` a deal shows ``amount``, ``closedate``, ``createdate``, ``dealname``,
  ``dealstage``, ``hs_lastmodifieddate``, ``hs_object_id``, ``pipeline``, and an open deal has
  a ``closedate`` too (its expected close): a list payload quoted at
  https://prismatic.io/docs/example-payloads/hubspot/actions/listDeals.json. Reading deals
  needs the scope ``crm.objects.deals.read``:
  https://developers.hubspot.com/docs/api-reference/latest/crm/objects/deals/guide.md.
  ``hs_is_closed`` and ``hs_is_closed_won`` are calculated from the deal's stage, "true" or
  "false". That a deal without contacts has no ``associations`` key is the fake's choice.
* Objects list (``GET /crm/v3/objects/contacts``: ``limit`` up to 100, ``after``,
  ``properties``, ``paging.next.after``), properties and property groups
  (``/crm/v3/properties/contacts``, ``.../groups``; types ``string``, ``number``, ``date``,
  ``datetime``, ``enumeration``, ``bool`` with their field types): HubSpot's CRM API reference,
  https://developers.hubspot.com/docs/api-reference/ (objects and properties sections).

Details the documentation does not pin down are the fake's choices, marked as such below.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from scoredsl_hubspot.testing import FakeHubSpot

from conftest import TOKEN

UTC = dt.timezone.utc


@pytest.fixture()
def http(fake):
    with httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def add(fake, n, **props):
    return [fake.add_contact({"email": f"c{i}@x.io", **props},
                             modified=dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=i)) for i in range(n)]


def test_list_pages_with_after(fake, http):
    ids = add(fake, 250)
    first = http.get("/crm/v3/objects/contacts", params={"limit": 100, "properties": "email,jobtitle"}).json()
    assert [r["id"] for r in first["results"]] == ids[:100]
    assert first["results"][0]["properties"] == {"email": "c0@x.io", "jobtitle": None, "hs_object_id": ids[0],
                                                 "createdate": first["results"][0]["properties"]["createdate"],
                                                 "lastmodifieddate": "2026-01-01T00:00:00.000Z"}
    assert set(first["results"][0]) == {"id", "properties", "createdAt", "updatedAt", "archived"}
    after = first["paging"]["next"]["after"]
    second = http.get("/crm/v3/objects/contacts", params={"limit": 100, "after": after}).json()
    third = http.get("/crm/v3/objects/contacts", params={"limit": 100,
                                                         "after": second["paging"]["next"]["after"]}).json()
    assert [r["id"] for r in second["results"] + third["results"]] == ids[100:]
    assert "paging" not in third
    assert http.get("/crm/v3/objects/contacts", params={"limit": 101}).status_code == 400


def test_search_filters_sorts_pages_and_caps(fake, http):
    add(fake, 30)
    fake.search_cap = 20                       # HubSpot: 10,000; smaller here to see the edge
    body = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE",
                                           "value": str(int(dt.datetime(2026, 1, 1, 0, 5, tzinfo=UTC).timestamp() * 1000))}]}],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}], "limit": 10,
            "properties": ["email"]}
    page = http.post("/crm/v3/objects/contacts/search", json=body).json()
    assert page["total"] == 25 and page["results"][0]["properties"]["email"] == "c5@x.io"
    assert page["paging"]["next"]["after"] == "10"
    page = http.post("/crm/v3/objects/contacts/search", json={**body, "after": "10"}).json()
    assert page["results"][0]["properties"]["email"] == "c15@x.io" and page["paging"]["next"]["after"] == "20"
    capped = http.post("/crm/v3/objects/contacts/search", json={**body, "after": "20"})
    assert capped.status_code == 400 and capped.json()["category"] == "VALIDATION_ERROR"
    assert http.post("/crm/v3/objects/contacts/search", json={**body, "limit": 201}).status_code == 400
    assert "X-HubSpot-RateLimit-Remaining" not in capped.headers     # the fake's choice for search


def test_batch_update_limits_and_errors(fake, http):
    ids = add(fake, 3)
    fake.properties["score"] = {**fake.properties["jobtitle"], "name": "score", "type": "number",
                                "fieldType": "number", "modificationMetadata": {"readOnlyValue": False}}
    too_many = http.post("/crm/v3/objects/contacts/batch/update",
                         json={"inputs": [{"id": ids[0], "properties": {"score": "1"}}] * 101})
    assert too_many.status_code == 400 and too_many.json()["category"] == "VALIDATION_ERROR"
    body = too_many.json()
    assert set(body) >= {"status", "message", "correlationId", "category"} and body["status"] == "error"
    bad = http.post("/crm/v3/objects/contacts/batch/update",
                    json={"inputs": [{"id": ids[0], "properties": {"score": "high"}}]})
    assert bad.status_code == 400 and fake.updates == {}
    ok = http.post("/crm/v3/objects/contacts/batch/update",
                   json={"inputs": [{"id": ids[0], "properties": {"score": "7"}},
                                    {"id": "999999", "properties": {"score": "1"}}]})
    assert ok.status_code == 207
    assert ok.json()["errors"][0]["category"] == "OBJECT_NOT_FOUND" and ok.json()["errors"][0]["context"]["ids"] == ["999999"]
    assert fake.value(ids[0], "score") == "7" and fake.updates == {ids[0]: 1}
    assert fake.value(ids[0], "lastmodifieddate") > "2026-01-02"          # an update is a modification
    http.post("/crm/v3/objects/contacts/batch/update", json={"inputs": [{"id": ids[0], "properties": {"score": ""}}]})
    assert fake.value(ids[0], "score") is None                             # "" clears


def test_rate_limits_answer_429_with_hubspots_body_and_headers(http):
    with FakeHubSpot(token=TOKEN, rate_limit=3, rate_window=10, daily_limit=5) as fake, \
            httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        answers = [client.get("/crm/v3/properties/contacts") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["X-HubSpot-RateLimit-Max"] == "3"
        assert answers[2].headers["X-HubSpot-RateLimit-Remaining"] == "0"
        assert answers[0].headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        assert answers[1].headers["X-HubSpot-RateLimit-Daily-Remaining"] == "3"
        body = answers[3].json()
        assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
        assert set(body) >= {"status", "message", "correlationId", "policyName"}
        assert int(answers[3].headers["Retry-After"]) >= 1
        fake.reset_log()                                                    # the window empties
        assert [client.get("/crm/v3/properties/contacts").status_code for _ in range(3)] == [200, 200, 429]
        daily = client.get("/crm/v3/properties/contacts")
        assert daily.json()["policyName"] == "DAILY" and daily.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
        fake.new_day()
        fake.reset_log()
        assert client.get("/crm/v3/properties/contacts").status_code == 200
        assert fake.max_in_window() == 1


def test_authentication(fake):
    with httpx.Client(base_url=fake.url, headers={"Authorization": "Bearer wrong"}) as client:
        answer = client.get("/crm/v3/properties/contacts")
    assert answer.status_code == 401 and answer.json()["category"] == "INVALID_AUTHENTICATION"


def test_properties_and_groups(fake, http):
    assert http.post("/crm/v3/properties/contacts/groups", json={"name": "scores", "label": "Scores"}).status_code == 201
    assert http.post("/crm/v3/properties/contacts/groups", json={"name": "scores", "label": "Scores"}).status_code == 409
    definition = {"name": "fit", "label": "Fit", "type": "number", "fieldType": "number", "groupName": "scores"}
    assert http.post("/crm/v3/properties/contacts", json=definition).status_code == 201
    again = http.post("/crm/v3/properties/contacts", json=definition)
    assert again.status_code == 409 and again.json()["category"] == "OBJECT_ALREADY_EXISTS"
    assert http.post("/crm/v3/properties/contacts", json={**definition, "name": "x", "groupName": "nope"}).status_code == 400
    assert http.post("/crm/v3/properties/contacts", json={**definition, "name": "y", "type": "enumeration",
                                                          "fieldType": "select"}).status_code == 400   # no options
    names = {p["name"]: p for p in http.get("/crm/v3/properties/contacts").json()["results"]}
    assert names["fit"]["type"] == "number" and names["hs_email_open"]["type"] == "number"
    assert {g["name"] for g in http.get("/crm/v3/properties/contacts/groups").json()["results"]} >= {"scores"}


def test_events_api(fake, http):
    [contact] = add(fake, 1)
    for day in (1, 2, 3):
        fake.add_event(contact, "e_visited_page", dt.datetime(2026, 10, day, tzinfo=UTC), {"hs_url": f"/p{day}"})
    page = http.get("/events/v3/events", params={"objectType": "contact", "objectId": contact,
                                                 "eventType": "e_visited_page", "limit": 2}).json()
    assert [e["properties"]["hs_url"] for e in page["results"]] == ["/p1", "/p2"]
    assert set(page["results"][0]) == {"objectType", "objectId", "eventType", "occurredAt", "id", "properties"}
    rest = http.get("/events/v3/events", params={"objectType": "contact", "objectId": contact, "limit": 2,
                                                 "after": page["paging"]["next"]["after"]}).json()
    assert [e["occurredAt"] for e in rest["results"]] == ["2026-10-03T00:00:00.000Z"] and "paging" not in rest
    assert http.get("/events/v3/events", params={"objectType": "contact"}).status_code == 400   # objectId needed
    fake.events_api = False
    refused = http.get("/events/v3/events", params={"objectType": "contact", "objectId": contact})
    assert refused.status_code == 403 and refused.json()["category"] == "MISSING_SCOPES"


def test_faults_on_the_nth_request_and_recording(fake, http):
    add(fake, 1)
    fake.fault_on = {2: "503", 3: "reset"}
    assert http.get("/crm/v3/properties/contacts").status_code == 200
    assert http.get("/crm/v3/properties/contacts").status_code == 503
    with pytest.raises(httpx.TransportError):
        http.get("/crm/v3/properties/contacts")
    assert [r.fault for r in fake.requests] == [None, "503", "reset"]
    assert [r.status for r in fake.requests] == [200, 503, 0]


def test_deals_list_with_properties_associations_and_paging(fake, http):
    a, b = add(fake, 2)
    won = fake.add_deal({"dealname": "Big one", "dealstage": "closedwon", "closedate": "2026-03-01T10:00:00.000Z",
                         "amount": "5000"}, contacts=[a, b], labels={b: ["decision_maker"]})
    open_ = fake.add_deal({"dealname": "Maybe", "dealstage": "contractsent",
                           "closedate": "2026-12-01T00:00:00.000Z"}, contacts=[a])
    lonely = fake.add_deal({"dealname": "Nobody", "dealstage": "closedlost", "closedate": "2026-02-01T00:00:00Z"})
    for i in range(120):
        fake.add_deal({"dealname": f"d{i}", "dealstage": "qualifiedtobuy"}, contacts=[a])
    params = {"limit": 100, "properties": "dealname,closedate,hs_is_closed,hs_is_closed_won",
              "associations": "contacts"}
    first = http.get("/crm/v3/objects/deals", params=params).json()
    deals = {d["id"]: d for d in first["results"]}
    assert list(deals)[:3] == [won, open_, lonely] and len(deals) == 100
    big = deals[won]
    assert set(big) == {"id", "properties", "createdAt", "updatedAt", "archived", "associations"}
    assert big["properties"] == {"dealname": "Big one", "closedate": "2026-03-01T10:00:00.000Z",
                                 "hs_is_closed": "true", "hs_is_closed_won": "true", "hs_object_id": won,
                                 "createdate": big["properties"]["createdate"],
                                 "hs_lastmodifieddate": big["properties"]["hs_lastmodifieddate"]}
    assert big["associations"] == {"contacts": {"results": [
        {"id": a, "type": "deal_to_contact"}, {"id": b, "type": "deal_to_contact"},
        {"id": b, "type": "decision_maker"}]}}                                   # once per label
    assert deals[open_]["properties"]["hs_is_closed"] == "false"
    assert deals[open_]["properties"]["closedate"] == "2026-12-01T00:00:00.000Z"   # the expected close
    assert deals[lonely]["properties"]["hs_is_closed_won"] == "false" and "associations" not in deals[lonely]
    second = http.get("/crm/v3/objects/deals", params={**params, "after": first["paging"]["next"]["after"]}).json()
    assert len(second["results"]) == 23 and "paging" not in second
    plain = http.get("/crm/v3/objects/deals", params={"limit": 1}).json()["results"][0]
    assert set(plain["properties"]) == {"amount", "closedate", "createdate", "dealname", "dealstage",
                                        "hs_lastmodifieddate", "hs_object_id", "pipeline"}
    assert "associations" not in plain and plain["properties"]["pipeline"] == "default"
    assert http.get("/crm/v3/objects/deals", params={"limit": 101}).status_code == 400
    ignored = http.get("/crm/v3/objects/deals", params={"limit": 1, "associations": "nonsense"}).json()
    assert "associations" not in ignored["results"][0]


def test_deal_associations_beyond_100_are_paged(fake, http):
    contacts = add(fake, 130)
    deal = fake.add_deal({"dealname": "Company-wide", "dealstage": "closedwon", "closedate": "2026-03-01"},
                         contacts=contacts)
    listed = http.get("/crm/v3/objects/deals", params={"associations": "contacts"}).json()["results"][0]
    block = listed["associations"]["contacts"]
    assert [e["id"] for e in block["results"]] == contacts[:100]
    after = block["paging"]["next"]["after"]
    assert block["paging"]["next"]["link"].endswith(f"/crm/v3/objects/deals/{deal}/associations/contacts?after={after}")
    rest = http.get(f"/crm/v3/objects/deals/{deal}/associations/contacts", params={"after": after}).json()
    assert [e["id"] for e in rest["results"]] == contacts[100:] and "paging" not in rest
    small = http.get(f"/crm/v3/objects/deals/{deal}/associations/contacts", params={"limit": 60}).json()
    assert len(small["results"]) == 60 and small["paging"]["next"]["after"]
    assert http.get("/crm/v3/objects/deals/1/associations/contacts").status_code == 404
    with pytest.raises(KeyError):
        fake.add_deal({"dealstage": "closedwon"}, contacts=["999999"])           # no such contact


def test_deals_share_authentication_rate_limits_and_scopes():
    with FakeHubSpot(token=TOKEN, rate_limit=2, rate_window=10) as fake, \
            httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        fake.add_deal({"dealstage": "closedwon"})
        with httpx.Client(base_url=fake.url, headers={"Authorization": "Bearer wrong"}) as stranger:
            assert stranger.get("/crm/v3/objects/deals").status_code == 401
        answers = [client.get("/crm/v3/objects/deals") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[0].headers["X-HubSpot-RateLimit-Max"] == "2"
        assert answers[2].json()["policyName"] == "TEN_SECONDLY_ROLLING"
    with FakeHubSpot(token=TOKEN, deals_scope=False) as fake, \
            httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        refused = client.get("/crm/v3/objects/deals")
        assert refused.status_code == 403 and refused.json()["category"] == "MISSING_SCOPES"
