"""HubSpot actions on transitions, against the fake portal over real HTTP: a property set to
the new stage, a task for the contact's owner, each once, also when the run is killed right
after HubSpot did it and run again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TOKEN, scoredsl, spec
from scoredsl_hubspot.testing.fake import _prop

REPO = Path(__file__).resolve().parents[3]

MODEL = """\
schema {
  contact { sales_status: text }
  event page_view
}

model leads {
  score engagement { rule views: each page_view within 30d => +10 }
  tier lifecycle monotonic unless sales_status == "unqualified" {
    SQL: engagement >= 80
    MQL: engagement >= 40
    lead: otherwise
  }
}
"""


@pytest.fixture
def project(tmp_path, fake):
    fake.properties["scoredsl_stage"] = _prop("scoredsl_stage", "Stage", "string", "text")
    fake.add_contact({"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace",
                      "hubspot_owner_id": "77"}, id=1001)
    fake.add_contact({"email": "alan@example.com"}, id=1002)
    (tmp_path / "model.score").write_text(MODEL)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "contacts.csv").write_text("id,sales_status\n1001,\n1002,\n1003,\n")
    views = [f"1001,page_view,2026-01-{d:02d}T10:00:00Z" for d in range(1, 10)] + \
        [f"1002,page_view,2026-01-{d:02d}T10:00:00Z" for d in range(5, 9)] + \
        [f"1003,page_view,2026-01-{d:02d}T10:00:00Z" for d in range(1, 10)]
    (tmp_path / "data" / "events.csv").write_text("contact_id,type,timestamp\n" + "\n".join(views) + "\n")
    portal = spec(fake)
    (tmp_path / "scoredsl.toml").write_text(f"""
[[actions]]
name = "call-sqls"
kind = "hubspot-task"
portal = "{portal}"
to = ["SQL"]
subject = "Call {{name}}: now {{to}}"
due = "1d"
priority = "HIGH"

[[actions]]
name = "stage"
kind = "hubspot-property"
portal = "{portal}"
property = "scoredsl_stage"
values = {{ SQL = "sales qualified" }}
""")
    return tmp_path


def run(as_of):
    return scoredsl("run", "model.score", "--source", "csv:data", "--as-of", as_of, "--sink", "csv:out.csv")


def test_stages_are_written_and_owners_get_a_task_once(project, fake):
    assert run("2026-01-01").exit_code == 0
    crossed = run("2026-01-10")
    assert crossed.exit_code == 0, crossed.output
    # tasks for 1001 and 1003 (unknown to HubSpot: nothing to do), stages for all three
    assert "actions: 5 deliveries made" in crossed.stderr
    assert fake.value("1001", "scoredsl_stage") == "sales qualified"
    assert fake.value("1002", "scoredsl_stage") == "MQL"
    (task,) = fake.tasks.values()
    props = task["properties"]
    assert props["hs_task_subject"] == "Call Ada Lovelace: now SQL"
    assert props["hubspot_owner_id"] == "77" and props["hs_task_priority"] == "HIGH"
    assert props["hs_timestamp"] == "2026-01-11T00:00:00.000Z"
    assert task["associations"][0]["to"] == {"id": "1001"}
    assert run("2026-01-10").exit_code == 0                   # a repeated run does nothing again
    assert len(fake.tasks) == 1


def test_a_contact_hubspot_no_longer_has_is_nothing_to_act_on(project, fake):
    assert "1003" not in fake.contacts                       # scored from the CSV, unknown to HubSpot
    run("2026-01-01")
    result = run("2026-01-10")
    assert result.exit_code == 0, result.output              # its task and its stage count as done
    assert "failed" not in result.stderr
    assert [t["associations"][0]["to"]["id"] for t in fake.tasks.values()] == ["1001"]
    assert run("2026-01-11").exit_code == 0 and len(fake.tasks) == 1     # and are not tried again


def test_a_failing_portal_is_retried_by_the_next_run(project, fake):
    run("2026-01-01")
    fake.properties.pop("scoredsl_stage")                    # someone deleted the property
    failed = run("2026-01-10")
    assert failed.exit_code == 1
    assert "stage: " in failed.stderr and "scoredsl_stage" in failed.stderr
    assert len(fake.tasks) == 1                              # the other action went on
    fake.properties["scoredsl_stage"] = _prop("scoredsl_stage", "Stage", "string", "text")
    assert run("2026-01-11").exit_code == 0
    assert fake.value("1001", "scoredsl_stage") == "sales qualified"


@pytest.mark.parametrize("stage", ["before-recorded", "after-recorded", "after-state"])
def test_a_run_killed_after_hubspot_acted_creates_no_second_task(project, fake, stage):
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests"), "HUBSPOT_ACCESS_TOKEN": TOKEN}

    def scoredsl_process(as_of, crash=None):
        head = [sys.executable, str(REPO / "tests" / "crash_run.py"), crash] if crash else [sys.executable, "-m",
                                                                                             "scoredsl"]
        return subprocess.run(head + ["run", "model.score", "--source", "csv:data", "--as-of", as_of, "--sink",
                                      "csv:out.csv"], cwd=project, env=env, capture_output=True, text=True,
                              timeout=120)

    assert scoredsl_process("2026-01-01").returncode == 0
    assert scoredsl_process("2026-01-10", crash=stage).returncode == -9
    again = scoredsl_process("2026-01-10")
    assert again.returncode == 0, again.stderr
    assert len(fake.tasks) == 1
    assert fake.value("1001", "scoredsl_stage") == "sales qualified"
    searches = [r for r in fake.requests if r.path == "/crm/v3/objects/tasks/search"]
    assert searches                                           # each task delivery looked first


@pytest.mark.parametrize("options, message", [
    ({"property": "x"}, 'portal = "hubspot:PORTAL" is required'),
    ({"portal": "hubspot:t", "property": "Bad Name"}, 'property = "NAME" is required'),
    ({"portal": "hubspot:t", "property": "x", "values": {"SQL": 1}}, "values is a table of labels"),
    ({"portal": "hubspot:t", "property": "x", "colour": "red"}, "unknown option(s) colour"),
])
def test_property_action_options(options, message):
    from scoredsl.api import ActionError
    from scoredsl_hubspot.actions import SetProperty
    with pytest.raises(ActionError) as caught:
        SetProperty(options)
    assert message in str(caught.value)


@pytest.mark.parametrize("options, message", [
    ({"portal": "hubspot:t", "subject": "{nme}"}, "'nme' is not a placeholder"),
    ({"portal": "hubspot:t", "due": "tomorrow"}, 'due is a duration like "4h"'),
    ({"portal": "hubspot:t", "priority": "URGENT"}, "priority is LOW, MEDIUM or HIGH"),
])
def test_task_action_options(options, message):
    from scoredsl.api import ActionError
    from scoredsl_hubspot.actions import CreateTask
    with pytest.raises(ActionError) as caught:
        CreateTask(options)
    assert message in str(caught.value)
