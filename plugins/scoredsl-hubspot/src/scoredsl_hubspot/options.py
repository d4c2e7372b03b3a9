"""The options of ``hubspot:`` specs, checked and typed once.

Options come as strings from the command line (``hubspot:prod?since=2026-10-01&events=on``)
or as TOML values from ``scoredsl.toml``. Tables (``properties``, ``event_types``,
``event_attributes``) are TOML tables, or on the command line ``a:b,c:d``
(``properties=job_title:jobtitle,employees:numemployees``).

The access token is never an option: it is read from the environment variable named by
``token_env`` (default ``HUBSPOT_ACCESS_TOKEN``), so it never appears in a spec, a file or a
message.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any, Mapping

import attrs

from scoredsl.api import Spec, SpecError, parse_datetime

__all__ = ["ClientSettings", "SourceSettings", "SinkSettings", "OutcomeSettings", "source_settings",
           "sink_settings", "outcome_settings", "CLIENT_OPTIONS", "SOURCE_OPTIONS", "SINK_OPTIONS",
           "OUTCOME_OPTIONS", "DEFAULT_BASE_URL", "DEFAULT_TOKEN_ENV",
           "DEFAULT_EVENT_TYPES", "DEFAULT_EVENT_ATTRIBUTES", "read_token"]

DEFAULT_BASE_URL = "https://api.hubapi.com"
DEFAULT_TOKEN_ENV = "HUBSPOT_ACCESS_TOKEN"
DEFAULT_STATE_DIR = ".scoredsl-hubspot"

#: scoredsl event type -> HubSpot event type (events API), used when ``event_types`` is not given.
DEFAULT_EVENT_TYPES = {"page_view": "e_visited_page"}
#: scoredsl event type -> {attribute -> HubSpot event property}.
DEFAULT_EVENT_ATTRIBUTES = {"page_view": {"url": "hs_url", "title": "hs_page_title", "referrer": "hs_referrer"}}

CLIENT_OPTIONS = ("base_url", "token_env", "rate_limit", "rate_window", "search_rate", "daily_limit",
                  "daily_reserve", "max_retries", "backoff", "backoff_cap", "timeout", "rate_margin",
                  "progress", "state_dir")
SOURCE_OPTIONS = CLIENT_OPTIONS + ("properties", "company_properties", "since", "incremental", "overlap", "events",
                                   "event_types", "event_attributes", "events_since", "skip_inactive", "page_size",
                                   "search_page_size", "search_cap")
SINK_OPTIONS = CLIENT_OPTIONS + ("prefix", "properties", "group", "group_label", "dry_run", "show",
                                 "batch_size", "checkpoint")
OUTCOME_OPTIONS = CLIENT_OPTIONS + ("pipelines", "page_size")


@attrs.frozen(kw_only=True)
class ClientSettings:
    portal: str                     # the spec's location: a label for messages and state files
    text: str                       # the spec as messages show it
    base_url: str = DEFAULT_BASE_URL
    token_env: str = DEFAULT_TOKEN_ENV
    rate_limit: int = 190           # requests per rate_window (HubSpot Professional/Enterprise)
    rate_window: float = 10.0
    search_rate: int = 4            # search requests per second (HubSpot: five)
    daily_limit: int | None = None  # most requests this process may send (a budget)
    daily_reserve: int = 0          # stop when HubSpot says no more than this many remain today
    max_retries: int = 5            # per request, for 5xx and connection errors
    backoff: float = 0.5            # first retry delay, seconds (doubles, with jitter)
    backoff_cap: float = 30.0
    timeout: float = 30.0
    rate_margin: float = 0.25       # seconds added to the window for network jitter
    progress: str = "auto"          # auto | on | off
    state_dir: str = DEFAULT_STATE_DIR

    @property
    def key(self) -> tuple:
        return (self.base_url.rstrip("/"), self.token_env, self.portal)


@attrs.frozen(kw_only=True)
class SourceSettings:
    client: ClientSettings
    properties: Mapping[str, str]               # schema property -> HubSpot property (explicit)
    company_properties: Mapping[str, str] = attrs.field(factory=dict)   # of the company block, likewise
    since: dt.datetime | None = None
    incremental: bool = False
    overlap: dt.timedelta = dt.timedelta(minutes=10)
    events: str = "off"                          # off | on | auto
    event_types: Mapping[str, str] = attrs.field(factory=lambda: dict(DEFAULT_EVENT_TYPES))
    event_attributes: Mapping[str, Mapping[str, str]] = attrs.field(
        factory=lambda: {k: dict(v) for k, v in DEFAULT_EVENT_ATTRIBUTES.items()})
    events_since: dt.datetime | dt.timedelta | None = None
    skip_inactive: bool = True
    page_size: int = 100
    search_page_size: int = 200
    search_cap: int = 10_000        # HubSpot's results per search query; change only to test

    @property
    def text(self) -> str:
        return self.client.text


@attrs.frozen(kw_only=True)
class SinkSettings:
    client: ClientSettings
    prefix: str = "scoredsl_"
    properties: Mapping[str, str] = attrs.field(factory=dict)   # column -> HubSpot property
    group: str = "scoredsl"
    group_label: str = "scoredsl scores"
    dry_run: bool = False
    show: int = 20
    batch_size: int = 100
    checkpoint: str | None = None

    @property
    def text(self) -> str:
        return self.client.text

    def checkpoint_path(self, object_type: str = "contacts") -> str:
        """Where the sink keeps its checkpoint; a sink of company scores has one of its own."""
        suffix = "" if object_type == "contacts" else f".{object_type}"
        if self.checkpoint:
            return self.checkpoint + suffix
        return os.path.join(self.client.state_dir, f"{_file_name(self.client.portal)}{suffix}.checkpoint.jsonl")


@attrs.frozen(kw_only=True)
class OutcomeSettings:
    client: ClientSettings
    pipelines: frozenset[str] = frozenset()     # deal pipeline ids to read; empty: every pipeline
    page_size: int = 100

    @property
    def text(self) -> str:
        return self.client.text


# ------------------------------------------------------------------ parsing

def client_settings(spec: Spec) -> ClientSettings:
    o = spec.options
    portal = spec.location.strip() or "default"
    base_url = _text(spec, "base_url", DEFAULT_BASE_URL)
    if not re.match(r"https?://[^\s/]+", base_url):
        raise SpecError(f"{spec.text}: base_url must be an http(s) URL")
    progress = _choice(spec, "progress", ("auto", "on", "off"), "auto")
    token_env = _text(spec, "token_env", DEFAULT_TOKEN_ENV)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
        raise SpecError(f"{spec.text}: token_env must name an environment variable")
    return ClientSettings(
        portal=portal, text=spec.text, base_url=base_url.rstrip("/"), token_env=token_env,
        rate_limit=_int(spec, "rate_limit", 190, low=1), rate_window=_float(spec, "rate_window", 10.0, low=0.1),
        search_rate=_int(spec, "search_rate", 4, low=1),
        daily_limit=_int(spec, "daily_limit", None, low=1) if "daily_limit" in o else None,
        daily_reserve=_int(spec, "daily_reserve", 0, low=0), max_retries=_int(spec, "max_retries", 5, low=0),
        backoff=_float(spec, "backoff", 0.5, low=0.0), backoff_cap=_float(spec, "backoff_cap", 30.0, low=0.0),
        timeout=_float(spec, "timeout", 30.0, low=0.1), rate_margin=_float(spec, "rate_margin", 0.25, low=0.0),
        progress=progress, state_dir=_text(spec, "state_dir", DEFAULT_STATE_DIR))


def source_settings(spec: Spec) -> SourceSettings:
    spec.check_options(SOURCE_OPTIONS)
    client = client_settings(spec)
    o = spec.options
    since = _instant(spec, "since") if "since" in o else None
    incremental = _bool(spec, "incremental", False)
    if since is not None and incremental:
        raise SpecError(f"{spec.text}: give since= or incremental=true, not both")
    event_types = dict(DEFAULT_EVENT_TYPES)
    if "event_types" in o:
        event_types = _table(spec, "event_types")
    attributes = {k: dict(v) for k, v in DEFAULT_EVENT_ATTRIBUTES.items()}
    if "event_attributes" in o:
        given = o["event_attributes"]
        if not isinstance(given, Mapping) or not all(isinstance(v, Mapping) for v in given.values()):
            raise SpecError(f"{spec.text}: event_attributes must be a table of tables, like "
                            "{ page_view = { url = \"hs_url\" } } (in scoredsl.toml)")
        for kind, table in given.items():
            attributes[str(kind)] = {str(k): str(v) for k, v in table.items()}
    events_since: dt.datetime | dt.timedelta | None = None
    if "events_since" in o:
        raw = str(o["events_since"]).strip()
        match = re.fullmatch(r"([0-9]+)d", raw)
        events_since = dt.timedelta(days=int(match.group(1))) if match else _instant(spec, "events_since")
    return SourceSettings(
        client=client, properties=_table(spec, "properties") if "properties" in o else {},
        company_properties=_table(spec, "company_properties") if "company_properties" in o else {},
        since=since, incremental=incremental,
        overlap=dt.timedelta(seconds=_float(spec, "overlap", 600.0, low=0.0)),
        events=_choice(spec, "events", ("off", "on", "auto"), "off"), event_types=event_types,
        event_attributes=attributes, events_since=events_since,
        skip_inactive=_bool(spec, "skip_inactive", True),
        page_size=_int(spec, "page_size", 100, low=1, high=100),
        search_page_size=_int(spec, "search_page_size", 200, low=1, high=200),
        search_cap=_int(spec, "search_cap", 10_000, low=1))


def sink_settings(spec: Spec) -> SinkSettings:
    spec.check_options(SINK_OPTIONS)
    client = client_settings(spec)
    o = spec.options
    prefix = _text(spec, "prefix", "scoredsl_")
    if prefix and not re.fullmatch(r"[a-z][a-z0-9_]*", prefix):
        raise SpecError(f"{spec.text}: prefix must be lower-case letters, digits and _, starting with a letter")
    group = _text(spec, "group", "scoredsl")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", group):
        raise SpecError(f"{spec.text}: group must be lower-case letters, digits and _, starting with a letter")
    return SinkSettings(
        client=client, prefix=prefix, properties=_table(spec, "properties") if "properties" in o else {},
        group=group, group_label=_text(spec, "group_label", "scoredsl scores"),
        dry_run=_bool(spec, "dry_run", False), show=_int(spec, "show", 20, low=0),
        batch_size=_int(spec, "batch_size", 100, low=1, high=100),
        checkpoint=_text(spec, "checkpoint", "") or None)


def outcome_settings(spec: Spec) -> OutcomeSettings:
    spec.check_options(OUTCOME_OPTIONS)
    client = client_settings(spec)
    pipelines: frozenset[str] = frozenset()
    if "pipelines" in spec.options:
        value = spec.options["pipelines"]
        items = value if isinstance(value, (list, tuple)) else str(value).split(",")
        pipelines = frozenset(str(item).strip() for item in items if str(item).strip())
        if not pipelines:
            raise SpecError(f"{spec.text}: option pipelines names deal pipelines by id, separated by commas "
                            "(default: every pipeline)")
    return OutcomeSettings(client=client, pipelines=pipelines,
                           page_size=_int(spec, "page_size", 100, low=1, high=100))


def read_token(settings: ClientSettings) -> str:
    """The access token from the environment; a :class:`SpecError` naming the variable if unset."""
    token = os.environ.get(settings.token_env, "").strip()
    if not token:
        raise SpecError(f"{settings.text}: the environment variable {settings.token_env} is not set; put the "
                        "HubSpot private app's access token in it (or name another variable with token_env=)")
    return token


def _file_name(portal: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", portal) or "default"


def state_file(settings: ClientSettings, suffix: str) -> str:
    return os.path.join(settings.state_dir, f"{_file_name(settings.portal)}.{suffix}")


# ------------------------------------------------------------------ value helpers

def _text(spec: Spec, name: str, default: str) -> str:
    value = spec.options.get(name, default)
    if not isinstance(value, str):
        raise SpecError(f"{spec.text}: option {name} must be text")
    return value.strip()


def _int(spec: Spec, name: str, default, *, low: int | None = None, high: int | None = None):
    value: Any = spec.options.get(name, default)
    if value is None:
        return None
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        number = int(value)
    except (TypeError, ValueError):
        raise SpecError(f"{spec.text}: option {name} must be a whole number") from None
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise SpecError(f"{spec.text}: option {name} must be {bounds}, not {number}")
    return number


def _float(spec: Spec, name: str, default: float, *, low: float | None = None) -> float:
    value: Any = spec.options.get(name, default)
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{spec.text}: option {name} must be a number") from None
    if low is not None and number < low:
        raise SpecError(f"{spec.text}: option {name} must be at least {low}")
    return number


def _bool(spec: Spec, name: str, default: bool) -> bool:
    value: Any = spec.options.get(name, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on", ""):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise SpecError(f"{spec.text}: option {name} must be true or false")


def _choice(spec: Spec, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = str(spec.options.get(name, default)).strip().lower()
    if value in ("true", "yes"):
        value = "on"
    if value in ("false", "no"):
        value = "off"
    if value not in allowed:
        raise SpecError(f"{spec.text}: option {name} must be one of {', '.join(allowed)}")
    return value


def _table(spec: Spec, name: str) -> dict[str, str]:
    value = spec.options.get(name)
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if not isinstance(value, str):
        raise SpecError(f"{spec.text}: option {name} must be a table or name:name,name:name")
    table: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, colon, target = item.partition(":")
        if not colon or not key.strip() or not target.strip():
            raise SpecError(f"{spec.text}: option {name}: write name:hubspot_name pairs separated by commas, "
                            f"not {item!r}")
        table[key.strip()] = target.strip()
    return table


def _instant(spec: Spec, name: str) -> dt.datetime:
    raw = str(spec.options.get(name, "")).strip()
    try:
        return parse_datetime(raw)
    except Exception:  # noqa: BLE001 - any parse failure is the same user error
        raise SpecError(f"{spec.text}: option {name} must be an ISO date or datetime, like 2026-10-01 or "
                        "2026-10-01T09:30:00Z") from None
