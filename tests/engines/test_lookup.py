"""``scoredsl explain`` finds one contact without reading every event into Python: the byte
search of quote-free CSV files and DuckDB's reader of quoted ones must find exactly the contact
and events that a full read finds, whatever the files hold."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

import paths
from scoredsl.data.records import DataSchema, TypeSpec
from scoredsl.engines.duckdb_files import Files, contact_rows
from scoredsl.engines.frame import ErrorPolicy, RunSummary
from scoredsl.engines.lookup import one_contact
from scoredsl.plugins.builtin.files import FileSource
from strategies import examples

SCHEMA = DataSchema(contact={"id": TypeSpec("text"), "employees": TypeSpec("int"), "note": TypeSpec("text")},
                    events={"visit": {"url": TypeSpec("text")}, "form": {"score": TypeSpec("int")}})
IDS = ["c1", "c10", "c2", "1", "c 1"]

pad = st.sampled_from(["", " ", "\t", "\u00a0"])
ident = st.builds(lambda a, i, b: a + i + b, pad, st.sampled_from(IDS + ["x"]), pad)
text = st.sampled_from(["", "a", "b,c", "line\nbreak", 'say "hi"', "c1", " c1", "12", "x" * 5])
number = st.sampled_from(["", "3", " 7 ", "x", "1e3", "-2"])


def _cell(value: str, quoted: bool) -> str:
    if quoted or any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def csv_file(draw, header, cells, quotes):
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append("")                                              # a blank line
        elif kind == 1:
            lines.append(",".join(_cell(c, False) for c in draw(cells)[:-1]))   # a cell short
        else:
            row = draw(cells)
            if not quotes:
                row = [c for c in row if not any(ch in c for ch in ',"\n\r')]
                if len(row) != len(header):
                    continue
            lines.append(",".join(_cell(c, quotes and draw(st.booleans())) for c in row))
    return (draw(st.sampled_from(["", "\ufeff"])) + end.join(lines) + end).encode("utf-8")


contacts_cells = st.tuples(ident, number, text).map(list)
events_cells = st.tuples(ident, st.sampled_from(["visit", "form", " visit", "other", ""]),
                         st.sampled_from(["2026-01-01", "2026-01-02T10:00:00Z", "", "soon"]),
                         text, number).map(list)


def _full(source, contact_id):
    policy = ErrorPolicy("skip", RunSummary())
    contact = next((c for c in source.contacts(SCHEMA, policy) if c["id"] == contact_id), None)
    if contact is None:
        return None, []
    return contact, [e for e in source.events(SCHEMA, policy) if e.contact_id == contact_id]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), quotes=st.booleans())
def test_one_contact_is_what_a_full_read_finds(tmp_path, data, quotes):
    contacts = tmp_path / "contacts.csv"
    events = tmp_path / "events.csv"
    contacts.write_bytes(data.draw(csv_file(["id", "employees", "note"], contacts_cells, quotes)))
    events.write_bytes(data.draw(csv_file(["contact_id", "type", "timestamp", "url", "score"], events_cells,
                                          quotes)))
    source = FileSource("csv", str(contacts), str(events))
    for contact_id in IDS + ["absent"]:
        want = _full(source, contact_id)
        if want[0] is None:
            want = (None, [])
        policy = ErrorPolicy("skip", RunSummary())
        assert one_contact(source, SCHEMA, contact_id, policy) == want, contact_id
        by_bytes = source.for_contact(contact_id, SCHEMA, ErrorPolicy("skip", RunSummary()))
        if by_bytes is not None:
            assert (by_bytes if by_bytes[0] is not None else (None, [])) == want, contact_id
        files = Files.of(source)
        rows = {path: contact_rows(files, path, key, contact_id)
                for path, key in ((str(contacts), "id"), (str(events), "contact_id"))}
        if None not in rows.values():
            got = source.one_contact(rows, contact_id, SCHEMA, ErrorPolicy("skip", RunSummary()))
            assert (got if got[0] is not None else (None, [])) == want, contact_id


def test_the_byte_search_serves_quote_free_files_and_duckdb_quoted_ones(tmp_path):
    (tmp_path / "contacts.csv").write_text("id,employees,note\nc1,3,a\nc10,4,b\n")
    (tmp_path / "events.csv").write_text("contact_id,type,timestamp,url,score\nc1,visit,2026-01-01,/a,\n"
                                         "c10,visit,2026-01-01,/b,\n")
    source = FileSource("csv", str(tmp_path / "contacts.csv"), str(tmp_path / "events.csv"))
    assert source.for_contact("c1", SCHEMA) is not None
    (tmp_path / "events.csv").write_text('contact_id,type,timestamp,url,score\nc1,visit,2026-01-01,"/a,b",\n')
    assert source.for_contact("c1", SCHEMA) is None
    rows = contact_rows(Files.of(source), str(tmp_path / "events.csv"), "contact_id", "c1")
    assert rows == [(-1, ["c1", "visit", "2026-01-01", "/a,b", ""])]
    (tmp_path / "events.csv").write_text('contact_id,type,timestamp,url,score\nc1,visit,2026-01-01,"/a\n')
    assert contact_rows(Files.of(source), str(tmp_path / "events.csv"), "contact_id", "c1") is None  # malformed


def _no_full_read(source):
    def refuse(*_args, **_kwargs):
        raise AssertionError("every record was read")
    source.contacts = source.events = source.packed_events = refuse
    return source


def test_one_contact_reads_only_its_records_in_both_kinds_of_file(tmp_path):
    (tmp_path / "contacts.csv").write_text("id,employees,note\n" + "".join(f"c{i},{i},n\n" for i in range(500)))
    plain = "".join(f"c{i},visit,2026-01-0{1 + i % 9},/p{i},\n" for i in range(500))
    (tmp_path / "events.csv").write_text("contact_id,type,timestamp,url,score\n" + plain)
    source = _no_full_read(FileSource("csv", str(tmp_path / "contacts.csv"), str(tmp_path / "events.csv")))
    policy = ErrorPolicy("skip", RunSummary())
    contact, events = one_contact(source, SCHEMA, "c42", policy)
    assert contact == {"id": "c42", "employees": 42, "note": "n"} and [e.attrs["url"] for e in events] == ["/p42"]
    quoted = "".join(f'"c{i}","visit","2026-01-0{1 + i % 9}","/p{i}",""\n' for i in range(500))
    (tmp_path / "events.csv").write_text('contact_id,type,timestamp,url,score\n"c42",visit,2026-01-01,"/q,1",\n'
                                         + quoted)
    contact, events = one_contact(source, SCHEMA, "c42", policy)
    assert [e.attrs["url"] for e in events] == ["/q,1", "/p42"]


def test_explain_shows_the_contact_from_files_with_and_without_quotes(tmp_path, invoke):
    model = paths.EXAMPLES / "backtest" / "model.score"
    data = paths.EXAMPLES / "backtest" / "data"
    plain = invoke("explain", model, "--contact", "p00042", "--source", f"csv:{data}", "--as-of", "2026-01-01",
                   "--format", "json")
    assert plain.exit_code == 0, plain.output
    quoted_dir = tmp_path / "quoted"
    quoted_dir.mkdir()
    (quoted_dir / "contacts.csv").write_text((data / "contacts.csv").read_text())
    lines = (data / "events.csv").read_text().splitlines()
    (quoted_dir / "events.csv").write_text("\n".join([lines[0]] + [",".join(f'"{c}"' for c in line.split(","))
                                                                    for line in lines[1:]]) + "\n")
    quoted = invoke("explain", model, "--contact", "p00042", "--source", f"csv:{quoted_dir}", "--as-of",
                    "2026-01-01", "--format", "json")
    assert quoted.exit_code == 0, quoted.output
    assert quoted.output == plain.output
