"""Options and helpers shared by several commands.

Exit codes, for every command: 0 clean; 1 findings (rule-file errors, failed data, failed
tests); 2 usage, configuration, plugin or internal error. Diagnostics go to stderr, data to
stdout.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys

import click

from scoredsl.data.specs import mask_known
from scoredsl.diagnostics import CompileError, render_github, render_json, render_sarif, render_text

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def counted(n: int, one: str, many: str | None = None) -> str:
    """``1 row``, ``2 rows``, ``1,000 rows``: a count with its noun in the right number."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


class Failure(click.ClickException):
    """A problem the user must fix; printed without a traceback, with its exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        # every secret of every spec this process has seen is masked, whoever wrote the message
        click.echo(f"scoredsl: {mask_known(self.format_message())}", err=True)


def parse_as_of(value: str | None) -> dt.datetime:
    """``--as-of``: an ISO date (midnight UTC) or datetime (no offset = UTC); default now."""
    if value is None or value == "now":
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"'{value}' is not an ISO date or datetime (2026-11-01 or "
                                 "2026-11-01T09:30:00Z)", param_hint="--as-of") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def as_of_option(f):
    return click.option("--as-of", "as_of", metavar="WHEN",
                        help="The instant to score at: ISO date or datetime (UTC unless an offset is "
                             "given). Windows and decay count back from it; later events are ignored. "
                             "Default: now.")(f)


def root_option(f):
    return click.option("--root", type=click.Path(file_okay=False, exists=True),
                        help="Project root that includes must stay inside (default: the rule file's "
                             "directory).")(f)


def model_option(f):
    return click.option("--model", "models", multiple=True, metavar="NAME",
                        help="Model to use (repeatable). Default: every model in the file.")(f)


def render_diagnostics(diagnostics, sources, fmt: str) -> str:
    if fmt == "json":
        return render_json(diagnostics)
    if fmt == "github":
        return render_github(diagnostics)
    if fmt == "sarif":
        from scoredsl import __version__
        return render_sarif(diagnostics, __version__)
    return render_text(diagnostics, sources)


def compile_or_fail(path: str, root: str | None):
    """Compile a rule file for a command that needs it; on errors print them and exit 1."""
    from scoredsl.compiler.pipeline import compile_file

    try:
        program = compile_file(path, root=root)
    except CompileError as exc:
        click.echo(render_text(exc.diagnostics, exc.sources), err=True)
        errors = sum(d.is_error for d in exc.diagnostics)
        raise Failure(f"{path} has {errors} error{'s' if errors != 1 else ''}; "
                      f"run 'scoredsl check {path}' for details", EXIT_FINDINGS) from None
    return program


def select_models(program, names) -> list:
    if not names:
        return list(program.models.values())
    unknown = [n for n in names if n not in program.models]
    if unknown:
        raise click.BadParameter(f"no model named {', '.join(unknown)}; the file defines "
                                 f"{', '.join(program.models)}", param_hint="--model")
    return [program.models[n] for n in dict.fromkeys(names)]


def is_terminal(stream=None) -> bool:
    stream = stream or sys.stderr
    return hasattr(stream, "isatty") and stream.isatty()


def handle_errors(f):
    """Turn unexpected exceptions into exit code 2 with a one-line message (no traceback)."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as exc:  # an internal error: say so, exit 2
            raise Failure(f"internal error: {type(exc).__name__}: {exc}") from exc
    return wrapper
