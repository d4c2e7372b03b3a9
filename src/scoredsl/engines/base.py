"""What an engine is: the interface every engine implements, the options of a run, and the
error an engine raises when it cannot run a model or a source.

An engine turns contacts and events into result rows. It never opens, commits or aborts the
sink and never times the run: the run frame (:mod:`scoredsl.engines.frame`) does that, the
same for every engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence

import attrs

if TYPE_CHECKING:  # pragma: no cover
    from scoredsl.compiler.model import CompiledModel
    from scoredsl.engines.frame import Output

#: Events held in memory before the python engine, on an unsorted source, spills them to disk.
DEFAULT_EVENT_BUDGET = 1_000_000

Progress = Callable[[str, int], None]


class EngineError(Exception):
    """The chosen engine cannot run this model or source."""


def _mode(_instance, _attribute, value: str) -> None:
    if value not in ("fail", "skip"):
        raise ValueError(f"unknown error mode {value!r}")


def _budget(_instance, _attribute, value: int) -> None:
    if value < 1:
        raise ValueError(f"event_budget must be at least 1, not {value}")


@attrs.frozen(kw_only=True)
class RunOptions:
    """How to run, beyond what to run. Each engine reads what concerns it."""

    #: ``fail``: the first bad row stops the run; ``skip``: it is skipped and counted.
    on_error: str = attrs.field(default="fail", validator=_mode)
    #: worker threads (duckdb, spark); ``None``: every core.
    threads: int | None = None
    #: python engine: events held in memory before the rest spill to disk.
    event_budget: int = attrs.field(default=DEFAULT_EVENT_BUDGET, validator=_budget)
    #: python engine: where spilled events go (default: the system's temporary folder).
    spill_dir: str | None = None
    #: spark engine: ``[spark]`` of ``scoredsl.toml`` (``master``, ``remote``, ``conf``).
    spark: Mapping[str, Any] = attrs.field(factory=dict)
    #: called now and then with ``(what, how many)`` while a long run goes on.
    progress: Progress | None = attrs.field(default=None, eq=False)


class Engine(Protocol):
    """Where a model runs. Engines are chosen by name (:mod:`scoredsl.engines.registry`)."""

    name: str

    def refusal(self, models: Sequence[CompiledModel], source) -> str | None:
        """Why this engine cannot run ``models`` on ``source``; ``None`` when it can."""

    def score(self, models: Sequence[CompiledModel], source, as_of: int, options: RunOptions,
              out: Output) -> None:
        """Score every contact of ``source`` with every model at ``as_of`` (epoch microseconds).

        Each result row goes to ``out.write`` (one per contact and model, in the source's contact
        order, the models in their given order); what was read is counted in ``out.summary``.
        A data error is raised or skipped as ``options.on_error`` says.
        """


def sql_refusal(models: Sequence[CompiledModel], dialect: str) -> str | None:
    """Why ``models`` cannot run as SQL of ``dialect``, naming each place; ``None`` when they can."""
    from scoredsl.compiler.sql.generator import unsupported

    problems = []
    for model in models:
        for code, message, span in unsupported(model.ir, dialect):
            problems.append(f"{span.file}:{span.line}:{span.column}: {code} model '{model.name}': {message}")
    if problems:
        return "this model needs the python engine:\n  " + "\n  ".join(problems)
    return None
