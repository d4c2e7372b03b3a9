"""DuckDB's reading of CSV cells (scoredsl.engines.duckdb_files) gives the Python reader's values exactly,
and rejects exactly what it rejects, for every type (hypothesis over cell texts shaped like real
exports: valid forms, odd white space, near misses and garbage)."""

from __future__ import annotations

import csv

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import examples
from scoredsl.data.canonical import WHITESPACE, OutOfRange, encode
from scoredsl.data.records import DataError, TypeSpec, epoch_micros
from scoredsl.data.values import parse_csv_value
from scoredsl.data.records import DataSchema
from scoredsl.engines.duckdb_files import MAX_CSV_CELL, Files, _fast, convert, load_files
from scoredsl.engines.frame import RunSummary

SPACES = st.sampled_from(["", " ", "\t", "\u00a0", "\u3000", "\x1f", "\n", " \u2028"])
DIGITS = st.text("0123456789", min_size=1, max_size=4)


def padded(core):
    return st.builds(lambda a, c, b: a + c + b, SPACES, core, SPACES)


def two(n=2, top=99):
    return st.integers(0, top).map(lambda v: str(v).zfill(n))


DATE = st.builds(lambda y, m, d: f"{y}-{m}-{d}", st.sampled_from(["0000", "0001", "1970", "2024", "2026", "9999"]),
                 two(top=13), two(top=32))
TIME = st.builds(lambda h, mi, sec, frac: f"{h}:{mi}" + (f":{sec}" if sec is not None else "") + (frac or ""),
                 two(top=25), two(top=61), st.none() | two(top=61),
                 st.none() | st.sampled_from([".5", ".123456", ",25", ".1234567", ".123456789", "."]))
ZONE = st.sampled_from(["", "Z", "z", "+02:00", "-05:30", "+0530", "+02", "+24:00", "-23:59", "+1", "UTC"])
# instants that leave years 1 to 9999 once in UTC, in each of the shapes DuckDB reads differently
EDGES = st.sampled_from(["9999-12-31T23:59:59-01:00", "9999-12-31 23:30-0030", "9999-12-31t23:59:59,5-00:01",
                         "0001-01-01T00:30:00+01:00", "0001-01-01 00:00+0001", "0001-01-01t00:00:00.1+23:59",
                         "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z", "9999-12-31T22:59:59-01:00"])
DATETIME = st.one_of(DATE, EDGES, st.builds(lambda d, sep, t, z: d + sep + t + z, DATE,
                                            st.sampled_from(["T", "t", " ", "  ", "_"]), TIME, ZONE))
CELLS = {
    "text": st.text(max_size=6),
    "int": st.one_of(st.integers(-10**20, 10**20).map(str), st.builds(lambda s, d: s + d, st.sampled_from(["", "+", "-", "--"]), DIGITS),
                     st.sampled_from(["1.0", "1e3", "0x10", "١٢", "", "NaN"])),
    "number": st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str),
                        st.sampled_from(["1.", ".5", "1e400", "-1E-5", "1e", "inf", "+.5e+3", "1_000", "٣.٥"])),
    "bool": st.sampled_from(["true", "FALSE", "Yes", "no", "1", "0", "t", "y", "2", "truth", "ÿes"]),
    "date": st.one_of(DATE, st.sampled_from(["2024-1-01", "20240101", "2024-06-01T00:00"])),
    "datetime": DATETIME,
    "list": st.lists(st.text(";, a\u00a0\x1e\x1fB", max_size=4), max_size=4).map(";".join),
}
# what a hand-edited or badly exported cell holds where a digit belongs: white space (which
# DuckDB's own parsers skip in places), signs, separators, other digits
TROUBLE = st.sampled_from([" ", "\t", "\n", ".", ",", "+", "-", ":", "T", "Z", "0", "9", "e", "_", "\u00a0",
                           "\u0663", "\uff10", ""])


def mutated(core):
    """A cell of ``core`` with a character or two replaced, inserted or deleted: the near misses."""
    def mutate(cell, edits):
        for at, char, how in edits:
            at = at % (len(cell) + 1)
            cell = (cell[:at] + char + cell[at + 1:] if how == "replace" else
                    cell[:at] + char + cell[at:] if how == "insert" else cell[:at] + cell[at + 1:])
        return cell
    edit = st.tuples(st.integers(0, 40), TROUBLE, st.sampled_from(["replace", "insert", "delete"]))
    return st.builds(mutate, core, st.lists(edit, min_size=1, max_size=2))


# Near misses DuckDB's own readers take and the language does not (each was read as a value once)
NEAR_MISSES = {
    "datetime": ["2026-06-17T 4:15:47Z", "2026-06-17T\t4:15:47Z", "2026-06-17T04:15:4.Z", "1999-12-31T23:59:5Z",
                 "2026-06-1\t 04:15:47", "2026-06-17  4:15:47", "0001-01-01 00:00:0Z", "2026-06-17T24:00:00Z",
                 "2026-06-17 04:15:4\t", "2026-06-1 T04:15:47Z", " 2026-06-17T04:15:47 Z", "2026/06/17",
                 "2026-06-17T04:15:47 UTC", "2026-06-17 (BC)", "-2026-06-17", "2026-06-17T04:15:47+2"],
    "date": ["2026-06-1 ", "2026-6-17", "2026-06-1\t", "2026/06/17", "2026 06 17", "0000-01-01", "2026-06-17 (BC)",
             "+2026-06-17", "2026-06-17T00:00:00"],
    "int": ["1_000", "1 000", "+ 1", "1.0", "1.", "0x1F", "1e3", "\u0661"],
    "number": ["1_000.5", "1 000", "1.5.", "0x1F", "1e", "Infinity", "nan", "1,5", "\u0661.5"],
    "bool": ["tru", "t", "f", "y", "n", "on", "off", "True.", "TRUE_"],
}


def python_value(cell, spec):
    """The Python reader's value in canonical form, or "bad" when it rejects the cell (or the
    SQL engines do: an int beyond 64 bits)."""
    try:
        return ("ok", encode(parse_csv_value(cell, spec), spec))
    except (DataError, OutOfRange):
        return ("bad", None)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(CELLS)), data=st.data())
def test_duckdb_reads_every_cell_as_python_does(con, kind, data):
    spec = TypeSpec("text", is_list=True) if kind == "list" else TypeSpec(kind)
    cells = data.draw(st.lists(st.one_of(CELLS[kind], padded(CELLS[kind]), mutated(CELLS[kind])), min_size=1,
                               max_size=20))
    assert_read_as_python_reads(con, cells, spec)


@pytest.mark.parametrize("kind", sorted(NEAR_MISSES))
def test_the_near_misses_duckdb_itself_would_take_are_rejected(con, kind):
    assert_read_as_python_reads(con, NEAR_MISSES[kind], TypeSpec(kind))
    assert all(python_value(cell, TypeSpec(kind))[0] == "bad" for cell in NEAR_MISSES[kind])


# one of each form of each type, for every edit of one character
TEMPLATES = {
    "datetime": ["2026-06-17T04:15:47Z", "2026-06-17 04:15:47", "2026-06-17T04:15:47", "2026-06-17", "2026-06-17T04:15",
                 "2026-06-17T04:15:47.123456Z", "2026-06-17T04:15:47+02:00", "2026-06-17 04:15:47-0530",
                 "1999-12-31T23:59:59Z", "0001-01-01 00:00:00"],
    "date": ["2026-06-17", "0001-01-01", "9999-12-31"],
    "int": ["1234", "-56", "+7"],
    "number": ["12.5", "-0.25e3", ".5"],
    "bool": ["true", "false", "yes", "no", "1", "0"],
}
EDIT_CHARS = [" ", "\t", "\n", "\r", "\x0b", "\x0c", ".", ",", "+", "-", ":", "/", "T", "t", "Z", "z", "0", "9", "e",
              "_", "\u00a0", "\u3000", "\u0663", "\uff10"]


def single_edits(template):
    for at in range(len(template) + 1):
        yield template[:at] + template[at + 1:]
        for char in EDIT_CHARS:
            yield template[:at] + char + template[at + 1:]
            yield template[:at] + char + template[at:]


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_every_one_character_edit_of_each_form_is_read_as_python_reads_it(con, kind):
    cells = sorted({cell for template in TEMPLATES[kind] for cell in single_edits(template)})
    assert_read_as_python_reads(con, cells, TypeSpec(kind))


def assert_read_as_python_reads(con, cells, spec):
    con.execute("CREATE OR REPLACE TABLE cells (i INTEGER, raw VARCHAR)")
    con.executemany("INSERT INTO cells VALUES (?, ?)", list(enumerate(cells)))
    rows = con.execute(f"SELECT i, {convert('raw', spec)}, {_fast('raw', spec)} FROM cells ORDER BY i").fetchall()
    wrong = []
    for (i, got, fast), cell in zip(rows, cells):
        expected = python_value(cell, spec)
        if expected[0] == "ok":
            if got != expected[1]:
                wrong.append((cell, got, expected[1]))
        # rejected: DuckDB gives NULL for a present value, which the loader flags
        elif got is not None or parse_csv_value(cell, TypeSpec("text")) is None:
            wrong.append((cell, got, "rejected"))
        if fast is not None and fast != got:        # the plain forms only: the same value, or none
            wrong.append((cell, fast, "plain form"))
    assert not wrong, f"{len(wrong)} cells read otherwise than Python reads them, first {wrong[:10]}"


def test_the_datetime_forms_of_the_language():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for cell in ["2026-06-01", "2026-06-01T09:30:05.123456789Z", "2026-06-01t09:30z", "2026-06-01 09:30:05,5+05:30",
                 "2024-02-29T23:59:59-0100"]:
        got = con.execute(f"SELECT {convert('x', TypeSpec('datetime'))} FROM (SELECT ? AS x)", [cell]).fetchone()[0]
        assert got == epoch_micros(parse_csv_value(cell, TypeSpec("datetime"))), cell


def test_every_edge_instant_is_read_as_python_reads_it():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for cell in EDGES.wrapped_strategy.elements if hasattr(EDGES, "wrapped_strategy") else EDGES.elements:
        got = con.execute(f"SELECT {convert('x', TypeSpec('datetime'))} FROM (SELECT ? AS x)", [cell]).fetchone()[0]
        assert got == python_value(cell, TypeSpec("datetime"))[1], cell


@pytest.mark.parametrize("contacts, readable", [
    ("id,note\nc1,short\n", True),
    ("id,note\nc1," + "x" * (MAX_CSV_CELL - 8) + "\nc2,y\n", True),        # a line a little shorter
    ("id,note\nc1," + "é" * (MAX_CSV_CELL // 2 - 8) + "\nc2,y\n", True),
    ("id,note\nc1," + "x" * (MAX_CSV_CELL + 1) + "\nc2,y\n", False),         # too long a cell
    ("id,note\nc1,\nc2," + "é" * (MAX_CSV_CELL + 1) + "\n", False),
    ("id,unused\nc1," + "x" * (MAX_CSV_CELL + 1) + "\n", False),            # in a column nobody reads
    ('id,note\nc1,"' + "x\n" * (MAX_CSV_CELL // 2 + 1) + '"\nc2,y\n', False),  # over lines, quoted
    ("id,note\nc1,y\nc2," + "z" * 3_000_000 + "\n", False),                # a last line DuckDB would drop
    ("id,note\nc1," + "x" * 40_000_000 + "\nc2,y\n", False),                # a line beyond DuckDB's buffer
    # cells Python takes, on a line of MAX_CSV_CELL bytes or more: the Python reader reads them
    ("id,note\nc1," + "x" * MAX_CSV_CELL + "\nc2,y\n", False),
    ("id,note\nc1," + "é" * MAX_CSV_CELL + "\n", False),
    ("id,note,more\nc1," + "x" * (MAX_CSV_CELL // 2) + "," + "y" * (MAX_CSV_CELL // 2) + "\n", False),
])
def test_files_duckdb_cannot_read_as_python_does_go_to_the_python_reader(tmp_path, contacts, readable):
    (tmp_path / "contacts.csv").write_text(contacts)
    schema = DataSchema(contact={"id": TypeSpec("text"), "note": TypeSpec("text")}, events={})
    con = duckdb.connect()
    assert load_files(con, Files("csv", str(tmp_path / "contacts.csv"), None), schema, RunSummary()) is readable


@pytest.mark.parametrize("note, fails", [
    ("x" * MAX_CSV_CELL, False),                   # the longest cell the Python reader takes
    ("é" * MAX_CSV_CELL, False),
    ("x" * (MAX_CSV_CELL + 1), True),
])
def test_long_lines_give_what_the_python_engine_gives(invoke, tmp_path, note, fails):
    """A line DuckDB does not read goes to the Python reader: the same scores, or the same error."""
    (tmp_path / "m.score").write_text('schema { contact { note: text } event visit { url: text } }\n'
                                      'model m { score s { rule a: note contains "x" => +1\n'
                                      'rule b: count(visit) > 0 => +2 } }\n', "utf-8")
    (tmp_path / "contacts.csv").write_text(f"id,note\nc1,{note}\nc2,x\n", "utf-8")
    (tmp_path / "events.csv").write_text(f"contact_id,type,timestamp,url\nc1,visit,2026-10-01,{note[:10]}\n", "utf-8")
    results = {}
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        result = invoke("run", tmp_path / "m.score", "--source", f"csv:{tmp_path}", "--as-of", "2026-11-01",
                        "--sink", f"csv:{out}", "--engine", engine)
        assert (result.exit_code != 0) is fails, result.output
        results[engine] = (result.output.splitlines()[-1] if fails else out.read_bytes())
    assert results["duckdb"] == results["python"]
    assert fails or results["python"].count(b"\n") == 3


@pytest.mark.parametrize("stamp", ["2026-10-01T 4:15:47Z", "2026-10-01T04:15:4.Z", "2026-10-01T04:15:47+02:90"])
def test_a_timestamp_duckdb_itself_would_read_is_the_same_error_on_both_engines(invoke, tmp_path, stamp):
    (tmp_path / "m.score").write_text('schema { contact { } event visit { } }\n'
                                      'model m { score s { rule b: count(visit) > 0 => +2 } }\n', "utf-8")
    (tmp_path / "contacts.csv").write_text("id\nc1\n", "utf-8")
    (tmp_path / "events.csv").write_text(f"contact_id,type,timestamp\nc1,visit,2026-10-01\nc1,visit,{stamp}\n", "utf-8")
    errors = {}
    for engine in ("python", "duckdb"):
        result = invoke("run", tmp_path / "m.score", "--source", f"csv:{tmp_path}", "--as-of", "2026-11-01",
                        "--sink", f"csv:{tmp_path / 'out.csv'}", "--engine", engine)
        assert result.exit_code != 0, result.output
        errors[engine] = [line for line in result.output.splitlines() if "is not a datetime" in line]
    assert errors["duckdb"] == errors["python"] != []
    assert not (tmp_path / "out.csv").exists()


def test_cells_in_other_than_their_plain_forms_are_still_read_by_duckdb(tmp_path):
    """Plain forms are read first; a file with others is read again by every rule, still by DuckDB."""
    schema = DataSchema(contact={"id": TypeSpec("text"), "n": TypeSpec("int"), "x": TypeSpec("number"),
                                 "when": TypeSpec("datetime"), "day": TypeSpec("date"), "ok": TypeSpec("bool")},
                        events={})
    rows = [("c1", "1", "2.5", "2026-06-01T09:30:00Z", "2026-06-01", "true"),
            ("c2", " 7 ", "\t-1e3", "2026-06-01t09:30:00,5z", " 2026-06-02", "Yes"),
            ("c3", "", "", "0001-01-01T00:30:00+00:30", "", "")]
    with open(tmp_path / "contacts.csv", "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([("id", "n", "x", "when", "day", "ok"), *rows])
    con = duckdb.connect()
    assert load_files(con, Files("csv", str(tmp_path / "contacts.csv"), None), schema, RunSummary())
    got = con.execute("SELECT * EXCLUDE (_sd_row) FROM _sd_contacts ORDER BY _sd_row").fetchall()
    specs = list(schema.contact.values())[1:]
    assert got == [(r[0], *(python_value(cell, spec)[1] for cell, spec in zip(r[1:], specs))) for r in rows]


COMPANY_SCHEMA = DataSchema(contact={"id": TypeSpec("text"), "company_id": TypeSpec("text")}, events={},
                            company={"industry": TypeSpec("text"), "size": TypeSpec("int"),
                                     "tags": TypeSpec("text", is_list=True)})
COMPANY_IDS = st.one_of(st.sampled_from(["acme", "Acme", "globex", "x y", "nobody"]),
                        st.sampled_from(["acme", "globex"]).flatmap(
                            lambda c: st.tuples(st.sampled_from(["", " ", "\t", "\u00a0", "\u3000"]), st.just(c),
                                                st.sampled_from(["", " ", "\u2003", "\u00a0 "])).map("".join)),
                        st.sampled_from(["", " ", "\u00a0"]))


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(COMPANY_IDS, min_size=1, max_size=8), firms=st.sets(st.sampled_from(["acme", "globex", "x y"])))
def test_duckdb_joins_each_contact_to_its_company_as_python_does(tmp_path_factory, ids, firms):
    """The files read by DuckDB, companies joined in SQL, give the canonical contacts the Python
    reader gives (:func:`scoredsl.engines.duckdb.load_rows`): padded, blank and unknown ids alike."""
    from scoredsl.data.companies import Companies
    from scoredsl.engines.duckdb import load_rows
    from scoredsl.engines.frame import ErrorPolicy
    from scoredsl.plugins.manager import open_source

    folder = tmp_path_factory.mktemp("companies")
    rows = "".join(f'c{i},"{cid}"\n' for i, cid in enumerate(ids))
    (folder / "contacts.csv").write_text("id,company_id\n" + rows, encoding="utf-8")
    (folder / "events.csv").write_text("contact_id,type,timestamp\n", encoding="utf-8")
    (folder / "companies.csv").write_text(
        "id,industry,size,tags\n" + "".join(f"{f},SaaS {f},{len(f)},a;{f}\n" for f in sorted(firms)), encoding="utf-8")
    tables = []
    for fast in (True, False):
        summary = RunSummary()
        with open_source(f"csv:{folder}", COMPANY_SCHEMA) as source:
            companies = Companies.read(source, COMPANY_SCHEMA)
            con = duckdb.connect()
            if fast:
                assert load_files(con, Files.of(source), COMPANY_SCHEMA, summary, companies)
            else:
                scratch = tmp_path_factory.mktemp("scratch")        # load_rows writes its CSV files there
                load_rows(con, source, COMPANY_SCHEMA, ErrorPolicy("fail", summary), summary, str(scratch), companies)
        tables.append((con.execute('SELECT * FROM "_sd_contacts" ORDER BY _sd_row').fetchall(), companies.unmatched))
    assert tables[0] == tables[1]


# ------------------------------------------------------------------ attributes no query reads

PRUNING_SCHEMA = """schema {
  contact { name: text, employees: int }
  event visit { url: text, page: text, seconds: number, tags: list[text] }
  event mail { campaign: text, url: text, note: text }
}
"""
#: Each reads the event attributes in one way: a filter, distinct, an each-rule's filter or
#: distinct, a text test, a list; and one reads none. The others are then not staged.
PRUNING_MODELS = {
    "filter": 'rule a: count(visit where url == "/pricing") > 0 => +5',
    "distinct": "rule a: count(mail distinct campaign) >= 2 => +3",
    "each filter": 'rule a: each visit where page starts_with "/blog" => +1 max 4',
    "each distinct": "rule a: each mail distinct note case_sensitive => +2",
    "shared name": 'rule a: count(mail where url contains "x") > 0 => +1\n rule b: has(visit where seconds > 3) => +1',
    "list": 'rule a: has(visit where "a" in tags) => +2',
    "none": "rule a: employees > 10 => +1",
}
TEXTS = st.sampled_from(["", " ", "  \t", "/pricing", "/PRICING", "/blog/x", "x", "X y", "é", "a;b", ";;", "a; ;b"])


@settings(max_examples=examples(30), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(PRUNING_MODELS)), data=st.data())
def test_attributes_no_query_reads_are_not_staged_and_change_nothing(invoke, tmp_path_factory, name, data):
    import csv as csv_module

    folder = tmp_path_factory.mktemp("pruning")
    model = folder / "m.score"
    model.write_text(PRUNING_SCHEMA + "model m {\n score s {\n " + PRUNING_MODELS[name] + "\n }\n}\n", "utf-8")
    ids = data.draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3))
    with open(folder / "contacts.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv_module.writer(file, lineterminator="\n")
        writer.writerow(["id", "name", "employees"])
        writer.writerows([cid, data.draw(TEXTS), data.draw(st.sampled_from(["", "5", "50"]))] for cid in ids)
    with open(folder / "events.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv_module.writer(file, lineterminator="\n")
        writer.writerow(["contact_id", "type", "timestamp", "url", "page", "seconds", "tags", "campaign", "note"])
        for _ in range(data.draw(st.integers(0, 12))):
            writer.writerow([data.draw(st.sampled_from(["a", "b", "c", "d"])), data.draw(st.sampled_from(["visit", "mail"])),
                             data.draw(st.sampled_from(["2026-10-01T10:00:00Z", "2026-10-20 08:00:00", "2026-10-30"])),
                             *[data.draw(TEXTS) for _ in range(2)], data.draw(st.sampled_from(["", "1", "7.5"])),
                             *[data.draw(TEXTS) for _ in range(3)]])
    outputs = {}
    for engine in ("python", "duckdb"):
        out = folder / f"{engine}.csv"
        result = invoke("run", model, "--source", f"csv:{folder}", "--as-of", "2026-11-01", "--sink", f"csv:{out}",
                        "--engine", engine)
        assert result.exit_code == 0, result.output
        outputs[engine] = out.read_bytes()
    assert outputs["duckdb"] == outputs["python"], name


def test_only_the_text_attributes_no_query_reads_are_left_out_of_the_staged_events(tmp_path):
    from scoredsl.compiler.pipeline import compile_text
    from scoredsl.engines.duckdb import model_queries

    program = compile_text(PRUNING_SCHEMA + "model m { score s {\n" + PRUNING_MODELS["distinct"] + "\n} }", "m.score")
    read: set = set()
    model_queries(list(program.models.values()), 0, "duckdb", read)
    assert read == {("mail", "campaign")}
    (tmp_path / "contacts.csv").write_text("id,name,employees\na,,\n", "utf-8")
    (tmp_path / "events.csv").write_text("contact_id,type,timestamp,url,page,seconds,tags,campaign,note\n"
                                         "a,mail,2026-10-01,/x,,,,spring,hi\n", "utf-8")
    con = duckdb.connect()
    files = Files("csv", str(tmp_path / "contacts.csv"), str(tmp_path / "events.csv"))
    assert load_files(con, files, program.schema, RunSummary(), read=read)
    staged = [row[0] for row in con.execute("DESCRIBE _sd_stage_events").fetchall()]
    # the timestamp, seconds (a number), tags (a list) and campaign: checked or read; url, page and note: neither
    assert len([c for c in staged if c.startswith("_sd_v")]) == 3
    # in the relation the query reads: the attribute it reads, and NULL for the others
    assert con.execute('SELECT _sd_a0, _sd_a1, _sd_a2 FROM "_sd_events_1"').fetchall() == [("spring", None, None)]


EVENT_TYPES = st.one_of(
    st.sampled_from(["visit", "click", "chat", "Visit", "list_membership", "visit2", "v"]),
    st.tuples(SPACES, st.sampled_from(["visit", "click", "chat"]), SPACES).map("".join))


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(types=st.lists(st.tuples(st.sampled_from(["c1", "c2"]), EVENT_TYPES), min_size=1, max_size=12))
def test_each_event_counts_under_its_type_or_is_ignored_as_on_the_python_engine(invoke, tmp_path_factory, types):
    """Declared types as they are, with white space around them, in another case, and types
    the schema does not declare (which exports have many of): the same counts and the same
    events ignored on both engines."""
    tmp_path = tmp_path_factory.mktemp("types")
    (tmp_path / "m.score").write_text(
        'schema { contact { } event visit { } event click { } }\n'
        'model m { score s { rule a: each visit => +1 max 100\n rule b: each click => +100 max 10000 } }\n', "utf-8")
    (tmp_path / "contacts.csv").write_text("id\nc1\nc2\n", "utf-8")
    with open(tmp_path / "events.csv", "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([("contact_id", "type", "timestamp"),
                                    *((cid, kind, "2026-10-01T00:00:00Z") for cid, kind in types)])
    results = {}
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        result = invoke("run", tmp_path / "m.score", "--source", f"csv:{tmp_path}", "--as-of", "2026-11-01",
                        "--sink", f"csv:{out}", "--engine", engine)
        assert result.exit_code == 0, result.output
        ignored = [line for line in result.output.splitlines() if "ignored" in line]
        results[engine] = (out.read_bytes(), ignored)
    assert results["duckdb"] == results["python"]
    undeclared = sum(kind.strip(WHITESPACE) not in ("visit", "click") for _cid, kind in types)
    assert [line.split()[0] for line in results["python"][1]] == ([f"{undeclared:,}"] if undeclared else [])
