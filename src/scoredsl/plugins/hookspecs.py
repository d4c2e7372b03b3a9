"""The hooks a scoredsl plugin can implement: the whole public plugin contract, in one place.

A plugin is a module (or any object) with functions marked ``@hookimpl`` and named after the
specifications below. It is found through the ``scoredsl`` entry-point group::

    # pyproject.toml of the plugin distribution
    [project.entry-points.scoredsl]
    mycrm = "scoredsl_mycrm"

    # scoredsl_mycrm.py
    from scoredsl import hookimpl

    @hookimpl
    def scoredsl_register_sources(registry):
        registry.add("mycrm", open_mycrm, "contacts and events from the MyCRM API")

The built-in CSV and JSONL sources and sinks (:mod:`scoredsl.plugins.builtin.files`) are registered
this very way. A plugin imports only the public API: :mod:`scoredsl` (``hookimpl``),
:mod:`scoredsl.plugins.hookspecs`, :mod:`scoredsl.plugins.manager` (``Spec``, ``SpecError``),
:mod:`scoredsl.data.sources`, :mod:`scoredsl.data.sinks`, :mod:`scoredsl.data.values` and
:mod:`scoredsl.data.records`.

Every hook here must have a docstring that documents each of its parameters (a test checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from scoredsl.plugins.registries import CommandRegistry, FunctionRegistry, LintRegistry, Registry

PROJECT = "scoredsl"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def scoredsl_register_sources(registry: Registry) -> None:
    """Register the data sources this plugin provides, one per spec scheme.

    :param registry: call ``registry.add(scheme, factory, description)`` once per source.
        ``scheme`` is the lower-case prefix of a spec (``"csv"`` in ``csv:data/``; at least two
        characters of ``a-z0-9+.-``, starting with a letter); ``description`` is one line shown
        in "unknown scheme" errors and plugin listings. ``factory(spec, schema)``
        receives the parsed :class:`scoredsl.data.specs.Spec` and the
        :class:`scoredsl.data.records.DataSchema` of the compiled unit, and returns a
        :class:`scoredsl.data.sources.Source`. It raises :class:`scoredsl.data.specs.SpecError` for a
        spec it cannot use (unknown option, missing file), with a message for the user.

    A scheme that another plugin has already registered is reported as a warning and ignored;
    built-in plugins register first. Return value: ignored.
    """


@hookspec
def scoredsl_register_sinks(registry: Registry) -> None:
    """Register the result sinks this plugin provides, one per spec scheme.

    :param registry: call ``registry.add(scheme, factory, description)`` once per sink, with
        the same rules for ``scheme`` and ``description`` as for sources.
        ``factory(spec)`` receives the parsed :class:`scoredsl.data.specs.Spec` and returns an
        unopened :class:`scoredsl.data.sinks.Sink`; it raises :class:`scoredsl.data.specs.SpecError`
        for a spec it cannot use.

    A scheme that another plugin has already registered is reported as a warning and ignored;
    built-in plugins register first. Return value: ignored.
    """


@hookspec
def scoredsl_register_stores(registry: Registry) -> None:
    """Register state stores for databases other than SQLite (``[state] url`` in
    ``scoredsl.toml``, ``--state URL``; docs/state.md), one per URL scheme.

    :param registry: call ``registry.add(scheme, factory, description)`` once per scheme, with
        the same rules for ``scheme`` and ``description`` as for sources. ``factory(spec,
        keep)`` receives the parsed :class:`scoredsl.data.specs.Spec` of the URL and the
        history to keep (microseconds, or ``None`` for all), and returns a
        :class:`scoredsl.data.state.SqlState` (its subclass says how to talk to the
        database); it raises :class:`scoredsl.data.state.StateError` when the store cannot be
        opened, and :class:`scoredsl.data.specs.SpecError` for a URL it cannot use.

    A store must create its tables when they are missing, run each recorded run in one
    transaction that holds a lock against other runs, and roll it back on
    ``abort()``. Return value: ignored.
    """


@hookspec
def scoredsl_register_outcomes(registry: Registry) -> None:
    """Register outcome sources for ``scoredsl backtest --outcomes SPEC`` (what became of
    contacts: deals won and lost, with dates; docs/backtest.md), one per spec scheme.

    :param registry: call ``registry.add(scheme, factory, description)`` once per outcome
        source, with the same rules for ``scheme`` and ``description`` as for sources.
        ``factory(spec)`` receives the parsed :class:`scoredsl.data.specs.Spec` and returns an
        iterable of :class:`scoredsl.data.outcomes.Outcome` (build each with
        :func:`scoredsl.data.outcomes.outcome`, which checks the contact id, the outcome and the
        date the same way for every source). It raises :class:`scoredsl.data.specs.SpecError`
        for a spec it cannot use, and :class:`scoredsl.data.records.DataError` naming the row for
        a row it cannot read: outcomes decide every metric, so none may be skipped.

    An outcome is free text compared without regard to case (``won``, ``lost``); the backtest
    decides which ones count as converting. Return value: ignored.
    """


@hookspec
def scoredsl_register_actions(registry: Registry) -> None:
    """Register what may be done when a contact's tier changes (``[[actions]]`` in
    ``scoredsl.toml``, docs/state.md), one per action kind.

    :param registry: call ``registry.add(kind, factory, description)`` once per kind, with the
        same rules for ``kind`` and ``description`` as for source schemes. ``factory(options)``
        receives the action's table from ``scoredsl.toml`` without ``name``, ``kind`` and the
        filters (``model``, ``tier``, ``to``, ``from``), ``${VARIABLES}`` already filled in, and
        returns an object with ``deliver(payload, key)``. It raises
        :class:`scoredsl.data.actions.ActionError` for options it cannot use.

    ``deliver(payload, key)`` acts on one transition: ``payload`` is a dict with ``text`` (a
    sentence for a chat message) and ``transition`` (``contact_id``, ``model``, ``tier``,
    ``from``, ``to``, ``as_of``, ``run_id``, ``key``); ``key`` is its idempotency key, the same
    each time the same transition is delivered again. It returns when the action is done and
    raises :class:`~scoredsl.data.actions.ActionError` when it is not (the delivery is made
    again by the next run). A delivery may be repeated after a crash, so an action should pass
    the key on to a receiver that can remember it, or check for its own earlier effect.
    Return value: ignored.
    """


@hookspec
def scoredsl_register_functions(registry: FunctionRegistry) -> None:
    """Register functions that rule conditions can call, like ``email_domain(email)``.

    :param registry: call ``registry.add(name, implementation, params=[...], returns=...,
        description=...)`` once per function. ``name`` is how rule files call it (a name of
        ``a-z0-9_`` starting with a letter, not a reserved word nor a built-in function).
        ``params`` lists the type of each argument and ``returns`` the type of the result,
        as the schema writes types: ``"text"``, ``"int"``, ``"number"``, ``"bool"``,
        ``"date"``, ``"datetime"`` (and ``"list[text]"`` for parameters). ``scoredsl check``
        checks every call against this signature. ``implementation(*args)`` receives the
        typed values (``date``/``datetime`` as :mod:`datetime` objects, aware UTC) and returns
        a value of the declared type, or ``None`` for missing.

    Semantics every implementation must honour: it is called only when every argument is
    present (a missing argument makes the call's result missing, without calling it); it must
    be deterministic and free of side effects (the same arguments give the same result, in
    any order, any number of times); an exception it raises stops the run with an error
    pointing at the rule that called it. Text arguments arrive as written in the data; a text
    result is compared case-insensitively like any text unless the rule says
    ``case_sensitive``. Return value: ignored.
    """


@hookspec
def scoredsl_register_lints(registry: LintRegistry) -> None:
    """Register extra checks that ``scoredsl check`` runs on every rule file.

    :param registry: call ``registry.add(name, check, description)`` once per lint.
        ``check(unit, program)`` receives the loaded :class:`scoredsl.syntax.loader.Unit` (the
        syntax trees of the file and its includes, :mod:`scoredsl.syntax.nodes`) and the checked
        :class:`scoredsl.check.ir.Program`, and returns an iterable of
        :class:`scoredsl.diagnostics.Diagnostic` (build them with
        :func:`scoredsl.diagnostics.warning` or :func:`~scoredsl.diagnostics.error`). Codes are
        the plugin's own: upper-case letters then digits, never starting with ``SD`` (those are
        scoredsl's), e.g. ``EX101``.

    Lints run only on files without errors of their own. A lint that raises is reported as a
    warning naming the plugin; it never stops ``check``. Return value: ignored.
    """


@hookspec
def scoredsl_register_commands(registry: CommandRegistry) -> None:
    """Add sub-commands to the ``scoredsl`` command line, like ``scoredsl hubspot setup``.

    :param registry: call ``registry.add(command)`` once per command, with a
        :class:`click.Command` or :class:`click.Group`; its name becomes ``scoredsl NAME``. The
        name must not be one of scoredsl's own commands (``check``, ``run``, ``explain``,
        ``compile``, ``plugins``, ...). Commands follow the exit-code convention of the CLI: 0
        clean, 1 findings, 2 usage, configuration or internal errors.

    Plugin commands are loaded only when the command line starts, and a broken plugin never
    takes down the built-in commands. Return value: ignored.
    """
