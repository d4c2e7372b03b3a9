"""The public API: everything a plugin (or a script) may import from scoredsl, in one place.

A plugin distribution imports ``scoredsl.api`` and nothing else of scoredsl; a test of this
repository fails when one does. What is here stays stable; what is not here may move. The
hooks themselves are documented in :mod:`scoredsl.plugins.hookspecs`.

* Hooks: :data:`hookimpl`, and the registries the registration hooks receive;
  :func:`register_plugin` and :func:`reset_plugins` for a plugin's own tests.
* Specs and configuration: :class:`Spec`, :class:`SpecError`, :func:`parse_spec`,
  :func:`load_config`, :func:`find_config`, :class:`ConfigError`; :func:`remember_secrets` for a
  secret a plugin reads from elsewhere (an environment variable), so that no message shows it,
  and :func:`mask_secrets` to mask every secret known in a message.
* Data: the schema and record types, :class:`DataError`, the cell readers and writers.
* Sources and sinks: the :class:`Source` and :class:`Sink` interfaces and their helpers;
  :func:`open_source` and :func:`open_sink` by spec.
* Outcomes for backtests: :class:`Outcome`, :func:`outcome` (one from a row's values, checked),
  :func:`open_outcomes` by spec.
* SQL sources that run models inside their database (``--engine pushdown``): the canonical
  relation layout (:mod:`scoredsl.data.canonical`) and :class:`EngineError`.
* Lints and commands: :mod:`ir` (the checked model), :class:`Diagnostic` and its helpers,
  :func:`compile_file`.
* Running models: :func:`engine_named`, :func:`run`, :class:`RunOptions`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the same names, for type checkers and editors (a test holds the two lists equal)
    from scoredsl.check import ir
    from scoredsl.compiler.model import CompiledModel, Program
    from scoredsl.compiler.pipeline import compile_file, compile_text
    from scoredsl.data.actions import ActionError
    from scoredsl.data.canonical import (CONTACTS, LIST_ESC, LIST_SEP, WHITESPACE, contacts_columns, event_columns,
                                         event_table)
    from scoredsl.data.config import ConfigError, find as find_config, load as load_config
    from scoredsl.data.outcomes import Outcome, outcome
    from scoredsl.data.records import (COMPANY_ID, DataError, DataSchema, Event, ResultRow, STATUSES, TypeSpec,
                                       epoch_micros, from_epoch_micros)
    from scoredsl.data.sinks import AtomicFile, ModelInfo, RunInfo, Sink, SinkError, columns, record
    from scoredsl.data.sources import OnError, OrderError, PackedEvent, Source, SourceError, fail, order_error
    from scoredsl.data.specs import (Spec, SpecError, column_mapping, mask_known as mask_secrets, parse_spec,
                                     remember as remember_secrets)
    from scoredsl.data.state import INDEXES as STATE_INDEXES, SqlState, StateError, TABLES as STATE_TABLES
    from scoredsl.data.values import (csv_converter, format_datetime, json_converter, parse_csv_value,
                                      parse_datetime, parse_json_value)
    from scoredsl.diagnostics import CompileError, Diagnostic, Span, error, render_json, render_text, sort, warning
    from scoredsl.engines.base import EngineError, RunOptions
    from scoredsl.engines.frame import RunSummary, run
    from scoredsl.engines.registry import engine_named
    from scoredsl.plugins.hookspecs import hookimpl
    from scoredsl.plugins.manager import (open_outcomes, open_sink, open_source, register as register_plugin,
                                          reset as reset_plugins)
    from scoredsl.plugins.registries import CommandRegistry, FunctionRegistry, LintRegistry, Registry

# Each name is imported when it is first used, so that a plugin's ``from scoredsl.api import
# hookimpl`` (which every command that loads plugins, ``check`` among them, runs) does not import
# the engines, the sources and the state stores.
_WHERE: dict[str, tuple[str, str]] = {
    "ir": ("scoredsl.check.ir", ""),
    "CompiledModel": ("scoredsl.compiler.model", "CompiledModel"),
    "Program": ("scoredsl.compiler.model", "Program"),
    "compile_file": ("scoredsl.compiler.pipeline", "compile_file"),
    "compile_text": ("scoredsl.compiler.pipeline", "compile_text"),
    "ActionError": ("scoredsl.data.actions", "ActionError"),
    "CONTACTS": ("scoredsl.data.canonical", "CONTACTS"),
    "LIST_ESC": ("scoredsl.data.canonical", "LIST_ESC"),
    "LIST_SEP": ("scoredsl.data.canonical", "LIST_SEP"),
    "WHITESPACE": ("scoredsl.data.canonical", "WHITESPACE"),
    "contacts_columns": ("scoredsl.data.canonical", "contacts_columns"),
    "event_columns": ("scoredsl.data.canonical", "event_columns"),
    "event_table": ("scoredsl.data.canonical", "event_table"),
    "ConfigError": ("scoredsl.data.config", "ConfigError"),
    "find_config": ("scoredsl.data.config", "find"),
    "load_config": ("scoredsl.data.config", "load"),
    "Outcome": ("scoredsl.data.outcomes", "Outcome"),
    "outcome": ("scoredsl.data.outcomes", "outcome"),
    "COMPANY_ID": ("scoredsl.data.records", "COMPANY_ID"),
    "STATUSES": ("scoredsl.data.records", "STATUSES"),
    "DataError": ("scoredsl.data.records", "DataError"),
    "DataSchema": ("scoredsl.data.records", "DataSchema"),
    "Event": ("scoredsl.data.records", "Event"),
    "ResultRow": ("scoredsl.data.records", "ResultRow"),
    "TypeSpec": ("scoredsl.data.records", "TypeSpec"),
    "epoch_micros": ("scoredsl.data.records", "epoch_micros"),
    "from_epoch_micros": ("scoredsl.data.records", "from_epoch_micros"),
    "AtomicFile": ("scoredsl.data.sinks", "AtomicFile"),
    "ModelInfo": ("scoredsl.data.sinks", "ModelInfo"),
    "RunInfo": ("scoredsl.data.sinks", "RunInfo"),
    "Sink": ("scoredsl.data.sinks", "Sink"),
    "SinkError": ("scoredsl.data.sinks", "SinkError"),
    "columns": ("scoredsl.data.sinks", "columns"),
    "record": ("scoredsl.data.sinks", "record"),
    "OnError": ("scoredsl.data.sources", "OnError"),
    "OrderError": ("scoredsl.data.sources", "OrderError"),
    "PackedEvent": ("scoredsl.data.sources", "PackedEvent"),
    "Source": ("scoredsl.data.sources", "Source"),
    "SourceError": ("scoredsl.data.sources", "SourceError"),
    "fail": ("scoredsl.data.sources", "fail"),
    "order_error": ("scoredsl.data.sources", "order_error"),
    "Spec": ("scoredsl.data.specs", "Spec"),
    "SpecError": ("scoredsl.data.specs", "SpecError"),
    "column_mapping": ("scoredsl.data.specs", "column_mapping"),
    "mask_secrets": ("scoredsl.data.specs", "mask_known"),
    "parse_spec": ("scoredsl.data.specs", "parse_spec"),
    "remember_secrets": ("scoredsl.data.specs", "remember"),
    "STATE_INDEXES": ("scoredsl.data.state", "INDEXES"),
    "STATE_TABLES": ("scoredsl.data.state", "TABLES"),
    "SqlState": ("scoredsl.data.state", "SqlState"),
    "StateError": ("scoredsl.data.state", "StateError"),
    "csv_converter": ("scoredsl.data.values", "csv_converter"),
    "format_datetime": ("scoredsl.data.values", "format_datetime"),
    "json_converter": ("scoredsl.data.values", "json_converter"),
    "parse_csv_value": ("scoredsl.data.values", "parse_csv_value"),
    "parse_datetime": ("scoredsl.data.values", "parse_datetime"),
    "parse_json_value": ("scoredsl.data.values", "parse_json_value"),
    "CompileError": ("scoredsl.diagnostics", "CompileError"),
    "Diagnostic": ("scoredsl.diagnostics", "Diagnostic"),
    "Span": ("scoredsl.diagnostics", "Span"),
    "error": ("scoredsl.diagnostics", "error"),
    "render_json": ("scoredsl.diagnostics", "render_json"),
    "render_text": ("scoredsl.diagnostics", "render_text"),
    "sort": ("scoredsl.diagnostics", "sort"),
    "warning": ("scoredsl.diagnostics", "warning"),
    "EngineError": ("scoredsl.engines.base", "EngineError"),
    "RunOptions": ("scoredsl.engines.base", "RunOptions"),
    "RunSummary": ("scoredsl.engines.frame", "RunSummary"),
    "run": ("scoredsl.engines.frame", "run"),
    "engine_named": ("scoredsl.engines.registry", "engine_named"),
    "hookimpl": ("scoredsl.plugins.hookspecs", "hookimpl"),
    "open_outcomes": ("scoredsl.plugins.manager", "open_outcomes"),
    "open_sink": ("scoredsl.plugins.manager", "open_sink"),
    "open_source": ("scoredsl.plugins.manager", "open_source"),
    "register_plugin": ("scoredsl.plugins.manager", "register"),
    "reset_plugins": ("scoredsl.plugins.manager", "reset"),
    "CommandRegistry": ("scoredsl.plugins.registries", "CommandRegistry"),
    "FunctionRegistry": ("scoredsl.plugins.registries", "FunctionRegistry"),
    "LintRegistry": ("scoredsl.plugins.registries", "LintRegistry"),
    "Registry": ("scoredsl.plugins.registries", "Registry"),
}


def __getattr__(name: str):
    try:
        module, attribute = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'scoredsl.api' has no attribute {name!r}") from None
    value = importlib.import_module(module)
    if attribute:
        value = getattr(value, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    # hooks
    "hookimpl", "Registry", "FunctionRegistry", "LintRegistry", "CommandRegistry", "register_plugin", "reset_plugins",
    # specs and configuration
    "Spec", "SpecError", "parse_spec", "column_mapping", "load_config", "find_config", "ConfigError", "mask_secrets",
    "remember_secrets",
    # data
    "DataSchema", "TypeSpec", "Event", "ResultRow", "STATUSES", "COMPANY_ID", "DataError", "epoch_micros",
    "from_epoch_micros",
    "parse_csv_value", "parse_json_value", "parse_datetime", "format_datetime", "csv_converter", "json_converter",
    # sources and sinks
    "Source", "SourceError", "OnError", "fail", "OrderError", "order_error", "PackedEvent",
    "Sink", "SinkError", "RunInfo", "ModelInfo", "columns", "record", "AtomicFile", "open_source", "open_sink",
    # outcomes (scoredsl backtest)
    "Outcome", "outcome", "open_outcomes",
    # actions on transitions, state stores
    "ActionError", "SqlState", "StateError", "STATE_TABLES", "STATE_INDEXES",
    # pushdown
    "EngineError", "CONTACTS", "LIST_SEP", "LIST_ESC", "WHITESPACE", "contacts_columns", "event_columns",
    "event_table",
    # lints and commands
    "ir", "Diagnostic", "Span", "error", "warning", "sort", "render_text", "render_json", "CompileError",
    "compile_file", "compile_text", "Program", "CompiledModel",
    # running models
    "engine_named", "run", "RunOptions", "RunSummary",
]
