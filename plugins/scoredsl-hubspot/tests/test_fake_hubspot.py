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
