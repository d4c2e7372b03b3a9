"""What the editor is told a name means, against the checker's own reading, on random models."""

from __future__ import annotations

import attrs
from hypothesis import HealthCheck, given, settings

import strategies
from scoredsl.check import checker, ir
from scoredsl.lsp.outline import Outline
from scoredsl.syntax import loader, nodes

SETTINGS = settings(max_examples=strategies.examples(60), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def checked_names(program) -> dict[tuple[int, int], tuple[str, str]]:
    """(line, column) -> (kind, name) of every name the checker resolved: properties,
    attributes, constants and scores, from the lowered program."""
    found = {}

    def walk(value):
        if isinstance(value, ir.Prop):
            found[(value.span.line, value.span.column)] = ("property", value.name)
        elif isinstance(value, ir.Attr):
            found[(value.span.line, value.span.column)] = ("attribute", value.name)
        elif isinstance(value, ir.ScoreRef):
            found[(value.span.line, value.span.column)] = ("score", value.name)
        if attrs.has(type(value)):
            for field in attrs.fields(type(value)):
                walk(getattr(value, field.name))
        elif isinstance(value, (tuple, list)):
            for item in value:
                walk(item)

    walk(program.models)
    return found


def names_in(tree: nodes.RuleFile) -> list[tuple[nodes.Name, bool]]:
    """Every name used in an expression (and every attribute ``distinct`` counts), and whether it
    is what previous() or change() reads."""
    found = []

    def walk(value):
        if isinstance(value, nodes.Name):
            found.append((value, False))
        if isinstance(value, nodes.Distinct):       # `distinct ATTR` names an attribute
            found.append((value.attr, False))
        if isinstance(value, nodes.Call) and value.func.name in ("previous", "change"):
            found.append((value.args[0], True))
            for arg in value.args[1:]:
                walk(arg)
            return
        if attrs.has(type(value)):
            for field in attrs.fields(type(value)):
                walk(getattr(value, field.name))
        elif isinstance(value, tuple):
            for item in value:
                walk(item)

    walk(tree)
    return found


@SETTINGS
@given(strategies.rule_files())
def test_every_name_means_what_the_checker_says(source):
    """Each name the checker resolved to a property, an event's attribute or a score, the outline
    resolves to that declaration; every other name to the constant of that name."""
    unit, _diagnostics, _sources = loader.load_text(source, "m.score")
    program, diagnostics = checker.check(unit)
    assert program is not None, diagnostics
    outline = Outline.of_unit(unit)
    resolved = checked_names(program)
    for name, read_of_an_earlier_run in names_in(unit.main):
        symbol = outline.symbol_at("m.score", name.span.line, name.span.column)
        assert symbol is not None, name
        # company.NAME is declared as NAME in the company block
        assert symbol.name == (name.name.split(".", 1)[1] if name.name.startswith("company.") and
                               name.name != "company.id" else name.name)
        if read_of_an_earlier_run:     # previous(x) names a score or a tier of the model
            assert symbol.kind in ("score", "tier")
        else:
            kind = resolved.get((name.span.line, name.span.column), ("constant", name.name))[0]
            assert symbol.kind == kind, (name, symbol)
        # a definition is a declaration of that name
        target = outline.definition("m.score", name.span.line, name.span.column)
        line = source.split("\n")[target.line - 1]
        declared = name.name
        if name.name == "id":                   # the implicit id: its contact block
            declared = "contact"
        elif name.name in ("company.id", "company_id") and line.lstrip().startswith("company {"):
            declared = "company"                # implicit with the company block
        elif name.name.startswith("company."):
            declared = name.name.split(".", 1)[1]
        assert line[target.column - 1:target.column - 1 + len(declared)] == declared
        hover, _span = outline.hover("m.score", name.span.line, name.span.column)
        assert f"`{name.name}`" in hover


@SETTINGS
@given(strategies.rule_files())
def test_document_symbols_hold_every_declaration_once(source):
    unit, _diagnostics, _sources = loader.load_text(source, "m.score")
    outline = Outline.of_unit(unit)

    def flatten(symbols):
        for symbol in symbols:
            yield symbol
            yield from flatten(symbol.children)

    shown = [(s.kind, s.name) for s in flatten(outline.document_symbols("m.score"))]
    expected = [("model", m.name.name) for m in unit.main.models]
    for model in unit.main.models:
        for score in model.scores:
            expected.append(("score", score.name.name))
            for item in score.items:
                if isinstance(item, nodes.Rule):
                    expected.append(("rule", item.name.name))
                elif isinstance(item, nodes.Group):
                    expected.append(("group", item.name.name))
                    expected.extend(("rule", r.name.name) for r in item.rules)
        for tier in model.tiers:
            expected.append(("tier", tier.name.name))
            expected.extend(("label", e.label.name) for e in tier.entries)
    wanted = {"model", "score", "group", "rule", "tier", "label"}
    assert sorted(s for s in shown if s[0] in wanted) == sorted(expected)
    # children lie inside their parents
    for symbol in flatten(outline.document_symbols("m.score")):
        for child in symbol.children:
            assert (symbol.extent.line, symbol.extent.column) <= (child.extent.line, child.extent.column)
            assert (child.extent.end_line, child.extent.end_column) <= (symbol.extent.end_line,
                                                                         symbol.extent.end_column)
