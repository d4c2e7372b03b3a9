"""``scoredsl run``: score every contact of a source and write one row per contact and model."""

from __future__ import annotations

import time

import click

from scoredsl.cli.options import (EXIT_FINDINGS, Failure, as_of_option, compile_or_fail, counted, handle_errors,
                                  is_terminal, model_option, parse_as_of, root_option, select_models)
from scoredsl.cli.sources import (choose, config_option, load_config, open_sink_for, open_source_for, open_state,
                                  spec_text, state_options)
from scoredsl.compiler.model import EvaluationError
from scoredsl.data.records import DataError
from scoredsl.data.sinks import SinkError
from scoredsl.data.sources import OrderError, SourceError
from scoredsl.data.actions import ActionError
from scoredsl.data.config import ConfigError
from scoredsl.data.records import to_micros
from scoredsl.data.state import TRANSITION_COLUMNS, StateError
from scoredsl.data.values import iso
from scoredsl.engines.base import DEFAULT_EVENT_BUDGET, MEMORY_SIZE, EngineError, RunOptions
from scoredsl.engines.companies import Plan
from scoredsl.engines.frame import RunState, run as run_batch
from scoredsl.engines.registry import ENGINES, choose_engine
from scoredsl.plugins.actions import deliver, open_actions


def _memory_size(_ctx, _param, value: str | None) -> str | None:
    if value is not None and not MEMORY_SIZE.fullmatch(value.strip()):
        raise click.BadParameter(f"{value!r} is not a memory size: a number and a unit, such as 1GB or 600MB")
    return None if value is None else value.strip()


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", "source_spec", metavar="SPEC",
              help="Where contacts and events come from: a spec like csv:examples/b2b_saas/data, or the "
                   "name of a source in scoredsl.toml.")
@click.option("--sink", "sink_spec", metavar="SPEC",
              help="Where results go: csv:PATH, jsonl:PATH (- for stdout), table:-, or the name of a sink "
                   "in scoredsl.toml. Default: csv:-.")
@click.option("--company-sink", "company_sink_spec", metavar="SPEC",
              help="Where the rows of company models (model NAME for company) go, one per company and model, "
                   "keyed by company_id: a spec as for --sink, or a sink's name in scoredsl.toml. Needed when the "
                   "run has contact models too; else --sink takes them.")
@model_option
@as_of_option
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
              help="fail: stop at the first bad row (nothing is written); skip: skip it and count it.")
@click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True,
              help="auto: duckdb for CSV and Parquet files of 10 MB of events or more, when every model "
                   "can run as SQL, else python; python: the reference evaluator, contact by contact; "
                   "duckdb: the model compiled to SQL on embedded DuckDB (reads CSV and Parquet files "
                   "itself); pushdown: the SQL runs inside the SQL source's own database; spark: on Spark "
                   "SQL. Every engine gives the same results.")
@click.option("--threads", type=click.IntRange(1), metavar="N",
              help="Worker threads for the duckdb and spark engines (default: every core).")
@click.option("--max-events-in-memory", "event_budget", type=click.IntRange(1), default=DEFAULT_EVENT_BUDGET,
              show_default=True, metavar="N",
              help="python engine, unsorted source: events held in memory before the rest spill to a "
                   "temporary file on disk (a model whose event filters read only the event keeps each "
                   "contact's totals instead: those of N/2 contacts, about the memory of N events).")
@click.option("--spill-dir", type=click.Path(file_okay=False, exists=True),
              help="Where spilled events go, and the duckdb engine's temporary files (default: the "
                   "system's temporary folder).")
@click.option("--memory-limit", metavar="SIZE", callback=_memory_size,
              help="duckdb engine: the most memory DuckDB holds before it spills to disk, such as 1GB "
                   "or 600MB (default: 80% of the machine's memory).")
@state_options
@click.option("--replay", is_flag=True,
              help="Allow an as-of older than the latest recorded run: it reads the state of that time.")
@click.option("--transitions", "transitions_spec", metavar="SPEC",
              help="Also write one row per tier change of this run (contact_id, model, tier, from, to, "
                   "as_of, run_id, key): csv:PATH, jsonl:PATH, table:-.")
@click.option("--no-actions", is_flag=True,
              help="Carry out no [[actions]] of scoredsl.toml this time (transitions are still recorded).")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary on stderr.")
@root_option
@config_option
@handle_errors
def run(file, source_spec, sink_spec, company_sink_spec, models, as_of, on_error, engine, threads, event_budget,
        spill_dir, memory_limit, state_path, no_state, replay, transitions_spec, no_actions, quiet, root, config_path):
    """Score every contact in SOURCE with the models of FILE."""
    config = load_config(config_path)
    source_spec = choose("source", source_spec, config)
    sink_spec = sink_spec or config.default("sink") or "csv:-"
    program = compile_or_fail(file, root)
    selected = select_models(program, models)
    company_models = [m.name for m in selected if m.subject == "company"]
    company_sink_spec = company_sink_spec or config.default("company_sink")
    if company_models and company_sink_spec is None and len(company_models) < len(selected):
        raise Failure(f"model {company_models[0]} scores companies, and its rows need a sink of their own: give "
                      f"--company-sink SPEC (for example csv:companies.csv), or choose models with --model")
    if company_sink_spec is not None and not company_models:
        raise Failure("--company-sink takes the rows of company models, and this run has none")
    when = parse_as_of(as_of)
    actions = [] if no_actions or no_state else _actions(config)
    store = open_state(config, state_path, no_state, selected, transitions_spec)
    state = None if store is None else RunState(store=store, replay=replay, actions=tuple(a.rule for a in actions),
                                                source=spec_text(source_spec, config, "source"),
                                                sink=spec_text(sink_spec, config, "sink"))
    if not quiet:
        click.echo(f"scoredsl run {file}: models {', '.join(m.name for m in selected)}; as of {iso(when)}",
                   err=True)
    source = open_source_for(source_spec, program.schema, config)
    try:
        sink = open_sink_for(sink_spec, config)
        company_sink = None if company_sink_spec is None else open_sink_for(company_sink_spec, config)
    except BaseException:
        source.close()
        raise
    try:
        # the engine scores the contact models; company models and the contact models that read
        # company scores run after it, in Python (scoredsl.engines.companies)
        chosen = choose_engine(engine, list(Plan.of(selected).contacts), source)
        engine = chosen.name
        if not quiet and engine != "python":
            click.echo(f"  engine: {engine}", err=True)
        options = RunOptions(on_error=on_error, threads=threads, event_budget=event_budget, spill_dir=spill_dir,
                             memory_limit=memory_limit, spark=config.spark_settings() if engine == "spark" else {},
                             progress=None if quiet else _progress())
        summary = run_batch(chosen, selected, source, sink, when, options, state, company_sink)
        if transitions_spec is not None:
            write_transitions(store, selected, when, open_sink_for(transitions_spec, config))
        deliveries = deliver(store, actions) if actions else None
    except click.ClickException:   # a plugin's own user-facing error, with its exit code
        raise
    except StateError as exc:
        raise Failure(f"state: {exc}\n  (the state store is unchanged)") from None
    except OrderError as exc:     # skipping cannot mend an order: no hint to
        raise Failure(f"bad data: {exc.describe()}\n  (nothing was written)", EXIT_FINDINGS) from None
    except DataError as exc:
        raise Failure(f"bad data: {exc.describe()}\n  (nothing was written; use --on-error skip to skip "
                      "bad rows)", EXIT_FINDINGS) from None
    except EvaluationError as exc:
        raise Failure(str(exc)) from None
    except SinkError as exc:
        where = spec_text(sink_spec, config, 'sink')
        if company_sink_spec is not None:
            where += "' or '" + spec_text(company_sink_spec, config, 'sink')
        raise Failure(f"cannot write results to '{where}': {exc}\n  (the previous results are "
                      "unchanged)") from None
    except SourceError as exc:
        raise Failure(f"reading '{spec_text(source_spec, config, 'source')}' failed: {exc}\n  (nothing was written)") from None
    except EngineError as exc:
        raise Failure(f"engine {engine}: {exc}\n  (nothing was written)") from None
    finally:
        source.close()
        if store is not None:
            store.close()
    if not quiet:
        _print_summary(summary, selected)
    if deliveries is not None:
        _report_deliveries(deliveries, quiet)


def _actions(config):
    try:
        return open_actions(config.action_entries(), config.path or "scoredsl.toml")
    except (ActionError, ConfigError) as exc:
        raise Failure(str(exc)) from None


def _report_deliveries(deliveries, quiet: bool) -> None:
    if not quiet and (deliveries.made or not deliveries.failed):
        click.echo(f"actions: {counted(deliveries.made, 'delivery', 'deliveries')} made", err=True)
    if deliveries.failed:
        lines = [f"actions: {counted(deliveries.failed, 'delivery', 'deliveries')} failed"
                 + (f", {deliveries.waiting:,} more waiting" if deliveries.waiting else "")
                 + "; the next run makes them again (the results and the state are written)"]
        lines += [f"  {action}: {message}" for action, _key, message in deliveries.errors]
        raise Failure("\n".join(lines), EXIT_FINDINGS)


def write_transitions(store, models, when, sink) -> None:
    """The run's transitions, by model, contact and tier, into ``sink`` (all or nothing)."""
    sink.open_table(TRANSITION_COLUMNS)
    try:
        for model in models:
            for transition in store.transitions(model.name, to_micros(when)):
                sink.write_values(transition.values())
        sink.commit()
    except BaseException:
        sink.abort()
        raise


def _progress():
    terminal = is_terminal()
    started = time.perf_counter()
    last = [started]

    def report(what: str, done: int) -> None:
        now = time.perf_counter()
        if terminal:
            click.echo(f"\r  {done:,} {what} ({now - started:.0f}s)   ", err=True, nl=False)
        elif now - last[0] >= 5:
            last[0] = now
            click.echo(f"  {done:,} {what} in {now - started:.0f}s", err=True)
    return report


def _print_summary(summary, models) -> None:
    if is_terminal():
        click.echo("\r" + " " * 60 + "\r", err=True, nl=False)
    rate = summary.contacts / summary.seconds if summary.seconds > 0 else 0
    companies = f", {counted(summary.companies, 'company', 'companies')}" if summary.companies else ""
    click.echo(f"{counted(summary.contacts, 'contact')}{companies}, {counted(summary.events, 'event')} in "
               f"{summary.seconds:.2f}s ({rate:,.0f} contacts/s)", err=True)
    if summary.skipped_rows:
        click.echo(f"{counted(summary.skipped_rows, 'row')} skipped because of bad data:", err=True)
        for problem in summary.errors:
            click.echo(f"  {problem.describe()}", err=True)
        if summary.skipped_rows > len(summary.errors):
            click.echo(f"  ... and {summary.skipped_rows - len(summary.errors):,} more", err=True)
    if summary.ignored_events:
        click.echo(f"{counted(summary.ignored_events, 'event')} of types the schema does not declare "
                   f"{'was' if summary.ignored_events == 1 else 'were'} ignored",
                   err=True)
    if summary.mode == "sorted":
        click.echo(f"events: sorted by contact, joined contact by contact; at most {summary.peak_events:,} "
                   "in memory", err=True)
    elif summary.mode == "spilled":
        click.echo(f"events: more than fit in memory, spilled to a temporary file; at most "
                   f"{summary.peak_events:,} in memory", err=True)
    elif summary.mode == "folded, spilled":
        click.echo("events: folded into each contact's totals as read; more contacts than fit in memory, so "
                   "the totals and the events spilled to temporary files, split by contact", err=True)
    if summary.orphan_events:
        click.echo(f"{counted(summary.orphan_events, 'event')} "
                   f"{'belongs' if summary.orphan_events == 1 else 'belong'} to no contact in the source", err=True)
    if summary.unknown_companies:
        click.echo(f"{counted(summary.unknown_companies, 'contact')} "
                   f"{'names' if summary.unknown_companies == 1 else 'name'} a company the source does not have "
                   "(scored as without a company)", err=True)
    for model in models:
        if summary.transitions is not None:
            if model.name in summary.first_runs:
                click.echo(f"model {model.name}: first recorded run, the baseline for transitions", err=True)
            else:
                moved = {t: n for (m, t), n in summary.transitions.items() if m == model.name}
                shown = ", ".join(f"{t} {n:,}" for t, n in moved.items())
                click.echo(f"model {model.name}: {counted(sum(moved.values()), 'transition')}"
                           f"{' (' + shown + ')' if shown else ''}", err=True)
        statuses = summary.statuses[model.name]
        parts = [f"{statuses.get(s, 0):,} {s.replace('_', ' ')}" for s in ("scored", "disqualified", "out_of_scope")]
        click.echo(f"model {model.name} ({model.version}): {', '.join(parts)}", err=True)
        for tier in model.tier_names:
            counts = summary.tiers[(model.name, tier)]
            order = [e.label for t in model.ir.tiers if t.name == tier for e in t.entries] + ["(none)"]
            shown = ", ".join(f"{label} {counts[label]:,}" for label in order if counts.get(label))
            click.echo(f"  {tier}: {shown or '-'}", err=True)
