"""The registries a plugin's registration hooks fill (see :mod:`scoredsl.plugins.hookspecs`):
sources and sinks by scheme, functions, lints and commands by name."""

from __future__ import annotations

import re
from typing import Any, Callable

import attrs

from scoredsl.check.types import Type

_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]+")


class PluginError(Exception):
    """A plugin that cannot be used (raised for built-ins; third-party ones only warn)."""


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
        """Register ``factory`` for specs ``scheme:...``; see :mod:`scoredsl.plugins.hookspecs`."""
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
        """Register a rule function; see :func:`scoredsl.plugins.hookspecs.scoredsl_register_functions`."""
        from scoredsl.syntax.parser import _RESERVED

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
        """Register a lint; see :func:`scoredsl.plugins.hookspecs.scoredsl_register_lints`."""
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
        """Register a click command; see :func:`scoredsl.plugins.hookspecs.scoredsl_register_commands`."""
        import click

        if not isinstance(command, click.Command) or not command.name:
            raise PluginError(f"{command!r} is not a named click command")
        if command.name in self.RESERVED:
            raise PluginError(f"command name {command.name!r} belongs to scoredsl itself")
        help_text = (command.get_short_help_str(80) or command.name).strip()
        self._pending.append(PluginCommand(command.name, command, help_text, self._plugin))
