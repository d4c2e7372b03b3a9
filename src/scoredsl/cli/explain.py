"""``scoredsl explain``: why one contact got its scores and tiers."""

from __future__ import annotations

import json

import click

from scoredsl.cli.options import (EXIT_FINDINGS, Failure, as_of_option, compile_or_fail, handle_errors,
                                  model_option, parse_as_of, root_option, select_models)
from scoredsl.cli.sources import choose, config_option, load_config, open_source_for, open_state, spec_text, state_options
from scoredsl.compiler.explain import explain as explain_contact
from scoredsl.check.ir import state_reads
from scoredsl.data.records import DataError, to_micros
from scoredsl.data.state import previous_values
from scoredsl.engines.frame import ErrorPolicy, RunSummary
from scoredsl.engines.lookup import one_contact


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--contact", "contact_id", required=True, metavar="ID", help="The contact's id.")
@click.option("--source", "source_spec", metavar="SPEC",
              help="Where the contact comes from: a spec, or the name of a source in scoredsl.toml.")
@model_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@state_options
@root_option
@config_option
@handle_errors
def explain(file, contact_id, source_spec, models, as_of, fmt, state_path, no_state, root, config_path):
    """Show every rule, cap, decay step and tier behind one contact's result."""
    config = load_config(config_path)
    source_spec = choose("source", source_spec, config)
    program = compile_or_fail(file, root)
    selected = select_models(program, models)
    when = parse_as_of(as_of)
    source = open_source_for(source_spec, program.schema, config)
    policy = ErrorPolicy("skip", RunSummary())
    try:
        contact, events = one_contact(source, program.schema, contact_id, policy)
        if contact is None:
            raise Failure(f"no contact with id '{contact_id}' in {spec_text(source_spec, config, 'source')}",
                          EXIT_FINDINGS)
    except DataError as exc:
        raise Failure(f"bad data: {exc.describe()}", EXIT_FINDINGS) from None
    finally:
        source.close()
    store = open_state(config, state_path, no_state, [], create=False)
    try:
        explanations = [explain_contact(model, contact, events, when, _previous(store, model, contact_id, when))
                        for model in selected]
    finally:
        if store is not None:
            store.close()
    if fmt == "json":
        payload = [e.to_json() for e in explanations]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2, ensure_ascii=False))
    else:
        click.echo("\n\n".join(e.render() for e in explanations))


def _previous(store, model, contact_id: str, when) -> dict:
    """What the model reads of earlier runs for the contact, by label (``engagement``,
    ``engagement 7d ago``)."""
    reads = state_reads(model.ir)
    if store is None or not reads:
        return {}
    values = previous_values(lambda before: store.previous(model.name, before, contact_id), to_micros(when),
                             [(p.kind, p.name, p.window) for p in reads])
    found = values.get(contact_id, (None,) * len(reads))
    return {p.label: value for p, value in zip(reads, found)}
