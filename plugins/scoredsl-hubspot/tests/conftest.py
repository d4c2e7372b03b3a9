"""Fixtures: a fake HubSpot per test, the 25,000-contact portal, and scoredsl runs in-process.

Rate limits. Tests that are not about rate limiting run the fake and the client with a high
limit (``rate_limit=100000``, ``search_rate=10000``) so that the suite takes minutes, not
hours; the tests about pacing use real-shaped limits (a window of the same kind, made shorter
where the test would otherwise wait for minutes) and measure them on the server side.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from scoredsl.cli.main import cli  # noqa: E402
from scoredsl_hubspot import hub  # noqa: E402
from scoredsl_hubspot.testing import FakeHubSpot, generate_portal  # noqa: E402

TOKEN = "pat-na1-5f1c0d2e-7a44-4b7e-9c1a-SECRET0042ab"
RULES = Path(__file__).resolve().parent / "rules" / "hubspot.score"
AS_OF = "2026-11-01"
FAST = {"rate_limit": 100_000, "search_rate": 10_000, "backoff": 0.01, "progress": "off"}
SINK_PROPERTIES = ("scoredsl_leads_fit", "scoredsl_leads_engagement", "scoredsl_leads_lifecycle",
                   "scoredsl_leads_priority", "scoredsl_leads_status", "scoredsl_leads_reason")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Each test in its own directory (state and checkpoint files), with the token set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    hub.reset()
    yield
    hub.reset()


@pytest.fixture()
def fake():
    with FakeHubSpot(token=TOKEN, rate_limit=100_000, search_rate=10_000) as server:
        yield server


@pytest.fixture(scope="session")
def portal25k():
    return generate_portal(25_000, seed=7)


@pytest.fixture(scope="session")
def csv25k(portal25k, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("csv25k")
    portal25k.write_csv(folder)
    return folder


@pytest.fixture(scope="session")
def expected25k(csv25k, tmp_path_factory) -> dict[str, dict]:
    """Results of the CSV path on the portal's contacts alone (what a source without events gives)."""
    out = tmp_path_factory.mktemp("expected") / "expected.csv"
    result = scoredsl("run", str(RULES), "--source", f"csv:{csv25k / 'contacts.csv'}", "--sink", f"csv:{out}",
                      "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.output
    return read_rows(out)


@pytest.fixture()
def big(fake, portal25k):
    """The fake loaded with the 25,000-contact portal and the score properties set up."""
    portal25k.load(fake)
    result = scoredsl("hubspot", "setup", str(RULES), "--sink", spec(fake))
    assert result.exit_code == 0, result.output
    fake.reset_log()
    return fake


def spec(fake: FakeHubSpot, portal: str = "test", **options) -> str:
    values = {**FAST, **options}
    query = "&".join(f"{k}={v}" for k, v in values.items() if v is not None)
    return f"hubspot:{portal}?base_url={fake.url}&{query}"


def scoredsl(*args: str, env: dict | None = None):
    """``scoredsl ARGS`` in this process, as a new process would run it (fresh HubSpot clients)."""
    hub.reset()
    runner = CliRunner()
    result = runner.invoke(cli, list(args), env=env)
    hub.reset()
    return result


def read_rows(path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return {row["contact_id"]: row for row in csv.DictReader(file)}


def rows_of(text: str) -> dict[str, dict]:
    return {row["contact_id"]: row for row in csv.DictReader(io.StringIO(text))}


def hubspot_values(row: dict) -> dict[str, str | None]:
    """What the sink must leave in HubSpot for one result row (HubSpot holds "" as missing)."""
    def value(name):
        return row[name] or None
    return {"scoredsl_leads_fit": value("fit"), "scoredsl_leads_engagement": value("engagement"),
            "scoredsl_leads_lifecycle": value("lifecycle"), "scoredsl_leads_priority": value("priority"),
            "scoredsl_leads_status": value("status"), "scoredsl_leads_reason": value("reason")}


def assert_portal_holds(fake: FakeHubSpot, expected: dict[str, dict]) -> None:
    wrong = []
    for contact_id, row in expected.items():
        want = hubspot_values(row)
        have = {name: fake.value(contact_id, name) for name in want}
        if have != want:
            wrong.append((contact_id, have, want))
    assert not wrong, f"{len(wrong)} contacts differ, e.g. {wrong[:3]}"


def env_without_token() -> dict:
    return {k: v for k, v in os.environ.items() if k != "HUBSPOT_ACCESS_TOKEN"}
