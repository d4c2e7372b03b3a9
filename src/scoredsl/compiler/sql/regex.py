"""Regexes for engines that do not run RE2: PostgreSQL (ARE), MariaDB (PCRE2), Spark (Java).

DuckDB runs RE2, the language's own regex engine, so it gets the pattern as written. The others
get a translation into constructs they all read the same way as RE2 does:

* ``.`` becomes ``[^\\n]``; ``\\d`` ``[0-9]``; ``\\w`` ``[0-9A-Za-z_]``; ``\\s`` ``[\\t\\n\\f\\r ]``
  (RE2's classes are ASCII; the engines' are Unicode or locale-dependent);
* ``\\b`` and ``\\B`` become look-arounds on ``[0-9A-Za-z_]``;
* ``$`` (end of text) becomes ``\\z`` on Java and PCRE, where ``$`` also matches before a final
  newline;
* case-insensitive matching becomes explicit classes: every letter stands for its whole case
  orbit as RE2 folds it (``k`` is ``[Kk\\u212a]``), so no engine's case-folding flag, locale or
  collation is involved;
* lazy repeats become greedy ones and groups non-capturing: a test of *whether* a pattern
  matches cannot tell them apart.

What cannot be translated exactly is rejected with :class:`~scoredsl.compiler.sql.generator.SqlError`:
``\\D``/``\\W``/``\\S`` inside a class, a case-insensitive range over non-ASCII letters, flags
other than ``i``, Unicode classes (``\\pL``), POSIX classes, ``\\C``, ``\\Q...\\E``.
"""

from __future__ import annotations

import functools
import re

from sqlglot import exp

try:  # Python 3.11+
    from re import _constants as C, _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

__all__ = ["translate", "portable"]

_WORD = "0-9A-Za-z_"
_SPACE = "\\t\\n\\f\\r "
_META = set(".^$|?*+()[]{}\\")
_CLASS_META = set("]\\^-[&")


class NotPortable(ValueError):
    pass


# One past the last code point whose case folding or lower case differs from itself (ADLAM SMALL
# LETTER SHA, U+1E943): scanning past it would find nothing, at seven times the cost of the
# scan (tests/compiler/test_sql_regex.py checks the bound against Python's Unicode tables).
CASED_END = 0x1E944


@functools.lru_cache(maxsize=None)
def _orbits() -> dict[str, str]:
    """Each cased character's simple case orbit (every character that folds together with it)."""
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.get(c, c) != c:
            c = parent[c]
        return c

    for code in range(CASED_END):
        ch = chr(code)
        folded = ch.casefold()
        if len(folded) != 1:
            folded = ch.lower() if len(ch.lower()) == 1 else ch
        if folded != ch:
            a, b = find(ch), find(folded)
            if a != b:
                parent[a] = b
    groups: dict[str, list[str]] = {}
    for ch in parent:
        groups.setdefault(find(ch), []).append(ch)
    for root, members in groups.items():
        if root not in members:
            members.append(root)
    return {ch: "".join(sorted(members)) for members in groups.values() for ch in members}


def _orbit(ch: str) -> str:
    return _orbits().get(ch, ch)


class _Emitter:
    def __init__(self, flavor: str):
        self.flavor = flavor            # "postgres", "mysql" (PCRE2), "spark" (Java)

    def literal(self, code: int, fold: bool) -> str:
        ch = chr(code)
        if fold:
            orbit = _orbit(ch)
            if len(orbit) > 1:
                return "[" + "".join(self.class_char(c) for c in orbit) + "]"
        if ch in _META:
            return "\\" + ch
        if ch == "\n":
            return "\\n"
        return ch

    def class_char(self, ch: str) -> str:
        if ch in _CLASS_META:
            return "\\" + ch
        if ch == "\n":
            return "\\n"
        return ch

    def class_items(self, items, fold: bool) -> tuple[str, bool]:
        negate = False
        out = []
        for op, arg in items:
            if op is C.NEGATE:
                negate = True
            elif op is C.LITERAL:
                chars = _orbit(chr(arg)) if fold else chr(arg)
                out.extend(self.class_char(c) for c in chars)
            elif op is C.RANGE:
                lo, hi = arg
                out.append(f"{self.class_char(chr(lo))}-{self.class_char(chr(hi))}")
                if fold:
                    out.extend(self.folded_range(lo, hi))
            elif op is C.CATEGORY:
                if arg is C.CATEGORY_DIGIT:
                    out.append("0-9")
                elif arg is C.CATEGORY_WORD:
                    out.append(_WORD)
                elif arg is C.CATEGORY_SPACE:
                    out.append(_SPACE)
                else:
                    raise NotPortable("\\D, \\W or \\S inside a character class")
            else:
                raise NotPortable(f"{op} in a character class")
        return "".join(out), negate

    def folded_range(self, lo: int, hi: int) -> list[str]:
        extra = []
        for code in range(lo, hi + 1):
            ch = chr(code)
            if ch.lower() == ch.upper():
                continue
            if code > 0x7F:
                raise NotPortable("a case-insensitive range over non-ASCII letters")
            extra.extend(c for c in _orbit(ch) if not lo <= ord(c) <= hi)
        return [self.class_char(c) for c in sorted(set(extra))]

    def boundary(self, negated: bool) -> str:
        w = f"[{_WORD}]"
        if negated:
            return f"(?:(?<={w})(?={w})|(?<!{w})(?!{w}))"
        return f"(?:(?<={w})(?!{w})|(?<!{w})(?={w}))"

    def emit(self, pattern, fold: bool) -> str:
        out = []
        for op, arg in pattern:
            out.append(self.node(op, arg, fold))
        return "".join(out)

    def node(self, op, arg, fold: bool) -> str:
        if op is C.LITERAL:
            return self.literal(arg, fold)
        if op is C.NOT_LITERAL:
            chars = _orbit(chr(arg)) if fold else chr(arg)
            return "[^" + "".join(self.class_char(c) for c in chars) + "]"
        if op is C.ANY:
            return "[^\\n]"
        if op is C.IN:
            body, negate = self.class_items(arg, fold)
            return f"[{'^' if negate else ''}{body}]"
        if op is C.CATEGORY:    # outside a class
            return {C.CATEGORY_DIGIT: "[0-9]", C.CATEGORY_NOT_DIGIT: "[^0-9]", C.CATEGORY_WORD: f"[{_WORD}]",
                    C.CATEGORY_NOT_WORD: f"[^{_WORD}]", C.CATEGORY_SPACE: f"[{_SPACE}]",
                    C.CATEGORY_NOT_SPACE: f"[^{_SPACE}]"}[arg]
        if op is C.BRANCH:
            return "(?:" + "|".join(self.emit(branch, fold) for branch in arg[1]) + ")"
        if op is C.SUBPATTERN:
            _group, add, remove, sub = arg
            inner_fold = fold
            if add & re.IGNORECASE:
                inner_fold = True
            if remove & re.IGNORECASE:
                inner_fold = False
            if (add | remove) & ~(re.IGNORECASE | re.UNICODE):
                raise NotPortable("regex flags other than i")
            return "(?:" + self.emit(sub, inner_fold) + ")"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            low, high, sub = arg
            body = self.emit(sub, fold)
            if not (len(sub) == 1 and sub[0][0] in (C.LITERAL, C.ANY, C.IN, C.CATEGORY, C.SUBPATTERN,
                                                         C.BRANCH, C.NOT_LITERAL)) or body.startswith("\\"):
                body = f"(?:{body})"
            if high is C.MAXREPEAT:
                suffix = "*" if low == 0 else ("+" if low == 1 else f"{{{low},}}")
            elif low == 0 and high == 1:
                suffix = "?"
            elif low == high:
                suffix = f"{{{low}}}"
            else:
                suffix = f"{{{low},{high}}}"
            return body + suffix
        if op is C.AT:
            if arg in (C.AT_BEGINNING, C.AT_BEGINNING_STRING):
                return "^"
            if arg in (C.AT_END, C.AT_END_STRING):
                return "$" if self.flavor == "postgres" else "\\z"
            if arg is C.AT_BOUNDARY:
                return self.boundary(False)
            if arg is C.AT_NON_BOUNDARY:
                return self.boundary(True)
        raise NotPortable(f"regex construct {op}")


@functools.lru_cache(maxsize=512)
def portable(pattern: str, fold: bool, flavor: str) -> str:
    """``pattern`` (RE2) for ``flavor``; :class:`NotPortable` if it cannot be said exactly."""
    if "\\p" in pattern or "\\P" in pattern or "[[:" in pattern or "\\C" in pattern or "\\Q" in pattern:
        raise NotPortable("Unicode classes, POSIX classes, \\C and \\Q...\\E")
    try:
        parsed = P.parse(pattern, 0)
    except (re.error, OverflowError) as exc:
        raise NotPortable(f"the pattern uses RE2 syntax this translator does not read ({exc})") from None
    if parsed.state.flags & ~(re.IGNORECASE | re.UNICODE):
        raise NotPortable("regex flags other than i")
    fold = fold or bool(parsed.state.flags & re.IGNORECASE)
    return _Emitter(flavor).emit(parsed, fold)


def translate(dialect: str, subject: exp.Expression, pattern: str, fold: bool) -> exp.Expression:
    from scoredsl.compiler.sql.dialects import SqlError

    flavor = {"postgres": "postgres", "mysql": "mysql", "spark": "spark"}.get(dialect, "spark")
    try:
        text = portable(pattern, fold, flavor)
    except NotPortable as exc:
        raise SqlError(f"the regex /{pattern}/ cannot run the same on {dialect}: {exc}") from None
    if dialect == "postgres":
        return exp.RegexpLike(this=subject, expression=exp.Literal.string(text))
    if dialect == "mysql":   # MariaDB: no REGEXP_LIKE; binary, so its collation does not fold case
        from scoredsl.compiler.sql.dialects import MARIADB_BINARY
        subject = exp.Collate(this=subject, expression=exp.Var(this=MARIADB_BINARY))
        found = exp.Anonymous(this="REGEXP_INSTR", expressions=[subject, exp.Literal.string(text)])
        return exp.Paren(this=exp.GT(this=found, expression=exp.Literal.number(0)))
    if dialect == "snowflake":   # REGEXP_LIKE matches the whole text there
        return exp.RegexpLike(this=subject, expression=exp.Literal.string(f"[\\s\\S]*(?:{text})[\\s\\S]*"))
    return exp.RegexpLike(this=subject, expression=exp.Literal.string(text))
