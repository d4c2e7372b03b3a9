"""Random, truncated and mutated rule files only ever produce diagnostics, never tracebacks."""

from __future__ import annotations


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import examples
import paths
from scoredsl.check import checker
from scoredsl.syntax.loader import load_text

HERE = paths.TESTS
CORPUS = [p.read_text("utf-8") for p in sorted((HERE / "models").glob("*.score"))] + \
         [p.read_text("utf-8") for p in sorted((HERE / "diagnostics").glob("*.score"))]
TOKENS = ["{", "}", "(", ")", "[", "]", ":", ";", ",", "=>", "==", "=", "+", "-", "*", "%", "..", '"',
          "/", "\\", "#", "\n", " ", "rule", "score", "group", "max", "once", "each", "where", "within",
          "and", "or", "not", "in", "is", "set", "missing", "otherwise", "tier", "by", "decay", "30d",
          "0d", "1e3", "99999999999999999999", "-0", "2024-02-30", "x", "__x", "count(", "age(", "/a/",
          "case_sensitive", "model", "schema", "contact", "event", "let", "include", '"a.score"', "ÿ", "\x00",
          # hostile: escapes no value can hold, invisible controls, deep nesting, long chains
          '"\\u0000"', '"\\ud800"', '"\\ud83d\\ude00"', "\u202e", "\u2066", "\ufeff", "not " * 120, "(" * 60,
          " and x > 1" * 300, " + 1" * 150, "-" * 120]


def compile_never_crashes(text: str) -> None:
    unit, diagnostics, _sources = load_text(text, str(HERE / "fuzz.score"))
    if unit is not None:
        _program, found = checker.check(unit)
        diagnostics = diagnostics + found
    for d in diagnostics:
        assert d.code.startswith("SD") and d.message


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CORPUS), st.data())
def test_truncated_files(text, data):
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    compile_never_crashes(text[:cut])


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CORPUS), st.data())
def test_mutated_files(text, data):
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        at = data.draw(st.integers(min_value=0, max_value=len(text)))
        kind = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        token = data.draw(st.sampled_from(TOKENS))
        length = data.draw(st.integers(min_value=1, max_value=12))
        if kind == "insert":
            text = text[:at] + token + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + length:]
        else:
            text = text[:at] + token + text[at + length:]
    compile_never_crashes(text)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_token_soup(tokens):
    compile_never_crashes(" ".join(tokens))


@settings(max_examples=examples(100), deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text):
    compile_never_crashes(text)


@st.composite
def expressions(draw):
    """Conditions over ``x: int`` and ``note: text``, 0 to 160 levels deep."""
    text = draw(st.sampled_from(["x > 1", 'note == "a"', "x is set", "(x + 1) * 2 >= x",
                                 'note contains "\\ud83d\\ude00"']))
    shapes = st.sampled_from(["not {}", "(({}))", "{} and x < 5", "{} or note is missing", "not ({} and x > 0)",
                              "x - 1 > 0 and {}"])
    for _ in range(draw(st.integers(0, 160))):
        text = draw(shapes).format(text)
    return text


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_deep_expressions_are_refused_or_compile_on_every_backend(condition):
    from scoredsl.compiler.pipeline import compile_text
    from scoredsl.compiler.sql.generator import model_sql
    from scoredsl.diagnostics import CompileError
    from scoredsl.syntax.formatter import format_text

    text = ("schema { contact { x: int, note: text } }\nmodel m {\n  score fit {\n    rule r: "
            + condition + " => +1\n  }\n}\n")
    try:
        program = compile_text(text, "deep.score")
    except CompileError as exc:
        assert [d.code for d in exc.diagnostics] == ["SD111"], exc
        return
    model = program.model()
    model.evaluate({"id": "c", "x": 3, "note": "a"}, [], 0)
    for dialect in ("duckdb", "postgres", "mysql", "spark"):
        assert model_sql(model.ir, program.schema, 0, dialect)
    assert format_text(format_text(text, "deep.score"), "deep.score") == format_text(text, "deep.score")
