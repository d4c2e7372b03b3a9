"""The ``hubspot-data`` lint of ``scoredsl check``: rules that need data a HubSpot source cannot
provide (``HS101``..``HS104``, see :mod:`scoredsl_hubspot.capabilities`).

A lint sees the rule file, not the command line, so it looks for the project's
``scoredsl.toml`` (in the working directory or a parent, as ``scoredsl`` does) and checks
against its ``hubspot:`` sources: the default source when it is one, else each of them. A
project without a ``hubspot:`` source gets no HubSpot warnings. ``scoredsl hubspot check FILE
--source SPEC`` checks against any spec, with the whole mapping table.
"""

from __future__ import annotations

from typing import Any, Iterator

from scoredsl.api import Diagnostic, Spec, SpecError, parse_spec

__all__ = ["hubspot_data", "configured_sources", "diagnostics_for"]


def diagnostics_for(program, spec: Spec, label: str = "the hubspot source") -> list[Diagnostic]:
    """Every HS diagnostic of ``program`` (an ``ir.Program``) for a ``hubspot:`` source ``spec``."""
    # (here: ``scoredsl check`` of a project without a hubspot: source never needs them)
    from .capabilities import diagnose, needs
    from .mapping import resolve
    from .options import source_settings

    settings = source_settings(spec)
    mapping = resolve(program.schema.contact, settings.properties)
    return diagnose(needs(program), events_on=settings.events != "off", event_types=settings.event_types,
                    event_attributes=settings.event_attributes, mapping=mapping, source_text=label)


def configured_sources(path: str | None = None) -> list[tuple[str, Spec]]:
    """``(name, spec)`` of the ``hubspot:`` sources in the project's scoredsl.toml (the default
    source first); ``${VAR}`` placeholders are left as written."""
    from scoredsl.api import find_config

    found = path or find_config()
    if found is None:
        return []
    import tomllib          # (here: a rule file outside a project needs no TOML reader)

    try:
        with open(found, "rb") as file:
            data = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError):
        return []
    default = (data.get("defaults") or {}).get("source")
    out: list[tuple[str, Spec]] = []
    for name, entry in (data.get("sources") or {}).items():
        if not isinstance(entry, dict) or not str(entry.get("spec", "")).lower().startswith("hubspot:"):
            continue
        try:
            parsed = parse_spec(str(entry["spec"]), "source")
        except SpecError:
            continue
        options: dict[str, Any] = dict(parsed.options)
        options.update({k: v for k, v in entry.items() if k != "spec"})
        spec = Spec(scheme=parsed.scheme, location=parsed.location, options=options, text=str(entry["spec"]))
        out.append((name, spec))
    out.sort(key=lambda item: item[0] != default)
    if default and out and out[0][0] == default:
        return out[:1]
    return out


def hubspot_data(unit, program) -> Iterator[Diagnostic]:
    """The lint: HS diagnostics for each ``hubspot:`` source of the project."""
    for name, spec in configured_sources():
        try:
            yield from diagnostics_for(program, spec, f"the hubspot source '{name}'")
        except SpecError:
            continue      # a broken source is reported when it is used
