"""Run the scoredsl command line with one more source, for the SIGKILL test of test_faults.py.

    python killable.py run MODEL --source blocking:SPEC --sink SPEC ...

``blocking:SPEC`` is the source ``SPEC`` (a spec without options), except that when it is
asked for contact number ``SCOREDSL_BLOCK_AFTER + 1`` it writes the file
``SCOREDSL_BLOCK_SIGNAL`` and waits until it is killed. The rows of the first
``SCOREDSL_BLOCK_AFTER`` contacts have then been handed to the sink, so a test knows exactly
how far the run got before it kills the process.
"""

from __future__ import annotations

import os
import sys
import time

from scoredsl import hookimpl
from scoredsl.data.sources import Source
from scoredsl.plugins import manager as plugins


class BlockingSource(Source):
    def __init__(self, inner: Source, after: int, signal: str):
        self.inner, self.after, self.signal = inner, after, signal

    def events(self, schema, on_error=None):
        return self.inner.events(schema, *(on_error,) if on_error else ())

    def contacts(self, schema, on_error=None):
        for number, contact in enumerate(self.inner.contacts(schema, *(on_error,) if on_error else ()), 1):
            if number > self.after:
                with open(self.signal, "w") as file:
                    file.write(str(os.getpid()))
                while True:
                    time.sleep(60)
            yield contact

    def close(self) -> None:
        self.inner.close()


def open_blocking(spec, schema):
    return BlockingSource(plugins.open_source(spec.location, schema),
                          int(os.environ["SCOREDSL_BLOCK_AFTER"]), os.environ["SCOREDSL_BLOCK_SIGNAL"])


@hookimpl
def scoredsl_register_sources(registry) -> None:
    registry.add("blocking", open_blocking, "a source that blocks after N contacts (tests only)")


if __name__ == "__main__":
    plugins.register(sys.modules[__name__], "blocking")
    from scoredsl.cli.main import main

    sys.argv = ["scoredsl", *sys.argv[1:]]
    main()
