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
_WHERE: dict[str, tuple[str, str]] = {      # name: (module, name there; "" for the module)
    # hooks
    "hookimpl": ("scoredsl.plugins.hookspecs", "hookimpl"),
    "Registry": ("scoredsl.plugins.registries", "Registry"),
    "FunctionRegistry": ("scoredsl.plugins.registries", "FunctionRegistry"),
    "LintRegistry": ("scoredsl.plugins.registries", "LintRegistry"),
    "CommandRegistry": ("scoredsl.plugins.registries", "CommandRegistry"),
    "register_plugin": ("scoredsl.plugins.manager", "register"),
    "reset_plugins": ("scoredsl.plugins.manager", "reset"),
    # specs and configuration
    "Spec": ("scoredsl.data.specs", "Spec"),
    "SpecError": ("scoredsl.data.specs", "SpecError"),
    "parse_spec": ("scoredsl.data.specs", "parse_spec"),
    "column_mapping": ("scoredsl.data.specs", "column_mapping"),
    "load_config": ("scoredsl.data.config", "load"),
    "find_config": ("scoredsl.data.config", "find"),
    "ConfigError": ("scoredsl.data.config", "ConfigError"),
    "mask_secrets": ("scoredsl.data.specs", "mask_known"),
    "remember_secrets": ("scoredsl.data.specs", "remember"),
    # data
    "DataSchema": ("scoredsl.data.records", "DataSchema"),
    "TypeSpec": ("scoredsl.data.records", "TypeSpec"),
    "Event": ("scoredsl.data.records", "Event"),
    "ResultRow": ("scoredsl.data.records", "ResultRow"),
    "STATUSES": ("scoredsl.data.records", "STATUSES"),
    "COMPANY_ID": ("scoredsl.data.records", "COMPANY_ID"),
    "DataError": ("scoredsl.data.records", "DataError"),
    "epoch_micros": ("scoredsl.data.records", "epoch_micros"),
    "from_epoch_micros": ("scoredsl.data.records", "from_epoch_micros"),
    "parse_csv_value": ("scoredsl.data.values", "parse_csv_value"),
    "parse_json_value": ("scoredsl.data.values", "parse_json_value"),
    "parse_datetime": ("scoredsl.data.values", "parse_datetime"),
    "format_datetime": ("scoredsl.data.values", "format_datetime"),
    "csv_converter": ("scoredsl.data.values", "csv_converter"),
    "json_converter": ("scoredsl.data.values", "json_converter"),
    # sources and sinks
    "Source": ("scoredsl.data.sources", "Source"),
    "SourceError": ("scoredsl.data.sources", "SourceError"),
    "OnError": ("scoredsl.data.sources", "OnError"),
    "fail": ("scoredsl.data.sources", "fail"),
    "OrderError": ("scoredsl.data.sources", "OrderError"),
    "order_error": ("scoredsl.data.sources", "order_error"),
    "PackedEvent": ("scoredsl.data.sources", "PackedEvent"),
    "Sink": ("scoredsl.data.sinks", "Sink"),
    "SinkError": ("scoredsl.data.sinks", "SinkError"),
    "RunInfo": ("scoredsl.data.sinks", "RunInfo"),
    "ModelInfo": ("scoredsl.data.sinks", "ModelInfo"),
    "columns": ("scoredsl.data.sinks", "columns"),
    "record": ("scoredsl.data.sinks", "record"),
    "AtomicFile": ("scoredsl.data.sinks", "AtomicFile"),
    "open_source": ("scoredsl.plugins.manager", "open_source"),
    "open_sink": ("scoredsl.plugins.manager", "open_sink"),
    # outcomes (scoredsl backtest)
    "Outcome": ("scoredsl.data.outcomes", "Outcome"),
    "outcome": ("scoredsl.data.outcomes", "outcome"),
    "open_outcomes": ("scoredsl.plugins.manager", "open_outcomes"),
    # actions on transitions, state stores
    "ActionError": ("scoredsl.data.actions", "ActionError"),
    "SqlState": ("scoredsl.data.state", "SqlState"),
    "StateError": ("scoredsl.data.state", "StateError"),
    "STATE_TABLES": ("scoredsl.data.state", "TABLES"),
    "STATE_INDEXES": ("scoredsl.data.state", "INDEXES"),
    # pushdown
    "EngineError": ("scoredsl.engines.base", "EngineError"),
    "CONTACTS": ("scoredsl.data.canonical", "CONTACTS"),
    "LIST_SEP": ("scoredsl.data.canonical", "LIST_SEP"),
    "LIST_ESC": ("scoredsl.data.canonical", "LIST_ESC"),
    "WHITESPACE": ("scoredsl.data.canonical", "WHITESPACE"),
    "contacts_columns": ("scoredsl.data.canonical", "contacts_columns"),
    "event_columns": ("scoredsl.data.canonical", "event_columns"),
    "event_table": ("scoredsl.data.canonical", "event_table"),
    # lints and commands
    "ir": ("scoredsl.check.ir", ""),
    "Diagnostic": ("scoredsl.diagnostics", "Diagnostic"),
    "Span": ("scoredsl.diagnostics", "Span"),
    "error": ("scoredsl.diagnostics", "error"),
    "warning": ("scoredsl.diagnostics", "warning"),
    "sort": ("scoredsl.diagnostics", "sort"),
    "render_text": ("scoredsl.diagnostics", "render_text"),
    "render_json": ("scoredsl.diagnostics", "render_json"),
    "CompileError": ("scoredsl.diagnostics", "CompileError"),
    "compile_file": ("scoredsl.compiler.pipeline", "compile_file"),
    "compile_text": ("scoredsl.compiler.pipeline", "compile_text"),
    "Program": ("scoredsl.compiler.model", "Program"),
    "CompiledModel": ("scoredsl.compiler.model", "CompiledModel"),
    # running models
    "engine_named": ("scoredsl.engines.registry", "engine_named"),
    "run": ("scoredsl.engines.frame", "run"),
    "RunOptions": ("scoredsl.engines.base", "RunOptions"),
    "RunSummary": ("scoredsl.engines.frame", "RunSummary"),
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


__all__ = list(_WHERE)
