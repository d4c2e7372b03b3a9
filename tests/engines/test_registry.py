"""``scoredsl run --engine``, ``compile --emit sql`` and ``check --engine`` through the CLI: every
engine writes byte-identical results, fails on bad data with the Python engine's own message,
and skips exactly the same rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import sqlglot

import paths
from scoredsl.compiler.sql.dialects import DIALECTS

ROOT = paths.ROOT
EXAMPLES = [("b2b_saas", "2026-11-01"), ("product_lines", "2026-11-01")]


def run_to(invoke, tmp_path, name, model, source, *extra):
    out = tmp_path / f"{name}.csv"
    result = invoke("run", model, "--source", source, "--as-of", "2026-11-01", "--sink", f"csv:{out}", *extra)
    return result, out


@pytest.mark.parametrize("example,as_of", EXAMPLES)
def test_duckdb_engine_writes_the_python_engines_bytes(invoke, tmp_path, example, as_of):
    model = ROOT / "examples" / example / "model.score"
    data = f"csv:{ROOT / 'examples' / example / 'data'}"
    python, expected = run_to(invoke, tmp_path, "python", model, data)
    duck, actual = run_to(invoke, tmp_path, "duckdb", model, data, "--engine", "duckdb")
    assert python.exit_code == 0 and duck.exit_code == 0, duck.output
    assert actual.read_bytes() == expected.read_bytes()
    assert "engine: duckdb" in duck.output
    # the same summary: contacts, events, statuses and tiers
    assert python.output.splitlines()[-6:] == duck.output.splitlines()[-6:]


def to_parquet(folder: Path, target: Path) -> None:
    target.mkdir()
    con = duckdb.connect()
    for kind in ("contacts", "events"):
        con.execute(f"COPY (SELECT * FROM read_csv('{folder / kind}.csv', all_varchar = true)) "
                    f"TO '{target / kind}.parquet' (FORMAT PARQUET)")


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_parquet_files_score_like_their_csv(invoke, tmp_path, engine):
    model = ROOT / "examples" / "b2b_saas" / "model.score"
    data = ROOT / "examples" / "b2b_saas" / "data"
    to_parquet(data, tmp_path / "pq")
    _, expected = run_to(invoke, tmp_path, "csv", model, f"csv:{data}")
    result, actual = run_to(invoke, tmp_path, "pq", model, f"parquet:{tmp_path / 'pq'}", "--engine", engine)
    assert result.exit_code == 0, result.output
    assert actual.read_bytes() == expected.read_bytes()


def broken_copy(tmp_path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "b2b_saas" / "data", data)
    lines = (data / "contacts.csv").read_text("utf-8").splitlines(keepends=True)
    cells = lines[5].split(",")
    cells[5] = "two hundred"          # employees: not an int
    lines[5] = ",".join(cells)
    (data / "contacts.csv").write_text("".join(lines), "utf-8")
    return data


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_bad_data_fails_with_the_python_engines_message_and_writes_nothing(invoke, tmp_path, engine):
    if engine == "spark":
        pytest.importorskip("pyspark")
    data = broken_copy(tmp_path)
    model = ROOT / "examples" / "b2b_saas" / "model.score"
    python, out_python = run_to(invoke, tmp_path, "python", model, f"csv:{data}")
    other, out_other = run_to(invoke, tmp_path, engine, model, f"csv:{data}", "--engine", engine)
    assert python.exit_code == other.exit_code == 1
    message = [line for line in python.output.splitlines() if "bad data" in line]
    assert message and message == [line for line in other.output.splitlines() if "bad data" in line]
    assert "row 6, column 'employees': 'two hundred' is not an int" in message[0]
    assert not out_python.exists() and not out_other.exists()


def test_skipped_rows_are_the_same_on_duckdb(invoke, tmp_path):
    data = broken_copy(tmp_path)
    model = ROOT / "examples" / "b2b_saas" / "model.score"
    python, expected = run_to(invoke, tmp_path, "python", model, f"csv:{data}", "--on-error", "skip")
    duck, actual = run_to(invoke, tmp_path, "duckdb", model, f"csv:{data}", "--on-error", "skip", "--engine", "duckdb")
    assert python.exit_code == duck.exit_code == 0
    assert actual.read_bytes() == expected.read_bytes()
    assert "1 row skipped because of bad data" in duck.output


def test_spark_engine_writes_the_python_engines_bytes(invoke, tmp_path):
    pytest.importorskip("pyspark")
    model = ROOT / "examples" / "product_lines" / "model.score"
    data = f"csv:{ROOT / 'examples' / 'product_lines' / 'data'}"
    _, expected = run_to(invoke, tmp_path, "python", model, data)
    spark, actual = run_to(invoke, tmp_path, "spark", model, data, "--engine", "spark", "--threads", "2")
    assert spark.exit_code == 0, spark.output
    assert actual.read_bytes() == expected.read_bytes()


def test_auto_picks_python_for_small_files_and_pushdown_needs_a_sql_source(invoke, tmp_path):
    model = ROOT / "examples" / "b2b_saas" / "model.score"
    data = f"csv:{ROOT / 'examples' / 'b2b_saas' / 'data'}"
    auto, _ = run_to(invoke, tmp_path, "auto", model, data, "--engine", "auto")
    assert auto.exit_code == 0 and "engine:" not in auto.output
    pushdown, out = run_to(invoke, tmp_path, "pushdown", model, data, "--engine", "pushdown")
    assert pushdown.exit_code == 2
    assert "pushdown needs a SQL source" in pushdown.output
    assert not out.exists()


def test_auto_picks_duckdb_for_large_files_with_companies_as_without(monkeypatch):
    """DuckDB reads the files itself whether or not the schema declares companies."""
    from scoredsl.compiler.pipeline import compile_file
    from scoredsl.engines import registry
    from scoredsl.plugins.manager import open_source

    monkeypatch.setattr(registry, "AUTO_BYTES", 0)
    for example, expected in (("accounts", "duckdb"), ("b2b_saas", "duckdb")):
        program = compile_file(ROOT / "examples" / example / "model.score")
        with open_source(f"csv:{ROOT / 'examples' / example / 'data'}", program.schema) as source:
            assert registry.choose_engine("auto", list(program.models.values()), source).name == expected


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compile_emits_sql_every_dialect_reads_back(invoke, dialect):
    result = invoke("compile", ROOT / "examples" / "b2b_saas" / "model.score", "--emit", "sql",
                    "--dialect", dialect, "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.output
    header, _, body = result.output.partition("\n")
    assert header.startswith("-- model b2b (") and dialect in header
    parsed = sqlglot.parse_one(body.rstrip().rstrip(";"), read=dialect)
    assert parsed.find(sqlglot.exp.With) is not None
    assert "_sd_contacts" in body


def test_check_engine_reports_what_an_engine_cannot_run(invoke, tmp_path):
    rules = tmp_path / "rx.score"
    rules.write_text("schema {\n  contact { title: text }\n}\nmodel m {\n  score s {\n"
                     "    rule a: title matches /\\p{Lu}x/ => +5\n    rule b: title matches /\\bvp\\b/ => +5\n"
                     "  }\n}\n", "utf-8")
    assert invoke("check", rules).exit_code == 0
    assert invoke("check", rules, "--engine", "duckdb").exit_code == 0
    result = invoke("check", rules, "--engine", "postgres")
    assert result.exit_code == 1
    assert "rx.score:6:13: error[SD502]" in result.output
    assert "cannot run the same on postgres: Unicode classes" in result.output
    assert "/\\bvp\\b/" not in result.output          # \b translates exactly


@pytest.mark.parametrize("example", ["b2b_saas", "product_lines"])
def test_duckdb_reads_clean_files_itself_and_hands_bad_ones_to_python(tmp_path, example):
    from scoredsl.engines.duckdb_files import Files, load_files
    from scoredsl.compiler.pipeline import compile_file
    from scoredsl.engines.frame import RunSummary

    schema = compile_file(ROOT / "examples" / example / "model.score").schema
    data = ROOT / "examples" / example / "data"
    con = duckdb.connect()
    assert load_files(con, Files("csv", str(data / "contacts.csv"), str(data / "events.csv")), schema, RunSummary())
    if example == "b2b_saas":
        broken = broken_copy(tmp_path)
        con = duckdb.connect()
        assert not load_files(con, Files("csv", str(broken / "contacts.csv"), str(broken / "events.csv")), schema,
                              RunSummary())


def test_a_broken_sort_promise_fails_without_the_skip_hint(invoke, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "contacts.csv").write_text("id,email\nc2,a@x.com\nc1,b@y.com\n", "utf-8")
    (data / "events.csv").write_text("contact_id,type,timestamp\n", "utf-8")
    model = ROOT / "examples" / "b2b_saas" / "model.score"
    for on_error in ("fail", "skip"):
        result, out = run_to(invoke, tmp_path, f"sorted-{on_error}", model, f"csv:{data}?sorted=contact_id",
                             "--on-error", on_error)
        assert result.exit_code == 1, result.output
        assert "bad data:" in result.output and "row 3" in result.output
        assert "--on-error skip" not in result.output and not out.exists()


def test_spilled_and_sorted_runs_say_so_and_write_the_same_bytes(invoke, tmp_path):
    model = ROOT / "examples" / "b2b_saas" / "model.score"
    data = ROOT / "examples" / "b2b_saas" / "data"
    spilled, a = run_to(invoke, tmp_path, "spilled", model, f"csv:{data}", "--max-events-in-memory", "500",
                        "--spill-dir", tmp_path)
    joined, b = run_to(invoke, tmp_path, "sorted", model, f"csv:{data}?sorted=contact_id")
    assert "folded into each contact's totals as read" in spilled.output   # its filters read only events
    assert "spilled to temporary files, split by contact" in spilled.output
    assert "joined contact by contact" in joined.output
    assert a.read_bytes() == b.read_bytes()


def test_an_int_beyond_64_bits_is_bad_data_on_sql_engines_only(invoke, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "b2b_saas" / "data", data)
    lines = (data / "contacts.csv").read_text("utf-8").splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[5] = str(10 ** 20)          # employees
    (data / "contacts.csv").write_text("".join([lines[0], ",".join(cells)] + lines[2:]), "utf-8")
    model = ROOT / "examples" / "b2b_saas" / "model.score"
    python, _ = run_to(invoke, tmp_path, "python", model, f"csv:{data}")
    duck, out = run_to(invoke, tmp_path, "duckdb", model, f"csv:{data}", "--engine", "duckdb")
    assert python.exit_code == 0
    assert duck.exit_code == 1 and "beyond the 64-bit integers" in duck.output and not out.exists()


def test_a_run_without_engine_is_auto_and_large_files_go_to_duckdb(invoke, tmp_path, monkeypatch):
    from scoredsl.engines import registry

    model = ROOT / "examples" / "b2b_saas" / "model.score"
    data = f"csv:{ROOT / 'examples' / 'b2b_saas' / 'data'}"
    python, python_out = run_to(invoke, tmp_path, "python", model, data, "--engine", "python")
    monkeypatch.setattr(registry, "AUTO_BYTES", 0)
    default, default_out = run_to(invoke, tmp_path, "default", model, data)
    assert default.exit_code == 0, default.output
    assert "engine: duckdb" in default.output
    assert default_out.read_bytes() == python_out.read_bytes()
