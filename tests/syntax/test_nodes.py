"""The nodes of the syntax tree and of the intermediate form show themselves, compare and hash
as attrs' own methods would (``compile --emit ir`` prints them; the checker and the compilers
compare them and keep them in sets), though their repr, == and hash are shared functions
(scoredsl.syntax.nodes.node), not ones attrs compiles for each class."""

from __future__ import annotations

import functools

import attrs
from hypothesis import HealthCheck, given, settings

import strategies
from scoredsl.check import ir
from scoredsl.compiler.pipeline import compile_text
from scoredsl.syntax import nodes
from scoredsl.syntax.loader import load_text


@functools.cache
def _as_attrs_shows_it(cls: type) -> type:
    """A twin of ``cls`` with attrs' own repr, == and hash."""
    return attrs.make_class(cls.__name__, {f.name: attrs.field(repr=f.repr, eq=f.eq) for f in attrs.fields(cls)},
                            frozen=True, slots=True)


def _twin(value):
    return _as_attrs_shows_it(type(value))(**{f.name: getattr(value, f.name) for f in attrs.fields(type(value))})


def _every_node(value):
    if attrs.has(type(value)):
        yield value
        for field in attrs.fields(type(value)):
            yield from _every_node(getattr(value, field.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _every_node(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _every_node(item)


def _check(tree) -> int:
    seen = 0
    last = {}           # the last node of each class: pairs to compare
    for value in _every_node(tree):
        if type(value).__module__ in (nodes.__name__, ir.__name__):
            twin = _twin(value)
            assert repr(value) == repr(twin)
            other = last.setdefault(type(value), value)
            assert (value == other) is (twin == _twin(other)) and (value != other) is (twin != _twin(other))
            assert value == value and not value != value and hash(value) == hash(value)
            if "span" in attrs.fields_dict(type(value)):      # not compared: where the node is
                elsewhere = attrs.evolve(value, span=nodes.Span.point("elsewhere.score", 9, 9))
                assert elsewhere == value and hash(elsewhere) == hash(value)
            assert value != twin and value.__eq__(42) is NotImplemented
            last[type(value)] = value
            seen += 1
    return seen


def test_every_node_class_is_made_by_node():
    for module in (nodes, ir):
        made = [c for c in vars(module).values()
                if isinstance(c, type) and attrs.has(c) and c.__module__ == module.__name__]
        shared = (nodes._repr, nodes._eq, nodes._hash)
        assert made and all((c.__repr__, c.__eq__, c.__hash__) == shared for c in made), module.__name__


@settings(max_examples=strategies.examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=strategies.rule_files())
def test_nodes_show_themselves_as_attrs_shows_them(source):
    program = compile_text(source, "random.score")
    unit = load_text(source, "random.score")
    assert _check(program.ir) > 0 and _check(unit) > 0
