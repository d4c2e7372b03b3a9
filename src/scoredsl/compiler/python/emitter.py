"""Writes generated Python source: indentation, a line map back to the rule file, and names.

The code generator decides *what* to emit; this module only knows *how*: every line it
writes may carry the :class:`Span` it came from, so that an error raised by generated code is
reported at the rule file's line, and every temporary name comes from one :class:`Minter`.
"""

from __future__ import annotations

import contextlib
import keyword
import re

from scoredsl.diagnostics import Span

_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Minter:
    """Unique, valid Python identifiers derived from hints (rule and property names)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def __call__(self, prefix: str, hint: str = "") -> str:
        hint = re.sub(r"[^A-Za-z0-9_]", "_", hint)[:40]
        base = f"{prefix}_{hint}" if hint else prefix
        if not _SAFE.match(base) or keyword.iskeyword(base) or base.startswith("__"):
            base = prefix
        name, n = base, 1
        while name in self._used:
            n += 1
            name = f"{base}_{n}"
        self._used.add(name)
        return name


class Emitter:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.spans: list[Span | None] = []
        self._indent = 0

    def line(self, text: str = "", span: Span | None = None) -> None:
        self.lines.append(("    " * self._indent + text) if text else "")
        self.spans.append(span)

    @contextlib.contextmanager
    def block(self, header: str, span: Span | None = None):
        self.line(header, span)
        self._indent += 1
        try:
            yield
        finally:
            self._indent -= 1

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"

    def span_at(self, lineno: int) -> Span | None:
        """The rule-file span of generated line ``lineno`` (1-based), or of the nearest line above."""
        for i in range(min(lineno, len(self.spans)) - 1, -1, -1):
            if self.spans[i] is not None:
                return self.spans[i]
        return None
