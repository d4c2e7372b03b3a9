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
