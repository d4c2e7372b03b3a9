"""``python crash_run.py STAGE ARGS...``: run ``scoredsl ARGS...`` and kill this very process
with SIGKILL at STAGE, as a power cut or the OOM killer would: no ``finally`` runs, no file is
closed, no transaction is rolled back by Python. The crash tests then rerun the command and
check that nothing was lost and nothing was done twice.

Stages, in the order a run reaches them:

``scoring``            after the first result row went to the sink (the output is half written)
``before-state``       the sink has committed; the state store has not
``after-state``        the state store has committed (transitions in the outbox); no delivery yet
``before-recorded``    a webhook was delivered (the receiver has it) but not yet remembered
``after-recorded``     the first delivery is remembered, the others not yet made
"""

from __future__ import annotations

import os
import signal
import sys


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def install(stage: str) -> None:
    from scoredsl.data.state import SqlState
    from scoredsl.engines import frame

    if stage == "scoring":
        write = frame.Output.write

        def write_then_die(self, row):
            write(self, row)
            die()
        frame.Output.write = write_then_die
    elif stage in ("before-state", "after-state"):
        commit = SqlState.commit

        def commit_and_die(self, *args, **kwargs):
            if stage == "before-state":
                die()
            result = commit(self, *args, **kwargs)
            die()
            return result
        SqlState.commit = commit_and_die
    elif stage in ("before-recorded", "after-recorded"):
        delivered = SqlState.delivered

        def delivered_and_die(self, *args, **kwargs):
            if stage == "before-recorded":
                die()
            delivered(self, *args, **kwargs)
            die()
        SqlState.delivered = delivered_and_die
    else:
        raise SystemExit(f"unknown stage {stage!r}")


if __name__ == "__main__":
    install(sys.argv[1])
    from scoredsl.cli.main import cli
    cli(sys.argv[2:], prog_name="scoredsl")
