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

The built-in CSV and JSONL sources and sinks (:mod:`scoredsl.builtin.files`) are registered
this very way. A plugin imports only the public API: :mod:`scoredsl` (``hookimpl``),
:mod:`scoredsl.hookspecs`, :mod:`scoredsl.plugins` (``Spec``, ``SpecError``),
:mod:`scoredsl.sources`, :mod:`scoredsl.sinks`, :mod:`scoredsl.values` and
:mod:`scoredsl.data`.

Every hook here must have a docstring that documents each of its parameters (a test checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .plugins import Registry

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
        receives the parsed :class:`scoredsl.plugins.Spec` and the
        :class:`scoredsl.data.DataSchema` of the compiled unit, and returns a
        :class:`scoredsl.sources.Source`. It raises :class:`scoredsl.plugins.SpecError` for a
        spec it cannot use (unknown option, missing file), with a message for the user.

    A scheme that another plugin has already registered is reported as a warning and ignored;
    built-in plugins register first. Return value: ignored.
    """


@hookspec
def scoredsl_register_sinks(registry: Registry) -> None:
    """Register the result sinks this plugin provides, one per spec scheme.

    :param registry: call ``registry.add(scheme, factory, description)`` once per sink, with
        the same rules for ``scheme`` and ``description`` as for sources.
        ``factory(spec)`` receives the parsed :class:`scoredsl.plugins.Spec` and returns an
        unopened :class:`scoredsl.sinks.Sink`; it raises :class:`scoredsl.plugins.SpecError`
        for a spec it cannot use.

    A scheme that another plugin has already registered is reported as a warning and ignored;
    built-in plugins register first. Return value: ignored.
    """
