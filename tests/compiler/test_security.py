"""Rule files come from pull requests: nothing in one may run code, read files or hang.

Literals reach generated code only through ``repr()``, names are validated identifiers used
only as suffixes of minted names, regexes run on RE2 (linear time), and the generated module
sees no builtins beyond a handful of pure functions.
"""

from __future__ import annotations

import ast
import datetime as dt
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import examples
from scoredsl.compiler.pipeline import compile_text
from scoredsl.diagnostics import CompileError

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
SCHEMA = "schema { contact { email: text, job_title: text } event page_view { url: text } }\n"

HOSTILE = [
    '"""', "'''", "\\", "\\\\", "\n", "\r\n", "\t", '"); __import__("os").system("echo pwned"); ("',
    "__import__('os').system('echo pwned')", "{0.__class__}", "%s%s%s", "\x01", "\u2028", "é ß İ",
    "' + open('/etc/passwd').read() + '", "\\N{LATIN SMALL LETTER A}", "#", "${HOME}", "\\u0041",
]

ALLOWED_CALLS = {"min", "max", "sum", "tuple", "bool", "_floor", "_micros", "_fold", "_points"}  # and plugin functions, _fn_*
ALLOWED_METHODS = {"get", "lower", "isascii", "isspace", "startswith", "endswith", "search"}


def dsl_string(value: str) -> str:
    """A DSL string literal for any text (the language's escapes)."""
    out = []
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ch in "\u2028\u2029\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def assert_generated_code_is_inert(source: str) -> None:
    """The generated module defines functions that only call an allow-list of helpers."""
    tree = ast.parse(source)
    for node in tree.body:
        assert isinstance(node, ast.FunctionDef), ast.dump(node)
    for node in ast.walk(tree):
        assert not isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Lambda))
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id in ALLOWED_CALLS or func.id.startswith("_fn_"), func.id
            else:
                assert isinstance(func, ast.Attribute) and func.attr in ALLOWED_METHODS, ast.dump(func)
        if isinstance(node, ast.Attribute):
            assert not node.attr.startswith("__"), node.attr
        if isinstance(node, ast.Name):
            assert not node.id.startswith("__"), node.id


def model_with_literal(literal: str) -> str:
    lit = dsl_string(literal)
    return SCHEMA + f"""
let hostile = {lit}
model m {{
  score s {{
    rule eq:       email == {lit} case_sensitive => +1
    rule substr:   job_title contains {lit} case_sensitive => +10
    rule inlist:   email in [{lit}, "x"] case_sensitive => +100
    rule band:     email {{ {lit} => +1000 }}
    rule evt:      count(page_view where url starts_with hostile case_sensitive) >= 1 => +10000
  }}
  tier t {{ {'hit'}: email == hostile case_sensitive; other: otherwise }}
}}
"""


@pytest.mark.parametrize("literal", HOSTILE)
def test_hostile_literals_are_data(literal):
    from scoredsl.data.records import Event

    program = compile_text(model_with_literal(literal), "hostile.score")
    assert_generated_code_is_inert(program.python_source)
    model = program.model("m")
    contact = {"id": "c1", "email": literal, "job_title": "x" + literal + "y"}
    events = [Event(contact_id="c1", type="page_view", timestamp=AS_OF, attrs={"url": literal + "/z"})]
    row = model.evaluate(contact, events, AS_OF)
    blank = not literal.strip()   # a white-space email is missing: only the other rules match
    assert row.scores["s"] == (10010 if blank else 11111)
    assert row.tiers["t"] == ("other" if blank else "hit")


@pytest.mark.parametrize("literal", ["\x00", "a\x00b", "\ud800", "x\udfff"])
def test_a_literal_no_data_can_hold_is_refused_not_compiled(literal):
    from scoredsl.diagnostics import CompileError

    with pytest.raises(CompileError) as info:
        compile_text(model_with_literal(literal), "hostile.score")
    assert {d.code for d in info.value.diagnostics} == {"SD112"}


@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), min_size=1, max_size=30))
def test_any_text_literal_compiles_to_inert_code_and_matches_itself(literal):
    from scoredsl.data.records import Event

    program = compile_text(model_with_literal(literal), "hostile.score")
    assert_generated_code_is_inert(program.python_source)
    contact = {"id": "c1", "email": literal, "job_title": literal}
    row = program.model("m").evaluate(contact, [Event(contact_id="c1", type="page_view", timestamp=AS_OF,
                                                      attrs={"url": literal})], AS_OF)
    if literal.strip():
        assert row.scores["s"] == 11111
        assert row.tiers["t"] == "hit"
    else:  # white space only: a missing value, which no test matches
        assert row.scores["s"] == 0
        assert row.tiers["t"] == "other"


@pytest.mark.parametrize("name", ["__import__", "__class__", "__builtins__"])
def test_dunder_names_are_rejected(name):
    with pytest.raises(CompileError) as exc:
        compile_text(f"schema {{ contact {{ {name}: text }} }} model m {{ score s {{ }} }}", "x.score")
    assert [d.code for d in exc.value.diagnostics] == ["SD104"]


@pytest.mark.parametrize("name", ["import", "lambda", "def", "None", "class", "return", "yield", "self"])
def test_python_keywords_are_ordinary_names(name):
    program = compile_text(f"""schema {{ contact {{ {name}: text }} event {name}_event {{ {name}: int }} }}
    model m {{ score s {{
        rule r_{name}: {name} == "x" => +1
        rule e_{name}: each {name}_event where {name} > 2 => +10
    }} }}""", "kw.score")
    from scoredsl.data.records import Event

    events = [Event(contact_id="c", type=f"{name}_event", timestamp=AS_OF, attrs={name: 3})]
    assert program.model().evaluate({"id": "c", name: "X"}, events, AS_OF).scores["s"] == 11


def test_generated_code_has_no_builtins_beyond_the_allow_list():
    program = compile_text(SCHEMA + "model m { score s { rule a: email is set => +1 } }", "x.score")
    function = program.models["m"]._fast
    assert set(function.__globals__["__builtins__"]) == {"min", "max", "sum", "tuple", "bool", "set", "len"}


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)+$", r"(.*a){12}$", r"(x+x+)+y"])
def test_catastrophic_regexes_run_in_linear_time(pattern):
    program = compile_text(SCHEMA + f"model m {{ score s {{ rule r: job_title matches /{pattern}/ => +1 }} }}",
                           "re.score")
    model = program.model()
    evil = "a" * 50_000 + "!"
    started = time.perf_counter()
    model.evaluate({"id": "c", "job_title": evil}, [], AS_OF)
    # a backtracking engine needs longer than the age of the universe for this input
    assert time.perf_counter() - started < 5


def test_includes_cannot_read_outside_the_project(tmp_path):
    secret = tmp_path / "secret.score"
    secret.write_text("let password = \"hunter2\"\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "link.score").symlink_to(secret)
    main = project / "model.score"
    main.write_text('include "link.score"\ninclude "../secret.score"\nmodel m { score s { } }\n')
    from scoredsl.compiler.pipeline import compile_file

    with pytest.raises(CompileError) as exc:
        compile_file(main)
    assert [d.code for d in exc.value.diagnostics if d.is_error] == ["SD215", "SD215"]
