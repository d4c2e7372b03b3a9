"""Generated code and SQL do not nest with the number of rules: a score of thousands of rules
runs on the python and duckdb engines (Python compiles long sums recursively; DuckDB limits an
expression's depth to 1,000)."""

from __future__ import annotations

import pytest

RULES = 3000


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("many")
    rules = "\n".join(f"    rule r{i}: x > {i} => +{1 + i % 3}" for i in range(RULES))
    groups = "\n".join(f"    group g{g} max 5 {{\n" + "\n".join(
        f"      rule g{g}r{i}: x > {i} => +1" for i in range(50)) + "\n    }" for g in range(20))
    (folder / "m.score").write_text("schema { contact { x: int } }\nmodel m {\n  score fit {\n" + rules
                                    + "\n  }\n  score grouped {\n" + groups + "\n  }\n}\n")
    (folder / "contacts.csv").write_text("id,x\nlow,2\nmid,1500\nhigh,999999\nnone,\n")
    (folder / "events.csv").write_text("contact_id,type,timestamp\n")
    return folder


def expected(x: int | None) -> tuple[int, int]:
    if x is None:
        return 0, 0
    fit = sum(1 + i % 3 for i in range(RULES) if x > i)
    return fit, sum(min(5, sum(1 for i in range(50) if x > i)) for _g in range(20))


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_thousands_of_rules_run_on_every_engine(invoke, project, engine):
    out = project / f"{engine}.csv"
    result = invoke("run", project / "m.score", "--source",
                    f"csv:{project / 'contacts.csv'}?events={project / 'events.csv'}",
                    "--as-of", "2026-01-01", "--engine", engine, "--sink", f"csv:{out}", "-q")
    assert result.exit_code == 0, result.output
    rows = {line.split(",")[0]: line.split(",") for line in out.read_text().splitlines()[1:]}
    for contact, x in (("low", 2), ("mid", 1500), ("high", 999999), ("none", None)):
        assert (int(rows[contact][4]), int(rows[contact][5])) == expected(x), contact


def test_check_and_compile_take_them(invoke, project):
    assert invoke("check", project / "m.score").exit_code == 0
    assert invoke("compile", project / "m.score", "--emit", "sql").exit_code == 0


def test_spark_states_its_limit_instead_of_running_out_of_memory(invoke, project):
    checked = invoke("check", project / "m.score", "--engine", "spark")
    assert checked.exit_code == 1
    assert "error[SD503]: model 'm': 4,000 rules; Spark plans at most 1,000" in checked.output
    refused = invoke("run", project / "m.score", "--source", f"csv:{project / 'contacts.csv'}?events="
                     f"{project / 'events.csv'}", "--as-of", "2026-01-01", "--engine", "spark")
    assert refused.exit_code == 2 and "SD503" in refused.output and "nothing was written" in refused.output


@pytest.mark.slow
def test_spark_runs_a_model_at_its_limit(tmp_path):
    """In a process of its own, as a user runs it: the driver gets the memory and stack it needs."""
    import subprocess
    import sys

    pytest.importorskip("pyspark")
    rules = "\n".join(f"    rule r{i}: x > {i} => +1" for i in range(1000))
    (tmp_path / "m.score").write_text("schema { contact { x: int } }\nmodel m {\n  score fit {\n" + rules + "\n  }\n}\n")
    (tmp_path / "contacts.csv").write_text("id,x\nc1,5\nc2,2000\n")
    (tmp_path / "events.csv").write_text("contact_id,type,timestamp\n")
    run = subprocess.run([sys.executable, "-m", "scoredsl", "run", str(tmp_path / "m.score"), "--source",
                          f"csv:{tmp_path / 'contacts.csv'}?events={tmp_path / 'events.csv'}", "--as-of",
                          "2026-01-01", "--engine", "spark", "-q"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert lines[1].startswith("c1,m,scored,,5,") and lines[2].startswith("c2,m,scored,,1000,")
    assert run.stderr == ""           # --quiet: not a line from Spark's start either
