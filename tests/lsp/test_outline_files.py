"""The editor's outline of every rule file in the repository: built without a fault, and each
of its references inside the file it names."""

from __future__ import annotations

import pytest

import paths
from scoredsl.lsp.outline import Outline
from scoredsl.syntax import loader

FILES = sorted(p for folder in ("examples", "tests", "plugins") for p in (paths.ROOT / folder).rglob("*.score"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(paths.ROOT)))
def test_outline_of_every_rule_file(path):
    unit, _diagnostics, sources = loader.load(path)
    if unit is None:
        pytest.skip("does not load (a golden file of syntax or include errors)")
    outline = Outline.of_unit(unit)
    texts = {file: text.split("\n") for file, text in sources.texts().items()}
    for reference in outline.references:
        line = texts[reference.span.file][reference.span.line - 1]
        written = line[reference.span.column - 1:reference.span.end_column - 1]
        # a company property, declared as NAME in the company block, is read as company.NAME
        assert written in (reference.target.name, f"company.{reference.target.name}")
    for symbol in outline.symbols:
        if symbol.kind in ("property", "event", "attribute", "constant", "model", "score", "group", "rule",
                           "tier", "label", "disqualifier"):
            line = texts[symbol.span.file][symbol.span.line - 1]
            assert line[symbol.span.column - 1:symbol.span.end_column - 1] == symbol.name
