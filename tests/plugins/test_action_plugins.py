"""Action kinds and state stores from plugins: a third-party kind installed through its entry
point is carried out by a run; a wrong ``[[actions]]`` entry is an error naming it, before
anything is scored; the built-in webhook checks its options; a plugin's store keeps a run's
state when ``--state`` names its scheme."""

from __future__ import annotations

import json
import sys

import pytest

from scoredsl.data.actions import ActionError
from scoredsl.plugins import manager as plugins
from scoredsl.plugins.builtin.webhook import Webhook

MODEL = """\
schema {
  contact { level: int }
}
model m {
  score s { rule r: level > 0 => +10 }
  tier t by s { up: >= 10; down: otherwise }
}
"""

PLUGIN = '''
import json
import os

from scoredsl import hookimpl
from scoredsl.api import ActionError, SpecError
from scoredsl.data.state import SqliteState


class Journal:
    def __init__(self, path, fail):
        self.path = path
        self.fail = fail

    def deliver(self, payload, key):
        if self.fail and payload["transition"]["contact_id"] == self.fail:
            raise ActionError(f"journal refuses {self.fail}")
        with open(self.path, "a") as file:
            file.write(json.dumps({"key": key, "to": payload["transition"]["to"],
                                   "contact": payload["transition"]["contact_id"]}) + "\\n")


def journal(options):
    if "path" not in options:
        raise ActionError("path = \\"FILE\\" is required")
    return Journal(options["path"], options.get("fail"))


@hookimpl
def scoredsl_register_actions(registry):
    registry.add("journal", journal, "append each transition to a file")


class CountingStore(SqliteState):
    """A store of the plugin's own: SQLite underneath, counting the runs it recorded."""
    runs_recorded = 0

    def commit(self, *args, **kwargs):
        CountingStore.runs_recorded += 1
        return super().commit(*args, **kwargs)


def open_counting(spec, keep):
    if not spec.location.startswith("//"):
        raise SpecError(f"{spec.text}: write counting:///PATH")
    return CountingStore(spec.location[2:], keep)


@hookimpl
def scoredsl_register_stores(registry):
    registry.add("counting", open_counting, "SQLite, counted: counting:///PATH")
'''


@pytest.fixture(autouse=True)
def fresh_manager():
    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture
def project(tmp_path, monkeypatch, install):
    install("journal", PLUGIN)
    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    (folder / "model.score").write_text(MODEL)
    monkeypatch.chdir(folder)
    return folder


def set_levels(folder, **levels):
    (folder / "data" / "contacts.csv").write_text("id,level\n" + "".join(f"{c},{v}\n" for c, v in levels.items()))
    (folder / "data" / "events.csv").write_text("contact_id,type,timestamp\n")


def run(invoke, as_of):
    return invoke("run", "model.score", "--source", "csv:data", "--as-of", as_of, "--sink", "csv:out.csv")


def test_a_plugin_action_kind_is_carried_out_by_a_run(project, invoke):
    (project / "scoredsl.toml").write_text('[[actions]]\nname = "log"\nkind = "journal"\npath = "journal.jsonl"\n'
                                           'to = "up"\n')
    set_levels(project, a=0, b=0)
    assert run(invoke, "2026-01-01").exit_code == 0
    set_levels(project, a=1, b=0)
    second = run(invoke, "2026-01-02")
    assert second.exit_code == 0, second.output
    lines = [json.loads(line) for line in (project / "journal.jsonl").read_text().splitlines()]
    assert [(x["contact"], x["to"]) for x in lines] == [("a", "up")]
    assert lines[0]["key"].startswith("log:")
    assert "actions: 1 delivery made" in second.stderr


def test_a_failing_plugin_action_is_retried_by_the_next_run(project, invoke):
    config = '[[actions]]\nname = "log"\nkind = "journal"\npath = "journal.jsonl"\nfail = "a"\n'
    (project / "scoredsl.toml").write_text(config)
    set_levels(project, a=0)
    run(invoke, "2026-01-01")
    set_levels(project, a=1)
    failed = run(invoke, "2026-01-02")
    assert failed.exit_code == 1
    assert "log: journal refuses a" in failed.stderr
    (project / "scoredsl.toml").write_text(config.replace('fail = "a"\n', ""))
    assert run(invoke, "2026-01-03").exit_code == 0
    lines = (project / "journal.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["contact"] == "a"


@pytest.mark.parametrize("entry, message", [
    ('kind = "journal"\npath = "j"', "[[actions]] #1: name = \"...\" is required"),
    ('name = "x"\npath = "j"', "[[actions]] #1 (x): kind = \"...\" is required"),
    ('name = "x"\nkind = "jurnal"', "[[actions]] #1 (x): unknown kind 'jurnal'; known kinds:"),
    ('name = "x"\nkind = "journal"', "[[actions]] #1 (x): path = \"FILE\" is required"),
    ('name = "x"\nkind = "journal"\npath = "j"\nto = 3', "[[actions]] #1 (x): to is a label or a list of labels"),
    ('name = "x"\nkind = "webhook"\nurl = "ftp://example.com"', "url = \"https://...\" is required"),
    ('name = "x"\nkind = "webhook"\nurl = "${NO_SUCH_VARIABLE_HERE}"', "environment variable NO_SUCH_VARIABLE_HERE"),
])
def test_a_wrong_action_is_an_error_before_anything_is_scored(project, invoke, entry, message):
    (project / "scoredsl.toml").write_text(f"[[actions]]\n{entry}\n")
    set_levels(project, a=1)
    result = run(invoke, "2026-01-01")
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (project / "out.csv").exists()
    assert not (project / "scoredsl-state.sqlite").exists()


def test_two_actions_may_not_share_a_name(project, invoke):
    entry = '[[actions]]\nname = "x"\nkind = "journal"\npath = "j"\n'
    (project / "scoredsl.toml").write_text(entry * 2)
    set_levels(project, a=1)
    result = run(invoke, "2026-01-01")
    assert result.exit_code == 2 and "[[actions]] #2: a second action named 'x'" in result.stderr


def test_actions_are_listed_by_the_plugins_command(project, invoke):
    listing = invoke("plugins").stdout
    assert "action   journal" in listing and "action   webhook" in listing


@pytest.mark.parametrize("options, message", [
    ({}, "url = \"https://...\" is required"),
    ({"url": "https://"}, "url = \"https://...\" is required"),
    ({"url": "https://h.example", "timeout": 0}, "timeout is a number of seconds"),
    ({"url": "https://h.example", "timeout": True}, "timeout is a number of seconds"),
    ({"url": "https://h.example", "headers": {"X": 1}}, "headers is a table of text values"),
    ({"url": "https://h.example", "method": "PUT"}, "unknown option(s) method"),
])
def test_webhook_options_are_checked(options, message):
    with pytest.raises(ActionError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        Webhook.of(options)


def test_an_unreachable_webhook_names_only_its_host():
    hook = Webhook.of({"url": "http://127.0.0.1:9/secret/path", "timeout": 2})
    with pytest.raises(ActionError) as caught:
        hook.deliver({"text": "x", "transition": {}}, "a:b")
    assert "http://127.0.0.1:9/..." in str(caught.value) and "secret" not in str(caught.value)


def test_a_plugin_state_store_keeps_the_runs_state(project, invoke, tmp_path):
    set_levels(project, a=0)
    store = tmp_path / "counted.sqlite"
    for as_of in ("2026-01-01", "2026-01-02"):
        result = invoke("run", "model.score", "--source", "csv:data", "--as-of", as_of, "--state",
                        f"counting://{store}", "--transitions", "csv:-")
        assert result.exit_code == 0, result.output
    assert sys.modules["scoredsl_test_journal"].CountingStore.runs_recorded == 2
    assert store.exists()
    unknown = invoke("run", "model.score", "--source", "csv:data", "--state", "nosuch://x")
    assert unknown.exit_code == 2 and "unknown state store scheme 'nosuch'" in unknown.stderr
    (project / "scoredsl.toml").write_text('[state]\nurl = "counting:relative"\n')
    bad = invoke("run", "model.score", "--source", "csv:data")
    assert bad.exit_code == 2 and "write counting:///PATH" in bad.stderr
