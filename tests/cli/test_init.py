"""``scoredsl init`` makes a project that checks, formats, tests and runs as it is; ``scoredsl
check`` without files checks every rule file of the project."""

from __future__ import annotations

import os


def test_a_new_project_checks_tests_and_runs_as_it_is(tmp_path, monkeypatch, invoke):
    made = invoke("init", str(tmp_path / "scoring"))
    assert made.exit_code == 0, made.output
    assert "next:" in made.stderr
    monkeypatch.chdir(tmp_path / "scoring")
    check = invoke("check", "--strict")
    assert check.exit_code == 0, check.output
    assert "2 files checked: 0 errors, 0 warnings (ok)" in check.stderr
    assert invoke("fmt", "--check").exit_code == 0
    tested = invoke("test")
    assert tested.exit_code == 0, tested.output
    assert "4 passed, 0 failed" in tested.stdout
    run = invoke("run", "models/leads.score", "--as-of", "2026-11-01", "-q")
    assert run.exit_code == 0, run.output
    assert run.stdout.splitlines()[1].startswith("c1,leads,scored,,45,60,SQL,")
    assert (tmp_path / "scoring" / "scoredsl-state.sqlite").exists()
    assert (tmp_path / "scoring" / ".github" / "workflows" / "scoredsl.yml").exists()


def test_init_overwrites_nothing(tmp_path, invoke):
    (tmp_path / "scoredsl.toml").write_text("# mine\n")
    refused = invoke("init", str(tmp_path))
    assert refused.exit_code == 2
    assert "already has scoredsl.toml; nothing was written" in refused.stderr
    assert (tmp_path / "scoredsl.toml").read_text() == "# mine\n"
    assert not (tmp_path / "models").exists()


def test_check_without_files_checks_the_whole_project_from_any_folder(tmp_path, monkeypatch, invoke):
    invoke("init", str(tmp_path))
    (tmp_path / "models" / "broken.score").write_text("model m { score s { rule r: x => +1 } }\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "ignored.score").write_text("not a rule file\n")
    monkeypatch.chdir(tmp_path / "data")
    result = invoke("check")
    assert result.exit_code == 1
    assert "3 files checked" in result.stderr
    assert os.path.join("..", "models", "broken.score") in result.stderr
    assert "ignored.score" not in result.stderr


def test_check_without_files_where_there_are_none(tmp_path, monkeypatch, invoke):
    monkeypatch.chdir(tmp_path)
    result = invoke("check")
    assert result.exit_code == 2 and "no rule file (*.score)" in result.stderr
