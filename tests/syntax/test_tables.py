"""The parser's tables kept on disk: what is read back parses exactly as the freshly built
parser does, and a cache that is broken or cannot be written is never more than a slow start."""

from __future__ import annotations

import json

import lark
import pytest

import paths
from scoredsl.syntax import parser, tables

OPTIONS = {"parser": "lalr", "lexer": "contextual", "strict": True, "propagate_positions": True,
           "maybe_placeholders": True}
FILES = sorted(p for folder in ("examples", "tests", "plugins") for p in (paths.ROOT / folder).rglob("*.score"))


def fresh() -> lark.Lark:
    return lark.Lark(parser.grammar_text(), **OPTIONS)


def comments_of(build, text):
    found = []
    instance = build({"COMMENT": found.append})
    try:
        tree = instance.parse(text)
    except lark.exceptions.LarkError as exc:
        tree = type(exc).__name__
    return tree, [(t.line, t.column, str(t)) for t in found]


def test_tables_read_back_parse_every_rule_file_as_the_built_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("SCOREDSL_CACHE_DIR", str(tmp_path))
    tables.build(parser.grammar_text(), OPTIONS, {})           # builds and keeps
    kept = list(tmp_path.glob("parser-*.json"))
    assert len(kept) == 1
    json.loads(kept[0].read_text("utf-8"))                      # data, not a pickle

    def from_cache(callbacks):
        return tables.build(parser.grammar_text(), OPTIONS, callbacks)

    def built(callbacks):
        return lark.Lark(parser.grammar_text(), **OPTIONS, lexer_callbacks=callbacks)

    assert len(FILES) > 20
    for path in FILES:
        text = path.read_text("utf-8")
        assert comments_of(from_cache, text) == comments_of(built, text), path
    # positions are propagated from the cache too (every diagnostic needs them)
    tree = from_cache({}).parse('model m { score s { rule r: a == 1 => +1 } }')
    assert tree.children[0].meta.line == 1 and tree.children[0].meta.column == 1


def test_a_broken_cache_file_is_built_again(tmp_path, monkeypatch):
    monkeypatch.setenv("SCOREDSL_CACHE_DIR", str(tmp_path))
    tables.build(parser.grammar_text(), OPTIONS, {})
    [kept] = tmp_path.glob("parser-*.json")
    kept.write_text('{"data": {"half of it', "utf-8")
    instance = tables.build(parser.grammar_text(), OPTIONS, {})
    assert instance.parse("model m { }") == fresh().parse("model m { }")
    json.loads(kept.read_text("utf-8"))                         # written whole again


@pytest.mark.parametrize("setting", ["file", "empty"])
def test_no_cache_is_only_a_slower_start(tmp_path, monkeypatch, setting):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("SCOREDSL_CACHE_DIR", str(blocker / "cache") if setting == "file" else "")
    instance = tables.build(parser.grammar_text(), OPTIONS, {})
    assert instance.parse("model m { }") == fresh().parse("model m { }")
    assert blocker.read_text() == "x"
