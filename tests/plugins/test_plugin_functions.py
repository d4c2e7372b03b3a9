"""Plugin functions in rule conditions, plugin lints in check, and plugin commands on the
command line, exercised through a plugin registered the way an entry point registers one."""

from __future__ import annotations

import datetime as dt
import warnings

import click
import pytest
from click.testing import CliRunner

from scoredsl import hookimpl
from scoredsl.compiler.model import EvaluationError
from scoredsl.compiler.pipeline import check_file, compile_text
from scoredsl.data.records import Event
from scoredsl.diagnostics import CompileError, warning
from scoredsl.plugins import manager as plugins

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
FREE = {"gmail.com", "yahoo.com", "outlook.com"}


class DomainPlugin:
    """A plugin as a third-party author writes one."""

    @hookimpl
    def scoredsl_register_functions(self, registry):
        registry.add("email_domain", lambda email: email.rpartition("@")[2] or None,
                     params=["text"], returns="text", description="the domain of an email address")
        registry.add("is_free_email", lambda email: email.rpartition("@")[2].lower() in FREE,
                     params=["text"], returns="bool", description="a free webmail address")
        registry.add("days_between", lambda a, b: (b - a).days, params=["datetime", "datetime"],
                     returns="int", description="whole days from a to b")
        registry.add("broken", lambda x: 1 / 0, params=["int"], returns="int", description="always fails")
        registry.add("liar", lambda x: "not a number", params=["int"], returns="number",
                     description="returns the wrong type")

    @hookimpl
    def scoredsl_register_lints(self, registry):
        def big_points(unit, program):
            for model in program.models:
                for score in model.scores:
                    for rule in score.rules():
                        points = getattr(rule, "points", 0)
                        if abs(points) > 100:
                            yield warning("EX101", f"rule '{rule.name}' awards {points} points; more than 100 "
                                                   "inflates scores", rule.span)
        registry.add("big-points", big_points, "rules worth more than 100 points")
        registry.add("crashes", lambda unit, program: 1 / 0, "a broken lint")

    @hookimpl
    def scoredsl_register_commands(self, registry):
        @click.command("domains")
        @click.argument("email")
        def domains(email):
            """Print the domain of an email address."""
            click.echo(email.rpartition("@")[2])
        registry.add(domains)


@pytest.fixture(autouse=True)
def plugin():
    plugins.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plugins.register(DomainPlugin(), "domains")
    yield
    plugins.reset()


SCHEMA = """schema {
  contact { email: text, created: date, seen: datetime }
  event form_submit { referrer: text }
}
"""


def score(rule: str, contact: dict, events=()) -> int:
    program = compile_text(SCHEMA + f"model m {{ score s {{ {rule} }} }}", "f.score")
    return program.model().evaluate({"id": "c", **contact}, list(events), AS_OF).scores["s"]


def test_a_function_in_a_condition():
    rule = 'rule own: email_domain(email) == "ACME.com" => +5'
    assert score(rule, {"email": "ann@acme.com"}) == 5          # text results compare ignoring case
    assert score(rule, {"email": "bob@other.com"}) == 0
    assert score(rule, {}) == 0                                   # missing argument: missing result


def test_a_bool_function_alone_is_a_condition():
    rule = "rule free: is_free_email(email) => -10  rule work: not is_free_email(email) => +10"
    assert score(rule, {"email": "x@Gmail.com"}) == -10
    assert score(rule, {"email": "x@acme.com"}) == 10
    assert score(rule, {}) == 0                                   # unknown: neither rule fires


def test_functions_in_where_filters_see_event_attributes():
    rule = 'rule partner: count(form_submit where email_domain(referrer) == "partner.io") { >= 2 => +20 }'
    events = [Event(contact_id="c", type="form_submit", timestamp=AS_OF, attrs={"referrer": r})
              for r in ("a@partner.io", "b@partner.io", "c@else.io", None)]
    assert score(rule, {}, events) == 20


def test_instants_arrive_as_datetimes():
    rule = "rule fresh: days_between(created, seen) { < 30 => +3; >= 30 => +1 }"
    assert score(rule, {"created": dt.date(2026, 10, 1), "seen": dt.datetime(2026, 10, 15, tzinfo=dt.timezone.utc)}) == 3


@pytest.mark.parametrize("where", ["", ' where referrer == "x"'])
def test_a_function_of_an_aggregate_reads_the_whole_aggregate(where):
    """The call is made once the aggregate has seen every event (not in the event loop, where
    it saw only the events before; and with no events, its argument is missing)."""
    rule = f"rule recent: days_between(last(form_submit{where}), seen) {{ < 2 => +5; >= 2 => +1 }}"
    seen = {"seen": AS_OF}
    events = [Event(contact_id="c", type="form_submit", timestamp=AS_OF - dt.timedelta(days=days),
                    attrs={"referrer": referrer}) for days, referrer in ((1, "x"), (5, "x"), (3, "y"))]
    assert score(rule, seen, events) == 5                         # the last one, a day before
    assert score(rule, seen, events[1:]) == 1                     # five or three days before
    assert score(rule, seen) == 0                                 # no events: missing, no points
    program = compile_text(SCHEMA + f"model m {{ score s {{ {rule} }} }}", "f.score")
    fold = program.model().folding()                              # the accumulators agree
    layout = {"form_submit": lambda e: (int(e.timestamp.timestamp() * 1_000_000), e.attrs["referrer"])}
    totals = fold.fresh()
    folds = fold.folds(int(AS_OF.timestamp() * 1_000_000))
    for event in events[::-1]:
        folds["form_submit"](totals, layout["form_submit"](event))
    assert fold.finish({"id": "c", **seen}, totals, int(AS_OF.timestamp() * 1_000_000))[2] == (5,)


def test_check_reports_unknown_functions_arity_and_argument_types():
    for rule, code, text in [
        ("rule a: email_domian(email) == \"x\" => +1", "SD201", "did you mean 'email_domain'?"),
        ("rule a: email_domain(email, email) == \"x\" => +1", "SD303", "takes 1 argument (text), got 2"),
        ("rule a: email_domain(created) == \"x\" => +1", "SD304", "must be text, not date"),
        ("rule a: email_domain(email) > 3 => +1", "SD307", "cannot compare text with int"),
    ]:
        with pytest.raises(CompileError) as exc:
            compile_text(SCHEMA + f"model m {{ score s {{ {rule} }} }}", "f.score")
        d = exc.value.diagnostics[0]
        assert d.code == code
        assert text in (d.message + " " + (d.hint or ""))


def test_a_failing_function_is_reported_at_the_rule_that_called_it():
    program = compile_text(SCHEMA + "model m {\n score s {\n  rule r: broken(1) > 0 => +1\n }\n}", "f.score")
    with pytest.raises(EvaluationError) as exc:
        program.model().evaluate({"id": "c9"}, [], AS_OF)
    assert str(exc.value).startswith("f.score:7:11:")   # the call, on the rule's line
    assert "ZeroDivisionError" in str(exc.value) and "contact c9" in str(exc.value)


def test_a_function_returning_the_wrong_type_is_named():
    program = compile_text(SCHEMA + "model m { score s { rule r: liar(1) > 0 => +1 } }", "f.score")
    with pytest.raises(EvaluationError) as exc:
        program.model().evaluate({"id": "c"}, [], AS_OF)
    assert "function liar() of plugin 'domains' returned str" in str(exc.value)


def test_the_model_version_names_the_plugin_functions_it_uses():
    text = SCHEMA + 'model m { score s { rule own: email_domain(email) == "acme.com" => +5 } }'
    assert "domains" in repr(compile_text(text, "f.score").ir.models[0])


def test_lints_add_their_findings_and_a_broken_lint_is_a_warning(tmp_path):
    path = tmp_path / "big.score"
    path.write_text(SCHEMA + "model m { score s { rule huge: email is set => +500 } }")
    diagnostics, _ = check_file(path)
    codes = sorted(d.code for d in diagnostics)
    assert codes == ["EX101", "SD230"]
    ex = next(d for d in diagnostics if d.code == "EX101")
    assert "awards 500 points" in ex.message and ex.span.line == 5
    broken = next(d for d in diagnostics if d.code == "SD230")
    assert "lint 'crashes' of plugin 'domains' failed: ZeroDivisionError" in broken.message


def test_bad_registrations_are_refused_by_name():
    class Bad:
        @hookimpl
        def scoredsl_register_functions(self, registry):
            registry.add("count", len, params=["text"], returns="int", description="shadows count")

    plugins.reset()
    with pytest.warns(plugins.PluginWarning, match="'bad'.*bad function name 'count'"):
        plugins.register(Bad(), "bad")
        plugins.function_registry()


def test_a_plugin_command_joins_the_command_line():
    from scoredsl.cli.main import cli

    result = CliRunner().invoke(cli, ["domains", "ann@acme.com"])
    assert result.exit_code == 0 and result.output == "acme.com\n"
    listing = CliRunner().invoke(cli, ["--help"])
    assert "domains" in listing.output and "Print the domain" in listing.output
    plugins_listing = CliRunner().invoke(cli, ["plugins"])
    assert "command  domains" in plugins_listing.output


def test_a_plugin_cannot_take_a_builtin_command_name():
    class Thief:
        @hookimpl
        def scoredsl_register_commands(self, registry):
            registry.add(click.Command("run"))

    plugins.reset()
    with pytest.warns(plugins.PluginWarning, match="'thief'.*belongs to scoredsl itself"):
        plugins.register(Thief(), "thief")
        plugins.command_registry()


def test_a_model_calling_a_function_runs_only_on_the_python_engine(tmp_path):
    from click.testing import CliRunner
    from scoredsl.cli.main import cli

    rules = tmp_path / "fn.score"
    rules.write_text(SCHEMA + 'model m {\n  score s {\n    rule free: is_free_email(email) => -5\n  }\n}\n', "utf-8")
    (tmp_path / "contacts.csv").write_text("id,email\nc1,a@gmail.com\nc2,b@acme.com\n", "utf-8")
    runner = CliRunner()
    checked = runner.invoke(cli, ["check", str(rules), "--engine", "duckdb"])
    assert checked.exit_code == 1 and "fn.score:7:" in checked.output and "error[SD501]" in checked.output
    source = f"csv:{tmp_path / 'contacts.csv'}"
    refused = runner.invoke(cli, ["run", str(rules), "--source", source, "--engine", "duckdb", "--as-of", "2026-11-01"])
    assert refused.exit_code == 2
    assert "this model needs the python engine" in refused.output and "SD501" in refused.output
    auto = runner.invoke(cli, ["run", str(rules), "--source", source, "--engine", "auto", "--as-of", "2026-11-01",
                               "--sink", "csv:-", "-q"])
    assert auto.exit_code == 0
    assert auto.output.splitlines()[1].startswith("c1,m,scored,,-5,")
