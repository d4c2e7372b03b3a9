"""What the parser takes and refuses at its edges: a byte order mark, invisible bidirectional
controls, characters no data can hold, expressions nested deeper than the stages after it can
walk, and files too large to read."""

from __future__ import annotations

import datetime as dt

from scoredsl.compiler.pipeline import check_file, compile_text
from scoredsl.syntax.parser import MAX_NESTING, parse

AS_OF = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
SCHEMA = "schema { contact { x: int, note: text } }\n"


def _model(condition: str) -> str:
    return SCHEMA + f"model m {{\n  score fit {{\n    rule r: {condition} => +1\n  }}\n}}\n"


def codes(text: str) -> list[str]:
    return [d.code for d in parse(text, "m.score")[1]]


def test_a_byte_order_mark_is_read_as_data_files_read_it(tmp_path):
    path = tmp_path / "m.score"
    path.write_bytes(b"\xef\xbb\xbf" + _model("x > 1").encode())
    diagnostics, _ = check_file(path)
    assert diagnostics == []
    assert parse("\ufeff" + _model("x > 1"), "m.score")[1] == []


def test_bidirectional_controls_are_warned_about_where_they_stand():
    text = _model('note == "user\u202e // admin"') + "# \u2066 in a comment too\n"
    found = parse(text, "m.score")[1]
    assert [(d.code, d.severity.value, d.span.line, d.span.column) for d in found] == [
        ("SD113", "warning", 4, 26), ("SD113", "warning", 7, 3)]
    assert "U+202E" in found[0].message
    compile_text(text, "m.score")          # a warning: the model still compiles


def test_a_string_cannot_hold_nul_or_a_lone_surrogate_but_may_hold_a_surrogate_pair():
    assert codes(_model('note == "\\u0000"')) == ["SD112"]
    assert codes(_model('note == "\\udfff"')) == ["SD112"]
    assert codes(_model('note == "\\ud83dx"')) == ["SD112"]
    program = compile_text(_model('note == "\\ud83d\\ude00"'), "m.score")
    row = program.model().evaluate({"id": "c", "x": 1, "note": "\U0001F600"}, [], AS_OF)
    assert row.scores["fit"] == 1


def test_nesting_has_a_stated_limit_and_chains_of_and_or_are_flat():
    assert codes(_model("not " * (MAX_NESTING - 1) + "x > 1")) == []     # the comparison is a level too
    deep = parse(_model("not " * MAX_NESTING + "x > 1"), "m.score")[1]
    assert [d.code for d in deep] == ["SD111"] and deep[0].span.line == 4
    chain = " and ".join(["x > 1"] * 2000) + " or " + " or ".join(["note == \"a\""] * 2000)
    program = compile_text(_model(chain), "m.score")
    assert program.model().evaluate({"id": "c", "x": 5, "note": None}, [], AS_OF).scores["fit"] == 1


def test_a_huge_or_endless_rule_file_is_refused_without_reading_it_all():
    diagnostics, _ = check_file("/dev/zero")
    assert [d.code for d in diagnostics] == ["SD213"]
    assert "larger than 2,000,000 bytes" in diagnostics[0].message


def test_a_nul_in_an_include_path_is_a_diagnostic_not_a_crash(tmp_path):
    path = tmp_path / "m.score"
    path.write_text('include "a\\u0000.score"\n' + _model("x > 1"))
    diagnostics, _ = check_file(path)
    assert diagnostics and all(d.code.startswith("SD") for d in diagnostics)
    assert "SD112" in [d.code for d in diagnostics]


def test_fmt_refuses_a_string_it_could_not_write_back(tmp_path):
    from scoredsl.diagnostics import CompileError
    from scoredsl.syntax.formatter import format_text

    text = _model('note == "\\ud800"')
    try:
        format_text(text, "m.score")
    except CompileError as exc:
        assert [d.code for d in exc.diagnostics] == ["SD112"]
    else:
        raise AssertionError("a lone surrogate escape was formatted (and lost)")
