"""Sinks respect what they write to: a symbolic link is followed, a special file (a named pipe,
/dev/stdout, a device) is written into, never replaced, and only once the run succeeded; a
killed run's temporary file is cleaned up by the next run; a failing file system is named."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading

import pytest

import paths
from scoredsl.data.sinks import AtomicFile

MODEL = paths.EXAMPLES / "b2b_saas" / "model.score"
DATA = f"csv:{paths.EXAMPLES / 'b2b_saas' / 'data'}"


def test_a_symbolic_link_is_followed_and_kept(tmp_path):
    (tmp_path / "real.csv").write_text("old\n")
    (tmp_path / "link.csv").symlink_to("real.csv")
    out = AtomicFile(tmp_path / "link.csv")
    out.file.write("new\n")
    out.commit()
    assert (tmp_path / "link.csv").is_symlink()
    assert (tmp_path / "real.csv").read_text() == "new\n"


def test_a_dangling_link_makes_its_target(tmp_path):
    (tmp_path / "link.csv").symlink_to("made.csv")
    out = AtomicFile(tmp_path / "link.csv")
    out.file.write("x\n")
    out.commit()
    assert (tmp_path / "made.csv").read_text() == "x\n" and (tmp_path / "link.csv").is_symlink()


def _reader(path, into):
    with open(path, "rb") as fifo:
        into.append(fifo.read())


def test_a_named_pipe_gets_the_output_on_commit_and_stays_a_pipe(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=_reader, args=(fifo, got))
    reader.start()
    out = AtomicFile(fifo)
    out.file.write("a,b\n")
    out.commit()
    reader.join(10)
    assert got == [b"a,b\n"]
    assert not (fifo.is_file()) and os.path.exists(fifo)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_a_failed_run_writes_nothing_into_a_special_file(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    out = AtomicFile(fifo)
    out.file.write("half")
    out.abort()                        # no reader was ever needed: nothing was opened there
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_a_killed_runs_temporary_file_is_removed_by_the_next_run(tmp_path):
    dead = _a_dead_pid()
    stale = tmp_path / f".out.csv.{dead}.x1y2.tmp"
    alive = tmp_path / f".out.csv.{os.getppid()}.x3y4.tmp"      # a run still going: kept
    other = tmp_path / f".other.csv.{dead}.x5y6.tmp"             # another sink's: not ours to touch
    for path in (stale, alive, other):
        path.write_text("partial")
    out = AtomicFile(tmp_path / "out.csv")
    out.file.write("x\n")
    out.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.csv", alive.name, other.name])


def _a_dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_full_device_is_a_sink_error_naming_it(invoke):
    result = invoke("run", MODEL, "--source", DATA, "--as-of", "2026-11-01",
                    "--sink", "csv:/dev/full", "-q")
    assert result.exit_code == 2
    assert "cannot write /dev/full: No space left on device" in result.output
    assert "internal error" not in result.output


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a read-only file system needs root")
def test_a_read_only_file_system_is_a_sink_error_naming_it(invoke, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)]).returncode:
        pytest.skip("this machine cannot mount a tmpfs")
    try:
        result = invoke("run", MODEL, "--source", DATA, "--as-of", "2026-11-01",
                        "--sink", f"csv:{folder / 'out.csv'}", "-q")
    finally:
        subprocess.run(["umount", str(folder)])
    assert result.exit_code == 2
    assert f"cannot write {folder / 'out.csv'}: Read-only file system" in result.output


def test_standard_output_by_its_device_name(tmp_path):
    run = subprocess.run([sys.executable, "-m", "scoredsl", "run", str(MODEL), "--source", DATA, "--as-of",
                          "2026-11-01", "--sink", "csv:/dev/stdout", "-q"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("contact_id,model,status") and len(run.stdout.splitlines()) == 301




# ---------------------------------------------------------------- a row's values without a dict

from hypothesis import given, strategies as st  # noqa: E402

from scoredsl.data.records import ResultRow  # noqa: E402
from scoredsl.data.sinks import ModelInfo, RowLayout, RunInfo, SinkError, columns, record  # noqa: E402

_NAMES = st.sampled_from(["fit", "engagement", "total", "grade", "heat", "stage"])


@st.composite
def runs_and_rows(draw):
    """A run of one to three models (sharing some score and tier names) and rows of each."""
    models = []
    for index in range(draw(st.integers(1, 3))):
        scores = draw(st.lists(_NAMES, unique=True, max_size=3))
        tiers = draw(st.lists(_NAMES.filter(lambda n: n not in scores), unique=True, max_size=2))
        models.append(ModelInfo(name=f"m{index}", scores=scores, tiers=tiers, version=f"v{index}"))
    # a name is a score in one model and a tier in another: columns() refuses that run
    kinds = {}
    for m in models:
        for names, kind in ((m.scores, "s"), (m.tiers, "t")):
            for name in names:
                if kinds.setdefault(name, kind) != kind:
                    models = [models[0]]
                    break
    subject = draw(st.sampled_from(["contact", "company"]))
    run = RunInfo(as_of=draw(st.datetimes(timezones=st.just(dt.timezone.utc))), models=models, subject=subject)
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        model = draw(st.sampled_from(models))
        values = st.one_of(st.none(), st.integers(-500, 500), st.floats(-1e6, 1e6, allow_nan=False))
        rows.append(ResultRow(
            contact_id=draw(st.text(max_size=5)), model=model.name,
            status=draw(st.sampled_from(["scored", "out_of_scope", "disqualified", "nonsense"])),
            reason=draw(st.one_of(st.none(), st.text(max_size=5))),
            scores={name: draw(values) for name in model.scores},
            tiers={name: draw(st.one_of(st.none(), st.text(max_size=4))) for name in model.tiers},
            company_id=draw(st.one_of(st.none(), st.text(max_size=4))) if subject == "company" else None))
    return run, rows


@given(runs_and_rows())
def test_a_layout_gives_the_values_of_record_in_column_order(data):
    run, rows = data
    names = columns(run)
    for row in rows:
        layout = RowLayout(run, row.model, names)
        try:
            expected = list(record(row, run, names).values())
        except SinkError as exc:
            with pytest.raises(SinkError) as caught:
                layout.values(row)
            assert str(caught.value) == str(exc)
            continue
        got = layout.values(row)
        assert got == expected
        assert [type(v) for v in got] == [type(v) for v in expected]     # 3.0 written as 3, as record does
