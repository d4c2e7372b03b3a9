"""The built-in ``files`` plugin: CSV and JSONL sources, CSV, JSONL and table sinks."""

import datetime as dt
import json
import os
import stat

import pytest

from scoredsl.data.records import DataError, DataSchema, Event, ResultRow, TypeSpec
from scoredsl.data.sinks import ModelInfo, RunInfo, SinkError
from scoredsl.data.specs import SpecError
from scoredsl.plugins.manager import open_sink, open_source

UTC = dt.timezone.utc
SCHEMA = DataSchema(
    contact={"email": TypeSpec("text"), "employees": TypeSpec("int"),
             "email_opt_out": TypeSpec("bool"), "created": TypeSpec("date"),
             "tags": TypeSpec("text", is_list=True)},
    events={"email_open": {"campaign": TypeSpec("text")}, "email_bounce": {}},
)


def write(path, text):
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def skip_into(errors):
    return errors.append


def contacts_of(spec, on_error=None):
    with open_source(spec, SCHEMA) as source:
        rows = list(source.contacts(SCHEMA, on_error) if on_error else source.contacts(SCHEMA))
    return rows, source


def events_of(spec, on_error=None):
    with open_source(spec, SCHEMA) as source:
        rows = list(source.events(SCHEMA, on_error) if on_error else source.events(SCHEMA))
    return rows, source


@pytest.fixture
def csv_folder(tmp_path):
    write(tmp_path / "contacts.csv",
          "id,email,employees,email_opt_out,created,tags,unused\n"
          "c1,ann@example.com,120,no,2024-01-15,analytics;crm,x\n"
          " c2 ,,,,,,\n")
    write(tmp_path / "events.csv",
          "contact_id,type,timestamp,campaign,url\n"
          "c1,email_open,2024-06-01T09:30:00Z,spring,https://x\n"
          "c2,email_bounce,2024-06-02,spring,\n"
          "c1,page_view,2024-06-03T10:00:00Z,,https://y\n")
    return tmp_path


# ================================================================== sources

def test_csv_folder_contacts_are_typed(csv_folder):
    contacts, source = contacts_of(f"csv:{csv_folder}")
    assert contacts == [
        {"id": "c1", "email": "ann@example.com", "employees": 120, "email_opt_out": False,
         "created": dt.date(2024, 1, 15), "tags": ("analytics", "crm")},
        {"id": "c2", "email": None, "employees": None, "email_opt_out": None, "created": None,
         "tags": None},
    ]
    assert source.skipped_rows == 0


def test_csv_folder_events_keep_declared_types_and_attributes(csv_folder):
    events, source = events_of(f"csv:{csv_folder}")
    assert events == [
        Event(contact_id="c1", type="email_open",
              timestamp=dt.datetime(2024, 6, 1, 9, 30, tzinfo=UTC), attrs={"campaign": "spring"}),
        Event(contact_id="c2", type="email_bounce", timestamp=dt.datetime(2024, 6, 2, tzinfo=UTC),
              attrs={}),
    ]
    assert source.ignored_events == 1


def test_a_scheme_is_inferred_from_a_folder_or_file(csv_folder):
    assert len(contacts_of(str(csv_folder))[0]) == 2
    assert len(contacts_of(str(csv_folder / "contacts.csv"))[0]) == 2


def test_jsonl_folder(tmp_path):
    write(tmp_path / "contacts.jsonl",
          '{"id": "c1", "employees": 12, "tags": ["a"], "email_opt_out": true, "other": {}}\n'
          '\n'
          '{"id": 42, "email": "  "}\n')
    write(tmp_path / "events.jsonl",
          '{"contact_id": 42, "type": "email_open", "timestamp": "2024-06-01T09:30:00+02:00",'
          ' "campaign": "spring", "extra": 1}\n')
    contacts, _ = contacts_of(f"jsonl:{tmp_path}")
    assert contacts == [
        {"id": "c1", "email": None, "employees": 12, "email_opt_out": True, "created": None,
         "tags": ("a",)},
        {"id": "42", "email": None, "employees": None, "email_opt_out": None, "created": None,
         "tags": None},
    ]
    events, _ = events_of(f"jsonl:{tmp_path}")
    assert events == [Event(contact_id="42", type="email_open",
                            timestamp=dt.datetime(2024, 6, 1, 7, 30, tzinfo=UTC),
                            attrs={"campaign": "spring"})]


def test_single_contacts_file_with_events_option(csv_folder, tmp_path):
    contacts_path = csv_folder / "contacts.csv"
    events_path = csv_folder / "events.csv"
    source = open_source(f"csv:{contacts_path}?events={events_path}", SCHEMA)
    assert len(list(source.contacts(SCHEMA))) == 2 and len(list(source.events(SCHEMA))) == 2
    without = open_source(f"csv:{contacts_path}", SCHEMA)
    assert list(without.events(SCHEMA)) == []


def test_delimiter_option(tmp_path):
    write(tmp_path / "c.csv", "id\temployees\nc1\t5\n")
    contacts, _ = contacts_of(f"csv:{tmp_path / 'c.csv'}?delimiter=tab")
    assert contacts[0]["employees"] == 5


@pytest.mark.parametrize("spec, message", [
    ("csv:{d}/nothing", "no such file or folder"),
    ("csv:{d}/contacts.csv?events={d}/missing.csv", "no such file or folder"),
    ("csv:{d}?events=x.csv", "events= is for a single contacts file"),
    ("csv:{d}/contacts.csv?format=x",
     "unknown option 'format' for csv (allowed: events, companies, delimiter, sorted, columns, event_columns, company_columns)"),
    ("csv:{d}/contacts.csv?delimiter=ab", "delimiter must be one character"),
    ("jsonl:{d}", "the folder has no contacts.jsonl and no events.jsonl"),
    ("csv:-", "not standard input"),
])
def test_bad_source_specs(csv_folder, spec, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_source(spec.format(d=csv_folder), SCHEMA)


def test_folder_without_events_file(tmp_path):
    write(tmp_path / "contacts.csv", "id\nc1\n")
    with pytest.raises(SpecError, match=r"no events.csv .*contacts only, name the file"):
        open_source(f"csv:{tmp_path}", SCHEMA)


# ------------------------------------------------------------------ data errors

CONTACT_ERRORS = [
    ("id,employees\nc1,12\nc2,abc\n", 3, "employees", "'abc' is not an int"),
    ("id,employees\nc1,12\n,5\n", 3, "id", "missing contact id"),
    ("id,created\n\"c1\",\"2024-01-01\"\n\"c\n2\",2024-02-30\n", 3, "created",
     "'2024-02-30' is not a date: day is out of range for month"),
    ("id,email_opt_out\nc1,\nc2,maybe\n", 3, "email_opt_out", "'maybe' is not a bool"),
    ("id,tags\nc1,a\nc2,b\n\nc1,c\n", 5, "id", "duplicate contact id 'c1': also at row 2"),
    (b"id,email\nc1,x\nc2,caf\xe9\n", 3, "email", "the value is not valid UTF-8"),
]


@pytest.mark.parametrize("text, row, column, message", CONTACT_ERRORS)
def test_contact_errors_name_file_row_and_column(tmp_path, text, row, column, message):
    path = write(tmp_path / "contacts.csv", text)
    with pytest.raises(DataError) as info:
        contacts_of(f"csv:{path}")
    error = info.value
    assert (error.file, error.row, error.column) == (str(path), row, column)
    assert message in error.message
    assert str(error).startswith(f"{path}, row {row}, column '{column}': ")


EVENT_ERRORS = [
    ("contact_id,type,timestamp\nc1,email_open,yesterday\n", 2, "timestamp", "'yesterday' is not a datetime"),
    ("contact_id,type,timestamp\nc1,email_open,\n", 2, "timestamp", "missing timestamp"),
    ("contact_id,type,timestamp\n,email_open,2024-01-01\n", 2, "contact_id", "missing contact id"),
    ("contact_id,type,timestamp\nc1, ,2024-01-01\n", 2, "type", "missing event type"),
    ("contact_id,type,timestamp,campaign\nc1,email_open,2024-01-01,\nc1,email_open,2024-01-01,"
     + "\xa0" * 3 + "\n", None, None, None),
]


@pytest.mark.parametrize("text, row, column, message", EVENT_ERRORS)
def test_event_errors_name_file_row_and_column(tmp_path, text, row, column, message):
    path = write(tmp_path / "events.csv", text)
    write(tmp_path / "contacts.csv", "id\n")
    spec = f"csv:{tmp_path / 'contacts.csv'}?events={path}"
    if message is None:  # white space only is a missing text, not an error
        events, _ = events_of(spec)
        assert [e.attrs["campaign"] for e in events] == [None, None]
        return
    with pytest.raises(DataError) as info:
        events_of(spec)
    assert (info.value.file, info.value.row, info.value.column) == (str(path), row, column)
    assert message in info.value.message


JSONL_ERRORS = [
    ('{"id": "c1"}\n{"id": "c2", "employees": "12"}\n', 2, "employees",
     '"12" is not an int (expected a JSON integer)'),
    ('{"id": "c1"}\n\n{"id": true}\n', 3, "id", "true is not a valid contact id"),
    ('{"id": "c1", "id": "c2"}\n', 1, "id", "the key appears twice"),
    ('{"id": "c1", "employees": NaN}\n', 1, None, "NaN is not valid JSON"),
    ('{"id": "c1",}\n', 1, None, "not valid JSON: "),
    ('["c1"]\n', 1, None, "expected a JSON object, found list"),
    (b'{"id": "caf\xe9"}\n', 1, None, "not valid UTF-8 (byte 12 of the line)"),
]


@pytest.mark.parametrize("text, row, column, message", JSONL_ERRORS)
def test_jsonl_errors_name_file_row_and_column(tmp_path, text, row, column, message):
    path = write(tmp_path / "contacts.jsonl", text)
    with pytest.raises(DataError) as info:
        contacts_of(f"jsonl:{path}")
    assert (info.value.file, info.value.row, info.value.column) == (str(path), row, column)
    assert message in info.value.message


@pytest.mark.parametrize("text, row, message", [
    ("id,employees\nc1,1\nc2,2,3\n", 3, "the row has 3 cells, the header 2"),
    ("id,employees\nc1\n", 2, "the row has 1 cells, the header 2"),
    ('id,email\nc1,"a"b\n', 2, "not valid CSV"),
])
def test_malformed_csv_rows(tmp_path, text, row, message):
    path = write(tmp_path / "contacts.csv", text)
    with pytest.raises(DataError) as info:
        contacts_of(f"csv:{path}")
    assert (info.value.row, info.value.column) == (row, None)
    assert message in info.value.message


def test_trailing_empty_cells_are_allowed(tmp_path):
    path = write(tmp_path / "contacts.csv", "id,employees\r\nc1,1,,\r\n")
    assert contacts_of(f"csv:{path}")[0][0]["employees"] == 1


@pytest.mark.parametrize("text, column, message", [
    ("", None, "the file is empty"),
    ("email\nx\n", "id", "the header has no 'id' column (found 'email')"),
    ("id,email,email\n", "email", "the column appears twice in the header"),
])
def test_header_problems_are_raised_even_in_skip_mode(tmp_path, text, column, message):
    path = write(tmp_path / "contacts.csv", text)
    with pytest.raises(DataError) as info:
        contacts_of(f"csv:{path}", on_error=skip_into([]))
    assert (info.value.row, info.value.column) == (1, column)
    assert message in info.value.message


def test_header_with_bom_and_spaces(tmp_path):
    path = write(tmp_path / "contacts.csv", b"\xef\xbb\xbfid , employees\nc1,3\n")
    assert contacts_of(f"csv:{path}")[0] == [{"id": "c1", "email": None, "employees": 3,
                                             "email_opt_out": None, "created": None, "tags": None}]


def test_skip_mode_skips_and_counts_bad_rows(tmp_path):
    path = write(tmp_path / "contacts.csv", "id,employees\nc1,1\nc2,x\nc1,3\nc3,4\n")
    errors = []
    contacts, source = contacts_of(f"csv:{path}", on_error=skip_into(errors))
    assert [c["id"] for c in contacts] == ["c1", "c3"]
    assert source.skipped_rows == 2
    assert [(e.row, e.column) for e in errors] == [(3, "employees"), (4, "id")]


def test_fail_mode_stops_at_the_first_bad_row_after_streaming_the_good_ones(tmp_path):
    path = write(tmp_path / "contacts.csv", "id,employees\nc1,1\nc2,x\nc3,3\n")
    source = open_source(f"csv:{path}", SCHEMA)
    contacts = source.contacts(SCHEMA)
    assert next(contacts)["id"] == "c1"
    with pytest.raises(DataError, match="row 3"):
        next(contacts)
    source.close()


def test_close_releases_a_half_read_file(csv_folder):
    source = open_source(f"csv:{csv_folder}", SCHEMA)
    contacts = source.contacts(SCHEMA)
    next(contacts)
    source.close()
    with pytest.raises(StopIteration):
        next(contacts)


# ================================================================== sinks

AS_OF = dt.datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
RUN = RunInfo(as_of=AS_OF, models=(
    ModelInfo(name="b2b", scores=("fit", "engagement"), tiers=("lifecycle",), version="b2b-1a2b"),
    ModelInfo(name="analytics", scores=("fit", "usage"), tiers=("heat",), version="an-3c4d"),
))
ROWS = [
    ResultRow(contact_id="c1", model="b2b", status="scored", reason=None,
              scores={"fit": 25, "engagement": 40.0}, tiers={"lifecycle": "mql"}),
    ResultRow(contact_id="c1", model="analytics", status="out_of_scope", reason=None,
              scores={"fit": None, "usage": None}, tiers={"heat": None}),
    ResultRow(contact_id="Zoë, \"the\" =1", model="b2b", status="disqualified", reason="customer",
              scores={"fit": None, "engagement": None}, tiers={"lifecycle": None}),
]

EXPECTED_CSV = (
    "contact_id,model,status,reason,fit,engagement,usage,lifecycle,heat,model_version,as_of\n"
    "c1,b2b,scored,,25,40,,mql,,b2b-1a2b,2024-06-01T12:00:00Z\n"
    "c1,analytics,out_of_scope,,,,,,,an-3c4d,2024-06-01T12:00:00Z\n"
    '"Zoë, ""the"" =1",b2b,disqualified,customer,,,,,,b2b-1a2b,2024-06-01T12:00:00Z\n'
)


def run_sink(spec, rows=ROWS, run=RUN):
    sink = open_sink(spec)
    sink.open(run)
    for row in rows:
        sink.write(row)
    sink.commit()


def test_csv_sink(tmp_path):
    out = tmp_path / "scores.csv"
    run_sink(f"csv:{out}")
    assert out.read_bytes() == EXPECTED_CSV.encode("utf-8")


def test_jsonl_sink(tmp_path):
    out = tmp_path / "scores.jsonl"
    run_sink(f"jsonl:{out}")
    lines = out.read_text("utf-8").splitlines()
    assert lines[0] == ('{"contact_id":"c1","model":"b2b","status":"scored","reason":null,"fit":25,'
                        '"engagement":40,"usage":null,"lifecycle":"mql","heat":null,'
                        '"model_version":"b2b-1a2b","as_of":"2024-06-01T12:00:00Z"}')
    assert json.loads(lines[2])["contact_id"] == 'Zoë, "the" =1' and "Zoë" in lines[2]


def test_output_is_deterministic(tmp_path):
    for name in ("a.csv", "b.csv", "a.jsonl", "b.jsonl"):
        run_sink(str(tmp_path / name))
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_stdout_sinks(capsys):
    run_sink("csv:-")
    assert capsys.readouterr().out == EXPECTED_CSV
    run_sink("table:-")
    assert capsys.readouterr().out == (
        "contact_id     model      status        reason    fit  engagement  usage  lifecycle  heat\n"
        "-------------  ---------  ------------  --------  ---  ----------  -----  ---------  ----\n"
        "c1             b2b        scored                   25          40         mql\n"
        "c1             analytics  out_of_scope\n"
        'Zoë, "the" =1  b2b        disqualified  customer\n'
    )


def test_table_escapes_control_characters_and_prints_nothing_on_abort(capsys):
    sink = open_sink("table:-")
    sink.open(RUN)
    sink.write(ResultRow(contact_id="a\nb", model="b2b", status="scored", reason=None,
                         scores={"fit": 1, "engagement": 2}, tiers={"lifecycle": "lead"}))
    sink.abort()
    assert capsys.readouterr().out == ""
    run_sink("table:-", rows=[ResultRow(contact_id="a\nb", model="b2b", status="scored", reason=None,
                                        scores={"fit": 1, "engagement": 2}, tiers={"lifecycle": "lead"})])
    assert "a\\nb" in capsys.readouterr().out


@pytest.mark.parametrize("scheme", ["csv", "jsonl", "table"])
def test_abort_leaves_the_previous_file_untouched(tmp_path, scheme):
    out = tmp_path / f"scores.{scheme}"
    out.write_text("previous results\n")
    sink = open_sink(f"{scheme}:{out}")
    sink.open(RUN)
    sink.write(ROWS[0])
    assert len(os.listdir(tmp_path)) == 2          # the temporary file, next to the target
    sink.abort()
    assert out.read_text() == "previous results\n"
    assert os.listdir(tmp_path) == [out.name]
    sink.abort()                                   # idempotent


def test_commit_replaces_the_file_and_keeps_its_permissions(tmp_path):
    out = tmp_path / "scores.csv"
    out.write_text("old\n")
    out.chmod(0o640)
    run_sink(f"csv:{out}")
    assert out.read_text("utf-8") == EXPECTED_CSV
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["scores.csv"]


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    out = tmp_path / "new.csv"
    run_sink(f"csv:{out}")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_sink_errors(tmp_path):
    with pytest.raises(SpecError, match="is a folder"):
        open_sink(f"csv:{tmp_path}")
    with pytest.raises(SpecError, match="the folder .*/missing does not exist"):
        open_sink(f"csv:{tmp_path}/missing/out.csv")
    with pytest.raises(SpecError, match="unknown option 'x' for jsonl"):
        open_sink(f"jsonl:{tmp_path}/a.jsonl?x=1")
    clash = RunInfo(as_of=AS_OF, models=(ModelInfo(name="m", scores=("status",), tiers=(), version="v"),))
    with pytest.raises(SinkError, match="score 'status' would share its output column with a fixed"):
        open_sink(f"csv:{tmp_path}/c.csv").open(clash)
    assert os.listdir(tmp_path) == []
    sink = open_sink(f"csv:{tmp_path}/d.csv")
    sink.open(RUN)
    with pytest.raises(SinkError, match="model 'other', which is not part of this run"):
        sink.write(ResultRow(contact_id="c", model="other", status="scored", reason=None, scores={},
                             tiers={}))
    sink.abort()
    assert os.listdir(tmp_path) == []


# ================================================================== hostile data

HOSTILE_MODEL = """schema {
  contact { x: int, note: text, tags: list[text] }
  event visit { page: text }
}
model m { score fit { rule r: x > 1 => +1 } }
"""


@pytest.fixture
def hostile(tmp_path):
    """One bad row of each kind the readers must skip, not crash on, between good ones."""
    big = "9" * 5000
    (tmp_path / "m.score").write_text(HOSTILE_MODEL)
    csv_dir, jsonl_dir = tmp_path / "csv", tmp_path / "jsonl"
    csv_dir.mkdir(), jsonl_dir.mkdir()
    write(csv_dir / "contacts.csv", f"id,x,note,tags\nok1,5,,\nbig,{big},,\nok2,1,,\n")
    write(csv_dir / "events.csv", "contact_id,type,timestamp,page\nok1,visit,2026-01-01,/a\n")
    write(jsonl_dir / "contacts.jsonl", "\n".join([
        '{"id": "ok1", "x": 5}',
        '{"id": "big", "x": ' + big + '}',
        '{"id": "lone", "x": 5, "note": "\\ud800"}',
        '{"id": "lonelist", "x": 5, "tags": ["a", "\\udc00"]}',
        '{"id": "deep", "x": 5, "other": ' + "[" * 100_000 + "]" * 100_000 + '}',
        '{"id": "ok2", "x": 1}']) + "\n")
    write(jsonl_dir / "events.jsonl", '{"contact_id": "ok1", "type": "visit", "timestamp": "2026-01-01", '
                                      '"page": "\\ud83d\\ude00"}\n'
                                      '{"contact_id": "ok1", "type": "visit", "timestamp": "2026-01-01", '
                                      '"page": "\\ud83d"}\n')
    return tmp_path


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_hostile_rows_are_skipped_with_a_reason_on_every_engine(invoke, hostile, engine):
    outputs = {}
    for kind in ("csv", "jsonl"):
        result = invoke("run", hostile / "m.score", "--source", f"{kind}:{hostile / kind}", "--as-of",
                        "2026-02-01", "--on-error", "skip", "--engine", engine)
        assert result.exit_code == 0, result.output
        outputs[kind] = result.output
    assert "row 3, column 'x': '99999999" in outputs["csv"] and "has more than 4,300 digits" in outputs["csv"]
    jsonl = outputs["jsonl"]
    assert "contacts.jsonl, row 2: a number has more than 4,300 digits" in jsonl
    assert "contacts.jsonl, row 3, column 'note': \"\\ud800\" holds a lone surrogate" in jsonl
    assert "contacts.jsonl, row 4, column 'tags'" in jsonl
    assert "contacts.jsonl, row 5: values are nested too deeply" in jsonl
    assert "events.jsonl, row 2, column 'page'" in jsonl
    assert "ok1,m,scored,,1" in jsonl and "ok2,m,scored,,0" in jsonl


def test_a_hostile_row_stops_a_failing_run_naming_it(invoke, hostile):
    result = invoke("run", hostile / "m.score", "--source", f"jsonl:{hostile / 'jsonl'}", "--as-of", "2026-02-01")
    assert result.exit_code == 1
    assert "bad data:" in result.output and "internal error" not in result.output
