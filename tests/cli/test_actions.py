"""Actions on transitions, delivered to a real HTTP receiver: each transition is acted on exactly
once, when the receiver fails and recovers, when a run is repeated, and when a run is killed
with SIGKILL at every stage and run again."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest

import paths
from receiver import Receiver

MODEL = """\
schema {
  contact { sales_status: text }
  event page_view
}

model leads {
  score engagement {
    rule views: each page_view within 30d => +10
  }
  tier lifecycle monotonic unless sales_status == "unqualified" {
    SQL: engagement >= 80
    MQL: engagement >= 40
    lead: otherwise
  }
}
"""

CONTACTS = ["c1", "c2", "c3", "c4", "c5"]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def make_project(folder, url: str, extra: str = ""):
    folder.mkdir(exist_ok=True)
    (folder / "model.score").write_text(MODEL)
    (folder / "data").mkdir(exist_ok=True)
    (folder / "scoredsl.toml").write_text(
        f'[[actions]]\nname = "crm-hook"\nkind = "webhook"\nurl = "{url}"\n{extra}')
    set_data(folder, unqualified=())
    return folder


def set_data(folder, unqualified=()):
    """c1 views daily (SQL by the 10th), c2..c5 four or five times (MQL)."""
    rows = ["id,sales_status"] + [f"{c},{'unqualified' if c in unqualified else ''}" for c in CONTACTS]
    (folder / "data" / "contacts.csv").write_text("\n".join(rows) + "\n")
    views = {"c1": range(1, 10), "c2": range(5, 10), "c3": range(6, 10), "c4": range(5, 9), "c5": range(2, 7)}
    events = ["contact_id,type,timestamp"] + [f"{c},page_view,2026-01-{d:02d}T10:00:00Z"
                                              for c, days in views.items() for d in days]
    (folder / "data" / "events.csv").write_text("\n".join(events) + "\n")


def scoredsl(folder, *args, crash: str | None = None):
    command = [sys.executable, str(paths.TESTS / "crash_run.py"), crash] if crash else \
        [sys.executable, "-m", "scoredsl"]
    env = {**os.environ, "PYTHONPATH": str(paths.TESTS)}
    return subprocess.run(command + list(args), cwd=folder, capture_output=True, text=True, env=env, timeout=120)


def run(folder, as_of, *extra, crash=None):
    return scoredsl(folder, "run", "model.score", "--source", "csv:data", "--as-of", as_of, "--sink", "csv:out.csv",
                    "--transitions", "csv:transitions.csv", *extra, crash=crash)


def transitions(folder) -> list[dict]:
    return list(csv.DictReader(io.StringIO((folder / "transitions.csv").read_text())))


def test_each_transition_is_posted_once_as_json(tmp_path, receiver):
    project = make_project(tmp_path / "p", receiver.url, 'to = ["SQL"]\n')
    assert run(project, "2026-01-01").returncode == 0
    second = run(project, "2026-01-10")
    assert second.returncode == 0, second.stderr
    assert "actions: 1 delivery made" in second.stderr
    (sql,) = [t for t in transitions(project) if t["to"] == "SQL"]
    assert len(transitions(project)) == 5                          # every crossing is recorded ...
    assert receiver.keys_acted() == [f"crm-hook:{sql['key']}"]     # ... the action takes the SQL one
    (request,) = receiver.requests
    assert request["type"] == "application/json"
    assert request["body"] == {
        "text": "Contact c1 moved from lead to SQL (leads.lifecycle, as of 2026-01-10T00:00:00Z)",
        "transition": {"contact_id": "c1", "model": "leads", "tier": "lifecycle", "from": "lead", "to": "SQL",
                       "as_of": "2026-01-10T00:00:00Z", "run_id": sql["run_id"], "key": sql["key"]}}
    again = run(project, "2026-01-10")                             # a repeated run sends nothing again
    assert again.returncode == 0 and "actions: 0 deliveries made" in again.stderr
    assert len(receiver.requests) == 1


def test_a_receiver_that_fails_gets_everything_once_it_recovers(tmp_path, receiver):
    project = make_project(tmp_path / "p", receiver.url)
    run(project, "2026-01-01")
    receiver.failing = True
    failed = run(project, "2026-01-10")
    assert failed.returncode == 1
    assert "actions: 1 delivery failed, 4 more waiting" in failed.stderr
    assert "answered 503 Service Unavailable: down for maintenance" in failed.stderr
    assert "secret-token" not in failed.stderr                    # the URL is a secret; only its host shows
    assert (project / "out.csv").exists()                          # the results and the state are written
    assert len(receiver.requests) == 1                             # no hammering of a receiver that is down
    receiver.failing = False
    set_data(project, unqualified=("c1",))
    recovered = run(project, "2026-03-01")
    assert recovered.returncode == 0, recovered.stderr
    assert "actions: 6 deliveries made" in recovered.stderr       # 5 waiting + c1 sent back to lead
    assert len(receiver.acted) == 6
    assert [b["transition"]["contact_id"] for b in receiver.acted.values()].count("c1") == 2


STAGES = ["scoring", "before-state", "after-state", "before-recorded", "after-recorded"]


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory):
    """The runs of the crash scenario, never interrupted: what every crashed one must end as."""
    receiver = Receiver()
    try:
        project = make_project(tmp_path_factory.mktemp("undisturbed"), receiver.url)
        outputs = []
        for as_of, unqualified in SCENARIO:
            set_data(project, unqualified)
            assert run(project, as_of).returncode == 0
            outputs.append(((project / "out.csv").read_bytes(), (project / "transitions.csv").read_bytes()))
        return outputs, dict(receiver.acted)
    finally:
        receiver.close()


SCENARIO = [("2026-01-01", ()), ("2026-01-10", ()), ("2026-03-01", ("c1", "c2"))]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("step", [1, 2])
def test_a_run_killed_at_any_stage_and_run_again_acts_exactly_once(tmp_path, receiver, undisturbed, stage, step):
    expected_outputs, expected_acted = undisturbed
    project = make_project(tmp_path / "p", receiver.url)
    for index, (as_of, unqualified) in enumerate(SCENARIO):
        set_data(project, unqualified)
        if index == step:
            killed = run(project, as_of, crash=stage)
            assert killed.returncode == -9, killed.stderr          # SIGKILL
        result = run(project, as_of)
        assert result.returncode == 0, result.stderr
        assert not [name for name in os.listdir(project) if name.endswith(".tmp")]   # a killed run's are gone
        assert ((project / "out.csv").read_bytes(), (project / "transitions.csv").read_bytes()) == expected_outputs[index]
    # the receiver acted on every transition once, with the same body as an undisturbed run
    assert {k: v for k, v in receiver.acted.items()} == expected_acted
    received = receiver.times_received()
    repeated = {k: n for k, n in received.items() if n > 1}
    if stage == "before-recorded":
        assert list(repeated.values()) == [2]      # delivered, then killed before it was remembered: sent again
    else:
        assert repeated == {}
