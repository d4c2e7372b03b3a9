"""The hand-written parser gives the LALR parser's tree, token for token and position for
position, or leaves the file to the LALR parser: on every rule file of the repository, on
random rule files, on random edits of them, and on the places where a reserved word is a name."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Token as LarkToken
from lark import Tree as LarkTree
from lark.exceptions import UnexpectedInput

import paths
import strategies
from scoredsl.syntax import descent, parser

SETTINGS = settings(max_examples=strategies.examples(60), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Rule files of the repository the hand-written parser leaves to the LALR parser, and why.
LEFT_TO_LALR = {"tests/diagnostics/nesting.score": "nests deeper than descent.MAX_DEPTH"}


def lalr(text: str):
    """The LALR parser's tree and comments, or None when it refuses the text."""
    comments: list = []
    reset = parser._comments.set(comments)
    try:
        return parser._parser().parse(text), comments
    except UnexpectedInput:
        return None
    finally:
        parser._comments.reset(reset)


POSITIONS = ("line", "column", "start_pos", "end_line", "end_column", "end_pos")


def assert_same(mine, theirs, where: str = "start") -> None:
    if isinstance(theirs, LarkTree):
        assert isinstance(mine, descent.Tree) and mine.data == theirs.data, where
        assert mine.meta.empty == theirs.meta.empty, where
        if not theirs.meta.empty:
            assert [getattr(mine.meta, p) for p in POSITIONS] == [getattr(theirs.meta, p) for p in POSITIONS], where
        assert len(mine.children) == len(theirs.children), (where, mine.children, theirs.children)
        for index, (a, b) in enumerate(zip(mine.children, theirs.children)):
            assert_same(a, b, f"{where}/{theirs.data}[{index}]")
    elif isinstance(theirs, LarkToken):
        assert isinstance(mine, descent.Token), where
        assert (mine.type, mine.value) == (theirs.type, theirs.value), where
        assert [getattr(mine, p) for p in POSITIONS] == [getattr(theirs, p) for p in POSITIONS], where
    else:
        assert mine is None and theirs is None, (where, mine, theirs)


def agrees(text: str) -> bool:
    """Whether the hand-written parser read ``text``; when it did, its tree and comments are
    the LALR parser's."""
    mine = descent.parse(text)
    if mine is None:
        return False
    theirs = lalr(text)
    assert theirs is not None, "the hand-written parser read a file the grammar refuses"
    assert_same(mine[0], theirs[0])
    assert len(mine[1]) == len(theirs[1])
    for a, b in zip(mine[1], theirs[1]):
        assert_same(a, b, "comment")
    return True


def repository_rule_files():
    return sorted(p for p in paths.ROOT.rglob("*.score")
                  if not any(part.startswith(".") or part in ("node_modules", "build") for part in p.parts))


@pytest.mark.parametrize("path", repository_rule_files(), ids=lambda p: str(p.relative_to(paths.ROOT)))
def test_every_rule_file_of_the_repository_is_read_as_the_lalr_parser_reads_it(path):
    text = path.read_text("utf-8-sig")
    name = path.relative_to(paths.ROOT).as_posix()
    if lalr(text) is None:                           # a file of syntax errors, for the diagnostics
        assert descent.parse(text) is None
    else:
        assert agrees(text) is (name not in LEFT_TO_LALR)


@SETTINGS
@given(strategies.rule_files())
def test_random_rule_files_are_read_by_the_fast_parser_and_agree(text):
    assert agrees(text)


# Words of every kind the lexer knows, for edits and soups.
VOCABULARY = sorted(descent.KEYWORDS) + [
    "{", "}", "(", ")", "[", "]", ":", ";", ",", "=", "=>", ".", "..", "..<", "%", "*", "+", "-",
    "==", "!=", "<", "<=", ">", ">=", "x", "score_x", "_a", "3", "3.5", "07", "30d", "2mo", "2026-01-02",
    "2026-01-02T03:04", "2026-01-02T03:04:05.123Z", "2026-01-02T03:04+02:00", '"a"', '"a\\"b"', '"#"',
    "/vp/i", "/a\\/b/", "# note", "\n", "\t", "'", "&", "/", "\u00a0", "\\", "٣",
]


def _edit(draw, text: str) -> str:
    """``text`` with one random edit at a token boundary: a word inserted, a stretch deleted
    or repeated, or two stretches swapped."""
    tokens = text.split(" ")
    kind = draw(st.sampled_from(["insert", "delete", "repeat", "swap", "glue"]))
    at = draw(st.integers(0, len(tokens) - 1))
    if kind == "insert":
        tokens.insert(at, draw(st.sampled_from(VOCABULARY)))
    elif kind == "delete":
        del tokens[at:at + draw(st.integers(1, 3))]
    elif kind == "repeat":
        tokens[at:at] = tokens[at:at + draw(st.integers(1, 4))]
    elif kind == "swap":
        other = draw(st.integers(0, len(tokens) - 1))
        tokens[at], tokens[other] = tokens[other], tokens[at]
    else:                                  # two words run together: "rule" + "r" = "ruler"
        if at + 1 < len(tokens):
            tokens[at:at + 2] = [tokens[at] + tokens[at + 1]]
    return " ".join(tokens)


@st.composite
def edited_rule_files(draw):
    text = draw(strategies.rule_files())
    for _ in range(draw(st.integers(1, 3))):
        text = _edit(draw, text)
    return text


@SETTINGS
@given(edited_rule_files())
def test_an_edited_rule_file_is_read_as_the_lalr_parser_reads_it_or_left_to_it(text):
    agrees(text)


@pytest.mark.parametrize("path", paths.FIXED_MODELS, ids=lambda p: p.name)
def test_every_beginning_of_a_rule_file_is_read_as_the_lalr_parser_reads_it_or_left_to_it(path):
    text = path.read_text("utf-8")
    cuts = [i for i, ch in enumerate(text) if ch in " \n"]
    for cut in cuts[::3] + [len(text.rstrip())]:
        agrees(text[:cut])
        agrees(text[:cut] + " -")


@st.composite
def soups(draw):
    words = draw(st.lists(st.sampled_from(VOCABULARY), max_size=40))
    schema = "schema { contact { x: int } event e { a: text } }\n"
    return schema + "model m { score s { rule r: " + " ".join(words) + " } }"


@SETTINGS
@given(soups())
def test_a_soup_of_words_is_read_as_the_lalr_parser_reads_it_or_left_to_it(text):
    agrees(text)


SCHEMA = ("schema { contact { company: text score: int event: text, set: bool; first: text } "
          "event event { count: int, last: text } }\n")


@pytest.mark.parametrize("body", [
    "rule r: company.x == 1 => +1",
    "rule r: score > 1 => +1",
    "rule r: set => +1",
    "rule r: x => score",
    "rule r: x => -score in 1..5",
    "rule r: first(set) > 1 => +1",
    "rule r: count(event where count > 1) > 1 => +1",
    "rule r: event { 1..2 => 1 score => 2; tier..<x => 3 } ",
    "rule r: x { otherwise => 1 }",
    "rule r: x { 1 => 1 max 3 once => 2 }",
    "rule r: x == not => +1",
    "rule r: x in [each, in, is] => +1",
    "ruler: x => +1",
    "rule r: x => +1 maxx",
    "rule r: x case_sensitive { \"a\" => 1 }",
    "rule r: (x) { 1 => 1 }",
    "rule r: ((a or b)) and (c) => 1",
])
def test_reserved_words_where_names_stand(body):
    text = SCHEMA + "model m {\n  score s {\n    " + body + "\n  }\n}\n"
    agrees(text)


@pytest.mark.parametrize("entries, read", [
    ("a: x > 1; in: otherwise", True),
    ("a: x > 1 in: otherwise", False),           # 'in' may continue the expression: the LALR parser's call
    ("a: x > 1; score: otherwise", False),       # after a separator 'score' is the reserved word
    ("in: >= 3; b: otherwise", True),
    ("a: x in: >= 3", False),
    ("a: otherwise in: >= 3", False),
])
def test_a_reserved_word_as_a_tier_label_after_an_expression_is_left_to_the_lalr_parser(entries, read):
    text = SCHEMA + "model m { score s { rule r: x > 1 => 1 } tier t { " + entries + " } }"
    assert agrees(text) is read


def test_the_reserved_words_are_the_grammars():
    import re

    lark = parser._parser()
    name = re.compile(lark.get_terminal("NAME").pattern.to_regexp())
    words = {t.pattern.value for t in lark.terminals if t.pattern.type == "str" and name.fullmatch(t.pattern.value)}
    assert words == descent.KEYWORDS
    # the words the grammar names as terminals of their own stay in the tree
    named = dict((word, terminal) for terminal, word in
                 re.findall(r'^([A-Z_]+):\s*"([a-z_]+)"\s*$', parser.grammar_text(), re.MULTILINE))
    assert named == descent._KEPT


def test_nesting_beyond_the_limit_is_left_to_the_lalr_parser_which_reports_it():
    parenthesised = "schema { contact { x: int } }\nmodel m { scope " + "(" * 200 + "x > 1" + ")" * 200 + " }"
    assert descent.parse(parenthesised) is None and parser.parse(parenthesised, "m.score")[1] == []
    deep = "schema { contact { x: int } }\nmodel m { scope " + "not " * 200 + "x > 1 }"
    assert descent.parse(deep) is None
    assert [d.code for d in parser.parse(deep, "m.score")[1]] == ["SD111"]
    chain = "schema { contact { x: int } }\nmodel m { scope " + " and ".join(["x > 1"] * 3000) + " }"
    assert agrees(chain)


def test_parse_gives_the_same_rule_file_and_diagnostics_with_or_without_the_fast_parser(monkeypatch):
    for path in repository_rule_files():
        text = path.read_text("utf-8-sig")
        fast = parser.parse(text, path.name)
        monkeypatch.setattr(descent, "parse", lambda text: None)
        slow = parser.parse(text, path.name)
        monkeypatch.undo()
        assert fast == slow, path


def _reserved_words_the_lalr_lexer_takes_after(prefix: str) -> set[str]:
    """The reserved words the LALR parser's contextual lexer reads as such right after
    ``prefix``: the terminals its parser state has an action for."""
    lark = parser._parser()
    words = {t.name: t.pattern.value for t in lark.terminals
             if t.pattern.type == "str" and t.pattern.value in descent.KEYWORDS}
    state = lark.parse_interactive(prefix)
    state.exhaust_lexer()
    return {words[terminal] for terminal in state.choices() if terminal in words}


S = "schema { contact { x: int } }\nmodel m { score s { "


@pytest.mark.parametrize("prefix, allowed", [
    # where the hand-written parser takes any reserved word as a name: the LALR lexer takes none
    ("schema { contact { ", set()), ("schema { contact { a: text ", set()), ("schema { contact { a: text[x] ", set()),
    ("schema { contact { a: ", set()), ("schema { contact { a: text[", set()), ("schema { event ", set()),
    ("model ", set()), ("model m for ", set()), ("let ", set()), ("model m { score ", set()),
    ("model m { disqualify ", set()), ("model m { tier ", set()), ("model m { tier t { ", set()),
    (S + "group ", set()), (S + "rule ", set()), (S + "rule r: each ", set()), (S + "rule r: each e distinct ", set()),
    (S + "rule r: count(", set()), (S + "rule r: a.", set()), (S + "rule r: x => ", set()), (S + "rule r: x => -", set()),
    (S + "rule r: x { < ", set()), (S + "rule r: x { 1..", set()), (S + "rule r: x { 1..<", set()),
    (S + "decay inactivity { } activity [", set()), (S + "decay inactivity { } activity [a, ", set()),
    # after a separator: only the words descent._AFTER_SEPARATOR names
    ("schema { contact { a: text, ", descent._AFTER_SEPARATOR), ("schema { contact { a: text; ", descent._AFTER_SEPARATOR),
    (S + "rule r: x { 1 => 1; ", descent._AFTER_SEPARATOR), ("model m { tier t { a: otherwise, ", descent._AFTER_SEPARATOR),
    # where a band starts: 'otherwise', which descent reads as such
    (S + "rule r: x { ", {"otherwise"}),
    # where an expression starts: only the words descent._ATOM_WORDS names
    (S + "rule r: ", descent._ATOM_WORDS), ("model m { scope ", descent._ATOM_WORDS),
    ("model m { scope x == ", descent._ATOM_WORDS), ("model m { scope x in ", descent._ATOM_WORDS),
    ("model m { scope f(", descent._ATOM_WORDS), ("model m { scope f(a, ", descent._ATOM_WORDS),
    ("model m { scope [", descent._ATOM_WORDS), ("model m { scope [a, ", descent._ATOM_WORDS),
    ("model m { scope a and ", descent._ATOM_WORDS), ("model m { scope not ", descent._ATOM_WORDS),
    ("model m { scope a + ", descent._ATOM_WORDS), ("model m { scope a * -", descent._ATOM_WORDS),
    ("model m { scope (", descent._ATOM_WORDS), ("model m { tier t by ", descent._ATOM_WORDS),
    ("model m { tier t monotonic unless ", descent._ATOM_WORDS), ("model m { tier t { a: ", descent._ATOM_WORDS),
    ("model m { disqualify d: ", descent._ATOM_WORDS), ("let a = ", descent._ATOM_WORDS),
    (S + "rule r: each e where ", descent._ATOM_WORDS), (S + "rule r: count(e where ", descent._ATOM_WORDS),
])
def test_where_a_reserved_word_is_a_name_the_lalr_lexer_agrees(prefix, allowed):
    assert _reserved_words_the_lalr_lexer_takes_after(prefix) <= set(allowed)
