"""Find plugins, collect the sources and sinks they register, and open them from specs.

**Loading.** The plugin manager is created on first use (:func:`get_plugin_manager`;
:func:`reset` forgets it, for tests). It loads every entry point of the ``scoredsl`` group,
the built-in ``files`` plugin included; if scoredsl's own distribution metadata is missing
(running from a bare source tree), the built-ins are registered directly. Each plugin is
loaded and validated on its own: a third-party plugin that fails to import, has a hook with
a wrong signature, implements a hook that does not exist (``check_pending``), or raises while
registering, is reported by name as a :class:`PluginWarning` and skipped; the others still
work. The same failure in a built-in plugin is a bug and raises :class:`PluginError`.

**Specs.** A source or sink is named by a spec ``SCHEME:LOCATION[?OPTION=VALUE&...]``
(:class:`Spec`): ``csv:examples/data``, ``jsonl:-``, ``csv:contacts.csv?events=events.csv``.
The scheme is at least two characters, so ``C:\\data`` is a path, not a scheme. Options are
URL-query encoded (``%26`` for a literal ``&``); everything between the first ``:`` and the
first ``?`` is the location, used verbatim. A spec without a scheme is inferred from its
path: ``*.csv`` -> ``csv``, ``*.jsonl`` -> ``jsonl``, and (sources only) a directory holding
``contacts.csv`` or ``contacts.jsonl`` -> that format. Nothing else is guessed (``-`` alone is
an error that suggests ``csv:-``, ``jsonl:-`` or ``table:-``).
"""

from __future__ import annotations

import importlib
import warnings
from typing import Callable

import pluggy

from scoredsl.data.records import DataSchema
from scoredsl.data.sinks import Sink
from scoredsl.data.sources import Source
from scoredsl.data.specs import Spec, SpecError, parse_spec
from scoredsl.plugins import hookspecs
from scoredsl.plugins.entrypoints import EntryPoint, entry_points
from scoredsl.plugins.registries import (CommandRegistry, Entry, FunctionRegistry, LintRegistry, PluginError,
                                         Registry)

__all__ = ["PluginWarning", "function_registry", "lint_registry", "command_registry", "get_plugin_manager",
           "reset", "register", "source_registry", "sink_registry", "action_registry", "store_registry", "open_store", "broken_plugins", "open_source", "open_sink",
           "outcome_registry", "open_outcomes"]

ENTRY_POINT_GROUP = "scoredsl"
BUILTIN_PLUGINS = {"files": "scoredsl.plugins.builtin.files", "parquet": "scoredsl.plugins.builtin.parquet",
                   "webhook": "scoredsl.plugins.builtin.webhook"}


class PluginWarning(UserWarning):
    """A third-party plugin was skipped because it is broken; the message names it."""


# ------------------------------------------------------------------ the plugin manager

_manager: pluggy.PluginManager | None = None
_registries: dict[str, Registry] = {}
_broken: dict[str, str] = {}
_entry_points: dict[str, EntryPoint] = {}      # the entry point each plugin was loaded from


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager with every plugin loaded (created on the first call)."""
    global _manager
    if _manager is None:
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        first = _entry_points
        first.clear()
        for ep in entry_points(ENTRY_POINT_GROUP):      # the first of each name, as Python finds them
            first.setdefault(ep.name, ep)
        for name in sorted(first):
            _guarded(pm, name, lambda: pm.register(first[name].load(), name))
        for name, module in BUILTIN_PLUGINS.items():
            if not pm.has_plugin(name) and name not in _broken:
                _guarded(pm, name, lambda: pm.register(importlib.import_module(module), name))
        _manager = pm
    return _manager


def reset() -> None:
    """Forget the plugin manager, the registries and the broken plugins (for tests)."""
    global _manager
    _manager = None
    _registries.clear()
    _broken.clear()
    _entry_points.clear()


def register(plugin: object, name: str) -> bool:
    """Register ``plugin`` as ``name`` with the same checks as an entry point; ``False`` if broken."""
    pm = get_plugin_manager()
    _registries.clear()
    return _guarded(pm, name, lambda: pm.register(plugin, name))


def broken_plugins() -> dict[str, str]:
    """Plugin name -> why it was skipped, for ``scoredsl plugins`` and diagnostics."""
    get_plugin_manager()
    return dict(_broken)


def _guarded(pm: pluggy.PluginManager, name: str, load: Callable[[], object]) -> bool:
    try:
        load()
        pm.check_pending()
    except Exception as exc:  # noqa: BLE001 - any failure of a plugin makes it broken
        if pm.has_plugin(name):
            pm.unregister(name=name)
        _report(name, f"cannot be loaded: {_reason(exc)}", exc)
        return False
    return True


def _is_builtin(plugin: object) -> bool:
    return getattr(plugin, "__name__", "").startswith("scoredsl.plugins.builtin.")


def _report(name: str, problem: str, exc: BaseException) -> None:
    if name in BUILTIN_PLUGINS:
        raise PluginError(f"built-in plugin {name!r} {problem}") from exc
    _broken[name] = problem
    warnings.warn(f"scoredsl plugin {name!r} skipped: {problem}", PluginWarning, stacklevel=3)


def _reason(exc: BaseException) -> str:
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_REGISTRY_CLASSES = {"source": lambda: Registry("source"), "sink": lambda: Registry("sink"),
                     "outcome": lambda: Registry("outcome source"),
                     "action": lambda: Registry("action"), "store": lambda: Registry("state store"),
                     "function": FunctionRegistry, "lint": LintRegistry, "command": CommandRegistry}


def _registry(kind: str):
    if kind in _registries:
        return _registries[kind]
    pm = get_plugin_manager()
    registry = _REGISTRY_CLASSES[kind]()
    hook = getattr(pm.hook, f"scoredsl_register_{kind}s")
    impls = [impl for impl in hook.get_hookimpls() if not (impl.wrapper or impl.hookwrapper)]
    impls.sort(key=lambda impl: (not _is_builtin(impl.plugin), impl.plugin_name))
    for impl in impls:
        registry._plugin, registry._pending = impl.plugin_name, []
        try:
            impl.function(registry=registry)
        except Exception as exc:  # noqa: BLE001
            if impl.plugin_name not in BUILTIN_PLUGINS:
                pm.unregister(name=impl.plugin_name)
            _report(impl.plugin_name, f"failed to register {kind}s: {_reason(exc)}", exc)
            continue
        for entry in registry._pending:
            other = registry.entries.get(entry.key)
            if other is None:
                registry.entries[entry.key] = entry
            else:
                what = "scheme" if kind in ("source", "sink", "outcome") else "name"
                warnings.warn(f"scoredsl plugin {entry.plugin!r}: {kind} {what} {entry.key!r} "
                              f"ignored, plugin {other.plugin!r} already provides it",
                              PluginWarning, stacklevel=3)
    _registries[kind] = registry
    return registry


def source_registry() -> Registry:
    """Every registered source scheme."""
    return _registry("source")


def sink_registry() -> Registry:
    """Every registered sink scheme."""
    return _registry("sink")


def outcome_registry() -> Registry:
    """Every registered outcome source scheme."""
    return _registry("outcome")


def open_outcomes(spec: "str | Spec") -> list:
    """Every outcome (:class:`~scoredsl.data.outcomes.Outcome`) of the outcome source named by
    ``spec``; :class:`SpecError` if no plugin provides its scheme."""
    from scoredsl.data.outcomes import Outcome

    parsed = spec if isinstance(spec, Spec) else parse_spec(spec, "outcome source")
    found = list(_lookup(parsed, outcome_registry()).factory(parsed))
    for item in found:
        if not isinstance(item, Outcome):
            raise PluginError(f"{parsed.text}: the {parsed.scheme!r} outcome source gave {item!r}, not an Outcome")
    return found


def store_registry() -> Registry:
    """Every registered state store scheme."""
    return _registry("store")


def open_store(spec: "str | Spec", keep: int | None = None):
    """The state store named by a URL (``postgresql://...``); :class:`SpecError` if no plugin
    provides its scheme."""
    parsed = spec if isinstance(spec, Spec) else parse_spec(spec, "state store")
    return _lookup(parsed, store_registry()).factory(parsed, keep)


def action_registry() -> Registry:
    """Every registered action kind."""
    return _registry("action")


def plugin_versions() -> dict[str, str]:
    """Plugin name -> version of the distribution that provides it ('' when unknown)."""
    pm = get_plugin_manager()
    names = {pm.get_name(plugin): "" for plugin in pm.get_plugins()}
    for name in names:
        if name in _entry_points:
            names[name] = _entry_points[name].version()
    return names


def function_registry() -> FunctionRegistry:
    """Every registered rule function."""
    return _registry("function")


def lint_registry() -> LintRegistry:
    """Every registered lint."""
    return _registry("lint")


def command_registry() -> CommandRegistry:
    """Every command that plugins add to the command line."""
    return _registry("command")


# ------------------------------------------------------------------ specs


def _lookup(spec: Spec, registry: Registry) -> Entry:
    entry = registry.entries.get(spec.scheme)
    if entry is None:
        raise SpecError(f"{spec.text}: unknown {registry.kind} scheme {spec.scheme!r}; "
                        f"known {registry.kind}s:{registry.known() or ' none'}")
    return entry


def open_source(spec: "str | Spec", schema: DataSchema) -> Source:
    """The source named by ``spec`` (text or parsed); :class:`SpecError` if it names none."""
    parsed = spec if isinstance(spec, Spec) else parse_spec(spec, "source")
    source = _lookup(parsed, source_registry()).factory(parsed, schema)
    if not isinstance(source, Source):
        raise PluginError(f"{parsed.text}: the {parsed.scheme!r} factory returned {source!r}, not a Source")
    return source


def open_sink(spec: "str | Spec") -> Sink:
    """The (unopened) sink named by ``spec`` (text or parsed); :class:`SpecError` if it names none."""
    parsed = spec if isinstance(spec, Spec) else parse_spec(spec, "sink")
    sink = _lookup(parsed, sink_registry()).factory(parsed)
    if not isinstance(sink, Sink):
        raise PluginError(f"{parsed.text}: the {parsed.scheme!r} factory returned {sink!r}, not a Sink")
    return sink
