"""What a result sink is: the contract between the engine and sink plugins.

A sink is created from a spec (``csv:out.csv``) by :func:`scoredsl.plugins.manager.open_sink`, then::

    sink.open(run)            # once, before any row: what models, which columns, as of when
    for row in rows:
        sink.write(row)       # one ResultRow per contact and model
    sink.commit()             # make the results visible, all at once
    # or, on any failure:
    sink.abort()              # discard everything written since open(); keep the old results

Sinks must be **atomic** where the medium allows it (a temporary file renamed on commit, a
database transaction): after ``abort()`` a previous output is untouched. ``abort()`` is safe
to call at any time, also after ``commit()`` (then it does nothing) or before ``open()``.

The flat **columns** of a result are :func:`columns`: ``contact_id, model, status, reason``,
then every score name and every tier name (union over the run's models, in order of first
appearance), then ``model_version, as_of``. A sink of company models' rows (``RunInfo.subject``
``"company"``) has ``company_id`` where the others have ``contact_id``. :func:`record` gives
one row as a ``dict`` in that order, with ``None`` where a column does not apply.

A sink that writes rows as text may also take them **ready-made**: its :attr:`Sink.text_form`
names the form (``"csv"``: :func:`columns` in order, Python's ``csv.writer`` quoting, ``"\\n"``
after each row), and :meth:`Sink.write_text` appends rows already in that form, as an engine
that formats them in the database hands them over (no Python object per row).
"""

from __future__ import annotations

import abc
import datetime as dt
import os
import stat
from typing import IO, Any

import attrs

from scoredsl.data.records import STATUSES, ResultRow
from scoredsl.data.values import format_datetime

__all__ = ["Sink", "SinkError", "ModelInfo", "RunInfo", "columns", "record", "RowLayout", "AtomicFile",
           "FIXED_COLUMNS", "TRAILING_COLUMNS"]

FIXED_COLUMNS = ("contact_id", "model", "status", "reason")
TRAILING_COLUMNS = ("model_version", "as_of")


class SinkError(Exception):
    """A run that a sink cannot represent (clashing column names, a row of an unknown model)."""


@attrs.frozen(kw_only=True)
class ModelInfo:
    """What a sink needs to know about one model of the run."""
    name: str
    scores: tuple[str, ...] = attrs.field(converter=tuple)
    tiers: tuple[str, ...] = attrs.field(converter=tuple)
    version: str                 # a stable hash of the compiled model


@attrs.frozen(kw_only=True)
class RunInfo:
    """One run: the instant it scores as of (aware, UTC) and its models in order."""
    as_of: dt.datetime
    models: tuple[ModelInfo, ...] = attrs.field(converter=tuple)
    #: what the models score: "contact", or "company" (model NAME for company)
    subject: str = "contact"

    @property
    def id_column(self) -> str:
        """The column of the scored contact's id, or company's: ``contact_id`` or ``company_id``."""
        return "company_id" if self.subject == "company" else "contact_id"

    def model(self, name: str) -> ModelInfo:
        for info in self.models:
            if info.name == name:
                return info
        raise SinkError(f"result row for model {name!r}, which is not part of this run "
                        f"({', '.join(m.name for m in self.models)})")


class Sink(abc.ABC):
    """Base class of every sink; see the module docs for the protocol."""

    @abc.abstractmethod
    def open(self, run: RunInfo) -> None:
        """Prepare to receive the rows of ``run`` (create the temporary file, write a header)."""

    @abc.abstractmethod
    def write(self, row: ResultRow) -> None:
        """Accept one result row."""

    @abc.abstractmethod
    def commit(self) -> None:
        """Make every written row visible at once, replacing any previous output."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Discard every row written since :meth:`open`; leave any previous output untouched."""

    #: the text form of the rows :meth:`write_text` takes ready-made ("csv"); None: rows only
    text_form: str | None = None

    def write_text(self, file: IO[bytes]) -> None:
        """Append result rows already written in :attr:`text_form` (UTF-8), read from ``file``
        to its end: the same bytes :meth:`write` would have written for them, in order."""
        raise SinkError(f"{type(self).__name__} takes result rows only one at a time")

    def open_table(self, columns: tuple[str, ...]) -> None:
        """Instead of :meth:`open`: prepare to receive rows of other ``columns`` than a run's
        results (``--transitions`` writes its rows so), each given to :meth:`write_values`;
        then :meth:`commit` or :meth:`abort` as ever. A sink that cannot hold such rows keeps
        this default, which refuses."""
        raise SinkError(f"{type(self).__name__} holds only result rows")

    def write_values(self, values: dict[str, Any]) -> None:
        """Accept one row of the columns given to :meth:`open_table`."""
        raise SinkError(f"{type(self).__name__} holds only result rows")


def columns(run: RunInfo) -> tuple[str, ...]:
    """The flat column names of ``run``; :class:`SinkError` if two kinds of value share a name."""
    fixed = (run.id_column,) + FIXED_COLUMNS[1:]
    kinds: dict[str, str] = {name: "a fixed column" for name in fixed + TRAILING_COLUMNS}
    scores: list[str] = []
    tiers: list[str] = []
    for model in run.models:
        for names, kind, out in ((model.scores, "a score", scores), (model.tiers, "a tier", tiers)):
            for name in names:
                known = kinds.setdefault(name, kind)
                if known != kind:
                    raise SinkError(f"model {model.name!r}: {kind[2:]} {name!r} would share its "
                                    f"output column with {known}; rename it")
                if name not in out:
                    out.append(name)
    return fixed + tuple(scores) + tuple(tiers) + TRAILING_COLUMNS


def record(row: ResultRow, run: RunInfo, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """``row`` as a ``dict`` keyed by ``columns(run)`` (or ``names``), in that order.

    Values: ``str``, ``int`` (scores; an integral float is turned into an ``int``) or ``None``
    where a column does not apply; ``as_of`` is formatted as ``YYYY-MM-DDTHH:MM:SSZ``.
    """
    model = run.model(row.model)
    if row.status not in STATUSES:
        raise SinkError(f"contact {row.contact_id!r}, model {row.model!r}: unknown status "
                        f"{row.status!r}")
    out: dict[str, Any] = dict.fromkeys(names if names is not None else columns(run))
    out[run.id_column] = row.subject_id
    out.update(model=row.model, status=row.status, reason=row.reason,
               model_version=model.version, as_of=format_datetime(run.as_of))
    for name in model.scores:
        out[name] = _number(row.scores.get(name))
    for name in model.tiers:
        out[name] = row.tiers.get(name)
    return out


class RowLayout:
    """:func:`record` of one model's rows as a list of values in the order of ``names``, from a
    template made once: no ``dict`` per row. ``names`` must hold every column of the model
    (``columns(run)`` does)."""

    def __init__(self, run: RunInfo, model_name: str, names: tuple[str, ...]):
        model = run.model(model_name)
        at = {name: i for i, name in enumerate(names)}
        self.template: list[Any] = [None] * len(names)
        self.template[at["model"]] = model.name
        self.template[at["model_version"]] = model.version
        self.template[at["as_of"]] = format_datetime(run.as_of)
        self.id_at, self.status_at, self.reason_at = at[run.id_column], at["status"], at["reason"]
        self.scores = tuple((name, at[name]) for name in model.scores)
        self.tiers = tuple((name, at[name]) for name in model.tiers)

    def values(self, row: ResultRow) -> list[Any]:
        if row.status not in STATUSES:
            raise SinkError(f"contact {row.contact_id!r}, model {row.model!r}: unknown status "
                            f"{row.status!r}")
        out = self.template.copy()
        out[self.id_at] = row.contact_id if row.company_id is None else row.company_id
        out[self.status_at] = row.status
        out[self.reason_at] = row.reason
        scores = row.scores
        for name, i in self.scores:
            value = scores.get(name)
            out[i] = int(value) if isinstance(value, float) and value.is_integer() else value
        tiers = row.tiers
        for name, i in self.tiers:
            out[i] = tiers.get(name)
        return out


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class AtomicFile:
    """A text file that appears whole or not at all: written under a temporary name and renamed
    over ``path`` on :meth:`commit`; :meth:`abort` deletes it and leaves ``path`` as it was.

    * The temporary file (``.NAME.PID.XXXX.tmp``, in the same directory so that
      :func:`os.replace` is atomic) gets the permissions of the file it replaces, or the usual
      ``0666 & ~umask``. Temporary files of this name left by a process that has died (a killed
      run) are deleted on the way.
    * A symbolic link is followed: the file it points to is replaced, the link stays.
    * A special file (``/dev/stdout``, a named pipe, a terminal, a device) cannot be replaced:
      the output is kept in a temporary file and copied into it on :meth:`commit`. Nothing reaches
      it from a run that fails; a failure while copying (``/dev/full``) can leave part of it
      written there.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        try:
            self.special = not stat.S_ISREG(os.stat(self.path).st_mode)
        except FileNotFoundError:        # a new file (or a link to one that is not there yet)
            self.special = False
        target = os.path.realpath(self.path)
        directory, name = os.path.split(target)
        if self.special:         # opened by the name given: /dev/stdout resolves to no openable path
            target, directory, name = self.path, None, os.path.basename(self.path)
        else:
            _remove_stale(directory, name)
        self.target = target
        import tempfile                 # (here: `check` loads this module, and writes nothing)

        fd, self.temp_path = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=directory)
        try:
            if not self.special:
                os.chmod(self.temp_path, _mode_for(target))
            self.file: IO[str] | None = os.fdopen(fd, "w", encoding="utf-8", newline="")
        except BaseException:
            os.close(fd)
            os.unlink(self.temp_path)
            raise

    def commit(self) -> None:
        if self.file is None:
            raise ValueError(f"{self.path}: already committed or aborted")
        file, self.file = self.file, None
        try:
            file.flush()
            if self.special:
                file.close()
                import shutil

                with open(self.temp_path, "rb") as data, open(self.target, "wb") as out:
                    shutil.copyfileobj(data, out, 1 << 20)
                _unlink(self.temp_path)
                return
            os.fsync(file.fileno())
            file.close()
            os.replace(self.temp_path, self.target)
        except BaseException:
            file.close()
            _unlink(self.temp_path)
            raise

    def abort(self) -> None:
        if self.file is not None:
            file, self.file = self.file, None
            file.close()
            _unlink(self.temp_path)


def _remove_stale(directory: str, name: str) -> None:
    """Delete ``.NAME.PID.*.tmp`` in ``directory`` whose process is gone (a killed run's)."""
    prefix = f".{name}."
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith(".tmp")):
            continue
        pid = entry[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            _unlink(os.path.join(directory, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:          # it exists, and belongs to someone else
        return True
    return True


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
