"""``scoredsl hubspot``: set up the score properties, and check a rule file against HubSpot.

``scoredsl hubspot setup RULES.score --sink SPEC``
    Creates the property group and every property the sink writes for the file's models
    (number for scores, enumeration with the tier labels as options for tiers, enumeration for
    the status, string for the reason), when missing; adds missing tier labels to existing
    enumeration properties. Idempotent: a second run changes nothing. ``--dry-run`` only says
    what it would do.

``scoredsl hubspot check RULES.score [--source SPEC] [--online]``
    Prints which HubSpot property feeds each schema property and what it can be used for, and
    reports, at the rule's line, every rule that needs data the source cannot provide
    (``HS101``..``HS104``). ``--online`` also asks HubSpot whether the mapped properties exist
    and have fitting types. Exit 0 when everything can be fed, 1 on findings, 2 on usage or
    connection errors.
"""

from __future__ import annotations

import json

import click

from scoredsl.api import CompileError, Diagnostic, SinkError, Spec, SpecError, render_json, render_text, sort

from . import hub
from .capabilities import describe_property, diagnose, needs
from .errors import EXIT_ERROR, EXIT_FINDINGS, HubSpotError
from .layout import columns_for, shapes_from_program
from .mapping import DEFAULT_COMPANY_PROPERTIES, check_types, contact_mapping, resolve
from .options import sink_settings, source_settings

__all__ = ["hubspot"]


class Failure(click.ClickException):
    def __init__(self, message: str, exit_code: int = EXIT_ERROR):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"scoredsl: {self.format_message()}", err=True)


def _config(path: str | None):
    from scoredsl.api import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        raise Failure(str(exc)) from None


def _spec(text: str | None, kind: str, cfg) -> Spec:
    from scoredsl.api import ConfigError

    if not text:
        text = cfg.default(kind)
    if not text:
        text = "hubspot:"
    try:
        spec = cfg.spec(text, kind)
    except (SpecError, ConfigError) as exc:
        raise Failure(f"cannot use {kind} '{text}': {exc}") from None
    if spec.scheme != "hubspot":
        raise Failure(f"{kind} '{text}' is a {spec.scheme}: {kind}, not hubspot:")
    return spec


def _compile(path: str, root: str | None):
    from scoredsl.api import compile_file

    try:
        return compile_file(path, root=root)
    except CompileError as exc:
        click.echo(render_text(exc.diagnostics, exc.sources), err=True)
        errors = sum(d.is_error for d in exc.diagnostics)
        raise Failure(f"{path} has {errors} error{'s' if errors != 1 else ''}; run 'scoredsl check {path}'",
                      EXIT_FINDINGS) from None


def _models(program, names):
    if not names:
        return list(program.models.values())
    unknown = [n for n in names if n not in program.models]
    if unknown:
        raise click.BadParameter(f"no model named {', '.join(unknown)}; the file defines {', '.join(program.models)}",
                                 param_hint="--model")
    return [program.models[n] for n in dict.fromkeys(names)]


_file = click.argument("file", type=click.Path(dir_okay=False, exists=True))
_model = click.option("--model", "models", multiple=True, metavar="NAME", help="Model to use (repeatable); default: all.")
_config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True),
                              help="scoredsl.toml with named sources and sinks (default: found from here).")
_root = click.option("--root", type=click.Path(file_okay=False, exists=True),
                     help="Project root that includes must stay inside.")


@click.group("hubspot")
def hubspot() -> None:
    # the plugin registers a group that holds this one's commands (plugin.py), with its help
    pass


def _set_up(client, object_type: str, columns, settings, description: str, dry_run: bool, actions: list,
            problems: list) -> None:
    """The group and the properties of ``columns`` on one object type (contacts or companies)."""
    base = f"/crm/v3/properties/{object_type}"
    where = "" if object_type == "contacts" else f" ({object_type})"
    groups = client.request("GET", f"{base}/groups", kind="properties", what="reading the property groups").body or {}
    if settings.group not in {g.get("name") for g in groups.get("results", ())}:
        actions.append(("create group", settings.group + where, settings.group_label))
        if not dry_run:
            client.request("POST", f"{base}/groups", kind="setup", write=True,
                           json_body={"name": settings.group, "label": settings.group_label, "displayOrder": -1},
                           what=f"creating the property group {settings.group}{where}")
    client.forget_properties()
    definitions = client.properties(object_type)
    for column in columns:
        existing = definitions.get(column.hubspot)
        if existing is None:
            actions.append(("create", column.hubspot + where, f"{column.type} ({column.field_type}) {column.label!r}"
                            + (f", options {', '.join(column.options)}" if column.options else "")))
            if not dry_run:
                client.request("POST", base, kind="setup", write=True,
                               json_body=column.definition(settings.group, description),
                               what=f"creating the property {column.hubspot}{where}")
            continue
        if existing.get("type") != column.type:
            problems.append(f"{column.hubspot}{where} exists as a {existing.get('type')} property; {column.kind}s "
                            f"need {column.type}: delete it in HubSpot or write elsewhere (properties option)")
            continue
        if column.type == "enumeration":
            have = [o.get("value") for o in existing.get("options", [])]
            new = [o for o in column.options if o not in have]
            if new:
                actions.append(("add options", column.hubspot + where, ", ".join(new)))
                if not dry_run:
                    options = list(existing.get("options", []))
                    options += [{"label": o, "value": o, "displayOrder": len(options) + i, "hidden": False}
                                for i, o in enumerate(new)]
                    client.request("PATCH", f"{base}/{column.hubspot}", kind="setup", write=True,
                                   json_body={"options": options}, what=f"adding options to {column.hubspot}{where}")
                continue
        actions.append(("ok", column.hubspot + where, f"{column.type} {column.label!r}"))


@hubspot.command()
@_file
@click.option("--sink", "sink_spec", metavar="SPEC", help="The hubspot: sink (a spec or a name in scoredsl.toml).")
@_model
@click.option("--dry-run", is_flag=True, help="Say what would be created, change nothing.")
@_config_option
@_root
def setup(file, sink_spec, models, dry_run, config_path, root):
    """Create the property group and the score, tier, status and reason properties."""
    cfg = _config(config_path)
    spec = _spec(sink_spec, "sink", cfg)
    program = _compile(file, root)
    chosen = _models(program, models)
    try:
        settings = sink_settings(spec)
        # company models write company properties; a company sink takes the same spec
        targets = [(kind, columns_for(shapes_from_program(group), settings))
                   for kind, group in (("contacts", [m for m in chosen if m.subject != "company"]),
                                       ("companies", [m for m in chosen if m.subject == "company"])) if group]
        client = hub.client_for(settings.client)
    except (SpecError, SinkError) as exc:
        raise Failure(str(exc)) from None
    description = f"Written by scoredsl ({file}); changes by hand are overwritten by the next run."
    actions: list[tuple[str, str, str]] = []
    problems: list[str] = []
    try:
        for object_type, columns in targets:
            _set_up(client, object_type, columns, settings, description, dry_run, actions, problems)
    except HubSpotError as exc:
        raise Failure(f"{spec.text}: {exc}") from None
    finally:
        client.forget_properties()
    columns = [c for _kind, group in targets for c in group]
    width = max(len(a) for a, _, _ in actions) if actions else 0
    for action, name, detail in actions:
        click.echo(f"{action:<{width}}  {name}  {detail}")
    changed = sum(a != "ok" for a, _, _ in actions)
    verb = "would change" if dry_run else "changed"
    click.echo(f"{spec.text}: {changed} {verb}, {len(actions) - changed} already in place "
               f"(group {settings.group}, {len(columns)} properties)", err=True)
    if problems:
        raise Failure("\n  ".join(["properties that cannot be used:", *problems]), EXIT_FINDINGS)


@hubspot.command()
@_file
@click.option("--source", "source_spec", metavar="SPEC", help="The hubspot: source (a spec or a name in scoredsl.toml); "
                                                             "default: the default source, or hubspot: with defaults.")
@_model
@click.option("--online", is_flag=True, help="Also ask HubSpot whether the mapped properties exist (needs the token).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_config_option
@_root
def check(file, source_spec, models, online, fmt, config_path, root):
    """Which HubSpot data feeds the rule file, and which rules need data HubSpot cannot provide."""
    cfg = _config(config_path)
    spec = _spec(source_spec, "source", cfg)
    program = _compile(file, root)
    selected = {m.name for m in _models(program, models)}
    try:
        settings = source_settings(spec)
    except SpecError as exc:
        raise Failure(str(exc)) from None
    schema = program.schema
    unknown = sorted(set(settings.properties) - set(schema.contact))
    mapping = contact_mapping(schema, settings.properties)
    companies = (None if schema.company is None else
                 resolve(schema.company, settings.company_properties, DEFAULT_COMPANY_PROPERTIES))
    found: list[Diagnostic] = diagnose([n for n in needs(program.ir) if n.model in selected],
                                       events_on=settings.events != "off", event_types=settings.event_types,
                                       event_attributes=settings.event_attributes, mapping=mapping,
                                       source_text=f"source {spec.text}")
    problems = [f"properties maps {', '.join(unknown)}, which the schema does not declare"] if unknown else []
    if online:
        checks = [("contact", "contacts", mapping, schema.contact)]
        if companies is not None:
            checks.append(("company", "companies", companies, schema.company))
        for what, object_type, names, declared in checks:
            try:
                definitions = hub.client_for(settings.client).properties(object_type)
            except (SpecError, HubSpotError) as exc:
                raise Failure(f"{spec.text}: {exc}") from None
            missing, mismatched = check_types(names, declared, definitions)
            if missing:
                problems.append(f"HubSpot has no {what} properties {', '.join(missing)}")
            problems += mismatched
    events_mode = settings.events
    rows = [{"property": name, "type": str(schema.contact[name]), "hubspot": hubspot,
             "use": describe_property(hubspot)} for name, hubspot in mapping.items()]
    company_rows = [{"property": name, "type": str(schema.company[name]), "hubspot": hubspot}
                    for name, hubspot in (companies or {}).items()]
    events = [{"event": kind, "hubspot": settings.event_types.get(kind),
               "read": bool(settings.event_types.get(kind)) and events_mode != "off"}
              for kind in schema.events]
    found = sort(found)
    if fmt == "json":
        click.echo(json.dumps({"source": spec.text, "properties": rows,
                               **({"company_properties": company_rows} if companies is not None else {}),
                               "events": events, "events_option": events_mode,
                               "problems": problems, "diagnostics": json.loads(render_json(found))}, indent=2))
    else:
        width = max((len(r["property"]) + len(r["type"]) + 2 for r in rows), default=0)
        click.echo(f"{spec.text}: contact properties")
        for r in rows:
            click.echo(f"  {(r['property'] + ': ' + r['type']):<{width}}  <- {r['hubspot']}  ({r['use']})")
        if companies is not None:
            click.echo("company properties (GET /crm/v3/objects/companies; a contact's company is its "
                       "associatedcompanyid):")
            width = max((len(r["property"]) + len(r["type"]) + 2 for r in company_rows), default=0)
            for r in company_rows:
                click.echo(f"  {(r['property'] + ': ' + r['type']):<{width}}  <- {r['hubspot']}")
        if events:
            click.echo(f"events (events={events_mode}):")
            for e in events:
                if e["hubspot"] is None:
                    how = "no HubSpot event type mapped: never read"
                elif e["read"]:
                    how = f"<- {e['hubspot']} (events API, one request per active contact)"
                else:
                    how = f"<- {e['hubspot']} only with events=on (now: not read)"
                click.echo(f"  {e['event']}  {how}")
        if found:
            click.echo(render_text(found, program.sources), err=True)
        for problem in problems:
            click.echo(f"scoredsl: {spec.text}: {problem}", err=True)
        click.echo(f"{len(found)} rule{'s' if len(found) != 1 else ''} need data this source cannot provide"
                   + (f"; {len(problems)} mapping problem{'s' if len(problems) != 1 else ''}" if problems else ""),
                   err=True)
    if problems or found:
        click.get_current_context().exit(EXIT_FINDINGS)
