"""Runs that remember: a stage that never goes back, transitions, replays, and a store that a
failed run leaves as it was. Every scenario runs through the command line, on the python and
duckdb engines, against a real SQLite state store."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

import paths

MODEL = (paths.TESTS / "models" / "stages.score").read_text()

ENGINES = ["python", "duckdb"]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with scoredsl.toml (so state is kept next to it), the model and data."""
    (tmp_path / "scoredsl.toml").write_text("")
    (tmp_path / "model.score").write_text(MODEL)
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_data(project, statuses: dict[str, str], views: dict[str, list[str]]) -> None:
    rows = ["id,sales_status"] + [f"{c},{s}" for c, s in statuses.items()]
    (project / "data" / "contacts.csv").write_text("\n".join(rows) + "\n")
    events = ["contact_id,type,timestamp"] + [f"{c},page_view,{t}" for c, ts in views.items() for t in ts]
    (project / "data" / "events.csv").write_text("\n".join(events) + "\n")


def days(first: int, last: int, month: str = "2026-01") -> list[str]:
    return [f"{month}-{d:02d}T10:00:00Z" for d in range(first, last + 1)]


def score(invoke, as_of, engine, *extra):
    result = invoke("run", "model.score", "--source", "csv:data", "--as-of", as_of, "--engine", engine,
                    "--transitions", "csv:transitions.csv", *extra)
    return result


def rows(text: str) -> dict[str, dict]:
    return {r["contact_id"]: r for r in csv.DictReader(io.StringIO(text))}


def transitions(project) -> list[tuple]:
    with open(project / "transitions.csv", newline="") as file:
        return [(r["contact_id"], r["tier"], r["from"], r["to"]) for r in csv.DictReader(file)]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stage_never_goes_back_until_sales_sends_it_back(project, invoke, engine):
    write_data(project, {"c1": "", "c2": ""}, {"c1": days(1, 9), "c2": days(5, 5)})

    first = score(invoke, "2026-01-01", engine)
    assert first.exit_code == 0, first.output
    assert rows(first.stdout)["c1"]["lifecycle"] == "lead"
    assert "first recorded run, the baseline for transitions" in first.stderr
    assert transitions(project) == []

    crossed = score(invoke, "2026-01-10", engine)
    assert rows(crossed.stdout)["c1"]["lifecycle"] == "SQL"
    assert rows(crossed.stdout)["c1"]["engagement"] == "90"
    assert transitions(project) == [("c1", "lifecycle", "lead", "SQL")]
    assert "1 transition (lifecycle 1)" in crossed.stderr

    # two months later every view is outside the window: engagement decays, the stage holds
    quiet = score(invoke, "2026-03-01", engine)
    assert rows(quiet.stdout)["c1"]["engagement"] == "5"        # previous(engagement) >= 80 => +5
    assert rows(quiet.stdout)["c1"]["lifecycle"] == "SQL"
    assert transitions(project) == []

    later = score(invoke, "2026-03-02", engine)
    assert rows(later.stdout)["c1"]["engagement"] == "0"        # min 0; the previous score was 5
    assert rows(later.stdout)["c1"]["lifecycle"] == "SQL"

    write_data(project, {"c1": "unqualified", "c2": ""}, {"c1": days(1, 9), "c2": days(5, 5)})
    sent_back = score(invoke, "2026-03-03", engine)
    assert rows(sent_back.stdout)["c1"]["lifecycle"] == "lead"
    assert transitions(project) == [("c1", "lifecycle", "SQL", "lead")]


def test_engines_record_the_same_state(project, invoke):
    """The same runs on each engine leave the same records (run ids and all)."""
    write_data(project, {"c1": "", "c2": "", "c3": "unqualified"},
               {"c1": days(1, 9), "c2": days(5, 8), "c3": days(1, 9)})
    kept = {}
    for engine in ENGINES:
        for as_of in ("2026-01-01", "2026-01-10", "2026-02-20"):
            assert score(invoke, as_of, engine).exit_code == 0
        con = sqlite3.connect(project / "scoredsl-state.sqlite")
        kept[engine] = con.execute("SELECT model, contact_id, as_of, run_id, status, scores, tiers "
                                   "FROM scoredsl_records ORDER BY 1, 2, 3").fetchall()
        con.close()
        (project / "scoredsl-state.sqlite").unlink()
    assert kept["python"] == kept["duckdb"]
    assert len(kept["python"]) == 9


def test_rerunning_an_as_of_replaces_it_and_gives_the_same_bytes(project, invoke):
    write_data(project, {"c1": "", "c2": ""}, {"c1": days(1, 9)})
    score(invoke, "2026-01-01", "python")
    once = score(invoke, "2026-01-10", "python")
    first_transitions = (project / "transitions.csv").read_bytes()
    again = score(invoke, "2026-01-10", "python")
    assert again.stdout == once.stdout
    assert (project / "transitions.csv").read_bytes() == first_transitions
    con = sqlite3.connect(project / "scoredsl-state.sqlite")
    assert con.execute("SELECT COUNT(*) FROM scoredsl_records").fetchone()[0] == 4
    assert con.execute("SELECT COUNT(*) FROM scoredsl_runs").fetchone()[0] == 2
    assert con.execute("SELECT COUNT(*) FROM scoredsl_transitions").fetchone()[0] == 1


def test_an_older_as_of_is_refused_unless_replayed(project, invoke):
    write_data(project, {"c1": ""}, {"c1": days(1, 9)})
    score(invoke, "2026-01-10", "python")
    older = score(invoke, "2026-01-05", "python")
    assert older.exit_code == 2
    assert "last recorded as of 2026-01-10T00:00:00Z" in older.stderr
    assert "--replay" in older.stderr
    replayed = score(invoke, "2026-01-05", "python", "--replay")
    assert replayed.exit_code == 0, replayed.output
    # it read the state of 2026-01-05, when nothing was recorded yet: c1 is new, and lands in MQL
    assert rows(replayed.stdout)["c1"]["lifecycle"] == "MQL"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failed_run_leaves_the_store_as_it_was(project, invoke, engine):
    write_data(project, {"c1": ""}, {"c1": days(1, 9)})
    score(invoke, "2026-01-10", engine)
    store = project / "scoredsl-state.sqlite"
    before = store.read_bytes()
    (project / "data" / "events.csv").write_text("contact_id,type,timestamp\nc1,page_view,not a time\n")
    failed = score(invoke, "2026-01-11", engine)
    assert failed.exit_code != 0
    assert "nothing was written" in failed.stderr
    con = sqlite3.connect(store)
    assert con.execute("SELECT COUNT(*) FROM scoredsl_records").fetchone()[0] == 1
    assert con.execute("SELECT as_of FROM scoredsl_runs").fetchall() == [(1768003200000000,)]
    con.close()
    assert store.read_bytes() == before


def test_no_state_scores_every_contact_as_new_and_records_nothing(project, invoke):
    write_data(project, {"c1": ""}, {"c1": days(1, 9)})
    result = invoke("run", "model.score", "--source", "csv:data", "--as-of", "2026-03-01", "--no-state")
    assert result.exit_code == 0, result.output
    assert rows(result.stdout)["c1"]["lifecycle"] == "lead"
    assert not (project / "scoredsl-state.sqlite").exists()
    refused = invoke("run", "model.score", "--source", "csv:data", "--no-state", "--transitions", "csv:-")
    assert refused.exit_code == 2 and "--transitions needs state" in refused.stderr


def test_a_model_that_reads_state_needs_a_store(tmp_path, monkeypatch, invoke):
    (tmp_path / "model.score").write_text(MODEL)
    (tmp_path / "data").mkdir()
    write_data(tmp_path, {"c1": ""}, {})
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "model.score", "--source", "csv:data", "--as-of", "2026-01-01")
    assert result.exit_code == 2
    assert "model leads reads the previous run, but this run keeps no state" in result.stderr
    assert "--state FILE" in result.stderr
    given = invoke("run", "model.score", "--source", "csv:data", "--as-of", "2026-01-01", "--state", "s/state.db")
    assert given.exit_code == 0, given.output
    assert (tmp_path / "s" / "state.db").exists()


def test_state_can_be_turned_off_or_moved_in_the_config(project, invoke):
    write_data(project, {"c1": ""}, {"c1": days(1, 9)})
    (project / "scoredsl.toml").write_text('[state]\npath = "var/state.sqlite"\n')
    assert score(invoke, "2026-01-10", "python").exit_code == 0
    assert (project / "var" / "state.sqlite").exists()
    (project / "scoredsl.toml").write_text("[state]\nenabled = false\n")
    off = invoke("run", "model.score", "--source", "csv:data", "--as-of", "2026-01-10")
    assert off.exit_code == 2 and "keeps no state" in off.stderr
    (project / "scoredsl.toml").write_text('[state]\nkeep = "a year"\n')
    bad = invoke("run", "model.score", "--source", "csv:data", "--as-of", "2026-01-10")
    assert bad.exit_code == 2 and "give a number of days" in bad.stderr


def test_retention_keeps_each_contacts_latest_record(project, invoke):
    """Records older than `keep` go, but a contact's latest one stays: a stage held for a
    contact not seen in a year is still held."""
    (project / "scoredsl.toml").write_text('[state]\nkeep = "30d"\n')
    write_data(project, {"c1": "", "c2": ""}, {"c1": days(1, 9)})
    score(invoke, "2026-01-10", "python")
    write_data(project, {"c2": ""}, {})
    score(invoke, "2026-02-01", "python")
    score(invoke, "2026-06-01", "python")
    con = sqlite3.connect(project / "scoredsl-state.sqlite")
    kept = con.execute("SELECT contact_id, as_of FROM scoredsl_records ORDER BY 1, 2").fetchall()
    assert [c for c, _ in kept] == ["c1", "c2"]          # c1's only record, c2's latest
    write_data(project, {"c1": "", "c2": ""}, {})
    back = score(invoke, "2026-06-02", "python")
    assert rows(back.stdout)["c1"]["lifecycle"] == "SQL"


def test_explain_shows_what_was_read_and_why_a_stage_was_held(project, invoke):
    write_data(project, {"c1": ""}, {"c1": days(1, 9)})
    score(invoke, "2026-01-10", "python")
    text = invoke("explain", "model.score", "--contact", "c1", "--source", "csv:data", "--as-of", "2026-03-01")
    assert "previous run: engagement 90, lifecycle SQL" in text.stdout
    assert "tier lifecycle: SQL   (held: monotonic, and lead now ranks below the previous SQL)" in text.stdout
    as_json = json.loads(invoke("explain", "model.score", "--contact", "c1", "--source", "csv:data",
                                "--as-of", "2026-03-01", "--format", "json").stdout)
    assert as_json["previous"] == {"engagement": 90, "lifecycle": "SQL"}
    assert as_json["tiers"] == [{"name": "lifecycle", "label": "SQL", "held": True, "computed": "lead"}]
    fresh = invoke("explain", "model.score", "--contact", "c1", "--source", "csv:data", "--as-of", "2026-03-01",
                   "--no-state")
    assert "previous run: engagement (missing), lifecycle (missing)" in fresh.stdout
    assert "tier lifecycle: lead" in fresh.stdout


TREND = """\
schema {
  event page_view
}

model trends {
  score engagement { rule views: each page_view within 30d => +10 }
  tier trend {
    heating: change(engagement, 3d) >= 30
    cooling: change(engagement, 3d) < 0
    steady: otherwise
  }
}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_change_compares_with_the_latest_run_at_least_that_long_ago(project, invoke, engine):
    (project / "trend.score").write_text(TREND)
    (project / "data" / "contacts.csv").write_text("id\nc1\nc2\n")
    views = [f"c1,page_view,2026-01-{d:02d}T10:00:00Z" for d in range(1, 10)] + ["c2,page_view,2026-01-05T10:00:00Z"]
    (project / "data" / "events.csv").write_text("contact_id,type,timestamp\n" + "\n".join(views) + "\n")
    seen = []
    for as_of in ("2026-01-01", "2026-01-03", "2026-01-06", "2026-01-07", "2026-02-20"):
        result = invoke("run", "trend.score", "--source", "csv:data", "--as-of", as_of, "--engine", engine)
        assert result.exit_code == 0, result.output
        out = rows(result.stdout)
        seen.append((out["c1"]["engagement"], out["c1"]["trend"], out["c2"]["trend"]))
    assert seen == [
        ("0", "steady", "steady"),        # nothing recorded 3 days before
        ("20", "steady", "steady"),       # still nothing 3 days before (01-01 is 2 days before)
        ("50", "heating", "steady"),      # 50 now, 20 at 01-03
        ("60", "heating", "steady"),      # 60 now, 20 at 01-03 (01-06 is only 1 day before)
        ("0", "cooling", "cooling"),      # 0 now, 60 and 10 at 01-07
    ]
    text = invoke("explain", "trend.score", "--contact", "c1", "--source", "csv:data", "--as-of", "2026-01-07")
    assert "previous run: engagement 3d ago 20" in text.stdout
