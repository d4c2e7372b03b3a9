"""(8) The access token never appears in output, errors or files, whatever goes wrong."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scoredsl_hubspot.testing import FakeHubSpot, generate_portal

from conftest import AS_OF, RULES, TOKEN, env_without_token, scoredsl, spec


def leaks(result, folder: Path) -> list[str]:
    found = []
    texts = {"stdout": result.stdout, "stderr": result.stderr, "exception": repr(result.exception)}
    if result.exc_info is not None:
        import traceback
        texts["traceback"] = "".join(traceback.format_exception(*result.exc_info))
    for name, text in texts.items():
        if TOKEN in (text or ""):
            found.append(name)
    for path in folder.rglob("*"):
        if path.is_file() and TOKEN in path.read_text(errors="replace"):
            found.append(str(path))
    return found


@pytest.fixture()
def portal(fake):
    generate_portal(120, seed=5).load(fake)
    assert scoredsl("hubspot", "setup", str(RULES), "--sink", spec(fake)).exit_code == 0
    return fake


def run(fake, *extra, source=None, sink=None, **kw):
    return scoredsl("run", str(RULES), "--source", source or spec(fake), "--sink", sink or spec(fake),
                    "--as-of", AS_OF, *extra, **kw)


def test_the_token_is_sent_but_never_shown(portal, tmp_path):
    results = [run(portal), run(portal, sink=spec(portal, dry_run="true", progress="on"))]
    assert all(r.exit_code == 0 for r in results)
    assert all(r.auth_ok for r in portal.requests)                       # it did authenticate every request
    for result in results:
        assert leaks(result, tmp_path) == []


@pytest.mark.parametrize("failure", ["401", "5xx", "daily", "rejected", "events", "missing"])
def test_failures_do_not_show_the_token(portal, tmp_path, failure):
    source, sink = spec(portal, max_retries=1), spec(portal, max_retries=1)
    if failure == "401":
        portal.token = "another-token"
    elif failure == "5xx":
        portal.fault_rate, portal.fault_kinds = 1.0, ("503",)
    elif failure == "daily":
        portal.daily_limit = 5
    elif failure == "rejected":
        portal.properties["scoredsl_leads_fit"]["modificationMetadata"]["readOnlyValue"] = True
    elif failure == "events":
        portal.events_api = False
        source = spec(portal, events="on")
    elif failure == "missing":
        source = spec(portal, properties="job_title:no_such_property")
    result = run(portal, source=source, sink=sink)
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    assert leaks(result, tmp_path) == []
    if failure == "401":
        assert "rejected the access token from $HUBSPOT_ACCESS_TOKEN (401" in result.stderr


def test_a_missing_token_names_the_variable(fake, tmp_path):
    result = scoredsl("run", str(RULES), "--source", spec(fake), "--as-of", AS_OF, env={"HUBSPOT_ACCESS_TOKEN": ""})
    assert result.exit_code == 2
    assert "the environment variable HUBSPOT_ACCESS_TOKEN is not set" in result.stderr


def test_token_env_names_another_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN")
    monkeypatch.setenv("PROD_HUBSPOT", TOKEN)
    with FakeHubSpot(token=TOKEN) as fake:
        generate_portal(5, seed=1).load(fake)
        result = scoredsl("run", str(RULES), "--source", spec(fake, token_env="PROD_HUBSPOT"), "--as-of", AS_OF)
        assert result.exit_code == 0, result.output
        assert leaks(result, tmp_path) == []
        fake.token = "rotated"
        refused = scoredsl("hubspot", "check", str(RULES), "--source", spec(fake, token_env="PROD_HUBSPOT"),
                           "--online")
        assert refused.exit_code == 2 and "$PROD_HUBSPOT (401" in refused.stderr
        assert leaks(refused, tmp_path) == []
    assert os.environ.get("HUBSPOT_ACCESS_TOKEN") is None and env_without_token()
