"""The runner's ways to bring each contact its events give the same results.

``sorted`` (a merge join of two streams sorted by contact id), ``memory`` (every event read
first), ``spilled`` (events beyond a budget written to a temporary SQLite database),
``folded`` (each event folded into its contact's totals as it is read) and ``folded, spilled``
(totals beyond a budget written to disk) must give the same rows in the same order, the same
counts and the same skipped-row errors, on the same files; a source that says it is sorted and
is not stops the run; and memory stays bounded.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import examples
from scoredsl.compiler.pipeline import compile_text
from scoredsl.data.records import DataError, Event, TypeSpec
from scoredsl.data.sinks import Sink
from scoredsl.data.sources import OrderError, Source
from scoredsl.data.values import parse_csv_value
from scoredsl.engines.base import RunOptions
from scoredsl.engines.frame import ErrorPolicy, RunSummary, run
from scoredsl.engines.python import EventStore, PythonEngine
from scoredsl.plugins.manager import open_source

UTC = dt.timezone.utc
AS_OF = dt.datetime(2024, 7, 1, tzinfo=UTC)
PROGRAM = compile_text("""
schema {
  contact { name: text, employees: int, vip: bool, joined: date }
  event visit { url: text, seconds: number }
  event mail { campaign: text, newsletter: bool, sent: datetime }
  event bounce
}
model m {
  score engagement max 100 {
    decay inactivity { 30d => 50% } activity [visit, mail]
    rule visits: count(visit within 30d) { 1..2 => +5; >= 3 => +10 }
    rule pricing: each visit where url contains "pricing" => +7 max 21
    rule opened: each mail where newsletter => +3 once
    rule bounced: has(bounce) => -20
    rule recent: age(last(mail)) { < 7d => +4 }
    rule early: age(first(visit)) { > 60d => +2 }
  }
  score fit {
    rule big: employees >= 100 => +10
    rule vip: vip => +5
  }
  tier t { hot: engagement >= 20; cold: otherwise }
}
""")
MODEL = PROGRAM.model()
SCHEMA = PROGRAM.schema
CONTACT_COLUMNS = ["id", "name", "employees", "vip", "joined"]
EVENT_COLUMNS = ["contact_id", "type", "timestamp", "url", "seconds", "campaign", "newsletter", "sent"]


class Collect(Sink):
    """Keeps the rows; remembers whether the run committed or aborted."""

    def __init__(self):
        self.rows, self.state = [], "open"

    def open(self, run):
        pass

    def write(self, row):
        self.rows.append(row)

    def commit(self):
        self.state = "committed"

    def abort(self):
        self.state = "aborted"


class Count(Collect):
    """Keeps no row (to measure what a run holds, not what its sink holds)."""

    def write(self, row):
        pass


class Plain(Source):
    """A source with only the two required methods (like an old third-party plugin), over
    another source; optionally saying that it is sorted."""

    def __init__(self, inner: Source, ordered: bool = False):
        self.inner, self.ordered = inner, ordered

    def contacts(self, schema, on_error):
        yield from self.inner.contacts(schema, on_error)

    def events(self, schema, on_error):
        yield from self.inner.events(schema, on_error)

    def order_by_contact(self):
        return self.ordered

    @property
    def skipped_rows(self):
        return self.inner.skipped_rows

    @property
    def ignored_events(self):
        return self.inner.ignored_events


def score(source: Source, *, on_error="fail", budget=1_000_000, spill_dir=None, fold=False, models=(MODEL,),
          sink=None):
    """``(rows, summary, sink)`` of a run of the test model over ``source``; ``fold``: fold
    the events into totals (the default of a run; off here, to test how events are held)."""
    sink = sink or Collect()
    try:
        summary = run(PythonEngine(), list(models), source, sink, AS_OF,
                      RunOptions(on_error=on_error, event_budget=budget, spill_dir=spill_dir, fold=fold))
    finally:
        source.close()
    return sink.rows, summary, sink


def outcome(rows, summary):
    """Everything a run's user sees, except timings and how the run went about it."""
    return (rows, summary.contacts, summary.events, summary.orphan_events, summary.ignored_events,
            summary.skipped_rows, [e.describe() for e in summary.errors], summary.statuses, summary.tiers)


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


# ------------------------------------------------------------------ random data

IDS = ["a", "b", "c10", "c2", "C3", "é", "z", "zz"]            # "zz": events only (orphans)
TIMES = ["2024-06-01T09:30:00Z", "2024-06-01 09:30:00", "2024-06-01T11:30:00+02:00", "2024-05-01",
         "2024-04-01T00:00:00Z", "2024-06-30T23:59:59Z", "2024-07-01T00:00:00Z", "2024-07-02T08:00:00Z",
         " 2024-06-10T12:00:00Z ", "2024-06-24T00:00:00.5Z"]
BAD_TIMES = ["", "nope", "2024-02-30T00:00:00Z", "2024-06-01T24:00:00Z"]


def cells(good, bad=(), allow_bad=False):
    return st.sampled_from(list(good) + (list(bad) if allow_bad else []))


@st.composite
def data_sets(draw, allow_bad=False):
    """(contacts, events): rows of cells, both sorted by contact id (events stably)."""
    ids = sorted(draw(st.sets(st.sampled_from(IDS[:-1]), max_size=7)))
    contacts = [[cid,
                 draw(cells(["", "Ann", "  "])),
                 draw(cells(["", "5", "150", " 200 ", "100"], ["x", "1.5"], allow_bad)),
                 draw(cells(["", "yes", "no", "TRUE", "0"], ["maybe"], allow_bad)),
                 draw(cells(["", "2024-01-01", " 2023-12-31 "], ["2024-02-30"], allow_bad))]
                for cid in ids]
    events = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(cells(["visit", "mail", "bounce", "chat", " visit "], [""], allow_bad))
        events.append([draw(st.sampled_from(IDS)), kind,
                       draw(cells(TIMES, BAD_TIMES, allow_bad)),
                       draw(cells(["", " ", "/pricing", "/blog", "/PRICING/x"])),
                       draw(cells(["", "1.5", "30"], ["x"], allow_bad)),
                       draw(cells(["", "spring"])),
                       draw(cells(["", "true", "false", "yes"], ["maybe"], allow_bad)),
                       draw(cells(["", "2024-06-01T09:30:00Z"], ["x"], allow_bad))])
    events.sort(key=lambda row: row[0])            # stable: each contact's events keep their order
    if allow_bad and draw(st.booleans()):
        events.insert(draw(st.integers(0, len(events))), ["", "visit", TIMES[0], "", "", "", "", ""])
    return contacts, events


def interleave(draw, events):
    """The events in another order across contacts, each contact's in the same order."""
    remaining = {}
    for row in events:
        remaining.setdefault(row[0], []).append(row)
    queues = list(remaining.values())
    result = []
    while queues:
        queue = draw(st.sampled_from(queues))
        result.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return result


def folder(tmp_path, name, contacts, events):
    path = tmp_path / name
    path.mkdir(exist_ok=True)
    write_csv(path / "contacts.csv", CONTACT_COLUMNS, contacts)
    write_csv(path / "events.csv", EVENT_COLUMNS, events)
    return path


def expected_rows(path):
    """Rows computed without the runner or the source: csv module, parse_csv_value, evaluate."""
    with open(path / "events.csv", encoding="utf-8", newline="") as file:
        events = {}
        for row in csv.DictReader(file):
            kind = row["type"].strip()
            if kind not in SCHEMA.events:
                continue
            attrs = {name: parse_csv_value(row[name], spec) for name, spec in SCHEMA.events[kind].items()}
            events.setdefault(row["contact_id"].strip(), []).append(Event(
                contact_id=row["contact_id"].strip(), type=kind, attrs=attrs,
                timestamp=parse_csv_value(row["timestamp"], TypeSpec("datetime"))))
    with open(path / "contacts.csv", encoding="utf-8", newline="") as file:
        contacts = [{"id": row["id"], **{name: parse_csv_value(row[name], spec)
                                          for name, spec in SCHEMA.contact.items() if name != "id"}}
                    for row in csv.DictReader(file)]
    return [MODEL.evaluate(contact, events.get(contact["id"], []), AS_OF) for contact in contacts]


def every_mode(path, on_error, budget):
    """The outcome of each way of reading ``path``, by name."""
    def source(sorted_=False):
        return open_source(f"csv:{path}" + ("?sorted=contact_id" if sorted_ else ""), SCHEMA)
    runs = {
        "sorted": score(source(True), on_error=on_error),
        "memory": score(source(), on_error=on_error),
        "spilled": score(source(), on_error=on_error, budget=budget),
        "plain sorted": score(Plain(source(), ordered=True), on_error=on_error),
        "plain memory": score(Plain(source()), on_error=on_error),
        "plain spilled": score(Plain(source()), on_error=on_error, budget=budget),
        "folded": score(source(), on_error=on_error, fold=True),
        "folded, spilled": score(source(), on_error=on_error, budget=budget * 2, fold=True),
        "plain folded, spilled": score(Plain(source()), on_error=on_error, budget=2, fold=True),
        "two models folded": score(source(), on_error=on_error, fold=True, models=(MODEL, MODEL)),
        "two models folded, spilled": score(source(), on_error=on_error, budget=2, fold=True,
                                            models=(MODEL, MODEL)),
    }
    return runs


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=data_sets(), budget=st.integers(1, 4))
def test_every_mode_scores_valid_data_as_the_model_does(tmp_path_factory, data, budget):
    path = folder(tmp_path_factory.mktemp("d"), "data", *data)
    runs = every_mode(path, "fail", budget)
    expected = expected_rows(path)
    for name, (rows, summary, sink) in runs.items():
        if name.startswith("two models"):
            assert rows == [row for row in expected for _ in range(2)], name
            continue
        assert rows == expected, name
        assert sink.state == "committed"
        assert outcome(rows, summary) == outcome(*runs["memory"][:2]), name
    assert runs["sorted"][1].mode == "sorted"
    assert runs["memory"][1].mode == "memory"
    assert runs["folded"][1].mode == "folded"
    if runs["memory"][1].events > budget:
        assert runs["spilled"][1].mode == "spilled"
    contacts_with_events = len({row[0].strip() for row in data[1] if row[1].strip() in SCHEMA.events})
    if contacts_with_events > budget:
        assert runs["folded, spilled"][1].mode == "folded, spilled"
    orphans = sum(1 for row in data[1] if row[0] == "zz" and row[1].strip() in SCHEMA.events)
    assert runs["sorted"][1].orphan_events >= orphans


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=data_sets(allow_bad=True), budget=st.integers(1, 4))
def test_every_mode_skips_the_same_rows(tmp_path_factory, data, budget):
    path = folder(tmp_path_factory.mktemp("d"), "data", *data)
    runs = every_mode(path, "skip", budget)
    reference = outcome(*runs["memory"][:2])
    for name, (rows, summary, _sink) in runs.items():
        if not name.startswith("two models"):
            assert outcome(rows, summary) == reference, name


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_the_order_of_events_across_contacts_does_not_matter(tmp_path_factory, data):
    contacts, events = data.draw(data_sets(allow_bad=True))
    base = tmp_path_factory.mktemp("d")
    grouped = folder(base, "grouped", contacts, events)
    mixed = folder(base, "mixed", contacts, interleave(data.draw, events))
    budget = data.draw(st.integers(1, 4))
    rows, summary, _ = score(open_source(f"csv:{grouped}?sorted=contact_id", SCHEMA), on_error="skip")
    for options in ({}, {"budget": budget}, {"fold": True}, {"fold": True, "budget": 2 * budget}):
        other_rows, other, _ = score(open_source(f"csv:{mixed}", SCHEMA), on_error="skip", **options)
        assert other_rows == rows
        assert outcome(other_rows, other)[1:6] == outcome(rows, summary)[1:6]
        if summary.skipped_rows <= ErrorPolicy.KEEP:          # else which are kept depends on the order
            assert sorted((os.path.basename(e.file), e.column, e.message) for e in other.errors) == \
                sorted((os.path.basename(e.file), e.column, e.message) for e in summary.errors)


def test_rows_come_out_in_the_contacts_order_in_every_mode(tmp_path):
    path = folder(tmp_path, "data", [["z", "", "", "", ""], ["a", "", "", "", ""], ["m", "", "", "", ""]],
                  [["a", "visit", TIMES[0], "/pricing", "", "", "", ""],
                   ["z", "mail", TIMES[0], "", "", "", "true", ""]])
    for budget in (1, 1_000_000):
        rows, summary, _ = score(open_source(f"csv:{path}", SCHEMA), budget=budget)
        assert [row.contact_id for row in rows] == ["z", "a", "m"]
        assert [row.scores["engagement"] for row in rows] == [3, 12, 0]


# ------------------------------------------------------------------ sources that say they are sorted

def test_contacts_out_of_order_stop_a_sorted_run_before_it_commits(tmp_path):
    path = folder(tmp_path, "data", [["a"] + [""] * 4, ["c"] + [""] * 4, ["b"] + [""] * 4], [])
    for on_error in ("fail", "skip"):
        with pytest.raises(OrderError) as info:
            score(open_source(f"csv:{path}?sorted=contact_id", SCHEMA), on_error=on_error)
        error = info.value
        assert (error.file, error.row, error.column) == (str(path / "contacts.csv"), 4, "id")
        assert isinstance(error, DataError)
        assert "contact id 'b' comes after 'c'" in str(error)
        assert "sorted=contact_id" in str(error)


def test_events_out_of_order_stop_a_sorted_run_before_it_commits(tmp_path):
    path = folder(tmp_path, "data", [["a"] + [""] * 4, ["b"] + [""] * 4],
                  [["a", "visit", TIMES[0], "", "", "", "", ""],
                   ["b", "visit", TIMES[0], "", "", "", "", ""],
                   ["b", "chat", TIMES[0], "", "", "", "", ""],
                   [" a ", "visit", TIMES[0], "", "", "", "", ""]])
    sink = Collect()
    source = open_source(f"csv:{path}?sorted=contact_id", SCHEMA)
    with pytest.raises(OrderError) as info:
        run(PythonEngine(), [MODEL], source, sink, AS_OF)
    source.close()
    assert sink.state == "aborted"
    assert info.value.describe().startswith(f"{path / 'events.csv'}, row 5, column 'contact_id': "
                                            "contact id 'a' comes after 'b', but the events must be "
                                            "sorted by contact id in plain code-point order: "
                                            "sorted=contact_id says the file is; sort it, or leave "
                                            "the option out")
    # not sorted, the same files are fine
    rows, _, _ = score(open_source(f"csv:{path}", SCHEMA))
    assert [row.scores["engagement"] for row in rows] == [5, 5]


def test_ignored_event_types_are_not_checked_for_order(tmp_path):
    path = folder(tmp_path, "data", [["a"] + [""] * 4, ["b"] + [""] * 4],
                  [["b", "visit", TIMES[0], "", "", "", "", ""], ["a", "chat", TIMES[0], "", "", "", "", ""]])
    rows, summary, _ = score(open_source(f"csv:{path}?sorted=contact_id", SCHEMA))
    assert (summary.ignored_events, summary.events) == (1, 1)


def test_code_point_order_is_the_order(tmp_path):
    ids = sorted(["B", "a", "b", "ä", "a1", "a10", "a2", "Z", "10", "9"])
    assert ids == ["10", "9", "B", "Z", "a", "a1", "a10", "a2", "b", "ä"]
    path = folder(tmp_path, "data", [[i] + [""] * 4 for i in ids],
                  [[i, "visit", TIMES[0], "/pricing", "", "", "", ""] for i in ids])
    rows, summary, _ = score(open_source(f"csv:{path}?sorted=contact_id", SCHEMA))
    assert [row.contact_id for row in rows] == ids
    assert summary.orphan_events == 0 and summary.peak_events == 1


def test_duplicate_ids_of_a_sorted_file_are_reported_as_in_any_file(tmp_path):
    path = folder(tmp_path, "data", [["a"] + [""] * 4, ["b"] + [""] * 4, ["b"] + [""] * 4,
                                     ["b", "", "x", "", ""]], [])
    messages = []
    for spec in (f"csv:{path}?sorted=contact_id", f"csv:{path}"):
        rows, summary, _ = score(open_source(spec, SCHEMA), on_error="skip")
        assert [row.contact_id for row in rows] == ["a", "b"]
        messages.append([e.describe() for e in summary.errors])
    assert messages[0] == messages[1] == [
        f"{path / 'contacts.csv'}, row 4, column 'id': duplicate contact id 'b': also at row 3",
        f"{path / 'contacts.csv'}, row 5, column 'id': duplicate contact id 'b': also at row 3"]


def test_the_runner_checks_a_source_that_says_it_is_sorted(tmp_path):
    path = folder(tmp_path, "data", [["b"] + [""] * 4, ["a"] + [""] * 4],
                  [["a", "visit", TIMES[0], "", "", "", "", ""], ["b", "visit", TIMES[0], "", "", "", "", ""]])
    with pytest.raises(OrderError, match="contact id 'a' comes after 'b', but the contacts must be sorted"):
        score(Plain(open_source(f"csv:{path}", SCHEMA), ordered=True))
    events_only = folder(tmp_path, "events", [["a"] + [""] * 4, ["b"] + [""] * 4],
                         [["b", "visit", TIMES[0], "", "", "", "", ""], ["a", "visit", TIMES[0], "", "", "", "", ""]])
    with pytest.raises(OrderError, match="contact id 'a' comes after 'b', but the events must be sorted"):
        score(Plain(open_source(f"csv:{events_only}", SCHEMA), ordered=True))


def test_the_sorted_option_takes_contact_id(tmp_path):
    from scoredsl.data.specs import SpecError

    path = folder(tmp_path, "data", [], [])
    with pytest.raises(SpecError, match="sorted= takes contact_id"):
        open_source(f"csv:{path}?sorted=yes", SCHEMA)
    assert open_source(f"jsonl:{path / 'contacts.csv'}?sorted=contact_id", SCHEMA).order_by_contact()


# ------------------------------------------------------------------ memory

def big_folder(path, contacts, per_contact, orphans_every=7):
    """``contacts`` contacts with ``per_contact`` events each (sorted), every 7th id without a contact."""
    path.mkdir()
    ids = [f"c{i:06d}" for i in range(contacts)]
    with open(path / "contacts.csv", "w", newline="") as file:
        file.write("id,name,employees,vip,joined\n")
        file.writelines(f"{cid},n,{i % 300},yes,2024-01-01\n" for i, cid in enumerate(ids) if i % orphans_every)
    with open(path / "events.csv", "w", newline="") as file:
        file.write(",".join(EVENT_COLUMNS) + "\n")
        for i, cid in enumerate(ids):
            for j in range(per_contact):
                kind = ("visit", "mail", "bounce", "chat")[j % 4]
                file.write(f"{cid},{kind},2024-06-{1 + j % 28:02d}T09:{j % 60:02d}:00Z,/pricing,1.5,c,true,\n")
    return path


def test_a_sorted_run_holds_one_contacts_events_and_an_unsorted_one_its_budget(tmp_path):
    path = big_folder(tmp_path / "big", 300, 12)
    per_contact = 9                                     # 12 minus the undeclared "chat" events
    _, summary, _ = score(open_source(f"csv:{path}?sorted=contact_id", SCHEMA))
    assert (summary.mode, summary.peak_events) == ("sorted", per_contact)
    assert summary.events == 300 * per_contact and summary.orphan_events == 43 * per_contact
    _, summary, _ = score(open_source(f"csv:{path}", SCHEMA))
    assert (summary.mode, summary.peak_events) == ("memory", 300 * per_contact)
    spill = tmp_path / "spill"
    spill.mkdir()
    for budget in (1, 100, 1000):
        _, summary, _ = score(open_source(f"csv:{path}", SCHEMA), budget=budget, spill_dir=str(spill))
        assert summary.mode == "spilled"
        assert summary.peak_events == max(budget, per_contact)
        assert os.listdir(spill) == []                  # the database is gone


def traced_peak(spec, **options) -> int:
    source = open_source(spec, SCHEMA)
    tracemalloc.start()
    try:
        score(source, sink=Count(), **options)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_of_a_sorted_run_does_not_grow_with_the_events(tmp_path):
    small = big_folder(tmp_path / "small", 500, 8)
    large = big_folder(tmp_path / "large", 500, 64)    # 8 times the events, the same contacts
    sorted_small = traced_peak(f"csv:{small}?sorted=contact_id")
    sorted_large = traced_peak(f"csv:{large}?sorted=contact_id")
    memory_small = traced_peak(f"csv:{small}")
    memory_large = traced_peak(f"csv:{large}")
    spilled_large = traced_peak(f"csv:{large}", budget=2000)
    folded_large = traced_peak(f"csv:{large}", fold=True)
    assert memory_large > 3 * memory_small                 # unsorted, in memory: grows with the events
    assert sorted_large < 1.5 * sorted_small + 200_000     # sorted: one contact's events at a time
    assert spilled_large < memory_large / 3                # spilled: the budget at a time
    assert folded_large < memory_large / 3                 # folded: the contacts' totals, not the events


def test_memory_of_a_folded_run_grows_with_the_contacts_up_to_its_budget(tmp_path):
    MODEL.folding()                                        # its code, made once, is not the run's
    few = big_folder(tmp_path / "few", 500, 16)
    many = big_folder(tmp_path / "many", 4000, 16)         # 8 times the contacts and the events
    folded_few, folded_many = (traced_peak(f"csv:{path}", fold=True) for path in (few, many))
    bounded_few, bounded_many = (traced_peak(f"csv:{path}", budget=400, fold=True) for path in (few, many))
    assert folded_many > 4 * folded_few                    # every contact's totals in memory
    assert bounded_many < 1.5 * bounded_few + 200_000      # those of 200 contacts, the rest on disk
    assert bounded_many < folded_many / 3


def test_a_failed_spilled_run_deletes_its_database(tmp_path):
    path = folder(tmp_path, "data", [["a"] + [""] * 4, ["b", "", "x", "", ""]],
                  [["a", "visit", TIMES[0], "", "", "", "", ""]] * 5)
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(DataError, match="'x' is not an int"):
        score(open_source(f"csv:{path}", SCHEMA), budget=2, spill_dir=str(spill))
    assert os.listdir(spill) == []


def test_event_store_gives_each_contact_its_events_in_source_order():
    events = [("b", "visit", (5, "x")), ("a", "visit", (3, "1")), ("b", "visit", (5, "y")),
              ("b", "mail", (1,)), ("a", "visit", (1, "2")), ("b", "visit", (4, "z"))]
    for budget in (1, 2, 3, 100):
        summary = RunSummary()
        with EventStore(budget) as store:
            store.add(iter(events), summary)
            assert store.take("b") == {"visit": [(4, "z"), (5, "x"), (5, "y")], "mail": [(1,)]}
            assert store.take("c") == {}
            assert store.take("a") == {"visit": [(1, "2"), (3, "1")]}
            assert store.spilled == (budget < 6)
        assert summary.events == 6


def test_skipped_errors_are_listed_events_first_in_every_mode(tmp_path):
    path = folder(tmp_path, "data", [["a", "", "x", "", ""], ["b"] + [""] * 4],
                  [["a", "visit", "nope", "", "", "", "", ""], ["b", "visit", "nope", "", "", "", "", ""]])
    for spec in (f"csv:{path}?sorted=contact_id", f"csv:{path}"):
        _, summary, _ = score(open_source(spec, SCHEMA), on_error="skip")
        assert [(os.path.basename(e.file), e.row) for e in summary.errors] == \
            [("events.csv", 2), ("events.csv", 3), ("contacts.csv", 2)]


def test_error_policy_keeps_the_first_errors():
    summary = RunSummary()
    errors = []
    policy = ErrorPolicy("skip", summary, errors)
    for row in range(30):
        policy(DataError("bad", row=row))
    assert summary.skipped_rows == 30 and len(errors) == ErrorPolicy.KEEP and summary.errors == []
    with pytest.raises(ValueError):
        RunOptions(event_budget=0)


def test_text_streams_are_not_needed(tmp_path):
    """A CSV with a quoted line break and a byte-order mark reads the same in every mode."""
    path = tmp_path / "data"
    path.mkdir()
    (path / "contacts.csv").write_bytes(b"\xef\xbb\xbfid,name\na,\"two\nlines\"\n")
    (path / "events.csv").write_bytes(b"contact_id,type,timestamp,url\na,visit,2024-06-30T00:00:00Z,\"/pri\ncing\"\n")
    outcomes = {budget: outcome(*score(open_source(f"csv:{path}", SCHEMA), budget=budget)[:2])
                for budget in (1, 10)}
    outcomes["sorted"] = outcome(*score(open_source(f"csv:{path}?sorted=contact_id", SCHEMA))[:2])
    assert len({repr(o) for o in outcomes.values()}) == 1
    assert outcomes["sorted"][0][0].scores["engagement"] == 5



def test_jsonl_reads_like_csv_in_every_mode(tmp_path):
    import json

    contacts = [{"id": "a", "employees": 150, "vip": True, "joined": "2024-01-01"}, {"id": 7, "name": " "},
                {"id": "b", "vip": None}]
    events = [{"contact_id": "a", "type": "visit", "timestamp": "2024-06-30T00:00:00Z", "url": "/pricing",
               "seconds": 2}, {"contact_id": 7, "type": "mail", "timestamp": "2024-06-29T10:00:00+02:00",
                               "newsletter": True, "sent": "2024-06-29 08:00:00"},
              {"contact_id": "a", "type": "chat", "timestamp": "x"}, {"contact_id": "zz", "type": "bounce",
                                                                      "timestamp": "2024-06-01"}]
    path = tmp_path / "data"
    path.mkdir()
    (path / "contacts.jsonl").write_text("".join(json.dumps(c) + "\n" for c in contacts))
    (path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    as_csv = folder(tmp_path, "csv", [["a", "", "150", "true", "2024-01-01"], ["7", " ", "", "", ""],
                                      ["b", "", "", "", ""]],
                    [["a", "visit", "2024-06-30T00:00:00Z", "/pricing", "2", "", "", ""],
                     ["7", "mail", "2024-06-29T10:00:00+02:00", "", "", "", "true", "2024-06-29 08:00:00"],
                     ["a", "chat", "x", "", "", "", "", ""], ["zz", "bounce", "2024-06-01", "", "", "", "", ""]])
    expected = outcome(*score(open_source(f"csv:{as_csv}", SCHEMA))[:2])
    assert [row.scores for row in expected[0]] == [{"engagement": 12, "fit": 15}, {"engagement": 7, "fit": 0},
                                                   {"engagement": 0, "fit": 0}]
    for spec, budget in ((f"jsonl:{path}", 1), (f"jsonl:{path}", 100), (f"jsonl:{path}?sorted=contact_id", 100)):
        if "sorted" in spec:                    # "7" < "a" < "b" < "zz": reorder the file
            (path / "contacts.jsonl").write_text("".join(json.dumps(c) + "\n" for c in [contacts[1], contacts[0],
                                                                                          contacts[2]]))
            (path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in [events[1], events[0],
                                                                                        events[2], events[3]]))
            expected = outcome(*score(open_source(f"csv:{as_csv}", SCHEMA))[:2])
            expected = ([expected[0][1], expected[0][0], expected[0][2]],) + expected[1:]
        assert outcome(*score(open_source(spec, SCHEMA), budget=budget)[:2]) == expected, spec
