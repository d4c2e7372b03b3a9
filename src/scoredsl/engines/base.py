"""What every engine shares beneath the run frame: the options of a run, the error an engine
raises when it cannot run a model or a source, and the check that models can run as SQL.
The engine interface itself is :class:`scoredsl.engines.frame.Engine`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import attrs

if TYPE_CHECKING:  # pragma: no cover
    from scoredsl.compiler.model import CompiledModel

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


#: A memory size as DuckDB takes it: a number and a unit (``1GB``, ``600 MB``, ``1.5GiB``).
MEMORY_SIZE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,3})? ?([KMGT]i?B)", re.IGNORECASE)


def _memory(_instance, _attribute, value: str | None) -> None:
    if value is not None and not MEMORY_SIZE.fullmatch(value):
        raise ValueError(f"a memory size is a number and a unit, such as 1GB or 600MB, not {value!r}")


@attrs.frozen(kw_only=True)
class RunOptions:
    """How to run, beyond what to run. Each engine reads what concerns it."""

    #: ``fail``: the first bad row stops the run; ``skip``: it is skipped and counted.
    on_error: str = attrs.field(default="fail", validator=_mode)
    #: worker threads (duckdb, spark); ``None``: every core.
    threads: int | None = None
    #: python engine: events held in memory before the rest spill to disk.
    event_budget: int = attrs.field(default=DEFAULT_EVENT_BUDGET, validator=_budget)
    #: python engine, unsorted source: fold each event into its contact's totals as it is read
    #: when every model can be folded (the default); ``False``: hold the events, as for any model.
    fold: bool = True
    #: python engine: where spilled events go; duckdb engine: its database's temporary folder,
    #: where it spills beyond its memory limit (default: the system's temporary folder).
    spill_dir: str | None = None
    #: duckdb engine: the most memory DuckDB holds before it spills (``1GB``, ``600MB``);
    #: ``None``: DuckDB's default, 80% of the machine's memory.
    memory_limit: str | None = attrs.field(default=None, validator=_memory)
    #: spark engine: ``[spark]`` of ``scoredsl.toml`` (``master``, ``remote``, ``conf``).
    spark: Mapping[str, Any] = attrs.field(factory=dict)
    #: called now and then with ``(what, how many)`` while a long run goes on.
    progress: Progress | None = attrs.field(default=None, eq=False)


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
