"""``scoredsl explain``: why one contact got its scores and tiers."""

from __future__ import annotations

import json

import click

from scoredsl.cli.options import (EXIT_FINDINGS, Failure, as_of_option, compile_or_fail, handle_errors,
                                  model_option, parse_as_of, root_option, select_models)
from scoredsl.cli.sources import choose, config_option, load_config, open_source_for, open_state, spec_text, state_options
from scoredsl.compiler.explain import aggregate_lines, as_written, explain as explain_contact, explain_packed
from scoredsl.data.sources import SourceError
from scoredsl.engines.base import RunOptions
from scoredsl.data.records import COMPANY_ID
from scoredsl.engines.companies import Plan, company_row, company_values, one_company
from scoredsl.check.ir import state_reads
from scoredsl.data.records import DataError, to_micros
from scoredsl.data.state import previous_values
from scoredsl.engines.frame import ErrorPolicy, RunSummary
from scoredsl.engines.lookup import one_contact


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--contact", "contact_id", metavar="ID", help="The contact's id.")
@click.option("--company", "company_id", metavar="ID",
              help="A company's id: explain the company models (model NAME for company), with the contacts "
                   "behind each aggregate. Reads every contact of the source.")
@click.option("--source", "source_spec", metavar="SPEC",
              help="Where the contact comes from: a spec, or the name of a source in scoredsl.toml.")
@model_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@state_options
@root_option
@config_option
@handle_errors
def explain(file, contact_id, company_id, source_spec, models, as_of, fmt, state_path, no_state, root, config_path):
    """Show every rule, cap, decay step and tier behind one contact's result, or one company's."""
    config = load_config(config_path)
    source_spec = choose("source", source_spec, config)
    program = compile_or_fail(file, root)
    if (contact_id is None) == (company_id is None):
        raise Failure("give --contact ID, or --company ID for company models")
    subject = "contact" if company_id is None else "company"
    selected = [m for m in select_models(program, models) if m.subject == subject]
    if not selected:
        raise Failure(f"no model of {'this file' if not models else 'those chosen'} scores {subject}s"
                      + (": use --contact" if subject == "company" else ": use --company"))
    when = parse_as_of(as_of)
    if company_id is not None:
        store = open_state(config, state_path, no_state, [], create=False)
        try:
            explanations = _company(program, selected, company_id, source_spec, config, when, store)
        finally:
            if store is not None:
                store.close()
        _show(explanations, fmt)
        return
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
    later = Plan.of(selected).later
    if later:       # models that read the contact's company's scores: score its company first
        contact = {**contact, **_company_results(program, later, contact, source_spec, config, when)}
    store = open_state(config, state_path, no_state, [], create=False)
    try:
        explanations = [explain_contact(model, contact, events, when, _previous(store, model, contact_id, when))
                        for model in selected]
    finally:
        if store is not None:
            store.close()
    _show(explanations, fmt)


def _show(explanations, fmt: str) -> None:
    if fmt == "json":
        payload = [e.to_json() for e in explanations]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2, ensure_ascii=False))
    else:
        click.echo("\n\n".join(e.render() for e in explanations))


def _company(program, models, company_id: str, source_spec, config, when, store=None) -> list:
    """The explanations of the company ``models`` for one company (what they read of earlier
    runs from ``store``, kept per company)."""
    source = open_source_for(source_spec, program.schema, config)
    try:
        found = one_company(models, source, company_id, to_micros(when), RunOptions(on_error="skip"))
    except (DataError, SourceError) as exc:
        raise Failure(f"bad data: {exc.describe() if isinstance(exc, DataError) else exc}", EXIT_FINDINGS) from None
    finally:
        source.close()
    if found is None:
        raise Failure(f"no company with id '{company_id}' in {spec_text(source_spec, config, 'source')}", EXIT_FINDINGS)
    _company_record, records, per_type, parts = found
    members = tuple(contact["id"] for contact, _added in parts)
    text_of = as_written(program)
    return [explain_packed(model, record, per_type, to_micros(when), _previous(store, model, company_id, when),
                           members=members,
                           aggregates=aggregate_lines(model, record, [(c, added[i]) for c, added in parts], text_of))
            for i, (model, record) in enumerate(zip(models, records))]


def _company_results(program, models, contact, source_spec, config, when) -> dict:
    """The contact's company's results in the company models ``models`` read (``MODEL.NAME``);
    empty (every one missing) without a company or for one the source does not have."""
    company_id = contact.get(COMPANY_ID)
    if company_id is None:
        return {}
    needed = Plan.of(models).companies
    source = open_source_for(source_spec, program.schema, config)
    try:
        found = one_company(needed, source, company_id.strip(), to_micros(when), RunOptions(on_error="skip"))
    except (DataError, SourceError) as exc:
        raise Failure(f"bad data: {exc.describe() if isinstance(exc, DataError) else exc}", EXIT_FINDINGS) from None
    finally:
        source.close()
    if found is None:
        return {}
    _company, records, per_type, _parts = found
    values: dict = {}
    for model, record in zip(needed, records):
        row = company_row(model, company_id.strip(), model.evaluate_packed(record, per_type, to_micros(when)))
        values.update(company_values(model, row))
    return values


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
