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
import importlib.metadata
import os
import re
import warnings
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl

import attrs
import pluggy

from . import hookspecs
from .data import DataSchema
from .sinks import Sink
from .sources import Source
from .typesys import Type

__all__ = ["Spec", "SpecError", "PluginError", "PluginWarning", "Registry", "FunctionRegistry",
           "LintRegistry", "PluginFunction", "Lint", "function_registry", "lint_registry", "get_plugin_manager",
           "reset", "register", "source_registry", "sink_registry", "broken_plugins",
           "parse_spec", "open_source", "open_sink"]

ENTRY_POINT_GROUP = "scoredsl"
BUILTIN_PLUGINS = {"files": "scoredsl.builtin.files", "parquet": "scoredsl.builtin.parquet"}

_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]+")
_SPEC = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]+):(.*)", re.DOTALL)


class SpecError(ValueError):
    """A source or sink spec that cannot be used: unknown scheme, bad option, missing file."""


class PluginError(Exception):
    """A plugin that cannot be used (raised for built-ins; third-party ones only warn)."""


class PluginWarning(UserWarning):
    """A third-party plugin was skipped because it is broken; the message names it."""


@attrs.frozen(kw_only=True)
class Spec:
    """A parsed spec: ``scheme:location?options``; ``text`` is the spec as the user wrote it."""
    scheme: str
    location: str
    options: Mapping[str, str] = attrs.field(factory=dict)
    text: str = ""

    def check_options(self, known: tuple[str, ...]) -> None:
        """Raise :class:`SpecError` naming any option not in ``known``."""
        unknown = sorted(set(self.options) - set(known))
        if unknown:
            allowed = ", ".join(known) if known else "none"
            raise SpecError(f"{self.text}: unknown option {', '.join(map(repr, unknown))} for "
                            f"{self.scheme} (allowed: {allowed})")


@attrs.frozen
class Entry:
    scheme: str
    factory: Callable[..., Any]
    description: str
    plugin: str

    @property
    def key(self) -> str:
        return self.scheme


class Registry:
    """Scheme -> factory, as filled by one registration hook (``registry.add``)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.entries: dict[str, Entry] = {}
        self._plugin = "?"
        self._pending: list[Entry] = []

    def add(self, scheme: str, factory: Callable[..., Any], description: str) -> None:
        """Register ``factory`` for specs ``scheme:...``; see :mod:`scoredsl.hookspecs`."""
        if not isinstance(scheme, str) or not _SCHEME.fullmatch(scheme):
            raise PluginError(f"bad {self.kind} scheme {scheme!r}: use at least two characters "
                              "of a-z, 0-9, '+', '.', '-', starting with a letter")
        if not callable(factory):
            raise PluginError(f"{self.kind} {scheme!r}: factory {factory!r} is not callable")
        if not isinstance(description, str) or not description.strip():
            raise PluginError(f"{self.kind} {scheme!r}: a one-line description is required")
        self._pending.append(Entry(scheme, factory, description.strip(), self._plugin))

    def known(self) -> str:
        """The registered schemes as error messages list them: one indented line each."""
        width = max((len(scheme) for scheme in self.entries), default=0)
        return "".join(f"\n  {e.scheme:<{width}}  {e.description}" for e in self.entries.values())


@attrs.frozen
class PluginFunction:
    """A function rule conditions can call, with its checked signature."""
    name: str
    params: tuple[Type, ...]
    returns: Type
    implementation: Callable[..., Any]
    description: str
    plugin: str

    @property
    def key(self) -> str:
        return self.name


_FUNCTION_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_BUILTIN_FUNCTIONS = frozenset({"age", "count", "has", "first", "last"})
_RESULT_TYPES = (Type.TEXT, Type.INT, Type.NUMBER, Type.BOOL, Type.DATE, Type.DATETIME)


def _type(name: object, what: str, allowed) -> Type:
    try:
        t = Type(name)
    except ValueError:
        t = None
    if t not in allowed:
        raise PluginError(f"{what}: unknown type {name!r} (use {', '.join(str(a) for a in allowed)})")
    return t


class FunctionRegistry:
    """Name -> function, as filled by ``scoredsl_register_functions`` (``registry.add``)."""

    kind = "function"

    def __init__(self) -> None:
        self.entries: dict[str, PluginFunction] = {}
        self._plugin = "?"
        self._pending: list[PluginFunction] = []

    def add(self, name: str, implementation: Callable[..., Any], *, params, returns: str,
            description: str) -> None:
        """Register a rule function; see :func:`scoredsl.hookspecs.scoredsl_register_functions`."""
        from .parser import _RESERVED

        if not isinstance(name, str) or not _FUNCTION_NAME.fullmatch(name) or name in _RESERVED \
                or name in _BUILTIN_FUNCTIONS:
            raise PluginError(f"bad function name {name!r}: use a-z, 0-9 and _, starting with a letter, "
                              "and not a reserved word or built-in function")
        if not callable(implementation):
            raise PluginError(f"function {name!r}: implementation {implementation!r} is not callable")
        if not isinstance(description, str) or not description.strip():
            raise PluginError(f"function {name!r}: a one-line description is required")
        param_types = tuple(_type(p, f"function {name!r} parameter", (*_RESULT_TYPES, Type.TEXT_LIST))
                            for p in params)
        self._pending.append(PluginFunction(name, param_types, _type(returns, f"function {name!r} result",
                                                                     _RESULT_TYPES),
                                            implementation, description.strip(), self._plugin))


@attrs.frozen
class Lint:
    name: str
    check: Callable[..., Any]
    description: str
    plugin: str

    @property
    def key(self) -> str:
        return self.name


class LintRegistry:
    """Name -> lint, as filled by ``scoredsl_register_lints`` (``registry.add``)."""

    kind = "lint"

    def __init__(self) -> None:
        self.entries: dict[str, Lint] = {}
        self._plugin = "?"
        self._pending: list[Lint] = []

    def add(self, name: str, check: Callable[..., Any], description: str) -> None:
        """Register a lint; see :func:`scoredsl.hookspecs.scoredsl_register_lints`."""
        if not isinstance(name, str) or not name.strip():
            raise PluginError(f"bad lint name {name!r}")
        if not callable(check):
            raise PluginError(f"lint {name!r}: {check!r} is not callable")
        if not isinstance(description, str) or not description.strip():
            raise PluginError(f"lint {name!r}: a one-line description is required")
        self._pending.append(Lint(name, check, description.strip(), self._plugin))


@attrs.frozen
class PluginCommand:
    name: str
    command: Any
    description: str
    plugin: str

    @property
    def key(self) -> str:
        return self.name


class CommandRegistry:
    """Name -> click command, as filled by ``scoredsl_register_commands`` (``registry.add``)."""

    kind = "command"
    RESERVED = frozenset({"check", "run", "explain", "compile", "plugins", "test", "fmt", "diff", "help"})

    def __init__(self) -> None:
        self.entries: dict[str, PluginCommand] = {}
        self._plugin = "?"
        self._pending: list[PluginCommand] = []

    def add(self, command) -> None:
        """Register a click command; see :func:`scoredsl.hookspecs.scoredsl_register_commands`."""
        import click

        if not isinstance(command, click.Command) or not command.name:
            raise PluginError(f"{command!r} is not a named click command")
        if command.name in self.RESERVED:
            raise PluginError(f"command name {command.name!r} belongs to scoredsl itself")
        help_text = (command.get_short_help_str(80) or command.name).strip()
        self._pending.append(PluginCommand(command.name, command, help_text, self._plugin))


# ------------------------------------------------------------------ the plugin manager

_manager: pluggy.PluginManager | None = None
_registries: dict[str, Registry] = {}
_broken: dict[str, str] = {}


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager with every plugin loaded (created on the first call)."""
    global _manager
    if _manager is None:
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        names = sorted({ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})
        for name in names:
            _guarded(pm, name, lambda: pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name))
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
    return getattr(plugin, "__name__", "").startswith("scoredsl.builtin.")


def _report(name: str, problem: str, exc: BaseException) -> None:
    if name in BUILTIN_PLUGINS:
        raise PluginError(f"built-in plugin {name!r} {problem}") from exc
    _broken[name] = problem
    warnings.warn(f"scoredsl plugin {name!r} skipped: {problem}", PluginWarning, stacklevel=3)


def _reason(exc: BaseException) -> str:
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_REGISTRY_CLASSES = {"source": lambda: Registry("source"), "sink": lambda: Registry("sink"),
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
                what = "scheme" if kind in ("source", "sink") else "name"
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


def plugin_versions() -> dict[str, str]:
    """Plugin name -> version of the distribution that provides it ('' when unknown)."""
    pm = get_plugin_manager()
    names = {pm.get_name(plugin): "" for plugin in pm.get_plugins()}
    for plugin, dist in pm.list_plugin_distinfo():
        names[pm.get_name(plugin)] = getattr(dist, "version", "") or ""
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

_PASSWORD = re.compile(r"(//[^/@:\s]*:)[^@/\s]*@")


def redact(text: str) -> str:
    """A spec as messages may show it: a password in a URL (``//user:secret@``) becomes ``***``."""
    return _PASSWORD.sub(r"\1***@", text)


def parse_spec(text: str, kind: str = "source") -> Spec:
    """Split ``text`` into scheme, location and options, inferring the scheme from a path.

    ``Spec.text``, the form error messages show, has any password in it replaced by ``***``."""
    shown = redact(text)
    match = _SPEC.fullmatch(text)
    if match is None:
        return Spec(scheme=_infer(text, kind), location=text, text=shown)
    scheme, rest = match.group(1).lower(), match.group(2)
    location, question, query = rest.partition("?")
    options: dict[str, str] = {}
    if question:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise SpecError(f"{shown}: options must be written ?name=value&name=value") from None
        for key, value in pairs:
            if key in options:
                raise SpecError(f"{shown}: option {key!r} is given twice")
            options[key] = value
    return Spec(scheme=scheme, location=location, options=options, text=shown)


def _infer(path: str, kind: str) -> str:
    lowered = path.lower()
    for scheme in ("csv", "jsonl"):
        if lowered.endswith("." + scheme):
            return scheme
        if kind == "source" and os.path.isfile(os.path.join(path, f"contacts.{scheme}")):
            return scheme
    examples = ("csv:PATH, jsonl:PATH, table:- (PATH - is standard output)" if kind == "sink"
                else "csv:FOLDER, jsonl:FOLDER, csv:contacts.csv?events=events.csv")
    raise SpecError(f"{path!r}: cannot tell what kind of {kind} this is; write SCHEME:LOCATION, "
                    f"e.g. {examples}")


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
