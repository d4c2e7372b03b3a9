"""The HTTP client: pacing, retries, 429 policies, ambiguous writes, and messages without the token."""

from __future__ import annotations

import time

import pytest

from scoredsl.data.specs import parse_spec
from scoredsl_hubspot.client import HubSpotClient
from scoredsl_hubspot.errors import AmbiguousWrite, DailyLimitReached, HubSpotError, RequestFailed
from scoredsl_hubspot.options import client_settings
from scoredsl_hubspot.pacing import RollingWindow
from scoredsl_hubspot.testing import FakeHubSpot

from conftest import TOKEN

PROPS = "/crm/v3/properties/contacts"


def client_for(fake, **options) -> HubSpotClient:
    values = {"rate_limit": 100_000, "search_rate": 10_000, "backoff": 0.01, **options}
    query = "&".join(f"{k}={v}" for k, v in values.items())
    return HubSpotClient(client_settings(parse_spec(f"hubspot:t?base_url={fake.url}&{query}")), TOKEN)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_rolling_window_spaces_acquisitions():
    clock = Clock()
    window = RollingWindow(3, 10.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(7):
        window.acquire()
        times.append(clock.now)
    assert times == [0, 0, 0, 10, 10, 10, 20]
    window.block_for(5)                       # after a 429: nobody sends for 5 s
    window.acquire()
    assert clock.now == 25
    window.acquire()                          # [20, 25, 25] in the window: the next waits for 20 to expire
    window.acquire()
    assert clock.now == 30


def test_pacing_keeps_within_the_servers_window():
    with FakeHubSpot(token=TOKEN, rate_limit=5, rate_window=1.0) as fake:
        client = client_for(fake, rate_limit=5, rate_window=1, rate_margin=0.05)
        started = time.monotonic()
        for _ in range(16):
            client.request("GET", PROPS)
        assert time.monotonic() - started >= 3.0
        assert fake.max_in_window(1.0) <= 5
        assert not [r for r in fake.requests if r.status == 429]


def test_search_is_paced_to_its_own_rate():
    with FakeHubSpot(token=TOKEN, rate_limit=1000, search_rate=5) as fake:
        client = client_for(fake, rate_limit=1000, search_rate=4)
        for _ in range(10):
            client.request("POST", "/crm/v3/objects/contacts/search", json_body={"limit": 1}, kind="search")
            client.request("GET", PROPS)          # other requests are not held back by search pacing
        assert fake.max_in_window(1.0, path_prefix="/crm/v3/objects/contacts/search") <= 4
        assert not [r for r in fake.requests if r.status == 429]


def test_secondly_429_waits_and_retries(fake):
    fake.fault_on = {1: "429"}
    client = client_for(fake)
    started = time.monotonic()
    assert client.request("GET", PROPS).status == 200
    assert time.monotonic() - started >= 1.0                 # Retry-After: 1
    assert client.stats.rate_limited == 1 and len(fake.requests) == 2


def test_daily_429_stops_at_once(fake):
    client = client_for(fake)
    client.request("GET", PROPS)
    fake.daily_limit = 1                      # another integration used the rest of today's budget
    with pytest.raises(DailyLimitReached, match="daily API limit") as caught:
        client.request("GET", PROPS)
    assert len(fake.requests) == 2 and fake.requests[-1].policy == "DAILY"
    assert TOKEN not in str(caught.value)


def test_daily_remaining_header_and_budget_stop_before_sending(fake):
    fake.daily_limit = 3
    client = client_for(fake)
    for _ in range(3):
        client.request("GET", PROPS)
    with pytest.raises(DailyLimitReached, match="0 requests remain today"):
        client.request("GET", PROPS)
    assert len(fake.requests) == 3                            # not even sent
    fake.new_day()
    budget = client_for(fake, daily_limit=2)
    budget.request("GET", PROPS)
    budget.request("GET", PROPS)
    with pytest.raises(DailyLimitReached, match="daily_limit=2"):
        budget.request("GET", PROPS)


def test_5xx_and_connection_errors_are_retried_with_backoff(fake):
    fake.fault_on = {1: "500", 2: "reset", 3: "502"}
    client = client_for(fake)
    assert client.request("GET", PROPS).status == 200
    assert client.stats.retries == 3 and len(fake.requests) == 4


def test_retries_are_bounded(fake):
    fake.fault_on = {n: "503" for n in range(1, 10)}
    client = client_for(fake, max_retries=2)
    with pytest.raises(RequestFailed, match="gave up after 3 attempts") as caught:
        client.request("GET", PROPS, what="reading the contact properties")
    assert len(fake.requests) == 3 and "503" in str(caught.value)


def test_backoff_grows_with_jitter(fake):
    fake.fault_on = {n: "500" for n in range(1, 5)}
    delays = []
    settings = client_settings(parse_spec(f"hubspot:t?base_url={fake.url}&backoff=1&backoff_cap=3&max_retries=4"))
    client = HubSpotClient(settings, TOKEN, sleep=delays.append)
    client.request("GET", PROPS)
    assert [0.5 <= d / 1 <= 1 for d in delays[:1]] == [True]
    # doubling (1, 2, 4, 8) capped at 3, then jittered down to half: 1-2, then 1.5-3 twice
    assert 1 <= delays[1] <= 2 and 1.5 <= delays[2] <= 3 and 1.5 <= delays[3] <= 3


@pytest.mark.parametrize("fault", ["drop_after", "504_after", "reset", "500"])
def test_a_write_that_may_have_landed_is_not_retried_blindly(fake, fault):
    fake.fault_on = {1: fault}
    client = client_for(fake)
    with pytest.raises(AmbiguousWrite):
        client.request("POST", "/crm/v3/objects/contacts/batch/update", json_body={"inputs": []}, write=True)
    assert len(fake.requests) == 1


def test_other_errors_carry_hubspots_message_without_the_token(fake):
    client = client_for(fake)
    with pytest.raises(HubSpotError) as caught:
        client.request("POST", "/crm/v3/objects/contacts/batch/update", json_body={"inputs": [{"id": "1"}] * 101},
                       what="a batch update")
    assert caught.value.status == 400 and "VALIDATION_ERROR" in str(caught.value) and "correlationId" in str(caught.value)
    wrong = HubSpotClient(client.settings, "not-the-token")
    with pytest.raises(HubSpotError, match=r"rejected the access token from \$HUBSPOT_ACCESS_TOKEN \(401") as caught:
        wrong.request("GET", PROPS)
    assert "not-the-token" not in str(caught.value) and TOKEN not in repr(client)
