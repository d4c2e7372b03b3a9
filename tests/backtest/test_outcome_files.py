"""Reading outcomes: CSV and JSON Lines, and every bad row named."""

from __future__ import annotations

import pytest

from scoredsl.data.outcomes import Outcome, read_outcomes
from scoredsl.data.records import DataError, epoch_micros
from scoredsl.data.values import parse_datetime


def test_csv_and_jsonl_give_the_same_outcomes(tmp_path):
    (tmp_path / "o.csv").write_text("deal,contact_id,outcome,at\nd1,c1, Won ,2026-01-05\nd2,c2,lost,"
                                    "2026-02-01T10:00:00Z\n")
    (tmp_path / "o.jsonl").write_text('{"id": "c1", "outcome": "WON", "at": "2026-01-05"}\n\n'
                                      '{"contact_id": "c2", "outcome": "lost", "at": "2026-02-01T10:00:00Z"}\n')
    want = [Outcome("c1", "won", epoch_micros(parse_datetime("2026-01-05"))),
            Outcome("c2", "lost", epoch_micros(parse_datetime("2026-02-01T10:00:00Z")))]
    assert read_outcomes(str(tmp_path / "o.csv")) == want
    assert read_outcomes(str(tmp_path / "o.jsonl")) == want


@pytest.mark.parametrize("text,message", [
    ("contact_id,outcome,at\nc1,won,yesterday\n", "row 2, column 'at'"),
    ("contact_id,outcome,at\nc1,won,2026-01-01\n,won,2026-01-02\n", "row 3, column 'contact_id': no contact id"),
    ("contact_id,outcome,at\nc1,,2026-01-01\n", "row 2, column 'outcome': no outcome"),
    ("contact_id,outcome,at\nc1,won,\n", "row 2, column 'at': no date"),
    ("contact_id,result,at\nc1,won,2026-01-01\n", "no column 'outcome'"),
])
def test_a_bad_row_is_named(tmp_path, text, message):
    path = tmp_path / "o.csv"
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        read_outcomes(str(path))
    assert message in caught.value.describe()
    assert str(path) in caught.value.describe()


def test_a_bad_json_line_is_named(tmp_path):
    path = tmp_path / "o.jsonl"
    path.write_text('{"id": "c1", "outcome": "won", "at": "2026-01-01"}\n[1]\n')
    with pytest.raises(DataError, match="row 2: not a JSON object"):
        read_outcomes(str(path))
