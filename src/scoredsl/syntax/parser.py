"""Text -> :class:`nodes.RuleFile`, or syntax diagnostics.

A file that parses is read by :mod:`scoredsl.syntax.descent`, which gives the LALR parser's
tree sooner. The LALR parser reads everything else; it is built once from the grammar shipped
inside the package and cached.
Syntax errors become :class:`Diagnostic` values with the expected tokens in plain words and,
for families of common mistakes, a specific hint (``UnexpectedInput.match_examples``).
"""

from __future__ import annotations

import contextvars
import functools
import pathlib
import re

from typing import TYPE_CHECKING

from scoredsl.data.collector import collector_paused
from scoredsl.diagnostics import Diagnostic, Span, error, warning
from scoredsl.syntax import descent, nodes
from scoredsl.syntax.transformer import ConstructError, ToNodes

if TYPE_CHECKING:     # Lark is imported only when the LALR parser is needed: a file that parses never needs it
    import lark
    from lark.exceptions import UnexpectedInput

MAX_SOURCE_BYTES = 2_000_000


def grammar_text() -> str:
    """The grammar the wheel carries in ``scoredsl/grammar``; an editable install of a source
    checkout has no copy there, and reads ``grammar/scoredsl.lark`` of the checkout."""
    import importlib.resources      # (only here: a file that parses never needs the grammar)

    packaged = importlib.resources.files("scoredsl") / "grammar" / "scoredsl.lark"
    if packaged.is_file():
        return packaged.read_text("utf-8")
    return (pathlib.Path(__file__).resolve().parents[3] / "grammar" / "scoredsl.lark").read_text("utf-8")


_comments: contextvars.ContextVar[list | None] = contextvars.ContextVar("scoredsl_comments", default=None)


def _collect_comment(token) -> None:
    sink = _comments.get()
    if sink is not None:
        sink.append(token)


@functools.cache
def _parser() -> lark.Lark:
    from scoredsl.syntax import tables

    return tables.build(grammar_text(), {"parser": "lalr", "lexer": "contextual", "strict": True,
                                         "propagate_positions": True, "maybe_placeholders": True},
                        {"COMMENT": _collect_comment})


# Terminal names as a marketer would say them.
_WORDS = {
    "NAME": "a name", "STRING": "a string", "NUMBER": "a number", "DURATION": "a duration like 30d",
    "DATE": "a date", "DATETIME": "a datetime", "REGEX": "a /regex/", "SIGN": "'+' or '-'",
    "COMPARE_OP": "a comparison (==, !=, <, <=, >, >=)", "PERCENT": "'%'", "STAR": "'*'",
    "CASE": "'case_sensitive'", "LBRACE": "'{'", "RBRACE": "'}'", "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "COLON": "':'", "SEMICOLON": "';'", "COMMA": "','",
    "EQUAL": "'='", "MORETHAN": "'>'", "$END": "the end of the file",
}


def _word(terminal: str) -> str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    from lark.lexer import PatternStr

    try:
        pattern = _parser().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    if isinstance(pattern, PatternStr):
        return f"'{pattern.value}'"
    return terminal.lower()


def _expected_words(expected) -> str:
    words = sorted({_word(t) for t in expected})
    if len(words) > 8:
        words = words[:8] + ["..."]
    return ", ".join(words)


# Families of common mistakes, matched against the parser state of the error.
_EXAMPLES: dict[str, list[str]] = {
    "a comparison uses '==', not '='": [
        'model m { score s { rule r: industry = "x" => +1 } }',
        'model m { scope industry = "x" }',
    ],
    "every rule needs '=> POINTS', for example '=> +10'": [
        'model m { score s { rule r: phone is set } }',
        'model m { score s { rule r: phone is set +5 } }',
        'model m { score s { rule r: each x } }',
    ],
    "points are a whole number with an optional sign, like '+15' or '-90'": [
        'model m { score s { rule r: phone is set => } }',
        'model m { score s { rule r: phone is set => x } }',
        'model m { score s { rule r: phone is set => "5" } }',
    ],
    "a rule starts with 'rule NAME:'": [
        'model m { score s { phone is set => +5 } }',
        'model m { score s { r: phone is set => +5 } }',
        'model m { score s { rule phone is set => +5 } }',
    ],
    "use 'and', 'or' and 'not' to combine conditions": [
        'model m { scope a == 1 && b == 2 }',
        'model m { scope a == 1 || b == 2 }',
        'model m { scope !a }',
    ],
    "a tier entry is 'LABEL: >= N', 'LABEL: CONDITION' or 'LABEL: otherwise'": [
        'model m { tier t by s { a >= 3 } }',
        'model m { tier t by s { >= 3 } }',
    ],
}


@functools.cache
def _example_keys() -> dict[tuple, str]:
    """(expected tokens, unexpected token type) of each example mistake -> its hint."""
    from lark.exceptions import UnexpectedInput

    keys: dict[tuple, str] = {}
    for hint, examples in _EXAMPLES.items():
        for example in examples:
            try:
                _parser().parse(example)
            except UnexpectedInput as exc:
                keys.setdefault(_error_key(exc), hint)
    return keys


def _error_key(exc: UnexpectedInput) -> tuple:
    token = getattr(exc, "token", None)
    accepts = getattr(exc, "accepts", None) or getattr(exc, "expected", None) or ()
    return frozenset(accepts), token.type if token is not None else "$END"


def _hint_for(exc: UnexpectedInput, text: str) -> str | None:
    from lark.exceptions import UnexpectedCharacters

    if isinstance(exc, UnexpectedCharacters):
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        if ch == "'":
            return "strings are written in double quotes"
        if ch in "&|!":
            return "use 'and', 'or' and 'not' to combine conditions"
        if ch == "/":
            return "a regex follows 'matches', as in: job_title matches /vp/"
        if ch == '"':
            return "a string must end on the line it starts; write a line break as \\n"
        return None
    hint = _example_keys().get(_error_key(exc))
    if hint is None and "RBRACE" in _error_key(exc)[0] and _error_key(exc)[1] == "$END":
        hint = "a '}' is missing: every '{' needs a matching '}'"
    return hint


def _span_of(exc: UnexpectedInput, file: str, text: str) -> Span:
    from lark.exceptions import UnexpectedEOF

    if isinstance(exc, UnexpectedEOF) or getattr(exc, "token", None) is not None and exc.token.type == "$END":
        lines = text.splitlines() or [""]
        return Span.point(file, len(lines), len(lines[-1]) + 1)
    line, column = exc.line, exc.column
    length = 1
    token = getattr(exc, "token", None)
    if token is not None and token.end_column and token.line == token.end_line:
        length = max(1, token.end_column - token.column)
    return Span(file=file, line=line, column=column, end_line=line, end_column=column + length)


@functools.cache
def _continuations() -> frozenset:
    """Tokens that can only continue the construct of the line before ('=>': a rule without its
    points): when one of these is all the parser expects and the next line starts with something
    else, the line before is unfinished."""
    return frozenset(t.name for t in _parser().terminals if t.pattern.value == "=>")


def _code_end(text: str, pos: int) -> tuple[int, int] | None:
    """Line and column just after the last code before ``pos`` (comments and white space
    skipped), when that is on an earlier line than ``pos``; else ``None``."""
    lines = text[:pos].split("\n")
    if lines[-1].strip():
        return None
    for index in range(len(lines) - 2, -1, -1):
        code = _without_comment(lines[index]).rstrip()
        if code:
            return index + 1, len(code) + 1
    return None


def _code(line: str) -> str:
    """A line without its comment and its strings (braces in them are not the file's)."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', _without_comment(line))


def _without_comment(line: str) -> str:
    quoted = escaped = False
    for at, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[:at]
    return line


def syntax_diagnostic(exc: UnexpectedInput, file: str, text: str) -> Diagnostic:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    span = _span_of(exc, file, text)
    if isinstance(exc, UnexpectedCharacters):
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "?"
        message = f"unexpected character {ch!r}"
    elif isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        found = exc.token.value
        expected = _expected_words(exc.accepts or exc.expected)
        message = f"unexpected {found!r}; expected {expected}"
        accepts = exc.accepts or exc.expected or set()
        continuing = bool(accepts) and accepts <= _continuations()    # the line before is unfinished
        end = _code_end(text, exc.token.start_pos) if continuing and exc.token.start_pos is not None else None
        if end is not None:
            # what is missing belongs at the end of the line before, not at the next line's token
            message = f"{expected} expected at the end of this line (found {found!r} on line {exc.token.line})"
            span = Span(file=file, line=end[0], column=end[1], end_line=end[0], end_column=end[1] + 1)
            return error("SD101", message, span, "every rule needs '=> POINTS', for example '=> +10'")
    else:
        expected = getattr(exc, "accepts", None) or getattr(exc, "expected", None) or []
        message = ("unexpected end of file" if "RBRACE" in expected
                   else f"unexpected end of file; expected {_expected_words(expected)}")
    hint = _hint_for(exc, text)
    if hint is None and isinstance(exc, UnexpectedToken) and exc.token.value in _RESERVED:
        hint = f"'{exc.token.value}' is a reserved word and cannot be used as a name"
    return error("SD101", message, span, hint)


#: Expressions may nest this deep (each not, comparison, operator, call or list is a level; a
#: chain of 'and' or 'or', and parentheses, are not). Every stage after the parser walks
#: expressions recursively; the limit keeps them far from Python's recursion limit.
MAX_NESTING = 100
_EXPRESSIONS = frozenset({"or_", "and_", "not_", "compare", "in_", "not_in", "text_test", "matches", "is_set",
                          "is_missing", "arith", "unary", "aggregate", "call", "list_lit"})


def _too_deep(tree):
    """The meta of the first expression nested deeper than :data:`MAX_NESTING`, or None
    (walked without recursion: the tree may be thousands of levels deep)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in _EXPRESSIONS:
            depth += 1
            if depth > MAX_NESTING:
                return node.meta
        stack.extend((child, depth) for child in node.children if child is not None and not isinstance(child, str))
    return None


# Characters that reorder how text is displayed: a line can show one thing and mean another
# ("Trojan Source", CVE-2021-42574).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _bidi_warnings(text: str, file: str) -> list[Diagnostic]:
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        for match in _BIDI.finditer(line):
            column = match.start() + 1
            found.append(warning("SD113", f"invisible bidirectional control character U+{ord(match.group()):04X}",
                                 Span(file=file, line=number, column=column, end_line=number, end_column=column + 1),
                                 "it can make this line display differently from what it means; remove it, "
                                 "or write it as an escape (\\u202e) inside a string"))
    return found


_RESERVED = frozenset("""activity and by case_sensitive contact contains count decay disqualify distinct each
ends_with event false first for group half_life has in inactivity include is last let matches max
min missing model monotonic not once or otherwise rule schema scope score set share starts_with tier true unless where
within""".split())


def parse(text: str, file: str = "<input>") -> tuple[nodes.RuleFile | None, list[Diagnostic]]:
    """Parse one rule file. Returns the tree (or ``None``) and every diagnostic found."""
    text = text.removeprefix("\ufeff")        # a byte order mark, as some editors write
    if len(text.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        return None, [error("SD102", f"rule file is larger than {MAX_SOURCE_BYTES} bytes",
                            Span.point(file, 1, 1))]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [error("SD103", "rule file contains a NUL character", Span.point(file, line, 1),
                            "rule files are UTF-8 text")]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:      # text given as a str may hold what no file can
        line = text[: exc.start].count("\n") + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        return None, [error("SD112", f"a lone surrogate U+{ord(text[exc.start]):04X} is not a character",
                            Span(file=file, line=line, column=column, end_line=line, end_column=column + 1),
                            "rule files are UTF-8 text")]
    warnings = _bidi_warnings(text, file)
    with collector_paused():     # a node or two per token, none in a cycle
        return _parse(text, file, warnings)


def _parse(text: str, file: str, warnings: list[Diagnostic]) -> tuple[nodes.RuleFile | None, list[Diagnostic]]:
    # a file that parses is read by the hand-written parser, which gives the LALR parser's
    # tree several times sooner; anything else (and errors) the LALR parser reads and reports
    read = descent.parse(text)
    if read is not None:
        tree, comments, syntax = read[0], read[1], []
    else:
        tree, comments, syntax = _parse_recovering(text, file)
    if tree is None:
        return None, syntax + warnings
    too_deep = _too_deep(tree)
    if too_deep is not None:
        return None, [error("SD111", f"this expression nests more than {MAX_NESTING} levels deep",
                            Span(file=file, line=too_deep.line, column=too_deep.column, end_line=too_deep.line,
                                 end_column=too_deep.column + 1),
                            "split it into named parts with 'let', or flatten it: a chain of 'and' or "
                            "'or' is one level")] + warnings
    transformer = ToNodes(file)
    try:
        items = transformer.transform(tree)
    except ConstructError as exc:  # an unexpected failure inside the transformer: report, never crash
        inner = exc.orig_exc
        return None, [error("SD199", f"cannot read this construct: {inner}", Span.point(file, 1, 1))] + warnings
    # Lexical problems (bad escapes, units, fractional points) leave a usable tree: return both,
    # so that the checker can still report every other problem in the file.
    found = tuple(nodes.Comment(text=str(t).rstrip(), line=t.line, column=t.column) for t in comments)
    return (nodes.RuleFile(path=file, items=tuple(items), comments=found, span=Span.point(file, 1, 1)),
            syntax + transformer.diagnostics + warnings)


#: At most this many syntax errors are reported for one file.
MAX_SYNTAX_ERRORS = 50


def _parse_recovering(text: str, file: str) -> tuple[lark.Tree | None, list, list[Diagnostic]]:
    """Parse ``text``, reporting every syntax error: after each, the line it is on is set aside
    (blanked, so that every other line keeps its number) and the rest is parsed again. The tree
    is that of the lines that parsed, so their meaning can be checked too; it is ``None`` when
    the file ends in the middle of a construct, or nothing could be set aside."""
    from lark.exceptions import UnexpectedEOF, UnexpectedInput

    found: list[Diagnostic] = []
    lines = text.split("\n")
    blanked: set[int] = set()
    while True:
        comments: list = []
        reset = _comments.set(comments)
        try:
            return _parser().parse("\n".join(lines)), comments, found
        except UnexpectedInput as exc:
            diagnostic = syntax_diagnostic(exc, file, text if not blanked else "\n".join(lines))
            found.append(diagnostic)
            line = diagnostic.span.line if diagnostic.span is not None else 0
            at_end = isinstance(exc, UnexpectedEOF) or getattr(getattr(exc, "token", None), "type", "") == "$END"
            if at_end or not 1 <= line <= len(lines) or line in blanked or len(found) >= MAX_SYNTAX_ERRORS:
                return None, [], found
            if _code(lines[line - 1]).count("{") != _code(lines[line - 1]).count("}"):
                return None, [], found      # setting it aside would unbalance the braces: stop here
            blanked.add(line)
            lines[line - 1] = " " * len(lines[line - 1])
        finally:
            _comments.reset(reset)
