"""DuckDB and PostgreSQL write CSV results themselves (scoredsl.engines.sql_text): the same
bytes, the same counts, as the rows written one by one, and no result row passes through
Python."""

from __future__ import annotations

import csv
import io
import shutil

import duckdb
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scoredsl.engines.sql_text import _literal, csv_cell
from scoredsl.engines.results import Output
from scoredsl.plugins.builtin.files import CsvSink
from sqltargets import PostgresTarget

ODD_IDS = {"p0001": "p,1", "p0002": 'p"2"', "p0003": "p\n3", "p0004": "é€ p\r4", "p0005": '"'}


CELLS = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
                        | st.sampled_from(',"\r\n \\\''), max_size=8), min_size=1, max_size=4)
ODD_CELLS = ["a\rb", "c\nd", 'e"', "f,g", "", " ", "h\\'i"]


def sink_line(values, tmp_path_factory) -> str:
    """The line the CSV sink writes for ``values`` and a missing value."""
    path = tmp_path_factory.mktemp("sink") / "out.csv"
    sink = CsvSink(str(path))
    sink.open_table(tuple(f"c{i}" for i in range(len(values) + 1)))
    sink.write_values({f"c{i}": value for i, value in enumerate(values + [None])})
    sink.commit()
    header, line = path.read_bytes().decode("utf-8").split("\n", 1)
    with open(path, newline="", encoding="utf-8") as file:
        assert list(csv.reader(file))[1:] == [values + [""]]       # read back as written
    return line


@given(values=CELLS)
@example(values=ODD_CELLS)
def test_a_cell_is_quoted_as_the_csv_sink_quotes_it(values, tmp_path_factory):
    con = duckdb.connect()
    cells = " || ',' || ".join(csv_cell("?") for _ in values)
    params = [v for v in values for _ in range(csv_cell("?").count("?"))]
    line = con.execute(f"SELECT {cells} || ',' || {csv_cell('CAST(NULL AS VARCHAR)')}", params).fetchone()[0]
    assert line + "\n" == sink_line(values, tmp_path_factory)


@pytest.fixture(scope="module")
def postgres():
    target = PostgresTarget()
    yield target.con
    target.con.execute(f'DROP SCHEMA "{target.schema}" CASCADE')
    target.con.close()


@given(values=CELLS)
@example(values=ODD_CELLS)
def test_postgresql_quotes_a_cell_as_the_csv_sink_does(values, postgres, tmp_path_factory):
    # the lines --engine pushdown has PostgreSQL write (constants as escape strings)
    cell = csv_cell("CAST(%s AS text)", "postgres")
    cells = " || ',' || ".join(cell for _ in values)
    params = [v for v in values for _ in range(cell.count("%s"))]
    line, = postgres.execute(f"SELECT {cells} || ',' || {csv_cell('CAST(NULL AS text)', 'postgres')}",
                             params).fetchone()
    assert line + "\n" == sink_line(values, tmp_path_factory)
    text, = postgres.execute(f"SELECT {_literal(''.join(values), 'postgres')}").fetchone()     # no parameters
    assert text == "".join(values)


@pytest.fixture
def odd_ids(tmp_path, repo):
    """The product lines example with contact ids that CSV must quote."""
    folder = tmp_path / "data"
    shutil.copytree(repo.EXAMPLES / "product_lines" / "data", folder)
    for name, column in (("contacts.csv", "id"), ("events.csv", "contact_id")):
        path = folder / name
        with open(path, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        for row in rows:
            row[column] = ODD_IDS.get(row[column], row[column])
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return folder


def test_two_models_and_quoted_ids_give_the_bytes_of_the_python_engine(invoke, repo, odd_ids, tmp_path,
                                                                        monkeypatch):
    model = repo.EXAMPLES / "product_lines" / "model.score"
    common = [model, "--source", f"csv:{odd_ids}", "--as-of", "2026-11-01"]
    python = invoke("run", *common, "--engine", "python", "--sink", f"csv:{tmp_path / 'python.csv'}")
    assert python.exit_code == 0, python.output

    def no_rows(self, row):
        raise AssertionError("a result row went through Python")
    monkeypatch.setattr(Output, "write", no_rows)
    duck = invoke("run", *common, "--engine", "duckdb", "--sink", f"csv:{tmp_path / 'duckdb.csv'}")
    assert duck.exit_code == 0, duck.output
    written = (tmp_path / "duckdb.csv").read_bytes()
    assert written == (tmp_path / "python.csv").read_bytes()
    ids = [row["contact_id"] for row in csv.DictReader(io.StringIO(written.decode(), newline=""))]
    for odd in ODD_IDS.values():                         # read back as written: one row per model
        assert ids.count(odd) == 2
    # the counts of the summary are those of the rows one by one
    summary = [line for line in duck.output.splitlines() if "contacts/s" not in line and "engine:" not in line]
    assert summary == [line for line in python.output.splitlines() if "contacts/s" not in line]


def test_a_run_that_keeps_state_writes_its_rows_one_by_one_and_the_same_bytes(invoke, repo, odd_ids, tmp_path):
    model = repo.EXAMPLES / "product_lines" / "model.score"
    common = [model, "--source", f"csv:{odd_ids}", "--as-of", "2026-11-01"]
    for engine in ("python", "duckdb"):
        result = invoke("run", *common, "--engine", engine, "--sink", f"csv:{tmp_path / engine}.csv",
                        "--state", tmp_path / f"{engine}.db")
        assert result.exit_code == 0, result.output
    assert (tmp_path / "duckdb.csv").read_bytes() == (tmp_path / "python.csv").read_bytes()


def test_the_summary_counts_events_orphans_and_ignored_events_as_the_python_engine(invoke, repo, tmp_path):
    """DuckDB's reading counts the events of declared types, those whose contact id names no
    contact (ids compared stripped) and those of undeclared types, on its staged tables."""
    folder = tmp_path / "data"
    shutil.copytree(repo.EXAMPLES / "product_lines" / "data", folder)
    with open(folder / "events.csv", "a", encoding="utf-8", newline="") as file:
        file.write("nobody,page_view,2026-10-01T21:00:00Z,,,/x,,,,\n"        # orphans, declared types
                   " nobody ,email_open,2026-10-02T21:00:00Z,c,analytics,,,,,\n"
                   " p0001 ,page_view,2026-10-03T21:00:00Z,,,/y,,,,\n"      # a contact's, id padded
                   "p0002,tweet,2026-10-04T21:00:00Z,,,,,,,\n"               # an undeclared type
                   "ghost,tweet,2026-10-04T21:00:00Z,,,,,,,\n")
    common = [repo.EXAMPLES / "product_lines" / "model.score", "--source", f"csv:{folder}", "--as-of", "2026-11-01"]
    outputs = {}
    for engine in ("python", "duckdb"):
        done = invoke("run", *common, "--engine", engine, "--sink", f"csv:{tmp_path / (engine + '.csv')}")
        assert done.exit_code == 0, done.output
        outputs[engine] = [line for line in done.output.splitlines() if "contacts/s" not in line and "engine:" not in line]
    assert outputs["duckdb"] == outputs["python"]
    assert any("2 events belong to no contact in the source" in line for line in outputs["python"]), outputs["python"]
    assert (tmp_path / "duckdb.csv").read_bytes() == (tmp_path / "python.csv").read_bytes()


@pytest.mark.parametrize("line", ["p0001, ,2026-10-01T21:00:00Z,,,/x,,,,",       # a type of white space
                                  "p0001,,2026-10-01T21:00:00Z,,,/x,,,,",        # no type
                                  "p0001,page_view,2026-13-01T21:00:00Z,,,/x,,,,",   # a bad instant
                                  ",page_view,2026-10-01T21:00:00Z,,,/x,,,,"])       # no contact id
@pytest.mark.parametrize("on_error", ["fail", "skip"])
def test_an_event_the_python_reader_rejects_is_reported_and_skipped_as_it_does(invoke, repo, tmp_path, line, on_error):
    folder = tmp_path / "data"
    shutil.copytree(repo.EXAMPLES / "product_lines" / "data", folder)
    with open(folder / "events.csv", "a", encoding="utf-8", newline="") as file:
        file.write(line + "\n")
    common = [repo.EXAMPLES / "product_lines" / "model.score", "--source", f"csv:{folder}", "--as-of", "2026-11-01",
              "--on-error", on_error]
    done = {}
    for engine in ("python", "duckdb"):
        result = invoke("run", *common, "--engine", engine, "--sink", f"csv:{tmp_path / (engine + '.csv')}")
        done[engine] = (result.exit_code, [x for x in result.output.splitlines()
                                           if "contacts/s" not in x and "engine:" not in x])
    assert done["duckdb"] == done["python"]
    assert done["python"][0] == (0 if on_error == "skip" else 1), done["python"]
    assert any("events.csv" in x for x in done["python"][1]), done["python"]      # the row is named
    if on_error == "skip":
        assert (tmp_path / "duckdb.csv").read_bytes() == (tmp_path / "python.csv").read_bytes()


def test_a_memory_limit_and_a_spill_folder_give_the_same_bytes(invoke, repo, tmp_path, monkeypatch):
    """Under --memory-limit the results are the same bytes; DuckDB's temporary folder (where it
    spills beyond the limit) is made under --spill-dir and is gone afterwards. That the limit
    binds is the next test's."""
    common = [repo.EXAMPLES / "product_lines" / "model.score", "--source",
              f"csv:{repo.EXAMPLES / 'product_lines' / 'data'}", "--as-of", "2026-11-01", "-q"]
    python = invoke("run", *common, "--engine", "python", "--sink", f"csv:{tmp_path / 'python.csv'}")
    assert python.exit_code == 0, python.output
    spill = tmp_path / "spill"
    spill.mkdir()
    folders = []
    connect = duckdb.connect

    def watched(*args, **kwargs):        # the real DuckDB; what the spill folder holds meanwhile
        folders.extend(spill.iterdir())
        return connect(*args, **kwargs)
    monkeypatch.setattr(duckdb, "connect", watched)
    duck = invoke("run", *common, "--engine", "duckdb", "--memory-limit", "64MB", "--spill-dir", str(spill),
                  "--sink", f"csv:{tmp_path / 'duckdb.csv'}")
    assert duck.exit_code == 0, duck.output
    assert (tmp_path / "duckdb.csv").read_bytes() == (tmp_path / "python.csv").read_bytes()
    assert folders and all(f.name.startswith("scoredsl-") for f in folders)      # the run's folder was there
    assert list(spill.iterdir()) == []                                             # and is gone


def test_too_small_a_memory_limit_is_a_clear_error_and_writes_nothing(invoke, repo, tmp_path):
    out = tmp_path / "out.csv"
    done = invoke("run", repo.EXAMPLES / "product_lines" / "model.score", "--source",
                  f"csv:{repo.EXAMPLES / 'product_lines' / 'data'}", "--as-of", "2026-11-01", "--engine", "duckdb",
                  "--memory-limit", "1MB", "--sink", f"csv:{out}")
    assert done.exit_code != 0
    assert "DuckDB ran out of memory within 1MB" in done.output and "--memory-limit" in done.output
    assert "nothing was written" in done.output and not out.exists()


@pytest.mark.parametrize("size", ["1GB; DROP TABLE x", "lots", "1 G", "-1GB", "1e3MB"])
def test_a_memory_limit_is_a_number_and_a_unit(invoke, repo, tmp_path, size):
    from scoredsl.engines.base import RunOptions

    done = invoke("run", repo.EXAMPLES / "product_lines" / "model.score", "--source",
                  f"csv:{repo.EXAMPLES / 'product_lines' / 'data'}", "--engine", "duckdb", "--memory-limit", size,
                  "--sink", f"csv:{tmp_path / 'out.csv'}")
    assert done.exit_code == 2 and "is not a memory size" in done.output
    with pytest.raises(ValueError, match="a memory size is a number and a unit"):
        RunOptions(memory_limit=size)
    assert RunOptions(memory_limit="1.5GiB").memory_limit == "1.5GiB"
