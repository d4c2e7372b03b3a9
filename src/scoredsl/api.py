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

from scoredsl.check import ir
from scoredsl.compiler.model import CompiledModel, Program
from scoredsl.compiler.pipeline import compile_file, compile_text
from scoredsl.data.actions import ActionError
from scoredsl.data.canonical import (CONTACTS, LIST_ESC, LIST_SEP, WHITESPACE, contacts_columns, event_columns,
                                     event_table)
from scoredsl.data.config import ConfigError, find as find_config, load as load_config
from scoredsl.data.outcomes import Outcome, outcome
from scoredsl.data.records import (COMPANY_ID, STATUSES, DataError, DataSchema, Event, ResultRow, TypeSpec,
                                   epoch_micros, from_epoch_micros)
from scoredsl.data.sinks import AtomicFile, ModelInfo, RunInfo, Sink, SinkError, columns, record
from scoredsl.data.sources import OnError, OrderError, PackedEvent, Source, SourceError, fail, order_error
from scoredsl.data.specs import (Spec, SpecError, column_mapping, mask_known as mask_secrets, parse_spec,
                                 remember as remember_secrets)
from scoredsl.data.state import INDEXES as STATE_INDEXES, TABLES as STATE_TABLES, SqlState, StateError
from scoredsl.data.values import (csv_converter, format_datetime, json_converter, parse_csv_value, parse_datetime,
                                  parse_json_value)
from scoredsl.diagnostics import CompileError, Diagnostic, Span, error, render_json, render_text, sort, warning
from scoredsl.engines.base import EngineError, RunOptions
from scoredsl.engines.frame import RunSummary, run
from scoredsl.engines.registry import engine_named
from scoredsl.plugins.hookspecs import hookimpl
from scoredsl.plugins.manager import (open_outcomes, open_sink, open_source, register as register_plugin,
                                      reset as reset_plugins)
from scoredsl.plugins.registries import CommandRegistry, FunctionRegistry, LintRegistry, Registry

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
