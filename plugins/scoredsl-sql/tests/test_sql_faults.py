"""A run that fails or is killed before it commits leaves the previous scores exactly as they were."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest

from scoredsl.data.records import DataError
from scoredsl.data.sources import Source
from scoredsl.plugins import manager as plugins
from scoredsl.plugins.manager import open_sink, open_source

from sqltest import EXAMPLE, UTC, load_example, score

LATER = dt.datetime(2026, 12, 1, tzinfo=UTC)
KILLABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "killable.py")
AFTER, BATCH = 55, 10              # fails at contact 56: 55 rows written, 50 of them staged


class FailingSource(Source):
    """The contacts of another source, until it raises ``error`` instead of contact ``after + 1``."""

    def __init__(self, inner: Source, after: int, error: BaseException):
        self.inner, self.after, self.error = inner, after, error

    def events(self, schema, on_error=None):
        return self.inner.events(schema, on_error)

    def contacts(self, schema, on_error=None):
        for number, contact in enumerate(self.inner.contacts(schema, on_error), 1):
            if number > self.after:
                raise self.error
            yield contact

    def close(self) -> None:
        self.inner.close()


def snapshot(db) -> tuple:
    """Everything a run could change: both tables, rows and columns."""
    return tuple((db.table(name), sorted(db.table(name)[0]) if db.table(name) else None)
                 for name in ("scores", "score_history"))


def previous_run(db, program) -> str:
    spec = db.with_options(history="score_history", batch_size=BATCH)
    rows, _, _ = score(program, f"csv:{EXAMPLE / 'data'}", open_sink(spec))
    assert len(rows) == 300
    return spec


@pytest.mark.parametrize("error", [RuntimeError("the CRM went away"),
                                   DataError("a bad row", file="table contacts", row=56, column="x"),
                                   KeyboardInterrupt()], ids=["exception", "data-error", "interrupt"])
def test_a_run_failing_midway_leaves_the_table_as_before(db, program, example_records, error):
    load_example(db, program.schema, example_records)
    spec = previous_run(db, program)
    before = snapshot(db)
    source = FailingSource(open_source(db.spec, program.schema), AFTER, error)
    sink = open_sink(spec)
    with pytest.raises(type(error)):
        score(program, "", sink, source=source, as_of=LATER)
    assert sink.rows_written == 50                  # staged in the database, then rolled back
    assert snapshot(db) == before


def test_a_killed_run_leaves_the_table_as_before(db, program, tmp_path):
    spec = previous_run(db, program)
    before = snapshot(db)
    signal_file = tmp_path / "blocked"
    env = dict(os.environ, SCOREDSL_BLOCK_AFTER=str(AFTER), SCOREDSL_BLOCK_SIGNAL=str(signal_file))
    process = subprocess.Popen(
        [sys.executable, KILLABLE, "run", str(EXAMPLE / "model.score"),
         "--source", f"blocking:csv:{EXAMPLE / 'data'}", "--sink", spec, "--as-of", "2026-12-01"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not signal_file.exists():
            if process.poll() is not None:
                pytest.fail(f"the run ended before it blocked: {process.communicate()[1].decode()}")
            if time.monotonic() > deadline:
                pytest.fail("the run did not reach the blocking contact in 120 s")
            time.sleep(0.05)
        if db.kind == "postgresql":     # the run has copied rows into its staging table, uncommitted
            sessions = db.query("SELECT state, query FROM pg_stat_activity WHERE datname = "
                                "current_database() AND pid <> pg_backend_pid()")
            copying = [state for state, query in sessions if query.startswith("COPY scoredsl_stage_")]
            assert copying == ["idle in transaction"]
        if db.kind == "mariadb":        # the run's open transaction has staged 50 rows
            staged = db.query("SELECT trx_rows_modified FROM information_schema.innodb_trx WHERE "
                              "trx_mysql_thread_id IN (SELECT id FROM information_schema.processlist "
                              "WHERE db = DATABASE() AND id <> CONNECTION_ID())")
            assert staged == [(50,)]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    plugins.reset()
    assert snapshot(db) == before
    if db.kind == "postgresql":     # the server has ended the killed session and dropped its work
        _eventually(lambda: db.query("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                     "current_database() AND pid <> pg_backend_pid()") == [(0,)])
    # and the next run works
    rows, _, _ = score(program, f"csv:{EXAMPLE / 'data'}", open_sink(spec), as_of=LATER)
    assert len(db.table("scores")) == 300 and len(db.table("score_history")) == 600


def _eventually(check, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the server did not clean up the killed session"
        time.sleep(0.1)
