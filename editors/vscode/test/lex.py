"""The tokens scoredsl's own lexer finds in rule files, for the grammar tests (test/grammar.test.js).

    python lex.py FILE...   ->   {"FILE": [[line, start, end, category, text], ...], ...}
    python lex.py --reserved ->  ["activity", "and", ...]: the language's reserved words

Lines count from 0 and offsets in UTF-16 code units, as TextMate grammars count them. A file
the lexer cannot read (a golden file of syntax errors) maps to null.
"""

import json
import sys

import lark

from scoredsl.syntax.parser import _RESERVED, grammar_text

CATEGORIES = {"COMMENT": "comment", "STRING": "string", "REGEX": "regex", "DATE": "date", "DATETIME": "date",
              "DURATION": "duration", "NUMBER": "number", "NAME": "name", "COMPARE_OP": "operator",
              "SIGN": "operator", "STAR": "operator", "PERCENT": "operator"}
OPERATORS = {"=>", "..", "..<", "="}
# Words the grammar reads as a keyword only where they open a block (``company { ... }`` in the
# schema), and as names everywhere else (``company.industry``, a property named ``company``).
CONTEXTUAL = {"company": "{"}


def category(token) -> str:
    if token.type in CATEGORIES and not (token.type == "NAME" and token.value in _RESERVED):
        return CATEGORIES[token.type]
    if token.value in _RESERVED:
        return "keyword"
    if token.value in OPERATORS:
        return "operator"
    return "punctuation"


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def tokens(text: str) -> list:
    lexer = lark.Lark(grammar_text(), parser="lalr", lexer="contextual")
    lines = text.split("\n")
    found = []
    for token in lexer.lex(text, dont_ignore=True):
        if token.type == "WS":
            continue
        line = lines[token.line - 1]
        start = utf16(line[: token.column - 1])
        found.append([token.line - 1, start, start + utf16(token.value), category(token), token.value])
    # a word that is a keyword in one place only (the block it opens) and a name elsewhere
    for i, item in enumerate(found):
        if item[4] in CONTEXTUAL:
            following = next((t[4] for t in found[i + 1:] if t[3] != "comment"), None)
            item[3] = "keyword" if following == CONTEXTUAL[item[4]] else "name"
    return found


def main(paths) -> None:
    out = {}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        try:
            out[path] = tokens(text)
        except lark.exceptions.LexError:
            out[path] = None
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1:] == ["--reserved"]:
        json.dump(sorted(_RESERVED), sys.stdout)
    else:
        main(sys.argv[1:])
