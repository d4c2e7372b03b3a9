"""Sinks respect what they write to: a symbolic link is followed, a special file (a named pipe,
/dev/stdout, a device) is written into, never replaced, and only once the run succeeded; a
killed run's temporary file is cleaned up by the next run; a failing file system is named."""

from __future__ import annotations

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


