"""``scoredsl backtest``: score every contact as it was at past instants and compare with what
became of it. See ``docs/backtest.md``."""

from __future__ import annotations

import datetime as dt
import re

import attrs
import click

from scoredsl.check.ir import models_read
from scoredsl.cli.options import (EXIT_FINDINGS, Failure, compile_or_fail, handle_errors, parse_as_of,
                                  root_option, select_models)
from scoredsl.cli.sources import choose, config_option, load_config, open_source_for

DAY = 86_400_000_000
_DURATION = re.compile(r"^\s*(\d+)\s*([dwh])\s*$")
_UNITS = {"d": DAY, "w": 7 * DAY, "h": DAY // 24}


def parse_duration(value: str, option: str) -> int:
    """``30d``, ``2w``, ``12h`` in microseconds."""
    match = _DURATION.match(value)
    if not match or int(match.group(1)) == 0:
        raise click.BadParameter(f"'{value}' is not a duration like 30d, 2w or 12h", param_hint=option)
    return int(match.group(1)) * _UNITS[match.group(2)]


def parse_share(value: str) -> float:
    """``30%`` or ``0.3``."""
    text = value.strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        raise click.BadParameter(f"'{value}' is not a precision like 30% or 0.3", param_hint="--target-precision")
    return share


def outcome_options(required: bool):
    """The options that say what a backtest compares with: the outcomes, what converting is, the
    as-of instants, and what to measure. ``backtest`` requires ``--outcomes``; ``diff`` takes it."""
    def decorate(f):
        options = [
            click.option("--outcomes", "outcomes_path", required=required, metavar="SPEC",
                         help="What became of contacts (contact_id, outcome, at): a CSV or JSON Lines file, "
                              "or a plugin's outcome source (a SQL table, HubSpot deals)"
                              + ("." if required else "; backtests both sides (docs/backtest.md).")),
            click.option("--converted", "converted", multiple=True, metavar="OUTCOME",
                         help="An outcome that counts as converting (repeatable; default: won)."),
            click.option("--window", default="90d", show_default=True, metavar="DURATION",
                         help="How long after an as-of a conversion counts for it (30d, 12w)."),
            click.option("--as-of-each", "step", default="30d", show_default=True, metavar="DURATION",
                         help="Time between backtest as-of instants."),
            click.option("--from", "start", metavar="DATE",
                         help="The first backtest as-of (default: 11 steps before --to)."),
            click.option("--to", "end", metavar="DATE",
                         help="The last backtest as-of (default: the latest whose window is over by "
                              "--observed-until)."),
            click.option("--observed-until", "observed", metavar="DATE",
                         help="Outcomes are known up to this instant (default: the latest outcome). An as-of "
                              "whose window ends later is left out: its conversions are not all known yet."),
            click.option("--created", "created", metavar="PROPERTY",
                         help="The contact property that says when a contact came to exist (default: "
                              "'created' when the schema has a date or datetime property of that name; "
                              "otherwise a contact exists from its first event)."),
            click.option("--score", "score", metavar="NAMES",
                         help="The score contacts are ranked by, or a sum of scores ('fit + engagement'). "
                              "Default: the sum of every score of the model."),
            click.option("--capacity", "capacity", multiple=True, type=click.IntRange(min=1), metavar="K",
                         help="Contacts sales can work per as-of period: precision and recall of the top K, "
                              "and the threshold that keeps within K (repeatable)."),
            click.option("--bootstrap", default=200, show_default=True, type=click.IntRange(min=0), metavar="N",
                         help="Bootstrap samples for the intervals (0: none)."),
        ]
        for option in reversed(options):
            f = option(f)
        return f
    return decorate


@attrs.frozen(kw_only=True)
class Backtesting:
    """What the outcome options ask for, read and checked once; :meth:`run` backtests one model."""
    outcomes_path: str
    converting: dict
    kinds: dict
    wanted: frozenset
    window: int
    step: int
    start: str | None
    end: str | None
    until: int
    created: str | None
    score: tuple[str, ...]
    capacity: tuple[int, ...]
    bootstrap: int

    @classmethod
    def from_options(cls, *, outcomes_path, converted, window, step, start, end, observed, created, score,
                     capacity, bootstrap) -> "Backtesting":
        from scoredsl.backtest.snapshots import conversions
        from scoredsl.data.records import DataError, to_micros
        from scoredsl.data.specs import SpecError, redact
        from scoredsl.plugins.manager import open_outcomes
        from scoredsl.plugins.registries import PluginError

        window_us, step_us = parse_duration(window, "--window"), parse_duration(step, "--as-of-each")
        for value, option in ((start, "--from"), (end, "--to"), (observed, "--observed-until")):
            if value:
                _instant(value, option)
        try:
            outcomes = open_outcomes(outcomes_path)
        except DataError as exc:
            raise Failure(f"bad outcomes: {exc.describe()}", EXIT_FINDINGS) from None
        except (SpecError, PluginError) as exc:
            raise Failure(f"cannot read outcomes '{redact(outcomes_path)}': {exc}") from None
        wanted = frozenset(c.strip().casefold() for c in converted) or frozenset({"won"})
        converting, kinds = conversions(outcomes, wanted)
        if not converting:
            raise Failure(f"{redact(outcomes_path)} has no outcome {' or '.join(sorted(wanted))} (it has "
                          f"{', '.join(kinds) or 'none'}); choose with --converted", EXIT_FINDINGS)
        until = to_micros(_instant(observed, "--observed-until")) if observed else max(o.at for o in outcomes)
        return cls(outcomes_path=outcomes_path, converting=converting, kinds=kinds, wanted=wanted,
                   window=window_us, step=step_us, start=start, end=end, until=until, created=created,
                   score=tuple(n.strip() for n in score.split("+")) if score else (), capacity=tuple(capacity),
                   bootstrap=bootstrap)

    def run(self, model, open_source, *, rules: bool = True, targets=(), on_error: str = "fail"):
        """The :class:`~scoredsl.backtest.metrics.Result` of ``model``; ``open_source(schema)``
        opens the contacts. Problems become :class:`Failure`."""
        from scoredsl.backtest.metrics import measure
        from scoredsl.backtest.snapshots import BacktestError, Plan, collect, observable, series
        from scoredsl.compiler.model import EvaluationError
        from scoredsl.data.records import DataError, to_micros
        from scoredsl.engines.base import RunOptions

        schema = model.program.schema
        last = to_micros(_instant(self.end, "--to")) if self.end else (self.until - self.window) // DAY * DAY
        first = to_micros(_instant(self.start, "--from")) if self.start else last - 11 * self.step
        created = self.created
        if created is None:
            kind = schema.contact.get("created")
            created = "created" if kind is not None and kind.base in ("date", "datetime") and not kind.is_list \
                else None
        try:
            instants, dropped = observable(series(first, last, self.step), self.window, self.until)
            if not instants:
                raise BacktestError("no as-of instant has its whole outcome window observed; move --to earlier "
                                    "or --observed-until later")
            plan = Plan(as_ofs=instants, window=self.window, converted=self.wanted, created=created, rules=rules)
            source = open_source(schema)
            try:
                obs = collect(model, source, plan, self.converting, options=RunOptions(on_error=on_error))
            finally:
                source.close()
            return measure(obs, score=self.score, capacity=self.capacity, target_precision=targets,
                           bootstrap=self.bootstrap, dropped=dropped, outcome_kinds=self.kinds)
        except BacktestError as exc:
            raise Failure(str(exc)) from None
        except DataError as exc:
            raise Failure(f"bad data: {exc.describe()}\n  (use --on-error skip to skip bad rows)",
                          EXIT_FINDINGS) from None
        except EvaluationError as exc:
            raise Failure(str(exc)) from None


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", "source_spec", metavar="SPEC",
              help="The contacts and their events, as for run (default: the default source of scoredsl.toml).")
@click.option("--model", "models", multiple=True, metavar="NAME",
              help="The model to backtest (needed when the file has several).")
@outcome_options(required=True)
@click.option("--target-precision", "targets", multiple=True, metavar="SHARE",
              help="Suggest the lowest threshold whose contacts converted at this rate (30% or 0.3; "
                   "repeatable).")
@click.option("--rules/--no-rules", "rules", default=True, show_default=True,
              help="Measure each rule (which rules earn their points); --no-rules is faster.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--html", "html_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also write a self-contained HTML report with charts to FILE.")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
              help="fail: stop at the first bad row of the source; skip: skip it and count it.")
@root_option
@config_option
@handle_errors
def backtest(file, source_spec, models, targets, rules, fmt, html_path, on_error, root, config_path, **asked):
    """Would the model have found the contacts that converted? Score every contact as it was at
    each as-of (only earlier events), then look at its outcomes in the window after.

    \b
      scoredsl backtest examples/backtest/model.score --source csv:examples/backtest/data \\
          --outcomes examples/backtest/data/outcomes.csv --capacity 50
    """
    from scoredsl.backtest.html import render_html
    from scoredsl.backtest.report import render_json, render_text
    from scoredsl.data.sinks import AtomicFile

    shares = [parse_share(t) for t in targets]
    config = load_config(config_path)
    spec = choose("source", source_spec, config)
    program = compile_or_fail(file, root)
    chosen = select_models(program, models)
    if len(chosen) != 1:
        raise click.UsageError(f"{file} has {len(chosen)} models; choose one with --model")
    if chosen[0].subject == "company" or models_read(chosen[0].ir):
        what = "scores companies" if chosen[0].subject == "company" else "reads its company's results"
        raise Failure(f"model {chosen[0].name} {what}; a backtest follows contacts to their outcomes, one by one: "
                      "backtest the contact models it reads")
    asking = Backtesting.from_options(**asked)
    result = asking.run(chosen[0], lambda schema: open_source_for(spec, schema, config), rules=rules,
                        targets=shares, on_error=on_error)
    click.echo(render_json(result) if fmt == "json" else render_text(result), nl=False)
    if html_path:
        out = AtomicFile(html_path)
        try:
            out.file.write(render_html(result))
            out.commit()
        except BaseException:
            out.abort()
            raise


def _instant(value: str, option: str) -> dt.datetime:
    try:
        return parse_as_of(value)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message.replace("--as-of", option), param_hint=option) from None
