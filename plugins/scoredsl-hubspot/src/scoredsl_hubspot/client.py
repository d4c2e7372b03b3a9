"""The HTTP client: authentication, pacing, retries and HubSpot's error shapes, in one place.

Every request goes through :meth:`HubSpotClient.request`:

1. the daily budget is checked (``daily_limit`` requests per process, and HubSpot's own
   ``X-HubSpot-RateLimit-Daily-Remaining``): when it is used up the client stops with
   :class:`DailyLimitReached` instead of sending;
2. the ten-second window (``rate_limit`` per ``rate_window``), and for search the per-second
   window, wait for a free slot;
3. the request is sent with ``Authorization: Bearer TOKEN`` (the token comes from the
   environment and never appears in a message);
4. the answer decides:

   * 2xx (200, 201, 207): returned;
   * 429 with ``policyName`` ``DAILY``: :class:`DailyLimitReached` (never retried);
   * any other 429 (``TEN_SECONDLY_ROLLING``, ``SECONDLY``): the whole client waits
     ``Retry-After`` seconds (or one second) and sends again, at most ``MAX_429`` times;
   * 5xx, or a broken connection: retried after a jittered exponential backoff
     (``backoff * 2**attempt``, times 0.5 to 1, at most ``backoff_cap``), at most
     ``max_retries`` times, then :class:`RequestFailed`. A *write* that may have reached
     HubSpot (the connection broke after sending, or a 5xx) is not retried blindly: it raises
     :class:`AmbiguousWrite`, and the sink re-reads the records to see what was applied;
   * other 4xx: :class:`HubSpotError` with HubSpot's ``message``, ``category`` and
     ``correlationId``.

:attr:`HubSpotClient.stats` counts what happened, for progress lines and measurements.
"""

from __future__ import annotations

import collections
import json
import random
import time
from typing import Any, Callable, Mapping

import attrs
import httpx

from .errors import AmbiguousWrite, DailyLimitReached, HubSpotError, RequestFailed, redact
from .options import ClientSettings
from .pacing import RollingWindow

__all__ = ["HubSpotClient", "Response", "Stats"]

MAX_429 = 30
_USER_AGENT = "scoredsl-hubspot"


@attrs.define
class Stats:
    requests: int = 0                      # sent (each retry counts)
    by_kind: collections.Counter = attrs.field(factory=collections.Counter)
    retries: int = 0                       # 5xx and connection errors retried
    rate_limited: int = 0                  # 429s received (secondly policies)
    waited: float = 0.0                    # seconds spent waiting for the pacer or a 429
    started: float = attrs.field(factory=time.monotonic)
    daily_remaining: int | None = None     # as HubSpot last said


@attrs.frozen
class Response:
    status: int
    body: Any
    headers: Mapping[str, str]


class HubSpotClient:
    def __init__(self, settings: ClientSettings, token: str, *, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None):
        self.settings = settings
        self._token = token
        self._sleep = sleep
        self._random = rng or random.Random()
        self.window = RollingWindow(settings.rate_limit, settings.rate_window, margin=settings.rate_margin,
                                    sleep=sleep)
        self.search_window = RollingWindow(settings.search_rate, 1.0, margin=min(settings.rate_margin, 0.1),
                                           sleep=sleep)
        self.stats = Stats()
        self._http = httpx.Client(base_url=settings.base_url, timeout=settings.timeout, transport=transport,
                                  headers={"Authorization": f"Bearer {token}", "User-Agent": _USER_AGENT,
                                           "Accept": "application/json"})
        self.cache: dict[str, Any] = {}    # e.g. the properties definitions, read once per process

    def __repr__(self) -> str:
        return f"<HubSpotClient {self.settings.text} at {self.settings.base_url}>"

    def close(self) -> None:
        self._http.close()

    # ---------------------------------------------------------------- the one way to send
    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json_body: Any = None, kind: str = "read", write: bool = False, what: str = "") -> Response:
        """Send one request with pacing and retries; see the module docs for what is retried.

        ``kind`` names the request in :attr:`stats` (``list``, ``search``, ``update``, ...);
        ``kind == "search"`` is also paced by the search window. ``write`` marks requests that
        must not be repeated blindly. ``what`` describes the request in error messages."""
        what = what or f"{method} {path}"
        attempt = 0
        limited = 0
        while True:
            self._check_budget(what)
            waited = self.window.acquire()
            if kind == "search":
                waited += self.search_window.acquire()
            self.stats.waited += waited
            self.stats.requests += 1
            self.stats.by_kind[kind] += 1
            try:
                response = self._http.request(method, path, params=params, json=json_body)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                problem = f"cannot connect to {self.settings.base_url}: {type(exc).__name__}"
            except httpx.TransportError as exc:  # read/write errors, timeouts, dropped connections
                problem = f"the connection failed during {what}: {type(exc).__name__}"
                if write:
                    raise AmbiguousWrite(self._safe(f"{problem}; HubSpot may or may not have applied it")) from None
            else:
                self._note_headers(response.headers)
                status = response.status_code
                if 200 <= status < 300:
                    return Response(status, _json(response), response.headers)
                body = _json(response)
                if status == 429:
                    policy = body.get("policyName") if isinstance(body, dict) else None
                    if policy == "DAILY":
                        raise DailyLimitReached(self._safe(
                            "HubSpot's daily API limit for this portal is used up (429, policy DAILY"
                            f"{_correlation(body)}); it resets at midnight in the portal's time zone"),
                            status=429, category="RATE_LIMITS")
                    limited += 1
                    self.stats.rate_limited += 1
                    if limited > MAX_429:
                        raise RequestFailed(self._safe(f"{what}: HubSpot answered 429 ({policy}) {limited} times "
                                                       "in a row; giving up"), status=429)
                    self._wait_after_429(response, kind, policy)
                    continue
                if status >= 500:
                    problem = f"HubSpot answered {status} to {what}{_correlation(body)}"
                    if write:
                        raise AmbiguousWrite(self._safe(f"{problem}; HubSpot may or may not have applied it"),
                                             status=status)
                else:
                    raise self._error(status, body, what)
            attempt += 1
            if attempt > self.settings.max_retries:
                raise RequestFailed(self._safe(f"{problem} (gave up after {attempt} attempts)"))
            self.stats.retries += 1
            delay = min(self.settings.backoff_cap, self.settings.backoff * 2 ** (attempt - 1))
            delay *= 0.5 + self._random.random() / 2
            self.stats.waited += delay
            self._sleep(delay)

    # ---------------------------------------------------------------- helpers
    def _check_budget(self, what: str) -> None:
        limit = self.settings.daily_limit
        if limit is not None and self.stats.requests >= limit:
            raise DailyLimitReached(f"the daily API limit set for this run (daily_limit={limit:,} requests) is "
                                    f"used up, before {what}")
        remaining = self.stats.daily_remaining
        if remaining is not None and remaining <= self.settings.daily_reserve:
            raise DailyLimitReached(f"HubSpot's daily API limit for this portal is used up: {remaining:,} requests "
                                    f"remain today (X-HubSpot-RateLimit-Daily-Remaining; daily_reserve="
                                    f"{self.settings.daily_reserve:,}), before {what}; it resets at midnight in the "
                                    "portal's time zone")

    def _note_headers(self, headers: Mapping[str, str]) -> None:
        remaining = headers.get("X-HubSpot-RateLimit-Daily-Remaining")
        if remaining is not None and remaining.strip().isdigit():
            self.stats.daily_remaining = int(remaining)

    def _wait_after_429(self, response: httpx.Response, kind: str, policy: str | None) -> None:
        seconds = 1.0
        retry_after = response.headers.get("Retry-After", "").strip()
        if retry_after.replace(".", "", 1).isdigit():
            seconds = max(float(retry_after), 0.1)
        elif response.headers.get("X-HubSpot-RateLimit-Remaining", "").strip() == "0":
            interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds", "").strip()
            if interval.isdigit():
                seconds = int(interval) / 1000 / 2
        seconds *= 1 + self._random.random() / 10
        self.stats.waited += seconds
        if kind == "search" and policy != "TEN_SECONDLY_ROLLING":
            self.search_window.block_for(seconds)     # only search is limited
        else:
            self.window.block_for(seconds)            # every request of this client waits

    def _error(self, status: int, body: Any, what: str) -> HubSpotError:
        message = body.get("message") if isinstance(body, dict) else None
        category = body.get("category") if isinstance(body, dict) else None
        correlation = body.get("correlationId") if isinstance(body, dict) else None
        if status == 401:
            text = (f"HubSpot rejected the access token from ${self.settings.token_env} (401"
                    f"{', ' + category if category else ''}): check that the private app's token is current")
        elif status == 403:
            text = (f"HubSpot refused {what} (403{', ' + category if category else ''}): "
                    f"{message or 'the private app lacks a scope'}")
            scopes = [scope for error in (body.get("errors") or [] if isinstance(body, dict) else [])
                      if isinstance(error, dict) for scope in (error.get("context") or {}).get("requiredScopes", [])]
            if scopes:
                text += f" (the private app needs the scope {', '.join(dict.fromkeys(scopes))})"
        else:
            text = f"HubSpot rejected {what} ({status}{', ' + category if category else ''}): {message or body}"
        if correlation:
            text += f" [correlationId {correlation}]"
        return HubSpotError(self._safe(text), status=status, category=category, correlation_id=correlation,
                            body=body)

    def _safe(self, text: str) -> str:
        return redact(text, self._token)

    # ---------------------------------------------------------------- endpoints
    def properties(self, object_type: str = "contacts") -> dict[str, dict]:
        """Every property definition of an object type by name (read once, then cached)."""
        key = "properties" if object_type == "contacts" else f"properties/{object_type}"
        if key not in self.cache:
            what = "contact" if object_type == "contacts" else object_type.rstrip("s")
            body = self.request("GET", f"/crm/v3/properties/{object_type}", kind="properties",
                                what=f"reading the {what} properties").body
            self.cache[key] = {p["name"]: p for p in body.get("results", [])}
        return self.cache[key]

    def forget_properties(self) -> None:
        for key in [k for k in self.cache if k == "properties" or k.startswith("properties/")]:
            del self.cache[key]


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return response.text[:500]


def _correlation(body: Any) -> str:
    if isinstance(body, dict) and body.get("correlationId"):
        return f", correlationId {body['correlationId']}"
    return ""
