"""Value conversion, the property mapping, spec options, and the installed entry point."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from scoredsl.data.records import DataError, TypeSpec
from scoredsl.data.specs import SpecError, parse_spec
from scoredsl_hubspot.mapping import DEFAULT_PROPERTIES, check_types, convert, resolve
from scoredsl_hubspot.options import sink_settings, source_settings

UTC = dt.timezone.utc


@pytest.mark.parametrize("raw, type_, value", [
    ("12", "int", 12), ("12.0", "int", 12), ("-3", "int", -3), ("", "int", None), (None, "int", None),
    ("2.5", "number", 2.5), ("true", "bool", True),
    ("2026-10-01T09:30:00.123Z", "datetime", dt.datetime(2026, 10, 1, 9, 30, 0, 123000, tzinfo=UTC)),
    ("1790000000000", "datetime", dt.datetime(2026, 9, 21, 14, 13, 20, tzinfo=UTC)),
    ("2026-10-01", "date", dt.date(2026, 10, 1)), ("2026-10-01T00:00:00.000Z", "date", dt.date(2026, 10, 1)),
    ("1790035200000", "date", dt.date(2026, 9, 22)), ("  VP Sales ", "text", "  VP Sales "),
])
def test_convert(raw, type_, value):
    assert convert(raw, TypeSpec(type_)) == value


def test_convert_lists_and_errors():
    assert convert("a;b; c", TypeSpec("text", True)) == ("a", "b", "c")
    for raw, type_ in (("12.5", "int"), ("lots", "number"), ("maybe", "bool"), ("2026-10-01T10:00:00Z", "date")):
        with pytest.raises(DataError):
            convert(raw, TypeSpec(type_))


def test_resolve_and_check_types():
    schema = {"job_title": TypeSpec("text"), "email_opens": TypeSpec("int"), "segment": TypeSpec("text")}
    mapping = resolve(schema, {"segment": "customer_segment__c"})
    assert mapping == {"job_title": "jobtitle", "email_opens": "hs_email_open", "segment": "customer_segment__c"}
    definitions = {"jobtitle": {"type": "string"}, "hs_email_open": {"type": "string"}}
    missing, mismatched = check_types(mapping, schema, definitions)
    assert missing == ["customer_segment__c (for segment)"]
    assert mismatched == ["email_opens: int cannot be read from hs_email_open, a HubSpot string property"]
    assert all(name != hubspot for name, hubspot in DEFAULT_PROPERTIES.items())


def test_source_options():
    spec = parse_spec("hubspot:prod?properties=a:b,c:d&since=2026-10-01&events=on&rate_limit=100&events_since=90d")
    settings = source_settings(spec)
    assert settings.properties == {"a": "b", "c": "d"} and settings.events == "on"
    assert settings.since == dt.datetime(2026, 10, 1, tzinfo=UTC) and settings.client.rate_limit == 100
    assert settings.events_since == dt.timedelta(days=90) and settings.client.portal == "prod"
    for bad, message in [("hubspot:p?colour=red", "unknown option 'colour'"),
                         ("hubspot:p?page_size=500", "page_size must be between 1 and 100"),
                         ("hubspot:p?since=yesterday", "since must be an ISO date"),
                         ("hubspot:p?since=2026-01-01&incremental=true", "not both"),
                         ("hubspot:p?events=maybe", "events must be one of off, on, auto"),
                         ("hubspot:p?properties=a", "write name:hubspot_name pairs"),
                         ("hubspot:p?token_env=$X", "token_env must name an environment variable")]:
        with pytest.raises(SpecError, match=message):
            source_settings(parse_spec(bad))


def test_sink_options():
    settings = sink_settings(parse_spec("hubspot:prod?dry_run=true&batch_size=50&prefix=lead_"))
    assert settings.dry_run and settings.batch_size == 50 and settings.prefix == "lead_"
    assert settings.checkpoint_path().endswith(".scoredsl-hubspot/prod.checkpoint.jsonl")
    with pytest.raises(SpecError, match="batch_size must be between 1 and 100"):
        sink_settings(parse_spec("hubspot:p?batch_size=101"))
    with pytest.raises(SpecError, match="prefix must be lower-case"):
        sink_settings(parse_spec("hubspot:p?prefix=Lead"))


def test_the_entry_point_is_installed():
    listing = subprocess.run([sys.executable, "-m", "scoredsl", "plugins"], capture_output=True, text=True)
    assert listing.returncode == 0
    assert "hubspot" in listing.stdout and "command  hubspot" in listing.stdout and "lint     hubspot-data" in listing.stdout
