"""Compile rule files to evaluators, and evaluate contacts.

The pipeline is a chain of functions, each on the previous one's output::

    loader.load -> checker.check -> pycodegen (per model) -> compile() -> CompiledModel

``compile_file``/``compile_text`` raise :class:`CompileError` with every diagnostic when the
unit has an error; warnings are kept on the :class:`Program`.
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import math
import traceback
from typing import Iterable, Mapping

import attrs

from . import checker, ir, loader
from .data import DataSchema, Event, ResultRow, epoch_micros, from_epoch_micros
from .diagnostics import CompileError, Diagnostic, SourceMap, Span, warning
from .emitter import Emitter, Minter
from .pycodegen import ModelCompiler
from .typesys import Type, fold_case

GENERATED_FILE = "<scoredsl-generated>"


class EvaluationError(Exception):
    """Generated code failed for one contact; points at the rule file line responsible."""

    def __init__(self, message: str, span: Span | None, contact_id: str | None):
        self.span = span
        self.contact_id = contact_id
        where = f"{span}: " if span else ""
        who = f" (contact {contact_id})" if contact_id is not None else ""
        super().__init__(f"{where}{message}{who}")


def to_micros(as_of: dt.datetime | dt.date | int) -> int:
    return as_of if isinstance(as_of, int) else epoch_micros(as_of)


class CompiledModel:
    def __init__(self, model: ir.Model, program: "Program", fast, explain, emitter: Emitter,
                 plugin_versions: Mapping[str, str] | None = None):
        self.ir = model
        self.name = model.name
        self.score_names = tuple(s.name for s in model.scores)
        self.tier_names = tuple(t.name for t in model.tiers)
        # the compiled model's meaning, and the versions of the plugins whose functions it calls
        used = sorted({e.plugin for e in model_exprs(model) if isinstance(e, ir.Call)})
        stamp = repr(model) + "".join(f"\n{p}=={(plugin_versions or {}).get(p, '')}" for p in used)
        self.version = hashlib.sha256(stamp.encode("utf-8")).hexdigest()[:12]
        self.program = program
        self._fast = fast
        self._explain = explain
        self._emitter = emitter

    # ---------------------------------------------------------------- hot path
    def evaluate_packed(self, contact: Mapping, events: Mapping[str, list], as_of: int):
        """``(status, reason, scores, tiers)`` for already packed events (see :func:`pack_events`)."""
        try:
            return self._fast(contact, events, as_of)
        except Exception as exc:  # report at the rule that failed, never as a bare traceback
            raise self._evaluation_error(exc, contact) from exc

    def row(self, contact: Mapping, result) -> ResultRow:
        status, reason, scores, tiers = result[:4]
        if scores is None:
            return ResultRow(contact_id=contact["id"], model=self.name, status=status, reason=reason,
                             scores=dict.fromkeys(self.score_names), tiers=dict.fromkeys(self.tier_names))
        return ResultRow(contact_id=contact["id"], model=self.name, status=status, reason=reason,
                         scores=dict(zip(self.score_names, scores)), tiers=dict(zip(self.tier_names, tiers)))

    # ---------------------------------------------------------------- convenience
    def evaluate(self, contact: Mapping, events: Iterable[Event], as_of) -> ResultRow:
        packed = pack_events(events, self.program.schema)
        return self.row(contact, self.evaluate_packed(contact, packed, to_micros(as_of)))

    def trace(self, contact: Mapping, events: Iterable[Event], as_of):
        """Everything the model computed for one contact (see :mod:`scoredsl.explain`)."""
        packed = pack_events(events, self.program.schema)
        try:
            return self._explain(contact, packed, to_micros(as_of))
        except Exception as exc:
            raise self._evaluation_error(exc, contact) from exc

    def _evaluation_error(self, exc: Exception, contact: Mapping) -> EvaluationError:
        span = None
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            if frame.f_code.co_filename == GENERATED_FILE:
                span = self._emitter.span_at(lineno)
        return EvaluationError(f"error evaluating model '{self.name}': {type(exc).__name__}: {exc}", span,
                               contact.get("id"))


@attrs.define
class Program:
    """A compiled unit: its models in file order, its schema, and the generated source."""
    schema: DataSchema
    models: dict[str, CompiledModel]
    python_source: str
    warnings: list[Diagnostic]
    sources: SourceMap
    ir: ir.Program

    def model(self, name: str | None = None) -> CompiledModel:
        if name is None:
            if len(self.models) != 1:
                raise KeyError(f"choose a model: {', '.join(self.models)}")
            return next(iter(self.models.values()))
        return self.models[name]


def compile_file(path, *, root=None, use_plugins: bool = True) -> Program:
    unit, diagnostics, sources = loader.load(path, root=root)
    return _compile(unit, diagnostics, sources, use_plugins)


def compile_text(text: str, file: str = "<input>", *, root=None, use_plugins: bool = True) -> Program:
    unit, diagnostics, sources = loader.load_text(text, file, root=root)
    return _compile(unit, diagnostics, sources, use_plugins)


def check_file(path, *, root=None, use_plugins: bool = True) -> tuple[list[Diagnostic], SourceMap]:
    """Every diagnostic for a rule file (plugin lints included), without generating code."""
    unit, diagnostics, sources = loader.load(path, root=root)
    if unit is not None:
        functions, lints = _plugin_extensions(use_plugins)
        program, found = checker.check(unit, functions)
        diagnostics = diagnostics + found
        if program is not None and not any(d.is_error for d in diagnostics):
            diagnostics = diagnostics + run_lints(lints, unit, program)
    return diagnostics, sources


def _plugin_extensions(use_plugins: bool):
    if not use_plugins:
        return {}, {}
    from . import plugins

    return plugins.function_registry().entries, plugins.lint_registry().entries


def run_lints(lints, unit, program) -> list[Diagnostic]:
    """Plugin lints' diagnostics; a lint that fails, or misuses a code, becomes a warning."""
    found: list[Diagnostic] = []
    for lint in lints.values():
        try:
            results = list(lint.check(unit, program))
        except Exception as exc:  # a broken lint never stops check
            found.append(warning("SD230", f"lint '{lint.name}' of plugin '{lint.plugin}' failed: "
                                          f"{type(exc).__name__}: {exc}"))
            continue
        for d in results:
            if not isinstance(d, Diagnostic) or d.code.startswith("SD") or not d.code[:1].isalpha():
                found.append(warning("SD230", f"lint '{lint.name}' of plugin '{lint.plugin}' returned "
                                              f"{d!r}, not a Diagnostic with a code of its own"))
            else:
                found.append(d)
    return found


def _compile(unit, diagnostics, sources, use_plugins: bool = True) -> Program:
    if unit is None:
        raise CompileError(diagnostics, sources)
    functions, _lints = _plugin_extensions(use_plugins)
    program, found = checker.check(unit, functions)
    diagnostics = diagnostics + found
    if program is None or any(d.is_error for d in diagnostics):
        raise CompileError(diagnostics, sources)
    source, functions_ns, emitter = generate(program, {n: wrap_function(f) for n, f in functions.items()})
    namespace = dict(functions_ns)
    code = compile(source, GENERATED_FILE, "exec")
    exec(code, namespace)  # the source is ours: names minted, literals repr()'d, no rule text
    compiled = Program(schema=program.schema, models={}, python_source=source,
                       warnings=[d for d in diagnostics if not d.is_error], sources=sources, ir=program)
    versions = {}
    if use_plugins and any(isinstance(e, ir.Call) for m in program.models for e in model_exprs(m)):
        from . import plugins

        versions = plugins.plugin_versions()
    for i, model in enumerate(program.models):
        compiled.models[model.name] = CompiledModel(model, compiled, namespace[f"score_{i}"],
                                                    namespace[f"explain_{i}"], emitter, versions)
    return compiled


def model_exprs(model: ir.Model):
    """Every expression of a model, sub-expressions included."""
    roots = [model.scope] if model.scope is not None else []
    roots += [d.condition for d in model.disqualifiers]
    for score in model.scores:
        for rule in score.rules():
            roots.append(getattr(rule, "condition", None) or getattr(rule, "subject", None)
                         or getattr(rule, "filter", None))
    roots += [e.condition for t in model.tiers for e in t.entries]
    for root in roots:
        if root is not None:
            yield from ir.walk(root)


def generate(program: ir.Program, functions: dict | None = None) -> tuple[str, dict, Emitter]:
    """The Python source of every model's evaluators, the namespace it needs, and its line map.

    ``functions`` maps plugin function names to callables taking and returning the generated
    code's representation of values (see :func:`wrap_function`)."""
    out = Emitter()
    mint = Minter()
    namespace: dict = {"_floor": math.floor, "_micros": epoch_micros, "_points": _points, "_fold": fold_case,
                       "__builtins__": _BUILTINS}
    out.line("# Generated by scoredsl. Each function evaluates one model for one contact.")
    for i, model in enumerate(program.models):
        for trace, prefix in ((False, "score"), (True, "explain")):
            out.line()
            out.line(f"# model {model.name} ({'explain' if trace else 'fast path'})")
            ModelCompiler(model, program, out, mint, namespace, trace=trace,
                          functions=functions).compile(f"{prefix}_{i}")
    return out.source(), namespace, out


_RESULT_CHECKS = {
    Type.TEXT: lambda v: isinstance(v, str), Type.BOOL: lambda v: isinstance(v, bool),
    Type.INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
    Type.NUMBER: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
    Type.DATE: lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    Type.DATETIME: lambda v: isinstance(v, dt.datetime),
}


def wrap_function(function):
    """Adapt a plugin function to generated code: instants arrive as datetime objects and
    leave as microseconds; a result of the wrong type is an error naming the function."""
    impl, name, returns = function.implementation, function.name, function.returns
    converters = [(lambda v: from_epoch_micros(v).date()) if p == Type.DATE else
                  from_epoch_micros if p == Type.DATETIME else None for p in function.params]
    check = _RESULT_CHECKS[returns]

    def call(*args):
        if any(converters):
            args = tuple(c(a) if c else a for c, a in zip(converters, args))
        result = impl(*args)
        if result is None:
            return None
        if not check(result):
            raise TypeError(f"function {name}() of plugin '{function.plugin}' returned "
                            f"{type(result).__name__} {result!r}, but declares {returns}")
        if returns == Type.TEXT:
            return result if result.strip() else None
        if returns == Type.NUMBER:
            return float(result)
        if returns in (Type.DATE, Type.DATETIME):
            return epoch_micros(result)
        return result

    call.__name__ = f"plugin_function_{name}"
    return call


# Generated code needs only these builtins; nothing else (no __import__, open, eval) is reachable.
_BUILTINS = {name: getattr(builtins, name) for name in ("min", "max", "sum", "tuple", "bool")}


def _points(value: int, scale: int) -> int | float:
    """A value counted in 1/scale points, in points (an int when whole), for traces."""
    whole, part = divmod(value, scale)
    return whole if not part else value / scale


def pack_events(events: Iterable[Event], schema: DataSchema) -> dict[str, list[tuple]]:
    """Group one contact's events by type as timestamp-sorted tuples (see :mod:`pycodegen`)."""
    packed: dict[str, list[tuple]] = {}
    layouts = event_layouts(schema)
    for event in events:
        layout = layouts.get(event.type)
        if layout is None:
            continue
        packed.setdefault(event.type, []).append(pack_event(event.timestamp, event.attrs, layout))
    for items in packed.values():
        items.sort(key=_timestamp)
    return packed


def _timestamp(item: tuple) -> int:
    return item[0]


def event_layouts(schema: DataSchema) -> dict[str, tuple[tuple[str, str], ...]]:
    return {name: tuple((attr, spec.base) for attr, spec in attributes.items())
            for name, attributes in schema.events.items()}


def pack_event(timestamp, values: Mapping, layout) -> tuple:
    row = [timestamp if isinstance(timestamp, int) else epoch_micros(timestamp)]
    for attr, base in layout:
        value = values.get(attr)
        if value is not None:
            if base == "text" and isinstance(value, str) and (not value or value.isspace()):
                value = None
            elif base in ("date", "datetime"):
                value = epoch_micros(value)
        row.append(value)
    return tuple(row)


__all__ = ["compile_file", "compile_text", "check_file", "Program", "CompiledModel", "EvaluationError",
           "pack_events", "CompileError"]
