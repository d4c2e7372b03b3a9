"""A hand-written parser for rule files that parse: the LALR parser's tree, several times sooner.

:func:`parse` reads the grammar of ``grammar/scoredsl.lark`` by recursive descent and gives the
very tree the LALR parser of :mod:`scoredsl.syntax.parser` gives (the same nodes, tokens,
placeholders and positions) and the same comments, or ``None``. It gives ``None`` whenever it
meets anything it is not sure of: a syntax error, a reserved word where the LALR parser's
contextual lexer may read it either way, nesting deeper than :data:`MAX_DEPTH`. The
caller then asks the LALR parser, which reports the error. So the fast path can only be faster,
never different: a file it reads is a file the LALR parser reads the same way.

Why a tree it gives is the LALR parser's tree:

* Its lexer matches the grammar's terminals in the order Lark's does (by priority, then by
  width), over all of them. The LALR parser's lexer matches, in the same order, only the
  terminals its parser state has an action for. Wherever this parser takes a token, the grammar
  accepts that terminal there, so the LALR lexer, trying a subset of the same list in the same
  order, stops at the same terminal with the same text.
* Reserved words are the exception: the LALR lexer reads ``score`` as a name where its state
  takes a name and not ``score`` (a field called ``company``, ``company.size`` in an
  expression). This parser takes a reserved word as a name only where the state takes no
  reserved word at all, or none but those it refuses there (:data:`_AFTER_SEPARATOR` after a
  separator, :data:`_ATOM_WORDS` where an expression starts); after an expression, where the
  state's lookahead holds many, it leaves the file to the LALR parser. The tests ask the LALR
  parser's own tables which words each such place takes.
* The grammar is LALR(1), hence unambiguous: one sequence of tokens has one derivation, and the
  tree of a derivation is fixed by the grammar's shaping rules (``?rule`` inlined when it has
  one child, ``_rule`` spliced, anonymous tokens dropped, ``[x]`` giving ``None``).
* A node spans from the first to the last token of its derivation, parentheses and keywords
  included, which is what Lark's ``propagate_positions`` computes; a parenthesised expression
  keeps its own span.

``tests/syntax/test_descent.py`` holds both parsers to this on every rule file of the
repository, on random rule files, and on random mutations of them.
"""

from __future__ import annotations

import re

__all__ = ["parse", "Token", "Tree", "KEYWORDS", "MAX_DEPTH"]


# The tree is built of these rather than of Lark's classes, which have the same attributes, so
# that a file that parses never imports Lark (a tenth of the time of `scoredsl check`).

class Token(str):
    """A token, as Lark's ``Token``: its text, terminal and where it lies (lines and columns
    from 1, ``end_column`` just past its last character)."""
    __slots__ = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")

    def __new__(cls, type: str, value: str, start_pos: int, line: int, column: int, end_line: int,
                end_column: int, end_pos: int) -> "Token":
        token = str.__new__(cls, value)
        token.type, token.value, token.start_pos = type, value, start_pos
        token.line, token.column, token.end_line, token.end_column, token.end_pos = (
            line, column, end_line, end_column, end_pos)
        return token

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r})"


class Meta:
    """Where a node lies, as Lark's ``Meta``; ``empty`` for a node of no tokens."""
    __slots__ = ("empty", "line", "column", "start_pos", "end_line", "end_column", "end_pos")

    def __init__(self) -> None:
        self.empty = True


class Tree:
    """A node of the parse tree, as Lark's ``Tree``: the grammar rule, its children (nodes,
    tokens and ``None`` for an absent ``[optional]``) and where it lies."""
    __slots__ = ("data", "children", "meta")

    def __init__(self, data: str, children: list, meta: Meta | None = None) -> None:
        self.data, self.children, self.meta = data, children, meta if meta is not None else Meta()

    def __repr__(self) -> str:
        return f"Tree({self.data!r}, {self.children!r})"

#: Words the grammar spells out. The keys of :data:`_KEPT` are kept in the tree as tokens of that
#: terminal (the grammar names them); the rest are dropped.
KEYWORDS = frozenset("""activity and by case_sensitive company contact contains count decay disqualify distinct
each ends_with event false first for group half_life has in inactivity include is last let matches max min
missing model monotonic not once or otherwise rule schema scope score set share starts_with tier true unless
where within""".split())
_KEPT = {"case_sensitive": "CASE", "contains": "CONTAINS", "starts_with": "STARTS_WITH",
         "ends_with": "ENDS_WITH", "count": "COUNT", "has": "HAS", "first": "FIRST", "last": "LAST"}

#: Nesting (parentheses, lists, calls, 'not' and signs) beyond which the LALR parser reads the
#: file: it reports nesting beyond :data:`scoredsl.syntax.parser.MAX_NESTING`, and recursion
#: here stays far from Python's limit.
MAX_DEPTH = 40

# The grammar's terminals, each group in Lark's order (priority, then width); no two groups
# can match at the same character, except punctuation, longest first as Lark orders it.
_SCAN = re.compile(r"""
    (?P<WS>[ \t\f\r\n]+)
  | (?P<COMMENT>\#[^\n]*)
  | (?P<NAME>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<DATETIME>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)
  | (?P<DATE>\d{4}-\d{2}-\d{2})
  | (?P<DURATION>\d+[A-Za-z]+)
  | (?P<NUMBER>\d+(?:\.\d+)?)
  | (?P<STRING>"(?:[^"\\\n]|\\.)*")
  | (?P<REGEX>/(?:[^/\\\n]|\\.)+/[A-Za-z]*)
  | (?P<COMPARE_OP>==|!=|<=|>=|<|>)
  | (?P<P>\.\.<|=>|\.\.|[{}()\[\]:;,=.%*+-])
  | (?P<BAD>[\s\S])
""", re.VERBOSE)

#: The terminal of each punctuation mark the tree keeps.
_PUNCT_KEPT = {"%": "PERCENT", "*": "STAR", "+": "SIGN", "-": "SIGN"}
_SIGNS = ("+", "-")
#: Reserved words an expression may start with, or that may stand where one starts; any other
#: reserved word there is a name, as the LALR parser's lexer reads it.
#: Reserved words that may follow a separator (';' or ','): the LALR parser's lexer reads them as
#: reserved words there, whatever follows, as its state after a separator serves every list.
_AFTER_SEPARATOR = frozenset({"scope", "disqualify", "score", "tier", "decay", "group", "rule", "otherwise"})
_ATOM_WORDS = frozenset({"true", "false", "count", "has", "first", "last", "not", "otherwise", "each"})
_END = "$END"


class _Unsure(Exception):
    """Anything this parser does not read as surely as the LALR parser: let that one read it."""


def parse(text: str) -> tuple[Tree, list[Token]] | None:
    """The LALR parser's tree of ``text`` and its comments (tokens, in order); ``None`` when
    the LALR parser must read it (a syntax error, or something this parser leaves to it)."""
    try:
        reader = _Reader(text)
        return reader.start(), reader.comments
    except (_Unsure, RecursionError):
        return None


class _Reader:
    def __init__(self, text: str):
        kinds: list[str] = []       # the terminal, a reserved word itself, or a punctuation mark
        values: list[str] = []
        starts: list[int] = []
        lines: list[int] = []
        columns: list[int] = []
        self.comments: list[Token] = []
        line, line_start = 1, 0
        for match in _SCAN.finditer(text):
            kind = match.lastgroup
            start = match.start()
            if kind == "WS":
                value = match.group()
                breaks = value.count("\n")
                if breaks:
                    line += breaks
                    line_start = start + value.rindex("\n") + 1
                continue
            value = match.group()
            if kind == "NAME":
                if value in KEYWORDS:
                    kind = value
            elif kind == "P":
                kind = value
            elif kind == "COMMENT":
                column = start - line_start + 1
                self.comments.append(Token("COMMENT", value, start, line, column, line, column + len(value),
                                           start + len(value)))
                continue
            elif kind == "BAD":
                raise _Unsure
            kinds.append(kind)
            values.append(value)
            starts.append(start)
            lines.append(line)
            columns.append(start - line_start + 1)
        kinds += [_END] * 3          # looking two tokens ahead never runs off the end
        self.k, self.v, self.s, self.l, self.c = kinds, values, starts, lines, columns
        self.i = 0
        self.depth = 0

    # ------------------------------------------------------------ tokens and nodes
    def token(self, at: int, terminal: str) -> Token:
        value = self.v[at]
        column = self.c[at]
        start = self.s[at]
        return Token(terminal, value, start, self.l[at], column, self.l[at], column + len(value), start + len(value))

    def take(self, kind: str) -> int:
        """The index of the next token, which must be ``kind``."""
        at = self.i
        if self.k[at] != kind:
            raise _Unsure
        self.i = at + 1
        return at

    def kept(self, kind: str, terminal: str) -> Token:
        return self.token(self.take(kind), terminal)

    def name(self) -> Token:
        """A name where the grammar takes nothing else: a reserved word is a name here too, as
        the LALR parser's lexer reads it (its state accepts no reserved word)."""
        at = self.i
        kind = self.k[at]
        if kind != "NAME" and (kind not in KEYWORDS or kind in _AFTER_SEPARATOR and self.k[at - 1] in (";", ",")):
            raise _Unsure
        self.i = at + 1
        return self.token(at, "NAME")

    def label(self) -> Token:
        """A name that may follow an expression: a reserved word there may be read as a word of
        that expression, so it is a name only after '{' or a separator."""
        if self.k[self.i] in KEYWORDS and self.k[self.i - 1] not in ("{", ";", ","):
            raise _Unsure
        return self.name()

    def maybe(self, kind: str, terminal: str) -> Token | None:
        if self.k[self.i] != kind:
            return None
        return self.kept(kind, terminal)

    def node(self, data: str, children: list, first: int) -> Tree:
        """A node of the tokens from ``first`` to the last one taken."""
        last = self.i - 1
        meta = Meta()
        meta.empty = False
        meta.line, meta.column, meta.start_pos = self.l[first], self.c[first], self.s[first]
        width = len(self.v[last])
        meta.end_line, meta.end_column, meta.end_pos = self.l[last], self.c[last] + width, self.s[last] + width
        return Tree(data, children, meta)

    def separator(self) -> None:
        if self.k[self.i] in (";", ","):
            self.i += 1

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Unsure

    # ------------------------------------------------------------ file, schema, lets
    def start(self) -> Tree:
        items = []
        readers = {"include": self.include, "let": self.let, "schema": self.schema, "model": self.model}
        while self.k[self.i] != _END:
            reader = readers.get(self.k[self.i])
            if reader is None:
                raise _Unsure
            items.append(reader())
        if not items:
            return Tree("start", [])
        return self.node("start", items, 0)

    def include(self) -> Tree:
        first = self.take("include")
        return self.node("include", [self.kept("STRING", "STRING")], first)

    def let(self) -> Tree:
        first = self.take("let")
        name = self.name()
        self.take("=")
        return self.node("let", [name, self.expr()], first)

    def schema(self) -> Tree:
        first = self.take("schema")
        self.take("{")
        parts = []
        while self.k[self.i] != "}":
            kind = self.k[self.i]
            if kind in ("contact", "company"):
                part = self.i
                self.i += 1
                self.take("{")
                fields = self.fields()
                self.take("}")
                parts.append(self.node(kind, fields, part))
            elif kind == "event":
                part = self.i
                self.i += 1
                children = [self.name()]
                if self.k[self.i] == "{":
                    self.i += 1
                    children += self.fields()
                    self.take("}")
                parts.append(self.node("event", children, part))
            else:
                raise _Unsure
        self.i += 1
        return self.node("schema", parts, first)

    def fields(self) -> list[Tree]:
        found = []
        while self.k[self.i] == "NAME" or self.k[self.i] in KEYWORDS:
            first = self.i
            name = self.name()
            self.take(":")
            kind = self.i
            base = self.name()
            if self.k[self.i] == "[":
                self.i += 1
                item = self.name()
                self.take("]")
                shape = self.node("list_type", [base, item], kind)
            else:
                shape = self.node("scalar_type", [base], kind)
            found.append(self.node("field", [name, shape], first))
            self.separator()
        return found

    # ------------------------------------------------------------ models
    def model(self) -> Tree:
        first = self.take("model")
        children = [self.name()]
        at = self.opening("for")
        children.append(None if at is None else self.node("subject", [self.name()], at))
        self.take("{")
        readers = {"scope": self.scope, "disqualify": self.disqualify, "score": self.score, "tier": self.tier}
        while self.k[self.i] != "}":
            reader = readers.get(self.k[self.i])
            if reader is None:
                raise _Unsure
            children.append(reader())
            self.separator()
        self.i += 1
        return self.node("model", children, first)

    def scope(self) -> Tree:
        first = self.take("scope")
        return self.node("scope", [self.expr()], first)

    def disqualify(self) -> Tree:
        first = self.take("disqualify")
        name = self.name()
        self.take(":")
        return self.node("disqualify", [name, self.expr()], first)

    def score(self) -> Tree:
        first = self.take("score")
        children = [self.name()]
        at = self.opening("min")
        children.append(None if at is None else self.node("score_min", [self.signed_number()], at))
        if self.k[self.i] == "max":
            self.i += 1
            children.append(self.kept("NUMBER", "NUMBER"))
        else:
            children.append(None)
        self.take("{")
        while self.k[self.i] != "}":
            kind = self.k[self.i]
            if kind == "rule":
                children.append(self.rule())
            elif kind == "group":
                children.append(self.group())
            elif kind == "decay":
                children.append(self.decay())
            else:
                raise _Unsure
            self.separator()
        self.i += 1
        return self.node("score", children, first)

    def decay(self) -> Tree:
        first = self.take("decay")
        if self.k[self.i] == "half_life":
            self.i += 1
            return self.node("decay_half_life", [self.kept("DURATION", "DURATION")], first)
        self.take("inactivity")
        self.take("{")
        children = []
        while self.k[self.i] == "DURATION":
            step = self.i
            after = self.kept("DURATION", "DURATION")
            self.take("=>")
            children.append(self.node("decay_step", [after, self.kept("NUMBER", "NUMBER"),
                                                     self.kept("%", "PERCENT")], step))
            self.separator()
        self.take("}")
        at = self.opening("activity")
        if at is not None:
            self.take("[")
            names: list = []
            while self.k[self.i] == "NAME" or self.k[self.i] in KEYWORDS:
                names.append(self.name())
                if not self.skip(","):
                    break
            self.take("]")
        children.append(None if at is None else self.node("activity", names or [None], at))
        return self.node("decay_inactivity", children, first)

    def group(self) -> Tree:
        first = self.take("group")
        children = [self.name()]
        at = self.opening("share")
        children.append(None if at is None else
                        self.node("share", [self.kept("NUMBER", "NUMBER"), self.kept("%", "PERCENT")], at))
        at = self.opening("max")
        children.append(None if at is None else
                        self.node("cap", [self.kept("NUMBER", "NUMBER"), self.maybe("%", "PERCENT")], at))
        self.take("{")
        while self.k[self.i] == "rule":
            children.append(self.rule())
            self.separator()
        self.take("}")
        return self.node("group", children, first)

    def rule(self) -> Tree:
        first = self.take("rule")
        name = self.name()
        self.take(":")
        body = self.i
        if self.k[body] == "each":
            return self.node("rule", [name, self.each_rule()], first)
        if self.k[body] == "not":
            condition = self.expr()
        else:
            measure = self.sum()
            if self.k[self.i] in ("case_sensitive", "{"):
                return self.node("rule", [name, self.band_rule(measure, body)], first)
            condition = self.expr((measure, body))
        self.take("=>")
        sign = self.i + 1 if self.k[self.i] in _SIGNS else self.i
        points = self.points() if self.k[sign] == "NUMBER" else self.points_from()
        return self.node("rule", [name, self.node("when_rule", [condition, points], body)], first)

    def each_rule(self) -> Tree:
        first = self.take("each")
        children = [self.name(), self.distinct()]
        children.append(self.expr() if self.skip("where") else None)
        children.append(self.kept("DURATION", "DURATION") if self.skip("within") else None)
        self.take("=>")
        children.append(self.points())
        return self.node("each_rule", children, first)

    def skip(self, kind: str) -> bool:
        """Whether the next token is ``kind`` (then taken)."""
        return self.opening(kind) is not None

    def opening(self, kind: str) -> int | None:
        """The index of the next token when it is ``kind`` (then taken): the first of an
        optional part's node; else ``None``."""
        at = self.i
        if self.k[at] != kind:
            return None
        self.i = at + 1
        return at

    def distinct(self) -> Tree | None:
        first = self.opening("distinct")
        if first is None:
            return None
        name = self.name()
        return self.node("distinct", [name, self.maybe("case_sensitive", "CASE")], first)

    def points(self) -> Tree:
        first = self.i
        children = [self.sign(), self.kept("NUMBER", "NUMBER")]
        at = self.opening("max")
        if at is not None:
            children.append(self.node("points_max", [self.kept("NUMBER", "NUMBER")], at))
        else:
            at = self.opening("once")
            children.append(None if at is None else self.node("points_once", [], at))
        return self.node("points", children, first)

    def points_from(self) -> Tree:
        first = self.i
        children = [self.sign(), self.name()]
        if self.skip("in"):
            children.append(self.signed_number())
            self.take("..")
            children.append(self.signed_number())
        else:
            children += [None, None]
        return self.node("points_from", children, first)

    def sign(self) -> Token | None:
        if self.k[self.i] in _SIGNS:
            return self.kept(self.k[self.i], "SIGN")
        return None

    def signed_number(self) -> Tree:
        first = self.i
        sign = self.sign()
        return self.node("signed_number", [sign, self.kept("NUMBER", "NUMBER")], first)

    def band_rule(self, measure: Tree, first: int) -> Tree:
        children = [measure, self.maybe("case_sensitive", "CASE")]
        self.take("{")
        while self.k[self.i] != "}":
            band = self.i
            test = self.band_test()
            self.take("=>")
            children.append(self.node("band", [test, self.points()], band))
            self.separator()
        self.i += 1
        return self.node("band_rule", children, first)

    def band_test(self) -> Tree:
        first = self.i
        kind = self.k[first]
        if kind == "COMPARE_OP":
            op = self.kept("COMPARE_OP", "COMPARE_OP")
            return self.node("band_compare", [op, self.bound()], first)
        if kind == "otherwise":
            self.i += 1
            return self.node("band_otherwise", [], first)
        if kind == "STRING":
            return self.node("band_text", [self.kept("STRING", "STRING")], first)
        if kind == "[":
            return self.node("band_list", [self.list_lit()], first)
        ranged = self.k[first + 2 if kind in _SIGNS else first + 1] in ("..", "..<")
        if kind == "NAME" or kind in KEYWORDS:
            if not ranged:
                return self.node("band_const", [self.label()], first)
            self.label()        # only to refuse a reserved word where it may not be a name
            self.i = first
        low = self.bound()
        if not ranged:
            if low.data != "signed_number":
                raise _Unsure
            return self.node("band_number", [low], first)
        shape = "band_range" if self.k[self.i] == ".." else "band_range_open"
        self.i += 1
        return self.node(shape, [low, self.bound()], first)

    def bound(self) -> Tree:
        first = self.i
        kind = self.k[first]
        if kind == "DURATION":
            return self.node("duration", [self.kept("DURATION", "DURATION")], first)
        if kind == "NAME" or kind in KEYWORDS:
            return self.node("name", [self.name()], first)
        return self.signed_number()

    def tier(self) -> Tree:
        first = self.take("tier")
        children = [self.name()]
        children.append(self.sum() if self.skip("by") else None)
        at = self.opening("monotonic")
        children.append(None if at is None else
                        self.node("monotonic", [self.expr() if self.skip("unless") else None], at))
        self.take("{")
        while self.k[self.i] != "}":
            entry = self.i
            label = self.label()
            self.take(":")
            kind = self.k[self.i]
            if kind == "COMPARE_OP":
                op = self.kept("COMPARE_OP", "COMPARE_OP")
                children.append(self.node("tier_threshold", [label, op, self.sum()], entry))
            elif kind == "otherwise":
                self.i += 1
                children.append(self.node("tier_otherwise", [label], entry))
            else:
                children.append(self.node("tier_condition", [label, self.expr()], entry))
            self.separator()
        self.i += 1
        return self.node("tier", children, first)

    # ------------------------------------------------------------ expressions
    # ``begun``: a sum already read (the start of a rule's body, which may be a band rule's
    # measure) and the index of its first token.

    def expr(self, begun: tuple[Tree, int] | None = None) -> Tree:
        first = self.i if begun is None else begun[1]
        left = self.and_expr(begun)
        if self.k[self.i] != "or":
            return left
        items = [left]
        while self.k[self.i] == "or":
            self.i += 1
            items.append(self.and_expr())
        return self.node("or_", items, first)

    def and_expr(self, begun: tuple[Tree, int] | None = None) -> Tree:
        first = self.i if begun is None else begun[1]
        left = self.not_expr() if begun is None else self.predicate(begun)
        if self.k[self.i] != "and":
            return left
        items = [left]
        while self.k[self.i] == "and":
            self.i += 1
            items.append(self.not_expr())
        return self.node("and_", items, first)

    def not_expr(self) -> Tree:
        if self.k[self.i] != "not":
            return self.predicate()
        first = self.i
        self.i += 1
        self.deeper()
        operand = self.not_expr()
        self.depth -= 1
        return self.node("not_", [operand], first)

    def predicate(self, begun: tuple[Tree, int] | None = None) -> Tree:
        if begun is None:
            first = self.i
            left = self.sum()
        else:
            left, first = begun
        kind = self.k[self.i]
        if kind == "COMPARE_OP":
            op = self.kept("COMPARE_OP", "COMPARE_OP")
            right = self.sum()
            return self.node("compare", [left, op, right, self.maybe("case_sensitive", "CASE")], first)
        if kind == "in" or kind == "not":
            self.i += 1
            if kind == "not":
                self.take("in")
            right = self.sum()
            return self.node("in_" if kind == "in" else "not_in",
                             [left, right, self.maybe("case_sensitive", "CASE")], first)
        if kind in ("contains", "starts_with", "ends_with"):
            test = self.kept(kind, _KEPT[kind])
            right = self.sum()
            return self.node("text_test", [left, test, right, self.maybe("case_sensitive", "CASE")], first)
        if kind == "matches":
            self.i += 1
            pattern = self.kept("REGEX", "REGEX")
            return self.node("matches", [left, pattern, self.maybe("case_sensitive", "CASE")], first)
        if kind == "is":
            self.i += 1
            which = self.k[self.i]
            if which not in ("set", "missing"):
                raise _Unsure
            self.i += 1
            return self.node("is_set" if which == "set" else "is_missing", [left], first)
        return left

    def sum(self) -> Tree:
        first = self.i
        left = self.product()
        while self.k[self.i] in _SIGNS:
            op = self.kept(self.k[self.i], "SIGN")
            left = self.node("arith", [left, op, self.product()], first)
        return left

    def product(self) -> Tree:
        first = self.i
        left = self.unary()
        while self.k[self.i] == "*":
            op = self.kept("*", "STAR")
            left = self.node("arith", [left, op, self.unary()], first)
        return left

    def unary(self) -> Tree:
        kind = self.k[self.i]
        if kind not in _SIGNS:
            return self.atom()
        first = self.i
        op = self.kept(kind, "SIGN")
        self.deeper()
        operand = self.unary()
        self.depth -= 1
        return self.node("unary", [op, operand], first)

    _LITERALS = {"NUMBER": "number", "STRING": "string", "DURATION": "duration", "DATE": "date",
                 "DATETIME": "datetime"}

    def atom(self) -> Tree:
        first = self.i
        kind = self.k[first]
        literal = self._LITERALS.get(kind)
        if literal is not None:
            return self.node(literal, [self.kept(kind, kind)], first)
        if kind == "NAME" or (kind in KEYWORDS and kind not in _ATOM_WORDS):
            after = self.k[first + 1]
            if after == "(":
                return self.call()
            name = self.name()
            if after == ".":
                self.i += 1
                return self.node("dotted", [name, self.name()], first)
            return self.node("name", [name], first)
        if kind == "true" or kind == "false":
            self.i += 1
            return self.node(kind, [], first)
        if kind == "(":
            self.i += 1
            self.deeper()
            inner = self.expr()
            self.depth -= 1
            self.take(")")
            return inner
        if kind == "[":
            return self.list_lit()
        if kind in ("count", "has", "first", "last"):
            return self.aggregate()
        raise _Unsure

    def call(self) -> Tree:
        first = self.i
        name = self.name()
        self.take("(")
        self.deeper()
        if self.skip(")"):
            self.depth -= 1
            return self.node("call", [name, None], first)
        argument = self.expr()
        if self.skip("where"):
            condition = self.expr()
            self.take(")")
            self.depth -= 1
            return self.node("call_where", [name, argument, condition], first)
        arguments = [name, argument]
        while self.skip(","):
            arguments.append(self.expr())
        self.take(")")
        self.depth -= 1
        return self.node("call", arguments, first)

    def aggregate(self) -> Tree:
        first = self.i
        kind = self.k[first]
        children = [self.kept(kind, _KEPT[kind])]
        self.take("(")
        self.deeper()
        children += [self.name(), self.distinct()]
        children.append(self.expr() if self.skip("where") else None)
        children.append(self.kept("DURATION", "DURATION") if self.skip("within") else None)
        self.take(")")
        self.depth -= 1
        return self.node("aggregate", children, first)

    def list_lit(self) -> Tree:
        first = self.take("[")
        self.deeper()
        items: list = []
        while self.k[self.i] != "]":
            items.append(self.expr())
            if not self.skip(","):
                break
        self.take("]")
        self.depth -= 1
        return self.node("list_lit", items or [None], first)
